// fuzz_tls_session: bytes into a TLS session as both directions (src/tls: record framing,
// handshake parsing, key schedule, record protection, the state machine). Byte 0 picks the mode:
//   bit 0: the session waits for keys (live capture) or not;
//   bit 1 clear, raw mode: the rest is pieces, each a header byte h (bit 0 the direction, bit 1
//     "keys changed" first, bits 2..7 the length - 1) and that many bytes; h == 0xff skips a byte
//     of the next direction's stream (a hole);
//   bit 1 set, conversation mode: byte 1 picks a conversation the tests build (tests/
//     tls_conversation.h: TLS 1.3 and 1.2 suites, HRR, 0-RTT, KeyUpdate), byte 2 the feed size,
//     and the rest are 3-byte edits (XOR of one byte of one stream), so the fuzzer works inside
//     records that authenticate.
// Checked on every input: plaintext arrives in order without gaps, the per-direction count equals
// what was delivered, and an unedited conversation yields exactly what each side wrote.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "tcpflow/tls/keylog.h"
#include "tcpflow/tls/session.h"
#include "tls_conversation.h"

namespace {

using tlstest::Buf;
using tlstest::Conversation;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_tls_session: %s\n", what);
    std::abort();
}

const Conversation& conversation(std::uint8_t pick) {
    static std::map<int, Conversation> cache;
    const int key = pick % 16;
    auto it = cache.find(key);
    if (it != cache.end()) return it->second;
    Conversation c;
    if (key < 10) {
        // SHA-256 suites only: their secrets are the same bytes, so one key log serves them all.
        static const std::uint16_t suites13[] = {0x1301, 0x1303, 0x1304, 0x1305, 0x1301};
        tlstest::Tls13Spec spec;
        spec.suite = suites13[key % 5];
        spec.key_update = key % 2 == 0;
        spec.hrr = key == 1 || key == 6;
        spec.early = key >= 5;
        spec.early_accepted = key != 7;
        spec.padding = static_cast<std::size_t>(key);
        spec.ccs = key != 4;
        spec.app_records = 2;
        spec.app_size = 40;
        c = tlstest::make13(spec);
    } else {
        static const std::uint16_t suites12[] = {0xC02F, 0xC030, 0xCCA8, 0xC013, 0xC027, 0xC028};
        tlstest::Tls12Spec spec;
        spec.suite = suites12[key - 10];
        spec.client_etm = spec.server_etm = key % 2 == 1;
        spec.app_records = 2;
        spec.app_size = 40;
        c = tlstest::make12(spec);
    }
    return cache.emplace(key, std::move(c)).first->second;
}

struct Checker : tcpflow::tls::PlaintextSink {
    std::uint64_t next[2] = {0, 0};
    Buf data[2];
    void on_plaintext(int dir, std::uint64_t offset, tcpflow::Bytes d) override {
        if (dir != 0 && dir != 1) fail("bad direction");
        if (offset != next[dir]) fail("plaintext out of order");
        if (d.empty()) fail("empty plaintext piece");
        next[dir] += d.size();
        data[dir].insert(data[dir].end(), d.begin(), d.end());
    }
};

void check(const tcpflow::tls::Session& s, const Checker& out) {
    for (int d = 0; d < 2; ++d)
        if (s.facts().dir[d].decrypted_bytes != out.next[d]) fail("decrypted_bytes differs from delivered");
}

void raw(tcpflow::tls::Session& s, const std::uint8_t* p, std::size_t n) {
    std::uint64_t offset[2] = {0, 0};
    std::size_t i = 0;
    while (i < n) {
        const std::uint8_t h = p[i++];
        const int dir = h & 1;
        if (h == 0xff) {
            ++offset[dir];
            continue;
        }
        if (h & 2) s.keys_changed();
        const std::size_t len = std::min<std::size_t>((h >> 2) + 1u, n - i);
        s.feed(dir, offset[dir], tcpflow::Bytes{p + i, len});
        offset[dir] += len;
        i += len;
    }
}

bool edited_feed(tcpflow::tls::Session& s, const Conversation& c, const std::uint8_t* p, std::size_t n) {
    Buf stream[2] = {c.stream[0], c.stream[1]};
    const std::size_t chunk = n > 0 ? 1u + p[0] * 7u : 0u;
    bool edited = false;
    for (std::size_t i = 1; i + 3 <= n; i += 3) {
        const int dir = p[i] >> 7;
        const std::size_t at = (static_cast<std::size_t>(p[i] & 0x7f) << 8 | p[i + 1]) % stream[dir].size();
        if (p[i + 2] == 0) continue;
        stream[dir][at] ^= p[i + 2];
        edited = true;
    }
    std::size_t pos[2] = {0, 0};
    while (pos[0] < stream[0].size() || pos[1] < stream[1].size()) {
        for (int d = 0; d < 2; ++d) {
            const std::size_t len = std::min(chunk ? chunk : stream[d].size(), stream[d].size() - pos[d]);
            if (len == 0) continue;
            s.feed(d, pos[d], tcpflow::Bytes{stream[d]}.subspan(pos[d], len));
            pos[d] += len;
        }
    }
    return edited;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::uint8_t cfg = data[0];
    const bool wait = (cfg & 1) != 0;
    static const std::string keylog = conversation(0).keylog + conversation(10).keylog;
    static tcpflow::tls::KeyLog keys = [] {
        tcpflow::tls::KeyLog k;
        tcpflow::tls::KeyLogStats stats;
        k.add(tcpflow::Bytes{reinterpret_cast<const std::uint8_t*>(keylog.data()), keylog.size()}, stats, true);
        return k;
    }();
    Checker out;
    tcpflow::tls::Session s{keys, out, wait};
    if ((cfg & 2) == 0) {
        raw(s, data + 1, size - 1);
        check(s, out);
        s.end(0);
        s.end(1);
        check(s, out);
        return 0;
    }
    if (size < 2) return 0;
    const Conversation& c = conversation(data[1]);
    const bool edited = edited_feed(s, c, data + 2, size - 2);
    s.end(0);
    s.end(1);
    check(s, out);
    if (!edited && (out.data[0] != c.expect[0] || out.data[1] != c.expect[1]))
        fail("an unedited conversation did not decrypt to what was written");
    return 0;
}
