// timestamp.h: packet time. The core never reads the wall clock; every time it sees comes
// from a packet (or, during quiet periods of a live capture, from the adapter that owns the clock).
#pragma once

#include <cstdint>

namespace tcpflow {

/// Nanoseconds since the Unix epoch, as carried by a capture record.
struct Timestamp {
    std::int64_t ns = 0;

    static constexpr Timestamp from_sec_usec(std::int64_t sec, std::int64_t usec) noexcept {
        return Timestamp{sec * 1'000'000'000 + usec * 1'000};
    }
    static constexpr Timestamp from_sec_nsec(std::int64_t sec, std::int64_t nsec) noexcept {
        return Timestamp{sec * 1'000'000'000 + nsec};
    }
    [[nodiscard]] constexpr std::int64_t seconds() const noexcept {
        return ns >= 0 ? ns / 1'000'000'000 : -((-ns + 999'999'999) / 1'000'000'000);
    }
    [[nodiscard]] constexpr std::int64_t subsec_ns() const noexcept { return ns - seconds() * 1'000'000'000; }
    friend constexpr auto operator<=>(Timestamp, Timestamp) = default;
};

constexpr std::int64_t kNsPerSec = 1'000'000'000;

}  // namespace tcpflow
