// End to end, --udp: captures built here (DNS over IPv4 and IPv6, a fragmented 9 KB datagram, a
// VLAN-tagged flow, a datagram cut by the snaplen, two conversations separated by more than the
// timeout, UDP beside TCP on the same addresses and ports, VXLAN-carried TCP, --udp-framing
// length, console, -w, -K, %P), run through the built binary.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <string>
#include <vector>

#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/run.h"

namespace tcpflow::test {
namespace {

using namespace std::string_literals;

const std::string kQ4 = "010.000.000.001.53000-010.000.000.002.00053-udp";
const std::string kR4 = "010.000.000.002.00053-010.000.000.001.53000-udp";

Bytes as_bytes(const std::string& s) { return Bytes{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

/// Ethernet + IPv4/IPv6 (by the address family) + UDP.
Frame eth_udp(const std::string& src, const std::string& dst, std::uint16_t sport, std::uint16_t dport,
              const std::string& payload, const std::vector<VlanTag>& tags = {}) {
    const Frame u = udp_datagram(sport, dport, as_bytes(payload));
    const IpAddress s = ip(src), d = ip(dst);
    if (s.family == 6) return ethernet_frame(0x86dd, bytes(ipv6_packet(s, d, 17, bytes(u))), tags);
    return ethernet_frame(0x0800, bytes(ipv4_packet(s, d, 17, bytes(u))), tags);
}

Frame query(const std::string& payload, const std::vector<VlanTag>& tags = {}) {
    return eth_udp("10.0.0.1", "10.0.0.2", 53000, 53, payload, tags);
}
Frame answer(const std::string& payload) { return eth_udp("10.0.0.2", "10.0.0.1", 53, 53000, payload); }

struct UdpE2E : ::testing::Test {
    TempDir dir;
    std::string pcap() const { return dir / "in.pcap"; }
    std::string out() const { return dir / "out"; }
    RunResult run(const Capture& cap, std::vector<std::string> extra = {"--udp"}) {
        cap.write(pcap());
        std::vector<std::string> args{"-r", pcap(), "-o", out()};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_tcpflow(args);
    }
    std::map<std::string, std::string> files() const {
        auto m = read_tree(out());
        m.erase("report.xml");
        return m;
    }
    std::string report() const { return read_file(out() + "/report.xml"); }
};

TEST_F(UdpE2E, DnsOverIpv4OneFilePerDirectionOnlyWithUdp) {
    Capture cap;
    cap.add(query("QUERY-1"));
    cap.add(answer("ANSWER-1"));
    cap.add(query("QUERY-2"));
    cap.add(answer("ANSWER-2"));
    auto r = run(cap, {});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(files().empty());   // without --udp nothing changes
    EXPECT_EQ(report().find("protocol="), std::string::npos);
    TempDir again;
    r = run_tcpflow({"--udp", "-r", pcap(), "-o", again.path()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto f = read_tree(again.path());
    const std::string rep = f["report.xml"];
    f.erase("report.xml");
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f.at(kQ4), "QUERY-1QUERY-2");
    EXPECT_EQ(f.at(kR4), "ANSWER-1ANSWER-2");
    EXPECT_NE(rep.find("protocol='udp'"), std::string::npos) << rep;
    // mtime = the direction's first packet (the query at .001, the answer at .002).
    struct stat st{};
    ASSERT_EQ(stat((again.path() + "/" + kR4).c_str(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);
    EXPECT_EQ(st.st_mtim.tv_nsec, 2'000'000);
}

TEST_F(UdpE2E, DnsOverIpv6) {
    Capture cap;
    cap.add(eth_udp("2001:db8::1", "2001:db8::2", 53000, 53, "q6"));
    cap.add(eth_udp("2001:db8::2", "2001:db8::1", 53, 53000, "a6"));
    const auto r = run(cap);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f.at("2001:db8::1.53000-2001:db8::2.00053-udp"), "q6");
    EXPECT_EQ(f.at("2001:db8::2.00053-2001:db8::1.53000-udp"), "a6");
}

TEST_F(UdpE2E, FragmentedNineKilobyteDatagramIsReassembled) {
    std::string big(9000, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
    const Frame u = udp_datagram(53000, 53, as_bytes(big));
    Capture cap;
    constexpr std::size_t kChunk = 1480;
    for (std::size_t off = 0; off < u.size(); off += kChunk) {
        const std::size_t n = std::min(kChunk, u.size() - off);
        Ipv4Spec spec;
        spec.id = 77;
        spec.fragment_offset = static_cast<std::uint16_t>(off);
        spec.more_fragments = off + n < u.size();
        const Frame part(u.begin() + static_cast<std::ptrdiff_t>(off), u.begin() + static_cast<std::ptrdiff_t>(off + n));
        cap.add(ethernet_frame(0x0800, bytes(ipv4_packet(ip("10.0.0.1"), ip("10.0.0.2"), 17, bytes(part), spec))));
    }
    const auto r = run(cap);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f.at(kQ4), big);
}

TEST_F(UdpE2E, VlanTaggedFlowNamedWithItsVlan) {
    Capture cap;
    cap.add(query("tagged", {{0x8100, 42}}));
    cap.add(query("untagged"));
    const auto r = run(cap);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f.at("010.000.000.001.53000-010.000.000.002.00053--42-udp"), "tagged");
    EXPECT_EQ(f.at(kQ4), "untagged");
}

TEST_F(UdpE2E, SnaplenCutDatagramIsAZeroFilledRecordedHole) {
    Capture cap;
    Frame cut = query(std::string(100, 'x'));
    const auto wire = static_cast<std::uint32_t>(cut.size());
    cut.resize(cut.size() - 40);   // the capture kept 60 of the 100 payload bytes
    cap.add(cut, wire);
    cap.add(query("tail"));
    const auto r = run(cap);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f.at(kQ4), std::string(60, 'x') + std::string(40, '\0') + "tail");
    const std::string rep = report();
    EXPECT_NE(rep.find("offset='60' length='40'"), std::string::npos) << rep;
    EXPECT_NE(rep.find("snaplen_truncated_bytes"), std::string::npos) << rep;
}

TEST_F(UdpE2E, ConversationsSeparatedByMoreThanTheTimeoutContinueTheFile) {
    std::vector<Record> recs;
    recs.push_back(Record{1600000000, 0, query("first"), 0});
    recs.push_back(Record{1600000000, 1000, answer("reply"), 0});
    recs.push_back(Record{1600000010, 0, query("second"), 0});   // 10 s later, timeout 5 s
    write_pcap(pcap(), 1, recs);
    const auto r = run_tcpflow({"--udp", "-S", "udp_timeout=5", "-r", pcap(), "-o", out()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f.at(kQ4), "firstsecond");
    EXPECT_EQ(f.at(kR4), "reply");
    const std::string rep = report();
    EXPECT_NE(rep.find("close_reason='timeout'"), std::string::npos) << rep;
    EXPECT_NE(rep.find("resumed='1'"), std::string::npos) << rep;
    // With the default timeout (60 s) the conversation never ends in between.
    TempDir again;
    const auto r2 = run_tcpflow({"--udp", "-r", pcap(), "-o", again.path()});
    EXPECT_EQ(r2.exit_code, 0) << r2.err;
    EXPECT_EQ(read_tree(again.path())["report.xml"].find("close_reason='timeout'"), std::string::npos);
}

TEST_F(UdpE2E, UdpAndTcpOnTheSameAddressesAndPortsNeverShareAFile) {
    Capture cap;
    TcpSpec t;
    t.src = ip("10.0.0.1");
    t.dst = ip("10.0.0.2");
    t.sport = 53000;
    t.dport = 53;
    t.seq = 100;
    t.payload = "tcp-bytes";
    cap.add(eth_tcp(t));
    cap.add(query("udp-bytes"));
    const auto r = run(cap);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    ASSERT_EQ(f.size(), 2u);
    EXPECT_EQ(f.at("010.000.000.001.53000-010.000.000.002.00053"), "tcp-bytes");
    EXPECT_EQ(f.at(kQ4), "udp-bytes");
}

TEST_F(UdpE2E, VxlanCarrierIsNotAUdpFlow) {
    TcpSpec t;
    t.src = ip("192.168.0.1");
    t.dst = ip("192.168.0.2");
    t.sport = 1234;
    t.dport = 80;
    t.seq = 1;
    t.payload = "inner-tcp";
    Frame vx = {0x08, 0, 0, 0, 0, 0, 0x07, 0};   // VXLAN, VNI 7
    const Frame inner = eth_tcp(t);
    vx.insert(vx.end(), inner.begin(), inner.end());
    const Frame u = udp_datagram(40000, 4789, bytes(vx));
    Capture cap;
    cap.add(ethernet_frame(0x0800, bytes(ipv4_packet(ip("10.0.0.1"), ip("10.0.0.2"), 17, bytes(u)))));
    const auto r = run(cap);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    ASSERT_EQ(f.size(), 1u) << (f.empty() ? "" : f.begin()->first);
    EXPECT_EQ(f.at("192.168.000.001.01234-192.168.000.002.00080"), "inner-tcp");
}

TEST_F(UdpE2E, LengthFramingKeepsDatagramBoundaries) {
    Capture cap;
    cap.add(query("abc"));
    cap.add(query(""));
    cap.add(query("hello"));
    const auto r = run(cap, {"--udp", "--udp-framing", "length"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f.at(kQ4), "\0\3abc\0\0\0\5hello"s);
    // The framing implies --udp; an unknown framing is a usage error.
    TempDir t;
    EXPECT_EQ(run_tcpflow({"--udp-framing=length", "-r", pcap(), "-o", t.path()}).exit_code, 0);
    EXPECT_EQ(read_file(t / kQ4), "\0\3abc\0\0\0\5hello"s);
    EXPECT_EQ(run_tcpflow({"--udp", "--udp-framing", "bytes", "-r", pcap(), "-o", out() + "3"}).exit_code, 2);
}

TEST_F(UdpE2E, ConsolePrintsEachDatagramAsABlockWithItsHeader) {
    Capture cap;
    cap.add(query("one"));
    cap.add(answer("two"));
    cap.add(query("three"));
    cap.write(pcap());
    const auto r = run_tcpflow({"--udp", "-c", "-r", pcap()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, kQ4 + ": one\n" + kR4 + ": two\n" + kQ4 + ": three\n");
    const auto j = run_tcpflow({"--udp", "-c", "-J", "-r", pcap()});
    EXPECT_EQ(j.exit_code, 0) << j.err;
    EXPECT_NE(j.out.find("\"dst_port\":53,\"protocol\":\"udp\",\"payload\": [111,110,101]}"), std::string::npos) << j.out;
    const auto g = run_tcpflow({"--udp", "-c", "-g", "-r", pcap()});
    EXPECT_EQ(g.out.substr(0, 7), "\033[0;34m") << g.out;   // the first sender is the client: blue
}

TEST_F(UdpE2E, UsedUdpPacketsAreNoLongerUnusedAndMd5IsReported) {
    Capture cap;
    cap.add(query("abc"));
    cap.write(pcap());
    const std::string w1 = dir / "unused1.pcap", w2 = dir / "unused2.pcap";
    auto r = run_tcpflow({"-w", w1, "-r", pcap(), "-o", out()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    r = run_tcpflow({"--udp", "-e", "md5", "-w", w2, "-r", pcap(), "-o", dir / "o2"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_GT(read_file(w1).size(), 24u);    // the datagram, unused without --udp
    EXPECT_EQ(read_file(w2).size(), 24u);    // only the pcap header: it was used
    const std::string rep = read_file(dir / "o2" + "/report.xml");
    EXPECT_NE(rep.find("900150983cd24fb0d6963f7d28e17f72"), std::string::npos) << rep;   // md5("abc")
}

TEST_F(UdpE2E, PcapPerFlowAndProtocolEscape) {
    Capture cap;
    cap.add(query("abc"));
    auto r = run(cap, {"--udp", "-K"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto f = files();
    ASSERT_EQ(f.size(), 1u);
    EXPECT_EQ(f.begin()->first, kQ4 + ".pcap");
    TempDir t;
    r = run_tcpflow({"--udp", "-T", "%A.%a-%B.%b.%P", "-r", pcap(), "-o", t.path()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    f = read_tree(t.path());
    EXPECT_EQ(f.count("010.000.000.001.53000-010.000.000.002.00053.udp"), 1u);
}

TEST_F(UdpE2E, FilterExpressionAndJobsApply) {
    Capture cap;
    for (int i = 0; i < 50; ++i) {
        cap.add(eth_udp("10.0.0.1", "10.0.0.2", static_cast<std::uint16_t>(40000 + i), 53, "q" + std::to_string(i)));
        cap.add(eth_udp("10.0.0.2", "10.0.0.1", 53, static_cast<std::uint16_t>(40000 + i), "a" + std::to_string(i)));
        cap.add(eth_udp("10.0.0.1", "10.0.0.3", 5000, 514, "log" + std::to_string(i)));
    }
    cap.write(pcap());
    auto r = run_tcpflow({"--udp", "-r", pcap(), "-o", out(), "udp port 53"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto one = files();
    EXPECT_EQ(one.size(), 100u);
    TempDir j;
    r = run_tcpflow({"--udp", "-j", "3", "-r", pcap(), "-o", j.path(), "udp port 53"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto many = read_tree(j.path());
    many.erase("report.xml");
    EXPECT_EQ(many, one);
}

}  // namespace
}  // namespace tcpflow::test
