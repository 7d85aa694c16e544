// pcap_writer.h: write small classic pcap files for end-to-end tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "support/packet_builder.h"

namespace tcpflow::test {

struct Record {
    std::int64_t sec = 1600000000;
    std::int64_t usec = 0;
    Frame data;
    std::uint32_t orig_len = 0;   ///< 0 = data.size()
};

/// Writes a little-endian microsecond pcap (or nanosecond when `nanosecond`, big-endian when
/// `big_endian`) with the given link type and snaplen.
void write_pcap(const std::string& path, int linktype, const std::vector<Record>& records,
                std::uint32_t snaplen = 262144, bool nanosecond = false, bool big_endian = false);

/// A conversation helper: records one packet each, `step_usec` apart (1 ms by default), starting
/// at 1600000000.001.
class Capture {
public:
    explicit Capture(int linktype = 1, std::int64_t step_usec = 1000) : linktype_{linktype}, step_{step_usec} {}
    void add(Frame f, std::uint32_t orig_len = 0);
    void reserve(std::size_t n) { records_.reserve(n); }
    void write(const std::string& path) const { write_pcap(path, linktype_, records_); }
    [[nodiscard]] const std::vector<Record>& records() const { return records_; }

private:
    int linktype_;
    std::vector<Record> records_;
    std::int64_t step_;
    std::int64_t next_usec_ = 1000;
};

}  // namespace tcpflow::test
