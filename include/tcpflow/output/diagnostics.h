// diagnostics.h: the one place that prints messages for the user on standard error (adapter).
//
// Every message is one line, "PREFIX: text" (PREFIX is "tcpflow", or -S debug-prefix). Errors are
// always printed and counted (the exit status reports them); warnings are dropped with -q; debug
// lines print when -d is at least their level. Lines from several threads never interleave (one
// write(2) per line). Adapters get a Diagnostics& instead of writing to stderr themselves.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tcpflow {

struct DiagnosticsSettings {
    std::string prefix = "tcpflow";   ///< -S debug-prefix
    bool quiet = false;               ///< -q: no warnings
    int debug = 1;                    ///< -d level
    int fd = 2;                       ///< where lines go (standard error; tests use a pipe)
};

class Diagnostics {
public:
    explicit Diagnostics(DiagnosticsSettings settings = {});

    /// A failure the exit status must report (a file that cannot be written, a bad input...).
    void error(std::string_view text);
    /// Something the user should know that is not a failure (dropped by -q).
    void warning(std::string_view text);
    /// A plain informational line (always printed; "terminating orderly", counters).
    void info(std::string_view text);
    /// A block of several lines printed as it is (no prefix), dropped by -q like a warning.
    void warning_block(std::string_view text);
    /// Printed when -d is at least `level`.
    void debug(int level, std::string_view text);

    /// Errors reported so far.
    [[nodiscard]] std::uint64_t errors() const noexcept { return errors_.load(std::memory_order_relaxed); }
    [[nodiscard]] const DiagnosticsSettings& settings() const noexcept { return settings_; }

    /// A status line of `width` columns is on the terminal (0: none): each message first erases
    /// it ("\r", spaces, "\r", in the same write) so that it prints on a line of its own.
    void set_status_width(std::size_t width) noexcept { status_width_.store(width, std::memory_order_relaxed); }

    /// "cannot write PATH: reason" style helper: `what` `path`: strerror(err).
    static std::string describe(std::string_view what, std::string_view path, int err);
    /// "PATH was removed during the run: what was written into it is lost".
    static std::string removed(std::string_view path);

private:
    void line(std::string_view text) const;
    void write_out(std::string_view text) const;

    DiagnosticsSettings settings_;
    std::atomic<std::uint64_t> errors_{0};
    std::atomic<std::size_t> status_width_{0};
};

/// A process-wide fallback for code that has no Diagnostics handed to it (standard error, default
/// settings). Prefer passing the run's own.
Diagnostics& default_diagnostics();

}  // namespace tcpflow
