// capture_file.h: a capture file read natively (pcap or pcapng, recognised by the first bytes),
// from any ByteSource: a plain file, a pipe, a decompressor.
//
// One ReadBuffer (256 KiB reads, reused) under one of the two format readers; a packet's frame
// points into that buffer (valid until the next call) and carries its own interface's link
// type. Errors name the byte offset and the reason; when the bytes came from a decompressor that
// fails further on, its words come first (corrupt compressed data often decompresses to garbage
// before a checksum tells).
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "tcpflow/capture/decompress.h"
#include "tcpflow/capture/pcap_file_reader.h"
#include "tcpflow/capture/pcapng_reader.h"
#include "tcpflow/capture/read_buffer.h"

namespace tcpflow {

/// libpcap's swap_nflog_header: in a file whose byte order is not the host's, the type and length
/// of each TLV of an NFLOG (239) frame are put in host order, in place, as far as the captured
/// and the wire length both hold whole TLVs (the TLVs are written in the capturing host's order;
/// the NFLOG decoder reads them in this host's). The 4-byte header, version 0 only, is left.
void swap_nflog_tlvs(std::span<std::uint8_t> frame, std::uint32_t wire_len) noexcept;

class CaptureFile {
public:
    /// Reads the file header (pcapng: up to the first interface, or the first packet). Throws
    /// std::runtime_error: "unknown file format" ("gzip: unknown file format" when `kind` says
    /// the bytes were decompressed), or "at byte N: <reason>", or the decompressor's words.
    explicit CaptureFile(std::unique_ptr<ByteSource> source, Compression kind = Compression::none,
                         std::size_t chunk = ReadBuffer::kChunk);

    /// The next packet; `out.dlt` is its interface's link type.
    ReadResult next(RawPacket& out);
    /// Why next() returned error: "at byte N: <reason>", or the decompressor's words first.
    [[nodiscard]] const std::string& error() const noexcept { return error_; }

    /// The link type of the file (pcap) or of its first interface (pcapng; 1 when it has none).
    [[nodiscard]] int datalink() const noexcept { return first_dlt_; }
    /// The snapshot length of the last packet's interface (before the first: of the first).
    [[nodiscard]] std::uint32_t snaplen() const noexcept;
    /// True unless the file is a microsecond pcap (pcapng: nanoseconds, whatever each interface says).
    [[nodiscard]] bool nanosecond() const noexcept { return ng_ || pcap_.nanosecond(); }
    [[nodiscard]] bool is_pcapng() const noexcept { return ng_; }
    /// pcapng Decryption Secrets Blocks met so far, in order.
    [[nodiscard]] const std::vector<DecryptionSecrets>& secrets() const noexcept { return pcapng_.secrets(); }
    /// Ends a blocked read (from a signal handler): next() then returns end.
    void interrupt() noexcept { in_.interrupt(); }

private:
    std::string describe(const ReadError& err);
    void fix_pseudo_header(RawPacket& p);

    ReadBuffer in_;
    bool ng_ = false;
    PcapFileReader pcap_;
    PcapngReader pcapng_;
    int first_dlt_ = 1;
    bool pending_ = false;          // pcapng: a packet (or the end) read while opening
    ReadResult pending_result_ = ReadResult::end;
    RawPacket pending_packet_;
    std::string error_;
};

}  // namespace tcpflow
