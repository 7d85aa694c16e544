// flow_hash: the symmetric hash -j and --shard share, and the two reductions: both directions land
// together, everything that can share a file name lands together, shards partition the
// connections evenly, and a shard's connections still spread over its -j workers.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "support/packet_builder.h"
#include "tcpflow/app/worker_pool.h"
#include "tcpflow/flow/flow_hash.h"

namespace tcpflow {
namespace {

using test::ip;

DecodedPacket pkt(const std::string& src, std::uint16_t sport, const std::string& dst, std::uint16_t dport) {
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
    return p;
}

/// Client i of a typical capture: many clients, one server port.
DecodedPacket client(unsigned i) {
    return pkt("10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." +
                   std::to_string(i & 255),
               static_cast<std::uint16_t>(1024 + (i * 7919) % 60000), "192.168.1.1", 80);
}

TEST(FlowHash, BothDirectionsHashAlike) {
    for (unsigned i = 0; i < 1000; ++i) {
        const DecodedPacket p = client(i);
        EXPECT_EQ(symmetric_flow_hash(p), symmetric_flow_hash(reversed(p)));
        for (unsigned n : {2u, 3u, 7u, 1000u}) {
            EXPECT_EQ(shard_of_hash(symmetric_flow_hash(p), n), shard_of_hash(symmetric_flow_hash(reversed(p)), n));
            EXPECT_EQ(worker_of(p, n), worker_of(reversed(p), n));
        }
    }
}

TEST(FlowHash, VlansAndTunnelsDoNotMoveAConnection) {
    // Connections that could take one file name (same addresses and ports; the default names
    // keep only the outer VLAN, a template may drop it) must meet in one shard.
    DecodedPacket a = pkt("10.0.0.1", 1234, "10.0.0.2", 80);
    DecodedPacket b = a;
    b.vlans.count = 2;
    b.vlans.ids = {7, 9};
    b.tunnel.kind = 1;
    b.tunnel.id = 42;
    b.tunnel.outer_src = ip("172.16.0.1");
    b.tunnel.outer_dst = ip("172.16.0.2");
    EXPECT_EQ(symmetric_flow_hash(a), symmetric_flow_hash(b));
    for (unsigned n = 1; n < 20; ++n) EXPECT_EQ(ShardSelector({0, n}).keeps(a), ShardSelector({0, n}).keeps(b));
}

TEST(FlowHash, ShardsPartitionTheConnectionsEvenly) {
    constexpr unsigned kConns = 20000;
    for (unsigned n : {1u, 2u, 3u, 4u, 7u}) {
        std::vector<unsigned> per(n, 0);
        for (unsigned i = 0; i < kConns; ++i) {
            unsigned keepers = 0;
            for (unsigned s = 0; s < n; ++s)
                if (ShardSelector{s, n}.keeps(client(i))) {
                    ++keepers;
                    ++per[s];
                }
            ASSERT_EQ(keepers, 1u) << "connection " << i << " of " << n << " shards";
        }
        for (unsigned s = 0; s < n; ++s) {
            EXPECT_GT(per[s], kConns / n * 9 / 10) << s << "/" << n;
            EXPECT_LT(per[s], kConns / n * 11 / 10) << s << "/" << n;
        }
    }
}

TEST(FlowHash, AShardsConnectionsSpreadOverItsWorkers) {
    // With h mod N for both, shard 0 of 2 would give every connection to worker 0 of 2.
    constexpr unsigned kConns = 20000;
    for (const auto& [shards, workers] : std::vector<std::pair<unsigned, unsigned>>{{2, 2}, {4, 2}, {3, 3}, {4, 4}, {7, 7}}) {
        for (unsigned s = 0; s < shards; ++s) {
            std::vector<unsigned> per(workers, 0);
            unsigned kept = 0;
            for (unsigned i = 0; i < kConns; ++i) {
                const DecodedPacket p = client(i);
                if (!ShardSelector{s, shards}.keeps(p)) continue;
                ++kept;
                ++per[worker_of(p, workers)];
            }
            for (unsigned w = 0; w < workers; ++w) {
                EXPECT_GT(per[w], kept / workers * 8 / 10) << "shard " << s << "/" << shards << " worker " << w;
                EXPECT_LT(per[w], kept / workers * 12 / 10) << "shard " << s << "/" << shards << " worker " << w;
            }
        }
    }
}

TEST(FlowHash, OneShardKeepsEverything) {
    const ShardSelector all{};
    for (unsigned i = 0; i < 100; ++i) EXPECT_TRUE(all.keeps(client(i)));
    EXPECT_TRUE(all.owns_the_rest());
    EXPECT_TRUE((ShardSelector{0, 5}.owns_the_rest()));
    EXPECT_FALSE((ShardSelector{1, 5}.owns_the_rest()));
}

}  // namespace
}  // namespace tcpflow
