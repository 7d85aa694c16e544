// progress.h: what a run tells a terminal (adapter: reads the clock, writes to standard error).
//
// While files are read: one status line on standard error, redrawn at most 10 times a second
// (bytes read of the total of every -r/-R file, MB/s, packets, connections, files, elapsed time,
// time left) and erased at the end. Live: packets captured and dropped, connections open, bytes
// written. At the end: a few summary lines. plan_terminal() decides when (SPEC section 6: never
// when standard error is not a terminal). The clock is read by poll(), which the capture loop
// calls every 256 packets and whenever a live capture waits, never per packet.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tcpflow/app/options.h"
#include "tcpflow/base/stats.h"
#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/output/diagnostics.h"

namespace tcpflow {

/// Counts of closed flows and created files, from any thread (-j workers).
struct RunTally {
    std::atomic<std::uint64_t> files{0};               ///< flow files created
    std::atomic<std::uint64_t> directions_closed{0};
    std::atomic<std::uint64_t> with_holes{0};          ///< directions closed with a hole
    std::atomic<std::uint64_t> with_conflicts{0};      ///< directions closed with conflicting bytes
    std::atomic<std::uint64_t> bytes_stored{0};        ///< payload bytes placed in the streams
    void closed(const FlowSummary& s) noexcept;
};

/// A FlowSink that counts the bytes handed to the sink it wraps (the live line's "written").
/// One thread calls it (the sink's own); any thread may read bytes().
class CountingSink final : public FlowSink {
public:
    explicit CountingSink(std::unique_ptr<FlowSink> inner) : inner_{std::move(inner)} {}
    void on_open(FlowInfo& info, Timestamp ts) override { inner_->on_open(info, ts); }
    void on_data(FlowInfo& info, std::uint64_t offset, Bytes data, Timestamp ts) override {
        // One writer: a plain load and store, no locked instruction.
        bytes_.store(bytes_.load(std::memory_order_relaxed) + data.size(), std::memory_order_relaxed);
        inner_->on_data(info, offset, data, ts);
    }
    void on_shift(FlowInfo& info, std::uint64_t n) override { inner_->on_shift(info, n); }
    void on_close(FlowInfo& info, const FlowSummary& summary) override { inner_->on_close(info, summary); }
    std::size_t read_back(FlowInfo& info, std::uint64_t offset, std::span<std::uint8_t> out) override {
        return inner_->read_back(info, offset, out);
    }
    void flush() override { inner_->flush(); }
    [[nodiscard]] std::uint64_t bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }

private:
    std::unique_ptr<FlowSink> inner_;
    std::atomic<std::uint64_t> bytes_{0};
};

/// Where standard output and standard error go.
struct TerminalFacts {
    bool stderr_tty = false;
    bool stdout_tty = false;
    bool same_terminal = false;   ///< both are the same terminal device
};
[[nodiscard]] TerminalFacts terminal_facts();

struct TerminalPlan {
    bool progress = false;   ///< the status line
    bool summary = false;    ///< the lines at the end
};
/// progress: standard error is a terminal, no --no-progress, and either --progress or (no -q and
/// console output does not go to that same terminal). summary: standard error is a terminal and
/// no -q, or -v (debug 10 or more) anywhere.
[[nodiscard]] TerminalPlan plan_terminal(const Options& o, const TerminalFacts& t);

/// One state of the run, as the status line shows it.
struct ProgressSample {
    bool live = false;
    std::uint64_t bytes_read = 0;
    std::uint64_t bytes_total = 0;                ///< 0: unknown (standard input, a pipe)
    std::uint64_t packets = 0;
    std::uint64_t dropped = 0;                    ///< live: by the kernel and the interface
    std::optional<std::uint64_t> open, finished;  ///< connections (not known under -j)
    std::uint64_t directions_finished = 0;        ///< shown when connections are not known
    std::uint64_t files = 0;
    std::uint64_t bytes_written = 0;              ///< live
    double elapsed_s = 0;
};

/// "412 MB of 1.0 GB (40%), 380 MB/s, 61234 packets, 120 open, 2800 done, 5600 files, 0:01, 0:02 left"
[[nodiscard]] std::string format_progress(const ProgressSample& s);
/// "1.5 GB", "12 MB", "512 kB", "37 B" (powers of 1000, as MB/s).
[[nodiscard]] std::string human_bytes(std::uint64_t n);
/// "0:07", "12:34", "1:02:03".
[[nodiscard]] std::string clock_time(double seconds);

/// What the summary says.
struct SummaryFacts {
    bool live = false;
    std::uint64_t connections = 0;
    std::uint64_t files = 0;
    std::uint64_t bytes_written = 0;
    std::uint64_t bytes_read = 0;                 ///< capture bytes read (files)
    std::uint64_t with_holes = 0, with_conflicts = 0;
    std::string report_path;                      ///< "" = no report
    Stats stats;
    double elapsed_s = 0;
};
/// The summary lines (without the "tcpflow: " prefix).
[[nodiscard]] std::vector<std::string> summary_lines(const SummaryFacts& f);

/// The status line on a terminal. poll() reads the clock and redraws at most every 100 ms with
/// what `sample` says; clear() erases it.
class ProgressLine {
public:
    ProgressLine(Diagnostics& diag, std::function<ProgressSample()> sample, int fd = 2);
    ~ProgressLine();
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    void poll();
    void clear();
    [[nodiscard]] std::uint64_t redraws() const noexcept { return redraws_; }

private:
    void draw(const std::string& text);

    Diagnostics& diag_;
    std::function<ProgressSample()> sample_;
    int fd_;
    std::chrono::steady_clock::time_point last_{};
    std::size_t shown_ = 0;   // columns on the terminal now
    std::string last_text_;   // what is on it
    std::uint64_t redraws_ = 0;
};

}  // namespace tcpflow
