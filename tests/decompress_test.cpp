// Compressed capture input (capture/decompress): recognition by magic, each library's round trip,
// concatenated streams, truncated and corrupt data, tiny reads, pipes and plain files.
#include "tcpflow/capture/decompress.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "support/compress.h"
#include "support/run.h"

namespace tcpflow::test {
namespace {

/// Hands out `data`, at most `chunk` bytes a read; -1 (errno EIO) after `fail_after` bytes.
class MemorySource final : public ByteSource {
public:
    explicit MemorySource(ByteVec data, std::size_t chunk = SIZE_MAX, std::size_t fail_after = SIZE_MAX)
        : data_{std::move(data)}, chunk_{chunk}, fail_after_{fail_after} {}
    std::ptrdiff_t read(std::uint8_t* into, std::size_t n) override {
        if (pos_ >= fail_after_) {
            errno = EIO;
            return -1;
        }
        const std::size_t k = std::min({n, chunk_, data_.size() - pos_, fail_after_ - pos_});
        std::memcpy(into, data_.data() + pos_, k);
        pos_ += k;
        ++reads_;
        return static_cast<std::ptrdiff_t>(k);
    }
    std::size_t reads() const { return reads_; }

private:
    ByteVec data_;
    std::size_t chunk_, fail_after_, pos_ = 0, reads_ = 0;
};

/// Compressible and incompressible stretches, `n` bytes (so the compressed form of a few MiB is
/// more than one 1 MiB read of it).
ByteVec sample(std::size_t n, std::uint32_t seed = 1) {
    ByteVec v;
    v.reserve(n);
    std::uint32_t x = seed;
    while (v.size() < n) {
        const std::string line = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n";
        for (char c : line) v.push_back(static_cast<std::uint8_t>(c));
        for (int i = 0; i < 64; ++i) {
            x = x * 1664525u + 1013904223u;
            v.push_back(static_cast<std::uint8_t>(x >> 24));
        }
    }
    v.resize(n);
    return v;
}

struct Drained {
    ByteVec data;
    std::ptrdiff_t last = 0;   ///< 0 at the end, -1 after an error
    int err = 0;               ///< errno after -1
};

/// Reads everything, `piece` bytes a call.
Drained drain(ByteSource& src, std::size_t piece = 1 << 20) {
    Drained d;
    std::vector<std::uint8_t> buf(piece);
    for (;;) {
        const auto n = src.read(buf.data(), buf.size());
        if (n <= 0) {
            d.last = n;
            d.err = n < 0 ? errno : 0;
            return d;
        }
        d.data.insert(d.data.end(), buf.begin(), buf.begin() + n);
    }
}

std::unique_ptr<Decompressor> make(Compression kind, ByteVec compressed, std::size_t chunk = SIZE_MAX,
                                   std::size_t fail_after = SIZE_MAX) {
    return Decompressor::create(kind, std::make_unique<MemorySource>(std::move(compressed), chunk, fail_after));
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// ---------------------------------------------------------------------------------------------
// Recognition

Detection detect(std::initializer_list<int> bytes) {
    static std::vector<std::uint8_t> keep;
    keep.assign(bytes.begin(), bytes.end());
    return detect_compression(Bytes{keep.data(), keep.size()});
}

TEST(DetectCompression, EachMagic) {
    EXPECT_EQ(detect({0x1f, 0x8b, 0x08, 0, 0, 0}).kind, Compression::gzip);
    EXPECT_EQ(detect({'B', 'Z', 'h', '9', 0x31, 0x41}).kind, Compression::bzip2);
    EXPECT_EQ(detect({0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00}).kind, Compression::xz);
    EXPECT_EQ(detect({0x28, 0xb5, 0x2f, 0xfd, 0x24, 0x00}).kind, Compression::zstd);
    EXPECT_EQ(detect({0x04, 0x22, 0x4d, 0x18, 0x64, 0x40}).kind, Compression::lz4);
    EXPECT_EQ(detect({0x1f, 0x8b}).need, 0u);
}

TEST(DetectCompression, CapturesAndOtherDataAreNotCompressed) {
    for (auto d : {detect({0xd4, 0xc3, 0xb2, 0xa1, 2, 0}), detect({0xa1, 0xb2, 0xc3, 0xd4, 0, 2}),
                   detect({0x4d, 0x3c, 0xb2, 0xa1, 2, 0}), detect({0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0}),
                   detect({0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x01}), detect({'B', 'Z', 'x'}), detect({0x1f, 0x8c})}) {
        EXPECT_EQ(d.kind, Compression::none);
        EXPECT_EQ(d.need, 0u);
    }
}

TEST(DetectCompression, TooFewBytesAsksForMore) {
    EXPECT_EQ(detect({}).kind, Compression::none);
    EXPECT_EQ(detect({}).need, 6u);
    EXPECT_EQ(detect({0xfd, 0x37, 0x7a}).kind, Compression::none);
    EXPECT_EQ(detect({0xfd, 0x37, 0x7a}).need, 6u);
    EXPECT_EQ(detect({0x1f}).need, 6u);
}

TEST(DetectCompression, SkippableFramesAreSteppedOver) {
    // A 3-byte skippable frame, then the real frame decides.
    EXPECT_EQ(detect({0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9, 0x28, 0xb5, 0x2f, 0xfd}).kind, Compression::zstd);
    EXPECT_EQ(detect({0x5f, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9, 0x04, 0x22, 0x4d, 0x18}).kind, Compression::lz4);
    EXPECT_EQ(detect({0x5f, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9, 0x04, 0x22, 0x4d, 0x18}).need, 0u);
    // The frame after is beyond what was given: zstd for now, and how many bytes would tell.
    const Detection d = detect({0x50, 0x2a, 0x4d, 0x18, 0, 1, 0, 0, 9, 9});
    EXPECT_EQ(d.kind, Compression::zstd);
    EXPECT_EQ(d.need, 8u + 256u + 4u);
    EXPECT_EQ(detect({0x50, 0x2a, 0x4d}).need, 8u);
}

TEST(DetectCompression, Names) {
    EXPECT_EQ(compression_name(Compression::gzip), "gzip");
    EXPECT_EQ(compression_name(Compression::bzip2), "bzip2");
    EXPECT_EQ(compression_name(Compression::xz), "xz");
    EXPECT_EQ(compression_name(Compression::zstd), "zstd");
    EXPECT_EQ(compression_name(Compression::lz4), "lz4");
    EXPECT_EQ(compression_name(Compression::none), "");
}

// ---------------------------------------------------------------------------------------------
// Each library

class Decompress : public ::testing::TestWithParam<Compression> {};

std::string param_name(const ::testing::TestParamInfo<Compression>& info) {
    return std::string(compression_name(info.param));
}

TEST_P(Decompress, CompressedDataIsRecognised) {
    const ByteVec z = compress(GetParam(), sample(1000));
    EXPECT_EQ(detect_compression(Bytes{z.data(), z.size()}).kind, GetParam());
}

TEST_P(Decompress, RoundTripOfSeveralMiB) {
    const ByteVec data = sample(2 << 20);
    const ByteVec z = compress(GetParam(), data);
    ASSERT_GT(z.size(), std::size_t{1} << 20) << "more than one read of the compressed input";
    auto d = make(GetParam(), z);
    const Drained out = drain(*d);
    EXPECT_EQ(out.last, 0) << d->error();
    EXPECT_EQ(d->error(), "");
    EXPECT_TRUE(out.data == data);
    EXPECT_EQ(d->bytes_out(), data.size());
    EXPECT_EQ(d->bytes_in(), z.size());
    EXPECT_EQ(d->read(nullptr, 0), 0);
}

TEST_P(Decompress, ReadsFillWhatIsAskedForUntilTheEnd) {
    const ByteVec data = sample(200000);
    auto d = make(GetParam(), compress(GetParam(), data), 1000);   // the input comes 1,000 bytes at a time
    std::vector<std::uint8_t> buf(65536);
    EXPECT_EQ(d->read(buf.data(), buf.size()), 65536);
    EXPECT_EQ(d->read(buf.data(), buf.size()), 65536);
    EXPECT_EQ(d->read(buf.data(), buf.size()), 65536);
    EXPECT_EQ(d->read(buf.data(), buf.size()), 200000 - 3 * 65536);
    EXPECT_EQ(d->read(buf.data(), buf.size()), 0);
}

TEST_P(Decompress, TinyReadsOfTinyInput) {
    const ByteVec data = sample(40000);
    auto d = make(GetParam(), compress(GetParam(), data), 1);   // one compressed byte a read
    const Drained out = drain(*d, 7);                          // seven bytes out a call
    EXPECT_EQ(out.last, 0) << d->error();
    EXPECT_TRUE(out.data == data);
}

TEST_P(Decompress, ConcatenatedStreamsAreReadOneAfterAnother) {
    // `cat a.gz b.gz`: the content is a's then b's (multi-member gzip, several frames or streams).
    const ByteVec a = sample(300000, 1), b = sample(500000, 2), c = sample(10, 3);
    ByteVec z = compress(GetParam(), a);
    for (const auto& part : {b, c}) {
        const ByteVec zp = compress(GetParam(), part);
        z.insert(z.end(), zp.begin(), zp.end());
    }
    ByteVec want = a;
    want.insert(want.end(), b.begin(), b.end());
    want.insert(want.end(), c.begin(), c.end());
    for (std::size_t chunk : {SIZE_MAX, std::size_t{3}}) {
        auto d = make(GetParam(), z, chunk);
        const Drained out = drain(*d, chunk == 3 ? 5 : 1 << 20);
        EXPECT_EQ(out.last, 0) << d->error();
        EXPECT_TRUE(out.data == want) << "chunk " << chunk;
    }
}

TEST_P(Decompress, TruncatedInputGivesWhatCameBeforeThenAnError) {
    const ByteVec data = sample(2 << 20);
    const ByteVec z = compress(GetParam(), data);
    const std::string name{compression_name(GetParam())};
    for (std::size_t keep : {z.size() / 2, z.size() - 1}) {
        ByteVec cut(z.begin(), z.begin() + static_cast<std::ptrdiff_t>(keep));
        auto d = make(GetParam(), cut);
        const Drained out = drain(*d);
        EXPECT_EQ(out.last, -1);
        EXPECT_EQ(out.err, EIO);
        EXPECT_TRUE(starts_with(d->error(), name + " data is truncated: the input ends inside it, after " +
                                               std::to_string(keep) + " compressed bytes, " +
                                               std::to_string(out.data.size()) + " bytes decompressed"))
            << d->error();
        ASSERT_LE(out.data.size(), data.size());
        EXPECT_TRUE(std::equal(out.data.begin(), out.data.end(), data.begin())) << "a prefix of the data";
        if (keep == z.size() / 2 && GetParam() != Compression::bzip2) {
            // Streaming formats give out most of what the first half holds (bzip2 gives whole
            // 900 kB blocks only).
            EXPECT_GT(out.data.size(), data.size() / 4);
        }
        // The error stays.
        std::uint8_t b[16];
        EXPECT_EQ(d->read(b, sizeof b), -1);
        EXPECT_EQ(errno, EIO);
    }
}

TEST_P(Decompress, CorruptInputIsAnError) {
    const ByteVec data = sample(2 << 20);
    ByteVec z = compress(GetParam(), data);
    const std::string name{compression_name(GetParam())};
    // Flip a byte in the middle of the data and, separately, in its last bytes (a checksum).
    for (std::size_t at : {z.size() / 2, z.size() - 2}) {
        ByteVec bad = z;
        bad[at] ^= 0x55;
        auto d = make(GetParam(), bad);
        const Drained out = drain(*d);
        EXPECT_EQ(out.last, -1) << "flipped byte " << at;
        EXPECT_TRUE(starts_with(d->error(), name + " data is corrupt after " + std::to_string(out.data.size()) +
                                               " bytes decompressed ("))
            << d->error();
        EXPECT_EQ(d->error().back(), ')');
    }
}

TEST_P(Decompress, SomethingElseAfterTheLastStreamIsAnError) {
    const ByteVec data = sample(5000);
    ByteVec z = compress(GetParam(), data);
    for (char c : std::string("trailing garbage, not another stream")) z.push_back(static_cast<std::uint8_t>(c));
    auto d = make(GetParam(), z);
    const Drained out = drain(*d);
    EXPECT_EQ(out.last, -1);
    EXPECT_TRUE(out.data == data) << "the stream before it is complete";
    EXPECT_TRUE(starts_with(d->error(), std::string(compression_name(GetParam())) + " data is "));
}

TEST_P(Decompress, AnInputErrorIsReported) {
    const ByteVec data = sample(2 << 20);
    const ByteVec z = compress(GetParam(), data);
    auto d = make(GetParam(), z, 4096, z.size() / 2);
    const Drained out = drain(*d);
    EXPECT_EQ(out.last, -1);
    EXPECT_EQ(out.err, EIO);
    EXPECT_EQ(d->error(), "cannot read the " + std::string(compression_name(GetParam())) + " data: " + std::strerror(EIO));
    EXPECT_TRUE(std::equal(out.data.begin(), out.data.end(), data.begin()));
}

TEST_P(Decompress, LargeReadsOfTheInput) {
    // The compressed input is read 1 MiB at a time, not piecemeal.
    const ByteVec data = sample(2 << 20);
    const ByteVec z = compress(GetParam(), data);
    auto src = std::make_unique<MemorySource>(z);
    auto* raw = src.get();
    auto d = Decompressor::create(GetParam(), std::move(src));
    const Drained out = drain(*d, 4096);
    EXPECT_EQ(out.last, 0);
    EXPECT_LE(raw->reads(), z.size() / (1 << 20) + 2);
}

INSTANTIATE_TEST_SUITE_P(Each, Decompress, ::testing::ValuesIn(all_compressions()), param_name);

TEST(Decompress, ZstdAndLz4SkippableFramesAreSkipped) {
    const ByteVec data = sample(5000);
    for (Compression kind : {Compression::zstd, Compression::lz4}) {
        ByteVec z = {0x53, 0x2a, 0x4d, 0x18, 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
        const ByteVec frame = compress(kind, data);
        z.insert(z.end(), frame.begin(), frame.end());
        EXPECT_EQ(detect_compression(Bytes{z.data(), z.size()}).kind, kind);
        auto d = make(kind, z);
        const Drained out = drain(*d);
        EXPECT_EQ(out.last, 0) << d->error();
        EXPECT_TRUE(out.data == data);
    }
}

// ---------------------------------------------------------------------------------------------
// Descriptors: files are only looked at, pipes hand back what was looked at

TEST(OpenInput, PlainFileIsOnlyLookedAt) {
    TempDir tmp;
    const ByteVec data = sample(10000);
    write_bytes(tmp / "plain", data);
    const int fd = ::open((tmp / "plain").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    const OpenedInput in = open_input(fd);
    EXPECT_EQ(in.kind, Compression::none);
    EXPECT_EQ(in.stream, nullptr);
    EXPECT_EQ(::lseek(fd, 0, SEEK_CUR), 0) << "the offset is untouched";
    ::close(fd);
}

TEST(OpenInput, CompressedFileIsDecompressedFromItsCurrentOffset) {
    TempDir tmp;
    const ByteVec data = sample(100000);
    for (Compression kind : all_compressions()) {
        ByteVec file = {'x', 'y', 'z'};
        const ByteVec z = compress(kind, data);
        file.insert(file.end(), z.begin(), z.end());
        write_bytes(tmp / "c", file);
        const int fd = ::open((tmp / "c").c_str(), O_RDONLY);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::lseek(fd, 3, SEEK_SET), 3);
        OpenedInput in = open_input(fd);
        EXPECT_EQ(in.kind, kind);
        ASSERT_NE(in.stream, nullptr);
        const Drained out = drain(*in.stream);
        EXPECT_EQ(out.last, 0) << in.stream->error();
        EXPECT_TRUE(out.data == data) << compression_name(kind);
        ::close(fd);
    }
}

TEST(OpenInput, SkippableFrameLongerThanTheFirstLook) {
    TempDir tmp;
    const ByteVec data = sample(1000);
    ByteVec file = {0x50, 0x2a, 0x4d, 0x18, 0x00, 0x02, 0, 0};   // 512 bytes to skip
    file.resize(file.size() + 512, 0xaa);
    const ByteVec z = compress(Compression::lz4, data);
    file.insert(file.end(), z.begin(), z.end());
    write_bytes(tmp / "s", file);
    const int fd = ::open((tmp / "s").c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    OpenedInput in = open_input(fd);
    EXPECT_EQ(in.kind, Compression::lz4);
    ASSERT_NE(in.stream, nullptr);
    EXPECT_TRUE(drain(*in.stream).data == data);
    ::close(fd);
}

/// open_input on the read end of a pipe that a thread fills with `bytes`, written in pieces.
ByteVec through_pipe(const ByteVec& bytes, Compression* kind) {
    int p[2];
    if (::pipe(p) != 0) throw std::runtime_error("pipe");
    std::thread writer([&] {
        // A few bytes first, so the look needs more than one read.
        std::size_t pos = 0;
        for (std::size_t piece : {std::size_t{1}, std::size_t{2}, SIZE_MAX}) {
            const std::size_t k = std::min(piece, bytes.size() - pos);
            std::size_t done = 0;
            while (done < k) {
                const auto w = ::write(p[1], bytes.data() + pos + done, k - done);
                if (w <= 0) break;
                done += static_cast<std::size_t>(w);
            }
            pos += k;
        }
        ::close(p[1]);
    });
    OpenedInput in = open_input(p[0]);
    *kind = in.kind;
    ByteVec got;
    if (in.stream) got = drain(*in.stream).data;
    writer.join();
    ::close(p[0]);
    return got;
}

TEST(OpenInput, PipesHandBackWhatWasLookedAt) {
    const ByteVec data = sample(2 << 20);
    Compression kind = Compression::gzip;
    EXPECT_TRUE(through_pipe(data, &kind) == data) << "a plain pipe is given back whole";
    EXPECT_EQ(kind, Compression::none);
    for (Compression k : all_compressions()) {
        EXPECT_TRUE(through_pipe(compress(k, data), &kind) == data) << compression_name(k);
        EXPECT_EQ(kind, k);
    }
    // Shorter than any magic.
    EXPECT_TRUE(through_pipe(ByteVec{0x1f}, &kind) == ByteVec{0x1f});
    EXPECT_EQ(kind, Compression::none);
    EXPECT_TRUE(through_pipe(ByteVec{}, &kind).empty());
}

TEST(OpenStream, StdioReadsTheSource) {
    const ByteVec data = sample(300000);
    auto d = make(Compression::zstd, compress(Compression::zstd, data), 777);
    std::FILE* f = open_stream(*d);
    ASSERT_NE(f, nullptr);
    ByteVec got(data.size() + 10);
    EXPECT_EQ(std::fread(got.data(), 1, 100, f), 100u);
    EXPECT_EQ(std::fread(got.data() + 100, 1, got.size() - 100, f), data.size() - 100);
    EXPECT_TRUE(std::feof(f));
    got.resize(data.size());
    EXPECT_TRUE(got == data);
    std::fclose(f);
}

TEST(OpenStream, AnErrorIsAStdioError) {
    const ByteVec data = sample(300000);
    ByteVec z = compress(Compression::gzip, data);
    z.resize(z.size() / 2);
    auto d = make(Compression::gzip, z);
    std::FILE* f = open_stream(*d);
    ASSERT_NE(f, nullptr);
    ByteVec got(data.size());
    const std::size_t n = std::fread(got.data(), 1, got.size(), f);
    EXPECT_LT(n, data.size());
    EXPECT_TRUE(std::ferror(f));
    EXPECT_TRUE(std::equal(got.begin(), got.begin() + static_cast<std::ptrdiff_t>(n), data.begin()));
    EXPECT_TRUE(starts_with(d->error(), "gzip data is truncated"));
    std::fclose(f);
}

}  // namespace
}  // namespace tcpflow::test
