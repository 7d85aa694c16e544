// tls_conversation.cpp: the conversations of the session tests.
#include "tls_conversation.h"

#include "tcpflow/tls/key_schedule.h"
#include "tcpflow/tls/keylog.h"
#include "tcpflow/tls/suites.h"

#include <stdexcept>

namespace tlstest {

using namespace tcpflow::tls;

namespace {

const Buf kClientRandom = counting(32, 0xa0);
const Buf kServerRandom = counting(32, 0x30);

std::string line(const char* label, Bytes secret) {
    return std::string(label) + " " + to_hex(kClientRandom) + " " + to_hex(secret) + "\n";
}

struct Writer {
    Conversation& c;
    void put(int dir, const Buf& rec) {
        c.record_starts[dir].push_back(c.stream[dir].size());
        append(c.stream[dir], rec);
    }
};

Buf app_data(int dir, std::size_t i, std::size_t size) {
    Buf b = text((dir == 0 ? "client record " : "server record ") + std::to_string(i) + ": ");
    const Buf filler = counting(size, static_cast<std::uint8_t>(i * 7 + static_cast<std::size_t>(dir)));
    append(b, filler);
    return b;
}

TrafficKeys keys13(const Suite& s, const Buf& secret) {
    auto k = tls13_keys(s, secret);
    if (!k) throw std::runtime_error("tls13_keys");
    return *k;
}

HelloSpec hello13(const Tls13Spec& spec) {
    HelloSpec h;
    h.random = kClientRandom;
    h.suite = spec.suite;
    h.alpn = "h2";
    h.early_data = spec.early;
    return h;
}

/// The server's flight under its handshake keys: EE + a Certificate split over two records,
/// then CertificateVerify + Finished.
void server_flight(Writer& w, const Suite& s, const TrafficKeys& k, const Tls13Spec& spec) {
    Buf first = encrypted_extensions("h2", spec.early && spec.early_accepted);
    Buf cert = message(11, counting(3000, 5));
    Buf rest(cert.begin() + 1000, cert.end());
    cert.resize(1000);
    append(first, cert);
    w.put(1, seal13(s.cipher, k.key, k.iv, 0, 22, first, spec.padding));
    Buf second = rest;
    append(second, message(15, counting(72, 9)));
    append(second, message(20, counting(static_cast<std::size_t>(hash_length(s.prf)), 1)));
    w.put(1, seal13(s.cipher, k.key, k.iv, 1, 22, second, spec.padding));
}

/// Application records of one direction, with a KeyUpdate halfway when asked.
void app13(Writer& w, int dir, const Suite& s, Buf secret, const Tls13Spec& spec, std::uint64_t seq) {
    TrafficKeys k = keys13(s, secret);
    if (dir == 1) w.put(1, seal13(s.cipher, k.key, k.iv, seq++, 22, message(4, counting(40, 3)), spec.padding));
    for (std::size_t i = 0; i < spec.app_records; ++i) {
        if (spec.key_update && i == spec.app_records / 2) {
            w.put(dir, seal13(s.cipher, k.key, k.iv, seq, 22, message(24, Buf{1}), spec.padding));
            secret = *tls13_next_secret(s, secret);
            k = keys13(s, secret);
            seq = 0;
        }
        const Buf data = app_data(dir, i, spec.app_size);
        w.put(dir, seal13(s.cipher, k.key, k.iv, seq++, 23, data, spec.padding));
        append(w.c.expect[dir], data);
    }
    w.put(dir, seal13(s.cipher, k.key, k.iv, seq, 21, Buf{1, 0}, spec.padding));  // close_notify
}

void early13(Writer& w, const Suite& s, const Buf& early_secret, const Tls13Spec& spec) {
    const TrafficKeys k = keys13(s, early_secret);
    std::uint64_t seq = 0;
    for (std::size_t i = 0; i < 2; ++i) {
        const Buf data = text("early data " + std::to_string(i));
        w.put(0, seal13(s.cipher, k.key, k.iv, seq++, 23, data, spec.padding));
        if (spec.early_accepted && spec.early_logged) append(w.c.expect[0], data);
    }
    if (spec.early_accepted) w.put(0, seal13(s.cipher, k.key, k.iv, seq, 22, message(5, {}), spec.padding));
}

}  // namespace

Conversation make13(const Tls13Spec& spec) {
    const Suite* s = find_suite(spec.suite);
    if (!s) throw std::runtime_error("suite");
    const std::size_t n = hash_length(s->prf);
    const Buf early = Buf(n, 0xe0), chs = Buf(n, 0xc1), shs = Buf(n, 0x51), cts = Buf(n, 0xc2), sts = Buf(n, 0x52);
    Conversation c;
    c.keylog = line("CLIENT_HANDSHAKE_TRAFFIC_SECRET", chs) + line("SERVER_HANDSHAKE_TRAFFIC_SECRET", shs) +
               line("CLIENT_TRAFFIC_SECRET_0", cts) + line("SERVER_TRAFFIC_SECRET_0", sts);
    if (spec.early_logged) c.keylog += line("CLIENT_EARLY_TRAFFIC_SECRET", early);
    Writer w{c};
    const HelloSpec h = hello13(spec);
    w.put(0, record(22, client_hello(h), 0x0301));
    if (spec.ccs) w.put(0, record(20, Buf{1}));
    if (spec.early) early13(w, *s, early, spec);
    if (spec.hrr) {
        HelloSpec retry = h;
        retry.hrr = true;
        w.put(1, record(22, server_hello(retry)));
        if (spec.ccs) w.put(1, record(20, Buf{1}));
        HelloSpec second = h;
        second.early_data = false;
        w.put(0, record(22, client_hello(second)));
    }
    HelloSpec sh = h;
    sh.random = kServerRandom;
    w.put(1, record(22, server_hello(sh)));
    if (spec.ccs && !spec.hrr) w.put(1, record(20, Buf{1}));
    server_flight(w, *s, keys13(*s, shs), spec);
    const TrafficKeys ck = keys13(*s, chs);
    w.put(0, seal13(s->cipher, ck.key, ck.iv, 0, 22, message(20, counting(n, 2)), spec.padding));
    app13(w, 1, *s, sts, spec, 0);
    app13(w, 0, *s, cts, spec, 0);
    return c;
}

namespace {

Buf seal12(const Suite& s, const TrafficKeys& k, std::uint64_t seq, std::uint8_t type, Bytes plain, bool etm) {
    if (is_aead(s.cipher)) return seal12_aead(s.cipher, k.key, k.iv, seq, type, plain);
    return seal12_cbc(s.cipher, s.mac, k.key, k.mac_key, seq, type, plain, etm);
}

}  // namespace

Conversation make12(const Tls12Spec& spec) {
    const Suite* s = find_suite(spec.suite);
    if (!s) throw std::runtime_error("suite");
    const Buf master = counting(48, 0x77);
    Conversation c;
    c.keylog = line("CLIENT_RANDOM", master);
    const auto keys = tls12_keys(*s, master, kClientRandom, kServerRandom);
    if (!keys) throw std::runtime_error("tls12_keys");
    const bool etm = spec.client_etm && spec.server_etm && !is_aead(s->cipher);
    Writer w{c};
    HelloSpec h;
    h.random = kClientRandom;
    h.suite = spec.suite;
    h.tls13 = false;
    h.etm = spec.client_etm;
    h.alpn = "http/1.1";
    w.put(0, record(22, client_hello(h), 0x0301));
    HelloSpec sh = h;
    sh.random = kServerRandom;
    sh.etm = spec.server_etm;
    Buf flight = server_hello(sh);
    if (!spec.resumed) {
        append(flight, message(11, counting(2000, 1)));
        append(flight, message(14, {}));
    }
    w.put(1, record(22, flight));
    auto server_finish = [&] {
        w.put(1, record(22, message(4, counting(50, 6))));
        w.put(1, record(20, Buf{1}));
        w.put(1, seal12(*s, keys->server, 0, 22, message(20, counting(12, 9)), etm));
    };
    if (spec.resumed) server_finish();
    if (!spec.resumed) w.put(0, record(22, message(16, counting(33, 4))));
    w.put(0, record(20, Buf{1}));
    w.put(0, seal12(*s, keys->client, 0, 22, message(20, counting(12, 8)), etm));
    if (!spec.resumed) server_finish();
    for (int dir = 0; dir < 2; ++dir) {
        const TrafficKeys& k = dir == 0 ? keys->client : keys->server;
        std::uint64_t seq = 1;
        for (std::size_t i = 0; i < spec.app_records; ++i) {
            const Buf data = app_data(dir, i, spec.app_size + i);
            w.put(dir, seal12(*s, k, seq++, 23, data, etm));
            append(c.expect[dir], data);
        }
        w.put(dir, seal12(*s, k, seq, 21, Buf{1, 0}, etm));
    }
    return c;
}

void Collector::on_plaintext(int dir, std::uint64_t offset, Bytes d) {
    if (offset != data[dir].size() || d.empty()) out_of_order = true;
    append(data[dir], d);
}

Outcome run(const Conversation& c, std::size_t chunk, bool interleave, bool wait_for_keys) {
    KeyLog keys;
    KeyLogStats stats;
    keys.add(Bytes{reinterpret_cast<const std::uint8_t*>(c.keylog.data()), c.keylog.size()}, stats, true);
    Collector out;
    Session session{keys, out, wait_for_keys};
    std::size_t pos[2] = {0, 0};
    const std::size_t step = chunk ? chunk : SIZE_MAX;
    while (pos[0] < c.stream[0].size() || pos[1] < c.stream[1].size()) {
        for (int d = 0; d < 2; ++d) {
            const Buf& s = c.stream[d];
            while (pos[d] < s.size()) {
                const std::size_t n = std::min(step, s.size() - pos[d]);
                session.feed(d, pos[d], Bytes{s}.subspan(pos[d], n));
                pos[d] += n;
                if (interleave) break;
            }
        }
    }
    session.end(0);
    session.end(1);
    Outcome o;
    o.data[0] = out.data[0];
    o.data[1] = out.data[1];
    o.facts = session.facts();
    o.out_of_order = out.out_of_order;
    o.hopeless = session.hopeless();
    return o;
}

}  // namespace tlstest
