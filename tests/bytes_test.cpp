#include <gtest/gtest.h>

#include <vector>

#include "tcpflow/base/bytes.h"

using tcpflow::ByteReader;
using tcpflow::Bytes;

TEST(ByteReader, ReadsBigAndLittleEndian) {
    const std::vector<std::uint8_t> d = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d};
    ByteReader r{Bytes{d}};
    EXPECT_EQ(r.u8(), 0x01);
    EXPECT_EQ(r.be16(), 0x0203);
    EXPECT_EQ(r.be32(), 0x04050607u);
    EXPECT_EQ(r.le16(), 0x0908);
    EXPECT_EQ(r.le32(), 0x0d0c0b0au);
    EXPECT_EQ(r.remaining(), 0u);
    EXPECT_FALSE(r.u8().has_value());
}

TEST(ByteReader, ReadsPastTheEndFailWithoutMoving) {
    const std::vector<std::uint8_t> d = {1, 2, 3};
    ByteReader r{Bytes{d}};
    EXPECT_FALSE(r.be32().has_value());
    EXPECT_FALSE(r.le32().has_value());
    EXPECT_EQ(r.position(), 0u);
    EXPECT_FALSE(r.skip(4));
    EXPECT_EQ(r.position(), 0u);
    EXPECT_FALSE(r.take(4).has_value());
    EXPECT_TRUE(r.can_read(3));
    EXPECT_FALSE(r.can_read(4));
    EXPECT_TRUE(r.skip(1));
    EXPECT_FALSE(r.be16().has_value() && r.be16().has_value());
    ByteReader e{Bytes{}};
    EXPECT_FALSE(e.u8().has_value());
    EXPECT_FALSE(e.be16().has_value());
    EXPECT_FALSE(e.le16().has_value());
    EXPECT_TRUE(e.skip(0));
    EXPECT_EQ(e.take(0)->size(), 0u);
}

TEST(ByteReader, TakeRestAndPeek) {
    const std::vector<std::uint8_t> d = {1, 2, 3, 4, 5};
    ByteReader r{Bytes{d}};
    const auto t = r.take(2);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ((*t)[1], 2);
    EXPECT_EQ(r.rest().size(), 3u);
    EXPECT_EQ(r.rest()[0], 3);
    EXPECT_EQ(r.peek_u8(0), 1);   // absolute offsets
    EXPECT_EQ(r.peek_u8(4), 5);
    EXPECT_FALSE(r.peek_u8(5).has_value());
    EXPECT_EQ(r.peek_be16(3), 0x0405);
    EXPECT_FALSE(r.peek_be16(4).has_value());
    EXPECT_FALSE(r.peek_be16(static_cast<std::size_t>(-1)).has_value());
    EXPECT_EQ(r.position(), 2u);
}
