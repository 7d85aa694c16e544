// completion.cpp: bash and zsh completion scripts generated from the option table.
#include "tcpflow/app/completion.h"

#include <string_view>
#include <vector>

namespace tcpflow {

namespace {

/// Capture file names the completion offers first for -r and -R (any file when none matches).
constexpr std::string_view kCaptureGlob = "*.@(pcap|pcapng|cap|dmp|pcap[0-9]*)?(.@(gz|bz2|xz|zst|lz4))";
constexpr std::string_view kCaptureZshGlob = "*.(pcap|pcapng|cap|dmp|pcap[0-9]*)(|.gz|.bz2|.xz|.zst|.lz4)";

bool is(const char* s, std::string_view v) {
    return s != nullptr && v == s;
}

/// "-r|--read" for a bash case pattern.
std::string case_names(const OptionSpec& o) {
    std::string s;
    if (o.shortname != nullptr) s += o.shortname;
    if (o.longname != nullptr) s += (s.empty() ? "--" : "|--") + std::string(o.longname);
    return s;
}

std::string join_words(const std::vector<std::string>& words, std::string_view sep = " ") {
    std::string s;
    for (const auto& w : words) s += (s.empty() ? "" : std::string(sep)) + w;
    return s;
}

std::vector<std::string> scanner_words() {
    std::vector<std::string> w;
    for (const char* n : scanner_names()) w.emplace_back(n);
    return w;
}

/// The words of "first|last".
std::string value_words(const OptionSpec& o) {
    std::string s = o.arg;
    for (auto& c : s)
        if (c == '|') c = ' ';
    return s;
}

/// Single quotes for the shell: 'it'\''s'.
std::string shell_quote(std::string_view s) {
    std::string q = "'";
    for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::string bash_value_action(ValueKind kind, const OptionSpec& o) {
    switch (kind) {
        case ValueKind::capture: return "_tcpflow_captures";
        case ValueKind::file: return "_tcpflow_files -f";
        case ValueKind::folder: return "_tcpflow_files -d";
        case ValueKind::interface: return "COMPREPLY=($(compgen -W \"$(_tcpflow_interfaces)\" -- \"$cur\"))";
        case ValueKind::scanner:
            return "COMPREPLY=($(compgen -W " + shell_quote(join_words(scanner_words())) + " -- \"$cur\"))";
        case ValueKind::setting: return "_tcpflow_setting_names";
        case ValueKind::user: return "COMPREPLY=($(compgen -u -- \"$cur\"))";
        case ValueKind::words: return "COMPREPLY=($(compgen -W " + shell_quote(value_words(o)) + " -- \"$cur\"))";
        case ValueKind::none:
        case ValueKind::text: break;
    }
    return "";
}

std::string bash_option_words() {
    std::vector<std::string> words;
    for (const auto& o : option_table())
        if (o.longname != nullptr) words.push_back("--" + std::string(o.longname));
    for (const auto& o : option_table())
        if (o.shortname != nullptr) words.emplace_back(o.shortname);
    return join_words(words);
}

/// The case over the option before the word being completed.
std::string bash_value_cases() {
    std::string s;
    std::vector<std::string> plain;
    for (const auto& o : option_table()) {
        const ValueKind kind = value_kind(o);
        if (kind == ValueKind::none) continue;
        if (kind == ValueKind::text) {
            plain.push_back(case_names(o));
            continue;
        }
        s += "        " + case_names(o) + ")\n            " + bash_value_action(kind, o) + "\n            return ;;\n";
    }
    if (!plain.empty()) s += "        " + join_words(plain, "|") + ")\n            return ;;   # a value with nothing to offer\n";
    return s;
}

std::string bash_settings() {
    std::vector<std::string> names, yes_no;
    for (const auto& st : setting_table()) {
        if (st.help == nullptr) continue;
        names.push_back(std::string(st.name) + "=");
        if (std::string_view(st.value) == "YES|NO") yes_no.emplace_back(st.name);
    }
    return "_tcpflow_setting_names()\n{\n"
           "    compopt -o nospace 2>/dev/null\n"
           "    COMPREPLY=($(compgen -W " + shell_quote(join_words(names)) + " -- \"$cur\"))\n}\n\n"
           "_tcpflow_setting_value()\n{\n"
           "    case $1 in\n"
           "        " + (yes_no.empty() ? std::string("-") : join_words(yes_no, "|")) + ")\n"
           "            COMPREPLY=($(compgen -W 'YES NO' -- \"$cur\")) ;;\n"
           "    esac\n}\n\n";
}

constexpr std::string_view kBashHelpers = R"(_tcpflow_interfaces()
{
    local d
    for d in /sys/class/net/*; do
        [[ -e $d ]] && printf '%s\n' "${d##*/}"
    done
    printf '%s\n' any
}

# _tcpflow_files -f|-d: files (or folders) for $cur, shown as file names.
_tcpflow_files()
{
    local IFS=$'\n'
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen "$1" -- "$cur"))
}

# Capture files and folders; any file when no name looks like a capture.
_tcpflow_captures()
{
    local IFS=$'\n' restore
    restore=$(shopt -p extglob)
    shopt -s extglob
    compopt -o filenames 2>/dev/null
    COMPREPLY=($(compgen -f -X '!@CAPTURE@' -- "$cur") $(compgen -d -- "$cur"))
    ((${#COMPREPLY[@]})) || COMPREPLY=($(compgen -f -- "$cur"))
    eval "$restore"
}

)";

constexpr std::string_view kBashMain = R"(_tcpflow()
{
    local cur prev cword=$COMP_CWORD i key=
    cur=${COMP_WORDS[cword]}
    prev=${COMP_WORDS[cword-1]}
    COMPREPLY=()
    # bash splits --name=value and -S name=value at '=' (COMP_WORDBREAKS).
    if [[ $cur == = ]]; then
        key=${COMP_WORDS[cword-1]} i=$((cword - 2)) cur=
    elif [[ $prev == = ]] && ((cword > 1)); then
        key=${COMP_WORDS[cword-2]} i=$((cword - 3))
    fi
    if [[ -n $key ]]; then
        if ((i > 0)) && [[ ${COMP_WORDS[i]} == -S || ${COMP_WORDS[i]} == --set ]]; then
            _tcpflow_setting_value "$key"
            return
        fi
        prev=$key
    fi

    case $prev in
@CASES@    esac

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W '@OPTIONS@' -- "$cur"))
        return
    fi
    # With -l the words after the options are capture files; otherwise they are a BPF filter.
    for ((i = 1; i < cword; i++)); do
        if [[ ${COMP_WORDS[i]} == -l || ${COMP_WORDS[i]} == --files ]]; then
            _tcpflow_captures
            return
        fi
    done
}
complete -F _tcpflow tcpflow
)";

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
    for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

/// Text for a zsh _arguments description: [ ] \ escaped, ' closed and reopened.
std::string zsh_description(std::string_view help) {
    std::string s;
    for (const char c : help) {
        if (c == '[' || c == ']' || c == '\\') s += '\\';
        if (c == '\'') s += "'\\''";
        else s += c;
    }
    return s;
}

std::string zsh_action(ValueKind kind, const OptionSpec& o) {
    const std::string what = o.arg != nullptr ? zsh_description(o.arg) : "";
    switch (kind) {
        case ValueKind::capture: return ":" + what + ":_files -g \"" + std::string(kCaptureZshGlob) + "\"";
        case ValueKind::file: return ":" + what + ":_files";
        case ValueKind::folder: return ":" + what + ":_files -/";
        case ValueKind::interface: return ":" + what + ":_tcpflow_interfaces";
        case ValueKind::scanner: return ":" + what + ":(" + join_words(scanner_words()) + ")";
        case ValueKind::setting: return ":" + what + ":_tcpflow_settings";
        case ValueKind::user: return ":" + what + ":_users";
        case ValueKind::words: return ":" + what + ":(" + value_words(o) + ")";
        case ValueKind::text: return ":" + what + ": ";
        case ValueKind::none: break;
    }
    return "";
}

std::string zsh_spec(const OptionSpec& o) {
    const ValueKind kind = value_kind(o);
    const bool value = kind != ValueKind::none;
    std::vector<std::string> names;
    if (o.shortname != nullptr) names.push_back(std::string(o.shortname) + (value ? "+" : ""));
    if (o.longname != nullptr) names.push_back("--" + std::string(o.longname) + (value ? "=" : ""));
    const std::string spec_names = names.size() == 1 ? names[0] : "{" + join_words(names, ",") + "}";
    return "    '*'" + spec_names + "'[" + zsh_description(o.help) + "]" + zsh_action(kind, o) + "'";
}

}  // namespace

ValueKind value_kind(const OptionSpec& o) {
    if (o.arg == nullptr) return ValueKind::none;
    if (is(o.longname, "read") || is(o.longname, "resume")) return ValueKind::capture;
    if (is(o.longname, "enable-scanner") || is(o.longname, "exclusive-scanner") || is(o.longname, "disable-scanner"))
        return ValueKind::scanner;
    if (is(o.longname, "set")) return ValueKind::setting;
    const std::string_view arg = o.arg;
    if (arg == "FILE") return ValueKind::file;
    if (arg == "DIR") return ValueKind::folder;
    if (arg == "IF") return ValueKind::interface;
    if (arg == "USER") return ValueKind::user;
    if (arg.find('|') != std::string_view::npos) return ValueKind::words;
    return ValueKind::text;
}

std::string bash_completion_script() {
    std::string s =
        "# bash completion for tcpflow                                -*- shell-script -*-\n"
        "# Generated from tcpflow's option table (src/app/option_table.cpp) when tcpflow is built;\n"
        "# do not edit.\n\n";
    s += replace_all(std::string(kBashHelpers), "@CAPTURE@", kCaptureGlob);
    s += bash_settings();
    std::string main = replace_all(std::string(kBashMain), "@CASES@", bash_value_cases());
    s += replace_all(main, "@OPTIONS@", bash_option_words());
    return s;
}

std::string zsh_completion_script() {
    std::vector<std::string> settings;
    for (const auto& st : setting_table())
        if (st.help != nullptr) settings.push_back(std::string(st.name) + "=");
    std::string s =
        "#compdef tcpflow\n"
        "# zsh completion for tcpflow. Generated from tcpflow's option table\n"
        "# (src/app/option_table.cpp) when tcpflow is built; do not edit.\n\n"
        "_tcpflow_interfaces() {\n"
        "  local -a ifs\n"
        "  ifs=(/sys/class/net/*(N:t) any)\n"
        "  compadd -a ifs\n"
        "}\n\n"
        "_tcpflow_settings() {\n"
        "  compadd -S '' -- " + join_words(settings) + "\n"
        "}\n\n"
        "_arguments -s -S \\\n";
    for (const auto& o : option_table()) s += zsh_spec(o) + " \\\n";
    s += "    '*::BPF expression: '\n";
    return s;
}

}  // namespace tcpflow
