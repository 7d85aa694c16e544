#include "tcpflow/base/stats.h"

namespace tcpflow {

std::string_view counter_name(Counter c) noexcept {
    static constexpr std::string_view kNames[] = {
#define TCPFLOW_NAME(name) #name,
        TCPFLOW_COUNTERS(TCPFLOW_NAME)
#undef TCPFLOW_NAME
    };
    const auto i = static_cast<std::size_t>(c);
    return i < kCounterCount ? kNames[i] : std::string_view{"?"};
}

}  // namespace tcpflow
