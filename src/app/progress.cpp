// progress.cpp: the status line, the summary, and when a terminal gets them.
#include "tcpflow/app/progress.h"

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <utility>

namespace tcpflow {

namespace {

/// The counters of packets that were not used, in words ("1200 not TCP (UDP, ICMP, ...)").
struct Unused {
    Counter counter;
    const char* words;
};
constexpr Unused kUnused[] = {
    {Counter::not_tcp, "not TCP (UDP, ICMP, ...)"},
    {Counter::not_ip, "not IP (ARP, LLC, ...)"},
    {Counter::unknown_ethertype, "of an unknown EtherType"},
    {Counter::unknown_link_type, "of an unsupported link type"},
    {Counter::wifi_non_data, "802.11 management, control or protected frames"},
    {Counter::bad_fcs, "802.11 frames with a bad FCS"},
    {Counter::truncated_link_header, "with a truncated link header"},
    {Counter::truncated_ip_header, "with a truncated IP header"},
    {Counter::bad_ip_version, "with a bad IP version"},
    {Counter::bad_ip_header_length, "with a bad IP header length"},
    {Counter::bad_ip_total_length, "with a bad IP total length"},
    {Counter::bad_ipv6_extension_header, "with a bad IPv6 extension header"},
    {Counter::truncated_tcp_header, "with a truncated TCP header"},
    {Counter::bad_tcp_header_length, "with a bad TCP header length"},
    {Counter::truncated_tunnel_header, "with a truncated tunnel header"},
    {Counter::tunnel_too_deep, "in tunnels nested too deep"},
    {Counter::fragments_bad, "bad IP fragments"},
    {Counter::packets_ignored_resume, "of connections -R does not continue"},
};

std::string num(std::uint64_t n) {
    return std::to_string(n);
}

std::string one_decimal(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return buf;
}

std::string seconds_text(double s) {
    return s < 60 ? one_decimal(s) + " s" : clock_time(s);
}

std::string rate_mb(std::uint64_t bytes, double seconds) {
    const double mbs = seconds > 0 ? static_cast<double>(bytes) / seconds / 1e6 : 0;
    return (mbs < 10 ? one_decimal(mbs) : num(static_cast<std::uint64_t>(mbs + 0.5))) + " MB/s";
}

/// Up to `width` columns (the line must never wrap: \r returns to the start of the last row).
std::string fit(std::string s, std::size_t width) {
    if (width > 0 && s.size() >= width) s.resize(width - 1);
    return s;
}

std::size_t terminal_width(int fd) {
    winsize ws{};
    if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    return 80;
}

void write_all(int fd, const std::string& s) {
    const char* p = s.data();
    std::size_t left = s.size();
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

}  // namespace

void RunTally::closed(const FlowSummary& s) noexcept {
    directions_closed.fetch_add(1, std::memory_order_relaxed);
    if (!s.holes.empty()) with_holes.fetch_add(1, std::memory_order_relaxed);
    if (s.conflicting_bytes > 0) with_conflicts.fetch_add(1, std::memory_order_relaxed);
    bytes_stored.fetch_add(s.stored_bytes, std::memory_order_relaxed);
}

TerminalFacts terminal_facts() {
    TerminalFacts t;
    t.stderr_tty = ::isatty(2) == 1;
    t.stdout_tty = ::isatty(1) == 1;
    struct stat out{}, err{};
    if (t.stderr_tty && t.stdout_tty && ::fstat(1, &out) == 0 && ::fstat(2, &err) == 0)
        t.same_terminal = out.st_rdev == err.st_rdev;
    return t;
}

TerminalPlan plan_terminal(const Options& o, const TerminalFacts& t) {
    TerminalPlan p;
    const bool console_here = o.console.enabled && t.same_terminal;
    p.progress = t.stderr_tty && !o.progress_off && (o.progress_forced || (!o.quiet && !console_here));
    p.summary = (t.stderr_tty && !o.quiet) || o.debug >= 10;
    return p;
}

std::string human_bytes(std::uint64_t n) {
    const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    double v = static_cast<double>(n);
    std::size_t u = 0;
    while (v >= 1000 && u + 1 < std::size(units)) {
        v /= 1000;
        ++u;
    }
    if (u == 0) return num(n) + " B";
    return (v < 10 ? one_decimal(v) : num(static_cast<std::uint64_t>(v + 0.5))) + " " + units[u];
}

std::string clock_time(double seconds) {
    const auto t = static_cast<std::uint64_t>(std::max(0.0, seconds));
    char buf[32];
    if (t >= 3600)
        std::snprintf(buf, sizeof buf, "%llu:%02llu:%02llu", static_cast<unsigned long long>(t / 3600),
                      static_cast<unsigned long long>(t / 60 % 60), static_cast<unsigned long long>(t % 60));
    else
        std::snprintf(buf, sizeof buf, "%llu:%02llu", static_cast<unsigned long long>(t / 60),
                      static_cast<unsigned long long>(t % 60));
    return buf;
}

std::string format_progress(const ProgressSample& s) {
    std::string line;
    if (s.live) {
        line = num(s.packets) + " packets, " + num(s.dropped) + " dropped";
        if (s.open) line += ", " + num(*s.open) + " open";
        line += ", " + human_bytes(s.bytes_written) + " written, " + clock_time(s.elapsed_s);
        return line;
    }
    if (s.bytes_total > 0) {
        const std::uint64_t read = std::min(s.bytes_read, s.bytes_total);
        const auto pct = static_cast<unsigned>(static_cast<double>(read) * 100.0 / static_cast<double>(s.bytes_total));
        line = "[" + std::string(pct < 10 ? "  " : pct < 100 ? " " : "") + num(pct) + "%] " + human_bytes(read) +
               " of " + human_bytes(s.bytes_total);
    } else if (s.bytes_read > 0) {
        line = human_bytes(s.bytes_read);
    }
    // Standard input or a pipe: no position to tell.
    if (!line.empty()) line += ", " + rate_mb(s.bytes_read, s.elapsed_s) + ", ";
    line += num(s.packets) + " packets, ";
    if (s.open && s.finished) line += num(*s.open) + " open, " + num(*s.finished) + " done, ";
    else line += num(s.directions_finished) + " flows done, ";
    line += num(s.files) + " files, " + clock_time(s.elapsed_s);
    if (s.bytes_total > 0 && s.bytes_read > 0 && s.elapsed_s >= 0.5 && s.bytes_read < s.bytes_total) {
        const double left = static_cast<double>(s.bytes_total - s.bytes_read) * s.elapsed_s / static_cast<double>(s.bytes_read);
        line += ", " + clock_time(left + 0.999) + " left";
    }
    return line;
}

std::vector<std::string> summary_lines(const SummaryFacts& f) {
    std::vector<std::string> lines;
    const std::string what = num(f.connections) + " connections, " + num(f.files) + " flow files, " +
                             human_bytes(f.bytes_written) + " written";
    const std::uint64_t packets = f.stats.get(Counter::packets);
    if (f.live) {
        const double pps = f.elapsed_s > 0 ? static_cast<double>(packets) / f.elapsed_s : 0;
        lines.push_back("captured " + num(packets) + " packets in " + seconds_text(f.elapsed_s) + " (" +
                        num(static_cast<std::uint64_t>(pps + 0.5)) + " packets/s): " + what);
    } else {
        lines.push_back("read " + human_bytes(f.bytes_read) + ", " + num(packets) + " packets in " +
                        seconds_text(f.elapsed_s) + " (" + rate_mb(f.bytes_read, f.elapsed_s) + "): " + what);
    }
    if (f.with_holes > 0 || f.with_conflicts > 0) {
        std::string s;
        if (f.with_holes > 0) s = num(f.with_holes) + " flow file" + (f.with_holes == 1 ? " has" : "s have") + " holes";
        if (f.with_conflicts > 0)
            s += (s.empty() ? num(f.with_conflicts) + " flow file" + (f.with_conflicts == 1 ? " has" : "s have")
                            : " and " + num(f.with_conflicts) + (f.with_conflicts == 1 ? " has" : " have")) +
                 " conflicting retransmitted bytes";
        s += f.report_path.empty() ? " (no report was written)" : ": " + f.report_path + " says where";
        lines.push_back(s);
    }
    std::vector<std::pair<std::uint64_t, const char*>> why;
    std::uint64_t unused = 0;
    for (const auto& u : kUnused)
        if (const std::uint64_t n = f.stats.get(u.counter); n > 0) {
            why.emplace_back(n, u.words);
            unused += n;
        }
    if (unused > 0) {
        std::stable_sort(why.begin(), why.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
        std::string s = num(unused) + " packet" + (unused == 1 ? "" : "s") + " not used: ";
        for (std::size_t i = 0; i < why.size(); ++i) s += (i ? ", " : "") + num(why[i].first) + " " + why[i].second;
        lines.push_back(s);
    }
    return lines;
}

ProgressLine::ProgressLine(Diagnostics& diag, std::function<ProgressSample()> sample, int fd)
    : diag_{diag}, sample_{std::move(sample)}, fd_{fd} {}

ProgressLine::~ProgressLine() { clear(); }

void ProgressLine::poll() {
    const auto now = std::chrono::steady_clock::now();
    if (redraws_ > 0 && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    draw(fit(format_progress(sample_()), terminal_width(fd_)));
}

void ProgressLine::draw(const std::string& text) {
    if (shown_ > 0 && text == last_text_) return;   // nothing new (a quiet live capture)
    last_text_ = text;
    std::string out = "\r" + text;
    if (shown_ > text.size()) out.append(shown_ - text.size(), ' ').append("\r").append(text);
    shown_ = text.size();
    ++redraws_;
    diag_.set_status_width(shown_);
    write_all(fd_, out);
}

void ProgressLine::clear() {
    if (shown_ == 0) return;
    diag_.set_status_width(0);
    write_all(fd_, "\r" + std::string(shown_, ' ') + "\r");
    shown_ = 0;
}

}  // namespace tcpflow
