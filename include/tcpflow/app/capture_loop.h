// capture_loop.h: reads capture sources to their end and drives each frame through the decoder
// into the flow table (or the -j worker pool), the -w and -K writers; keeps memory bounded;
// in live capture makes delivered bytes visible as soon as the kernel's ring is drained (and at
// least every 50 ms), and moves packet time on with the wall clock while nothing arrives. SIGINT, SIGTERM and SIGHUP stop it in
// an orderly way (a blocking read is interrupted; what the kernel already holds is drained).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "tcpflow/app/worker_pool.h"
#include "tcpflow/capture/pcap_source.h"
#include "tcpflow/decode/decoder.h"
#include "tcpflow/flow/flow_hash.h"
#include "tcpflow/flow/flow_table.h"
#include "tcpflow/output/diagnostics.h"
#include "tcpflow/output/packet_dump.h"
#include "tcpflow/traffic/traffic_stats.h"

namespace tcpflow {

/// Where decoded packets go. Pointers may be null (no -j pool, no -w, no -K).
struct PacketPath {
    Decoder& decoder;
    MemoryBudget& budget;
    FlowTable& table;
    FlowSink& sink;
    WorkerPool* pool = nullptr;
    UnusedPacketWriter* unused = nullptr;
    PcapPerFlowWriter* per_flow = nullptr;
    /// -e netviz: every decoded frame is counted here.
    TrafficStats* traffic = nullptr;
    /// Asked between packets: true ends the run early (standard output's reader went away).
    std::function<bool()> done;
    /// --shard: segments of other shards' connections are dropped right after decoding; -w's
    /// packets (which belong to no connection) are the first shard's.
    ShardSelector shard{};
    /// Called every 256 packets and whenever a live capture flushes (the progress line reads
    /// the clock there, never per packet). May be empty.
    std::function<void()> progress;
};

class CaptureLoop {
public:
    CaptureLoop(PacketPath path, Diagnostics& diag) : path_{std::move(path)}, diag_{diag} {}

    /// SIGINT/SIGTERM/SIGHUP request an orderly stop; SIGPIPE is ignored (EPIPE is seen instead).
    static void install_signal_handlers();
    /// True once a stop signal arrived (or request_stop was called).
    [[nodiscard]] static bool stop_requested() noexcept;
    static void request_stop() noexcept;

    /// Reads one source to its end (or until stopped). False on a read error (already reported).
    bool pump(PcapSource& src, bool live);
    /// New connections may start (-r), or only known ones continue (-R).
    void set_start_new_flows(bool start_new);

private:
    struct Link {
        int dlt;
        LinkType type;
    };
    /// The frames that follow are of link type `dlt` (current.dlt = dlt); false (warned once) when
    /// it is unsupported: current.type is then left as it was.
    bool switch_link(PcapSource& src, int dlt, Link& current);
    static std::string unsupported(int dlt);
    void handle(LinkType link, const RawPacket& raw, DecodedPacket& pkt);
    void flush_live();
    void tick();
    void report_read_error(PcapSource& src);
    void drain_after_stop(PcapSource& src, LinkType link, RawPacket& raw, DecodedPacket& pkt);
    void keep_memory_bounded();
    [[nodiscard]] bool stopping() const;

    PacketPath path_;
    Diagnostics& diag_;
    DumpFormat dump_format_{};
    std::uint64_t packets_since_check_ = 0;
    std::uint64_t packet_number_ = 0;   ///< frames read so far, over every source (-r a -r b: one capture)
    bool start_new_flows_ = true;
    std::vector<int> warned_dlts_;   // unsupported link types already warned about
};

}  // namespace tcpflow
