// SavedTable: closed flows by (connection, direction) — find by key and direction, either
// direction, forced hash collisions, FIFO of remembering, removal from the middle, growth.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support/packet_builder.h"
#include "tcpflow/flow/conn_key.h"
#include "tcpflow/flow/saved_table.h"

namespace tcpflow {
namespace {

using Table = SavedTable<std::string>;
constexpr std::uint32_t kNone = Table::kNone;

ConnKey key(std::uint16_t port, const char* lo = "10.0.0.1") {
    ConnKey k;
    k.lo = test::ip(lo);
    k.hi = test::ip("10.0.0.2");
    k.lo_port = port;
    k.hi_port = 80;
    return k;
}
std::uint64_t hash(const ConnKey& k) { return ConnKeyHash{}(k); }

std::uint32_t put(Table& t, const ConnKey& k, int d, const std::string& v, std::uint64_t h) {
    const std::uint32_t s = t.insert(k, d, h);
    t.at(s) = v;
    return s;
}
std::uint32_t put(Table& t, const ConnKey& k, int d, const std::string& v) { return put(t, k, d, v, hash(k)); }

std::vector<std::string> order(Table& t) {
    std::vector<std::string> out;
    for (std::uint32_t s = t.oldest(); s != kNone; s = t.next(s)) out.push_back(t.at(s));
    return out;
}

TEST(SavedTable, EmptyTableFindsNothing) {
    Table t{10};
    const ConnKey k = key(1);
    EXPECT_TRUE(t.empty());
    EXPECT_EQ(t.find(k, 0, hash(k)), kNone);
    EXPECT_FALSE(t.has_either(k, hash(k)));
    EXPECT_EQ(t.oldest(), kNone);
}

TEST(SavedTable, FindsByKeyAndDirection) {
    Table t{10};
    const ConnKey k = key(1), other = key(2);
    const std::uint32_t s = put(t, k, 1, "k1");
    EXPECT_EQ(t.find(k, 1, hash(k)), s);
    EXPECT_EQ(t.at(s), "k1");
    EXPECT_EQ(t.key(s), k);
    EXPECT_EQ(t.dir(s), 1);
    EXPECT_EQ(t.find(k, 0, hash(k)), kNone) << "the other direction is not remembered";
    EXPECT_TRUE(t.has_either(k, hash(k)));
    EXPECT_FALSE(t.has_either(other, hash(other)));
    const std::uint32_t s0 = put(t, k, 0, "k0");
    EXPECT_EQ(t.find(k, 0, hash(k)), s0);
    t.erase(s);
    EXPECT_EQ(t.find(k, 1, hash(k)), kNone);
    EXPECT_EQ(t.find(k, 0, hash(k)), s0);
    EXPECT_TRUE(t.has_either(k, hash(k))) << "one direction is still remembered";
    t.erase(s0);
    EXPECT_FALSE(t.has_either(k, hash(k)));
    EXPECT_TRUE(t.empty());
}

TEST(SavedTable, KeysWithTheSameHashAreToldApart) {
    Table t{10};
    const std::uint64_t h = 42;   // every key below collides
    const ConnKey a = key(1), b = key(2), c = key(3), d = key(4, "10.0.0.9");
    const std::uint32_t sa = put(t, a, 0, "a", h), sb = put(t, b, 0, "b", h), sc = put(t, c, 1, "c", h);
    EXPECT_EQ(t.find(a, 0, h), sa);
    EXPECT_EQ(t.find(b, 0, h), sb);
    EXPECT_EQ(t.find(c, 1, h), sc);
    EXPECT_EQ(t.find(c, 0, h), kNone);
    EXPECT_FALSE(t.has_either(d, h));
    t.erase(sb);   // from the middle of the probe run
    EXPECT_EQ(t.find(a, 0, h), sa);
    EXPECT_EQ(t.find(c, 1, h), sc);
    EXPECT_EQ(t.find(b, 0, h), kNone);
    EXPECT_TRUE(t.has_either(c, h));
    EXPECT_EQ(t.find(a, 0, h + 1), kNone) << "found only under its own hash";
}

TEST(SavedTable, ForgottenOldestFirstAndRememberingAgainMovesToTheEnd) {
    Table t{3};
    const ConnKey k1 = key(1), k2 = key(2), k3 = key(3), k4 = key(4);
    const std::uint32_t s1 = put(t, k1, 0, "1");
    put(t, k2, 0, "2");
    const std::uint32_t s3 = put(t, k3, 0, "3");
    EXPECT_TRUE(t.full());
    EXPECT_EQ(order(t), (std::vector<std::string>{"1", "2", "3"}));
    t.move_to_back(s1);
    EXPECT_EQ(order(t), (std::vector<std::string>{"2", "3", "1"}));
    // Make room the way the flow table does: forget the oldest.
    t.erase(t.oldest());
    EXPECT_EQ(t.find(k2, 0, hash(k2)), kNone);
    const std::uint32_t s4 = put(t, k4, 0, "4");
    EXPECT_EQ(order(t), (std::vector<std::string>{"3", "1", "4"}));
    t.erase(s1);   // restored: leaves from the middle
    EXPECT_EQ(order(t), (std::vector<std::string>{"3", "4"}));
    EXPECT_EQ(t.find(k1, 0, hash(k1)), kNone);
    EXPECT_EQ(t.find(k3, 0, hash(k3)), s3);
    EXPECT_EQ(t.find(k4, 0, hash(k4)), s4);
    EXPECT_EQ(t.oldest(), s3);
    EXPECT_EQ(t.next(s3), s4);
}

TEST(SavedTable, ManyEntriesGrowTheIndexAndStayFindable) {
    Table t{100000};
    std::vector<std::uint32_t> slots;
    for (std::uint16_t port = 1; port <= 5000; ++port) {
        const ConnKey k = key(port);
        slots.push_back(put(t, k, port % 2, std::to_string(port)));
    }
    EXPECT_EQ(t.size(), 5000u);
    for (std::uint16_t port = 1; port <= 5000; port += 2) t.erase(slots[port - 1u]);
    for (std::uint16_t port = 1; port <= 5000; ++port) {
        const ConnKey k = key(port);
        const std::uint32_t s = t.find(k, port % 2, hash(k));
        if (port % 2) {
            ASSERT_EQ(s, kNone) << port;
        } else {
            ASSERT_NE(s, kNone) << port;
            ASSERT_EQ(t.at(s), std::to_string(port));
        }
    }
    EXPECT_EQ(t.size(), 2500u);
}

}  // namespace
}  // namespace tcpflow
