// seq.h: 32-bit TCP sequence numbers to 64-bit stream positions (RFC 1982 serial arithmetic).
//
// Everything downstream of SeqUnwrapper sees only 64-bit positions, so sequence wrap at 2^32
// and flows longer than 4 GiB need no special case anywhere else.
#pragma once

#include <cstdint>

namespace tcpflow {

/// Signed distance a - b in sequence space (C++20 makes the conversion modular).
constexpr std::int32_t seq_diff(std::uint32_t a, std::uint32_t b) noexcept {
    return static_cast<std::int32_t>(a - b);
}
static_assert(seq_diff(0, 0xFFFFFFFFu) == 1);
static_assert(seq_diff(0xFFFFFFF6u, 5) == -15);

/// Unwraps successive 32-bit sequence numbers of one direction to 64-bit positions, each relative
/// to the previous one (the nearest position with the same low 32 bits). The first position is
/// 2^34 + seq so that data up to 16 GiB before it still has a positive position.
class SeqUnwrapper {
public:
    static constexpr std::uint64_t kStart = std::uint64_t{1} << 34;

    [[nodiscard]] std::uint64_t unwrap(std::uint32_t seq) const noexcept {
        if (!primed_) return kStart + seq;
        const auto d = seq_diff(seq, static_cast<std::uint32_t>(ref_));
        return static_cast<std::uint64_t>(static_cast<std::int64_t>(ref_) + d);
    }
    /// Makes `abs` the reference for the next unwrap.
    void set_reference(std::uint64_t abs) noexcept {
        ref_ = abs;
        primed_ = true;
    }
    [[nodiscard]] bool primed() const noexcept { return primed_; }
    [[nodiscard]] std::uint64_t reference() const noexcept { return ref_; }

private:
    std::uint64_t ref_ = 0;
    bool primed_ = false;
};

}  // namespace tcpflow
