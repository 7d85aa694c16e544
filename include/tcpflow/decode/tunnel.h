// tunnel.h: decapsulation of the tunnels carried over IP: GRE (incl. ERSPAN II/III and PPTP's
// enhanced GRE), VXLAN (UDP 4789), Geneve (UDP 6081), Teredo (any UDP port, recognised by
// content) and IP-in-IP. Each step yields the inner network-layer packet and records the
// TunnelKey of the encapsulation in out.tunnel.
#pragma once

#include <cstdint>

#include "tcpflow/base/bytes.h"
#include "tcpflow/decode/packet.h"
#include "tcpflow/decode/ip.h"
#include "tcpflow/decode/link_layer.h"

namespace tcpflow {

/// Bound on nested encapsulations (tunnel in tunnel ...); deeper is counted tunnel_too_deep.
inline constexpr int kMaxTunnelDepth = 8;

inline constexpr std::uint16_t kVxlanPort = 4789;
inline constexpr std::uint16_t kGenevePort = 6081;

/// A UDP datagram (outer.payload, outer.claimed): VXLAN, Geneve or Teredo gives kDecodeOk and
/// `inner`; anything else is Counter::not_tcp (or a truncation counter). `carrier` is set when
/// the datagram was recognised as a tunnel's (its header is well formed), whatever the result:
/// such a datagram is never a UDP flow of its own.
[[nodiscard]] Counter decode_udp_tunnel(const IpPacket& outer, NetLayer& inner, DecodedPacket& out,
                                        int depth, bool& carrier) noexcept;

/// GRE (RFC 2784/2890, PPTP enhanced GRE v1, ERSPAN I/II/III).
[[nodiscard]] Counter decode_gre(const IpPacket& outer, NetLayer& inner, DecodedPacket& out, int depth) noexcept;

/// True when `udp_payload` (whose UDP-claimed length is `claimed`) is a Teredo packet; `ipv6`
/// is then the IPv6 packet inside.
[[nodiscard]] bool looks_like_teredo(Bytes udp_payload, std::size_t claimed, Bytes& ipv6) noexcept;

/// Records the TunnelKey of an encapsulation seen in `outer`.
void set_tunnel(DecodedPacket& out, TunnelKind kind, const IpPacket& outer, std::uint16_t sport = 0,
                std::uint16_t dport = 0, std::uint32_t id = 0) noexcept;

}  // namespace tcpflow
