// report_test: report.xml is well-formed DFXML (checked with python3's XML parser) and carries
// 1.6.1's names plus the new per-flow data.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>

#include "support/run.h"
#include "tcpflow/output/report.h"
#include "tcpflow/version.h"

using namespace tcpflow;

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

bool have_python() { return std::system("command -v python3 >/dev/null 2>&1") == 0; }

/// Parses `xml_path` with python3's minidom and returns one line per element:
/// "/dfxml/fileobject/tcpflow @attr=value ... =text" (text only for leaf elements).
/// Returns "PARSE ERROR" when the document is not well-formed.
std::string flatten(const std::string& xml_path) {
    const std::string script = xml_path + ".py";
    {
        std::ofstream py(script);
        py << "import sys, xml.dom.minidom\n"
              "doc = xml.dom.minidom.parse(sys.argv[1])\n"
              "def walk(n, path):\n"
              "    p = path + '/' + n.tagName\n"
              "    attrs = ''.join(' @%s=%s' % (k, v) for k, v in sorted(n.attributes.items()))\n"
              "    kids = [c for c in n.childNodes if c.nodeType == c.ELEMENT_NODE]\n"
              "    text = ''\n"
              "    if not kids:\n"
              "        text = ' =' + ''.join(c.data for c in n.childNodes if c.nodeType == c.TEXT_NODE)\n"
              "    sys.stdout.buffer.write((p + attrs + text + '\\n').encode('utf-8'))\n"
              "    for c in kids: walk(c, p)\n"
              "walk(doc.documentElement, '')\n";
    }
    const std::string out = xml_path + ".flat";
    const std::string cmd = "python3 " + script + " " + xml_path + " > " + out + " 2>" + out + ".err";
    if (std::system(cmd.c_str()) != 0) return "PARSE ERROR: " + read_file(out + ".err");
    return read_file(out);
}

FlowInfo flow_v4() {
    FlowInfo f;
    f.name.src = IpAddress::v4(10, 0, 0, 1);
    f.name.dst = IpAddress::v4(10, 0, 0, 2);
    f.name.sport = 1234;
    f.name.dport = 80;
    f.name.has_mac = true;
    f.name.src_mac = {0, 0, 0, 0, 0, 1};
    f.name.dst_mac = {0, 0, 0, 0, 0, 2};
    return f;
}

FlowSummary summary_basic() {
    FlowSummary s;
    s.first_seen = Timestamp::from_sec_usec(1600000000, 1000);
    s.last_seen = Timestamp::from_sec_usec(1600000000, 6999);
    s.packets = 6;
    s.wire_bytes = 336;
    s.captured_bytes = 336;
    s.size = 12;
    s.stored_bytes = 12;
    s.out_of_order_segments = 1;
    s.reason = CloseReason::fin;
    return s;
}

bool has_line(const std::string& flat, const std::string& line) {
    std::istringstream in(flat);
    for (std::string l; std::getline(in, l);) {
        if (l == line) return true;
    }
    return false;
}

}  // namespace

TEST(Report, Escape) {
    EXPECT_EQ(ReportWriter::escape("a&b<c>d'e\"f"), "a&amp;b&lt;c&gt;d&apos;e&quot;f");
    EXPECT_EQ(ReportWriter::escape(std::string("x\x01y", 3)), "x\\x01y");
    EXPECT_EQ(ReportWriter::escape("caf\xc3\xa9"), "caf\xc3\xa9");
    EXPECT_EQ(ReportWriter::escape("bad\xff"), "bad\\xff");
    EXPECT_EQ(ReportWriter::iso_time_usec(Timestamp::from_sec_usec(1600000000, 1000)),
              "2020-09-13T12:26:40.001000Z");
    const char* argv[] = {"tcpflow", "-r", "my file.pcap", "it's"};
    EXPECT_EQ(ReportWriter::join_command_line(4, argv), "tcpflow -r 'my file.pcap' 'it'\\''s'");
}

TEST(Report, WellFormedWithFlowsAndSummary) {
    if (!have_python()) GTEST_SKIP() << "python3 not found; cannot check XML well-formedness";
    const test::TempDir tmp;   // removed at the end of the test
    const std::string dir = tmp.path();
    const std::string path = dir + "/report.xml";
    std::string error;
    {
        ReportRunInfo run;
        run.command_line = "tcpflow -r 'a&b.pcap' -o \"<out>\"";
        auto w = ReportWriter::open(path, run, error);
        ASSERT_NE(w, nullptr) << error;

        // Flow 1: file written, tricky file name, MD5, HTTP bodies, holes, VLANs.
        FlowInfo f1 = flow_v4();
        f1.vlans.count = 2;
        f1.vlans.ids = {100, 200, 0, 0};
        FlowSummary s1 = summary_basic();
        s1.retransmitted_bytes = 7;
        s1.conflicting_bytes = 3;
        s1.holes = {{4, 2}, {10, 100}};
        ReportExtras e1;
        e1.filename = "o/a&b<c>'d\"e";
        e1.md5_hex = "d41d8cd98f00b204e9800998ecf8427e";
        e1.http_bodies = {{88, "o/x-HTTPBODY-001.html", 150, ""}, {300, "o/x-HTTPBODY-002.png", 8, ""}};
        w->add_flow(f1, s1, e1);

        // Flow 2: no file, IPv6, no MAC, RST, caplen != len, tunnel.
        FlowInfo f2;
        const std::uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
        const std::uint8_t b[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
        f2.name.src = IpAddress::v6(Bytes{a});
        f2.name.dst = IpAddress::v6(Bytes{b});
        f2.name.sport = 80;
        f2.name.dport = 40000;
        f2.tunnel.kind = static_cast<std::uint8_t>(TunnelKind::vxlan);
        f2.tunnel.outer_src = IpAddress::v4(192, 168, 0, 1);
        f2.tunnel.outer_dst = IpAddress::v4(192, 168, 0, 2);
        f2.tunnel.id = 42;
        FlowSummary s2;
        s2.first_seen = Timestamp::from_sec_usec(1600000000, 2000);
        s2.last_seen = Timestamp::from_sec_usec(1600000001, 0);
        s2.packets = 2;
        s2.wire_bytes = 200;
        s2.captured_bytes = 150;
        s2.reason = CloseReason::rst;
        w->add_flow(f2, s2);

        ReportTotals t;
        t.total_flows = 2;
        t.total_packets = 8;
        t.max_open_flows = 1;
        t.stats.add(Counter::packets, 8);
        t.stats.add(Counter::keepalives, 2);
        t.pcap = PcapDropStats{10, 1, 0};
        w->finish(t);
        w->finish(t);   // idempotent
        EXPECT_FALSE(w->failed());
    }
    const std::string text = read_file(path);
    EXPECT_EQ(text.rfind("<?xml version='1.0' encoding='UTF-8'?>", 0), 0u);
    EXPECT_EQ(text.find("<configuration>"), text.rfind("<configuration>"));   // only once

    const std::string flat = flatten(path);
    ASSERT_EQ(flat.find("PARSE ERROR"), std::string::npos) << flat << "\n" << text;
    EXPECT_TRUE(has_line(flat, "/dfxml/metadata/dc:type =Feature Extraction")) << flat;
    EXPECT_TRUE(has_line(flat, "/dfxml/creator/program =TCPFLOW"));
    EXPECT_TRUE(has_line(flat, "/dfxml/creator/version =" + std::string(kVersion)));
    EXPECT_TRUE(has_line(flat, "/dfxml/creator/execution_environment/command_line =tcpflow -r 'a&b.pcap' -o \"<out>\""));
    EXPECT_TRUE(has_line(flat, "/dfxml/fileobject/filename =o/a&b<c>'d\"e"));
    EXPECT_TRUE(has_line(flat, "/dfxml/fileobject/filesize =12"));
    EXPECT_TRUE(has_line(flat,
        "/dfxml/fileobject/tcpflow @close_reason=fin @conflicting_bytes=3 @dst_ipn=10.0.0.2 @dstport=80"
        " @endtime=2020-09-13T12:26:40.006999Z @family=2 @hole_count=2 @len=336"
        " @mac_daddr=00:00:00:00:00:02 @mac_saddr=00:00:00:00:00:01 @out_of_order_count=1 @packets=6"
        " @retransmitted_bytes=7 @src_ipn=10.0.0.1 @srcport=1234 @startime=2020-09-13T12:26:40.001000Z"
        " @stored_bytes=12 @vlan=100,200 =")) << flat;
    EXPECT_TRUE(has_line(flat, "/dfxml/fileobject/holes/hole @length=2 @offset=4 ="));
    EXPECT_TRUE(has_line(flat, "/dfxml/fileobject/holes/hole @length=100 @offset=10 ="));
    EXPECT_TRUE(has_line(flat, "/dfxml/fileobject/hashdigest @type=MD5 =d41d8cd98f00b204e9800998ecf8427e"));
    EXPECT_TRUE(has_line(flat, "/dfxml/fileobject/byte_runs/byte_run @file_offset=88"));
    EXPECT_TRUE(has_line(flat, "/dfxml/fileobject/byte_runs/byte_run/fileobject/filename =o/x-HTTPBODY-001.html"));
    EXPECT_TRUE(has_line(flat, "/dfxml/fileobject/byte_runs/byte_run/fileobject/filesize =150"));
    EXPECT_TRUE(has_line(flat,
        "/dfxml/fileobject/tcpflow @caplen=150 @close_reason=rst @dst_ipn=2001:db8::2 @dstport=40000"
        " @endtime=2020-09-13T12:26:41.000000Z @family=10 @len=200 @packets=2 @src_ipn=2001:db8::1"
        " @srcport=80 @startime=2020-09-13T12:26:40.002000Z @tunnel=vxlan @tunnel_dst=192.168.0.2"
        " @tunnel_id=42 @tunnel_src=192.168.0.1 =")) << flat;
    EXPECT_TRUE(has_line(flat, "/dfxml/fileobject/filesize =0"));
    EXPECT_TRUE(has_line(flat, "/dfxml/summary/total_flows =2"));
    EXPECT_TRUE(has_line(flat, "/dfxml/summary/total_packets =8"));
    EXPECT_TRUE(has_line(flat, "/dfxml/summary/max_open_flows =1"));
    EXPECT_TRUE(has_line(flat, "/dfxml/summary/open_fds_at_end =0"));
    EXPECT_TRUE(has_line(flat, "/dfxml/summary/counters/counter @name=packets =8"));
    EXPECT_TRUE(has_line(flat, "/dfxml/summary/counters/counter @name=keepalives =2"));
    EXPECT_EQ(flat.find("@name=tcp_segments"), std::string::npos);   // zero counters omitted
    EXPECT_TRUE(has_line(flat, "/dfxml/summary/pcap_stats @dropped=1 @if_dropped=0 @received=10 ="));
    EXPECT_NE(flat.find("/dfxml/rusage/maxrss ="), std::string::npos);
    EXPECT_NE(flat.find("/dfxml/rusage/clocktime ="), std::string::npos);
    // One filename per written file only: flow 2 has none.
    std::size_t filenames = 0;
    for (std::size_t p = flat.find("/dfxml/fileobject/filename "); p != std::string::npos;
         p = flat.find("/dfxml/fileobject/filename ", p + 1)) {
        ++filenames;
    }
    EXPECT_EQ(filenames, 1u);
}

TEST(Report, DestructorCompletesDocument) {
    if (!have_python()) GTEST_SKIP() << "python3 not found; cannot check XML well-formedness";
    const test::TempDir tmp;   // removed at the end of the test
    const std::string dir = tmp.path();
    const std::string path = dir + "/report.xml";
    std::string error;
    {
        auto w = ReportWriter::open(path, ReportRunInfo{}, error);
        ASSERT_NE(w, nullptr);
        w->add_flow(flow_v4(), summary_basic());
        // no finish(): an error path
    }
    const std::string flat = flatten(path);
    ASSERT_EQ(flat.find("PARSE ERROR"), std::string::npos) << flat;
    EXPECT_TRUE(has_line(flat, "/dfxml/summary/total_flows =0"));
}

TEST(Report, FlushedAfterEachFlow) {
    std::ostringstream out;
    ReportWriter w(out, ReportRunInfo{});
    w.add_flow(flow_v4(), summary_basic());
    const std::string so_far = out.str();
    EXPECT_NE(so_far.find("</fileobject>"), std::string::npos);
    EXPECT_EQ(so_far.find("</dfxml>"), std::string::npos);
    w.finish();
    w.add_flow(flow_v4(), summary_basic());   // ignored after finish
    const std::string all = out.str();
    EXPECT_EQ(all.substr(all.size() - 9), "</dfxml>\n");
}

TEST(Report, OpenFailureReportsError) {
    std::string error;
    auto w = ReportWriter::open("/dev/null/report.xml", ReportRunInfo{}, error);   // never a folder, even for root
    EXPECT_EQ(w, nullptr);
    EXPECT_FALSE(error.empty());
}

// --shard: the report says which shard it is, and lists every counter (zeros too), so that the
// shards' reports merge with the counters in one order (tools/merge_reports.py).
TEST(Report, AShardsReportNamesItsShardAndListsEveryCounter) {
    std::ostringstream plain, shard;
    {
        ReportWriter w(plain, ReportRunInfo{});
        ReportTotals t;
        t.stats.add(Counter::packets, 5);
        w.finish(t);
    }
    {
        ReportRunInfo run;
        run.shard_index = 2;
        run.shard_count = 7;
        ReportWriter w(shard, run);
        ReportTotals t;
        t.stats.add(Counter::packets, 5);
        w.finish(t);
    }
    EXPECT_EQ(plain.str().find("<shard"), std::string::npos);
    EXPECT_EQ(plain.str().find("<counter name='tcp_segments'>"), std::string::npos);
    EXPECT_NE(shard.str().find("  <configuration>\n    <tdelta>0</tdelta>\n    <shard index='2' count='7'/>\n"),
              std::string::npos)
        << shard.str();
    EXPECT_NE(shard.str().find("<counter name='packets'>5</counter>\n      <counter name='tcp_segments'>0</counter>"),
              std::string::npos);
    EXPECT_NE(shard.str().find("<counter name='write_errors'>0</counter>"), std::string::npos);
}
