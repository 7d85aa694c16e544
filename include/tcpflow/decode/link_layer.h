// link_layer.h: from a captured frame to the network-layer packet it carries.
//
// Handles every LinkType, Ethernet (802.3/LLC/SNAP, 802.1Q/802.1ad/0x9100 tags at any depth,
// MPLS incl. the Ethernet pseudowire control word, PPPoE session), PPP, 802.11 (+radiotap,
// Prism, PPI) and NFLOG. Reads only through ByteReader.
#pragma once

#include <cstdint>

#include "tcpflow/base/bytes.h"
#include "tcpflow/decode/packet.h"
#include "tcpflow/base/stats.h"

namespace tcpflow {

/// A decoding step succeeded (otherwise a step returns the Counter naming why it failed).
inline constexpr Counter kDecodeOk = Counter::count_;

/// Which network protocol the link layer says it carries.
enum class NetKind : std::uint8_t {
    ipv4,
    ipv6,
    by_nibble,   ///< no type field (RAW, MPLS): the IP version nibble decides
};

/// The network-layer packet found inside a frame.
struct NetLayer {
    Bytes bytes;               ///< from the IP header to the end of what the link layer bounds
    NetKind kind = NetKind::by_nibble;
    bool check_fcs = true;     ///< in: drop 802.11 frames whose FCS is wrong (flag or CRC-32)
};

/// Nesting bound for link-level encapsulations (Ethernet in MPLS in Ethernet ...).
inline constexpr int kMaxLinkNesting = 8;

/// Walks the link layer of `frame`. Fills out.vlans and (for Ethernet-like links) the MACs.
/// Returns kDecodeOk or the counter naming why no IP packet was found.
[[nodiscard]] Counter decode_link(LinkType link, Bytes frame, NetLayer& net, DecodedPacket& out) noexcept;

/// An Ethernet II / 802.3 frame (also used for Ethernet carried in tunnels). MACs are recorded
/// only when `record_mac` and none were recorded before.
[[nodiscard]] Counter decode_ethernet(Bytes frame, NetLayer& net, DecodedPacket& out, int depth) noexcept;

/// The payload that follows an ethertype (tags, MPLS, PPPoE, IP, transparent Ethernet 0x6558).
[[nodiscard]] Counter decode_ethertype(std::uint16_t type, Bytes rest, NetLayer& net, DecodedPacket& out,
                                       int depth) noexcept;

/// A PPP packet: optional ff03 address/control, then a 1- or 2-byte protocol.
[[nodiscard]] Counter decode_ppp(Bytes packet, NetLayer& net, DecodedPacket& out, int depth) noexcept;

}  // namespace tcpflow
