// conn_key.h: the key of a connection (both directions of a flow) and its hash (SPEC 4: the
// address family, both addresses and ports, all VLAN IDs and the tunnel; and the transport).
//
// Inline: make_key and the hash run once per packet.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <tuple>
#include <utility>

#include "tcpflow/base/address.h"
#include "tcpflow/decode/packet.h"

namespace tcpflow {

/// Both endpoints of a connection in a canonical order, plus VLANs and tunnel: the same key for
/// both directions. Direction 0 is the one whose source is `lo`.
struct ConnKey {
    Transport proto = Transport::tcp;
    IpAddress lo, hi;
    std::uint16_t lo_port = 0, hi_port = 0;
    VlanStack vlans;
    TunnelKey tunnel;
    friend bool operator==(const ConnKey&, const ConnKey&) = default;
};

namespace conn_key_detail {

inline void mix(std::uint64_t& h, std::uint64_t v) noexcept {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
}

inline std::uint64_t load64(const std::array<std::uint8_t, 16>& b, std::size_t at) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | b[at + i];
    return v;
}

}  // namespace conn_key_detail

/// 64-bit hash of a ConnKey. Keys that compare equal hash equal; the hash covers the transport,
/// both addresses and ports, the first two VLAN IDs and the tunnel.
struct ConnKeyHash {
    // Not noexcept on purpose: libstdc++ then keeps each node's hash in an unordered container,
    // so a lookup compares the large keys only when the hashes match.
    std::size_t operator()(const ConnKey& k) const {
        using conn_key_detail::load64;
        using conn_key_detail::mix;
        std::uint64_t h = (std::uint64_t{static_cast<std::uint8_t>(k.proto)} << 8) | k.lo.family;
        mix(h, load64(k.lo.bytes, 0));
        mix(h, load64(k.lo.bytes, 8));
        mix(h, load64(k.hi.bytes, 0));
        mix(h, load64(k.hi.bytes, 8));
        mix(h, (std::uint64_t{k.lo_port} << 16) | k.hi_port);
        if (k.vlans.count) mix(h, (std::uint64_t{k.vlans.count} << 32) | (std::uint64_t{k.vlans.ids[0]} << 16) | k.vlans.ids[1]);
        if (k.tunnel.kind) {
            mix(h, k.tunnel.kind);
            mix(h, k.tunnel.id);
            mix(h, load64(k.tunnel.outer_src.bytes, 0) ^ load64(k.tunnel.outer_dst.bytes, 0));
        }
        return static_cast<std::size_t>(h);
    }
};

/// The connection key of `p`; `dir` is set to the direction `p` travels (0: from `lo`).
/// Always inlined: it runs once per packet, where the key is built in place.
[[gnu::always_inline]] inline ConnKey make_key(const DecodedPacket& p, int& dir) {
    ConnKey k;
    k.proto = p.proto;
    const bool src_first = std::tie(p.src, p.sport) <= std::tie(p.dst, p.dport);
    dir = src_first ? 0 : 1;
    k.lo = src_first ? p.src : p.dst;
    k.hi = src_first ? p.dst : p.src;
    k.lo_port = src_first ? p.sport : p.dport;
    k.hi_port = src_first ? p.dport : p.sport;
    k.vlans = p.vlans;
    k.tunnel = p.tunnel;
    if (k.tunnel.kind) {
        // The reverse direction's outer header has source and destination swapped.
        if (std::tie(k.tunnel.outer_dst, k.tunnel.outer_dport) < std::tie(k.tunnel.outer_src, k.tunnel.outer_sport)) {
            std::swap(k.tunnel.outer_src, k.tunnel.outer_dst);
            std::swap(k.tunnel.outer_sport, k.tunnel.outer_dport);
        }
    }
    return k;
}

}  // namespace tcpflow
