// time_histogram.h: bytes and packets over the time of a capture, in a fixed number of buckets
// (the time histogram and the packetfall of netviz).
//
// Buckets have a width from a ladder of round lengths (1 us, 2 us, 10 us, ... 1 s, 2 s, 10 s,
// 30 s, 1 min, ... 1 h, 2 h, 6 h, 12 h, 1 day, 2 days, 10 days, ... 10000 days), each a multiple
// of the one before, and sit at multiples of their width on the time axis. The first packet
// takes the finest width; a packet outside the window of kBuckets buckets moves the window or
// widens the buckets (neighbours merge exactly), so a capture of one packet, one second or ten
// years, in any order, ends with at most kBuckets buckets. Each bucket keeps exact byte and
// packet totals and up to kPortSlots ports with their share (a port that finds no slot counts
// in the totals only: drawn as "other"). The last packet's bucket is remembered, so a packet in
// the same bucket costs no division.
// Memory: fixed at construction; add() never allocates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tcpflow {

class TimeHistogram {
public:
    static constexpr std::size_t kBuckets = 512;
    static constexpr std::size_t kPortSlots = 6;

    struct PortCount {
        std::uint16_t port = 0;
        bool used = false;
        std::uint64_t bytes = 0, packets = 0;
    };
    struct Bucket {
        std::uint64_t bytes = 0, packets = 0;
        std::array<PortCount, kPortSlots> ports{};
    };

    /// The bars to draw: `count` intervals of `width_ns` from `start_ns`, with per legend port
    /// the part of each bar (port_bytes[i][bar] for legend[i]).
    struct Bars {
        std::int64_t width_ns = 0;
        std::int64_t start_ns = 0;
        std::vector<std::uint64_t> bytes, packets;
        std::vector<std::vector<std::uint64_t>> port_bytes, port_packets;
        [[nodiscard]] std::size_t count() const noexcept { return bytes.size(); }
    };

    TimeHistogram();

    /// One packet of `bytes` at `ts_ns`; `port` < 0: none (drawn as "other").
    void add(std::int64_t ts_ns, std::uint64_t bytes, int port) noexcept;

    [[nodiscard]] bool empty() const noexcept { return packets_ == 0; }
    [[nodiscard]] std::int64_t width_ns() const noexcept;
    /// The ports with the most bytes attributed in the buckets, most first (at most n).
    [[nodiscard]] std::vector<std::uint16_t> top_ports(std::size_t n) const;
    /// At most `max_bars` bars covering every packet: the finest ladder width that fits.
    [[nodiscard]] Bars bars(std::size_t max_bars, const std::vector<std::uint16_t>& legend) const;

    /// The ladder of widths, in nanoseconds.
    [[nodiscard]] static const std::vector<std::int64_t>& ladder();

private:
    [[nodiscard]] std::size_t slot_of(std::int64_t ts_ns) noexcept;
    void remember(std::int64_t k, std::int64_t width, std::size_t slot) noexcept;
    void rebase(std::int64_t new_start) noexcept;
    void widen() noexcept;

    std::vector<Bucket> buckets_, scratch_;
    // The bucket of the last packet and its time span [hit_lo_, hit_hi_): a packet inside it (the
    // usual case: times go forward in small steps) skips the division. Forgotten whenever
    // slot_of() computes a slot (the buckets may move or widen), remembered after it unless the
    // packet was clamped to an edge.
    std::int64_t hit_lo_ = 0, hit_hi_ = 0;
    std::size_t hit_slot_ = 0;
    std::size_t width_idx_ = 0;
    std::int64_t start_ = 0;              // index (in widths) of buckets_[0]
    std::int64_t used_lo_ = 0, used_hi_ = 0;
    std::int64_t first_ns_ = 0, last_ns_ = 0;
    std::uint64_t packets_ = 0;
};

/// Floor division (rounds toward minus infinity).
[[nodiscard]] constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
    const std::int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace tcpflow
