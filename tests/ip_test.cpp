// IPv4 (options, lengths), IPv6 (extension headers, jumbograms) and the TCP header.
#include <gtest/gtest.h>

#include "support/decode_helpers.h"
#include "tcpflow/decode/ip.h"

using namespace tcpflow;
using namespace tcpflow::test;

namespace {

Frame v4(const TcpSpec& t, const Ipv4Spec& s = {}, std::uint8_t proto = 6) {
    const Frame seg = tcp_header_and_payload(t);
    return ipv4_packet(t.src, t.dst, proto, bytes(seg), s);
}

Frame v6_ext(const TcpSpec& t, const Frame& ext, std::uint8_t first_nh, int plen = -1) {
    const Frame seg = tcp_header_and_payload(t);
    return ipv6_packet(t.src, t.dst, 6, bytes(seg), bytes(ext), first_nh, plen);
}

// A generic 8-byte extension header (HBH/routing/dstopts) with `nh` next.
Frame ext8(std::uint8_t nh) { return Frame{nh, 0, 1, 4, 0, 0, 0, 0}; }   // PadN option filling it

DecodeStatus run(const Frame& f, DecodedPacket& out, Harness& h, LinkType lt = LinkType::raw) {
    return h.decode(lt, f, out);
}

}  // namespace

TEST(Ipv4, OptionsSkippedByIhl) {
    Ipv4Spec s;
    s.options = {0x94, 0x04, 0, 0, 0x01, 0x01, 0x01, 0x00};   // router alert, NOPs, EOL
    const Frame f = v4(spec4(), s);
    expect_segment(LinkType::raw, f, spec4());
    expect_truncations_clean(LinkType::raw, f, 5);
}

TEST(Ipv4, BadHeaderLengths) {
    Harness h;
    DecodedPacket out;
    Frame f = v4(spec4());
    f[0] = 0x44;   // IHL 4
    EXPECT_EQ(run(f, out, h), DecodeStatus::malformed);
    EXPECT_EQ(h.stats.get(Counter::bad_ip_header_length), 1u);
    Ipv4Spec s;
    s.total_length = 19;
    EXPECT_EQ(run(v4(spec4(), s), out, h), DecodeStatus::malformed);
    EXPECT_EQ(h.stats.get(Counter::bad_ip_total_length), 1u);
    f = v4(spec4());
    f[0] = 0x4f;   // IHL 15 = 60 bytes, beyond the packet
    EXPECT_EQ(run(f, out, h), DecodeStatus::malformed);
    EXPECT_EQ(h.stats.get(Counter::truncated_ip_header), 1u);
}

TEST(Ipv4, TotalLengthBoundsPayload) {
    // Trailing bytes beyond the total length are never payload.
    Frame f = v4(spec4());
    f.insert(f.end(), {9, 9, 9, 9, 9, 9});
    expect_segment(LinkType::raw, f, spec4());
    // Total length larger than captured: snaplen cut the payload.
    Harness h;
    DecodedPacket out;
    const Frame full = v4(spec4("0123456789"));
    const Frame cut(full.begin(), full.end() - 4);
    ASSERT_EQ(run(cut, out, h), DecodeStatus::transport);
    EXPECT_EQ(out.claimed_len, 10u);
    EXPECT_EQ(std::string(out.payload.begin(), out.payload.end()), "012345");
}

TEST(Ipv4, TotalLengthZeroTakesCapturedLength) {
    Ipv4Spec s;
    s.total_length = 0;
    const std::string big(3000, 'x');
    const Frame f = v4(spec4(big), s);
    expect_segment(LinkType::raw, f, spec4(big));
}

TEST(Ipv4, NonTcpProtocols) {
    Harness h;
    DecodedPacket out;
    // ICMP quoting a TCP header is not a segment.
    const Frame quoted = v4(spec4());
    Frame icmp = {3, 3, 0, 0, 0, 0, 0, 0};
    icmp.insert(icmp.end(), quoted.begin(), quoted.end());
    EXPECT_EQ(run(ipv4_packet(ip("10.0.0.9"), ip("10.0.0.1"), 1, bytes(icmp)), out, h), DecodeStatus::no_transport);
    // Plain UDP.
    const Frame udp = udp_datagram(53, 53, bytes(Frame(20, 1)));
    EXPECT_EQ(run(ipv4_packet(ip("10.0.0.9"), ip("10.0.0.1"), 17, bytes(udp)), out, h), DecodeStatus::no_transport);
    EXPECT_EQ(run(ipv4_packet(ip("10.0.0.9"), ip("10.0.0.1"), 132, bytes(udp)), out, h), DecodeStatus::no_transport);
    EXPECT_EQ(h.stats.get(Counter::not_tcp), 3u);
    EXPECT_EQ(reasons(h.stats), 3u);
}

TEST(Tcp, HeaderFieldsAndWindowScale) {
    TcpSpec t = spec4("data");
    t.flags = tcp_flags::syn | tcp_flags::ack;
    t.window = 29200;
    t.seq = 0xfffffff0u;
    t.options = {2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7};   // MSS, SACK-permitted, NOP, wscale 7
    const Frame f = v4(t);
    expect_segment(LinkType::raw, f, t);
    Harness h;
    DecodedPacket out;
    ASSERT_EQ(run(f, out, h), DecodeStatus::transport);
    EXPECT_EQ(out.tcp.window_scale, 7);
    EXPECT_FALSE(out.has_mac);
    EXPECT_EQ(out.tunnel.kind, 0);
    ASSERT_EQ(run(v4(spec4()), out, h), DecodeStatus::transport);
    EXPECT_EQ(out.tcp.window_scale, -1);
    expect_truncations_clean(LinkType::raw, f, 4);
}

TEST(Tcp, BadDataOffset) {
    Harness h;
    DecodedPacket out;
    Frame f = v4(spec4());
    f[20 + 12] = 0x40;   // data offset 4
    EXPECT_EQ(run(f, out, h), DecodeStatus::malformed);
    EXPECT_EQ(h.stats.get(Counter::bad_tcp_header_length), 1u);
    f[20 + 12] = 0xf0;   // 60 bytes, beyond the 25-byte segment
    EXPECT_EQ(run(f, out, h), DecodeStatus::malformed);
    EXPECT_EQ(h.stats.get(Counter::bad_tcp_header_length), 2u);
    // Options cut by the snaplen: truncated TCP header.
    TcpSpec t = spec4("");
    t.options = {1, 1, 1, 1, 1, 1, 1, 1};
    const Frame full = v4(t);
    const Frame cut(full.begin(), full.end() - 4);
    EXPECT_EQ(run(cut, out, h), DecodeStatus::malformed);
    EXPECT_EQ(h.stats.get(Counter::truncated_tcp_header), 1u);
}

TEST(Ipv6, PlainAndTruncations) {
    const Frame f = ip_tcp(spec6());
    expect_segment(LinkType::raw, f, spec6());
    expect_truncations_clean(LinkType::ipv6, f, 5);
    // Trailer beyond the payload length is not payload.
    Frame t = f;
    t.insert(t.end(), {7, 7, 7, 7});
    expect_segment(LinkType::raw, t, spec6());
}

TEST(Ipv6, ExtensionHeadersWalked) {
    const TcpSpec t = spec6();
    // Hop-by-hop, routing (segments left 0), destination options, atomic fragment, AH.
    const Frame atomic = {6, 0, 0, 0, 0x12, 0x34, 0x56, 0x78};
    const Frame ah = {6, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0};   // (2+2)*4 = 16 bytes
    const std::vector<std::pair<Frame, std::uint8_t>> cases = {
        {ext8(6), ip_proto::hopopts},
        {ext8(6), ip_proto::routing},
        {ext8(6), ip_proto::dstopts},
        {atomic, ip_proto::fragment},
        {ah, ip_proto::ah},
        {cat({ext8(ip_proto::routing), ext8(ip_proto::fragment), Frame{ip_proto::dstopts, 0, 0, 0, 0, 0, 0, 9},
              ext8(ip_proto::ah), ah}),
         ip_proto::hopopts},
    };
    for (const auto& [ext, nh] : cases) {
        SCOPED_TRACE(static_cast<int>(nh));
        const Frame f = v6_ext(t, ext, nh);
        expect_segment(LinkType::raw, f, t);
        expect_truncations_clean(LinkType::raw, f, 5);
    }
}

TEST(Ipv6, NoNextHeaderAndEspAreNotTcp) {
    Harness h;
    DecodedPacket out;
    EXPECT_EQ(run(ipv6_packet(ip("::1"), ip("::2"), 59, {}), out, h), DecodeStatus::no_transport);
    EXPECT_EQ(run(ipv6_packet(ip("::1"), ip("::2"), 50, bytes(Frame(16, 0))), out, h), DecodeStatus::no_transport);
    EXPECT_EQ(run(ipv6_packet(ip("::1"), ip("::2"), 58, bytes(Frame(16, 0))), out, h), DecodeStatus::no_transport);
    EXPECT_EQ(h.stats.get(Counter::not_tcp), 3u);
}

TEST(Ipv6, ExtensionHeaderBeyondPayloadLength) {
    Harness h;
    DecodedPacket out;
    Frame ext = ext8(6);
    ext[1] = 20;   // claims 168 bytes
    EXPECT_EQ(run(v6_ext(spec6(), ext, 0), out, h), DecodeStatus::malformed);
    EXPECT_EQ(h.stats.get(Counter::bad_ipv6_extension_header), 1u);
}

TEST(Ipv6, JumbogramTakesJumboLength) {
    const std::string big(70000, 'j');
    const TcpSpec t = spec6(big);
    const Frame seg = tcp_header_and_payload(t);
    Frame hbh = {6, 0, 0xc2, 4};
    put32be(hbh, static_cast<std::uint32_t>(8 + seg.size()));
    const Frame f = ipv6_packet(t.src, t.dst, 6, bytes(seg), bytes(hbh), 0, 0);
    expect_segment(LinkType::raw, f, t);
    // Payload length 0 without a jumbo option: the captured length.
    expect_segment(LinkType::raw, ipv6_packet(t.src, t.dst, 6, bytes(seg), {}, -1, 0), t);
}
