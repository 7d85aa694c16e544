// address_counter.h: bytes per IP address in bounded memory (the "top addresses" of netviz).
//
// At most 2 x `capacity` addresses are held (a Space-Saving counter, Metwally, Agrawal and El
// Abbadi 2005, with weights and with its evictions batched for speed). An address already held
// adds to its count. A new one is appended; when the table is full, the `capacity` addresses with
// the largest counts are kept and the others dropped, and the largest count dropped becomes the
// floor: an address added later starts from it (its `error`), since it may have been dropped
// before. So every count is an upper bound of the address's bytes, exact (error 0) while nothing
// was dropped, and an address stays held as long as its count is among the `capacity` largest.
// Memory: fixed at construction (an open-addressing table of 4 x capacity cells, at most half
// full, holding the addresses and counts inline: one cache line per lookup); add() never
// allocates; amortised O(1) per add (one O(capacity) purge per `capacity` new addresses).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tcpflow/base/address.h"

namespace tcpflow {

class AddressCounter {
public:
    struct Entry {
        IpAddress address;
        std::uint64_t bytes = 0;    ///< counted bytes: an upper bound, exact when error is 0
        std::uint64_t error = 0;    ///< bytes it may overstate by (the floor when it was added)
    };

    explicit AddressCounter(std::size_t capacity);

    void add(const IpAddress& address, std::uint64_t bytes) noexcept;
    /// Asks the CPU to fetch the address's home cell (called before add() to overlap misses).
    void prefetch(const IpAddress& address) const noexcept {
        __builtin_prefetch(&cells_[hash_of(address) & mask_]);
    }

    /// The `n` largest entries, largest first (equal counts: smaller address first).
    [[nodiscard]] std::vector<Entry> top(std::size_t n) const;
    /// Every held entry, largest first.
    [[nodiscard]] std::vector<Entry> all() const { return top(held_); }
    /// True while nothing was dropped: every count is exact and every address is held.
    [[nodiscard]] bool exact() const noexcept { return dropped_ == 0; }
    /// Addresses dropped so far (counted once per drop).
    [[nodiscard]] std::uint64_t dropped() const noexcept { return dropped_; }
    /// Bytes added in all (exact).
    [[nodiscard]] std::uint64_t total() const noexcept { return total_; }
    [[nodiscard]] std::size_t size() const noexcept { return held_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

private:
    // A cell is empty while its address's family is 0.
    [[nodiscard]] static std::uint64_t hash_of(const IpAddress& a) noexcept;
    void place(const Entry& e) noexcept;
    void purge() noexcept;

    std::size_t capacity_;
    std::vector<Entry> cells_;     // power-of-two size, at most half full
    std::vector<Entry> scratch_;   // for purge(); reserved
    std::size_t mask_ = 0;
    std::size_t held_ = 0;         // at most 2 x capacity_
    std::uint64_t floor_ = 0;      // the largest count dropped so far
    std::uint64_t total_ = 0;
    std::uint64_t dropped_ = 0;
};

}  // namespace tcpflow
