// End to end for the scanners and settings the other e2e files do not run: -e http (body names
// and contents, chunked, gzip, raw deflate, -Z, empty bodies removed, byte_runs in the report,
// http_alert_fd and http_cmd), -e md5 and -FM (the report's MD5 is the written file's), -S tdelta
// (file times, %t, %T, the report's times), -S enable_report=NO and --idle-timeout with a resumed
// connection (tcp_alert_fd and tcp_cmd fire again). Captures are built here; the
// built binary runs them.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/compress.h"
#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/run.h"
#include "support/xml_check.h"

namespace tcpflow::test {
namespace {

using namespace flag_bits;

const std::string kC = flow_name("10.0.0.1", 1234, "10.0.0.2", 80);
const std::string kS = flow_name("10.0.0.2", 80, "10.0.0.1", 1234);

/// zlib with `window_bits`: 31 = gzip, -15 = raw deflate.
std::string deflate_with(int window_bits, const std::string& text) {
    const ByteVec out = deflate_bytes(ByteVec(text.begin(), text.end()), window_bits, 9);
    return {out.begin(), out.end()};
}

std::string chunked(const std::string& body, std::size_t piece) {
    std::string s;
    for (std::size_t at = 0; at < body.size(); at += piece) {
        const std::string part = body.substr(at, piece);
        std::ostringstream len;
        len << std::hex << part.size();
        s += len.str() + ";ext=1\r\n" + part + "\r\n";
    }
    return s + "0\r\nX-Trailer: yes\r\n\r\n";
}

/// One connection: four requests, four responses in one server stream (keep-alive):
/// 1 an HTML page (Content-Length), 2 gzip text sent chunked, 3 an empty body, 4 raw deflate
/// without a Content-Type.
struct Http {
    std::string html = "<html><body>first body</body></html>\n";
    std::string text = std::string(40, 't') + " chunked, then gzip\n";
    std::string bin = "raw deflate body, no content type\n";
    std::string gz = deflate_with(31, text), raw = deflate_with(-15, bin);
    std::string head1 = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: " + std::to_string(html.size()) + "\r\n\r\n";
    std::string head2 = "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Encoding: gzip\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n";
    std::string resp3 = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 0\r\n\r\n";
    std::string head4 = "HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: " + std::to_string(raw.size()) + "\r\n\r\n";
    std::string stream = head1 + html + head2 + chunked(gz, 7) + resp3 + head4 + raw;

    void write(const std::string& path) const {
        Capture cap;
        const std::string req = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
        cap.add(eth_tcp(seg(true, 1000, SYN, "")));
        cap.add(eth_tcp(seg(false, 5000, SYN | ACK, "", 1234, 1001)));
        cap.add(eth_tcp(seg(true, 1001, ACK, "", 1234, 5001)));
        std::uint32_t cseq = 1001;
        for (int i = 0; i < 4; ++i, cseq += static_cast<std::uint32_t>(req.size()))
            cap.add(eth_tcp(seg(true, cseq, PA, req, 1234, 5001)));
        std::uint32_t sseq = 5001;
        for (std::size_t at = 0; at < stream.size(); at += 500, sseq += 500)
            cap.add(eth_tcp(seg(false, sseq, PA, stream.substr(at, 500), 1234, cseq)));
        sseq = 5001 + static_cast<std::uint32_t>(stream.size());
        cap.add(eth_tcp(seg(false, sseq, FIN | ACK, "", 1234, cseq)));
        cap.add(eth_tcp(seg(true, cseq, FIN | ACK, "", 1234, sseq + 1)));
        cap.write(path);
    }
};

struct Scanners : ::testing::Test {
    TempDir dir;
    std::string pcap() const { return dir / "in.pcap"; }
    std::string out() const { return dir / "out"; }
    std::map<std::string, std::string> files() const { return test::files(out()); }
};

TEST_F(Scanners, HttpBodiesAreNamedDecodedAndEmptyOnesRemoved) {
    const Http h;
    h.write(pcap());
    const auto r = run_tcpflow({"-r", pcap(), "-o", out(), "-e", "http"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    EXPECT_EQ(f.at(kS), h.stream) << "the flow file itself is unchanged";
    EXPECT_EQ(f.at(kS + "-HTTPBODY-001.html"), h.html);
    EXPECT_EQ(f.at(kS + "-HTTPBODY-002.txt"), h.text) << "chunked, then gzip: decoded";
    EXPECT_EQ(f.at(kS + "-HTTPBODY-004"), h.bin) << "raw deflate: decoded";
    for (const auto& [name, content] : f)
        EXPECT_EQ(name.find("HTTPBODY-003"), std::string::npos) << "an empty body is removed: " << name;
    EXPECT_EQ(f.size(), 5u) << "two flow files and three bodies";
    EXPECT_EQ(f.count(kC + "-HTTPBODY-001.html"), 0u) << "requests are not responses";
}

TEST_F(Scanners, NoDecompressKeepsTheEncodedBodies) {
    const Http h;
    h.write(pcap());
    const auto r = run_tcpflow({"-r", pcap(), "-o", out(), "-e", "http", "-Z"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    EXPECT_EQ(f.at(kS + "-HTTPBODY-001.html"), h.html);
    EXPECT_EQ(f.at(kS + "-HTTPBODY-002.txt"), h.gz) << "-Z: de-chunked, still gzip";
    EXPECT_EQ(f.at(kS + "-HTTPBODY-004"), h.raw) << "-Z: still deflated";
}

TEST_F(Scanners, HttpBodiesAreByteRunsInTheReport) {
    const Http h;
    h.write(pcap());
    const auto r = run_tcpflow({"-r", pcap(), "-o", out(), "-e", "http"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string report = read_file(out() + "/report.xml");
    EXPECT_EQ(xml_problem(out() + "/report.xml"), "") << report;
    const auto runs = report.find("<byte_runs>");
    ASSERT_NE(runs, std::string::npos) << report;
    const std::string part = report.substr(runs, report.find("</byte_runs>", runs) - runs);
    const auto expect_run = [&](const std::string& body, std::size_t offset, std::size_t size) {
        const auto at = part.find(body + "</filename>");
        ASSERT_NE(at, std::string::npos) << body << " not in " << part;
        const auto run_start = part.rfind("<byte_run ", at);
        EXPECT_NE(part.find("file_offset='" + std::to_string(offset) + "'", run_start), std::string::npos) << part;
        EXPECT_NE(part.find("<filesize>" + std::to_string(size) + "</filesize>", at), std::string::npos) << part;
    };
    expect_run(kS + "-HTTPBODY-001.html", h.head1.size(), h.html.size());
    expect_run(kS + "-HTTPBODY-002.txt", h.head1.size() + h.html.size() + h.head2.size(), h.text.size());
    EXPECT_EQ(part.find("HTTPBODY-003"), std::string::npos) << "a removed body is not listed: " << part;
}

/// Lines of a file, sorted.
std::vector<std::string> sorted_lines(const std::string& text) {
    std::vector<std::string> v;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) v.push_back(l);
    std::sort(v.begin(), v.end());
    return v;
}

TEST_F(Scanners, HttpAlertFdAndHttpCmdAnnounceEveryKeptBody) {
    const Http h;
    h.write(pcap());
    const std::string alerts = dir / "alerts", log = dir / "cmd.log";
    const std::string cmd = "exec '" + std::string(TCPFLOW_BINARY) + "' -r '" + pcap() + "' -o '" + out() +
                            "' -e http -S http_alert_fd=3 -S 'http_cmd=echo >>" + log + "' 3>'" + alerts + "'";
    const auto r = run_program({"/bin/sh", "-c", cmd});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::vector<std::string> bodies = {out() + "/" + kS + "-HTTPBODY-001.html", out() + "/" + kS + "-HTTPBODY-002.txt",
                                             out() + "/" + kS + "-HTTPBODY-004"};
    std::vector<std::string> want;
    for (const auto& b : bodies) {
        want.push_back("close\t" + b);
        want.push_back("open\t" + b);
    }
    std::sort(want.begin(), want.end());
    EXPECT_EQ(sorted_lines(read_file(alerts)), want) << "an open and a close line for each kept body, none for the empty one";
    EXPECT_EQ(sorted_lines(read_file(log)), bodies) << "http_cmd runs once for each kept body";
}

/// filename -> MD5 from the report's fileobjects.
std::map<std::string, std::string> report_md5s(const std::string& report) {
    std::map<std::string, std::string> m;
    for (std::size_t at = report.find("<fileobject>"); at != std::string::npos; at = report.find("<fileobject>", at + 1)) {
        const auto end = report.find("</fileobject>", at);
        const std::string obj = report.substr(at, end - at);
        const auto fn = obj.find("<filename>"), hd = obj.find("<hashdigest type='MD5'>");
        if (fn == std::string::npos || hd == std::string::npos) continue;
        const auto fn_end = obj.find("</filename>", fn);
        const auto hd_end = obj.find("</hashdigest>", hd);
        m[obj.substr(fn + 10, fn_end - fn - 10)] = obj.substr(hd + 23, hd_end - hd - 23);
    }
    return m;
}

std::string md5sum(const std::string& path) {
    const auto r = run_program({"/usr/bin/md5sum", path});
    return r.out.substr(0, 32);
}

TEST_F(Scanners, Md5InTheReportIsTheWrittenFilesMd5) {
    const Http h;
    h.write(pcap());
    for (const std::string opt : {"-e md5", "-FM"}) {
        SCOPED_TRACE(opt);
        const std::string o = dir / (opt == "-FM" ? "fm" : "md5");
        std::vector<std::string> args{"-r", pcap(), "-o", o};
        if (opt == "-FM") args.push_back("-FM");
        else args.insert(args.end(), {"-e", "md5"});
        const auto r = run_tcpflow(args);
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto md5s = report_md5s(read_file(o + "/report.xml"));
        ASSERT_EQ(md5s.size(), 2u) << read_file(o + "/report.xml");
        for (const auto& [file, digest] : md5s) {
            const std::string path = file.front() == '/' ? file : o + "/" + file.substr(file.rfind('/') + 1);
            EXPECT_EQ(digest, md5sum(path)) << file;
        }
    }
}

std::int64_t mtime_of(const std::string& path) {
    struct stat st{};
    if (::stat(path.c_str(), &st) != 0) return -1;
    return st.st_mtim.tv_sec;
}

/// "2020-09-13T12:26:41..." -> seconds since the epoch (UTC); -1 when it does not parse.
std::int64_t iso_seconds(const std::string& text) {
    std::tm tm{};
    if (!strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return -1;
    return static_cast<std::int64_t>(timegm(&tm));
}

std::string attr_value(const std::string& doc, const std::string& name) {
    const auto at = doc.find(name + "='");
    if (at == std::string::npos) return {};
    const auto start = at + name.size() + 2;
    return doc.substr(start, doc.find('\'', start) - start);
}

TEST_F(Scanners, TdeltaShiftsFileTimesNamesAndReportTimes) {
    const Http h;
    h.write(pcap());
    constexpr std::int64_t kDelta = 86400 + 3600;   // a day and an hour: the date in %T moves too
    const auto base = run_tcpflow({"-r", pcap(), "-o", dir / "base", "-T", "%t_%T_%A"});
    const auto moved = run_tcpflow({"-r", pcap(), "-o", dir / "moved", "-T", "%t_%T_%A", "-S", "tdelta=" + std::to_string(kDelta)});
    ASSERT_EQ(base.exit_code, 0) << base.err;
    ASSERT_EQ(moved.exit_code, 0) << moved.err;
    const auto a = test::files(dir / "base"), b = test::files(dir / "moved");
    ASSERT_EQ(a.size(), 2u);
    ASSERT_EQ(b.size(), 2u);
    for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
        const std::string& na = ia->first;
        const std::string& nb = ib->first;
        SCOPED_TRACE(na + " / " + nb);
        EXPECT_EQ(ia->second, ib->second);
        const std::int64_t ta = std::stoll(na.substr(0, na.find('_'))), tb = std::stoll(nb.substr(0, nb.find('_')));
        EXPECT_EQ(tb - ta, kDelta) << "%t";
        const std::string isa = na.substr(na.find('_') + 1), isb = nb.substr(nb.find('_') + 1);
        EXPECT_EQ(iso_seconds(isb) - iso_seconds(isa), kDelta) << "%T";
        EXPECT_EQ(mtime_of(dir / ("moved/" + nb)) - mtime_of(dir / ("base/" + na)), kDelta) << "file time";
    }
    const std::string ra = read_file(dir / "base/report.xml"), rb = read_file(dir / "moved/report.xml");
    for (const std::string attr : {"startime", "endtime"}) {
        const std::string va = attr_value(ra, attr), vb = attr_value(rb, attr);
        ASSERT_FALSE(va.empty()) << ra;
        EXPECT_EQ(iso_seconds(vb) - iso_seconds(va), kDelta) << attr << ": " << va << " -> " << vb;
        EXPECT_EQ(va.substr(19), vb.substr(19)) << attr << ": the fraction of a second is kept";
    }
}

TEST_F(Scanners, EnableReportNoWritesNoReportButTheFlows) {
    const Http h;
    h.write(pcap());
    const auto r = run_tcpflow({"-r", pcap(), "-o", out(), "-S", "enable_report=NO"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_tree(out()).count("report.xml"), 0u);
    EXPECT_EQ(files().at(kS), h.stream);
    const auto yes = run_tcpflow({"-r", pcap(), "-o", dir / "yes", "-S", "enable_report=YES"});
    ASSERT_EQ(yes.exit_code, 0) << yes.err;
    EXPECT_EQ(read_tree(dir / "yes").count("report.xml"), 1u) << "YES keeps it";
}

// --idle-timeout from a capture file (packet time): a connection quiet for 30 s closes (another
// connection's packet 20 s in moves the clock past its timeout of 10 s); when it
// speaks again, its files go on at the right offset (no cN file), the report marks the second
// part resumed='1', and tcp_alert_fd / tcp_cmd fire again for it.
TEST_F(Scanners, IdleTimeoutClosesAndTheConnectionResumesItsFiles) {
    Capture cap;
    cap.add(eth_tcp(seg(true, 1000, SYN, "")));
    cap.add(eth_tcp(seg(false, 5000, SYN | ACK, "", 1234, 1001)));
    cap.add(eth_tcp(seg(true, 1001, ACK, "", 1234, 5001)));
    cap.add(eth_tcp(seg(true, 1001, PA, "before the pause|", 1234, 5001)));
    cap.add(eth_tcp(seg(false, 5001, PA, "reply one|", 1234, 1018)));
    const std::size_t quiet_from = cap.records().size();
    cap.add(eth_tcp(seg(true, 1018, PA, "after the pause", 1234, 5011)));
    cap.add(eth_tcp(seg(false, 5011, PA, "reply two", 1234, 1033)));
    cap.add(eth_tcp(seg(true, 1033, FIN | ACK, "", 1234, 5020)));
    cap.add(eth_tcp(seg(false, 5020, FIN | ACK, "", 1234, 1034)));
    std::vector<Record> recs = cap.records();
    for (std::size_t i = quiet_from; i < recs.size(); ++i) recs[i].sec += 30;
    // Packet time moves on with another connection's SYN 20 s into the pause (a file's clock is
    // its packets: the timeout is checked as each one arrives).
    Record other = recs[quiet_from];
    other.sec -= 10;
    other.data = eth_tcp(tcp_spec("10.0.0.3", "10.0.0.2", 999, 80, 1, SYN));
    recs.insert(recs.begin() + static_cast<std::ptrdiff_t>(quiet_from), other);
    write_pcap(pcap(), 1, recs);

    const std::string alerts = dir / "alerts", log = dir / "cmd.log";
    const std::string cmd = "exec '" + std::string(TCPFLOW_BINARY) + "' -r '" + pcap() + "' -o '" + out() +
                            "' --idle-timeout 10 -S tcp_alert_fd=3 -S 'tcp_cmd=echo >>" + log + "' 3>'" + alerts + "'";
    const auto r = run_program({"/bin/sh", "-c", cmd});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto f = files();
    EXPECT_EQ(f.size(), 2u) << "the resumed connection continues its two files";
    EXPECT_EQ(f.at(kC), "before the pause|after the pause");
    EXPECT_EQ(f.at(kS), "reply one|reply two");
    const std::string c = out() + "/" + kC, sv = out() + "/" + kS;
    EXPECT_EQ(sorted_lines(read_file(alerts)),
              (std::vector<std::string>{"close\t" + c, "close\t" + c, "close\t" + sv, "close\t" + sv, "open\t" + c,
                                        "open\t" + c, "open\t" + sv, "open\t" + sv}))
        << "open and close again for the resumed part";
    EXPECT_EQ(sorted_lines(read_file(log)), (std::vector<std::string>{c, c, sv, sv})) << "tcp_cmd runs again";
    const std::string report = read_file(out() + "/report.xml");
    EXPECT_EQ(xml_problem(out() + "/report.xml"), "") << report;
    std::size_t resumed = 0;
    for (auto at = report.find("resumed='1'"); at != std::string::npos; at = report.find("resumed='1'", at + 1)) ++resumed;
    EXPECT_EQ(resumed, 2u) << "each direction's second part is marked resumed: " << report;
}

}  // namespace
}  // namespace tcpflow::test
