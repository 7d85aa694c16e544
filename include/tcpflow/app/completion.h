// completion.h: the bash and zsh completion scripts, made from the option table (option_table.h)
// at build time (src/gen_completion.cpp), so they cannot fall behind the options. No CLI11 here.
#pragma once

#include <string>

#include "tcpflow/app/option_table.h"

namespace tcpflow {

/// What the value of an option is, for completion.
enum class ValueKind {
    none,        ///< a flag: no value
    text,        ///< a value with nothing to offer (a number, a template, a name)
    capture,     ///< -r, -R: capture files (and folders)
    file,        ///< any file (-X, -w)
    folder,      ///< -o, -z
    interface,   ///< -i: /sys/class/net, and "any"
    scanner,     ///< -e, -E, -x: scanner_names()
    setting,     ///< -S: setting_table() names, then YES/NO for the YES|NO ones
    user,        ///< -U
    words,       ///< one of the words of the value name "first|last"
};

[[nodiscard]] ValueKind value_kind(const OptionSpec& spec);

/// The bash script (for share/bash-completion/completions/tcpflow): defines _tcpflow and
/// `complete -F _tcpflow tcpflow`. Self-contained: it needs no bash-completion helper.
[[nodiscard]] std::string bash_completion_script();
/// The zsh script (for a folder of $fpath, as _tcpflow): `#compdef tcpflow` and _arguments.
[[nodiscard]] std::string zsh_completion_script();

}  // namespace tcpflow
