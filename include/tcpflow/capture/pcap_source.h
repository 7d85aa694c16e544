// pcap_source.h: capture files and live interfaces through libpcap (adapter; the only pcap.h user).
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "tcpflow/base/bytes.h"
#include "tcpflow/base/timestamp.h"
#include "tcpflow/decode/packet.h"

namespace tcpflow {

class ByteSource;

struct CaptureStats {
    std::uint64_t received = 0, dropped = 0, if_dropped = 0;
    bool valid = false;
};

class PcapSource {
public:
    enum class Next { packet, timeout, end, error };

    /// Opens a capture file ("-" = standard input) with nanosecond timestamps. gzip, bzip2, xz,
    /// zstd and lz4 compressed ones, recognised by their first bytes, are read decompressed.
    /// Throws std::runtime_error("<path>: <libpcap's reason>"), "<path>: gzip: <libpcap's reason>"
    /// for compressed content libpcap refuses, "<path>: <what is wrong with the compressed data>".
    static std::unique_ptr<PcapSource> open_file(const std::string& path);
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
    void set_filter(const std::string& expression);
    [[nodiscard]] int datalink() const noexcept;
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    /// For live sources: waits at most `wait_ms` for a packet (timeout when none came).
    Next next(RawPacket& out, int wait_ms = 100);
    /// Why next() returned error: libpcap's words, or what is wrong with the compressed data
    /// ("gzip data is corrupt after 1234 bytes decompressed (incorrect data check)", followed by
    /// "; before that: <libpcap's words>" when the garbage it gave made libpcap stop first).
    [[nodiscard]] std::string error() const;
    [[nodiscard]] CaptureStats stats() const;
    /// The pcap file header's snapshot length.
    [[nodiscard]] int snaplen() const noexcept;
    /// A capture file: how far into the file (as stored: compressed bytes of a compressed one)
    /// reading has come, in large steps (the read buffer). 0 when it cannot be told (a pipe).
    [[nodiscard]] std::uint64_t bytes_read() const noexcept;
    /// Asks a blocking next() to return (safe from a signal handler).
    void break_loop() noexcept;

private:
    PcapSource(void* handle, std::string name, bool live);
    std::string describe_read_error();
    void* pcap_;         // pcap_t*, kept opaque so pcap.h stays inside the adapter
    std::string name_;
    bool live_;
    bool nano_ = true;
    std::unique_ptr<char[]> read_buffer_;   // stdio buffer of a capture file; outlives pcap_close
    std::unique_ptr<ByteSource> stream_;    // what libpcap reads when not the file itself; outlives pcap_close
    std::FILE* underlying_ = nullptr;       // the file under stream_, closed after pcap_close
    std::string read_error_;                // why next() returned error, when more than libpcap's words
    int input_fd_ = -1;                     // a capture file's descriptor (bytes_read)
};

}  // namespace tcpflow
