#include "tcpflow/capture/decompress.h"

#include <bzlib.h>
#include <lz4frame.h>
#include <lzma.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <new>
#include <stdexcept>

namespace tcpflow {

namespace {

constexpr std::size_t kChunk = std::size_t{1} << 20;   // compressed bytes read at a time
constexpr std::size_t kLook = 16;                      // bytes looked at first (the longest magic is 6)
constexpr std::size_t kMaxLook = 64 * 1024;            // how far skippable frames are followed

struct Magic {
    Compression kind;
    std::array<std::uint8_t, 6> bytes;
    std::size_t size;
};
constexpr Magic kMagics[] = {
    {Compression::gzip, {0x1f, 0x8b}, 2},
    {Compression::bzip2, {'B', 'Z', 'h'}, 3},
    {Compression::xz, {0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00}, 6},
    {Compression::zstd, {0x28, 0xb5, 0x2f, 0xfd}, 4},
    {Compression::lz4, {0x04, 0x22, 0x4d, 0x18}, 4},
};
constexpr std::size_t kLongestMagic = 6;

unsigned clamp_uint(std::size_t n) { return static_cast<unsigned>(std::min<std::size_t>(n, UINT_MAX)); }

// ---------------------------------------------------------------------------------------------
// One class per library: each call of step() is one call of the library's streaming function.

class GzipDecompressor final : public Decompressor {
public:
    explicit GzipDecompressor(std::unique_ptr<ByteSource> input) : Decompressor(Compression::gzip, std::move(input)) {
        // 16 + 15: a gzip wrapper (header and CRC-32 trailer checked), the largest window.
        if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) throw std::bad_alloc();
    }
    ~GzipDecompressor() override { inflateEnd(&z_); }

protected:
    Step step(const std::uint8_t* in, std::size_t in_len, std::uint8_t* out, std::size_t out_len, bool,
              std::size_t& used, std::size_t& made, std::string& why) override {
        const unsigned in_avail = clamp_uint(in_len), out_avail = clamp_uint(out_len);
        z_.next_in = const_cast<Bytef*>(in);
        z_.avail_in = in_avail;
        z_.next_out = out;
        z_.avail_out = out_avail;
        const int rc = inflate(&z_, Z_NO_FLUSH);
        used = in_avail - z_.avail_in;
        made = out_avail - z_.avail_out;
        switch (rc) {
        case Z_OK:
        case Z_BUF_ERROR: return Step::more;   // Z_BUF_ERROR: no progress possible, not an error
        case Z_STREAM_END: return Step::stream_end;
        case Z_NEED_DICT: why = "needs a preset dictionary"; return Step::error;
        case Z_MEM_ERROR: why = "out of memory"; return Step::error;
        default: why = z_.msg ? z_.msg : "invalid data"; return Step::error;
        }
    }
    void restart() override { inflateReset(&z_); }

private:
    z_stream z_{};
};

class Bzip2Decompressor final : public Decompressor {
public:
    explicit Bzip2Decompressor(std::unique_ptr<ByteSource> input) : Decompressor(Compression::bzip2, std::move(input)) {
        init();
    }
    ~Bzip2Decompressor() override { BZ2_bzDecompressEnd(&s_); }

protected:
    Step step(const std::uint8_t* in, std::size_t in_len, std::uint8_t* out, std::size_t out_len, bool,
              std::size_t& used, std::size_t& made, std::string& why) override {
        const unsigned in_avail = clamp_uint(in_len), out_avail = clamp_uint(out_len);
        s_.next_in = const_cast<char*>(reinterpret_cast<const char*>(in));
        s_.avail_in = in_avail;
        s_.next_out = reinterpret_cast<char*>(out);
        s_.avail_out = out_avail;
        const int rc = BZ2_bzDecompress(&s_);
        used = in_avail - s_.avail_in;
        made = out_avail - s_.avail_out;
        switch (rc) {
        case BZ_OK: return Step::more;
        case BZ_STREAM_END: return Step::stream_end;
        case BZ_DATA_ERROR: why = "data integrity (CRC) error in data"; return Step::error;
        case BZ_DATA_ERROR_MAGIC: why = "not bzip2 data (bad magic number)"; return Step::error;
        case BZ_MEM_ERROR: why = "out of memory"; return Step::error;
        default: why = "libbz2 error " + std::to_string(rc); return Step::error;
        }
    }
    void restart() override {
        BZ2_bzDecompressEnd(&s_);
        init();
    }

private:
    void init() {
        s_ = bz_stream{};
        if (BZ2_bzDecompressInit(&s_, 0, 0) != BZ_OK) throw std::bad_alloc();
    }
    bz_stream s_{};
};

class XzDecompressor final : public Decompressor {
public:
    explicit XzDecompressor(std::unique_ptr<ByteSource> input) : Decompressor(Compression::xz, std::move(input)) {
        init();
    }
    ~XzDecompressor() override { lzma_end(&s_); }

protected:
    Step step(const std::uint8_t* in, std::size_t in_len, std::uint8_t* out, std::size_t out_len, bool last,
              std::size_t& used, std::size_t& made, std::string& why) override {
        s_.next_in = in;
        s_.avail_in = in_len;
        s_.next_out = out;
        s_.avail_out = out_len;
        // Concatenated streams (and stream padding) are liblzma's business: it ends the whole only
        // when told the input is complete.
        const lzma_ret rc = lzma_code(&s_, last ? LZMA_FINISH : LZMA_RUN);
        used = in_len - s_.avail_in;
        made = out_len - s_.avail_out;
        switch (rc) {
        case LZMA_OK:
        case LZMA_BUF_ERROR: return Step::more;   // no progress possible
        case LZMA_STREAM_END: return Step::stream_end;
        case LZMA_DATA_ERROR: why = "compressed data is corrupt"; return Step::error;
        case LZMA_FORMAT_ERROR: why = "not xz data"; return Step::error;
        case LZMA_OPTIONS_ERROR: why = "unsupported compression options"; return Step::error;
        case LZMA_MEM_ERROR: why = "out of memory"; return Step::error;
        case LZMA_MEMLIMIT_ERROR: why = "memory usage limit reached"; return Step::error;
        default: why = "liblzma error " + std::to_string(static_cast<int>(rc)); return Step::error;
        }
    }
    void restart() override {
        lzma_end(&s_);
        init();
    }

private:
    void init() {
        s_ = LZMA_STREAM_INIT;
        if (lzma_stream_decoder(&s_, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) throw std::bad_alloc();
    }
    lzma_stream s_ = LZMA_STREAM_INIT;
};

class ZstdDecompressor final : public Decompressor {
public:
    explicit ZstdDecompressor(std::unique_ptr<ByteSource> input)
        : Decompressor(Compression::zstd, std::move(input)), d_{ZSTD_createDCtx()} {
        if (!d_) throw std::bad_alloc();
        // Frames made with --long (windows up to 2 GiB) are read too; the memory is only taken
        // when a frame asks for it.
        ZSTD_DCtx_setParameter(d_, ZSTD_d_windowLogMax, ZSTD_dParam_getBounds(ZSTD_d_windowLogMax).upperBound);
    }
    ~ZstdDecompressor() override { ZSTD_freeDCtx(d_); }

protected:
    Step step(const std::uint8_t* in, std::size_t in_len, std::uint8_t* out, std::size_t out_len, bool,
              std::size_t& used, std::size_t& made, std::string& why) override {
        ZSTD_inBuffer ib{in, in_len, 0};
        ZSTD_outBuffer ob{out, out_len, 0};
        const std::size_t rc = ZSTD_decompressStream(d_, &ob, &ib);
        used = ib.pos;
        made = ob.pos;
        if (ZSTD_isError(rc)) {
            why = ZSTD_getErrorName(rc);
            return Step::error;
        }
        return rc == 0 ? Step::stream_end : Step::more;   // 0: a frame decoded and flushed
    }
    void restart() override { ZSTD_DCtx_reset(d_, ZSTD_reset_session_only); }

private:
    ZSTD_DCtx* d_;
};

class Lz4Decompressor final : public Decompressor {
public:
    explicit Lz4Decompressor(std::unique_ptr<ByteSource> input) : Decompressor(Compression::lz4, std::move(input)) {
        if (LZ4F_isError(LZ4F_createDecompressionContext(&d_, LZ4F_VERSION))) throw std::bad_alloc();
    }
    ~Lz4Decompressor() override { LZ4F_freeDecompressionContext(d_); }

protected:
    Step step(const std::uint8_t* in, std::size_t in_len, std::uint8_t* out, std::size_t out_len, bool,
              std::size_t& used, std::size_t& made, std::string& why) override {
        std::size_t out_size = out_len, in_size = in_len;
        const std::size_t rc = LZ4F_decompress(d_, out, &out_size, in, &in_size, nullptr);
        used = in_size;
        made = out_size;
        if (LZ4F_isError(rc)) {
            why = LZ4F_getErrorName(rc);
            return Step::error;
        }
        return rc == 0 ? Step::stream_end : Step::more;   // 0: a frame decoded and flushed
    }
    void restart() override { LZ4F_resetDecompressionContext(d_); }

private:
    LZ4F_dctx* d_ = nullptr;
};

}  // namespace

std::string_view compression_name(Compression kind) noexcept {
    switch (kind) {
    case Compression::gzip: return "gzip";
    case Compression::bzip2: return "bzip2";
    case Compression::xz: return "xz";
    case Compression::zstd: return "zstd";
    case Compression::lz4: return "lz4";
    case Compression::none: break;
    }
    return "";
}

Detection detect_compression(Bytes head) noexcept {
    std::size_t pos = 0;
    bool skipped = false;   // skippable frames stepped over: zstd or lz4, the next frame tells which
    for (;;) {
        if (pos >= head.size())
            return skipped ? Detection{Compression::zstd, pos + 4} : Detection{Compression::none, kLongestMagic};
        const Bytes h = head.subspan(pos);
        bool partial = false;   // what is there starts a magic that is cut short
        for (const auto& m : kMagics) {
            const std::size_t k = std::min(h.size(), m.size);
            if (!std::equal(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(k), m.bytes.begin())) continue;
            if (k == m.size) return {m.kind, 0};
            partial = true;
        }
        // A skippable frame: 50..5f 2a 4d 18 (little-endian 0x184d2a5?), a 32-bit length, that many bytes.
        static constexpr std::uint8_t kSkip[] = {0x50, 0x2a, 0x4d, 0x18};
        bool skippable = (h[0] & 0xf0) == kSkip[0];
        for (std::size_t i = 1; i < std::min<std::size_t>(h.size(), 4); ++i) skippable = skippable && h[i] == kSkip[i];
        if (skippable && h.size() >= 8) {
            const std::uint32_t len = static_cast<std::uint32_t>(h[4]) | static_cast<std::uint32_t>(h[5]) << 8 |
                                      static_cast<std::uint32_t>(h[6]) << 16 | static_cast<std::uint32_t>(h[7]) << 24;
            pos += 8 + std::size_t{len};
            skipped = true;
            continue;
        }
        const Compression guess = skipped ? Compression::zstd : Compression::none;
        if (skippable) return {guess, pos + 8};
        if (partial) return {guess, pos + kLongestMagic};
        return {guess, 0};   // after skippable frames something else: zstd's decoder will say what
    }
}

// ---------------------------------------------------------------------------------------------

DescriptorSource::DescriptorSource(int fd, std::vector<std::uint8_t> prefix) : fd_{fd}, prefix_{std::move(prefix)} {}

std::ptrdiff_t DescriptorSource::read(std::uint8_t* into, std::size_t n) {
    if (prefix_pos_ < prefix_.size()) {
        const std::size_t k = std::min(n, prefix_.size() - prefix_pos_);
        std::memcpy(into, prefix_.data() + prefix_pos_, k);
        prefix_pos_ += k;
        if (prefix_pos_ == prefix_.size()) {
            std::vector<std::uint8_t>().swap(prefix_);
            prefix_pos_ = 0;
        }
        return static_cast<std::ptrdiff_t>(k);
    }
    return ::read(fd_, into, std::min<std::size_t>(n, SSIZE_MAX));
}

// ---------------------------------------------------------------------------------------------

std::unique_ptr<Decompressor> Decompressor::create(Compression kind, std::unique_ptr<ByteSource> input) {
    switch (kind) {
    case Compression::gzip: return std::make_unique<GzipDecompressor>(std::move(input));
    case Compression::bzip2: return std::make_unique<Bzip2Decompressor>(std::move(input));
    case Compression::xz: return std::make_unique<XzDecompressor>(std::move(input));
    case Compression::zstd: return std::make_unique<ZstdDecompressor>(std::move(input));
    case Compression::lz4: return std::make_unique<Lz4Decompressor>(std::move(input));
    case Compression::none: break;
    }
    throw std::invalid_argument("Decompressor::create: no compression");
}

Decompressor::Decompressor(Compression kind, std::unique_ptr<ByteSource> input)
    : kind_{kind}, input_{std::move(input)}, in_{std::make_unique_for_overwrite<std::uint8_t[]>(kChunk)} {}

Decompressor::~Decompressor() = default;

void Decompressor::fail(std::string message) {
    failed_ = true;
    error_ = std::move(message);
}

bool Decompressor::refill() {
    if (in_pos_ == in_len_) in_pos_ = in_len_ = 0;
    const std::ptrdiff_t got = input_->read(in_.get() + in_len_, kChunk - in_len_);
    if (got < 0) {
        const int e = errno;
        const std::string why = input_->error();
        fail("cannot read the " + std::string(compression_name(kind_)) + " data: " + (why.empty() ? std::strerror(e) : why));
        errno_ = e;
        return false;
    }
    if (got == 0) in_end_ = true;
    in_len_ += static_cast<std::size_t>(got);
    return true;
}

std::ptrdiff_t Decompressor::read(std::uint8_t* into, std::size_t n) {
    std::size_t produced = 0;
    while (produced < n && !done_ && !failed_) {
        if (in_pos_ == in_len_ && !in_end_ && !refill()) break;
        const bool exhausted = in_end_ && in_pos_ == in_len_;
        if (between_) {
            if (exhausted) {
                done_ = true;
                break;
            }
            restart();   // more follows: another stream (or something that is not one: an error)
            between_ = false;
        }
        std::size_t used = 0, made = 0;
        std::string why;
        const Step s = step(in_.get() + in_pos_, in_len_ - in_pos_, into + produced, n - produced, in_end_, used,
                            made, why);
        in_pos_ += used;
        in_total_ += used;
        produced += made;
        out_total_ += made;
        const std::string name{compression_name(kind_)};
        if (s == Step::error) {
            // Where in the compressed bytes is not told by every library (zstd and lz4 say nothing
            // of what they took before a checksum fails): the decompressed bytes are the measure.
            fail(name + " data is corrupt after " + std::to_string(out_total_) + " bytes decompressed (" + why + ")");
            errno_ = EIO;
        } else if (s == Step::stream_end) {
            between_ = true;
        } else if (used == 0 && made == 0 && in_pos_ == in_len_ && in_end_) {
            fail(name + " data is truncated: the input ends inside it, after " + std::to_string(in_total_) +
                 " compressed bytes, " + std::to_string(out_total_) + " bytes decompressed");
            errno_ = EIO;
        } else if (used == 0 && made == 0 && in_pos_ < in_len_) {
            // Every library keeps what it cannot use yet, so this does not happen; if it did, the
            // loop would spin.
            fail(name + " decoder made no progress at compressed byte " + std::to_string(in_total_));
            errno_ = EIO;
        }
    }
    if (produced > 0) return static_cast<std::ptrdiff_t>(produced);   // an error comes with the next call
    if (failed_) {
        errno = errno_;
        return -1;
    }
    return 0;
}

// ---------------------------------------------------------------------------------------------

OpenedInput open_input(int fd) {
    OpenedInput result;
    // A seekable file: look with pread(2), which leaves the offset alone, so a plain capture is
    // read by libpcap exactly as if nobody had looked.
    const off_t at = ::lseek(fd, 0, SEEK_CUR);
    if (at >= 0) {
        std::vector<std::uint8_t> head(kLook);
        ssize_t got = ::pread(fd, head.data(), head.size(), at);
        if (got >= 0 || errno != ESPIPE) {
            if (got < 0) return result;   // libpcap meets the error and says it as it always did
            Detection d = detect_compression(Bytes{head.data(), static_cast<std::size_t>(got)});
            if (d.need > head.size() && static_cast<std::size_t>(got) == head.size() && d.need <= kMaxLook) {
                head.resize(d.need);
                got = ::pread(fd, head.data(), head.size(), at);
                if (got < 0) return result;
                d = detect_compression(Bytes{head.data(), static_cast<std::size_t>(got)});
            }
            result.kind = d.kind;
            if (d.kind != Compression::none)
                result.stream = Decompressor::create(d.kind, std::make_unique<DescriptorSource>(fd));
            return result;
        }
    }
    // A pipe, a terminal, a socket: what is read to look at it is handed out again first.
    std::vector<std::uint8_t> taken;
    Detection d = detect_compression({});
    bool end = false;
    while (!end && d.need > taken.size() && d.need <= kMaxLook) {
        const std::size_t old = taken.size();
        taken.resize(std::max(d.need, old + 4096));
        const ssize_t got = ::read(fd, taken.data() + old, taken.size() - old);
        if (got < 0) throw std::runtime_error(std::strerror(errno));
        taken.resize(old + static_cast<std::size_t>(got));
        end = got == 0;
        d = detect_compression(Bytes{taken.data(), taken.size()});
    }
    result.kind = d.kind;
    auto raw = std::make_unique<DescriptorSource>(fd, std::move(taken));
    if (d.kind == Compression::none)
        result.stream = std::move(raw);
    else
        result.stream = Decompressor::create(d.kind, std::move(raw));
    return result;
}

std::FILE* open_stream(ByteSource& source) {
    cookie_io_functions_t io{};
    io.read = [](void* cookie, char* buf, std::size_t size) -> ssize_t {
        return static_cast<ByteSource*>(cookie)->read(reinterpret_cast<std::uint8_t*>(buf), size);
    };
    io.close = [](void*) { return 0; };
    return ::fopencookie(&source, "r", io);
}

std::string Decompressor::error_further_on() {
    constexpr std::size_t kLookFurther = std::size_t{64} << 20;
    std::vector<std::uint8_t> scratch(std::size_t{1} << 20);
    for (std::size_t seen = 0; seen < kLookFurther;) {
        const auto n = read(scratch.data(), scratch.size());
        if (n <= 0) break;
        seen += static_cast<std::size_t>(n);
    }
    return error();
}

}  // namespace tcpflow
