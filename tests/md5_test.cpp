// md5_test: RFC 1321 appendix A.5 test suite, incremental == one-shot.
#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "tcpflow/content/md5.h"

using tcpflow::Bytes;
using tcpflow::Md5;

namespace {
Bytes as_bytes(std::string_view s) {
    return Bytes{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
}  // namespace

TEST(Md5, Rfc1321Vectors) {
    EXPECT_EQ(Md5::hex_of(as_bytes("")), "d41d8cd98f00b204e9800998ecf8427e");
    EXPECT_EQ(Md5::hex_of(as_bytes("a")), "0cc175b9c0f1b6a831c399e269772661");
    EXPECT_EQ(Md5::hex_of(as_bytes("abc")), "900150983cd24fb0d6963f7d28e17f72");
    EXPECT_EQ(Md5::hex_of(as_bytes("message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
    EXPECT_EQ(Md5::hex_of(as_bytes("abcdefghijklmnopqrstuvwxyz")), "c3fcd3d76192e4007dfb496cca67e13b");
    EXPECT_EQ(Md5::hex_of(as_bytes("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")),
              "d174ab98d277d9f5a5611c2c9f419d9f");
    EXPECT_EQ(Md5::hex_of(as_bytes("1234567890123456789012345678901234567890123456789012345678901234567890"
                                   "1234567890")),
              "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Md5, IncrementalEqualsOneShot) {
    std::vector<std::uint8_t> data(10000);
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7 + i / 13);
    const std::string want = Md5::hex_of(Bytes{data});
    for (const std::size_t step : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 127u, 4096u}) {
        Md5 h;
        for (std::size_t pos = 0; pos < data.size(); pos += step) {
            h.update(Bytes{data}.subspan(pos, std::min(step, data.size() - pos)));
        }
        EXPECT_EQ(Md5::hex(h.finish()), want) << "step " << step;
    }
}

TEST(Md5, FinishResets) {
    Md5 h;
    h.update(as_bytes("junk"));
    (void)h.finish();
    h.update(as_bytes("abc"));
    EXPECT_EQ(Md5::hex(h.finish()), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(Md5, EmptyUpdates) {
    Md5 h;
    h.update(Bytes{});
    h.update(as_bytes("a"));
    h.update(Bytes{});
    EXPECT_EQ(Md5::hex(h.finish()), "0cc175b9c0f1b6a831c399e269772661");
}
