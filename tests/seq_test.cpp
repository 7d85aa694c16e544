// SeqUnwrapper: 32-bit sequence numbers to 64-bit stream positions, at ISNs 0, 1, 0xFFFFFFFF and
// 0xFFFFFFF6 (the last two wrap within the first bytes of the stream).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "tcpflow/flow/seq.h"

namespace tcpflow {
namespace {

constexpr std::uint64_t k4GiB = std::uint64_t{1} << 32;

/// One direction whose SYN carries `isn`: stream offset N has sequence number isn + 1 + N.
class Stream {
public:
    explicit Stream(std::uint32_t isn) : isn_{isn} {
        syn_ = u_.unwrap(isn);
        u_.set_reference(syn_);
    }
    /// The sequence number of stream offset `off` (modulo 2^32, as on the wire).
    [[nodiscard]] std::uint32_t seq_of(std::uint64_t off) const noexcept {
        return static_cast<std::uint32_t>(isn_ + 1 + off);
    }
    /// Unwraps the segment at stream offset `off` and makes it the reference; returns the offset
    /// the unwrapper says it has.
    std::uint64_t see(std::uint64_t off) {
        const std::uint64_t abs = u_.unwrap(seq_of(off));
        u_.set_reference(abs);
        return abs - (syn_ + 1);
    }
    /// The offset `off` would have, without moving the reference.
    [[nodiscard]] std::uint64_t peek(std::uint64_t off) const noexcept { return u_.unwrap(seq_of(off)) - (syn_ + 1); }

private:
    std::uint32_t isn_;
    SeqUnwrapper u_;
    std::uint64_t syn_ = 0;
};

class SeqIsn : public ::testing::TestWithParam<std::uint32_t> {};

TEST(Seq, DiffIsSignedModularDistance) {
    EXPECT_EQ(seq_diff(5, 3), 2);
    EXPECT_EQ(seq_diff(3, 5), -2);
    EXPECT_EQ(seq_diff(0, 0xFFFFFFFFu), 1);
    EXPECT_EQ(seq_diff(0xFFFFFFFFu, 0), -1);
    EXPECT_EQ(seq_diff(0x7FFFFFFFu, 0), 0x7FFFFFFF);
    EXPECT_EQ(seq_diff(0x80000000u, 0), INT32_MIN) << "half the space away counts as behind";
}

TEST(Seq, FirstPositionLeavesRoomBeforeIt) {
    SeqUnwrapper u;
    EXPECT_FALSE(u.primed());
    EXPECT_EQ(u.unwrap(0), SeqUnwrapper::kStart);
    EXPECT_EQ(u.unwrap(0xFFFFFFFFu), SeqUnwrapper::kStart + 0xFFFFFFFFu);
    EXPECT_FALSE(u.primed()) << "unwrap alone sets no reference";
    u.set_reference(SeqUnwrapper::kStart + 7);
    EXPECT_TRUE(u.primed());
    EXPECT_EQ(u.reference(), SeqUnwrapper::kStart + 7);
    EXPECT_EQ(u.unwrap(7), SeqUnwrapper::kStart + 7);
    EXPECT_EQ(u.unwrap(0), SeqUnwrapper::kStart) << "7 bytes back";
}

TEST_P(SeqIsn, OffsetsAreSixtyFourBitAndCountFromIsnPlusOne) {
    Stream s{GetParam()};
    EXPECT_EQ(s.see(0), 0u);
    EXPECT_EQ(s.see(1), 1u);
    EXPECT_EQ(s.see(1448), 1448u);
    EXPECT_EQ(s.see(100'000), 100'000u);
}

TEST_P(SeqIsn, WrapAtTwoToTheThirtyTwoGoesForward) {
    Stream s{GetParam()};
    // Walk in 1 MiB steps up to just past the first wrap of the sequence space, wherever it falls.
    std::uint64_t off = 0;
    for (; off < k4GiB + (3u << 20); off += 1u << 20) ASSERT_EQ(s.see(off), off) << off;
    // Offsets on both sides of the exact wrap point of this ISN.
    const std::uint64_t wrap_at = k4GiB - (std::uint64_t{GetParam()} + 1) % k4GiB;   // seq_of(wrap_at) == 0
    Stream t{GetParam()};
    for (std::uint64_t o = 0; o + (1u << 30) < wrap_at; o += 1u << 30) ASSERT_EQ(t.see(o), o);
    for (std::uint64_t o = wrap_at >= 3 ? wrap_at - 3 : 0; o < wrap_at + 3; ++o) EXPECT_EQ(t.see(o), o) << o;
}

TEST_P(SeqIsn, AFlowPastFourGiBKeepsCounting) {
    Stream s{GetParam()};
    std::uint64_t off = 0;
    for (; off <= 5 * k4GiB / 4; off += 1u << 30) ASSERT_EQ(s.see(off), off);
    // Offsets above 2^32, in segments of 1448 bytes and across the second wrap.
    for (std::uint64_t o = k4GiB + 12345; o < k4GiB + 12345 + 100 * 1448; o += 1448) EXPECT_EQ(s.see(o), o);
    for (off = k4GiB + (1u << 29); off <= 2 * k4GiB + (1u << 30); off += 1u << 29) EXPECT_EQ(s.see(off), off);
    EXPECT_GT(off, 2 * k4GiB);
}

TEST_P(SeqIsn, SmallBackwardStepsGoBack) {
    Stream s{GetParam()};
    ASSERT_EQ(s.see(10'000), 10'000u);
    EXPECT_EQ(s.peek(9'999), 9'999u) << "one byte back (a keep-alive)";
    EXPECT_EQ(s.peek(0), 0u) << "a retransmission of the first byte";
    EXPECT_EQ(s.see(8'552), 8'552u);
    EXPECT_EQ(s.see(10'000), 10'000u);
    // Backwards across a wrap of the sequence space, after the flow passed it.
    for (std::uint64_t o = 0; o <= k4GiB + 64; o += 1u << 30) s.see(o);
    const std::uint64_t here = k4GiB + 64;
    ASSERT_EQ(s.see(here), here);
    for (std::uint64_t back : {1ull, 64ull, 65ull, 1000ull, 65536ull, 1ull << 20}) EXPECT_EQ(s.peek(here - back), here - back) << back;
    // And back before offset 0 (data before the ISN): a position below the first one.
    Stream t{GetParam()};
    const std::uint64_t first = t.see(0);
    ASSERT_EQ(first, 0u);
    EXPECT_EQ(t.peek(static_cast<std::uint64_t>(-10)), static_cast<std::uint64_t>(-10)) << "10 bytes before offset 0";
}

TEST_P(SeqIsn, StepsUpToHalfTheSpaceForwardAndBack) {
    Stream s{GetParam()};
    const std::uint64_t mid = 3 * k4GiB;
    for (std::uint64_t o = 0; o <= mid; o += 1u << 30) s.see(o);
    ASSERT_EQ(s.see(mid), mid);
    EXPECT_EQ(s.peek(mid + 0x7FFFFFFFu), mid + 0x7FFFFFFFu);
    EXPECT_EQ(s.peek(mid - 0x7FFFFFFFu), mid - 0x7FFFFFFFu);
    EXPECT_EQ(s.peek(mid + 0x80000000u), mid - 0x80000000u) << "half the space ahead is taken as behind";
}

INSTANTIATE_TEST_SUITE_P(Isn, SeqIsn, ::testing::Values(0u, 1u, 0xFFFFFFFFu, 0xFFFFFFF6u),
                         [](const auto& p) { return "isn_" + std::to_string(p.param); });

}  // namespace
}  // namespace tcpflow
