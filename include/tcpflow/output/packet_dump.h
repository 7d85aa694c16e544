// packet_dump.h: writing captured frames back out as pcap files (adapter over libpcap's
// pcap_dump_* on a pcap_open_dead handle), for -w (the packets tcpflow did not use) and -K (one
// pcap per flow direction).
//
// Output files are classic pcap with the input's link type and snapshot length; timestamps are
// written with nanosecond precision when the input had it (nanosecond pcap, pcapng, standard
// input, live capture), else microsecond. A frame longer than the file's snapshot length (a
// later -r file with a larger one) is cut to it; its wire length is kept.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "tcpflow/base/bytes.h"
#include "tcpflow/base/timestamp.h"
#include "tcpflow/decode/packet.h"
#include "tcpflow/flow/naming.h"
#include "tcpflow/output/diagnostics.h"
#include "tcpflow/output/output_dir.h"
#include "tcpflow/output/posix_io.h"

namespace tcpflow {

/// What the output file needs to know about the capture a frame came from.
struct DumpFormat {
    int linktype = 1;          ///< DLT number
    int snaplen = 262144;
    bool nanosecond = true;
};

/// One open pcap file being written.
class PacketDump {
public:
    /// Creates `path` (truncating it; "-" is standard output) or, with `append`, continues an
    /// existing pcap (writing the header only if the file is empty). Throws
    /// std::runtime_error("<path>: <reason>").
    static std::unique_ptr<PacketDump> open(const std::string& path, const DumpFormat& format, bool append);
    /// Starts a pcap on `fd`, a file just created for it (name_allocator.h), and takes the
    /// descriptor over. Throws like open().
    static std::unique_ptr<PacketDump> start(int fd, const std::string& path, const DumpFormat& format);
    ~PacketDump();
    PacketDump(const PacketDump&) = delete;
    PacketDump& operator=(const PacketDump&) = delete;

    /// Appends one frame; false on a write error (errno kept).
    bool write(Timestamp ts, std::uint32_t wire_len, Bytes frame);
    bool flush();
    [[nodiscard]] const DumpFormat& format() const noexcept { return format_; }

private:
    PacketDump(void* dead, void* dumper, DumpFormat format);
    void* dead_;     // pcap_t*
    void* dumper_;   // pcap_dumper_t*
    DumpFormat format_;
};

/// -w: the unused packets of the whole run in one file, created with the format of the first
/// capture opened. Never overwritten: when FILE exists, the first free of FILEc1, FILEc2... (cN
/// before the extension) is written; "-" is standard output, and /dev/null or a FIFO is written
/// as it is. Packets from a capture with another link type are skipped (one warning, counted).
class UnusedPacketWriter {
public:
    /// The file is given to `owner` (sudo without -U); messages go to `diagnostics`.
    UnusedPacketWriter(std::string path, FileOwner owner, Diagnostics& diagnostics)
        : path_{std::move(path)}, owner_{owner}, diagnostics_{diagnostics} {}
    /// Creates the file with `format` unless it is open already; false when it cannot be.
    bool start(const DumpFormat& format);
    /// False once the file could not be opened or written (message already printed).
    bool write(const DumpFormat& format, Timestamp ts, std::uint32_t wire_len, Bytes frame);
    void flush();
    [[nodiscard]] bool failed() const noexcept { return failed_; }
    [[nodiscard]] std::uint64_t written() const noexcept { return written_; }
    [[nodiscard]] std::uint64_t skipped() const noexcept { return skipped_; }
    /// The name written (FILE, or the first free name after it once start() made it).
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
    FileOwner owner_;
    Diagnostics& diagnostics_;
    std::unique_ptr<PacketDump> dump_;
    bool failed_ = false;
    bool warned_ = false;
    std::uint64_t written_ = 0, skipped_ = 0;
};

/// -K: every TCP frame appended to "<outdir>/<template expanded with count 0>.pcap". All
/// connections of a flow direction's addresses, ports, VLANs and tunnel share one file (as in
/// 1.6.1); two keys whose names coincide (a template without %V) share it too. A name that
/// already exists when the run first needs it (an earlier run, another program) is not
/// overwritten: c1, c2, ... are tried as for flow files (the name allocator's, when the template
/// has %c). At most `max_open` files are open (the descriptor cache's LRU); the least recently
/// written is closed and reopened for appending on demand.
class PcapPerFlowWriter {
public:
    /// `dir` is the output folder as the run sees it (after -z, inside the new root); new files
    /// and folders go to `owner`; messages to `diagnostics`.
    PcapPerFlowWriter(OutputDir dir, NameTemplate tmpl, int max_open, std::int64_t tdelta_ns, FileOwner owner,
                      Diagnostics& diagnostics);
    ~PcapPerFlowWriter();
    PcapPerFlowWriter(const PcapPerFlowWriter&) = delete;
    PcapPerFlowWriter& operator=(const PcapPerFlowWriter&) = delete;

    void write(const DecodedPacket& pkt, const DumpFormat& format, Timestamp ts, std::uint32_t wire_len, Bytes frame);
    void flush();
    [[nodiscard]] bool failed() const noexcept { return failed_; }
    [[nodiscard]] std::size_t files() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    bool failed_ = false;
};


}  // namespace tcpflow
