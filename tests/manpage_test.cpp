// manpage_test: man/tcpflow.1 documents every option the parser knows, short and long, and names
// the project's version.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "tcpflow/app/cli.h"

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

}  // namespace

TEST(Manpage, Exists) {
    const auto text = manpage_text();
    ASSERT_FALSE(text.empty()) << "man/tcpflow.1 missing";
    for (const char* section : {".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS", ".SH FILE NAMING",
                                ".SH REPORT", ".SH EXIT STATUS", ".SH EXAMPLES", ".SH DIFFERENCES FROM TCPFLOW 1.6.1"})
        EXPECT_NE(text.find(section), std::string::npos) << section;
}

TEST(Manpage, EveryLongOption) {
    const auto text = manpage_text();
    for (const auto& name : tcpflow::all_long_options())
        EXPECT_NE(text.find("--" + name), std::string::npos) << "--" << name << " not in the man page";
}

TEST(Manpage, EveryShortOption) {
    const auto text = manpage_text();
    const std::string letters = "aAbBcC0dDeEfFghHiIjJKlLmopPqrRsSTUvVwxXzZ";
    for (const char c : letters) {
        const std::string opt = std::string("-") + c;
        // Documented as an option entry: "-c," / "-c " at a line start of a .TP paragraph.
        bool found = false;
        for (const std::string& form : {"\n" + opt + ",", "\n" + opt + " ", "\n" + opt + "\n"})
            found = found || text.find(form) != std::string::npos;
        EXPECT_TRUE(found) << opt << " has no entry in the man page";
    }
}

TEST(Manpage, EveryEscapeAndModifier) {
    const auto text = manpage_text();
    for (const char* e : {"%A", "%a", "%B", "%b", "%T", "%t", "%V", "%v", "%C", "%c", "%#", "%N", "%K", "%M", "%G",
                          "%S", "%E", "%e", "%%"})
        EXPECT_NE(text.find(e), std::string::npos) << e;
    for (const char* s : {"tdelta", "tcp_timeout", "tcp_cmd", "tcp_alert_fd", "enable_report",
                          "packet-buffer-timeout", "check_fcs", "debug-prefix"})
        EXPECT_NE(text.find(s), std::string::npos) << s;
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
