// micro_bench.cpp: Google Benchmark micro-benchmarks of the core (SPEC section 7).
//
//   BM_ReassemblerInOrder      Reassembler::insert of in-order 1448-byte segments
//   BM_ReassemblerReordered    the same with 2% of neighbouring segments swapped
//   BM_FlowTableData/N         FlowTable::on_packet for data segments spread round-robin over N
//                              open connections (10, 1,000, 10,000, 100,000): the per-packet cost must not
//                              grow with N (one hash lookup, no scan of all flows)
//   BM_Decode*                 Decoder::decode of an Ethernet/IPv4/TCP frame and of an 802.1Q
//                              Ethernet/IPv6/TCP frame (skipped until the decoder is built)
//
// Every sink here discards the data, so only the core's own cost is measured.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "support/packet_builder.h"
#include "tcpflow/decode/decoder.h"
#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/flow/flow_table.h"
#include "tcpflow/base/memory_budget.h"
#include "tcpflow/flow/reassembler.h"
#include "tcpflow/base/stats.h"

namespace {

using namespace tcpflow;

constexpr std::size_t kMss = 1448;
constexpr std::size_t kNoLimit = std::size_t{1} << 40;

const std::vector<std::uint8_t>& payload() {
    static const std::vector<std::uint8_t> p = [] {
        std::vector<std::uint8_t> v(kMss);
        for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<std::uint8_t>(i * 7 + 1);
        return v;
    }();
    return p;
}

/// Discards everything; keeps the data observable so the compiler cannot drop the work.
class NullSink final : public FlowSink {
public:
    void on_open(FlowInfo& info, Timestamp) override { info.sink_handle = ++opened_; }
    void on_data(FlowInfo&, std::uint64_t, Bytes data, Timestamp) override {
        bytes_ += data.size();
        benchmark::DoNotOptimize(data.data());
    }
    void on_shift(FlowInfo&, std::uint64_t) override {}
    void on_close(FlowInfo&, const FlowSummary&) override {}
    [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_; }

private:
    std::uint32_t opened_ = 0;
    std::uint64_t bytes_ = 0;
};

class NullDelivery final : public ByteDelivery {
public:
    void deliver(std::uint64_t, Bytes data) override {
        bytes_ += data.size();
        benchmark::DoNotOptimize(data.data());
    }
    std::uint64_t bytes_ = 0;
};

// ---- Reassembly -------------------------------------------------------------------------------

/// Segment order within a block of `n` segments: in order, with `share` of neighbouring pairs
/// swapped (the later segment arrives first and waits behind a one-segment hole).
std::vector<std::uint32_t> segment_order(std::size_t n, double share, unsigned seed) {
    std::vector<std::uint32_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>(i);
    std::mt19937 rng{seed};
    std::uniform_real_distribution<double> u{0.0, 1.0};
    for (std::size_t i = 0; i + 1 < n; ++i) {
        if (u(rng) < share) {
            std::swap(order[i], order[i + 1]);
            ++i;   // keep swaps disjoint
        }
    }
    return order;
}

void reassembly(benchmark::State& state, double reorder) {
    constexpr std::size_t kBlock = 4096;
    const auto order = segment_order(kBlock, reorder, 1);
    const Bytes data{payload()};
    MemoryBudget budget{kNoLimit};
    NullDelivery out;
    Reassembler r{OverlapPolicy::first, budget};
    std::uint64_t base = 0;
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(r.insert(base + std::uint64_t{order[i]} * kMss, data, out));
        if (++i == kBlock) {
            i = 0;
            base += kBlock * kMss;
        }
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kMss));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["buffered_peak"] = static_cast<double>(budget.peak());
}

void BM_ReassemblerInOrder(benchmark::State& state) { reassembly(state, 0.0); }
void BM_ReassemblerReordered(benchmark::State& state) { reassembly(state, 0.02); }
BENCHMARK(BM_ReassemblerInOrder);
BENCHMARK(BM_ReassemblerReordered);

// ---- Flow table -------------------------------------------------------------------------------

DecodedPacket make_packet(std::uint32_t conn, bool from_client, std::uint8_t flags, std::uint32_t seq,
                          std::uint32_t ack, Bytes data) {
    DecodedPacket p;
    const IpAddress client = IpAddress::v4(10, static_cast<std::uint8_t>(conn >> 16),
                                           static_cast<std::uint8_t>(conn >> 8), static_cast<std::uint8_t>(conn));
    const IpAddress server = IpAddress::v4(192, 168, 1, 1);
    const auto cport = static_cast<std::uint16_t>(1024 + conn % 60000);
    p.src = from_client ? client : server;
    p.dst = from_client ? server : client;
    p.sport = from_client ? cport : std::uint16_t{80};
    p.dport = from_client ? std::uint16_t{80} : cport;
    p.tcp.seq = seq;
    p.tcp.ack = ack;
    p.tcp.flags = flags;
    p.tcp.window = 65535;
    p.claimed_len = static_cast<std::uint32_t>(data.size());
    p.payload = data;
    return p;
}

/// N connections opened (SYN, SYN/ACK, ACK) before timing; then each iteration is one
/// 1448-byte server-to-client data segment of the next connection, round-robin.
void BM_FlowTableData(benchmark::State& state) {
    const auto n = static_cast<std::uint32_t>(state.range(0));
    const Bytes data{payload()};
    MemoryBudget budget{kNoLimit};
    Stats stats;
    NullSink sink;
    FlowTableConfig config;
    config.idle_timeout_ns = 0;   // packet time below is synthetic; never expire
    FlowTable table{config, sink, budget, stats};

    constexpr std::uint32_t kClientIsn = 1000, kServerIsn = 5000;
    Timestamp ts{1'700'000'000LL * kNsPerSec};
    std::vector<DecodedPacket> data_pkts;
    data_pkts.reserve(n);
    for (std::uint32_t c = 0; c < n; ++c) {
        using namespace tcp_flags;
        table.on_packet(make_packet(c, true, syn, kClientIsn, 0, {}), ts, 74, 74);
        table.on_packet(make_packet(c, false, syn | ack, kServerIsn, kClientIsn + 1, {}), ts, 74, 74);
        table.on_packet(make_packet(c, true, ack, kClientIsn + 1, kServerIsn + 1, {}), ts, 66, 66);
        data_pkts.push_back(make_packet(c, false, ack | psh, kServerIsn + 1, kClientIsn + 1, data));
        ts.ns += 1000;
    }
    const std::uint32_t frame = static_cast<std::uint32_t>(kMss + 66);
    std::uint32_t c = 0;
    for (auto _ : state) {
        DecodedPacket& p = data_pkts[c];
        table.on_packet(p, ts, frame, frame);
        p.tcp.seq += static_cast<std::uint32_t>(kMss);
        ts.ns += 1000;
        if (++c == n) c = 0;
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kMss));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
    state.counters["open_conns"] = static_cast<double>(table.counts().open_connections);
    benchmark::DoNotOptimize(sink.bytes());
}
BENCHMARK(BM_FlowTableData)->Arg(10)->Arg(1000)->Arg(10000)->Arg(100000);

// ---- Decoder ----------------------------------------------------------------------------------

void decode(benchmark::State& state, const test::Frame& frame) {
    MemoryBudget budget{kNoLimit};
    Stats stats;
    Decoder decoder{DecoderLimits{}, budget, stats};
    DecodedPacket out;
    const Timestamp ts{1'700'000'000LL * kNsPerSec};
    if (decoder.decode(LinkType::ethernet, Bytes{frame}, ts, out) != DecodeStatus::transport) {
        state.SkipWithError("frame did not decode as TCP");
        return;
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(decoder.decode(LinkType::ethernet, Bytes{frame}, ts, out));
        benchmark::DoNotOptimize(out.payload.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * frame.size()));
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

test::TcpSpec data_segment(const char* src, const char* dst) {
    test::TcpSpec t;
    t.src = test::ip(src);
    t.dst = test::ip(dst);
    t.sport = 40000;
    t.dport = 80;
    t.seq = 123456;
    t.ack = 654321;
    t.flags = tcp_flags::psh | tcp_flags::ack;
    t.payload.assign(kMss, 'x');
    return t;
}

void BM_DecodeEthIPv4Tcp(benchmark::State& state) {
    static const test::Frame frame = test::eth_tcp(data_segment("10.0.0.1", "192.168.1.1"));
    decode(state, frame);
}
void BM_DecodeVlanIPv6Tcp(benchmark::State& state) {
    static const test::Frame frame =
        test::eth_tcp(data_segment("2001:db8::1", "2001:db8::2"), {test::VlanTag{0x8100, 100}});
    decode(state, frame);
}
BENCHMARK(BM_DecodeEthIPv4Tcp);
BENCHMARK(BM_DecodeVlanIPv6Tcp);

}  // namespace

BENCHMARK_MAIN();
