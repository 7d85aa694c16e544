// exit_status.h: the process exit statuses (SPEC section 2), chosen in one place (main).
#pragma once

namespace tcpflow {

enum class ExitStatus : int {
    ok = 0,        ///< everything worked
    failure = 1,   ///< a runtime failure: unreadable input, truncated capture, write error
    usage = 2,     ///< a usage error (bad option, bad value, bad BPF expression)
};

[[nodiscard]] constexpr int to_int(ExitStatus s) noexcept { return static_cast<int>(s); }

}  // namespace tcpflow
