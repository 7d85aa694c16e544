// console_sink.h: -c / -C console output. A FlowSink that prints each flow's bytes as the core
// delivers them (in stream order), in tcpflow 1.6.1's formats:
//
//   -c        "PATH: " + payload + "\n"        (PATH = output folder prefix + flow name)
//   -C        payload + "\n"                   (no header)
//   -0        no trailing "\n"
//   default   bytes other than printable ASCII, '\n' and '\r' become '.'; -B prints raw bytes
//   -D        "PATH: \n" then lines "%04x: " + hex in 2-byte groups + " " + ASCII column,
//             32 bytes a line; short lines padded to the widest line of the same chunk
//   -g        "\033[0;34m" (client to server) or "\033[0;31m" (server to client) before the
//             header, "\033[0m" after the payload, before the "\n"
//   -J        {"src_host":"10.0.0.1","src_port":1234,"dst_host":"10.0.0.2","dst_port":80,"payload": [71,69,84]}
//             (no header; addresses from the flow itself, so -o and IPv6 are right, unlike 1.6.1;
//             a UDP flow's block has "protocol":"udp" after dst_port)
//
// Each delivered chunk is formatted into one buffer and written with a single fwrite; the stream
// is flushed by flush() (the pipeline calls it at least every 100 ms) and at destruction.
// With -L (use_semaphore) each chunk is written and flushed while holding a named POSIX semaphore.
// The -b byte limit is applied by the core, not here.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>

#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/flow/naming.h"
#include "tcpflow/app/options.h"

namespace tcpflow {

class ConsoleSink : public FlowSink {
public:
    /// The header path of a flow direction (e.g. "co/010.000.000.001.01234-010.000.000.002.00080").
    using PathFunction = std::function<std::string(const FlowInfo&)>;

    /// `out` is not owned (normally stdout).
    ConsoleSink(std::FILE* out, const ConsoleOptions& options, PathFunction path);
    ~ConsoleSink() override;
    ConsoleSink(const ConsoleSink&) = delete;
    ConsoleSink& operator=(const ConsoleSink&) = delete;

    /// A PathFunction from a name template and -o folder: "<outdir>/<name>" ("<name>" for "." or "").
    [[nodiscard]] static PathFunction template_path(NameTemplate tmpl, std::string outdir) {
        if (outdir == ".") outdir.clear();
        while (outdir.size() > 1 && outdir.back() == '/') outdir.pop_back();
        if (!outdir.empty() && outdir != "/") outdir.push_back('/');
        return [tmpl = std::move(tmpl), outdir = std::move(outdir)](const FlowInfo& info) {
            // A TLS direction's plaintext (--tls-keylog): "NAME.tls (decrypted TLS)".
            if (info.path_suffix != nullptr) return outdir + tmpl.expand(info.name, 0) + info.path_suffix + " (decrypted TLS)";
            return outdir + tmpl.expand(info.name, 0);
        };
    }

    void on_open(FlowInfo& info, Timestamp ts) override;
    void on_data(FlowInfo& info, std::uint64_t offset, Bytes data, Timestamp ts) override;
    void on_shift(FlowInfo& info, std::uint64_t n) override;
    void on_close(FlowInfo& info, const FlowSummary& summary) override;
    void flush() override;

    /// Formats one delivered chunk exactly as on_data prints it (exposed for tests).
    [[nodiscard]] std::string format(const FlowInfo& info, const std::string& path, Bytes data) const;

    /// -L: hold the named POSIX semaphore (created with value 1 if missing; a leading '/' is
    /// added when absent) around each chunk, which is then flushed before the semaphore is
    /// released. Throws std::runtime_error naming the semaphore and the reason.
    void use_semaphore(const std::string& name);

    /// True once a write to `out` failed (e.g. closed pipe).
    [[nodiscard]] bool write_failed() const noexcept { return write_failed_; }
    /// errno of the first failed write (EPIPE: the reader went away); 0 when none failed.
    [[nodiscard]] int write_error() const noexcept { return write_errno_; }

private:
    const std::string& path_for(FlowInfo& info);

    std::FILE* out_;
    ConsoleOptions options_;
    PathFunction path_;
    std::unordered_map<std::uint32_t, std::string> paths_;   ///< by sink_handle
    std::uint32_t next_handle_ = 1;
    bool write_failed_ = false;
    int write_errno_ = 0;
    void note_failure() noexcept;
    void* semaphore_ = nullptr;   ///< sem_t* (-L), kept opaque
};

}  // namespace tcpflow
