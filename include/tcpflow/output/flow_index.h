// flow_index.h: the flow index writer (--flow-index): one JSON line per connection
// (content/flow_record.h builds it), written when the connection ends.
//
// Adapter: owns the file. Directions report what the finisher found in their files (md5,
// sha256, HTTP bodies) as they close; the connection's end writes the record and forgets them.
// Records are in the order connections end (not sorted: sort by "id"); with -j the order of two
// connections that end close together may change from run to run, the records do not. Live
// capture flushes every record at once (tail -f); reading files, records are written in blocks
// and at the end. Not thread-safe: the finisher calls it under its lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "tcpflow/content/flow_record.h"
#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/output/posix_io.h"

namespace tcpflow {

class FlowIndexWriter {
public:
    /// Creates the index at `path` (the first free name: pathc1... before the extension; a device
    /// or pipe as it is); "-" is standard output. nullptr and `error` set when it cannot.
    static std::unique_ptr<FlowIndexWriter> open(const std::string& path, FileOwner owner, std::string& error);
    ~FlowIndexWriter();
    FlowIndexWriter(const FlowIndexWriter&) = delete;
    FlowIndexWriter& operator=(const FlowIndexWriter&) = delete;

    /// Flow file paths are written relative to `folder` (the output folder; "." = as they are).
    void set_folder(std::string folder);
    void set_settings(const FlowRecordSettings& s) noexcept { settings_ = s; }
    /// Times with 9 fraction digits (else 6): the first capture's precision, known once it is open.
    void set_nanoseconds(bool on) noexcept { settings_.nanoseconds = on; }
    /// Every record is flushed at once (live capture).
    void set_flush_each(bool on) noexcept { flush_each_ = on; }

    /// A direction of connection `info.connection_id` closed; `extras` is what its file held.
    void add_extras(const FlowInfo& info, FlowRecordExtras extras);
    /// The connection ended: its record is written.
    void end(const ConnectionEnd& e);
    /// Writes what is buffered. False when a write failed (then failed() says so for good).
    bool flush();
    [[nodiscard]] bool failed() const noexcept { return err_ != 0; }
    [[nodiscard]] int error() const noexcept { return err_; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    FlowIndexWriter(int fd, std::string path, bool own) : fd_{fd}, own_{own}, path_{std::move(path)} {}
    [[nodiscard]] std::string_view relative(const std::string& path) const;

    int fd_ = -1;
    bool own_ = false;
    std::string path_;
    std::string folder_;
    FlowRecordSettings settings_;
    bool flush_each_ = false;
    int err_ = 0;
    std::string buf_;
    std::string line_;
    /// (connection id, first packet of the direction) -> what its file held.
    std::map<std::pair<std::uint64_t, std::uint64_t>, FlowRecordExtras> extras_;
};

}  // namespace tcpflow
