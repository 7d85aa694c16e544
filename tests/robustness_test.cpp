// Robustness, end to end against the built binary (SPEC section 6): hostile inputs stay inside
// --max-memory (peak RSS measured with wait4), lose no byte that arrived, and faults (full disk,
// unwritable folder, missing/bogus/truncated input, standard input closed early) give one clear
// message naming the file and the reason, save what can be saved, complete report.xml and exit 1.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <thread>

#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/run.h"

namespace tcpflow::test {
namespace {

namespace fs = std::filesystem;
using namespace std::string_literals;

using namespace flag_bits;

constexpr long kLimitMiB = 8;
constexpr long kOverheadMiB = 40;   // binary, libc, libpcap buffers, allocator slack

/// Peak RSS must stay under --max-memory (`limit` MiB) plus a fixed overhead. Sanitizer builds
/// (shadow memory, quarantine) are not measured.
void expect_rss_bounded(const RunResult& r, const std::string& what, long limit = kLimitMiB, long overhead = kOverheadMiB) {
    std::printf("[ rss      ] %s: peak RSS %.1f MiB (limit %ld MiB + %ld MiB)%s\n", what.c_str(),
                static_cast<double>(r.peak_rss_kib) / 1024.0, limit, overhead,
                kSanitizedBuild ? " (sanitizer build: not checked)" : "");
    if (!kSanitizedBuild) {
        EXPECT_LT(r.peak_rss_kib, (limit + overhead) * 1024) << what;
    }
}

/// Stream byte `off` of flow `flow`: never zero, so a zero in a file is a hole.
std::uint8_t pattern(std::uint64_t flow, std::uint64_t off) {
    return static_cast<std::uint8_t>('A' + (off * 7 + flow * 13 + off / 251) % 26);
}
std::string pattern_text(std::uint64_t flow, std::uint64_t off, std::size_t n) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(pattern(flow, off + i));
    return s;
}

Frame seg(const std::string& src, const std::string& dst, std::uint16_t sport, std::uint16_t dport, std::uint32_t seq,
          std::uint8_t flags, std::string payload = {}) {
    return eth_tcp(tcp_spec(src, dst, sport, dport, seq, flags, std::move(payload), 1));
}

bool report_complete(const std::string& path) {
    const std::string r = read_file(path);
    return r.find("</dfxml>") != std::string::npos;
}

struct Robust : ::testing::Test {
    TempDir dir;
    std::string pcap() const { return dir / "in.pcap"; }
    std::string out() const { return dir / "out"; }
    std::map<std::string, std::string> files() const { return test::files(out()); }
};

// ------------------------------------------------------------------------------- memory limits

// 200,000 connections (SYN to distinct ports) push the flow table past 8M many times over, while
// 40 long conversations interleaved with them must still come out byte-exact: connections closed
// for the limit continue their files at the right offset.
TEST_F(Robust, TwoHundredThousandSynsStayInsideTheLimitAndLoseNothing) {
    constexpr int kSyns = 200'000, kTalks = 40, kChunks = 10, kChunk = 500;
    Capture cap{1, 10};
    cap.reserve(kSyns + kTalks * (kChunks + 1));
    auto add = [&](Frame f) { cap.add(std::move(f)); };
    for (int t = 0; t < kTalks; ++t) add(seg("10.9.0.1", "10.9.0.2", static_cast<std::uint16_t>(20000 + t), 80, 1000, SYN));
    for (int i = 0; i < kSyns; ++i) {
        const auto port = static_cast<std::uint16_t>(1 + i % 65000);
        const std::string src = "10.1." + std::to_string(i / 65000) + ".1";
        add(seg(src, "10.2.0.1", port, 443, static_cast<std::uint32_t>(i) * 7919u, SYN));
        if (i % (kSyns / kChunks) == kSyns / kChunks / 2) {
            const int c = i / (kSyns / kChunks);
            for (int t = 0; t < kTalks; ++t)
                add(seg("10.9.0.1", "10.9.0.2", static_cast<std::uint16_t>(20000 + t), 80,
                        1001u + static_cast<std::uint32_t>(c * kChunk), PA,
                        pattern_text(static_cast<std::uint64_t>(t), static_cast<std::uint64_t>(c) * kChunk, kChunk)));
        }
    }
    cap.write(pcap());
    cap = Capture{};
    const auto r = run_tcpflow({"-r", pcap(), "-o", out(), "--max-memory", "8M"}, RunOptions{"", 120, 0});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_rss_bounded(r, "200,000 SYNs");
    const auto f = files();
    EXPECT_EQ(f.size(), static_cast<std::size_t>(kTalks)) << "SYN-only directions get no file";
    for (int t = 0; t < kTalks; ++t) {
        const auto name = flow_name("10.9.0.1", static_cast<std::uint16_t>(20000 + t), "10.9.0.2", 80);
        ASSERT_TRUE(f.count(name)) << name;
        EXPECT_TRUE(f.at(name) == pattern_text(static_cast<std::uint64_t>(t), 0, kChunks * kChunk)) << name;
    }
    EXPECT_TRUE(report_complete(out() + "/report.xml"));
}

// 20,000 UDP conversations (a query and an answer each) inside the 60 s UDP timeout: all would
// stay open. --max-memory 8M must close the oldest for the limit before they outgrow it. An
// open conversation was charged 1 KiB, while with its two open files it costs about 3 KiB: this
// run peaked at 41 MiB; charged what they hold, 26 MiB.
TEST_F(Robust, ManyOpenUdpConversationsStayNearTheLimit) {
    constexpr int kConversations = 20'000;
    constexpr long kLimit = 8, kOverhead = 24;   // MiB: binary, libraries, buffers, allocator slack
    Capture cap{1, 200};
    cap.reserve(2 * kConversations);
    const std::string q(40, 'q'), a(120, 'a');
    auto datagram = [](IpAddress s, IpAddress d, std::uint16_t sp, std::uint16_t dp, const std::string& payload) {
        const Frame u = udp_datagram(sp, dp, Bytes{reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()});
        return ethernet_frame(0x0800, bytes(ipv4_packet(s, d, 17, bytes(u))));
    };
    const IpAddress server = IpAddress::v4(10, 0, 0, 53);
    for (int i = 0; i < kConversations; ++i) {
        const IpAddress client = IpAddress::v4(10, 1, static_cast<std::uint8_t>(i / 250), static_cast<std::uint8_t>(i % 250 + 1));
        const auto port = static_cast<std::uint16_t>(10000 + i % 50000);
        cap.add(datagram(client, server, port, 53, q));
        cap.add(datagram(server, client, 53, port, a));
    }
    cap.write(pcap());
    cap = Capture{};
    const auto r = run_tcpflow({"--udp", "-r", pcap(), "-o", out(), "--max-memory", std::to_string(kLimit) + "M"},
                               RunOptions{"", 120, 0});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_rss_bounded(r, std::to_string(kConversations) + " UDP conversations", kLimit, kOverhead);
    const std::string report = read_file(out() + "/report.xml");
    EXPECT_NE(report.find("close_reason='limit'"), std::string::npos) << "nothing was closed for the limit";
    EXPECT_EQ(files().size(), 2u * kConversations) << "a file per direction";
}

// One flow whose segments all arrive in reverse order behind a hole that never fills: 15 MB of
// buffered data against an 8M limit (kept under -m, 16 MiB, so the first segment is not a jump). Holes are given up oldest first; every byte lands at its
// offset and the never-filled hole reads back as zeros.
TEST_F(Robust, OutOfOrderFlowBehindAPermanentHoleExceedsTheLimit) {
    constexpr std::uint32_t kHole = 1000, kSeg = 1400, kSegs = 11'000;   // 15.4 MB after the hole
    Capture cap{1, 10};
    cap.reserve(kSegs + 2);
    auto add = [&](Frame f) { cap.add(std::move(f)); };
    const std::uint32_t isn = 0xFFFF0000u;   // the stream wraps the sequence space too
    add(seg("10.0.0.1", "10.0.0.2", 1234, 80, isn, SYN));
    for (std::uint32_t i = kSegs; i-- > 0;) {
        const std::uint64_t off = kHole + static_cast<std::uint64_t>(i) * kSeg;
        add(seg("10.0.0.1", "10.0.0.2", 1234, 80, isn + 1 + static_cast<std::uint32_t>(off), PA, pattern_text(1, off, kSeg)));
    }
    cap.write(pcap());
    cap = Capture{};
    const auto r = run_tcpflow({"-r", pcap(), "-o", out(), "--max-memory", "8M"}, RunOptions{"", 120, 0});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_rss_bounded(r, "out-of-order flow behind a hole");
    const auto f = files();
    const auto name = flow_name("10.0.0.1", 1234, "10.0.0.2", 80);
    ASSERT_EQ(f.count(name), 1u);
    const std::string& got = f.at(name);
    const std::uint64_t total = kHole + static_cast<std::uint64_t>(kSegs) * kSeg;
    ASSERT_EQ(got.size(), total);
    EXPECT_EQ(got.substr(0, kHole), std::string(kHole, '\0')) << "the hole reads back as zeros";
    EXPECT_TRUE(got.substr(kHole) == pattern_text(1, kHole, static_cast<std::size_t>(total - kHole)))
        << "every byte at its offset";
    const std::string report = read_file(out() + "/report.xml");
    EXPECT_NE(report.find("hole"), std::string::npos);
    EXPECT_TRUE(report_complete(out() + "/report.xml"));
}

// Sequence numbers jumping 2 GiB back and forth (half the sequence space: neither clearly ahead nor
// behind). Must not grow memory or write gigabyte-sized files; every payload is stored somewhere.
TEST_F(Robust, TwoGibSequenceJumpsBackAndForth) {
    constexpr int kPackets = 4000;
    Capture cap;
    cap.add(seg("10.0.0.1", "10.0.0.2", 1234, 80, 1000, SYN));
    std::vector<std::string> payloads;
    for (int i = 0; i < kPackets; ++i) {
        const std::uint32_t seq = 1001u + ((i % 2) ? 0x80000000u : 0u) + static_cast<std::uint32_t>(i / 2) * 32u;
        char p[48];
        std::snprintf(p, sizeof p, "<packet %06d of the jump test>", i % 1000000);
        payloads.emplace_back(p);
        cap.add(seg("10.0.0.1", "10.0.0.2", 1234, 80, seq, PA, payloads.back()));
    }
    cap.write(pcap());
    const auto r = run_tcpflow({"-r", pcap(), "-o", out(), "--max-memory", "8M"}, RunOptions{"", 120, 0});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_rss_bounded(r, "2 GiB sequence jumps");
    std::uintmax_t disk = 0;
    std::string all;
    for (const auto& e : fs::recursive_directory_iterator(out())) {
        if (!e.is_regular_file() || e.path().filename() == "report.xml") continue;
        EXPECT_LT(e.file_size(), 64u << 20) << e.path() << ": a jump must not make a 2 GiB file";
        struct stat st{};
        ::stat(e.path().c_str(), &st);
        disk += static_cast<std::uintmax_t>(st.st_blocks) * 512;
        all += read_file(e.path().string());
    }
    EXPECT_LT(disk, 64u << 20);
    int missing = 0;
    for (const auto& p : payloads) missing += all.find(p) == std::string::npos;
    EXPECT_EQ(missing, 0) << "payloads that arrived but were not stored";
    EXPECT_TRUE(report_complete(out() + "/report.xml"));
}

// 100,000 IPv4 fragments that never complete (first fragments of distinct datagrams), with a
// conversation in between that must come out whole.
TEST_F(Robust, HundredThousandIncompleteFragments) {
    constexpr int kFrags = 100'000;
    Capture cap{1, 20};
    cap.reserve(kFrags + 64);
    auto add = [&](Frame f) { cap.add(std::move(f)); };
    const std::string body(200, 'f');
    add(seg("10.0.0.1", "10.0.0.2", 1234, 80, 1000, SYN));
    std::string expected;
    for (int i = 0; i < kFrags; ++i) {
        Ipv4Spec s;
        s.id = static_cast<std::uint16_t>(i);
        s.more_fragments = true;
        s.fragment_offset = static_cast<std::uint16_t>((i % 3) * 8);
        const Frame udp = udp_datagram(5000, 5001, Bytes{reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
        const std::string src = "10.50." + std::to_string((i >> 8) & 0xff) + "." + std::to_string(i & 0xff);
        add(ethernet_frame(0x0800, bytes(ipv4_packet(ip(src), ip("10.60.0.1"), 17, bytes(udp), s))));
        if (i % 5000 == 0) {
            const std::string d = pattern_text(2, expected.size(), 300);
            add(seg("10.0.0.1", "10.0.0.2", 1234, 80, 1001u + static_cast<std::uint32_t>(expected.size()), PA, d));
            expected += d;
        }
    }
    cap.write(pcap());
    cap = Capture{};
    const auto r = run_tcpflow({"-r", pcap(), "-o", out(), "--max-memory", "8M"}, RunOptions{"", 120, 0});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    expect_rss_bounded(r, "100,000 incomplete fragments");
    const auto f = files();
    ASSERT_EQ(f.size(), 1u);
    EXPECT_TRUE(f.begin()->second == expected);
    EXPECT_TRUE(report_complete(out() + "/report.xml"));
}

// 3,000 concurrent connections under a 256-descriptor limit: files are closed and reopened on
// demand, and every one is byte-exact.
TEST_F(Robust, ThreeThousandConcurrentFlowsUnderUlimit256) {
    constexpr int kConns = 3000, kRounds = 4, kChunk = 100;
    Capture cap;
    auto client = [](int c) { return "10.7." + std::to_string(c / 250) + "." + std::to_string(c % 250 + 1); };
    for (int c = 0; c < kConns; ++c) cap.add(seg(client(c), "10.8.0.1", 40000, 80, 1000, SYN));
    for (int round = 0; round < kRounds; ++round)
        for (int c = 0; c < kConns; ++c)
            cap.add(seg(client(c), "10.8.0.1", 40000, 80, 1001u + static_cast<std::uint32_t>(round * kChunk), PA,
                        pattern_text(static_cast<std::uint64_t>(c), static_cast<std::uint64_t>(round) * kChunk, kChunk)));
    for (int c = 0; c < kConns; ++c)
        cap.add(seg(client(c), "10.8.0.1", 40000, 80, 1001u + kRounds * kChunk, FIN | ACK));
    cap.write(pcap());
    RunOptions o;
    o.timeout_s = 120;
    o.max_open_files = 256;
    const auto r = run_tcpflow({"-r", pcap(), "-o", out()}, o);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    EXPECT_EQ(f.size(), static_cast<std::size_t>(kConns));
    int bad = 0;
    for (int c = 0; c < kConns; ++c) {
        const auto it = f.find(flow_name(client(c), 40000, "10.8.0.1", 80));
        bad += it == f.end() || it->second != pattern_text(static_cast<std::uint64_t>(c), 0, kRounds * kChunk);
    }
    EXPECT_EQ(bad, 0);
    EXPECT_TRUE(report_complete(out() + "/report.xml"));
}

// ------------------------------------------------------------------------------- faults

/// Mounts a tmpfs (root only, and only where mounting is permitted); unmounted by the destructor.
struct TmpfsMount {
    std::string path;
    bool ok = false;
    std::string why;
    TmpfsMount(const std::string& p, const char* options) : path{p} {
        fs::create_directories(p);
        if (::mount("tcpflow-test", p.c_str(), "tmpfs", 0, options) == 0) {
            ok = true;
        } else {
            why = std::string("cannot mount a tmpfs here: ") + std::strerror(errno);
        }
    }
    ~TmpfsMount() {
        if (ok) ::umount2(path.c_str(), MNT_DETACH);
    }
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;
};

// A 1 MiB output disk: a small flow written before it fills stays whole, the flow that fills it
// keeps what fit, later flows are still attempted; one message names the file and ENOSPC; the
// report (kept elsewhere with -X) is completed; exit 1.
TEST_F(Robust, DiskFullKeepsWhatFitAndSaysWhich) {
    TmpfsMount m{out(), "size=1m"};
    if (!m.ok) GTEST_SKIP() << m.why;
    Capture cap;
    const std::string small = pattern_text(1, 0, 3000);
    cap.add(seg("10.0.0.1", "10.0.0.2", 1111, 80, 1000, SYN));
    cap.add(seg("10.0.0.1", "10.0.0.2", 1111, 80, 1001, PA, small));
    cap.add(seg("10.0.0.1", "10.0.0.2", 1111, 80, 1001 + 3000, FIN | ACK));
    cap.add(seg("10.0.0.3", "10.0.0.2", 2222, 80, 1000, SYN));
    constexpr std::uint32_t kBig = 2'000'000, kSeg = 1400;
    for (std::uint32_t off = 0; off < kBig; off += kSeg)
        cap.add(seg("10.0.0.3", "10.0.0.2", 2222, 80, 1001 + off, PA, pattern_text(2, off, kSeg)));
    cap.add(seg("10.0.0.4", "10.0.0.2", 3333, 80, 1000, SYN));
    cap.add(seg("10.0.0.4", "10.0.0.2", 3333, 80, 1001, PA, "after the disk filled"));
    cap.write(pcap());
    const std::string report = dir / "report.xml";
    const auto r = run_tcpflow({"-r", pcap(), "-o", out(), "-X", report});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    const std::string big_name = flow_name("10.0.0.3", 2222, "10.0.0.2", 80);
    EXPECT_NE(r.err.find(big_name + ": No space left on device"), std::string::npos) << r.err;
    std::size_t mentions = 0;
    for (auto pos = r.err.find(big_name); pos != std::string::npos; pos = r.err.find(big_name, pos + 1)) ++mentions;
    EXPECT_EQ(mentions, 1u) << "one message for the file that filled the disk: " << r.err;
    const std::string small_name = flow_name("10.0.0.1", 1111, "10.0.0.2", 80);
    EXPECT_TRUE(read_file(out() + "/" + small_name) == small) << "the flow written before the disk filled stays whole";
    const std::string big = read_file(out() + "/" + big_name);
    EXPECT_GT(big.size(), 0u);
    EXPECT_LT(big.size(), kBig);
    EXPECT_TRUE(big == pattern_text(2, 0, big.size())) << "what fit is the flow's beginning, byte-exact";
    EXPECT_TRUE(report_complete(report));
}

/// One <fileobject> of a report: its file (empty: none), filesize and write_error ("": none).
struct ReportedFile {
    std::string filename, write_error;
    std::uint64_t filesize = 0;
};
std::string between(const std::string& s, const std::string& open, const std::string& close) {
    const auto a = s.find(open);
    if (a == std::string::npos) return {};
    const auto b = s.find(close, a + open.size());
    return b == std::string::npos ? std::string{} : s.substr(a + open.size(), b - a - open.size());
}
std::vector<ReportedFile> reported_files(const std::string& report) {
    std::vector<ReportedFile> out;
    for (auto at = report.find("<fileobject>\n"); at != std::string::npos; at = report.find("<fileobject>\n", at + 1)) {
        const std::string obj = report.substr(at, report.find("</fileobject>\n", at) - at);
        ReportedFile f;
        f.filename = between(obj, "<filename>", "</filename>");
        f.filesize = std::stoull("0" + between(obj, "<filesize>", "</filesize>"));
        f.write_error = between(obj, "write_error='", "'");
        out.push_back(f);
    }
    return out;
}

// Item 5 of issue 21: after a write error the report says what each file holds (filesize = the
// bytes on disk) and that writing it failed (write_error='No space left on device'), and a file
// whose write failed still gets its first packet's time. A 300 KiB disk: the 1 MB flow fills it,
// the flows after it get nothing. With the I/O thread, with -j 2 (one per worker) and in line
// (-e md5 reads each file back, so its writes are made in line).
TEST_F(Robust, AfterAWriteErrorTheReportSaysWhatEachFileHolds) {
    TmpfsMount m{out(), "size=300k"};
    if (!m.ok) GTEST_SKIP() << m.why;
    Capture cap;
    constexpr std::uint32_t kBig = 1'000'000, kSeg = 1400;
    cap.add(seg("10.0.0.3", "10.0.0.2", 2222, 80, 1000, SYN));
    for (std::uint32_t off = 0; off < kBig; off += kSeg)
        cap.add(seg("10.0.0.3", "10.0.0.2", 2222, 80, 1001 + off, PA, pattern_text(2, off, std::min(kSeg, kBig - off))));
    cap.add(seg("10.0.0.3", "10.0.0.2", 2222, 80, 1001 + kBig, FIN | ACK));
    std::map<std::string, std::string> whole;   // file -> the stream it should hold
    whole[out() + "/" + flow_name("10.0.0.3", 2222, "10.0.0.2", 80)] = pattern_text(2, 0, kBig);
    for (std::uint16_t port = 3000; port < 3004; ++port) {
        whole[out() + "/" + flow_name("10.0.0.4", port, "10.0.0.2", 80)] = pattern_text(port, 0, 20000);
        cap.add(seg("10.0.0.4", "10.0.0.2", port, 80, 1000, SYN));
        cap.add(seg("10.0.0.4", "10.0.0.2", port, 80, 1001, PA, pattern_text(port, 0, 20000)));
        cap.add(seg("10.0.0.4", "10.0.0.2", port, 80, 21001, FIN | ACK));
    }
    cap.write(pcap());
    const std::vector<std::vector<std::string>> modes = {{}, {"-j", "2"}, {"-e", "md5"}};
    for (std::size_t k = 0; k < modes.size(); ++k) {
        SCOPED_TRACE("mode " + std::to_string(k));
        for (const auto& e : fs::directory_iterator(out())) fs::remove_all(e.path());
        const std::string report = dir / ("report" + std::to_string(k) + ".xml");
        std::vector<std::string> args{"-r", pcap(), "-o", out(), "-X", report};
        args.insert(args.end(), modes[k].begin(), modes[k].end());
        const auto r = run_tcpflow(args);
        EXPECT_EQ(r.exit_code, 1) << r.err;
        EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
        ASSERT_TRUE(report_complete(report));
        const auto files = reported_files(read_file(report));
        std::size_t listed = 0, failed = 0;
        for (const ReportedFile& f : files) {
            if (f.filename.empty()) continue;
            ++listed;
            struct stat st{};
            ASSERT_EQ(::stat(f.filename.c_str(), &st), 0) << f.filename << " is listed but not there";
            EXPECT_EQ(f.filesize, static_cast<std::uint64_t>(st.st_size)) << f.filename << ": the report says what it holds";
            EXPECT_EQ(st.st_mtim.tv_sec, 1600000000) << f.filename << ": its first packet's time, also after a failure";
            if (!f.write_error.empty()) {
                ++failed;
                EXPECT_EQ(f.write_error, "No space left on device") << f.filename;
                EXPECT_TRUE(read_file(f.filename) == whole.at(f.filename).substr(0, f.filesize))
                    << f.filename << ": what fit is the flow's beginning";
            } else {
                EXPECT_TRUE(whole.count(f.filename) && read_file(f.filename) == whole.at(f.filename))
                    << f.filename << " has no write_error but is not whole";
            }
        }
        EXPECT_EQ(listed, 5u) << "every file created is listed";
        EXPECT_GE(failed, 1u) << "at least the flow that filled the disk says so";
        const std::string big = out() + "/" + flow_name("10.0.0.3", 2222, "10.0.0.2", 80);
        const auto it = std::find_if(files.begin(), files.end(), [&](const ReportedFile& f) { return f.filename == big; });
        ASSERT_NE(it, files.end());
        EXPECT_EQ(it->write_error, "No space left on device");
        EXPECT_LT(it->filesize, kBig);
    }
}

// The output folder is a read-only file system (root ignores permission bits, so chmod would not
// do): every flow fails with a message naming its file, the report elsewhere completes, exit 1.
TEST_F(Robust, ReadOnlyOutputFolder) {
    TmpfsMount m{out(), "size=1m,ro"};
    if (!m.ok) GTEST_SKIP() << m.why;
    Capture cap;
    cap.add(seg("10.0.0.1", "10.0.0.2", 1111, 80, 1000, SYN));
    cap.add(seg("10.0.0.1", "10.0.0.2", 1111, 80, 1001, PA, "hello"));
    cap.write(pcap());
    const std::string report = dir / "report.xml";
    const auto r = run_tcpflow({"-r", pcap(), "-o", out(), "-X", report});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(flow_name("10.0.0.1", 1111, "10.0.0.2", 80)), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Read-only file system"), std::string::npos) << r.err;
    EXPECT_TRUE(report_complete(report));
}

// The output "folder" is a regular file: the folder cannot be created. One message naming it.
TEST_F(Robust, OutputFolderIsAFile) {
    Capture cap;
    cap.add(seg("10.0.0.1", "10.0.0.2", 1111, 80, 1001, PA, "hello"));
    cap.write(pcap());
    std::ofstream(dir / "file") << "x";
    const auto r = run_tcpflow({"-r", pcap(), "-o", dir / "file/out"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find(dir / "file"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("Not a directory"), std::string::npos) << r.err;
}

TEST_F(Robust, MissingInputNamesItCompletesTheReport) {
    const auto r = run_tcpflow({"-r", dir / "missing.pcap", "-o", out()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("missing.pcap"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("No such file"), std::string::npos) << r.err;
    EXPECT_TRUE(report_complete(out() + "/report.xml"));
}

TEST_F(Robust, InputNotACaptureNamesItCompletesTheReport) {
    std::ofstream(dir / "notes.txt") << "Dear diary, today I captured no packets at all.\n";
    const auto r = run_tcpflow({"-r", dir / "notes.txt", "-o", out()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("notes.txt"), std::string::npos) << r.err;
    EXPECT_TRUE(report_complete(out() + "/report.xml"));
}

Capture two_messages() {
    Capture cap;
    cap.add(seg("10.0.0.1", "10.0.0.2", 1234, 80, 1000, SYN));
    cap.add(seg("10.0.0.1", "10.0.0.2", 1234, 80, 1001, PA, "saved before the cut\n"));
    cap.add(seg("10.0.0.1", "10.0.0.2", 1234, 80, 1022, PA, "this record is cut in the middle\n"));
    return cap;
}

// A good capture followed by one truncated mid-record: the first file's flows and the second's
// complete records are written, the message names the truncated file, exit 1.
TEST_F(Robust, TruncatedMidRecordSavesEverythingBeforeIt) {
    two_messages().write(pcap());
    fs::resize_file(pcap(), fs::file_size(pcap()) - 12);
    const auto r = run_tcpflow({"-r", pcap(), "-o", out()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("in.pcap"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one message: " << r.err;
    EXPECT_EQ(files().at(flow_name("10.0.0.1", 1234, "10.0.0.2", 80)), "saved before the cut\n");
    EXPECT_TRUE(report_complete(out() + "/report.xml"));
}

// Standard input is a pipe whose writer goes away in the middle of a record.
TEST_F(Robust, StandardInputClosedMidRecord) {
    two_messages().write(pcap());
    const std::string all = read_file(pcap());
    const std::string fifo = dir / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    std::thread writer([&] {
        const int fd = ::open(fifo.c_str(), O_WRONLY);
        if (fd < 0) return;
        const std::size_t n = all.size() - 12;
        std::size_t done = 0;
        while (done < n) {
            const ssize_t w = ::write(fd, all.data() + done, n - done);
            if (w <= 0) break;
            done += static_cast<std::size_t>(w);
        }
        ::close(fd);
    });
    RunOptions o;
    o.stdin_path = fifo;
    const auto r = run_tcpflow({"-r", "-", "-o", out()}, o);
    writer.join();
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_FALSE(r.err.empty());
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one message: " << r.err;
    EXPECT_EQ(files().at(flow_name("10.0.0.1", 1234, "10.0.0.2", 80)), "saved before the cut\n");
    EXPECT_TRUE(report_complete(out() + "/report.xml"));
}

// ------------------------------------------------------------------------------- output paths

TEST_F(Robust, TemplatesCannotLeaveTheOutputFolder) {
    Capture cap;
    cap.add(seg("10.0.0.1", "10.0.0.2", 1234, 80, 1001, PA, "x"));
    cap.write(pcap());
    for (const std::string t : {"../%A", "%A/../../x", "..", "/tmp/%A", "/etc/passwd", "a/./../b"}) {
        const auto r = run_tcpflow({"-r", pcap(), "-o", out(), "-T", t});
        EXPECT_EQ(r.exit_code, 2) << t << ": " << r.err;
        EXPECT_FALSE(r.err.empty()) << t;
    }
    EXPECT_FALSE(fs::exists(dir / "010.000.000.001"));
}

TEST_F(Robust, EveryFileLandsUnderTheOutputFolder) {
    Capture cap;
    cap.add(seg("10.0.0.1", "10.0.0.2", 1234, 80, 1001, PA, "v4"));
    cap.add(eth_tcp(tcp_spec("2001:db8::1", "::ffff:10.0.0.2", 1, 2, 5, PA, "v6")));
    cap.write(pcap());
    const fs::path outdir = fs::path(out()) / "inner";
    for (const std::string tmpl : {"%A/%a/%B/%b", "%T/%t/%N", "x%A..%B", "%E/%e/x%V%v"}) {
        const auto r = run_tcpflow({"-r", pcap(), "-o", outdir.string(), "-T", tmpl, "-X", "/dev/null"});
        EXPECT_EQ(r.exit_code, 0) << tmpl << ": " << r.err;
    }
    // Nothing but the output folder was created next to the capture.
    std::vector<std::string> top;
    for (const auto& e : fs::directory_iterator(dir.path())) top.push_back(e.path().filename().string());
    std::sort(top.begin(), top.end());
    EXPECT_EQ(top, (std::vector<std::string>{"in.pcap", "out"}));
    int n = 0;
    for (const auto& e : fs::recursive_directory_iterator(outdir)) {
        if (!e.is_regular_file()) continue;
        ++n;
        const auto rel = fs::relative(fs::weakly_canonical(e.path()), fs::weakly_canonical(outdir)).string();
        EXPECT_NE(rel.rfind("..", 0), 0u) << rel;
    }
    EXPECT_EQ(n, 8);
}

}  // namespace
}  // namespace tcpflow::test
