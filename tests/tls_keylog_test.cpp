// tls_keylog_test.cpp: the NSS key log parser, the suite names and the key schedule's known answers.
#include "tcpflow/tls/key_schedule.h"
#include "tcpflow/tls/keylog.h"
#include "tcpflow/tls/session.h"
#include "tcpflow/tls/suites.h"
#include "tls_test_records.h"

#include <gtest/gtest.h>

#include <string>

using namespace tcpflow::tls;
using tlstest::Buf;
using tlstest::hex;
using tlstest::to_hex;

namespace {

const std::string kRandom = "cb34ecb1e78163ba1c38c6dacb196a6dffa21a8d9912ec18a2ef6283024dece7";
const std::string kSecret32 = "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38";
const std::string kSecret48(96, 'a');

std::size_t add(KeyLog& log, const std::string& text, KeyLogStats& stats, bool final = true) {
    const Buf b(text.begin(), text.end());
    return log.add(b, stats, final);
}

}  // namespace

TEST(TlsKeyLog, ReadsEveryLabel) {
    KeyLog log;
    KeyLogStats stats;
    const std::string text = "CLIENT_RANDOM " + kRandom + " " + kSecret48 + "\n" +
                             "CLIENT_HANDSHAKE_TRAFFIC_SECRET " + kRandom + " " + kSecret32 + "\n" +
                             "SERVER_HANDSHAKE_TRAFFIC_SECRET " + kRandom + " " + kSecret32 + "\n" +
                             "CLIENT_TRAFFIC_SECRET_0 " + kRandom + " " + kSecret32 + "\n" +
                             "SERVER_TRAFFIC_SECRET_0 " + kRandom + " " + kSecret48 + "\n" +
                             "EARLY_TRAFFIC_SECRET " + kRandom + " " + kSecret32 + "\n";
    EXPECT_EQ(add(log, text, stats), text.size());
    EXPECT_EQ(stats.lines, 6u);
    EXPECT_EQ(stats.secrets, 6u);
    EXPECT_EQ(stats.bad, 0u);
    EXPECT_EQ(log.size(), 6u);
    const Buf random = hex(kRandom);
    for (auto label : {SecretLabel::client_random, SecretLabel::client_early_traffic_secret,
                       SecretLabel::client_handshake_traffic_secret, SecretLabel::server_handshake_traffic_secret,
                       SecretLabel::client_traffic_secret_0, SecretLabel::server_traffic_secret_0})
        EXPECT_NE(log.find(label, random), nullptr) << static_cast<int>(label);
    EXPECT_EQ(to_hex(*log.find(SecretLabel::server_handshake_traffic_secret, random)), kSecret32);
    EXPECT_EQ(log.find(SecretLabel::client_random, random)->size(), 48u);
    Buf other = random;
    other[0] ^= 1;
    EXPECT_EQ(log.find(SecretLabel::client_random, other), nullptr);
    EXPECT_EQ(log.find(SecretLabel::client_random, Buf(31, 0)), nullptr);
}

TEST(TlsKeyLog, CaseInsensitiveHexAndTheNewEarlyLabel) {
    KeyLog log;
    KeyLogStats stats;
    std::string upper = kSecret32;
    for (auto& c : upper) c = static_cast<char>(std::toupper(c));
    add(log, "CLIENT_EARLY_TRAFFIC_SECRET " + kRandom + " " + upper + "\r\n", stats);
    EXPECT_EQ(stats.secrets, 1u);
    const auto* s = log.find(SecretLabel::client_early_traffic_secret, hex(kRandom));
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(to_hex(*s), kSecret32);
}

TEST(TlsKeyLog, CountsCommentsBlankAndBadLines) {
    KeyLog log;
    KeyLogStats stats;
    const std::string text = "# comment\n\n   \n" +
                             ("UNKNOWN_LABEL " + kRandom + " " + kSecret32 + "\n") +          // unknown label
                             ("CLIENT_RANDOM " + kRandom + " " + kSecret32 + "\n") +          // 32-byte master
                             ("CLIENT_RANDOM " + kRandom.substr(2) + " " + kSecret48 + "\n") +  // short random
                             ("CLIENT_RANDOM " + kRandom + " " + kSecret48 + "zz\n") +         // not hex
                             ("CLIENT_RANDOM " + kRandom + " " + kSecret48 + "0\n") +          // odd length
                             ("CLIENT_RANDOM " + kRandom + "\n") +                            // no secret
                             ("CLIENT_RANDOM " + kRandom + " " + kSecret48 + " extra\n") +     // trailing field
                             ("SERVER_TRAFFIC_SECRET_0 " + kRandom + " " + kSecret32 + "\n");
    add(log, text, stats);
    EXPECT_EQ(stats.lines, 11u);
    EXPECT_EQ(stats.comments, 3u);
    EXPECT_EQ(stats.bad, 7u);
    EXPECT_EQ(stats.secrets, 1u);
    EXPECT_EQ(log.size(), 1u);
}

TEST(TlsKeyLog, LeavesAnUnterminatedLastLineUnlessFinal) {
    KeyLog log;
    KeyLogStats stats;
    const std::string line1 = "CLIENT_RANDOM " + kRandom + " " + kSecret48 + "\n";
    const std::string part = "SERVER_TRAFFIC_SECRET_0 " + kRandom + " " + kSecret32.substr(0, 10);
    EXPECT_EQ(add(log, line1 + part, stats, false), line1.size());
    EXPECT_EQ(stats.secrets, 1u);
    EXPECT_EQ(stats.bad, 0u);
    EXPECT_EQ(log.generation(), 1u);
    // The rest of the line arrives: reread from the returned offset.
    const std::string rest = part + kSecret32.substr(10);
    EXPECT_EQ(add(log, rest, stats, false), 0u);
    EXPECT_EQ(add(log, rest, stats, true), rest.size());
    EXPECT_EQ(stats.secrets, 2u);
    EXPECT_EQ(log.generation(), 2u);
    // An add that adds nothing does not bump the generation.
    add(log, "# nothing\n", stats);
    EXPECT_EQ(log.generation(), 2u);
}

TEST(TlsNames, VersionsSuitesStops) {
    EXPECT_EQ(version_name(0x0303), "TLS 1.2");
    EXPECT_EQ(version_name(0x0304), "TLS 1.3");
    EXPECT_EQ(version_name(0x7f1c), "0x7f1c");
    EXPECT_EQ(suite_name(0x1301), "TLS_AES_128_GCM_SHA256");
    EXPECT_EQ(suite_name(0xc030), "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
    EXPECT_EQ(suite_name(0x000a), "TLS_RSA_WITH_3DES_EDE_CBC_SHA");
    EXPECT_EQ(suite_name(0xabcd), "0xabcd");
    EXPECT_STREQ(stop_name(Stop::auth_failed), "auth_failed");
    EXPECT_STREQ(stop_name(Stop::not_tls), "not_tls");
    EXPECT_EQ(find_suite(0x000a), nullptr);  // named, not decrypted
}

// RFC 8448 section 3: the traffic secrets' keys and IVs.
TEST(TlsKeySchedule, Rfc8448TrafficKeys) {
    const Suite& suite = *find_suite(0x1301);
    struct Case {
        const char *secret, *key, *iv;
    } cases[] = {
        {"b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38", "3fce516009c21727d0f2e4e86ee403bc",
         "5d313eb2671276ee13000b30"},
        {"b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21", "dbfaa693d1762c5b666af5d950258d01",
         "5bd3c71b836e0b76bb73265f"},
        {"a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643", "9f02283b6c9c07efc26bb9f2ac92e356",
         "cf782b88dd83549aadf1e984"},
        {"9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5", "17422dda596ed5d9acd890e3c63f5051",
         "5b78923dee08579033e523d9"},
    };
    for (const auto& c : cases) {
        const auto k = tls13_keys(suite, hex(c.secret));
        ASSERT_TRUE(k);
        EXPECT_EQ(to_hex(k->key), c.key);
        EXPECT_EQ(to_hex(k->iv), c.iv);
    }
}

// The TLS 1.2 PRF (P_SHA256) test vector published on the IETF TLS list (100 bytes).
TEST(TlsKeySchedule, Tls12PrfSha256) {
    const auto out = tls12_prf(Hash::sha256, hex("9bbe436ba940f017b17652849a71db35"), "test label",
                               hex("a0ba9f936cda311827a6f796ffd5198c"), 100);
    ASSERT_TRUE(out);
    EXPECT_EQ(to_hex(*out),
              "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa0"
              "22f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66");
}

TEST(TlsKeySchedule, KeyUpdateIsHkdfExpandLabelTrafficUpd) {
    const Suite& suite = *find_suite(0x1301);
    const Buf secret = hex("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643");
    const auto next = tls13_next_secret(suite, secret);
    const auto direct = hkdf_expand_label(Hash::sha256, secret, "traffic upd", {}, 32);
    ASSERT_TRUE(next && direct);
    EXPECT_EQ(*next, *direct);
    EXPECT_NE(*next, secret);
}
