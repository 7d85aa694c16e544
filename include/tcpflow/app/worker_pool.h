// worker_pool.h: -j N. Decoded segments are sharded by a symmetric hash of their addresses and
// ports over N worker threads, each with its own FlowTable, sink and memory budget, so both
// directions of a connection, and every connection that could take the same file name, meet in
// the same worker: the files are the same as with one thread. The reader thread decodes, copies
// each segment into a per-worker batch, and hands full batches over through a bounded queue.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "tcpflow/decode/decoder.h"
#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/flow/flow_table.h"
#include "tcpflow/base/memory_budget.h"
#include "tcpflow/base/stats.h"

namespace tcpflow {

/// What one worker owns. The factory fills sink and table (the table must use this budget/stats).
struct Shard {
    explicit Shard(std::size_t memory_limit) : budget{memory_limit} {}
    Stats stats;
    MemoryBudget budget;
    std::unique_ptr<FlowSink> sink;
    std::unique_ptr<FlowTable> table;
};

class WorkerPool {
public:
    using ShardFactory = std::function<void(Shard&, unsigned index)>;

    WorkerPool(unsigned workers, std::size_t memory_per_worker, const ShardFactory& make);
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    /// Queues one segment (its payload is copied). `start_new` is FlowTable::set_start_new_flows.
    void submit(const DecodedPacket& pkt, Timestamp ts, std::uint32_t wire_len, std::uint32_t cap_len, bool start_new);
    /// The reader's packet time (every frame read): each worker expires idle flows to it after
    /// each batch, and before closing the rest at the end.
    void note_time(Timestamp ts) noexcept;
    /// Processes everything queued, closes every flow, stops the workers. Idempotent.
    void finish();

    [[nodiscard]] unsigned size() const noexcept;
    [[nodiscard]] Shard& shard(unsigned i) noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// The worker a segment belongs to: the same for both directions (flow_hash.h).
[[nodiscard]] unsigned worker_of(const DecodedPacket& pkt, unsigned workers) noexcept;

}  // namespace tcpflow
