// session.cpp: the per-connection TLS state machine.
//
// Each direction's bytes become records (record_reader); plaintext handshake records and, once
// keyed, decrypted ones feed the handshake reader; application data goes to the sink. A
// direction that needs what has not come yet (the peer's hello, a secret) holds its bytes back,
// bounded, and resumes when it arrives.
#include "tcpflow/tls/session.h"

#include "tcpflow/tls/direction.h"
#include "tcpflow/tls/key_schedule.h"
#include "tcpflow/tls/suites.h"

namespace tcpflow::tls {

namespace {

namespace content {
constexpr std::uint8_t change_cipher_spec = 20, alert = 21, handshake = 22, application_data = 23;
}

/// TLS 1.2 stops after this many records in a row fail to authenticate.
constexpr unsigned kMaxFailuresInRow = 3;
/// Records a client offering unreadable 0-RTT may send before one opens under the handshake
/// keys; past it the keys are taken to be wrong (64 full records is 1 MiB of early data).
constexpr std::uint64_t kMaxTrialRecords = 64;

enum class Step : std::uint8_t { next, block, stop };
enum class Keying : std::uint8_t { ok, wait, fail };

}  // namespace

struct Session::Impl {
    Impl(const KeyLog& k, PlaintextSink& o, bool w) : keys{k}, out{o}, wait_for_keys{w} {}

    const KeyLog& keys;
    PlaintextSink& out;
    const bool wait_for_keys;
    Facts facts;
    Direction dirs[2];
    std::optional<ClientHello> client_hello;
    std::optional<ServerHello> server_hello;  // the real one (not a HelloRetryRequest)
    const Suite* suite = nullptr;
    bool etm = false;
    bool early_decided = false;  // TLS 1.3 0-RTT offered: the server's EncryptedExtensions said

    [[nodiscard]] bool tls13() const { return server_hello && server_hello->version == kTls13; }
    [[nodiscard]] bool is_client(int d) const { return facts.client_dir == d; }

    void feed(int d, std::uint64_t offset, Bytes data);
    void run(int d, Bytes data);
    Step on_record(int d, const Record& rec);
    Step first_record(int d, const Record& rec);
    [[nodiscard]] bool needs_peer(int d) const;
    Step plain_record(int d, const Record& rec);
    Step protected_record(int d, const Record& rec);
    Step after_decrypt(int d, Unprotect result, const Plain& p);
    [[nodiscard]] int stream_type(int d) const;
    void start_stream(int d, const Record& rec);
    bool continue_stream(int d);
    Step on_failure(int d);
    Step fail_trial(int d);
    Step on_plain(int d, const Plain& p);
    Step on_handshake(int d, Bytes fragment);
    Step on_message(int d, const Message& m);
    Step on_client_hello(int d, Bytes body);
    Step on_server_hello(int d, Bytes body);
    void start_tls13();
    void decide_early(bool accepted);
    void set_epoch(int d, Epoch e);
    Keying key(int d);
    [[nodiscard]] const std::vector<std::uint8_t>* secret_for(int d, Epoch e) const;
    Step key_update(int d);
    Step block(int d, Wait why, const Record& rec);
    void hold(int d, Bytes data);
    void resume(int d);
    void settle();
    void stop(int d, Stop why, std::uint64_t offset);
    void stop_all(Stop why);
};

void Session::Impl::stop(int d, Stop why, std::uint64_t offset) {
    DirectionFacts& f = facts.dir[d];
    if (f.stop != Stop::none) return;
    f.stop = why;
    f.stop_offset = offset;
    Direction& dir = dirs[d];
    dir.reader.clear();
    dir.pending.clear();
    dir.pending.shrink_to_fit();
    dir.wait = Wait::none;
    dir.stream_left = 0;
    if (d != facts.client_dir && tls13() && client_hello->early_data && !early_decided)
        decide_early(false);  // the server's word will not come: skip what does not open
}

void Session::Impl::stop_all(Stop why) {
    for (int d = 0; d < 2; ++d) stop(d, why, dirs[d].processed);
}

void Session::Impl::feed(int d, std::uint64_t offset, Bytes data) {
    Direction& dir = dirs[d];
    if (facts.dir[d].stop != Stop::none || data.empty()) return;
    if (!dir.any) {
        dir.any = true;
        dir.next_offset = dir.processed = offset;
    }
    if (offset > dir.next_offset) {
        stop(d, Stop::hole, dir.next_offset);
        return;
    }
    const std::uint64_t seen = dir.next_offset - offset;  // a retransmitted start
    if (seen >= data.size()) return;
    data = data.subspan(static_cast<std::size_t>(seen));
    dir.next_offset += data.size();
    if (dir.wait != Wait::none) {
        hold(d, data);
        return;
    }
    run(d, data);
    settle();
}

void Session::Impl::run(int d, Bytes data) {
    Direction& dir = dirs[d];
    dir.reader.begin(data);
    while (facts.dir[d].stop == Stop::none) {
        if (dir.stream_left > 0) {
            if (!continue_stream(d)) return;
            continue;
        }
        Record rec;
        const ReadStatus st = dir.reader.next(rec, stream_type(d));
        if (st == ReadStatus::need_more) return;
        if (st == ReadStatus::partial) {
            start_stream(d, rec);
            continue;
        }
        if (st == ReadStatus::malformed) {
            if (!dir.started) stop_all(Stop::not_tls);
            else stop(d, Stop::malformed, dir.processed);
            return;
        }
        const Step step = on_record(d, rec);
        if (step != Step::next) return;
        dir.processed += rec.raw.size();
    }
}

Step Session::Impl::block(int d, Wait why, const Record& rec) {
    Direction& dir = dirs[d];
    if (why == Wait::keys && !wait_for_keys) {
        stop(d, Stop::no_keys, dir.processed);
        return Step::stop;
    }
    dir.wait = why;
    std::vector<std::uint8_t> held(rec.raw.begin(), rec.raw.end());
    const Bytes rest = dir.reader.unread();
    held.insert(held.end(), rest.begin(), rest.end());
    dir.reader.clear();
    dir.pending.clear();
    hold(d, held);
    return Step::block;
}

void Session::Impl::hold(int d, Bytes data) {
    Direction& dir = dirs[d];
    if (dir.pending.size() + data.size() > kMaxPending) {
        stop(d, dir.wait == Wait::keys ? Stop::no_keys : Stop::limit, dir.processed);
        return;
    }
    dir.pending.insert(dir.pending.end(), data.begin(), data.end());
}

void Session::Impl::resume(int d) {
    Direction& dir = dirs[d];
    dir.wait = Wait::none;
    const std::vector<std::uint8_t> held = std::move(dir.pending);
    dir.pending = {};
    run(d, held);  // a partial record at its end is copied into the reader's buffer
}

void Session::Impl::settle() {
    for (int round = 0; round < 4; ++round) {
        bool moved = false;
        for (int d = 0; d < 2; ++d) {
            if (facts.dir[d].stop != Stop::none || dirs[d].wait != Wait::peer || needs_peer(d)) continue;
            resume(d);
            moved = true;
        }
        if (!moved) return;
    }
}

Step Session::Impl::first_record(int d, const Record& rec) {
    Direction& dir = dirs[d];
    dir.started = true;
    ByteReader r{rec.body};
    const auto msg_type = r.u8();
    if (rec.type != content::handshake || !msg_type ||
        (*msg_type != hs::client_hello && *msg_type != hs::server_hello)) {
        stop_all(Stop::not_tls);
        return Step::stop;
    }
    if (*msg_type == hs::client_hello) {
        if (facts.client_dir == 1 - d) {  // both sides say hello as clients
            stop_all(Stop::not_tls);
            return Step::stop;
        }
        facts.client_dir = d;
    } else if (facts.client_dir == d) {
        stop_all(Stop::not_tls);
        return Step::stop;
    }
    return Step::next;
}

bool Session::Impl::needs_peer(int d) const {
    if (is_client(d))  // what comes after the ClientHello needs the ServerHello (and the 0-RTT verdict)
        return client_hello && (!server_hello || (tls13() && client_hello->early_data && !early_decided));
    return !client_hello;                                      // the server needs the client random
}

Step Session::Impl::on_record(int d, const Record& rec) {
    Direction& dir = dirs[d];
    if (!dir.started && first_record(d, rec) == Step::stop) return Step::stop;
    if (needs_peer(d)) return block(d, Wait::peer, rec);
    ++facts.dir[d].records;
    const bool is_protected = tls13() ? rec.type == content::application_data && server_hello
                                      : dir.epoch == Epoch::application;
    return is_protected ? protected_record(d, rec) : plain_record(d, rec);
}

Step Session::Impl::plain_record(int d, const Record& rec) {
    Direction& dir = dirs[d];
    switch (rec.type) {
    case content::handshake: return on_handshake(d, rec.body);
    case content::change_cipher_spec:
        if (!tls13() && server_hello) {  // TLS 1.2: this direction's records are protected from now
            set_epoch(d, Epoch::application);
        }
        return Step::next;
    case content::application_data:  // before keys: not TLS as we know it
        stop(d, Stop::malformed, dir.processed);
        return Step::stop;
    case content::alert: return Step::next;  // a plaintext alert ends nothing we need
    default: return Step::next;              // heartbeats
    }
}

void Session::Impl::set_epoch(int d, Epoch e) {
    Direction& dir = dirs[d];
    dir.epoch = e;
    dir.keyed = false;
    dir.seq = 0;
}

const std::vector<std::uint8_t>* Session::Impl::secret_for(int d, Epoch e) const {
    const Bytes random = client_hello->random;
    const bool client = is_client(d);
    switch (e) {
    case Epoch::early: return keys.find(SecretLabel::client_early_traffic_secret, random);
    case Epoch::handshake:
        return keys.find(client ? SecretLabel::client_handshake_traffic_secret
                                : SecretLabel::server_handshake_traffic_secret, random);
    case Epoch::application:
        return keys.find(client ? SecretLabel::client_traffic_secret_0 : SecretLabel::server_traffic_secret_0,
                         random);
    default: return nullptr;
    }
}

Keying Session::Impl::key(int d) {
    Direction& dir = dirs[d];
    if (tls13()) {
        const auto* secret = secret_for(d, dir.epoch);
        if (!secret) return Keying::wait;
        if (secret->size() != hash_length(suite->prf)) return Keying::fail;
        const auto tk = tls13_keys(*suite, *secret);
        if (!tk || !dir.cipher.init(*suite, true, *tk, false)) return Keying::fail;
        dir.secret = *secret;
    } else {
        const auto* master = keys.find(SecretLabel::client_random, client_hello->random);
        if (!master) return Keying::wait;
        const auto k = tls12_keys(*suite, *master, client_hello->random, server_hello->random);
        if (!k || !dir.cipher.init(*suite, false, is_client(d) ? k->client : k->server, etm))
            return Keying::fail;
    }
    facts.keys_found = true;
    dir.keyed = true;
    return Keying::ok;
}

Step Session::Impl::protected_record(int d, const Record& rec) {
    Direction& dir = dirs[d];
    if (!dir.keyed) {
        const Keying k = key(d);
        if (k == Keying::wait) {
            --facts.dir[d].records;  // counted again when it is processed
            return block(d, Wait::keys, rec);
        }
        if (k == Keying::fail) {
            stop(d, Stop::no_keys, dir.processed);
            return Step::stop;
        }
    }
    Plain p;
    const Unprotect result = dir.cipher.decrypt(rec.header, rec.body, dir.seq, p);
    return after_decrypt(d, result, p);
}

Step Session::Impl::after_decrypt(int d, Unprotect result, const Plain& p) {
    Direction& dir = dirs[d];
    switch (result) {
    case Unprotect::ok:
        ++dir.seq;
        dir.failures_in_row = 0;
        dir.trial = false;
        return on_plain(d, p);
    case Unprotect::malformed:
        stop(d, Stop::malformed, dir.processed);
        return Step::stop;
    case Unprotect::auth_failed: break;
    }
    return on_failure(d);
}

int Session::Impl::stream_type(int d) const {
    // A record is decrypted as it arrives when its keys are ready and nothing is waited for.
    const Direction& dir = dirs[d];
    if (!dir.started || dir.wait != Wait::none || !dir.keyed || !dir.cipher.streamable() || needs_peer(d))
        return kStreamNone;
    if (tls13()) return 23;  // application_data: protected
    return dir.epoch == Epoch::application ? kStreamAny : kStreamNone;
}

void Session::Impl::start_stream(int d, const Record& rec) {
    Direction& dir = dirs[d];
    ++facts.dir[d].records;
    const std::size_t body_len = static_cast<std::size_t>((rec.header[3] << 8) | rec.header[4]);
    if (!dir.cipher.stream_begin(rec.header, body_len, dir.seq)) {
        stop(d, Stop::malformed, dir.processed);
        return;
    }
    dir.stream_size = rec.header.size() + body_len;
    dir.stream_left = body_len - rec.body.size();
    dir.cipher.stream_update(rec.body);
}

bool Session::Impl::continue_stream(int d) {
    Direction& dir = dirs[d];
    const Bytes piece = dir.reader.take(dir.stream_left);
    if (piece.empty()) return false;
    dir.cipher.stream_update(piece);
    dir.stream_left -= piece.size();
    if (dir.stream_left > 0) return true;
    Plain p;
    const Unprotect result = dir.cipher.stream_finish(p);
    if (after_decrypt(d, result, p) == Step::next) dir.processed += dir.stream_size;
    return true;
}

Step Session::Impl::on_failure(int d) {
    Direction& dir = dirs[d];
    // 0-RTT offered and not read: early data the keys cannot open is skipped (RFC 8446 4.2.10)
    // until a record authenticates under the handshake keys.
    if (dir.trial && ++dir.trial_skipped <= kMaxTrialRecords) return Step::next;
    if (dir.trial) return fail_trial(d);
    ++facts.dir[d].auth_failures;
    ++dir.seq;
    if (tls13() || ++dir.failures_in_row >= kMaxFailuresInRow) {
        stop(d, Stop::auth_failed, dir.processed);
        return Step::stop;
    }
    return Step::next;  // TLS 1.2: one bad record is skipped
}

Step Session::Impl::fail_trial(int d) {
    // Nothing opened under the handshake keys: the skipped records were not early data but
    // records the key log's secrets cannot open.
    Direction& dir = dirs[d];
    facts.dir[d].auth_failures += dir.trial_skipped;
    dir.trial = false;
    stop(d, Stop::auth_failed, dir.processed);
    return Step::stop;
}

Step Session::Impl::on_plain(int d, const Plain& p) {
    Direction& dir = dirs[d];
    switch (p.type) {
    case content::application_data:
        if (dir.epoch == Epoch::application || dir.epoch == Epoch::early) {
            if (!p.data.empty()) out.on_plaintext(d, dir.plain_offset, p.data);
            dir.plain_offset += p.data.size();
            facts.dir[d].decrypted_bytes += p.data.size();
        }
        return Step::next;
    case content::handshake: return on_handshake(d, p.data);
    default: return Step::next;  // alerts; TLS 1.3 inner change_cipher_spec is not allowed, ignored
    }
}

Step Session::Impl::on_handshake(int d, Bytes fragment) {
    Direction& dir = dirs[d];
    dir.handshake.push(fragment);
    while (const auto m = dir.handshake.next()) {
        const Step s = on_message(d, *m);
        if (s != Step::next) return s;
    }
    if (dir.handshake.too_long()) {
        stop(d, Stop::limit, dir.processed);
        return Step::stop;
    }
    return Step::next;
}

Step Session::Impl::on_message(int d, const Message& m) {
    Direction& dir = dirs[d];
    switch (m.type) {
    case hs::client_hello: return is_client(d) && dir.epoch == Epoch::plain ? on_client_hello(d, m.body) : Step::next;
    case hs::server_hello: return !is_client(d) && dir.epoch == Epoch::plain ? on_server_hello(d, m.body) : Step::next;
    case hs::encrypted_extensions:
        if (const auto ee = parse_encrypted_extensions(m.body); ee && !is_client(d)) {
            facts.alpn = ee->alpn;
            if (!early_decided && client_hello->early_data) decide_early(ee->early_data);
        }
        return Step::next;
    case hs::end_of_early_data:
        if (tls13() && dir.epoch == Epoch::early) set_epoch(d, Epoch::handshake);
        return Step::next;
    case hs::finished:
        if (tls13() && dir.epoch == Epoch::handshake) set_epoch(d, Epoch::application);
        return Step::next;
    case hs::key_update: return tls13() && dir.epoch == Epoch::application ? key_update(d) : Step::next;
    default: return Step::next;
    }
}

Step Session::Impl::key_update(int d) {
    Direction& dir = dirs[d];
    const auto next = tls13_next_secret(*suite, dir.secret);
    const auto tk = next ? tls13_keys(*suite, *next) : std::nullopt;
    if (!tk || !dir.cipher.init(*suite, true, *tk, false)) {
        stop(d, Stop::no_keys, dir.processed);
        return Step::stop;
    }
    dir.secret = *next;
    dir.seq = 0;
    return Step::next;
}

Step Session::Impl::on_client_hello(int d, Bytes body) {
    auto ch = parse_client_hello(body);
    if (!ch) {
        stop_all(Stop::malformed);
        return Step::stop;
    }
    if (client_hello && client_hello->random != ch->random) {  // a second hello of a new random
        stop_all(Stop::malformed);
        return Step::stop;
    }
    facts.is_tls = true;
    facts.sni = ch->sni;
    client_hello = std::move(*ch);
    (void)d;
    return Step::next;
}

Step Session::Impl::on_server_hello(int d, Bytes body) {
    auto sh = parse_server_hello(body);
    if (!sh) {
        stop_all(Stop::malformed);
        return Step::stop;
    }
    facts.is_tls = true;
    facts.version = sh->version;
    facts.cipher_suite = sh->cipher_suite;
    if (sh->hello_retry_request) return Step::next;  // the real ServerHello follows
    suite = find_suite(sh->cipher_suite);
    const bool version_ok = sh->version == kTls12 || sh->version == kTls13;
    if (!version_ok || sh->compression != 0 || !suite || suite->tls13 != (sh->version == kTls13)) {
        stop_all(Stop::unsupported);
        return Step::stop;
    }
    if (!sh->alpn.empty()) facts.alpn = sh->alpn;
    etm = !is_aead(suite->cipher) && sh->encrypt_then_mac && client_hello->encrypt_then_mac;
    server_hello = std::move(*sh);
    if (!wait_for_keys && !keys.find(SecretLabel::client_random, client_hello->random) &&
        !keys.find(SecretLabel::server_handshake_traffic_secret, client_hello->random)) {
        stop_all(Stop::no_keys);
        return Step::stop;
    }
    if (tls13()) start_tls13();
    (void)d;
    return Step::next;
}

void Session::Impl::start_tls13() {
    set_epoch(1 - facts.client_dir, Epoch::handshake);
    // The client's records after its hello wait for the server's word on 0-RTT when it offered it.
    if (!client_hello->early_data) set_epoch(facts.client_dir, Epoch::handshake);
}

void Session::Impl::decide_early(bool accepted) {
    early_decided = true;
    const int client = facts.client_dir;
    const bool readable = accepted && keys.find(SecretLabel::client_early_traffic_secret, client_hello->random);
    set_epoch(client, readable ? Epoch::early : Epoch::handshake);
    dirs[client].trial = !readable;
}

Session::Session(const KeyLog& keys, PlaintextSink& out, bool wait_for_keys)
    : impl_{std::make_unique<Impl>(keys, out, wait_for_keys)} {}
Session::~Session() = default;

void Session::feed(int dir, std::uint64_t offset, Bytes data) {
    if (dir == 0 || dir == 1) impl_->feed(dir, offset, data);
}

void Session::keys_changed() {
    for (int d = 0; d < 2; ++d)
        if (impl_->dirs[d].wait == Wait::keys && impl_->facts.dir[d].stop == Stop::none) impl_->resume(d);
    impl_->settle();
}

void Session::end(int dir) {
    if (dir != 0 && dir != 1) return;
    Impl& s = *impl_;
    Direction& d = s.dirs[dir];
    if (s.facts.dir[dir].stop != Stop::none) return;
    if (d.trial && d.trial_skipped > 0) {
        s.fail_trial(dir);  // records were skipped as early data and none ever opened
    } else if (d.wait != Wait::none) {
        s.stop(dir, Stop::no_keys, d.processed);  // the secret, or the peer's hello, never came
    } else if (d.reader.buffered() > 0 || d.stream_left > 0) {
        if (d.stream_left == 0) ++s.facts.dir[dir].records;  // a streamed record was counted
        s.stop(dir, Stop::hole, d.next_offset);
    }
    s.settle();  // a client waiting for the server's word on 0-RTT goes on without it
}

const Facts& Session::facts() const noexcept { return impl_->facts; }

bool Session::hopeless() const noexcept {
    const Facts& f = impl_->facts;
    return f.dir[0].stop != Stop::none && f.dir[1].stop != Stop::none;
}

}  // namespace tcpflow::tls
