// The native capture-file reader: pcap in both byte orders and precisions, the modified header,
// FCS bits; pcapng sections in either byte order, interfaces with their own link type, snaplen,
// resolution and offset, every packet block, skipped and kept blocks; damaged files (an error at
// the right offset, never a large allocation); records that straddle the buffer's end.
#include <gtest/gtest.h>
#include <pcap/pcap.h>

#include <algorithm>
#include <bit>
#include <cstdio>
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

/// `x` as `bytes` bytes (up to 8: the high ones are zero) in the given byte order.
void put(ByteVec& v, std::uint32_t x, int bytes, bool big) {
    for (int i = 0; i < bytes; ++i) {
        const int shift = 8 * (big ? bytes - 1 - i : i);
        v.push_back(shift >= 32 ? std::uint8_t{0} : static_cast<std::uint8_t>(x >> shift));
    }
}

struct PcapRec {
    std::uint32_t sec, frac;
    Frame data;
    std::uint32_t caplen = UINT32_MAX, len = 0;   // overrides: UINT32_MAX / 0 = data.size()
};

ByteVec pcap_bytes(std::uint32_t magic, bool big, std::uint32_t linktype, std::uint32_t snaplen, const std::vector<PcapRec>& recs,
             std::uint16_t minor = 4) {
    ByteVec v;
    put(v, magic, 4, big);
    put(v, 2, 2, big);
    put(v, minor, 2, big);
    put(v, 0, 4, big);
    put(v, 0, 4, big);
    put(v, snaplen, 4, big);
    put(v, linktype, 4, big);
    for (const auto& r : recs) {
        put(v, r.sec, 4, big);
        put(v, r.frac, 4, big);
        put(v, r.caplen == UINT32_MAX ? static_cast<std::uint32_t>(r.data.size()) : r.caplen, 4, big);
        put(v, r.len ? r.len : static_cast<std::uint32_t>(r.data.size()), 4, big);
        if (magic == 0xa1b2cd34) put(v, 0, 8, big);   // ifindex, protocol, pkt_type, pad
        v.insert(v.end(), r.data.begin(), r.data.end());
    }
    return v;
}

}  // namespace

TEST(CaptureFile, PcapBothByteOrdersMicroAndNano) {
    for (const bool big : {false, true}) {
        for (const std::uint32_t magic : {0xa1b2c3d4u, 0xa1b23c4du}) {
            const bool nano = magic == 0xa1b23c4du;
            auto f = open(pcap_bytes(magic, big, 1, 65535, {{1600000000, nano ? 123456789u : 123456u, frame(100, 1)},
                                                      {1600000001, 5, frame(7, 2), UINT32_MAX, 1500}}));
            EXPECT_EQ(f.datalink(), 1);
            EXPECT_EQ(f.snaplen(), 65535u);
            EXPECT_EQ(f.nanosecond(), nano);
            const auto r = read_all(f);
            ASSERT_EQ(r.last, ReadResult::end) << r.error;
            ASSERT_EQ(r.packets.size(), 2u);
            EXPECT_EQ(r.packets[0].ns, 1600000000LL * 1'000'000'000 + (nano ? 123456789 : 123456000));
            EXPECT_EQ(r.packets[0].data, frame(100, 1));
            EXPECT_EQ(r.packets[1].ns, 1600000001LL * 1'000'000'000 + (nano ? 5 : 5000));
            EXPECT_EQ(r.packets[1].wire_len, 1500u);
            EXPECT_EQ(r.packets[1].data, frame(7, 2));
        }
    }
}

TEST(CaptureFile, PcapModifiedHeaderHasLongerRecordHeaders) {
    auto f = open(pcap_bytes(0xa1b2cd34, false, 101, 1000, {{1, 2, frame(40, 3)}, {3, 4, frame(41, 4)}}));
    EXPECT_EQ(f.datalink(), 12) << "LINKTYPE_RAW is DLT_RAW";
    const auto r = read_all(f);
    ASSERT_EQ(r.last, ReadResult::end) << r.error;
    ASSERT_EQ(r.packets.size(), 2u);
    EXPECT_EQ(r.packets[1].data, frame(41, 4));
    EXPECT_EQ(r.packets[1].dlt, 12);
}

TEST(CaptureFile, PcapFcsBitsAreMaskedOffTheLinkType) {
    ReadBuffer in{std::make_unique<MemorySource>(pcap_bytes(0xa1b2c3d4, false, 0x24000001u, 0, {}), SIZE_MAX)};
    PcapFileReader r;
    ReadError err;
    ASSERT_TRUE(r.open(in, err)) << err.reason;
    EXPECT_EQ(r.dlt(), 1);
    EXPECT_EQ(r.fcs_bytes(), 4u);
    EXPECT_EQ(r.snaplen(), 262144u) << "snaplen 0 is the maximum";
}

TEST(CaptureFile, PcapAbsurdSnaplenAndCaplen) {
    // A header snaplen of 4 GiB is the maximum; a record claiming 1 GiB is an error, not an allocation.
    PcapRec huge{1, 0, frame(10, 0), 1u << 30};
    auto f = open(pcap_bytes(0xa1b2c3d4, false, 1, 0xffffffffu, {{1, 0, frame(60, 9)}, huge}));
    EXPECT_EQ(f.snaplen(), 262144u);
    const auto r = read_all(f);
    EXPECT_EQ(r.last, ReadResult::error);
    EXPECT_EQ(r.packets.size(), 1u);
    EXPECT_EQ(r.error, "at byte 100: record claims 1073741824 captured bytes, more than the maximum of 262144");
}

TEST(CaptureFile, PcapCaplenAboveSnaplenIsCutToIt) {
    auto f = open(pcap_bytes(0xa1b2c3d4, false, 1, 50, {{1, 0, frame(80, 9)}, {2, 0, frame(20, 1)}}));
    const auto r = read_all(f);
    ASSERT_EQ(r.last, ReadResult::end) << r.error;
    ASSERT_EQ(r.packets.size(), 2u);
    EXPECT_EQ(r.packets[0].data, head(frame(80, 9), 50));
    EXPECT_EQ(r.packets[1].data, frame(20, 1));
}

TEST(CaptureFile, PcapOldVersionsHaveTheLengthsSwapped) {
    // Before 2.3 the record header held len before caplen.
    PcapRec rec{1, 0, frame(30, 1), 100, 30};
    auto f = open(pcap_bytes(0xa1b2c3d4, false, 1, 0, {rec}, 2));
    const auto r = read_all(f);
    ASSERT_EQ(r.packets.size(), 1u) << r.error;
    EXPECT_EQ(r.packets[0].wire_len, 100u);
    EXPECT_EQ(r.packets[0].data.size(), 30u);
}

TEST(CaptureFile, PcapTruncatedRecordSaysWhere) {
    ByteVec v = pcap_bytes(0xa1b2c3d4, false, 1, 0, {{1, 0, frame(60, 1)}, {2, 0, frame(60, 2)}});
    v.resize(v.size() - 10);
    auto f = open(v);
    const auto r = read_all(f);
    EXPECT_EQ(r.last, ReadResult::error);
    EXPECT_EQ(r.packets.size(), 1u) << "what came before the damage";
    EXPECT_EQ(r.error, "at byte 100: truncated record (60 captured bytes): 76 bytes needed, only 66 left");
    v.resize(24 + 16 + 60 + 5);
    auto g = open(v);
    EXPECT_EQ(read_all(g).error, "at byte 100: truncated record header: 16 bytes needed, only 5 left");
}

TEST(CaptureFile, NotACaptureIsUnknownFormat) {
    const std::string text = "hello, this is text and no capture at all";
    EXPECT_THROW(
        {
            try {
                open(ByteVec(text.begin(), text.end()));
            } catch (const std::runtime_error& e) {
                EXPECT_STREQ(e.what(), "unknown file format");
                throw;
            }
        },
        std::runtime_error);
    ByteVec header = pcap_bytes(0xa1b2c3d4, false, 1, 0, {});
    header.resize(20);
    try {
        open(header);
        ADD_FAILURE() << "a truncated header opened";
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "at byte 0: truncated file header: 24 bytes needed, only 20 left");
    }
}

namespace {

/// An NFLOG (239) frame: header (IPv4, version 0, resource id 1), a PACKET_HDR TLV, a PREFIX TLV
/// of 5 bytes (padded to 12) and a PAYLOAD TLV holding `payload`, type and length of each TLV in
/// the given byte order (the capturing host's).
Frame nflog_frame(bool big, const Frame& payload) {
    Frame f{2, 0, 0, 1};
    auto tlv = [&](std::uint16_t type, const Frame& value) {
        put(f, static_cast<std::uint32_t>(4 + value.size()), 2, big);
        put(f, type, 2, big);
        f.insert(f.end(), value.begin(), value.end());
        while (f.size() % 4 != 0) f.push_back(0);
    };
    tlv(1, {0x08, 0x00, 3, 0});
    tlv(10, {'t', 'e', 's', 't', 0});
    tlv(9, payload);
    return f;
}

/// What libpcap itself hands out for `file` (written to a temporary file): every frame.
std::vector<ByteVec> libpcap_frames(const ByteVec& file) {
    const std::string path = ::testing::TempDir() + "/nflog_swap.cap";
    FILE* out = std::fopen(path.c_str(), "wb");
    EXPECT_NE(out, nullptr);
    if (!out) return {};
    std::fwrite(file.data(), 1, file.size(), out);
    std::fclose(out);
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* pc = pcap_open_offline(path.c_str(), err);
    EXPECT_NE(pc, nullptr) << err;
    std::vector<ByteVec> frames;
    pcap_pkthdr* hdr = nullptr;
    const u_char* data = nullptr;
    while (pc && pcap_next_ex(pc, &hdr, &data) == 1) frames.emplace_back(data, data + hdr->caplen);
    if (pc) pcap_close(pc);
    std::remove(path.c_str());
    return frames;
}

}  // namespace

// libpcap puts the TLV type and length of NFLOG frames in host order when the file's byte order
// is not the host's (swap_nflog_header); the NFLOG decoder reads them in host order. Without the
// swap, a big-endian NFLOG capture read on this little-endian host gives TLV lengths like 0x0800
// and no packet decodes.
TEST(CaptureFile, NflogTlvsOfTheOtherByteOrderAreSwappedAsLibpcapDoes) {
    static_assert(std::endian::native == std::endian::little, "the expectations below are for a little-endian host");
    const Frame payload = frame(21, 7);
    const Frame host = nflog_frame(false, payload), other = nflog_frame(true, payload);
    ASSERT_NE(host, other);
    // The cut frame ends inside the PAYLOAD TLV: its header is still swapped (caplen holds 4 bytes
    // of it), like libpcap; a frame whose wire length is short stops the same way.
    const Frame cut = head(other, other.size() - 6);
    for (const bool big : {false, true}) {
        const Frame& f = big ? other : host;
        const ByteVec pc = pcap_bytes(0xa1b2c3d4, big, 239, 65535,
                                {{1, 0, f}, {2, 0, head(f, f.size() - 6), UINT32_MAX, static_cast<std::uint32_t>(f.size())},
                                 {3, 0, f, UINT32_MAX, 20}});
        PcapngWriter ng;
        ng.section(big);
        ng.interface(239, 65535);
        ng.epb(0, 1, f);
        ng.section(!big);   // the next section's byte order decides for its own packets
        ng.interface(239, 65535);
        ng.epb(0, 2, big ? host : other);
        for (const ByteVec* file : {&pc, &ng.bytes()}) {
            for (const std::size_t chunk : {std::size_t{64}, ReadBuffer::kChunk}) {
                auto cf = CaptureFile(std::make_unique<MemorySource>(*file, SIZE_MAX), Compression::none, chunk);
                const auto r = read_all(cf);
                ASSERT_EQ(r.last, ReadResult::end) << r.error;
                // libpcap 1.10 stops at the pcapng's second section (another byte order): the
                // packets it reads are compared.
                const auto want = libpcap_frames(*file);
                ASSERT_EQ(r.packets.size(), file == &pc ? 3u : 2u);
                ASSERT_EQ(want.size(), file == &pc ? 3u : 1u);
                for (std::size_t i = 0; i < want.size(); ++i) EXPECT_EQ(r.packets[i].data, want[i]) << "big " << big << " packet " << i;
                EXPECT_EQ(r.packets[0].data, host) << "big " << big;
                if (file == &pc) {
                    EXPECT_EQ(r.packets[1].data, head(host, host.size() - 6));
                    // Wire length 20: the third TLV does not fit in it and stays as the file has it.
                    Frame third = host;
                    std::copy_n(f.begin() + 24, 4, third.begin() + 24);
                    EXPECT_EQ(r.packets[2].data, third);
                } else {
                    EXPECT_EQ(r.packets[1].data, host);
                }
            }
        }
    }
    EXPECT_EQ(cut.size() + 6, other.size());
}

TEST(CaptureFile, NflogSwapStopsAtAZeroOrOverlongLength) {
    // Version 1: left alone. A TLV of length 0 (rounds to 0 < 4): swapped, then the walk stops.
    Frame v1{2, 1, 0, 1, 0, 8, 0, 1, 0, 0, 0, 0};
    const Frame v1_before = v1;
    swap_nflog_tlvs(v1, static_cast<std::uint32_t>(v1.size()));
    EXPECT_EQ(v1, v1_before);
    Frame zero{2, 0, 0, 1, 0, 0, 0, 9, 0, 8, 0, 1};
    swap_nflog_tlvs(zero, static_cast<std::uint32_t>(zero.size()));
    EXPECT_EQ(zero, (Frame{2, 0, 0, 1, 0, 0, 9, 0, 0, 8, 0, 1}));
    // 0xfffd rounds to 0x10001, which libpcap's 16-bit size makes 1: stop.
    Frame wrap{2, 0, 0, 1, 0xff, 0xfd, 0, 9, 0, 8, 0, 1};
    swap_nflog_tlvs(wrap, static_cast<std::uint32_t>(wrap.size()));
    EXPECT_EQ(wrap, (Frame{2, 0, 0, 1, 0xfd, 0xff, 9, 0, 0, 8, 0, 1}));
}
