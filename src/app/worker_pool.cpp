#include "tcpflow/app/worker_pool.h"

#include "tcpflow/base/threads.h"
#include "tcpflow/flow/flow_hash.h"

#include <pthread.h>

#include <csignal>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace tcpflow {

unsigned worker_of(const DecodedPacket& p, unsigned workers) noexcept {
    return worker_of_hash(symmetric_flow_hash(p), workers);
}

namespace {

struct Item {
    DecodedPacket pkt;
    Timestamp ts;
    std::uint32_t wire_len = 0, cap_len = 0;
    std::size_t payload_at = 0;
    bool start_new = true;
};

struct Batch {
    std::vector<Item> items;
    std::vector<std::uint8_t> arena;
    Timestamp now;   // the latest packet time the reader had seen when it handed the batch over
    bool last = false;
};

constexpr std::size_t kBatchItems = 512;
constexpr std::size_t kBatchBytes = 512 * 1024;
constexpr std::size_t kQueueDepth = 4;

}  // namespace

struct WorkerPool::Impl {
    struct Worker {
        explicit Worker(std::size_t mem) : shard{mem} {}
        Shard shard;
        std::mutex mu;
        std::condition_variable cv_full, cv_empty;
        std::deque<std::unique_ptr<Batch>> queue;
        std::vector<std::unique_ptr<Batch>> spare;
        std::unique_ptr<Batch> filling;
        std::thread thread;
    };
    std::vector<std::unique_ptr<Worker>> workers;
    bool finished = false;
    Timestamp latest;   // the reader's packet time (every frame, not only this pool's)
    bool have_latest = false;

    static void run(Worker& w) {
        bool start_new = true;
        for (;;) {
            std::unique_ptr<Batch> b;
            {
                std::unique_lock lk{w.mu};
                w.cv_empty.wait(lk, [&] { return !w.queue.empty(); });
                b = std::move(w.queue.front());
                w.queue.pop_front();
            }
            w.cv_full.notify_one();
            for (auto& it : b->items) {
                it.pkt.payload = Bytes{b->arena.data() + it.payload_at, it.pkt.payload.size()};
                if (it.start_new != start_new) {
                    start_new = it.start_new;
                    w.shard.table->set_start_new_flows(start_new);
                }
                w.shard.table->on_packet(it.pkt, it.ts, it.wire_len, it.cap_len);
                w.shard.table->expire(it.ts);
                if (w.shard.budget.over()) w.shard.table->relieve_memory();
            }
            // Packet time went on in the other workers too: idle flows here time out as with -j 1.
            if (b->now.ns) w.shard.table->expire(b->now);
            const bool last = b->last;
            b->items.clear();
            b->arena.clear();
            {
                std::lock_guard lk{w.mu};
                w.spare.push_back(std::move(b));
            }
            if (last) break;
        }
        w.shard.table->close_all(CloseReason::end_of_input);
        w.shard.sink->flush();
    }

    std::unique_ptr<Batch> fresh(Worker& w) {
        std::lock_guard lk{w.mu};
        if (!w.spare.empty()) {
            auto b = std::move(w.spare.back());
            w.spare.pop_back();
            return b;
        }
        auto b = std::make_unique<Batch>();
        b->items.reserve(kBatchItems);
        b->arena.reserve(kBatchBytes + 65536);
        return b;
    }

    void hand_over(Worker& w) {
        if (!w.filling) return;
        w.filling->now = have_latest ? latest : Timestamp{};
        {
            std::unique_lock lk{w.mu};
            w.cv_full.wait(lk, [&] { return w.queue.size() < kQueueDepth; });
            w.queue.push_back(std::move(w.filling));
        }
        w.cv_empty.notify_one();
    }
};

WorkerPool::WorkerPool(unsigned n, std::size_t memory_per_worker, const ShardFactory& make) : impl_{std::make_unique<Impl>()} {
    for (unsigned i = 0; i < n; ++i) {
        impl_->workers.push_back(std::make_unique<Impl::Worker>(memory_per_worker));
        make(impl_->workers.back()->shard, i);
    }
    for (auto& w : impl_->workers)
        // Stop signals go to the reading thread (they must interrupt a blocking read of -r -).
        w->thread = start_thread_without_signals([wp = w.get()] { Impl::run(*wp); });
}

WorkerPool::~WorkerPool() { finish(); }

void WorkerPool::submit(const DecodedPacket& pkt, Timestamp ts, std::uint32_t wire_len, std::uint32_t cap_len, bool start_new) {
    auto& w = *impl_->workers[worker_of(pkt, static_cast<unsigned>(impl_->workers.size()))];
    if (!w.filling) w.filling = impl_->fresh(w);
    Batch& b = *w.filling;
    Item it;
    it.pkt = pkt;
    it.ts = ts;
    it.wire_len = wire_len;
    it.cap_len = cap_len;
    it.start_new = start_new;
    it.payload_at = b.arena.size();
    b.arena.insert(b.arena.end(), pkt.payload.begin(), pkt.payload.end());
    b.items.push_back(it);
    if (b.items.size() >= kBatchItems || b.arena.size() >= kBatchBytes) impl_->hand_over(w);
}

void WorkerPool::finish() {
    if (impl_->finished) return;
    impl_->finished = true;
    for (auto& w : impl_->workers) {
        if (!w->filling) w->filling = impl_->fresh(*w);
        w->filling->last = true;
        impl_->hand_over(*w);
    }
    for (auto& w : impl_->workers)
        if (w->thread.joinable()) w->thread.join();
}

void WorkerPool::note_time(Timestamp ts) noexcept {
    impl_->latest = ts;
    impl_->have_latest = true;
}

unsigned WorkerPool::size() const noexcept { return static_cast<unsigned>(impl_->workers.size()); }
Shard& WorkerPool::shard(unsigned i) noexcept { return impl_->workers[i]->shard; }

}  // namespace tcpflow
