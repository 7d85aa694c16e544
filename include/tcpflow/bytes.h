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

}  // namespace tcpflow
