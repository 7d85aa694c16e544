#include "tcpflow/traffic/address_counter.h"

#include <algorithm>
#include <cstring>

namespace tcpflow {

namespace {

/// The same address (no call to memcmp: two 8-byte words and the family).
bool same(const IpAddress& a, const IpAddress& b) noexcept {
    std::uint64_t a0 = 0, a1 = 0, b0 = 0, b1 = 0;
    std::memcpy(&a0, a.bytes.data(), 8);
    std::memcpy(&a1, a.bytes.data() + 8, 8);
    std::memcpy(&b0, b.bytes.data(), 8);
    std::memcpy(&b1, b.bytes.data() + 8, 8);
    return ((a0 ^ b0) | (a1 ^ b1)) == 0 && a.family == b.family;
}

std::size_t cell_count(std::size_t held) {
    std::size_t n = 16;
    while (n < held * 2) n *= 2;
    return n;
}

}  // namespace

AddressCounter::AddressCounter(std::size_t capacity)
    : capacity_{std::max<std::size_t>(capacity, 1)}, cells_(cell_count(capacity_ * 2)), errors_(cells_.size()) {
    mask_ = cells_.size() - 1;
    scratch_.reserve(capacity_ * 2);
}

void AddressCounter::place(const Entry& e) noexcept {
    std::size_t i = hash_of(e.address) & mask_;
    while (cells_[i].address.family != 0) i = (i + 1) & mask_;
    cells_[i] = Cell{e.address, e.bytes};
    errors_[i] = e.error;
}

void AddressCounter::add(const IpAddress& address, std::uint64_t bytes, std::uint64_t hash) noexcept {
    total_ += bytes;
    if (address.family == 0) return;
    std::size_t i = hash & mask_;
    for (; cells_[i].address.family != 0; i = (i + 1) & mask_) {
        if (same(cells_[i].address, address)) {
            cells_[i].bytes += bytes;
            return;
        }
    }
    if (held_ >= capacity_ * 2) {
        purge();
        place(Entry{address, floor_ + bytes, floor_});
    } else {
        cells_[i] = Cell{address, floor_ + bytes};
        errors_[i] = floor_;
    }
    ++held_;
}

/// Keeps the capacity_ largest counts, drops the rest, raises the floor to the largest dropped.
void AddressCounter::purge() noexcept {
    scratch_.clear();
    for (std::size_t i = 0; i < cells_.size(); ++i) {
        if (cells_[i].address.family != 0) scratch_.push_back(Entry{cells_[i].address, cells_[i].bytes, errors_[i]});
        cells_[i] = Cell{};
        errors_[i] = 0;
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
    for (std::size_t i = 0; i < cells_.size(); ++i)
        if (cells_[i].address.family != 0) v.push_back(Entry{cells_[i].address, cells_[i].bytes, errors_[i]});
    const auto by_count = [](const Entry& a, const Entry& b) {
        return a.bytes != b.bytes ? a.bytes > b.bytes : a.address < b.address;
    };
    n = std::min(n, v.size());
    std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end(), by_count);
    v.resize(n);
    return v;
}

}  // namespace tcpflow
