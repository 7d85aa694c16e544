// cli_test: the command line -> Options, every flag short and long, usage errors, help, version.
#include "tcpflow/app/cli.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <variant>

#include "tcpflow/app/option_table.h"
#include "tcpflow/flow/naming.h"
#include "tcpflow/version.h"

using namespace tcpflow;

namespace {

CliResult parse(std::initializer_list<const char*> words) {
    std::vector<std::string> args{"tcpflow"};
    for (const char* w : words) args.emplace_back(w);
    return parse_command_line(args);
}

Options ok(std::initializer_list<const char*> words) {
    const auto r = parse(words);
    EXPECT_EQ(r.action, CliResult::Action::run) << r.err;
    return r.options;
}

void expect_usage_error(std::initializer_list<const char*> words, const std::string& needle = "") {
    const auto r = parse(words);
    std::string line;
    for (const char* w : words) line += std::string(w) + " ";
    ASSERT_EQ(r.action, CliResult::Action::exit) << line;
    EXPECT_EQ(r.exit_code, 2) << line;
    EXPECT_TRUE(r.out.empty()) << line;
    EXPECT_EQ(r.err.rfind("tcpflow: ", 0), 0u) << r.err;
    // Exactly two lines: the reason and the hint.
    const auto first_nl = r.err.find('\n');
    ASSERT_NE(first_nl, std::string::npos);
    EXPECT_EQ(r.err.substr(first_nl + 1), "Try 'tcpflow --help' for more information.\n") << r.err;
    if (!needle.empty()) {
        EXPECT_NE(r.err.find(needle), std::string::npos) << line << "-> " << r.err;
    }
}

}  // namespace

TEST(Cli, Defaults) {
    const auto o = ok({});
    EXPECT_TRUE(o.live);
    EXPECT_TRUE(o.read_files.empty());
    EXPECT_EQ(o.interface, "");
    EXPECT_TRUE(o.promiscuous);
    EXPECT_EQ(o.filter, "");
    EXPECT_EQ(o.outdir, ".");
    EXPECT_EQ(o.name_template.text(), std::string(kDefaultTemplate));
    EXPECT_TRUE(o.store_files);
    EXPECT_EQ(o.max_bytes, std::numeric_limits<std::uint64_t>::max());
    EXPECT_EQ(o.max_seek, 16u * 1024 * 1024);
    EXPECT_EQ(o.max_fds, 0);
    EXPECT_EQ(o.overlap, OverlapPolicy::first);
    EXPECT_EQ(o.max_memory, 256u * 1024 * 1024);
    EXPECT_FALSE(o.console.enabled);
    EXPECT_TRUE(o.report);
    EXPECT_EQ(o.report_path, "");
    EXPECT_FALSE(o.scan_http);
    EXPECT_FALSE(o.scan_md5);
    EXPECT_EQ(o.debug, 1);
    EXPECT_EQ(o.jobs, 1u);
    EXPECT_EQ(o.tcp_timeout, 0);
}

// Catches: --tls-keylog not repeatable, or its value taken as part of the BPF filter.
TEST(Cli, TlsKeylogIsRepeatable) {
    const auto o = ok({"-r", "f.pcap", "--tls-keylog", "a.log", "port", "443", "--tls-keylog=b.log"});
    EXPECT_EQ(o.tls_keylogs, (std::vector<std::string>{"a.log", "b.log"}));
    EXPECT_EQ(o.filter, "port 443");
    EXPECT_TRUE(ok({"-r", "f.pcap"}).tls_keylogs.empty());
}

TEST(Cli, ReadFilesAndFilterAnywhere) {
    const auto o = ok({"-r", "f.pcap", "port", "80", "-o", "out"});
    EXPECT_EQ(o.read_files, std::vector<std::string>{"f.pcap"});
    EXPECT_EQ(o.filter, "port 80");
    EXPECT_EQ(o.outdir, "out");
    EXPECT_FALSE(o.live);

    const auto o2 = ok({"host", "10.0.0.1", "-r", "a.pcap", "and", "-r", "b.pcap", "port", "80"});
    EXPECT_EQ(o2.read_files, (std::vector<std::string>{"a.pcap", "b.pcap"}));
    EXPECT_EQ(o2.filter, "host 10.0.0.1 and port 80");

    const auto o3 = ok({"--read", "-", "--read=x.pcap", "tcp[13]", "&", "2", "!=", "0"});
    EXPECT_EQ(o3.read_files, (std::vector<std::string>{"-", "x.pcap"}));
    EXPECT_EQ(o3.filter, "tcp[13] & 2 != 0");

    const auto o4 = ok({"-R", "r1", "--resume", "r2"});
    EXPECT_EQ(o4.resume_files, (std::vector<std::string>{"r1", "r2"}));
    EXPECT_FALSE(o4.live);
}

TEST(Cli, ListFiles) {
    const auto o = ok({"-l", "a.pcap", "b.pcap", "-o", "x"});
    EXPECT_EQ(o.read_files, (std::vector<std::string>{"a.pcap", "b.pcap"}));
    EXPECT_EQ(o.filter, "");
    const auto o2 = ok({"-r", "first", "--files", "second"});
    EXPECT_EQ(o2.read_files, (std::vector<std::string>{"first", "second"}));
    expect_usage_error({"-l"}, "-l");
}

TEST(Cli, LiveCapture) {
    // The filter is compiled while parsing (a bad one is a usage error), and libpcap resolves
    // host names then: an address keeps this test off the network.
    const auto o = ok({"-i", "eth0", "-p", "host", "192.0.2.25"});
    EXPECT_TRUE(o.live);
    EXPECT_EQ(o.interface, "eth0");
    EXPECT_FALSE(o.promiscuous);
    EXPECT_EQ(o.filter, "host 192.0.2.25");
    const auto o2 = ok({"--interface", "lo", "--no-promisc"});
    EXPECT_EQ(o2.interface, "lo");
    EXPECT_FALSE(o2.promiscuous);
}

TEST(Cli, ConsoleFlags) {
    auto o = ok({"-c"});
    EXPECT_TRUE(o.console.enabled);
    EXPECT_TRUE(o.console.header);
    o = ok({"-C"});
    EXPECT_TRUE(o.console.enabled);
    EXPECT_FALSE(o.console.header);
    o = ok({"-cg", "-0", "-B", "-s", "-D", "-J"});
    EXPECT_TRUE(o.console.enabled);
    EXPECT_TRUE(o.console.color);
    EXPECT_TRUE(o.console.no_newline);
    EXPECT_TRUE(o.console.binary);
    EXPECT_TRUE(o.console.strip);
    EXPECT_TRUE(o.console.hex);
    EXPECT_TRUE(o.console.json);
    o = ok({"--console", "--color", "--no-newline", "--binary", "--strip", "--hex", "--json"});
    EXPECT_TRUE(o.console.enabled && o.console.color && o.console.no_newline && o.console.binary &&
                o.console.strip && o.console.hex && o.console.json);
    o = ok({"--console-no-header"});
    EXPECT_TRUE(o.console.enabled);
    EXPECT_FALSE(o.console.header);
    o = ok({"-cD"});
    EXPECT_TRUE(o.console.enabled && o.console.hex);
    o = ok({"-c0"});
    EXPECT_TRUE(o.console.enabled && o.console.no_newline);
    o = ok({"-c", "-c"});  // repeated flag is fine
    EXPECT_TRUE(o.console.enabled);
    o = ok({"-L", "sem1"});
    EXPECT_EQ(o.semaphore, "sem1");
    EXPECT_EQ(ok({"--semaphore", "s2"}).semaphore, "s2");
}

TEST(Cli, Numbers) {
    auto o = ok({"-b", "100", "-m", "1000", "-f", "50"});
    EXPECT_EQ(o.max_bytes, 100u);
    EXPECT_EQ(o.max_seek, 1000u);
    EXPECT_EQ(o.max_fds, 50);
    o = ok({"--max-bytes", "0", "--max-seek=4096", "--max-fds", "3"});
    EXPECT_EQ(o.max_bytes, 0u);
    EXPECT_EQ(o.max_seek, 4096u);
    EXPECT_EQ(o.max_fds, 3);
    o = ok({"-b10"});
    EXPECT_EQ(o.max_bytes, 10u);
    expect_usage_error({"-b", "-5"}, "-b");
    expect_usage_error({"-b", "abc"}, "-b");
    expect_usage_error({"-f", "-1"}, "-f");
    expect_usage_error({"-m", "1x"}, "-m");
    expect_usage_error({"-b"}, "-b");
    expect_usage_error({"-f", "99999999999"}, "-f");
}

TEST(Cli, MaxMemoryJobsOverlap) {
    auto o = ok({"--max-memory=8M", "-j", "4", "--overlap=last"});
    EXPECT_EQ(o.max_memory, 8u * 1024 * 1024);
    EXPECT_EQ(o.jobs, 4u);
    EXPECT_EQ(o.overlap, OverlapPolicy::last);
    o = ok({"--max-memory", "1G", "--jobs", "2", "--overlap", "first"});
    EXPECT_EQ(o.max_memory, 1024u * 1024 * 1024);
    EXPECT_EQ(o.jobs, 2u);
    EXPECT_EQ(o.overlap, OverlapPolicy::first);
    EXPECT_EQ(ok({"--max-memory=4096K"}).max_memory, 4096u * 1024);
    EXPECT_EQ(ok({"--max-memory=2097152"}).max_memory, 2097152u);
    expect_usage_error({"--max-memory=8Q"}, "--max-memory");
    expect_usage_error({"--max-memory=-8M"}, "--max-memory");
    expect_usage_error({"--max-memory=10"}, "too small");
    expect_usage_error({"-j", "0"}, "-j");
    expect_usage_error({"--overlap=middle"}, "--overlap");
}

TEST(Cli, Debug) {
    EXPECT_EQ(ok({"-d", "3"}).debug, 3);
    EXPECT_EQ(ok({"-d3"}).debug, 3);
    EXPECT_EQ(ok({"--debug", "0"}).debug, 0);
    EXPECT_EQ(ok({"-d", "-4"}).debug, 1);  // negative -> 1, like 1.6.1
    EXPECT_EQ(ok({"-v"}).debug, 10);
    EXPECT_EQ(ok({"--verbose"}).debug, 10);
    EXPECT_EQ(ok({"-v", "-d", "2"}).debug, 2);  // last one wins
    EXPECT_EQ(ok({"-d", "2", "-v"}).debug, 10);
    expect_usage_error({"-d", "x"}, "-d");
}

TEST(Cli, OutputFileOptions) {
    EXPECT_TRUE(ok({"-I"}).index_files);
    auto o = ok({"-K", "-w", "unused.pcap", "-q", "-P", "-Z"});
    EXPECT_TRUE(o.pcap_per_flow);
    EXPECT_EQ(o.unused_pcap, "unused.pcap");
    EXPECT_TRUE(o.quiet);
    EXPECT_TRUE(o.no_purge);
    EXPECT_TRUE(o.http_keep_compressed);
    EXPECT_TRUE(ok({"--index"}).index_files);
    o = ok({"--pcap-per-flow", "--unused-packets", "u.pcap", "--quiet", "--no-purge", "--no-decompress",
            "--output-dir", "od"});
    EXPECT_TRUE(o.pcap_per_flow && o.quiet && o.no_purge && o.http_keep_compressed);
    EXPECT_EQ(o.unused_pcap, "u.pcap");
    EXPECT_EQ(o.outdir, "od");
    EXPECT_FALSE(o.progress_forced || o.progress_off);
    EXPECT_TRUE(ok({"--progress"}).progress_forced);
    EXPECT_TRUE(ok({"--no-progress"}).progress_off);
}

TEST(Cli, Report) {
    auto o = ok({"-X", "r.xml"});
    EXPECT_TRUE(o.report);
    EXPECT_EQ(o.report_path, "r.xml");
    o = ok({"--report", "/dev/null"});
    EXPECT_FALSE(o.report);
    o = ok({"-S", "enable_report=NO"});
    EXPECT_FALSE(o.report);
    o = ok({"-S", "enable_report=YES"});
    EXPECT_TRUE(o.report);
    expect_usage_error({"-S", "enable_report=maybe"}, "enable_report");
}

TEST(Cli, Settings) {
    const auto o = ok({"-S", "tdelta=3600", "-S", "tcp_timeout=30", "--set", "tcp_cmd=echo a=b",
                       "-S", "tcp_alert_fd=5", "-S", "packet-buffer-timeout=50", "-S", "debug-prefix=tf",
                       "-S", "check_fcs=NO", "-S", "http_cmd=ls", "-S", "http_alert_fd=7"});
    EXPECT_DOUBLE_EQ(o.tdelta, 3600);
    EXPECT_EQ(o.tcp_timeout, 30);
    EXPECT_EQ(o.tcp_cmd, "echo a=b");
    EXPECT_EQ(o.tcp_alert_fd, 5);
    EXPECT_EQ(o.packet_buffer_timeout_ms, 50);
    EXPECT_EQ(o.debug_prefix, "tf");
    EXPECT_FALSE(o.check_fcs);
    EXPECT_EQ(o.http_cmd, "ls");
    EXPECT_EQ(o.http_alert_fd, 7);
    EXPECT_EQ(ok({"--idle-timeout", "120"}).tcp_timeout, 120);
    EXPECT_EQ(ok({"-S", "tcp_timeout=5", "--idle-timeout=9"}).tcp_timeout, 9);
    EXPECT_DOUBLE_EQ(ok({"-S", "tdelta=-1.5"}).tdelta, -1.5);
    expect_usage_error({"-S", "nosuch=1"}, "nosuch");
    expect_usage_error({"-S", "tdelta"}, "NAME=VALUE");
    expect_usage_error({"-S", "=3"}, "NAME=VALUE");
    expect_usage_error({"-S", "tcp_timeout=-1"}, "tcp_timeout");
    expect_usage_error({"-S", "tdelta=abc"}, "tdelta");
    expect_usage_error({"--idle-timeout", "x"}, "--idle-timeout");
}

TEST(Cli, Scanners) {
    auto o = ok({"-e", "http"});
    EXPECT_TRUE(o.scan_http);
    EXPECT_FALSE(o.scan_md5);
    o = ok({"--enable-scanner", "md5"});
    EXPECT_TRUE(o.scan_md5);
    o = ok({"-a"});
    EXPECT_TRUE(o.scan_http && o.scan_md5);
    o = ok({"--all-scanners", "-x", "http"});
    EXPECT_FALSE(o.scan_http);
    EXPECT_TRUE(o.scan_md5);
    o = ok({"-e", "all"});
    EXPECT_TRUE(o.scan_http && o.scan_md5);
    o = ok({"-a", "-E", "md5"});
    EXPECT_FALSE(o.scan_http);
    EXPECT_TRUE(o.scan_md5);
    o = ok({"--exclusive-scanner", "http"});
    EXPECT_TRUE(o.scan_http);
    o = ok({"-x", "tcpdemux"});
    EXPECT_FALSE(o.store_files);
    o = ok({"--disable-scanner", "md5", "-e", "md5"});  // in order
    EXPECT_TRUE(o.scan_md5);
    auto r = parse({"-e", "netviz"});
    EXPECT_EQ(r.action, CliResult::Action::run);
    EXPECT_TRUE(r.warnings.empty());
    EXPECT_TRUE(r.options.scan_netviz);
    EXPECT_TRUE(ok({"-a"}).scan_netviz);
    EXPECT_FALSE(ok({"-a", "-E", "md5"}).scan_netviz);
    expect_usage_error({"-e", "wifiviz"}, "wifiviz");
    expect_usage_error({"-S", "netviz_format=jpeg"}, "jpeg");
    expect_usage_error({"-e", "python"}, "python");
    expect_usage_error({"-e", "http", "-FX"}, "-e http");
    expect_usage_error({"-x", "tcpdemux", "-a"});
}

TEST(Cli, DeprecatedA) {
    const auto r = parse({"-AH"});
    ASSERT_EQ(r.action, CliResult::Action::run);
    ASSERT_EQ(r.warnings.size(), 1u);
    EXPECT_NE(r.warnings[0].find("deprecated"), std::string::npos);
}

TEST(Cli, TemplateAndFormat) {
    const std::string d(kDefaultTemplate);
    EXPECT_EQ(ok({"-T", "%A-%B"}).name_template.text(), "%A-%B%C%c");
    EXPECT_EQ(ok({"--template=%t/%A%c"}).name_template.text(), "%t/%A%c");
    EXPECT_EQ(ok({"-Ft"}).name_template.text(), "%tT" + d);
    EXPECT_EQ(ok({"-FT"}).name_template.text(), "%T" + d);
    EXPECT_EQ(ok({"-F", "tT"}).name_template.text(), "%T%tT" + d);
    EXPECT_EQ(ok({"-Fk"}).name_template.text(), "%K/" + d);
    EXPECT_EQ(ok({"--format", "m"}).name_template.text(), "%M000-%M999/%M%K/" + d);
    EXPECT_EQ(ok({"-Fg"}).name_template.text(), "%G000000-%G999999/%G%M000-%G%M999/%G%M%K/" + d);
    EXPECT_EQ(ok({"-Fk", "-Ft"}).name_template.text(), "%tT%K/" + d);
    EXPECT_EQ(ok({"-Fc"}).name_template.text(), "%A.%a-%B.%b%V%vc%#");
    // -F applies to the -T template wherever -F appears.
    EXPECT_EQ(ok({"-Fk", "-T", "x%A"}).name_template.text(), "%K/x%A%C%c");
    EXPECT_EQ(ok({"-T", "x%A", "-Fk"}).name_template.text(), "%K/x%A%C%c");
    auto o = ok({"-FX"});
    EXPECT_FALSE(o.store_files);
    EXPECT_EQ(o.name_template.text(), d);
    o = ok({"-FM"});
    EXPECT_TRUE(o.scan_md5);
    o = ok({"-FkXM"});
    EXPECT_FALSE(o.store_files);
    EXPECT_TRUE(o.scan_md5);
    EXPECT_EQ(o.name_template.text(), "%K/" + d);
    expect_usage_error({"-Fq"}, "'q'");
    expect_usage_error({"-T", "%Q"}, "unknown escape %Q");
    expect_usage_error({"-T", "abc%"}, "abc%");
    expect_usage_error({"-T", "../x"}, "..");
    expect_usage_error({"-T", "/etc/x"}, "absolute");
    expect_usage_error({"-T", ""}, "empty");
}

TEST(Cli, Privileges) {
    auto o = ok({"-U", "nobody", "-z", "/var/empty"});
    EXPECT_EQ(o.user, "nobody");
    EXPECT_EQ(o.chroot_dir, "/var/empty");
    o = ok({"--user", "u1", "--chroot", "/c"});
    EXPECT_EQ(o.user, "u1");
    EXPECT_EQ(o.chroot_dir, "/c");
    EXPECT_EQ(ok({"--relinquish-privileges=u2"}).user, "u2");
    expect_usage_error({"-z", "/var/empty"}, "-U");
}

TEST(Cli, HelpAndVersion) {
    for (auto words : {std::initializer_list<const char*>{"-h"}, {"--help"}, {"-r", "x", "-h"}, {"-h", "-Q"}}) {
        const auto r = parse(words);
        ASSERT_EQ(r.action, CliResult::Action::exit);
        EXPECT_EQ(r.exit_code, 0);
        EXPECT_NE(r.out.find("Usage: tcpflow"), std::string::npos);
        EXPECT_EQ(r.out.find("Name template escapes"), std::string::npos);
        EXPECT_TRUE(r.err.empty());
    }
    const auto hh = parse({"-hh"});
    EXPECT_EQ(hh.exit_code, 0);
    EXPECT_NE(hh.out.find("-S settings"), std::string::npos);
    EXPECT_NE(hh.out.find("tcp_timeout"), std::string::npos);
    EXPECT_NE(hh.out.find("%T"), std::string::npos);
    EXPECT_NE(hh.out.find("-F modifiers"), std::string::npos);
    EXPECT_NE(parse({"-h", "-h"}).out.find("-S settings"), std::string::npos);
    for (const auto& name : all_long_options()) EXPECT_NE(hh.out.find("--" + name), std::string::npos) << name;

    for (auto words : {std::initializer_list<const char*>{"-V"}, {"--version"}, {"-r", "x", "-V"}}) {
        const auto r = parse(words);
        ASSERT_EQ(r.action, CliResult::Action::exit);
        EXPECT_EQ(r.exit_code, 0);
        EXPECT_EQ(r.out, "tcpflow " TCPFLOW_PROJECT_VERSION " (compatible with tcpflow 1.6.1)\n");
    }
    const auto H = parse({"-H"});
    EXPECT_EQ(H.action, CliResult::Action::exit);
    EXPECT_EQ(H.exit_code, 0);
    EXPECT_NE(H.out.find("http"), std::string::npos);
    EXPECT_EQ(parse({"--scanner-help"}).exit_code, 0);
}

TEST(Cli, UsageErrors) {
    expect_usage_error({"-Q"}, "-Q");
    expect_usage_error({"--no-such-option"}, "--no-such-option");
    expect_usage_error({"-r"}, "-r");
    expect_usage_error({"-r", "x", "--bogus", "port", "80"}, "--bogus");
}

TEST(Cli, EveryLongOptionIsKnown) {
    // Each long name parses (with a plausible value where one is needed): no "unknown option".
    for (const auto& name : all_long_options()) {
        if (name == "help" || name == "version" || name == "scanner-help") continue;
        std::string value;
        if (name == "overlap") value = "=first";
        else if (name == "udp-framing") value = "=length";
        else if (name == "max-memory") value = "=8M";
        else if (name == "set") value = "=tdelta=1";
        else if (name == "format") value = "=t";
        else if (name == "template") value = "=%A";
        else if (name == "enable-scanner" || name == "exclusive-scanner" || name == "disable-scanner") value = "=md5";
        else if (name == "max-bytes" || name == "max-seek" || name == "max-fds" || name == "debug" ||
                 name == "jobs" || name == "idle-timeout" || name == "hole-timeout")
            value = "=3";
        else if (name == "read" || name == "resume" || name == "interface" || name == "output-dir" ||
                 name == "report" || name == "unused-packets" || name == "semaphore" || name == "user" ||
                 name == "relinquish-privileges" || name == "tls-keylog")
            value = "=x";
        else if (name == "chroot") continue;  // needs -U, covered above
        else if (name == "shard") value = "=1/4";
        const std::string arg = "--" + name + value;
        std::vector<std::string> args{"tcpflow", arg};
        if (name == "files") args.emplace_back("a.pcap");
        if (name == "shard") args.insert(args.end(), {"-r", "a.pcap"});   // not with live capture
        const auto r = parse_command_line(args);
        EXPECT_EQ(r.action, CliResult::Action::run) << arg << ": " << r.err;
    }
    const auto names = all_long_options();
    EXPECT_GE(names.size(), 40u);
}

TEST(Cli, UdpOptions) {
    auto r = parse_command_line({"tcpflow", "-r", "a.pcap"});
    ASSERT_EQ(r.action, CliResult::Action::run) << r.err;
    EXPECT_FALSE(r.options.udp);
    EXPECT_FALSE(r.options.udp_length_framing);
    EXPECT_LT(r.options.udp_timeout, 0);
    r = parse_command_line({"tcpflow", "--udp", "-S", "udp_timeout=7", "-r", "a.pcap"});
    ASSERT_EQ(r.action, CliResult::Action::run) << r.err;
    EXPECT_TRUE(r.options.udp);
    EXPECT_EQ(r.options.udp_timeout, 7);
    r = parse_command_line({"tcpflow", "--udp-framing=length", "-r", "a.pcap"});   // implies --udp
    ASSERT_EQ(r.action, CliResult::Action::run) << r.err;
    EXPECT_TRUE(r.options.udp);
    EXPECT_TRUE(r.options.udp_length_framing);
    r = parse_command_line({"tcpflow", "--udp-framing=bytes", "-r", "a.pcap"});
    EXPECT_EQ(r.action, CliResult::Action::exit);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("not 'none' or 'length'"), std::string::npos) << r.err;
    r = parse_command_line({"tcpflow", "-S", "udp_timeout=-1", "-r", "a.pcap"});
    EXPECT_EQ(r.exit_code, 2);
}

TEST(Cli, VersionIsTheProjectVersion) {
    // project(VERSION) in CMakeLists.txt is the only place the version is written.
    EXPECT_EQ(kVersion, TCPFLOW_PROJECT_VERSION);
    EXPECT_NE(parse({"-V"}).out.find(std::string(" ") + TCPFLOW_PROJECT_VERSION + " "), std::string::npos);
}

TEST(Cli, TemplateIsParsedOnce) {
    // Options carries the parsed template (the default one unless -T/-F say otherwise); the run
    // uses it as it is.
    EXPECT_EQ(Options{}.name_template.text(), kDefaultTemplate);
    const auto d = ok({});
    EXPECT_TRUE(d.name_template.names_endpoints());
    EXPECT_TRUE(d.name_template.uses_count());
    const auto t = ok({"-T", "%t/%A%#"});
    EXPECT_EQ(t.name_template.text(), "%t/%A%#");
    EXPECT_FALSE(t.name_template.names_endpoints());
    EXPECT_TRUE(ok({"-Fk"}).name_template.names_endpoints());
}

namespace {

bool is_flag(const OptionSpec& spec) {
    CliValues v;
    const auto target = spec.target(v);
    return std::holds_alternative<bool*>(target) || std::holds_alternative<int*>(target);
}

/// A value each option accepts, chosen by the value's name in --help.
std::string sample_value(const OptionSpec& spec) {
    const std::string_view arg = spec.arg;
    const std::string_view name = spec.longname != nullptr ? spec.longname : "";
    if (arg == "N" || arg == "SECONDS") return "3";
    if (arg == "SIZE") return "8M";
    if (arg == "NAME=VALUE") return "tdelta=1";
    if (arg == "TMPL") return "%A";
    if (arg == "LETTERS") return "t";
    if (arg == "first|last") return "last";
    if (arg == "none|length") return "length";
    if (arg == "I/N") return "1/4";
    if (arg == "X") return "H";
    if (arg == "NAME") return name == "semaphore" ? "sem" : "md5";
    if (arg == "[=only]") return "only";
    return "x";   // FILE, DIR, IF, USER, [=FILE]
}

}  // namespace

TEST(CliTable, RowsAreWellFormed) {
    std::set<std::string> names;
    std::set<const void*> targets;
    CliValues v;
    for (const auto& spec : option_table()) {
        ASSERT_TRUE(spec.shortname != nullptr || spec.longname != nullptr);
        const std::string id = spec.shortname != nullptr ? spec.shortname : spec.longname;
        if (spec.shortname != nullptr) {
            EXPECT_EQ(std::string_view(spec.shortname).size(), 2u) << id;
            EXPECT_EQ(spec.shortname[0], '-') << id;
            EXPECT_TRUE(names.insert(spec.shortname).second) << id << " twice";
        }
        if (spec.longname != nullptr) {
            EXPECT_NE(spec.longname[0], '-') << id;
            EXPECT_TRUE(names.insert(spec.longname).second) << spec.longname << " twice";
        }
        ASSERT_NE(spec.help, nullptr) << id;
        EXPECT_NE(std::string_view(spec.help), "") << id;
        // A flag has no value name; an option with a value has one.
        EXPECT_EQ(spec.arg == nullptr, is_flag(spec)) << id;
        // Each row has its own destination (a copied row would share one).
        EXPECT_TRUE(targets.insert(std::visit([](auto* p) { return static_cast<const void*>(p); }, spec.target(v)))
                        .second)
            << id;
    }
}

TEST(CliTable, EveryLetterOf161IsInTheTable) {
    std::set<std::string> shorts;
    for (const auto& spec : option_table())
        if (spec.shortname != nullptr) shorts.insert(spec.shortname);
    for (const char c : std::string_view("abBcC0dDeExfFghHiIJKlLmopqrRsSTUvVwXzZ" "PAj"))
        EXPECT_EQ(shorts.count(std::string("-") + c), 1u) << "-" << c;
}

TEST(CliTable, EveryRowParsesShortAndLong) {
    for (const auto& spec : option_table()) {
        for (const bool use_long : {false, true}) {
            if ((use_long ? spec.longname : spec.shortname) == nullptr) continue;
            std::vector<std::string> args{"tcpflow"};
            if (std::string_view(spec.longname != nullptr ? spec.longname : "") == "chroot") {
                args.emplace_back("-U");
                args.emplace_back("u");
            }
            const std::string name = use_long ? "--" + std::string(spec.longname) : std::string(spec.shortname);
            if (spec.arg == nullptr) {
                args.push_back(name);
            } else if (use_long) {
                args.push_back(name + "=" + sample_value(spec));
            } else {
                args.push_back(name);
                args.push_back(sample_value(spec));
            }
            if (std::string_view(spec.shortname != nullptr ? spec.shortname : "") == "-l") args.emplace_back("a.pcap");
            if (std::string_view(spec.longname != nullptr ? spec.longname : "") == "shard") {
                args.emplace_back("-r");   // --shard splits capture files; live capture is refused
                args.emplace_back("a.pcap");
            }
            const auto r = parse_command_line(args);
            const std::string_view letter = spec.shortname != nullptr ? spec.shortname : "";
            const bool exits = letter == "-h" || letter == "-V" || letter == "-H";   // help, version, scanners
            if (exits) {
                EXPECT_EQ(r.action, CliResult::Action::exit) << name;
                EXPECT_EQ(r.exit_code, 0) << name;
                EXPECT_FALSE(r.out.empty()) << name;
            } else {
                EXPECT_EQ(r.action, CliResult::Action::run) << name << ": " << r.err;
            }
        }
    }
}

TEST(CliTable, ShortHelpFitsOneScreenWithTheCommonOptions) {
    const std::string help = parse({"--help"}).out;
    std::size_t lines = 0, at = 0;
    for (std::size_t nl = help.find('\n'); nl != std::string::npos; at = nl + 1, nl = help.find('\n', at)) {
        ++lines;
        EXPECT_LE(nl - at, 80u) << help.substr(at, nl - at);
    }
    EXPECT_LE(lines, 24u) << help;
    // Every common row, in order, with its letter, long name, value name and brief line.
    at = 0;
    ASSERT_FALSE(common_options().empty());
    for (const auto& c : common_options()) {
        const OptionSpec* spec = option_by_long_name(c.longname);
        ASSERT_NE(spec, nullptr) << c.longname << " is not a row of the option table";
        std::string left = "  ";
        if (spec->shortname != nullptr) left += std::string(spec->shortname) + ", ";
        else left += "    ";
        left += "--" + std::string(spec->longname);
        if (spec->arg != nullptr) left += " " + std::string(spec->arg);
        const auto found = help.find("\n" + left + " ", at);
        ASSERT_NE(found, std::string::npos) << left;
        EXPECT_NE(help.find(c.brief, found), std::string::npos) << left;
        at = found + 1;
    }
    EXPECT_NE(help.find("-hh"), std::string::npos);
    EXPECT_EQ(help.find("--max-memory"), std::string::npos) << "only the common options in --help";
}

TEST(CliTable, HelpListsEveryRowInTableOrder) {
    const std::string help = parse({"-hh"}).out;
    std::size_t at = 0;
    for (const auto& spec : option_table()) {
        std::string left = "  ";
        if (spec.shortname == nullptr) left += "    ";
        else left += std::string(spec.shortname) + (spec.longname != nullptr ? ", " : "");
        if (spec.longname != nullptr) left += "--" + std::string(spec.longname);
        if (spec.arg != nullptr) left += " " + std::string(spec.arg);
        const auto found = help.find("\n" + left + " ", at);
        ASSERT_NE(found, std::string::npos) << left;
        EXPECT_NE(help.find(spec.help, found), std::string::npos) << left;
        at = found + 1;
    }
    EXPECT_EQ(all_long_options().size(),
              static_cast<std::size_t>(std::count_if(option_table().begin(), option_table().end(),
                                                     [](const OptionSpec& s) { return s.longname != nullptr; })));
}

TEST(CliTable, FlagsAndRepeatsFollowTheirTarget) {
    // Repeatable options (a vector target) keep every value; single ones keep the last.
    EXPECT_EQ(ok({"-r", "a", "-r", "b"}).read_files, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(ok({"-o", "a", "-o", "b"}).outdir, "b");
    EXPECT_EQ(ok({"-d", "3", "-d", "4"}).debug, 4);
    // Counted flags: -hh is level 2 even when bundled with another flag.
    EXPECT_NE(parse({"-phh"}).out.find("Name template escapes"), std::string::npos);
    EXPECT_EQ(parse({"-ph"}).out.find("Name template escapes"), std::string::npos);
}

namespace {

/// A value each setting accepts, chosen by its kind of value.
std::string sample_setting(const SettingSpec& st) {
    const std::string_view kind = st.value;
    if (kind == "YES|NO") return "no";
    if (kind == "CMD" || kind == "TEXT") return "x y";
    if (kind == "sha256") return "sha256";
    if (kind == "array|lines") return "lines";
    if (kind == "native|libpcap") return "libpcap";
    if (kind == "pdf|svg|png") return "svg";
    return "5";   // SECONDS, FD, MS, N
}

}  // namespace

TEST(CliSettings, EverySettingParses) {
    std::set<std::string> names;
    for (const auto& st : setting_table()) {
        EXPECT_TRUE(names.insert(st.name).second) << st.name << " twice";
        const std::string kv = std::string(st.name) + "=" + sample_setting(st);
        const auto r = parse({"-S", kv.c_str()});
        ASSERT_EQ(r.action, CliResult::Action::run) << kv << ": " << r.err;
        // The listed settings are silent; the others (1.6.1's netviz) are ignored with a warning.
        EXPECT_EQ(r.warnings.size(), st.help != nullptr ? 0u : 1u) << kv;
        const auto bad = parse({"--set", (std::string(st.name) + "=").c_str()});
        if (std::string_view(st.value) != "CMD" && std::string_view(st.value) != "TEXT" && st.help != nullptr) {
            EXPECT_EQ(bad.exit_code, 2) << st.name << "= is accepted";
        }
    }
}

TEST(CliSettings, ReaderIsNativeUnlessLibpcapIsAsked) {
    EXPECT_FALSE(parse({"-r", "x.pcap"}).options.libpcap_reader);
    EXPECT_TRUE(parse({"-S", "reader=libpcap", "-r", "x.pcap"}).options.libpcap_reader);
    EXPECT_FALSE(parse({"-S", "reader=libpcap", "-S", "reader=native", "-r", "x.pcap"}).options.libpcap_reader);
    const auto bad = parse({"-S", "reader=pcap"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("-S reader: 'pcap' is not native or libpcap"), std::string::npos) << bad.err;
}

TEST(CliSettings, HelpAndUnknownMessageListTheTable) {
    const std::string hh = parse({"-hh"}).out;
    const std::string unknown = parse({"-S", "nosuch=1"}).err;
    std::size_t at = 0;
    for (const auto& st : setting_table()) {
        const std::string left = "\n  " + std::string(st.name) + "=" + st.value + " ";
        if (st.help == nullptr) {
            EXPECT_EQ(hh.find(left), std::string::npos) << st.name;
            EXPECT_EQ(unknown.find(st.name), std::string::npos) << st.name;
            continue;
        }
        const auto found = hh.find(left, at);
        ASSERT_NE(found, std::string::npos) << st.name;
        EXPECT_NE(hh.find(st.help, found), std::string::npos) << st.name;
        at = found + 1;
        EXPECT_TRUE(unknown.find(" " + std::string(st.name) + ",") != std::string::npos ||
                    unknown.find(" " + std::string(st.name) + ")") != std::string::npos)
            << st.name << " not in: " << unknown;
    }
}

namespace {

/// The one error line of a usage error, without "tcpflow: " and the hint.
std::string reason_of(const std::vector<std::string>& words) {
    std::vector<std::string> args{"tcpflow"};
    args.insert(args.end(), words.begin(), words.end());
    const auto r = parse_command_line(args);
    EXPECT_EQ(r.exit_code, 2) << words.front();
    EXPECT_EQ(r.action, CliResult::Action::exit) << words.front();
    const std::string hint = "\nTry 'tcpflow --help' for more information.\n";
    EXPECT_TRUE(r.err.size() > hint.size() && r.err.compare(r.err.size() - hint.size(), hint.size(), hint) == 0)
        << r.err;
    EXPECT_EQ(r.err.rfind("tcpflow: ", 0), 0u) << r.err;
    const auto nl = r.err.find('\n');
    return nl == std::string::npos || r.err.size() < 9 ? r.err : r.err.substr(9, nl - 9);
}

}  // namespace

// Bug: `-U ""` skipped dropping privileges (exit 0, files owned by root); empty values of -b -m
// -f -j --max-memory -w -i -L -z were ignored too. Every option that takes a value, from the table.
TEST(CliMessages, AnEmptyValueIsAUsageErrorForEveryOptionThatTakesOne) {
    for (const auto& spec : option_table()) {
        if (spec.arg == nullptr) continue;
        std::vector<std::vector<std::string>> lines;
        std::vector<std::string> typed;
        if (spec.shortname != nullptr) {
            lines.push_back({spec.shortname, ""});
            typed.emplace_back(spec.shortname);
        }
        if (spec.longname != nullptr) {
            const std::string l = "--" + std::string(spec.longname);
            // An optional value ("[=FILE]": --flow-index, --conversation) is only ever given after
            // '='; the next word is not its value.
            const bool optional = spec.arg[0] == '[';
            if (!optional) lines.push_back({l, ""});
            lines.push_back({l + "="});
            lines.push_back({l + "=", "port", "80"});   // not the next word, as getopt_long
            typed.insert(typed.end(), optional ? 2 : 3, l);
        }
        for (std::size_t i = 0; i < lines.size(); ++i) {
            auto words = lines[i];
            words.insert(words.begin(), {"-r", "a.pcap", "-U", "u"});   // -z needs -U
            EXPECT_EQ(reason_of(words), typed[i] + ": empty value (expected " + spec.arg + ")");
        }
    }
    EXPECT_EQ(reason_of({"-cU", ""}), "-U: empty value (expected USER)");
    EXPECT_EQ(reason_of({"-U", "nobody", "-U", ""}), "-U: empty value (expected USER)");
}

// Bug: `-r` with no value said `--read: needs a value`.
TEST(CliMessages, AMissingValueNamesTheOptionAsTyped) {
    EXPECT_EQ(reason_of({"-r"}), "-r: needs a value");
    EXPECT_EQ(reason_of({"-cr"}), "-r: needs a value");
    EXPECT_EQ(reason_of({"--read"}), "--read: needs a value");
    EXPECT_EQ(reason_of({"--read", "x", "-r"}), "-r: needs a value");
    EXPECT_EQ(reason_of({"-r", "x", "--read"}), "--read: needs a value");
    EXPECT_EQ(reason_of({"-b"}), "-b: needs a value");
    EXPECT_EQ(reason_of({"--max-bytes"}), "--max-bytes: needs a value");
    EXPECT_EQ(reason_of({"-A"}), "-A: needs a value");
    EXPECT_EQ(reason_of({"--max-memory"}), "--max-memory: needs a value");
}

// Bug: `-j 0` said "at least 1 job", `-j -1` "is not a number from 0 to 1024".
TEST(CliMessages, JobsOutOfRangeIsOneMessageNamingTheRange) {
    EXPECT_EQ(reason_of({"-j", "0"}), "-j: '0' is too small (the range is 1 to 1024)");
    EXPECT_EQ(reason_of({"-j", "-1"}), "-j: '-1' is too small (the range is 1 to 1024)");
    EXPECT_EQ(reason_of({"--jobs=1025"}), "-j: '1025' is too large (the range is 1 to 1024)");
    EXPECT_EQ(reason_of({"-j", "x"}), "-j: 'x' is not a number");
    EXPECT_EQ(ok({"-j", "1024"}).jobs, 1024u);
}

// Bug: `-b 99999999999999999999` said "is not a non-negative number". Every numeric option and
// setting says "too large".
TEST(CliMessages, ANumberBeyondTheRangeIsTooLargeForEveryNumericOption) {
    const std::string huge = "99999999999999999999";
    int checked = 0;
    for (const auto& spec : option_table()) {
        if (spec.arg == nullptr) continue;
        const std::string_view arg = spec.arg;
        if (arg != "N" && arg != "SIZE" && arg != "SECONDS") continue;
        const std::string name = spec.shortname != nullptr ? spec.shortname : "--" + std::string(spec.longname);
        const std::string reason = reason_of({name, huge});
        EXPECT_NE(reason.find("'" + huge + "' is too large ("), std::string::npos) << reason;
        EXPECT_EQ(reason.rfind(name + ": ", 0), 0u) << reason;
        ++checked;
    }
    EXPECT_GE(checked, 7);   // -b -m -f --max-memory --idle-timeout -j -d
    for (const auto& st : setting_table()) {
        const std::string_view kind = st.value;
        if (st.help == nullptr || (kind != "SECONDS" && kind != "FD" && kind != "MS")) continue;
        const std::string value = std::string_view(st.name) == "tdelta" ? "1e20" : huge;
        const std::string reason = reason_of({"-S", std::string(st.name) + "=" + value});
        EXPECT_EQ(reason.rfind("-S " + std::string(st.name) + ": '" + value + "' is too large (", 0), 0u) << reason;
    }
    EXPECT_EQ(reason_of({"-b", huge}), "-b: '" + huge + "' is too large (at most 18446744073709551615 bytes)");
    EXPECT_EQ(reason_of({"-m", "99999999T"}), "-m: '99999999T' is too large (at most 18446744073709551615 bytes)");
    EXPECT_EQ(reason_of({"-f", "99999999999"}), "-f: '99999999999' is too large (the range is 0 to 2147483647)");
    EXPECT_EQ(reason_of({"-d", "-" + huge}), "-d: '-" + huge + "' is too small (the range is -2147483648 to 2147483647)");
    EXPECT_EQ(reason_of({"-S", "tdelta=-1e13"}),
              "-S tdelta: '-1e13' is too small (the range is -1000000000000 to 1000000000000 seconds)");
    EXPECT_EQ(reason_of({"-b", "-5"}), "-b: '-5' is not a non-negative number");
    EXPECT_EQ(ok({"-b", "18446744073709551615"}).max_bytes, 18446744073709551615u);
    EXPECT_EQ(ok({"-b", "00000000000000000000000100"}).max_bytes, 100u);   // leading zeros are no overflow
}

// Bug: a bad BPF expression exited 2 without the hint every other usage error has.
TEST(CliMessages, ABadFilterIsAUsageErrorWithTheHint) {
    const std::string reason = reason_of({"-r", "a.pcap", "nonsense", "((("});
    EXPECT_EQ(reason.rfind("bad filter expression 'nonsense (((': ", 0), 0u) << reason;
    EXPECT_GT(reason.size(), std::string("bad filter expression 'nonsense (((': ").size()) << "libpcap's message";
    EXPECT_EQ(ok({"-r", "a.pcap", "tcp", "port", "80"}).filter, "tcp port 80");
}

// --hole-timeout: seconds (fractions too); 0 = never; unset = the run's default (-1).
TEST(Cli, HoleTimeout) {
    EXPECT_EQ(ok({"-r", "a.pcap"}).hole_timeout, -1.0);
    EXPECT_EQ(ok({"-r", "a.pcap", "--hole-timeout", "0.5"}).hole_timeout, 0.5);
    EXPECT_EQ(ok({"-r", "a.pcap", "--hole-timeout=0"}).hole_timeout, 0.0);
    expect_usage_error({"-r", "a.pcap", "--hole-timeout", "-1"}, "--hole-timeout");
    expect_usage_error({"-r", "a.pcap", "--hole-timeout", "x"}, "--hole-timeout");
    expect_usage_error({"-r", "a.pcap", "--hole-timeout", "1e9"}, "too large");
}

// -e http and -I work on flow files; -K writes packets instead: refused, not silently empty.
TEST(Cli, HttpAndIndexNeedFlowFilesNotPcapPerFlow) {
    expect_usage_error({"-r", "a.pcap", "-K", "-e", "http"}, "-K");
    expect_usage_error({"-r", "a.pcap", "-K", "-I"}, "-K");
    EXPECT_TRUE(ok({"-r", "a.pcap", "-K"}).pcap_per_flow);
}

TEST(Cli, Shard) {
    const auto none = ok({"-r", "a.pcap"});
    EXPECT_EQ(none.shard_count, 0u);
    EXPECT_EQ(none.shard_index, 0u);
    const auto o = ok({"--shard", "2/7", "-r", "a.pcap"});
    EXPECT_EQ(o.shard_index, 2u);
    EXPECT_EQ(o.shard_count, 7u);
    const auto eq = ok({"--shard=0/1", "-r", "a.pcap"});
    EXPECT_EQ(eq.shard_index, 0u);
    EXPECT_EQ(eq.shard_count, 1u);
    const auto big = ok({"-r", "a.pcap", "--shard", "999999/1000000"});
    EXPECT_EQ(big.shard_index, 999999u);
    EXPECT_EQ(ok({"--shard", "1/4", "-l", "a.pcap", "b.pcap"}).shard_count, 4u);
    EXPECT_EQ(ok({"--shard", "1/4", "-R", "a.pcap"}).shard_count, 4u);
}

TEST(CliMessages, ABadShardIsAUsageErrorSayingWhatIsExpected) {
    const std::string not_i_n = "' is not I/N (this process's shard I of N, numbered from 0: 0/4 to 3/4)";
    for (const char* bad : {"x", "1", "1/", "/4", "-1/4", "1/-4", "1/4/5", "a/b", "1.0/4", " 1/4", "1/4 ",
                            "99999999999999999999/4", "1/99999999999999999999", "0x1/4"})
        EXPECT_EQ(reason_of({"--shard", bad, "-r", "a.pcap"}), std::string("--shard: '") + bad + not_i_n) << bad;
    EXPECT_EQ(reason_of({"--shard", "4/4", "-r", "a.pcap"}),
              "--shard: '4/4': I must be below N (the shards of 4 are 0/4 to 3/4)");
    EXPECT_EQ(reason_of({"--shard", "7/3", "-r", "a.pcap"}),
              "--shard: '7/3': I must be below N (the shards of 3 are 0/3 to 2/3)");
    EXPECT_EQ(reason_of({"--shard", "0/0", "-r", "a.pcap"}), "--shard: '0/0': N must be 1 to 1000000");
    EXPECT_EQ(reason_of({"--shard", "0/1000001", "-r", "a.pcap"}), "--shard: '0/1000001': N must be 1 to 1000000");
    EXPECT_EQ(reason_of({"--shard"}), "--shard: needs a value");
    expect_usage_error({"--shard="}, "--shard: empty value (expected I/N)");
}

TEST(CliMessages, ShardWithLiveCaptureIsRefused) {
    for (const auto& line : std::vector<std::vector<std::string>>{{"--shard", "0/2"}, {"--shard", "1/2", "-i", "lo"}}) {
        const std::string why = reason_of(line);
        EXPECT_EQ(why.rfind("--shard splits the connections of capture files (-r, -R or -l); a live capture cannot be "
                            "sharded", 0),
                  0u)
            << why;
    }
}
