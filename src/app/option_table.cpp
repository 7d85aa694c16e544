// option_table.cpp: the option table, the -S setting table, the help lines made from them, and
// the value checks they share with cli.cpp.
#include "tcpflow/app/option_table.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string_view>

namespace tcpflow {

namespace {

using cli_detail::need_bool;
using cli_detail::need_int;
using cli_detail::UsageError;
using Warnings = std::vector<std::string>;

// Binders: where a row's value goes, as a pointer-to-member of CliValues, Options or
// ConsoleOptions.
template <auto Member>
OptionTarget raw(CliValues& v) {
    return &(v.*Member);
}
template <auto Member>
OptionTarget opt(CliValues& v) {
    return &(v.o.*Member);
}
template <auto Member>
OptionTarget con(CliValues& v) {
    return &(v.o.console.*Member);
}

using V = CliValues;
using O = Options;
using C = ConsoleOptions;

// The order is the --help order and the CLI11 registration order.
const OptionSpec kOptions[] = {
    {"-r", "read", "FILE", "read packets from a pcap/pcapng file ('-' = stdin); repeatable", raw<&V::read>},
    {"-R", "resume", "FILE", "read a file, continuing only flows already known; repeatable", raw<&V::resume>},
    {"-l", "files", nullptr, "the words after the options are input files (each an implied -r)", raw<&V::list_files>},
    {"-i", "interface", "IF", "capture live from interface IF (default: the first device)", opt<&O::interface>},
    {"-p", "no-promisc", nullptr, "do not put the interface into promiscuous mode", raw<&V::no_promisc>},
    {"-o", "output-dir", "DIR", "write flow files into DIR (default: .)", opt<&O::outdir>},
    {"-T", "template", "TMPL", "file name template (default %A.%a-%B.%b%V%v%C%c; see -hh)", raw<&V::template_text>},
    {"-F", "format", "LETTERS", "name modifiers: t T k m g c, X (no flow files), M (MD5); see -hh", raw<&V::format>},
    {"-b", "max-bytes", "N", "store at most N bytes per flow direction", raw<&V::max_bytes>},
    {"-m", "max-seek", "N", "a sequence jump larger than N starts a new file (default 16M)", raw<&V::max_seek>},
    {"-f", "max-fds", "N", "keep at most N flow files open (default: from the process limit)", raw<&V::max_fds>},
    {"-X", "report", "FILE", "write the DFXML report to FILE (default DIR/report.xml; /dev/null = none)",
     raw<&V::report>},
    {"-I", "index", nullptr, "write a .findx byte->time index next to each flow file", opt<&O::index_files>},
    {"-K", "pcap-per-flow", nullptr, "write each flow's packets to <name>.pcap instead of its data",
     opt<&O::pcap_per_flow>},
    {"-w", "unused-packets", "FILE", "write packets that were not used to a pcap file", opt<&O::unused_pcap>},
    {"-c", "console", nullptr, "print flows to stdout instead of storing them", raw<&V::console>},
    {"-C", "console-no-header", nullptr, "like -c, without the flow name header", raw<&V::console_no_header>},
    {"-0", "no-newline", nullptr, "console: no newline after each block", con<&C::no_newline>},
    {"-B", "binary", nullptr, "console: print bytes unchanged (no '.' for non-printables)", con<&C::binary>},
    {"-s", "strip", nullptr, "console: replace non-printable bytes by '.' (the default)", con<&C::strip>},
    {"-D", "hex", nullptr, "console: hex dump", con<&C::hex>},
    {"-g", "color", nullptr, "console: colour client (blue) and server (red) data", con<&C::color>},
    {"-J", "json", nullptr, "console: one JSON object per block", con<&C::json>},
    {"-L", "semaphore", "NAME", "console: hold the named POSIX semaphore while printing", opt<&O::semaphore>},
    {"-a", "all-scanners", nullptr, "enable all scanners (http, md5, netviz)", raw<&V::all_scanners>},
    {"-e", "enable-scanner", "NAME", "enable a scanner: http, md5, netviz, all (wifiviz: not built)", raw<&V::enable>},
    {"-E", "exclusive-scanner", "NAME", "disable all scanners, then enable NAME", raw<&V::exclusive>},
    {"-x", "disable-scanner", "NAME", "disable a scanner (-x tcpdemux: no flow files)", raw<&V::disable>},
    {"-Z", "no-decompress", nullptr, "-e http: keep gzip/deflate bodies compressed", opt<&O::http_keep_compressed>},
    {"-H", "scanner-help", nullptr, "describe the scanners and exit", raw<&V::scanner_help>},
    {"-S", "set", "NAME=VALUE", "set a parameter (see -hh); repeatable", raw<&V::settings>},
    {nullptr, "overlap", "first|last", "overlapping data: keep the first copy (default) or the last (1.6.1)",
     raw<&V::overlap>},
    {nullptr, "max-memory", "SIZE", "memory for buffered data, fragments and flows (default 256M; K, M, G)",
     raw<&V::max_memory>},
    {nullptr, "idle-timeout", "SECONDS", "close flows idle this long in packet time (= -S tcp_timeout)",
     raw<&V::idle_timeout>},
    {nullptr, "hole-timeout", "SECONDS", "give a hole up this long after data behind it arrived (live: 2; files: never)",
     raw<&V::hole_timeout>},
    {nullptr, "udp", nullptr, "follow UDP conversations too (files named ...-udp; see -hh)", opt<&O::udp>},
    {nullptr, "udp-framing", "none|length", "--udp: datagrams back to back (default) or each behind a 2-byte length",
     raw<&V::udp_framing>},
    {nullptr, "flow-index", "[=FILE]", "one JSON line per connection to FILE (default DIR/flows.jsonl; - = stdout)",
     raw<&V::flow_index>},
    {nullptr, "conversation", "[=only]", "also one file per connection, both directions in order (=only: just those)",
     raw<&V::conversation>},
    {nullptr, "tls-keylog", "FILE", "decrypt TLS with this NSS key log (SSLKEYLOGFILE) into .tls files; repeatable",
     opt<&O::tls_keylogs>},
    {"-j", "jobs", "N", "worker threads (default 1)", raw<&V::jobs>},
    {nullptr, "shard", "I/N", "handle only the connections of shard I of N (0 <= I < N; see docs/scale-out.md)",
     raw<&V::shard>},
    {"-U", "user", "USER", "drop privileges to USER after opening the capture", raw<&V::user>},
    {nullptr, "relinquish-privileges", "USER", "same as -U (1.6.1's long name)", raw<&V::user_alias>},
    {"-z", "chroot", "DIR", "chroot to DIR after opening the capture (needs -U)", raw<&V::chroot_dir>},
    {"-d", "debug", "N", "debug level (default 1)", raw<&V::debug>},
    {"-v", "verbose", nullptr, "verbose: debug level 10", raw<&V::verbose>},
    {"-q", "quiet", nullptr, "no warnings about large output folders, no progress line, no summary", opt<&O::quiet>},
    {nullptr, "progress", nullptr, "show the progress line on a terminal even where it would be left out",
     opt<&O::progress_forced>},
    {nullptr, "no-progress", nullptr, "no progress line (the summary stays)", opt<&O::progress_off>},
    {"-P", "no-purge", nullptr, "accepted for compatibility (flows are always purged safely)", opt<&O::no_purge>},
    {"-A", nullptr, "X", "deprecated (1.6.1's -AH), ignored; use -a", raw<&V::deprecated_a>},
    {"-h", "help", nullptr, "show this help and exit (-hh: everything)", raw<&V::help>},
    {"-V", "version", nullptr, "print the version and exit", raw<&V::version>},
};

// The rows --help shows (the rest only with -hh), in this order, each with a shorter line so
// that --help fits an 80x24 terminal.
const CommonOption kCommon[] = {
    {"read", "read a pcap/pcapng capture file (- = stdin)"},
    {"interface", "capture live from interface IF"},
    {"output-dir", "write the flow files into DIR (default .)"},
    {"console", "print the flows on standard output instead"},
    {"enable-scanner", "enable a scanner: http, md5, all"},
    {"template", "file name template (see -hh)"},
    {"format", "name modifiers t T k m g c, X, M (see -hh)"},
    {"max-bytes", "store at most N bytes per flow direction"},
    {"report", "the DFXML report (default DIR/report.xml)"},
    {"unused-packets", "write the packets not used to a pcap FILE"},
    {"jobs", "worker threads (default 1)"},
    {"user", "drop root to USER once the capture is open"},
    {"verbose", "counters and a summary at the end"},
    {"quiet", "no warnings, no progress line, no summary"},
    {"help", "this help; -hh: every option and setting"},
    {"version", "print the version and exit"},
};

constexpr std::int64_t kMaxTimeout = std::int64_t{1} << 40;
constexpr std::int64_t kMaxFd = std::numeric_limits<int>::max();

void set_tdelta(Options& o, const std::string& what, const std::string& value, Warnings&) {
    constexpr double kMaxDelta = 1e12;
    char* end = nullptr;
    const double d = std::strtod(value.c_str(), &end);
    if (value.empty() || end == nullptr || *end != '\0' || !(d == d))
        throw UsageError(what + ": '" + value + "' is not a number of seconds");
    // Beyond the double range (1e999) strtod gives +-HUGE_VAL, caught here; an underflow
    // (1e-999) is about 0 and accepted.
    if (d > kMaxDelta || d < -kMaxDelta)
        throw UsageError(what + ": '" + value + "' is too " + (d > 0 ? "large" : "small") +
                         " (the range is -1000000000000 to 1000000000000 seconds)");
    o.tdelta = d;
}

void ignore_netviz(Options&, const std::string& what, const std::string&, Warnings& warnings) {
    warnings.push_back(what + " ignored: netviz has no such setting (see netviz_histogram_size)");
}

void set_netviz_format(Options& o, const std::string& what, const std::string& v, Warnings&) {
    if (v != "pdf" && v != "svg" && v != "png")
        throw UsageError(what + ": '" + v + "' is not a page format (pdf, svg or png)");
    o.netviz_format = v;
}

// The order is the -hh order and the order of the "known:" list.
const SettingSpec kSettings[] = {
    {"tdelta", "SECONDS", "add SECONDS to every packet time (default 0)", set_tdelta},
    {"tcp_timeout", "SECONDS", "idle timeout in packet time (default 0 = 600 s)",
     [](Options& o, const std::string& what, const std::string& v, Warnings&) {
         o.tcp_timeout = need_int(what, v, 0, kMaxTimeout);
     }},
    {"udp_timeout", "SECONDS", "--udp: idle timeout of UDP conversations in packet time (default 60; 0 = never)",
     [](Options& o, const std::string& what, const std::string& v, Warnings&) {
         o.udp_timeout = need_int(what, v, 0, kMaxTimeout);
     }},
    {"tcp_cmd", "CMD", "run 'CMD <flowfile>' when a flow file is closed",
     [](Options& o, const std::string&, const std::string& v, Warnings&) { o.tcp_cmd = v; }},
    {"tcp_alert_fd", "FD", "write 'open\\t<path>' and 'close\\t<path>' lines to FD",
     [](Options& o, const std::string& what, const std::string& v, Warnings&) {
         o.tcp_alert_fd = static_cast<int>(need_int(what, v, -1, kMaxFd));
     }},
    {"http_cmd", "CMD", "run 'CMD <bodyfile>' for each HTTP body (-e http)",
     [](Options& o, const std::string&, const std::string& v, Warnings&) { o.http_cmd = v; }},
    {"http_alert_fd", "FD", "like tcp_alert_fd for HTTP body files",
     [](Options& o, const std::string& what, const std::string& v, Warnings&) {
         o.http_alert_fd = static_cast<int>(need_int(what, v, -1, kMaxFd));
     }},
    {"enable_report", "YES|NO", "write report.xml (default YES)",
     [](Options& o, const std::string& what, const std::string& v, Warnings&) {
         if (!need_bool(what, v)) o.report = false;   // YES does not undo -X /dev/null
     }},
    {"packet-buffer-timeout", "MS", "libpcap buffer timeout for live capture (default 10)",
     [](Options& o, const std::string& what, const std::string& v, Warnings&) {
         o.packet_buffer_timeout_ms = static_cast<int>(need_int(what, v, 0, 3'600'000));
     }},
    {"reader", "native|libpcap", "how capture files are read (default native)",
     [](Options& o, const std::string& what, const std::string& v, Warnings&) {
         if (v != "native" && v != "libpcap") throw UsageError(what + ": '" + v + "' is not native or libpcap");
         o.libpcap_reader = v == "libpcap";
     }},
    {"check_fcs", "YES|NO", "802.11: drop frames with a bad FCS (default YES)",
     [](Options& o, const std::string& what, const std::string& v, Warnings&) { o.check_fcs = need_bool(what, v); }},
    {"hash", "sha256", "add each flow file's SHA-256 to the report and the flow index",
     [](Options& o, const std::string& what, const std::string& v, Warnings&) {
         if (v != "sha256") throw UsageError(what + ": '" + v + "' is not a known hash (known: sha256)");
         o.hash_sha256 = true;
     }},
    {"json", "array|lines", "-J payload as 1.6.1's array of numbers (default) or a base64 string",
     [](Options& o, const std::string& what, const std::string& v, Warnings&) {
         if (v == "lines") o.console.json_lines = true;
         else if (v == "array") o.console.json_lines = false;
         else throw UsageError(what + ": '" + v + "' is not 'array' or 'lines'");
     }},
    {"debug-prefix", "TEXT", "prefix of debug messages (default tcpflow)",
     [](Options& o, const std::string&, const std::string& v, Warnings&) { o.debug_prefix = v; }},
    {"netviz_format", "pdf|svg|png", "-e netviz: the page as report.pdf (default), .svg or .png", set_netviz_format},
    {"netviz_histogram_size", "N", "-e netviz: addresses counted exactly per side (default 1000)",
     [](Options& o, const std::string& what, const std::string& v, Warnings&) {
         o.netviz_histogram_size = static_cast<std::size_t>(need_int(what, v, 1, 10'000'000));
     }},
    {"netviz_histogram_dump", "N", "-e netviz: N > 0 prints the counted addresses to stdout",
     [](Options& o, const std::string& what, const std::string& v, Warnings&) {
         o.netviz_histogram_dump = need_int(what, v, 0, std::numeric_limits<int>::max()) > 0;
     }},
    // Not a setting of 1.6.1's netviz: accepted with a warning, not listed.
    {"netviz_max_histogram_size", "N", nullptr, ignore_netviz},
};

/// "  left" padded to `width`, or "  left" and a new line indented to `width` when too long.
std::string help_line(const std::string& left, std::size_t width, const char* help) {
    std::string s = left;
    if (s.size() < width) s.resize(width, ' ');
    else s += "\n" + std::string(width, ' ');
    return s + help + '\n';
}

/// Digits only: the value, or why not (too_large: digits, but more than 2^64 - 1).
struct Parsed {
    enum class Status { ok, not_a_number, too_large } status = Status::not_a_number;
    std::uint64_t value = 0;
};

Parsed parse_u64(std::string_view s) {
    Parsed p;
    if (s.empty()) return p;
    std::uint64_t v = 0;
    bool overflow = false;
    for (const char c : s) {
        if (c < '0' || c > '9') return p;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (overflow || v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) overflow = true;
        else v = v * 10 + d;
    }
    p.status = overflow ? Parsed::Status::too_large : Parsed::Status::ok;
    p.value = overflow ? 0 : v;
    return p;
}

Parsed parse_size(std::string_view s) {
    std::size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
    std::string suffix;
    for (const char c : s.substr(digits)) suffix += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (suffix.size() >= 2 && suffix.back() == 'B') suffix.pop_back();
    if (suffix.size() == 2 && suffix.back() == 'I') suffix.pop_back();
    unsigned shift = 0;
    if (suffix.empty()) shift = 0;
    else if (suffix == "K") shift = 10;
    else if (suffix == "M") shift = 20;
    else if (suffix == "G") shift = 30;
    else if (suffix == "T") shift = 40;
    else return Parsed{};
    Parsed p = parse_u64(s.substr(0, digits));
    if (p.status != Parsed::Status::ok) return p;
    if (shift > 0 && p.value > (std::numeric_limits<std::uint64_t>::max() >> shift))
        return Parsed{Parsed::Status::too_large, 0};
    p.value <<= shift;
    return p;
}

/// "-j: '0' is too small (the range is 1 to 1024)": one form for both ends of every range.
UsageError out_of_range(const std::string& what, const std::string& value, bool large, std::int64_t min,
                        std::int64_t max) {
    return UsageError(what + ": '" + value + "' is too " + (large ? "large" : "small") + " (the range is " +
                      std::to_string(min) + " to " + std::to_string(max) + ")");
}

}  // namespace

std::span<const OptionSpec> option_table() {
    return kOptions;
}

std::span<const SettingSpec> setting_table() {
    return kSettings;
}

/// The scanners -e takes (wifiviz, accepted by -x only, is left out: -e wifiviz is refused).
std::span<const char* const> scanner_names() {
    static const char* const kScanners[] = {"tcpdemux", "http", "md5", "netviz", "all"};
    return kScanners;
}

std::span<const CommonOption> common_options() {
    return kCommon;
}

const OptionSpec* option_by_long_name(std::string_view name) {
    for (const auto& o : kOptions)
        if (o.longname != nullptr && name == o.longname) return &o;
    return nullptr;
}

static std::string option_left_column(const OptionSpec& o) {
    std::string left = "  ";
    if (o.shortname != nullptr) left += o.shortname;
    if (o.shortname != nullptr && o.longname != nullptr) left += ", ";
    if (o.shortname == nullptr) left += "    ";
    if (o.longname != nullptr) {
        left += "--";
        left += o.longname;
    }
    if (o.arg != nullptr) {
        left += ' ';
        left += o.arg;
    }
    return left;
}

std::string common_help_lines() {
    std::string s;
    for (const auto& c : kCommon)
        if (const OptionSpec* o = option_by_long_name(c.longname)) s += help_line(option_left_column(*o), 29, c.brief);
    return s;
}

std::string option_help_lines() {
    std::string s;
    for (const auto& o : kOptions) s += help_line(option_left_column(o), 38, o.help);
    return s;
}

std::string setting_help_lines() {
    std::string s;
    for (const auto& st : kSettings)
        if (st.help != nullptr) s += help_line(std::string("  ") + st.name + "=" + st.value, 30, st.help);
    return s;
}

namespace cli_detail {

void apply_setting(Options& o, const std::string& name_value, std::vector<std::string>& warnings) {
    const auto eq = name_value.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("-S " + name_value + ": expected NAME=VALUE");
    const std::string name = name_value.substr(0, eq);
    for (const auto& st : kSettings)
        if (name == st.name) return st.set(o, "-S " + name, name_value.substr(eq + 1), warnings);
    std::string known;
    for (const auto& st : kSettings)
        if (st.help != nullptr) known += (known.empty() ? "" : ", ") + std::string(st.name);
    throw UsageError("-S: unknown setting '" + name + "' (known: " + known + ")");
}

std::uint64_t need_size(const std::string& what, const std::string& value) {
    const auto p = parse_size(value);
    if (p.status == Parsed::Status::too_large)
        throw UsageError(what + ": '" + value + "' is too large (at most " +
                         std::to_string(std::numeric_limits<std::uint64_t>::max()) + " bytes)");
    if (p.status != Parsed::Status::ok) throw UsageError(what + ": '" + value + "' is not a non-negative number");
    return p.value;
}

std::uint64_t need_uint(const std::string& what, const std::string& value, std::uint64_t max) {
    const auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    return static_cast<std::uint64_t>(need_int(what, value, 0, static_cast<std::int64_t>(std::min(max, limit))));
}

std::int64_t need_int(const std::string& what, const std::string& value, std::int64_t min, std::int64_t max) {
    std::string_view s = value;
    bool neg = false;
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
        neg = s.front() == '-';
        s.remove_prefix(1);
    }
    const auto p = parse_u64(s);
    if (p.status == Parsed::Status::not_a_number) throw UsageError(what + ": '" + value + "' is not a number");
    // Beyond the 64-bit range: too large (or too small) all the same.
    const auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (p.status == Parsed::Status::too_large || p.value > limit) throw out_of_range(what, value, !neg, min, max);
    const std::int64_t r = neg ? -static_cast<std::int64_t>(p.value) : static_cast<std::int64_t>(p.value);
    if (r < min || r > max) throw out_of_range(what, value, r > max, min, max);
    return r;
}

bool need_bool(const std::string& what, const std::string& value) {
    std::string v;
    for (const char c : value) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (v == "yes" || v == "y" || v == "true" || v == "1" || v == "on") return true;
    if (v == "no" || v == "n" || v == "false" || v == "0" || v == "off") return false;
    throw UsageError(what + ": '" + value + "' is not YES or NO");
}

}  // namespace cli_detail

}  // namespace tcpflow
