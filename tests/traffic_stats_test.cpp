// traffic_stats_test: the netviz statistics (traffic/): bounded address counter, time histogram,
// and the per-frame accounting.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <numeric>
#include <utility>
#include <vector>

#include "tcpflow/traffic/address_counter.h"
#include "tcpflow/traffic/time_histogram.h"
#include "tcpflow/traffic/traffic_stats.h"

namespace tcpflow {
namespace {

IpAddress v4(std::uint32_t x) {
    return IpAddress::v4(static_cast<std::uint8_t>(x >> 24), static_cast<std::uint8_t>(x >> 16),
                         static_cast<std::uint8_t>(x >> 8), static_cast<std::uint8_t>(x));
}

constexpr std::int64_t kSec = 1'000'000'000;

TEST(AddressCounter, ExactUnderCapacity) {
    AddressCounter c{10};
    std::map<IpAddress, std::uint64_t> truth;
    for (std::uint32_t i = 0; i < 200; ++i) {
        const IpAddress a = v4(0x0a000000 + i % 7);
        c.add(a, i + 1);
        truth[a] += i + 1;
    }
    EXPECT_TRUE(c.exact());
    EXPECT_EQ(c.size(), 7u);
    const auto all = c.all();
    ASSERT_EQ(all.size(), 7u);
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < all.size(); ++i) {
        EXPECT_EQ(all[i].bytes, truth[all[i].address]);
        EXPECT_EQ(all[i].error, 0u);
        if (i) {
            EXPECT_GE(all[i - 1].bytes, all[i].bytes);
        }
        sum += all[i].bytes;
    }
    EXPECT_EQ(sum, c.total());
    EXPECT_EQ(c.top(3).size(), 3u);
    EXPECT_EQ(c.top(3)[0].address, all[0].address);
}

TEST(AddressCounter, MillionAddressesStayBoundedAndKeepHeavyHitters) {
    AddressCounter c{100};
    const IpAddress heavy1 = v4(0xc0a80001), heavy2 = IpAddress::v6(Bytes{reinterpret_cast<const std::uint8_t*>(
                                                                              "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\1"),
                                                                          16});
    for (std::uint32_t i = 0; i < 1'000'000; ++i) {
        c.add(v4(0x0b000000 + i), 100);
        if (i % 50 == 0) c.add(heavy1, 40'000);   // 20,000 x 40,000 = 800 MB
        if (i % 100 == 0) c.add(heavy2, 30'000);  // 10,000 x 30,000 = 300 MB
    }
    EXPECT_FALSE(c.exact());
    EXPECT_LE(c.size(), 200u);   // bounded: at most twice the capacity
    const auto top = c.top(2);
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[0].address, heavy1);
    EXPECT_EQ(top[1].address, heavy2);
    // Counts overstate by at most their error bound.
    EXPECT_GE(top[0].bytes, 800'000'000u);
    EXPECT_LE(top[0].bytes - top[0].error, 800'000'000u);
    EXPECT_GE(top[1].bytes, 300'000'000u);
    EXPECT_LE(top[1].bytes - top[1].error, 300'000'000u);
    EXPECT_EQ(c.total(), 100'000'000u + 800'000'000u + 300'000'000u);
}

TEST(AddressCounter, DroppedAddressesComeBackWithTheFloorAsError) {
    AddressCounter c{1};
    c.add(v4(1), 5);
    c.add(v4(2), 7);
    EXPECT_TRUE(c.exact());
    c.add(v4(3), 1);   // full (2 x 1): v4(1) is dropped, the floor becomes 5
    EXPECT_FALSE(c.exact());
    const auto top = c.top(5);
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[0].address, v4(2));
    EXPECT_EQ(top[0].bytes, 7u);
    EXPECT_EQ(top[0].error, 0u);
    EXPECT_EQ(top[1].address, v4(3));
    EXPECT_EQ(top[1].bytes, 6u);   // an upper bound: 1 byte seen, maybe 5 before it was dropped
    EXPECT_EQ(top[1].error, 5u);
    EXPECT_EQ(c.total(), 13u);
}

std::uint64_t sum(const std::vector<std::uint64_t>& v) { return std::accumulate(v.begin(), v.end(), std::uint64_t{0}); }

TEST(TimeHistogram, OnePacketIsOneBar) {
    TimeHistogram h;
    h.add(1'700'000'000 * kSec + 123, 60, 80);
    const auto b = h.bars(100, {80});
    ASSERT_EQ(b.count(), 1u);
    EXPECT_EQ(b.bytes[0], 60u);
    EXPECT_EQ(b.port_bytes[0][0], 60u);
    EXPECT_LE(b.start_ns, 1'700'000'000 * kSec + 123);
    EXPECT_GT(b.start_ns + b.width_ns, 1'700'000'000 * kSec + 123);
}

TEST(TimeHistogram, OneSecondGetsSubSecondBars) {
    TimeHistogram h;
    for (int i = 0; i < 1000; ++i) h.add(50 * kSec + i * 1'000'000, 100, i % 2 ? 443 : 22);
    EXPECT_LE(h.width_ns(), kSec / 100);
    const auto b = h.bars(100, {22, 443});
    EXPECT_LE(b.count(), 100u);
    EXPECT_GE(b.count(), 10u);
    EXPECT_EQ(b.width_ns, 10'000'000);   // 100 bars of 10 ms
    EXPECT_EQ(sum(b.bytes), 100'000u);
    EXPECT_EQ(sum(b.port_bytes[0]) + sum(b.port_bytes[1]), 100'000u);
}

TEST(TimeHistogram, TenYearsOutOfOrderStaysBoundedAndExact) {
    TimeHistogram h;
    const std::int64_t ten_years = 10LL * 365 * 86400 * kSec;
    std::uint64_t total = 0;
    for (int i = 0; i < 100'000; ++i) {
        // Alternating ends of the decade, then the middle: windows move and widen both ways.
        const std::int64_t t = 1'000'000'000 * kSec + (i % 3 == 0 ? ten_years - i * kSec : i * 7919LL * kSec);
        h.add(t, static_cast<std::uint64_t>(i % 1500 + 40), i % 5 == 0 ? -1 : i % 4);
        total += static_cast<std::uint64_t>(i % 1500 + 40);
    }
    const auto b = h.bars(100, {0, 1, 2, 3});
    EXPECT_LE(b.count(), 100u);
    EXPECT_EQ(sum(b.bytes), total);
    EXPECT_EQ(sum(b.packets), 100'000u);
    EXPECT_GE(static_cast<std::int64_t>(b.count()) * b.width_ns, ten_years - 100'000 * kSec);
}

TEST(TimeHistogram, BarsCoverFirstAndLastPacket) {
    TimeHistogram h;
    h.add(10 * kSec, 1, -1);
    h.add(9 * kSec, 2, -1);          // earlier than the first
    h.add(4000 * kSec, 4, -1);       // much later
    const auto b = h.bars(100, {});
    EXPECT_LE(b.start_ns, 9 * kSec);
    EXPECT_GE(b.start_ns + static_cast<std::int64_t>(b.count()) * b.width_ns, 4000 * kSec);
    EXPECT_EQ(b.bytes.front(), 3u);
    EXPECT_EQ(b.bytes.back(), 4u);
    EXPECT_EQ(sum(b.bytes), 7u);
}

TEST(TimeHistogram, TopPortsByAttributedBytes) {
    TimeHistogram h;
    for (int i = 0; i < 100; ++i) h.add(i * kSec, 10, 80);
    for (int i = 0; i < 100; ++i) h.add(i * kSec, 30, 443);
    h.add(5 * kSec, 1, 22);
    const auto p = h.top_ports(2);
    ASSERT_EQ(p.size(), 2u);
    EXPECT_EQ(p[0], 443);
    EXPECT_EQ(p[1], 80);
}

// The last packet's bucket is remembered (no division for the next one in it): after the window
// moves (later, earlier) or widens, packets must still land in their own bucket. Checked bucket by
// bucket against the sums computed from the times at the histogram's final width.
TEST(TimeHistogram, RememberedBucketFollowsTheWindowWhenItMovesOrWidens) {
    TimeHistogram h;
    std::vector<std::pair<std::int64_t, std::uint64_t>> sent;
    auto add = [&](std::int64_t t, std::uint64_t bytes) {
        h.add(t, bytes, -1);
        sent.emplace_back(t, bytes);
    };
    auto check = [&](const char* phase) {
        const auto b = h.bars(TimeHistogram::kBuckets, {});
        ASSERT_EQ(b.width_ns, h.width_ns()) << phase;
        std::vector<std::uint64_t> want(b.count(), 0);
        const std::int64_t first = std::min_element(sent.begin(), sent.end())->first;
        for (const auto& [t, bytes] : sent)
            want.at(static_cast<std::size_t>(floor_div(t, b.width_ns) - floor_div(first, b.width_ns))) += bytes;
        EXPECT_EQ(b.bytes, want) << phase;
    };
    const std::int64_t t0 = 1'600'000'000 * kSec;
    for (int i = 0; i < 300; ++i) add(t0 + i * 700, 1 + static_cast<std::uint64_t>(i % 3));   // 1 us buckets
    check("in order, same and next buckets");
    add(t0 + 200 * 700, 10);                    // back into an earlier bucket of the window
    add(t0 + 200 * 700 + 1, 20);                // the same bucket again (remembered)
    check("back inside the window");
    add(t0 + 400 * 1000, 40);                   // later, past the window's end: it moves on
    add(t0 + 400 * 1000 + 5, 50);
    add(t0 + 10, 55);
    check("moved on");
    EXPECT_EQ(h.width_ns(), 1000);
    add(t0 + 600 * 1000, 40);                   // 600 us do not fit 512 buckets of 1 us: it widens
    add(t0 + 600 * 1000 + 5, 50);
    add(t0 + 10, 60);                           // back to the start
    add(t0 + 11, 70);
    check("widened");
    const std::int64_t w = h.width_ns();
    ASSERT_GT(w, 1000);
    add(t0 - 100 * w, 80);                      // earlier: the window moves back (same width)
    add(t0 - 100 * w + 1, 90);
    add(t0 + 10, 100);
    check("moved back");
    EXPECT_EQ(h.width_ns(), w);
    add(t0 + 100'000 * kSec, 110);              // far later: widens many times
    add(t0 + 100'000 * kSec + 1, 120);
    add(t0 + 12, 130);
    check("far later");
    // Runs of small steps from random times between 0 and 2^42 ns (70 minutes), in random order.
    TimeHistogram fresh;
    h = fresh;
    sent.clear();
    std::uint64_t x = 99;
    for (int run = 0; run < 400; ++run) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        auto t = static_cast<std::int64_t>(x >> 22);
        for (int i = 0; i < 50; ++i, t += static_cast<std::int64_t>((x >> (i % 40)) & 0xfffff)) add(t, 1 + (x >> 60));
    }
    check("random runs");
}

// prefetch() + add(prepared) (the capture loop's way) counts exactly as add() alone, also when
// the address counters drop and re-add addresses (more addresses than they hold); with room for
// every address, the counts are the true ones.
TEST(TrafficStats, PrefetchedAddCountsAsPlainAdd) {
    TrafficStats plain{TrafficConfig{20, 0}}, fetched{TrafficConfig{20, 0}}, roomy{TrafficConfig{1000, 0}};
    std::map<IpAddress, std::uint64_t> src_truth, dst_truth;
    std::uint32_t x = 7;
    for (int i = 0; i < 20'000; ++i) {
        x = x * 1664525u + 1013904223u;
        DecodedPacket p;
        p.ip_version = (x >> 8) % 11 == 0 ? 0 : 4;
        if (p.ip_version) {
            p.src = v4(0x0a000000 + (x >> 20) % 300);
            p.dst = v4(0xc0a80000 + (x >> 12) % 90);
            p.sport = static_cast<std::uint16_t>(x >> 3);
            p.dport = static_cast<std::uint16_t>(80 + (x >> 24) % 5);
        }
        const DecodeStatus st = (x >> 28) % 4 == 0 ? DecodeStatus::no_transport : DecodeStatus::transport;
        const Timestamp ts{kSec + static_cast<std::int64_t>(i) * 1000};
        const auto len = static_cast<std::uint32_t>(60 + (x >> 16) % 1400);
        plain.add(ts, len, st, p);
        const auto prepared = fetched.prefetch(st, p);
        fetched.add(ts, len, st, p, prepared);
        roomy.add(ts, len, st, p, roomy.prefetch(st, p));
        if (p.ip_version) {
            src_truth[p.src] += len;
            dst_truth[p.dst] += len;
        }
    }
    ASSERT_FALSE(plain.sources().exact());
    ASSERT_TRUE(roomy.sources().exact());
    for (const auto& [counter, truth] : {std::pair{&roomy.sources(), &src_truth}, std::pair{&roomy.destinations(), &dst_truth}}) {
        const auto all = counter->all();
        EXPECT_EQ(all.size(), truth->size());
        for (const auto& e : all) EXPECT_EQ(e.bytes, truth->at(e.address));
    }
    auto same = [](const std::vector<AddressCounter::Entry>& a, const std::vector<AddressCounter::Entry>& b) {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i)
            if (a[i].address != b[i].address || a[i].bytes != b[i].bytes || a[i].error != b[i].error) return false;
        return true;
    };
    EXPECT_TRUE(same(plain.sources().all(), fetched.sources().all()));
    EXPECT_TRUE(same(plain.destinations().all(), fetched.destinations().all()));
    EXPECT_EQ(plain.bytes(), fetched.bytes());
    EXPECT_EQ(plain.port_bytes(), fetched.port_bytes());
    for (const auto& [a, b] : {std::pair{plain.top_source_ports(50), fetched.top_source_ports(50)},
                               std::pair{plain.top_destination_ports(5), fetched.top_destination_ports(5)}}) {
        ASSERT_EQ(a.size(), b.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
            EXPECT_EQ(a[i].port, b[i].port);
            EXPECT_EQ(a[i].bytes, b[i].bytes);
        }
    }
    EXPECT_EQ(plain.histogram().bars(100, {80, 81}).port_bytes, fetched.histogram().bars(100, {80, 81}).port_bytes);
}

DecodedPacket tcp(IpAddress s, IpAddress d, std::uint16_t sp, std::uint16_t dp) {
    DecodedPacket p;
    p.ip_version = s.family;
    p.src = s;
    p.dst = d;
    p.sport = sp;
    p.dport = dp;
    return p;
}

TEST(TrafficStats, CountsFramesAddressesAndPorts) {
    TrafficStats st{TrafficConfig{10, 5 * kSec}};
    const IpAddress a = v4(0x0a000001), b = v4(0x0a000002);
    const std::uint8_t six[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
    const IpAddress c = IpAddress::v6(Bytes{six, 16});
    st.add(Timestamp{100 * kSec}, 74, DecodeStatus::transport, tcp(a, b, 40000, 80));
    st.add(Timestamp{101 * kSec}, 1514, DecodeStatus::transport, tcp(b, a, 80, 40000));
    st.add(Timestamp{99 * kSec}, 94, DecodeStatus::transport, tcp(c, c, 22, 50000));
    DecodedPacket icmp = tcp(a, b, 0, 0);
    st.add(Timestamp{102 * kSec}, 98, DecodeStatus::no_transport, icmp);
    st.add(Timestamp{103 * kSec}, 42, DecodeStatus::no_transport, DecodedPacket{});   // ARP
    EXPECT_EQ(st.packets(), 5u);
    EXPECT_EQ(st.bytes(), 74u + 1514 + 94 + 98 + 42);
    EXPECT_EQ(st.first().ns, 104 * kSec);
    EXPECT_EQ(st.last().ns, 108 * kSec);
    EXPECT_EQ(st.ipv4_bytes(), 74u + 1514 + 98);
    EXPECT_EQ(st.ipv6_bytes(), 94u);
    EXPECT_EQ(st.address_bytes(), 74u + 1514 + 94 + 98);
    EXPECT_EQ(st.port_bytes(), 74u + 1514 + 94);
    const auto src = st.sources().top(3);
    ASSERT_EQ(src.size(), 3u);
    EXPECT_EQ(src[0].address, b);
    EXPECT_EQ(src[0].bytes, 1514u);
    EXPECT_EQ(src[1].address, a);
    EXPECT_EQ(src[1].bytes, 74u + 98);
    const auto sp = st.top_source_ports(10);
    ASSERT_EQ(sp.size(), 3u);
    EXPECT_EQ(sp[0].port, 80);
    EXPECT_EQ(sp[0].bytes, 1514u);
    const auto dp = st.top_destination_ports(1);
    ASSERT_EQ(dp.size(), 1u);
    EXPECT_EQ(dp[0].port, 40000);
    // The time histogram stacks by the service port (the lower one).
    const auto ports = st.histogram().top_ports(5);
    ASSERT_EQ(ports.size(), 2u);
    EXPECT_EQ(ports[0], 80);
    EXPECT_EQ(ports[1], 22);
}

TEST(TrafficStats, EmptyHasNothing) {
    TrafficStats st;
    EXPECT_EQ(st.packets(), 0u);
    EXPECT_TRUE(st.histogram().empty());
    EXPECT_EQ(st.histogram().bars(100, {}).count(), 0u);
    EXPECT_TRUE(st.top_source_ports(3).empty());
    EXPECT_TRUE(st.sources().top(3).empty());
}

}  // namespace
}  // namespace tcpflow
