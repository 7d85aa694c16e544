// IntrusiveList: order of push_back, unlink from anywhere, move to the back (the LRU pattern),
// and an element in two lists through two hooks.
#include <gtest/gtest.h>

#include <vector>

#include "tcpflow/base/intrusive_list.h"

namespace tcpflow {
namespace {

struct Node {
    Node(int value) : v{value} {}   // NOLINT(google-explicit-constructor): Node n[] = {{1}, {2}}
    int v = 0;
    ListHook<Node> a;
    ListHook<Node> b;
};
using ListA = IntrusiveList<Node, &Node::a>;
using ListB = IntrusiveList<Node, &Node::b>;

template <class List>
std::vector<int> order(const List& l) {
    std::vector<int> out;
    for (const Node* n = l.front(); n; n = List::next(*n)) out.push_back(n->v);
    return out;
}

TEST(IntrusiveList, EmptyList) {
    ListA l;
    Node n{1};
    EXPECT_TRUE(l.empty());
    EXPECT_EQ(l.front(), nullptr);
    EXPECT_EQ(l.back(), nullptr);
    EXPECT_FALSE(l.contains(n));
}

TEST(IntrusiveList, PushBackKeepsOrder) {
    Node n[4] = {{1}, {2}, {3}, {4}};
    ListA l;
    for (Node& x : n) l.push_back(x);
    EXPECT_EQ(order(l), (std::vector<int>{1, 2, 3, 4}));
    EXPECT_EQ(l.front(), &n[0]);
    EXPECT_EQ(l.back(), &n[3]);
    for (const Node& x : n) EXPECT_TRUE(l.contains(x));
}

TEST(IntrusiveList, UnlinkFromTheMiddleTheEndsAndTheOnlyElement) {
    Node n[5] = {{1}, {2}, {3}, {4}, {5}};
    ListA l;
    for (Node& x : n) l.push_back(x);
    l.unlink(n[2]);
    EXPECT_EQ(order(l), (std::vector<int>{1, 2, 4, 5}));
    EXPECT_FALSE(l.contains(n[2]));
    EXPECT_EQ(n[2].a.prev, nullptr);
    EXPECT_EQ(n[2].a.next, nullptr);
    l.unlink(n[0]);
    EXPECT_EQ(order(l), (std::vector<int>{2, 4, 5}));
    EXPECT_EQ(l.front(), &n[1]);
    l.unlink(n[4]);
    EXPECT_EQ(order(l), (std::vector<int>{2, 4}));
    EXPECT_EQ(l.back(), &n[3]);
    l.unlink(n[1]);
    l.unlink(n[3]);
    EXPECT_TRUE(l.empty());
    EXPECT_EQ(l.back(), nullptr);
    l.push_back(n[2]);   // an unlinked element can be linked again
    EXPECT_EQ(order(l), (std::vector<int>{3}));
    EXPECT_TRUE(l.contains(n[2]));
}

TEST(IntrusiveList, MoveToBackIsTheLeastRecentlyUsedOrder) {
    Node n[4] = {{1}, {2}, {3}, {4}};
    ListA lru;
    for (Node& x : n) lru.push_back(x);
    lru.move_to_back(n[1]);   // middle
    EXPECT_EQ(order(lru), (std::vector<int>{1, 3, 4, 2}));
    lru.move_to_back(n[0]);   // front
    EXPECT_EQ(order(lru), (std::vector<int>{3, 4, 2, 1}));
    lru.move_to_back(n[0]);   // already the back
    EXPECT_EQ(order(lru), (std::vector<int>{3, 4, 2, 1}));
    // Expiry takes the least recently used from the front.
    std::vector<int> expired;
    while (Node* oldest = lru.front()) {
        expired.push_back(oldest->v);
        lru.unlink(*oldest);
    }
    EXPECT_EQ(expired, (std::vector<int>{3, 4, 2, 1}));
}

TEST(IntrusiveList, TwoHooksAreTwoIndependentLists) {
    Node n[3] = {{1}, {2}, {3}};
    ListA a;
    ListB b;
    for (Node& x : n) a.push_back(x);
    b.push_back(n[2]);
    b.push_back(n[0]);
    EXPECT_EQ(order(a), (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(order(b), (std::vector<int>{3, 1}));
    EXPECT_FALSE(b.contains(n[1]));
    a.unlink(n[0]);
    EXPECT_EQ(order(b), (std::vector<int>{3, 1})) << "unlinking from one list leaves the other";
    EXPECT_TRUE(b.contains(n[0]));
    EXPECT_FALSE(a.contains(n[0]));
}

}  // namespace
}  // namespace tcpflow
