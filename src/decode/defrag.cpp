#include "tcpflow/decode/defrag.h"

#include <algorithm>
#include <list>
#include <unordered_map>
#include <utility>

namespace tcpflow {

namespace {

struct Key {
    std::array<std::uint8_t, 16> src{}, dst{};
    std::uint32_t id = 0;
    std::uint8_t family = 0;
    std::uint8_t proto = 0;   // IPv4 only (part of the IPv4 fragment key); 0 for IPv6
    friend bool operator==(const Key&, const Key&) = default;
};

struct KeyHash {
    std::size_t operator()(const Key& k) const noexcept {
        std::uint64_t h = 1469598103934665603ull;
        auto mix = [&h](std::uint8_t b) {
            h ^= b;
            h *= 1099511628211ull;
        };
        for (auto b : k.src) mix(b);
        for (auto b : k.dst) mix(b);
        for (int i = 0; i < 4; ++i) mix(static_cast<std::uint8_t>(k.id >> (8 * i)));
        mix(k.family);
        mix(k.proto);
        return static_cast<std::size_t>(h);
    }
};

constexpr std::size_t kDatagramOverhead = 128;   // bookkeeping charged per datagram

struct Datagram {
    Key key;
    std::int64_t first_ns = 0;
    std::vector<std::uint8_t> data;
    std::vector<std::pair<std::uint32_t, std::uint32_t>> covered;   // sorted, disjoint [begin, end)
    std::uint32_t total = 0;   // known once the last fragment arrived
    bool have_last = false;
    bool have_first = false;
    std::uint8_t proto = 0;
    std::size_t charged = 0;
};

/// Copies the bytes of [begin, cap_end) that no earlier fragment covered (first copy wins) and
/// records the range as covered. True when the fragment overlapped an earlier one.
bool copy_new_bytes(Datagram& d, Bytes payload, std::uint32_t begin, std::uint32_t cap_end) {
    bool overlap = false;
    std::uint32_t cursor = begin;
    auto copy = [&](std::uint32_t from, std::uint32_t to) {
        for (std::uint32_t i = from; i < to; ++i) d.data[i] = payload[i - begin];
    };
    for (const auto& [b, e] : d.covered) {
        if (e <= cursor) continue;
        if (b >= cap_end) break;
        overlap = true;
        if (b > cursor) copy(cursor, b);
        cursor = std::max(cursor, e);
        if (cursor >= cap_end) break;
    }
    if (cursor < cap_end) copy(cursor, cap_end);
    if (cap_end > begin) {
        d.covered.emplace_back(begin, cap_end);
        std::sort(d.covered.begin(), d.covered.end());
        std::size_t w = 0;
        for (std::size_t i = 1; i < d.covered.size(); ++i) {
            if (d.covered[i].first <= d.covered[w].second) {
                d.covered[w].second = std::max(d.covered[w].second, d.covered[i].second);
            } else {
                d.covered[++w] = d.covered[i];
            }
        }
        d.covered.resize(w + 1);
    }
    return overlap;
}

/// A fragment that disagrees with what is known of the datagram's end.
bool end_is_inconsistent(const Datagram& d, bool more_fragments, std::uint32_t end) {
    if (!more_fragments) return (d.have_last && d.total != end) || (!d.covered.empty() && d.covered.back().second > end);
    return d.have_last && end > d.total;
}

}  // namespace

struct Defragmenter::Impl {
    DecoderLimits limits;
    MemoryBudget& budget;
    Stats& stats;
    std::list<Datagram> order;   // oldest first
    std::unordered_map<Key, std::list<Datagram>::iterator, KeyHash> index;

    Impl(DecoderLimits l, MemoryBudget& b, Stats& s) : limits{l}, budget{b}, stats{s} {}
};

Defragmenter::Defragmenter(DecoderLimits limits, MemoryBudget& budget, Stats& stats)
    : impl_{std::make_unique<Impl>(limits, budget, stats)} {}

Defragmenter::~Defragmenter() {
    impl_->budget.release(memory_);
}

std::size_t Defragmenter::in_flight() const noexcept {
    return impl_->order.size();
}

bool Defragmenter::shed_oldest() {
    if (impl_->order.empty()) return false;
    Datagram& d = impl_->order.front();
    impl_->budget.release(d.charged);
    memory_ -= d.charged;
    impl_->index.erase(d.key);
    impl_->order.pop_front();
    impl_->stats.add(Counter::fragments_expired);
    return true;
}

void Defragmenter::expire(Timestamp now) {
    auto& order = impl_->order;
    for (auto it = order.begin(); it != order.end();) {
        if (now.ns - it->first_ns > impl_->limits.fragment_timeout_ns) {
            impl_->budget.release(it->charged);
            memory_ -= it->charged;
            impl_->index.erase(it->key);
            it = order.erase(it);
            impl_->stats.add(Counter::fragments_expired);
        } else {
            ++it;
        }
    }
}

Defragmenter::Result Defragmenter::add(const IpPacket& ip, Timestamp ts, Bytes& datagram, std::uint8_t& proto) {
    Impl& m = *impl_;
    const std::uint32_t begin = ip.frag_offset;
    const std::uint64_t end64 = std::uint64_t{begin} + ip.claimed;
    if ((ip.more_fragments && (ip.claimed == 0 || ip.claimed % 8 != 0)) || end64 > kMaxReassembled) {
        m.stats.add(Counter::fragments_bad);
        return Result::bad;
    }
    const auto end = static_cast<std::uint32_t>(end64);

    // Lazily drop timed-out datagrams at the front (the oldest).
    while (!m.order.empty() && ts.ns - m.order.front().first_ns > m.limits.fragment_timeout_ns) shed_oldest();

    Key key;
    key.src = ip.src.bytes;
    key.dst = ip.dst.bytes;
    key.id = ip.frag_id;
    key.family = ip.src.family;
    key.proto = ip.src.family == 4 ? ip.proto : 0;

    auto found = m.index.find(key);
    if (found == m.index.end()) {
        while (!m.order.empty() && m.order.size() >= std::max<std::size_t>(m.limits.max_fragment_datagrams, 1)) {
            shed_oldest();
        }
        m.order.emplace_back();
        auto it = std::prev(m.order.end());
        it->key = key;
        it->first_ns = ts.ns;
        it->charged = kDatagramOverhead;
        m.budget.charge(kDatagramOverhead);
        memory_ += kDatagramOverhead;
        found = m.index.emplace(key, it).first;
    }
    Datagram& d = *found->second;

    if (end_is_inconsistent(d, ip.more_fragments, end)) {
        m.stats.add(Counter::fragments_bad);
        return Result::bad;
    }
    if (!ip.more_fragments) {
        d.have_last = true;
        d.total = end;
    }
    if (begin == 0) {
        d.have_first = true;
        d.proto = ip.proto;
    }

    // Only the captured part can be stored; a snaplen cut leaves a hole that never completes.
    const auto cap_end = static_cast<std::uint32_t>(begin + std::min<std::size_t>(ip.payload.size(), ip.claimed));
    if (cap_end > d.data.size()) {
        const std::size_t grow = cap_end - d.data.size();
        d.data.resize(cap_end);
        d.charged += grow;
        m.budget.charge(grow);
        memory_ += grow;
    }
    if (copy_new_bytes(d, ip.payload, begin, cap_end)) m.stats.add(Counter::fragments_overlapping);

    const bool done = d.have_last && d.have_first &&
                      ((d.total == 0 && d.covered.empty()) ||
                       (d.covered.size() == 1 && d.covered[0].first == 0 && d.covered[0].second == d.total));
    if (!done) return Result::held;

    assembled_.swap(d.data);
    assembled_.resize(d.total);
    proto = d.proto;
    m.budget.release(d.charged);
    memory_ -= d.charged;
    auto it = found->second;
    m.index.erase(found);
    m.order.erase(it);
    m.stats.add(Counter::fragments_reassembled);
    datagram = Bytes{assembled_.data(), assembled_.size()};
    return Result::complete;
}

}  // namespace tcpflow
