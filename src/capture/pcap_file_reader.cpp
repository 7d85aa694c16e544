#include "tcpflow/capture/pcap_file_reader.h"

#include <algorithm>
#include <string>

namespace tcpflow {

namespace {

constexpr std::uint32_t kMicro = 0xa1b2c3d4, kNano = 0xa1b23c4d, kKuznetzov = 0xa1b2cd34;
constexpr std::size_t kFileHeader = 24;
constexpr std::uint32_t kMaxRecord = 16u << 20;   // never more than this in memory for one record

bool known_magic(std::uint32_t m) noexcept { return m == kMicro || m == kNano || m == kKuznetzov; }

std::string cut_short(const std::string& what, std::size_t want, std::size_t got, const ReadBuffer& in) {
    if (!in.failure().empty()) return in.failure();
    return what + ": " + std::to_string(want) + " bytes needed, only " + std::to_string(got) + " left";
}

}  // namespace

bool PcapFileReader::recognises(Bytes head) noexcept {
    ByteReader r{head};
    const auto le = r.le32();
    if (!le) return false;
    const std::uint32_t be = (*le >> 24) | ((*le >> 8) & 0xff00u) | ((*le << 8) & 0xff0000u) | (*le << 24);
    return known_magic(*le) || known_magic(be);
}

bool PcapFileReader::open(ReadBuffer& in, ReadError& err) {
    err.offset = in.offset();
    const Bytes head = in.peek(kFileHeader);
    if (head.size() < kFileHeader) {
        err.reason = cut_short("truncated file header", kFileHeader, head.size(), in);
        return false;
    }
    ByteReader r{head};
    std::uint32_t magic = *r.le32();
    big_ = !known_magic(magic);
    magic = *ByteReader{head}.be32();
    if (!big_) magic = *ByteReader{head}.le32();
    nano_ = magic == kNano;
    header_size_ = magic == kKuznetzov ? 24 : 16;
    const std::uint16_t major = *read16(r, big_), minor = *read16(r, big_);
    (void)r.skip(8);   // thiszone, sigfigs
    const std::uint32_t snaplen = *read32(r, big_), linktype = *read32(r, big_);
    if (major < 2) {
        err.reason = "archaic pcap savefile format (version " + std::to_string(major) + "." + std::to_string(minor) + ")";
        return false;
    }
    if (!((major == 2 && minor <= 4) || (major == 543 && minor == 0))) {
        err.reason = "unsupported pcap savefile version " + std::to_string(major) + "." + std::to_string(minor);
        return false;
    }
    swap_ = major == 2 && minor < 3 ? Swap::yes : major == 2 && minor == 3 ? Swap::maybe : Swap::no;
    dlt_ = dlt_from_linktype(linktype & 0xffffu);
    if (linktype & 0x04000000u) fcs_bytes_ = 2 * ((linktype >> 28) & 0xfu);   // in 16-bit words
    const std::uint32_t max = max_snaplen_for_dlt(dlt_);
    snaplen_ = snaplen == 0 || snaplen > max || snaplen > 0x7fffffffu ? max : snaplen;
    if (magic == kKuznetzov && dlt_ == 1) snaplen_ += 14;   // as libpcap: maybe captured in cooked mode
    in.consume(kFileHeader);
    return true;
}

ReadResult PcapFileReader::next(ReadBuffer& in, RawPacket& out, ReadError& err) {
    err.offset = in.offset();
    const Bytes head = in.peek(header_size_);
    if (head.empty()) {
        if (in.failure().empty()) return ReadResult::end;
        err.reason = in.failure();
        return ReadResult::error;
    }
    if (head.size() < header_size_) {
        err.reason = cut_short("truncated record header", header_size_, head.size(), in);
        return ReadResult::error;
    }
    ByteReader r{head};
    const auto sec = static_cast<std::int32_t>(*read32(r, big_));
    const auto frac = static_cast<std::int32_t>(*read32(r, big_));
    std::uint32_t caplen = *read32(r, big_), len = *read32(r, big_);
    if (swap_ == Swap::yes || (swap_ == Swap::maybe && caplen > len)) std::swap(caplen, len);
    const std::uint32_t max = std::min(max_snaplen_for_dlt(dlt_), kMaxRecord);
    if (caplen > max) {
        err.reason = "record claims " + std::to_string(caplen) + " captured bytes, more than the maximum of " +
                     std::to_string(max);
        return ReadResult::error;
    }
    const std::size_t total = header_size_ + caplen;
    const Bytes whole = in.peek(total);
    if (whole.size() < total) {
        err.reason = cut_short("truncated record (" + std::to_string(caplen) + " captured bytes)", total, whole.size(), in);
        return ReadResult::error;
    }
    out.ts = nano_ ? Timestamp::from_sec_nsec(sec, frac) : Timestamp::from_sec_usec(sec, frac);
    out.wire_len = len;
    out.data = whole.subspan(header_size_, std::min(caplen, snaplen_));
    out.dlt = dlt_;
    in.consume(total);
    return ReadResult::packet;
}

}  // namespace tcpflow
