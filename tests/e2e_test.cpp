// End to end: build small captures in the test, run the built binary, check the files it writes.
#include <gtest/gtest.h>

#include <cstdlib>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <set>
#include <string>

#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/run.h"

namespace tcpflow::test {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

using namespace flag_bits;
const std::string kC = "010.000.000.001.01234-010.000.000.002.00080";
const std::string kS = "010.000.000.002.00080-010.000.000.001.01234";

/// A client 10.0.0.1:1234 and a server 10.0.0.2:80 with ISNs 1000 and 5000 (1.6.1 reference tests).
struct Talk {
    Capture cap{1};
    std::uint32_t cisn = 1000, sisn = 5000;
    std::vector<VlanTag> tags;
    bool pad = false;
    void c(std::uint32_t off, const std::string& d, std::uint8_t fl = PA) { add(true, cisn + 1 + off, fl, d); }
    void s(std::uint32_t off, const std::string& d, std::uint8_t fl = PA) { add(false, sisn + 1 + off, fl, d); }
    void add(bool client, std::uint32_t seq, std::uint8_t fl, const std::string& d) {
        cap.add(eth_tcp(seg(client, seq, fl, d, 1234, client ? sisn + 1 : cisn + 1), tags, pad));
    }
    void handshake() {
        add(true, cisn, SYN, "");
        add(false, sisn, SYN | ACK, "");
        add(true, cisn + 1, ACK, "");
    }
};

struct E2E : ::testing::Test {
    TempDir dir;
    std::string pcap() const { return dir / "in.pcap"; }
    std::string out() const { return dir / "out"; }
    RunResult run(Talk& t, std::vector<std::string> extra = {}) {
        t.cap.write(pcap());
        std::vector<std::string> args{"-r", pcap(), "-o", out()};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_tcpflow(args);
    }
    std::map<std::string, std::string> files() const { return test::files(out()); }
};

TEST_F(E2E, InOrderConversationTwoFilesNamedLike161) {
    Talk t;
    t.handshake();
    t.c(0, "GET / HTTP/1.0\r\n\r\n");
    t.s(0, "HTTP/1.0 200 OK\r\n\r\nhello\n");
    t.s(25, "", FIN | ACK);
    t.c(18, "", FIN | ACK);
    const auto r = run(t);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f.at(kC), "GET / HTTP/1.0\r\n\r\n");
    EXPECT_EQ(f.at(kS), "HTTP/1.0 200 OK\r\n\r\nhello\n");
    // mtime = the direction's first packet (SYN at 1600000000.001, SYN-ACK at .002).
    struct stat st{};
    ASSERT_EQ(stat((out() + "/" + kC).c_str(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);
    EXPECT_EQ(st.st_mtim.tv_nsec, 1'000'000);
    ASSERT_EQ(stat((out() + "/" + kS).c_str(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_nsec, 2'000'000);
    // Both files were written in one go: the report says neither continues an earlier file.
    const std::string report = read_file(out() + "/report.xml");
    EXPECT_NE(report.find("close_reason='fin'"), std::string::npos) << report;
    EXPECT_EQ(report.find("resumed="), std::string::npos) << report;
}

TEST_F(E2E, OutOfOrderHoleRetransmissionAndPadding) {
    Talk t;
    t.pad = true;   // 60-byte frames: padding is never payload
    t.handshake();
    t.c(8, "CCCC");
    t.c(0, "AAAA");
    t.c(0, "ZZZZ");   // conflicting retransmission: first copy wins
    t.c(16, "EEEE");  // [12,16) stays a hole
    t.c(4, "BBBB");
    t.c(20, "", FIN | ACK);
    const auto r = run(t);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(files().at(kC), "AAAABBBBCCCC\0\0\0\0EEEE"s);
    EXPECT_EQ(files().count(kS), 0u) << "no file for a direction without payload";
    const std::string report = read_file(out() + "/report.xml");
    EXPECT_NE(report.find("conflicting"), std::string::npos);
    EXPECT_NE(report.find("hole"), std::string::npos);
}

TEST_F(E2E, SecondRunIntoSameFolderNeverOverwrites) {
    Talk t;
    t.handshake();
    t.c(0, "hi");
    ASSERT_EQ(run(t).exit_code, 0);
    ASSERT_EQ(run(t).exit_code, 0);
    const auto f = files();
    EXPECT_EQ(f.at(kC), "hi");
    EXPECT_EQ(f.at(kC + "c1"), "hi");
}

TEST_F(E2E, ConnectionReuseGetsCNames) {
    Talk t;
    t.handshake();
    t.c(0, "conn1\n");
    t.s(0, "srv1\n");
    t.cisn = 2000;   // new SYN, new ISN within 16 MiB, old connection never closed
    t.sisn = 6000;
    t.handshake();
    t.c(0, "conn2\n");
    t.s(0, "srv2\n");
    ASSERT_EQ(run(t).exit_code, 0);
    const auto f = files();
    EXPECT_EQ(f.at(kC), "conn1\n");
    EXPECT_EQ(f.at(kC + "c1"), "conn2\n");
    EXPECT_EQ(f.at(kS), "srv1\n");
    EXPECT_EQ(f.at(kS + "c1"), "srv2\n");
}

// A second run into the same folder never overwrites: its files take c1 names (the names in
// the folder at the start are known before any file is created, on either thread), with -j too.
TEST_F(E2E, ASecondRunIntoTheSameFolderWritesCNames) {
    Talk t;
    t.handshake();
    t.c(0, "request\n");
    t.s(0, "response\n");
    ASSERT_EQ(run(t).exit_code, 0);
    ASSERT_EQ(run(t).exit_code, 0);
    ASSERT_EQ(run(t, {"-j", "2"}).exit_code, 0);
    const auto f = files();
    for (const std::string suffix : {"", "c1", "c2"}) {
        EXPECT_EQ(f.at(kC + suffix), "request\n") << suffix;
        EXPECT_EQ(f.at(kS + suffix), "response\n") << suffix;
    }
    EXPECT_EQ(f.count(kC + "c3"), 0u);
}

TEST_F(E2E, VlanSuffixIsTheTwelveBitVid) {
    Talk t;
    t.tags = {{0x8100, static_cast<std::uint16_t>((3 << 13) | 5)}};
    t.handshake();
    t.c(0, "vlan5\n");
    ASSERT_EQ(run(t).exit_code, 0);
    EXPECT_EQ(files().at(kC + "--5"), "vlan5\n");
}

TEST_F(E2E, SequenceWrap) {
    Talk t;
    t.cisn = 0xFFFFFFFDu;
    t.handshake();
    t.c(5, "56789abcdef\n");
    t.c(0, "01234");
    ASSERT_EQ(run(t).exit_code, 0);
    EXPECT_EQ(files().at(kC), "0123456789abcdef\n");
}

TEST_F(E2E, Ipv6NamesUseInetNtop) {
    Capture cap;
    cap.add(eth_tcp(tcp_spec("2001:db8::1", "2001:db8:0:0:1::2", 1234, 80, 1, PA, "v6 hello\n")));
    cap.write(pcap());
    ASSERT_EQ(run_tcpflow({"-r", pcap(), "-o", out()}).exit_code, 0);
    EXPECT_EQ(files().at("2001:db8::1.01234-2001:db8::1:0:0:2.00080"), "v6 hello\n");
}

TEST_F(E2E, NanosecondAndBigEndianCapturesAndStdin) {
    Talk t;
    t.handshake();
    t.c(0, "ns\n");
    write_pcap(pcap(), 1, t.cap.records(), 262144, true, true);
    const auto r = run_tcpflow({"-r", "-", "-o", out()}, pcap());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(files().at(kC), "ns\n");
    struct stat st{};
    ASSERT_EQ(stat((out() + "/" + kC).c_str(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_nsec, 1'000'000);
}

TEST_F(E2E, SeveralReadFilesFormOneCapture) {
    Talk a;
    a.handshake();
    a.c(0, "part1 ");
    a.cap.write(dir / "a.pcap");
    Talk b;
    b.c(6, "part2");
    b.cap.write(dir / "b.pcap");
    const auto r = run_tcpflow({"-r", dir / "a.pcap", "-r", dir / "b.pcap", "-o", out()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(files().at(kC), "part1 part2");
    EXPECT_EQ(files().size(), 1u);
}

TEST_F(E2E, ResumeFilesOnlyContinueKnownFlows) {
    Talk a;
    a.handshake();
    a.c(0, "known ");
    a.cap.write(dir / "a.pcap");
    Talk b;
    b.c(6, "continued");
    TcpSpec other;   // another connection, unknown before the -R file
    other.src = ip("10.0.0.1");
    other.dst = ip("10.0.0.2");
    other.sport = 4321;
    other.seq = 77778;
    other.flags = PA;
    other.payload = "new";
    b.cap.add(eth_tcp(other));
    b.cap.write(dir / "b.pcap");
    const auto r = run_tcpflow({"-r", dir / "a.pcap", "-R", dir / "b.pcap", "-o", out()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    EXPECT_EQ(f.at(kC), "known continued");
    EXPECT_EQ(f.size(), 1u) << "the unknown connection of the -R file was ignored";
}

TEST_F(E2E, BpfFilterSelectsTrafficAndBadFilterIsUsageError) {
    Talk t;
    t.handshake();
    t.c(0, "x");
    t.cap.write(pcap());
    auto r = run_tcpflow({"-r", pcap(), "-o", out(), "port", "81"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(files().empty());
    r = run_tcpflow({"-r", pcap(), "-o", out(), "port", "80"});
    EXPECT_EQ(files().at(kC), "x");
    r = run_tcpflow({"-r", pcap(), "-o", out(), "nonsense", "((("});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("filter"), std::string::npos) << r.err;
}

TEST_F(E2E, MissingAndBogusInputExitOneWithReason) {
    auto r = run_tcpflow({"-r", dir / "nope.pcap", "-o", out()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("nope.pcap"), std::string::npos) << r.err;
    {
        std::ofstream(dir / "junk.pcap") << "this is not a capture file at all, not even close";
    }
    r = run_tcpflow({"-r", dir / "junk.pcap", "-o", out()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("junk.pcap"), std::string::npos) << r.err;
}

TEST_F(E2E, TruncatedCaptureSavesFlowsAndExitsOne) {
    Talk t;
    t.handshake();
    t.c(0, "saved\n");
    t.c(6, "lost-in-truncation\n");
    t.cap.write(pcap());
    fs::resize_file(pcap(), fs::file_size(pcap()) - 10);
    const auto r = run_tcpflow({"-r", pcap(), "-o", out()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(files().at(kC), "saved\n");
    const std::string report = read_file(out() + "/report.xml");
    EXPECT_NE(report.find("</dfxml>"), std::string::npos) << "report completed";
}

TEST_F(E2E, UnknownLinkTypeIsAClearError) {
    Talk t;
    t.handshake();
    write_pcap(pcap(), 147, t.cap.records());   // LINKTYPE_USER0
    const auto r = run_tcpflow({"-r", pcap(), "-o", out()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("147"), std::string::npos) << r.err;
}

TEST_F(E2E, TemplateWithFoldersAndMaxBytes) {
    Talk t;
    t.handshake();
    t.c(0, "GET / HTTP/1.0\r\n");
    ASSERT_EQ(run(t, {"-T", "%A/%a/flow", "-b", "5"}).exit_code, 0);
    EXPECT_EQ(files().at("010.000.000.001/01234/flow"), "GET /");
}

TEST_F(E2E, ConsoleModePrintsStreamOrder) {
    Talk t;
    t.handshake();
    t.c(4, "BBBB");
    t.c(0, "AAAA");
    t.cap.write(pcap());
    const auto r = run_tcpflow({"-r", pcap(), "-C"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto a = r.out.find("AAAA"), b = r.out.find("BBBB");
    ASSERT_NE(a, std::string::npos) << r.out;
    ASSERT_NE(b, std::string::npos) << r.out;
    EXPECT_LT(a, b) << "stream order, not arrival order: " << r.out;
}

TEST_F(E2E, ReportDisabledWithDevNull) {
    Talk t;
    t.handshake();
    t.c(0, "x");
    ASSERT_EQ(run(t, {"-X", "/dev/null"}).exit_code, 0);
    EXPECT_FALSE(fs::exists(out() + "/report.xml"));
}

TEST_F(E2E, WorkerThreadsWriteTheSameFilesAsOne) {
    const std::string tools = std::string(TCPFLOW_SHARED_DIR) + "/tools";
    if (!fs::exists(tools + "/genflows.py")) GTEST_SKIP() << "../shared/tools is absent";
    auto g = run_program({"/usr/bin/env", "python3", tools + "/genflows.py", pcap(), "--manifest", dir / "m", "--conns", "400",
                          "--concurrent", "80", "--resp", "20000", "--reorder", "0.1", "--retrans", "0.05", "--ipv6", "0.2",
                          "--vlan", "0.2", "--wrap", "--seed", "9"},
                         "", 300);
    ASSERT_EQ(g.exit_code, 0) << g.err;
    ASSERT_EQ(run_tcpflow({"-r", pcap(), "-o", dir / "one"}).exit_code, 0);
    ASSERT_EQ(run_tcpflow({"-j", "2", "-r", pcap(), "-o", dir / "two"}).exit_code, 0);
    ASSERT_EQ(run_tcpflow({"-j", "3", "-r", pcap(), "-o", dir / "three"}).exit_code, 0);
    auto one = read_tree(dir / "one"), two = read_tree(dir / "two"), three = read_tree(dir / "three");
    one.erase("report.xml");
    two.erase("report.xml");
    three.erase("report.xml");
    EXPECT_EQ(one.size(), 800u);
    EXPECT_TRUE(one == two) << "-j 2 wrote different files";
    EXPECT_TRUE(one == three) << "-j 3 wrote different files";
}

TEST_F(E2E, GenflowsCaptureIsByteExact) {
    const std::string tools = std::string(TCPFLOW_SHARED_DIR) + "/tools";
    if (!fs::exists(tools + "/genflows.py")) GTEST_SKIP() << "../shared/tools is absent";
    auto g = run_program({"/usr/bin/env", "python3", tools + "/genflows.py", pcap(), "--manifest", dir / "m", "--conns", "5000",
                          "--concurrent", "1000", "--req", "200", "--resp", "2000", "--reorder", "0.2", "--retrans", "0.1",
                          "--ipv6", "0.3", "--vlan", "0.2", "--wrap", "--seed", "7"},
                         "", 300);
    ASSERT_EQ(g.exit_code, 0) << g.err;
    const auto r = run_tcpflow({"-r", pcap(), "-o", out()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto c = run_program({"/usr/bin/env", "python3", tools + "/checkflows.py", out(), dir / "m"});
    EXPECT_EQ(c.exit_code, 0) << c.out;
}

// ---------------------------------------------------------------------------------------------
// Every file we create takes the first free name and belongs to the sudo user; -K after -z.

/// `n` connections 10.0.0.1:(10000+i) -> 10.0.0.2:80, one after the other, each direction with
/// its own bytes (client_text / server_text).
std::string client_text(int i) { return "request " + std::to_string(i) + std::string(300, static_cast<char>('a' + i % 26)); }
std::string server_text(int i) { return "response " + std::to_string(i) + std::string(900, static_cast<char>('A' + i % 26)); }
std::string conn_name(int i, bool client) {
    const std::string port = std::to_string(10000 + i);
    return client ? "010.000.000.001." + port + "-010.000.000.002.00080" : "010.000.000.002.00080-010.000.000.001." + port;
}
void many_connections(Capture& cap, int n) {
    for (int i = 0; i < n; ++i) {
        Talk t;
        t.handshake();
        t.c(0, client_text(i));
        t.s(0, server_text(i));
        t.s(static_cast<std::uint32_t>(server_text(i).size()), "", FIN | ACK);
        t.c(static_cast<std::uint32_t>(client_text(i).size()), "", FIN | ACK);
        for (auto& rec : t.cap.records()) {
            Frame f = rec.data;
            // Move the client port to 10000+i: bytes 34..35 (sport) or 36..37 (dport) of the frame.
            const bool from_client = f[26 + 3] == 1;   // IPv4 source 10.0.0.1
            const std::size_t at = from_client ? 34 : 36;
            f[at] = static_cast<std::uint8_t>((10000 + i) >> 8);
            f[at + 1] = static_cast<std::uint8_t>((10000 + i) & 0xff);
            cap.add(std::move(f));
        }
    }
}

/// A UDP frame (not TCP: for -w).
Frame udp_frame() {
    const std::string p = "dns?";
    const Frame u = udp_datagram(5353, 53, Bytes{reinterpret_cast<const std::uint8_t*>(p.data()), p.size()});
    const Frame packet = ipv4_packet(ip("10.0.0.1"), ip("10.0.0.9"), 17, Bytes{u.data(), u.size()});
    return ethernet_frame(0x0800, Bytes{packet.data(), packet.size()});
}

/// The <filename> entries of a report.
std::vector<std::string> report_files(const std::string& report) {
    std::vector<std::string> out;
    const std::string open = "<filename>", close = "</filename>";
    for (auto at = report.find(open); at != std::string::npos; at = report.find(open, at + 1)) {
        const auto end = report.find(close, at);
        if (end == std::string::npos) break;
        out.push_back(report.substr(at + open.size(), end - at - open.size()));
    }
    return out;
}

// Three runs over one capture into one folder at once (one with -j 2): each name is taken by
// exactly one of them, a name another run takes first moves on to the next free cN name (never a
// failed flow; on either thread), and each report lists just its own run's files.
TEST_F(E2E, ThreeRunsAtOnceIntoOneFolderWriteEveryFlowOnceEach) {
    constexpr int kConns = 1500;
    Capture cap;
    many_connections(cap, kConns);
    cap.write(pcap());
    fs::create_directories(out());
    std::vector<std::future<RunResult>> runs;
    for (int k = 0; k < 3; ++k)
        runs.push_back(std::async(std::launch::async, [this, k] {
            std::vector<std::string> args{"-r", pcap(), "-o", out(), "-X", dir / ("report" + std::to_string(k) + ".xml")};
            if (k == 2) args.insert(args.end(), {"-j", "2"});   // workers, each with its own I/O thread
            return run_tcpflow(args);
        }));
    // Failures are counted, with the first example of each kind: thousands of lines say no more.
    std::set<std::string> listed;
    std::size_t in_two = 0, missing = 0, wrong = 0, unlisted = 0;
    std::string examples;
    const auto note = [&](std::size_t& count, const std::string& what) {
        if (count++ == 0) examples += what + "\n";
    };
    for (int k = 0; k < 3; ++k) {
        const RunResult r = runs[static_cast<std::size_t>(k)].get();
        EXPECT_EQ(r.exit_code, 0) << "run " << k << ": " << r.err.substr(0, 400);
        EXPECT_EQ(r.err, "") << "run " << k;
        const auto names = report_files(read_file(dir / ("report" + std::to_string(k) + ".xml")));
        EXPECT_EQ(names.size(), 2u * kConns) << "run " << k;
        for (const std::string& n : names)
            if (!listed.insert(n).second) note(in_two, n + " is in two reports");
    }
    const auto f = files();
    EXPECT_EQ(f.size(), 6u * kConns);
    EXPECT_EQ(listed.size(), 6u * kConns);
    for (int i = 0; i < kConns; ++i)
        for (const bool client : {true, false})
            for (const std::string suffix : {"", "c1", "c2"}) {
                const std::string name = conn_name(i, client) + suffix;
                const auto it = f.find(name);
                if (it == f.end()) {
                    note(missing, name + " is missing");
                    continue;
                }
                if (it->second != (client ? client_text(i) : server_text(i))) note(wrong, name + " holds other bytes");
                if (listed.count(out() + "/" + name) != 1) note(unlisted, name + " is in no report");
            }
    EXPECT_EQ(in_two + missing + wrong + unlisted, 0u)
        << in_two << " in two reports, " << missing << " missing, " << wrong << " wrong, " << unlisted
        << " in no report; first of each:\n" << examples;
}

/// Run `run`'s texts for connection `i` (its client port 10000+i): each run's bytes its own.
std::string run_client_text(int run, int i) { return "run " + std::to_string(run) + " " + client_text(i); }
std::string run_server_text(int run, int i) { return "run " + std::to_string(run) + " " + server_text(i); }

/// Connections 10000+first ... 10000+first+n-1, in the shape of many_connections, with run's texts.
void run_connections(Capture& cap, int run, int first, int n) {
    for (int i = first; i < first + n; ++i) {
        Talk t;
        t.handshake();
        const std::string c = run_client_text(run, i), s = run_server_text(run, i);
        t.c(0, c);
        t.s(0, s);
        t.s(static_cast<std::uint32_t>(s.size()), "", FIN | ACK);
        t.c(static_cast<std::uint32_t>(c.size()), "", FIN | ACK);
        for (auto& rec : t.cap.records()) {
            Frame f = rec.data;
            const std::size_t at = f[26 + 3] == 1 ? 34 : 36;   // the client's port (see many_connections)
            f[at] = static_cast<std::uint8_t>((10000 + i) >> 8);
            f[at + 1] = static_cast<std::uint8_t>((10000 + i) & 0xff);
            cap.add(std::move(f));
        }
    }
}

// Four runs of four different captures into one folder at once (one with -j 2). Captures 0 and 1
// hold the same connections (addresses and ports) with other bytes, 2 overlaps both halfway and
// 3 overlaps 2: a name wanted by several runs is written once by each, under the first free names
// (name, c1, c2), and each run's report (report.xml, reportc1.xml... : the first free name
// too) lists only its own files, each holding its own capture's bytes. Exit 0 for all.
TEST_F(E2E, FourRunsOfDifferentCapturesIntoOneFolderEachWriteTheirOwnFlowsOnce) {
    constexpr int kConns = 1000;
    const int first[4] = {0, 0, kConns / 2, kConns};
    for (int k = 0; k < 4; ++k) {
        Capture cap;
        run_connections(cap, k, first[k], kConns);
        cap.write(dir / ("in" + std::to_string(k) + ".pcap"));
    }
    fs::create_directories(out());
    std::vector<std::future<RunResult>> runs;
    for (int k = 0; k < 4; ++k)
        runs.push_back(std::async(std::launch::async, [this, k] {
            std::vector<std::string> args{"-r", dir / ("in" + std::to_string(k) + ".pcap"), "-o", out()};
            if (k == 3) args.insert(args.end(), {"-j", "2"});
            return run_tcpflow(args);
        }));
    for (int k = 0; k < 4; ++k) {
        const RunResult r = runs[static_cast<std::size_t>(k)].get();
        EXPECT_EQ(r.exit_code, 0) << "run " << k << ": " << r.err.substr(0, 400);
        EXPECT_EQ(r.err, "") << "run " << k;
    }
    auto f = read_tree(out());
    // The reports: the first free names, and each one found by its run's command line.
    std::map<int, std::vector<std::string>> listed_by;   // run -> the files its report lists
    for (const std::string name : {"report.xml", "reportc1.xml", "reportc2.xml", "reportc3.xml"}) {
        ASSERT_EQ(f.count(name), 1u) << name;
        const std::string& report = f.at(name);
        int run = -1;
        for (int k = 0; k < 4; ++k)
            if (report.find("in" + std::to_string(k) + ".pcap") != std::string::npos) run = k;
        ASSERT_NE(run, -1) << name << " names no run's capture";
        EXPECT_EQ(listed_by.count(run), 0u) << "two reports of run " << run;
        listed_by[run] = report_files(report);
        EXPECT_NE(report.find("</dfxml>"), std::string::npos) << name;
        f.erase(name);
    }
    std::set<std::string> listed;
    std::size_t in_two = 0, missing = 0, wrong = 0, count_wrong = 0;
    std::string examples;
    const auto note = [&](std::size_t& count, const std::string& what) {
        if (count++ == 0) examples += what + "\n";
    };
    for (const auto& [run, names] : listed_by) {
        EXPECT_EQ(names.size(), 2u * kConns) << "run " << run;
        for (const std::string& path : names) {
            if (!listed.insert(path).second) note(in_two, path + " is in two reports");
            const std::string name = path.substr(out().size() + 1);
            const auto it = f.find(name);
            if (it == f.end()) {
                note(missing, path + " is listed by run " + std::to_string(run) + " but not there");
                continue;
            }
            // 010.000.000.001.1xxxx-... or ...-010.000.000.001.1xxxx[cN]
            const bool client = name.rfind("010.000.000.001.", 0) == 0;
            const int i = std::stoi(name.substr(client ? 16 : 38, 5)) - 10000;
            if (it->second != (client ? run_client_text(run, i) : run_server_text(run, i)))
                note(wrong, name + " (listed by run " + std::to_string(run) + ") holds another run's bytes");
        }
    }
    // Each name is taken by as many runs as want it, under name, c1, c2..., and no more.
    for (int i = 0; i < first[3] + kConns; ++i) {
        int wanted = 0;
        for (int k = 0; k < 4; ++k) wanted += i >= first[k] && i < first[k] + kConns;
        for (const bool client : {true, false})
            for (int c = 0; c <= 4; ++c) {
                const std::string name = conn_name(i, client) + (c ? "c" + std::to_string(c) : "");
                if ((f.count(name) == 1) != (c < wanted)) note(count_wrong, name + (c < wanted ? " is missing" : " is one too many"));
            }
    }
    EXPECT_EQ(listed.size(), f.size()) << "every file is in a report";
    EXPECT_EQ(in_two + missing + wrong + count_wrong, 0u)
        << in_two << " in two reports, " << missing << " listed but missing, " << wrong << " with another run's bytes, "
        << count_wrong << " names wrong; first of each:\n" << examples;
}

// -K with -U and -z: the per-flow pcaps go to the -o folder as seen inside the new root, like
// the flow files (they went to ROOT/ROOT/out).
TEST_F(E2E, PcapPerFlowAfterChrootWritesIntoTheOutputFolderInsideTheRoot) {
    if (::geteuid() != 0) GTEST_SKIP() << "chroot needs root";
    if (!getpwnam("nobody")) GTEST_SKIP() << "no user 'nobody'";
    Talk t;
    t.handshake();
    t.c(0, "hello");
    t.cap.write(pcap());
    TempDir root;
    ASSERT_EQ(chmod(root.path().c_str(), 0755), 0);   // nobody must reach the folder inside it
    // LeakSanitizer cannot read /proc from inside the chroot (it would fail the run at exit, and
    // its log file is outside the new root); the leak check runs in every other test.
    const char* asan = std::getenv("ASAN_OPTIONS");
    const std::string asan_before = asan ? asan : "";
    if (asan) setenv("ASAN_OPTIONS", (asan_before + ":detect_leaks=0").c_str(), 1);
    const std::string outdir = root / "out";
    const auto r = run_tcpflow({"-r", pcap(), "-K", "-U", "nobody", "-z", root.path(), "-o", outdir});
    if (asan) setenv("ASAN_OPTIONS", asan_before.c_str(), 1);   // leak checks again for the tests after this one
    if (r.err.find("cannot chroot") != std::string::npos) GTEST_SKIP() << "chroot is not allowed here: " << r.err;
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(outdir + "/" + kC + ".pcap")) << r.err;
    EXPECT_TRUE(fs::exists(outdir + "/" + kS + ".pcap")) << r.err;
    EXPECT_FALSE(fs::exists(root.path() + root.path())) << "the folder was taken before the chroot again";
}

// Started through sudo without -U: every file and folder we make belongs to the user who ran
// sudo (flow files, .findx, sub-folders, -K pcaps and their folders, the -w file, the report).
TEST_F(E2E, EveryFileAndFolderBelongsToTheSudoUser) {
    if (::geteuid() != 0) GTEST_SKIP() << "giving files away needs root";
    Talk t;
    t.handshake();
    t.c(0, "hello");
    t.s(0, "world");
    t.cap.add(udp_frame());   // for -w
    t.cap.write(pcap());
    ::setenv("SUDO_UID", "4321", 1);
    ::setenv("SUDO_GID", "4322", 1);
    const auto flows = run_tcpflow({"-r", pcap(), "-o", out() + "/flows", "-I", "-T", "sub/%A.%a-%B.%b%C%c", "-w", dir / "unused.pcap"});
    const auto pcaps = run_tcpflow({"-r", pcap(), "-o", out() + "/pcaps", "-K", "-T", "sub/%A.%a-%B.%b%C%c"});
    ::unsetenv("SUDO_UID");
    ::unsetenv("SUDO_GID");
    ASSERT_EQ(flows.exit_code, 0) << flows.err;
    ASSERT_EQ(pcaps.exit_code, 0) << pcaps.err;
    std::vector<std::string> made{out(), out() + "/flows", out() + "/flows/sub", out() + "/flows/sub/" + kC,
                                  out() + "/flows/sub/" + kC + ".findx", out() + "/flows/report.xml", dir / "unused.pcap",
                                  out() + "/pcaps", out() + "/pcaps/sub", out() + "/pcaps/sub/" + kC + ".pcap"};
    for (const auto& path : made) {
        struct stat st{};
        ASSERT_EQ(stat(path.c_str(), &st), 0) << path;
        EXPECT_EQ(st.st_uid, 4321u) << path;
        EXPECT_EQ(st.st_gid, 4322u) << path;
    }
}

// Nothing is appended to or overwritten: an index left from an earlier run (its flow file
// removed since) stays as it was, and the flow takes the next name whose index is free too.
TEST_F(E2E, AnIndexLeftInTheFolderIsNeverAppendedTo) {
    Talk t;
    t.handshake();
    t.c(0, "hello");
    fs::create_directories(out());
    { std::ofstream(out() + "/" + kC + ".findx") << "left by someone else\n"; }
    const auto r = run(t, {"-I"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    EXPECT_EQ(f.at(kC + ".findx"), "left by someone else\n");
    EXPECT_EQ(f.count(kC), 0u) << "a flow file and its index share a name";
    EXPECT_EQ(f.at(kC + "c1"), "hello");
    EXPECT_EQ(f.at(kC + "c1.findx").substr(0, 2), "0|");
}

// -w never replaces a file: an existing name moves on to c1 before the extension.
TEST_F(E2E, TheUnusedPacketsFileTakesTheFirstFreeName) {
    Talk t;
    t.handshake();
    t.cap.add(udp_frame());
    { std::ofstream(dir / "unused.pcap") << "not ours"; }
    const auto r = run(t, {"-w", dir / "unused.pcap"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_file(dir / "unused.pcap"), "not ours");
    EXPECT_GT(read_file(dir / "unusedc1.pcap").size(), 24u);
}

}  // namespace
}  // namespace tcpflow::test

namespace tcpflow::test {
namespace {

// Reassembly bugs of issue "Every file tells the truth", at ISNs 0, 1, 0xFFFFFFFF and 0xFFFFFFF6.
struct E2EIsn : E2E, ::testing::WithParamInterface<std::uint32_t> {
    /// Writes t's capture with every packet from the `from`-th on `gap_s` seconds later.
    void write_with_gap(const Talk& t, std::size_t from, std::int64_t gap_s) const {
        std::vector<Record> recs = t.cap.records();
        for (std::size_t i = from; i < recs.size(); ++i) recs[i].sec += gap_s;
        write_pcap(pcap(), 1, recs);
    }
};

// A connection closes with FIN/FIN/ACK; 10 s later a SYN with the same ISN (and the same
// addresses and ports) starts a second one. It gets c1 files; the first files stay as they were
// and nothing is counted as retransmitted or conflicting.
TEST_P(E2EIsn, SameIsnAfterAFullCloseIsANewConnection) {
    for (const std::string overlap : {"first", "last"}) {
        SCOPED_TRACE(overlap);
        Talk t;
        t.cisn = GetParam();
        t.sisn = GetParam() ^ 0x5555u;
        t.handshake();
        t.c(0, "first request\n");
        t.s(0, "first reply\n");
        t.c(14, "", FIN | ACK);
        t.s(12, "", FIN | ACK);
        t.c(15, "", ACK);
        const std::size_t second = t.cap.records().size();
        t.handshake();
        t.c(0, "SECOND REQUEST, longer\n");
        t.s(0, "SECOND reply\n");
        t.c(23, "", FIN | ACK);
        t.s(13, "", FIN | ACK);
        write_with_gap(t, second, 10);
        fs::remove_all(out());
        const auto r = run_tcpflow({"-r", pcap(), "-o", out(), "--overlap=" + overlap});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto f = files();
        EXPECT_EQ(f.size(), 4u);
        EXPECT_EQ(f.at(kC), "first request\n");
        EXPECT_EQ(f.at(kS), "first reply\n");
        EXPECT_EQ(f.at(kC + "c1"), "SECOND REQUEST, longer\n");
        EXPECT_EQ(f.at(kS + "c1"), "SECOND reply\n");
        const std::string report = read_file(out() + "/report.xml");
        EXPECT_EQ(report.find("retransmitted_bytes"), std::string::npos) << report;
        EXPECT_EQ(report.find("conflicting_bytes"), std::string::npos) << report;
    }
}

// -b N with a mid-stream flow whose earlier data arrives later (the shape of
// tcpflow-test1-out-of-order.pcapng): the file holds the first N bytes of the stream, nothing
// beyond, no zeros that are not a hole; what lies beyond N is dropped and counted.
TEST_P(E2EIsn, MaxBytesHoldsWhenAMidStreamFlowIsShifted) {
    Talk t;
    t.cisn = GetParam();
    t.c(1418, std::string(65, 'L'));
    t.c(0, std::string(1396, 'E'));
    ASSERT_EQ(run(t, {"-b", "100"}).exit_code, 0);
    EXPECT_EQ(files().at(kC), std::string(100, 'E'));
    const std::string report = read_file(out() + "/report.xml");
    EXPECT_NE(report.find("dropped_bytes='1361'"), std::string::npos) << report;
}

TEST_P(E2EIsn, MaxBytesCutsWhatAShiftMovesPastIt) {
    Talk t;
    t.cisn = GetParam();
    t.c(4, "EFGHIJKLMN");
    t.c(0, "ABCD");
    ASSERT_EQ(run(t, {"-b", "10"}).exit_code, 0);
    EXPECT_EQ(files().at(kC), "ABCDEFGHIJ");
}

INSTANTIATE_TEST_SUITE_P(Isn, E2EIsn, ::testing::Values(0u, 1u, 0xFFFFFFFFu, 0xFFFFFFF6u),
                         [](const auto& p) { return "isn_" + std::to_string(p.param); });

}  // namespace
}  // namespace tcpflow::test

namespace tcpflow::test {
namespace {

// Issue "Live capture you can trust under load": with --max-memory 2M and 1,200 connections open
// at once (about 4 MB of flow state, charged at what it holds; 1M, when a connection was charged
// 1 KiB, no longer leaves room for the flows remembered for resuming), 30% of segments
// reordered, holes are given up and connections retired for the limit
// while their late segments are still coming; a retired flow resumes its file, and a late
// segment that falls into a hole given up in its earlier life is written at its offset (it was
// counted as retransmitted and dropped). Every direction is byte-exact, with the default memory
// and with 2M, and nothing is counted as retransmitted (the capture has no retransmissions).
TEST_F(E2E, EvictionUnderMemoryLimitLosesNoLateBytes) {
    const std::string tools = std::string(TCPFLOW_SHARED_DIR) + "/tools";
    if (!fs::exists(tools + "/genflows.py")) GTEST_SKIP() << "../shared/tools is absent";
    auto g = run_program({"/usr/bin/env", "python3", tools + "/genflows.py", pcap(), "--manifest", dir / "m", "--conns", "1200",
                          "--concurrent", "1200", "--req", "100", "--resp", "1000", "--mss", "200", "--reorder", "0.3",
                          "--ipv6", "0.1", "--vlan", "0.1", "--wrap", "--seed", "5"},
                         "", 300);
    ASSERT_EQ(g.exit_code, 0) << g.err;
    for (const std::string mem : {"2M", ""}) {
        SCOPED_TRACE(mem.empty() ? "default --max-memory" : "--max-memory " + mem);
        const std::string o = dir / ("out" + mem);
        std::vector<std::string> args{"-r", pcap(), "-o", o};
        if (!mem.empty()) args.insert(args.end(), {"--max-memory", mem});
        const auto r = run_tcpflow(args, "", 300);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto c = run_program({"/usr/bin/env", "python3", tools + "/checkflows.py", o, dir / "m"});
        EXPECT_EQ(c.exit_code, 0) << c.out;
        const std::string report = read_file(o + "/report.xml");
        EXPECT_EQ(report.find("retransmitted_bytes"), std::string::npos) << "late bytes counted as retransmitted";
        if (!mem.empty()) {
            EXPECT_NE(report.find("close_reason='limit'"), std::string::npos) << "nothing was evicted";
        }
    }
}

}  // namespace
}  // namespace tcpflow::test
