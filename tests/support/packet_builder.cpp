#include "support/packet_builder.h"

#include <arpa/inet.h>

#include <stdexcept>
#include <utility>

namespace tcpflow::test {

IpAddress ip(std::string_view text) {
    const std::string s{text};
    std::uint8_t buf[16] = {};
    if (s.find(':') != std::string::npos) {
        if (inet_pton(AF_INET6, s.c_str(), buf) != 1) throw std::invalid_argument("bad IPv6 " + s);
        return IpAddress::v6(Bytes{buf, 16});
    }
    if (inet_pton(AF_INET, s.c_str(), buf) != 1) throw std::invalid_argument("bad IPv4 " + s);
    return IpAddress::v4(Bytes{buf, 4});
}

static void put16(Frame& f, std::uint16_t v) {
    f.push_back(static_cast<std::uint8_t>(v >> 8));
    f.push_back(static_cast<std::uint8_t>(v));
}
static void put32(Frame& f, std::uint32_t v) {
    put16(f, static_cast<std::uint16_t>(v >> 16));
    put16(f, static_cast<std::uint16_t>(v));
}

Frame tcp_header_and_payload(const TcpSpec& t) {
    std::vector<std::uint8_t> opts = t.options;
    while (opts.size() % 4) opts.push_back(0);
    Frame f;
    put16(f, t.sport);
    put16(f, t.dport);
    put32(f, t.seq);
    put32(f, t.ack);
    f.push_back(static_cast<std::uint8_t>(((20 + opts.size()) / 4) << 4));
    f.push_back(t.flags);
    put16(f, t.window);
    put16(f, 0);  // checksum
    put16(f, 0);  // urgent
    f.insert(f.end(), opts.begin(), opts.end());
    f.insert(f.end(), t.payload.begin(), t.payload.end());
    return f;
}

Frame udp_datagram(std::uint16_t sport, std::uint16_t dport, Bytes payload) {
    Frame f;
    put16(f, sport);
    put16(f, dport);
    put16(f, static_cast<std::uint16_t>(8 + payload.size()));
    put16(f, 0);
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
}

Frame ipv4_packet(IpAddress src, IpAddress dst, std::uint8_t proto, Bytes payload, const Ipv4Spec& spec) {
    std::vector<std::uint8_t> opts = spec.options;
    while (opts.size() % 4) opts.push_back(0);
    const std::size_t hlen = 20 + opts.size();
    Frame f;
    f.push_back(static_cast<std::uint8_t>(0x40 | (hlen / 4)));
    f.push_back(0);
    put16(f, spec.total_length >= 0 ? static_cast<std::uint16_t>(spec.total_length)
                                    : static_cast<std::uint16_t>(hlen + payload.size()));
    put16(f, spec.id);
    std::uint16_t frag = static_cast<std::uint16_t>(spec.fragment_offset / 8);
    if (spec.more_fragments) frag |= 0x2000;
    if (spec.dont_fragment) frag |= 0x4000;
    put16(f, frag);
    f.push_back(spec.ttl);
    f.push_back(proto);
    put16(f, 0);
    f.insert(f.end(), src.bytes.begin(), src.bytes.begin() + 4);
    f.insert(f.end(), dst.bytes.begin(), dst.bytes.begin() + 4);
    f.insert(f.end(), opts.begin(), opts.end());
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
}

Frame ipv6_packet(IpAddress src, IpAddress dst, std::uint8_t proto, Bytes payload, Bytes ext,
                  int first_next_header, int payload_length) {
    Frame f;
    put32(f, 0x60000000u);
    put16(f, payload_length >= 0 ? static_cast<std::uint16_t>(payload_length)
                                 : static_cast<std::uint16_t>(ext.size() + payload.size()));
    f.push_back(first_next_header >= 0 ? static_cast<std::uint8_t>(first_next_header) : proto);
    f.push_back(64);
    f.insert(f.end(), src.bytes.begin(), src.bytes.end());
    f.insert(f.end(), dst.bytes.begin(), dst.bytes.end());
    f.insert(f.end(), ext.begin(), ext.end());
    f.insert(f.end(), payload.begin(), payload.end());
    return f;
}

Frame ethernet_frame(std::uint16_t ethertype, Bytes payload, const std::vector<VlanTag>& tags, std::size_t pad_to) {
    Frame f = {0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1};  // dst 00:..:02, src 00:..:01
    for (const auto& t : tags) {
        put16(f, t.tpid);
        put16(f, t.tci);
    }
    put16(f, ethertype);
    f.insert(f.end(), payload.begin(), payload.end());
    while (f.size() < pad_to) f.push_back(0);
    return f;
}

Frame ip_tcp(const TcpSpec& t) {
    const Frame seg = tcp_header_and_payload(t);
    if (t.src.family == 6) return ipv6_packet(t.src, t.dst, 6, bytes(seg));
    return ipv4_packet(t.src, t.dst, 6, bytes(seg));
}

Frame eth_tcp(const TcpSpec& t, const std::vector<VlanTag>& tags, bool pad) {
    const Frame ipf = ip_tcp(t);
    return ethernet_frame(t.src.family == 6 ? 0x86dd : 0x0800, bytes(ipf), tags, pad ? 60 : 0);
}

TcpSpec tcp_spec(std::string_view src, std::string_view dst, std::uint16_t sport, std::uint16_t dport, std::uint32_t seq,
                 std::uint8_t flags, std::string payload, std::uint32_t ack) {
    TcpSpec t;
    t.src = ip(src);
    t.dst = ip(dst);
    t.sport = sport;
    t.dport = dport;
    t.seq = seq;
    t.ack = ack;
    t.flags = flags;
    t.payload = std::move(payload);
    return t;
}

TcpSpec seg(bool client, std::uint32_t seq, std::uint8_t flags, std::string data, std::uint16_t cport,
            std::uint32_t ack) {
    return client ? tcp_spec("10.0.0.1", "10.0.0.2", cport, 80, seq, flags, std::move(data), ack)
                  : tcp_spec("10.0.0.2", "10.0.0.1", 80, cport, seq, flags, std::move(data), ack);
}

}  // namespace tcpflow::test
