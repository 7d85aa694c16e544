// intrusive_list.h: a doubly linked list threaded through a hook inside each element.
//
// O(1) push, unlink (from anywhere) and move to the back, with no allocation: an element carries
// its own links (a ListHook member). The list owns nothing; an element is in at most one list per
// hook, and must be unlinked before it is destroyed.
#pragma once

namespace tcpflow {

template <class T>
struct ListHook {
    T* prev = nullptr;
    T* next = nullptr;
};

/// The elements linked through their `Hook` member, in order of push_back (front = oldest).
template <class T, ListHook<T> T::*Hook>
class IntrusiveList {
public:
    IntrusiveList() = default;
    IntrusiveList(const IntrusiveList&) = delete;
    IntrusiveList& operator=(const IntrusiveList&) = delete;

    [[nodiscard]] T* front() const noexcept { return head_; }
    [[nodiscard]] T* back() const noexcept { return tail_; }
    [[nodiscard]] bool empty() const noexcept { return head_ == nullptr; }
    /// Whether `x` is linked (into this list: an element is in at most one list per hook).
    [[nodiscard]] bool contains(const T& x) const noexcept { return (x.*Hook).prev != nullptr || head_ == &x; }
    /// The element after `x`, or null (to walk the list front to back).
    [[nodiscard]] static T* next(const T& x) noexcept { return (x.*Hook).next; }

    /// Links `x` (not linked) at the back.
    void push_back(T& x) noexcept {
        ListHook<T>& h = x.*Hook;
        h.prev = tail_;
        h.next = nullptr;
        (tail_ ? (tail_->*Hook).next : head_) = &x;
        tail_ = &x;
    }
    /// Unlinks `x` (linked) from wherever it is.
    void unlink(T& x) noexcept {
        ListHook<T>& h = x.*Hook;
        (h.prev ? (h.prev->*Hook).next : head_) = h.next;
        (h.next ? (h.next->*Hook).prev : tail_) = h.prev;
        h.prev = h.next = nullptr;
    }
    /// Makes `x` (linked) the last.
    void move_to_back(T& x) noexcept {
        if (tail_ == &x) return;
        unlink(x);
        push_back(x);
    }

private:
    T* head_ = nullptr;
    T* tail_ = nullptr;
};

}  // namespace tcpflow
