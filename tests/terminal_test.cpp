// terminal_test: what a terminal is told (app/progress). The status line and the summary, seen
// through a pseudo-terminal (forkpty) as a user sees them: drawn, updated, erased, then the
// summary; nothing at all when standard error is a file. And the pieces: the plan, the formats.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/run.h"
#include "tcpflow/app/progress.h"

namespace {

using namespace tcpflow;
using namespace tcpflow::test;

/// `conns` connections of one 200-byte segment each, then `udp` UDP datagrams (not used).
std::string make_capture(const std::string& path, int conns, int udp = 0) {
    Capture cap;
    for (int i = 0; i < conns; ++i) {
        TcpSpec t{ip("10.0.0.1"), ip("10.0.0.2"), static_cast<std::uint16_t>(1024 + i % 60000), 80, 1000, 1, 0x18, 65535,
                  std::string(200, 'x'), {}};
        cap.add(eth_tcp(t));
    }
    const std::string payload = "dns?";
    for (int i = 0; i < udp; ++i) {
        const Frame d = udp_datagram(53, 5353, Bytes{reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()});
        cap.add(ethernet_frame(0x0800, bytes(ipv4_packet(ip("10.0.0.3"), ip("10.0.0.4"), 17, bytes(d)))));
    }
    cap.write(path);
    return path;
}

struct PtyChild {
    pid_t pid = -1;
    int master = -1;
    std::string seen;   ///< everything read from the terminal so far
};

/// Starts the built tcpflow on a new pseudo-terminal (standard input, output and error), with
/// standard input from `stdin_fd` and standard error to `stderr_path` when given.
PtyChild start(const std::vector<std::string>& args, int stdin_fd = -1, const std::string& stderr_path = "") {
    PtyChild c;
    winsize ws{};
    ws.ws_row = 24;
    ws.ws_col = 100;
    c.pid = forkpty(&c.master, nullptr, nullptr, &ws);
    if (c.pid == 0) {
        if (stdin_fd >= 0) dup2(stdin_fd, 0);
        if (!stderr_path.empty()) {
            const int fd = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            dup2(fd, 2);
        }
        std::vector<char*> argv{const_cast<char*>(TCPFLOW_BINARY)};
        for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
        argv.push_back(nullptr);
        execv(TCPFLOW_BINARY, argv.data());
        _exit(127);
    }
    return c;
}

/// Reads what the terminal shows until `done(seen)` or the end (the child closed it) or the deadline.
bool read_until(PtyChild& c, const std::function<bool(const std::string&)>& done, int timeout_ms = 30000) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!done(c.seen)) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) return false;
        pollfd p{c.master, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
        char buf[4096];
        const ssize_t n = ::read(c.master, buf, sizeof buf);
        if (n <= 0) return done(c.seen);   // EIO: the child is gone
        c.seen.append(buf, static_cast<std::size_t>(n));
    }
    return true;
}

int finish(PtyChild& c) {
    read_until(c, [](const std::string&) { return false; });
    int status = 0;
    ::waitpid(c.pid, &status, 0);
    ::close(c.master);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/// The status lines drawn ("\r" + text), in order, without the erasing ones.
std::vector<std::string> status_lines(const std::string& seen) {
    std::vector<std::string> lines;
    for (std::size_t at = seen.find('\r'); at != std::string::npos; at = seen.find('\r', at + 1)) {
        const auto end = seen.find_first_of("\r\n", at + 1);
        const std::string text = seen.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
        if (!text.empty() && text.find_first_not_of(' ') != std::string::npos && text.rfind("tcpflow:", 0) != 0)
            lines.push_back(text);
    }
    return lines;
}

const std::string kErase = "\r";   // followed by spaces and "\r"

/// The text after the last erase of the status line: what stays on the terminal.
std::string after_last_erase(const std::string& seen) {
    const auto spaces = seen.rfind("   \r");
    return spaces == std::string::npos ? seen : seen.substr(spaces + 4);
}

}  // namespace

TEST(Terminal, FileRunShowsTheLineThenErasesItThenTheSummary) {
    TempDir dir;
    const std::string pcap = make_capture(dir / "a.pcap", 600, 5);
    PtyChild c = start({"-r", pcap, "-o", dir / "out"});
    ASSERT_GT(c.pid, 0);
    EXPECT_EQ(finish(c), 0) << c.seen;
    const auto lines = status_lines(c.seen);
    ASSERT_FALSE(lines.empty()) << c.seen;
    EXPECT_NE(lines.front().find("%] "), std::string::npos) << lines.front();
    EXPECT_NE(lines.front().find(" of "), std::string::npos) << lines.front();
    EXPECT_NE(lines.front().find(" packets, "), std::string::npos) << lines.front();
    EXPECT_NE(lines.front().find(" open, "), std::string::npos) << lines.front();
    EXPECT_NE(lines.front().find(" files, "), std::string::npos) << lines.front();
    for (const auto& l : lines) EXPECT_LT(l.size(), 100u) << "never wider than the terminal: " << l;
    // Erased (spaces over it), then the summary on a clean line.
    const std::string rest = after_last_erase(c.seen);
    EXPECT_EQ(rest.rfind("tcpflow: read ", 0), 0u) << rest;
    EXPECT_NE(rest.find("600 connections, 600 flow files"), std::string::npos) << rest;
    EXPECT_NE(rest.find("5 packets not used: 5 not TCP"), std::string::npos) << rest;
}

TEST(Terminal, LineUpdatesWhileAPipeIsRead) {
    TempDir dir;
    const std::string pcap = make_capture(dir / "a.pcap", 6000);
    std::ifstream in(pcap, std::ios::binary);
    const std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);   // the child must not hold the writing end
    std::signal(SIGPIPE, SIG_IGN);
    PtyChild c = start({"-r", "-", "-o", dir / "out"}, fds[0]);
    ::close(fds[0]);
    // Feed a piece at a time and read the terminal in between, until two different lines were drawn.
    std::size_t fed = 0;
    const std::size_t piece = 256 * 300;   // about 256 packets
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (status_lines(c.seen).size() < 2 && fed < data.size() && std::chrono::steady_clock::now() < deadline) {
        const std::size_t n = std::min(piece, data.size() - fed);
        ASSERT_EQ(::write(fds[1], data.data() + fed, n), static_cast<ssize_t>(n));
        fed += n;
        const std::size_t before = c.seen.size();
        read_until(c, [&](const std::string& s) { return s.size() > before; }, 150);
    }
    const auto lines = status_lines(c.seen);
    ASSERT_GE(lines.size(), 2u) << "fed " << fed << " of " << data.size() << " bytes; saw: " << c.seen;
    EXPECT_NE(lines.front(), lines.back());
    EXPECT_EQ(lines.front().find('%'), std::string::npos) << "no total for standard input: " << lines.front();
    ASSERT_EQ(::write(fds[1], data.data() + fed, data.size() - fed), static_cast<ssize_t>(data.size() - fed));
    ::close(fds[1]);
    EXPECT_EQ(finish(c), 0) << c.seen;
    EXPECT_EQ(after_last_erase(c.seen).rfind("tcpflow: read ", 0), 0u) << c.seen;
}

TEST(Terminal, NothingWhenStandardErrorIsAFile) {
    TempDir dir;
    const std::string pcap = make_capture(dir / "a.pcap", 600, 5);
    for (const auto& extra : {std::vector<std::string>{}, {"--progress"}}) {
        std::vector<std::string> args{"-r", pcap, "-o", dir / ("out" + std::to_string(extra.size()))};
        args.insert(args.end(), extra.begin(), extra.end());
        PtyChild c = start(args, -1, dir / "err.txt");
        EXPECT_EQ(finish(c), 0);
        EXPECT_EQ(c.seen, "") << "standard output (the terminal) stays empty";
        EXPECT_EQ(read_file(dir / "err.txt"), "") << "standard error (a file) as before";
    }
}

TEST(Terminal, QuietNoProgressAndConsole) {
    TempDir dir;
    const std::string pcap = make_capture(dir / "a.pcap", 600);
    PtyChild q = start({"-q", "-r", pcap, "-o", dir / "q"});
    EXPECT_EQ(finish(q), 0);
    EXPECT_EQ(q.seen, "") << "-q: neither line nor summary";
    PtyChild n = start({"--no-progress", "-r", pcap, "-o", dir / "n"});
    EXPECT_EQ(finish(n), 0);
    EXPECT_TRUE(status_lines(n.seen).empty()) << n.seen;
    EXPECT_EQ(n.seen.rfind("tcpflow: read ", 0), 0u) << "the summary stays: " << n.seen;
    // -c on the same terminal: no line among the data (unless --progress).
    PtyChild con = start({"-c", "-r", pcap});
    EXPECT_EQ(finish(con), 0);
    EXPECT_EQ(con.seen.find("%] "), std::string::npos);
    PtyChild forced = start({"-c", "--progress", "-r", pcap});
    EXPECT_EQ(finish(forced), 0);
    EXPECT_NE(forced.seen.find("%] "), std::string::npos);
}

TEST(Terminal, Plan) {
    Options o;
    const TerminalFacts tty{true, true, true}, err_only{true, false, false}, none{false, false, false};
    EXPECT_TRUE(plan_terminal(o, tty).progress);
    EXPECT_TRUE(plan_terminal(o, tty).summary);
    EXPECT_FALSE(plan_terminal(o, none).progress);
    EXPECT_FALSE(plan_terminal(o, none).summary);
    o.progress_forced = true;
    EXPECT_FALSE(plan_terminal(o, none).progress) << "never when standard error is not a terminal";
    o.progress_forced = false;
    o.console.enabled = true;
    EXPECT_FALSE(plan_terminal(o, tty).progress);
    EXPECT_TRUE(plan_terminal(o, err_only).progress);
    o.progress_forced = true;
    EXPECT_TRUE(plan_terminal(o, tty).progress);
    o.progress_off = true;
    EXPECT_FALSE(plan_terminal(o, tty).progress);
    Options q;
    q.quiet = true;
    EXPECT_FALSE(plan_terminal(q, tty).progress);
    EXPECT_FALSE(plan_terminal(q, tty).summary);
    Options v;
    v.debug = 10;
    EXPECT_TRUE(plan_terminal(v, none).summary);
    EXPECT_FALSE(plan_terminal(v, none).progress);
}

TEST(Terminal, Formats) {
    EXPECT_EQ(human_bytes(37), "37 B");
    EXPECT_EQ(human_bytes(1500), "1.5 kB");
    EXPECT_EQ(human_bytes(412'000'000), "412 MB");
    EXPECT_EQ(human_bytes(1'045'929'274), "1.0 GB");
    EXPECT_EQ(clock_time(7.9), "0:07");
    EXPECT_EQ(clock_time(754), "12:34");
    EXPECT_EQ(clock_time(3723), "1:02:03");
    ProgressSample s;
    s.bytes_read = 400'000'000;
    s.bytes_total = 1'000'000'000;
    s.packets = 61234;
    s.open = 120;
    s.finished = 2800;
    s.files = 5600;
    s.elapsed_s = 2;
    EXPECT_EQ(format_progress(s),
              "[ 40%] 400 MB of 1.0 GB, 200 MB/s, 61234 packets, 120 open, 2800 done, 5600 files, 0:02, 0:03 left");
    s.open.reset();
    s.directions_finished = 7;
    s.bytes_total = 0;
    EXPECT_EQ(format_progress(s), "400 MB, 200 MB/s, 61234 packets, 7 flows done, 5600 files, 0:02");
    s.bytes_read = 0;
    EXPECT_EQ(format_progress(s), "61234 packets, 7 flows done, 5600 files, 0:02");
    ProgressSample live;
    live.live = true;
    live.packets = 10;
    live.dropped = 2;
    live.open = 3;
    live.bytes_written = 2'500'000;
    live.elapsed_s = 65;
    EXPECT_EQ(format_progress(live), "10 packets, 2 dropped, 3 open, 2.5 MB written, 1:05");

    SummaryFacts f;
    f.connections = 5;
    f.files = 10;
    f.bytes_written = 2000;
    f.bytes_read = 5'000'000;
    f.elapsed_s = 0.5;
    f.with_holes = 2;
    f.with_conflicts = 1;
    f.report_path = "out/report.xml";
    f.stats.add(Counter::packets, 100);
    f.stats.add(Counter::not_tcp, 3);
    f.stats.add(Counter::truncated_ip_header, 4);
    const auto lines = summary_lines(f);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0], "read 5.0 MB, 100 packets in 0.5 s (10 MB/s): 5 connections, 10 flow files, 2.0 kB written");
    EXPECT_EQ(lines[1], "2 flow files have holes and 1 has conflicting retransmitted bytes: out/report.xml says where");
    EXPECT_EQ(lines[2], "7 packets not used: 4 with a truncated IP header, 3 not TCP (UDP, ICMP, ...)");
}
