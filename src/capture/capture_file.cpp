#include "tcpflow/capture/capture_file.h"

#include <stdexcept>

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
        if (pending_result_ == ReadResult::packet) out = pending_packet_;
        return pending_result_;
    }
    ReadError err;
    const ReadResult r = ng_ ? pcapng_.next(in_, out, err) : pcap_.next(in_, out, err);
    if (r == ReadResult::end && in_.interrupted()) return ReadResult::end;
    if (r == ReadResult::error) error_ = describe(err);
    return r;
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
