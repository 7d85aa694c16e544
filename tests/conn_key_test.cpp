// ConnKey and make_key: one key for both directions, what tells connections apart (SPEC 4: the
// transport, family, addresses, ports, every VLAN ID and the tunnel), and the hash agreeing.
#include <gtest/gtest.h>

#include <utility>

#include "support/packet_builder.h"
#include "tcpflow/flow/conn_key.h"

namespace tcpflow {
namespace {

using test::ip;

DecodedPacket pkt(const char* src, std::uint16_t sport, const char* dst, std::uint16_t dport) {
    DecodedPacket p;
    p.src = ip(src);
    p.dst = ip(dst);
    p.sport = sport;
    p.dport = dport;
    return p;
}

DecodedPacket reversed(DecodedPacket p) {
    std::swap(p.src, p.dst);
    std::swap(p.sport, p.dport);
    std::swap(p.tunnel.outer_src, p.tunnel.outer_dst);
    std::swap(p.tunnel.outer_sport, p.tunnel.outer_dport);
    return p;
}

std::uint64_t h(const ConnKey& k) { return ConnKeyHash{}(k); }

TEST(ConnKey, BothDirectionsHaveOneKeyAndOppositeDirections) {
    for (const auto& p : {pkt("10.0.0.1", 1234, "10.0.0.2", 80), pkt("10.0.0.2", 80, "10.0.0.1", 1234),
                          pkt("2001:db8::1", 443, "2001:db8::2", 50000), pkt("10.0.0.1", 80, "10.0.0.1", 1234)}) {
        int d1 = -1, d2 = -1;
        const ConnKey a = make_key(p, d1), b = make_key(reversed(p), d2);
        EXPECT_EQ(a, b);
        EXPECT_EQ(h(a), h(b));
        EXPECT_NE(d1, d2);
        EXPECT_TRUE(d1 == 0 || d1 == 1);
    }
}

TEST(ConnKey, DirectionZeroIsFromTheLowerEndpoint) {
    int d = -1;
    const ConnKey k = make_key(pkt("10.0.0.1", 1234, "10.0.0.2", 80), d);
    EXPECT_EQ(d, 0);
    EXPECT_EQ(k.lo, ip("10.0.0.1"));
    EXPECT_EQ(k.lo_port, 1234);
    EXPECT_EQ(k.hi_port, 80);
    make_key(pkt("10.0.0.1", 80, "10.0.0.1", 1234), d);
    EXPECT_EQ(d, 0) << "same address: the lower port";
}

TEST(ConnKey, EveryFieldOfTheKeyTellsConnectionsApart) {
    int d = 0;
    const DecodedPacket base = pkt("10.0.0.1", 1234, "10.0.0.2", 80);
    const ConnKey k = make_key(base, d);
    std::vector<DecodedPacket> others(7, base);
    others[0].sport = 1235;
    others[1].dst = ip("10.0.0.3");
    others[2].proto = Transport::udp;
    others[3].vlans = VlanStack{1, {5}};
    others[4].vlans = VlanStack{2, {5, 6}};
    others[5].vlans = VlanStack{3, {5, 6, 7}};   // the third tag is part of the key, not the hash
    others[6].tunnel.kind = static_cast<std::uint8_t>(TunnelKind::vxlan);
    for (std::size_t i = 0; i < others.size(); ++i) EXPECT_NE(make_key(others[i], d), k) << i;
    EXPECT_NE(make_key(others[4], d), make_key(others[5], d));
    EXPECT_NE(h(make_key(others[0], d)), h(k));
    EXPECT_NE(h(make_key(others[2], d)), h(k));
    EXPECT_NE(h(make_key(others[3], d)), h(k));
}

TEST(ConnKey, ATunnelIsTheSameBothWays) {
    DecodedPacket p = pkt("192.168.0.1", 1234, "192.168.0.2", 80);
    p.tunnel.kind = static_cast<std::uint8_t>(TunnelKind::vxlan);
    p.tunnel.outer_src = ip("172.16.0.2");   // the outer header runs the other way round
    p.tunnel.outer_dst = ip("172.16.0.1");
    p.tunnel.outer_sport = 40000;
    p.tunnel.outer_dport = 4789;
    p.tunnel.id = 42;
    int d1 = 0, d2 = 0;
    const ConnKey a = make_key(p, d1), b = make_key(reversed(p), d2);
    EXPECT_EQ(a, b);
    EXPECT_EQ(h(a), h(b));
    DecodedPacket other_vni = p;
    other_vni.tunnel.id = 43;
    EXPECT_NE(make_key(other_vni, d1), a);
}

}  // namespace
}  // namespace tcpflow
