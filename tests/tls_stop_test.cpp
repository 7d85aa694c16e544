// tls_stop_test.cpp: every way a TLS direction stops (hole, wrong keys, missing keys, not TLS,
// unsupported, malformed, bounds), and that it stops without delivering garbage.
#include "tcpflow/tls/key_schedule.h"
#include "tcpflow/tls/keylog.h"
#include "tcpflow/tls/session.h"
#include "tcpflow/tls/suites.h"
#include "tls_conversation.h"

#include <gtest/gtest.h>

using namespace tcpflow::tls;
using namespace tlstest;

namespace {

struct Harness {
    KeyLog keys;
    KeyLogStats stats;
    Collector out;
    Session session;
    explicit Harness(const std::string& keylog, bool wait = false) : session{keys, out, wait} { add(keylog); }
    void add(const std::string& text) {
        keys.add(Bytes{reinterpret_cast<const std::uint8_t*>(text.data()), text.size()}, stats, true);
    }
    /// Both streams, interleaved in pieces of `chunk` bytes (0: whole): pieces make records
    /// arrive split, so AES-GCM and ChaCha20-Poly1305 records are decrypted as they come.
    void feed_all(const Conversation& c, std::size_t chunk = 0) {
        std::size_t pos[2] = {0, 0};
        while (pos[0] < c.stream[0].size() || pos[1] < c.stream[1].size()) {
            for (int d = 0; d < 2; ++d) {
                const std::size_t n = std::min(chunk ? chunk : c.stream[d].size(), c.stream[d].size() - pos[d]);
                if (n == 0) continue;
                session.feed(d, pos[d], Bytes{c.stream[d]}.subspan(pos[d], n));
                pos[d] += n;
            }
        }
    }
    const DirectionFacts& dir(int d) const { return session.facts().dir[d]; }
};

std::string replace_secret(std::string keylog, const std::string& label) {
    const auto at = keylog.find(label);
    const auto secret = keylog.find(' ', at + label.size() + 1) + 1;
    keylog[secret] = keylog[secret] == '0' ? '1' : '0';
    return keylog;
}

}  // namespace

TEST(TlsStop, HoleStopsTheDirectionAtTheHole) {
    Tls13Spec spec;
    spec.app_records = 6;
    const Conversation c = make13(spec);
    // Lose 10 bytes inside the server's 4th application record.
    const auto& starts = c.record_starts[1];
    const std::size_t lost_at = starts[starts.size() - 3] + 20;
    Harness h{c.keylog};
    h.session.feed(0, 0, c.stream[0]);
    h.session.feed(1, 0, Bytes{c.stream[1]}.first(lost_at));
    h.session.feed(1, lost_at + 10, Bytes{c.stream[1]}.subspan(lost_at + 10));
    EXPECT_EQ(h.dir(1).stop, Stop::hole);
    EXPECT_EQ(h.dir(1).stop_offset, lost_at);
    EXPECT_EQ(h.dir(1).auth_failures, 0u);
    // The server's plaintext is exactly its first records, nothing after the hole.
    ASSERT_LT(h.out.data[1].size(), c.expect[1].size());
    EXPECT_TRUE(std::equal(h.out.data[1].begin(), h.out.data[1].end(), c.expect[1].begin()));
    EXPECT_GT(h.out.data[1].size(), 0u);
    EXPECT_EQ(h.out.data[0], c.expect[0]);  // the other direction is untouched
    EXPECT_EQ(h.dir(0).stop, Stop::none);
    EXPECT_FALSE(h.session.hopeless());
}

TEST(TlsStop, RetransmittedBytesAreIgnored) {
    const Conversation c = make13({});
    Harness h{c.keylog};
    const Bytes s0{c.stream[0]}, s1{c.stream[1]};
    h.session.feed(0, 0, s0.first(100));
    h.session.feed(0, 50, s0.subspan(50, 100));  // overlaps
    h.session.feed(0, 0, s0.first(120));         // wholly old
    h.session.feed(0, 150, s0.subspan(150));
    h.session.feed(1, 0, s1);
    h.session.feed(1, 0, s1);
    EXPECT_EQ(h.out.data[0], c.expect[0]);
    EXPECT_EQ(h.out.data[1], c.expect[1]);
    EXPECT_EQ(h.dir(0).stop, Stop::none);
}

TEST(TlsStop, Tls13WrongKeyFailsOnceAndStops) {
    const Conversation c = make13({});
    for (std::size_t chunk : {0u, 1u, 100u}) {
        Harness h{replace_secret(c.keylog, "SERVER_TRAFFIC_SECRET_0")};
        h.feed_all(c, chunk);
        EXPECT_EQ(h.dir(1).stop, Stop::auth_failed) << chunk;
        EXPECT_EQ(h.dir(1).auth_failures, 1u) << chunk;
        EXPECT_TRUE(h.out.data[1].empty()) << chunk;
        EXPECT_EQ(h.dir(1).stop_offset, c.record_starts[1][4]) << chunk;  // SH, CCS, 2 flight records
        EXPECT_EQ(h.out.data[0], c.expect[0]) << chunk;
    }
    // A wrong handshake secret fails at the first encrypted record.
    Harness g{replace_secret(c.keylog, "SERVER_HANDSHAKE_TRAFFIC_SECRET")};
    g.feed_all(c);
    EXPECT_EQ(g.dir(1).stop, Stop::auth_failed);
    EXPECT_EQ(g.dir(1).stop_offset, c.record_starts[1][2]);
}

// Catches: a client that offered 0-RTT the key log cannot read skipping every record that fails
// as rejected early data, for ever, uncounted, when in truth its secrets are wrong.
TEST(TlsStop, Tls13WrongKeysAfterUnreadableEarlyDataStopAsAuthFailures) {
    Tls13Spec spec;
    spec.early = true;
    spec.early_accepted = false;
    const Conversation c = make13(spec);
    Harness h{replace_secret(replace_secret(c.keylog, "CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
                             "SERVER_HANDSHAKE_TRAFFIC_SECRET")};
    h.feed_all(c);
    const int client = h.session.facts().client_dir;
    ASSERT_GE(client, 0);
    h.session.end(client);
    EXPECT_EQ(h.dir(client).stop, Stop::auth_failed);
    EXPECT_GT(h.dir(client).auth_failures, 0u);
    EXPECT_TRUE(h.out.data[client].empty());
    EXPECT_TRUE(h.session.hopeless());
}

TEST(TlsStop, Tls12WrongMasterSecretStopsAfterThreeFailures) {
    Tls12Spec spec;
    spec.app_records = 5;
    const Conversation c = make12(spec);
    Harness h{replace_secret(c.keylog, "CLIENT_RANDOM")};
    h.feed_all(c);
    for (int d = 0; d < 2; ++d) {
        EXPECT_EQ(h.dir(d).stop, Stop::auth_failed) << d;
        EXPECT_EQ(h.dir(d).auth_failures, 3u) << d;
        EXPECT_TRUE(h.out.data[d].empty()) << d;
    }
}

TEST(TlsStop, Tls12OneCorruptRecordIsSkippedAndCounted) {
    for (std::uint16_t suite : std::initializer_list<std::uint16_t>{0xC02F, 0xCCA8, 0xC013})
    for (std::size_t chunk : {0u, 1u, 50u})
    for (std::size_t where : {10u, 30u, 135u}) {  // (GCM) the explicit nonce, the ciphertext, the tag
        Tls12Spec spec;
        spec.suite = suite;
        spec.app_size = 100;
        Conversation c = make12(spec);
        const std::size_t second_app = c.record_starts[1][c.record_starts[1].size() - 3];
        c.stream[1][second_app + where] ^= 0x40;
        Harness h{c.keylog};
        h.feed_all(c, chunk);
        EXPECT_EQ(h.dir(1).auth_failures, 1u);
        EXPECT_EQ(h.dir(1).stop, Stop::none);
        // The first and third records arrive; the corrupted second one does not.
        EXPECT_LT(h.out.data[1].size(), c.expect[1].size());
        EXPECT_EQ(h.out.data[1].size() + 100 + 1 + 17, c.expect[1].size());
        EXPECT_EQ(h.out.data[0], c.expect[0]);
    }
}

TEST(TlsStop, NotTls) {
    KeyLog keys;
    Collector out;
    Session s{keys, out};
    const Buf http = text("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    s.feed(0, 0, http);
    EXPECT_TRUE(s.hopeless());
    EXPECT_EQ(s.facts().dir[0].stop, Stop::not_tls);
    EXPECT_EQ(s.facts().dir[1].stop, Stop::not_tls);
    EXPECT_FALSE(s.facts().is_tls);
    // A handshake record that is not a hello is not the start of TLS either.
    Session t{keys, out};
    t.feed(1, 0, record(22, message(11, counting(10))));
    EXPECT_TRUE(t.hopeless());
    // A first record that is not a handshake (application data) likewise.
    Session u{keys, out};
    u.feed(0, 0, record(23, counting(40)));
    EXPECT_EQ(u.facts().dir[0].stop, Stop::not_tls);
}

TEST(TlsStop, NoKeysWithoutWaitingStopsAtTheServerHello) {
    const Conversation c = make13({});
    Harness h{""};
    h.feed_all(c);
    EXPECT_TRUE(h.session.hopeless());
    EXPECT_EQ(h.dir(0).stop, Stop::no_keys);
    EXPECT_EQ(h.dir(1).stop, Stop::no_keys);
    EXPECT_FALSE(h.session.facts().keys_found);
    EXPECT_TRUE(h.session.facts().is_tls);
    EXPECT_EQ(h.session.facts().version, 0x0304);
    const Conversation d = make12({});
    Harness g{""};
    g.feed_all(d);
    EXPECT_TRUE(g.session.hopeless());
    EXPECT_EQ(g.dir(1).stop, Stop::no_keys);
}

TEST(TlsStop, WaitingForKeysResumesWhenTheyArrive) {
    for (bool tls13 : {true, false}) {
        const Conversation c = tls13 ? make13({}) : make12({});
        Harness h{"", true};
        h.feed_all(c);
        EXPECT_FALSE(h.session.hopeless());
        EXPECT_TRUE(h.out.data[0].empty() && h.out.data[1].empty());
        h.add(c.keylog);
        h.session.keys_changed();
        EXPECT_EQ(h.out.data[0], c.expect[0]) << tls13;
        EXPECT_EQ(h.out.data[1], c.expect[1]) << tls13;
        EXPECT_EQ(h.dir(0).records, c.record_starts[0].size());
        EXPECT_EQ(h.dir(1).records, c.record_starts[1].size());
        // Without keys at the end, the directions stop for want of them.
        Harness g{"", true};
        g.feed_all(c);
        g.session.end(0);
        g.session.end(1);
        EXPECT_EQ(g.dir(0).stop, Stop::no_keys);
        EXPECT_EQ(g.dir(1).stop, Stop::no_keys);
        EXPECT_TRUE(g.session.hopeless());
    }
}

TEST(TlsStop, WaitingIsBounded) {
    Tls13Spec spec;
    spec.app_records = 40;
    spec.app_size = 16000;
    const Conversation c = make13(spec);
    ASSERT_GT(c.stream[1].size(), 300000u);
    Harness h{"", true};
    h.feed_all(c);
    EXPECT_EQ(h.dir(1).stop, Stop::no_keys);
    EXPECT_TRUE(h.out.data[1].empty());
}

TEST(TlsStop, Unsupported) {
    auto hellos = [](HelloSpec ch, HelloSpec sh) {
        Conversation c;
        append(c.stream[0], record(22, client_hello(ch), 0x0301));
        append(c.stream[1], record(22, server_hello(sh)));
        append(c.stream[1], record(20, Buf{1}));
        return c;
    };
    HelloSpec ch;
    ch.tls13 = false;
    ch.suite = 0xC02F;
    HelloSpec compressed = ch;
    compressed.compression = 1;
    HelloSpec sslv3 = ch;
    sslv3.legacy_version = 0x0300;
    HelloSpec tls11 = ch;
    tls11.legacy_version = 0x0302;
    HelloSpec rc4 = ch;
    rc4.suite = 0x0005;
    HelloSpec mismatch = ch;  // a TLS 1.3 suite in a TLS 1.2 ServerHello
    mismatch.suite = 0x1301;
    for (const HelloSpec& sh : {compressed, sslv3, tls11, rc4, mismatch}) {
        Harness h{""};
        h.feed_all(hellos(ch, sh));
        EXPECT_EQ(h.dir(0).stop, Stop::unsupported);
        EXPECT_EQ(h.dir(1).stop, Stop::unsupported);
        EXPECT_TRUE(h.session.hopeless());
        EXPECT_EQ(h.session.facts().cipher_suite, sh.suite);
    }
}

TEST(TlsStop, MalformedRecordsAndMessages) {
    const Conversation c = make13({});
    {  // a record header that is not TLS after the handshake started
        Harness h{c.keylog};
        Buf s1 = c.stream[1];
        const std::size_t at = c.record_starts[1][4];
        s1[at] = 0x99;
        h.session.feed(0, 0, c.stream[0]);
        h.session.feed(1, 0, s1);
        EXPECT_EQ(h.dir(1).stop, Stop::malformed);
        EXPECT_EQ(h.dir(1).stop_offset, at);
    }
    {  // a record longer than TLS allows
        Harness h{c.keylog};
        Buf s1 = c.stream[1];
        const std::size_t at = c.record_starts[1][4];
        s1[at + 3] = 0x50;
        h.session.feed(0, 0, c.stream[0]);
        h.session.feed(1, 0, s1);
        EXPECT_EQ(h.dir(1).stop, Stop::malformed);
    }
    {  // a ClientHello that does not parse
        Harness h{c.keylog};
        h.session.feed(0, 0, record(22, message(1, counting(20))));
        EXPECT_EQ(h.dir(0).stop, Stop::malformed);
        EXPECT_TRUE(h.session.hopeless());
    }
    {  // a TLS 1.3 record whose plaintext is all zeros (no content type)
        const Suite& suite = *find_suite(0x1301);
        const auto k = tls13_keys(suite, Buf(32, 0x51));  // make13's server handshake secret
        ASSERT_TRUE(k);
        Buf s1(c.stream[1].begin(), c.stream[1].begin() + static_cast<long>(c.record_starts[1][2]));
        append(s1, seal13(suite.cipher, k->key, k->iv, 0, 0, {}, 5));
        Harness h{c.keylog};
        h.session.feed(0, 0, c.stream[0]);
        h.session.feed(1, 0, s1);
        EXPECT_EQ(h.dir(1).stop, Stop::malformed);
        EXPECT_EQ(h.dir(1).stop_offset, c.record_starts[1][2]);
        EXPECT_EQ(h.dir(1).auth_failures, 0u);
    }
}

TEST(TlsStop, TruncatedLastRecordAtTheEnd) {
    const Conversation c = make13({});
    Harness h{c.keylog};
    h.session.feed(0, 0, c.stream[0]);
    const std::size_t cut = c.stream[1].size() - 3;
    h.session.feed(1, 0, Bytes{c.stream[1]}.first(cut));
    h.session.end(1);
    EXPECT_EQ(h.dir(1).stop, Stop::hole);
    EXPECT_EQ(h.dir(1).stop_offset, cut);
    EXPECT_EQ(h.dir(1).records, c.record_starts[1].size());
    EXPECT_EQ(h.out.data[1], c.expect[1]);  // the last record was the close_notify alert
}
