// flow_hooks.h: -S tcp_alert_fd / tcp_cmd (and http_alert_fd / http_cmd): tell another program
// about output files (adapter: writes to a descriptor, forks commands).
//
// opened(path) writes "open\t<path>\n" to the alert descriptor; closed(path) writes
// "close\t<path>\n" and runs `/bin/sh -c 'CMD "$1"' sh <path>` (the path is a positional
// argument, never re-parsed by the shell). At most 10 commands run at once (the 11th waits for
// the oldest); finished ones are reaped as we go, and wait_all() (also run by the destructor)
// waits for the rest.
#pragma once

#include <cstdint>
#include <deque>
#include <string>

#include <sys/types.h>

#include "tcpflow/output/diagnostics.h"

namespace tcpflow {

class FlowHooks {
public:
    static constexpr std::size_t kMaxRunning = 10;

    FlowHooks(int alert_fd, std::string command, Diagnostics& diag = default_diagnostics())
        : alert_fd_{alert_fd}, command_{std::move(command)}, diag_{diag} {}
    ~FlowHooks() { wait_all(); }
    FlowHooks(const FlowHooks&) = delete;
    FlowHooks& operator=(const FlowHooks&) = delete;

    [[nodiscard]] bool active() const noexcept { return alert_fd_ >= 0 || !command_.empty(); }
    void opened(const std::string& path);
    void closed(const std::string& path);
    void wait_all();
    /// False once the alert descriptor could not be written or a command could not be started.
    [[nodiscard]] bool failed() const noexcept { return failed_; }

private:
    void alert(const char* what, const std::string& path);
    void reap(bool block_for_one);

    int alert_fd_;
    std::string command_;
    Diagnostics& diag_;
    std::deque<pid_t> running_;
    bool failed_ = false;
    bool alert_warned_ = false;
};

}  // namespace tcpflow
