// file_sink.h: the FlowSink that writes one file per flow direction (adapter: does file I/O).
//
// Names come from the -T template, first free name wins (O_CREAT|O_EXCL, then c1, c2, ...), so
// nothing is ever overwritten. Bytes are written with pwrite at their stream offset, so holes stay
// sparse; contiguous bytes are coalesced in a small per-flow buffer (one write per buffer, not per
// segment). Open descriptors are bounded (-f): the least recently written file is closed and
// reopened on demand. At close the file's mtime is set to the direction's first packet.
// With write_behind, the writes, mtimes and closes run on an I/O thread in the same order;
// flush() waits for them, so after it every file is complete. With create_behind as well, the I/O
// thread also creates a new file whose name a filter of the folder's names says is free (most:
// the rest take the O_EXCL path here).
// -I index lines are kept in offset order: at close (and after a shift, which moves every offset)
// the .findx file is rewritten sorted by offset when it is not (1.6.1 left it in arrival order).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/flow/naming.h"
#include "tcpflow/base/stats.h"

namespace tcpflow {

struct FileSinkConfig {
    std::string outdir = ".";
    NameTemplate name_template;
    int max_fds = 0;                      ///< 0 = from the process limit
    std::size_t buffer_bytes = 16 * 1024; ///< per-flow write coalescing buffer
    bool index_files = false;             ///< -I: <file>.findx (offset|sec.usec|length)
    int uid = -1, gid = -1;               ///< chown new files and folders (sudo without -U)
    /// Writes, mtimes and closes run on an I/O thread (write_behind.h). Only when nothing reads a
    /// flow file as soon as it is closed (-e md5, -e http, tcp_cmd and alert hooks do).
    bool write_behind = false;
    /// With write_behind: a new file whose name is known to be free (not in the folder when the
    /// run started, not made since) is created by the I/O thread too. Only for a sink whose names
    /// no other writer of the folder can take (alone, or -j workers with names_endpoints()).
    bool create_behind = false;
    /// A flow's file was created (`created`) or a resumed flow continues its file (tcp_alert_fd).
    std::function<void(const std::string& path, bool created)> on_file_opened;
    /// A flow's file is complete and closed, mtime set (tcp_alert_fd, tcp_cmd). Once per on_file_opened.
    std::function<void(const std::string& path)> on_file_closed;
};

/// Called after a flow's file is closed (report, md5, HTTP bodies, tcp_cmd, alerts).
using FileClosedFn = std::function<void(const FlowInfo&, const FlowSummary&)>;

class FileSink final : public FlowSink {
public:
    FileSink(FileSinkConfig config, Stats& stats, FileClosedFn on_closed);
    ~FileSink() override;

    void on_open(FlowInfo& info, Timestamp ts) override;
    void on_data(FlowInfo& info, std::uint64_t offset, Bytes data, Timestamp ts) override;
    void on_shift(FlowInfo& info, std::uint64_t n) override;
    void on_close(FlowInfo& info, const FlowSummary& summary) override;
    void flush() override;
    std::size_t read_back(FlowInfo& info, std::uint64_t offset, std::span<std::uint8_t> out) override;

    /// True once any write failed (the exit status reports it); call after flush().
    [[nodiscard]] bool had_errors() const noexcept;
    [[nodiscard]] std::size_t open_files() const noexcept;
    [[nodiscard]] std::size_t max_open_files_seen() const noexcept;
    /// The default -f: the process limit on descriptors less 24 (stdio, capture, report, slack).
    static int default_max_open() noexcept;
    /// With create_behind, descriptors whose close is queued may exceed -f by this many.
    static constexpr int kQueuedCloses = 8;
    /// Files the I/O thread created (create_behind).
    [[nodiscard]] std::size_t files_created_behind() const noexcept;
    /// Makes the output folder (and parents); throws std::system_error with the path on failure.
    static void make_dirs(const std::string& path, int uid = -1, int gid = -1);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tcpflow
