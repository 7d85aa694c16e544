// OpenIndex: open addressing with linear probing and backward-shift deletion. Small arrays and
// chosen hashes force collisions, probe runs that wrap past the end of the array, and erasures
// inside runs; a randomized run checks every operation against a reference.
#include <gtest/gtest.h>

#include <cstdint>
#include <iterator>
#include <map>
#include <random>
#include <vector>

#include "tcpflow/base/open_index.h"

namespace tcpflow {
namespace {

struct Slot {
    std::uint64_t hash = 0;
    int value = 0;   // 0: empty
    [[nodiscard]] bool empty() const noexcept { return value == 0; }
};

class Index {
public:
    explicit Index(std::size_t slots = 8) : idx_{slots, true} {}
    void insert(std::uint64_t h, int v) { idx_.insert(Slot{h, v}); }
    [[nodiscard]] bool has(std::uint64_t h, int v) const {
        return idx_.find(h, [v](const Slot& s) { return s.value == v; }) != nullptr;
    }
    bool erase(std::uint64_t h, int v) {
        return idx_.erase(h, [v](const Slot& s) { return s.value == v; });
    }
    OpenIndex<Slot>& raw() { return idx_; }
    [[nodiscard]] std::size_t size() const { return idx_.size(); }
    [[nodiscard]] std::size_t slots() const { return idx_.slot_count(); }

private:
    OpenIndex<Slot> idx_;
};

TEST(OpenIndex, EmptyFindsNothingAndAllocatesLazily) {
    OpenIndex<Slot> lazy{16};
    EXPECT_EQ(lazy.slot_count(), 0u);
    EXPECT_TRUE(lazy.empty());
    EXPECT_EQ(lazy.find(3, [](const Slot&) { return true; }), nullptr);
    EXPECT_FALSE(lazy.erase(3, [](const Slot&) { return true; }));
    lazy.insert(Slot{3, 1});
    EXPECT_EQ(lazy.slot_count(), 16u) << "the minimum size at the first insert";
    EXPECT_EQ(lazy.size(), 1u);
    OpenIndex<Slot> eager{16, true};
    EXPECT_EQ(eager.slot_count(), 16u);
    EXPECT_EQ(eager.find(3, [](const Slot&) { return true; }), nullptr);
}

TEST(OpenIndex, InsertFindErase) {
    Index x;
    x.insert(1, 10);
    x.insert(2, 20);
    x.insert(3, 30);
    EXPECT_TRUE(x.has(1, 10));
    EXPECT_TRUE(x.has(2, 20));
    EXPECT_TRUE(x.has(3, 30));
    EXPECT_FALSE(x.has(1, 20)) << "the predicate decides among equal hashes";
    EXPECT_FALSE(x.has(4, 10)) << "another hash is another key";
    EXPECT_TRUE(x.erase(2, 20));
    EXPECT_FALSE(x.erase(2, 20));
    EXPECT_FALSE(x.has(2, 20));
    EXPECT_TRUE(x.has(1, 10));
    EXPECT_TRUE(x.has(3, 30));
    EXPECT_EQ(x.size(), 2u);
}

TEST(OpenIndex, TheFoundSlotIsTheStoredOne) {
    OpenIndex<Slot> idx{8, true};
    idx.insert(Slot{5, 7});
    const Slot* s = idx.find(5, [](const Slot& x) { return x.value == 7; });
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->hash, 5u);
    EXPECT_EQ(s->value, 7);
}

TEST(OpenIndex, CollisionsOnTheSameHashAndTheSameHome) {
    Index x;   // 8 slots: hashes 1, 9, 17 share home 1
    x.insert(1, 1);
    x.insert(1, 2);   // same hash
    x.insert(9, 3);   // same home, other hash
    x.insert(17, 4);
    for (auto [h, v] : std::vector<std::pair<std::uint64_t, int>>{{1, 1}, {1, 2}, {9, 3}, {17, 4}}) EXPECT_TRUE(x.has(h, v)) << v;
    EXPECT_FALSE(x.has(9, 1));
    EXPECT_FALSE(x.has(25, 3));
}

TEST(OpenIndex, MatchIsAskedOnlyAboutEqualHashes) {
    Index x;
    x.insert(1, 1);
    x.insert(9, 2);
    x.insert(17, 3);
    int asked = 0;
    const Slot* s = x.raw().find(17, [&](const Slot& y) {
        ++asked;
        return y.value == 3;
    });
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(asked, 1) << "slots of other hashes in the run are skipped without asking";
    asked = 0;
    EXPECT_EQ(x.raw().find(25, [&](const Slot&) { return ++asked, true; }), nullptr);
    EXPECT_EQ(asked, 0);
}

TEST(OpenIndex, ProbeSequenceWrapsPastTheEnd) {
    Index x;   // 8 slots: home 7 fills 7, 0, 1; home 0 then goes to 2
    x.insert(7, 1);
    x.insert(15, 2);
    x.insert(23, 3);
    x.insert(0, 4);
    for (auto [h, v] : std::vector<std::pair<std::uint64_t, int>>{{7, 1}, {15, 2}, {23, 3}, {0, 4}}) EXPECT_TRUE(x.has(h, v)) << v;
    // Erasing the run's head at 7 shifts 15 (from 0) back across the end, 23 (from 1) to 0 and 0
    // (home 0, at 2) to 1.
    EXPECT_TRUE(x.erase(7, 1));
    EXPECT_TRUE(x.has(15, 2));
    EXPECT_TRUE(x.has(23, 3));
    EXPECT_TRUE(x.has(0, 4));
    EXPECT_FALSE(x.has(7, 1));
    // And the middle of a wrapped run.
    x.insert(31, 5);   // home 7
    EXPECT_TRUE(x.erase(23, 3));
    for (auto [h, v] : std::vector<std::pair<std::uint64_t, int>>{{15, 2}, {0, 4}, {31, 5}}) EXPECT_TRUE(x.has(h, v)) << v;
    EXPECT_EQ(x.size(), 3u);
}

TEST(OpenIndex, AfterTheWrapAnEntryAtItsHomeStays) {
    Index x;   // 7 at 7, 0 at its home 0, 15 (home 7) wrapped to 1
    x.insert(7, 1);
    x.insert(0, 2);
    x.insert(15, 3);
    // Erasing at 7: the entry at 0 has its home in (7, 0] cyclically and must stay; 15 moves to 7.
    EXPECT_TRUE(x.erase(7, 1));
    EXPECT_TRUE(x.has(0, 2));
    EXPECT_TRUE(x.has(15, 3));
    EXPECT_FALSE(x.has(7, 1));
}

TEST(OpenIndex, BackwardShiftLeavesEntriesThatAreAtOrPastTheirHome) {
    Index x;   // homes 2, 2, 3, 5 -> slots 2, 3, 4, 5
    x.insert(2, 1);
    x.insert(10, 2);
    x.insert(3, 3);
    x.insert(5, 4);
    // Erase at 2: 10 (home 2) moves to 2, 3 (home 3) moves to 3, 5 stays at its home.
    EXPECT_TRUE(x.erase(2, 1));
    EXPECT_TRUE(x.has(10, 2));
    EXPECT_TRUE(x.has(3, 3));
    EXPECT_TRUE(x.has(5, 4));
    // Erase an entry sitting at its home while a later one must not move before its home.
    EXPECT_TRUE(x.erase(3, 3));
    EXPECT_TRUE(x.has(10, 2));
    EXPECT_TRUE(x.has(5, 4));
    x.insert(4, 5);
    x.insert(12, 6);   // home 4 -> 4, 12 -> 6 (5 holds home 5)
    EXPECT_TRUE(x.erase(4, 5));
    EXPECT_TRUE(x.has(12, 6)) << "moved back to its home 4";
    EXPECT_TRUE(x.has(5, 4)) << "at its home 5, stays";
}

TEST(OpenIndex, GrowsBeforeItIsMoreThanHalfFull) {
    Index x{8};
    for (int v = 1; v <= 4; ++v) x.insert(static_cast<std::uint64_t>(v) * 8, v);   // all home 0
    EXPECT_EQ(x.slots(), 8u);
    x.insert(5 * 8, 5);
    EXPECT_EQ(x.slots(), 16u);
    for (int v = 6; v <= 1000; ++v) x.insert(static_cast<std::uint64_t>(v) * 2654435761u, v);
    EXPECT_EQ(x.size(), 1000u);
    EXPECT_EQ(x.slots(), 2048u);
    for (int v = 1; v <= 5; ++v) EXPECT_TRUE(x.has(static_cast<std::uint64_t>(v) * 8, v));
    for (int v = 6; v <= 1000; ++v) ASSERT_TRUE(x.has(static_cast<std::uint64_t>(v) * 2654435761u, v)) << v;
    for (int v = 6; v <= 1000; v += 2) ASSERT_TRUE(x.erase(static_cast<std::uint64_t>(v) * 2654435761u, v));
    for (int v = 7; v <= 1000; v += 2) ASSERT_TRUE(x.has(static_cast<std::uint64_t>(v) * 2654435761u, v)) << v;
    EXPECT_EQ(x.slots(), 2048u) << "never shrinks";
}

// Random inserts and erasures in a 32-slot array with hashes crowded into a few homes near the
// end, so runs collide, merge and wrap; after every step each present entry is findable and no
// erased one is.
TEST(OpenIndex, RandomOperationsMatchAReference) {
    for (unsigned seed = 1; seed <= 20; ++seed) {
        std::mt19937 rng{seed};
        Index x{32};
        std::map<int, std::uint64_t> ref;   // value -> hash
        int next = 1;
        for (int step = 0; step < 400; ++step) {
            const bool add = ref.empty() || (ref.size() < 16 && rng() % 2 == 0);
            if (add) {
                const std::uint64_t h = 26 + rng() % 10 + 32 * (rng() % 3);   // homes 26..31, 0..3
                x.insert(h, next);
                ref[next++] = h;
            } else {
                auto it = ref.begin();
                std::advance(it, static_cast<long>(rng() % ref.size()));
                ASSERT_TRUE(x.erase(it->second, it->first));
                ref.erase(it);
            }
            ASSERT_EQ(x.slots(), 32u);
            ASSERT_EQ(x.size(), ref.size());
            for (const auto& [v, h] : ref) ASSERT_TRUE(x.has(h, v)) << "seed " << seed << " step " << step << " value " << v;
        }
        for (int v = 1; v < next; ++v)
            if (!ref.count(v)) {
                for (std::uint64_t h = 26; h < 26 + 10 + 64; ++h) ASSERT_FALSE(x.has(h, v));
            }
    }
}

}  // namespace
}  // namespace tcpflow
