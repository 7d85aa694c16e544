// The native pcapng reader, through CaptureFile: sections in either byte order, interfaces with
// their own link type, snaplen, if_tsresol and if_tsoffset; EPB, SPB and the obsolete Packet
// Block; custom, unknown, statistics blocks skipped, decryption secrets kept; damaged blocks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/capture_reading.h"
#include "support/pcapng_writer.h"
#include "tcpflow/capture/capture_file.h"

using namespace tcpflow;
using namespace tcpflow::test;

namespace {

constexpr std::int64_t kSec = 1'000'000'000;

}  // namespace

TEST(PcapngReader, InterfacesKeepTheirOwnLinkTypeSnaplenAndResolution) {
    PcapngWriter w;
    w.section();
    w.interface(1, 0);                        // Ethernet, microseconds, snaplen 0 = maximum
    w.interface(101, 20, 9);                  // raw IP, nanoseconds, snaplen 20
    w.interface(276, 1000, 0x80 | 20, 100);   // Linux cooked v2, 2^-20 s, +100 s
    w.interface(113, 0, 3, -5);               // cooked v1, milliseconds, -5 s
    w.epb(0, 1'600'000'000'123'456ULL, frame(60, 1));
    w.epb(1, 1'600'000'000'123'456'789ULL, frame(60, 2));
    w.epb(2, (1'600'000'000ULL << 20) | (1u << 19), frame(30, 3));   // half a second
    w.epb(3, 1'600'000'000'250ULL, frame(10, 4));
    for (const std::size_t step : {SIZE_MAX, std::size_t{1}, std::size_t{7}}) {
        auto f = open(w.bytes(), step);
        EXPECT_EQ(f.datalink(), 1);
        EXPECT_TRUE(f.nanosecond());
        const auto r = read_all(f);
        ASSERT_EQ(r.last, ReadResult::end) << r.error;
        ASSERT_EQ(r.packets.size(), 4u);
        EXPECT_EQ(r.packets[0].ns, 1'600'000'000 * kSec + 123'456'000);
        EXPECT_EQ(r.packets[0].dlt, 1);
        EXPECT_EQ(r.packets[0].data, frame(60, 1));
        EXPECT_EQ(r.packets[1].ns, 1'600'000'000 * kSec + 123'456'789);
        EXPECT_EQ(r.packets[1].dlt, 12);
        EXPECT_EQ(r.packets[1].data, head(frame(60, 2), 20)) << "cut to its snaplen";
        EXPECT_EQ(r.packets[1].wire_len, 60u);
        EXPECT_EQ(r.packets[2].ns, 1'600'000'100 * kSec + 500'000'000);
        EXPECT_EQ(r.packets[2].dlt, 276);
        EXPECT_EQ(r.packets[2].data, frame(30, 3));
        EXPECT_EQ(r.packets[3].ns, 1'599'999'995 * kSec + 250'000'000);
        EXPECT_EQ(r.packets[3].dlt, 113);
    }
}

TEST(PcapngReader, TimeResolutions) {
    PcapngReader::Interface ifc;
    ifc.exponent = 0;
    EXPECT_EQ(PcapngReader::to_time(ifc, 5).ns, 5 * kSec);
    ifc.exponent = 12;   // picoseconds
    EXPECT_EQ(PcapngReader::to_time(ifc, 1'000'000'000'001'999ULL).ns, 1000 * kSec + 1);
    ifc.exponent = 19;
    EXPECT_EQ(PcapngReader::to_time(ifc, 10'000'000'000'000'000'000ULL).ns, 1 * kSec);
    ifc.binary = true;
    ifc.exponent = 0;
    EXPECT_EQ(PcapngReader::to_time(ifc, 7).ns, 7 * kSec);
    ifc.exponent = 63;
    EXPECT_EQ(PcapngReader::to_time(ifc, (1ULL << 63) | (1ULL << 62)).ns, kSec + 500'000'000);
    ifc.exponent = 10;
    ifc.offset_s = -2;
    EXPECT_EQ(PcapngReader::to_time(ifc, (10 << 10) | 256).ns, 8 * kSec + 250'000'000);
}

TEST(PcapngReader, SectionsInEitherByteOrderHaveTheirOwnInterfaces) {
    PcapngWriter w;
    w.section(false);
    w.interface(1, 0);
    w.epb(0, 1'000'000, frame(60, 1));
    w.section(true);
    w.interface(101, 0, 9);
    w.interface(1, 0);
    w.epb(1, 2'000'000, frame(60, 2));
    w.epb(0, 3'000'000'000, frame(40, 3));
    w.section(false);
    w.interface(113, 0);
    w.epb(0, 4'000'000, frame(50, 4));
    auto f = open(w.bytes());
    const auto r = read_all(f);
    ASSERT_EQ(r.last, ReadResult::end) << r.error;
    ASSERT_EQ(r.packets.size(), 4u);
    EXPECT_EQ(r.packets[0].dlt, 1);
    EXPECT_EQ(r.packets[1].dlt, 1);
    EXPECT_EQ(r.packets[1].ns, 2 * kSec);
    EXPECT_EQ(r.packets[1].data, frame(60, 2));
    EXPECT_EQ(r.packets[2].dlt, 12);
    EXPECT_EQ(r.packets[2].ns, 3 * kSec);
    EXPECT_EQ(r.packets[3].dlt, 113);
    EXPECT_EQ(r.packets[3].ns, 4 * kSec);
}

TEST(PcapngReader, SimpleAndObsoletePacketBlocks) {
    PcapngWriter w;
    w.section();
    w.interface(1, 32);
    w.spb(frame(50, 1));                  // the interface's snaplen says how much was kept
    w.spb(frame(10, 2), 100);             // a frame shorter than the snaplen: its own length
    w.obsolete_packet(0, 7'000'000, frame(30, 3));
    auto f = open(w.bytes());
    const auto r = read_all(f);
    ASSERT_EQ(r.last, ReadResult::end) << r.error;
    ASSERT_EQ(r.packets.size(), 3u);
    EXPECT_EQ(r.packets[0].data, head(frame(50, 1), 32));
    EXPECT_EQ(r.packets[0].wire_len, 50u);
    EXPECT_EQ(r.packets[1].data.size(), 12u) << "padding up to the block end, never past it";
    EXPECT_EQ(r.packets[1].wire_len, 100u);
    EXPECT_EQ(r.packets[2].ns, 7 * kSec);
    EXPECT_EQ(r.packets[2].data, frame(30, 3));
}

TEST(PcapngReader, OtherBlocksAreSkippedAndSecretsKept) {
    PcapngWriter w;
    w.section();
    w.custom(13);
    w.block(4, {1, 0, 4, 0, 10, 0, 0, 1, 'h', 0, 0, 0, 0, 0, 0, 0});   // name resolution
    w.interface(1, 0);
    w.secrets(0x544c534b, "CLIENT_RANDOM 00 11\n");
    w.block(5, std::vector<std::uint8_t>(20, 0));   // interface statistics
    w.block(0x12345678, std::vector<std::uint8_t>(100, 0xee));
    w.block(0x40000bad, std::vector<std::uint8_t>(8, 1));
    w.epb(0, 1, frame(60, 1));
    w.secrets(0x57474b4c, "wg");
    auto f = open(w.bytes());
    const auto r = read_all(f);
    ASSERT_EQ(r.last, ReadResult::end) << r.error;
    ASSERT_EQ(r.packets.size(), 1u);
    ASSERT_EQ(f.secrets().size(), 2u);
    EXPECT_EQ(f.secrets()[0].type, 0x544c534bu);
    EXPECT_EQ(std::string(f.secrets()[0].data.begin(), f.secrets()[0].data.end()), "CLIENT_RANDOM 00 11\n");
    EXPECT_EQ(std::string(f.secrets()[1].data.begin(), f.secrets()[1].data.end()), "wg");
}

TEST(PcapngReader, BlockLengthsThatDisagreeAreAnErrorAtTheBlock) {
    PcapngWriter w;
    w.section();
    w.interface(1, 0);
    w.epb(0, 1, frame(60, 1));
    const std::size_t at = w.bytes().size();
    w.epb(0, 2, frame(60, 2));
    ByteVec v = w.bytes();
    v[v.size() - 4] = 0x50;   // the trailing length
    auto f = open(v);
    const auto r = read_all(f);
    EXPECT_EQ(r.last, ReadResult::error);
    EXPECT_EQ(r.packets.size(), 1u);
    EXPECT_EQ(r.error, "at byte " + std::to_string(at) + ": block of type 6: its lengths disagree (92 at the start, 80 at the end)");
}

TEST(PcapngReader, CapturedLengthBeyondItsBlockIsAnError) {
    PcapngWriter w;
    w.section();
    w.interface(1, 0);
    const std::size_t at = w.bytes().size();
    w.epb(0, 1, frame(60, 1));
    ByteVec v = w.bytes();
    v[at + 20] = 200;   // captured length
    auto f = open(v);
    const auto r = read_all(f);
    EXPECT_EQ(r.last, ReadResult::error);
    EXPECT_EQ(r.error, "at byte " + std::to_string(at) + ": packet block: captured length 200 goes past its block (60 bytes)");
}

TEST(PcapngReader, AbsurdBlockLengthIsRefusedWithoutAllocating) {
    PcapngWriter w;
    w.section();
    w.interface(1, 0);
    const std::size_t at = w.bytes().size();
    w.epb(0, 1, frame(60, 1));
    ByteVec v = w.bytes();
    v[at + 4] = 0;
    v[at + 5] = 0;
    v[at + 6] = 0;
    v[at + 7] = 0x40;   // 1 GiB
    auto f = open(v);
    const auto r = read_all(f);
    EXPECT_EQ(r.last, ReadResult::error);
    EXPECT_EQ(r.error, "at byte " + std::to_string(at) + ": block of type 6 claims 1073741824 bytes, more than the limit of 16777216");
}

TEST(PcapngReader, TruncatedBlockAndMissingInterface) {
    PcapngWriter w;
    w.section();
    w.interface(1, 0);
    w.epb(0, 1, frame(60, 1));
    const std::size_t at = w.bytes().size();
    w.epb(3, 2, frame(60, 2));
    auto f = open(w.bytes());
    auto r = read_all(f);
    EXPECT_EQ(r.error, "at byte " + std::to_string(at) + ": packet on interface 3, which its section does not have (1 interfaces)");
    ByteVec v = w.bytes();
    v.resize(v.size() - 30);
    auto g = open(v);
    r = read_all(g);
    EXPECT_EQ(r.packets.size(), 1u);
    EXPECT_EQ(r.error, "at byte " + std::to_string(at) + ": truncated block of type 6: 92 bytes needed, only 62 left");
}

TEST(PcapngReader, LargeBlocksStraddleAndGrowTheBuffer) {
    PcapngWriter w;
    w.section();
    w.interface(1, 0);
    for (int i = 0; i < 20; ++i) w.epb(0, static_cast<std::uint64_t>(i), frame(static_cast<std::size_t>(50 + 97 * i), static_cast<std::uint8_t>(i)));
    auto f = open(w.bytes(), 13, 64);
    const auto r = read_all(f);
    ASSERT_EQ(r.last, ReadResult::end) << r.error;
    ASSERT_EQ(r.packets.size(), 20u);
    for (int i = 0; i < 20; ++i)
        EXPECT_EQ(r.packets[static_cast<std::size_t>(i)].data, frame(static_cast<std::size_t>(50 + 97 * i), static_cast<std::uint8_t>(i)));
}

TEST(PcapngReader, UnsupportedVersionAndResolution) {
    PcapngWriter w;
    w.section();
    ByteVec v = w.bytes();
    v[12] = 2;   // major version 2
    try {
        open(v);
        ADD_FAILURE() << "version 2 opened";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "at byte 0: unsupported pcapng version 2.0");
    }
    PcapngWriter x;
    x.section();
    x.interface(1, 0, 0x80 | 64);
    x.epb(0, 1, frame(60, 1));
    auto f = open(x.bytes());
    EXPECT_EQ(read_all(f).error, "at byte 28: interface time resolution 192 is not supported");
}
