// text_test: the printf-free number, MAC and date appenders against printf and gmtime_r.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <string>

#include "tcpflow/base/text.h"

using namespace tcpflow;

namespace {
std::string padded(std::uint64_t v, unsigned w) {
    std::string s;
    text::append_uint_padded(s, v, w);
    return s;
}
}  // namespace

TEST(Text, NumbersMatchPrintf) {
    for (const std::uint64_t v : {0ull, 1ull, 9ull, 10ull, 99ull, 255ull, 1000ull, 65535ull, 18446744073709551615ull}) {
        char want[32];
        std::snprintf(want, sizeof want, "%" PRIu64, v);
        std::string got;
        text::append_uint(got, v);
        EXPECT_EQ(got, want);
        std::snprintf(want, sizeof want, "%05" PRIu64, v);
        EXPECT_EQ(padded(v, 5), want);
        std::snprintf(want, sizeof want, "%020" PRIu64, v);
        EXPECT_EQ(padded(v, 20), want);
    }
    std::string s;
    text::append_int(s, -1234567890123);
    EXPECT_EQ(s, "-1234567890123");
}

TEST(Text, MacIsLowerCaseHex) {
    std::string s;
    text::append_mac(s, {0x00, 0x1b, 0xFF, 0xa0, 0x09, 0x10});
    EXPECT_EQ(s, "00:1b:ff:a0:09:10");
}

// Every day from 1900 to 2200 (and the seconds of one day), negative times included, against
// the C library's gmtime_r.
TEST(Text, CivilTimeMatchesGmtime) {
    const std::int64_t from = -2208988800LL, to = 7258118400LL;   // 1900-01-01 .. 2200-01-01
    for (std::int64_t t = from; t < to; t += 86400 + 3607) {
        const auto tt = static_cast<std::time_t>(t);
        std::tm tm{};
        ASSERT_NE(gmtime_r(&tt, &tm), nullptr);
        char want[40];
        std::strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%S", &tm);
        std::string got;
        text::append_iso8601_seconds(got, t);
        ASSERT_EQ(got, want) << t;
    }
    std::string s;
    text::append_iso8601_seconds(s, 1600000000);
    EXPECT_EQ(s, "2020-09-13T12:26:40");
    s.clear();
    text::append_iso8601_seconds(s, -1);
    EXPECT_EQ(s, "1969-12-31T23:59:59");
    s.clear();
    text::append_iso8601_seconds(s, 951782400);   // leap day
    EXPECT_EQ(s, "2000-02-29T00:00:00");
}
