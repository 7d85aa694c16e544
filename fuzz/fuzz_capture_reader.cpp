// fuzz_capture_reader: the native capture-file reader (pcap and pcapng) on arbitrary bytes.
// Input: byte 0 picks how the bytes arrive (reads of 1 to 256 bytes at a time, like a pipe) and
// the buffer size (small, so records straddle its end and it grows); the rest is the file.
// Every packet's bytes are touched, so a span past the buffer is caught by AddressSanitizer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "tcpflow/capture/capture_file.h"

using namespace tcpflow;

namespace {

class MemorySource final : public ByteSource {
public:
    MemorySource(const std::uint8_t* data, std::size_t size, std::size_t step) : data_{data}, size_{size}, step_{step} {}
    std::ptrdiff_t read(std::uint8_t* into, std::size_t n) override {
        const std::size_t k = std::min({n, step_, size_ - pos_});
        if (k) std::memcpy(into, data_ + pos_, k);
        pos_ += k;
        return static_cast<std::ptrdiff_t>(k);
    }

private:
    const std::uint8_t* data_;
    std::size_t size_, step_, pos_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t step = (data[0] & 0x0f) == 0 ? SIZE_MAX : std::size_t{1} << (data[0] & 0x07);
    const std::size_t chunk = std::size_t{64} << (data[0] >> 4 & 0x07);
    try {
        CaptureFile f{std::make_unique<MemorySource>(data + 1, size - 1, step), Compression::none, chunk};
        RawPacket p;
        unsigned sum = 0;
        while (f.next(p) == ReadResult::packet)
            for (const std::uint8_t b : p.data) sum += b;
        for (const auto& s : f.secrets()) sum += static_cast<unsigned>(s.data.size());
        if (sum == 0xdeadbeef) std::abort();   // keep the reads
    } catch (const std::runtime_error&) {
    }
    return 0;
}
