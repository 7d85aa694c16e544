// long_flow_test: one direction carrying more than 4 GiB (the 32-bit sequence number wraps, more
// than once) through the flow table into a sink that only counts, so nothing is stored. Every
// byte must arrive once, at its 64-bit offset, in order; the summary must say the same.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "support/packet_builder.h"
#include "tcpflow/base/memory_budget.h"
#include "tcpflow/base/stats.h"
#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/flow/flow_table.h"

namespace tcpflow {
namespace {

using test::ip;
using namespace tcp_flags;

/// Counts bytes and checks that they come in order, each offset once, and that the stream
/// content is the repeating pattern the test sends (byte at offset o is 'a' + o % 26).
class CountingSink final : public FlowSink {
public:
    void on_open(FlowInfo& info, Timestamp) override {
        ++opens;
        info.sink_handle = 1;
    }
    void on_data(FlowInfo&, std::uint64_t offset, Bytes data, Timestamp) override {
        if (offset != next) ++out_of_place;
        for (std::size_t i = 0; i < data.size(); i += 4093)   // a sample of every piece
            if (data[i] != static_cast<std::uint8_t>('a' + (offset + i) % 26)) ++wrong_bytes;
        next = offset + data.size();
    }
    void on_shift(FlowInfo&, std::uint64_t) override { ++shifts; }
    void on_close(FlowInfo&, const FlowSummary& s) override {
        ++closes;
        summary = s;
    }

    std::uint64_t next = 0, out_of_place = 0, wrong_bytes = 0;
    int opens = 0, closes = 0, shifts = 0;
    FlowSummary summary;
};

DecodedPacket segment(std::uint32_t seq, std::uint8_t flags, const std::string& payload, std::size_t len) {
    DecodedPacket p;
    p.src = ip("10.0.0.1");
    p.dst = ip("10.0.0.2");
    p.sport = 1234;
    p.dport = 80;
    p.tcp.seq = seq;
    p.tcp.ack = 1;
    p.tcp.flags = flags;
    p.tcp.window = 65535;
    p.payload = Bytes{reinterpret_cast<const std::uint8_t*>(payload.data()), len};
    p.claimed_len = static_cast<std::uint32_t>(len);
    return p;
}

TEST(LongFlow, MoreThanFourGiBArriveAtTheir64BitOffsets) {
    constexpr std::size_t kSeg = 65000;                         // not a power of two: offsets drift over the wrap
    constexpr std::uint64_t kTotal = (9ull << 30) + 12345;      // 9 GiB + a bit: the sequence wraps twice
    constexpr std::uint32_t kIsn = 0xFFFF0000u;                 // the first wrap comes after 64 KiB
    // A window of pattern text: segment k starts at offset o, so its bytes are window[o % 26 ...].
    std::string window(kSeg + 26, '\0');
    for (std::size_t i = 0; i < window.size(); ++i) window[i] = static_cast<char>('a' + i % 26);

    CountingSink sink;
    Stats stats;
    MemoryBudget budget{64 << 20};
    FlowTable table{FlowTableConfig{}, sink, budget, stats};
    Timestamp t{1'600'000'000LL * kNsPerSec};
    auto send = [&](const DecodedPacket& p) {
        t.ns += 1000;
        table.on_packet(p, t, static_cast<std::uint32_t>(54 + p.payload.size()), static_cast<std::uint32_t>(54 + p.payload.size()));
    };
    send(segment(kIsn, syn, "", 0));
    std::uint64_t off = 0;
    for (; off < kTotal;) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(kSeg, kTotal - off));
        const std::string_view piece{window.data() + off % 26, n};
        DecodedPacket p = segment(static_cast<std::uint32_t>(kIsn + 1 + off), psh | ack, std::string{}, 0);
        p.payload = Bytes{reinterpret_cast<const std::uint8_t*>(piece.data()), n};
        p.claimed_len = static_cast<std::uint32_t>(n);
        send(p);
        off += n;
    }
    send(segment(static_cast<std::uint32_t>(kIsn + 1 + off), fin | ack, "", 0));
    table.close_all();

    EXPECT_EQ(sink.opens, 1) << "one file for the whole direction";
    EXPECT_EQ(sink.closes, 1);
    EXPECT_EQ(sink.shifts, 0);
    EXPECT_EQ(sink.out_of_place, 0u) << "a piece arrived away from the end of the stream (32-bit offset?)";
    EXPECT_EQ(sink.wrong_bytes, 0u);
    EXPECT_EQ(sink.next, kTotal) << "the last byte is at offset " << sink.next << ", not " << kTotal;
    EXPECT_EQ(sink.summary.size, kTotal);
    EXPECT_EQ(sink.summary.stored_bytes, kTotal);
    EXPECT_EQ(sink.summary.retransmitted_bytes, 0u) << "a wrapped sequence number taken for old data";
    EXPECT_EQ(sink.summary.dropped_bytes, 0u);
    EXPECT_TRUE(sink.summary.holes.empty());
    EXPECT_EQ(sink.summary.reason, CloseReason::fin);
}

}  // namespace
}  // namespace tcpflow
