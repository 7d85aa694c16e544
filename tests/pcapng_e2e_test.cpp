// A pcapng written here with three interfaces (Ethernet, raw IP, Linux cooked v2) of different
// snaplens and time resolutions, in two sections (the second big-endian, its interfaces in
// another order), with a custom block, packets of the three connections interleaved: every
// connection is decoded, file times and report times are the packets' own, the BPF filter is
// applied with each link type's own program; libpcap's reader (-S reader=libpcap) stops at the
// second interface.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <ctime>

#include <string>
#include <vector>

#include "support/packet_builder.h"
#include "support/pcapng_writer.h"
#include "support/run.h"

using namespace tcpflow::test;

namespace {

constexpr std::uint8_t SYN = 0x02, ACK = 0x10, PSH = 0x08, FIN = 0x01;
constexpr std::int64_t kBase = 1'600'000'000;   // seconds
constexpr std::int64_t kOffset = 1'500'000'000; // if_tsoffset of the cooked interface

enum class Link { ethernet, raw, sll2 };

struct Conn {
    Link link;
    std::string client, server;
    std::uint16_t sport;
    std::string request, response;
};

const std::vector<Conn> kConns = {
    {Link::ethernet, "10.0.0.1", "10.0.0.2", 1000, "alpha request", "alpha response!"},
    {Link::raw, "10.1.0.1", "10.1.0.2", 2000, "bravo request", "bravo response!!"},
    {Link::sll2, "10.2.0.1", "10.2.0.2", 3000, "charlie request", "charlie response!!!"},
};

Frame sll2(const Frame& ip_packet) {
    // protocol IPv4, reserved, ifindex 1, ARPHRD_ETHER, to us, 6-byte address (8 bytes kept)
    static constexpr std::uint8_t kHeader[20] = {0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 7, 0, 0};
    Frame f(sizeof kHeader + ip_packet.size());
    for (std::size_t i = 0; i < f.size(); ++i) f[i] = i < sizeof kHeader ? kHeader[i] : ip_packet[i - sizeof kHeader];
    return f;
}

Frame frame_for(Link link, const TcpSpec& t) {
    switch (link) {
        case Link::ethernet: return eth_tcp(t);
        case Link::raw: return ip_tcp(t);
        case Link::sll2: return sll2(ip_tcp(t));
    }
    return {};
}

/// Packet i (0-5) of a connection: SYN, SYN-ACK, request, response, FIN, FIN.
Frame packet(const Conn& c, int i) {
    TcpSpec t;
    const bool from_client = i % 2 == 0;
    t.src = ip(from_client ? c.client : c.server);
    t.dst = ip(from_client ? c.server : c.client);
    t.sport = from_client ? c.sport : 80;
    t.dport = from_client ? 80 : c.sport;
    const std::uint32_t cisn = 1000, sisn = 5000;
    const auto rq = static_cast<std::uint32_t>(c.request.size()), rs = static_cast<std::uint32_t>(c.response.size());
    switch (i) {
        case 0: t.seq = cisn; t.flags = SYN; break;
        case 1: t.seq = sisn; t.ack = cisn + 1; t.flags = SYN | ACK; break;
        case 2: t.seq = cisn + 1; t.ack = sisn + 1; t.flags = PSH | ACK; t.payload = c.request; break;
        case 3: t.seq = sisn + 1; t.ack = cisn + 1 + rq; t.flags = PSH | ACK; t.payload = c.response; break;
        case 4: t.seq = cisn + 1 + rq; t.ack = sisn + 1 + rs; t.flags = FIN | ACK; break;
        default: t.seq = sisn + 1 + rs; t.ack = cisn + 2 + rq; t.flags = FIN | ACK; break;
    }
    return frame_for(c.link, t);
}

/// Time of packet i of connection k, in eighths of a second after kBase (exact in every resolution).
std::int64_t eighths(std::size_t k, int i) { return 8 * (i + 1) + static_cast<std::int64_t>(k); }

/// The time in an interface's units: Ethernet microseconds, raw IP nanoseconds, cooked 2^-24 s
/// after its offset.
std::uint64_t units(Link link, std::int64_t e) {
    switch (link) {
        case Link::ethernet: return static_cast<std::uint64_t>(kBase * 1'000'000 + e * 125'000);
        case Link::raw: return static_cast<std::uint64_t>(kBase * 1'000'000'000 + e * 125'000'000);
        case Link::sll2: return (static_cast<std::uint64_t>(kBase - kOffset) << 24) + static_cast<std::uint64_t>(e) * (1u << 21);
    }
    return 0;
}

void write_capture(const std::string& path) {
    PcapngWriter w;
    // Section 1: interfaces 0 Ethernet, 1 raw IP, 2 cooked v2; packets 0-2 of each, interleaved.
    w.section(false);
    w.interface(1, 0);
    w.custom(9);
    w.interface(101, 1500, 9);
    w.interface(276, 200, 0x80 | 24, kOffset);
    const std::uint32_t first_ids[] = {0, 1, 2};
    for (int i = 0; i < 3; ++i)
        for (std::size_t k = 0; k < kConns.size(); ++k)
            w.epb(first_ids[k], units(kConns[k].link, eighths(k, i)), packet(kConns[k], i));
    // Section 2, big-endian: 0 cooked v2, 1 Ethernet, 2 raw IP; the rest.
    w.section(true);
    w.interface(276, 200, 0x80 | 24, kOffset);
    w.custom(3);
    w.interface(1, 65535);
    w.interface(101, 1500, 9);
    const std::uint32_t second_ids[] = {1, 2, 0};
    for (int i = 3; i < 6; ++i)
        for (std::size_t k = kConns.size(); k-- > 0;)
            w.epb(second_ids[k], units(kConns[k].link, eighths(k, i)), packet(kConns[k], i));
    w.write(path);
}

std::string name(const Conn& c, bool client) {
    auto dotted = [](const std::string& a) {
        std::string out;
        std::size_t start = 0;
        for (int part = 0; part < 4; ++part) {
            const auto dot = a.find('.', start);
            const std::string n = a.substr(start, dot - start);
            out += std::string(3 - n.size(), '0') + n + (part < 3 ? "." : "");
            start = dot + 1;
        }
        return out;
    };
    const std::string cp = std::string(5 - std::to_string(c.sport).size(), '0') + std::to_string(c.sport);
    return client ? dotted(c.client) + "." + cp + "-" + dotted(c.server) + ".00080"
                  : dotted(c.server) + ".00080-" + dotted(c.client) + "." + cp;
}

class PcapngE2e : public ::testing::Test {
protected:
    TempDir tmp;
    std::string cap() const { return tmp / "three.pcapng"; }
    void SetUp() override { write_capture(cap()); }
};

}  // namespace

TEST_F(PcapngE2e, EveryInterfaceIsDecodedWithItsOwnLinkType) {
    const auto r = run_tcpflow({"-r", cap(), "-o", tmp / "out"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto files = read_tree(tmp / "out");
    for (const Conn& c : kConns) {
        ASSERT_TRUE(files.contains(name(c, true))) << name(c, true);
        EXPECT_EQ(files.at(name(c, true)), c.request);
        EXPECT_EQ(files.at(name(c, false)), c.response);
    }
    EXPECT_EQ(files.size(), 7u) << "six flow files and report.xml";
}

TEST_F(PcapngE2e, TimesComeFromEachInterfacesResolutionAndOffset) {
    const auto r = run_tcpflow({"-r", cap(), "-o", tmp / "out"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string report = read_file(tmp / "out/report.xml");
    for (std::size_t k = 0; k < kConns.size(); ++k) {
        for (const bool client : {true, false}) {
            // mtime: the direction's first packet (SYN or SYN-ACK).
            const std::int64_t e = eighths(k, client ? 0 : 1);
            struct stat st{};
            ASSERT_EQ(stat((tmp / "out/" + name(kConns[k], client)).c_str(), &st), 0);
            EXPECT_EQ(st.st_mtim.tv_sec, kBase + e / 8) << name(kConns[k], client);
            EXPECT_EQ(st.st_mtim.tv_nsec, (e % 8) * 125'000'000) << name(kConns[k], client);
        }
        // The report: first and last packet of the client direction (packets 0 and 4).
        const std::int64_t first = eighths(k, 0), last = eighths(k, 4);
        auto iso = [](std::int64_t e8) {
            char buf[64];
            const std::time_t t = static_cast<std::time_t>(kBase + e8 / 8);
            std::tm tm{};
            gmtime_r(&t, &tm);
            std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
            return std::string(buf) + "." + std::to_string(1'000'000 + (e8 % 8) * 125'000).substr(1);
        };
        const std::string flow = "<filename>" + (tmp / "out/" + name(kConns[k], true)) + "</filename>";
        const auto at = report.find(flow);
        ASSERT_NE(at, std::string::npos) << flow << "\n" << report;
        const auto tcp = report.find("<tcpflow ", at);
        ASSERT_NE(tcp, std::string::npos);
        const std::string line = report.substr(tcp, report.find('\n', tcp) - tcp);
        EXPECT_NE(line.find("startime='" + iso(first)), std::string::npos) << line;
        EXPECT_NE(line.find("endtime='" + iso(last)), std::string::npos) << line;
    }
}

TEST_F(PcapngE2e, TheFilterIsCompiledForEachLinkType) {
    // Host offsets differ on the three link types: a program compiled for Ethernet alone would
    // miss the cooked frames (and could match garbage in the raw ones).
    const auto r = run_tcpflow({"-r", cap(), "-o", tmp / "out", "host", "10.0.0.1", "or", "host", "10.2.0.1"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto files = read_tree(tmp / "out");
    EXPECT_TRUE(files.contains(name(kConns[0], true)));
    EXPECT_TRUE(files.contains(name(kConns[2], false)));
    EXPECT_FALSE(files.contains(name(kConns[1], true)));
    EXPECT_EQ(files.size(), 5u) << "four flow files and report.xml";
}

TEST_F(PcapngE2e, AFilterThatCannotApplyToALinkTypeSkipsItsPacketsWithOneWarning) {
    const auto r = run_tcpflow({"-r", cap(), "-o", tmp / "out", "ether", "host", "02:00:00:00:00:01", "or", "tcp"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto files = read_tree(tmp / "out");
    EXPECT_TRUE(files.contains(name(kConns[0], true)));
    EXPECT_FALSE(files.contains(name(kConns[1], true))) << "raw IP has no Ethernet header";
    EXPECT_NE(r.err.find("the filter cannot apply to link type 12"), std::string::npos) << r.err;
}

TEST_F(PcapngE2e, LibpcapsReaderStopsAtTheSecondInterface) {
    const auto r = run_tcpflow({"-S", "reader=libpcap", "-r", cap(), "-o", tmp / "out"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("libpcap cannot read past this point"), std::string::npos) << r.err;
}

namespace {

/// Interface 0 of link type 147 (USER0, no decoder), interface 1 Ethernet with the first
/// connection; two USER0 frames among its packets.
void write_unsupported_first(const std::string& path) {
    PcapngWriter w;
    w.section(false);
    w.interface(147, 0);
    w.interface(1, 0);
    for (int i = 0; i < 6; ++i) {
        if (i == 0 || i == 3) w.epb(0, units(Link::ethernet, eighths(0, i)), Frame(40, 0xab));
        w.epb(1, units(Link::ethernet, eighths(0, i)), packet(kConns[0], i));
    }
    w.write(path);
}

}  // namespace

// Bug: a pcapng whose first interface had a link type with no decoder stopped with "unsupported
// link type" (status 1) though a later one was decodable; a later unsupported interface was
// already skipped. Now the first is skipped the same way: counted, one warning, status 0.
TEST_F(PcapngE2e, AnUnsupportedFirstInterfaceIsSkippedLikeALaterOne) {
    const std::string path = tmp / "user0-first.pcapng";
    write_unsupported_first(path);
    for (const bool filtered : {false, true}) {
        const std::string out = tmp / (filtered ? "filtered" : "out");
        std::vector<std::string> args = {"-r", path, "-o", out};
        if (filtered) args.push_back("tcp");
        const auto r = run_tcpflow(args);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_NE(r.err.find("147"), std::string::npos) << r.err;
        const auto files = read_tree(out);
        ASSERT_TRUE(files.contains(name(kConns[0], true))) << r.err;
        EXPECT_EQ(files.at(name(kConns[0], true)), kConns[0].request);
        EXPECT_EQ(files.at(name(kConns[0], false)), kConns[0].response);
        EXPECT_EQ(files.size(), 3u) << "two flow files and report.xml";
        if (!filtered) {
            const std::string report = read_file(out + "/report.xml");
            EXPECT_NE(report.find("unknown_link_type'>2<"), std::string::npos) << report;
            EXPECT_NE(report.find("packets'>8<"), std::string::npos) << report;
        }
    }
}
