// decompress.h: compressed capture files (adapter; zlib, libbz2, liblzma, libzstd, liblz4).
//
// The compression is recognised by the first bytes (gzip, bzip2, xz, zstd, lz4 frame), never by a
// file name. A Decompressor turns a source of compressed bytes into the bytes it holds; open_input()
// looks at what a descriptor holds without disturbing a plain seekable file, and open_stream()
// makes any ByteSource a stdio stream for libpcap.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tcpflow/base/bytes.h"

namespace tcpflow {

enum class Compression { none, gzip, bzip2, xz, zstd, lz4 };

/// "gzip", "bzip2", "xz", "zstd", "lz4"; "" for none.
[[nodiscard]] std::string_view compression_name(Compression kind) noexcept;

struct Detection {
    Compression kind = Compression::none;
    /// 0: decided. Otherwise the answer may change once this many bytes (more than were given)
    /// are seen; `kind` is then the best guess from what was given.
    std::size_t need = 0;
};

/// The compression of a file that starts with `head`: gzip 1f 8b, bzip2 "BZh", xz fd 37 7a 58 5a 00,
/// zstd 28 b5 2f fd, lz4 frame 04 22 4d 18. Skippable frames (5? 2a 4d 18, shared by zstd and lz4)
/// are stepped over and the frame after them decides; zstd when none follows.
[[nodiscard]] Detection detect_compression(Bytes head) noexcept;

/// Something that hands out bytes in order.
class ByteSource {
public:
    virtual ~ByteSource() = default;
    /// Up to `n` bytes into `into`: the count, 0 at the end, -1 with errno set on an error.
    virtual std::ptrdiff_t read(std::uint8_t* into, std::size_t n) = 0;
    /// What went wrong, in words, when read() returned -1 for a reason errno does not tell ("" else).
    [[nodiscard]] virtual std::string error() const { return {}; }
};

/// A descriptor's bytes (read(2), any size asked for), after `prefix`: bytes already taken from
/// it to look at them. Does not own the descriptor.
class DescriptorSource final : public ByteSource {
public:
    explicit DescriptorSource(int fd, std::vector<std::uint8_t> prefix = {});
    std::ptrdiff_t read(std::uint8_t* into, std::size_t n) override;

private:
    int fd_;
    std::vector<std::uint8_t> prefix_;
    std::size_t prefix_pos_ = 0;
};

/// Decompresses one kind of data from a ByteSource, in 1 MiB reads of it. Concatenated streams
/// (`cat a.gz b.gz`, several zstd or lz4 frames, several xz streams) are read one after another;
/// anything after the last one that does not start another is an error. read() hands out what
/// was decompressed before an error first and returns -1 (errno EIO) from the next call on;
/// error() then says what happened and where:
///   "gzip data is corrupt after 65536 bytes decompressed (invalid distance too far back)"
///   "xz data is truncated: the input ends inside it, after 5631 compressed bytes, 65536 bytes
///    decompressed"
class Decompressor : public ByteSource {
public:
    /// `kind` must not be none.
    static std::unique_ptr<Decompressor> create(Compression kind, std::unique_ptr<ByteSource> input);
    ~Decompressor() override;
    Decompressor(const Decompressor&) = delete;
    Decompressor& operator=(const Decompressor&) = delete;

    /// Fills `into` as far as the data goes: fewer than `n` bytes only at the end or before an error.
    std::ptrdiff_t read(std::uint8_t* into, std::size_t n) override;
    [[nodiscard]] std::string error() const override { return error_; }
    [[nodiscard]] Compression kind() const noexcept { return kind_; }
    [[nodiscard]] std::uint64_t bytes_in() const noexcept { return in_total_; }
    [[nodiscard]] std::uint64_t bytes_out() const noexcept { return out_total_; }
    /// After the data was refused: corrupt compressed data often decompresses to garbage before a
    /// checksum (at the end of a bzip2 block, an xz block, a gzip member, a zstd or lz4 frame)
    /// tells. Decompresses up to 64 MiB further and returns the error that shows (empty: none).
    [[nodiscard]] std::string error_further_on();

protected:
    enum class Step { more, stream_end, error };
    /// One call of the library: consumes from [in, in + in_len) and writes to [out, out + out_len),
    /// telling how much through `used` and `made`. `last` = no input comes after `in_len`.
    /// On Step::error, `why` holds the library's words.
    virtual Step step(const std::uint8_t* in, std::size_t in_len, std::uint8_t* out, std::size_t out_len,
                      bool last, std::size_t& used, std::size_t& made, std::string& why) = 0;
    /// Makes ready for another stream after Step::stream_end.
    virtual void restart() = 0;

    explicit Decompressor(Compression kind, std::unique_ptr<ByteSource> input);

private:
    bool refill();
    void fail(std::string message);

    Compression kind_;
    std::unique_ptr<ByteSource> input_;
    std::unique_ptr<std::uint8_t[]> in_;
    std::size_t in_pos_ = 0, in_len_ = 0;
    bool in_end_ = false;        // the input has no more bytes than those in in_
    bool between_ = false;       // a stream ended; another may follow
    bool done_ = false, failed_ = false;
    std::uint64_t in_total_ = 0, out_total_ = 0;
    int errno_ = 0;              // what read() sets errno to once failed
    std::string error_;
};

/// A capture input looked at: its compression, and when its bytes cannot simply be read from the
/// descriptor as they are, the stream that gives them.
struct OpenedInput {
    Compression kind = Compression::none;
    /// null: a plain file the descriptor reads as it is (looked at with pread(2), nothing taken);
    /// else the whole content from the start: decompressed, or (a plain pipe) the bytes taken to
    /// look at them, then the rest of the descriptor.
    std::unique_ptr<ByteSource> stream;
};

/// Looks at the first bytes `fd` holds (from its current offset). Throws std::runtime_error with
/// strerror's words when a pipe cannot be read. A seekable file whose first bytes cannot be read
/// is left alone (kind none, no stream): the reader meets the error itself.
[[nodiscard]] OpenedInput open_input(int fd);

/// A read-only stdio stream over `source` (glibc's fopencookie): reads go straight to
/// source.read(), into the stream's buffer. fclose() leaves `source` alone; it must outlive the
/// stream. Null with errno set when the stream cannot be made.
[[nodiscard]] std::FILE* open_stream(ByteSource& source);

}  // namespace tcpflow
