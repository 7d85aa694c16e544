#include "tcpflow/traffic/address_counter.h"

#include <algorithm>
#include <cstring>

namespace tcpflow {

namespace {

std::size_t index_slots(std::size_t capacity) {
    std::size_t n = 16;
    while (n < capacity * 2 + 2) n *= 2;
    return n;
}

}  // namespace

AddressCounter::AddressCounter(std::size_t capacity)
    : capacity_{std::max<std::size_t>(capacity, 1)}, index_{index_slots(capacity_), true} {
    entries_.reserve(capacity_);
    heap_.reserve(capacity_);
}

std::uint64_t AddressCounter::hash_of(const IpAddress& a) noexcept {
    std::uint64_t lo = 0, hi = 0;
    std::memcpy(&lo, a.bytes.data(), 8);
    std::memcpy(&hi, a.bytes.data() + 8, 8);
    std::uint64_t h = lo * 0x9E3779B97F4A7C15ull ^ (hi + a.family) * 0xC2B2AE3D27D4EB4Full;
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return h;
}

bool AddressCounter::less(std::uint32_t a, std::uint32_t b) const noexcept {
    return entries_[heap_[a]].e.bytes < entries_[heap_[b]].e.bytes;
}

void AddressCounter::swap_heap(std::uint32_t a, std::uint32_t b) noexcept {
    std::swap(heap_[a], heap_[b]);
    entries_[heap_[a]].heap_pos = a;
    entries_[heap_[b]].heap_pos = b;
}

void AddressCounter::sift_down(std::uint32_t pos) noexcept {
    const auto n = static_cast<std::uint32_t>(heap_.size());
    for (;;) {
        const std::uint32_t l = pos * 2 + 1, r = l + 1;
        std::uint32_t m = pos;
        if (l < n && less(l, m)) m = l;
        if (r < n && less(r, m)) m = r;
        if (m == pos) return;
        swap_heap(pos, m);
        pos = m;
    }
}

void AddressCounter::sift_up(std::uint32_t pos) noexcept {
    while (pos > 0) {
        const std::uint32_t parent = (pos - 1) / 2;
        if (!less(pos, parent)) return;
        swap_heap(pos, parent);
        pos = parent;
    }
}

void AddressCounter::add(const IpAddress& address, std::uint64_t bytes) {
    total_ += bytes;
    const std::uint64_t h = hash_of(address);
    const Slot* s = index_.find(h, [&](const Slot& x) { return entries_[x.entry - 1].e.address == address; });
    if (s) {
        Tracked& t = entries_[s->entry - 1];
        t.e.bytes += bytes;
        sift_down(t.heap_pos);   // a count only grows: it moves away from the root
        return;
    }
    if (entries_.size() < capacity_) {
        const auto idx = static_cast<std::uint32_t>(entries_.size());
        entries_.push_back(Tracked{Entry{address, bytes, 0}, h, static_cast<std::uint32_t>(heap_.size())});
        heap_.push_back(idx);
        index_.insert(Slot{h, idx + 1});
        sift_up(entries_[idx].heap_pos);
        return;
    }
    // Full: the smallest entry (the heap's root) is taken over.
    ++takeovers_;
    const std::uint32_t idx = heap_[0];
    Tracked& t = entries_[idx];
    index_.erase(t.hash, [&](const Slot& x) { return x.entry == idx + 1; });
    t.e.error = t.e.bytes;
    t.e.bytes += bytes;
    t.e.address = address;
    t.hash = h;
    index_.insert(Slot{h, idx + 1});
    sift_down(0);
}

std::vector<AddressCounter::Entry> AddressCounter::top(std::size_t n) const {
    std::vector<Entry> v;
    v.reserve(entries_.size());
    for (const auto& t : entries_) v.push_back(t.e);
    const auto by_count = [](const Entry& a, const Entry& b) {
        return a.bytes != b.bytes ? a.bytes > b.bytes : a.address < b.address;
    };
    n = std::min(n, v.size());
    std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end(), by_count);
    v.resize(n);
    return v;
}

}  // namespace tcpflow
