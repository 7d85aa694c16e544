// pcap_file_reader.h: the classic pcap format (libpcap's savefile), read from a ReadBuffer.
//
// Both byte orders; microsecond (a1b2c3d4), nanosecond (a1b23c4d) and the modified "Kuznetzov"
// (a1b2cd34, 8 more bytes per record header) magic numbers; the link type with its FCS bits
// masked off; the snapshot length as libpcap adjusts it (0 or more than the link type's maximum:
// the maximum). Records are checked as libpcap checks them: a captured length above the maximum
// is an error, one above the snapshot length is cut to it; versions before 2.3 have the two
// lengths swapped.
#pragma once

#include <cstdint>

#include "tcpflow/capture/read_buffer.h"
#include "tcpflow/decode/packet.h"

namespace tcpflow {

class PcapFileReader {
public:
    /// True when `head` (at least 4 bytes) starts with a pcap magic number.
    [[nodiscard]] static bool recognises(Bytes head) noexcept;
    /// Reads the 24-byte file header. False with `err` set when it cannot be used.
    bool open(ReadBuffer& in, ReadError& err);
    /// The next record: its frame points into `in`'s buffer, valid until the next call.
    ReadResult next(ReadBuffer& in, RawPacket& out, ReadError& err);

    [[nodiscard]] int dlt() const noexcept { return dlt_; }
    [[nodiscard]] std::uint32_t snaplen() const noexcept { return snaplen_; }
    [[nodiscard]] bool nanosecond() const noexcept { return nano_; }
    /// The file's byte order is big-endian.
    [[nodiscard]] bool big_endian() const noexcept { return big_; }
    /// Length of the frame check sequence at the end of each frame, from the header (0: none said).
    [[nodiscard]] unsigned fcs_bytes() const noexcept { return fcs_bytes_; }

private:
    enum class Swap : std::uint8_t { no, maybe, yes };
    bool big_ = false, nano_ = false;
    std::size_t header_size_ = 16;
    int dlt_ = 1;
    std::uint32_t snaplen_ = 262144;
    unsigned fcs_bytes_ = 0;
    Swap swap_ = Swap::no;
};

}  // namespace tcpflow
