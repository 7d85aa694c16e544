#include "tcpflow/bytes.h"

namespace tcpflow {

std::optional<std::uint8_t> ByteReader::u8() noexcept {
    if (remaining() < 1) return std::nullopt;
    return bytes_[pos_++];
}

std::optional<std::uint16_t> ByteReader::be16() noexcept {
    if (remaining() < 2) return std::nullopt;
    const auto v = static_cast<std::uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
    pos_ += 2;
    return v;
}

std::optional<std::uint32_t> ByteReader::be32() noexcept {
    if (remaining() < 4) return std::nullopt;
    const std::uint32_t v = (std::uint32_t{bytes_[pos_]} << 24) | (std::uint32_t{bytes_[pos_ + 1]} << 16) |
                            (std::uint32_t{bytes_[pos_ + 2]} << 8) | std::uint32_t{bytes_[pos_ + 3]};
    pos_ += 4;
    return v;
}

std::optional<std::uint16_t> ByteReader::le16() noexcept {
    if (remaining() < 2) return std::nullopt;
    const auto v = static_cast<std::uint16_t>(bytes_[pos_] | (bytes_[pos_ + 1] << 8));
    pos_ += 2;
    return v;
}

std::optional<std::uint32_t> ByteReader::le32() noexcept {
    if (remaining() < 4) return std::nullopt;
    const std::uint32_t v = std::uint32_t{bytes_[pos_]} | (std::uint32_t{bytes_[pos_ + 1]} << 8) |
                            (std::uint32_t{bytes_[pos_ + 2]} << 16) | (std::uint32_t{bytes_[pos_ + 3]} << 24);
    pos_ += 4;
    return v;
}

std::optional<Bytes> ByteReader::take(std::size_t n) noexcept {
    if (remaining() < n) return std::nullopt;
    Bytes out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
}

bool ByteReader::skip(std::size_t n) noexcept {
    if (remaining() < n) return false;
    pos_ += n;
    return true;
}

std::optional<std::uint8_t> ByteReader::peek_u8(std::size_t offset) const noexcept {
    if (offset >= bytes_.size()) return std::nullopt;
    return bytes_[offset];
}

std::optional<std::uint16_t> ByteReader::peek_be16(std::size_t offset) const noexcept {
    if (offset > bytes_.size() || bytes_.size() - offset < 2) return std::nullopt;
    return static_cast<std::uint16_t>((bytes_[offset] << 8) | bytes_[offset + 1]);
}

}  // namespace tcpflow
