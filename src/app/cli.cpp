// cli.cpp: the command line -> Options with CLI11. A pure function: nothing is printed, nothing
// exits; help, version and usage errors come back as text plus an exit code.
#include "tcpflow/app/cli.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "tcpflow/flow/naming.h"
#include "tcpflow/version.h"

namespace tcpflow {

namespace {

std::string version_line() {
    return "tcpflow " + std::string(kVersion) + " (compatible with tcpflow 1.6.1)\n";
}

/// Thrown inside the parser for a usage error found after CLI11 is done.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct OptSpec {
    const char* shortname;  ///< "-a" or nullptr
    const char* longname;   ///< "all-scanners" or nullptr
    const char* arg;        ///< "N", "FILE"... or nullptr for a flag
    const char* help;
};

// The help text and all_long_options() come from this one table.
const OptSpec kOptions[] = {
    {"-r", "read", "FILE", "read packets from a pcap/pcapng file ('-' = stdin); repeatable"},
    {"-R", "resume", "FILE", "read a file, continuing only flows already known; repeatable"},
    {"-l", "files", nullptr, "the words after the options are input files (each an implied -r)"},
    {"-i", "interface", "IF", "capture live from interface IF (default: the first device)"},
    {"-p", "no-promisc", nullptr, "do not put the interface into promiscuous mode"},
    {"-o", "output-dir", "DIR", "write flow files into DIR (default: .)"},
    {"-T", "template", "TMPL", "file name template (default %A.%a-%B.%b%V%v%C%c; see -hh)"},
    {"-F", "format", "LETTERS", "name modifiers: t T k m g c, X (no flow files), M (MD5); see -hh"},
    {"-b", "max-bytes", "N", "store at most N bytes per flow direction"},
    {"-m", "max-seek", "N", "a sequence jump larger than N starts a new file (default 16M)"},
    {"-f", "max-fds", "N", "keep at most N flow files open (default: from the process limit)"},
    {"-X", "report", "FILE", "write the DFXML report to FILE (default DIR/report.xml; /dev/null = none)"},
    {"-I", "index", nullptr, "write a .findx byte->time index next to each flow file"},
    {"-K", "pcap-per-flow", nullptr, "write each flow's packets to <name>.pcap instead of its data"},
    {"-w", "unused-packets", "FILE", "write packets that were not used to a pcap file"},
    {"-c", "console", nullptr, "print flows to stdout instead of storing them"},
    {"-C", "console-no-header", nullptr, "like -c, without the flow name header"},
    {"-0", "no-newline", nullptr, "console: no newline after each block"},
    {"-B", "binary", nullptr, "console: print bytes unchanged (no '.' for non-printables)"},
    {"-s", "strip", nullptr, "console: replace non-printable bytes by '.' (the default)"},
    {"-D", "hex", nullptr, "console: hex dump"},
    {"-g", "color", nullptr, "console: colour client (blue) and server (red) data"},
    {"-J", "json", nullptr, "console: one JSON object per block"},
    {"-L", "semaphore", "NAME", "console: hold the named POSIX semaphore while printing"},
    {"-a", "all-scanners", nullptr, "enable all scanners (http, md5)"},
    {"-e", "enable-scanner", "NAME", "enable a scanner: http, md5, all (netviz, wifiviz: not built)"},
    {"-E", "exclusive-scanner", "NAME", "disable all scanners, then enable NAME"},
    {"-x", "disable-scanner", "NAME", "disable a scanner (-x tcpdemux: no flow files)"},
    {"-Z", "no-decompress", nullptr, "-e http: keep gzip/deflate bodies compressed"},
    {"-H", "scanner-help", nullptr, "describe the scanners and exit"},
    {"-S", "set", "NAME=VALUE", "set a parameter (see -hh); repeatable"},
    {nullptr, "overlap", "first|last", "overlapping data: keep the first copy (default) or the last (1.6.1)"},
    {nullptr, "max-memory", "SIZE", "memory for buffered data, fragments and flows (default 256M; K, M, G)"},
    {nullptr, "idle-timeout", "SECONDS", "close flows idle this long in packet time (= -S tcp_timeout)"},
    {"-j", "jobs", "N", "worker threads (default 1)"},
    {"-U", "user", "USER", "drop privileges to USER after opening the capture"},
    {nullptr, "relinquish-privileges", "USER", "same as -U (1.6.1's long name)"},
    {"-z", "chroot", "DIR", "chroot to DIR after opening the capture (needs -U)"},
    {"-d", "debug", "N", "debug level (default 1)"},
    {"-v", "verbose", nullptr, "verbose: debug level 10"},
    {"-q", "quiet", nullptr, "no warnings about large output folders"},
    {"-P", "no-purge", nullptr, "accepted for compatibility (flows are always purged safely)"},
    {"-A", nullptr, "X", "deprecated (1.6.1's -AH), ignored; use -a"},
    {"-h", "help", nullptr, "show this help and exit (-hh: everything)"},
    {"-V", "version", nullptr, "print the version and exit"},
};

std::string option_lines() {
    std::string s;
    for (const auto& o : kOptions) {
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
        if (left.size() < 38) left.resize(38, ' ');
        else left += "\n" + std::string(38, ' ');
        s += left;
        s += o.help;
        s += '\n';
    }
    return s;
}

std::string help_text(int level) {
    std::string s =
        "Usage: tcpflow [OPTIONS] [BPF expression]\n"
        "Reassembles TCP connections: each direction of each connection goes to its own file.\n"
        "The BPF expression is every word that is not an option, anywhere on the line.\n\n";
    s += option_lines();
    if (level < 2) {
        s += "\nRun 'tcpflow -hh' for -S settings, name templates and -F modifiers; 'man tcpflow'.\n";
        return s;
    }
    s +=
        "\n-S settings (-S NAME=VALUE):\n"
        "  tdelta=SECONDS              add SECONDS to every packet time (default 0)\n"
        "  tcp_timeout=SECONDS         idle timeout in packet time (default 0 = 600 s)\n"
        "  tcp_cmd=CMD                 run 'CMD <flowfile>' when a flow file is closed\n"
        "  tcp_alert_fd=FD             write 'open\\t<path>' and 'close\\t<path>' lines to FD\n"
        "  http_cmd=CMD                run 'CMD <bodyfile>' for each HTTP body (-e http)\n"
        "  http_alert_fd=FD            like tcp_alert_fd for HTTP body files\n"
        "  enable_report=YES|NO        write report.xml (default YES)\n"
        "  packet-buffer-timeout=MS    libpcap buffer timeout for live capture (default 10)\n"
        "  check_fcs=YES|NO            802.11: drop frames with a bad FCS (default YES)\n"
        "  debug-prefix=TEXT           prefix of debug messages (default tcpflow)\n"
        "\nName template escapes (-T):\n"
        "  %A %B   source / destination address (IPv4 010.000.000.001, IPv6 as inet_ntop)\n"
        "  %a %b   source / destination port, five digits\n"
        "  %T      first packet time, ISO 8601 UTC (2020-09-13T12:26:40Z)\n"
        "  %t      first packet time, Unix seconds (1600000000)\n"
        "  %V %v   '--' and the VLAN ID, only when the flow has a VLAN ID other than 0\n"
        "  %C %c   'c' and the connection counter, only when the counter is above 0\n"
        "  %#      the connection counter, always (0 for the first file)\n"
        "  %N %K %M %G  flow number modulo 1000, /1000, /1000000, /1000000000 (3 digits each)\n"
        "  %S      session number shared by both directions (20 digits)\n"
        "  %E %e   source / destination MAC address\n"
        "  %%      a percent sign\n"
        "  '/' makes sub-folders. Without %c (or %#), %C%c is appended.\n"
        "\n-F modifiers (applied, in order, to the -T template or the default):\n"
        "  t  prepend %tT                 T  prepend %T\n"
        "  k  prepend %K/                 m  prepend %M000-%M999/%M%K/\n"
        "  g  prepend %G000000-%G999999/%G%M000-%G%M999/%G%M%K/\n"
        "  c  always number connections: c0, c1, ... (replaces %C%c by c%#)\n"
        "  X  do not store flow files     M  compute MD5 of each flow\n";
    return s;
}

std::string scanner_help() {
    return "Scanners (-e NAME to enable, -x NAME to disable, -E NAME for only NAME):\n"
           "  tcpdemux  on   the flow extractor itself; -x tcpdemux writes the report only\n"
           "  http      off  write each HTTP response body to <flow>-HTTPBODY-NNN[.ext]\n"
           "                 (chunked, gzip and deflate decoded; -Z keeps them compressed)\n"
           "                 settings: http_cmd, http_alert_fd\n"
           "  md5       off  add each flow file's MD5 to the report\n"
           "  netviz    -    not built in this version (accepted, ignored)\n"
           "  wifiviz   -    not built in this version (accepted, ignored)\n"
           "  all            http and md5\n";
}

std::string one_line(std::string s) {
    std::replace(s.begin(), s.end(), '\n', ' ');
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
}

CliResult usage_error(const std::string& reason) {
    CliResult r;
    r.action = CliResult::Action::exit;
    r.exit_code = 2;
    r.err = "tcpflow: " + one_line(reason) + "\nTry 'tcpflow --help' for more information.\n";
    return r;
}

CliResult exit_with(std::string out) {
    CliResult r;
    r.action = CliResult::Action::exit;
    r.exit_code = 0;
    r.out = std::move(out);
    return r;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
    if (s.empty() || s.size() > 20) return std::nullopt;
    std::uint64_t v = 0;
    for (const char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (std::numeric_limits<std::uint64_t>::max() - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

/// A size: digits with an optional K, M, G or T suffix (powers of 1024; "KB", "KiB" too).
std::optional<std::uint64_t> parse_size(std::string_view s) {
    std::size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
    const auto base = parse_u64(s.substr(0, digits));
    if (!base) return std::nullopt;
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
    else return std::nullopt;
    if (shift > 0 && *base > (std::numeric_limits<std::uint64_t>::max() >> shift)) return std::nullopt;
    return *base << shift;
}

std::uint64_t need_size(const std::string& what, const std::string& value) {
    const auto v = parse_size(value);
    if (!v) throw UsageError(what + ": '" + value + "' is not a non-negative number");
    return *v;
}

std::uint64_t need_uint(const std::string& what, const std::string& value, std::uint64_t max) {
    const auto v = parse_u64(value);
    if (!v || *v > max)
        throw UsageError(what + ": '" + value + "' is not a number from 0 to " + std::to_string(max));
    return *v;
}

std::int64_t need_int(const std::string& what, const std::string& value, std::int64_t min, std::int64_t max) {
    std::string_view s = value;
    bool neg = false;
    if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
        neg = s.front() == '-';
        s.remove_prefix(1);
    }
    const auto v = parse_u64(s);
    const auto limit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!v || *v > limit)
        throw UsageError(what + ": '" + value + "' is not a number");
    const std::int64_t r = neg ? -static_cast<std::int64_t>(*v) : static_cast<std::int64_t>(*v);
    if (r < min || r > max)
        throw UsageError(what + ": " + value + " is out of range (" + std::to_string(min) + " to " +
                         std::to_string(max) + ")");
    return r;
}

bool need_bool(const std::string& what, const std::string& value) {
    std::string v;
    for (const char c : value) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (v == "yes" || v == "y" || v == "true" || v == "1" || v == "on") return true;
    if (v == "no" || v == "n" || v == "false" || v == "0" || v == "off") return false;
    throw UsageError(what + ": '" + value + "' is not YES or NO");
}

void apply_setting(Options& o, const std::string& kv, std::vector<std::string>& warnings) {
    const auto eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("-S " + kv + ": expected NAME=VALUE");
    const std::string name = kv.substr(0, eq);
    const std::string value = kv.substr(eq + 1);
    const std::string what = "-S " + name;
    if (name == "tdelta") {
        char* end = nullptr;
        errno = 0;
        const double d = std::strtod(value.c_str(), &end);
        if (value.empty() || end == nullptr || *end != '\0' || errno != 0 || !(d == d) || d > 1e12 || d < -1e12)
            throw UsageError(what + ": '" + value + "' is not a number of seconds");
        o.tdelta = d;
    } else if (name == "tcp_timeout") {
        o.tcp_timeout = need_int(what, value, 0, std::int64_t{1} << 40);
    } else if (name == "tcp_cmd") {
        o.tcp_cmd = value;
    } else if (name == "tcp_alert_fd") {
        o.tcp_alert_fd = static_cast<int>(need_int(what, value, -1, std::numeric_limits<int>::max()));
    } else if (name == "http_cmd") {
        o.http_cmd = value;
    } else if (name == "http_alert_fd") {
        o.http_alert_fd = static_cast<int>(need_int(what, value, -1, std::numeric_limits<int>::max()));
    } else if (name == "enable_report") {
        if (!need_bool(what, value)) o.report = false;
    } else if (name == "packet-buffer-timeout") {
        o.packet_buffer_timeout_ms = static_cast<int>(need_int(what, value, 0, 3'600'000));
    } else if (name == "check_fcs") {
        o.check_fcs = need_bool(what, value);
    } else if (name == "debug-prefix") {
        o.debug_prefix = value;
    } else if (name == "netviz_histogram_size" || name == "netviz_histogram_dump" || name == "netviz_max_histogram_size") {
        warnings.push_back(what + " ignored: the netviz scanner is not built in this version");
    } else {
        throw UsageError("-S: unknown setting '" + name +
                         "' (known: tdelta, tcp_timeout, tcp_cmd, tcp_alert_fd, http_cmd, http_alert_fd, "
                         "enable_report, packet-buffer-timeout, check_fcs, debug-prefix)");
    }
}

enum class ScannerOp { enable, exclusive, disable };

void apply_scanner(Options& o, ScannerOp op, const std::string& name, std::vector<std::string>& warnings) {
    const char* flag = op == ScannerOp::enable ? "-e" : op == ScannerOp::exclusive ? "-E" : "-x";
    const bool on = op != ScannerOp::disable;
    if (op == ScannerOp::exclusive) {
        o.scan_http = false;
        o.scan_md5 = false;
    }
    if (name == "http") {
        o.scan_http = on;
    } else if (name == "md5") {
        o.scan_md5 = on;
    } else if (name == "all") {
        o.scan_http = on;
        o.scan_md5 = on;
    } else if (name == "tcpdemux") {
        if (op == ScannerOp::disable) o.store_files = false;
        else o.store_files = true;
    } else if (name == "netviz" || name == "wifiviz") {
        if (on) warnings.push_back(std::string(flag) + " " + name + " ignored: that scanner is not built in this version");
    } else {
        throw UsageError(std::string(flag) + ": unknown scanner '" + name +
                         "' (known: tcpdemux, http, md5, netviz, wifiviz, all)");
    }
}

std::string join(const std::vector<std::string>& words) {
    std::string s;
    for (const auto& w : words) {
        if (!s.empty()) s += ' ';
        s += w;
    }
    return s;
}

}  // namespace

std::vector<std::string> all_long_options() {
    std::vector<std::string> names;
    for (const auto& o : kOptions)
        if (o.longname != nullptr) names.emplace_back(o.longname);
    return names;
}

CliResult parse_command_line(const std::vector<std::string>& args) {
    // Help and version win over everything else on the line, as with getopt's early exit.
    {
        int help = 0;
        for (std::size_t i = 1; i < args.size(); ++i) {
            const auto& a = args[i];
            if (a == "--") break;
            if (a == "-h" || a == "--help") ++help;
            else if (a == "-hh") help += 2;
            else if (a == "-hhh") help += 3;
        }
        if (help > 0) return exit_with(help_text(help));
        for (std::size_t i = 1; i < args.size(); ++i) {
            if (args[i] == "--") break;
            if (args[i] == "-V" || args[i] == "--version") return exit_with(version_line());
        }
    }

    Options o;
    std::vector<std::string> warnings;

    CLI::App app{"tcpflow", "tcpflow"};
    app.set_help_flag();
    app.allow_extras(false);
    app.positionals_at_end(false);
    // getopt semantics: a repeated single-valued option keeps its last value.
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

    int help_count = 0, version = 0, scanner_help_flag = 0, verbose = 0, all_scanners = 0;
    bool console_c = false, console_C = false, list_files = false, no_promisc = false;
    std::vector<std::string> read, resume, debug, enable, exclusive, disable, fmt, settings, deprecated_a, words;
    std::string template_text, max_bytes, max_seek, max_fds, max_memory, jobs, idle_timeout, overlap;
    std::string user, user_alias, chroot_dir, report;
    bool have_template = false;

    auto repeat = [](CLI::Option* opt) {
        opt->allow_extra_args(false)->expected(1)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    };

    repeat(app.add_option("-r,--read", read));
    repeat(app.add_option("-R,--resume", resume));
    app.add_flag("-l,--files", list_files);
    app.add_option("-i,--interface", o.interface);
    app.add_flag("-p,--no-promisc", no_promisc);
    app.add_option("-o,--output-dir", o.outdir);
    auto* opt_T = app.add_option("-T,--template", template_text);
    repeat(app.add_option("-F,--format", fmt));
    app.add_option("-b,--max-bytes", max_bytes);
    app.add_option("-m,--max-seek", max_seek);
    app.add_option("-f,--max-fds", max_fds);
    auto* opt_X = app.add_option("-X,--report", report);
    app.add_flag("-I,--index", o.index_files);
    app.add_flag("-K,--pcap-per-flow", o.pcap_per_flow);
    app.add_option("-w,--unused-packets", o.unused_pcap);
    app.add_flag("-c,--console", console_c);
    app.add_flag("-C,--console-no-header", console_C);
    app.add_flag("-0,--no-newline", o.console.no_newline);
    app.add_flag("-B,--binary", o.console.binary);
    app.add_flag("-s,--strip", o.console.strip);
    app.add_flag("-D,--hex", o.console.hex);
    app.add_flag("-g,--color", o.console.color);
    app.add_flag("-J,--json", o.console.json);
    app.add_option("-L,--semaphore", o.semaphore);
    auto* opt_a = app.add_flag("-a,--all-scanners", all_scanners);
    auto* opt_e = app.add_option("-e,--enable-scanner", enable);
    auto* opt_E = app.add_option("-E,--exclusive-scanner", exclusive);
    auto* opt_x = app.add_option("-x,--disable-scanner", disable);
    for (auto* opt : {opt_e, opt_E, opt_x}) repeat(opt);
    app.add_flag("-Z,--no-decompress", o.http_keep_compressed);
    app.add_flag("-H,--scanner-help", scanner_help_flag);
    repeat(app.add_option("-S,--set", settings));
    app.add_option("--overlap", overlap);
    app.add_option("--max-memory", max_memory);
    auto* opt_idle = app.add_option("--idle-timeout", idle_timeout);
    app.add_option("-j,--jobs", jobs);
    app.add_option("-U,--user", user);
    app.add_option("--relinquish-privileges", user_alias);
    app.add_option("-z,--chroot", chroot_dir);
    auto* opt_d = app.add_option("-d,--debug", debug);
    repeat(opt_d);
    auto* opt_v = app.add_flag("-v,--verbose", verbose);
    app.add_flag("-q,--quiet", o.quiet);
    app.add_flag("-P,--no-purge", o.no_purge);
    repeat(app.add_option("-A", deprecated_a));
    app.add_flag("-h,--help", help_count);
    app.add_flag("-V,--version", version);
    app.add_option("expression", words, "BPF expression words")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);

    std::vector<const char*> argv;
    argv.push_back(args.empty() ? "tcpflow" : args[0].c_str());
    for (std::size_t i = 1; i < args.size(); ++i) argv.push_back(args[i].c_str());

    try {
        app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError& e) {
        std::string what = e.what();
        if (what.empty()) what = e.get_name();
        const std::pair<std::string_view, std::string_view> rewrites[] = {
            {"The following argument was not expected: ", "unknown option "},
            {"The following arguments were not expected: ", "unknown options "},
            {": 1 required TEXT missing", ": needs a value"},
        };
        for (const auto& [from, to] : rewrites) {
            const auto at = what.find(from);
            if (at != std::string::npos) what.replace(at, from.size(), to);
        }
        return usage_error(what);
    }

    if (help_count > 0) return exit_with(help_text(help_count));
    if (version > 0) return exit_with(version_line());
    if (scanner_help_flag > 0) return exit_with(scanner_help());

    try {
        // Options whose effect depends on their order: -d/-v, and the scanner switches.
        std::map<const CLI::Option*, std::size_t> seen;
        for (const CLI::Option* opt : app.parse_order()) {
            const std::size_t n = seen[opt]++;
            if (opt == opt_d && n < debug.size()) {
                const auto level = need_int("-d", debug[n], std::numeric_limits<int>::min(),
                                            std::numeric_limits<int>::max());
                o.debug = level < 0 ? 1 : static_cast<int>(level);
            } else if (opt == opt_v) {
                o.debug = 10;
            } else if (opt == opt_a) {
                o.scan_http = true;
                o.scan_md5 = true;
            } else if (opt == opt_e && n < enable.size()) {
                apply_scanner(o, ScannerOp::enable, enable[n], warnings);
            } else if (opt == opt_E && n < exclusive.size()) {
                apply_scanner(o, ScannerOp::exclusive, exclusive[n], warnings);
            } else if (opt == opt_x && n < disable.size()) {
                apply_scanner(o, ScannerOp::disable, disable[n], warnings);
            }
        }
        if (!deprecated_a.empty()) warnings.emplace_back("-A" + deprecated_a.front() + " has been deprecated. Just use -a");

        // Input.
        o.read_files = read;
        o.resume_files = resume;
        if (list_files) {
            if (words.empty()) throw UsageError("-l: no input files given after the options");
            o.read_files.insert(o.read_files.end(), words.begin(), words.end());
        } else {
            o.filter = join(words);
        }
        o.live = o.read_files.empty() && o.resume_files.empty();
        o.promiscuous = !no_promisc;
        if (o.outdir.empty()) throw UsageError("-o: the output folder name is empty");
        for (const auto& f : o.read_files)
            if (f.empty()) throw UsageError("-r: empty file name");

        // Console.
        if (console_c || console_C) o.console.enabled = true;
        if (console_C) o.console.header = false;

        // Numbers.
        if (!max_bytes.empty()) o.max_bytes = need_size("-b", max_bytes);
        if (!max_seek.empty()) o.max_seek = need_size("-m", max_seek);
        if (!max_fds.empty())
            o.max_fds = static_cast<int>(need_uint("-f", max_fds, static_cast<std::uint64_t>(std::numeric_limits<int>::max())));
        if (!max_memory.empty()) {
            const auto m = need_size("--max-memory", max_memory);
            if (m < 1024 * 1024) throw UsageError("--max-memory: " + max_memory + " is too small (at least 1M)");
            if (m > std::numeric_limits<std::size_t>::max()) throw UsageError("--max-memory: " + max_memory + " is too large");
            o.max_memory = static_cast<std::size_t>(m);
        }
        if (!jobs.empty()) {
            const auto j = need_uint("-j", jobs, 1024);
            if (j == 0) throw UsageError("-j: at least 1 job");
            o.jobs = static_cast<unsigned>(j);
        }
        if (!overlap.empty()) {
            if (overlap == "first") o.overlap = OverlapPolicy::first;
            else if (overlap == "last") o.overlap = OverlapPolicy::last;
            else throw UsageError("--overlap: '" + overlap + "' is not 'first' or 'last'");
        }

        // -S settings, then --idle-timeout (its alias) wins.
        for (const auto& kv : settings) apply_setting(o, kv, warnings);
        if (opt_idle->count() > 0) o.tcp_timeout = need_int("--idle-timeout", idle_timeout, 0, std::int64_t{1} << 40);

        // Report.
        if (opt_X->count() > 0) {
            if (report.empty()) throw UsageError("-X: empty file name");
            if (report == "/dev/null") {
                o.report = false;
                o.report_path.clear();
            } else {
                o.report_path = report;
            }
        }

        // Names: the -T template (or the default), then every -F letter in order.
        have_template = opt_T->count() > 0;
        std::string tmpl = have_template ? template_text : std::string(kDefaultTemplate);
        const std::string letters = join(fmt);
        for (const char f : letters) {
            if (f == ' ') continue;
            if (f == 'X') o.store_files = false;
            else if (f == 'M') o.scan_md5 = true;
        }
        std::string compact;
        for (const char f : letters)
            if (f != ' ') compact += f;
        auto applied = apply_format_flags(tmpl, compact);
        if (applied.index() == 1) throw UsageError("-F: " + std::get<1>(applied));
        auto parsed = NameTemplate::parse(std::get<0>(applied));
        if (auto* err = std::get_if<std::string>(&parsed)) throw UsageError((have_template ? "-T: " : "-F: ") + *err);
        o.name_template = std::move(std::get<NameTemplate>(parsed));

        // Privileges.
        o.user = !user.empty() ? user : user_alias;
        o.chroot_dir = chroot_dir;
        if (!o.chroot_dir.empty() && o.user.empty()) throw UsageError("-z (--chroot) requires -U (--user)");

        if (o.scan_http && !o.store_files)
            throw UsageError("-e http needs the flow files; it cannot be combined with -FX or -x tcpdemux");
    } catch (const UsageError& e) {
        return usage_error(e.what());
    }

    CliResult r;
    r.action = CliResult::Action::run;
    r.options = std::move(o);
    r.warnings = std::move(warnings);
    return r;
}

}  // namespace tcpflow
