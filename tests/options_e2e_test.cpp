// End to end for -w, -K, -S tcp_alert_fd / tcp_cmd, -L, -q and -I: captures built in the test,
// run through the built binary, output files read back.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <semaphore.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <set>
#include <future>
#include <sstream>
#include <string>
#include <thread>

#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/run.h"

namespace tcpflow::test {
namespace {

namespace fs = std::filesystem;

using namespace flag_bits;
const std::string kC = "010.000.000.001.01234-010.000.000.002.00080";
const std::string kS = "010.000.000.002.00080-010.000.000.001.01234";

/// A short conversation: handshake, one request, one response, FINs (7 frames).
void conversation(Capture& cap, std::uint16_t cport = 1234, std::uint32_t cisn = 1000) {
    cap.add(eth_tcp(seg(true, cisn, SYN, "", cport)));
    cap.add(eth_tcp(seg(false, 5000, SYN | ACK, "", cport)));
    cap.add(eth_tcp(seg(true, cisn + 1, ACK, "", cport)));
    cap.add(eth_tcp(seg(true, cisn + 1, PA, "GET / HTTP/1.0\r\n\r\n", cport)));
    cap.add(eth_tcp(seg(false, 5001, PA, "HTTP/1.0 200 OK\r\n\r\nhello\n", cport)));
    cap.add(eth_tcp(seg(false, 5026, FIN | ACK, "", cport)));
    cap.add(eth_tcp(seg(true, cisn + 19, FIN | ACK, "", cport)));
}

Frame arp_frame() {
    const Frame body(28, 0x11);
    return ethernet_frame(0x0806, bytes(body));
}
Frame udp_frame() {
    const std::string p = "dns?";
    const Frame u = udp_datagram(5353, 53, Bytes{reinterpret_cast<const std::uint8_t*>(p.data()), p.size()});
    return ethernet_frame(0x0800, bytes(ipv4_packet(ip("10.0.0.1"), ip("10.0.0.9"), 17, bytes(u))));
}
Frame icmp_frame() {
    const Frame echo{8, 0, 0, 0, 0, 1, 0, 1};
    return ethernet_frame(0x0800, bytes(ipv4_packet(ip("10.0.0.1"), ip("10.0.0.9"), 1, bytes(echo))));
}
Frame truncated_ip_frame() {
    const Frame half{0x45, 0x00, 0x00};
    return ethernet_frame(0x0800, bytes(half));
}

/// A pcap file read back: header fields and records.
struct PcapFile {
    bool ok = false, nanosecond = false, big_endian = false;
    std::uint32_t snaplen = 0, linktype = 0;
    struct Rec {
        std::uint32_t sec = 0, frac = 0, caplen = 0, len = 0;
        Frame data;
    };
    std::vector<Rec> recs;
};

PcapFile read_pcap(const std::string& path) {
    PcapFile f;
    const std::string s = read_file(path);
    if (s.size() < 24) return f;
    auto u32 = [&](std::size_t at) {
        std::uint32_t v;
        std::memcpy(&v, s.data() + at, 4);
        return f.big_endian ? __builtin_bswap32(v) : v;
    };
    const std::uint32_t magic = u32(0);
    if (magic == 0xa1b2c3d4 || magic == 0xa1b23c4d) {
    } else if (__builtin_bswap32(magic) == 0xa1b2c3d4 || __builtin_bswap32(magic) == 0xa1b23c4d) {
        f.big_endian = true;
    } else {
        return f;
    }
    f.nanosecond = u32(0) == 0xa1b23c4d;
    f.snaplen = u32(16);
    f.linktype = u32(20);
    std::size_t at = 24;
    while (at + 16 <= s.size()) {
        PcapFile::Rec r{u32(at), u32(at + 4), u32(at + 8), u32(at + 12), {}};
        at += 16;
        if (at + r.caplen > s.size()) return f;
        r.data.assign(s.begin() + static_cast<std::ptrdiff_t>(at), s.begin() + static_cast<std::ptrdiff_t>(at + r.caplen));
        at += r.caplen;
        f.recs.push_back(std::move(r));
    }
    f.ok = at == s.size();
    return f;
}

struct Options : ::testing::Test {
    TempDir dir;
    std::string in() const { return dir / "in.pcap"; }
    std::string out() const { return dir / "out"; }
    std::map<std::string, std::string> files() const { return test::files(out()); }
};

// ---------------------------------------------------------------------------------------------
// -w

TEST_F(Options, UnusedPacketsGoToThePcapAndTcpDoesNot) {
    Capture cap;
    cap.add(arp_frame());
    conversation(cap);
    cap.add(udp_frame());
    cap.add(icmp_frame());
    cap.add(truncated_ip_frame());
    write_pcap(in(), 1, cap.records(), 65535);
    const std::string w = dir / "unused.pcap";
    const auto r = run_tcpflow({"-r", in(), "-o", out(), "-w", w});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const PcapFile p = read_pcap(w);
    ASSERT_TRUE(p.ok);
    EXPECT_EQ(p.linktype, 1u);
    EXPECT_EQ(p.snaplen, 65535u);
    EXPECT_FALSE(p.nanosecond);   // microsecond input stays microsecond
    ASSERT_EQ(p.recs.size(), 4u);
    const auto& recs = cap.records();
    EXPECT_EQ(p.recs[0].data, recs[0].data);    // ARP
    EXPECT_EQ(p.recs[1].data, recs[8].data);    // UDP
    EXPECT_EQ(p.recs[2].data, recs[9].data);    // ICMP
    EXPECT_EQ(p.recs[3].data, recs[10].data);   // malformed
    EXPECT_EQ(p.recs[1].sec, 1600000000u);
    EXPECT_EQ(p.recs[1].frac, static_cast<std::uint32_t>(recs[8].usec));
    // The flows are written as usual.
    const auto f = files();
    EXPECT_EQ(f.at(kC), "GET / HTTP/1.0\r\n\r\n");
    EXPECT_EQ(f.at(kS), "HTTP/1.0 200 OK\r\n\r\nhello\n");
}

TEST_F(Options, UnusedPacketsSkipFragmentsReassembledIntoTcp) {
    Capture cap;
    cap.add(eth_tcp(seg(true, 1000, SYN, "")));
    const Frame tcp = tcp_header_and_payload(seg(true, 1001, PA, "0123456789abcdefghijklmnop"));
    Ipv4Spec a;
    a.id = 77;
    a.more_fragments = true;
    Ipv4Spec b;
    b.id = 77;
    b.fragment_offset = 24;
    const Frame first(tcp.begin(), tcp.begin() + 24), second(tcp.begin() + 24, tcp.end());
    cap.add(ethernet_frame(0x0800, bytes(ipv4_packet(ip("10.0.0.1"), ip("10.0.0.2"), 6, bytes(first), a))));
    cap.add(ethernet_frame(0x0800, bytes(ipv4_packet(ip("10.0.0.1"), ip("10.0.0.2"), 6, bytes(second), b))));
    cap.add(udp_frame());
    cap.write(in());
    const std::string w = dir / "unused.pcap";
    const auto r = run_tcpflow({"-r", in(), "-o", out(), "-w", w});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(files().at(kC), "0123456789abcdefghijklmnop");
    const PcapFile p = read_pcap(w);
    ASSERT_TRUE(p.ok);
    ASSERT_EQ(p.recs.size(), 1u);
    EXPECT_EQ(p.recs[0].data, cap.records()[3].data);
}

TEST_F(Options, UnusedPacketsFromNanosecondBigEndianAndStdin) {
    std::vector<Record> recs;
    Capture cap;
    conversation(cap);
    recs = cap.records();
    recs.push_back(Record{1600000000, 123456, udp_frame(), 0});   // written as 123456000 ns
    write_pcap(in(), 1, recs, 9000, /*nanosecond=*/true, /*big_endian=*/true);
    const std::string w = dir / "unused.pcap";
    const auto r = run_tcpflow({"-r", "-", "-o", out(), "-w", w}, in());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const PcapFile p = read_pcap(w);
    ASSERT_TRUE(p.ok);
    EXPECT_TRUE(p.nanosecond);
    EXPECT_EQ(p.snaplen, 9000u);
    ASSERT_EQ(p.recs.size(), 1u);
    EXPECT_EQ(p.recs[0].frac, 123456000u);
    EXPECT_EQ(p.recs[0].data, recs.back().data);
    EXPECT_EQ(files().at(kC), "GET / HTTP/1.0\r\n\r\n");
}

/// A minimal little-endian pcapng: SHB, one IDB (linktype 1, default microsecond resolution), EPBs.
void write_pcapng(const std::string& path, const std::vector<Record>& recs) {
    std::string s;
    auto u16 = [&](std::uint16_t v) { s.append(reinterpret_cast<const char*>(&v), 2); };
    auto u32 = [&](std::uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); };
    u32(0x0a0d0d0a);
    u32(28);
    u32(0x1a2b3c4d);
    u16(1);
    u16(0);
    u32(0xffffffff);
    u32(0xffffffff);
    u32(28);
    u32(1);   // IDB
    u32(20);
    u16(1);
    u16(0);
    u32(262144);
    u32(20);
    for (const auto& r : recs) {
        const std::uint32_t pad = (4 - r.data.size() % 4) % 4;
        const auto total = static_cast<std::uint32_t>(32 + r.data.size() + pad);
        const std::uint64_t t = static_cast<std::uint64_t>(r.sec) * 1000000 + static_cast<std::uint64_t>(r.usec);
        u32(6);
        u32(total);
        u32(0);
        u32(static_cast<std::uint32_t>(t >> 32));
        u32(static_cast<std::uint32_t>(t));
        u32(static_cast<std::uint32_t>(r.data.size()));
        u32(static_cast<std::uint32_t>(r.data.size()));
        s.append(reinterpret_cast<const char*>(r.data.data()), r.data.size());
        s.append(pad, '\0');
        u32(total);
    }
    std::ofstream(path, std::ios::binary) << s;
}

TEST_F(Options, UnusedPacketsFromPcapng) {
    Capture cap;
    conversation(cap);
    cap.add(arp_frame());
    const std::string ng = dir / "in.pcapng";
    write_pcapng(ng, cap.records());
    const std::string w = dir / "unused.pcap";
    const auto r = run_tcpflow({"-r", ng, "-o", out(), "-w", w});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const PcapFile p = read_pcap(w);
    ASSERT_TRUE(p.ok);
    EXPECT_EQ(p.linktype, 1u);
    ASSERT_EQ(p.recs.size(), 1u);
    EXPECT_EQ(p.recs[0].data, cap.records().back().data);
    EXPECT_EQ(p.recs[0].frac, static_cast<std::uint32_t>(cap.records().back().usec) * 1000);   // ns
    EXPECT_EQ(files().at(kS), "HTTP/1.0 200 OK\r\n\r\nhello\n");
}

TEST_F(Options, UnusedPacketsOfASecondLinkTypeAreSkippedWithOneWarning) {
    Capture a;
    a.add(arp_frame());
    a.write(dir / "a.pcap");
    // Raw IPv4 (LINKTYPE_RAW 101): two UDP datagrams.
    const std::string p = "x";
    const Frame u = udp_datagram(1, 2, Bytes{reinterpret_cast<const std::uint8_t*>(p.data()), 1});
    const Frame raw = ipv4_packet(ip("10.0.0.1"), ip("10.0.0.9"), 17, bytes(u));
    write_pcap(dir / "b.pcap", 101, {Record{1600000001, 0, raw, 0}, Record{1600000001, 1, raw, 0}});
    const std::string w = dir / "unused.pcap";
    const auto r = run_tcpflow({"-r", dir / "a.pcap", "-r", dir / "b.pcap", "-o", out(), "-w", w});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const PcapFile f = read_pcap(w);
    ASSERT_TRUE(f.ok);
    EXPECT_EQ(f.linktype, 1u);
    EXPECT_EQ(f.recs.size(), 1u);
    std::size_t warnings = 0;
    for (std::size_t at = 0; (at = r.err.find("differs from", at)) != std::string::npos; ++at) ++warnings;
    EXPECT_EQ(warnings, 1u) << r.err;
}

TEST_F(Options, UnusedPacketsFileThatCannotBeWrittenIsARuntimeError) {
    Capture cap;
    conversation(cap);
    cap.write(in());
    const auto r = run_tcpflow({"-r", in(), "-o", out(), "-w", dir / "no/such/dir/u.pcap"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("u.pcap"), std::string::npos) << r.err;
    EXPECT_EQ(files().at(kC), "GET / HTTP/1.0\r\n\r\n");   // the flows are still saved
}

// ---------------------------------------------------------------------------------------------
// -K

TEST_F(Options, PcapPerFlowWritesEachDirectionsFramesWithTheRealLinkType) {
    Capture cap;
    conversation(cap);
    cap.add(udp_frame());
    cap.write(in());
    const auto r = run_tcpflow({"-r", in(), "-o", out(), "-K"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    ASSERT_EQ(f.size(), 2u);   // no flow files: -K replaces them
    const PcapFile c = read_pcap(out() + "/" + kC + ".pcap"), s = read_pcap(out() + "/" + kS + ".pcap");
    ASSERT_TRUE(c.ok);
    ASSERT_TRUE(s.ok);
    EXPECT_EQ(c.linktype, 1u);   // 1.6.1 wrote 6 (IEEE802) for Ethernet
    EXPECT_EQ(s.linktype, 1u);
    const auto& recs = cap.records();
    ASSERT_EQ(c.recs.size(), 4u);
    ASSERT_EQ(s.recs.size(), 3u);
    EXPECT_EQ(c.recs[0].data, recs[0].data);
    EXPECT_EQ(c.recs[1].data, recs[2].data);
    EXPECT_EQ(c.recs[2].data, recs[3].data);
    EXPECT_EQ(c.recs[3].data, recs[6].data);
    EXPECT_EQ(s.recs[0].data, recs[1].data);
    EXPECT_EQ(s.recs[2].data, recs[5].data);
    EXPECT_EQ(s.recs[1].frac, static_cast<std::uint32_t>(recs[4].usec));
}

TEST_F(Options, PcapPerFlowSharesAFileAcrossConnectionsAndBoundsOpenFiles) {
    Capture cap;
    conversation(cap, 1234, 1000);
    conversation(cap, 1234, 900000);   // the same 4-tuple again: same files, as in 1.6.1
    for (std::uint16_t port = 2000; port < 2040; ++port) cap.add(eth_tcp(seg(true, 1, PA, "x", port)));
    cap.add(eth_tcp(seg(true, 1, PA, "y", 2000)));   // back to a file closed by the LRU
    cap.write(in());
    const auto r = run_tcpflow({"-r", in(), "-o", out(), "-K", "-f", "3"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_pcap(out() + "/" + kC + ".pcap").recs.size(), 8u);
    EXPECT_EQ(read_pcap(out() + "/" + kS + ".pcap").recs.size(), 6u);
    const PcapFile p = read_pcap(out() + "/010.000.000.001.02000-010.000.000.002.00080.pcap");
    ASSERT_TRUE(p.ok);
    ASSERT_EQ(p.recs.size(), 2u);
    EXPECT_EQ(p.recs[1].data, cap.records().back().data);
    EXPECT_EQ(files().size(), 42u);   // 2 + 40 pcaps, nothing else
}

TEST_F(Options, PcapPerFlowNeverOverwritesAnEarlierRun) {
    Capture cap;
    conversation(cap);
    cap.write(in());
    ASSERT_EQ(run_tcpflow({"-r", in(), "-o", out(), "-K"}).exit_code, 0);
    const std::string first = read_file(out() + "/" + kC + ".pcap");
    const auto r = run_tcpflow({"-r", in(), "-o", out(), "-K"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_file(out() + "/" + kC + ".pcap"), first);
    EXPECT_EQ(read_file(out() + "/" + kC + "c1.pcap"), first);
}

// ---------------------------------------------------------------------------------------------
// -S tcp_alert_fd, tcp_cmd

std::string shell_quote(const std::string& s) {
    std::string q = "'";
    for (char ch : s) q += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
    return q + "'";
}

TEST_F(Options, AlertFdGetsOpenAndCloseLines) {
    Capture cap;
    conversation(cap);
    cap.write(in());
    const std::string alerts = dir / "alerts.txt";
    const std::string cmd = "exec " + shell_quote(TCPFLOW_BINARY) + " -r " + shell_quote(in()) + " -o " +
                            shell_quote(out()) + " -S tcp_alert_fd=7 7>" + shell_quote(alerts);
    const auto r = run_program({"/bin/sh", "-c", cmd});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string a = read_file(alerts);
    const std::string pc = out() + "/" + kC, ps = out() + "/" + kS;
    for (const auto& p : {pc, ps}) {
        const auto o = a.find("open\t" + p + "\n"), c = a.find("close\t" + p + "\n");
        ASSERT_NE(o, std::string::npos) << a;
        ASSERT_NE(c, std::string::npos) << a;
        EXPECT_LT(o, c);
    }
    EXPECT_EQ(std::count(a.begin(), a.end(), '\n'), 4) << a;
}

TEST_F(Options, TcpCmdRunsOncePerClosedFileWithThePathAsOneArgument) {
    Capture cap;
    for (std::uint16_t port = 3000; port < 3025; ++port) conversation(cap, port, 1000u + port);   // 50 files, > 10 at once
    cap.write(in());
    const std::string log = dir / "log.txt";
    // The command gets the path as "$1": a quoted word, appended to the log with its size.
    const std::string cmd = "sh -c 'printf \"%s %s\\n\" \"$0\" \"$(wc -c < \"$0\")\" >> " + log + "'";
    const auto r = run_tcpflow({"-r", in(), "-o", out() + " dir", "-S", "tcp_cmd=" + cmd});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream lines(read_file(log));
    std::size_t n = 0;
    std::set<std::string> seen;
    for (std::string line; std::getline(lines, line); ++n) {
        const auto sp = line.rfind(' ');
        ASSERT_NE(sp, std::string::npos) << line;
        const std::string path = line.substr(0, sp);
        EXPECT_TRUE(fs::exists(path)) << line;
        EXPECT_EQ(std::stoul(line.substr(sp + 1)), fs::file_size(path)) << line;   // complete when run
        seen.insert(path);
    }
    EXPECT_EQ(n, 50u);
    EXPECT_EQ(seen.size(), 50u);
}

// ---------------------------------------------------------------------------------------------
// -L

TEST_F(Options, SemaphoreHeldByAnotherProcessDelaysConsoleOutput) {
    Capture cap;
    conversation(cap);
    cap.write(in());
    const std::string name = "/tcpflow-test-" + std::to_string(::getpid());
    sem_t* sem = ::sem_open(name.c_str(), O_CREAT, 0666, 1);
    ASSERT_NE(sem, SEM_FAILED);
    ASSERT_EQ(::sem_wait(sem), 0);   // we hold it
    const auto start = std::chrono::steady_clock::now();
    auto fut = std::async(std::launch::async, [&] { return run_tcpflow({"-r", in(), "-c", "-L", name}); });
    EXPECT_EQ(fut.wait_for(std::chrono::milliseconds(800)), std::future_status::timeout);
    ::sem_post(sem);
    const RunResult r = fut.get();
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GE(elapsed, std::chrono::milliseconds(700));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find(kC + ": GET / HTTP/1.0"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find(kS + ": HTTP/1.0 200 OK"), std::string::npos) << r.out;
    int value = -1;
    ::sem_getvalue(sem, &value);
    EXPECT_EQ(value, 1);   // released after every write
    ::sem_close(sem);
    ::sem_unlink(name.c_str());
}

// ---------------------------------------------------------------------------------------------
// -q

TEST_F(Options, ManyFilesWarningUnlessQuietOrSubfolders) {
    Capture cap;
    for (std::uint32_t i = 0; i < 10001; ++i) {
        TcpSpec t = seg(true, 1, PA, "x", static_cast<std::uint16_t>(1024 + i % 60000));
        t.src = IpAddress::v4(10, 1, static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i));
        cap.add(eth_tcp(t));
    }
    cap.write(in());
    auto r = run_tcpflow({"-r", in(), "-o", out(), "-X", "/dev/null"}, "", 120);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("tcpflow WARNING"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("-Fk"), std::string::npos);
    r = run_tcpflow({"-r", in(), "-o", dir / "q", "-X", "/dev/null", "-q"}, "", 120);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("WARNING"), std::string::npos) << r.err;
    r = run_tcpflow({"-r", in(), "-o", dir / "k", "-X", "/dev/null", "-Fk"}, "", 120);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err.find("WARNING"), std::string::npos) << r.err;
}

TEST_F(Options, NoManyFilesWarningForSmallRuns) {
    Capture cap;
    conversation(cap);
    cap.write(in());
    const auto r = run_tcpflow({"-r", in(), "-o", out()});
    EXPECT_EQ(r.err.find("WARNING"), std::string::npos) << r.err;
}

// ---------------------------------------------------------------------------------------------
// -I

TEST_F(Options, IndexIsSortedByOffsetAfterOutOfOrderDelivery) {
    Capture cap;
    cap.add(eth_tcp(seg(true, 1000, SYN, "")));
    cap.add(eth_tcp(seg(true, 1001, PA, "AAAA")));   // offset 0
    cap.add(eth_tcp(seg(true, 1005, PA, "EEEE")));   // offset 4
    cap.add(eth_tcp(seg(true, 1009, PA, "IIII")));   // offset 8
    cap.add(eth_tcp(seg(true, 1001, PA, "aaaa")));   // offset 0 again, different bytes
    cap.add(eth_tcp(seg(true, 1013, FIN | ACK, "")));
    cap.write(in());
    // --overlap=last rewrites offset 0 after 4 and 8 were delivered: arrival order is 0, 4, 8, 0.
    const auto r = run_tcpflow({"-r", in(), "-o", out(), "-I", "--overlap=last"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    EXPECT_EQ(f.at(kC), "aaaaEEEEIIII");
    const std::string idx = f.at(kC + ".findx");
    std::istringstream lines(idx);
    std::uint64_t prev = 0, total = 0;
    for (std::string line; std::getline(lines, line);) {
        const auto b1 = line.find('|'), b2 = line.rfind('|');
        ASSERT_NE(b1, b2) << idx;
        const std::uint64_t off = std::stoull(line.substr(0, b1));
        EXPECT_GE(off, prev) << idx;
        prev = off;
        total += std::stoull(line.substr(b2 + 1));
        EXPECT_EQ(line.substr(b1 + 1, 11), "1600000000.") << idx;
    }
    EXPECT_EQ(total, 16u) << idx;
    EXPECT_EQ(idx.substr(0, 2), "0|");
    EXPECT_NE(idx.find("\n0|"), std::string::npos) << idx;   // both offset-0 lines first
}

TEST_F(Options, IndexOffsetsMoveWhenDataTurnsOutToComeFirst) {
    Capture cap;
    // Picked up mid-stream at seq 2001 ("late"), then the earlier bytes at 1997 arrive.
    cap.add(eth_tcp(seg(true, 2001, PA, "late")));
    cap.add(eth_tcp(seg(true, 1997, PA, "firs")));
    cap.write(in());
    const auto r = run_tcpflow({"-r", in(), "-o", out(), "-I"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    ASSERT_EQ(f.at(kC), "firslate");
    const std::string idx = f.at(kC + ".findx");
    EXPECT_EQ(idx.substr(0, 2), "0|") << idx;
    EXPECT_NE(idx.find("\n4|"), std::string::npos) << idx;
}

}  // namespace
}  // namespace tcpflow::test
