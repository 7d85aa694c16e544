#include "tcpflow/traffic/address_counter.h"

#include <algorithm>
#include <cstring>

namespace tcpflow {

namespace {

std::size_t cell_count(std::size_t held) {
    std::size_t n = 16;
    while (n < held * 2) n *= 2;
    return n;
}

}  // namespace

AddressCounter::AddressCounter(std::size_t capacity)
    : capacity_{std::max<std::size_t>(capacity, 1)}, cells_(cell_count(capacity_ * 2)) {
    mask_ = cells_.size() - 1;
    scratch_.reserve(capacity_ * 2);
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

void AddressCounter::place(const Entry& e) noexcept {
    std::size_t i = hash_of(e.address) & mask_;
    while (cells_[i].address.family != 0) i = (i + 1) & mask_;
    cells_[i] = e;
}

void AddressCounter::add(const IpAddress& address, std::uint64_t bytes) noexcept {
    total_ += bytes;
    if (address.family == 0) return;
    std::size_t i = hash_of(address) & mask_;
    for (; cells_[i].address.family != 0; i = (i + 1) & mask_) {
        if (cells_[i].address == address) {
            cells_[i].bytes += bytes;
            return;
        }
    }
    if (held_ >= capacity_ * 2) {
        purge();
        place(Entry{address, floor_ + bytes, floor_});
    } else {
        cells_[i] = Entry{address, floor_ + bytes, floor_};
    }
    ++held_;
}

/// Keeps the capacity_ largest counts, drops the rest, raises the floor to the largest dropped.
void AddressCounter::purge() noexcept {
    scratch_.clear();
    for (auto& c : cells_) {
        if (c.address.family != 0) scratch_.push_back(c);
        c = Entry{};
    }
    const auto keep = static_cast<std::ptrdiff_t>(capacity_);
    std::nth_element(scratch_.begin(), scratch_.begin() + keep, scratch_.end(),
                     [](const Entry& a, const Entry& b) { return a.bytes > b.bytes; });
    for (auto it = scratch_.begin() + keep; it != scratch_.end(); ++it) floor_ = std::max(floor_, it->bytes);
    dropped_ += scratch_.size() - capacity_;
    scratch_.resize(capacity_);
    for (const auto& e : scratch_) place(e);
    held_ = capacity_;
}

std::vector<AddressCounter::Entry> AddressCounter::top(std::size_t n) const {
    std::vector<Entry> v;
    v.reserve(held_);
    for (const auto& c : cells_)
        if (c.address.family != 0) v.push_back(c);
    const auto by_count = [](const Entry& a, const Entry& b) {
        return a.bytes != b.bytes ? a.bytes > b.bytes : a.address < b.address;
    };
    n = std::min(n, v.size());
    std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end(), by_count);
    v.resize(n);
    return v;
}

}  // namespace tcpflow
