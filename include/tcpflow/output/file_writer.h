// file_writer.h: the bytes of flow files (adapter: file I/O).
//
// Bytes are written with pwrite at their stream offset, so holes stay sparse; contiguous bytes
// are coalesced in a small per-file buffer (one write per buffer, not per segment). Open
// descriptors are bounded (-f, fd_cache.h): the least recently written file is closed and
// reopened on demand. A file can be shifted (its bytes moved further on when data turns out to
// belong before offset 0) and read back; at close its mtime is set to the direction's first
// packet (1.6.1).
//
// With write-behind, the writes, mtimes and closes run on an I/O thread in the same order
// (write_behind.h); whatever reads a file back waits for them first. With create-behind as well,
// a new file whose first name the name allocator's filter says is free is created by the I/O
// thread too; if another program takes that name meanwhile, the I/O thread creates the next free
// one, and settle() gives the name actually written. The rest are created here, O_EXCL.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tcpflow/base/bytes.h"
#include "tcpflow/base/stats.h"
#include "tcpflow/base/timestamp.h"
#include "tcpflow/output/diagnostics.h"
#include "tcpflow/output/fd_cache.h"
#include "tcpflow/output/name_allocator.h"
#include "tcpflow/output/write_behind.h"

namespace tcpflow {

/// One flow file as the writer keeps it.
struct FlowFile : FdCacheEntry {
    std::string path;                     ///< its name (see FileWriter::settle)
    std::shared_ptr<WrittenFile> shared;  ///< with write-behind: the I/O thread's view of it
    int fd = -1;                          ///< open descriptor, -1, or WriteBehind::kCreatedThere
    std::vector<std::uint8_t> buf;        ///< coalesced bytes not yet written, at buf_off
    std::uint64_t buf_off = 0;
    std::uint64_t queued_end = 0;         ///< with write-behind: end of the furthest bytes queued
    Timestamp first_seen;                 ///< its mtime at close
    bool failed = false;
    int error = 0;               ///< the first failure's errno (this thread's; see FileWriter::error)
    bool exists = false;         ///< created (its create succeeded, wherever it ran) or continued
    bool bulk = false;           ///< its buffer filled up: give it a full-size one each time
    bool name_pending = false;   ///< the I/O thread creates it: `path` is the name asked for so far
};

struct FileWriterConfig {
    int max_fds = 1000;                    ///< -f, resolved
    std::size_t buffer_bytes = 16 * 1024;  ///< per-file coalescing buffer
    bool write_behind = false;
    bool create_behind = false;            ///< with write_behind (see file_sink.h)
};

class FileWriter {
public:
    /// With create_behind, descriptors whose close is queued may exceed -f by this many.
    static constexpr int kQueuedCloses = 8;

    FileWriter(const FileWriterConfig& config, NameAllocator& names, Stats& stats, Diagnostics& diagnostics);
    ~FileWriter();   // runs the queued jobs; files still open stay so (close_descriptor first)
    FileWriter(const FileWriter&) = delete;
    FileWriter& operator=(const FileWriter&) = delete;

    /// Makes `f` a fresh record (keeping its path's storage) for a file first seen at `first_seen`.
    void start(FlowFile& f, Timestamp first_seen);
    /// Creates the first free name for `f`, whose path holds the first name (count 0): queued for
    /// the I/O thread when the name is surely free and the thread keeps up, else here. False when
    /// it failed (said so); `f.path` is then the name that failed.
    bool create(FlowFile& f, const FlowNameInfo& info);
    /// Creates `f.path` as it is (a derived flow's file: the raw flow's name and a suffix), or,
    /// when that is taken, the first free name with c1, c2... before its extension; here, not on
    /// the I/O thread. False when it failed (said so).
    bool create_at(FlowFile& f, FileOwner owner);
    /// Continues the existing file `path` (a resumed flow); it is opened by the first write.
    void resume(FlowFile& f, const std::string& path);

    /// `data` at stream offset `offset`: into the buffer when it continues it, else written.
    void write(FlowFile& f, std::uint64_t offset, Bytes data);
    /// Hands the buffered bytes to the file; `close_after` also sets the mtime and closes it.
    void flush(FlowFile& f, bool close_after = false);
    /// Moves everything written n bytes further on (1.6.1's shift_file); the first n bytes are
    /// a hole until written.
    void shift(FlowFile& f, std::uint64_t n);
    /// Reads back bytes written earlier (from the buffer, else the file): how many were read.
    std::size_t read_back(FlowFile& f, std::uint64_t offset, std::span<std::uint8_t> out);
    /// The name `f` is written under, for good: waits for its create when the I/O thread has not
    /// made it yet (only that job, not the ones after it).
    const std::string& settle(FlowFile& f);
    /// Closes `f`'s descriptor (queued with write-behind) if it has one open.
    void close_descriptor(FlowFile& f);
    /// After close: frees its buffer and shared record.
    void release(FlowFile& f) noexcept;

    /// Waits for the I/O thread; its failed writes are counted.
    void sync();
    /// The file's failure, including one the I/O thread found.
    bool failed(FlowFile& f);
    /// The failure this thread knows of: one the I/O thread found is learnt at the next flush
    /// (at most one buffer later; the I/O thread writes nothing more to a failed file). For every
    /// segment, where reading the I/O thread's record would cost a cache miss each time.
    [[nodiscard]] static bool failed_here(const FlowFile& f) noexcept { return f.failed; }
    /// The errno of `f`'s first failure, wherever it happened; 0 when none. With write-behind,
    /// final once none of its jobs is pending.
    [[nodiscard]] static int error(const FlowFile& f) noexcept;
    /// Counts a failure of `f` and reports it once: "WHAT PATH: reason".
    void fail(FlowFile& f, const char* what, int err);

    [[nodiscard]] bool had_errors() const noexcept { return errors_ || (wb_ && wb_->errors() > 0); }
    [[nodiscard]] std::size_t open_files() const noexcept { return cache_.open(); }
    [[nodiscard]] std::size_t max_open_seen() const noexcept { return cache_.max_seen(); }
    [[nodiscard]] std::size_t created_behind() const noexcept { return created_behind_; }

private:
    class CreateHooks;
    bool queue_create(FlowFile& f, const FlowNameInfo& info);
    bool create_pending(const std::string& path);
    void forget_created();
    [[nodiscard]] bool fds_to_spare() const noexcept;
    void close_to_limit();
    int open_path(int dir_fd, const char* name, int flags);
    bool ensure_open(FlowFile& f);
    int take_fd(FlowFile& f) noexcept;
    void close_here(FlowFile& f);
    int fd_here(FlowFile& f) noexcept;
    void adopt_name(FlowFile& f) noexcept;
    [[nodiscard]] bool write_here(FlowFile& f, std::uint64_t offset, std::size_t bytes, bool closing = false) const;
    void write_at(FlowFile& f, const std::uint8_t* p, std::size_t n, std::uint64_t offset);
    void write_bytes(FlowFile& f, const std::uint8_t* p, std::size_t n, std::uint64_t offset);
    void set_mtime(FlowFile& f);

    FileWriterConfig config_;
    NameAllocator& names_;
    Stats& stats_;
    Diagnostics& diagnostics_;
    FdCache cache_;
    bool errors_ = false;
    // Write-behind: at most 64 jobs and 4 MiB waiting for the I/O thread.
    std::unique_ptr<WriteBehind> wb_;
    std::uint64_t wb_errors_counted_ = 0;
    bool create_behind_ = false;
    std::size_t created_behind_ = 0;
    // Files whose create job may not have run yet, oldest first (jobs run in order).
    std::deque<std::shared_ptr<WrittenFile>> creating_;
};

}  // namespace tcpflow
