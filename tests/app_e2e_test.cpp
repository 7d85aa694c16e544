// End to end for the run itself (app/): standard output that cannot be written, a reader that
// goes away, and -K under -z. Captures are built by the test; the built binary runs them.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/run.h"

namespace tcpflow::test {
namespace {

namespace fs = std::filesystem;

constexpr std::uint8_t SYN = 0x02, ACK = 0x10, PA = 0x18, FIN = 0x01;

TcpSpec seg(bool client, std::uint32_t seq, std::uint8_t flags, const std::string& data, std::uint16_t cport) {
    TcpSpec t;
    t.src = ip(client ? "10.0.0.1" : "10.0.0.2");
    t.dst = ip(client ? "10.0.0.2" : "10.0.0.1");
    t.sport = client ? cport : 80;
    t.dport = client ? 80 : cport;
    t.seq = seq;
    t.ack = 1;
    t.flags = flags;
    t.payload = data;
    return t;
}

/// `conns` connections, each sending `chunks` chunks of 1,000 bytes to the server, then FIN.
std::string write_capture(const std::string& path, int conns, int chunks) {
    Capture cap;
    const std::string chunk(1000, 'x');
    for (int c = 0; c < conns; ++c) {
        const auto port = static_cast<std::uint16_t>(2000 + c);
        cap.add(eth_tcp(seg(true, 100, SYN, "", port)));
        std::uint32_t seq = 101;
        for (int i = 0; i < chunks; ++i, seq += 1000) cap.add(eth_tcp(seg(true, seq, PA, chunk, port)));
        cap.add(eth_tcp(seg(true, seq, FIN | ACK, "", port)));
    }
    cap.write(path);
    return path;
}

std::string sh_quote(const std::string& s) { return "'" + s + "'"; }

// Bug: `tcpflow -r x.pcap -c > /dev/full` exited 0 and said nothing.
TEST(RunE2e, ConsoleOutputThatCannotBeWrittenIsAnError) {
    if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full on this system";
    TempDir tmp;
    const std::string cap = write_capture(tmp / "c.pcap", 4, 20);
    const auto r = run_program({"/bin/sh", "-c", "exec " + sh_quote(TCPFLOW_BINARY) + " -r " + sh_quote(cap) +
                                                     " -c > /dev/full"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_EQ(r.err, "tcpflow: cannot write standard output: No space left on device\n");
}

// A reader that goes away (`| head`) ends the run quietly, as cat does; the report is completed.
TEST(RunE2e, ReaderGoingAwayEndsTheRunQuietlyAndTheReportIsComplete) {
    TempDir tmp;
    const std::string cap = write_capture(tmp / "c.pcap", 200, 50);   // 10 MB of console text
    const std::string report = tmp / "r.xml";
    const std::string script = sh_quote(TCPFLOW_BINARY) + " -r " + sh_quote(cap) + " -c -X " + sh_quote(report) +
                               " 2>" + sh_quote(tmp / "err") + " | head -c 100 >/dev/null; echo ${PIPESTATUS[0]}";
    const auto r = run_program({"/bin/bash", "-c", script});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "0\n");
    EXPECT_EQ(read_file(tmp / "err"), "");
    const std::string xml = read_file(report);
    EXPECT_NE(xml.find("</dfxml>"), std::string::npos) << "the report must be completed";
}

// Bug: `tcpflow -r x.pcap -K -U nobody -z /var/cap -o /var/cap/out` wrote the per-flow pcaps to
// /var/cap/var/cap/out (the path before the chroot, taken again inside it).
TEST(RunE2e, PcapPerFlowUnderChrootLandsInTheOutputFolder) {
    if (::geteuid() != 0) GTEST_SKIP() << "-z needs root";
    const passwd* nobody = getpwnam("nobody");
    if (!nobody) GTEST_SKIP() << "no user 'nobody'";
    TempDir root;
    ASSERT_EQ(chmod(root.path().c_str(), 0755), 0);
    // LeakSanitizer cannot read /proc from inside the chroot; the leak check runs in every other test.
    if (const char* a = std::getenv("ASAN_OPTIONS")) setenv("ASAN_OPTIONS", (std::string(a) + ":detect_leaks=0").c_str(), 1);
    const std::string cap = write_capture(root / "c.pcap", 2, 3);
    const auto r = run_tcpflow({"-r", cap, "-K", "-U", "nobody", "-z", root.path(), "-o", root / "out"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(root / "out/010.000.000.001.02000-010.000.000.002.00080.pcap")) << r.err;
    EXPECT_TRUE(fs::exists(root / "out/010.000.000.001.02001-010.000.000.002.00080.pcap"));
    EXPECT_FALSE(fs::exists(root.path() + root.path())) << "written at the path before the chroot, inside it";
}

// Bug: -FX, -x tcpdemux, or -c -X dir/report.xml with a folder that did not exist yet failed
// with "cannot open report file" and no reason. The folders are made in every mode.
TEST(RunE2e, OutputAndReportFoldersAreMadeInEveryMode) {
    TempDir tmp;
    const std::string cap = write_capture(tmp / "c.pcap", 2, 2);
    auto r = run_tcpflow({"-r", cap, "-FX", "-o", tmp / "fx/out"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(tmp / "fx/out/report.xml")) << r.err;
    r = run_tcpflow({"-r", cap, "-x", "tcpdemux", "-o", tmp / "nodemux"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(tmp / "nodemux/report.xml")) << r.err;
    r = run_tcpflow({"-r", cap, "-c", "-X", tmp / "rep/sub/report.xml"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(tmp / "rep/sub/report.xml")) << r.err;
}

// Every error names the file and the reason.
TEST(RunE2e, AReportThatCannotBeWrittenSaysWhy) {
    TempDir tmp;
    const std::string cap = write_capture(tmp / "c.pcap", 1, 1);
    run_program({"/bin/sh", "-c", "echo x > " + sh_quote(tmp / "plain")});
    const auto r = run_tcpflow({"-r", cap, "-c", "-X", tmp / "rep/r.xml", "-o", tmp / "o"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto bad = run_tcpflow({"-r", cap, "-o", tmp / "o2", "-X", tmp / "plain/r.xml"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find(tmp / "plain"), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find("Not a directory"), std::string::npos) << bad.err;
}

// The report never replaces a file: a second run into the same folder writes reportc1.xml.
TEST(RunE2e, ASecondRunKeepsTheFirstReport) {
    TempDir tmp;
    const std::string cap = write_capture(tmp / "c.pcap", 1, 1);
    ASSERT_EQ(run_tcpflow({"-r", cap, "-o", tmp / "o"}).exit_code, 0);
    const std::string first = read_file(tmp / "o/report.xml");
    ASSERT_EQ(run_tcpflow({"-r", cap, "-o", tmp / "o"}).exit_code, 0);
    EXPECT_EQ(read_file(tmp / "o/report.xml"), first);
    const std::string second = read_file(tmp / "o/reportc1.xml");
    EXPECT_NE(second.find("010.000.000.001.02000-010.000.000.002.00080c1"), std::string::npos);
    EXPECT_EQ(second.find("00080</filename>"), std::string::npos) << "lists only its own files";
}

}  // namespace
}  // namespace tcpflow::test
