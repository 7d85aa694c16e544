// manpage_test: man/tcpflow.1 documents every row of the option table (its letter and long name
// in one entry) and every -S setting, and names the project's version.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "tcpflow/app/cli.h"
#include "tcpflow/app/option_table.h"

namespace {

/// The man page with roff's escaped hyphens ("\-") and font switches turned into plain text.
std::string manpage_text() {
    std::ifstream in(std::string(TCPFLOW_SOURCE_DIR) + "/man/tcpflow.1");
    std::stringstream ss;
    ss << in.rdbuf();
    std::string raw = ss.str();
    std::string out;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '\\' && i + 1 < raw.size()) {
            if (raw[i + 1] == '-') {
                out += '-';
                ++i;
                continue;
            }
            if (raw[i + 1] == 'f' && i + 2 < raw.size()) {  // \fB \fI \fR \fP
                i += 2;
                continue;
            }
        }
        out += raw[i];
    }
    return out;
}

/// The tag lines of the man page: the line after each ".TP" (an entry's heading, e.g.
/// "-r file, --read file").
std::vector<std::string> entry_tags(const std::string& text) {
    std::vector<std::string> lines, tags;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    for (std::size_t i = 0; i + 1 < lines.size(); ++i)
        if (lines[i].rfind(".TP", 0) == 0) tags.push_back(lines[i + 1]);
    return tags;
}

/// True when `word` is in `line` at `at` as a whole token (not the start of a longer name).
bool token_at(const std::string& line, std::size_t at, std::string_view word) {
    if (line.compare(at, word.size(), word) != 0) return false;
    const std::size_t end = at + word.size();
    return end == line.size() || line[end] == ' ' || line[end] == ',' || line[end] == '=';
}

bool has_token(const std::string& line, std::string_view word) {
    for (std::size_t at = line.find(word); at != std::string::npos; at = line.find(word, at + 1))
        if (token_at(line, at, word)) return true;
    return false;
}

}  // namespace

TEST(Manpage, Exists) {
    const auto text = manpage_text();
    ASSERT_FALSE(text.empty()) << "man/tcpflow.1 missing";
    for (const char* section : {".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS", ".SH FILE NAMING",
                                ".SH REPORT", ".SH EXIT STATUS", ".SH EXAMPLES", ".SH DIFFERENCES FROM TCPFLOW 1.6.1"})
        EXPECT_NE(text.find(section), std::string::npos) << section;
}

TEST(Manpage, EveryOptionOfTheTable) {
    // Each row has an entry whose heading starts with its letter and names its long name
    // ("-r file, --read file"); a long-only row has an entry naming it.
    const auto tags = entry_tags(manpage_text());
    ASSERT_FALSE(tags.empty());
    for (const auto& spec : tcpflow::option_table()) {
        const std::string longname = spec.longname != nullptr ? "--" + std::string(spec.longname) : "";
        bool found = false;
        for (const auto& tag : tags) {
            const bool short_ok = spec.shortname == nullptr || token_at(tag, 0, spec.shortname);
            const bool long_ok = longname.empty() || has_token(tag, longname);
            found = found || (short_ok && long_ok);
        }
        EXPECT_TRUE(found) << (spec.shortname != nullptr ? spec.shortname : "") << " " << longname
                           << ": no man page entry with this letter and long name";
    }
}

TEST(Manpage, EverySetting) {
    // Each -S name has an entry "name=value" (several may share one: "a=x, b=y").
    const auto tags = entry_tags(manpage_text());
    for (const auto& st : tcpflow::setting_table()) {
        const std::string word = std::string(st.name) + "=";
        bool found = false;
        for (const auto& tag : tags)
            for (std::size_t at = tag.find(word); at != std::string::npos && !found; at = tag.find(word, at + 1))
                found = at == 0 || (at >= 2 && tag.compare(at - 2, 2, ", ") == 0);
        EXPECT_TRUE(found) << "-S " << st.name << " has no entry in the man page";
    }
}

TEST(Manpage, VersionIsTheProjectVersion) {
    const auto text = manpage_text();
    const std::string version = TCPFLOW_PROJECT_VERSION;
    const auto th = text.find("\n.TH ");
    ASSERT_NE(th, std::string::npos);
    const std::string th_line = text.substr(th + 1, text.find('\n', th + 1) - th - 1);
    EXPECT_NE(th_line.find("\"tcpflow " + version + "\""), std::string::npos) << th_line;
    // What -V prints, as the man page says it.
    std::string line = tcpflow::parse_command_line({"tcpflow", "-V"}).out;
    if (!line.empty() && line.back() == '\n') line.pop_back();
    EXPECT_NE(text.find("Print " + line + " and exit 0."), std::string::npos) << line;
}

TEST(Manpage, EveryEscapeAndModifier) {
    const auto text = manpage_text();
    for (const char* e : {"%A", "%a", "%B", "%b", "%T", "%t", "%V", "%v", "%C", "%c", "%#", "%N", "%K", "%M", "%G",
                          "%S", "%E", "%e", "%%"})
        EXPECT_NE(text.find(e), std::string::npos) << e;
}
