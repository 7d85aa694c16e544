// text.h: appending numbers, addresses and times to a string without printf.
//
// Flow names and report lines are made once per flow file; at 100,000 connections a second the
// printf family (format parsing, locale, padding loops) was the largest user-space cost. These
// helpers write the same text directly.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace tcpflow::text {

/// Decimal, no padding.
void append_uint(std::string& out, std::uint64_t v);
/// Decimal, zero-padded to at least `width` digits (as printf's %0<width>u).
void append_uint_padded(std::string& out, std::uint64_t v, unsigned width);
/// Signed decimal (as printf's %lld).
void append_int(std::string& out, std::int64_t v);
/// Two lower-case hex digits.
void append_hex2(std::string& out, std::uint8_t b);
/// aa:bb:cc:dd:ee:ff in lower case.
void append_mac(std::string& out, const std::array<std::uint8_t, 6>& mac);

/// UTC calendar fields of a count of seconds since the epoch (proleptic Gregorian, any year that
/// fits; no time-zone data, no locale).
struct CivilTime {
    std::int64_t year = 1970;
    unsigned month = 1, day = 1, hour = 0, minute = 0, second = 0;
};
[[nodiscard]] CivilTime civil_from_epoch(std::int64_t secs) noexcept;

/// YYYY-MM-DDTHH:MM:SS (no zone letter); a year outside 0..9999 is written as it is.
void append_iso8601_seconds(std::string& out, std::int64_t secs);

/// Length of the valid UTF-8 sequence at s[i] (no overlong forms, surrogates or noncharacters
/// U+FFFE/U+FFFF), or 0 when invalid or s[i] is ASCII.
[[nodiscard]] std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept;

}  // namespace tcpflow::text
