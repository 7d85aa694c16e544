// write_behind.h: flow-file creates, writes, mtimes and closes done on a second thread (adapter:
// file I/O).
//
// Copying bytes into the page cache, creating pages and closing files is most of the system time
// of a run; here it runs on an I/O thread while the calling thread goes on decoding and
// reassembling. Jobs run one at a time in the order they were pushed, so the files end up exactly
// as if every call had been made in line. The queue is bounded (jobs and bytes): a caller that
// gets ahead waits. Anything that reads a flow file back calls drain() first. Jobs that have run
// go back to the pushing thread, which frees their buffers: no allocator lock shared between the
// two threads for every file. A create job makes its file with the creator it is given (the
// name allocator's: a name taken meanwhile moves on to the next free one, recorded in the file's
// shared record).
#pragma once

#include <ctime>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "tcpflow/flow/naming.h"
#include "tcpflow/output/diagnostics.h"

namespace tcpflow {

/// What the I/O thread knows of one open file: its name for messages, and whether a write failed.
struct WrittenFile {
    /// The name asked for: set before the first push, never changed after.
    std::string path;
    std::atomic<bool> failed{false};
    /// The first failure's errno (set before `failed`); 0 while none. Read once no job is pending.
    std::atomic<int> error{0};
    std::atomic<std::uint32_t> pending{0};   ///< its jobs pushed and not yet run
    /// True while the I/O thread writes its bytes: a second thread writing the same file then
    /// would only wait for the file's lock.
    std::atomic<bool> writing{false};
    /// Set before the pushing thread first writes bytes past jobs of the file still queued
    /// (FileWriter::write_here). From then on a failed or skipped write cuts the file at its
    /// offset (cut_file), so a file that failed still holds a prefix of its stream, never bytes
    /// after a gap.
    std::atomic<bool> ahead{false};
    /// The lowest offset a failed or skipped write of such a file started at (kNoCut: none).
    std::atomic<std::uint64_t> cut{kNoCut};
    static constexpr std::uint64_t kNoCut = ~std::uint64_t{0};
    /// Set by the I/O thread once its create job ran (release): from then on `fd` is the
    /// descriptor that job opened (-1 if the create failed), and `moved_to` is final.
    std::atomic<bool> created{false};
    int fd = -1;
    /// Set with `created` when the create job failed: no file of ours is at `path`.
    bool create_failed = false;
    /// What the file's names are made of, for a create job that finds `path` taken.
    FlowNameInfo name;
    /// Set by the create job when another program took `path` meanwhile: the name it created
    /// instead. Empty otherwise (nothing allocated on the usual path).
    std::string moved_to;
    /// The name written: `moved_to` when set. The I/O thread's, or anyone's once `created`.
    [[nodiscard]] const std::string& written_path() const noexcept { return moved_to.empty() ? path : moved_to; }
};

/// For a file written ahead (WrittenFile::ahead): lowers its cut to `offset` and truncates the
/// file there through `fd`. Called by either thread after a write of the file failed or was
/// skipped, and by the pushing thread after each write ahead once a cut is set.
void cut_file(WrittenFile& file, int fd, std::uint64_t offset) noexcept;

class WriteBehind {
public:
    struct Job {
        std::shared_ptr<WrittenFile> file;
        int fd = -1;
        std::vector<std::uint8_t> data;   ///< written at `offset` (may be empty)
        std::uint64_t offset = 0;
        bool set_times = false;           ///< atime and mtime set to `mtime` after the write
        timespec mtime{};
        bool close = false;               ///< close(fd) last
        /// First of all: create the file with the creator (create_with()) into file->fd. Jobs of
        /// that file then give kCreatedThere as their fd. A failure fails the file.
        bool create = false;
        /// It closes a descriptor that is (or will be) open: counted in closes_pending().
        [[nodiscard]] bool closes_fd() const noexcept { return close && fd != -1; }
    };
    /// A job's fd: the descriptor the file's create job opened (WrittenFile::fd).
    static constexpr int kCreatedThere = -2;

    /// Makes a create job's file on the I/O thread: the descriptor, or -1 with errno set. It may
    /// set file.moved_to. The default creates file.path with O_EXCL and nothing else.
    using Creator = std::function<int(WrittenFile& file)>;

    /// Failed writes are reported to `diagnostics` (from the I/O thread).
    WriteBehind(std::size_t max_jobs, std::size_t max_bytes, Diagnostics& diagnostics);
    ~WriteBehind();   // runs what is queued, then stops the thread
    WriteBehind(const WriteBehind&) = delete;
    WriteBehind& operator=(const WriteBehind&) = delete;

    /// Queues a job; waits while the queue is full.
    void push(Job&& job);
    /// Returns once every job pushed so far has run. Like push(), it frees the jobs that have
    /// run on the calling thread: push, drain and take_buffer are called from one thread.
    void drain();
    /// How create jobs make their files. Set before the first push.
    void create_with(Creator creator) { creator_ = std::move(creator); }
    /// Returns once `file`'s create job has run (waking the I/O thread if it waits for a batch),
    /// without waiting for the jobs after it. Then its `fd` and `moved_to` may be read.
    void wait_created(const WrittenFile& file);
    /// Written buffers with at least this capacity are kept (a few) for take_buffer(); 0 = none.
    void recycle_buffers_of(std::size_t capacity) noexcept { recycle_capacity_ = capacity; }
    /// An empty buffer: a recycled one when there is one, else a new one.
    std::vector<std::uint8_t> take_buffer();

    /// True when at least `jobs` jobs are pushed and not yet run: the I/O thread is the slower
    /// one, and the caller may write a file with no pending jobs itself.
    [[nodiscard]] bool behind(std::size_t jobs) const noexcept {
        return outstanding_.load(std::memory_order_relaxed) >= jobs;
    }

    /// Jobs that close a descriptor, pushed and not yet run: descriptors still open that the
    /// caller no longer counts as open.
    [[nodiscard]] std::size_t closes_pending() const noexcept { return closes_pending_.load(std::memory_order_relaxed); }

    /// Failed writes so far (each file's first failure also printed once to stderr).
    [[nodiscard]] std::uint64_t errors() const noexcept { return errors_.load(std::memory_order_relaxed); }

private:
    void run();
    void execute(Job& job);
    void collect();   // takes the finished jobs into freed_ (mu_ held)
    void recycle();   // keeps full-size buffers of freed_, frees the rest

    const std::size_t max_jobs_, max_bytes_;
    std::mutex mu_;
    std::condition_variable work_cv_;   // the I/O thread waits for jobs
    std::condition_variable room_cv_;   // callers wait for room or for drain
    // Vectors, not deques: swapped between the threads, they keep their capacity, so queueing
    // allocates nothing once the run has warmed up.
    std::vector<Job> queue_;
    std::size_t queued_bytes_ = 0;
    std::size_t busy_ = 0;              // jobs taken by the I/O thread and not finished
    bool stop_ = false;
    bool idle_ = false;                 // the I/O thread waits for a wake-up
    std::atomic<std::uint64_t> errors_{0};
    std::atomic<std::size_t> outstanding_{0};   // pushed and not yet run
    std::atomic<std::size_t> closes_pending_{0};
    std::vector<Job> done_;             // run, and waiting to be freed by the pushing thread
    std::vector<Job> freed_;            // the pushing thread's: done_ jobs taken, freed after the lock
    std::size_t done_bytes_ = 0;
    std::size_t recycle_capacity_ = 0;
    Diagnostics& diagnostics_;
    Creator creator_;
    std::vector<std::vector<std::uint8_t>> spare_;   // written buffers kept for reuse (pushing thread only)
    std::thread thread_;
};

}  // namespace tcpflow
