// open_index.h: an open-addressing hash index of small slots (linear probing over a power-of-two
// array kept at most half full; backward-shift deletion, so no tombstones).
//
// The index stores slots, not keys: a slot holds the key's 64-bit hash and a small reference to
// where the key lives (a pointer, a pool slot number). A lookup walks the probe sequence from the
// hash's home and asks the caller's predicate only about slots whose stored hash matches, so a
// lookup that misses usually reads nothing but the index. Header-only; no allocation except when
// the array grows.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tcpflow {

/// A Slot is a small copyable type with a `std::uint64_t hash` member and `bool empty() const`;
/// a default-constructed Slot is empty.
template <class Slot>
class OpenIndex {
public:
    /// `min_slots` (a power of two) is the array's size once anything is stored: it is allocated
    /// now when `allocate_now`, else at the first insert.
    explicit OpenIndex(std::size_t min_slots = 1024, bool allocate_now = false) : min_slots_{min_slots} {
        if (allocate_now) slots_.resize(min_slots_);
    }

    /// The first slot on h's probe sequence with hash `h` for which `match(slot)` holds, or null.
    template <class Match>
    [[nodiscard]] const Slot* find(std::uint64_t h, Match&& match) const noexcept {
        if (count_ == 0) return nullptr;
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = h & mask; !slots_[i].empty(); i = (i + 1) & mask)
            if (slots_[i].hash == h && match(slots_[i])) return &slots_[i];
        return nullptr;
    }

    /// Adds `x` (not empty, not present yet), doubling the array when it would pass half full.
    void insert(const Slot& x) {
        if ((count_ + 1) * 2 > slots_.size()) rehash(std::max(slots_.size() * 2, min_slots_));
        place(x);
        ++count_;
    }

    /// Removes the first slot on h's probe sequence with hash `h` for which `which(slot)` holds;
    /// every other slot stays findable. False when there is none.
    template <class Which>
    bool erase(std::uint64_t h, Which&& which) noexcept {
        if (count_ == 0) return false;
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = h & mask; !slots_[i].empty(); i = (i + 1) & mask) {
            if (slots_[i].hash == h && which(slots_[i])) {
                erase_at(i);
                --count_;
                return true;
            }
        }
        return false;
    }

    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    /// Length of the array (0 until the first insert unless allocated at construction).
    [[nodiscard]] std::size_t slot_count() const noexcept { return slots_.size(); }

private:
    /// Puts `x` in the first free slot from its home.
    void place(const Slot& x) noexcept {
        const std::size_t mask = slots_.size() - 1;
        std::size_t i = x.hash & mask;
        while (!slots_[i].empty()) i = (i + 1) & mask;
        slots_[i] = x;
    }

    /// Moves every entry into an array of `size` slots.
    void rehash(std::size_t size) {
        std::vector<Slot> old(size);
        old.swap(slots_);
        for (const Slot& x : old)
            if (!x.empty()) place(x);
    }

    /// Empties slot `i`: later entries of the probe run move back into the hole unless their home
    /// lies cyclically in (hole, their position], so every lookup still finds them.
    void erase_at(std::size_t i) noexcept {
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t j = (i + 1) & mask; !slots_[j].empty(); j = (j + 1) & mask) {
            const std::size_t home = slots_[j].hash & mask;
            const bool stays = (i < j) ? (home > i && home <= j) : (home > i || home <= j);
            if (!stays) {
                slots_[i] = slots_[j];
                i = j;
            }
        }
        slots_[i] = Slot{};
    }

    std::size_t min_slots_;
    std::vector<Slot> slots_;
    std::size_t count_ = 0;
};

}  // namespace tcpflow
