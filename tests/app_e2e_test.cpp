// End to end for the run itself (app/): standard output that cannot be written, a reader that
// goes away, and -K under -z. Captures are built by the test; the built binary runs them.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <filesystem>
#include <string>
#include <vector>

#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/run.h"

namespace tcpflow::test {
namespace {

namespace fs = std::filesystem;

using namespace flag_bits;

/// `conns` connections, each sending `chunks` chunks of 1,000 bytes to the server, then FIN.
std::string write_capture(const std::string& path, int conns, int chunks) {
    Capture cap;
    const std::string chunk(1000, 'x');
    for (int c = 0; c < conns; ++c) {
        const auto port = static_cast<std::uint16_t>(2000 + c);
        cap.add(eth_tcp(seg(true, 100, SYN, "", port, 1)));
        std::uint32_t seq = 101;
        for (int i = 0; i < chunks; ++i, seq += 1000) cap.add(eth_tcp(seg(true, seq, PA, chunk, port, 1)));
        cap.add(eth_tcp(seg(true, seq, FIN | ACK, "", port, 1)));
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
    const char* asan = std::getenv("ASAN_OPTIONS");
    const std::string asan_before = asan ? asan : "";
    if (asan) setenv("ASAN_OPTIONS", (asan_before + ":detect_leaks=0").c_str(), 1);
    const std::string cap = write_capture(root / "c.pcap", 2, 3);
    const auto r = run_tcpflow({"-r", cap, "-K", "-U", "nobody", "-z", root.path(), "-o", root / "out"});
    if (asan) setenv("ASAN_OPTIONS", asan_before.c_str(), 1);   // leak checks again for the tests after this one
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

// Bug: `-U ""` skipped dropping privileges and ran (exit 0, files owned by root); 1.6.1 stopped.
// An empty value is a usage error: nothing runs, nothing is written.
TEST(RunE2e, AnEmptyUserIsAUsageErrorAndNothingRuns) {
    TempDir tmp;
    const std::string cap = write_capture(tmp / "c.pcap", 1, 1);
    for (const std::vector<std::string>& how : {std::vector<std::string>{"-U", ""}, {"--user="}, {"-b", ""}}) {
        std::vector<std::string> args{"-r", cap, "-o", tmp / "out"};
        args.insert(args.end(), how.begin(), how.end());
        const auto r = run_tcpflow(args);
        EXPECT_EQ(r.exit_code, 2) << how.front() << ": " << r.err;
        const std::string typed = how.front() == "--user=" ? "--user" : how.front();
        const std::string arg = typed == "-b" ? "N" : "USER";
        EXPECT_EQ(r.err, "tcpflow: " + typed + ": empty value (expected " + arg +
                             ")\nTry 'tcpflow --help' for more information.\n");
        EXPECT_FALSE(fs::exists(tmp / "out")) << how.front();
    }
}

// Bug: a bad BPF expression exited 2 without the hint every other usage error has.
TEST(RunE2e, ABadFilterIsAUsageErrorWithTheHint) {
    TempDir tmp;
    const std::string cap = write_capture(tmp / "c.pcap", 1, 1);
    const auto r = run_tcpflow({"-r", cap, "-o", tmp / "out", "nonsense", "((("});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_EQ(r.err.rfind("tcpflow: bad filter expression 'nonsense (((': ", 0), 0u) << r.err;
    const std::string hint = "\nTry 'tcpflow --help' for more information.\n";
    ASSERT_GT(r.err.size(), hint.size());
    EXPECT_EQ(r.err.substr(r.err.size() - hint.size()), hint) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 2) << r.err;
    EXPECT_FALSE(fs::exists(tmp / "out"));
}

// Bug: "unsupported link type 169 (169)" repeated the number; libpcap's name says what it is.
TEST(RunE2e, AnUnsupportedLinkTypeIsNamedWhenLibpcapKnowsIt) {
    TempDir tmp;
    write_pcap(tmp / "gprs.pcap", 169, {});   // LINKTYPE_GPRS_LLC
    auto r = run_tcpflow({"-r", tmp / "gprs.pcap", "-o", tmp / "out"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "tcpflow: " + (tmp / "gprs.pcap") + ": unsupported link type 169 (GPRS_LLC: GPRS LLC)\n");
    write_pcap(tmp / "user0.pcap", 147, {});   // LINKTYPE_USER0: libpcap has no name for it
    r = run_tcpflow({"-r", tmp / "user0.pcap", "-o", tmp / "out"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "tcpflow: " + (tmp / "user0.pcap") + ": unsupported link type 147\n");
}

/// A little-endian pcapng: SHB, an Ethernet IDB (0), `frames` as EPBs on it, then a raw-IP IDB (1),
/// which libpcap refuses to read on from, and a frame on it.
void write_pcapng_two_link_types(const std::string& path, const std::vector<Frame>& frames) {
    std::string s;
    auto u16 = [&](std::uint16_t v) { s.append(reinterpret_cast<const char*>(&v), 2); };
    auto u32 = [&](std::uint32_t v) { s.append(reinterpret_cast<const char*>(&v), 4); };
    for (const std::uint32_t w : {0x0a0d0d0au, 28u, 0x1a2b3c4du}) u32(w);
    u16(1);
    u16(0);
    for (const std::uint32_t w : {0xffffffffu, 0xffffffffu, 28u}) u32(w);
    auto idb = [&](std::uint16_t linktype) {
        u32(1);
        u32(20);
        u16(linktype);
        u16(0);
        u32(262144);
        u32(20);
    };
    auto epb = [&](std::uint32_t interface, const Frame& f) {
        const std::uint32_t pad = (4 - f.size() % 4) % 4;
        const auto total = static_cast<std::uint32_t>(32 + f.size() + pad);
        for (const std::uint32_t w : {6u, total, interface, 0u, 0u, static_cast<std::uint32_t>(f.size()),
                                      static_cast<std::uint32_t>(f.size())})
            u32(w);
        s.append(reinterpret_cast<const char*>(f.data()), f.size());
        s.append(pad, '\0');
        u32(total);
    };
    idb(1);
    for (const auto& f : frames) epb(0, f);
    idb(101);
    epb(1, ip_tcp(seg(true, 200, PA, "late", 2001, 1)));
    std::ofstream(path, std::ios::binary) << s;
}

// Bug: "libpcap cannot read on in a pcapng file" had a stray word.
TEST(RunE2e, APcapngWhoseInterfacesDifferInLinkTypeIsExplainedByLibpcapsReader) {
    TempDir tmp;
    write_pcapng_two_link_types(tmp / "mixed.pcapng", {eth_tcp(seg(true, 100, SYN, "", 2000, 1)),
                                                      eth_tcp(seg(true, 101, PA, "hello", 2000, 1)),
                                                      eth_tcp(seg(true, 106, FIN | ACK, "", 2000, 1))});
    const auto r = run_tcpflow({"-S", "reader=libpcap", "-r", tmp / "mixed.pcapng", "-o", tmp / "out"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find(" (libpcap cannot read past this point of a pcapng file whose interfaces differ in "
                         "link type or snapshot length; everything before it was written)\n"),
              std::string::npos)
        << r.err;
    EXPECT_EQ(r.err.find("read on in"), std::string::npos) << r.err;
    EXPECT_EQ(read_file(tmp / "out/010.000.000.001.02000-010.000.000.002.00080"), "hello");
}

// The native reader (the default) reads on: the raw-IP frame on the second interface is decoded
// as raw IP.
TEST(RunE2e, APcapngWhoseInterfacesDifferInLinkTypeIsReadWhole) {
    TempDir tmp;
    write_pcapng_two_link_types(tmp / "mixed.pcapng", {eth_tcp(seg(true, 100, SYN, "", 2000)),
                                                      eth_tcp(seg(true, 101, PA, "hello", 2000))});
    const auto r = run_tcpflow({"-r", tmp / "mixed.pcapng", "-o", tmp / "out"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(read_file(tmp / "out/010.000.000.001.02000-010.000.000.002.00080"), "hello");
    EXPECT_EQ(read_file(tmp / "out/010.000.000.001.02001-010.000.000.002.00080"), "late");
}

}  // namespace
}  // namespace tcpflow::test
