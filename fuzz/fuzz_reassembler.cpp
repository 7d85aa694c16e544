// fuzz_reassembler: a FlowTable fed a sequence of segments decoded from the input bytes.
//
// Byte 0 configures the table (overlap policy, -m, -b, a tiny or roomy memory limit). Then each
// 6-byte record is one segment: flags, which of 4 connections and which direction, how the
// sequence number moves (small signed delta, multiple of 64 KiB, a 2 GiB jump, or a fresh ISN),
// the payload length and the time step. Payload bytes are a function of the stream position, so
// retransmissions agree unless the record asks for conflicting bytes.
// A checking sink verifies the FlowSink contract: data only between open and close, one close per
// open, offsets that never overflow, and never more buffered than the memory limit allows.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <unordered_map>
#include <vector>

#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/flow/flow_table.h"
#include "tcpflow/base/memory_budget.h"
#include "tcpflow/base/stats.h"

using namespace tcpflow;

namespace {

[[noreturn]] void fail(const char* why) {
    std::fprintf(stderr, "fuzz_reassembler: %s\n", why);
    std::abort();
}

class CheckingSink final : public FlowSink {
public:
    void on_open(FlowInfo& info, Timestamp) override {
        info.sink_handle = next_++;
        open_[info.sink_handle] = 0;
    }
    void on_data(FlowInfo& info, std::uint64_t offset, Bytes data, Timestamp) override {
        auto it = open_.find(info.sink_handle);
        if (it == open_.end()) fail("data for a flow not open");
        if (offset + data.size() < offset) fail("offset overflow");
        if (data.empty()) return;
        volatile std::uint8_t x = 0;
        x = static_cast<std::uint8_t>(x ^ data.front() ^ data.back());
        (void)x;
        it->second = std::max<std::uint64_t>(it->second, offset + data.size());
    }
    void on_shift(FlowInfo& info, std::uint64_t n) override {
        auto it = open_.find(info.sink_handle);
        if (it == open_.end()) fail("shift for a flow not open");
        if (it->second + n < it->second) fail("shift overflow");
        it->second += n;
    }
    void on_close(FlowInfo& info, const FlowSummary& s) override {
        if (info.sink_handle != 0) {
            auto it = open_.find(info.sink_handle);
            if (it == open_.end()) fail("close of a flow not open");
            open_.erase(it);
            info.sink_handle = 0;
        }
        std::uint64_t prev_end = 0;
        for (const Hole& h : s.holes) {
            if (h.length == 0 || h.offset < prev_end || h.offset + h.length < h.offset) fail("bad hole list");
            prev_end = h.offset + h.length;
        }
    }
    [[nodiscard]] bool all_closed() const { return open_.empty(); }

private:
    std::uint32_t next_ = 1;
    std::unordered_map<std::uint32_t, std::uint64_t> open_;
};

struct Conn {
    std::array<std::uint32_t, 2> seq{1000, 5000};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::uint8_t cfg = data[0];
    FlowTableConfig tc;
    tc.overlap = (cfg & 1) ? OverlapPolicy::last : OverlapPolicy::first;
    if (cfg & 2) tc.max_seek = 4096;
    if (cfg & 4) tc.max_bytes = 3000;
    tc.idle_timeout_ns = (cfg & 8) ? 30 * kNsPerSec : 600 * kNsPerSec;
    tc.max_saved_flows = (cfg & 16) ? 2 : 64;
    const std::size_t limit = (cfg & 32) ? 2048 : 1 << 20;
    MemoryBudget budget{limit};
    Stats stats;
    CheckingSink sink;
    {
        FlowTable table{tc, sink, budget, stats};
        std::array<Conn, 4> conns{};
        std::vector<std::uint8_t> payload;
        std::int64_t t = 1'600'000'000LL * kNsPerSec;
        for (std::size_t i = 1; i + 6 <= size; i += 6) {
            const std::uint8_t* r = data + i;
            const unsigned c = r[1] & 3u;
            const unsigned dir = (r[1] >> 2) & 1u;
            const unsigned mode = (r[1] >> 3) & 7u;
            const auto delta = static_cast<std::int16_t>(static_cast<std::uint16_t>(r[2] << 8 | r[3]));
            std::uint32_t& seq = conns[c].seq[dir];
            switch (mode) {
                case 0: case 1: case 2: seq += static_cast<std::uint32_t>(delta); break;
                case 3: seq += static_cast<std::uint32_t>(delta) << 16; break;
                case 4: seq += 0x80000000u; break;
                case 5: seq = static_cast<std::uint32_t>(delta) * 0x9E3779B1u; break;
                default: break;   // same seq again (retransmission / keep-alive)
            }
            DecodedPacket pkt;
            pkt.src = IpAddress::v4(10, 0, 0, static_cast<std::uint8_t>(dir ? 2 : 1));
            pkt.dst = IpAddress::v4(10, 0, 0, static_cast<std::uint8_t>(dir ? 1 : 2));
            pkt.sport = static_cast<std::uint16_t>(dir ? 80 : 1000 + c);
            pkt.dport = static_cast<std::uint16_t>(dir ? 1000 + c : 80);
            pkt.tcp.seq = seq;
            pkt.tcp.ack = conns[c].seq[dir ^ 1u];
            pkt.tcp.flags = static_cast<std::uint8_t>(r[0] & 0x3f);
            const std::size_t len = (mode == 7) ? std::size_t{r[4]} * 16 : r[4];
            payload.resize(len);
            const bool conflict = (r[5] & 0x80) != 0;
            for (std::size_t k = 0; k < len; ++k)
                payload[k] = static_cast<std::uint8_t>((seq + k) * 31u + (conflict ? 7u : 0u));
            pkt.payload = Bytes{payload.data(), payload.size()};
            pkt.claimed_len = static_cast<std::uint32_t>(len + ((r[5] & 0x40) ? 10 : 0));   // snaplen cut
            t += static_cast<std::int64_t>(r[5] & 0x3f) * (kNsPerSec / 4);
            const Timestamp ts{t};
            table.on_packet(pkt, ts, static_cast<std::uint32_t>(54 + len), static_cast<std::uint32_t>(54 + len));
            table.expire(ts);
            if (budget.over()) table.relieve_memory();
            // Giving up holes and closing flows must always get back under the limit.
            if (budget.over()) fail("budget over the limit after relieve_memory");
            if ((r[1] & 0xC0) != 0xC0) seq += static_cast<std::uint32_t>(len);   // usually in order
        }
        table.close_all();
        if (!sink.all_closed()) fail("flow left open after close_all");
    }
    if (budget.used() != 0) fail("budget not released at teardown");   // everything charged was released
    return 0;
}
