// fd_cache.h: the books of open output descriptors, bounded by -f (adapter helper; no I/O).
//
// Writers keep a file open while they write it and close the least recently used one when
// another would exceed the bound (SPEC 6: 100,000 concurrent flows under ulimit -n 256). The
// cache only keeps the order and the count: an entry is embedded in the writer's own record of a
// file (FdCacheEntry as a base), and the writer closes what make_room() hands it. Every call is
// O(1) and allocates nothing (an intrusive list), since it runs for every write.
#pragma once

#include <algorithm>
#include <cstddef>

namespace tcpflow {

/// Embedded in (a base of) whatever holds an open descriptor.
struct FdCacheEntry {
    FdCacheEntry* lru_prev = nullptr;
    FdCacheEntry* lru_next = nullptr;
};

class FdCache {
public:
    explicit FdCache(std::size_t limit = 1) noexcept : limit_{limit ? limit : 1} {}
    FdCache(const FdCache&) = delete;
    FdCache& operator=(const FdCache&) = delete;

    /// `e` has just been opened: counted, most recently used.
    void opened(FdCacheEntry& e) noexcept {
        ++open_;
        max_seen_ = std::max(max_seen_, open_);
        push(e);
    }
    /// `e` (open) was used: now the most recently used.
    void used(FdCacheEntry& e) noexcept {
        if (tail_ == &e) return;
        unlink(e);
        push(e);
    }
    /// `e` is closed (or handed to someone who closes it): out of the books.
    void closed(FdCacheEntry& e) noexcept {
        unlink(e);
        --open_;
    }
    /// Calls `close(entry)` on the least recently used entries until one more descriptor fits
    /// under the limit; `close` must call closed() for it.
    template <class Close>
    void make_room(Close&& close) {
        while (open_ >= limit_ && head_) close(*head_);
    }
    /// The least recently used open entry, or null.
    [[nodiscard]] FdCacheEntry* oldest() const noexcept { return head_; }
    /// Calls `f(entry)` for every open entry, least recently used first (`f` must not close them).
    template <class F>
    void for_each(F&& f) const {
        for (FdCacheEntry* e = head_; e; e = e->lru_next) f(*e);
    }

    [[nodiscard]] std::size_t open() const noexcept { return open_; }
    [[nodiscard]] std::size_t max_seen() const noexcept { return max_seen_; }
    [[nodiscard]] std::size_t limit() const noexcept { return limit_; }
    [[nodiscard]] bool full() const noexcept { return open_ >= limit_; }

    /// The default -f: the process's limit on descriptors less 24 (standard streams, capture,
    /// report, index files, slack), at least 4; 1000 without a limit.
    static int default_limit() noexcept;

private:
    void unlink(FdCacheEntry& e) noexcept {
        (e.lru_prev ? e.lru_prev->lru_next : head_) = e.lru_next;
        (e.lru_next ? e.lru_next->lru_prev : tail_) = e.lru_prev;
        e.lru_prev = e.lru_next = nullptr;
    }
    void push(FdCacheEntry& e) noexcept {
        e.lru_prev = tail_;
        e.lru_next = nullptr;
        (tail_ ? tail_->lru_next : head_) = &e;
        tail_ = &e;
    }

    std::size_t limit_;
    std::size_t open_ = 0;
    std::size_t max_seen_ = 0;
    FdCacheEntry* head_ = nullptr;   // least recently used
    FdCacheEntry* tail_ = nullptr;   // most recently used
};

}  // namespace tcpflow
