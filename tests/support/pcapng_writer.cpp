#include "support/pcapng_writer.h"

#include <fstream>
#include <stdexcept>

namespace tcpflow::test {

void PcapngWriter::put16(std::vector<std::uint8_t>& v, std::uint16_t x) const {
    for (int i = 0; i < 2; ++i) v.push_back(static_cast<std::uint8_t>(x >> (8 * (big_ ? 1 - i : i))));
}

void PcapngWriter::put32(std::vector<std::uint8_t>& v, std::uint32_t x) const {
    for (int i = 0; i < 4; ++i) v.push_back(static_cast<std::uint8_t>(x >> (8 * (big_ ? 3 - i : i))));
}

void PcapngWriter::block(std::uint32_t type, const std::vector<std::uint8_t>& body) {
    std::vector<std::uint8_t> b = body;
    while (b.size() % 4) b.push_back(0);
    const auto total = static_cast<std::uint32_t>(b.size() + 12);
    put32(out_, type);
    put32(out_, total);
    out_.insert(out_.end(), b.begin(), b.end());
    put32(out_, total);
}

void PcapngWriter::section(bool big_endian) {
    big_ = big_endian;
    std::vector<std::uint8_t> body;
    put32(body, 0x1a2b3c4d);
    put16(body, 1);
    put16(body, 0);
    put32(body, 0xffffffff);
    put32(body, 0xffffffff);
    block(0x0a0d0d0a, body);
}

void PcapngWriter::interface(std::uint16_t linktype, std::uint32_t snaplen, int tsresol, std::int64_t tsoffset) {
    std::vector<std::uint8_t> body;
    put16(body, linktype);
    put16(body, 0);
    put32(body, snaplen);
    if (tsresol >= 0) {
        put16(body, 9);
        put16(body, 1);
        body.push_back(static_cast<std::uint8_t>(tsresol));
        body.insert(body.end(), 3, 0);
    }
    if (tsoffset != 0) {
        put16(body, 14);
        put16(body, 8);
        const auto u = static_cast<std::uint64_t>(tsoffset);
        // A 64-bit option value in the section's byte order.
        if (big_) {
            put32(body, static_cast<std::uint32_t>(u >> 32));
            put32(body, static_cast<std::uint32_t>(u));
        } else {
            put32(body, static_cast<std::uint32_t>(u));
            put32(body, static_cast<std::uint32_t>(u >> 32));
        }
    }
    put16(body, 0);
    put16(body, 0);
    block(1, body);
}

void PcapngWriter::epb(std::uint32_t ifc, std::uint64_t units, const Frame& f, std::uint32_t orig_len) {
    std::vector<std::uint8_t> body;
    put32(body, ifc);
    put32(body, static_cast<std::uint32_t>(units >> 32));
    put32(body, static_cast<std::uint32_t>(units));
    put32(body, static_cast<std::uint32_t>(f.size()));
    put32(body, orig_len ? orig_len : static_cast<std::uint32_t>(f.size()));
    body.insert(body.end(), f.begin(), f.end());
    block(6, body);
}

void PcapngWriter::spb(const Frame& f, std::uint32_t orig_len) {
    std::vector<std::uint8_t> body;
    put32(body, orig_len ? orig_len : static_cast<std::uint32_t>(f.size()));
    body.insert(body.end(), f.begin(), f.end());
    block(3, body);
}

void PcapngWriter::obsolete_packet(std::uint16_t ifc, std::uint64_t units, const Frame& f) {
    std::vector<std::uint8_t> body;
    put16(body, ifc);
    put16(body, 0);
    put32(body, static_cast<std::uint32_t>(units >> 32));
    put32(body, static_cast<std::uint32_t>(units));
    put32(body, static_cast<std::uint32_t>(f.size()));
    put32(body, static_cast<std::uint32_t>(f.size()));
    body.insert(body.end(), f.begin(), f.end());
    block(2, body);
}

void PcapngWriter::secrets(std::uint32_t type, const std::string& data) {
    std::vector<std::uint8_t> body;
    put32(body, type);
    put32(body, static_cast<std::uint32_t>(data.size()));
    body.insert(body.end(), data.begin(), data.end());
    block(10, body);
}

void PcapngWriter::custom(std::size_t n) {
    std::vector<std::uint8_t> body;
    put32(body, 32473);   // the example private enterprise number
    for (std::size_t i = 0; i < n; ++i) body.push_back(static_cast<std::uint8_t>(0xa0 + i));
    block(0x00000bad, body);
}

void PcapngWriter::write(const std::string& path) const {
    std::ofstream o(path, std::ios::binary | std::ios::trunc);
    if (!o) throw std::runtime_error("cannot write " + path);
    o.write(reinterpret_cast<const char*>(out_.data()), static_cast<std::streamsize>(out_.size()));
}

}  // namespace tcpflow::test
