// pcap_source.h: capture files and live interfaces through libpcap (adapter; the only pcap.h user).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "tcpflow/base/bytes.h"
#include "tcpflow/base/timestamp.h"
#include "tcpflow/decode/packet.h"

namespace tcpflow {

class ByteSource;
class CaptureFile;
struct DecryptionSecrets;

/// How capture files are read: our own reader (capture_file.h), or libpcap's (-S reader=libpcap).
enum class FileReader { native, libpcap };

struct CaptureStats {
    std::uint64_t received = 0, dropped = 0, if_dropped = 0;
    bool valid = false;
};

class PcapSource {
public:
    enum class Next { packet, timeout, end, error };

    /// Opens a capture file ("-" = standard input) with nanosecond timestamps. gzip, bzip2, xz,
    /// zstd and lz4 compressed ones, recognised by their first bytes, are read decompressed.
    /// Throws std::runtime_error("<path>: <reason>"), "<path>: gzip: unknown file format" for
    /// compressed content that is no capture, "<path>: <what is wrong with the compressed data>".
    /// The native reader gives each packet its interface's link type (RawPacket::dlt).
    static std::unique_ptr<PcapSource> open_file(const std::string& path, FileReader reader = FileReader::native);
    /// Opens a live interface ("" = first device), snaplen 262144, several MiB of kernel buffer,
    /// immediate delivery. Throws std::runtime_error with libpcap's reason.
    static std::unique_ptr<PcapSource> open_live(const std::string& interface, bool promiscuous, int timeout_ms);
    /// Checks a BPF expression without any capture; returns libpcap's message or "" when valid.
    static std::string check_filter(const std::string& expression);
    /// libpcap's name and description of a link type ("GPRS_LLC: GPRS LLC"), its name alone when
    /// it has no description, "" when libpcap does not know the value.
    static std::string link_type_name(int dlt);

    ~PcapSource();
    PcapSource(const PcapSource&) = delete;
    PcapSource& operator=(const PcapSource&) = delete;

    /// Compiles and installs a BPF filter; throws std::invalid_argument with libpcap's message.
    /// A native file source compiles it for the file's first link type now and for every other
    /// link type when its first packet comes (pcap_open_dead + pcap_compile), and applies it with
    /// pcap_offline_filter.
    void set_filter(const std::string& expression);
    /// Something to tell the user once (the filter cannot apply to a later link type), or "".
    [[nodiscard]] std::string take_warning();
    /// Timestamps as precise as nanoseconds (false: a microsecond pcap file).
    [[nodiscard]] bool nanosecond() const noexcept { return file_nano_; }
    /// A pcapng file read by the native reader: its interfaces may differ in link type.
    [[nodiscard]] bool several_link_types() const noexcept;
    /// The Decryption Secrets Blocks of a native pcapng source read so far (else none).
    [[nodiscard]] const std::vector<DecryptionSecrets>& secrets() const noexcept;
    [[nodiscard]] int datalink() const noexcept;
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    /// For live sources: waits at most `wait_ms` for a packet (timeout when none came).
    Next next(RawPacket& out, int wait_ms = 100);
    /// Why next() returned error: libpcap's words, or what is wrong with the compressed data
    /// ("gzip data is corrupt after 1234 bytes decompressed (incorrect data check)", followed by
    /// "; before that: <libpcap's words>" when the garbage it gave made libpcap stop first).
    [[nodiscard]] std::string error() const;
    [[nodiscard]] CaptureStats stats() const;
    /// The snapshot length of the file (native pcapng: of the last packet's interface).
    [[nodiscard]] int snaplen() const noexcept;
    /// A capture file: how far into the file (as stored: compressed bytes of a compressed one)
    /// reading has come, in large steps (the read buffer). 0 when it cannot be told (a pipe).
    [[nodiscard]] std::uint64_t bytes_read() const noexcept;
    /// Asks a blocking next() to return (safe from a signal handler).
    void break_loop() noexcept;

private:
    struct Filters;
    PcapSource(void* handle, std::string name, bool live);
    static std::unique_ptr<PcapSource> open_native(const std::string& path);
    std::string describe_read_error();
    Next next_native(RawPacket& out);
    [[nodiscard]] bool passes(const RawPacket& p);
    void* pcap_;         // pcap_t*, kept opaque so pcap.h stays inside the adapter
    std::string name_;
    bool live_;
    bool nano_ = true;        // libpcap hands out nanoseconds
    bool file_nano_ = true;   // the file's own precision (what -w and -K write)
    std::unique_ptr<char[]> read_buffer_;   // stdio buffer of a capture file; outlives pcap_close
    std::unique_ptr<ByteSource> stream_;    // what libpcap reads when not the file itself; outlives pcap_close
    std::FILE* underlying_ = nullptr;       // the file under stream_, closed after pcap_close
    std::string read_error_;                // why next() returned error, when more than libpcap's words
    std::unique_ptr<CaptureFile> native_;   // the native reader (pcap_ is null then)
    std::unique_ptr<Filters> filters_;      // native: the BPF program of each link type met
    int fd_ = -1;                           // native: the file descriptor opened (not stdin)
    int input_fd_ = -1;                     // a capture file's descriptor (bytes_read)
};

}  // namespace tcpflow
