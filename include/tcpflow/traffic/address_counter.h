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
// full, holding the addresses and counts inline in 32-byte cells aligned to 32 bytes, so a cell
// never straddles two cache lines: one cache line per lookup, which prefetch() can ask for early;
// the errors, needed only when an address is added or the table read, in a parallel array);
// add() never allocates; amortised O(1) per add (one O(capacity) purge per `capacity` new
// addresses).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
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

    void add(const IpAddress& address, std::uint64_t bytes) noexcept { add(address, bytes, hash_of(address)); }
    /// The same with the address's hash_of() computed before (by the caller, once for both calls).
    void add(const IpAddress& address, std::uint64_t bytes, std::uint64_t hash) noexcept;
    /// Asks the CPU to fetch the cell where the address with this hash_of() lives or would go
    /// (called well before add() so that add() finds it in the cache).
    void prefetch(std::uint64_t hash) const noexcept {
        __builtin_prefetch(&cells_[hash & mask_], 1);   // for writing
    }
    [[nodiscard]] static std::uint64_t hash_of(const IpAddress& a) noexcept {
        std::uint64_t lo = 0, hi = 0;
        std::memcpy(&lo, a.bytes.data(), 8);
        std::memcpy(&hi, a.bytes.data() + 8, 8);
        std::uint64_t h = lo * 0x9E3779B97F4A7C15ull ^ (hi + a.family) * 0xC2B2AE3D27D4EB4Full;
        h ^= h >> 29;
        h *= 0xBF58476D1CE4E5B9ull;
        h ^= h >> 32;
        return h;
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
    // A cell is empty while its address's family is 0; its error is errors_[its index].
    struct alignas(32) Cell {
        IpAddress address;
        std::uint64_t bytes = 0;
    };
    static_assert(sizeof(Cell) == 32);
    void place(const Entry& e) noexcept;
    void purge() noexcept;

    std::size_t capacity_;
    std::vector<Cell> cells_;      // power-of-two size, at most half full
    std::vector<std::uint64_t> errors_;   // per cell
    std::vector<Entry> scratch_;   // for purge(); reserved
    std::size_t mask_ = 0;
    std::size_t held_ = 0;         // at most 2 x capacity_
    std::uint64_t floor_ = 0;      // the largest count dropped so far
    std::uint64_t total_ = 0;
    std::uint64_t dropped_ = 0;
};

}  // namespace tcpflow
