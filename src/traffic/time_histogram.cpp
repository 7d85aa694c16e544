#include "tcpflow/traffic/time_histogram.h"

#include <algorithm>
#include <limits>
#include <map>

namespace tcpflow {

namespace {

constexpr std::int64_t kUs = 1000, kMs = 1000 * kUs, kSec = 1000 * kMs, kMin = 60 * kSec, kHour = 60 * kMin,
                       kDay = 24 * kHour;

/// Adds `bytes`/`packets` of `port` to a bucket's slots: its own slot, a free one, or the one with
/// the fewest bytes when this amount is larger (that one's share then counts as "other").
void add_port(TimeHistogram::Bucket& b, std::uint16_t port, std::uint64_t bytes, std::uint64_t packets) noexcept {
    TimeHistogram::PortCount* smallest = nullptr;
    for (auto& p : b.ports) {
        if (!p.used) {
            p = TimeHistogram::PortCount{port, true, bytes, packets};
            return;
        }
        if (p.port == port) {
            p.bytes += bytes;
            p.packets += packets;
            return;
        }
        if (!smallest || p.bytes < smallest->bytes) smallest = &p;
    }
    if (smallest && smallest->bytes < bytes) *smallest = TimeHistogram::PortCount{port, true, bytes, packets};
}

void merge_into(TimeHistogram::Bucket& to, const TimeHistogram::Bucket& from) noexcept {
    to.bytes += from.bytes;
    to.packets += from.packets;
    for (const auto& p : from.ports)
        if (p.used) add_port(to, p.port, p.bytes, p.packets);
}

}  // namespace

const std::vector<std::int64_t>& TimeHistogram::ladder() {
    static const std::vector<std::int64_t> widths = {
        1 * kUs,   2 * kUs,   10 * kUs,   20 * kUs,   100 * kUs,  200 * kUs,  1 * kMs,   2 * kMs,
        10 * kMs,  20 * kMs,  100 * kMs,  200 * kMs,  1 * kSec,   2 * kSec,   10 * kSec, 30 * kSec,
        1 * kMin,  2 * kMin,  10 * kMin,  30 * kMin,  1 * kHour,  2 * kHour,  6 * kHour, 12 * kHour,
        1 * kDay,  2 * kDay,  10 * kDay,  20 * kDay,  100 * kDay, 200 * kDay, 1000 * kDay,
        2000 * kDay, 10000 * kDay};
    return widths;
}

TimeHistogram::TimeHistogram() : buckets_(kBuckets), scratch_(kBuckets) {}

std::int64_t TimeHistogram::width_ns() const noexcept { return ladder()[width_idx_]; }

void TimeHistogram::remember(std::int64_t k, std::int64_t width, std::size_t slot) noexcept {
    // k * width is within a bucket of a time that fits, so only its end can overflow.
    hit_lo_ = k * width;
    hit_hi_ = hit_lo_ > std::numeric_limits<std::int64_t>::max() - width ? hit_lo_ : hit_lo_ + width;
    hit_slot_ = slot;
}

void TimeHistogram::rebase(std::int64_t new_start) noexcept {
    std::fill(scratch_.begin(), scratch_.end(), Bucket{});
    for (std::int64_t k = used_lo_; k <= used_hi_; ++k)
        scratch_[static_cast<std::size_t>(k - new_start)] = buckets_[static_cast<std::size_t>(k - start_)];
    buckets_.swap(scratch_);
    start_ = new_start;
}

void TimeHistogram::widen() noexcept {
    const auto& l = ladder();
    const std::int64_t m = l[width_idx_ + 1] / l[width_idx_];
    const std::int64_t new_start = floor_div(used_lo_, m);
    std::fill(scratch_.begin(), scratch_.end(), Bucket{});
    for (std::int64_t k = used_lo_; k <= used_hi_; ++k)
        merge_into(scratch_[static_cast<std::size_t>(floor_div(k, m) - new_start)],
                   buckets_[static_cast<std::size_t>(k - start_)]);
    buckets_.swap(scratch_);
    start_ = new_start;
    used_lo_ = floor_div(used_lo_, m);
    used_hi_ = floor_div(used_hi_, m);
    ++width_idx_;
}

std::size_t TimeHistogram::slot_of(std::int64_t ts_ns) noexcept {
    constexpr auto n = static_cast<std::int64_t>(kBuckets);
    if (ts_ns >= hit_lo_ && ts_ns < hit_hi_) return hit_slot_;   // empty span while packets_ == 0
    hit_lo_ = hit_hi_ = 0;   // the buckets may move or widen below: remembered again at the end
    const std::int64_t width = width_ns();
    std::int64_t k = floor_div(ts_ns, width);
    if (packets_ == 0) {
        start_ = used_lo_ = used_hi_ = k;
        remember(k, width, 0);
        return 0;
    }
    bool clamped = false;
    while (k < start_ || k >= start_ + n) {
        const std::int64_t lo = std::min(used_lo_, k), hi = std::max(used_hi_, k);
        if (hi - lo < n) {
            rebase(k < start_ ? hi - (n - 1) : lo);
            break;
        }
        if (width_idx_ + 1 >= ladder().size()) {   // beyond 10000-day buckets: the edge absorbs it
            k = std::clamp(k, start_, start_ + n - 1);
            clamped = true;
            break;
        }
        widen();
        k = floor_div(ts_ns, width_ns());
    }
    used_lo_ = std::min(used_lo_, k);
    used_hi_ = std::max(used_hi_, k);
    const auto slot = static_cast<std::size_t>(k - start_);
    if (!clamped) remember(k, width_ns(), slot);
    return slot;
}

void TimeHistogram::add(std::int64_t ts_ns, std::uint64_t bytes, int port) noexcept {
    Bucket& b = buckets_[slot_of(ts_ns)];
    if (packets_ == 0 || ts_ns < first_ns_) first_ns_ = ts_ns;
    if (packets_ == 0 || ts_ns > last_ns_) last_ns_ = ts_ns;
    ++packets_;
    b.bytes += bytes;
    ++b.packets;
    if (port >= 0) add_port(b, static_cast<std::uint16_t>(port), bytes, 1);
}

std::vector<std::uint16_t> TimeHistogram::top_ports(std::size_t n) const {
    std::map<std::uint16_t, std::uint64_t> sum;
    if (!empty())
        for (std::int64_t k = used_lo_; k <= used_hi_; ++k)
            for (const auto& p : buckets_[static_cast<std::size_t>(k - start_)].ports)
                if (p.used) sum[p.port] += p.bytes;
    std::vector<std::pair<std::uint64_t, std::uint16_t>> v;
    for (const auto& [port, bytes] : sum) v.emplace_back(bytes, port);
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    std::vector<std::uint16_t> out;
    for (std::size_t i = 0; i < v.size() && i < n; ++i) out.push_back(v[i].second);
    return out;
}

TimeHistogram::Bars TimeHistogram::bars(std::size_t max_bars, const std::vector<std::uint16_t>& legend) const {
    Bars out;
    if (empty()) return out;
    max_bars = std::max<std::size_t>(max_bars, 1);
    const auto& l = ladder();
    std::size_t wi = width_idx_;
    const auto bar_count = [&](std::size_t i) {
        return static_cast<std::size_t>(floor_div(last_ns_, l[i]) - floor_div(first_ns_, l[i]) + 1);
    };
    while (wi + 1 < l.size() && bar_count(wi) > max_bars) ++wi;
    const std::int64_t m = l[wi] / l[width_idx_];
    const std::int64_t first_bar = floor_div(first_ns_, l[wi]);
    const std::size_t count = std::min(bar_count(wi), max_bars);
    out.width_ns = l[wi];
    out.start_ns = first_bar * l[wi];
    out.bytes.assign(count, 0);
    out.packets.assign(count, 0);
    out.port_bytes.assign(legend.size(), std::vector<std::uint64_t>(count, 0));
    out.port_packets.assign(legend.size(), std::vector<std::uint64_t>(count, 0));
    for (std::int64_t k = used_lo_; k <= used_hi_; ++k) {
        const Bucket& b = buckets_[static_cast<std::size_t>(k - start_)];
        if (b.packets == 0) continue;
        const auto bar = static_cast<std::size_t>(
            std::clamp<std::int64_t>(floor_div(k, m) - first_bar, 0, static_cast<std::int64_t>(count) - 1));
        out.bytes[bar] += b.bytes;
        out.packets[bar] += b.packets;
        for (const auto& p : b.ports) {
            if (!p.used) continue;
            for (std::size_t i = 0; i < legend.size(); ++i) {
                if (legend[i] != p.port) continue;
                out.port_bytes[i][bar] += p.bytes;
                out.port_packets[i][bar] += p.packets;
            }
        }
    }
    return out;
}

}  // namespace tcpflow
