// write_behind.cpp: flow-file writes, mtimes and closes on an I/O thread (see write_behind.h).
#include "tcpflow/write_behind.h"

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#include <csignal>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tcpflow {

namespace {
constexpr std::size_t kMaxSpareBuffers = 32;
constexpr std::size_t kJobOverhead = 256;   // counted against max_bytes for a job without data
constexpr std::size_t kWakeJobs = 16;        // an idle I/O thread is woken for this many jobs
constexpr std::size_t kWakeBytes = 256 << 10;   // or this many bytes
}  // namespace

WriteBehind::WriteBehind(std::size_t max_jobs, std::size_t max_bytes)
    : max_jobs_{max_jobs ? max_jobs : 1}, max_bytes_{max_bytes}, thread_{[this] { run(); }} {}

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
    std::unique_lock lk{mu_};
    const auto room = [&] { return queue_.size() < max_jobs_ && (queued_bytes_ == 0 || queued_bytes_ + cost <= max_bytes_); };
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
}

void WriteBehind::drain() {
    std::unique_lock lk{mu_};
    if (idle_ && !queue_.empty()) {
        idle_ = false;
        work_cv_.notify_one();
    }
    room_cv_.wait(lk, [&] { return queue_.empty() && busy_ == 0; });
}

std::vector<std::uint8_t> WriteBehind::take_buffer() {
    const std::lock_guard lk{mu_};
    if (spare_.empty()) return {};
    std::vector<std::uint8_t> b = std::move(spare_.back());
    spare_.pop_back();
    return b;
}

void WriteBehind::run() {
    // Stop signals go to the reading thread (they must interrupt a blocking read of -r -).
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, nullptr);
    std::deque<Job> batch;
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
        for (Job& j : batch) {
            execute(j);
            // Release: a caller that sees pending == 0 also sees this job's effects done.
            if (j.file) j.file->pending.fetch_sub(1, std::memory_order_release);
            outstanding_.fetch_sub(1, std::memory_order_relaxed);
        }
        lk.lock();
        busy_ = 0;
        // Full-size buffers go back to the caller (no allocator round trip between threads for
        // every 16 KiB written); the rest are freed with the batch.
        for (Job& j : batch) {
            if (recycle_capacity_ && j.data.capacity() >= recycle_capacity_ && spare_.size() < kMaxSpareBuffers) {
                j.data.clear();
                spare_.push_back(std::move(j.data));
            }
        }
        lk.unlock();
        batch.clear();
        lk.lock();
    }
}

void WriteBehind::execute(Job& j) {
    auto fail = [&](const char* what, int err) {
        errors_.fetch_add(1, std::memory_order_relaxed);
        if (j.file && !j.file->failed.exchange(true))
            std::fprintf(stderr, "tcpflow: %s %s: %s\n", what, j.file->path.c_str(), std::strerror(err));
    };
    const bool failed = j.file && j.file->failed.load(std::memory_order_relaxed);
    if (!failed && !j.data.empty()) {
        const std::uint8_t* p = j.data.data();
        std::size_t n = j.data.size();
        std::uint64_t off = j.offset;
        while (n > 0) {
            const ssize_t w = ::pwrite(j.fd, p, n, static_cast<off_t>(off));
            if (w < 0) {
                if (errno == EINTR) continue;
                fail("cannot write", errno);
                break;
            }
            p += w;
            n -= static_cast<std::size_t>(w);
            off += static_cast<std::uint64_t>(w);
        }
    }
    if (j.set_times && !(j.file && j.file->failed.load(std::memory_order_relaxed))) {
        if (j.fd >= 0) {
            ::futimens(j.fd, j.times);
        } else if (j.file) {
            ::utimensat(AT_FDCWD, j.file->path.c_str(), j.times, 0);   // its descriptor was closed earlier (-f)
        }
    }
    if (j.close && j.fd >= 0) ::close(j.fd);
}

}  // namespace tcpflow
