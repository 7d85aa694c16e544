// read_buffer.h: the bytes of a capture input, read in large chunks into one reused buffer.
//
// A capture-file reader asks for the next n bytes with peek(n) and gets them contiguous, pointing
// into the buffer (no copy per record); consume(n) moves on. The buffer is refilled with reads of
// up to its whole size (256 KiB), so a plain file costs one read(2) per 256 KiB, and a pipe or a
// decompressor fills it as far as it gives. 256 KiB, not more: the records are then still in the
// core's cache when the flow writer copies their payload (4 MiB measured 5-10% more CPU on the
// bulk capture, docs/benchmark.md). A record that straddles the end of the buffer is
// moved to its start (the only copy, at most one partial record per refill). The buffer grows
// only when one record is larger than it; the readers bound that size.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "tcpflow/base/bytes.h"
#include "tcpflow/capture/decompress.h"

namespace tcpflow {

/// Where a capture file is damaged, and how.
struct ReadError {
    std::uint64_t offset = 0;   ///< byte offset (in the decompressed content) of what is damaged
    std::string reason;
};

enum class ReadResult { packet, end, error };

class ReadBuffer {
public:
    static constexpr std::size_t kChunk = std::size_t{256} << 10;

    explicit ReadBuffer(std::unique_ptr<ByteSource> source, std::size_t chunk = kChunk);

    /// The next `n` bytes, contiguous and valid until the next peek(); fewer only when the input
    /// ends (or fails: see failure()) before them.
    [[nodiscard]] Bytes peek(std::size_t n);
    /// Moves past `n` bytes that peek() gave.
    void consume(std::size_t n) noexcept {
        pos_ += n;
        offset_ += n;
    }
    /// Byte offset of the next byte in the input.
    [[nodiscard]] std::uint64_t offset() const noexcept { return offset_; }
    /// Why the input stopped before the bytes asked for: "" when it simply ended.
    [[nodiscard]] const std::string& failure() const noexcept { return failure_; }
    /// True once the input ended or failed and every byte was consumed.
    [[nodiscard]] bool at_end() noexcept { return peek(1).empty(); }
    /// A blocked read interrupted by a signal returns (as the end of input) once this was called.
    void interrupt() noexcept { interrupted_.store(true); }
    [[nodiscard]] bool interrupted() const noexcept { return interrupted_.load(); }
    /// `b` (bytes peek() gave, still valid) as writable bytes of the buffer; empty when `b` is not
    /// in it. For the one in-place change libpcap makes too (byte-swapped pseudo-headers).
    [[nodiscard]] std::span<std::uint8_t> writable(Bytes b) noexcept;
    /// The source of the bytes (for what a decompressor can tell about itself).
    [[nodiscard]] ByteSource& source() noexcept { return *source_; }

private:
    void make_room(std::size_t n);

    std::unique_ptr<ByteSource> source_;
    std::unique_ptr<std::uint8_t[]> buf_;
    std::size_t cap_, pos_ = 0, end_ = 0;
    std::uint64_t offset_ = 0;
    bool done_ = false;
    std::string failure_;
    std::atomic<bool> interrupted_{false};
};

}  // namespace tcpflow

namespace tcpflow {

/// A 16- or 32-bit field in the byte order of the file being read.
[[nodiscard]] inline std::optional<std::uint16_t> read16(ByteReader& r, bool big_endian) noexcept {
    return big_endian ? r.be16() : r.le16();
}
[[nodiscard]] inline std::optional<std::uint32_t> read32(ByteReader& r, bool big_endian) noexcept {
    return big_endian ? r.be32() : r.le32();
}

/// The DLT number libpcap gives a LINKTYPE number read from a file (they differ for a few).
[[nodiscard]] int dlt_from_linktype(std::uint32_t linktype) noexcept;
/// The largest captured length libpcap accepts for a link type (262144 for nearly all).
[[nodiscard]] std::uint32_t max_snaplen_for_dlt(int dlt) noexcept;

}  // namespace tcpflow
