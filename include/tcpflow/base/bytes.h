// bytes.h: byte spans and the one bounds-checked reader through which untrusted bytes are read.
//
// Every decoder reads packet data only through ByteReader. A read past the end returns
// std::nullopt and never touches memory outside the span; there are no casts of wire structs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace tcpflow {

using Bytes = std::span<const std::uint8_t>;

/// Sequential, bounds-checked reader over a byte span. Big-endian (network order) unless the
/// method name says `le`.
class ByteReader {
public:
    explicit ByteReader(Bytes bytes) noexcept : bytes_{bytes} {}

    [[nodiscard]] std::size_t remaining() const noexcept { return bytes_.size() - pos_; }
    [[nodiscard]] std::size_t position() const noexcept { return pos_; }
    [[nodiscard]] bool can_read(std::size_t n) const noexcept { return remaining() >= n; }

    [[nodiscard]] std::optional<std::uint8_t> u8() noexcept;
    [[nodiscard]] std::optional<std::uint16_t> be16() noexcept;
    [[nodiscard]] std::optional<std::uint32_t> be32() noexcept;
    [[nodiscard]] std::optional<std::uint16_t> le16() noexcept;
    [[nodiscard]] std::optional<std::uint32_t> le32() noexcept;
    /// Sub-span of the next n bytes; advances past them.
    [[nodiscard]] std::optional<Bytes> take(std::size_t n) noexcept;
    /// Advances n bytes; false (and no move) if fewer remain.
    [[nodiscard]] bool skip(std::size_t n) noexcept;
    /// The bytes not read yet.
    [[nodiscard]] Bytes rest() const noexcept { return bytes_.subspan(pos_); }

    /// Reads at absolute offset without moving (for fields read out of order).
    [[nodiscard]] std::optional<std::uint8_t> peek_u8(std::size_t offset) const noexcept;
    [[nodiscard]] std::optional<std::uint16_t> peek_be16(std::size_t offset) const noexcept;

private:
    Bytes bytes_;
    std::size_t pos_ = 0;
};

// The reads every packet makes are inline: a call per header field was a measurable share of
// decoding.
inline std::optional<std::uint8_t> ByteReader::u8() noexcept {
    if (remaining() < 1) return std::nullopt;
    return bytes_[pos_++];
}

inline std::optional<std::uint16_t> ByteReader::be16() noexcept {
    if (remaining() < 2) return std::nullopt;
    const auto v = static_cast<std::uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
    pos_ += 2;
    return v;
}

inline std::optional<std::uint32_t> ByteReader::be32() noexcept {
    if (remaining() < 4) return std::nullopt;
    const std::uint32_t v = (std::uint32_t{bytes_[pos_]} << 24) | (std::uint32_t{bytes_[pos_ + 1]} << 16) |
                            (std::uint32_t{bytes_[pos_ + 2]} << 8) | std::uint32_t{bytes_[pos_ + 3]};
    pos_ += 4;
    return v;
}

inline std::optional<Bytes> ByteReader::take(std::size_t n) noexcept {
    if (remaining() < n) return std::nullopt;
    Bytes out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
}

inline bool ByteReader::skip(std::size_t n) noexcept {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
}

inline std::optional<std::uint8_t> ByteReader::peek_u8(std::size_t offset) const noexcept {
    if (offset >= bytes_.size()) return std::nullopt;
    return bytes_[offset];
}

inline std::optional<std::uint16_t> ByteReader::peek_be16(std::size_t offset) const noexcept {
    if (offset > bytes_.size() || bytes_.size() - offset < 2) return std::nullopt;
    return static_cast<std::uint16_t>((bytes_[offset] << 8) | bytes_[offset + 1]);
}

}  // namespace tcpflow
