// Tunnels: GRE, ERSPAN II/III, VXLAN, Geneve, IP-in-IP, Teredo; nesting bound.
#include <gtest/gtest.h>

#include "support/decode_helpers.h"
#include "tcpflow/decode/tunnel.h"

using namespace tcpflow;
using namespace tcpflow::test;

namespace {

IpAddress outer_src() { return ip("192.0.2.1"); }
IpAddress outer_dst() { return ip("192.0.2.2"); }

Frame over_ipv4(std::uint8_t proto, const Frame& payload) {
    const Frame p = ipv4_packet(outer_src(), outer_dst(), proto, bytes(payload));
    return ethernet_frame(0x0800, bytes(p));
}

Frame gre(std::uint16_t flags, std::uint16_t proto, std::vector<std::uint32_t> words, const Frame& payload) {
    Frame f;
    put16be(f, flags);
    put16be(f, proto);
    for (auto w : words) put32be(f, w);
    return cat({f, payload});
}

Frame vxlan(std::uint32_t vni, const Frame& inner_eth) {
    Frame h = {0x08, 0, 0, 0};
    put32be(h, vni << 8);
    return cat({h, inner_eth});
}

Frame geneve(std::uint32_t vni, std::uint16_t proto, std::size_t opt_words, const Frame& inner) {
    Frame h = {static_cast<std::uint8_t>(opt_words), 0};
    put16be(h, proto);
    put32be(h, vni << 8);
    for (std::size_t i = 0; i < opt_words; ++i) put32be(h, 0x01020304);
    return cat({h, inner});
}

DecodedPacket decode_ok(const Frame& f, const TcpSpec& t) {
    expect_segment(LinkType::ethernet, f, t);
    Harness h;
    DecodedPacket out;
    EXPECT_EQ(h.decode(LinkType::ethernet, f, out), DecodeStatus::transport);
    return out;
}

}  // namespace

TEST(Tunnel, GrePlainKeyChecksumSequence) {
    const Frame inner = ip_tcp(spec4());
    struct Case {
        std::uint16_t flags;
        std::vector<std::uint32_t> words;
        std::uint32_t key;
    };
    for (const auto& c : std::vector<Case>{{0x0000, {}, 0},
                                           {0x2000, {0xabcd}, 0xabcd},
                                           {0xb000, {0x1111, 0x77, 0x5}, 0x77}}) {
        const Frame f = over_ipv4(47, gre(c.flags, 0x0800, c.words, inner));
        const DecodedPacket out = decode_ok(f, spec4());
        EXPECT_EQ(out.tunnel.kind, static_cast<std::uint8_t>(TunnelKind::gre));
        EXPECT_EQ(out.tunnel.outer_src, outer_src());
        EXPECT_EQ(out.tunnel.outer_dst, outer_dst());
        EXPECT_EQ(out.tunnel.id, c.key);
        expect_truncations_clean(LinkType::ethernet, f, 5);
    }
    // IPv6 inside GRE, and transparent Ethernet bridging.
    decode_ok(over_ipv4(47, gre(0, 0x86dd, {}, ip_tcp(spec6()))), spec6());
    decode_ok(over_ipv4(47, gre(0, 0x6558, {}, eth_tcp(spec4()))), spec4());
    // GRE carrying something else (PPP LCP over PPTP GRE v1) is not IP.
    Harness h;
    DecodedPacket out;
    const Frame lcp = {0xff, 0x03, 0xc0, 0x21, 1, 1, 0, 4};
    EXPECT_EQ(h.decode(LinkType::ethernet, over_ipv4(47, gre(0x3081, 0x880b, {0x00080001, 1, 1}, lcp)), out),
              DecodeStatus::no_transport);
    EXPECT_EQ(reasons(h.stats), 1u);
    // ... while PPTP GRE carrying IPv4 in PPP decodes.
    decode_ok(over_ipv4(47, gre(0x3081, 0x880b, {0x00080001, 1, 1}, cat({Frame{0xff, 0x03, 0x00, 0x21}, inner}))), spec4());
}

TEST(Tunnel, Erspan) {
    const Frame inner = eth_tcp(spec4(), {{0x8100, 99}});
    // Type II: GRE with sequence number, 8-byte ERSPAN header (ver 1, vlan, session 0x155).
    Frame e2;
    put16be(e2, 0x1000 | 99);
    put16be(e2, 0x0155);
    put32be(e2, 0);
    const Frame f2 = over_ipv4(47, gre(0x1000, 0x88be, {7}, cat({e2, inner})));
    DecodedPacket out = decode_ok(f2, spec4());
    EXPECT_EQ(out.tunnel.kind, static_cast<std::uint8_t>(TunnelKind::erspan));
    EXPECT_EQ(out.tunnel.id, 0x155u);
    EXPECT_EQ(out.vlans.count, 1);
    EXPECT_EQ(out.vlans.ids[0], 99);
    expect_truncations_clean(LinkType::ethernet, f2, 5);
    // Type III with the optional platform sub-header.
    Frame e3;
    put16be(e3, 0x2000);
    put16be(e3, 0x0042);
    put32be(e3, 12345);   // timestamp
    put16be(e3, 0);       // SGT
    put16be(e3, 0x0001);  // O bit
    put32be(e3, 0);
    put32be(e3, 0);
    const Frame f3 = over_ipv4(47, gre(0x1000, 0x22eb, {8}, cat({e3, inner})));
    out = decode_ok(f3, spec4());
    EXPECT_EQ(out.tunnel.kind, static_cast<std::uint8_t>(TunnelKind::erspan));
    EXPECT_EQ(out.tunnel.id, 0x42u);
    expect_truncations_clean(LinkType::ethernet, f3, 5);
    // Type I: no sequence number, no ERSPAN header.
    decode_ok(over_ipv4(47, gre(0, 0x88be, {}, inner)), spec4());
}

TEST(Tunnel, Vxlan) {
    const Frame f = over_ipv4(17, udp_datagram(40000, 4789, bytes(vxlan(0x123456, eth_tcp(spec4(), {{0x8100, 12}})))));
    const DecodedPacket out = decode_ok(f, spec4());
    EXPECT_EQ(out.tunnel.kind, static_cast<std::uint8_t>(TunnelKind::vxlan));
    EXPECT_EQ(out.tunnel.id, 0x123456u);
    EXPECT_EQ(out.tunnel.outer_sport, 40000);
    EXPECT_EQ(out.tunnel.outer_dport, 4789);
    EXPECT_EQ(out.tunnel.outer_src, outer_src());
    EXPECT_EQ(out.vlans.count, 1);
    // The outer Ethernet's MACs are the frame's.
    EXPECT_TRUE(out.has_mac);
    expect_truncations_clean(LinkType::ethernet, f, 5);
}

TEST(Tunnel, Geneve) {
    const Frame f = over_ipv4(17, udp_datagram(1000, 6081, bytes(geneve(77, 0x6558, 2, eth_tcp(spec6())))));
    const DecodedPacket out = decode_ok(f, spec6());
    EXPECT_EQ(out.tunnel.kind, static_cast<std::uint8_t>(TunnelKind::geneve));
    EXPECT_EQ(out.tunnel.id, 77u);
    EXPECT_EQ(out.tunnel.outer_dport, 6081);
    expect_truncations_clean(LinkType::ethernet, f, 5);
    decode_ok(over_ipv4(17, udp_datagram(1000, 6081, bytes(geneve(5, 0x0800, 0, ip_tcp(spec4()))))), spec4());
}

TEST(Tunnel, IpInIpAllFour) {
    const std::vector<std::pair<bool, bool>> combos = {{false, false}, {false, true}, {true, false}, {true, true}};
    for (const auto& [outer6, inner6] : combos) {
        const TcpSpec t = inner6 ? spec6() : spec4();
        const Frame inner = ip_tcp(t);
        const std::uint8_t proto = inner6 ? 41 : 4;
        const IpAddress os = outer6 ? ip("2001:db8:ffff::1") : outer_src();
        const IpAddress od = outer6 ? ip("2001:db8:ffff::2") : outer_dst();
        const Frame op = outer6 ? ipv6_packet(os, od, proto, bytes(inner)) : ipv4_packet(os, od, proto, bytes(inner));
        const Frame f = ethernet_frame(outer6 ? 0x86dd : 0x0800, bytes(op));
        const DecodedPacket out = decode_ok(f, t);
        EXPECT_EQ(out.tunnel.kind, static_cast<std::uint8_t>(TunnelKind::ip_in_ip));
        EXPECT_EQ(out.tunnel.outer_src, os);
        EXPECT_EQ(out.tunnel.outer_dst, od);
        expect_truncations_clean(LinkType::ethernet, f, 5);
    }
}

TEST(Tunnel, TeredoOnAnyPortRecognisedByContent) {
    const Frame inner = ip_tcp(spec6());
    Frame auth = {0x00, 0x01, 2, 3, 'i', 'd', 'a', 'u', 't'};
    for (int i = 0; i < 9; ++i) auth.push_back(0);   // nonce + confirmation
    const Frame origin = {0x00, 0x00, 0x12, 0x34, 1, 2, 3, 4};
    for (const Frame& prefix : {Frame{}, auth, origin, cat({auth, origin})}) {
        for (std::uint16_t port : {std::uint16_t{3544}, std::uint16_t{51000}}) {
            const Frame f = over_ipv4(17, udp_datagram(port, 3544, bytes(cat({prefix, inner}))));
            const DecodedPacket out = decode_ok(f, spec6());
            EXPECT_EQ(out.tunnel.kind, static_cast<std::uint8_t>(TunnelKind::teredo));
            EXPECT_EQ(out.tunnel.outer_sport, port);
        }
    }
    expect_truncations_clean(LinkType::ethernet, over_ipv4(17, udp_datagram(3544, 3544, bytes(inner))), 5);
    // A payload that does not fill the UDP datagram exactly is plain UDP.
    Harness h;
    DecodedPacket out;
    Frame longer = inner;
    longer.push_back(0);
    EXPECT_EQ(h.decode(LinkType::ethernet, over_ipv4(17, udp_datagram(3544, 3544, bytes(longer))), out),
              DecodeStatus::no_transport);
    Frame v4ish = inner;
    v4ish[0] = 0x45;
    EXPECT_EQ(h.decode(LinkType::ethernet, over_ipv4(17, udp_datagram(3544, 3544, bytes(v4ish))), out),
              DecodeStatus::no_transport);
    EXPECT_EQ(h.stats.get(Counter::not_tcp), 2u);
}

TEST(Tunnel, NestingIsBounded) {
    Frame p = ip_tcp(spec4());
    for (int i = 0; i < 3; ++i) p = ipv4_packet(outer_src(), outer_dst(), 4, bytes(p));
    const DecodedPacket out = decode_ok(ethernet_frame(0x0800, bytes(p)), spec4());
    EXPECT_EQ(out.tunnel.kind, static_cast<std::uint8_t>(TunnelKind::ip_in_ip));
    for (int i = 0; i < 20; ++i) p = ipv4_packet(outer_src(), outer_dst(), 4, bytes(p));
    Harness h;
    DecodedPacket o;
    EXPECT_EQ(h.decode(LinkType::raw, p, o), DecodeStatus::malformed);
    EXPECT_EQ(h.stats.get(Counter::tunnel_too_deep), 1u);
    // Ethernet in GRE in ... nested many times also stops.
    Frame e = eth_tcp(spec4());
    for (int i = 0; i < 20; ++i) e = over_ipv4(47, gre(0, 0x6558, {}, e));
    EXPECT_EQ(h.decode(LinkType::ethernet, e, o), DecodeStatus::malformed);
    EXPECT_EQ(h.stats.get(Counter::tunnel_too_deep), 2u);
}
