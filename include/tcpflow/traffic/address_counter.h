// address_counter.h: bytes per IP address in bounded memory (the "top addresses" of netviz).
//
// At most `capacity` addresses are tracked (Space-Saving, Metwally, Agrawal and El Abbadi 2005,
// with weights): an address already tracked adds to its count; a new one takes a free entry, or,
// when all are taken, the entry with the smallest count, inheriting that count as its error
// bound (its count may overstate its bytes by at most `error`). While no entry was ever taken
// over, every count is exact. Guarantee: every address with more than total/capacity bytes is
// tracked, and the reported order of the top ones is right up to the error bounds.
// Memory: fixed at construction; add() never allocates. O(log capacity) per add.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tcpflow/base/address.h"
#include "tcpflow/base/open_index.h"

namespace tcpflow {

class AddressCounter {
public:
    struct Entry {
        IpAddress address;
        std::uint64_t bytes = 0;    ///< counted bytes (exact when error is 0)
        std::uint64_t error = 0;    ///< bytes it may overstate by (inherited on take-over)
    };

    explicit AddressCounter(std::size_t capacity);

    void add(const IpAddress& address, std::uint64_t bytes);

    /// The `n` largest entries, largest first (equal counts: smaller address first).
    [[nodiscard]] std::vector<Entry> top(std::size_t n) const;
    /// Every tracked entry, largest first.
    [[nodiscard]] std::vector<Entry> all() const { return top(entries_.size()); }
    /// True while no entry was taken over: every count is exact and every address is tracked.
    [[nodiscard]] bool exact() const noexcept { return takeovers_ == 0; }
    [[nodiscard]] std::uint64_t takeovers() const noexcept { return takeovers_; }
    /// Bytes added in all (exact).
    [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

private:
    struct Slot {
        std::uint64_t hash = 0;
        std::uint32_t entry = 0;   ///< index into entries_ plus one; 0 = empty
        [[nodiscard]] bool empty() const noexcept { return entry == 0; }
    };
    struct Tracked {
        Entry e;
        std::uint64_t hash = 0;
        std::uint32_t heap_pos = 0;
    };

    [[nodiscard]] static std::uint64_t hash_of(const IpAddress& a) noexcept;
    void sift_down(std::uint32_t pos) noexcept;
    void sift_up(std::uint32_t pos) noexcept;
    void swap_heap(std::uint32_t a, std::uint32_t b) noexcept;
    [[nodiscard]] bool less(std::uint32_t a, std::uint32_t b) const noexcept;

    std::size_t capacity_;
    std::vector<Tracked> entries_;       // stable indices; reserved to capacity
    std::vector<std::uint32_t> heap_;    // entry indices, a min-heap by bytes
    OpenIndex<Slot> index_;
    std::uint64_t total_ = 0;
    std::uint64_t takeovers_ = 0;
};

}  // namespace tcpflow
