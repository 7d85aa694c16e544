// tls_interop_test.cpp: connections made by a real TLS stack (OpenSSL through Python's ssl, in
// memory, tests/tls_openssl_streams.py) decrypted by the session: TLS 1.2 with every listed suite
// family (ECDHE/RSA, RSA and ECDSA certificates, GCM, ChaCha20-Poly1305, CCM, CBC with SHA1/
// SHA256/SHA384 with and without encrypt-then-MAC) and TLS 1.3 with each suite, fed in TCP-sized
// pieces. The plaintext must equal what each side wrote, byte for byte.
#include "support/run.h"
#include "tcpflow/tls/keylog.h"
#include "tcpflow/tls/session.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

using namespace tcpflow::tls;
using tcpflow::Bytes;
using Buf = std::vector<std::uint8_t>;

namespace {

Buf slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    return Buf(std::istreambuf_iterator<char>(f), {});
}

struct Sink : PlaintextSink {
    Buf data[2];
    void on_plaintext(int dir, std::uint64_t offset, Bytes d) override {
        EXPECT_EQ(offset, data[dir].size());
        data[dir].insert(data[dir].end(), d.begin(), d.end());
    }
};

struct Case {
    const char* name;
    const char* version;
    const char* ciphers;  // TLS 1.2 cipher list or TLS 1.3 Ciphersuites
    bool ecdsa, etm;
    std::uint16_t suite;
};

class Interop : public ::testing::Test {
protected:
    void SetUp() override {
        const auto probe = tcpflow::test::run_program({"/usr/bin/env", "python3", "-c", "import ssl"});
        if (probe.exit_code != 0) GTEST_SKIP() << "python3 with ssl is not available";
    }

    /// Makes the connection; false (with a reason) when this OpenSSL cannot.
    bool make(const Case& c, std::string& why) {
        std::vector<std::string> argv = {"/usr/bin/env", "python3", std::string(TCPFLOW_SOURCE_DIR) + "/tests/tls_openssl_streams.py",
                                         dir.path(), c.name, c.version, c.version[1] == '3' ? "-" : c.ciphers,
                                         c.ecdsa ? "1" : "0", c.etm ? "1" : "0", "3000"};
        if (c.version[1] == '3') {  // the suite of TLS 1.3 comes from an OpenSSL configuration
            const std::string conf = dir.path() + "/" + c.name + ".cnf";
            std::ofstream(conf) << "openssl_conf = c\n[c]\nssl_conf = s\n[s]\nsystem_default = d\n[d]\n"
                                << "Ciphersuites = " << c.ciphers << "\n";
            argv.insert(argv.begin() + 1, "OPENSSL_CONF=" + conf);
        }
        const auto r = tcpflow::test::run_program(argv);
        why = r.err;
        if (r.exit_code == 3) return false;
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.exit_code == 0;
    }

    void check(const Case& c, std::size_t segment) {
        const std::string base = dir.path() + "/" + c.name;
        const Buf keys_text = slurp(base + ".keys"), events = slurp(base + ".events");
        KeyLog keys;
        KeyLogStats stats;
        keys.add(keys_text, stats, true);
        EXPECT_EQ(stats.bad, 0u) << c.name;
        Sink sink;
        Session session{keys, sink, false};
        std::uint64_t offset[2] = {0, 0};
        tcpflow::ByteReader r{events};
        while (r.remaining() > 0) {
            const auto d = r.u8();
            const auto n = r.be32();
            const auto bytes = n ? r.take(*n) : std::nullopt;
            ASSERT_TRUE(d && bytes && *d < 2);
            for (std::size_t at = 0; at < bytes->size(); at += segment) {
                const Bytes piece = bytes->subspan(at, std::min(segment, bytes->size() - at));
                session.feed(*d, offset[*d], piece);
                offset[*d] += piece.size();
            }
        }
        session.end(0);
        session.end(1);
        const Facts& f = session.facts();
        EXPECT_EQ(f.cipher_suite, c.suite) << c.name << " " << suite_name(f.cipher_suite);
        EXPECT_EQ(f.sni, "interop.example");
        EXPECT_EQ(f.alpn, "http/1.1");
        EXPECT_TRUE(sink.data[0] == slurp(base + ".plain0")) << c.name << " client, segment " << segment;
        EXPECT_TRUE(sink.data[1] == slurp(base + ".plain1")) << c.name << " server, segment " << segment;
        for (int d = 0; d < 2; ++d) {
            EXPECT_EQ(f.dir[d].stop, Stop::none) << c.name << " " << stop_name(f.dir[d].stop);
            EXPECT_EQ(f.dir[d].auth_failures, 0u) << c.name;
        }
    }

    void run_cases(std::initializer_list<Case> cases) {
        for (const Case& c : cases) {
            std::string why;
            if (!make(c, why)) {
                std::cout << "[ skipped  ] " << c.name << ": " << why << "\n";
                continue;
            }
            for (std::size_t segment : {1448u, 100u, 65536u}) check(c, segment);
        }
    }

    tcpflow::test::TempDir dir;
};

}  // namespace

TEST_F(Interop, Tls12Suites) {
    run_cases({
        {"ecdhe-rsa-aes128-gcm", "12", "ECDHE-RSA-AES128-GCM-SHA256", false, true, 0xC02F},
        {"ecdhe-rsa-aes256-gcm", "12", "ECDHE-RSA-AES256-GCM-SHA384", false, true, 0xC030},
        {"ecdhe-rsa-chacha", "12", "ECDHE-RSA-CHACHA20-POLY1305", false, true, 0xCCA8},
        {"ecdhe-ecdsa-chacha", "12", "ECDHE-ECDSA-CHACHA20-POLY1305", true, true, 0xCCA9},
        {"ecdhe-ecdsa-aes128-ccm", "12", "ECDHE-ECDSA-AES128-CCM", true, true, 0xC0AC},
        {"rsa-aes256-ccm", "12", "AES256-CCM", false, true, 0xC09D},
        {"rsa-aes128-gcm", "12", "AES128-GCM-SHA256", false, true, 0x009C},
        {"ecdhe-rsa-aes128-sha-etm", "12", "ECDHE-RSA-AES128-SHA", false, true, 0xC013},
        {"ecdhe-rsa-aes128-sha-mte", "12", "ECDHE-RSA-AES128-SHA", false, false, 0xC013},
        {"ecdhe-rsa-aes256-sha-mte", "12", "ECDHE-RSA-AES256-SHA", false, false, 0xC014},
        {"ecdhe-rsa-aes128-sha256-etm", "12", "ECDHE-RSA-AES128-SHA256", false, true, 0xC027},
        {"ecdhe-rsa-aes256-sha384-mte", "12", "ECDHE-RSA-AES256-SHA384", false, false, 0xC028},
        {"ecdhe-ecdsa-aes256-sha384-etm", "12", "ECDHE-ECDSA-AES256-SHA384", true, true, 0xC024},
    });
}

TEST_F(Interop, Tls13Suites) {
    run_cases({
        {"tls13-aes128-gcm", "13", "TLS_AES_128_GCM_SHA256", false, true, 0x1301},
        {"tls13-aes256-gcm", "13", "TLS_AES_256_GCM_SHA384", false, true, 0x1302},
        {"tls13-chacha", "13", "TLS_CHACHA20_POLY1305_SHA256", false, true, 0x1303},
        {"tls13-aes128-ccm", "13", "TLS_AES_128_CCM_SHA256", false, true, 0x1304},
        {"tls13-aes128-ccm8", "13", "TLS_AES_128_CCM_8_SHA256", true, true, 0x1305},
    });
}
