// flow_hash.h: the symmetric flow hash that spreads connections over -j worker threads and over
// --shard processes, and the two ways of reducing it.
//
// The hash covers both addresses and both ports, combined so that the two directions of a
// connection hash alike. VLANs and tunnels are left out on purpose: every connection whose file
// name could collide with another's (the same addresses and ports) gets the same hash, so the
// cN numbering, which depends on the connections before it with the same name, is made by one
// worker in one process exactly as one run makes it.
//
// -j takes the hash's low bits (h mod workers); --shard first mixes the hash again and takes the
// high bits of the result scaled to the shard count. The two are independent: the connections
// one shard keeps still spread evenly over its -j workers (with h mod N for both, shard 0 of 2
// would hand every connection to worker 0 of 2).
//
// Inline: it runs once per packet.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tcpflow/decode/packet.h"

namespace tcpflow {

/// 64-bit hash of a segment's addresses and ports, the same for both directions.
[[nodiscard]] inline std::uint64_t symmetric_flow_hash(const DecodedPacket& p) noexcept {
    std::uint64_t h = 0;
    for (std::size_t i = 0; i < 16; ++i) h = h * 131 + (p.src.bytes[i] ^ p.dst.bytes[i]);
    h ^= static_cast<std::uint64_t>(p.sport ^ p.dport) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return h;
}

/// -j: the worker (0 .. workers-1) a hash belongs to.
[[nodiscard]] inline unsigned worker_of_hash(std::uint64_t h, unsigned workers) noexcept {
    return workers ? static_cast<unsigned>(h % workers) : 0;
}

/// --shard: the shard (0 .. count-1) a hash belongs to; independent of worker_of_hash.
[[nodiscard]] inline unsigned shard_of_hash(std::uint64_t h, unsigned count) noexcept {
    // A second, different finaliser (Stafford's mix 13), then the high 32 bits scaled to count.
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return static_cast<unsigned>(((h >> 32) * count) >> 32);
}

/// Which connections this process handles (--shard index/count). count 1: all of them.
struct ShardSelector {
    unsigned index = 0;
    unsigned count = 1;

    /// True when `p` belongs to this process's shard.
    [[nodiscard]] bool keeps(const DecodedPacket& p) const noexcept {
        return count <= 1 || shard_of_hash(symmetric_flow_hash(p), count) == index;
    }
    /// Packets that belong to no connection (-w's unused packets, the decoder's counts) are the
    /// first shard's.
    [[nodiscard]] bool owns_the_rest() const noexcept { return index == 0; }
};

}  // namespace tcpflow
