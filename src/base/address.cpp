#include "tcpflow/base/address.h"
#include "tcpflow/base/text.h"

#include <arpa/inet.h>

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
    std::string out;
    append_flow_string(out);
    return out;
}

std::string IpAddress::to_string() const {
    std::string out;
    append_string(out);
    return out;
}

void IpAddress::append_flow_string(std::string& out) const {
    if (family != 4) return append_string(out);
    for (std::size_t i = 0; i < 4; ++i) {
        if (i) out.push_back('.');
        text::append_uint_padded(out, bytes[i], 3);
    }
}

void IpAddress::append_string(std::string& out) const {
    if (family == 4) {
        for (std::size_t i = 0; i < 4; ++i) {
            if (i) out.push_back('.');
            text::append_uint(out, bytes[i]);
        }
        return;
    }
    char buf[INET6_ADDRSTRLEN] = {};
    if (family == 6 && inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf) != nullptr) {
        out += buf;
        return;
    }
    out += '?';
}

}  // namespace tcpflow
