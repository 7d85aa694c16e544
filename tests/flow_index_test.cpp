// flow_index_test.cpp: the flow index (--flow-index): the record builder (content/flow_record),
// the option, and end to end: every record valid against docs/flow-index.schema.json, the same
// with -j 1 and -j 2, holes, hashes, and on every corpus capture one record per connection that
// tshark counts, with its endpoints and packets (tests/scripts/check_flow_index.py checks).
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/run.h"
#include "tcpflow/app/cli.h"
#include "tcpflow/app/flow_finisher.h"
#include "tcpflow/content/flow_record.h"
#include "tcpflow/content/md5.h"

namespace tcpflow {
namespace {

using namespace tcpflow::test;
namespace fs = std::filesystem;

constexpr std::uint8_t SYN = 0x02, ACK = 0x10, PA = 0x18, FIN = 0x01;
const std::string kSchema = std::string(TCPFLOW_SOURCE_DIR) + "/docs/flow-index.schema.json";
const std::string kChecker = std::string(TCPFLOW_SOURCE_DIR) + "/tests/scripts/check_flow_index.py";

// ---------------------------------------------------------------- the record builder

FlowInfo info_of(const char* src, std::uint16_t sport, const char* dst, std::uint16_t dport, std::uint64_t first) {
    FlowInfo i;
    i.name.src = ip(src);
    i.name.dst = ip(dst);
    i.name.sport = sport;
    i.name.dport = dport;
    i.connection_id = 7;
    i.first_packet = first;
    return i;
}

TEST(FlowRecord, ServerThatSentTheSynAckIsTheServerEvenWhenSeenFirst) {
    FlowInfo a = info_of("10.0.0.2", 80, "10.0.0.1", 1234, 7);
    FlowInfo b = info_of("10.0.0.1", 1234, "10.0.0.2", 80, 9);
    FlowSummary sa, sb;
    sa.syn_seen = true;   // the SYN-ACK; the client's SYN was not captured
    sa.packets = 2;
    sb.packets = 1;
    sb.size = sb.stored_bytes = 5;
    sb.holes = {Hole{1, 2}};
    ConnectionEnd e;
    e.id = 7;
    e.reason = CloseReason::fin;
    e.info[0] = &a;
    e.summary[0] = &sa;
    e.info[1] = &b;
    e.summary[1] = &sb;
    FlowRecordSide side[2];
    side[0] = {&a, &sa, "", nullptr, {}};
    side[1] = {&b, &sb, "dir/x\"y", nullptr, {}};
    std::string s;
    append_flow_record(s, e, side, FlowRecordSettings{});
    EXPECT_NE(s.find("\"client\":{\"addr\":\"10.0.0.1\",\"port\":1234,\"file\":\"dir/x\\\"y\""), std::string::npos) << s;
    EXPECT_NE(s.find("\"server\":{\"addr\":\"10.0.0.2\",\"port\":80,\"file\":null"), std::string::npos) << s;
    EXPECT_NE(s.find("\"holes\":{\"count\":1,\"bytes\":2,\"ranges\":[[1,2]]}"), std::string::npos) << s;
    EXPECT_NE(s.find("\"handshake\":false,\"midstream\":false"), std::string::npos) << s;
    EXPECT_EQ(s.find("md5"), std::string::npos) << "no md5 unless -e md5";
}

TEST(FlowRecord, MissingDirectionIsWrittenWithZerosAndTheOtherEndpoint) {
    FlowInfo a = info_of("2001:db8::1", 5, "2001:db8::2", 6, 3);
    a.client_to_server = true;
    FlowSummary sa;
    sa.packets = 1;
    sa.syn_seen = true;
    sa.first_seen = sa.last_seen = Timestamp{1'600'000'000'123'456'789};
    ConnectionEnd e;
    e.id = 3;
    e.info[1] = &a;
    e.summary[1] = &sa;
    FlowRecordSide side[2];
    side[1] = {&a, &sa, "", nullptr, {}};
    std::string s;
    FlowRecordSettings set;
    set.nanoseconds = true;
    set.md5 = true;
    append_flow_record(s, e, side, set);
    EXPECT_NE(s.find("\"server\":{\"addr\":\"2001:db8::2\",\"port\":6,\"file\":null,\"bytes\":0"), std::string::npos) << s;
    EXPECT_NE(s.find("\"first\":null,\"last\":null,\"close\":null,\"md5\":null"), std::string::npos) << s;
    EXPECT_NE(s.find("\"first\":\"2020-09-13T12:26:40.123456789Z\""), std::string::npos) << s;
}

TEST(FlowRecord, JsonStringsAreValidUtf8WhateverTheBytes) {
    std::string s;
    append_json_string(s, std::string("a\\b\x01\xff\xc3\xa9\n", 8));
    EXPECT_EQ(s, "\"a\\\\b\\u0001\\u00ff\xc3\xa9\\n\"");
}

TEST(FlowRecord, Sha256IsOpenSslsDigest) {
    const std::string abc = "abc";
    EXPECT_EQ(FlowFinisher::sha256_hex(Bytes{reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size()}),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// ---------------------------------------------------------------- the option

TEST(FlowIndexOption, BareOptionTakesTheDefaultFileNotTheNextWord) {
    const auto r = parse_command_line({"tcpflow", "-r", "x.pcap", "--flow-index", "port", "80"});
    ASSERT_EQ(r.action, CliResult::Action::run) << r.err;
    EXPECT_TRUE(r.options.flow_index);
    EXPECT_EQ(r.options.flow_index_path, "");
    EXPECT_EQ(r.options.filter, "port 80");
    const auto f = parse_command_line({"tcpflow", "-r", "x.pcap", "--flow-index=idx.jsonl"});
    EXPECT_EQ(f.options.flow_index_path, "idx.jsonl");
    const auto c = parse_command_line({"tcpflow", "-r", "x.pcap", "-c", "--flow-index=-"});
    EXPECT_EQ(c.action, CliResult::Action::exit);
    EXPECT_EQ(c.exit_code, 2);
}

// ---------------------------------------------------------------- end to end

/// A client 10.0.0.1:1234 and a server 10.0.0.2:80.
struct Talk {
    Capture cap{1};
    std::uint32_t cisn = 1000, sisn = 5000;
    std::uint16_t cport = 1234;
    void c(std::uint32_t off, const std::string& d, std::uint8_t fl = PA) { add(true, cisn + 1 + off, fl, d); }
    void s(std::uint32_t off, const std::string& d, std::uint8_t fl = PA) { add(false, sisn + 1 + off, fl, d); }
    void add(bool client, std::uint32_t seq, std::uint8_t fl, const std::string& d) {
        TcpSpec t;
        t.src = ip(client ? "10.0.0.1" : "10.0.0.2");
        t.dst = ip(client ? "10.0.0.2" : "10.0.0.1");
        t.sport = client ? cport : 80;
        t.dport = client ? 80 : cport;
        t.seq = seq;
        t.ack = client ? sisn + 1 : cisn + 1;
        t.flags = fl;
        t.payload = d;
        cap.add(eth_tcp(t));
    }
    void handshake() {
        add(true, cisn, SYN, "");
        add(false, sisn, SYN | ACK, "");
        add(true, cisn + 1, ACK, "");
    }
};

/// Runs the checker; skips when python3-jsonschema or tshark is missing.
void check(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"/usr/bin/python3", kChecker, kSchema};
    argv.insert(argv.end(), args.begin(), args.end());
    const RunResult r = run_program(argv);
    if (r.exit_code == 77) GTEST_SKIP() << r.err;
    EXPECT_EQ(r.exit_code, 0) << r.err;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> v;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t nl = text.find('\n', at);
        v.push_back(text.substr(at, nl - at));
        at = nl == std::string::npos ? text.size() : nl + 1;
    }
    return v;
}

TEST(FlowIndexE2E, OneRecordPerConnectionWithHolesIdsAndHashes) {
    TempDir dir;
    Talk a;
    a.handshake();                       // packets 1-3
    a.c(0, "GET /a HTTP/1.1\r\n\r\n");  // 4
    a.c(30, "tail");                     // 5: bytes 19..29 never arrive (a hole)
    a.s(0, "HTTP/1.1 200 OK\r\n\r\n");   // 6
    a.c(34, "", FIN | ACK);              // 7
    a.s(19, "", FIN | ACK);              // 8
    Talk b;                              // a second connection, from another port
    b.cport = 2000;
    b.handshake();
    b.c(0, "hello");
    for (const auto& r : b.cap.records()) a.cap.add(r.data);   // packets 9-12
    a.cap.write(dir / "in.pcap");
    const RunResult r = run_tcpflow({"-r", dir / "in.pcap", "-o", dir / "out", "--flow-index", "-e", "md5",
                                     "-S", "hash=sha256"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string index = read_file(dir / "out/flows.jsonl");
    const auto lines = lines_of(index);
    ASSERT_EQ(lines.size(), 2u) << index;
    const std::string& first = lines[0].rfind("{\"id\":1,", 0) == 0 ? lines[0] : lines[1];
    // The client's FIN waits for the hole: that direction (and so the connection) ends with the input.
    EXPECT_NE(first.find("\"close\":\"end_of_input\",\"handshake\":true,\"midstream\":false"), std::string::npos)
        << first;
    EXPECT_NE(first.find("\"stored\":23,\"dropped\":0,\"packets\":5,\"holes\":{\"count\":1,\"bytes\":11,\"ranges\":[[19,11]]}"), std::string::npos)
        << first;
    const std::string cfile = read_file(dir / "out/010.000.000.001.01234-010.000.000.002.00080");
    const std::string md5 = Md5::hex_of(Bytes{reinterpret_cast<const std::uint8_t*>(cfile.data()), cfile.size()});
    EXPECT_NE(first.find("\"md5\":\"" + md5 + "\""), std::string::npos) << first;
    EXPECT_NE(first.find("\"sha256\":\""), std::string::npos) << first;
    EXPECT_NE(index.find("{\"id\":9,"), std::string::npos) << "the id is the number of the first packet: " << index;
    check({dir / "out/flows.jsonl", dir / "out"});
}

TEST(FlowIndexE2E, StandardOutputAndANamedFile) {
    TempDir dir;
    Talk a;
    a.handshake();
    a.c(0, "x");
    a.cap.write(dir / "in.pcap");
    const RunResult r = run_tcpflow({"-r", dir / "in.pcap", "-o", dir / "out", "--flow-index=-"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.rfind("{\"id\":1,\"proto\":\"tcp\"", 0), 0u) << r.out;
    EXPECT_NE(r.out.find("\"close\":\"end_of_input\""), std::string::npos) << r.out;
    const RunResult f = run_tcpflow({"-r", dir / "in.pcap", "-o", dir / "o2", "--flow-index=" + (dir / "i.jsonl")});
    ASSERT_EQ(f.exit_code, 0) << f.err;
    EXPECT_EQ(read_file(dir / "i.jsonl"), r.out);
}

TEST(ConsoleJson, LinesModePrintsThePayloadAsBase64AndTheDefaultStays161) {
    TempDir dir;
    Talk a;
    a.handshake();
    a.c(0, "hi!?");
    a.cap.write(dir / "in.pcap");
    const RunResult l = run_tcpflow({"-r", dir / "in.pcap", "-c", "-J", "-S", "json=lines"});
    ASSERT_EQ(l.exit_code, 0) << l.err;
    EXPECT_EQ(l.out, "{\"src_host\":\"10.0.0.1\",\"src_port\":1234,\"dst_host\":\"10.0.0.2\",\"dst_port\":80,"
                     "\"payload\":\"aGkhPw==\"}\n");
    const RunResult d = run_tcpflow({"-r", dir / "in.pcap", "-c", "-J"});
    ASSERT_EQ(d.exit_code, 0) << d.err;
    EXPECT_NE(d.out.find("\"payload\": [104,105,33,63]}"), std::string::npos) << d.out;
}

// ---------------------------------------------------------------- conversation files

/// The runs of a conversation file: (header line, bytes).
std::vector<std::pair<std::string, std::string>> runs_of(const std::string& text) {
    std::vector<std::pair<std::string, std::string>> runs;
    std::size_t at = 0;
    while (at < text.size()) {
        const std::size_t nl = text.find('\n', at);
        if (nl == std::string::npos) break;
        const std::string head = text.substr(at, nl - at);
        const std::size_t lp = head.find(" length ");
        if (head.rfind("### ", 0) != 0 || lp == std::string::npos) break;
        const std::size_t len = std::stoull(head.substr(lp + 8));
        runs.emplace_back(head, text.substr(nl + 1, len));
        at = nl + 1 + len + 1;   // the bytes and a newline
    }
    return runs;
}

TEST(ConversationE2E, KeepAliveRequestsAndResponsesReadInTheOrderSentAndAHoleIsInTheHeader) {
    TempDir dir;
    Talk t;
    t.handshake();
    const std::string q1 = "GET /1 HTTP/1.1\r\n\r\n", r1 = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\na";
    const std::string q2 = "GET /2 HTTP/1.1\r\n\r\n", r2 = "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb";
    t.c(0, q1);
    t.s(0, r1);
    t.c(static_cast<std::uint32_t>(q1.size()), q2);
    // The second response: its first 10 bytes are never captured.
    t.s(static_cast<std::uint32_t>(r1.size() + 10), r2.substr(10));
    t.cap.write(dir / "in.pcap");
    const RunResult r = run_tcpflow({"-r", dir / "in.pcap", "-o", dir / "out", "--conversation"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string conv = read_file(dir / "out/010.000.000.001.01234-010.000.000.002.00080.conversation");
    const auto runs = runs_of(conv);
    ASSERT_EQ(runs.size(), 4u) << conv;
    EXPECT_EQ(runs[0].first, "### client 10.0.0.1:1234 offset 0 length 19 time 2020-09-13T12:26:40.004000Z");
    EXPECT_EQ(runs[0].second, q1);
    EXPECT_EQ(runs[1].second, r1);
    EXPECT_EQ(runs[1].first.rfind("### server 10.0.0.2:80 offset 0 ", 0), 0u) << runs[1].first;
    EXPECT_EQ(runs[2].second, q2);
    EXPECT_EQ(runs[3].second, r2.substr(10)) << "the hole is never written as bytes";
    EXPECT_NE(runs[3].first.find(" offset " + std::to_string(r1.size() + 10) + " "), std::string::npos) << runs[3].first;
    EXPECT_EQ(runs[3].first.substr(runs[3].first.size() - 8), " hole 10") << runs[3].first;
    // The per-direction files are written as before.
    EXPECT_EQ(read_file(dir / "out/010.000.000.001.01234-010.000.000.002.00080"), q1 + q2);
    // --conversation=only: no per-direction files.
    const RunResult o = run_tcpflow({"-r", dir / "in.pcap", "-o", dir / "only", "--conversation=only"});
    ASSERT_EQ(o.exit_code, 0) << o.err;
    auto tree = read_tree(dir / "only");
    tree.erase("report.xml");
    ASSERT_EQ(tree.size(), 1u);
    EXPECT_EQ(tree.begin()->second, conv);
}

TEST(ConversationE2E, PipelinedHttpCorpusCaptureReadsRequestResponseInOrder) {
    const fs::path cap = fs::path{TCPFLOW_SHARED_DIR} / "corpus" / "zeek-http-pipelined-requests.pcap";
    if (!fs::exists(cap)) GTEST_SKIP() << "../shared/corpus is absent";
    TempDir dir;
    const RunResult r = run_tcpflow({"-r", cap.string(), "-o", dir / "out", "--conversation"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string c2s = "192.168.001.104.01673-063.245.209.011.00080";
    const auto runs = runs_of(read_file(dir / ("out/" + c2s + ".conversation")));
    ASSERT_GE(runs.size(), 4u);
    std::string client, server;
    for (std::size_t i = 0; i < runs.size(); ++i) {
        const bool is_client = runs[i].first.rfind("### client ", 0) == 0;
        EXPECT_EQ(is_client, i % 2 == 0) << "run " << i << ": " << runs[i].first;
        if (i < 4) {
            EXPECT_EQ(runs[i].second.rfind(is_client ? "GET " : "HTTP/1.1 ", 0), 0u) << runs[i].first;
        }
        (is_client ? client : server) += runs[i].second;
    }
    EXPECT_TRUE(client == read_file(dir / ("out/" + c2s))) << "the client's runs are its flow file";
    EXPECT_TRUE(server == read_file(dir / "out/063.245.209.011.00080-192.168.001.104.01673"));
}

/// Captures whose packets tcpflow counts differently from tshark on purpose (SPEC 4) or which
/// tshark reads differently: the records are checked (schema, files, -j), not tshark's counts.
const std::set<std::string> kTsharkDiffers = {
    "arkime-tcp-reassembly-synthetic.pcap",          // a segment far outside the window
    "malformed-tcpdump-heapoverflow-tcp_print.pcap",  // malformed: no TCP segment for us
    "malformed-tcpdump-kday4.pcap",                  // malformed headers
    "malformed-tcpdump-mptcp-dss-oobr.pcap",
    "malformed-tcpdump-tcp-auth-heapoverflow.pcap",
    "pcpp-pcapng-multi-linktype.pcapng",             // link types tshark decodes differently
    "suricata-syn-retransmit-with-ts.pcap",          // a SYN with a new ISN is a new connection (SPEC 4)
    "suricata-tcp-rst-evasion-linux.pcap",           // an in-window RST ends the connection (SPEC 4)
    "zeek-ldap-gap-data-missing-multi-if.pcapng",    // libpcap stops at the second interface
    "zeek-smtp.pcap",                                // keep-alives and late ACKs after the FINs
    "zeek-ssh-server-side-half-duplex.pcap",
    "zeek-tcp-fin-retransmission.pcap",              // data after the FIN: a new connection
    "zeek-tcp-reassembly.pcap",                      // ACKs after the FINs before the last byte
    "zeek-tcp-truncated-header-snaplen68.pcap",      // truncated TCP headers
    "zeek-vlan-collisions.pcap",                     // one 4-tuple on several VLANs: several connections (SPEC 4)
};

/// Packet time jumps years forward and back: an idle timeout fires at a frame of another -j
/// worker with -j 1 only (workers expire at their own packets and at each batch's end).
const std::set<std::string> kJobsDiffer = {"malformed-tcpdump-kday4.pcap"};

TEST(FlowIndexE2E, CorpusMatchesTsharkAndIsTheSameUnderJobs) {
    const fs::path corpus = fs::path{TCPFLOW_SHARED_DIR} / "corpus";
    if (!fs::is_directory(corpus)) GTEST_SKIP() << "../shared/corpus is absent";
    if (run_program({"/bin/sh", "-c", "command -v tshark"}).exit_code != 0) GTEST_SKIP() << "tshark is not installed";
    int checked = 0;
    for (const auto& entry : fs::directory_iterator(corpus)) {
        const std::string name = entry.path().filename().string();
        if (!entry.is_regular_file() || name.find(".pcap") == std::string::npos) continue;
        SCOPED_TRACE(name);
        TempDir dir;
        run_tcpflow({"-r", entry.path().string(), "-o", dir / "j1", "--flow-index"});
        run_tcpflow({"-r", entry.path().string(), "-o", dir / "j2", "--flow-index", "-j", "2"});
        if (!fs::exists(dir / "j1/flows.jsonl")) {
            ADD_FAILURE() << "no index written";
            continue;
        }
        std::vector<std::string> args{dir / "j1/flows.jsonl", dir / "j1"};
        if (!kJobsDiffer.count(name)) {
            args.push_back("--same-as");
            args.push_back(dir / "j2/flows.jsonl");
        }
        if (!kTsharkDiffers.count(name)) {
            args.push_back("--pcap");
            args.push_back(entry.path().string());
        }
        check(args);
        ++checked;
    }
    EXPECT_GT(checked, 10);
}

}  // namespace
}  // namespace tcpflow
