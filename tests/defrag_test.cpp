// IPv4 and IPv6 fragment reassembly through the Decoder.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/decode_helpers.h"
#include "tcpflow/decode/defrag.h"

using namespace tcpflow;
using namespace tcpflow::test;

namespace {

const std::string kData = "The quick brown fox jumps over the lazy dog, again and again and again.";

struct Piece {
    std::uint32_t offset;
    std::uint32_t len;
    bool more;
};

// Fragments of the standard segment carrying kData, cut at multiples of 8.
std::vector<Frame> frags4(const std::vector<Piece>& pieces, std::uint16_t id = 77, const TcpSpec& t = spec4(kData)) {
    const Frame seg = tcp_header_and_payload(t);
    std::vector<Frame> out;
    for (const auto& p : pieces) {
        Ipv4Spec s;
        s.id = id;
        s.fragment_offset = static_cast<std::uint16_t>(p.offset);
        s.more_fragments = p.more;
        const Frame chunk(seg.begin() + p.offset, seg.begin() + std::min<std::size_t>(seg.size(), p.offset + p.len));
        out.push_back(ipv4_packet(t.src, t.dst, 6, bytes(chunk), s));
    }
    return out;
}

std::vector<Frame> frags6(const std::vector<Piece>& pieces, std::uint32_t id = 0x231a6066) {
    const TcpSpec t = spec6(kData);
    const Frame seg = tcp_header_and_payload(t);
    std::vector<Frame> out;
    for (const auto& p : pieces) {
        Frame fh = {6, 0};
        put16be(fh, static_cast<std::uint16_t>(p.offset | (p.more ? 1u : 0u)));
        put32be(fh, id);
        const Frame chunk(seg.begin() + p.offset, seg.begin() + std::min<std::size_t>(seg.size(), p.offset + p.len));
        out.push_back(ipv6_packet(t.src, t.dst, 6, bytes(chunk), bytes(fh), 44));
    }
    return out;
}

// Segment is 20 + 71 = 91 bytes: pieces 0-31, 32-63, 64-90.
const std::vector<Piece> kThree = {{0, 32, true}, {32, 32, true}, {64, 64, false}};

void expect_reassembled(Harness& h, const std::vector<Frame>& frames, const TcpSpec& t) {
    DecodedPacket out;
    for (std::size_t i = 0; i + 1 < frames.size(); ++i) {
        ASSERT_EQ(h.decode(LinkType::raw, frames[i], out), DecodeStatus::fragment_held) << i;
    }
    ASSERT_EQ(h.decode(LinkType::raw, frames.back(), out), DecodeStatus::transport);
    EXPECT_EQ(out.src, t.src);
    EXPECT_EQ(out.sport, t.sport);
    EXPECT_EQ(out.tcp.seq, t.seq);
    EXPECT_EQ(out.claimed_len, t.payload.size());
    EXPECT_EQ(std::string(out.payload.begin(), out.payload.end()), t.payload);
    EXPECT_EQ(h.stats.get(Counter::fragments_reassembled), 1u);
    EXPECT_EQ(h.stats.get(Counter::fragments_received), frames.size());
    EXPECT_EQ(h.decoder.memory_used(), 0u);
    EXPECT_EQ(h.budget.used(), 0u);
}

}  // namespace

TEST(Defrag, Ipv4InOrderAndReverse) {
    {
        Harness h;
        expect_reassembled(h, frags4(kThree), spec4(kData));
    }
    {
        Harness h;
        auto f = frags4(kThree);
        std::reverse(f.begin(), f.end());
        expect_reassembled(h, f, spec4(kData));
    }
    {
        Harness h;
        auto f = frags4(kThree);
        std::swap(f[0], f[1]);
        expect_reassembled(h, f, spec4(kData));
    }
}

TEST(Defrag, Ipv6InOrderReverseAndAtomic) {
    {
        Harness h;
        expect_reassembled(h, frags6(kThree), spec6(kData));
    }
    {
        Harness h;
        auto f = frags6(kThree);
        std::reverse(f.begin(), f.end());
        expect_reassembled(h, f, spec6(kData));
    }
    // Atomic fragment (offset 0, M=0): a plain packet.
    Harness h;
    DecodedPacket out;
    EXPECT_EQ(h.decode(LinkType::raw, frags6({{0, 200, false}})[0], out), DecodeStatus::transport);
    EXPECT_EQ(h.stats.get(Counter::fragments_received), 0u);
}

TEST(Defrag, FirstFragmentIsNotASegment) {
    Harness h;
    DecodedPacket out;
    EXPECT_EQ(h.decode(LinkType::raw, frags4(kThree)[0], out), DecodeStatus::fragment_held);
    EXPECT_GT(h.decoder.memory_used(), 0u);
    EXPECT_EQ(h.budget.used(), h.decoder.memory_used());
}

TEST(Defrag, OverlapFirstCopyWins) {
    // A second copy of bytes 16..47 with different content arrives after the first.
    TcpSpec other = spec4(kData);
    std::string changed = kData;
    std::replace(changed.begin(), changed.end(), 'a', '#');
    other.payload = changed;
    auto good = frags4(kThree);
    auto bad = frags4({{16, 32, true}}, 77, other);
    Harness h;
    DecodedPacket out;
    ASSERT_EQ(h.decode(LinkType::raw, good[0], out), DecodeStatus::fragment_held);
    ASSERT_EQ(h.decode(LinkType::raw, bad[0], out), DecodeStatus::fragment_held);
    ASSERT_EQ(h.decode(LinkType::raw, good[2], out), DecodeStatus::fragment_held);
    ASSERT_EQ(h.decode(LinkType::raw, good[1], out), DecodeStatus::transport);
    // Bytes 16..31 came from good[0], 32..47 from bad (it arrived before good[1]).
    const Frame seg_good = tcp_header_and_payload(spec4(kData));
    const Frame seg_bad = tcp_header_and_payload(other);
    std::string expect(seg_good.begin() + 20, seg_good.end());
    for (std::size_t i = 32; i < 48; ++i) expect[i - 20] = static_cast<char>(seg_bad[i]);
    EXPECT_EQ(std::string(out.payload.begin(), out.payload.end()), expect);
    EXPECT_GE(h.stats.get(Counter::fragments_overlapping), 1u);
}

TEST(Defrag, DuplicatesAreHarmless) {
    auto f = frags4(kThree);
    Harness h;
    DecodedPacket out;
    ASSERT_EQ(h.decode(LinkType::raw, f[0], out), DecodeStatus::fragment_held);
    ASSERT_EQ(h.decode(LinkType::raw, f[0], out), DecodeStatus::fragment_held);
    ASSERT_EQ(h.decode(LinkType::raw, f[1], out), DecodeStatus::fragment_held);
    ASSERT_EQ(h.decode(LinkType::raw, f[1], out), DecodeStatus::fragment_held);
    ASSERT_EQ(h.decode(LinkType::raw, f[2], out), DecodeStatus::transport);
    EXPECT_EQ(std::string(out.payload.begin(), out.payload.end()), kData);
    // A late duplicate after completion starts a new datagram that never completes.
    EXPECT_EQ(h.decode(LinkType::raw, f[1], out), DecodeStatus::fragment_held);
}

TEST(Defrag, NeverCompletedYieldsNothingAndExpires) {
    // All fragments have MF set: the last one is missing (zeek-ipv4-fragmented-3).
    auto f = frags4({{0, 32, true}, {32, 32, true}, {64, 24, true}});
    Harness h;
    DecodedPacket out;
    for (const auto& fr : f) EXPECT_EQ(h.decode(LinkType::raw, fr, out), DecodeStatus::fragment_held);
    EXPECT_EQ(h.stats.get(Counter::fragments_reassembled), 0u);
    EXPECT_GT(h.decoder.memory_used(), 0u);
    h.decoder.expire(Timestamp{30 * kNsPerSec});
    EXPECT_GT(h.decoder.memory_used(), 0u);
    h.decoder.expire(Timestamp{61 * kNsPerSec});
    EXPECT_EQ(h.decoder.memory_used(), 0u);
    EXPECT_EQ(h.budget.used(), 0u);
    EXPECT_EQ(h.stats.get(Counter::fragments_expired), 1u);
}

TEST(Defrag, TimeoutInPacketTime) {
    DecoderLimits lim;
    lim.fragment_timeout_ns = 5 * kNsPerSec;
    Harness h{lim};
    auto f = frags4(kThree);
    DecodedPacket out;
    ASSERT_EQ(h.decode(LinkType::raw, f[0], out, 0), DecodeStatus::fragment_held);
    ASSERT_EQ(h.decode(LinkType::raw, f[1], out, 1 * kNsPerSec), DecodeStatus::fragment_held);
    // The rest arrives too late: the old datagram is gone, the last fragment starts a new one.
    EXPECT_EQ(h.decode(LinkType::raw, f[2], out, 10 * kNsPerSec), DecodeStatus::fragment_held);
    EXPECT_EQ(h.stats.get(Counter::fragments_expired), 1u);
    EXPECT_EQ(h.stats.get(Counter::fragments_reassembled), 0u);
}

TEST(Defrag, ShedOldestAndBoundedCount) {
    Harness h;
    DecodedPacket out;
    const auto a = frags4(kThree, 1), b = frags4(kThree, 2);
    ASSERT_EQ(h.decode(LinkType::raw, a[0], out), DecodeStatus::fragment_held);
    ASSERT_EQ(h.decode(LinkType::raw, b[0], out), DecodeStatus::fragment_held);
    const std::size_t both = h.decoder.memory_used();
    EXPECT_TRUE(h.decoder.shed_oldest());   // drops datagram 1
    EXPECT_LT(h.decoder.memory_used(), both);
    EXPECT_EQ(h.budget.used(), h.decoder.memory_used());
    ASSERT_EQ(h.decode(LinkType::raw, b[1], out), DecodeStatus::fragment_held);
    ASSERT_EQ(h.decode(LinkType::raw, b[2], out), DecodeStatus::transport);
    ASSERT_EQ(h.decode(LinkType::raw, a[1], out), DecodeStatus::fragment_held);
    ASSERT_EQ(h.decode(LinkType::raw, a[2], out), DecodeStatus::fragment_held);   // a[0] was shed
    EXPECT_TRUE(h.decoder.shed_oldest());
    EXPECT_FALSE(h.decoder.shed_oldest());
    EXPECT_EQ(h.budget.used(), 0u);

    DecoderLimits lim;
    lim.max_fragment_datagrams = 2;
    Harness small{lim};
    for (std::uint16_t id = 10; id < 15; ++id) {
        EXPECT_EQ(small.decode(LinkType::raw, frags4(kThree, id)[0], out), DecodeStatus::fragment_held);
    }
    EXPECT_EQ(small.stats.get(Counter::fragments_expired), 3u);
    // The newest two are still there: id 14 completes.
    const auto last = frags4(kThree, 14);
    EXPECT_EQ(small.decode(LinkType::raw, last[1], out), DecodeStatus::fragment_held);
    EXPECT_EQ(small.decode(LinkType::raw, last[2], out), DecodeStatus::transport);
}

TEST(Defrag, BadFragmentsRefused) {
    Harness h;
    DecodedPacket out;
    // A non-last fragment whose length is not a multiple of 8.
    EXPECT_EQ(h.decode(LinkType::raw, frags4({{0, 30, true}})[0], out), DecodeStatus::malformed);
    // Beyond 65535 bytes.
    TcpSpec t = spec4("x");
    Ipv4Spec s;
    s.fragment_offset = 65528;
    s.more_fragments = false;
    const Frame chunk(16, 0);
    EXPECT_EQ(h.decode(LinkType::raw, ipv4_packet(t.src, t.dst, 6, bytes(chunk), s), out), DecodeStatus::malformed);
    EXPECT_EQ(h.stats.get(Counter::fragments_bad), 2u);
    EXPECT_EQ(reasons(h.stats), 4u);   // + fragments_received for each
}

TEST(Defrag, MemoryChargedToBudget) {
    MemoryBudget budget{1u << 20};
    Stats stats;
    {
        Defragmenter d{DecoderLimits{}, budget, stats};
        IpPacket ip;
        ip.src = ip.dst = IpAddress::v4(10, 0, 0, 1);
        ip.proto = 6;
        ip.fragment = true;
        ip.more_fragments = true;
        const Frame data(800, 1);
        ip.payload = bytes(data);
        ip.claimed = 800;
        Bytes whole;
        std::uint8_t proto = 0;
        EXPECT_EQ(d.add(ip, Timestamp{0}, whole, proto), Defragmenter::Result::held);
        EXPECT_GE(budget.used(), 800u);
        EXPECT_EQ(budget.used(), d.memory_used());
        EXPECT_EQ(d.in_flight(), 1u);
    }
    EXPECT_EQ(budget.used(), 0u);   // released on destruction
}
