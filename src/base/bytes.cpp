// bytes.cpp: the little-endian reads (capture headers, radiotap); the hot big-endian reads are
// inline in bytes.h.
#include "tcpflow/base/bytes.h"

namespace tcpflow {

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

}  // namespace tcpflow
