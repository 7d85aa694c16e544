// tls_sink_test: the --tls-keylog FlowSink decorator (output/tls_sink) around a memory sink:
// raw bytes pass unchanged, sessions that can never decrypt are dropped at once (bounded), and in
// console mode (hold) raw bytes wait only while it is undecided. Decryption itself is covered by
// tls_e2e_test (real captures) and T1's tls tests.
#include "tcpflow/output/tls_sink.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "support/memory_sink.h"
#include "tcpflow/flow/tls_flow_report.h"

namespace {

using tcpflow::Bytes;
using tcpflow::FlowInfo;
using tcpflow::FlowSummary;
using tcpflow::IpAddress;
using tcpflow::Timestamp;
using tcpflow::TlsSink;
using tcpflow::test::MemorySink;

FlowInfo direction(bool client) {
    FlowInfo f;
    const IpAddress c = IpAddress::v4(10, 0, 0, 1), s = IpAddress::v4(10, 0, 0, 2);
    f.name.src = client ? c : s;
    f.name.dst = client ? s : c;
    f.name.sport = client ? 40000 : 443;
    f.name.dport = client ? 443 : 40000;
    f.connection_id = 7;
    f.first_packet = client ? 1 : 2;
    f.client_to_server = client;
    return f;
}

Bytes bytes(const std::string& s) { return Bytes{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

struct Fixture {
    tcpflow::tls::KeyLog keys;
    MemorySink* inner = nullptr;
    std::unique_ptr<TlsSink> sink;
    explicit Fixture(bool hold) {
        auto m = std::make_unique<MemorySink>();
        inner = m.get();
        TlsSink::Settings set;
        set.hold = hold;
        set.wait_for_keys = false;
        sink = std::make_unique<TlsSink>(std::move(m), keys, std::move(set));
    }
};

// Catches: the decorator altering or holding raw bytes of a connection that is not TLS, or
// keeping its session (memory) after the first bytes showed it is not TLS.
TEST(TlsSink, NotTlsPassesUnchangedAndIsDroppedAtOnce) {
    for (const bool hold : {false, true}) {
        SCOPED_TRACE(hold ? "console" : "files");
        Fixture fx(hold);
        FlowInfo a = direction(true), b = direction(false);
        fx.sink->on_open(a, Timestamp{});
        const std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        fx.sink->on_data(a, 0, bytes(req), Timestamp{});
        EXPECT_EQ(fx.sink->sessions(), 0u);
        EXPECT_EQ(fx.inner->file("10.0.0.1.40000-10.0.0.2.443"), req);   // at once, even when holding
        fx.sink->on_open(b, Timestamp{});
        fx.sink->on_data(b, 0, bytes("HTTP/1.1 200 OK\r\n\r\n"), Timestamp{});
        ASSERT_TRUE(a.tls);
        EXPECT_FALSE(a.tls->is_tls);
        fx.sink->on_close(a, FlowSummary{});
        fx.sink->on_close(b, FlowSummary{});
        EXPECT_EQ(fx.inner->files().size(), 2u);   // no plaintext flow
        EXPECT_TRUE(a.tls->file.empty());
    }
}

// Catches: console mode printing TLS ciphertext before it is known whether it decrypts, or
// losing the held bytes when it does not (here: no keys, known at the direction's end).
TEST(TlsSink, ConsoleHoldsUndecidedTlsThenReleasesIt) {
    Fixture fx(true);
    FlowInfo a = direction(true);
    fx.sink->on_open(a, Timestamp{});
    // The first bytes of a TLS handshake record (a ClientHello that has not fully arrived).
    const std::string part("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
    fx.sink->on_data(a, 0, bytes(part), Timestamp{});
    EXPECT_EQ(fx.inner->file("10.0.0.1.40000-10.0.0.2.443"), "");   // held
    fx.sink->on_close(a, FlowSummary{});
    EXPECT_EQ(fx.inner->file("10.0.0.1.40000-10.0.0.2.443"), part);   // released at the end
}

}  // namespace
