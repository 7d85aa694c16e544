#include "support/pcap_writer.h"

#include <fstream>
#include <stdexcept>

namespace tcpflow::test {

namespace {
void put32(std::ofstream& o, std::uint32_t v, bool be) {
    char b[4];
    for (int i = 0; i < 4; ++i) b[be ? 3 - i : i] = static_cast<char>((v >> (8 * i)) & 0xff);
    o.write(b, 4);
}
void put16(std::ofstream& o, std::uint16_t v, bool be) {
    char b[2];
    for (int i = 0; i < 2; ++i) b[be ? 1 - i : i] = static_cast<char>((v >> (8 * i)) & 0xff);
    o.write(b, 2);
}
}  // namespace

void write_pcap(const std::string& path, int linktype, const std::vector<Record>& records,
                std::uint32_t snaplen, bool nanosecond, bool big_endian) {
    std::ofstream o(path, std::ios::binary | std::ios::trunc);
    if (!o) throw std::runtime_error("cannot write " + path);
    put32(o, nanosecond ? 0xa1b23c4du : 0xa1b2c3d4u, big_endian);
    put16(o, 2, big_endian);
    put16(o, 4, big_endian);
    put32(o, 0, big_endian);
    put32(o, 0, big_endian);
    put32(o, snaplen, big_endian);
    put32(o, static_cast<std::uint32_t>(linktype), big_endian);
    for (const auto& r : records) {
        put32(o, static_cast<std::uint32_t>(r.sec), big_endian);
        put32(o, static_cast<std::uint32_t>(nanosecond ? r.usec * 1000 : r.usec), big_endian);
        put32(o, static_cast<std::uint32_t>(r.data.size()), big_endian);
        put32(o, r.orig_len ? r.orig_len : static_cast<std::uint32_t>(r.data.size()), big_endian);
        o.write(reinterpret_cast<const char*>(r.data.data()), static_cast<std::streamsize>(r.data.size()));
    }
}

void Capture::add(Frame f, std::uint32_t orig_len) {
    Record r;
    r.sec = 1600000000 + next_usec_ / 1000000;
    r.usec = next_usec_ % 1000000;
    r.data = std::move(f);
    r.orig_len = orig_len;
    records_.push_back(std::move(r));
    next_usec_ += step_;
}

}  // namespace tcpflow::test
