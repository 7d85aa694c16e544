#include "tcpflow/decode/link_layer.h"

#include <zlib.h>

#include <string>

namespace tcpflow {

namespace {

constexpr std::uint16_t kEtherIpv4 = 0x0800;
constexpr std::uint16_t kEtherIpv6 = 0x86dd;
constexpr std::uint16_t kEtherArp = 0x0806;
constexpr std::uint16_t kEtherRarp = 0x8035;
constexpr std::uint16_t kEtherVlan = 0x8100;
constexpr std::uint16_t kEtherQinQ = 0x88a8;
constexpr std::uint16_t kEther9100 = 0x9100;
constexpr std::uint16_t kEtherMpls = 0x8847;
constexpr std::uint16_t kEtherMplsMc = 0x8848;
constexpr std::uint16_t kEtherPppoeDisc = 0x8863;
constexpr std::uint16_t kEtherPppoeSess = 0x8864;
constexpr std::uint16_t kEtherTeb = 0x6558;   // transparent Ethernet bridging
constexpr std::uint16_t kEtherLldp = 0x88cc;

void push_vlan(VlanStack& v, std::uint16_t tci) noexcept {
    if (v.count < v.ids.size()) v.ids[v.count] = static_cast<std::uint16_t>(tci & 0x0fff);
    if (v.count < 255) ++v.count;
}

// The PPPoE session header (ver/type, code, session id, length): the length bounds the PPP packet.
Counter decode_pppoe_session(Bytes rest, NetLayer& net, DecodedPacket& out, int depth) noexcept {
    ByteReader r{rest};
    if (!r.skip(4)) return Counter::truncated_link_header;
    const auto len = r.be16();
    if (!len) return Counter::truncated_link_header;
    Bytes ppp = r.rest();
    if (*len < ppp.size()) ppp = ppp.first(*len);
    return decode_ppp(ppp, net, out, depth);
}

Counter decode_mpls(Bytes rest, NetLayer& net, DecodedPacket& out, int depth) noexcept {
    ByteReader r{rest};
    for (;;) {
        const auto label = r.be32();
        if (!label) return Counter::truncated_link_header;
        if (*label & 0x100u) break;   // bottom of stack
    }
    const auto first = r.peek_u8(r.position());
    if (!first) return Counter::truncated_link_header;
    switch (*first >> 4) {
    case 4:
        net = NetLayer{r.rest(), NetKind::ipv4};
        return kDecodeOk;
    case 6:
        net = NetLayer{r.rest(), NetKind::ipv6};
        return kDecodeOk;
    case 0: {   // Ethernet pseudowire control word, then an Ethernet frame
        if (!r.skip(4)) return Counter::truncated_link_header;
        return decode_ethernet(r.rest(), net, out, depth + 1);
    }
    default:
        return Counter::not_ip;
    }
}

// Radiotap: find the flags field (bit 1 of the first present word, after TSFT) for FCS/padding.
Counter decode_radiotap(Bytes frame, NetLayer& net, DecodedPacket& out, int depth) noexcept;
Counter decode_80211(Bytes frame, bool data_pad, NetLayer& net, DecodedPacket& out, int depth) noexcept;

Counter decode_null(Bytes frame, NetLayer& net) noexcept {
    ByteReader r{frame};
    const auto le = r.le32();
    if (!le) return Counter::truncated_link_header;
    const std::uint32_t be = ((*le & 0xffu) << 24) | ((*le & 0xff00u) << 8) | ((*le >> 8) & 0xff00u) | (*le >> 24);
    auto kind_of = [](std::uint32_t v) -> int {
        if (v == 2) return 4;
        if (v == 10 || v == 24 || v == 28 || v == 30) return 6;
        return 0;
    };
    int k = kind_of(*le);
    if (k == 0) k = kind_of(be);
    if (k == 0) return Counter::not_ip;
    net = NetLayer{r.rest(), k == 4 ? NetKind::ipv4 : NetKind::ipv6};
    return kDecodeOk;
}

Counter decode_sll(Bytes frame, NetLayer& net, DecodedPacket& out, int depth) noexcept {
    ByteReader r{frame};
    const auto proto = r.peek_be16(14);
    if (!proto || !r.skip(16)) return Counter::truncated_link_header;
    return decode_ethertype(*proto, r.rest(), net, out, depth);
}

Counter decode_sll2(Bytes frame, NetLayer& net, DecodedPacket& out, int depth) noexcept {
    ByteReader r{frame};
    const auto proto = r.peek_be16(0);
    if (!proto || !r.skip(20)) return Counter::truncated_link_header;
    return decode_ethertype(*proto, r.rest(), net, out, depth);
}

Counter decode_chdlc(Bytes frame, NetLayer& net, DecodedPacket& out, int depth) noexcept {
    ByteReader r{frame};
    const auto proto = r.peek_be16(2);
    if (!proto || !r.skip(4)) return Counter::truncated_link_header;
    return decode_ethertype(*proto, r.rest(), net, out, depth);
}

Counter decode_nflog(Bytes frame, NetLayer& net) noexcept {
    ByteReader r{frame};
    const auto family = r.u8();
    if (!family || !r.skip(3)) return Counter::truncated_link_header;
    NetKind kind;
    if (*family == 2) {
        kind = NetKind::ipv4;
    } else if (*family == 10) {
        kind = NetKind::ipv6;
    } else {
        return Counter::not_ip;
    }
    while (r.remaining() > 0) {
        const auto len = r.le16();
        const auto type = r.le16();
        if (!len || !type || *len < 4) return Counter::truncated_link_header;
        const auto value = r.take(*len - 4u);
        if (!value) return Counter::truncated_link_header;
        if (*type == 9) {
            net = NetLayer{*value, kind};
            return kDecodeOk;
        }
        const std::size_t pad = (4 - (*len % 4)) % 4;
        if (!r.skip(pad)) break;
    }
    return Counter::not_ip;
}

Counter decode_prism(Bytes frame, NetLayer& net, DecodedPacket& out, int depth) noexcept {
    ByteReader r{frame};
    if (!r.skip(4)) return Counter::truncated_link_header;
    const auto len = r.le32();
    if (!len) return Counter::truncated_link_header;
    std::size_t hlen = 144;
    if (*len >= 8 && *len <= frame.size()) hlen = *len;
    ByteReader body{frame};
    if (!body.skip(hlen)) return Counter::truncated_link_header;
    return decode_80211(body.rest(), false, net, out, depth);
}

Counter decode_ppi(Bytes frame, NetLayer& net, DecodedPacket& out, int depth) noexcept {
    ByteReader r{frame};
    if (!r.skip(2)) return Counter::truncated_link_header;
    const auto len = r.le16();
    const auto dlt = r.le32();
    if (!len || !dlt || *len < 8) return Counter::truncated_link_header;
    ByteReader body{frame};
    if (!body.skip(*len)) return Counter::truncated_link_header;
    if (*dlt == 105) return decode_80211(body.rest(), false, net, out, depth);
    if (*dlt == 1) return decode_ethernet(body.rest(), net, out, depth);
    return Counter::not_ip;
}

/// The IEEE 802 CRC-32 of `frame` equals the little-endian FCS that follows it.
bool fcs_matches(Bytes frame, Bytes fcs) noexcept {
    const auto crc = ::crc32(0L, frame.data(), static_cast<uInt>(frame.size()));
    const auto want = std::uint32_t{fcs[0]} | std::uint32_t{fcs[1]} << 8 | std::uint32_t{fcs[2]} << 16 |
                      std::uint32_t{fcs[3]} << 24;
    return static_cast<std::uint32_t>(crc) == want;
}

Counter decode_radiotap(Bytes frame, NetLayer& net, DecodedPacket& out, int depth) noexcept {
    ByteReader r{frame};
    if (!r.skip(2)) return Counter::truncated_link_header;
    const auto len = r.le16();
    const auto present0 = r.le32();
    if (!len || !present0 || *len < 8 || *len > frame.size()) return Counter::truncated_link_header;
    std::uint32_t present = *present0;
    while (present & 0x80000000u) {   // further present words
        const auto next = r.le32();
        if (!next) return Counter::truncated_link_header;
        present = *next;
    }
    std::size_t off = r.position();
    std::uint8_t flags = 0;
    if (*present0 & 0x1u) {   // TSFT: 8 bytes aligned to 8
        off = (off + 7) & ~std::size_t{7};
        off += 8;
    }
    if (*present0 & 0x2u) {
        const auto f = ByteReader{frame.first(*len)}.peek_u8(off);
        if (!f) return Counter::truncated_link_header;
        flags = *f;
    }
    Bytes body = frame.subspan(*len);
    if (net.check_fcs && (flags & 0x40u)) return Counter::bad_fcs;   // the capturing card says so
    if (flags & 0x10u) {   // frame ends with an FCS
        if (body.size() < 4) return Counter::truncated_link_header;
        const Bytes fcs = body.last(4);
        body = body.first(body.size() - 4);
        if (net.check_fcs && !fcs_matches(body, fcs)) return Counter::bad_fcs;
    }
    return decode_80211(body, (flags & 0x20u) != 0, net, out, depth);
}

Counter decode_80211(Bytes frame, bool data_pad, NetLayer& net, DecodedPacket& out, int depth) noexcept {
    ByteReader r{frame};
    const auto fc_lo = r.u8();
    const auto fc_hi = r.u8();
    if (!fc_lo || !fc_hi) return Counter::truncated_link_header;
    const unsigned type = (*fc_lo >> 2) & 0x3u;
    const unsigned subtype = (*fc_lo >> 4) & 0xfu;
    if (type != 2) return Counter::wifi_non_data;
    const bool to_ds = *fc_hi & 0x01u, from_ds = *fc_hi & 0x02u;
    const bool is_protected = *fc_hi & 0x40u, order = *fc_hi & 0x80u;
    const bool qos = subtype & 0x8u;
    std::size_t hlen = 24 + (to_ds && from_ds ? 6 : 0) + (qos ? 2 : 0) + (qos && order ? 4 : 0);
    if (!r.skip(2)) return Counter::truncated_link_header;   // duration
    const auto a1 = r.take(6), a2 = r.take(6), a3 = r.take(6);
    if (!a1 || !a2 || !a3 || !r.skip(2)) return Counter::truncated_link_header;
    std::optional<Bytes> a4;
    if (to_ds && from_ds) {
        a4 = r.take(6);
        if (!a4) return Counter::truncated_link_header;
    }
    if (data_pad) hlen = (hlen + 3) & ~std::size_t{3};
    ByteReader body{frame};
    if (!body.skip(hlen)) return Counter::truncated_link_header;
    if (subtype & 0x4u) return Counter::wifi_non_data;   // null data: no payload
    if (is_protected) return Counter::wifi_non_data;
    Bytes da = *a1, sa = *a2;
    if (!to_ds && from_ds) {
        sa = *a3;
    } else if (to_ds && !from_ds) {
        da = *a3;
    } else if (to_ds && from_ds) {
        da = *a3;
        sa = *a4;
    }
    if (!out.has_mac) {
        out.has_mac = true;
        for (std::size_t i = 0; i < 6; ++i) {
            out.src_mac[i] = sa[i];
            out.dst_mac[i] = da[i];
        }
    }
    // LLC/SNAP: aa aa 03 00 00 00 + ethertype
    const auto dsap = body.u8(), ssap = body.u8(), ctl = body.u8();
    if (!dsap || !ssap || !ctl) return Counter::truncated_link_header;
    if (*dsap != 0xaa || *ssap != 0xaa || *ctl != 0x03) return Counter::not_ip;
    if (!body.skip(3)) return Counter::truncated_link_header;
    const auto et = body.be16();
    if (!et) return Counter::truncated_link_header;
    return decode_ethertype(*et, body.rest(), net, out, depth);
}

}  // namespace

Counter decode_ppp(Bytes packet, NetLayer& net, DecodedPacket& out, int depth) noexcept {
    ByteReader r{packet};
    const auto b0 = r.peek_u8(0);
    if (!b0) return Counter::truncated_link_header;
    if (*b0 == 0x0f || *b0 == 0x8f) {   // Cisco HDLC framing on a PPP link
        const auto proto = r.peek_be16(2);
        if (!proto || !r.skip(4)) return Counter::truncated_link_header;
        return decode_ethertype(*proto, r.rest(), net, out, depth);
    }
    if (*b0 == 0xff) {
        const auto b1 = r.peek_u8(1);
        if (!b1) return Counter::truncated_link_header;
        if (*b1 == 0x03 && !r.skip(2)) return Counter::truncated_link_header;
    }
    const auto p0 = r.u8();
    if (!p0) return Counter::truncated_link_header;
    std::uint16_t proto = *p0;
    if ((*p0 & 1u) == 0) {   // 2-byte protocol (a compressed one is odd)
        const auto p1 = r.u8();
        if (!p1) return Counter::truncated_link_header;
        proto = static_cast<std::uint16_t>((proto << 8) | *p1);
    }
    switch (proto) {
    case 0x0021:
        net = NetLayer{r.rest(), NetKind::ipv4};
        return kDecodeOk;
    case 0x0057:
        net = NetLayer{r.rest(), NetKind::ipv6};
        return kDecodeOk;
    case 0x0281:
    case 0x0283:
        return decode_mpls(r.rest(), net, out, depth);
    default:
        return Counter::not_ip;   // LCP, IPCP, CHAP, ...
    }
}

Counter decode_ethertype(std::uint16_t type, Bytes rest, NetLayer& net, DecodedPacket& out, int depth) noexcept {
    if (depth > kMaxLinkNesting) return Counter::tunnel_too_deep;
    ByteReader r{rest};
    for (;;) {
        switch (type) {
        case kEtherIpv4:
            net = NetLayer{r.rest(), NetKind::ipv4};
            return kDecodeOk;
        case kEtherIpv6:
            net = NetLayer{r.rest(), NetKind::ipv6};
            return kDecodeOk;
        case kEtherVlan:
        case kEtherQinQ:
        case kEther9100: {
            const auto tci = r.be16();
            const auto next = r.be16();
            if (!tci || !next) return Counter::truncated_link_header;
            push_vlan(out.vlans, *tci);
            type = *next;
            continue;
        }
        case kEtherMpls:
        case kEtherMplsMc:
            return decode_mpls(r.rest(), net, out, depth);
        case kEtherPppoeSess:
            return decode_pppoe_session(r.rest(), net, out, depth);
        case kEtherTeb:
            return decode_ethernet(r.rest(), net, out, depth + 1);
        case kEtherArp:
        case kEtherRarp:
        case kEtherPppoeDisc:
        case kEtherLldp:
            return Counter::not_ip;
        default:
            if (type <= 1500) {   // 802.3 length: LLC, maybe SNAP carrying an ethertype
                Bytes llc = r.rest();
                if (type < llc.size()) llc = llc.first(type);
                ByteReader l{llc};
                const auto dsap = l.u8(), ssap = l.u8(), ctl = l.u8();
                if (!dsap || !ssap || !ctl) return Counter::truncated_link_header;
                if (*dsap != 0xaa || *ssap != 0xaa || *ctl != 0x03) return Counter::not_ip;
                if (!l.skip(3)) return Counter::truncated_link_header;
                const auto et = l.be16();
                if (!et) return Counter::truncated_link_header;
                r = ByteReader{l.rest()};
                type = *et;
                if (type <= 1500) return Counter::not_ip;
                continue;
            }
            return Counter::unknown_ethertype;
        }
    }
}

Counter decode_ethernet(Bytes frame, NetLayer& net, DecodedPacket& out, int depth) noexcept {
    if (depth > kMaxLinkNesting) return Counter::tunnel_too_deep;
    ByteReader r{frame};
    const auto dst = r.take(6), src = r.take(6);
    const auto type = r.be16();
    if (!dst || !src || !type) return Counter::truncated_link_header;
    if (!out.has_mac) {
        out.has_mac = true;
        for (std::size_t i = 0; i < 6; ++i) {
            out.src_mac[i] = (*src)[i];
            out.dst_mac[i] = (*dst)[i];
        }
    }
    return decode_ethertype(*type, r.rest(), net, out, depth);
}

Counter decode_link(LinkType link, Bytes frame, NetLayer& net, DecodedPacket& out) noexcept {
    switch (link) {
    case LinkType::null_bsd:
    case LinkType::loop:
        return decode_null(frame, net);
    case LinkType::ethernet:
        return decode_ethernet(frame, net, out, 0);
    case LinkType::raw:
        net = NetLayer{frame, NetKind::by_nibble};
        return kDecodeOk;
    case LinkType::ipv4:
        net = NetLayer{frame, NetKind::ipv4};
        return kDecodeOk;
    case LinkType::ipv6:
        net = NetLayer{frame, NetKind::ipv6};
        return kDecodeOk;
    case LinkType::linux_sll:
        return decode_sll(frame, net, out, 0);
    case LinkType::linux_sll2:
        return decode_sll2(frame, net, out, 0);
    case LinkType::ppp:
    case LinkType::ppp_serial:
        return decode_ppp(frame, net, out, 0);
    case LinkType::c_hdlc:
        return decode_chdlc(frame, net, out, 0);
    case LinkType::ppp_ether:
        return decode_pppoe_session(frame, net, out, 0);
    case LinkType::ieee802_11:
        return decode_80211(frame, false, net, out, 0);
    case LinkType::ieee802_11_radio:
        return decode_radiotap(frame, net, out, 0);
    case LinkType::prism:
        return decode_prism(frame, net, out, 0);
    case LinkType::ppi:
        return decode_ppi(frame, net, out, 0);
    case LinkType::nflog:
        return decode_nflog(frame, net);
    }
    return Counter::unknown_link_type;
}

std::optional<LinkType> link_type_from_dlt(int dlt) noexcept {
    switch (dlt) {
    case 0: return LinkType::null_bsd;
    case 108: return LinkType::loop;
    case 1: return LinkType::ethernet;
    case 12:
    case 14:
    case 101: return LinkType::raw;
    case 228: return LinkType::ipv4;
    case 229: return LinkType::ipv6;
    case 113: return LinkType::linux_sll;
    case 276: return LinkType::linux_sll2;
    case 9: return LinkType::ppp;
    case 50: return LinkType::ppp_serial;
    case 104: return LinkType::c_hdlc;
    case 51: return LinkType::ppp_ether;
    case 105: return LinkType::ieee802_11;
    case 127: return LinkType::ieee802_11_radio;
    case 119: return LinkType::prism;
    case 192: return LinkType::ppi;
    case 239: return LinkType::nflog;
    default: return std::nullopt;
    }
}

std::string dlt_name(int dlt) {
    switch (dlt) {
    case 0: return "NULL";
    case 108: return "LOOP";
    case 1: return "EN10MB";
    case 12:
    case 14:
    case 101: return "RAW";
    case 228: return "IPV4";
    case 229: return "IPV6";
    case 113: return "LINUX_SLL";
    case 276: return "LINUX_SLL2";
    case 9: return "PPP";
    case 50: return "PPP_SERIAL";
    case 104: return "C_HDLC";
    case 51: return "PPP_ETHER";
    case 105: return "IEEE802_11";
    case 127: return "IEEE802_11_RADIO";
    case 119: return "PRISM_HEADER";
    case 192: return "PPI";
    case 239: return "NFLOG";
    case 6: return "IEEE802";
    case 10: return "FDDI";
    case 147: return "USER0";
    case 220: return "USB_LINUX_MMAPPED";
    case 253: return "NETLINK";
    default: return std::to_string(dlt);
    }
}

}  // namespace tcpflow
