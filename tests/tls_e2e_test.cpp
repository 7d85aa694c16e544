// tls_e2e_test: --tls-keylog end to end, on captures of real TLS stacks (Python's ssl, openssl
// s_server/s_client) over loopback in a network namespace, made by tools/tls_capture.py at test
// time (as root; skipped otherwise). The capture is made once per build folder (under a lock,
// remade when the script changes) and shared by the test processes.
//
// What each test catches is said above it.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/run.h"

namespace fs = std::filesystem;
using namespace tcpflow::test;

namespace {

struct Conn {
    std::string name;          // the case
    int n = 0;                 // its connection number
    std::uint16_t cport = 0, sport = 0;
    std::string version, cipher;
    std::string client, server;   // the bytes each application wrote
};

/// One line of tls_capture.py's manifest.txt: the connection, and the names of the files
/// holding what its client and server wrote (`cf`, `sf`).
Conn parse_manifest_line(const std::string& line, std::string& cf, std::string& sf) {
    std::istringstream w(line);
    Conn k;
    unsigned cp = 0, sp = 0;
    w >> k.name >> k.n >> cp >> sp >> k.version >> k.cipher >> cf >> sf;
    k.cport = static_cast<std::uint16_t>(cp);
    k.sport = static_cast<std::uint16_t>(sp);
    return k;
}

struct Capture {
    bool ok = false;
    std::string why;           // the skip or failure reason
    std::string dir;
    std::vector<Conn> conns;
    [[nodiscard]] std::string pcap() const { return dir + "/tls.pcap"; }
    [[nodiscard]] std::string keys() const { return dir + "/keys.log"; }
};

bool tool_on_path(const char* tool) {
    return std::system((std::string("command -v ") + tool + " >/dev/null 2>&1").c_str()) == 0;
}

Capture make_capture() {
    Capture c;
    if (::geteuid() != 0) {
        c.why = "the captures need root (a network namespace, tcpdump on its loopback)";
        return c;
    }
    c.dir = std::string(TCPFLOW_BUILD_DIR) + "/tls_capture";
    const std::string script = std::string(TCPFLOW_SOURCE_DIR) + "/tools/tls_capture.py";
    const int lock = ::open((c.dir + ".lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (lock < 0 || ::flock(lock, LOCK_EX) != 0) {
        c.why = "cannot lock " + c.dir + ".lock";
        return c;
    }
    const std::string stamp = read_file(script);
    if (!fs::exists(c.dir + "/manifest.txt") || read_file(c.dir + "/script.stamp") != stamp) {
        fs::remove_all(c.dir);
        const auto r = run_program({"/usr/bin/env", "python3", script, c.dir}, "", 300);
        if (r.exit_code != 0) {
            c.why = r.exit_code == 77 ? "tls_capture.py skipped: " + r.err : "tls_capture.py failed: " + r.err;
            c.ok = false;
            ::close(lock);
            if (r.exit_code != 77) c.why = "FAIL " + c.why;
            return c;
        }
        std::ofstream(c.dir + "/script.stamp", std::ios::binary) << stamp;
    }
    ::close(lock);
    std::istringstream in(read_file(c.dir + "/manifest.txt"));
    for (std::string line; std::getline(in, line);) {
        std::string cf, sf;
        Conn k = parse_manifest_line(line, cf, sf);
        k.client = read_file(c.dir + "/" + cf);
        k.server = read_file(c.dir + "/" + sf);
        c.conns.push_back(std::move(k));
    }
    c.ok = !c.conns.empty();
    if (!c.ok) c.why = "FAIL empty manifest";
    return c;
}

const Capture& capture() {
    static const Capture c = make_capture();
    return c;
}

#define NEED_CAPTURE()                                  \
    const Capture& cap = capture();                     \
    if (!cap.ok) {                                      \
        if (cap.why.rfind("FAIL", 0) == 0) {            \
            FAIL() << cap.why;                          \
        }                                               \
        GTEST_SKIP() << cap.why;                        \
    }

std::string c2s(const Conn& k) { return flow_name("127.0.0.1", k.cport, "127.0.0.1", k.sport); }
std::string s2c(const Conn& k) { return flow_name("127.0.0.1", k.sport, "127.0.0.1", k.cport); }

/// The IANA name of an OpenSSL TLS 1.2 cipher name (TLS 1.3 names are IANA names already).
std::string iana(const std::string& openssl) {
    static const std::map<std::string, std::string> m = {
        {"ECDHE-RSA-AES128-GCM-SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
        {"AES256-GCM-SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384"},
        {"ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
        {"ECDHE-RSA-AES128-SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
        {"AES128-SHA256", "TLS_RSA_WITH_AES_128_CBC_SHA256"},
        {"ECDHE-RSA-AES256-SHA384", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
    };
    const auto it = m.find(openssl);
    return it == m.end() ? openssl : it->second;
}

/// The <tls .../> element of the <fileobject> whose filename ends with `name`; "" when none.
std::string tls_element(const std::string& report, const std::string& name) {
    const std::string key = "/" + name + "</filename>";
    for (std::size_t at = report.find(key); at != std::string::npos; at = report.find(key, at + 1)) {
        const std::size_t end = report.find("</fileobject>", at);
        const std::size_t t = report.find("<tls ", at);
        if (t == std::string::npos || t > end) return {};
        return report.substr(t, report.find("/>", t) - t);
    }
    return {};
}

/// An attribute's value in an element's text ("" when absent).
std::string attr(const std::string& element, const std::string& name) {
    const std::string key = " " + name + "='";
    const std::size_t at = element.find(key);
    if (at == std::string::npos) return {};
    const std::size_t from = at + key.size();
    return element.substr(from, element.find('\'', from) - from);
}

/// One run of the built binary over the capture with the key log; the output folder's files.
struct Decrypted {
    TempDir out;
    RunResult run;
    std::map<std::string, std::string> files;
    std::string report, index;
};

void decrypt(Decrypted& d, const std::string& pcap, const std::vector<std::string>& extra) {
    std::vector<std::string> args{"-r", pcap, "-o", d.out.path(), "--flow-index"};
    args.insert(args.end(), extra.begin(), extra.end());
    d.run = run_tcpflow(args);
    d.files = files(d.out.path());
    d.report = read_file(d.out / "report.xml");
    d.index = read_file(d.out / "flows.jsonl");
}

// Catches: any suite, version or feature (KeyUpdate, HRR, 0-RTT, CBC MtE/EtM, 1 MB over many
// records, port 443 and others) whose plaintext differs from what the application wrote, is
// cut short, has handshake bytes in it, or lands in a wrongly named file.
TEST(TlsE2e, EveryCaseDecryptsToWhatEachSideWrote) {
    NEED_CAPTURE();
    Decrypted d;
    decrypt(d, cap.pcap(), {"--tls-keylog", cap.keys()});
    ASSERT_EQ(d.run.exit_code, 0) << d.run.err;
    for (const Conn& k : cap.conns) {
        SCOPED_TRACE(k.name + " connection " + std::to_string(k.n));
        ASSERT_TRUE(d.files.count(c2s(k))) << "raw client file";
        const auto c = d.files.find(c2s(k) + ".tls");
        const auto s = d.files.find(s2c(k) + ".tls");
        ASSERT_NE(c, d.files.end()) << "no client .tls file";
        ASSERT_NE(s, d.files.end()) << "no server .tls file";
        EXPECT_TRUE(c->second == k.client) << "client plaintext differs: " << c->second.size() << " bytes, wrote "
                                           << k.client.size();
        EXPECT_TRUE(s->second == k.server) << "server plaintext differs: " << s->second.size() << " bytes, wrote "
                                           << k.server.size();
    }
}

// Catches: the decorator changing raw flow files (or dropping/adding any), and .tls files for
// connections that are not TLS.
TEST(TlsE2e, RawFilesAreTheSameAsWithoutKeys) {
    NEED_CAPTURE();
    Decrypted with, without;
    decrypt(with, cap.pcap(), {"--tls-keylog", cap.keys()});
    decrypt(without, cap.pcap(), {});
    ASSERT_EQ(without.run.exit_code, 0);
    std::map<std::string, std::string> raw;
    for (const auto& [name, bytes] : with.files)
        if (name.find(".tls") == std::string::npos && name != "flows.jsonl") raw[name] = bytes;
    without.files.erase("flows.jsonl");
    EXPECT_EQ(raw.size(), without.files.size());
    EXPECT_TRUE(raw == without.files);
    std::size_t tls_files = 0;
    for (const auto& [name, bytes] : with.files) tls_files += name.ends_with(".tls") ? 1 : 0;
    EXPECT_EQ(tls_files, 2 * cap.conns.size());
}

// Catches: wrong or missing facts in the report's <tls/> and the flow index's "tls" (version,
// suite names, SNI, ALPN, byte counts, stop reasons, file names).
TEST(TlsE2e, ReportAndFlowIndexSayWhatWasDecrypted) {
    NEED_CAPTURE();
    Decrypted d;
    decrypt(d, cap.pcap(), {"--tls-keylog", cap.keys()});
    ASSERT_EQ(d.run.exit_code, 0) << d.run.err;
    for (const Conn& k : cap.conns) {
        SCOPED_TRACE(k.name + " connection " + std::to_string(k.n));
        const std::string ct = tls_element(d.report, c2s(k));
        const std::string st = tls_element(d.report, s2c(k));
        ASSERT_FALSE(ct.empty()) << "no <tls/> for the client direction";
        ASSERT_FALSE(st.empty()) << "no <tls/> for the server direction";
        EXPECT_EQ(attr(ct, "version"), k.version == "TLSv1.3" ? "TLS 1.3" : "TLS 1.2");
        if (k.cipher != "-") {
            EXPECT_EQ(attr(ct, "cipher_suite"), iana(k.cipher));
        }
        EXPECT_EQ(attr(ct, "sni"), "test.local");
        EXPECT_EQ(attr(ct, "alpn"), k.name == "https_443" ? "http/1.1" : "");
        EXPECT_EQ(attr(ct, "decrypted"), "1");
        EXPECT_EQ(attr(ct, "decrypted_bytes"), std::to_string(k.client.size()));
        EXPECT_EQ(attr(st, "decrypted_bytes"), std::to_string(k.server.size()));
        EXPECT_EQ(attr(ct, "auth_failures"), "0");
        EXPECT_EQ(attr(ct, "stop"), "none");
        EXPECT_EQ(attr(st, "stop"), "none");
        EXPECT_TRUE(attr(ct, "filename").ends_with(c2s(k) + ".tls"));
        // The flow index: the connection's line (its server port and client port).
        std::istringstream lines(d.index);
        std::string rec;
        for (std::string l; std::getline(lines, l);)
            if (l.find("\"port\":" + std::to_string(k.cport) + ",") != std::string::npos &&
                l.find("\"port\":" + std::to_string(k.sport) + ",") != std::string::npos)
                rec = l;
        ASSERT_FALSE(rec.empty()) << "no flow index record";
        EXPECT_NE(rec.find(std::string("\"tls\":{\"version\":\"") + (k.version == "TLSv1.3" ? "TLS 1.3" : "TLS 1.2")),
                  std::string::npos)
            << rec;
        EXPECT_NE(rec.find("\"sni\":\"test.local\""), std::string::npos) << rec;
        EXPECT_NE(rec.find("\"tls_decrypted_bytes\":" + std::to_string(k.client.size()) + ","), std::string::npos);
        EXPECT_NE(rec.find("\"tls_decrypted_bytes\":" + std::to_string(k.server.size()) + ","), std::string::npos);
        EXPECT_NE(rec.find("\"tls_file\":\"" + c2s(k) + ".tls\""), std::string::npos) << rec;
    }
    // The schema (docs/flow-index.schema.json) holds for every record.
    const std::string checker = std::string(TCPFLOW_SOURCE_DIR) + "/tests/scripts/check_flow_index.py";
    const auto v = run_program({"/usr/bin/env", "python3", checker,
                                std::string(TCPFLOW_SOURCE_DIR) + "/docs/flow-index.schema.json",
                                d.out / "flows.jsonl", d.out.path()});
    if (v.exit_code != 77) {
        EXPECT_EQ(v.exit_code, 0) << v.err;
    }
}

/// The capture without the `nth` (from 0) TCP packet from port `sport` carrying more than 1000
/// payload bytes; the number of such packets in `count`. (tcpdump on lo: little-endian
/// microsecond pcap, Ethernet framing, IPv4.)
std::string drop_packet(const std::string& pcap, std::uint16_t sport, std::size_t nth, std::size_t& count) {
    const std::string in = read_file(pcap);
    std::string out = in.substr(0, 24);
    count = 0;
    bool dropped = false;
    for (std::size_t off = 24; off + 16 <= in.size();) {
        std::uint32_t incl = 0;
        std::memcpy(&incl, in.data() + off + 8, 4);
        const std::string rec = in.substr(off, 16 + incl);
        off += 16 + incl;
        const auto* p = reinterpret_cast<const unsigned char*>(rec.data()) + 16;
        bool big = false;
        if (incl >= 54 && p[12] == 0x08 && p[13] == 0x00 && p[23] == 6) {
            const std::size_t ihl = (p[14] & 15u) * 4u, tcp = 14 + ihl;
            const std::size_t total = (std::size_t{p[16]} << 8) | p[17];
            const std::size_t thl = (p[tcp + 12] >> 4) * 4u;
            const auto src = static_cast<std::uint16_t>((p[tcp] << 8) | p[tcp + 1]);
            big = src == sport && total > ihl + thl + 1000;
        }
        if (big && count++ == nth && !dropped) {
            dropped = true;
            continue;
        }
        out += rec;
    }
    return out;
}

const Conn* find_case(const Capture& cap, const std::string& name, int n = 0) {
    for (const Conn& k : cap.conns)
        if (k.name == name && k.n == n) return &k;
    return nullptr;
}

// Catches: decrypting past a hole (garbage or a resynchronised stream) instead of stopping there
// and saying so; the other direction must not be affected.
TEST(TlsE2e, LostSegmentStopsThatDirectionAtTheHole) {
    NEED_CAPTURE();
    const Conn* k = find_case(cap, "t13_1mb");
    ASSERT_NE(k, nullptr);
    std::size_t count = 0;
    (void)drop_packet(cap.pcap(), k->sport, 0, count);
    ASSERT_GT(count, 4u);
    TempDir tmp;
    {
        std::ofstream(tmp / "hole.pcap", std::ios::binary) << drop_packet(cap.pcap(), k->sport, count / 2, count);
    }
    Decrypted d;
    decrypt(d, tmp / "hole.pcap", {"--tls-keylog", cap.keys()});
    ASSERT_EQ(d.run.exit_code, 0) << d.run.err;
    const auto s = d.files.find(s2c(*k) + ".tls");
    ASSERT_NE(s, d.files.end());
    EXPECT_LT(s->second.size(), k->server.size());
    EXPECT_GT(s->second.size(), 0u);
    EXPECT_TRUE(k->server.compare(0, s->second.size(), s->second) == 0) << "not a prefix of what the server wrote";
    EXPECT_TRUE(d.files[c2s(*k) + ".tls"] == k->client);
    const std::string st = tls_element(d.report, s2c(*k));
    EXPECT_EQ(attr(st, "stop"), "hole") << st;
    EXPECT_NE(attr(st, "stop_offset"), "0");
    EXPECT_EQ(attr(tls_element(d.report, c2s(*k)), "stop"), "none");
}

/// The key log with the last hex digit of every secret changed.
std::string wrong_keys(const std::string& keys) {
    std::istringstream in(keys);
    std::string out;
    for (std::string l; std::getline(in, l);) {
        if (!l.empty() && l[0] != '#') l.back() = l.back() == '0' ? '1' : '0';
        out += l + "\n";
    }
    return out;
}

// Catches: writing unauthenticated garbage with a wrong key, a crash or a failure status, and a
// report that hides why nothing was decrypted.
TEST(TlsE2e, WrongKeysWriteNoPlaintextAndCountFailures) {
    NEED_CAPTURE();
    TempDir tmp;
    {
        std::ofstream(tmp / "wrong.log", std::ios::binary) << wrong_keys(read_file(cap.keys()));
    }
    Decrypted d;
    decrypt(d, cap.pcap(), {"--tls-keylog", tmp / "wrong.log"});
    ASSERT_EQ(d.run.exit_code, 0) << d.run.err;
    for (const auto& [name, bytes] : d.files) EXPECT_FALSE(name.ends_with(".tls")) << name;
    for (const Conn& k : cap.conns) {
        SCOPED_TRACE(k.name);
        const std::string ct = tls_element(d.report, c2s(k));
        EXPECT_EQ(attr(ct, "decrypted"), "0") << ct;
        EXPECT_EQ(attr(ct, "stop"), "auth_failed") << ct;
        EXPECT_NE(attr(ct, "auth_failures"), "0") << ct;
        EXPECT_EQ(attr(ct, "filename"), "");
    }
}

// Catches: sessions without secrets producing files, or a report that does not say no_keys.
TEST(TlsE2e, NoKeysStopWithNoKeys) {
    NEED_CAPTURE();
    Decrypted d;
    decrypt(d, cap.pcap(), {"--tls-keylog", "/dev/null"});
    ASSERT_EQ(d.run.exit_code, 0) << d.run.err;
    for (const auto& [name, bytes] : d.files) EXPECT_FALSE(name.ends_with(".tls")) << name;
    const Conn* k = find_case(cap, "t13_aes128gcm");
    ASSERT_NE(k, nullptr);
    const std::string ct = tls_element(d.report, c2s(*k));
    EXPECT_EQ(attr(ct, "stop"), "no_keys") << ct;
    EXPECT_EQ(attr(ct, "version"), "TLS 1.3");   // the handshake is still read
    EXPECT_EQ(attr(ct, "sni"), "test.local");
}

// Catches: comments or bad lines stopping the key log from being read, bad lines not reported,
// and an unreadable key log not being a usage error.
TEST(TlsE2e, KeyLogCommentsAndBadLines) {
    NEED_CAPTURE();
    TempDir tmp;
    {
        std::ofstream f(tmp / "keys.log", std::ios::binary);
        f << "# SSL/TLS secrets log file, generated by NSS\n\n"
          << "CLIENT_RANDOM nothex nothex\n"
          << "SOME_OTHER_LABEL 00 11\n"
          << "CLIENT_RANDOM 0011\n";
        // The secrets of the contract's labels only: OpenSSL also logs EXPORTER_SECRET, RSA and
        // *_TRAFFIC_SECRET_N lines, which are not needed (whether they count as bad is the
        // parser's business, not this test's).
        std::istringstream keys(read_file(cap.keys()));
        for (std::string l; std::getline(keys, l);)
            for (const char* label : {"CLIENT_RANDOM ", "CLIENT_EARLY_TRAFFIC_SECRET ", "CLIENT_HANDSHAKE_TRAFFIC_SECRET ",
                                      "SERVER_HANDSHAKE_TRAFFIC_SECRET ", "CLIENT_TRAFFIC_SECRET_0 ", "SERVER_TRAFFIC_SECRET_0 "})
                if (l.rfind(label, 0) == 0) f << l << "\n";
    }
    Decrypted d;
    decrypt(d, cap.pcap(), {"--tls-keylog", tmp / "keys.log"});
    ASSERT_EQ(d.run.exit_code, 0) << d.run.err;
    EXPECT_NE(d.run.err.find("keys.log: 3 bad lines skipped"), std::string::npos) << d.run.err;
    const Conn* k = find_case(cap, "t12_ecdhe_aes128gcm");
    ASSERT_NE(k, nullptr);
    EXPECT_TRUE(d.files[s2c(*k) + ".tls"] == k->server);

    Decrypted missing_file;
    decrypt(missing_file, cap.pcap(), {"--tls-keylog", tmp / "no-such.log"});
    EXPECT_EQ(missing_file.run.exit_code, 2);
    EXPECT_NE(missing_file.run.err.find("no-such.log"), std::string::npos) << missing_file.run.err;
}

// Catches: -e http not looking into .tls files, -e md5 not hashing them.
TEST(TlsE2e, HttpBodiesAndHashesOfPlaintext) {
    NEED_CAPTURE();
    const Conn* k = find_case(cap, "https_443");
    ASSERT_NE(k, nullptr);
    Decrypted d;
    decrypt(d, cap.pcap(), {"--tls-keylog", cap.keys(), "-e", "http", "-e", "md5", "port 443"});
    ASSERT_EQ(d.run.exit_code, 0) << d.run.err;
    const std::string body = k->server.substr(k->server.find("\r\n\r\n") + 4);
    bool found = false;
    for (const auto& [name, bytes] : d.files)
        if (name.starts_with(s2c(*k) + ".tls-HTTPBODY-001")) found = bytes == body;
    EXPECT_TRUE(found) << "no HTTP body carved from the .tls file";
    // Both the raw file's and the .tls file's <fileobject> have an MD5.
    for (const std::string& name : {s2c(*k), s2c(*k) + ".tls"}) {
        const std::size_t at = d.report.find("/" + name + "</filename>");
        ASSERT_NE(at, std::string::npos) << name;
        const std::size_t end = d.report.find("</fileobject>", at);
        EXPECT_LT(d.report.find("<hashdigest type='MD5'>", at), end) << name;
    }
}

// Catches: -c printing ciphertext for a connection that decrypts, or not saying it is decrypted.
TEST(TlsE2e, ConsoleShowsPlaintext) {
    NEED_CAPTURE();
    const Conn* k = find_case(cap, "https_443");
    ASSERT_NE(k, nullptr);
    const auto r = run_tcpflow({"-r", cap.pcap(), "-c", "--tls-keylog", cap.keys(), "port 443"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("GET /secret.txt HTTP/1.1"), std::string::npos) << r.out.substr(0, 2000);
    EXPECT_NE(r.out.find("HTTP/1.1 200 OK"), std::string::npos);
    EXPECT_NE(r.out.find("decrypted"), std::string::npos);
    const auto plain = run_tcpflow({"-r", cap.pcap(), "-c", "port 443"});
    EXPECT_EQ(plain.out.find("GET /secret.txt"), std::string::npos);
}

/// Hex text to bytes (tshark's follow output lines).
std::string unhex(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

// Catches: a difference from Wireshark's decryption of the same capture and key log
// (tshark -z follow,tls,raw: each direction's application data). Measured with tshark 4.x on
// these captures: tshark decrypts every case, 0-RTT included, to exactly what each side wrote, so
// no difference is expected. (tshark prints the follow blocks in its own order: each is matched
// by its "Filter: tcp.stream eq N" line; node 0 may be either side.)
TEST(TlsE2e, SameAsTshark) {
    NEED_CAPTURE();
    if (!tool_on_path("tshark")) GTEST_SKIP() << "tshark is not on PATH (package tshark)";
    Decrypted d;
    decrypt(d, cap.pcap(), {"--tls-keylog", cap.keys()});
    // tcp.stream numbers in capture order: the connections' SYNs.
    // Matched by both ports: two connections of different cases may get the same client port
    // (one stream was then taken for the other connection, and one connection was never seen).
    const auto streams = run_program({"/usr/bin/env", "tshark", "-r", cap.pcap(), "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0",
                                      "-T", "fields", "-e", "tcp.stream", "-e", "tcp.srcport", "-e", "tcp.dstport"});
    ASSERT_EQ(streams.exit_code, 0) << streams.err;
    std::map<unsigned, const Conn*> conn_of_stream;
    std::istringstream sl(streams.out);
    std::vector<std::string> args{"/usr/bin/env", "tshark", "-r", cap.pcap(), "-o", "tls.keylog_file:" + cap.keys(), "-q"};
    for (unsigned st = 0, port = 0, dport = 0; sl >> st >> port >> dport;)
        for (const Conn& k : cap.conns)
            if (k.cport == port && k.sport == dport) {
                conn_of_stream[st] = &k;
                args.push_back("-z");
                args.push_back("follow,tls,raw," + std::to_string(st));
            }
    ASSERT_EQ(conn_of_stream.size(), cap.conns.size());
    const auto t = run_program(args, "", 120);
    ASSERT_EQ(t.exit_code, 0) << t.err;
    struct Sides {
        std::string client, server;
    };
    std::map<const Conn*, Sides> seen;
    const Conn* cur = nullptr;
    bool inside = false, node0_is_server = false;
    std::istringstream in(t.out);
    for (std::string l; std::getline(in, l);) {
        if (l.rfind("Filter: tcp.stream eq ", 0) == 0) {
            cur = conn_of_stream[static_cast<unsigned>(std::stoul(l.substr(22)))];
            inside = false;
        } else if (l.rfind("Node 0:", 0) == 0 && cur) {
            node0_is_server = l.ends_with(":" + std::to_string(cur->sport));
        } else if (l.rfind("Node 1:", 0) == 0) {
            inside = true;
        } else if (l.rfind("=====", 0) == 0) {
            inside = false;
        } else if (inside && cur && !l.empty()) {
            const bool node1 = l[0] == '\t';
            Sides& s = seen[cur];
            (node1 == node0_is_server ? s.client : s.server) += unhex(node1 ? l.substr(1) : l);
        }
    }
    for (const Conn& k : cap.conns)
        EXPECT_TRUE(seen.count(&k)) << "tshark printed nothing for " << k.name << " connection " << k.n << " (" << k.cport
                                    << " -> " << k.sport << ")";
    ASSERT_EQ(seen.size(), cap.conns.size());
    for (const auto& [k, s] : seen) {
        SCOPED_TRACE(k->name + " connection " + std::to_string(k->n));
        EXPECT_TRUE(s.client == k->client && s.server == k->server) << "tshark itself differs from what was written";
        EXPECT_TRUE(s.client == d.files[c2s(*k) + ".tls"]) << "client side differs from tshark";
        EXPECT_TRUE(s.server == d.files[s2c(*k) + ".tls"]) << "server side differs from tshark";
    }
}

// Catches: pcapng Decryption Secrets Blocks (editcap --inject-secrets) not reaching the key log.
TEST(TlsE2e, SecretsEmbeddedInPcapng) {
    NEED_CAPTURE();
    if (!tool_on_path("editcap")) GTEST_SKIP() << "editcap is not on PATH (package tshark)";
    TempDir tmp;
    const auto e = run_program({"/usr/bin/env", "editcap", "--inject-secrets", "tls," + cap.keys(), cap.pcap(), tmp / "dsb.pcapng"});
    ASSERT_EQ(e.exit_code, 0) << e.err;
    Decrypted d;
    decrypt(d, tmp / "dsb.pcapng", {"--tls-keylog", "/dev/null"});
    ASSERT_EQ(d.run.exit_code, 0) << d.run.err;
    for (const Conn& k : cap.conns) {
        SCOPED_TRACE(k.name);
        EXPECT_TRUE(d.files[c2s(k) + ".tls"] == k.client);
        EXPECT_TRUE(d.files[s2c(k) + ".tls"] == k.server);
    }
}

// Catches: a live capture not rereading a key log that grows (the secrets of each connection are
// appended only after all its data went by: the records must wait and be decrypted after the
// reread), or the live path writing different plaintext. tls_capture.py --live runs the built
// binary with -i lo in the namespace.
TEST(TlsE2e, LiveCaptureRereadsAGrowingKeyLog) {
    NEED_CAPTURE();
    TempDir tmp;
    const std::string script = std::string(TCPFLOW_SOURCE_DIR) + "/tools/tls_capture.py";
    const auto r = run_program({"/usr/bin/env", "python3", script, tmp / "cap", "--cases", "t13_aes128gcm,t12_cbc_sha256_mte",
                                "--live", TCPFLOW_BINARY},
                               "", 120);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::istringstream in(read_file(tmp / "cap/manifest.txt"));
    const auto out = files(tmp / "cap/live");
    int conns = 0;
    for (std::string line; std::getline(in, line); ++conns) {
        std::string cf, sf;
        const Conn k = parse_manifest_line(line, cf, sf);
        SCOPED_TRACE(k.name);
        const auto c = out.find(c2s(k) + ".tls");
        const auto s = out.find(s2c(k) + ".tls");
        ASSERT_NE(c, out.end());
        ASSERT_NE(s, out.end());
        EXPECT_TRUE(c->second == read_file(tmp / ("cap/" + cf)));
        EXPECT_TRUE(s->second == read_file(tmp / ("cap/" + sf)));
    }
    EXPECT_EQ(conns, 2);
}

// Catches: the -j worker sinks decrypting differently from the single-threaded run (each
// worker has its own TLS sink; both directions of a connection go to one worker).
TEST(TlsE2e, WorkersWriteTheSameFiles) {
    NEED_CAPTURE();
    Decrypted one, two;
    decrypt(one, cap.pcap(), {"--tls-keylog", cap.keys()});
    decrypt(two, cap.pcap(), {"--tls-keylog", cap.keys(), "-j", "2"});
    ASSERT_EQ(two.run.exit_code, 0) << two.run.err;
    one.files.erase("flows.jsonl");
    two.files.erase("flows.jsonl");
    EXPECT_EQ(one.files.size(), two.files.size());
    EXPECT_TRUE(one.files == two.files);
}

// Catches: -c with --flow-index (the console sink inside the finishing sink) losing the TLS
// facts of the index or printing ciphertext.
TEST(TlsE2e, ConsoleWithFlowIndex) {
    NEED_CAPTURE();
    TempDir tmp;
    const auto r = run_tcpflow({"-r", cap.pcap(), "-c", "--tls-keylog", cap.keys(), "--flow-index=" + tmp / "f.jsonl",
                                "port 443"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("GET /secret.txt HTTP/1.1"), std::string::npos);
    const std::string index = read_file(tmp / "f.jsonl");
    EXPECT_NE(index.find("\"tls\":{\"version\":\"TLS 1.3\""), std::string::npos) << index;
}

}  // namespace
