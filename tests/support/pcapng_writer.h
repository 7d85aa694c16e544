// pcapng_writer.h: build pcapng files block by block for tests (sections in either byte order,
// interfaces with their own link type, snaplen, if_tsresol and if_tsoffset, every packet block).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/packet_builder.h"

namespace tcpflow::test {

class PcapngWriter {
public:
    /// Starts a new section (Section Header Block) in the given byte order.
    void section(bool big_endian = false);
    /// Adds an Interface Description Block. `tsresol` < 0: no option (microseconds);
    /// `tsoffset` 0: no option.
    void interface(std::uint16_t linktype, std::uint32_t snaplen, int tsresol = -1, std::int64_t tsoffset = 0);
    /// Enhanced Packet Block; `units` in the interface's resolution; orig_len 0 = frame size.
    void epb(std::uint32_t ifc, std::uint64_t units, const Frame& f, std::uint32_t orig_len = 0);
    void spb(const Frame& f, std::uint32_t orig_len = 0);
    void obsolete_packet(std::uint16_t ifc, std::uint64_t units, const Frame& f);
    void secrets(std::uint32_t type, const std::string& data);
    /// Any block: type, body (padded to 4 bytes).
    void block(std::uint32_t type, const std::vector<std::uint8_t>& body);
    /// A custom block (type 0x00000BAD, a private enterprise number, `n` bytes of data).
    void custom(std::size_t n);

    [[nodiscard]] const std::vector<std::uint8_t>& bytes() const noexcept { return out_; }
    std::vector<std::uint8_t>& mutable_bytes() noexcept { return out_; }
    void write(const std::string& path) const;

private:
    void put16(std::vector<std::uint8_t>& v, std::uint16_t x) const;
    void put32(std::vector<std::uint8_t>& v, std::uint32_t x) const;
    bool big_ = false;
    std::vector<std::uint8_t> out_;
};

}  // namespace tcpflow::test
