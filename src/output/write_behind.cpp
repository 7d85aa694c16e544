// write_behind.cpp: flow-file creates, writes, mtimes and closes on an I/O thread (see write_behind.h).
#include "tcpflow/output/write_behind.h"

#include "tcpflow/base/threads.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <csignal>

#include <cerrno>

#include "tcpflow/output/posix_io.h"

namespace tcpflow {

namespace {
constexpr std::size_t kMaxSpareBuffers = 32;
constexpr std::size_t kJobOverhead = 256;   // counted against max_bytes for a job without data
constexpr std::size_t kWakeJobs = 16;        // an idle I/O thread is woken for this many jobs
constexpr std::size_t kWakeBytes = 256 << 10;   // or this many bytes
constexpr std::size_t kMaxDone = 4096;            // finished jobs kept for the pushing thread to free
}  // namespace

void cut_file(WrittenFile& file, int fd, std::uint64_t offset) noexcept {
    std::uint64_t cut = file.cut.load();
    while (offset < cut && !file.cut.compare_exchange_weak(cut, offset)) {
    }
    cut = file.cut.load();
    if (fd >= 0 && cut != WrittenFile::kNoCut) (void)::ftruncate(fd, static_cast<off_t>(cut));
}

WriteBehind::WriteBehind(std::size_t max_jobs, std::size_t max_bytes, Diagnostics& diagnostics)
    : max_jobs_{max_jobs ? max_jobs : 1}, max_bytes_{max_bytes}, diagnostics_{diagnostics},
      thread_{start_thread_without_signals([this] { run(); })} {}

WriteBehind::~WriteBehind() {
    {
        const std::lock_guard lk{mu_};
        stop_ = true;
        idle_ = false;
    }
    work_cv_.notify_one();
    thread_.join();
}

void WriteBehind::push(Job&& job) {
    const std::size_t cost = job.data.size() + kJobOverhead;
    if (job.file) job.file->pending.fetch_add(1, std::memory_order_relaxed);
    outstanding_.fetch_add(1, std::memory_order_relaxed);
    if (job.closes_fd()) closes_pending_.fetch_add(1, std::memory_order_relaxed);
    std::unique_lock lk{mu_};
    const auto room = [&] {
        if (!done_.empty()) collect();
        const std::size_t held = queued_bytes_ + done_bytes_;
        return queue_.size() < max_jobs_ && (held == 0 || held + cost <= max_bytes_);
    };
    if (!room()) {
        // Full: whatever the batch thresholds say, the I/O thread must run before there is room.
        if (idle_) {
            idle_ = false;
            work_cv_.notify_one();
        }
        room_cv_.wait(lk, room);
    }
    queued_bytes_ += cost;
    queue_.push_back(std::move(job));
    // Wake the I/O thread for a batch, not for every job: a wake-up is a system call on each
    // side. A thread still working on its last batch picks the queue up without being woken.
    const bool wake = idle_ && (queue_.size() >= kWakeJobs || queued_bytes_ >= kWakeBytes);
    if (wake) idle_ = false;
    lk.unlock();
    if (wake) work_cv_.notify_one();
    recycle();
}

void WriteBehind::collect() {
    // Called with mu_ held. The finished jobs' bytes count against max_bytes until they are taken
    // here, so the queue and the jobs waiting to be freed together hold at most max_bytes.
    done_bytes_ = 0;
    if (freed_.empty()) {
        freed_.swap(done_);
    } else {
        for (Job& j : done_) freed_.push_back(std::move(j));
        done_.clear();
    }
}

void WriteBehind::recycle() {
    // Full-size buffers are kept for take_buffer() (no allocation for every 16 KiB of a bulk
    // flow); everything else is freed here, on the thread that allocated it.
    for (Job& j : freed_) {
        if (recycle_capacity_ && j.data.capacity() >= recycle_capacity_ && spare_.size() < kMaxSpareBuffers) {
            j.data.clear();
            spare_.push_back(std::move(j.data));
        }
    }
    freed_.clear();
}

void WriteBehind::drain() {
    {
        std::unique_lock lk{mu_};
        if (idle_ && !queue_.empty()) {
            idle_ = false;
            work_cv_.notify_one();
        }
        room_cv_.wait(lk, [&] { return queue_.empty() && busy_ == 0; });
        collect();
    }
    recycle();
}

void WriteBehind::wait_created(const WrittenFile& file) {
    if (file.created.load(std::memory_order_acquire)) return;
    std::unique_lock lk{mu_};
    if (idle_ && !queue_.empty()) {
        idle_ = false;
        work_cv_.notify_one();
    }
    // The I/O thread notifies room_cv_ after every batch it runs.
    room_cv_.wait(lk, [&] { return file.created.load(std::memory_order_acquire); });
}

std::vector<std::uint8_t> WriteBehind::take_buffer() {
    if (spare_.empty()) return {};
    std::vector<std::uint8_t> b = std::move(spare_.back());
    spare_.pop_back();
    return b;
}

void WriteBehind::run() {
    // Started with every signal blocked (start_thread_without_signals): stop signals go to the
    // reading thread.
    std::vector<Job> batch;
    std::unique_lock lk{mu_};
    for (;;) {
        if (queue_.empty()) {
            idle_ = true;
            room_cv_.notify_all();   // drain() may be waiting
            work_cv_.wait(lk, [&] { return stop_ || !idle_; });
            idle_ = false;
            if (queue_.empty()) {
                if (stop_) return;
                continue;
            }
        }
        // Take everything queued at once: one lock per batch, not per job.
        batch.swap(queue_);
        busy_ = batch.size();
        std::size_t bytes = 0;
        for (const Job& j : batch) bytes += j.data.size() + kJobOverhead;
        queued_bytes_ -= bytes;
        lk.unlock();
        room_cv_.notify_all();   // the queue has room again
        std::size_t run_jobs = 0, closes = 0;
        for (Job& j : batch) {
            closes += j.closes_fd() ? 1 : 0;   // before execute() resolves kCreatedThere
            execute(j);
            // Release: a caller that sees pending == 0 also sees this job's effects done.
            if (j.file) j.file->pending.fetch_sub(1, std::memory_order_release);
            // The shared counters are brought down every 8 jobs, not after each one: their cache
            // line is written by the pushing thread too. Both only ever count too high.
            if (++run_jobs % 8 == 0) {
                outstanding_.fetch_sub(8, std::memory_order_relaxed);
                closes_pending_.fetch_sub(closes, std::memory_order_relaxed);
                closes = 0;
            }
        }
        outstanding_.fetch_sub(run_jobs % 8, std::memory_order_relaxed);
        closes_pending_.fetch_sub(closes, std::memory_order_relaxed);
        lk.lock();
        busy_ = 0;
        // The finished jobs go back to the pushing thread, which frees (or recycles) their
        // buffers and file records where it allocated them: a free from this thread would take
        // the allocator's lock against every allocation over there.
        if (done_.size() < kMaxDone) {
            for (const Job& j : batch) done_bytes_ += j.data.size() + kJobOverhead;
            if (done_.empty()) {
                done_.swap(batch);   // no allocation on this thread
            } else {
                for (Job& j : batch) done_.push_back(std::move(j));
                batch.clear();
            }
        } else {
            lk.unlock();   // nobody collects (no push for a long while): free them here
            batch.clear();
            lk.lock();
        }
    }
}

void WriteBehind::execute(Job& j) {
    auto fail = [&](const char* what, int err) {
        errors_.fetch_add(1, std::memory_order_relaxed);
        if (j.file) {
            int none = 0;
            j.file->error.compare_exchange_strong(none, err, std::memory_order_relaxed);
        }
        if (j.file && !j.file->failed.exchange(true)) diagnostics_.error(Diagnostics::describe(what, j.file->written_path(), err));
    };
    if (j.create && j.file) {
        const int fd = creator_ ? creator_(*j.file) : posix_io::create_exclusive(AT_FDCWD, j.file->path.c_str(), O_RDWR, FileOwner{});
        if (fd < 0) fail("cannot create", errno);
        j.file->fd = fd;
        j.file->create_failed = fd < 0;
        j.file->created.store(true, std::memory_order_release);
    }
    if (j.fd == kCreatedThere) j.fd = j.file ? j.file->fd : -1;
    const bool failed = j.file && j.file->failed.load();
    bool written = !failed;
    if (!failed && !j.data.empty()) {
        if (j.file) j.file->writing.store(true, std::memory_order_relaxed);
        if (const int err = posix_io::write_all_at(j.fd, j.data.data(), j.data.size(), j.offset); err != 0) {
            fail("cannot write", err);
            written = false;
        }
        if (j.file) j.file->writing.store(false, std::memory_order_relaxed);
    }
    // Bytes of a file written ahead that did not land: nothing after them may stay.
    if (!written && j.file && !j.data.empty() && j.file->ahead.load()) cut_file(*j.file, j.fd, j.offset);
    // A file whose write failed gets its time too (it holds what was written before); one whose
    // create failed is not ours.
    if (j.set_times && !(j.file && j.file->create_failed)) {
        // By path when its descriptor was closed earlier (-f).
        if (j.fd >= 0 || j.file) posix_io::set_mtime(j.fd, j.fd >= 0 ? nullptr : j.file->written_path().c_str(), j.mtime);
    }
    if (j.close && j.fd >= 0) {
        // The file's folder deleted during the run, say: its bytes go with the descriptor. Said
        // once, and the run fails (one fstat per file closed).
        if (j.file && !j.file->failed.load(std::memory_order_relaxed) && posix_io::unlinked(j.fd)) {
            errors_.fetch_add(1, std::memory_order_relaxed);
            int none = 0;
            j.file->error.compare_exchange_strong(none, ENOENT, std::memory_order_relaxed);
            if (!j.file->failed.exchange(true)) diagnostics_.error(Diagnostics::removed(j.file->written_path()));
        }
        ::close(j.fd);
    }
}

}  // namespace tcpflow
