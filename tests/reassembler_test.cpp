// Reassembler: overlap and gap cases as a table (Suricata OVERLAP_STEP style).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tcpflow/flow/reassembler.h"

namespace tcpflow {
namespace {

struct Collect final : ByteDelivery {
    std::string data;
    std::vector<std::pair<std::uint64_t, std::size_t>> calls;
    void deliver(std::uint64_t off, Bytes d) override {
        calls.emplace_back(off, d.size());
        if (data.size() < off + d.size()) data.resize(off + d.size(), '.');
        data.replace(off, d.size(), reinterpret_cast<const char*>(d.data()), d.size());
    }
    std::size_t read_back(std::uint64_t off, std::span<std::uint8_t> o) override {
        std::size_t n = 0;
        for (; n < o.size() && off + n < data.size(); ++n) o[n] = static_cast<std::uint8_t>(data[off + n]);
        return n;
    }
};

Bytes b(const std::string& s) { return Bytes{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

struct Step {
    std::uint64_t offset;
    std::string data;
};
struct Case {
    const char* name;
    std::vector<Step> steps;
    std::string first;   // result under --overlap=first ('.' = hole)
    std::string last;    // result under --overlap=last
    std::uint64_t conflicting;
};

const std::vector<Case> kCases = {
    {"in_order", {{0, "AAAA"}, {4, "BBBB"}}, "AAAABBBB", "AAAABBBB", 0},
    {"reverse", {{8, "CCCC"}, {4, "BBBB"}, {0, "AAAA"}}, "AAAABBBBCCCC", "AAAABBBBCCCC", 0},
    {"same_offset_conflict", {{0, "AAAA"}, {0, "BBBB"}}, "AAAA", "BBBB", 4},
    {"partial_overlap_right", {{0, "01234567"}, {4, "abcdefgh"}}, "01234567efgh", "0123abcdefgh", 4},
    {"partial_overlap_left_buffered", {{0, "x"}, {4, "BBBB"}, {2, "yyyy"}}, "x.yyBBBB", "x.yyyyBB", 2},
    {"inside_existing", {{0, "AAAA"}, {4, "BBBB"}, {2, "xx"}}, "AAAABBBB", "AAxxBBBB", 2},
    {"covers_several_buffered", {{0, "A"}, {3, "C"}, {6, "E"}, {1, "bbbbbbbb"}}, "AbbCbbEbb", "Abbbbbbbb", 2},
    {"hole_middle", {{0, "AAAA"}, {8, "CCCC"}}, "AAAA....CCCC", "AAAA....CCCC", 0},
    {"hole_start", {{4, "BBBB"}}, "....BBBB", "....BBBB", 0},
    {"hole_filled_late", {{0, "AA"}, {4, "CC"}, {2, "BB"}}, "AABBCC", "AABBCC", 0},
    {"duplicate_identical", {{0, "AAAA"}, {0, "AAAA"}}, "AAAA", "AAAA", 0},
    {"retransmit_spanning_next", {{0, "AAAA"}, {2, "aaBB"}}, "AAAABB", "AAaaBB", 2},
};

class ReassemblerTable : public ::testing::TestWithParam<std::tuple<Case, OverlapPolicy>> {};

TEST_P(ReassemblerTable, Produces) {
    const auto& [c, policy] = GetParam();
    MemoryBudget budget{1 << 20};
    Collect out;
    std::uint64_t conflicts = 0;
    {
        Reassembler r{policy, budget};
        for (const auto& s : c.steps) conflicts += r.insert(s.offset, b(s.data), out).conflicting;
        r.give_up_all(out);
    }
    EXPECT_EQ(out.data, policy == OverlapPolicy::first ? c.first : c.last) << c.name;
    if (policy == OverlapPolicy::first) {
        EXPECT_EQ(conflicts, c.conflicting) << c.name;
    }
    EXPECT_EQ(budget.used(), 0u) << "buffered bytes released";
}

INSTANTIATE_TEST_SUITE_P(Cases, ReassemblerTable,
                         ::testing::Combine(::testing::ValuesIn(kCases),
                                            ::testing::Values(OverlapPolicy::first, OverlapPolicy::last)),
                         [](const auto& tp) {
                             return std::string(std::get<0>(tp.param).name) +
                                    (std::get<1>(tp.param) == OverlapPolicy::first ? "_first" : "_last");
                         });

TEST(Reassembler, InOrderIsDeliveredAtOnceWithoutBuffering) {
    MemoryBudget budget{1 << 20};
    Collect out;
    Reassembler r{OverlapPolicy::first, budget};
    r.insert(0, b("hello"), out);
    EXPECT_EQ(out.data, "hello");
    EXPECT_FALSE(r.has_buffered());
    EXPECT_EQ(budget.used(), 0u);
}

TEST(Reassembler, HoleIsHeldUntilFilled) {
    MemoryBudget budget{1 << 20};
    Collect out;
    Reassembler r{OverlapPolicy::first, budget};
    r.insert(5, b("world"), out);
    EXPECT_TRUE(out.calls.empty()) << "data after a hole waits";
    EXPECT_GT(budget.used(), 0u);
    r.insert(0, b("hello"), out);
    EXPECT_EQ(out.data, "helloworld");
    EXPECT_FALSE(r.has_buffered());
}

TEST(Reassembler, GivenUpHoleIsRecorded) {
    MemoryBudget budget{1 << 20};
    Collect out;
    Reassembler r{OverlapPolicy::first, budget};
    r.insert(0, b("AAAA"), out);
    r.insert(8, b("CCCC"), out);
    EXPECT_FALSE(r.covered(0, 12));
    r.give_up_all(out);
    ASSERT_EQ(r.holes().size(), 1u);
    EXPECT_EQ(r.holes()[0].offset, 4u);
    EXPECT_EQ(r.holes()[0].length, 4u);
    EXPECT_FALSE(r.covered(0, 12));
    EXPECT_TRUE(r.covered(8, 12));
    EXPECT_EQ(r.end(), 12u);
}

TEST(Reassembler, CoveredSeesBufferedData) {
    MemoryBudget budget{1 << 20};
    Collect out;
    Reassembler r{OverlapPolicy::first, budget};
    r.insert(0, b("AAAA"), out);
    r.insert(6, b("CC"), out);
    EXPECT_TRUE(r.covered(0, 4));
    EXPECT_FALSE(r.covered(0, 8));
    r.insert(4, b("BB"), out);
    EXPECT_TRUE(r.covered(0, 8));
}

TEST(Reassembler, RebaseMovesEverything) {
    MemoryBudget budget{1 << 20};
    Collect out;
    Reassembler r{OverlapPolicy::first, budget};
    r.insert(0, b("SECOND"), out);
    r.rebase(6, 6);
    EXPECT_EQ(r.contiguous_end(), 12u);
    EXPECT_TRUE(r.holes().empty());
    r.rebase(4, 0);
    ASSERT_EQ(r.holes().size(), 1u);
    EXPECT_EQ(r.holes()[0].length, 4u);
}

// Bytes that arrive in a hole already given up (memory limit) were dropped as retransmissions:
// they arrived late, not twice, and belong at their offset. The hole list shrinks/splits.
TEST(ReassemblerLateFill, BytesInAGivenUpHoleAreDelivered) {
    MemoryBudget budget{1 << 20};
    Reassembler r{OverlapPolicy::first, budget};
    Collect out;
    r.insert(0, b("AA"), out);
    r.insert(12, b("EE"), out);
    ASSERT_TRUE(r.give_up_first_hole(out));   // [2, 12) given up
    ASSERT_EQ(r.holes().size(), 1u);
    auto res = r.insert(4, b("cc"), out);     // middle of the hole: split
    EXPECT_EQ(res.new_bytes, 2u);
    EXPECT_EQ(res.retransmitted, 0u);
    ASSERT_EQ(r.holes().size(), 2u);
    EXPECT_EQ(r.holes()[0].offset, 2u);
    EXPECT_EQ(r.holes()[0].length, 2u);
    EXPECT_EQ(r.holes()[1].offset, 6u);
    EXPECT_EQ(r.holes()[1].length, 6u);
    res = r.insert(0, b("AAbbccdd"), out);    // stored, hole, stored, hole part
    EXPECT_EQ(res.new_bytes, 4u);
    EXPECT_EQ(res.retransmitted, 4u);
    res = r.insert(8, b("ffffEEgg"), out);    // end of the hole, stored, then new data at next_
    EXPECT_EQ(res.new_bytes, 6u);
    EXPECT_TRUE(r.holes().empty());
    EXPECT_EQ(out.data, "AAbbccddffffEEgg");
    EXPECT_TRUE(r.covered(0, 16));
}

}  // namespace
}  // namespace tcpflow

namespace tcpflow {
namespace {

// A flow closed for the memory limit and resumed later: the holes of its earlier life travel
// with it (take_holes, resume_at), so a late byte in one is written, not counted as
// retransmitted. Their memory is charged by whoever holds them.
TEST(ReassemblerResume, HolesOfTheEarlierLifeStillTakeLateBytes) {
    MemoryBudget budget{1 << 20};
    Collect out;
    std::vector<Hole> holes;
    {
        Reassembler r{OverlapPolicy::first, budget};
        r.insert(0, b("abc"), out);
        r.insert(6, b("ghi"), out);
        r.insert(12, b("mno"), out);
        r.give_up_all(out);
        ASSERT_EQ(r.holes().size(), 2u);
        EXPECT_EQ(budget.used(), Reassembler::holes_charge(r.holes())) << "only the holes are held";
        holes = r.take_holes();
        EXPECT_TRUE(r.holes().empty());
        EXPECT_EQ(budget.used(), 0u) << "the charge goes with the holes";
    }
    EXPECT_EQ(out.data, "abc...ghi...mno");
    const std::size_t held = Reassembler::holes_charge(holes);
    EXPECT_GE(held, 2 * sizeof(Hole));
    {
        Reassembler r{OverlapPolicy::first, budget};
        r.resume_at(15, std::move(holes));
        EXPECT_EQ(budget.used(), held);
        EXPECT_FALSE(r.covered(0, 15));
        auto res = r.insert(2, b("cdef"), out);   // 'c' stored, "def" late
        EXPECT_EQ(res.new_bytes, 3u);
        EXPECT_EQ(res.retransmitted, 1u);
        EXPECT_EQ(res.conflicting, 0u);
        res = r.insert(9, b("jkl"), out);
        EXPECT_EQ(res.new_bytes, 3u);
        EXPECT_EQ(res.retransmitted, 0u);
        EXPECT_TRUE(r.holes().empty());
        EXPECT_TRUE(r.covered(0, 15));
        res = r.insert(3, b("def"), out);         // now a real retransmission
        EXPECT_EQ(res.retransmitted, 3u);
        EXPECT_EQ(res.new_bytes, 0u);
    }
    EXPECT_EQ(out.data, "abcdefghijklmno");
    EXPECT_EQ(budget.used(), 0u);
}

// Holes recorded, split and put in front are charged as the list grows, and released with it.
TEST(ReassemblerResume, HoleListIsChargedToTheBudget) {
    MemoryBudget budget{1 << 20};
    Collect out;
    {
        Reassembler r{OverlapPolicy::first, budget};
        r.insert(0, b("a"), out);
        for (std::uint64_t i = 1; i <= 100; ++i) r.insert(2 * i, b("x"), out);
        r.give_up_all(out);
        ASSERT_EQ(r.holes().size(), 100u);
        EXPECT_EQ(budget.used(), Reassembler::holes_charge(r.holes()));
        EXPECT_GE(budget.used(), 100 * sizeof(Hole));
        r.rebase(4, 0);   // a hole in front
        EXPECT_EQ(budget.used(), Reassembler::holes_charge(r.holes()));
    }
    EXPECT_EQ(budget.used(), 0u);
}

}  // namespace
}  // namespace tcpflow
