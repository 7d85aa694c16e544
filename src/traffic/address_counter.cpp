#include "tcpflow/traffic/address_counter.h"

#include <algorithm>
#include <cstring>

namespace tcpflow {

namespace {

std::size_t index_slots(std::size_t held) {
    std::size_t n = 16;
    while (n < held * 2 + 2) n *= 2;
    return n;
}

}  // namespace

AddressCounter::AddressCounter(std::size_t capacity)
    : capacity_{std::max<std::size_t>(capacity, 1)}, index_{index_slots(capacity_ * 2), true} {
    entries_.reserve(capacity_ * 2);
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

void AddressCounter::add(const IpAddress& address, std::uint64_t bytes) {
    total_ += bytes;
    const std::uint64_t h = hash_of(address);
    const Slot* s = index_.find(h, [&](const Slot& x) { return entries_[x.entry - 1].e.address == address; });
    if (s) {
        entries_[s->entry - 1].e.bytes += bytes;
        return;
    }
    if (entries_.size() >= capacity_ * 2) purge();
    entries_.push_back(Held{Entry{address, floor_ + bytes, floor_}, h});
    index_.insert(Slot{h, static_cast<std::uint32_t>(entries_.size())});
}

/// Keeps the capacity_ largest counts, drops the rest, raises the floor to the largest dropped.
void AddressCounter::purge() {
    const auto keep = static_cast<std::ptrdiff_t>(capacity_);
    std::nth_element(entries_.begin(), entries_.begin() + keep, entries_.end(),
                     [](const Held& a, const Held& b) { return a.e.bytes > b.e.bytes; });
    for (auto it = entries_.begin() + keep; it != entries_.end(); ++it) floor_ = std::max(floor_, it->e.bytes);
    dropped_ += entries_.size() - capacity_;
    entries_.resize(capacity_);
    index_.clear();
    for (std::size_t i = 0; i < entries_.size(); ++i) index_.insert(Slot{entries_[i].hash, static_cast<std::uint32_t>(i + 1)});
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
