#include "tcpflow/decode/decoder.h"

#include "tcpflow/decode/defrag.h"
#include "tcpflow/decode/ip.h"
#include "tcpflow/decode/link_layer.h"
#include "tcpflow/decode/tunnel.h"

namespace tcpflow {

struct Decoder::Impl {
    Stats& stats;
    Defragmenter defrag;
    bool check_fcs;
    bool udp;

    Impl(DecoderLimits limits, MemoryBudget& budget, Stats& s)
        : stats{s}, defrag{limits, budget, s}, check_fcs{limits.check_fcs}, udp{limits.udp} {}

    DecodeStatus fail(Counter c) noexcept {
        stats.add(c);
        return c == Counter::not_tcp || c == Counter::not_ip || c == Counter::wifi_non_data ||
                       c == Counter::unknown_ethertype
                   ? DecodeStatus::no_transport
                   : DecodeStatus::malformed;
    }

    DecodeStatus decode(LinkType link, Bytes frame, Timestamp ts, DecodedPacket& out);

    /// --udp: a datagram whose tunnel header was found, kept until the packet inside turns out to
    /// be one (its network layer parses, or it is a valid frame that is not IP, such as ARP).
    /// Garbage behind a tunnel-like header (a DNS answer to port 4789, say) is the datagram's own
    /// payload: it is then a UDP packet after all.
    struct Carrier {
        bool pending = false;
        IpPacket ip;
        DecodedPacket before;   // `out` as it was before the tunnel header was read
    };
    /// The failure `c` inside a pending carrier makes the carrier a UDP packet; else it counts.
    DecodeStatus fail_inside(const Carrier& k, Counter c, DecodedPacket& out) noexcept {
        if (!k.pending || c == Counter::not_ip || c == Counter::tunnel_too_deep) return fail(c);
        out = k.before;
        if (parse_udp(k.ip.payload, k.ip.claimed, out) != kDecodeOk) return fail(c);
        out.src = k.ip.src;
        out.dst = k.ip.dst;
        return DecodeStatus::transport;
    }
    Carrier carrier_;
};

void Decoder::skip_unsupported() noexcept {
    impl_->stats.add(Counter::packets);
    impl_->stats.add(Counter::unknown_link_type);
}

DecodeStatus Decoder::Impl::decode(LinkType link, Bytes frame, Timestamp ts, DecodedPacket& out) {
    out = DecodedPacket{};
    stats.add(Counter::packets);
    NetLayer net;
    net.check_fcs = check_fcs;
    if (const Counter c = decode_link(link, frame, net, out); c != kDecodeOk) return fail(c);

    IpPacket ip;
    Carrier& carrier = carrier_;   // a member: not built again for every packet
    carrier.pending = false;
    for (int depth = 0;; ++depth) {
        if (depth > kMaxTunnelDepth) return fail(Counter::tunnel_too_deep);
        // The network layer.
        NetKind kind = net.kind;
        if (kind == NetKind::by_nibble) {
            const auto b0 = ByteReader{net.bytes}.peek_u8(0);
            if (!b0) return fail_inside(carrier, Counter::truncated_ip_header, out);
            if ((*b0 >> 4) == 4) {
                kind = NetKind::ipv4;
            } else if ((*b0 >> 4) == 6) {
                kind = NetKind::ipv6;
            } else {
                return fail_inside(carrier, Counter::bad_ip_version, out);
            }
        }
        ip = IpPacket{};
        const Counter c = kind == NetKind::ipv4 ? parse_ipv4(net.bytes, ip) : parse_ipv6(net.bytes, ip);
        if (c != kDecodeOk) return fail_inside(carrier, c, out);
        carrier.pending = false;
        out.ip_version = kind == NetKind::ipv4 ? 4 : 6;
        out.src = ip.src;
        out.dst = ip.dst;

        if (ip.fragment) {
            stats.add(Counter::fragments_received);
            Bytes whole;
            std::uint8_t proto = 0;
            switch (defrag.add(ip, ts, whole, proto)) {
            case Defragmenter::Result::held:
                return DecodeStatus::fragment_held;
            case Defragmenter::Result::bad:
                return DecodeStatus::malformed;
            case Defragmenter::Result::complete:
                break;
            }
            ip.fragment = false;
            if (kind == NetKind::ipv6) {
                if (const Counter w = walk_ipv6_headers(proto, whole, ip); w != kDecodeOk) return fail(w);
            } else {
                ip.proto = proto;
                ip.payload = whole;
                ip.claimed = static_cast<std::uint32_t>(whole.size());
            }
        }

        // The transport layer, or a tunnel to go through.
        switch (ip.proto) {
        case ip_proto::tcp: {
            if (const Counter t = parse_tcp(ip.payload, ip.claimed, out); t != kDecodeOk) return fail(t);
            return DecodeStatus::transport;
        }
        case ip_proto::udp: {
            // A tunnel's carrier is decapsulated; with --udp any other datagram is a UDP packet.
            if (udp) {
                carrier.ip = ip;
                carrier.before = out;
            }
            bool is_carrier = false;
            const Counter t = decode_udp_tunnel(ip, net, out, depth, is_carrier);
            carrier.pending = udp && is_carrier;
            if (t == kDecodeOk) continue;
            if (is_carrier || !udp) return fail_inside(carrier, t, out);
            if (const Counter u = parse_udp(ip.payload, ip.claimed, out); u != kDecodeOk) return fail(u);
            out.src = ip.src;
            out.dst = ip.dst;
            return DecodeStatus::transport;
        }
        case ip_proto::gre: {
            if (const Counter t = decode_gre(ip, net, out, depth); t != kDecodeOk) return fail(t);
            continue;
        }
        case ip_proto::ipip:
        case ip_proto::ipv6:
            set_tunnel(out, TunnelKind::ip_in_ip, ip);
            net = NetLayer{ip.payload, ip.proto == ip_proto::ipip ? NetKind::ipv4 : NetKind::ipv6};
            continue;
        default:
            return fail(Counter::not_tcp);   // ICMP (a quoted TCP header is not a segment), ESP, ...
        }
    }
}

Decoder::Decoder(DecoderLimits limits, MemoryBudget& budget, Stats& stats)
    : impl_{new Impl{limits, budget, stats}} {}

Decoder::~Decoder() {
    delete impl_;
}

DecodeStatus Decoder::decode(LinkType link, Bytes frame, Timestamp ts, DecodedPacket& out) {
    return impl_->decode(link, frame, ts, out);
}

void Decoder::expire(Timestamp now) {
    impl_->defrag.expire(now);
}

bool Decoder::shed_oldest() {
    return impl_->defrag.shed_oldest();
}

std::size_t Decoder::memory_used() const noexcept {
    return impl_->defrag.memory_used();
}

}  // namespace tcpflow
