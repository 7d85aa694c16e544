// replay_live_test: the flow index of a live capture of a replayed capture is the file's (issue 16).
//
// The test builds a small capture (five connections: a full HTTP-like exchange, one over IPv6 ended
// by a reset, one picked up mid-stream in a VLAN that stays open, one with a segment missing, one
// ended by a reset as the very last frame), reads it with `tcpflow -r --flow-index`, then replays
// it with tcpreplay onto one end of a veth pair in a private network namespace while the built
// tcpflow captures live on the other end with --flow-index, stops that capture with SIGTERM once
// every frame was processed, and compares the two indexes.
//
// Why the records can match at all: a record's id is the frame number of the connection's first
// packet, so the live capture must see exactly the replayed frames and nothing else. The namespace
// is new (no route anywhere, loopback down), IPv6 is disabled in it before the veth pair exists (so
// no router or neighbour solicitations, no MLD reports), and the pair has no IPv4 address (nothing
// answers the replayed frames, no ARP).
//
// Needs root (a network namespace, a packet socket), `ip` (iproute2) and tcpreplay; skips otherwise.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/netns.h"
#include "support/run.h"

namespace tcpflow::test {
namespace {

using namespace flag_bits;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

const std::string kChecker = std::string(TCPFLOW_SOURCE_DIR) + "/tests/scripts/check_flow_index.py";
const std::string kSchema = std::string(TCPFLOW_SOURCE_DIR) + "/docs/flow-index.schema.json";
constexpr const char* kCaptureEnd = "tfcap0";   // tcpflow -i here
constexpr const char* kReplayEnd = "tfrep0";    // tcpreplay -i here

/// Enters a new network namespace (this thread and what it starts) with a veth pair, IPv6 off.
/// Restores the original namespace on destruction; the pair goes with the namespace.
class VethNamespace {
public:
    VethNamespace() {
        if (!ns_.entered()) {
            why_ = ns_.why();
            return;
        }
        for (const char* tool : {"ip", "tcpreplay"}) {
            const RunResult r = run_program({"/bin/sh", "-c", std::string("command -v ") + tool});
            if (r.exit_code != 0) {
                why_ = std::string("the ") + tool + " command is not installed (tools/deps.sh installs it)";
                return;
            }
            tcpreplay_ = r.out.substr(0, r.out.find('\n'));
        }
        // A child process so /proc/sys/net is the new namespace's. IPv6 off for interfaces made
        // from now on (default) and for any already there (all).
        const std::string script =
            "set -e\n"
            "if [ -d /proc/sys/net/ipv6 ]; then\n"
            "  echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6\n"
            "  echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6\n"
            "fi\n"
            "ip link add " + std::string(kCaptureEnd) + " type veth peer name " + kReplayEnd + "\n" +
            "ip link set " + kCaptureEnd + " up\n" + "ip link set " + kReplayEnd + " up\n";
        const RunResult r = run_program({"/bin/sh", "-c", script});
        if (r.exit_code != 0) {
            why_ = "cannot set up the veth pair: " + r.err;
            return;
        }
        ok_ = true;
    }
    VethNamespace(const VethNamespace&) = delete;
    VethNamespace& operator=(const VethNamespace&) = delete;
    [[nodiscard]] bool ok() const { return ok_; }
    [[nodiscard]] const std::string& why() const { return why_; }
    [[nodiscard]] const std::string& tcpreplay() const { return tcpreplay_; }

private:
    EnteredNetns ns_;
    bool ok_ = false;
    std::string why_, tcpreplay_;   // tcpreplay's path
};

/// tcpflow running in the background, its stderr in a file; killed if still running at the end.
class Background {
public:
    Background(const std::vector<std::string>& args, const std::string& err_path) : err_{err_path} {
        pid_ = fork();
        if (pid_ == 0) {
            const int in = open("/dev/null", O_RDONLY);
            const int e = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (in < 0 || e < 0) _exit(127);
            dup2(in, 0);
            dup2(e, 1);
            dup2(e, 2);
            ::signal(SIGTERM, SIG_DFL);
            std::vector<char*> argv{const_cast<char*>(TCPFLOW_BINARY)};
            for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
            argv.push_back(nullptr);
            execv(argv[0], argv.data());
            _exit(127);
        }
    }
    ~Background() {
        if (pid_ > 0 && !done_) {
            kill(pid_, SIGKILL);
            waitpid(pid_, nullptr, 0);
        }
    }
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;
    [[nodiscard]] std::string err() const { return read_file(err_); }
    bool running() {
        if (!done_ && waitpid(pid_, &status_, WNOHANG) == pid_) done_ = true;
        return !done_;
    }
    void signal(int sig) const { kill(pid_, sig); }
    /// The exit status (128+N for signal N), or 124 after `limit` (then killed).
    int wait(milliseconds limit) {
        const auto deadline = Clock::now() + limit;
        while (running()) {
            if (Clock::now() >= deadline) {
                kill(pid_, SIGKILL);
                waitpid(pid_, &status_, 0);
                done_ = true;
                return 124;
            }
            std::this_thread::sleep_for(milliseconds(2));   // polling, not timing
        }
        return WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
    }

private:
    pid_t pid_ = -1;
    int status_ = 0;
    bool done_ = false;
    std::string err_;
};

/// Polls `done` every millisecond until it holds (true) or `limit` passes (false).
template <class Pred>
bool poll_until(Pred done, milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!done()) {
        if (Clock::now() >= deadline) return false;
        std::this_thread::sleep_for(milliseconds(1));   // polling, not timing
    }
    return true;
}

int count_lines(const std::string& s) {
    int n = 0;
    for (const char c : s) n += c == '\n';
    return n;
}

/// One TCP connection's frames, added to the shared capture as the test interleaves them.
struct Conn {
    Capture& cap;
    std::string client, server;
    std::uint16_t cport, sport;
    std::vector<VlanTag> tags;
    std::uint32_t cseq = 1000, sseq = 50000;

    void send(bool from_client, std::uint8_t flags, const std::string& data = {}) {
        TcpSpec t = from_client ? tcp_spec(client, server, cport, sport, cseq, flags, data, sseq)
                                : tcp_spec(server, client, sport, cport, sseq, flags, data, cseq);
        cap.add(eth_tcp(t, tags, true));
        std::uint32_t& seq = from_client ? cseq : sseq;
        seq += static_cast<std::uint32_t>(data.size()) + ((flags & (SYN | FIN)) ? 1u : 0u);
    }
    void handshake() {
        send(true, SYN);
        send(false, SYN | ACK);
        send(true, ACK);
    }
    /// A segment the capture never saw: the sequence number moves on, no frame.
    void lose(bool from_client, std::size_t n) { (from_client ? cseq : sseq) += static_cast<std::uint32_t>(n); }
};

/// Five connections, interleaved; A, B and E end before or with the last frame (E's reset), C and D
/// stay open.
/// Frames 1 ms apart (no gap near any idle timeout, so neither run times a connection out).
void build_capture(const std::string& path) {
    Capture cap;
    Conn a{cap, "192.0.2.1", "192.0.2.2", 40001, 80, {}};
    Conn b{cap, "2001:db8::1", "2001:db8::2", 40002, 25, {}};
    Conn c{cap, "192.0.2.3", "192.0.2.4", 40003, 110, {VlanTag{0x8100, 100}}};
    Conn d{cap, "192.0.2.5", "192.0.2.6", 40004, 21, {}};
    Conn e{cap, "192.0.2.7", "192.0.2.8", 40005, 8080, {}};
    a.handshake();
    c.send(false, PA, "+OK picked up in the middle\r\n");   // no SYN: mid-stream pick-up
    a.send(true, PA, "GET /index.html HTTP/1.1\r\nHost: example.test\r\n\r\n");
    b.handshake();
    a.send(false, PA, "HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");
    d.handshake();
    a.send(false, PA, "hello world\n");
    b.send(true, PA, "EHLO client.example.test\r\n");
    d.send(true, PA, "USER anonymous\r\n");
    d.lose(true, 17);                                        // "PASS guest@test\r\n" never captured
    c.send(true, PA, "STAT\r\n");
    d.send(true, PA, "LIST\r\n");
    a.send(true, FIN | ACK);
    b.send(false, RST | ACK);
    a.send(false, FIN | ACK);
    a.send(true, ACK);
    d.send(false, PA, "150 Here it comes\r\n");
    e.handshake();
    d.send(true, FIN | ACK);
    e.send(true, PA, "ping");
    d.send(false, FIN | ACK);
    c.send(false, PA, "+OK 2 320\r\n");
    e.send(false, PA, "pong");
    e.send(true, RST | ACK);                                 // the last frame
    cap.write(path);
}

TEST(Live, ReplayedCaptureGivesTheFilesFlowIndex) {
    VethNamespace ns;
    if (!ns.ok()) GTEST_SKIP() << "live replay: " << ns.why();
    TempDir tmp, from_file, live;
    const std::string cap = tmp / "five.pcap";
    build_capture(cap);

    const RunResult f = run_tcpflow({"-r", cap, "-o", from_file.path(), "--flow-index"});
    ASSERT_EQ(f.exit_code, 0) << f.err;
    const std::string file_index = read_file(from_file / "flows.jsonl");
    ASSERT_EQ(count_lines(file_index), 5) << file_index;
    // C (no end seen) and D (its client's FIN waits behind the hole) are open at the end; the other
    // records are written when their connection closes, the last one (E's) by the capture's last
    // frame: once that many lines are in the live index, the live capture has read every frame.
    std::size_t open_at_end = 0;
    for (std::size_t at = 0; (at = file_index.find("\"close\":\"end_of_input\",\"handshake\"", at)) != std::string::npos; ++at)
        ++open_at_end;
    ASSERT_EQ(open_at_end, 2u) << file_index;
    const int closed = 5 - static_cast<int>(open_at_end);

    Background tf({"-i", kCaptureEnd, "-o", live.path(), "--flow-index"}, tmp / "tcpflow.err");
    ASSERT_TRUE(poll_until([&] { return tf.err().find("listening on") != std::string::npos || !tf.running(); },
                           milliseconds(10000)))
        << tf.err();
    ASSERT_TRUE(tf.running()) << tf.err();
    const RunResult rep = run_program({ns.tcpreplay(), "--intf1=" + std::string(kReplayEnd), "--topspeed", cap});
    ASSERT_EQ(rep.exit_code, 0) << rep.out << rep.err;
    const std::string live_index = live / "flows.jsonl";
    const bool all_read = poll_until(
        [&] {
            const std::string t = read_file(live_index);
            return count_lines(t) >= closed && t.back() == '\n';
        },
        milliseconds(5000));
    EXPECT_TRUE(all_read) << "the live capture did not see every connection close: " << read_file(live_index) << tf.err();
    tf.signal(SIGTERM);
    ASSERT_EQ(tf.wait(milliseconds(5000)), 0) << tf.err();

    // Same records after sorting by id, except the timestamps: tcpreplay sends the frames now, as
    // fast as it can, so the record's first/last and each direction's first/last (the capture
    // times) differ. Everything else (ids = frame numbers, endpoints, VLAN, files, byte, packet
    // and hole counts, close reasons, flags) must be equal.
    const RunResult cmp = run_program({"/usr/bin/python3", kChecker, kSchema, live_index, live.path(), "--same-except-times",
                                       from_file / "flows.jsonl"});
    if (cmp.exit_code == 77) GTEST_SKIP() << cmp.err;
    EXPECT_EQ(cmp.exit_code, 0) << cmp.err << "\nlive:\n" << read_file(live_index) << "file:\n" << file_index;

    // The comparison tells a connection the live capture did not see: drop one record.
    const std::string text = read_file(live_index);
    std::ofstream(tmp / "one-less.jsonl") << text.substr(text.find('\n') + 1);
    const RunResult less = run_program({"/usr/bin/python3", kChecker, kSchema, tmp / "one-less.jsonl", live.path(),
                                        "--same-except-times", from_file / "flows.jsonl"});
    EXPECT_EQ(less.exit_code, 1) << less.err;
}

}  // namespace
}  // namespace tcpflow::test
