#include "tcpflow/capture/capture_file.h"

#include <bit>
#include <stdexcept>
#include <utility>

namespace tcpflow {

CaptureFile::CaptureFile(std::unique_ptr<ByteSource> source, Compression kind, std::size_t chunk)
    : in_{std::move(source), chunk} {
    const Bytes head = in_.peek(4);
    const std::string prefix = kind == Compression::none ? "" : std::string(compression_name(kind)) + ": ";
    if (head.size() < 4 && !in_.failure().empty()) throw std::runtime_error(in_.failure());
    ReadError err;
    if (PcapFileReader::recognises(head)) {
        if (!pcap_.open(in_, err)) throw std::runtime_error(describe(err));
        first_dlt_ = pcap_.dlt();
        return;
    }
    if (!PcapngReader::recognises(head)) {
        if (head.size() < 4 && in_.failure().empty() && !head.empty())
            throw std::runtime_error(prefix + "truncated file: " + std::to_string(head.size()) + " bytes");
        throw std::runtime_error(prefix + "unknown file format");
    }
    ng_ = true;
    // Read up to the first interface (or packet) so that datalink() tells what the file holds.
    pending_ = true;
    pending_result_ = pcapng_.next(in_, pending_packet_, err);
    if (pending_result_ == ReadResult::error) {
        if (pcapng_.sections() == 0) throw std::runtime_error(describe(err));
        error_ = describe(err);
    }
    if (!pcapng_.interfaces().empty()) first_dlt_ = pcapng_.interfaces().front().dlt;
}

std::uint32_t CaptureFile::snaplen() const noexcept {
    if (!ng_) return pcap_.snaplen();
    if (const auto* ifc = pcapng_.current()) return ifc->snaplen;
    return pcapng_.interfaces().empty() ? 262144 : pcapng_.interfaces().front().snaplen;
}

ReadResult CaptureFile::next(RawPacket& out) {
    if (pending_) {
        pending_ = false;
        if (pending_result_ == ReadResult::packet) {
            out = pending_packet_;
            fix_pseudo_header(out);
        }
        return pending_result_;
    }
    ReadError err;
    const ReadResult r = ng_ ? pcapng_.next(in_, out, err) : pcap_.next(in_, out, err);
    if (r == ReadResult::packet) fix_pseudo_header(out);
    if (r == ReadResult::end && in_.interrupted()) return ReadResult::end;
    if (r == ReadResult::error) error_ = describe(err);
    return r;
}

void CaptureFile::fix_pseudo_header(RawPacket& p) {
    // libpcap's swap_pseudo_headers also swaps the USB headers (189, 220): not decoded here, and
    // left as the file has them (only -w copies of such frames differ from libpcap's).
    if (p.dlt != 239) return;
    constexpr bool host_big = std::endian::native == std::endian::big;
    if ((ng_ ? pcapng_.big_endian() : pcap_.big_endian()) == host_big) return;
    swap_nflog_tlvs(in_.writable(p.data), p.wire_len);
}

void swap_nflog_tlvs(std::span<std::uint8_t> f, std::uint32_t wire_len) noexcept {
    std::size_t caplen = f.size();
    std::uint32_t length = wire_len;
    if (caplen < 4 || length < 4 || f[1] != 0) return;   // no TLVs, or not version 0
    caplen -= 4;
    length -= 4;
    for (std::size_t p = 4; caplen >= 4;) {
        std::swap(f[p], f[p + 1]);           // length
        std::swap(f[p + 2], f[p + 3]);       // type
        ByteReader r{Bytes{f.subspan(p, 2)}};
        auto size = static_cast<std::uint16_t>(*(std::endian::native == std::endian::big ? r.be16() : r.le16()));
        if (size % 4 != 0) size = static_cast<std::uint16_t>(size + 4 - size % 4);   // 16 bits, as libpcap
        if (size < 4 || caplen < size || length < size) return;
        caplen -= size;
        length -= size;
        p += size;
    }
}

std::string CaptureFile::describe(const ReadError& err) {
    std::string said = "at byte " + std::to_string(err.offset) + ": " + err.reason;
    if (err.reason == in_.failure()) return err.reason;   // the decompressor's (or the system's) words
    auto* d = dynamic_cast<Decompressor*>(&in_.source());
    if (!d) return said;
    const std::string why = d->error_further_on();
    return why.empty() ? said : why + "; before that: " + said;
}

}  // namespace tcpflow
