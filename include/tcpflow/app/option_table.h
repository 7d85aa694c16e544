// option_table.h: the command line as data. One table of options (letter, long name, value name,
// help line, where the value goes) drives the CLI11 registration, --help/-hh and
// all_long_options(); one table of -S settings (name, kind of value, help line, setter) drives
// the -S parser, the -S lines of -hh and the "unknown setting" message. The man-page test reads
// both. No CLI11 types here.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tcpflow/app/options.h"

namespace tcpflow {

/// What the command line said, before the checks: Options fields CLI11 fills directly, and the
/// raw values cli.cpp converts and checks once everything is parsed.
struct CliValues {
    Options o;
    int help = 0, version = 0, scanner_help = 0, verbose = 0, all_scanners = 0;
    bool console = false, console_no_header = false, list_files = false, no_promisc = false;
    std::vector<std::string> read, resume, format, enable, exclusive, disable, settings, debug, deprecated_a;
    std::string template_text, max_bytes, max_seek, max_fds, report, overlap, max_memory, idle_timeout, hole_timeout;
    std::string udp_framing;
    std::string jobs, shard, user, user_alias, chroot_dir;
    std::string flow_index;   ///< --flow-index=FILE; kFlowIndexDefault for a bare --flow-index
    std::string conversation; ///< --conversation=only; kFlowIndexDefault for a bare --conversation
};

/// What a bare --flow-index or --conversation (no =VALUE) stands for on the parsed line.
inline constexpr std::string_view kFlowIndexDefault = "\x01";

/// Where an option's value goes, which also says how it is parsed: a flag sets a bool or counts
/// into an int; a single-valued option keeps its last value in a string; a repeatable option
/// collects all its values, in order, in a vector.
using OptionTarget = std::variant<bool*, int*, std::string*, std::vector<std::string>*>;

struct OptionSpec {
    const char* shortname;   ///< "-a", or nullptr for a long-only option
    const char* longname;    ///< "all-scanners" (without "--"), or nullptr for a short-only one
    const char* arg;         ///< the value's name in --help ("N", "FILE"); nullptr for a flag
    const char* help;        ///< the --help line
    OptionTarget (*target)(CliValues&);
};

/// A setting's setter: checks `value`, stores it; `what` ("-S NAME") names it in errors.
using SettingSetter = void (*)(Options&, const std::string& what, const std::string& value,
                               std::vector<std::string>& warnings);

struct SettingSpec {
    const char* name;        ///< "tcp_timeout"
    const char* value;       ///< the kind of value shown in -hh: "SECONDS", "YES|NO", ...
    const char* help;        ///< the -hh line; nullptr: accepted with a warning, not listed
    SettingSetter set;
};

/// A row --help shows (the others only with -hh), with a line short enough for 80 columns.
struct CommonOption {
    const char* longname;    ///< the row's long name
    const char* brief;       ///< its --help line
};

/// Every option, in -hh order.
[[nodiscard]] std::span<const OptionSpec> option_table();
/// Every -S setting, in -hh order.
[[nodiscard]] std::span<const SettingSpec> setting_table();

/// The names -e, -E and -x accept, in the order of cli.cpp's "known:" list.
[[nodiscard]] std::span<const char* const> scanner_names();
/// The rows --help shows, in --help order.
[[nodiscard]] std::span<const CommonOption> common_options();
/// The row with this long name (without "--"), or null.
[[nodiscard]] const OptionSpec* option_by_long_name(std::string_view name);

/// The option lines of --help: common_options() with their brief lines.
[[nodiscard]] std::string common_help_lines();
/// The option lines of -hh, every row of option_table().
[[nodiscard]] std::string option_help_lines();
/// The setting lines of -hh, from setting_table() (the listed ones).
[[nodiscard]] std::string setting_help_lines();

namespace cli_detail {

/// A usage error found after CLI11 is done (the message, without "tcpflow: ").
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Applies one -S NAME=VALUE through setting_table(). Throws UsageError.
void apply_setting(Options& o, const std::string& name_value, std::vector<std::string>& warnings);

// Value checks; each throws UsageError naming `what` ("-b", "-S tcp_timeout", ...).
/// Digits with an optional K, M, G or T suffix (powers of 1024; "KB", "KiB" too).
std::uint64_t need_size(const std::string& what, const std::string& value);
std::uint64_t need_uint(const std::string& what, const std::string& value, std::uint64_t max);
std::int64_t need_int(const std::string& what, const std::string& value, std::int64_t min, std::int64_t max);
/// YES/NO, Y/N, TRUE/FALSE, 1/0, ON/OFF, in any case.
bool need_bool(const std::string& what, const std::string& value);

}  // namespace cli_detail

}  // namespace tcpflow
