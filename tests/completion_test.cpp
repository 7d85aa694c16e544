// completion_test: the generated bash completion, sourced in bash and asked for completions the way
// bash asks (COMP_WORDS, COMP_CWORD, then _tcpflow); the zsh one parsed by zsh. Both generated
// files in the build folder are what the option table makes now.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/run.h"
#include "tcpflow/app/cli.h"
#include "tcpflow/app/completion.h"
#include "tcpflow/app/option_table.h"

namespace {

namespace fs = std::filesystem;
using tcpflow::test::run_program;
using tcpflow::test::TempDir;

const std::string kBashScript = std::string(TCPFLOW_BUILD_DIR) + "/completion/tcpflow";
const std::string kZshScript = std::string(TCPFLOW_BUILD_DIR) + "/completion/_tcpflow";

std::string quote(const std::string& s) {
    std::string q = "'";
    for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

/// The completions bash offers for the command line `words` (the last one is being completed),
/// run in `cwd`.
std::vector<std::string> complete(const std::vector<std::string>& words, const std::string& cwd = "/") {
    std::string line;
    for (const auto& w : words) line += " " + quote(w);
    const std::string script = "cd " + quote(cwd) + " || exit 3; source " + quote(kBashScript) +
                               " || exit 4; COMP_WORDS=(tcpflow" + line +
                               "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _tcpflow; "
                               "printf '%s\\n' \"${COMPREPLY[@]}\"";
    const auto r = run_program({"/bin/bash", "--norc", "--noprofile", "-c", script});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    std::vector<std::string> out;
    std::istringstream in(r.out);
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) out.push_back(l);
    std::sort(out.begin(), out.end());
    return out;
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool has(const std::vector<std::string>& v, const std::string& s) {
    return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

TEST(Completion, GeneratedFilesAreTheTableOfNow) {
    ASSERT_TRUE(fs::exists(kBashScript)) << kBashScript << " was not generated";
    EXPECT_EQ(read_text(kBashScript), tcpflow::bash_completion_script());
    EXPECT_EQ(read_text(kZshScript), tcpflow::zsh_completion_script());
}

TEST(Completion, LongOptionPrefix) {
    EXPECT_EQ(complete({"--ou"}), (std::vector<std::string>{"--output-dir"}));
    EXPECT_EQ(complete({"--no-p"}), (std::vector<std::string>{"--no-progress", "--no-promisc", "--no-purge"}));
}

TEST(Completion, EveryOptionLongAndShort) {
    const auto all = complete({"-"});
    std::set<std::string> expected;
    for (const auto& o : tcpflow::option_table()) {
        if (o.shortname != nullptr) expected.insert(o.shortname);
        if (o.longname != nullptr) expected.insert("--" + std::string(o.longname));
    }
    EXPECT_EQ(std::set<std::string>(all.begin(), all.end()), expected);
}

TEST(Completion, ScannerNames) {
    std::vector<std::string> names;
    for (const char* n : tcpflow::scanner_names()) names.emplace_back(n);
    std::sort(names.begin(), names.end());
    for (const char* opt : {"-e", "-x", "-E", "--enable-scanner", "--disable-scanner"})
        EXPECT_EQ(complete({opt, ""}), names) << opt;
    EXPECT_EQ(complete({"-e", "m"}), (std::vector<std::string>{"md5"}));
    // --name=value: bash gives "--enable-scanner" "=" "h".
    EXPECT_EQ(complete({"--enable-scanner", "=", "h"}), (std::vector<std::string>{"http"}));
}

TEST(Completion, ScannerNamesAreTheOnesTheCommandLineKnows) {
    // Each name is accepted, and the message for an unknown one lists exactly these.
    std::string known;
    for (const char* n : tcpflow::scanner_names()) {
        const auto r = tcpflow::parse_command_line({"tcpflow", "-e", n});
        EXPECT_EQ(r.action, tcpflow::CliResult::Action::run) << n << ": " << r.err;
        known += (known.empty() ? "" : ", ") + std::string(n);
    }
    const auto bad = tcpflow::parse_command_line({"tcpflow", "-e", "nosuch"});
    EXPECT_NE(bad.err.find("(known: " + known + ";"), std::string::npos) << bad.err;
}

TEST(Completion, Interfaces) {
    const auto ifs = complete({"-i", ""});
    EXPECT_TRUE(has(ifs, "lo"));
    EXPECT_TRUE(has(ifs, "any"));
    for (const auto& e : fs::directory_iterator("/sys/class/net"))
        EXPECT_TRUE(has(ifs, e.path().filename().string())) << e.path();
    EXPECT_EQ(complete({"--interface", "l"}), (std::vector<std::string>{"lo"}));
}

TEST(Completion, Settings) {
    EXPECT_EQ(complete({"-S", "tcp_t"}), (std::vector<std::string>{"tcp_timeout="}));
    const auto names = complete({"-S", ""});
    for (const auto& st : tcpflow::setting_table())
        EXPECT_EQ(has(names, std::string(st.name) + "="), st.help != nullptr) << st.name;
    // -S check_fcs=<TAB>: bash gives "-S" "check_fcs" "=".
    EXPECT_EQ(complete({"-S", "check_fcs", "="}), (std::vector<std::string>{"NO", "YES"}));
    EXPECT_EQ(complete({"-S", "check_fcs", "=", "Y"}), (std::vector<std::string>{"YES"}));
    EXPECT_TRUE(complete({"-S", "tdelta", "="}).empty());
}

TEST(Completion, CaptureFilesFoldersAndWords) {
    TempDir dir;
    for (const char* f : {"a.pcap", "b.pcapng.gz", "c.cap", "notes.txt"}) std::ofstream(dir / f) << "x";
    fs::create_directory(dir / "sub");
    EXPECT_EQ(complete({"-r", ""}, dir.path()), (std::vector<std::string>{"a.pcap", "b.pcapng.gz", "c.cap", "sub"}));
    EXPECT_EQ(complete({"--read", "=", ""}, dir.path()),
              (std::vector<std::string>{"a.pcap", "b.pcapng.gz", "c.cap", "sub"}));
    // Nothing that looks like a capture: any file.
    EXPECT_EQ(complete({"-R", "n"}, dir.path()), (std::vector<std::string>{"notes.txt"}));
    EXPECT_EQ(complete({"-o", ""}, dir.path()), (std::vector<std::string>{"sub"}));
    EXPECT_EQ(complete({"-w", "no"}, dir.path()), (std::vector<std::string>{"notes.txt"}));
    // -l: the words after the options are capture files.
    EXPECT_EQ(complete({"-l", "a"}, dir.path()), (std::vector<std::string>{"a.pcap"}));
    EXPECT_TRUE(complete({"port", "a"}, dir.path()).empty()) << "a BPF word: nothing to offer";
    EXPECT_EQ(complete({"--overlap", ""}), (std::vector<std::string>{"first", "last"}));
    EXPECT_TRUE(complete({"-j", ""}).empty());
    EXPECT_EQ(complete({"-U", "roo"}), (std::vector<std::string>{"root"}));
}

TEST(Completion, EveryOptionValueHasAKind) {
    for (const auto& o : tcpflow::option_table())
        EXPECT_EQ(tcpflow::value_kind(o) == tcpflow::ValueKind::none, o.arg == nullptr)
            << (o.longname != nullptr ? o.longname : o.shortname);
}

TEST(Completion, ZshScriptParses) {
    if (!fs::exists("/usr/bin/zsh") && !fs::exists("/bin/zsh")) GTEST_SKIP() << "zsh is not installed (tools/deps.sh installs it)";
    const std::string zsh = fs::exists("/usr/bin/zsh") ? "/usr/bin/zsh" : "/bin/zsh";
    const auto r = run_program({zsh, "-n", kZshScript});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    // Run it with _arguments replaced by a printer: every spec is one word, as _arguments sees it.
    const auto specs = run_program({zsh, "-f", "-c", "_arguments() { print -rl -- \"$@\" }; source " + kZshScript});
    EXPECT_EQ(specs.exit_code, 0) << specs.err;
    EXPECT_EQ(specs.err, "");
    EXPECT_NE(specs.out.find("\n*-r+[read packets from a pcap/pcapng file ('-' = stdin); repeatable]:FILE:_files -g \"*.(pcap"),
              std::string::npos)
        << specs.out;
    EXPECT_NE(specs.out.find("\n*--overlap=[overlapping data: keep the first copy (default) or the last (1.6.1)]:first|last:(first last)\n"),
              std::string::npos)
        << specs.out;
    const std::string text = read_text(kZshScript);
    EXPECT_EQ(text.rfind("#compdef tcpflow\n", 0), 0u);
    for (const auto& o : tcpflow::option_table()) {
        if (o.longname != nullptr) {
            EXPECT_NE(text.find("--" + std::string(o.longname)), std::string::npos) << o.longname;
        }
    }
}
