// console_test: the console formats of -c -C -0 -B -D -g -J, captured with open_memstream.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "tcpflow/output/console_sink.h"

using namespace tcpflow;

namespace {

const std::string kPath = "co/010.000.000.001.01234-010.000.000.002.00080";

Bytes as_bytes(std::string_view s) {
    return Bytes{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

FlowInfo v4_flow(bool client = true) {
    FlowInfo f;
    f.name.src = IpAddress::v4(10, 0, 0, 1);
    f.name.dst = IpAddress::v4(10, 0, 0, 2);
    f.name.sport = 1234;
    f.name.dport = 80;
    f.client_to_server = client;
    return f;
}

/// Runs one flow through a ConsoleSink writing to a memory stream; returns what was printed.
std::string capture(const ConsoleOptions& opt, FlowInfo flow, std::initializer_list<std::string_view> chunks) {
    char* buf = nullptr;
    std::size_t len = 0;
    std::FILE* f = open_memstream(&buf, &len);
    EXPECT_NE(f, nullptr);
    {
        ConsoleSink sink(f, opt, [](const FlowInfo&) { return kPath; });
        sink.on_open(flow, Timestamp{});
        std::uint64_t off = 0;
        for (const std::string_view c : chunks) {
            sink.on_data(flow, off, as_bytes(c), Timestamp{});
            off += c.size();
        }
        sink.on_close(flow, FlowSummary{});
        sink.flush();
        EXPECT_FALSE(sink.write_failed());
    }
    std::fclose(f);
    std::string out(buf, len);
    std::free(buf);
    return out;
}

ConsoleOptions c_opts() {
    ConsoleOptions o;
    o.enabled = true;
    o.header = true;
    return o;
}

}  // namespace

TEST(Console, HeaderAndPayload) {
    EXPECT_EQ(capture(c_opts(), v4_flow(), {"GET / HTTP/1.0\r\n\r\n"}), kPath + ": GET / HTTP/1.0\r\n\r\n\n");
}

TEST(Console, EachChunkGetsItsHeader) {
    EXPECT_EQ(capture(c_opts(), v4_flow(), {"AB", "CD"}), kPath + ": AB\n" + kPath + ": CD\n");
}

TEST(Console, NoHeader) {
    ConsoleOptions o = c_opts();
    o.header = false;
    EXPECT_EQ(capture(o, v4_flow(), {"hello"}), "hello\n");
}

TEST(Console, NoNewline) {
    ConsoleOptions o = c_opts();
    o.no_newline = true;
    EXPECT_EQ(capture(o, v4_flow(), {"hello"}), kPath + ": hello");
}

TEST(Console, StripsNonPrintablesUnlessBinary) {
    const std::string raw("a\x01\x7f\xff\tb\r\n", 8);
    EXPECT_EQ(capture(c_opts(), v4_flow(), {raw}), kPath + ": a....b\r\n\n");
    ConsoleOptions o = c_opts();
    o.binary = true;
    EXPECT_EQ(capture(o, v4_flow(), {raw}), kPath + ": " + raw + "\n");
}

TEST(Console, HexDump) {
    ConsoleOptions o = c_opts();
    o.hex = true;
    EXPECT_EQ(capture(o, v4_flow(), {"GET / HTTP/1.0\r\n\r\n"}),
              kPath + ": \n0000: 4745 5420 2f20 4854 5450 2f31 2e30 0d0a 0d0a  GET / HTTP/1.0....\n\n");
}

TEST(Console, HexDumpMultiLinePadsShortLine) {
    ConsoleOptions o = c_opts();
    o.hex = true;
    o.header = false;
    std::string data(35, 'A');
    const std::string out = capture(o, v4_flow(), {data});
    const std::string line1 = "0000: " + [] {
        std::string h;
        for (int i = 0; i < 16; ++i) h += "4141 ";
        return h;
    }() + " " + std::string(32, 'A') + "\n";
    const std::string hex2 = "0020: 4141 41";
    const std::string line2 = hex2 + std::string(line1.size() - 34 - hex2.size(), ' ') + " AAA\n";
    EXPECT_EQ(out, line1 + line2 + "\n");
}

TEST(Console, Colour) {
    ConsoleOptions o = c_opts();
    o.color = true;
    EXPECT_EQ(capture(o, v4_flow(true), {"GET"}), "\033[0;34m" + kPath + ": GET\033[0m\n");
    EXPECT_EQ(capture(o, v4_flow(false), {"200"}), "\033[0;31m" + kPath + ": 200\033[0m\n");
}

TEST(Console, JsonIpv4) {
    ConsoleOptions o = c_opts();
    o.json = true;
    EXPECT_EQ(capture(o, v4_flow(), {"GET"}),
              "{\"src_host\":\"10.0.0.1\",\"src_port\":1234,\"dst_host\":\"10.0.0.2\",\"dst_port\":80,"
              "\"payload\": [71,69,84]}\n");
}

TEST(Console, JsonIpv6) {
    ConsoleOptions o = c_opts();
    o.json = true;
    FlowInfo f;
    const std::uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    const std::uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    f.name.src = IpAddress::v6(Bytes{a});
    f.name.dst = IpAddress::v6(Bytes{b});
    f.name.sport = 40000;
    f.name.dport = 443;
    EXPECT_EQ(capture(o, f, {std::string_view("\0\xff", 2)}),
              "{\"src_host\":\"2001:db8::1\",\"src_port\":40000,\"dst_host\":\"2001:db8::2\",\"dst_port\":443,"
              "\"payload\": [0,255]}\n");
}

TEST(Console, LargeChunkWrittenWhole) {
    ConsoleOptions o = c_opts();
    o.binary = true;
    o.header = false;
    o.no_newline = true;
    const std::string big(1 << 20, 'z');
    EXPECT_EQ(capture(o, v4_flow(), {big}), big);
}
