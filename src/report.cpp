// report.cpp: DFXML report.xml writer (see report.h).
#include "tcpflow/report.h"

#include <pwd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <utility>

#include "tcpflow/decoder.h"

namespace tcpflow {
namespace {

const char* reason_text(CloseReason r) noexcept { return close_reason_name(r); }

const char* tunnel_text(std::uint8_t kind) noexcept {
    switch (static_cast<TunnelKind>(kind)) {
    case TunnelKind::none: return "none";
    case TunnelKind::gre: return "gre";
    case TunnelKind::erspan: return "erspan";
    case TunnelKind::vxlan: return "vxlan";
    case TunnelKind::geneve: return "geneve";
    case TunnelKind::ip_in_ip: return "ip_in_ip";
    case TunnelKind::teredo: return "teredo";
    }
    return "unknown";
}

std::string mac_text(const std::array<std::uint8_t, 6>& m) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return buf;
}

bool all_zero(const std::array<std::uint8_t, 6>& m) noexcept {
    for (const auto b : m) {
        if (b) return false;
    }
    return true;
}

/// Length of the valid UTF-8 sequence at s[i], or 0 when invalid.
std::size_t utf8_len(std::string_view s, std::size_t i) noexcept {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned min = 0;
    unsigned cp = 0;
    if (c >= 0xc2 && c <= 0xdf) { n = 2; cp = c & 0x1fu; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { n = 3; cp = c & 0x0fu; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { n = 4; cp = c & 0x07u; min = 0x10000; }
    else return 0;
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        const auto d = static_cast<unsigned char>(s[i + k]);
        if ((d & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (d & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff) return 0;
    return n;
}

std::string attr(std::string_view name, std::string_view value) {
    std::string s;
    s += ' ';
    s += name;
    s += "='";
    s += ReportWriter::escape(value);
    s += '\'';
    return s;
}

std::string attr(std::string_view name, std::uint64_t value) { return attr(name, std::to_string(value)); }

std::string element(std::string_view name, std::string_view text) {
    std::string s = "<";
    s += name;
    s += '>';
    s += ReportWriter::escape(text);
    s += "</";
    s += name;
    s += '>';
    return s;
}

std::string seconds_text(const timeval& tv) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%lld.%06ld", static_cast<long long>(tv.tv_sec), static_cast<long>(tv.tv_usec));
    return buf;
}

}  // namespace

std::string ReportWriter::escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 8);
    for (std::size_t i = 0; i < text.size();) {
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
            const std::size_t n = utf8_len(text, i);
            if (n) {
                out.append(text.substr(i, n));
                i += n;
                continue;
            }
        }
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c >= 0x80 || c == 0x7f) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        } else {
            out.push_back(static_cast<char>(c));
        }
        ++i;
    }
    return out;
}

std::string ReportWriter::iso_time_usec(Timestamp ts) {
    const std::time_t sec = static_cast<std::time_t>(ts.seconds());
    std::tm tm{};
    gmtime_r(&sec, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(ts.subsec_ns() / 1000));
    return buf;
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

ReportWriter::ReportWriter(std::unique_ptr<std::ofstream> file, ReportRunInfo info)
    : file_{std::move(file)}, out_{*file_}, info_{std::move(info)}, started_{std::chrono::steady_clock::now()} {
    write_header();
}

std::unique_ptr<ReportWriter> ReportWriter::open(const std::string& path, ReportRunInfo info, std::string& error) {
    auto file = std::make_unique<std::ofstream>(path, std::ios::out | std::ios::trunc | std::ios::binary);
    if (!file->is_open()) {
        error = "cannot open report file " + path;
        return nullptr;
    }
    return std::unique_ptr<ReportWriter>(new ReportWriter(std::move(file), std::move(info)));
}

ReportWriter::~ReportWriter() {
    try {
        finish();
    } catch (...) {
        // never throw from a destructor
    }
}

bool ReportWriter::failed() const { return out_.fail(); }

void ReportWriter::write_header() {
    std::string s;
    s += "<?xml version='1.0' encoding='UTF-8'?>\n";
    s += "<dfxml xmloutputversion='1.0'>\n";
    s += "  <metadata xmlns='http://afflib.org/tcpflow/' xmlns:xsi='http://www.w3.org/2001/XMLSchema-instance'"
         " xmlns:dc='http://purl.org/dc/elements/1.1/'>\n";
    s += "    <dc:type>Feature Extraction</dc:type>\n";
    s += "  </metadata>\n";
    s += "  <creator version='1.0'>\n";
    s += "    " + element("program", "TCPFLOW") + "\n";
    s += "    " + element("version", info_.version) + "\n";
    s += "    <execution_environment>\n";
    utsname u{};
    if (uname(&u) == 0) {
        s += "      " + element("os_sysname", u.sysname) + "\n";
        s += "      " + element("os_release", u.release) + "\n";
        s += "      " + element("os_version", u.version) + "\n";
        s += "      " + element("host", u.nodename) + "\n";
        s += "      " + element("arch", u.machine) + "\n";
    }
    s += "      " + element("command_line", info_.command_line) + "\n";
    const uid_t uid = getuid();
    s += "      " + element("uid", std::to_string(uid)) + "\n";
    passwd pw{};
    passwd* found = nullptr;
    char buf[4096];
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found && found->pw_name) {
        s += "      " + element("username", found->pw_name) + "\n";
    }
    const std::time_t start = info_.start_time ? info_.start_time : std::time(nullptr);
    std::tm tm{};
    gmtime_r(&start, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    s += "      " + element("start_time", when) + "\n";
    s += "    </execution_environment>\n";
    s += "  </creator>\n";
    char td[64];
    std::snprintf(td, sizeof td, "%g", info_.tdelta);
    s += "  <configuration>\n    " + element("tdelta", td) + "\n  </configuration>\n";
    out_ << s;
    out_.flush();
}

void ReportWriter::add_flow(const FlowInfo& info, const FlowSummary& sum, const ReportExtras& extras) {
    if (finished_) return;
    const FlowNameInfo& n = info.name;
    std::string s = "  <fileobject>\n";
    if (!extras.filename.empty()) s += "    " + element("filename", extras.filename) + "\n";
    s += "    " + element("filesize", std::to_string(sum.size)) + "\n";
    s += "    <tcpflow";
    s += attr("startime", iso_time_usec(sum.first_seen));
    s += attr("endtime", iso_time_usec(sum.last_seen));
    if (n.has_mac) {
        if (!all_zero(n.dst_mac)) s += attr("mac_daddr", mac_text(n.dst_mac));
        if (!all_zero(n.src_mac)) s += attr("mac_saddr", mac_text(n.src_mac));
    }
    s += attr("family", static_cast<std::uint64_t>(n.src.family == 6 ? AF_INET6 : AF_INET));
    s += attr("src_ipn", n.src.to_string());
    s += attr("dst_ipn", n.dst.to_string());
    s += attr("srcport", n.sport);
    s += attr("dstport", n.dport);
    s += attr("packets", sum.packets);
    if (sum.out_of_order_segments) s += attr("out_of_order_count", sum.out_of_order_segments);
    s += attr("len", sum.wire_bytes);
    if (sum.captured_bytes != sum.wire_bytes) s += attr("caplen", sum.captured_bytes);
    s += attr("close_reason", reason_text(sum.reason));
    if (sum.stored_bytes) s += attr("stored_bytes", sum.stored_bytes);
    if (sum.retransmitted_bytes) s += attr("retransmitted_bytes", sum.retransmitted_bytes);
    if (sum.conflicting_bytes) s += attr("conflicting_bytes", sum.conflicting_bytes);
    if (sum.dropped_bytes) s += attr("dropped_bytes", sum.dropped_bytes);
    if (!sum.holes.empty()) s += attr("hole_count", sum.holes.size());
    if (info.vlans.count) {
        std::string v;
        for (std::size_t i = 0; i < info.vlans.count && i < info.vlans.ids.size(); ++i) {
            if (i) v.push_back(',');
            v += std::to_string(info.vlans.ids[i]);
        }
        s += attr("vlan", v);
    }
    if (info.tunnel.kind) {
        const TunnelKey& t = info.tunnel;
        s += attr("tunnel", tunnel_text(t.kind));
        if (t.outer_src.family) s += attr("tunnel_src", t.outer_src.to_string());
        if (t.outer_dst.family) s += attr("tunnel_dst", t.outer_dst.to_string());
        if (t.outer_sport) s += attr("tunnel_sport", t.outer_sport);
        if (t.outer_dport) s += attr("tunnel_dport", t.outer_dport);
        if (t.id) s += attr("tunnel_id", t.id);
    }
    if (info.resumed) s += attr("resumed", "1");
    s += " />\n";
    if (!sum.holes.empty()) {
        s += "    <holes>\n";
        for (const Hole& h : sum.holes) {
            s += "      <hole" + attr("offset", h.offset) + attr("length", h.length) + "/>\n";
        }
        s += "    </holes>\n";
    }
    if (!extras.md5_hex.empty()) s += "    <hashdigest type='MD5'>" + escape(extras.md5_hex) + "</hashdigest>\n";
    if (!extras.http_bodies.empty()) {
        s += "    <byte_runs>\n";
        for (const ReportHttpBody& b : extras.http_bodies) {
            s += "      <byte_run" + attr("file_offset", b.file_offset) + "><fileobject>" +
                 element("filename", b.filename) + element("filesize", std::to_string(b.filesize)) +
                 "</fileobject></byte_run>\n";
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
    s += "    " + element("total_flows", std::to_string(t.total_flows)) + "\n";
    s += "    " + element("total_packets", std::to_string(t.total_packets)) + "\n";
    s += "    " + element("max_open_flows", std::to_string(t.max_open_flows)) + "\n";
    s += "    " + element("open_fds_at_end", std::to_string(t.open_fds_at_end)) + "\n";
    s += "    " + element("flow_map_size", std::to_string(t.flow_map_size)) + "\n";
    s += "    <counters>\n";
    for (std::size_t i = 0; i < kCounterCount; ++i) {
        const auto c = static_cast<Counter>(i);
        if (const std::uint64_t v = t.stats.get(c)) {
            s += "      <counter" + attr("name", counter_name(c)) + ">" + std::to_string(v) + "</counter>\n";
        }
    }
    s += "    </counters>\n";
    if (t.pcap) {
        s += "    <pcap_stats" + attr("received", t.pcap->received) + attr("dropped", t.pcap->dropped) +
             attr("if_dropped", t.pcap->if_dropped) + "/>\n";
    }
    s += "  </summary>\n";
    rusage ru{};
    s += "  <rusage>\n";
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        s += "    " + element("utime", seconds_text(ru.ru_utime)) + "\n";
        s += "    " + element("stime", seconds_text(ru.ru_stime)) + "\n";
        s += "    " + element("maxrss", std::to_string(ru.ru_maxrss)) + "\n";
        s += "    " + element("minflt", std::to_string(ru.ru_minflt)) + "\n";
        s += "    " + element("majflt", std::to_string(ru.ru_majflt)) + "\n";
        s += "    " + element("inblock", std::to_string(ru.ru_inblock)) + "\n";
        s += "    " + element("oublock", std::to_string(ru.ru_oublock)) + "\n";
    }
    const double clock =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    char cl[48];
    std::snprintf(cl, sizeof cl, "%.6f", clock);
    s += "    " + element("clocktime", cl) + "\n";
    s += "  </rusage>\n";
    s += "</dfxml>\n";
    out_ << s;
    out_.flush();
    if (file_) file_->close();
}

}  // namespace tcpflow
