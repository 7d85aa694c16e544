// text.cpp: appending numbers, addresses and times to a string without printf (see text.h).
#include "tcpflow/base/text.h"

#include <charconv>

namespace tcpflow::text {

void append_uint(std::string& out, std::uint64_t v) {
    char buf[20];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void append_uint_padded(std::string& out, std::uint64_t v, unsigned width) {
    char buf[20];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    const auto n = static_cast<std::size_t>(r.ptr - buf);
    if (n < width) out.append(width - n, '0');
    out.append(buf, n);
}

void append_int(std::string& out, std::int64_t v) {
    char buf[21];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

void append_hex2(std::string& out, std::uint8_t b) {
    static constexpr char kDigits[] = "0123456789abcdef";
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
}

void append_mac(std::string& out, const std::array<std::uint8_t, 6>& mac) {
    for (std::size_t i = 0; i < mac.size(); ++i) {
        if (i) out.push_back(':');
        append_hex2(out, mac[i]);
    }
}

CivilTime civil_from_epoch(std::int64_t secs) noexcept {
    // Days and the second of the day, rounding towards minus infinity.
    std::int64_t days = secs / 86400;
    std::int64_t rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        --days;
    }
    // Howard Hinnant's civil_from_days (public domain algorithm): eras of 400 years from 0000-03-01.
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<std::uint64_t>(z - era * 146097);                  // [0, 146096]
    const std::uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;   // [0, 399]
    const std::uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
    const std::uint64_t mp = (5 * doy + 2) / 153;                                      // [0, 11]
    CivilTime t;
    t.day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
    t.month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
    t.year = static_cast<std::int64_t>(yoe) + era * 400 + (t.month <= 2 ? 1 : 0);
    t.hour = static_cast<unsigned>(rem / 3600);
    t.minute = static_cast<unsigned>(rem / 60 % 60);
    t.second = static_cast<unsigned>(rem % 60);
    return t;
}

void append_iso8601_seconds(std::string& out, std::int64_t secs) {
    const CivilTime t = civil_from_epoch(secs);
    if (t.year >= 0) {
        append_uint_padded(out, static_cast<std::uint64_t>(t.year), 4);
    } else {
        append_int(out, t.year);
    }
    out.push_back('-');
    append_uint_padded(out, t.month, 2);
    out.push_back('-');
    append_uint_padded(out, t.day, 2);
    out.push_back('T');
    append_uint_padded(out, t.hour, 2);
    out.push_back(':');
    append_uint_padded(out, t.minute, 2);
    out.push_back(':');
    append_uint_padded(out, t.second, 2);
}

std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned min = 0;
    unsigned cp = 0;
    if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1fu; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0fu; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07u; min = 0x10000; }
    else return 0;
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        const auto d = static_cast<unsigned char>(s[i + k]);
        if ((d & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (d & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff) return 0;
    return n;
}

}  // namespace tcpflow::text
