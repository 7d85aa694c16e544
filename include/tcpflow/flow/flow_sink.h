// flow_sink.h: how the core hands reassembled flows to the outside (files, console, report).
//
// The core calls, per flow direction: on_open before its first byte, on_data with bytes at their
// stream offsets (in-order bytes as they become contiguous; bytes after a given-up hole at their
// offset), on_shift when data turns out to belong before offset 0, and on_close once.
// A flow that carries no payload is never opened, but is still closed (for the report).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tcpflow/base/bytes.h"
#include "tcpflow/decode/packet.h"
#include "tcpflow/flow/naming.h"
#include "tcpflow/base/timestamp.h"

namespace tcpflow {

enum class CloseReason : std::uint8_t {
    fin,            ///< FIN seen and every byte before it arrived
    rst,            ///< connection reset
    timeout,        ///< idle longer than the idle timeout (packet time)
    end_of_input,   ///< capture ended or the run was stopped
    limit,          ///< given up for a resource limit (memory, open files, -m jump)
    new_connection, ///< a new SYN (new ISN) on the same addresses and ports replaced it
};

[[nodiscard]] const char* close_reason_name(CloseReason r) noexcept;

struct TlsFlowReport;   // tls_flow_report.h

/// Identity of one flow direction, fixed when it is created.
struct FlowInfo {
    FlowNameInfo name;                 ///< what -T can name (addresses, ports, VLAN, times, ids)
    VlanStack vlans;
    TunnelKey tunnel;
    bool client_to_server = false;     ///< this direction sent the SYN without ACK (-g colour)
    bool resumed = false;              ///< continues the file of a flow closed earlier (FIN, timeout)
    std::string path;                  ///< set by the sink at on_open (the file written); kept for resuming
    std::uint32_t sink_handle = 0;     ///< the sink's own per-flow slot (set by on_open)
    Transport proto = Transport::tcp;  ///< from the connection key
    std::uint64_t connection_id = 0;   ///< shared by both directions: number of the connection's first packet
    std::uint64_t first_packet = 0;    ///< number of this direction's first packet
    std::uint64_t indexed_packets = 0; ///< sum.packets when the connection was last given to on_connection_end
    /// A derived flow (the plaintext of a TLS direction): its file is `path` (the raw flow's file,
    /// set by the caller) followed by this suffix, not a name from the template. Null: a raw flow.
    const char* path_suffix = nullptr;
    /// --tls-keylog: what TLS decryption found in this direction (shared by the raw flow and its
    /// plaintext flow; filled in by the TLS sink before on_close). Null: not followed as TLS.
    std::shared_ptr<TlsFlowReport> tls;
};

struct Hole {
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
};

/// Per-direction statistics, given at close (report.xml).
struct FlowSummary {
    Timestamp first_seen, last_seen;
    std::uint64_t packets = 0;
    std::uint64_t wire_bytes = 0;        ///< sum of frame lengths on the wire (1.6.1 `len`)
    std::uint64_t captured_bytes = 0;    ///< sum of captured frame lengths (1.6.1 `caplen`)
    std::uint64_t stored_bytes = 0;      ///< payload bytes placed in the stream
    std::uint64_t size = 0;              ///< highest stream offset written + 1 (file size)
    std::uint64_t retransmitted_bytes = 0;
    std::uint64_t conflicting_bytes = 0;
    std::uint64_t out_of_order_segments = 0;
    std::uint64_t dropped_bytes = 0;     ///< before ISN, over -b
    std::vector<Hole> holes;
    CloseReason reason = CloseReason::end_of_input;
    bool syn_seen = false;               ///< this direction sent a SYN (or SYN-ACK)
};

/// A connection ended (the flow index): both of its directions are closed and were given to
/// on_close before. A direction is null when it never carried a packet. A connection that is
/// continued later (a packet after its idle timeout) ends again with the totals so far.
struct ConnectionEnd {
    std::uint64_t id = 0;                ///< FlowInfo::connection_id
    CloseReason reason = CloseReason::end_of_input;
    const FlowInfo* info[2] = {nullptr, nullptr};
    const FlowSummary* summary[2] = {nullptr, nullptr};
};

class FlowSink {
public:
    virtual ~FlowSink() = default;
    /// Before the first byte of a flow direction. May set info.sink_handle.
    virtual void on_open(FlowInfo& info, Timestamp ts) = 0;
    /// `data` belongs at stream offset `offset`. With --overlap=last the same offsets may come again.
    virtual void on_data(FlowInfo& info, std::uint64_t offset, Bytes data, Timestamp ts) = 0;
    /// Everything written so far moves `n` bytes further into the stream (data before offset 0).
    virtual void on_shift(FlowInfo& info, std::uint64_t n) = 0;
    /// The direction is done (for now: a resumed flow is opened again with info.resumed).
    virtual void on_close(FlowInfo& info, const FlowSummary& summary) = 0;
    /// Both directions of a connection are closed (after their on_close). The pointers are valid
    /// during the call only.
    virtual void on_connection_end(const ConnectionEnd& end) { (void)end; }
    /// Reads back bytes delivered earlier (to count conflicting retransmissions); 0 if it can't.
    virtual std::size_t read_back(FlowInfo& info, std::uint64_t offset, std::span<std::uint8_t> out) {
        (void)info;
        (void)offset;
        (void)out;
        return 0;
    }
    /// Live capture: make everything delivered so far visible (called at least every 100 ms).
    virtual void flush() {}
};

}  // namespace tcpflow
