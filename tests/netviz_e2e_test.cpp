// netviz_e2e_test: -e netviz end to end. The page's header and top-N lists are read back with
// pdftotext and compared with values computed here, independently of tcpflow: from the frames
// of a capture this test builds, and from tshark's statistics for captures of the corpus.
// pdftoppm must render the page; the SVG and PNG forms are checked too.
#include <cairo.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <regex>
#include <sstream>

#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/run.h"

namespace tcpflow::test {
namespace {

namespace fs = std::filesystem;

/// Debian's tools (tools/deps.sh installs them); run_program wants a path.
std::string tool(const char* name) { return std::string("/usr/bin/") + name; }
bool have(const char* name) { return fs::exists(tool(name)); }

std::string pdf_text(const std::string& pdf) {
    const auto r = run_program({tool("pdftotext"), "-layout", pdf, "-"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
}

void expect_renders(const std::string& pdf, const std::string& dir) {
    const auto r = run_program({tool("pdftoppm"), "-png", "-r", "30", pdf, dir + "/page"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(dir + "/page-1.png")) << "pdftoppm rendered no page";
}

std::string grouped(std::uint64_t n) {
    std::string d = std::to_string(n), out;
    for (std::size_t i = 0; i < d.size(); ++i) {
        if (i && (d.size() - i) % 3 == 0) out += ',';
        out += d[i];
    }
    return out;
}

std::string pct(std::uint64_t part, std::uint64_t total) {
    char b[32];
    std::snprintf(b, sizeof b, "%.1f%%", 100.0 * static_cast<double>(part) / static_cast<double>(total));
    return b;
}

std::string utc(std::int64_t sec) {
    const auto t = static_cast<std::time_t>(sec);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char b[64];
    std::strftime(b, sizeof b, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return b;
}

/// The top-N entries the page lists in one column: value -> bytes text, in page order. `title`
/// picks the panel ("source addresses"); `right` the right column (destinations).
struct Listed {
    std::string value;
    std::uint64_t bytes = 0;
    std::string share;
};
std::vector<Listed> listed(const std::string& text, const std::string& title, bool right) {
    std::vector<Listed> out;
    const auto at = text.find("Top " + title);
    if (at == std::string::npos) return out;
    std::istringstream in(text.substr(at));
    std::string line;
    const std::regex row(R"((\d+)\) (Port \d+|\S+)(?: \([a-z-]+\))?\s+(<= )?([\d,]+) B\s+(\d+\.\d%))");
    std::getline(in, line);
    int seen_rows = 0;
    while (std::getline(in, line) && seen_rows < 12) {
        // pdftotext -layout keeps the two columns side by side: the right one starts far right.
        std::vector<std::smatch> hits;
        for (auto it = std::sregex_iterator(line.begin(), line.end(), row); it != std::sregex_iterator(); ++it)
            if ((it->position(0) >= 60) == right) hits.push_back(*it);
        if (hits.empty()) {
            if (!out.empty()) break;
            continue;
        }
        ++seen_rows;
        const std::smatch& m = hits.front();
        std::string digits = m[4].str();
        std::erase(digits, ',');
        out.push_back(Listed{m[2].str(), std::stoull(digits), m[5].str()});
    }
    return out;
}

struct Totals {
    std::uint64_t packets = 0, bytes = 0, v4 = 0, v6 = 0;
    std::int64_t first = 0, last = 0;
    std::map<std::string, std::uint64_t> src, dst, sport, dport;
    std::uint64_t ip_bytes = 0, port_bytes = 0;
};

void check_page(const std::string& text, const Totals& t) {
    EXPECT_NE(text.find("Packets analysed: " + grouped(t.packets) + " (" + grouped(t.bytes) + " bytes"), std::string::npos)
        << text.substr(0, 600);
    EXPECT_NE(text.find("Transports: IPv4 " + pct(t.v4, t.bytes) + ", IPv6 " + pct(t.v6, t.bytes)), std::string::npos)
        << text.substr(0, 600);
    EXPECT_NE(text.find("Date range: " + utc(t.first) + " -- " + utc(t.last)), std::string::npos) << text.substr(0, 600);
    const struct {
        const char* title;
        bool right;
        const std::map<std::string, std::uint64_t>& truth;
        std::uint64_t total;
    } panels[] = {{"source addresses", false, t.src, t.ip_bytes},
                  {"destination addresses", true, t.dst, t.ip_bytes},
                  {"source ports", false, t.sport, t.port_bytes},
                  {"destination ports", true, t.dport, t.port_bytes}};
    for (const auto& p : panels) {
        const auto rows = listed(text, p.title, p.right);
        ASSERT_EQ(rows.size(), std::min<std::size_t>(p.truth.size(), 5)) << p.title << "\n" << text;
        std::uint64_t most = 0;
        for (const auto& [k, v] : p.truth) most = std::max(most, v);
        EXPECT_EQ(rows.front().bytes, most) << p.title;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            const auto it = p.truth.find(rows[i].value);
            ASSERT_NE(it, p.truth.end()) << p.title << ": " << rows[i].value << " is not in the capture";
            EXPECT_EQ(rows[i].bytes, it->second) << p.title << ": " << rows[i].value;
            EXPECT_EQ(rows[i].share, pct(it->second, p.total)) << p.title << ": " << rows[i].value;
            if (i) {
                EXPECT_LE(rows[i].bytes, rows[i - 1].bytes) << p.title;
            }
        }
    }
}

/// A capture of IPv4 and IPv6 TCP, an ICMP packet and an ARP frame, with its totals counted
/// from the frames as written.
Totals build_capture(const std::string& path) {
    Capture cap{1, 250'000};
    Totals t;
    const auto add = [&](Frame f, const char* s, const char* d, int sp, int dp, bool v6) {
        const std::uint64_t n = f.size();
        cap.add(std::move(f));
        ++t.packets;
        t.bytes += n;
        (v6 ? t.v6 : t.v4) += n;
        t.src[s] += n;
        t.dst[d] += n;
        t.ip_bytes += n;
        if (sp >= 0) {
            t.sport["Port " + std::to_string(sp)] += n;
            t.dport["Port " + std::to_string(dp)] += n;
            t.port_bytes += n;
        }
    };
    for (int i = 0; i < 3; ++i)
        add(eth_tcp(TcpSpec{ip("10.0.0.1"), ip("10.0.0.2"), 40000, 80, 1000u + 100u * static_cast<unsigned>(i), 1,
                            0x18, 65535, std::string(100, 'a'), {}}),
            "10.0.0.1", "10.0.0.2", 40000, 80, false);
    for (int i = 0; i < 2; ++i)
        add(eth_tcp(TcpSpec{ip("10.0.0.2"), ip("10.0.0.1"), 80, 40000, 1u + 1000u * static_cast<unsigned>(i), 1300,
                            0x18, 65535, std::string(1000, 'b'), {}}),
            "10.0.0.2", "10.0.0.1", 80, 40000, false);
    for (int i = 0; i < 4; ++i)
        add(eth_tcp(TcpSpec{ip("2001:db8::1"), ip("2001:db8:ffff::2"), 5555, 22, 7u + 50u * static_cast<unsigned>(i), 1,
                            0x18, 65535, std::string(50, 'c'), {}}),
            "2001:db8::1", "2001:db8:ffff::2", 5555, 22, true);
    const std::string icmp(64, 'i');
    const Frame icmp_ip = ipv4_packet(ip("10.0.0.3"), ip("10.0.0.1"), 1,
                                      Bytes{reinterpret_cast<const std::uint8_t*>(icmp.data()), icmp.size()});
    add(ethernet_frame(0x0800, bytes(icmp_ip)), "10.0.0.3", "10.0.0.1", -1, -1, false);
    const std::uint8_t arp[28] = {0, 1, 8, 0, 6, 4, 0, 1};
    const Frame arp_frame = ethernet_frame(0x0806, Bytes{arp, sizeof arp});
    cap.add(arp_frame);
    ++t.packets;
    t.bytes += arp_frame.size();
    cap.write(path);
    t.first = cap.records().front().sec;
    t.last = cap.records().back().sec;
    return t;
}

TEST(NetvizE2E, BuiltCaptureHeaderAndTopLists) {
    if (!have("pdftotext") || !have("pdftoppm")) GTEST_SKIP() << "poppler-utils (pdftotext, pdftoppm) not installed";
    TempDir tmp;
    const Totals t = build_capture(tmp / "c.pcap");
    const auto r = run_tcpflow({"-r", tmp / "c.pcap", "-o", tmp / "out", "-e", "netviz"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    ASSERT_TRUE(fs::exists(tmp / "out/report.pdf")) << "no report.pdf beside report.xml";
    const std::string text = pdf_text(tmp / "out/report.pdf");
    EXPECT_NE(text.find("tcpflow " TCPFLOW_PROJECT_VERSION), std::string::npos);
    EXPECT_NE(text.find("Input: " + (tmp / "c.pcap")), std::string::npos);
    check_page(text, t);
    EXPECT_NE(text.find("2001:db8:ffff::2"), std::string::npos) << "IPv6 address not readable";
    expect_renders(tmp / "out/report.pdf", tmp.path());
}

TEST(NetvizE2E, NeverOverwritesAndAllScannersDrawIt) {
    TempDir tmp;
    build_capture(tmp / "c.pcap");
    ASSERT_EQ(run_tcpflow({"-r", tmp / "c.pcap", "-o", tmp / "out", "-e", "netviz"}).exit_code, 0);
    const std::string first = read_file(tmp / "out/report.pdf");
    const auto r = run_tcpflow({"-r", tmp / "c.pcap", "-o", tmp / "out", "-a"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_file(tmp / "out/report.pdf"), first) << "report.pdf was overwritten";
    EXPECT_TRUE(fs::exists(tmp / "out/reportc1.pdf")) << "-a drew no page, or not under the first free name";
    // Without -e netviz there is no page.
    ASSERT_EQ(run_tcpflow({"-r", tmp / "c.pcap", "-o", tmp / "plain"}).exit_code, 0);
    EXPECT_FALSE(fs::exists(tmp / "plain/report.pdf"));
}

TEST(NetvizE2E, SvgAndPngFormats) {
    TempDir tmp;
    build_capture(tmp / "c.pcap");
    ASSERT_EQ(run_tcpflow({"-r", tmp / "c.pcap", "-o", tmp / "s", "-e", "netviz", "-S", "netviz_format=svg"}).exit_code, 0);
    const std::string svg = read_file(tmp / "s/report.svg");
    EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
    EXPECT_NE(svg.find("<svg"), std::string::npos);
    EXPECT_NE(svg.find("width=\"612pt\""), std::string::npos);
    EXPECT_NE(svg.find("</svg>"), std::string::npos);
    EXPECT_GT(svg.size(), 10'000u);
    ASSERT_EQ(run_tcpflow({"-r", tmp / "c.pcap", "-o", tmp / "p", "-e", "netviz", "-S", "netviz_format=png"}).exit_code, 0);
    cairo_surface_t* png = cairo_image_surface_create_from_png((tmp / "p/report.png").c_str());
    ASSERT_EQ(cairo_surface_status(png), CAIRO_STATUS_SUCCESS) << "report.png does not decode";
    EXPECT_EQ(cairo_image_surface_get_width(png), 1224);
    EXPECT_EQ(cairo_image_surface_get_height(png), 1584);
    // Something is drawn: not every pixel of the page is white.
    cairo_surface_flush(png);
    const unsigned char* px = cairo_image_surface_get_data(png);
    const int stride = cairo_image_surface_get_stride(png);
    std::size_t dark = 0;
    for (int y = 0; y < 1584; ++y)
        for (int x = 0; x < 1224; ++x)
            if (px[y * stride + x * 4] < 128) ++dark;
    EXPECT_GT(dark, 5000u);
    cairo_surface_destroy(png);
}

TEST(NetvizE2E, OnePacketAndEmptyCapture) {
    if (!have("pdftotext")) GTEST_SKIP() << "pdftotext not installed";
    TempDir tmp;
    Capture one;
    one.add(eth_tcp(TcpSpec{ip("192.0.2.1"), ip("192.0.2.2"), 1, 2, 0, 0, 0x02, 65535, "", {}}));
    one.write(tmp / "one.pcap");
    ASSERT_EQ(run_tcpflow({"-r", tmp / "one.pcap", "-o", tmp / "a", "-e", "netviz"}).exit_code, 0);
    EXPECT_NE(pdf_text(tmp / "a/report.pdf").find("Packets analysed: 1 ("), std::string::npos);
    Capture none;
    none.write(tmp / "none.pcap");
    ASSERT_EQ(run_tcpflow({"-r", tmp / "none.pcap", "-o", tmp / "b", "-e", "netviz"}).exit_code, 0);
    const std::string text = pdf_text(tmp / "b/report.pdf");
    EXPECT_NE(text.find("Packets analysed: 0 ("), std::string::npos);
    EXPECT_NE(text.find("No source addresses"), std::string::npos);
}

/// tshark's endpoint statistics of a corpus capture: Tx bytes per address and per TCP port.
Totals tshark_totals(const std::string& cap) {
    Totals t;
    const auto r = run_program({tool("tshark"), "-n", "-r", cap, "-q", "-z", "endpoints,ip", "-z", "endpoints,ipv6", "-z",
                                "endpoints,tcp"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::istringstream in(r.out);
    std::string line, section;
    while (std::getline(in, line)) {
        if (line.find("Endpoints") != std::string::npos) section = line;
        std::istringstream f(line);
        std::vector<std::string> w;
        for (std::string x; f >> x;) w.push_back(x);
        const bool tcp = section.find("TCP") != std::string::npos;
        if (w.size() != (tcp ? 8u : 7u) || !std::isdigit(static_cast<unsigned char>(w.back()[0]))) continue;
        const std::size_t k = tcp ? 1 : 0;
        const std::uint64_t tx = std::stoull(w[k + 4]), rx = std::stoull(w[k + 6]);
        if (tcp) {
            t.sport["Port " + w[1]] += tx;
            t.dport["Port " + w[1]] += rx;
            t.port_bytes += tx;
        } else {
            t.src[w[0]] += tx;
            t.dst[w[0]] += rx;
            t.ip_bytes += tx;
        }
    }
    const auto frames = run_program({tool("tshark"), "-n", "-r", cap, "-T", "fields", "-e", "frame.len", "-e",
                                     "frame.time_epoch", "-e", "ip.version", "-e", "ipv6.version"});
    std::istringstream fl(frames.out);
    while (std::getline(fl, line)) {
        std::istringstream f(line);
        std::uint64_t len = 0;
        double when = 0;
        f >> len >> when;
        std::string v;
        f >> v;
        ++t.packets;
        t.bytes += len;
        // Outer and inner versions may both be listed (tunnels); the corpus captures used have one.
        if (v.rfind("4", 0) == 0) t.v4 += len;
        if (v.rfind("6", 0) == 0) t.v6 += len;
        const auto sec = static_cast<std::int64_t>(when);
        if (t.packets == 1 || sec < t.first) t.first = sec;
        if (t.packets == 1 || sec > t.last) t.last = sec;
    }
    return t;
}

TEST(NetvizE2E, CorpusCapturesAgreeWithTshark) {
    const std::string corpus = std::string(TCPFLOW_SHARED_DIR) + "/corpus";
    if (!fs::exists(corpus)) GTEST_SKIP() << "no corpus at " << corpus;
    if (!have("tshark") || !have("pdftotext") || !have("pdftoppm"))
        GTEST_SKIP() << "tshark or poppler-utils not installed";
    for (const char* name : {"zeek-ftp-ipv6.pcap", "zeek-http-get.pcap", "zeek-smtp.pcap"}) {
        SCOPED_TRACE(name);
        const std::string cap = corpus + "/" + name;
        if (!fs::exists(cap)) continue;
        TempDir tmp;
        const auto r = run_tcpflow({"-r", cap, "-o", tmp / "out", "-e", "netviz"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        check_page(pdf_text(tmp / "out/report.pdf"), tshark_totals(cap));
        expect_renders(tmp / "out/report.pdf", tmp.path());
    }
}

}  // namespace
}  // namespace tcpflow::test
