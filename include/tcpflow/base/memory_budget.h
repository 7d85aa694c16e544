// memory_budget.h: the one memory limit shared by buffered out-of-order data, IP fragments and
// flow state (--max-memory). Holders charge what they keep and release it when done; when a
// charge would pass the limit, the owner of the budget is asked to give something up.
#pragma once

#include <cstddef>

namespace tcpflow {

/// Estimates for charging what a record holds on the heap: malloc's header and rounding per
/// block, and a flow file's name (a path of about 50 characters, past the string's inline room).
inline constexpr std::size_t kHeapBlockBytes = 16;
inline constexpr std::size_t kHeapNameBytes = 64;

class MemoryBudget {
public:
    explicit MemoryBudget(std::size_t limit) noexcept : limit_{limit} {}

    void charge(std::size_t n) noexcept {
        used_ += n;
        if (used_ > peak_) peak_ = used_;
    }
    void release(std::size_t n) noexcept { used_ = n > used_ ? 0 : used_ - n; }
    [[nodiscard]] bool over() const noexcept { return used_ > limit_; }
    [[nodiscard]] std::size_t used() const noexcept { return used_; }
    [[nodiscard]] std::size_t limit() const noexcept { return limit_; }
    [[nodiscard]] std::size_t peak() const noexcept { return peak_; }
    void set_limit(std::size_t limit) noexcept { limit_ = limit; }

private:
    std::size_t limit_;
    std::size_t used_ = 0;
    std::size_t peak_ = 0;
};

}  // namespace tcpflow
