// packet.h: the packet vocabulary shared by capture, decoding, the flow table and the sinks.
//
// A captured frame (RawPacket) goes in; a decoded transport packet (DecodedPacket) or a counted
// reason why not (DecodeStatus) comes out. The transport protocol is a field of the packet; what
// only TCP has (sequence numbers, flags, window) sits in its own member. Nothing here decodes:
// the decoding helpers (link_layer, ip, tunnel, defrag) and the sinks include this header, never
// the decoder.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "tcpflow/base/address.h"
#include "tcpflow/base/bytes.h"
#include "tcpflow/base/timestamp.h"

namespace tcpflow {

/// One captured frame as a capture source delivers it.
struct RawPacket {
    Timestamp ts;
    std::uint32_t wire_len = 0;
    Bytes data;          ///< valid until the source's next call
    int dlt = 1;         ///< the frame's link type (DLT number): each pcapng interface has its own
};

/// The core's own link-type enum; the pcap adapter maps DLT numbers to it.
enum class LinkType : std::uint8_t {
    null_bsd,          // DLT_NULL (0): 4-byte host-order address family
    loop,              // DLT_LOOP (108): 4-byte network-order address family
    ethernet,          // DLT_EN10MB (1)
    raw,               // DLT_RAW (12, 14, 101): bare IPv4 or IPv6
    ipv4,              // LINKTYPE_IPV4 (228)
    ipv6,              // LINKTYPE_IPV6 (229)
    linux_sll,         // LINKTYPE_LINUX_SLL (113)
    linux_sll2,        // LINKTYPE_LINUX_SLL2 (276)
    ppp,               // DLT_PPP (9)
    ppp_serial,        // DLT_PPP_SERIAL (50)
    c_hdlc,            // DLT_C_HDLC (104)
    ppp_ether,         // DLT_PPP_ETHER (51): PPPoE session header then PPP
    ieee802_11,        // DLT_IEEE802_11 (105)
    ieee802_11_radio,  // DLT_IEEE802_11_RADIO (127): radiotap
    prism,             // DLT_PRISM_HEADER (119)
    ppi,               // DLT_PPI (192)
    nflog,             // DLT_NFLOG (239)
};

/// Maps a pcap link-type (DLT/LINKTYPE) number to LinkType; nullopt when unsupported.
[[nodiscard]] std::optional<LinkType> link_type_from_dlt(int dlt) noexcept;
/// Human name of a DLT number for error messages ("LINUX_SLL2", or "276" if unknown).
[[nodiscard]] std::string dlt_name(int dlt);

/// TCP header flag bits (RFC 9293 §3.1).
namespace tcp_flags {
constexpr std::uint8_t fin = 0x01, syn = 0x02, rst = 0x04, psh = 0x08, ack = 0x10, urg = 0x20;
}

/// VLAN IDs in order, outermost first (12-bit VIDs, PCP/DEI masked off). Up to 4 are kept;
/// `count` may be larger when the stack was deeper (the extra ones still count for the key).
struct VlanStack {
    std::uint8_t count = 0;
    std::array<std::uint16_t, 4> ids{};
    [[nodiscard]] std::uint16_t outer() const noexcept { return count ? ids[0] : 0; }
    friend bool operator==(const VlanStack&, const VlanStack&) = default;
};

/// The tunnel a segment came through (the innermost encapsulation around the inner IP packet).
/// Part of the flow key, so the same inner 4-tuple in two tunnels is two flows.
struct TunnelKey {
    std::uint8_t kind = 0;             ///< 0 = none; otherwise a TunnelKind value
    IpAddress outer_src, outer_dst;    ///< outer IP addresses
    std::uint16_t outer_sport = 0, outer_dport = 0;   ///< outer UDP ports (VXLAN/Geneve/Teredo)
    std::uint32_t id = 0;              ///< VNI, GRE key or ERSPAN session id
    friend bool operator==(const TunnelKey&, const TunnelKey&) = default;
};

enum class TunnelKind : std::uint8_t { none = 0, gre, erspan, vxlan, geneve, ip_in_ip, teredo };

/// "gre", "vxlan", ... (report.xml, the flow index); "none" for 0, "unknown" past the list.
[[nodiscard]] constexpr const char* tunnel_kind_name(std::uint8_t kind) noexcept {
    switch (static_cast<TunnelKind>(kind)) {
        case TunnelKind::none: return "none";
        case TunnelKind::gre: return "gre";
        case TunnelKind::erspan: return "erspan";
        case TunnelKind::vxlan: return "vxlan";
        case TunnelKind::geneve: return "geneve";
        case TunnelKind::ip_in_ip: return "ip_in_ip";
        case TunnelKind::teredo: return "teredo";
    }
    return "unknown";
}

/// The transport protocol of a decoded packet (its IP protocol number).
enum class Transport : std::uint8_t { tcp = 6, udp = 17 };

/// What only a TCP segment carries.
struct TcpFields {
    std::uint32_t seq = 0, ack = 0;
    std::uint8_t flags = 0;            ///< tcp_flags bits
    std::uint16_t window = 0;          ///< raw window field
    std::int8_t window_scale = -1;     ///< the SYN's window-scale option shift, -1 if absent
};

/// One decoded transport packet: a TCP segment, or (with --udp) a UDP datagram. Spans point into the frame given to
/// decode(), or into the decoder's reassembly buffer for a defragmented datagram; valid until
/// the next decode() call.
struct DecodedPacket {
    Transport proto = Transport::tcp;
    /// The innermost IP header reached (4 or 6; 0 = none): src and dst are its addresses, for
    /// every result, also one that carries no transport (ICMP, a held fragment). netviz counts them.
    std::uint8_t ip_version = 0;
    IpAddress src, dst;
    std::uint16_t sport = 0, dport = 0;
    std::uint32_t claimed_len = 0;     ///< payload length the headers claim (tcp.len; UDP: min(UDP, IP length) - 8)
    Bytes payload;                     ///< captured payload, at most claimed_len bytes
    VlanStack vlans;
    TunnelKey tunnel;
    bool has_mac = false;              ///< Ethernet-like link: MACs below are real
    std::array<std::uint8_t, 6> src_mac{}, dst_mac{};
    TcpFields tcp;                     ///< meaningful when proto == Transport::tcp
    std::uint64_t number = 0;          ///< the frame's number in the capture, from 1 (0: unknown)
};

enum class DecodeStatus : std::uint8_t {
    transport,        ///< `out` holds a transport packet (out.proto says which)
    no_transport,     ///< valid frame that carries nothing we follow (ARP, ICMP, ...); counted
    malformed,        ///< truncated or bad header somewhere; counted
    fragment_held,    ///< an IP fragment kept for reassembly (datagram not complete yet)
};

}  // namespace tcpflow
