// capture_reading.h: reading the native capture-file reader (CaptureFile) from memory in tests:
// a ByteSource that hands out little at a time, read_all() into plain values, and frame helpers.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "support/pcapng_writer.h"
#include "tcpflow/capture/capture_file.h"

namespace tcpflow::test {

using ByteVec = std::vector<std::uint8_t>;

/// Hands out `data` in reads of at most `step` bytes (a pipe that delivers little at a time).
class MemorySource final : public ByteSource {
public:
    MemorySource(ByteVec data, std::size_t step) : data_{std::move(data)}, step_{step} {}
    std::ptrdiff_t read(std::uint8_t* into, std::size_t n) override {
        const std::size_t k = std::min({n, step_, data_.size() - pos_});
        std::memcpy(into, data_.data() + pos_, k);
        pos_ += k;
        ++reads;
        return static_cast<std::ptrdiff_t>(k);
    }
    std::size_t reads = 0;

private:
    ByteVec data_;
    std::size_t step_;
    std::size_t pos_ = 0;
};

struct Got {
    std::int64_t ns;
    std::uint32_t wire_len;
    ByteVec data;
    int dlt;
};

struct ReadAll {
    std::vector<Got> packets;
    ReadResult last = ReadResult::end;
    std::string error;
};

inline ReadAll read_all(CaptureFile& f) {
    ReadAll out;
    RawPacket p;
    while ((out.last = f.next(p)) == ReadResult::packet)
        out.packets.push_back({p.ts.ns, p.wire_len, ByteVec(p.data.begin(), p.data.end()), p.dlt});
    out.error = f.error();
    return out;
}

inline CaptureFile open(const ByteVec& bytes, std::size_t step = SIZE_MAX, std::size_t chunk = 64) {
    return CaptureFile(std::make_unique<MemorySource>(bytes, step), Compression::none, chunk);
}

inline Frame head(Frame f, std::size_t n) {
    f.resize(n);
    return f;
}

inline Frame frame(std::size_t n, std::uint8_t seed) {
    Frame f(n);
    for (std::size_t i = 0; i < n; ++i) f[i] = static_cast<std::uint8_t>(seed + i);
    return f;
}

}  // namespace tcpflow::test
