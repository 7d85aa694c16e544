// md5.h: incremental MD5 (RFC 1321) over byte spans, for `-e md5` (each flow's digest in the
// report). Core module: no I/O.
//
//   Md5 h; h.update(a); h.update(b); auto digest = h.finish();   // == one-shot over a+b
//   std::string text = Md5::hex(digest);                          // 32 lowercase hex digits
//
// finish() may be called once; the object is reset afterwards and can hash a new message.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "tcpflow/base/bytes.h"

namespace tcpflow {

class Md5 {
public:
    using Digest = std::array<std::uint8_t, 16>;

    Md5() noexcept { reset(); }
    void reset() noexcept;
    void update(Bytes data) noexcept;
    /// Pads, returns the digest and resets the state.
    [[nodiscard]] Digest finish() noexcept;

    /// Lowercase hex of a digest (32 characters).
    [[nodiscard]] static std::string hex(const Digest& digest);
    /// One-shot convenience: hex MD5 of `data`.
    [[nodiscard]] static std::string hex_of(Bytes data);

private:
    void block(const std::uint8_t* p) noexcept;

    std::array<std::uint32_t, 4> state_{};
    std::array<std::uint8_t, 64> buffer_{};
    std::uint64_t length_ = 0;   ///< bytes hashed so far
};

}  // namespace tcpflow
