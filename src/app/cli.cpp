// cli.cpp: the command line -> Options with CLI11. A pure function: nothing is printed, nothing
// exits; help, version and usage errors come back as text plus an exit code.
#include "tcpflow/app/cli.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "tcpflow/app/option_table.h"
#include "tcpflow/capture/pcap_source.h"
#include "tcpflow/flow/naming.h"
#include "tcpflow/version.h"

namespace tcpflow {

namespace {

using cli_detail::need_int;
using cli_detail::need_size;
using cli_detail::need_uint;
using cli_detail::UsageError;

std::string version_line() {
    return "tcpflow " + std::string(kVersion) + " (compatible with tcpflow 1.6.1)\n";
}

std::string help_text(int level) {
    if (level < 2)
        return "Usage: tcpflow [OPTIONS] [BPF expression]\n"
               "Writes each direction of each TCP connection to its own file.\n\n" +
               common_help_lines() +
               "\nThe BPF expression is every word that is not an option, anywhere on the line.\n"
               "Run 'tcpflow -hh' for every option and setting, or 'man tcpflow'.\n";
    std::string s =
        "Usage: tcpflow [OPTIONS] [BPF expression]\n"
        "Reassembles TCP connections: each direction of each connection goes to its own file.\n"
        "The BPF expression is every word that is not an option, anywhere on the line.\n\n";
    s += option_help_lines();
    s += "\n-S settings (-S NAME=VALUE):\n";
    s += setting_help_lines();
    s +=
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
           "  netviz    off  draw the one-page picture of the capture: report.pdf beside report.xml\n"
           "                 settings: netviz_format (pdf, svg, png), netviz_histogram_size,\n"
           "                 netviz_histogram_dump\n"
           "  wifiviz   -    not built in this version (-e wifiviz is a usage error)\n"
           "  all            http, md5 and netviz\n";
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

enum class ScannerOp { enable, exclusive, disable };

void apply_scanner(Options& o, ScannerOp op, const std::string& name, std::vector<std::string>& /*warnings*/) {
    const char* flag = op == ScannerOp::enable ? "-e" : op == ScannerOp::exclusive ? "-E" : "-x";
    const bool on = op != ScannerOp::disable;
    if (op == ScannerOp::exclusive) {
        o.scan_http = false;
        o.scan_md5 = false;
        o.scan_netviz = false;
    }
    if (name == "http") {
        o.scan_http = on;
    } else if (name == "md5") {
        o.scan_md5 = on;
    } else if (name == "all") {
        o.scan_http = on;
        o.scan_md5 = on;
        o.scan_netviz = on;
    } else if (name == "tcpdemux") {
        if (op == ScannerOp::disable) o.store_files = false;
        else o.store_files = true;
    } else if (name == "netviz") {
        o.scan_netviz = on;
    } else if (name == "wifiviz") {
        if (on)
            throw UsageError(std::string(flag) + " wifiviz: the 802.11 statistics scanner is not built in this version");
    } else {
        throw UsageError(std::string(flag) + ": unknown scanner '" + name +
                         "' (known: tcpdemux, http, md5, netviz, all; wifiviz is not built)");
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

/// One use of an option on the line, as it was typed.
struct Use {
    const OptionSpec* spec = nullptr;
    std::string typed;                  ///< "-r" or "--read"
    std::optional<std::string> value;   ///< none: a flag, or a value missing at the end of the line
};

const OptionSpec* find_option(std::string_view name) {
    for (const auto& spec : option_table())
        if ((spec.shortname != nullptr && name == spec.shortname) ||
            (spec.longname != nullptr && name.size() > 2 && name.substr(2) == spec.longname && name[1] == '-'))
            return &spec;
    return nullptr;
}

/// The options on the line in order, read as CLI11 reads them (bundles, -b100, --name=value,
/// --name value, the value taken whatever it looks like), up to "--". Unknown options are skipped:
/// CLI11 reports them.
std::vector<Use> uses_on_line(const std::vector<std::string>& args) {
    std::vector<Use> uses;
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--") break;
        if (a.rfind("--", 0) == 0) {
            const auto eq = a.find('=');
            const OptionSpec* spec = find_option(std::string_view(a).substr(0, eq));
            if (spec == nullptr) continue;
            Use u{spec, "--" + std::string(spec->longname), std::nullopt};
            if (spec->arg != nullptr) {
                if (eq != std::string::npos) u.value = a.substr(eq + 1);
                else if (i + 1 < args.size()) u.value = args[++i];
            }
            uses.push_back(std::move(u));
        } else if (a.size() > 1 && a[0] == '-') {
            for (std::size_t k = 1; k < a.size(); ++k) {
                const OptionSpec* spec = find_option(std::string{'-', a[k]});
                if (spec == nullptr) break;
                Use u{spec, spec->shortname, std::nullopt};
                if (spec->arg != nullptr) {
                    if (k + 1 < a.size()) u.value = a.substr(k + 1);
                    else if (i + 1 < args.size()) u.value = args[++i];
                }
                const bool takes_value = spec->arg != nullptr;
                uses.push_back(std::move(u));
                if (takes_value) break;
            }
        }
    }
    return uses;
}

CliResult empty_value(const std::string& typed, const OptionSpec& spec) {
    return usage_error(typed + ": empty value (expected " + spec.arg + ")");
}

/// An empty value is a usage error for every option that takes one (-U "" would silently skip
/// dropping privileges). --user= counts as empty, as with getopt_long.
std::optional<CliResult> check_empty_values(const std::vector<Use>& uses) {
    for (const auto& u : uses)
        if (u.value && u.value->empty()) return empty_value(u.typed, *u.spec);
    return std::nullopt;
}

/// The same, from what CLI11 stored (should the two readings of the line ever differ).
std::optional<CliResult> check_empty_results(const CLI::App& app) {
    for (const auto& spec : option_table()) {
        if (spec.arg == nullptr) continue;
        const std::string name = spec.longname != nullptr ? "--" + std::string(spec.longname) : spec.shortname;
        const auto& results = app.get_option(name)->results();
        if (std::any_of(results.begin(), results.end(), [](const std::string& r) { return r.empty(); }))
            return empty_value(spec.shortname != nullptr ? spec.shortname : name, spec);
    }
    return std::nullopt;
}

/// Registers every row of option_table() with CLI11; the row's target says where the value goes
/// and so how it is parsed (flag, single value: the last one counts, repeatable: all in order).
void register_options(CLI::App& app, CliValues& v) {
    for (const auto& spec : option_table()) {
        std::string names = spec.shortname != nullptr ? spec.shortname : "";
        if (spec.longname != nullptr) names += (names.empty() ? "--" : ",--") + std::string(spec.longname);
        std::visit(
            [&](auto* target) {
                using T = std::remove_pointer_t<decltype(target)>;
                if constexpr (std::is_same_v<T, std::vector<std::string>>)
                    app.add_option(names, *target)
                        ->allow_extra_args(false)
                        ->expected(1)
                        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
                else if constexpr (std::is_same_v<T, std::string>)
                    app.add_option(names, *target);
                else
                    app.add_flag(names, *target);
            },
            spec.target(v));
    }
}

/// Help and version win over everything else on the line, as with getopt's early exit.
std::optional<CliResult> help_or_version(const std::vector<std::string>& args) {
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
    return std::nullopt;
}

/// CLI11's message in our words; a missing value names the option as typed (-r, not --read).
std::string parse_error_reason(const CLI::ParseError& e, const std::vector<Use>& uses) {
    std::string what = e.what();
    if (what.empty()) what = e.get_name();
    constexpr std::string_view kMissing = ": 1 required TEXT missing";
    if (const auto at = what.find(kMissing); at != std::string::npos) {
        // Only the last option on the line can miss its value.
        const auto last = std::find_if(uses.rbegin(), uses.rend(),
                                       [](const Use& u) { return u.spec->arg != nullptr && !u.value; });
        if (last != uses.rend()) return last->typed + ": needs a value";
        return what.substr(0, at) + ": needs a value";
    }
    const std::pair<std::string_view, std::string_view> rewrites[] = {
        {"The following argument was not expected: ", "unknown option "},
        {"The following arguments were not expected: ", "unknown options "},
    };
    for (const auto& [from, to] : rewrites) {
        const auto at = what.find(from);
        if (at != std::string::npos) what.replace(at, from.size(), to);
    }
    return what;
}

/// -d/-v and the scanner switches: their effect depends on their order on the line.
void apply_in_order(const CLI::App& app, CliValues& v, std::vector<std::string>& warnings) {
    Options& o = v.o;
    const CLI::Option* opt_d = app.get_option("--debug");
    const CLI::Option* opt_v = app.get_option("--verbose");
    const CLI::Option* opt_a = app.get_option("--all-scanners");
    const CLI::Option* opt_e = app.get_option("--enable-scanner");
    const CLI::Option* opt_E = app.get_option("--exclusive-scanner");
    const CLI::Option* opt_x = app.get_option("--disable-scanner");
    std::map<const CLI::Option*, std::size_t> seen;
    for (const CLI::Option* opt : app.parse_order()) {
        const std::size_t n = seen[opt]++;
        if (opt == opt_d && n < v.debug.size()) {
            const auto level =
                need_int("-d", v.debug[n], std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
            o.debug = level < 0 ? 1 : static_cast<int>(level);
        } else if (opt == opt_v) {
            o.debug = 10;
        } else if (opt == opt_a) {
            o.scan_http = true;
            o.scan_md5 = true;
            o.scan_netviz = true;
        } else if (opt == opt_e && n < v.enable.size()) {
            apply_scanner(o, ScannerOp::enable, v.enable[n], warnings);
        } else if (opt == opt_E && n < v.exclusive.size()) {
            apply_scanner(o, ScannerOp::exclusive, v.exclusive[n], warnings);
        } else if (opt == opt_x && n < v.disable.size()) {
            apply_scanner(o, ScannerOp::disable, v.disable[n], warnings);
        }
    }
}

/// Input files, the filter, the output folder and the console switches.
void finish_input(CliValues& v, const std::vector<std::string>& words) {
    Options& o = v.o;
    o.read_files = v.read;
    o.resume_files = v.resume;
    if (v.list_files) {
        if (words.empty()) throw UsageError("-l: no input files given after the options");
        o.read_files.insert(o.read_files.end(), words.begin(), words.end());
    } else {
        o.filter = join(words);
    }
    o.live = o.read_files.empty() && o.resume_files.empty();
    o.promiscuous = !v.no_promisc;

    if (v.console || v.console_no_header) o.console.enabled = true;
    if (v.console_no_header) o.console.header = false;
}

void finish_numbers(CliValues& v) {
    Options& o = v.o;
    if (!v.max_bytes.empty()) o.max_bytes = need_size("-b", v.max_bytes);
    if (!v.max_seek.empty()) o.max_seek = need_size("-m", v.max_seek);
    if (!v.max_fds.empty())
        o.max_fds = static_cast<int>(
            need_uint("-f", v.max_fds, static_cast<std::uint64_t>(std::numeric_limits<int>::max())));
    if (!v.max_memory.empty()) {
        const auto m = need_size("--max-memory", v.max_memory);
        if (m < 1024 * 1024) throw UsageError("--max-memory: " + v.max_memory + " is too small (at least 1M)");
        if (m > std::numeric_limits<std::size_t>::max())
            throw UsageError("--max-memory: " + v.max_memory + " is too large");
        o.max_memory = static_cast<std::size_t>(m);
    }
    if (!v.jobs.empty()) {
        o.jobs = static_cast<unsigned>(need_int("-j", v.jobs, 1, 1024));
    }
    if (!v.overlap.empty()) {
        if (v.overlap == "first") o.overlap = OverlapPolicy::first;
        else if (v.overlap == "last") o.overlap = OverlapPolicy::last;
        else throw UsageError("--overlap: '" + v.overlap + "' is not 'first' or 'last'");
    }
    if (!v.udp_framing.empty()) {
        if (v.udp_framing == "length") o.udp_length_framing = true;
        else if (v.udp_framing != "none") throw UsageError("--udp-framing: '" + v.udp_framing + "' is not 'none' or 'length'");
        o.udp = true;   // framing is about UDP flows: it implies --udp
    }
}

void finish_report(CliValues& v, bool have_report) {
    if (!have_report) return;
    if (v.report == "/dev/null") {
        v.o.report = false;
        v.o.report_path.clear();
    } else {
        v.o.report_path = v.report;
    }
}

/// The -T template (or the default), then every -F letter in order, parsed once.
void finish_names(CliValues& v, bool have_template) {
    const std::string tmpl = have_template ? v.template_text : std::string(kDefaultTemplate);
    std::string letters;
    for (const char f : join(v.format)) {
        if (f == ' ') continue;
        if (f == 'X') v.o.store_files = false;
        else if (f == 'M') v.o.scan_md5 = true;
        letters += f;
    }
    auto applied = apply_format_flags(tmpl, letters);
    if (applied.index() == 1) throw UsageError("-F: " + std::get<1>(applied));
    auto parsed = NameTemplate::parse(std::get<0>(applied));
    if (auto* err = std::get_if<std::string>(&parsed)) throw UsageError((have_template ? "-T: " : "-F: ") + *err);
    v.o.name_template = std::move(std::get<NameTemplate>(parsed));
}

/// --shard I/N: two numbers, 0 <= I < N <= kMaxShards; only with capture files.
void finish_shard(CliValues& v, bool given) {
    constexpr std::uint64_t kMaxShards = 1'000'000;
    if (!given) return;
    const std::string& s = v.shard;
    const auto slash = s.find('/');
    const auto digits = [](std::string_view d) {
        return !d.empty() && d.size() <= 7 && d.find_first_not_of("0123456789") == std::string_view::npos;
    };
    const std::string_view sv = s;
    if (slash == std::string::npos || !digits(sv.substr(0, slash)) || !digits(sv.substr(slash + 1)))
        throw UsageError("--shard: '" + s + "' is not I/N (this process's shard I of N, numbered from 0: 0/4 to 3/4)");
    const auto index = std::stoull(s.substr(0, slash));
    const auto count = std::stoull(s.substr(slash + 1));
    if (count == 0 || count > kMaxShards)
        throw UsageError("--shard: '" + s + "': N must be 1 to " + std::to_string(kMaxShards));
    if (index >= count)
        throw UsageError("--shard: '" + s + "': I must be below N (the shards of " + std::to_string(count) +
                         " are 0/" + std::to_string(count) + " to " + std::to_string(count - 1) + "/" +
                         std::to_string(count) + ")");
    if (v.o.live)
        throw UsageError("--shard splits the connections of capture files (-r, -R or -l); a live capture cannot be "
                         "sharded: capture to a file first, or give each process its own interface or BPF filter");
    v.o.shard_index = static_cast<unsigned>(index);
    v.o.shard_count = static_cast<unsigned>(count);
}

/// --hole-timeout: non-negative seconds (fractions allowed), at most a day.
double hole_timeout_seconds(const std::string& value) {
    char* end = nullptr;
    const double d = std::strtod(value.c_str(), &end);
    if (value.empty() || end == nullptr || *end != '\0' || !(d == d) || d < 0)
        throw UsageError("--hole-timeout: '" + value + "' is not a non-negative number of seconds");
    if (d > 86400) throw UsageError("--hole-timeout: '" + value + "' is too large (at most 86400 seconds)");
    return d;
}

/// A bare --flow-index or --conversation (their values are optional) is written --flow-index=<kFlowIndexDefault>, so
/// that it never takes the next word (a BPF word) as its file.
std::vector<std::string> mark_bare_flow_index(const std::vector<std::string>& in) {
    std::vector<std::string> out = in;
    for (std::size_t i = 1; i < out.size(); ++i) {
        if (out[i] == "--") break;
        if (out[i] == "--flow-index" || out[i] == "--conversation") out[i] += "=" + std::string(kFlowIndexDefault);
    }
    return out;
}

void finish_conversation(CliValues& v, bool have) {
    Options& o = v.o;
    if (!have) return;
    o.conversation = true;
    if (v.conversation == "only") o.conversation_only = true;
    else if (v.conversation != kFlowIndexDefault)
        throw UsageError("--conversation: '" + v.conversation + "' is not 'only' (or nothing)");
    if (o.console.enabled || !o.store_files || o.pcap_per_flow)
        throw UsageError("--conversation writes files; it cannot be combined with -c, -C, -FX or -K");
}

void finish_flow_index(CliValues& v, bool have_index) {
    Options& o = v.o;
    if (!have_index) return;
    o.flow_index = true;
    if (v.flow_index != kFlowIndexDefault) o.flow_index_path = v.flow_index;
    if (o.flow_index_path == "-" && o.console.enabled)
        throw UsageError("--flow-index=-: standard output is taken by the console output (-c/-C); name a file");
}

/// Everything CLI11 left as raw text, checked and converted, in a fixed order (so the first
/// problem reported does not depend on the order of the options).
void finish(const CLI::App& app, CliValues& v, const std::vector<std::string>& words,
            std::vector<std::string>& warnings) {
    apply_in_order(app, v, warnings);
    if (!v.deprecated_a.empty())
        warnings.emplace_back("-A" + v.deprecated_a.front() + " has been deprecated. Just use -a");
    finish_input(v, words);
    finish_numbers(v);
    finish_shard(v, app.count("--shard") > 0);
    // -S settings, then --idle-timeout (its alias) wins.
    for (const auto& kv : v.settings) cli_detail::apply_setting(v.o, kv, warnings);
    if (app.count("--idle-timeout") > 0)
        v.o.tcp_timeout = need_int("--idle-timeout", v.idle_timeout, 0, std::int64_t{1} << 40);
    if (app.count("--hole-timeout") > 0) v.o.hole_timeout = hole_timeout_seconds(v.hole_timeout);
    finish_report(v, app.count("--report") > 0);
    finish_names(v, app.count("--template") > 0);
    finish_flow_index(v, app.count("--flow-index") > 0);
    finish_conversation(v, app.count("--conversation") > 0);

    Options& o = v.o;
    o.user = !v.user.empty() ? v.user : v.user_alias;
    o.chroot_dir = v.chroot_dir;
    if (!o.chroot_dir.empty() && o.user.empty()) throw UsageError("-z (--chroot) requires -U (--user)");
    if (o.scan_http && !o.store_files)
        throw UsageError("-e http needs the flow files; it cannot be combined with -FX or -x tcpdemux");
    if (o.scan_http && o.pcap_per_flow)
        throw UsageError("-e http needs the flow files; it cannot be combined with -K (which writes packets)");
    if (o.index_files && o.pcap_per_flow)
        throw UsageError("-I indexes the flow files; it cannot be combined with -K (which writes packets)");
    // Last: compiling the filter is the costliest check.
    if (const std::string why = PcapSource::check_filter(o.filter); !why.empty())
        throw UsageError("bad filter expression '" + o.filter + "': " + why);
}

}  // namespace

std::vector<std::string> all_long_options() {
    std::vector<std::string> names;
    for (const auto& o : option_table())
        if (o.longname != nullptr) names.emplace_back(o.longname);
    return names;
}

CliResult parse_command_line(const std::vector<std::string>& original_args) {
    if (auto early = help_or_version(original_args)) return std::move(*early);
    const std::vector<std::string> args = mark_bare_flow_index(original_args);

    CliValues v;
    std::vector<std::string> words, warnings;
    CLI::App app{"tcpflow", "tcpflow"};
    app.set_help_flag();
    app.allow_extras(false);
    app.positionals_at_end(false);
    // getopt semantics: a repeated single-valued option keeps its last value.
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
    register_options(app, v);
    app.add_option("expression", words, "BPF expression words")->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);

    std::vector<const char*> argv;
    argv.push_back(args.empty() ? "tcpflow" : args[0].c_str());
    for (std::size_t i = 1; i < args.size(); ++i) argv.push_back(args[i].c_str());
    const std::vector<Use> uses = uses_on_line(args);
    if (auto empty = check_empty_values(uses)) return std::move(*empty);
    try {
        app.parse(static_cast<int>(argv.size()), argv.data());
    } catch (const CLI::ParseError& e) {
        return usage_error(parse_error_reason(e, uses));
    }
    if (auto empty = check_empty_results(app)) return std::move(*empty);

    if (v.help > 0) return exit_with(help_text(v.help));
    if (v.version > 0) return exit_with(version_line());
    if (v.scanner_help > 0) return exit_with(scanner_help());

    try {
        finish(app, v, words, warnings);
    } catch (const UsageError& e) {
        return usage_error(e.what());
    }
    CliResult r;
    r.action = CliResult::Action::run;
    r.options = std::move(v.o);
    r.warnings = std::move(warnings);
    return r;
}

}  // namespace tcpflow
