// netns.h: the live tests' private network namespace (this thread and the processes it starts),
// left again on destruction; what the namespace holds (veth pairs, lo) goes with it.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace tcpflow::test {

class EnteredNetns {
public:
    EnteredNetns() {
        if (geteuid() != 0) {
            why_ = "needs root to create a network namespace and capture (run the test as root)";
            return;
        }
        orig_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (orig_ < 0) {
            why_ = std::string("cannot open /proc/self/ns/net: ") + std::strerror(errno);
            return;
        }
        if (unshare(CLONE_NEWNET) != 0) {
            why_ = std::string("cannot create a network namespace: ") + std::strerror(errno);
            return;
        }
        entered_ = true;
    }
    ~EnteredNetns() {
        if (entered_ && setns(orig_, CLONE_NEWNET) != 0) std::perror("setns back");
        if (orig_ >= 0) close(orig_);
    }
    EnteredNetns(const EnteredNetns&) = delete;
    EnteredNetns& operator=(const EnteredNetns&) = delete;
    /// False with why() saying what failed.
    [[nodiscard]] bool entered() const { return entered_; }
    [[nodiscard]] const std::string& why() const { return why_; }

private:
    int orig_ = -1;
    bool entered_ = false;
    std::string why_;
};

}  // namespace tcpflow::test
