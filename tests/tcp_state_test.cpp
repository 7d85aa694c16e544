// TcpState: unknown state is an empty optional; move_positions moves only what is known, modulo
// 2^64; a copy is a plain value copy (what the flow table remembers of a closed flow).
#include <gtest/gtest.h>

#include <cstdint>

#include "tcpflow/flow/tcp_state.h"

namespace tcpflow {
namespace {

TEST(TcpState, StartsKnowingNothing) {
    const TcpState t;
    EXPECT_FALSE(t.syn_isn);
    EXPECT_FALSE(t.base);
    EXPECT_FALSE(t.hi);
    EXPECT_FALSE(t.nsn);
    EXPECT_FALSE(t.fin);
    EXPECT_FALSE(t.window);
    EXPECT_FALSE(t.wscale);
    EXPECT_FALSE(t.fin_closed || t.stored_any || t.reset);
    EXPECT_EQ(t.packets, 0u);
}

TEST(TcpState, MovePositionsMovesOnlyKnownPositions) {
    TcpState t;
    t.base = 100;
    t.hi = 250;
    t.syn_isn = 7;
    t.window = 65535;
    t.move_positions(1000);
    EXPECT_EQ(t.base, 1100u);
    EXPECT_EQ(t.hi, 1250u);
    EXPECT_FALSE(t.nsn) << "still unknown";
    EXPECT_FALSE(t.fin);
    EXPECT_EQ(t.syn_isn, 7u) << "a sequence number, not a position";
    EXPECT_EQ(t.window, 65535u);
    t.nsn = 5;
    t.fin = 6;
    t.move_positions(static_cast<std::uint64_t>(-10));   // backwards, modulo 2^64
    EXPECT_EQ(t.base, 1090u);
    EXPECT_EQ(t.hi, 1240u);
    EXPECT_EQ(t.nsn, static_cast<std::uint64_t>(-5));
    EXPECT_EQ(t.fin, static_cast<std::uint64_t>(-4));
}

TEST(TcpState, CopiesAreValues) {
    TcpState a;
    a.base = 1;
    a.fin = 9;
    a.wscale = 7;
    a.packets = 3;
    a.stored_any = true;
    TcpState b = a;
    b.move_positions(10);
    b.wscale.reset();
    EXPECT_EQ(a.base, 1u);
    EXPECT_EQ(a.fin, 9u);
    EXPECT_EQ(a.wscale, 7);
    EXPECT_EQ(b.base, 11u);
    EXPECT_FALSE(b.wscale);
    EXPECT_EQ(b.packets, 3u);
    EXPECT_TRUE(b.stored_any);
}

}  // namespace
}  // namespace tcpflow
