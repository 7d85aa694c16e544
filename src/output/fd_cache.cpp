// fd_cache.cpp: the default descriptor bound (see fd_cache.h; the rest is inline, per write).
#include "tcpflow/output/fd_cache.h"

#include <sys/resource.h>

namespace tcpflow {

int FdCache::default_limit() noexcept {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        const auto n = static_cast<long long>(rl.rlim_cur) - 24;   // stdio, capture, report, index, slack
        return n < 4 ? 4 : static_cast<int>(std::min<long long>(n, 1 << 20));
    }
    return 1000;
}

}  // namespace tcpflow
