// ip.h: IPv4 (options skipped by IHL), IPv6 (extension-header walk incl. jumbograms) and the
// TCP and UDP headers. Reads only through ByteReader; fills plain values, never allocates.
#pragma once

#include <cstdint>

#include "tcpflow/base/address.h"
#include "tcpflow/base/bytes.h"
#include "tcpflow/decode/packet.h"
#include "tcpflow/decode/link_layer.h"
#include "tcpflow/base/stats.h"

namespace tcpflow {

namespace ip_proto {
constexpr std::uint8_t hopopts = 0, icmp = 1, ipip = 4, tcp = 6, udp = 17, ipv6 = 41, routing = 43,
                       fragment = 44, gre = 47, esp = 50, ah = 51, icmpv6 = 58, none = 59, dstopts = 60,
                       mobility = 135, hip = 139, shim6 = 140;
}

/// One IP packet (or the IP layer of one fragment).
struct IpPacket {
    IpAddress src, dst;
    std::uint8_t proto = 0;          ///< upper-layer protocol (after IPv6 extension headers)
    Bytes payload;                   ///< captured upper-layer bytes, inside the IP length
    std::uint32_t claimed = 0;       ///< upper-layer length the IP header claims
    bool fragment = false;           ///< a real fragment (not an atomic IPv6 one)
    bool more_fragments = false;
    std::uint32_t frag_offset = 0;   ///< in bytes
    std::uint32_t frag_id = 0;
};

/// IPv4 header. Total length 0 (TSO) takes the captured length.
[[nodiscard]] Counter parse_ipv4(Bytes packet, IpPacket& out) noexcept;
/// IPv6 fixed header and extension headers. Payload length 0 takes the jumbo option's length,
/// or the captured length when there is none.
[[nodiscard]] Counter parse_ipv6(Bytes packet, IpPacket& out) noexcept;
/// Continues the IPv6 extension-header walk at `next_header` over `area` (e.g. a reassembled
/// fragmentable part); out.proto/payload/claimed are set. Another fragment header is refused.
[[nodiscard]] Counter walk_ipv6_headers(std::uint8_t next_header, Bytes area, IpPacket& out) noexcept;

/// TCP header of a segment whose captured bytes are `segment` and whose IP-claimed length is
/// `claimed`. Fills ports, seq/ack, flags, window, window_scale, claimed_len and payload.
[[nodiscard]] Counter parse_tcp(Bytes segment, std::uint32_t claimed, DecodedPacket& out) noexcept;

/// UDP header of a datagram whose captured bytes are `datagram` and whose IP-claimed length is
/// `claimed`. Fills ports, claimed_len (min(UDP length, IP payload) minus the header; a UDP
/// length below 8, as in an IPv6 jumbogram, takes the IP payload's) and payload (the captured
/// part of it). The checksum is not verified.
[[nodiscard]] Counter parse_udp(Bytes datagram, std::uint32_t claimed, DecodedPacket& out) noexcept;

}  // namespace tcpflow
