// FlowTable with UDP datagrams (--udp): appended in capture order per direction, the first sender
// is the client, snaplen cuts are recorded holes filled with zeros, --udp-framing length, the
// idle timeout in packet time (a later datagram continues the file), UDP beside TCP.
#include <gtest/gtest.h>

#include <deque>
#include <string>

#include "support/memory_sink.h"
#include "support/packet_builder.h"
#include "tcpflow/flow/flow_table.h"

namespace tcpflow {
namespace {

using test::ip;
using test::MemorySink;

const std::string kQ = "10.0.0.1.53000-10.0.0.2.53-udp";
const std::string kR = "10.0.0.2.53-10.0.0.1.53000-udp";

class Udp {
public:
    explicit Udp(FlowTableConfig cfg = {}) : budget_{64 << 20}, table_{cfg, sink_, budget_, stats_} {}

    /// A datagram; `claimed` > data.size() means the capture cut the rest off.
    DecodedPacket dgram(bool from_client, const std::string& data, std::uint32_t claimed = 0) {
        DecodedPacket p;
        p.proto = Transport::udp;
        p.src = ip(from_client ? "10.0.0.1" : "10.0.0.2");
        p.dst = ip(from_client ? "10.0.0.2" : "10.0.0.1");
        p.sport = from_client ? 53000 : 53;
        p.dport = from_client ? 53 : 53000;
        keep_.push_back(data);
        const auto& k = keep_.back();
        p.payload = Bytes{reinterpret_cast<const std::uint8_t*>(k.data()), k.size()};
        p.claimed_len = claimed ? claimed : static_cast<std::uint32_t>(k.size());
        return p;
    }
    void send(const DecodedPacket& p, std::int64_t step_ns = 1'000'000) {
        t_.ns += step_ns;
        table_.on_packet(p, t_, 60, 60);
        table_.expire(t_);
    }
    void q(const std::string& d, std::uint32_t claimed = 0) { send(dgram(true, d, claimed)); }
    void r(const std::string& d, std::uint32_t claimed = 0) { send(dgram(false, d, claimed)); }
    MemorySink& sink() { return sink_; }
    Stats& stats() { return stats_; }
    FlowTable& table() { return table_; }

private:
    MemorySink sink_;
    Stats stats_;
    MemoryBudget budget_;
    FlowTable table_;
    Timestamp t_{1'600'000'000LL * 1'000'000'000};
    std::deque<std::string> keep_;
};

TEST(UdpRules, DatagramsAppendInCaptureOrderPerDirection) {
    Udp u;
    u.q("one");
    u.r("ONE");
    u.q("two");
    u.q("");   // empty: nothing added
    u.r("TWO");
    u.table().close_all();
    EXPECT_EQ(u.sink().file(kQ), "onetwo");
    EXPECT_EQ(u.sink().file(kR), "ONETWO");
    EXPECT_EQ(u.stats().get(Counter::udp_datagrams), 5u);
    EXPECT_EQ(u.stats().get(Counter::tcp_segments), 0u);
    ASSERT_EQ(u.sink().closed().size(), 2u);
    for (const auto& s : u.sink().closed()) EXPECT_EQ(s.reason, CloseReason::end_of_input);
}

TEST(UdpRules, FirstSenderIsTheClient) {
    struct Dirs final : FlowSink {
        std::vector<std::pair<std::uint16_t, bool>> seen;   // source port, client_to_server
        void on_open(FlowInfo& i, Timestamp) override { seen.emplace_back(i.name.sport, i.client_to_server); }
        void on_data(FlowInfo&, std::uint64_t, Bytes, Timestamp) override {}
        void on_shift(FlowInfo&, std::uint64_t) override {}
        void on_close(FlowInfo&, const FlowSummary&) override {}
    } sink;
    Stats stats;
    MemoryBudget budget{64 << 20};
    FlowTable t{FlowTableConfig{}, sink, budget, stats};
    Udp maker;
    // The server side (port 53) speaks first here: it is the client.
    t.on_packet(maker.dgram(false, "a"), Timestamp{1}, 60, 60);
    t.on_packet(maker.dgram(true, "b"), Timestamp{2}, 60, 60);
    t.close_all();
    ASSERT_EQ(sink.seen.size(), 2u);
    EXPECT_EQ(sink.seen[0], std::make_pair(std::uint16_t{53}, true));
    EXPECT_EQ(sink.seen[1], std::make_pair(std::uint16_t{53000}, false));
}

TEST(UdpRules, SnaplenCutIsARecordedHoleOfZeros) {
    Udp u;
    u.q("abcd", 10);   // 6 bytes cut off
    u.q("xyz");
    u.table().close_all();
    EXPECT_EQ(u.sink().file(kQ), std::string("abcd") + std::string(6, '\0') + "xyz");
    ASSERT_EQ(u.sink().closed().size(), 1u);
    const FlowSummary& s = u.sink().closed()[0];
    ASSERT_EQ(s.holes.size(), 1u);
    EXPECT_EQ(s.holes[0].offset, 4u);
    EXPECT_EQ(s.holes[0].length, 6u);
    EXPECT_EQ(s.stored_bytes, 7u);
    EXPECT_EQ(s.size, 13u);
    EXPECT_EQ(u.stats().get(Counter::snaplen_truncated_bytes), 6u);
}

TEST(UdpRules, AHugeClaimedLengthIsNotZeroFilledPastSixtyFourKilobytes) {
    Udp u;
    u.q("ab", 0xffffffffu);   // a jumbogram that claims 4 GiB behind two captured bytes
    u.table().close_all();
    EXPECT_EQ(u.sink().file(kQ).size(), 2u + 0xffff);
    EXPECT_EQ(u.stats().get(Counter::bytes_over_limit), 0xffffffffull - 2 - 0xffff);
}

TEST(UdpRules, LengthFramingPutsTwoBytesBeforeEachDatagram) {
    FlowTableConfig cfg;
    cfg.udp_length_framing = true;
    Udp u{cfg};
    u.q("abc");
    u.q("");
    u.q("hi", 4);   // cut: the length says 4, two zero bytes follow
    u.table().close_all();
    EXPECT_EQ(u.sink().file(kQ), std::string("\0\3abc\0\0\0\4hi\0\0", 13));
    ASSERT_EQ(u.sink().closed().size(), 1u);
    ASSERT_EQ(u.sink().closed()[0].holes.size(), 1u);
    EXPECT_EQ(u.sink().closed()[0].holes[0].offset, 11u);
}

TEST(UdpRules, IdleTimeoutClosesAndALaterDatagramContinuesTheFile) {
    FlowTableConfig cfg;
    cfg.udp_idle_timeout_ns = 5 * kNsPerSec;
    cfg.idle_timeout_ns = 600 * kNsPerSec;
    Udp u{cfg};
    u.q("one");
    u.send(u.dgram(true, "two"), 10 * kNsPerSec);   // more than the timeout later
    u.table().close_all();
    EXPECT_EQ(u.sink().file(kQ), "onetwo");
    ASSERT_EQ(u.sink().files().size(), 1u);
    ASSERT_EQ(u.sink().closed().size(), 2u);
    EXPECT_EQ(u.sink().closed()[0].reason, CloseReason::timeout);
    EXPECT_EQ(u.sink().closed()[1].reason, CloseReason::end_of_input);
    EXPECT_EQ(u.stats().get(Counter::flows_timed_out), 1u);
}

TEST(UdpRules, UdpTimeoutIsItsOwnNotTcps) {
    FlowTableConfig cfg;
    cfg.udp_idle_timeout_ns = 5 * kNsPerSec;
    cfg.idle_timeout_ns = 600 * kNsPerSec;
    Udp u{cfg};
    // A TCP segment first (older in the LRU), then UDP; 10 s later only the UDP one times out.
    DecodedPacket t = u.dgram(true, "tcp-data");
    t.proto = Transport::tcp;
    t.tcp.flags = tcp_flags::psh | tcp_flags::ack;
    u.send(t);
    u.q("udp-data");
    u.send(u.dgram(false, "late"), 10 * kNsPerSec);
    EXPECT_EQ(u.stats().get(Counter::flows_timed_out), 1u);
    ASSERT_EQ(u.sink().closed().size(), 1u);
    EXPECT_EQ(u.sink().closed()[0].reason, CloseReason::timeout);
    u.table().close_all();
}

TEST(UdpRules, UdpAndTcpOnTheSamePortsAreTwoFlows) {
    Udp u;
    DecodedPacket t = u.dgram(true, "tcp-data");
    t.proto = Transport::tcp;
    t.tcp.flags = tcp_flags::psh | tcp_flags::ack;
    u.send(t);
    u.q("udp-data");
    u.table().close_all();
    EXPECT_EQ(u.sink().file("10.0.0.1.53000-10.0.0.2.53"), "tcp-data");
    EXPECT_EQ(u.sink().file(kQ), "udp-data");
}

TEST(UdpRules, MaxBytesCapsAUdpDirection) {
    FlowTableConfig cfg;
    cfg.max_bytes = 5;
    Udp u{cfg};
    u.q("abc");
    u.q("defgh");
    u.table().close_all();
    EXPECT_EQ(u.sink().file(kQ), "abcde");
    EXPECT_EQ(u.stats().get(Counter::bytes_over_limit), 3u);
}

}  // namespace
}  // namespace tcpflow
