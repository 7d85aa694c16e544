// options.h: the validated settings of one run. Built from the command line by cli.h (a pure
// function, tested without running anything); read by the pipeline. No CLI11 types here.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "tcpflow/flow/naming.h"
#include "tcpflow/flow/reassembler.h"   // OverlapPolicy

namespace tcpflow {

/// The default file name template, parsed (kDefaultTemplate always parses).
inline NameTemplate default_name_template() {
    return std::get<NameTemplate>(NameTemplate::parse(kDefaultTemplate));
}

struct ConsoleOptions {
    bool enabled = false;       ///< -c or -C: print flows to stdout instead of files
    bool header = true;         ///< -c prints "path: " headers; -C does not
    bool no_newline = false;    ///< -0
    bool binary = false;        ///< -B: raw bytes, no stripping
    bool strip = false;         ///< -s
    bool hex = false;           ///< -D
    bool color = false;         ///< -g
    bool json = false;          ///< -J
    bool json_lines = false;    ///< -S json=lines: -J payload as a base64 string
};

struct Options {
    // Input
    std::vector<std::string> read_files;      ///< -r (repeatable; "-" = stdin); with -l, the words
    std::vector<std::string> resume_files;    ///< -R: continue known flows only
    std::string interface;                    ///< -i; empty with live=true = first device
    bool live = false;                        ///< capture from an interface (no -r/-R given)
    bool promiscuous = true;                  ///< -p turns it off
    std::string filter;                       ///< BPF expression: the leftover words, joined

    // Output
    std::string outdir = ".";                 ///< -o
    NameTemplate name_template = default_name_template();   ///< -T with -F applied, parsed once (by cli.h)
    bool store_files = true;                  ///< -FX turns it off
    std::uint64_t max_bytes = std::numeric_limits<std::uint64_t>::max();   ///< -b
    std::uint64_t max_seek = 16ull * 1024 * 1024;                           ///< -m
    int max_fds = 0;                          ///< -f; 0 = from the process limit
    OverlapPolicy overlap = OverlapPolicy::first;   ///< --overlap
    std::size_t max_memory = 256ull * 1024 * 1024;   ///< --max-memory (bytes)
    bool index_files = false;                 ///< -I: .findx files
    std::string unused_pcap;                  ///< -w
    bool pcap_per_flow = false;               ///< -K
    ConsoleOptions console;
    std::string report_path;                  ///< -X; empty = <outdir>/report.xml
    bool report = true;                       ///< -X /dev/null or -S enable_report=NO turn it off
    bool no_purge = false;                    ///< -P (accepted; flows are always purged safely)
    bool udp = false;                         ///< --udp: UDP conversations are flows too
    bool udp_length_framing = false;          ///< --udp-framing length: 2-byte BE length before each datagram

    // Scanners
    bool scan_http = false;                   ///< -e http / -a
    bool scan_md5 = false;                    ///< -e md5 / -a
    bool http_keep_compressed = false;        ///< -Z
    bool scan_netviz = false;                 ///< -e netviz / -a: the one-page picture (report.pdf)
    std::string netviz_format = "pdf";        ///< -S netviz_format: pdf, svg or png
    std::size_t netviz_histogram_size = 1000; ///< -S netviz_histogram_size: addresses tracked per side
    bool netviz_histogram_dump = false;       ///< -S netviz_histogram_dump: print them to stdout
    bool hash_sha256 = false;                 ///< -S hash=sha256: SHA-256 of each flow file (report, index)

    // Flow index and conversation files
    bool flow_index = false;                  ///< --flow-index
    std::string flow_index_path;              ///< --flow-index=FILE; empty = <outdir>/flows.jsonl; "-" = stdout
    bool conversation = false;                ///< --conversation: one file per connection, both directions
    bool conversation_only = false;           ///< --conversation=only: no per-direction files
    std::vector<std::string> tls_keylogs;     ///< --tls-keylog FILE (repeatable): decrypt TLS into .tls files

    // -S settings
    double tdelta = 0;                        ///< seconds added to packet times
    std::int64_t tcp_timeout = 0;             ///< seconds; 0 = the built-in default
    std::int64_t udp_timeout = -1;            ///< -S udp_timeout seconds; < 0 = the built-in default (60), 0 = never
    double hole_timeout = -1;                 ///< --hole-timeout seconds; < 0 = 2 s live, never for files
    std::string tcp_cmd;
    int tcp_alert_fd = -1;
    int packet_buffer_timeout_ms = 10;
    bool libpcap_reader = false;              ///< -S reader=libpcap: capture files through libpcap
    std::string http_cmd;                     ///< -S http_cmd: run `cmd <bodyfile>` per HTTP body
    int http_alert_fd = -1;                   ///< -S http_alert_fd
    bool check_fcs = true;                    ///< -S check_fcs=NO: keep 802.11 frames with bad FCS
    std::string debug_prefix;                 ///< -S debug-prefix; empty = "tcpflow"

    // Operation
    int debug = 1;                            ///< -d; -v = 10
    bool quiet = false;                       ///< -q
    bool progress_forced = false;             ///< --progress: the line even where it is left out
    bool progress_off = false;                ///< --no-progress
    std::string user;                         ///< -U
    std::string chroot_dir;                   ///< -z
    std::string semaphore;                    ///< -L
    unsigned jobs = 1;                        ///< -j
    unsigned shard_index = 0;                 ///< --shard I/N: this process's shard I
    unsigned shard_count = 0;                 ///< ... of N; 0 = no --shard (every connection)
    std::string command_line;                 ///< the whole command line, for the report
};

}  // namespace tcpflow
