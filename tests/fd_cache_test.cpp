// fd_cache_test: the -f bound and the least-recently-used order of open descriptors.
#include "tcpflow/output/fd_cache.h"

#include <gtest/gtest.h>

#include <vector>

using namespace tcpflow;

namespace {
struct Entry : FdCacheEntry {
    int id = 0;
    bool open = false;
};
}  // namespace

TEST(FdCache, NeverMoreOpenThanTheLimitAndTheLeastRecentlyUsedGoesFirst) {
    FdCache cache{3};
    std::vector<Entry> e(6);
    std::vector<int> closed;
    auto close = [&](FdCacheEntry& x) {
        auto& entry = static_cast<Entry&>(x);
        closed.push_back(entry.id);
        entry.open = false;
        cache.closed(entry);
    };
    for (int i = 0; i < 6; ++i) {
        e[static_cast<std::size_t>(i)].id = i;
        if (i == 3) cache.used(e[0]);   // 0 written again: 1 is now the oldest
        cache.make_room(close);
        cache.opened(e[static_cast<std::size_t>(i)]);
        e[static_cast<std::size_t>(i)].open = true;
        EXPECT_LE(cache.open(), 3u);
    }
    EXPECT_EQ(closed, (std::vector<int>{1, 2, 0}));
    EXPECT_EQ(cache.open(), 3u);
    EXPECT_EQ(cache.max_seen(), 3u);
    std::vector<int> order;
    cache.for_each([&](FdCacheEntry& x) { order.push_back(static_cast<Entry&>(x).id); });
    EXPECT_EQ(order, (std::vector<int>{3, 4, 5}));
    EXPECT_EQ(static_cast<Entry*>(cache.oldest())->id, 3);
    cache.closed(e[4]);   // closed from the middle
    order.clear();
    cache.for_each([&](FdCacheEntry& x) { order.push_back(static_cast<Entry&>(x).id); });
    EXPECT_EQ(order, (std::vector<int>{3, 5}));
    EXPECT_FALSE(cache.full());
}

TEST(FdCache, TheDefaultLimitLeavesRoomBelowTheProcessLimit) {
    EXPECT_GE(FdCache::default_limit(), 4);
}
