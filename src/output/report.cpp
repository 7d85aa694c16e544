// report.cpp: DFXML report.xml writer (see report.h).
#include "tcpflow/output/report.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "tcpflow/decode/packet.h"
#include "tcpflow/flow/tls_flow_report.h"
#include "tcpflow/base/text.h"
#include "tcpflow/output/name_allocator.h"
#include "tcpflow/version.h"

namespace tcpflow {
namespace {

const char* reason_text(CloseReason r) noexcept { return close_reason_name(r); }

/// The report never replaces a file: it takes the first free name of path, pathc1, pathc2... (cN
/// before the extension), as the -w file does; a device or pipe (/dev/stdout) is written as it
/// is. False with `error` set when none can be made (a folder at `path` is an error, as before).
bool claim_free_name(const std::string& path, std::string& chosen, std::string& error) {
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
        error = std::strerror(EISDIR);
        return false;
    }
    chosen = path;
    const NameAllocator::Created c = create_first_free(chosen, FileOwner{});   // the run hands it over
    if (c.fd < 0) {
        error = std::strerror(c.err);
        return false;
    }
    ::close(c.fd);
    return true;
}

bool all_zero(const std::array<std::uint8_t, 6>& m) noexcept {
    for (const auto b : m) {
        if (b) return false;
    }
    return true;
}

/// True for a byte that is written as it is (printable ASCII other than the five XML specials).
constexpr bool plain_byte(unsigned char c) noexcept {
    return c >= 0x20 && c < 0x7f && c != '&' && c != '<' && c != '>' && c != '\'' && c != '"';
}

/// Appends `text` escaped (see ReportWriter::escape).
void append_escaped(std::string& out, std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        // Runs of plain bytes (all of a typical path or address) are copied at once.
        std::size_t j = i;
        while (j < text.size() && plain_byte(static_cast<unsigned char>(text[j]))) ++j;
        out.append(text.substr(i, j - i));
        if (j == text.size()) return;
        i = j;
        const auto c = static_cast<unsigned char>(text[i]);
        switch (c) {
        case '&': out += "&amp;"; ++i; continue;
        case '<': out += "&lt;"; ++i; continue;
        case '>': out += "&gt;"; ++i; continue;
        case '\'': out += "&apos;"; ++i; continue;
        case '"': out += "&quot;"; ++i; continue;
        default: break;
        }
        if (c >= 0x80) {
            const std::size_t n = text::utf8_sequence_length(text, i);
            if (n) {
                out.append(text.substr(i, n));
                i += n;
                continue;
            }
        }
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c >= 0x7f) {
            out += "\\x";
            text::append_hex2(out, c);
        } else {
            out.push_back(static_cast<char>(c));
        }
        ++i;
    }
}

void append_iso_time_usec(std::string& out, Timestamp ts) {
    text::append_iso8601_seconds(out, ts.seconds());
    out.push_back('.');
    text::append_uint_padded(out, static_cast<std::uint64_t>(ts.subsec_ns() / 1000), 6);
    out.push_back('Z');
}

/// ` name='...'` around what `value(out)` appends.
template <class Append>
void attr_with(std::string& out, std::string_view name, Append value) {
    out.push_back(' ');
    out += name;
    out += "='";
    value(out);
    out.push_back('\'');
}

/// ` name='value'` with the value escaped.
void attr(std::string& out, std::string_view name, std::string_view value) {
    attr_with(out, name, [&](std::string& o) { append_escaped(o, value); });
}

void attr(std::string& out, std::string_view name, std::uint64_t value) {
    attr_with(out, name, [&](std::string& o) { text::append_uint(o, value); });
}

void attr_address(std::string& out, std::string_view name, const IpAddress& a) {
    // digits, dots and colons: nothing to escape
    attr_with(out, name, [&](std::string& o) { a.append_string(o); });
}

void attr_time(std::string& out, std::string_view name, Timestamp ts) {
    attr_with(out, name, [&](std::string& o) { append_iso_time_usec(o, ts); });
}

void attr_mac(std::string& out, std::string_view name, const std::array<std::uint8_t, 6>& m) {
    attr_with(out, name, [&](std::string& o) { text::append_mac(o, m); });
}

/// `<name>...</name>` around what `value(out)` appends (no indentation, no newline).
template <class Append>
void element_with(std::string& out, std::string_view name, Append value) {
    out.push_back('<');
    out += name;
    out.push_back('>');
    value(out);
    out += "</";
    out += name;
    out.push_back('>');
}

/// `<name>text</name>` with the text escaped.
void element(std::string& out, std::string_view name, std::string_view value) {
    element_with(out, name, [&](std::string& o) { append_escaped(o, value); });
}

/// An indented element on a line of its own.
void element_line(std::string& out, std::string_view indent, std::string_view name, std::string_view value) {
    out += indent;
    element(out, name, value);
    out.push_back('\n');
}

void element_line(std::string& out, std::string_view indent, std::string_view name, std::uint64_t value) {
    out += indent;
    element_with(out, name, [&](std::string& o) { text::append_uint(o, value); });
    out.push_back('\n');
}

std::string seconds_text(const timeval& tv) {
    std::string s;
    text::append_int(s, static_cast<std::int64_t>(tv.tv_sec));
    s.push_back('.');
    text::append_uint_padded(s, static_cast<std::uint64_t>(tv.tv_usec), 6);
    return s;
}

}  // namespace

std::string ReportWriter::escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 8);
    append_escaped(out, text);
    return out;
}

std::string ReportWriter::iso_time_usec(Timestamp ts) {
    std::string out;
    append_iso_time_usec(out, ts);
    return out;
}

std::string ReportWriter::join_command_line(int argc, const char* const* argv) {
    std::string s;
    for (int i = 0; i < argc; ++i) {
        if (i) s.push_back(' ');
        const std::string_view a = argv[i] ? argv[i] : "";
        const bool plain = !a.empty() && a.find_first_not_of(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+%@") == std::string_view::npos;
        if (plain) {
            s += a;
        } else {
            s.push_back('\'');
            for (const char c : a) {
                if (c == '\'') s += "'\\''";
                else s.push_back(c);
            }
            s.push_back('\'');
        }
    }
    return s;
}

ReportWriter::ReportWriter(std::ostream& out, ReportRunInfo info)
    : out_{out}, info_{std::move(info)}, started_{std::chrono::steady_clock::now()} {
    write_header();
}

ReportWriter::ReportWriter(std::unique_ptr<std::ofstream> file, ReportRunInfo info, std::unique_ptr<char[]> buffer)
    : file_buffer_{std::move(buffer)}, file_{std::move(file)}, out_{*file_}, info_{std::move(info)},
      started_{std::chrono::steady_clock::now()} {
    write_header();
}

std::unique_ptr<ReportWriter> ReportWriter::open(const std::string& path, ReportRunInfo info, std::string& error) {
    // 256 KiB blocks: one write per about 500 flows instead of per 18 (the default 8 KiB).
    constexpr std::size_t kBufferBytes = 256 * 1024;
    auto buffer = std::make_unique<char[]>(kBufferBytes);
    auto file = std::make_unique<std::ofstream>();
    file->rdbuf()->pubsetbuf(buffer.get(), kBufferBytes);   // before open, or libstdc++ ignores it
    std::string chosen;
    if (!claim_free_name(path, chosen, error)) return nullptr;
    file->open(chosen, std::ios::out | std::ios::trunc | std::ios::binary);
    if (!file->is_open()) {
        error = std::strerror(errno);
        return nullptr;
    }
    auto w = std::unique_ptr<ReportWriter>(new ReportWriter(std::move(file), std::move(info), std::move(buffer)));
    w->path_ = std::move(chosen);
    // A descriptor of our own on the file tells at the end whether it was removed meanwhile
    // (its link count is then 0), also after a chroot, where the path no longer leads to it.
    w->watch_fd_ = ::open(w->path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    return w;
}

ReportWriter::~ReportWriter() {
    if (watch_fd_ >= 0) ::close(watch_fd_);
    try {
        finish();
    } catch (...) {
        // never throw from a destructor
    }
}

bool ReportWriter::failed() const { return out_.fail(); }

bool ReportWriter::removed() const {
    struct stat st{};
    return watch_fd_ >= 0 && ::fstat(watch_fd_, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 0;
}

void ReportWriter::write_header() {
    std::string s;
    s += "<?xml version='1.0' encoding='UTF-8'?>\n";
    s += "<dfxml xmloutputversion='1.0'>\n";
    s += "  <metadata xmlns='http://afflib.org/tcpflow/' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'"
         " xmlns:dc='http://purl.org/dc/elements/1.1/'>\n";
    s += "    <dc:type>Feature Extraction</dc:type>\n";
    s += "  </metadata>\n";
    s += "  <creator version='1.0'>\n";
    element_line(s, "    ", "program", "TCPFLOW");
    element_line(s, "    ", "version", kVersion);
    s += "    <execution_environment>\n";
    utsname u{};
    if (uname(&u) == 0) {
        element_line(s, "      ", "os_sysname", u.sysname);
        element_line(s, "      ", "os_release", u.release);
        element_line(s, "      ", "os_version", u.version);
        element_line(s, "      ", "host", u.nodename);
        element_line(s, "      ", "arch", u.machine);
    }
    element_line(s, "      ", "command_line", info_.command_line);
    const uid_t uid = getuid();
    element_line(s, "      ", "uid", std::uint64_t{uid});
    passwd pw{};
    passwd* found = nullptr;
    char buf[4096];
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found && found->pw_name) {
        element_line(s, "      ", "username", found->pw_name);
    }
    const std::time_t start = info_.start_time ? info_.start_time : std::time(nullptr);
    std::string when;
    text::append_iso8601_seconds(when, static_cast<std::int64_t>(start));
    when.push_back('Z');
    element_line(s, "      ", "start_time", when);
    s += "    </execution_environment>\n";
    s += "  </creator>\n";
    char td[64];
    std::snprintf(td, sizeof td, "%g", info_.tdelta);
    s += "  <configuration>\n";
    element_line(s, "    ", "tdelta", td);
    if (info_.shard_count) {
        s += "    <shard";
        attr(s, "index", std::uint64_t{info_.shard_index});
        attr(s, "count", std::uint64_t{info_.shard_count});
        s += "/>\n";
    }
    s += "  </configuration>\n";
    out_ << s;
    out_.flush();
}

/// The <tls/> child of a TLS direction's <tcpflow> (--tls-keylog).
static void append_tls(std::string& s, const TlsFlowReport& t) {
    s += "      <tls";
    if (!t.version.empty()) attr(s, "version", t.version);
    if (!t.cipher_suite.empty()) attr(s, "cipher_suite", t.cipher_suite);
    if (!t.sni.empty()) attr(s, "sni", t.sni);
    if (!t.alpn.empty()) attr(s, "alpn", t.alpn);
    attr(s, "decrypted", t.decrypted_bytes > 0 ? "1" : "0");
    attr(s, "decrypted_bytes", t.decrypted_bytes);
    attr(s, "records", t.records);
    attr(s, "auth_failures", t.auth_failures);
    attr(s, "stop", t.stop);
    attr(s, "stop_offset", t.stop_offset);
    if (!t.file.empty()) attr(s, "filename", t.file);
    s += "/>\n";
}

void ReportWriter::add_flow(const FlowInfo& info, const FlowSummary& sum, const ReportExtras& extras) {
    if (finished_) return;
    const FlowNameInfo& n = info.name;
    // One buffer for every flow: no allocation once it has grown to a <fileobject>'s size.
    std::string& s = line_;
    s.clear();
    s += "  <fileobject>\n";
    if (!extras.filename.empty()) element_line(s, "    ", "filename", extras.filename);
    element_line(s, "    ", "filesize", extras.filesize ? *extras.filesize : sum.size);
    s += "    <tcpflow";
    attr_time(s, "startime", sum.first_seen);
    attr_time(s, "endtime", sum.last_seen);
    if (n.has_mac) {
        if (!all_zero(n.dst_mac)) attr_mac(s, "mac_daddr", n.dst_mac);
        if (!all_zero(n.src_mac)) attr_mac(s, "mac_saddr", n.src_mac);
    }
    attr(s, "family", static_cast<std::uint64_t>(n.src.family == 6 ? AF_INET6 : AF_INET));
    if (n.udp) attr(s, "protocol", "udp");   // TCP flows keep 1.6.1's attributes (no protocol)
    attr_address(s, "src_ipn", n.src);
    attr_address(s, "dst_ipn", n.dst);
    attr(s, "srcport", std::uint64_t{n.sport});
    attr(s, "dstport", std::uint64_t{n.dport});
    attr(s, "packets", sum.packets);
    if (sum.out_of_order_segments) attr(s, "out_of_order_count", sum.out_of_order_segments);
    attr(s, "len", sum.wire_bytes);
    if (sum.captured_bytes != sum.wire_bytes) attr(s, "caplen", sum.captured_bytes);
    attr(s, "close_reason", reason_text(sum.reason));
    if (sum.stored_bytes) attr(s, "stored_bytes", sum.stored_bytes);
    if (sum.retransmitted_bytes) attr(s, "retransmitted_bytes", sum.retransmitted_bytes);
    if (sum.conflicting_bytes) attr(s, "conflicting_bytes", sum.conflicting_bytes);
    if (sum.dropped_bytes) attr(s, "dropped_bytes", sum.dropped_bytes);
    if (!sum.holes.empty()) attr(s, "hole_count", std::uint64_t{sum.holes.size()});
    if (!extras.write_error.empty()) attr(s, "write_error", extras.write_error);
    if (info.vlans.count) {
        std::string v;
        for (std::size_t i = 0; i < info.vlans.count && i < info.vlans.ids.size(); ++i) {
            if (i) v.push_back(',');
            text::append_uint(v, info.vlans.ids[i]);
        }
        attr(s, "vlan", v);
    }
    if (info.tunnel.kind) {
        const TunnelKey& t = info.tunnel;
        attr(s, "tunnel", tunnel_kind_name(t.kind));
        if (t.outer_src.family) attr_address(s, "tunnel_src", t.outer_src);
        if (t.outer_dst.family) attr_address(s, "tunnel_dst", t.outer_dst);
        if (t.outer_sport) attr(s, "tunnel_sport", std::uint64_t{t.outer_sport});
        if (t.outer_dport) attr(s, "tunnel_dport", std::uint64_t{t.outer_dport});
        if (t.id) attr(s, "tunnel_id", std::uint64_t{t.id});
    }
    if (info.resumed) attr(s, "resumed", "1");
    if (info.tls && info.tls->is_tls) {
        s += ">\n";
        append_tls(s, *info.tls);
        s += "    </tcpflow>\n";
    } else {
        s += " />\n";
    }
    if (!sum.holes.empty()) {
        s += "    <holes>\n";
        for (const Hole& h : sum.holes) {
            s += "      <hole";
            attr(s, "offset", h.offset);
            attr(s, "length", h.length);
            s += "/>\n";
        }
        s += "    </holes>\n";
    }
    if (!extras.md5_hex.empty()) {
        s += "    <hashdigest type='MD5'>";
        append_escaped(s, extras.md5_hex);
        s += "</hashdigest>\n";
    }
    if (!extras.sha256_hex.empty()) {
        s += "    <hashdigest type='SHA256'>";
        append_escaped(s, extras.sha256_hex);
        s += "</hashdigest>\n";
    }
    if (!extras.http_bodies.empty()) {
        s += "    <byte_runs>\n";
        for (const ReportHttpBody& b : extras.http_bodies) {
            s += "      <byte_run";
            attr(s, "file_offset", b.file_offset);
            s += "><fileobject>";
            element(s, "filename", b.filename);
            element_with(s, "filesize", [&](std::string& o) { text::append_uint(o, b.filesize); });
            s += "</fileobject></byte_run>\n";
        }
        s += "    </byte_runs>\n";
    }
    s += "  </fileobject>\n";
    out_ << s;   // buffered: one write per buffer, not per flow (finish() flushes)
}

void ReportWriter::finish(const ReportTotals& t) {
    if (finished_) return;
    finished_ = true;
    std::string s = "  <summary>\n";
    element_line(s, "    ", "total_flows", t.total_flows);
    element_line(s, "    ", "total_packets", t.total_packets);
    element_line(s, "    ", "max_open_flows", t.max_open_flows);
    element_line(s, "    ", "open_fds_at_end", t.open_fds_at_end);
    element_line(s, "    ", "flow_map_size", t.flow_map_size);
    s += "    <counters>\n";
    for (std::size_t i = 0; i < kCounterCount; ++i) {
        const auto c = static_cast<Counter>(i);
        // --shard: every counter, zeros too, so that the shards' reports merge in this order.
        if (const std::uint64_t v = t.stats.get(c); v || info_.shard_count) {
            s += "      <counter";
            attr(s, "name", counter_name(c));
            s.push_back('>');
            text::append_uint(s, v);
            s += "</counter>\n";
        }
    }
    s += "    </counters>\n";
    if (t.pcap) {
        s += "    <pcap_stats";
        attr(s, "received", t.pcap->received);
        attr(s, "dropped", t.pcap->dropped);
        attr(s, "if_dropped", t.pcap->if_dropped);
        s += "/>\n";
    }
    s += "  </summary>\n";
    rusage ru{};
    s += "  <rusage>\n";
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        element_line(s, "    ", "utime", seconds_text(ru.ru_utime));
        element_line(s, "    ", "stime", seconds_text(ru.ru_stime));
        element_line(s, "    ", "maxrss", static_cast<std::uint64_t>(ru.ru_maxrss));
        element_line(s, "    ", "minflt", static_cast<std::uint64_t>(ru.ru_minflt));
        element_line(s, "    ", "majflt", static_cast<std::uint64_t>(ru.ru_majflt));
        element_line(s, "    ", "inblock", static_cast<std::uint64_t>(ru.ru_inblock));
        element_line(s, "    ", "oublock", static_cast<std::uint64_t>(ru.ru_oublock));
    }
    const double clock =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    char cl[48];
    std::snprintf(cl, sizeof cl, "%.6f", clock);
    element_line(s, "    ", "clocktime", cl);
    s += "  </rusage>\n";
    s += "</dfxml>\n";
    out_ << s;
    out_.flush();
    if (file_) file_->close();
}

}  // namespace tcpflow
