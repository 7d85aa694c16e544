// file_sink.h: the FlowSink that writes one file per flow direction (adapter: does file I/O).
//
// It is put together from parts a reader can name, each in its own module:
//   name_allocator.h  the first free name (-T template, c1, c2...; O_EXCL, never overwrites),
//                     the filter of taken names, folders, ownership (sudo);
//   fd_cache.h        the open descriptors, least recently used closed first (-f);
//   file_writer.h     the bytes: coalescing, pwrite at stream offsets (holes stay sparse), shift,
//                     read-back, mtime at close; in line or on the write-behind I/O thread;
//   findx_writer.h    -I index lines, in offset order.
// With write_behind, the writes, mtimes and closes run on an I/O thread in the same order;
// flush() waits for them, so after it every file is complete. With create_behind as well, the
// I/O thread also creates a new file whose name the filter says is free (most: the rest take the
// O_EXCL path here); a name another program takes meanwhile moves on to the next free one, and
// the flow's path is the name actually written.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tcpflow/base/stats.h"
#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/flow/naming.h"
#include "tcpflow/output/diagnostics.h"
#include "tcpflow/output/output_dir.h"
#include "tcpflow/output/posix_io.h"

namespace tcpflow {

struct FileSinkConfig {
    OutputDir dir;                        ///< the output folder (after -z: inside the new root)
    NameTemplate name_template;
    int max_fds = 0;                      ///< 0 = from the process limit
    std::size_t buffer_bytes = 16 * 1024; ///< per-flow write coalescing buffer
    bool index_files = false;             ///< -I: <file>.findx (offset|sec.usec|length)
    FileOwner owner;                      ///< new files and folders (sudo without -U)
    /// Writes, mtimes and closes run on an I/O thread (write_behind.h). Only when nothing reads a
    /// flow file as soon as it is closed (-e md5, -e http, tcp_cmd and alert hooks do).
    bool write_behind = false;
    /// With write_behind: a new file whose name is known to be free (not in the folder when the
    /// run started, not made since) is created by the I/O thread too. Any sink may ask: a name
    /// another writer takes meanwhile moves on to the next free one. It pays when no other
    /// writer makes the same names (alone, or -j workers with names_endpoints()).
    bool create_behind = false;
    /// A flow's file was created (`created`) or a resumed flow continues its file (tcp_alert_fd).
    /// For a file the I/O thread creates, called when its name is settled (at its close).
    std::function<void(const std::string& path, bool created)> on_file_opened;
    /// A flow's file is complete and closed, mtime set (tcp_alert_fd, tcp_cmd). Once per on_file_opened.
    std::function<void(const std::string& path)> on_file_closed;
    /// A connection ended, after its directions' on_closed (the flow index).
    std::function<void(const ConnectionEnd&)> on_connection_end;
};

/// What a closed flow's file holds when writing it failed.
struct FileOutcome {
    int error = 0;                 ///< errno of the first failed create or write; 0: the file is whole
    bool on_disk = true;           ///< false when its create failed (no file of ours)
    std::uint64_t size_on_disk = 0;   ///< with error: the bytes the file holds
};

/// Called after a flow's file is closed (report, md5, HTTP bodies, tcp_cmd, alerts), in close
/// order, once every write of the file has run (with write-behind: a little later; a write
/// error is known by then).
using FileClosedFn = std::function<void(const FlowInfo&, const FlowSummary&, const FileOutcome&)>;

class FileSink final : public FlowSink {
public:
    /// Failures ("cannot write PATH: reason") go to `diagnostics`, from either thread.
    FileSink(FileSinkConfig config, Stats& stats, FileClosedFn on_closed, Diagnostics& diagnostics);
    ~FileSink() override;

    void on_open(FlowInfo& info, Timestamp ts) override;
    void on_data(FlowInfo& info, std::uint64_t offset, Bytes data, Timestamp ts) override;
    void on_shift(FlowInfo& info, std::uint64_t n) override;
    void on_close(FlowInfo& info, const FlowSummary& summary) override;
    void on_connection_end(const ConnectionEnd& end) override;
    void flush() override;
    std::size_t read_back(FlowInfo& info, std::uint64_t offset, std::span<std::uint8_t> out) override;

    /// True once any write failed (the exit status reports it); call after flush().
    [[nodiscard]] bool had_errors() const noexcept;
    [[nodiscard]] std::size_t open_files() const noexcept;
    [[nodiscard]] std::size_t max_open_files_seen() const noexcept;
    /// The default -f: the process limit on descriptors less 24 (stdio, capture, report, slack).
    static int default_max_open() noexcept;
    /// What the sink keeps for one open flow direction, its buffered bytes aside (for the memory
    /// budget: FlowTableConfig::sink_bytes_per_flow).
    static std::size_t bytes_per_open_flow() noexcept;
    /// With create_behind, descriptors whose close is queued may exceed -f by this many.
    static constexpr int kQueuedCloses = 8;
    /// Files the I/O thread created (create_behind).
    [[nodiscard]] std::size_t files_created_behind() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tcpflow
