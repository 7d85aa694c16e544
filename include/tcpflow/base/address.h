// address.h: an IPv4 or IPv6 address as a value, and its textual forms.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>

#include "tcpflow/base/bytes.h"

namespace tcpflow {

struct IpAddress {
    std::uint8_t family = 0;                 ///< 4 or 6; 0 = unset
    std::array<std::uint8_t, 16> bytes{};    ///< IPv4 uses the first 4 bytes, the rest stay 0

    static IpAddress v4(Bytes four) noexcept;      ///< four.size() must be 4
    static IpAddress v6(Bytes sixteen) noexcept;   ///< sixteen.size() must be 16
    static IpAddress v4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) noexcept;

    /// tcpflow's form: IPv4 as zero-padded dotted quad (010.000.000.001), IPv6 as inet_ntop text.
    [[nodiscard]] std::string to_flow_string() const;
    /// Plain text: IPv4 dotted quad without padding (10.0.0.1), IPv6 as inet_ntop text.
    [[nodiscard]] std::string to_string() const;
    /// The same texts, appended to `out`.
    void append_flow_string(std::string& out) const;
    void append_string(std::string& out) const;

    friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
};

}  // namespace tcpflow
