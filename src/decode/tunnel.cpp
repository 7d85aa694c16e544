#include "tcpflow/decode/tunnel.h"

#include <algorithm>

namespace tcpflow {

void set_tunnel(DecodedPacket& out, TunnelKind kind, const IpPacket& outer, std::uint16_t sport,
                std::uint16_t dport, std::uint32_t id) noexcept {
    out.tunnel.kind = static_cast<std::uint8_t>(kind);
    out.tunnel.outer_src = outer.src;
    out.tunnel.outer_dst = outer.dst;
    out.tunnel.outer_sport = sport;
    out.tunnel.outer_dport = dport;
    out.tunnel.id = id;
}

bool looks_like_teredo(Bytes udp_payload, std::size_t claimed, Bytes& ipv6) noexcept {
    ByteReader r{udp_payload};
    for (int header = 0; header < 2; ++header) {
        const auto b0 = r.peek_u8(r.position());
        const auto b1 = r.peek_u8(r.position() + 1);
        if (!b0 || !b1 || *b0 != 0) break;
        if (*b1 == 1) {   // authentication: 0x0001, id len, auth len, id, auth, nonce(8), confirmation(1)
            const auto id_len = r.peek_u8(r.position() + 2);
            const auto au_len = r.peek_u8(r.position() + 3);
            if (!id_len || !au_len) return false;
            if (!r.skip(4 + std::size_t{*id_len} + *au_len + 9)) return false;
        } else if (*b1 == 0) {   // origin indication: 0x0000, port, address
            if (!r.skip(8)) return false;
        } else {
            return false;
        }
    }
    const std::size_t hdrs = r.position();
    if (claimed < hdrs) return false;
    const auto v = r.peek_u8(hdrs);
    const auto plen = r.peek_be16(hdrs + 4);
    if (!v || !plen || (*v >> 4) != 6 || r.remaining() < 40) return false;
    if (std::size_t{40} + *plen != claimed - hdrs) return false;
    ipv6 = r.rest();
    return true;
}

Counter decode_udp_tunnel(const IpPacket& outer, NetLayer& inner, DecodedPacket& out, int depth,
                          bool& carrier) noexcept {
    carrier = false;
    ByteReader r{outer.payload};
    const auto sport = r.be16(), dport = r.be16(), len = r.be16();
    if (!sport || !dport || !len || !r.skip(2)) return Counter::not_tcp;   // not even a UDP header
    std::size_t claimed = outer.claimed >= 8 ? outer.claimed - 8u : 0;
    if (*len >= 8 && *len - 8u < claimed) claimed = *len - 8u;
    Bytes payload = r.rest();
    if (payload.size() > claimed) payload = payload.first(claimed);
    ByteReader p{payload};
    if (*dport == kVxlanPort) {
        const auto flags = p.u8();
        if (!flags || !p.skip(3)) return Counter::truncated_tunnel_header;
        const auto vni = p.be32();
        if (!vni) return Counter::truncated_tunnel_header;
        if ((*flags & 0x08u) == 0) return Counter::not_tcp;
        carrier = true;
        set_tunnel(out, TunnelKind::vxlan, outer, *sport, *dport, *vni >> 8);
        return decode_ethernet(p.rest(), inner, out, depth);
    }
    if (*dport == kGenevePort) {
        const auto vo = p.u8();
        if (!vo || !p.skip(1)) return Counter::truncated_tunnel_header;
        const auto proto = p.be16();
        const auto vni = p.be32();
        if (!proto || !vni) return Counter::truncated_tunnel_header;
        if ((*vo >> 6) != 0) return Counter::not_tcp;
        if (!p.skip(std::size_t{*vo & 0x3fu} * 4)) return Counter::truncated_tunnel_header;
        carrier = true;
        set_tunnel(out, TunnelKind::geneve, outer, *sport, *dport, *vni >> 8);
        return decode_ethertype(*proto, p.rest(), inner, out, depth);
    }
    Bytes v6;
    if (looks_like_teredo(payload, claimed, v6)) {
        carrier = true;
        set_tunnel(out, TunnelKind::teredo, outer, *sport, *dport, 0);
        inner = NetLayer{v6, NetKind::ipv6};
        return kDecodeOk;
    }
    return Counter::not_tcp;
}

Counter decode_gre(const IpPacket& outer, NetLayer& inner, DecodedPacket& out, int depth) noexcept {
    ByteReader r{outer.payload};
    const auto fv = r.be16(), proto = r.be16();
    if (!fv || !proto) return Counter::truncated_tunnel_header;
    const unsigned version = *fv & 0x7u;
    const bool has_csum = *fv & 0x8000u, has_route = *fv & 0x4000u, has_key = *fv & 0x2000u,
               has_seq = *fv & 0x1000u, has_ack = *fv & 0x0080u;
    if (version > 1 || has_route) return Counter::unknown_ethertype;   // source routing: obsolete
    std::uint32_t key = 0;
    if (has_csum && !r.skip(4)) return Counter::truncated_tunnel_header;
    if (has_key) {
        const auto k = r.be32();
        if (!k) return Counter::truncated_tunnel_header;
        key = *k;
    }
    if (has_seq && !r.skip(4)) return Counter::truncated_tunnel_header;
    if (version == 1 && has_ack && !r.skip(4)) return Counter::truncated_tunnel_header;
    switch (*proto) {
    case 0x88be: {   // ERSPAN type II (with sequence number) or type I (bare frame)
        std::uint32_t session = 0;
        if (has_seq) {
            const auto w0 = r.be16(), w1 = r.be16();
            if (!w0 || !w1 || !r.skip(4)) return Counter::truncated_tunnel_header;
            session = *w1 & 0x3ffu;
        }
        set_tunnel(out, TunnelKind::erspan, outer, 0, 0, session);
        return decode_ethernet(r.rest(), inner, out, depth);
    }
    case 0x22eb: {   // ERSPAN type III
        const auto w0 = r.be16(), w1 = r.be16();
        if (!w0 || !w1 || !r.skip(6)) return Counter::truncated_tunnel_header;
        const auto w5 = r.be16();
        if (!w5) return Counter::truncated_tunnel_header;
        if ((*w5 & 0x1u) && !r.skip(8)) return Counter::truncated_tunnel_header;   // platform sub-header
        set_tunnel(out, TunnelKind::erspan, outer, 0, 0, *w1 & 0x3ffu);
        return decode_ethernet(r.rest(), inner, out, depth);
    }
    case 0x880b:   // PPP (PPTP)
        set_tunnel(out, TunnelKind::gre, outer, 0, 0, key);
        return decode_ppp(r.rest(), inner, out, depth);
    default:
        set_tunnel(out, TunnelKind::gre, outer, 0, 0, key);
        return decode_ethertype(*proto, r.rest(), inner, out, depth);
    }
}

}  // namespace tcpflow
