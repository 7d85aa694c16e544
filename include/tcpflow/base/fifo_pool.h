// fifo_pool.h: a bounded pool of values kept in the order they were added (a FIFO).
//
// Values live in a vector that grows up to the cap and never shrinks; freed slots are reused
// (a free list), so once the pool has reached its peak size nothing is allocated. The order is an
// intrusive doubly linked list of 32-bit slot numbers: oldest first, any slot can be moved to the
// back or removed in O(1). Header-only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace tcpflow {

template <class T>
class FifoPool {
public:
    static constexpr std::uint32_t kNone = ~std::uint32_t{0};

    /// Slot numbers are 32-bit: a larger cap is taken as the largest.
    explicit FifoPool(std::size_t cap) noexcept
        : cap_{static_cast<std::uint32_t>(std::min<std::size_t>(cap, kNone - 1))} {}

    [[nodiscard]] std::size_t size() const noexcept { return count_; }
    [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
    [[nodiscard]] bool full() const noexcept { return count_ >= cap_; }
    [[nodiscard]] std::size_t capacity() const noexcept { return cap_; }
    /// The oldest slot (added or moved to the back least recently), or kNone.
    [[nodiscard]] std::uint32_t oldest() const noexcept { return head_; }
    /// The slot after `slot` in FIFO order, or kNone (to walk oldest to newest).
    [[nodiscard]] std::uint32_t next(std::uint32_t slot) const noexcept { return nodes_[slot].next; }
    [[nodiscard]] T& at(std::uint32_t slot) noexcept { return nodes_[slot].value; }
    [[nodiscard]] const T& at(std::uint32_t slot) const noexcept { return nodes_[slot].value; }

    /// A slot at the back of the FIFO; the pool must not be full. A reused slot's value still
    /// holds what its previous user left there: the caller assigns it.
    std::uint32_t push_back() {
        std::uint32_t slot = free_;
        if (slot != kNone) {
            free_ = nodes_[slot].next;
        } else {
            slot = static_cast<std::uint32_t>(nodes_.size());
            nodes_.emplace_back();
        }
        link_back(slot);
        ++count_;
        return slot;
    }
    /// Makes `slot` the newest.
    void move_to_back(std::uint32_t slot) noexcept {
        if (tail_ == slot) return;
        unlink(slot);
        link_back(slot);
    }
    /// Frees `slot` (its value is left as it is until the slot is reused).
    void erase(std::uint32_t slot) noexcept {
        unlink(slot);
        nodes_[slot].next = free_;
        free_ = slot;
        --count_;
    }

private:
    struct Node {
        std::uint32_t prev = kNone;   // FIFO neighbours; `next` also links the free list
        std::uint32_t next = kNone;
        T value{};
    };

    void link_back(std::uint32_t slot) noexcept {
        Node& n = nodes_[slot];
        n.prev = tail_;
        n.next = kNone;
        (tail_ != kNone ? nodes_[tail_].next : head_) = slot;
        tail_ = slot;
    }
    void unlink(std::uint32_t slot) noexcept {
        Node& n = nodes_[slot];
        (n.prev != kNone ? nodes_[n.prev].next : head_) = n.next;
        (n.next != kNone ? nodes_[n.next].prev : tail_) = n.prev;
        n.prev = n.next = kNone;
    }

    std::uint32_t cap_;
    std::vector<Node> nodes_;        // grows up to cap_ nodes, never shrinks
    std::uint32_t head_ = kNone;     // oldest
    std::uint32_t tail_ = kNone;     // newest
    std::uint32_t free_ = kNone;     // freed slots, to reuse
    std::uint32_t count_ = 0;
};

}  // namespace tcpflow
