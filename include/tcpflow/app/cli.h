// cli.h: the command line -> Options, as a pure function (CLI11 inside, nothing run; the BPF
// filter is compiled to check it, so libpcap may look up the host names it contains).
#pragma once

#include <string>
#include <vector>

#include "tcpflow/app/options.h"

namespace tcpflow {

struct CliResult {
    enum class Action { run, exit } action = Action::run;
    Options options;          ///< valid when action == run
    int exit_code = 0;        ///< when action == exit: 0 (help, version) or 2 (usage error)
    std::string out;          ///< text for stdout (help, version)
    std::string err;          ///< text for stderr (usage error: one-line reason plus a hint)
    /// When action == run: notes for stderr, one line each without the trailing newline
    /// (deprecated or ignored options, scanners not built in). Print them prefixed "tcpflow: ".
    std::vector<std::string> warnings;
};

/// Parses argv (args[0] is the program name). Short flags keep tcpflow 1.6.1's letters and
/// meanings, each also has a long name; the BPF expression is the words left over, anywhere.
/// The options are registered from option_table(); -V prints the version from project(VERSION).
/// Usage errors (exit 2): an unknown option, a missing or empty value (for every option that
/// takes one), a bad value, a bad template, a filter libpcap cannot compile.
[[nodiscard]] CliResult parse_command_line(const std::vector<std::string>& args);

/// Every long option name the parser knows (without the leading "--"), from option_table()
/// (tcpflow/app/option_table.h, which also has the -S setting_table()).
[[nodiscard]] std::vector<std::string> all_long_options();

}  // namespace tcpflow
