// tls_parse_test.cpp: record framing and handshake parsing over hostile and split input.
#include "tcpflow/tls/handshake.h"
#include "tcpflow/tls/record_reader.h"
#include "tls_test_records.h"

#include <gtest/gtest.h>

using namespace tcpflow::tls;
using namespace tlstest;

namespace {

/// All records read from `stream` fed in pieces cut at `cuts`.
std::vector<Buf> read_all(const Buf& stream, const std::vector<std::size_t>& cuts, bool* malformed = nullptr) {
    RecordReader r;
    std::vector<Buf> out;
    std::size_t from = 0;
    std::vector<std::size_t> ends = cuts;
    ends.push_back(stream.size());
    for (std::size_t end : ends) {
        r.begin(Bytes{stream}.subspan(from, end - from));
        Record rec;
        ReadStatus st;
        while ((st = r.next(rec)) == ReadStatus::record) out.emplace_back(rec.raw.begin(), rec.raw.end());
        if (st == ReadStatus::malformed) {
            if (malformed) *malformed = true;
            return out;
        }
        from = end;
    }
    return out;
}

}  // namespace

TEST(TlsRecordReader, SplitAtEveryByteAndCoalesced) {
    std::vector<Buf> records = {record(22, counting(40)), record(20, Buf{1}), record(23, counting(1000, 3)),
                                record(23, {}), record(21, Buf{1, 0})};
    Buf stream;
    for (const auto& r : records) append(stream, r);
    EXPECT_EQ(read_all(stream, {}), records);
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) ASSERT_EQ(read_all(stream, {cut}), records) << cut;
    std::vector<std::size_t> every;
    for (std::size_t i = 1; i < stream.size(); ++i) every.push_back(i);
    EXPECT_EQ(read_all(stream, every), records);
}

TEST(TlsRecordReader, RejectsWhatIsNotARecord) {
    for (const Buf& bad : {text("GET / HTTP/1.1\r\n"), Buf{22, 4, 1, 0, 1, 0}, Buf{22, 3, 3, 0x48, 0x01},
                           Buf{19, 3, 3, 0, 1, 0}, Buf{25, 3, 3, 0, 1, 0}}) {
        bool malformed = false;
        read_all(bad, {}, &malformed);
        EXPECT_TRUE(malformed) << to_hex(bad);
        // Judged from a partial header too, byte by byte.
        malformed = false;
        std::vector<std::size_t> cuts;
        for (std::size_t i = 1; i < bad.size(); ++i) cuts.push_back(i);
        read_all(bad, cuts, &malformed);
        EXPECT_TRUE(malformed) << to_hex(bad);
    }
    // The largest legal record body is accepted, one more byte is not.
    EXPECT_TRUE(valid_record_header(23, 0x0303, (1u << 14) + 2048));
    EXPECT_FALSE(valid_record_header(23, 0x0303, (1u << 14) + 2049));
}

TEST(TlsRecordReader, BuffersAtMostOneRecord) {
    RecordReader r;
    const Buf big = record(23, counting(18000));
    r.begin(Bytes{big}.first(17000));
    Record rec;
    EXPECT_EQ(r.next(rec), ReadStatus::need_more);
    EXPECT_EQ(r.buffered(), 17000u);
    r.begin(Bytes{big}.subspan(17000));
    ASSERT_EQ(r.next(rec), ReadStatus::record);
    EXPECT_EQ(rec.body.size(), 18000u);
    EXPECT_EQ(r.next(rec), ReadStatus::need_more);
    EXPECT_EQ(r.buffered(), 0u);
}

TEST(TlsHandshake, ClientHelloFields) {
    HelloSpec h;
    h.sni = "www.example.org";
    h.alpn = "h2";
    h.etm = true;
    h.early_data = true;
    const Buf msg = client_hello(h);
    const auto ch = parse_client_hello(Bytes{msg}.subspan(4));
    ASSERT_TRUE(ch);
    EXPECT_EQ(ch->sni, "www.example.org");
    EXPECT_EQ(ch->alpn, "h2");
    EXPECT_TRUE(ch->encrypt_then_mac);
    EXPECT_TRUE(ch->early_data);
    EXPECT_EQ(ch->versions, (std::vector<std::uint16_t>{0x0304, 0x0303}));
    EXPECT_EQ(Buf(ch->random.begin(), ch->random.end()), h.random);
    // Every truncation fails cleanly, but the one without extensions (allowed before TLS 1.3).
    for (std::size_t n = 0; n + 4 < msg.size(); ++n)
        EXPECT_EQ(parse_client_hello(Bytes{msg}.subspan(4, n)).has_value(), n == 2 + 32 + 1 + 2 + 4 + 2) << n;
}

TEST(TlsHandshake, NamesArePrintable) {
    HelloSpec h;
    h.sni = std::string("a\x01<b>\x7f", 6);
    const Buf msg = client_hello(h);
    const auto ch = parse_client_hello(Bytes{msg}.subspan(4));
    ASSERT_TRUE(ch);
    EXPECT_EQ(ch->sni, "a?<b>?");
}

TEST(TlsHandshake, ServerHelloVersionAndRetry) {
    HelloSpec h;
    const Buf msg = server_hello(h);
    auto sh = parse_server_hello(Bytes{msg}.subspan(4));
    ASSERT_TRUE(sh);
    EXPECT_EQ(sh->version, 0x0304);
    EXPECT_EQ(sh->legacy_version, 0x0303);
    EXPECT_FALSE(sh->hello_retry_request);
    h.hrr = true;
    const Buf retry = server_hello(h);
    sh = parse_server_hello(Bytes{retry}.subspan(4));
    ASSERT_TRUE(sh);
    EXPECT_TRUE(sh->hello_retry_request);
    h.hrr = false;
    h.tls13 = false;
    h.etm = true;
    h.alpn = "http/1.1";
    const Buf tls12 = server_hello(h);
    sh = parse_server_hello(Bytes{tls12}.subspan(4));
    ASSERT_TRUE(sh);
    EXPECT_EQ(sh->version, 0x0303);
    EXPECT_TRUE(sh->encrypt_then_mac);
    EXPECT_EQ(sh->alpn, "http/1.1");
    for (std::size_t n = 0; n + 4 < tls12.size(); ++n)
        EXPECT_EQ(parse_server_hello(Bytes{tls12}.subspan(4, n)).has_value(), n == 2 + 32 + 1 + 2 + 1) << n;
}

TEST(TlsHandshake, EncryptedExtensions) {
    const Buf msg = encrypted_extensions("h2", true);
    const auto ee = parse_encrypted_extensions(Bytes{msg}.subspan(4));
    ASSERT_TRUE(ee);
    EXPECT_EQ(ee->alpn, "h2");
    EXPECT_TRUE(ee->early_data);
}

TEST(TlsHandshake, ReaderReassemblesAcrossFragmentsAndSkipsOthers) {
    Buf stream = message(11, counting(70000));  // a Certificate larger than any kept message: skipped
    append(stream, message(hs::finished, counting(32)));
    append(stream, message(hs::end_of_early_data, {}));
    append(stream, message(hs::key_update, Buf{0}));
    for (std::size_t piece : {1u, 3u, 1000u, 100000u}) {
        HandshakeReader r;
        std::vector<std::pair<int, Buf>> got;
        for (std::size_t at = 0; at < stream.size(); at += piece) {
            r.push(Bytes{stream}.subspan(at, std::min(piece, stream.size() - at)));
            while (const auto m = r.next()) got.emplace_back(m->type, Buf(m->body.begin(), m->body.end()));
        }
        ASSERT_EQ(got.size(), 3u) << piece;
        EXPECT_EQ(got[0].first, hs::finished);
        EXPECT_EQ(got[0].second, counting(32));
        EXPECT_EQ(got[1].first, hs::end_of_early_data);
        EXPECT_TRUE(got[1].second.empty());
        EXPECT_EQ(got[2].first, hs::key_update);
        EXPECT_FALSE(r.too_long());
        EXPECT_FALSE(r.partial());
    }
    HandshakeReader r;
    const Buf huge = message(hs::client_hello, counting(70000));
    r.push(huge);
    EXPECT_FALSE(r.next());
    EXPECT_TRUE(r.too_long());
}
