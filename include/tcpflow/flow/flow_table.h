// flow_table.h: connections, their two directions, and the TCP rules that decide which bytes of
// which segment go where (SPEC section 4); with --udp also UDP conversations, whose datagrams are
// appended in capture order (udp_rules.cpp) and which have their own idle timeout.
//
// Per packet: one hash lookup (O(1), independent of the number of open flows), the SYN/RST/FIN
// rules, then the direction's Reassembler. Idle connections are closed in packet time from the
// front of an LRU list (O(1) per expiry). Memory for buffered data and flow state is charged to
// the shared MemoryBudget; at the limit the oldest hole is given up, then idle connections are
// closed. Flows closed earlier (FIN, timeout, memory) are remembered in a bounded table so that a
// later packet continues the same file at the right offset, and segments of a reset connection
// change nothing. The holes a flow gave up are remembered with it (charged to the budget): a late
// byte that falls into one is written at its offset after the flow resumes.
#pragma once

#include <cstdint>
#include <memory>

#include "tcpflow/decode/packet.h"
#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/base/memory_budget.h"
#include "tcpflow/flow/reassembler.h"
#include "tcpflow/base/stats.h"
#include "tcpflow/base/timestamp.h"

namespace tcpflow {

struct FlowTableConfig {
    OverlapPolicy overlap = OverlapPolicy::first;
    std::uint64_t max_seek = 16ull * 1024 * 1024;          ///< -m: larger jumps start a new file
    std::uint64_t max_bytes = ~std::uint64_t{0};           ///< -b: bytes stored per direction
    std::int64_t idle_timeout_ns = 600LL * kNsPerSec;      ///< packet time; 0 = never
    std::int64_t udp_idle_timeout_ns = 60LL * kNsPerSec;   ///< UDP conversations (--udp); 0 = never
    bool udp_length_framing = false;                       ///< --udp-framing length: 2-byte BE length before each datagram
    /// A hole still open this long after data behind it arrived is given up (the data behind it is
    /// written; a late filler still lands at its offset). 0 = never (files: memory decides).
    std::int64_t hole_timeout_ns = 0;
    std::size_t max_saved_flows = 8192;                    ///< closed flows remembered for resuming
    std::int64_t tdelta_ns = 0;                            ///< -S tdelta, added to packet times
    /// What the sink keeps for each open flow direction (its file's record, say), charged to the
    /// budget with the connection.
    std::size_t sink_bytes_per_flow = 0;
};

struct FlowTableCounts {
    std::uint64_t connections_created = 0;
    std::uint64_t flow_directions = 0;
    std::uint64_t open_connections = 0;
    std::uint64_t max_open_connections = 0;
};

class FlowTable {
public:
    FlowTable(FlowTableConfig config, FlowSink& sink, MemoryBudget& budget, Stats& stats);
    ~FlowTable();
    FlowTable(const FlowTable&) = delete;
    FlowTable& operator=(const FlowTable&) = delete;

    /// One decoded segment captured at `ts`; `wire_len`/`cap_len` are its frame's sizes.
    void on_packet(const DecodedPacket& pkt, Timestamp ts, std::uint32_t wire_len, std::uint32_t cap_len);
    /// Gives up holes older than the hole timeout, and closes connections idle for longer than the
    /// idle timeout, at packet time `now`.
    void expire(Timestamp now);
    /// Gives up buffered holes, then closes idle connections, until the budget is under its limit.
    void relieve_memory();
    /// Closes every flow (end of input, or the run was stopped). Buffered data is written.
    void close_all(CloseReason reason = CloseReason::end_of_input);
    /// -R: when false, packets of connections not seen before are ignored.
    void set_start_new_flows(bool on) noexcept;

    [[nodiscard]] FlowTableCounts counts() const noexcept;
    /// What one open connection is charged to the budget (its state, both directions, names,
    /// and the sink's bytes per flow), its buffered data aside.
    [[nodiscard]] static std::size_t connection_charge(const FlowTableConfig& config) noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tcpflow
