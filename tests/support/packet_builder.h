// packet_builder.h: build test frames field by field (Ethernet, VLAN, IPv4, IPv6, TCP, UDP).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tcpflow/base/address.h"
#include "tcpflow/base/bytes.h"
#include "tcpflow/decode/packet.h"

namespace tcpflow::test {

using Frame = std::vector<std::uint8_t>;

IpAddress ip(std::string_view text);   ///< "10.0.0.1" or "2001:db8::1"

struct TcpSpec {
    IpAddress src, dst;
    std::uint16_t sport = 1234, dport = 80;
    std::uint32_t seq = 0, ack = 0;
    std::uint8_t flags = 0x18;           ///< PSH|ACK
    std::uint16_t window = 65535;
    std::string payload;
    std::vector<std::uint8_t> options;   ///< raw TCP options (padded to 4 bytes by the builder)
};

/// TCP header + payload (checksum left 0; tcpflow does not check it).
Frame tcp_header_and_payload(const TcpSpec& t);
Frame udp_datagram(std::uint16_t sport, std::uint16_t dport, tcpflow::Bytes payload);

struct Ipv4Spec {
    std::uint16_t id = 1;
    std::uint8_t ttl = 64;
    bool more_fragments = false;
    bool dont_fragment = false;
    std::uint16_t fragment_offset = 0;   ///< in bytes (must be a multiple of 8)
    std::vector<std::uint8_t> options;   ///< raw IP options (padded to 4 bytes)
    int total_length = -1;               ///< override the total-length field (-1 = computed)
};
Frame ipv4_packet(IpAddress src, IpAddress dst, std::uint8_t proto, tcpflow::Bytes payload,
                  const Ipv4Spec& spec = {});
/// IPv6 header; `ext` is the raw extension-header chain placed before the payload and
/// `first_next_header` the Next Header value of the fixed header (proto when ext is empty).
Frame ipv6_packet(IpAddress src, IpAddress dst, std::uint8_t proto, tcpflow::Bytes payload,
                  tcpflow::Bytes ext = {}, int first_next_header = -1, int payload_length = -1);

/// Ethernet II with optional tags (each a TPID and a TCI), outermost first.
struct VlanTag {
    std::uint16_t tpid = 0x8100;
    std::uint16_t tci = 0;
};
Frame ethernet_frame(std::uint16_t ethertype, tcpflow::Bytes payload, const std::vector<VlanTag>& tags = {},
                     std::size_t pad_to = 0);

/// IP (v4 or v6 by the address family) carrying the TCP segment.
Frame ip_tcp(const TcpSpec& t);
/// Ethernet + IP + TCP, with optional VLAN tags; padded to 60 bytes like a real NIC if pad.
Frame eth_tcp(const TcpSpec& t, const std::vector<VlanTag>& tags = {}, bool pad = false);

inline tcpflow::Bytes bytes(const Frame& f) { return tcpflow::Bytes{f.data(), f.size()}; }

/// TCP flag bits as the tests write them (`using namespace flag_bits;`), from the core's tcp_flags.
namespace flag_bits {
inline constexpr std::uint8_t FIN = tcp_flags::fin, SYN = tcp_flags::syn, RST = tcp_flags::rst, PSH = tcp_flags::psh,
                              ACK = tcp_flags::ack, PA = tcp_flags::psh | tcp_flags::ack;
}

/// A TCP segment between two addresses ("10.0.0.1", "2001:db8::1").
TcpSpec tcp_spec(std::string_view src, std::string_view dst, std::uint16_t sport, std::uint16_t dport, std::uint32_t seq,
                 std::uint8_t flags = flag_bits::PA, std::string payload = {}, std::uint32_t ack = 0);

/// One segment of the usual test connection, client 10.0.0.1:cport <-> server 10.0.0.2:80
/// (`client` picks the direction).
TcpSpec seg(bool client, std::uint32_t seq, std::uint8_t flags, std::string data, std::uint16_t cport = 1234,
            std::uint32_t ack = 0);

}  // namespace tcpflow::test
