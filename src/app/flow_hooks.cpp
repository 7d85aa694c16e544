#include "tcpflow/app/flow_hooks.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace tcpflow {

void FlowHooks::alert(const char* what, const std::string& path) {
    if (alert_fd_ < 0) return;
    const std::string line = std::string(what) + "\t" + path + "\n";
    const char* p = line.data();
    std::size_t n = line.size();
    while (n > 0) {
        const ssize_t w = ::write(alert_fd_, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (!alert_warned_)
                diag_.error("cannot write to alert descriptor " + std::to_string(alert_fd_) + ": " + std::strerror(errno));
            alert_warned_ = true;
            failed_ = true;
            return;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

void FlowHooks::opened(const std::string& path) { alert("open", path); }

void FlowHooks::reap(bool block_for_one) {
    for (auto it = running_.begin(); it != running_.end();) {
        int status = 0;
        const pid_t r = ::waitpid(*it, &status, WNOHANG);
        if (r == *it || (r < 0 && errno == ECHILD)) {
            it = running_.erase(it);
        } else {
            ++it;
        }
    }
    if (block_for_one && !running_.empty()) {
        int status = 0;
        while (::waitpid(running_.front(), &status, 0) < 0 && errno == EINTR) {
        }
        running_.pop_front();
    }
}

void FlowHooks::closed(const std::string& path) {
    alert("close", path);
    if (command_.empty()) return;
    reap(false);
    while (running_.size() >= kMaxRunning) reap(true);
    std::fflush(nullptr);   // nothing buffered is written twice by the child
    const pid_t pid = ::fork();
    if (pid < 0) {
        diag_.error("cannot run " + command_ + ": " + std::strerror(errno));
        failed_ = true;
        return;
    }
    if (pid == 0) {
        const std::string script = command_ + " \"$1\"";
        ::execl("/bin/sh", "sh", "-c", script.c_str(), "sh", path.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    running_.push_back(pid);
}

void FlowHooks::wait_all() {
    while (!running_.empty()) reap(true);
}

}  // namespace tcpflow
