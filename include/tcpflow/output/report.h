// report.h: the DFXML report.xml writer (-X). Adapter: writes to a std::ostream it is given,
// or to a file it opens.
//
// Document layout (well-formed XML; 1.6.1's element and attribute names kept, incl. `startime`):
//
//   <?xml version='1.0' encoding='UTF-8'?>
//   <dfxml xmloutputversion='1.0'>
//     <metadata xmlns='http://afflib.org/tcpflow/' xmlns:xsi=… xmlns:dc=…><dc:type>Feature Extraction</dc:type></metadata>
//     <creator version='1.0'><program>TCPFLOW</program><version>VERSION</version>
//       <execution_environment> os_sysname os_release os_version host arch command_line uid
//         username start_time </execution_environment></creator>
//     <configuration><tdelta>…</tdelta> [<shard index='I' count='N'/>]</configuration>   (--shard)
//     <fileobject>                                  one per closed flow direction, in close order
//       <filename>…</filename>                      only when a file was written
//       <filesize>N</filesize>                      the bytes in the file (less after a write_error)
//       <tcpflow startime='…Z' endtime='…Z' [mac_daddr mac_saddr] family='2|10' src_ipn dst_ipn
//                srcport dstport packets [out_of_order_count] len [caplen]
//                close_reason='fin|rst|timeout|end_of_input|limit' [stored_bytes retransmitted_bytes
//                conflicting_bytes dropped_bytes hole_count] [write_error='reason'] [vlan='1,2'] [tunnel tunnel_src
//                tunnel_dst tunnel_sport tunnel_dport tunnel_id] />      (bracketed: when non-zero)
//                [<tls version cipher_suite [sni] [alpn] decrypted decrypted_bytes records auth_failures
//                      stop stop_offset [filename]/></tcpflow>]   --tls-keylog, a TLS direction (and
//                                                                 its .tls file's own <fileobject>)
//       <holes><hole offset='…' length='…'/>…</holes>              when the flow has holes
//       <hashdigest type='MD5'>…</hashdigest>                       -e md5
//       <hashdigest type='SHA256'>…</hashdigest>                    -S hash=sha256
//       <byte_runs><byte_run file_offset='N'><fileobject><filename>…</filename>
//         <filesize>…</filesize></fileobject></byte_run>…</byte_runs>   -e http bodies
//     </fileobject>
//     <summary> total_flows total_packets max_open_flows open_fds_at_end flow_map_size
//       <counters><counter name='…'>N</counter>…</counters>   (non-zero Stats counters; all with --shard)
//       <pcap_stats received dropped if_dropped/>              (when given) </summary>
//     <rusage> utime stime maxrss minflt majflt inblock oublock clocktime </rusage>
//   </dfxml>
//
// The stream is flushed after each <fileobject>, so a crash leaves at most a truncated tail.
// finish() completes the document and is idempotent; the destructor calls it (with empty totals)
// when nobody did, so error paths still produce well-formed XML.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/base/stats.h"

namespace tcpflow {

struct ReportRunInfo {
    std::string command_line;          ///< the real one (see join_command_line)
    std::time_t start_time = 0;        ///< wall clock; 0 = now
    double tdelta = 0;                 ///< -S tdelta
    unsigned shard_index = 0;          ///< --shard I/N
    unsigned shard_count = 0;          ///< 0: no --shard (no <shard> element)
};

struct ReportHttpBody {
    std::uint64_t file_offset = 0;     ///< where the body starts in the flow file
    std::string filename;              ///< path of the -HTTPBODY- file as written
    std::uint64_t filesize = 0;
    std::string content_type;          ///< media type from the response ("" = none); the flow index
};

/// What the sinks add to a flow's entry.
struct ReportExtras {
    std::string_view filename;         ///< flow file path written; empty = no file
    std::string md5_hex;               ///< -e md5; empty = none
    std::string sha256_hex;            ///< -S hash=sha256; empty = none
    std::vector<ReportHttpBody> http_bodies;   ///< -e http
    std::string_view write_error;      ///< writing the file failed: the reason (write_error='…')
    std::optional<std::uint64_t> filesize;   ///< the bytes in the file, when not the stream's size
};

struct PcapDropStats {
    std::uint64_t received = 0, dropped = 0, if_dropped = 0;
};

struct ReportTotals {
    std::uint64_t total_flows = 0;
    std::uint64_t total_packets = 0;
    std::uint64_t max_open_flows = 0;
    std::uint64_t open_fds_at_end = 0;
    std::uint64_t flow_map_size = 0;
    Stats stats;
    std::optional<PcapDropStats> pcap;
};

class ReportWriter {
public:
    /// Writes to `out` (not owned; must outlive the writer). The header is written at once.
    ReportWriter(std::ostream& out, ReportRunInfo info);
    /// Creates the report at `path`, or at the first free name pathc1, pathc2... (cN before the
    /// extension) when a file is there already: a report is never replaced. A device or pipe is
    /// written as it is. nullptr and `error` (the reason) set when it cannot be created.
    static std::unique_ptr<ReportWriter> open(const std::string& path, ReportRunInfo info, std::string& error);
    ~ReportWriter();
    ReportWriter(const ReportWriter&) = delete;
    ReportWriter& operator=(const ReportWriter&) = delete;

    /// One <fileobject> for a closed flow direction (buffered; finish() flushes). Ignored after finish().
    void add_flow(const FlowInfo& info, const FlowSummary& summary, const ReportExtras& extras = {});
    /// Writes the summary and closes </dfxml>. Only the first call writes.
    void finish(const ReportTotals& totals);
    void finish() { finish(ReportTotals{}); }

    [[nodiscard]] bool finished() const noexcept { return finished_; }
    /// True when the file written was removed during the run (no name leads to it any more).
    [[nodiscard]] bool removed() const;
    /// The file written (after open(): the free name it took).
    [[nodiscard]] const std::string& path() const noexcept { return path_; }
    /// True when a write failed (disk full, closed file).
    [[nodiscard]] bool failed() const;

    /// argv joined with spaces; words with shell-special characters are single-quoted.
    [[nodiscard]] static std::string join_command_line(int argc, const char* const* argv);
    /// XML text/attribute escaping: & < > ' " as entities; control characters and invalid UTF-8
    /// bytes (not allowed in XML 1.0) as "\xNN" text.
    [[nodiscard]] static std::string escape(std::string_view text);
    /// "2020-09-13T12:26:40.001000Z" (UTC, microseconds).
    [[nodiscard]] static std::string iso_time_usec(Timestamp ts);

private:
    ReportWriter(std::unique_ptr<std::ofstream> file, ReportRunInfo info, std::unique_ptr<char[]> buffer);
    void write_header();

    std::unique_ptr<char[]> file_buffer_;   // the file's stream buffer (outlives file_)
    std::unique_ptr<std::ofstream> file_;
    std::ostream& out_;
    ReportRunInfo info_;
    std::chrono::steady_clock::time_point started_;
    bool finished_ = false;
    std::string path_;
    int watch_fd_ = -1;   ///< the file opened, to notice its removal
    std::string line_;   // reused for each <fileobject>
};

}  // namespace tcpflow
