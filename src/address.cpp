#include "tcpflow/address.h"

#include <arpa/inet.h>

#include <cstdio>

namespace tcpflow {

IpAddress IpAddress::v4(Bytes four) noexcept {
    IpAddress a;
    a.family = 4;
    for (std::size_t i = 0; i < 4 && i < four.size(); ++i) a.bytes[i] = four[i];
    return a;
}

IpAddress IpAddress::v6(Bytes sixteen) noexcept {
    IpAddress a;
    a.family = 6;
    for (std::size_t i = 0; i < 16 && i < sixteen.size(); ++i) a.bytes[i] = sixteen[i];
    return a;
}

IpAddress IpAddress::v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) noexcept {
    const std::uint8_t raw[4] = {a, b, c, d};
    return v4(Bytes{raw, 4});
}

std::string IpAddress::to_flow_string() const {
    if (family == 4) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%03u.%03u.%03u.%03u", bytes[0], bytes[1], bytes[2], bytes[3]);
        return buf;
    }
    return to_string();
}

std::string IpAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (family == 4) {
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", bytes[0], bytes[1], bytes[2], bytes[3]);
        return buf;
    }
    if (family == 6 && inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf) != nullptr) return buf;
    return "?";
}

}  // namespace tcpflow
