// traffic_stats.h: what netviz draws, gathered from every decoded frame in bounded memory.
//
// Counted for every frame the decoder is given (after the BPF filter): the frame's length on the
// wire (the pcap record's original length, as 1.6.1 counts) and its time (plus -S tdelta).
// A frame that reached an IP header (the innermost one, the one its flow is named by) also counts
// for its source and destination addresses and for IPv4 or IPv6; a frame decoded to a transport
// packet (TCP, and UDP with --udp) also for its source and destination ports and, in the time
// histogram, for its service port (the lower of its two ports). Ports are counted exactly (two
// arrays of 65536 counters); addresses in an AddressCounter (bounded, exact while it never fills).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tcpflow/base/timestamp.h"
#include "tcpflow/decode/packet.h"
#include "tcpflow/traffic/address_counter.h"
#include "tcpflow/traffic/time_histogram.h"

namespace tcpflow {

struct TrafficConfig {
    std::size_t address_capacity = 1000;   ///< -S netviz_histogram_size: addresses tracked per side
    std::int64_t tdelta_ns = 0;            ///< -S tdelta, added to every time
};

struct PortBytes {
    std::uint16_t port = 0;
    std::uint64_t bytes = 0;
};

class TrafficStats {
public:
    explicit TrafficStats(TrafficConfig config = {});

    /// A frame's address hashes, computed once for prefetch() and add().
    struct Prepared {
        std::uint64_t src_hash = 0, dst_hash = 0;
    };
    /// Asks the CPU for the counters add() will touch for this frame (its two address cells and
    /// two port counters), so their cache misses overlap the work done with the frame before
    /// add(); returns what add() needs to know about the frame.
    [[nodiscard]] Prepared prefetch(DecodeStatus status, const DecodedPacket& pkt) const noexcept {
        if (pkt.ip_version == 0) return {};
        const Prepared p{AddressCounter::hash_of(pkt.src), AddressCounter::hash_of(pkt.dst)};
        sources_.prefetch(p.src_hash);
        destinations_.prefetch(p.dst_hash);
        if (status == DecodeStatus::transport) {
            __builtin_prefetch(&src_ports_[pkt.sport], 1);
            __builtin_prefetch(&dst_ports_[pkt.dport], 1);
        }
        return p;
    }
    /// One frame: `wire_len` bytes captured at `ts`, decoded to `status`/`pkt`; `prepared` is
    /// what prefetch() returned for this frame.
    void add(Timestamp ts, std::uint32_t wire_len, DecodeStatus status, const DecodedPacket& pkt,
             const Prepared& prepared) noexcept;
    /// The same without an earlier prefetch().
    void add(Timestamp ts, std::uint32_t wire_len, DecodeStatus status, const DecodedPacket& pkt) noexcept {
        add(ts, wire_len, status, pkt,
            pkt.ip_version == 0 ? Prepared{}
                                : Prepared{AddressCounter::hash_of(pkt.src), AddressCounter::hash_of(pkt.dst)});
    }

    [[nodiscard]] std::uint64_t packets() const noexcept { return packets_; }
    [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }
    [[nodiscard]] Timestamp first() const noexcept { return first_; }   ///< with tdelta; 0 when empty
    [[nodiscard]] Timestamp last() const noexcept { return last_; }
    [[nodiscard]] std::uint64_t ipv4_bytes() const noexcept { return ipv4_bytes_; }
    [[nodiscard]] std::uint64_t ipv6_bytes() const noexcept { return ipv6_bytes_; }
    /// Bytes of frames with a port (the denominator of the port shares).
    [[nodiscard]] std::uint64_t port_bytes() const noexcept { return port_bytes_; }
    /// Bytes of frames with an address (the denominator of the address shares).
    [[nodiscard]] std::uint64_t address_bytes() const noexcept { return sources_.total(); }
    [[nodiscard]] const AddressCounter& sources() const noexcept { return sources_; }
    [[nodiscard]] const AddressCounter& destinations() const noexcept { return destinations_; }
    /// The n source (destination) ports with the most bytes, most first (ties: lower port first).
    [[nodiscard]] std::vector<PortBytes> top_source_ports(std::size_t n) const { return top(src_ports_, n); }
    [[nodiscard]] std::vector<PortBytes> top_destination_ports(std::size_t n) const { return top(dst_ports_, n); }
    [[nodiscard]] const TimeHistogram& histogram() const noexcept { return histogram_; }

private:
    [[nodiscard]] static std::vector<PortBytes> top(const std::vector<std::uint64_t>& counts, std::size_t n);

    std::int64_t tdelta_ns_;
    std::uint64_t packets_ = 0, bytes_ = 0, ipv4_bytes_ = 0, ipv6_bytes_ = 0, port_bytes_ = 0;
    Timestamp first_, last_;
    AddressCounter sources_, destinations_;
    std::vector<std::uint64_t> src_ports_, dst_ports_;
    TimeHistogram histogram_;
};

}  // namespace tcpflow
