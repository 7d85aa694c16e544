#include "tcpflow/decode/ip.h"

#include <algorithm>
#include <cstdint>
#include <optional>

namespace tcpflow {

Counter parse_ipv4(Bytes packet, IpPacket& out) noexcept {
    ByteReader r{packet};
    const auto b0 = r.peek_u8(0);
    if (!b0) return Counter::truncated_ip_header;
    if ((*b0 >> 4) != 4) return Counter::bad_ip_version;
    const std::size_t hlen = std::size_t{*b0 & 0x0fu} * 4;
    if (hlen < 20) return Counter::bad_ip_header_length;
    if (packet.size() < hlen) return Counter::truncated_ip_header;
    std::size_t total = *r.peek_be16(2);
    if (total == 0) total = packet.size();   // TSO / BIG TCP: the capture says how long
    if (total < hlen) return Counter::bad_ip_total_length;
    const std::uint16_t frag = *r.peek_be16(6);
    out.proto = *r.peek_u8(9);
    out.src = IpAddress::v4(packet.subspan(12, 4));
    out.dst = IpAddress::v4(packet.subspan(16, 4));
    const std::size_t avail = std::min(total, packet.size());
    out.payload = packet.subspan(hlen, avail - hlen);
    out.claimed = static_cast<std::uint32_t>(total - hlen);
    out.more_fragments = (frag & 0x2000u) != 0;
    out.frag_offset = std::uint32_t{frag & 0x1fffu} * 8;
    out.frag_id = *r.peek_be16(4);
    out.fragment = out.more_fragments || out.frag_offset != 0;
    return kDecodeOk;
}

namespace {

// Looks for the Jumbo Payload option (type 0xC2, length 4) in a Hop-by-Hop options area.
std::optional<std::uint32_t> find_jumbo(Bytes options) noexcept {
    ByteReader r{options};
    while (r.remaining() > 0) {
        const auto type = r.u8();
        if (!type) break;
        if (*type == 0) continue;   // Pad1
        const auto len = r.u8();
        if (!len) break;
        const auto value = r.take(*len);
        if (!value) break;
        if (*type == 0xc2 && *len == 4) {
            ByteReader v{*value};
            return v.be32();
        }
    }
    return std::nullopt;
}

// The walk shared by a plain packet and a reassembled fragmentable part. `claimed_total` is the
// length the header claims for `area`; `jumbo_ok` lets a Hop-by-Hop jumbo option replace it.
Counter walk(std::uint8_t nh, Bytes area, std::uint64_t claimed_total, bool jumbo_ok, bool allow_fragment,
             IpPacket& out) noexcept {
    ByteReader r{area};
    std::size_t pos = 0;
    bool first = true;
    for (;;) {
        std::size_t hlen = 0;
        switch (nh) {
        case ip_proto::hopopts:
        case ip_proto::routing:
        case ip_proto::dstopts:
        case ip_proto::mobility:
        case ip_proto::hip:
        case ip_proto::shim6:
        case ip_proto::ah: {
            const auto len = r.peek_u8(pos + 1);
            if (!len) return pos + 2 > claimed_total ? Counter::bad_ipv6_extension_header : Counter::truncated_ip_header;
            hlen = nh == ip_proto::ah ? (std::size_t{*len} + 2) * 4 : (std::size_t{*len} + 1) * 8;
            if (pos + hlen > area.size()) {
                return pos + hlen > claimed_total ? Counter::bad_ipv6_extension_header : Counter::truncated_ip_header;
            }
            if (nh == ip_proto::hopopts && first && jumbo_ok) {
                if (const auto j = find_jumbo(area.subspan(pos + 2, hlen - 2))) claimed_total = *j;
            }
            break;
        }
        case ip_proto::fragment: {
            hlen = 8;
            if (pos + hlen > area.size()) {
                return pos + hlen > claimed_total ? Counter::bad_ipv6_extension_header : Counter::truncated_ip_header;
            }
            const std::uint16_t off_m = *r.peek_be16(pos + 2);
            const std::uint32_t offset = static_cast<std::uint32_t>(off_m >> 3) * 8;
            const bool more = (off_m & 1u) != 0;
            if (offset == 0 && !more) break;   // atomic fragment: a plain packet
            if (!allow_fragment) return Counter::fragments_bad;
            if (pos + hlen > claimed_total) return Counter::bad_ipv6_extension_header;
            out.fragment = true;
            out.more_fragments = more;
            out.frag_offset = offset;
            out.frag_id = (std::uint32_t{*r.peek_be16(pos + 4)} << 16) | *r.peek_be16(pos + 6);
            out.proto = *r.peek_u8(pos);
            pos += hlen;
            const std::size_t end = static_cast<std::size_t>(std::min<std::uint64_t>(claimed_total, area.size()));
            out.payload = area.subspan(pos, end - pos);
            out.claimed = static_cast<std::uint32_t>(claimed_total - pos);
            return kDecodeOk;
        }
        default: {
            if (pos > claimed_total) return Counter::bad_ipv6_extension_header;
            out.proto = nh;
            const std::size_t end = static_cast<std::size_t>(std::min<std::uint64_t>(claimed_total, area.size()));
            out.payload = area.subspan(pos, end - pos);
            out.claimed = static_cast<std::uint32_t>(std::min<std::uint64_t>(claimed_total - pos, UINT32_MAX));
            return kDecodeOk;
        }
        }
        if (pos + hlen > claimed_total) return Counter::bad_ipv6_extension_header;
        nh = *r.peek_u8(pos);
        pos += hlen;
        first = false;
    }
}

}  // namespace

Counter parse_ipv6(Bytes packet, IpPacket& out) noexcept {
    ByteReader r{packet};
    const auto b0 = r.peek_u8(0);
    if (!b0) return Counter::truncated_ip_header;
    if ((*b0 >> 4) != 6) return Counter::bad_ip_version;
    if (packet.size() < 40) return Counter::truncated_ip_header;
    const std::uint16_t plen = *r.peek_be16(4);
    const std::uint8_t nh = *r.peek_u8(6);
    out.src = IpAddress::v6(packet.subspan(8, 16));
    out.dst = IpAddress::v6(packet.subspan(24, 16));
    const Bytes area = packet.subspan(40);
    const std::uint64_t claimed = plen != 0 ? plen : area.size();
    return walk(nh, area, claimed, plen == 0, true, out);
}

Counter walk_ipv6_headers(std::uint8_t next_header, Bytes area, IpPacket& out) noexcept {
    return walk(next_header, area, area.size(), false, false, out);
}

Counter parse_tcp(Bytes segment, std::uint32_t claimed, DecodedPacket& out) noexcept {
    ByteReader r{segment};
    if (claimed < 20) return Counter::bad_tcp_header_length;
    const auto sport = r.be16(), dport = r.be16();
    const auto seq = r.be32(), ack = r.be32();
    const auto off = r.u8(), flags = r.u8();
    const auto window = r.be16();
    if (!sport || !dport || !seq || !ack || !off || !flags || !window || !r.skip(4)) {
        return Counter::truncated_tcp_header;
    }
    const std::size_t hlen = static_cast<std::size_t>(*off >> 4) * 4;
    if (hlen < 20 || hlen > claimed) return Counter::bad_tcp_header_length;
    if (hlen > segment.size()) return Counter::truncated_tcp_header;
    out.sport = *sport;
    out.dport = *dport;
    out.tcp.seq = *seq;
    out.tcp.ack = *ack;
    out.tcp.flags = *flags;
    out.tcp.window = *window;
    out.tcp.window_scale = -1;
    ByteReader opts{segment.subspan(20, hlen - 20)};
    while (opts.remaining() > 0) {
        const auto kind = opts.u8();
        if (!kind || *kind == 0) break;
        if (*kind == 1) continue;
        const auto len = opts.u8();
        if (!len || *len < 2) break;
        const auto value = opts.take(std::size_t{*len} - 2);
        if (!value) break;
        if (*kind == 3 && *len == 3) out.tcp.window_scale = static_cast<std::int8_t>(std::min<std::uint8_t>((*value)[0], 14));
    }
    const std::size_t end = std::min<std::size_t>(claimed, segment.size());
    out.payload = segment.subspan(hlen, end - hlen);
    out.claimed_len = static_cast<std::uint32_t>(claimed - hlen);
    return kDecodeOk;
}

Counter parse_udp(Bytes datagram, std::uint32_t claimed, DecodedPacket& out) noexcept {
    ByteReader r{datagram};
    if (claimed < 8) return Counter::truncated_udp_header;
    const auto sport = r.be16(), dport = r.be16(), len = r.be16();
    if (!sport || !dport || !len || !r.skip(2)) return Counter::truncated_udp_header;
    std::uint32_t plen = claimed - 8;
    if (*len >= 8 && *len - 8u < plen) plen = *len - 8u;
    out.proto = Transport::udp;
    out.sport = *sport;
    out.dport = *dport;
    const Bytes rest = r.rest();
    out.payload = rest.first(std::min<std::size_t>(rest.size(), plen));
    out.claimed_len = plen;
    return kDecodeOk;
}

}  // namespace tcpflow
