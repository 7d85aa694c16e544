// FlowTable: the TCP rules of SPEC section 4, each run at ISNs 0, 1, 0xFFFFFFFF and 0xFFFFFFF6.
#include <gtest/gtest.h>

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "support/memory_sink.h"
#include "support/packet_builder.h"
#include "tcpflow/flow/flow_table.h"
#include "tcpflow/flow/reassembler.h"

namespace tcpflow {
namespace {

using test::ip;
using test::MemorySink;
using namespace tcp_flags;

const std::string kC = "10.0.0.1.1234-10.0.0.2.80";
const std::string kS = "10.0.0.2.80-10.0.0.1.1234";

class Conn {
public:
    explicit Conn(std::uint32_t client_isn, std::uint32_t server_isn = 0x12345678, FlowTableConfig cfg = {})
        : ci_{client_isn}, si_{server_isn}, budget_{64 << 20}, table_{cfg, sink_, budget_, stats_} {}

    DecodedPacket seg(bool from_client, std::uint32_t rel_seq, std::uint8_t flags, const std::string& data) {
        DecodedPacket p;
        p.src = ip(from_client ? "10.0.0.1" : "10.0.0.2");
        p.dst = ip(from_client ? "10.0.0.2" : "10.0.0.1");
        p.sport = from_client ? 1234 : 80;
        p.dport = from_client ? 80 : 1234;
        p.tcp.seq = (from_client ? ci_ : si_) + rel_seq;
        p.tcp.ack = (from_client ? si_ : ci_) + 1;
        p.tcp.flags = flags;
        p.tcp.window = 65535;
        keep_.push_back(data);
        const auto& k = keep_.back();
        p.payload = Bytes{reinterpret_cast<const std::uint8_t*>(k.data()), k.size()};
        p.claimed_len = static_cast<std::uint32_t>(k.size());
        return p;
    }
    void send(const DecodedPacket& p) {
        t_.ns += 1'000'000;
        table_.on_packet(p, t_, 60, 60);
    }
    /// Client data at stream offset `off` (seq = ISN + 1 + off).
    void c(std::uint32_t off, const std::string& d, std::uint8_t flags = psh | ack) { send(seg(true, 1 + off, flags, d)); }
    void s(std::uint32_t off, const std::string& d, std::uint8_t flags = psh | ack) { send(seg(false, 1 + off, flags, d)); }
    void handshake() {
        send(seg(true, 0, syn, ""));
        send(seg(false, 0, syn | ack, ""));
        send(seg(true, 1, ack, ""));
    }
    void end() { table_.close_all(); }
    MemorySink& sink() { return sink_; }
    Stats& stats() { return stats_; }
    FlowTable& table() { return table_; }
    Timestamp& clock() { return t_; }

private:
    std::uint32_t ci_, si_;
    MemorySink sink_;
    Stats stats_;
    MemoryBudget budget_;
    FlowTable table_;
    Timestamp t_{1'600'000'000LL * kNsPerSec};
    std::vector<std::string> keep_{};
};

class FlowTableIsn : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(FlowTableIsn, InOrderBothDirections) {
    Conn k{GetParam(), GetParam() ^ 0x5555u};
    k.handshake();
    k.c(0, "GET / HTTP/1.0\r\n\r\n");
    k.s(0, "HTTP/1.0 200 OK\r\n\r\nhello\n");
    k.s(25, "", fin | ack);
    k.c(18, "", fin | ack);
    k.end();
    EXPECT_EQ(k.sink().file(kC), "GET / HTTP/1.0\r\n\r\n");
    EXPECT_EQ(k.sink().file(kS), "HTTP/1.0 200 OK\r\n\r\nhello\n");
}

TEST_P(FlowTableIsn, OutOfOrderAndWrap) {
    Conn k{GetParam()};
    k.handshake();
    k.c(8, "CCCC");
    k.c(0, "AAAA");
    k.c(4, "BBBB");
    k.end();
    EXPECT_EQ(k.sink().file(kC), "AAAABBBBCCCC");
    EXPECT_EQ(k.sink().files().size(), 1u) << "no file for a direction without payload";
}

TEST_P(FlowTableIsn, FirstCopyWinsAndConflictsCounted) {
    Conn k{GetParam()};
    k.handshake();
    k.c(0, "AAAA");
    k.c(0, "BBBB");
    k.c(4, "\n");
    k.end();
    EXPECT_EQ(k.sink().file(kC), "AAAA\n");
    EXPECT_EQ(k.stats().get(Counter::conflicting_bytes), 4u);
}

TEST_P(FlowTableIsn, OverlapLastReproduces161) {
    FlowTableConfig cfg;
    cfg.overlap = OverlapPolicy::last;
    Conn k{GetParam(), 0x12345678, cfg};
    k.handshake();
    k.c(0, "01234567");
    k.c(4, "abcdefgh");
    k.end();
    EXPECT_EQ(k.sink().file(kC), "0123abcdefgh");
}

TEST_P(FlowTableIsn, HoleReadsAsZerosAndIsReported) {
    Conn k{GetParam()};
    k.handshake();
    k.c(0, "AAAA");
    k.c(8, "CCCC");
    k.c(12, "", fin | ack);
    k.end();
    EXPECT_EQ(k.sink().file(kC), std::string("AAAA\0\0\0\0CCCC", 12));
    ASSERT_FALSE(k.sink().closed().empty());
    bool found = false;
    for (const auto& s : k.sink().closed())
        if (s.holes.size() == 1 && s.holes[0].offset == 4 && s.holes[0].length == 4) found = true;
    EXPECT_TRUE(found);
}

TEST_P(FlowTableIsn, SynDataIsStreamData) {
    Conn k{GetParam()};
    k.send(k.seg(true, 0, syn, "syndata"));
    k.c(7, "after\n");
    k.end();
    EXPECT_EQ(k.sink().file(kC), "syndataafter\n");
}

TEST_P(FlowTableIsn, MidStreamDataBeforeFirstSeenGoesInFront) {
    Conn k{GetParam()};
    k.c(6, "SECOND");
    k.c(0, "FIRST.");
    k.end();
    EXPECT_EQ(k.sink().file(kC), "FIRST.SECOND");
}

TEST_P(FlowTableIsn, DataBeforeIsnIsDroppedWhenSynSeen) {
    Conn k{GetParam()};
    k.handshake();
    k.send(k.seg(true, static_cast<std::uint32_t>(-9), psh | ack, "XXXX"));
    k.c(0, "good");
    k.end();
    EXPECT_EQ(k.sink().file(kC), "good");
}

TEST_P(FlowTableIsn, KeepAliveDoesNotChangeTheFile) {
    Conn k{GetParam()};
    k.handshake();
    k.c(0, "data\n");
    k.c(4, std::string(1, '\0'));   // keep-alive: one byte at next-1
    k.c(5, "more\n");
    k.end();
    EXPECT_EQ(k.sink().file(kC), "data\nmore\n");
}

TEST_P(FlowTableIsn, FinWaitsForMissingBytes) {
    Conn k{GetParam()};
    k.handshake();
    k.c(0, "AAAA");
    k.c(8, "", fin | ack);
    EXPECT_TRUE(k.sink().closed().empty());
    k.c(4, "BBBB");
    EXPECT_EQ(k.sink().closed().size(), 1u) << "closed once every byte before the FIN arrived";
    EXPECT_EQ(k.sink().closed()[0].reason, CloseReason::fin);
    k.end();
    EXPECT_EQ(k.sink().file(kC), "AAAABBBB");
}

TEST_P(FlowTableIsn, RstEndsBothDirectionsAndLaterDataChangesNothing) {
    Conn k{GetParam()};
    k.handshake();
    k.c(0, "before-rst\n");
    k.c(11, "", rst | ack);
    k.c(11, "after-rst\n");
    k.s(0, "server-after\n");
    k.end();
    EXPECT_EQ(k.sink().file(kC), "before-rst\n");
    EXPECT_EQ(k.sink().files().size(), 1u);
    EXPECT_GT(k.stats().get(Counter::data_after_reset_dropped), 0u);
}

TEST_P(FlowTableIsn, RstFarOutsideWindowIsIgnored) {
    Conn k{GetParam()};
    k.handshake();
    k.c(0, "abc");
    k.c(10'000'000, "", rst | ack);
    k.c(3, "def");
    k.end();
    EXPECT_EQ(k.sink().file(kC), "abcdef");
    EXPECT_EQ(k.stats().get(Counter::rst_outside_window), 1u);
}

TEST_P(FlowTableIsn, RstDataIsStored) {
    Conn k{GetParam()};
    k.handshake();
    k.c(0, "abc");
    k.c(3, "rstdata", rst | ack);
    k.end();
    EXPECT_EQ(k.sink().file(kC), "abcrstdata");
}

TEST_P(FlowTableIsn, SequenceJumpStartsNewFile) {
    Conn k{GetParam()};
    k.handshake();
    k.c(0, "first\n");
    k.c(20u << 20, "far\n");
    k.end();
    EXPECT_EQ(k.sink().file(kC), "first\n");
    EXPECT_EQ(k.sink().file(kC + "c1"), "far\n");
}

TEST_P(FlowTableIsn, BytesCap) {
    FlowTableConfig cfg;
    cfg.max_bytes = 5;
    Conn k{GetParam(), 0x12345678, cfg};
    k.handshake();
    k.c(0, "GET / HTTP/1.0");
    k.end();
    EXPECT_EQ(k.sink().file(kC), "GET /");
}

// The overlap and gap table (first/last policy, partial overlaps on either side, a segment covering
// several buffered ones, holes at start/middle/end), through the whole flow table at each ISN.
struct OverlapCase {
    const char* name;
    std::vector<std::pair<std::uint32_t, std::string>> steps;   // (offset, data)
    std::string first, last;                                    // '.' = hole (zero byte)
};
const std::vector<OverlapCase> kOverlap = {
    {"same_offset", {{0, "AAAA"}, {0, "BBBB"}}, "AAAA", "BBBB"},
    {"overlap_right", {{0, "01234567"}, {4, "abcdefgh"}}, "01234567efgh", "0123abcdefgh"},
    {"overlap_left", {{4, "BBBB"}, {0, "aaaaaa"}}, "aaaaBBBB", "aaaaaaBB"},
    {"inside", {{0, "AAAA"}, {4, "BBBB"}, {2, "xx"}}, "AAAABBBB", "AAxxBBBB"},
    {"covers_several", {{0, "A"}, {3, "C"}, {6, "E"}, {1, "bbbbbbbb"}}, "AbbCbbEbb", "Abbbbbbbb"},
    {"hole_start", {{4, "BBBB"}, {8, "CC"}}, "....BBBBCC", "....BBBBCC"},
    {"hole_middle", {{0, "AA"}, {6, "CC"}}, "AA....CC", "AA....CC"},
    {"hole_end", {{0, "AA"}, {2, "BB"}}, "AABB", "AABB"},
    {"filled_late", {{0, "AA"}, {4, "CC"}, {2, "BB"}}, "AABBCC", "AABBCC"},
};

class OverlapAtIsn : public ::testing::TestWithParam<std::tuple<OverlapCase, std::uint32_t, OverlapPolicy>> {};

TEST_P(OverlapAtIsn, Produces) {
    const auto& [oc, isn, policy] = GetParam();
    FlowTableConfig cfg;
    cfg.overlap = policy;
    Conn k{isn, 0x12345678, cfg};
    k.handshake();
    for (const auto& [off, d] : oc.steps) k.c(off, d);
    k.end();
    std::string want = policy == OverlapPolicy::first ? oc.first : oc.last;
    for (auto& ch : want)
        if (ch == '.') ch = '\0';
    EXPECT_EQ(k.sink().file(kC), want) << oc.name << " isn=" << isn;
}

INSTANTIATE_TEST_SUITE_P(Table, OverlapAtIsn,
                         ::testing::Combine(::testing::ValuesIn(kOverlap), ::testing::Values(0u, 1u, 0xFFFFFFFFu, 0xFFFFFFF6u),
                                            ::testing::Values(OverlapPolicy::first, OverlapPolicy::last)),
                         [](const auto& tp) {
                             return std::string(std::get<0>(tp.param).name) + "_isn_" + std::to_string(std::get<1>(tp.param)) +
                                    (std::get<2>(tp.param) == OverlapPolicy::first ? "_first" : "_last");
                         });

INSTANTIATE_TEST_SUITE_P(Isn, FlowTableIsn, ::testing::Values(0u, 1u, 0xFFFFFFFFu, 0xFFFFFFF6u),
                         [](const auto& p) { return "isn_" + std::to_string(p.param); });

TEST_P(FlowTableIsn, NewSynWithNewIsnStartsNewConnectionEvenWhenOpen) {
    Conn a{GetParam(), GetParam() ^ 0x5555u};
    a.handshake();
    a.c(0, "conn1\n");
    a.s(0, "srv1\n");
    // Same 4-tuple, new ISNs close by (1.6.1 merged these into one corrupt file).
    Conn& k = a;
    DecodedPacket syn2 = k.seg(true, 1000, syn, "");
    k.send(syn2);
    DecodedPacket synack2 = k.seg(false, 1000, syn | ack, "");
    k.send(synack2);
    k.send(k.seg(true, 1001, psh | ack, "conn2\n"));
    k.send(k.seg(false, 1001, psh | ack, "srv2\n"));
    k.end();
    EXPECT_EQ(k.sink().file(kC), "conn1\n");
    EXPECT_EQ(k.sink().file(kC + "c1"), "conn2\n");
    EXPECT_EQ(k.sink().file(kS), "srv1\n");
    EXPECT_EQ(k.sink().file(kS + "c1"), "srv2\n");
}

TEST_P(FlowTableIsn, RetransmittedSynIsNotANewConnection) {
    Conn k{GetParam()};
    k.handshake();
    k.send(k.seg(true, 0, syn, ""));
    k.c(0, "hello");
    k.end();
    EXPECT_EQ(k.sink().file(kC), "hello");
    EXPECT_EQ(k.sink().files().size(), 1u);
}

TEST_P(FlowTableIsn, IdleTimeoutClosesAndLaterDataContinuesTheFile) {
    FlowTableConfig cfg;
    cfg.idle_timeout_ns = 10 * kNsPerSec;
    Conn k{GetParam(), GetParam() ^ 0x5555u, cfg};
    k.handshake();
    k.c(0, "hello ");
    k.clock().ns += 60 * kNsPerSec;
    k.table().expire(k.clock());
    ASSERT_EQ(k.sink().closed().size(), 2u) << "both directions closed (the server's has no file)";
    EXPECT_EQ(k.sink().closed()[0].reason, CloseReason::timeout);
    EXPECT_FALSE(k.sink().files()[0].open);
    k.c(6, "world");
    k.end();
    EXPECT_EQ(k.sink().files().size(), 1u) << "continued, not a new file";
    EXPECT_EQ(k.sink().file(kC), "hello world");
}

// The connection's own packet after the idle timeout, with no sweep (expire) in between and no
// other packet to move the clock: it closes (timeout) and resumes, as UDP does and as when some
// other packet had moved the clock past the timeout first. The file is the same either way.
TEST_P(FlowTableIsn, OwnLatePacketAfterTheIdleTimeoutClosesAndResumes) {
    FlowTableConfig cfg;
    cfg.idle_timeout_ns = 10 * kNsPerSec;
    Conn k{GetParam(), GetParam() ^ 0x5555u, cfg};
    k.handshake();
    k.c(0, "hello ");
    k.clock().ns += 60 * kNsPerSec;
    k.c(6, "world");
    ASSERT_EQ(k.sink().closed().size(), 2u) << "both directions closed by the timeout before it";
    EXPECT_EQ(k.sink().closed()[0].reason, CloseReason::timeout);
    EXPECT_EQ(k.stats().get(Counter::flows_timed_out), 1u);
    k.end();
    EXPECT_EQ(k.sink().files().size(), 1u) << "continued, not a new file";
    EXPECT_EQ(k.sink().file(kC), "hello world");
    EXPECT_EQ(k.sink().closed().back().reason, CloseReason::end_of_input);
    // A bare ACK after the timeout closes it too, and brings nothing back (as after a sweep).
    Conn a{GetParam(), GetParam() ^ 0x5555u, cfg};
    a.handshake();
    a.c(0, "hello");
    a.clock().ns += 60 * kNsPerSec;
    a.s(0, "", ack);
    EXPECT_EQ(a.sink().closed().size(), 2u);
    a.end();
    EXPECT_EQ(a.sink().closed().size(), 2u) << "nothing reopened for the bare ACK";
    EXPECT_EQ(a.sink().file(kC), "hello");
}

TEST_P(FlowTableIsn, MemoryLimitGivesUpOldestHole) {
    FlowTableConfig cfg;
    MemorySink sink;
    Stats stats;
    MemoryBudget budget{64 * 1024};
    FlowTable table{cfg, sink, budget, stats};
    Timestamp t{1};
    const std::string chunk(1000, 'x');
    DecodedPacket p;
    p.src = ip("10.0.0.1");
    p.dst = ip("10.0.0.2");
    p.sport = 1;
    p.dport = 2;
    p.tcp.flags = ack;
    p.payload = Bytes{reinterpret_cast<const std::uint8_t*>(chunk.data()), chunk.size()};
    p.claimed_len = 1000;
    p.tcp.seq = GetParam() + 100;
    table.on_packet(p, t, 1054, 1054);
    for (std::uint32_t i = 2; i < 500; ++i) {   // a hole at [1000, 2000) that never fills
        p.tcp.seq = GetParam() + 100 + i * 1000;
        table.on_packet(p, t, 1054, 1054);
        if (budget.over()) table.relieve_memory();
        EXPECT_LE(budget.used(), 64u * 1024 + 4096);
    }
    table.close_all();
    EXPECT_GT(stats.get(Counter::holes_given_up), 0u);
    EXPECT_EQ(sink.files().size(), 1u);
    EXPECT_EQ(sink.files()[0].data.size(), 500u * 1000);
}

TEST(FlowTable, CostIsIndependentOfFlowCountForLookup) {
    // Many concurrent connections, each byte-exact.
    MemorySink sink;
    Stats stats;
    MemoryBudget budget{256 << 20};
    FlowTable table{{}, sink, budget, stats};
    const std::string d = "x";
    for (int round = 0; round < 3; ++round) {
        for (std::uint16_t port = 1; port <= 3000; ++port) {
            DecodedPacket p;
            p.src = ip("10.0.0.1");
            p.dst = ip("10.0.0.2");
            p.sport = port;
            p.dport = 80;
            p.tcp.flags = ack;
            p.tcp.seq = 7u + static_cast<std::uint32_t>(round);
            p.payload = Bytes{reinterpret_cast<const std::uint8_t*>(d.data()), 1};
            p.claimed_len = 1;
            table.on_packet(p, Timestamp{round}, 60, 60);
        }
    }
    table.close_all();
    ASSERT_EQ(sink.files().size(), 3000u);
    for (const auto& f : sink.files()) EXPECT_EQ(f.data, "xxx");
}

}  // namespace
}  // namespace tcpflow

namespace tcpflow {
namespace {

// Found by fuzz_reassembler / fuzz_pipeline: flows remembered after close_all() (for resuming)
// kept their budget charge after the table was destroyed.
TEST(FlowTableBudget, DestroyingTheTableReleasesEverythingItCharged) {
    MemoryBudget budget{1 << 20};
    Stats stats;
    test::MemorySink sink;
    {
        FlowTable table{FlowTableConfig{}, sink, budget, stats};
        DecodedPacket p;
        p.src = ip("10.0.0.1");
        p.dst = ip("10.0.0.2");
        p.sport = 1234;
        p.dport = 80;
        p.tcp.seq = 1000;
        p.tcp.flags = psh | ack;
        const std::string data = "hello";
        p.payload = Bytes{reinterpret_cast<const std::uint8_t*>(data.data()), data.size()};
        p.claimed_len = 5;
        table.on_packet(p, Timestamp{1'600'000'000LL * kNsPerSec}, 60, 60);
        p.src = ip("10.0.0.3");   // a second connection still open at destruction
        table.on_packet(p, Timestamp{1'600'000'001LL * kNsPerSec}, 60, 60);
        table.close_all();
        p.src = ip("10.0.0.4");
        table.on_packet(p, Timestamp{1'600'000'002LL * kNsPerSec}, 60, 60);
        EXPECT_GT(budget.used(), 0u);
    }
    EXPECT_EQ(budget.used(), 0u);
}

// An open connection was charged 1 KiB whatever it held, and nothing of what the sink keeps for
// its open files: 100,000 UDP conversations with --max-memory 32M took 115 MB. Each open
// connection is now charged at least its two directions' records, plus the sink's bytes for each.
TEST(FlowTableBudget, EachOpenConnectionIsChargedItsStateAndTheSinksBytesPerFlow) {
    auto used_by = [](std::size_t sink_bytes) {
        MemoryBudget budget{256 << 20};
        Stats stats;
        test::MemorySink sink;
        FlowTableConfig cfg;
        cfg.sink_bytes_per_flow = sink_bytes;
        FlowTable table{cfg, sink, budget, stats};
        DecodedPacket p;
        p.proto = Transport::udp;
        p.dst = ip("10.0.0.53");
        p.dport = 53;
        const std::string q = "query";
        p.payload = Bytes{reinterpret_cast<const std::uint8_t*>(q.data()), q.size()};
        p.claimed_len = static_cast<std::uint32_t>(q.size());
        for (std::uint16_t i = 0; i < 100; ++i) {
            p.src = IpAddress::v4(10, 1, static_cast<std::uint8_t>(i / 250), static_cast<std::uint8_t>(i % 250 + 1));
            p.sport = static_cast<std::uint16_t>(1024 + i);
            table.on_packet(p, Timestamp{1'600'000'000LL * kNsPerSec + i}, 60, 60);
        }
        EXPECT_EQ(table.counts().open_connections, 100u);
        return budget.used();
    };
    const std::size_t bare = used_by(0), with_sink = used_by(1000);
    // Each direction: at least its name, summary and reassembler records, and a file name on the heap.
    EXPECT_GE(bare / 100, 2 * (sizeof(FlowInfo) + sizeof(FlowSummary) + sizeof(Reassembler) + 64));
    EXPECT_EQ(with_sink - bare, 100u * 2 * 1000) << "the sink's bytes for both directions of each connection";
}

// Found by fuzz_reassembler / fuzz_pipeline (use after free): a flow resumed after an idle
// timeout starts closed; out-of-order bytes buffered for it were neither delivered nor unlinked
// from the buffered-data list when the connection was closed again.
TEST_P(FlowTableIsn, OutOfOrderDataAfterResumeIsWrittenAtClose) {
    FlowTableConfig cfg;
    cfg.idle_timeout_ns = kNsPerSec;
    Conn k{GetParam(), GetParam() ^ 0x5555u, cfg};
    k.handshake();
    k.c(0, "abc");
    k.clock().ns += 10 * kNsPerSec;
    k.table().expire(k.clock());
    k.c(10, "late");   // resumes the flow, buffered behind [3, 10)
    k.end();
    EXPECT_EQ(k.sink().file(kC), std::string("abc\0\0\0\0\0\0\0late", 14));
}

}  // namespace
}  // namespace tcpflow

namespace tcpflow {
namespace {

TEST_P(FlowTableIsn, PlacingDataInFrontIsBoundedPerFlow) {
    // A mid-stream flow whose segments all arrive in reverse order: each one would rewrite the
    // whole file in front of it. Past the per-flow bound, earlier data is dropped and counted.
    Conn k{GetParam()};
    const std::string seg(64 * 1024, 'z');
    const std::uint32_t n = 400;
    for (std::uint32_t i = n; i-- > 0;) k.c(i * 65536u, seg);
    k.end();
    const auto& files = k.sink().files();
    ASSERT_EQ(files.size(), 1u);
    EXPECT_LT(files[0].data.size(), 64u << 20) << "bounded by the 64 MiB of moved bytes";
    EXPECT_GT(files[0].data.size(), 1u << 20) << "some data was placed in front";
    EXPECT_GT(k.stats().get(Counter::data_before_isn_dropped), 0u);
    EXPECT_EQ(files[0].data.find('\0'), std::string::npos) << "what was kept is contiguous";
}

}  // namespace
}  // namespace tcpflow

namespace tcpflow {
namespace {

using namespace std::string_literals;

// The table of remembered closed flows (resuming after an idle timeout): bounded by
// max_saved_flows, oldest forgotten first, either direction found, budget given back.
class Resume {
public:
    explicit Resume(std::size_t max_saved, std::uint32_t isn = 0)
        : table_{config(max_saved), sink_, budget_, stats_}, isn_{isn} {}

    /// `data` from 10.0.0.1:port to 10.0.0.2:80 (or back when !from_client) at sequence
    /// `isn + seq`.
    void send(std::uint16_t port, bool from_client, std::uint32_t seq, const std::string& data) {
        DecodedPacket p;
        p.src = ip(from_client ? "10.0.0.1" : "10.0.0.2");
        p.dst = ip(from_client ? "10.0.0.2" : "10.0.0.1");
        p.sport = from_client ? port : 80;
        p.dport = from_client ? 80 : port;
        p.tcp.seq = isn_ + seq;
        p.tcp.flags = psh | ack;
        p.payload = Bytes{reinterpret_cast<const std::uint8_t*>(data.data()), data.size()};
        p.claimed_len = static_cast<std::uint32_t>(data.size());
        table_.on_packet(p, now_, 60, 60);
    }
    /// Lets every open connection time out (each direction with data is remembered).
    void idle() {
        now_.ns += 10 * kNsPerSec;
        table_.expire(now_);
    }
    static std::string client(std::uint16_t port) { return "10.0.0.1." + std::to_string(port) + "-10.0.0.2.80"; }
    static std::string server(std::uint16_t port) { return "10.0.0.2.80-10.0.0.1." + std::to_string(port); }

    FlowTable& table() { return table_; }
    MemorySink& sink() { return sink_; }
    MemoryBudget& budget() { return budget_; }
    Stats& stats() { return stats_; }

private:
    static FlowTableConfig config(std::size_t max_saved) {
        FlowTableConfig c;
        c.idle_timeout_ns = kNsPerSec;
        c.max_saved_flows = max_saved;
        return c;
    }
    MemorySink sink_;
    Stats stats_;
    MemoryBudget budget_{256 << 20};
    FlowTable table_;
    Timestamp now_{1'600'000'000LL * kNsPerSec};
    std::uint32_t isn_;
};

// Sequence numbers from 0, 1, 0xFFFFFFFF and 0xFFFFFFF6 on (the last two wrap at once).
class FlowTableResumeIsn : public ::testing::TestWithParam<std::uint32_t> {};

TEST_P(FlowTableResumeIsn, TheMostRecentlyClosedFlowsAreRememberedUpToTheCap) {
    Resume r{300, GetParam()};
    for (std::uint16_t port = 1; port <= 1000; ++port) r.send(port, true, 7, "a");
    r.idle();   // closed in order of activity: ports 701..1000 are the ones remembered
    for (std::uint16_t port = 1; port <= 1000; ++port) r.send(port, true, 8, "b");
    r.table().close_all();
    const auto files = r.sink().all();
    for (std::uint16_t port = 1; port <= 1000; ++port) {
        if (port > 700) {
            EXPECT_EQ(files.at(Resume::client(port)), "ab") << port;
            EXPECT_EQ(files.count(Resume::client(port) + "c1"), 0u) << port;
        } else {
            EXPECT_EQ(files.at(Resume::client(port)), "a") << port;
            EXPECT_EQ(files.at(Resume::client(port) + "c1"), "b") << port;
        }
    }
}

TEST_P(FlowTableResumeIsn, ARestoredFlowRememberedAgainIsTheNewest) {
    Resume r{3, GetParam()};
    for (std::uint16_t port = 1; port <= 3; ++port) r.send(port, true, 7, "a");
    r.idle();                  // remembered, oldest first: 1 2 3
    r.send(1, true, 8, "b");   // restores 1
    r.idle();                  // 2 3 1
    r.send(4, true, 7, "a");
    r.idle();                  // 3 1 4: 2 forgotten
    for (std::uint16_t port = 1; port <= 4; ++port) r.send(port, true, 9, "c");
    r.table().close_all();
    const auto files = r.sink().all();
    EXPECT_EQ(files.at(Resume::client(1)), "abc");
    EXPECT_EQ(files.at(Resume::client(2)), "a");
    EXPECT_EQ(files.at(Resume::client(2) + "c1"), "c");
    EXPECT_EQ(files.at(Resume::client(3)), "a\0c"s);
    EXPECT_EQ(files.at(Resume::client(4)), "a\0c"s);
}

TEST_P(FlowTableResumeIsn, EitherRememberedDirectionBringsTheConnectionBackWithoutStartingNewOnes) {
    Resume r{8192, GetParam()};
    r.send(1, true, 7, "request");     // only the client's direction has data
    r.send(2, false, 7, "response");   // only the server's
    r.idle();
    r.table().set_start_new_flows(false);
    r.send(1, false, 100, "late response");   // the other direction of a remembered connection
    r.send(2, true, 100, "late request");
    r.send(3, true, 7, "never seen");
    r.table().close_all();
    const auto files = r.sink().all();
    EXPECT_EQ(files.at(Resume::server(1)), "late response");
    EXPECT_EQ(files.at(Resume::client(2)), "late request");
    EXPECT_EQ(files.count(Resume::client(3)), 0u);
    EXPECT_EQ(r.stats().get(Counter::packets_ignored_resume), 1u);
}

TEST_P(FlowTableResumeIsn, NoFlowIsRememberedWhenTheCapIsZero) {
    Resume r{0, GetParam()};
    r.send(1, true, 7, "a");
    r.idle();
    EXPECT_EQ(r.budget().used(), 0u) << "nothing remembered, nothing charged";
    r.send(1, true, 8, "b");
    r.table().close_all();
    EXPECT_EQ(r.sink().all().at(Resume::client(1)), "a");
    EXPECT_EQ(r.sink().all().at(Resume::client(1) + "c1"), "b");
}

TEST_P(FlowTableResumeIsn, RememberedFlowsAreChargedAndForgottenUnderMemoryPressure) {
    Resume r{100, GetParam()};
    for (std::uint16_t port = 1; port <= 250; ++port) r.send(port, true, 7, "a");
    r.idle();
    const std::size_t full = r.budget().used();
    EXPECT_GT(full, 0u) << "100 remembered flows are charged";
    for (std::uint16_t port = 1; port <= 50; ++port) r.send(port + 200, true, 8, "b");   // restore 50
    r.idle();                                                                            // remember them again
    EXPECT_EQ(r.budget().used(), full) << "still 100 remembered";
    r.budget().set_limit(full / 2);
    r.table().relieve_memory();   // the oldest are forgotten until under the limit
    EXPECT_LE(r.budget().used(), full / 2);
    r.budget().set_limit(256 << 20);
    for (std::uint16_t port = 151; port <= 250; ++port) r.send(port, true, 9, "c");
    r.table().close_all();
    const auto files = r.sink().all();
    // Forgotten oldest first: 151..200 (remembered once) went before 201..250 (remembered again).
    for (std::uint16_t port = 151; port <= 200; ++port) EXPECT_EQ(files.at(Resume::client(port) + "c1"), "c") << port;
    for (std::uint16_t port = 201; port <= 250; ++port) EXPECT_EQ(files.at(Resume::client(port)), "abc") << port;
}

INSTANTIATE_TEST_SUITE_P(Isn, FlowTableResumeIsn, ::testing::Values(0u, 1u, 0xFFFFFFFFu, 0xFFFFFFF6u),
                         [](const auto& p) { return "isn_" + std::to_string(p.param); });

TEST(FlowTableResume, DestroyingTheTableReleasesTheRememberedFlows) {
    MemoryBudget budget{1 << 20};
    Stats stats;
    MemorySink sink;
    {
        FlowTableConfig cfg;
        cfg.max_saved_flows = 10;
        FlowTable table{cfg, sink, budget, stats};
        const std::string d = "x";
        for (std::uint16_t port = 1; port <= 40; ++port) {
            DecodedPacket p;
            p.src = ip("10.0.0.1");
            p.dst = ip("10.0.0.2");
            p.sport = port;
            p.dport = 80;
            p.tcp.seq = 1;
            p.tcp.flags = psh | ack;
            p.payload = Bytes{reinterpret_cast<const std::uint8_t*>(d.data()), 1};
            p.claimed_len = 1;
            table.on_packet(p, Timestamp{port}, 60, 60);
            if (port % 7 == 0) table.close_all();
        }
        table.close_all();
        EXPECT_GT(budget.used(), 0u);
    }
    EXPECT_EQ(budget.used(), 0u);
}

}  // namespace
}  // namespace tcpflow

namespace tcpflow {
namespace {

const std::vector<std::uint32_t> kIsns = {0u, 1u, 0xFFFFFFFFu, 0xFFFFFFF6u};

// SPEC 4: after a direction's FIN, a SYN on it starts a new connection even with the same ISN
// (a stack that restarts with a fixed ISN and port). Its bytes are never compared with the old
// connection's: no retransmission, no conflict, and the old file stays as it was.
class SameIsnAfterClose : public ::testing::TestWithParam<std::tuple<std::uint32_t, OverlapPolicy>> {};

TEST_P(SameIsnAfterClose, ASynAfterAFullCloseStartsANewConnection) {
    const auto& [isn, policy] = GetParam();
    FlowTableConfig cfg;
    cfg.overlap = policy;
    Conn k{isn, isn ^ 0x5555u, cfg};
    k.handshake();
    k.c(0, "first request\n");
    k.s(0, "first reply\n");
    k.c(14, "", fin | ack);
    k.s(12, "", fin | ack);
    k.c(15, "", ack);
    k.clock().ns += 10 * kNsPerSec;
    k.handshake();   // the same ISNs again
    k.c(0, "SECOND REQUEST, longer\n");
    k.s(0, "SECOND reply\n");
    k.c(23, "", fin | ack);
    k.s(13, "", fin | ack);
    k.end();
    EXPECT_EQ(k.sink().file(kC), "first request\n");
    EXPECT_EQ(k.sink().file(kS), "first reply\n");
    EXPECT_EQ(k.sink().file(kC + "c1"), "SECOND REQUEST, longer\n");
    EXPECT_EQ(k.sink().file(kS + "c1"), "SECOND reply\n");
    EXPECT_EQ(k.sink().files().size(), 4u);
    EXPECT_EQ(k.stats().get(Counter::duplicate_bytes), 0u);
    EXPECT_EQ(k.stats().get(Counter::conflicting_bytes), 0u);
    for (const auto& f : k.sink().files()) {
        EXPECT_EQ(f.last_summary.retransmitted_bytes, 0u) << f.name;
        EXPECT_EQ(f.last_summary.conflicting_bytes, 0u) << f.name;
        EXPECT_EQ(f.last_summary.reason, CloseReason::fin) << f.name;
    }
}

TEST_P(SameIsnAfterClose, ARetransmittedSynBeforeTheFinIsTheSameConnection) {
    const auto& [isn, policy] = GetParam();
    FlowTableConfig cfg;
    cfg.overlap = policy;
    Conn k{isn, isn ^ 0x5555u, cfg};
    k.handshake();
    k.c(0, "abc");
    k.handshake();   // retransmitted SYN and SYN-ACK: no FIN yet
    k.c(3, "def");
    k.end();
    EXPECT_EQ(k.sink().file(kC), "abcdef");
    EXPECT_EQ(k.sink().files().size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(Isn, SameIsnAfterClose,
                         ::testing::Combine(::testing::ValuesIn(kIsns), ::testing::Values(OverlapPolicy::first, OverlapPolicy::last)),
                         [](const auto& tp) {
                             return "isn_" + std::to_string(std::get<0>(tp.param)) +
                                    (std::get<1>(tp.param) == OverlapPolicy::first ? "_first" : "_last");
                         });

// -b N: a file holds at most the first N bytes of the stream, whatever order they arrived in.
// A mid-stream flow whose earlier data arrives later is shifted: the cap applies to the offsets
// after the shift, and what lands beyond N is dropped (and counted), never written.
class BytesCapShift : public ::testing::TestWithParam<std::uint32_t> {
protected:
    static FlowTableConfig cap(std::uint64_t n) {
        FlowTableConfig c;
        c.max_bytes = n;
        return c;
    }
    static const FlowSummary& summary(Conn& k) { return k.sink().files().at(0).last_summary; }
};

TEST_P(BytesCapShift, EarlierDataLongerThanTheCapReplacesTheFile) {
    // The shape of tcpflow-test1-out-of-order.pcapng: 65 bytes, then the 1,396 before them
    // (22 missing in between).
    Conn k{GetParam(), 0x12345678, cap(100)};
    const std::string late(65, 'L'), early(1396, 'E');
    k.c(1418, late);
    k.c(0, early);
    k.end();
    ASSERT_EQ(k.sink().files().size(), 1u);
    EXPECT_EQ(k.sink().file(kC), std::string(100, 'E'));
    EXPECT_EQ(summary(k).dropped_bytes, 1296u + 65u);
    EXPECT_EQ(summary(k).stored_bytes - summary(k).dropped_bytes, 100u) << "stored minus dropped is what the file holds";
    EXPECT_EQ(k.stats().get(Counter::bytes_over_limit), 1296u + 65u);
}

TEST_P(BytesCapShift, WhatWasWrittenMovesAndIsCutAtTheCap) {
    Conn k{GetParam(), 0x12345678, cap(10)};
    k.c(4, "EFGHIJKLMN");
    k.c(0, "ABCD");
    k.c(14, "OPQ");
    k.end();
    EXPECT_EQ(k.sink().file(kC), "ABCDEFGHIJ");
    EXPECT_EQ(summary(k).dropped_bytes, 4u + 3u);
}

TEST_P(BytesCapShift, AHoleInFrontStaysAHoleUpToTheCap) {
    Conn k{GetParam(), 0x12345678, cap(10)};
    k.c(6, "GHIJKLMN");
    k.c(0, "AB");
    k.end();
    EXPECT_EQ(k.sink().file(kC), std::string("AB\0\0\0\0GHIJ", 10));
    EXPECT_EQ(summary(k).dropped_bytes, 4u);
}

TEST_P(BytesCapShift, EarlierDataFarBeforeLeavesOnlyItsOwnBytes) {
    Conn k{GetParam(), 0x12345678, cap(10)};
    k.c(20, "0123456789");
    k.c(0, "ab");
    k.end();
    const std::string f = k.sink().file(kC);
    ASSERT_LE(f.size(), 10u);
    ASSERT_GE(f.size(), 2u);
    EXPECT_EQ(f.substr(0, 2), "ab");
    EXPECT_EQ(f.find_first_not_of('\0', 2), std::string::npos) << "the rest is the hole [2, 20), read as zeros";
    EXPECT_EQ(summary(k).dropped_bytes, 10u);
}

TEST_P(BytesCapShift, AShiftThatStaysUnderTheCapIsUnchanged) {
    Conn k{GetParam(), 0x12345678, cap(100)};
    k.c(6, "SECOND");
    k.c(0, "FIRST.");
    k.end();
    EXPECT_EQ(k.sink().file(kC), "FIRST.SECOND");
    EXPECT_EQ(summary(k).dropped_bytes, 0u);
    EXPECT_EQ(summary(k).stored_bytes, 12u);
}

// A mid-stream flow closed for idleness, whose earlier data arrives later: the file written
// before moves behind it (the earlier data used to overwrite it).
TEST_P(FlowTableIsn, DataInFrontOfAClosedFlowMovesItsFile) {
    FlowTableConfig cfg;
    cfg.idle_timeout_ns = kNsPerSec;
    Conn k{GetParam(), 0x12345678, cfg};
    k.c(6, "SECOND");
    k.clock().ns += 10 * kNsPerSec;
    k.table().expire(k.clock());
    k.c(0, "FIRST.");
    k.end();
    EXPECT_EQ(k.sink().files().size(), 1u);
    EXPECT_EQ(k.sink().file(kC), "FIRST.SECOND");
}

INSTANTIATE_TEST_SUITE_P(Isn, BytesCapShift, ::testing::ValuesIn(kIsns),
                         [](const auto& p) { return "isn_" + std::to_string(p.param); });

}  // namespace
}  // namespace tcpflow

namespace tcpflow {
namespace {

// Live capture: a hole not filled within the hole timeout is given up, so the data behind it is
// written at its offset while the capture goes on; a late filler still lands at its offset.
TEST_P(FlowTableIsn, HoleGivenUpAfterTheHoleTimeoutAndLateFillerLands) {
    FlowTableConfig cfg;
    cfg.hole_timeout_ns = kNsPerSec;
    Conn k{GetParam(), GetParam() ^ 0x5555u, cfg};
    k.handshake();
    k.c(0, "abc");
    k.c(6, "ghi");   // bytes 3..5 missing
    k.c(12, "mno");  // behind a second hole, 9..11
    EXPECT_EQ(k.sink().file(kC), "abc");
    k.clock().ns += kNsPerSec / 2;
    k.table().expire(k.clock());
    EXPECT_EQ(k.sink().file(kC), "abc") << "within the bound: still waiting";
    k.clock().ns += kNsPerSec;
    k.table().expire(k.clock());
    EXPECT_EQ(k.sink().file(kC), std::string("abc\0\0\0ghi", 9)) << "first hole given up";
    EXPECT_EQ(k.stats().get(Counter::holes_given_up), 1u);
    k.clock().ns += 2 * kNsPerSec;
    k.table().expire(k.clock());
    EXPECT_EQ(k.sink().file(kC), std::string("abc\0\0\0ghi\0\0\0mno", 15)) << "then the second";
    k.c(3, "def");
    k.c(9, "jkl");
    EXPECT_EQ(k.sink().file(kC), "abcdefghijklmno");
    k.end();
}

TEST_P(FlowTableIsn, WithoutAHoleTimeoutHolesWaitForMemoryOrTheEnd) {
    Conn k{GetParam(), GetParam() ^ 0x5555u};
    k.handshake();
    k.c(0, "abc");
    k.c(6, "ghi");
    k.clock().ns += 100 * kNsPerSec;
    k.table().expire(k.clock());
    EXPECT_EQ(k.sink().file(kC), "abc");
    k.end();
    EXPECT_EQ(k.sink().file(kC), std::string("abc\0\0\0ghi", 9));
}

}  // namespace
}  // namespace tcpflow

namespace tcpflow {
namespace {

// SPEC 6: at the memory limit holes are given up and connections retired (CloseReason::limit);
// a flow that comes back later resumes its file. Bytes that arrive late for a hole given up in
// its earlier life are written at their offset, not counted as retransmitted and dropped; bytes
// buffered behind a hole when the limit struck are written too.
class Evict {
public:
    Evict(std::uint32_t isn, std::size_t limit, FlowTableConfig cfg = {})
        : isn_{isn}, budget_{limit}, table_{std::make_unique<FlowTable>(cfg, sink_, budget_, stats_)} {}

    /// `data` at stream offset `off` of the client (10.0.0.1:port) or server direction, then
    /// what the capture loop does when the budget is over.
    void send(std::uint16_t port, bool client, std::uint32_t off, const std::string& data, std::uint8_t flags = psh | ack) {
        DecodedPacket p;
        p.src = ip(client ? "10.0.0.1" : "10.0.0.2");
        p.dst = ip(client ? "10.0.0.2" : "10.0.0.1");
        p.sport = client ? port : 80;
        p.dport = client ? 80 : port;
        p.tcp.seq = (client ? isn_ : isn_ ^ 0x5555u) + ((flags & syn) ? 0 : 1) + off;
        p.tcp.ack = (client ? isn_ ^ 0x5555u : isn_) + 1;
        p.tcp.flags = flags;
        p.tcp.window = 65535;
        keep_.push_back(data);
        p.payload = Bytes{reinterpret_cast<const std::uint8_t*>(keep_.back().data()), data.size()};
        p.claimed_len = static_cast<std::uint32_t>(data.size());
        now_.ns += kNsPerSec / 100;
        table_->on_packet(p, now_, 60, 60);
        if (budget_.over()) table_->relieve_memory();
    }
    void handshake(std::uint16_t port) {
        send(port, true, 0, "", syn);
        send(port, false, 0, "", syn | ack);
        send(port, true, 0, "", ack);
    }
    void wait(std::int64_t ns) {
        now_.ns += ns;
        table_->expire(now_);
    }
    /// Closes everything and destroys the table: the budget must be back at zero.
    void finish() {
        table_->close_all();
        table_.reset();
        EXPECT_EQ(budget_.used(), 0u) << "everything charged was released";
    }
    static std::string client(std::uint16_t port) { return "10.0.0.1." + std::to_string(port) + "-10.0.0.2.80"; }
    [[nodiscard]] const MemorySink::File* file(const std::string& name) const {
        for (const auto& f : sink_.files())
            if (f.name == name) return &f;
        return nullptr;
    }
    [[nodiscard]] std::size_t limit_closes() const {
        std::size_t n = 0;
        for (const auto& s : sink_.closed()) n += s.reason == CloseReason::limit;
        return n;
    }
    MemorySink& sink() { return sink_; }
    Stats& stats() { return stats_; }
    MemoryBudget& budget() { return budget_; }

private:
    std::uint32_t isn_;
    MemorySink sink_;
    Stats stats_;
    MemoryBudget budget_;
    std::unique_ptr<FlowTable> table_;
    Timestamp now_{1'600'000'000LL * kNsPerSec};
    std::deque<std::string> keep_{};
};

class EvictIsn : public ::testing::TestWithParam<std::uint32_t> {};

/// A budget of about three open connections less a little (3000 bytes when a connection was
/// charged 1 KiB): two connections and some buffered bytes fit, a third pushes it over.
std::size_t about_three_connections() { return FlowTable::connection_charge({}) * 3000 / 1024; }

// Connection 1 holds "abc", then "ghi" and "mno" behind two holes; connections 2 and 3 push the
// budget over: the holes are given up (the buffered bytes written), connection 1 is retired.
// The missing bytes then arrive and its FIN: one file, complete, nothing counted twice.
TEST_P(EvictIsn, LateBytesForAHoleGivenUpBeforeALimitCloseAreWrittenAfterTheFlowResumes) {
    Evict e{GetParam(), about_three_connections()};
    e.handshake(1);
    e.send(1, true, 0, "abc");
    e.send(1, true, 6, "ghi");
    e.send(1, true, 12, "mno");
    ASSERT_EQ(e.limit_closes(), 0u);
    for (std::uint16_t port = 2; port <= 3; ++port) {
        e.handshake(port);
        e.send(port, true, 0, "other");
    }
    ASSERT_GE(e.limit_closes(), 1u) << "connection 1 was retired for the limit";
    ASSERT_NE(e.file(Evict::client(1)), nullptr);
    EXPECT_EQ(e.file(Evict::client(1))->data, std::string("abc\0\0\0ghi\0\0\0mno", 15))
        << "the buffered bytes were written at the limit close";
    EXPECT_EQ(e.stats().get(Counter::holes_given_up), 2u);
    e.send(1, true, 9, "jkl");   // the later hole first: the connection comes back
    e.send(1, true, 3, "def");
    e.send(1, true, 15, "", fin | ack);
    const auto* f = e.file(Evict::client(1));
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->data, "abcdefghijklmno");
    EXPECT_EQ(e.file(Evict::client(1) + "c1"), nullptr) << "continued, not a new file";
    EXPECT_EQ(e.stats().get(Counter::duplicate_bytes), 0u) << "late bytes are not retransmissions";
    EXPECT_EQ(f->last_summary.reason, CloseReason::fin) << "every byte before the FIN is there";
    EXPECT_TRUE(f->last_summary.holes.empty());
    EXPECT_EQ(f->last_summary.retransmitted_bytes, 0u);
    e.finish();
}

// A late byte that only partly falls into an old hole: the hole part is written, the rest is a
// retransmission (first copy kept); a hole that stays open is still reported when it closes.
TEST_P(EvictIsn, ARestoredFlowReportsTheHolesStillOpenAndSplitsAPartlyFilledOne) {
    Evict e{GetParam(), about_three_connections()};
    e.handshake(1);
    e.send(1, true, 0, "abc");
    e.send(1, true, 10, "klm");   // hole [3, 10)
    e.send(1, true, 16, "qr");    // hole [13, 16)
    for (std::uint16_t port = 2; port <= 3; ++port) {
        e.handshake(port);
        e.send(port, true, 0, "other");
    }
    ASSERT_GE(e.limit_closes(), 1u);
    e.send(1, true, 1, "XXdeX");   // bytes 1-2 stored already, 3-5 late, then 6 late
    e.finish();
    const auto* f = e.file(Evict::client(1));
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->data, std::string("abcdeX\0\0\0\0klm\0\0\0qr", 18));
    EXPECT_EQ(e.stats().get(Counter::duplicate_bytes), 2u);
    ASSERT_EQ(f->last_summary.holes.size(), 2u);
    EXPECT_EQ(f->last_summary.holes[0].offset, 6u);
    EXPECT_EQ(f->last_summary.holes[0].length, 4u);
    EXPECT_EQ(f->last_summary.holes[1].offset, 13u);
    EXPECT_EQ(f->last_summary.holes[1].length, 3u);
}

// The same when the hole was given up by the hole timeout (live capture) and the connection
// then closed by the idle timeout or for the limit: the filler still lands.
TEST_P(EvictIsn, AHoleGivenUpInTimeIsStillFilledAfterAnIdleOrLimitClose) {
    for (const bool by_limit : {false, true}) {
        SCOPED_TRACE(by_limit ? "limit" : "idle");
        FlowTableConfig cfg;
        cfg.hole_timeout_ns = kNsPerSec;
        cfg.idle_timeout_ns = 60 * kNsPerSec;
        Evict e{GetParam(), by_limit ? about_three_connections() : std::size_t{1} << 20, cfg};
        e.handshake(1);
        e.send(1, true, 0, "abc");
        e.send(1, true, 6, "ghi");
        e.wait(2 * kNsPerSec);
        EXPECT_EQ(e.stats().get(Counter::holes_given_up), 1u);
        if (by_limit) {
            for (std::uint16_t port = 2; port <= 3; ++port) {
                e.handshake(port);
                e.send(port, true, 0, "other");
            }
            ASSERT_GE(e.limit_closes(), 1u);
        } else {
            e.wait(100 * kNsPerSec);
            ASSERT_EQ(e.stats().get(Counter::flows_timed_out), 1u);
        }
        e.send(1, true, 3, "def");
        EXPECT_EQ(e.file(Evict::client(1))->data, "abcdefghi");
        EXPECT_EQ(e.stats().get(Counter::duplicate_bytes), 0u);
        e.finish();
    }
}

// Remembered holes are charged to the budget (and given back when the flow is forgotten or
// restored): many holes in a remembered flow count.
TEST_P(EvictIsn, RememberedHolesAreChargedAndReleased) {
    FlowTableConfig cfg;
    cfg.idle_timeout_ns = kNsPerSec;
    Evict e{GetParam(), 64 << 20, cfg};
    e.send(1, true, 0, "a");
    e.wait(2 * kNsPerSec);
    const std::size_t one_plain = e.budget().used();
    Evict h{GetParam(), 64 << 20, cfg};
    h.send(1, true, 0, "a");
    for (std::uint32_t i = 1; i <= 200; ++i) h.send(1, true, i * 2, "x");   // 200 holes of 1 byte
    h.wait(2 * kNsPerSec);                                                   // written, remembered
    EXPECT_GE(h.budget().used(), one_plain + 200 * sizeof(Hole));
    h.send(1, true, 1, "y");   // restored: the charge moves back to the flow
    h.wait(2 * kNsPerSec);
    EXPECT_GE(h.budget().used(), one_plain + 199 * sizeof(Hole));
    EXPECT_EQ(h.stats().get(Counter::duplicate_bytes), 0u);
    EXPECT_EQ(h.file(Evict::client(1))->data.substr(0, 4), std::string("ayx\0", 4));
    e.finish();
    h.finish();
}

INSTANTIATE_TEST_SUITE_P(Isn, EvictIsn, ::testing::Values(0u, 1u, 0xFFFFFFFFu, 0xFFFFFFF6u),
                         [](const auto& p) { return "isn_" + std::to_string(p.param); });

}  // namespace
}  // namespace tcpflow
