#include "tcpflow/capture/read_buffer.h"

#include <cerrno>
#include <cstring>
#include <functional>

namespace tcpflow {

ReadBuffer::ReadBuffer(std::unique_ptr<ByteSource> source, std::size_t chunk)
    : source_{std::move(source)}, buf_{std::make_unique_for_overwrite<std::uint8_t[]>(chunk)}, cap_{chunk} {}

void ReadBuffer::make_room(std::size_t n) {
    const std::size_t have = end_ - pos_;
    if (n > cap_) {
        // One record larger than the buffer (the readers bound how large): grow to it.
        auto bigger = std::make_unique_for_overwrite<std::uint8_t[]>(n);
        if (have) std::memcpy(bigger.get(), buf_.get() + pos_, have);
        buf_ = std::move(bigger);
        cap_ = n;
    } else if (have) {
        std::memmove(buf_.get(), buf_.get() + pos_, have);
    }
    pos_ = 0;
    end_ = have;
}

std::span<std::uint8_t> ReadBuffer::writable(Bytes b) noexcept {
    const std::less<const std::uint8_t*> before;
    const std::uint8_t* start = buf_.get();
    if (b.empty() || before(b.data(), start) || before(start + end_, b.data() + b.size())) return {};
    return {buf_.get() + (b.data() - start), b.size()};
}

Bytes ReadBuffer::peek(std::size_t n) {
    if (end_ - pos_ >= n || done_) return Bytes{buf_.get() + pos_, std::min(n, end_ - pos_)};
    // The bytes left (less than one record) go to the start, so every read can fill the rest.
    if (pos_ > 0 || n > cap_) make_room(n);
    while (end_ - pos_ < n) {
        const std::ptrdiff_t got = source_->read(buf_.get() + end_, cap_ - end_);
        if (got > 0) {
            end_ += static_cast<std::size_t>(got);
            continue;
        }
        if (got < 0 && errno == EINTR && !interrupted()) continue;
        if (got < 0 && !(errno == EINTR && interrupted())) {
            failure_ = source_->error();
            if (failure_.empty()) failure_ = std::strerror(errno);
        }
        done_ = true;
        break;
    }
    return Bytes{buf_.get() + pos_, std::min(n, end_ - pos_)};
}

}  // namespace tcpflow

namespace tcpflow {

int dlt_from_linktype(std::uint32_t linktype) noexcept {
    switch (linktype) {
        case 100: return 11;    // ATM_RFC1483
        case 101: return 12;    // RAW (12 on Linux)
        case 102: return 15;    // SLIP_BSDOS
        case 103: return 16;    // PPP_BSDOS
        case 106: return 19;    // ATM_CLIP
        default: return static_cast<int>(linktype & 0x7fffffffu);
    }
}

std::uint32_t max_snaplen_for_dlt(int dlt) noexcept {
    switch (dlt) {
        case 231: return 128u * 1024 * 1024;   // DBUS
        case 279: return 8u * 1024 * 1024;     // EBHSCR
        case 249: return 1024u * 1024;         // USBPCAP
        default: return 262144;
    }
}

}  // namespace tcpflow
