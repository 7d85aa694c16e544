// flow_finisher.h: the work done after a flow file is closed (adapter: reads the file back).
//
// For each closed flow direction: -e md5 hashes the file, -e http carves the bodies of the HTTP
// responses it holds into files of their own (chunked, gzip and deflate decoded; -Z keeps them
// compressed) and tells the http hooks, -S hash=sha256 hashes it with SHA-256 (OpenSSL), then the
// flow's <fileobject> goes into the report and what was found waits for the connection's end,
// when its flow index record is written (--flow-index).
// Safe to call from several threads at once (-j workers): one lock around the shared report and
// hooks.
#pragma once

#include <mutex>
#include <string>

#include "tcpflow/app/flow_hooks.h"
#include "tcpflow/app/options.h"
#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/output/diagnostics.h"
#include "tcpflow/output/file_sink.h"
#include "tcpflow/output/flow_index.h"
#include "tcpflow/output/posix_io.h"
#include "tcpflow/output/report.h"

namespace tcpflow {

class FlowFinisher {
public:
    /// `report` may be null (no report.xml). None of the references is owned.
    /// Body files are given to `owner` (sudo without -U), like every file the run creates.
    FlowFinisher(const Options& options, ReportWriter* report, FlowHooks& http_hooks, Diagnostics& diag,
                 FileOwner owner = {})
        : opt_{options}, report_{report}, http_hooks_{http_hooks}, diag_{diag}, owner_{owner} {}

    /// A flow direction is complete and its file closed; `file` says when writing it failed.
    void operator()(const FlowInfo& info, const FlowSummary& summary, const FileOutcome& file = {});
    /// A connection ended (both directions were given to operator() before): its index record.
    void connection_end(const ConnectionEnd& end);
    /// The flow index to write (not owned; null = none). Before the first flow closes.
    void set_index(FlowIndexWriter* index) noexcept { index_ = index; }

    /// SHA-256 of `data` in lower-case hex (OpenSSL's EVP).
    [[nodiscard]] static std::string sha256_hex(Bytes data);

    /// Body files are named "<flow file>-HTTPBODY-NNN[.ext]"; a name already taken gets "cN"
    /// before the extension (the first free one), so nothing is ever overwritten.
    [[nodiscard]] static std::string body_name(const std::string& flow_path, std::size_t index, std::string_view ext,
                                               unsigned collision);

private:
    void write_http_bodies(const std::string& path, Bytes stream, ReportExtras& extras);
    void add_to_index(const FlowInfo& info, const ReportExtras& extras);

    const Options& opt_;
    ReportWriter* report_;
    FlowIndexWriter* index_ = nullptr;
    FlowHooks& http_hooks_;
    Diagnostics& diag_;
    FileOwner owner_;
    std::mutex mu_;
};

}  // namespace tcpflow
