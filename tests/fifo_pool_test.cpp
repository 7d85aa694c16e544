// FifoPool: FIFO order, moving to the back, removal from the middle, reuse of freed slots (no
// growth past the peak), the cap.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "tcpflow/base/fifo_pool.h"

namespace tcpflow {
namespace {

using Pool = FifoPool<std::string>;

std::vector<std::string> order(const Pool& p) {
    std::vector<std::string> out;
    for (std::uint32_t s = p.oldest(); s != Pool::kNone; s = p.next(s)) out.push_back(p.at(s));
    return out;
}

std::uint32_t add(Pool& p, const std::string& v) {
    const std::uint32_t s = p.push_back();
    p.at(s) = v;
    return s;
}

TEST(FifoPool, EmptyPool) {
    Pool p{4};
    EXPECT_TRUE(p.empty());
    EXPECT_FALSE(p.full());
    EXPECT_EQ(p.oldest(), Pool::kNone);
    EXPECT_EQ(p.capacity(), 4u);
}

TEST(FifoPool, OldestFirst) {
    Pool p{8};
    const std::uint32_t a = add(p, "a");
    add(p, "b");
    add(p, "c");
    EXPECT_EQ(order(p), (std::vector<std::string>{"a", "b", "c"}));
    EXPECT_EQ(p.oldest(), a);
    EXPECT_EQ(p.size(), 3u);
}

TEST(FifoPool, MoveToBackAndEraseFromAnywhere) {
    Pool p{8};
    const std::uint32_t a = add(p, "a"), b = add(p, "b"), c = add(p, "c"), d = add(p, "d");
    p.move_to_back(b);
    EXPECT_EQ(order(p), (std::vector<std::string>{"a", "c", "d", "b"}));
    p.move_to_back(b);   // already the newest
    EXPECT_EQ(order(p), (std::vector<std::string>{"a", "c", "d", "b"}));
    p.erase(c);          // middle
    EXPECT_EQ(order(p), (std::vector<std::string>{"a", "d", "b"}));
    p.erase(a);          // oldest
    EXPECT_EQ(order(p), (std::vector<std::string>{"d", "b"}));
    EXPECT_EQ(p.oldest(), d);
    p.erase(b);          // newest
    EXPECT_EQ(order(p), (std::vector<std::string>{"d"}));
    p.erase(d);
    EXPECT_TRUE(p.empty());
    EXPECT_EQ(p.oldest(), Pool::kNone);
}

TEST(FifoPool, FreedSlotsAreReusedAndTheCapHolds) {
    Pool p{3};
    const std::uint32_t a = add(p, "a"), b = add(p, "b"), c = add(p, "c");
    EXPECT_TRUE(p.full());
    p.erase(b);
    EXPECT_FALSE(p.full());
    const std::uint32_t e = p.push_back();
    EXPECT_EQ(e, b) << "the freed slot is used again";
    EXPECT_EQ(p.at(e), "b") << "a reused slot keeps its old value until the caller assigns it";
    p.at(e) = "e";
    EXPECT_EQ(order(p), (std::vector<std::string>{"a", "c", "e"}));
    // Churn: forget the oldest, add a new one; slot numbers never pass the cap.
    for (int i = 0; i < 100; ++i) {
        p.erase(p.oldest());
        const std::uint32_t s = add(p, std::to_string(i));
        EXPECT_LT(s, 3u);
    }
    EXPECT_EQ(order(p), (std::vector<std::string>{"97", "98", "99"}));
    (void)a;
    (void)c;
}

TEST(FifoPool, CapZeroIsAlwaysFullAndAHugeCapIsClamped) {
    EXPECT_TRUE(Pool{0}.full());
    EXPECT_EQ(Pool{std::size_t{1} << 40}.capacity(), std::size_t{Pool::kNone} - 1);
}

}  // namespace
}  // namespace tcpflow
