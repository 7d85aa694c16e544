#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <string>

#include "tcpflow/base/address.h"

using tcpflow::Bytes;
using tcpflow::IpAddress;

TEST(Address, Ipv4FlowStringIsZeroPadded) {
    EXPECT_EQ(IpAddress::v4(10, 0, 0, 1).to_flow_string(), "010.000.000.001");
    EXPECT_EQ(IpAddress::v4(192, 168, 1, 253).to_flow_string(), "192.168.001.253");
    EXPECT_EQ(IpAddress::v4(10, 0, 0, 1).to_string(), "10.0.0.1");
    EXPECT_EQ(IpAddress::v4(255, 255, 255, 255).to_flow_string(), "255.255.255.255");
}

TEST(Address, Ipv6MatchesInetNtop) {
    for (const char* text : {"::1", "::", "2001:db8::1", "fe80::1:2:3:4", "2001:db8:0:0:1:0:0:1", "::ffff:1.2.3.4",
                             "2604:1380:4091:ce00::d", "1:2:3:4:5:6:7:8", "1::", "0:0:1::"}) {
        std::uint8_t buf[16];
        ASSERT_EQ(inet_pton(AF_INET6, text, buf), 1) << text;
        char expect[INET6_ADDRSTRLEN];
        ASSERT_NE(inet_ntop(AF_INET6, buf, expect, sizeof expect), nullptr);
        const IpAddress a = IpAddress::v6(Bytes{buf, 16});
        EXPECT_EQ(a.to_flow_string(), expect);
        EXPECT_EQ(a.to_string(), expect);
    }
}

TEST(Address, FamiliesCompareDistinct) {
    const std::uint8_t four[4] = {1, 2, 3, 4};
    const std::uint8_t sixteen[16] = {1, 2, 3, 4};
    EXPECT_NE(IpAddress::v4(Bytes{four, 4}), IpAddress::v6(Bytes{sixteen, 16}));
    EXPECT_EQ(IpAddress::v4(Bytes{four, 4}), IpAddress::v4(1, 2, 3, 4));
    EXPECT_EQ(IpAddress::v4(1, 2, 3, 4).family, 4);
}
