// tls_sink.cpp: raw flows on to the inner sink, TLS plaintext as derived flows (see tls_sink.h).
#include "tcpflow/output/tls_sink.h"

#include <vector>

#include "tcpflow/flow/tls_flow_report.h"
#include "tcpflow/tls/session.h"

namespace tcpflow {

struct TlsSink::Out final : tls::PlaintextSink {
    TlsSink* owner = nullptr;
    Conn* conn = nullptr;
    void on_plaintext(int dir, std::uint64_t offset, Bytes data) override;
};

struct TlsSink::Conn {
    bool used[2] = {false, false};      // the direction was opened
    bool closed[2] = {false, false};
    IpAddress src[2];
    std::uint16_t sport[2] = {0, 0};
    std::shared_ptr<TlsFlowReport> report[2];
    FlowInfo plain[2];                  // the derived flows (opened with the first plaintext byte)
    bool plain_open[2] = {false, false};
    std::uint64_t plain_size[2] = {0, 0};
    Out out;
    std::unique_ptr<tls::Session> session;   // null once dropped (hopeless, shifted)
    // Console mode: what goes on of each direction.
    enum class Show : std::uint8_t { undecided, plain, raw };
    Show show[2] = {Show::undecided, Show::undecided};
    FlowInfo* raw[2] = {nullptr, nullptr};    // the open raw flow (the flow table's)
    std::vector<std::uint8_t> held[2];
    std::uint64_t held_offset[2] = {0, 0};
    Timestamp held_ts[2];
};

void TlsSink::Out::on_plaintext(int dir, std::uint64_t offset, Bytes data) {
    if (dir < 0 || dir > 1 || data.empty()) return;
    Conn& c = *conn;
    if (!c.used[dir] || c.closed[dir]) return;   // its raw flow closed: its .tls file is complete
    FlowInfo& p = c.plain[dir];
    if (c.show[dir] == Conn::Show::undecided && owner->set_.hold) {   // console: the plaintext, not the raw bytes
        c.show[dir] = Conn::Show::plain;
        c.held[dir].clear();
        c.held[dir].shrink_to_fit();
    }
    if (c.show[dir] == Conn::Show::raw) return;   // the raw bytes went out already
    if (!c.plain_open[dir]) {
        owner->inner_->on_open(p, owner->now_);
        c.plain_open[dir] = true;
        c.report[dir]->file = p.path;
    }
    owner->inner_->on_data(p, offset, data, owner->now_);
    if (offset + data.size() > c.plain_size[dir]) c.plain_size[dir] = offset + data.size();
}

TlsSink::TlsSink(std::unique_ptr<FlowSink> inner, const tls::KeyLog& keys, Settings settings)
    : inner_{std::move(inner)}, keys_{keys}, set_{std::move(settings)} {}

TlsSink::~TlsSink() = default;

std::size_t TlsSink::sessions() const noexcept {
    std::size_t n = 0;
    for (const auto& [id, c] : conns_) n += c->session ? 1 : 0;
    return n;
}

/// The connection of `info` and its direction index there (0: the first direction opened).
TlsSink::Conn* TlsSink::conn_of(const FlowInfo& info, int& dir) {
    const auto it = conns_.find(info.connection_id);
    if (it == conns_.end()) return nullptr;
    Conn& c = *it->second;
    for (int d = 0; d < 2; ++d) {
        if (c.used[d] && c.sport[d] == info.name.sport && c.src[d] == info.name.src) {
            dir = d;
            return &c;
        }
    }
    return nullptr;
}

void TlsSink::on_open(FlowInfo& info, Timestamp ts) {
    inner_->on_open(info, ts);
    if (info.proto != Transport::tcp || info.path_suffix != nullptr) return;
    if (set_.at_open && set_.at_open()) keys_changed();
    int dir = -1;
    Conn* c = conn_of(info, dir);
    if (c == nullptr) {
        auto& slot = conns_[info.connection_id];
        if (!slot) {
            slot = std::make_unique<Conn>();
            slot->out.owner = this;
            slot->out.conn = slot.get();
            slot->session = std::make_unique<tls::Session>(keys_, slot->out, set_.wait_for_keys);
        }
        c = slot.get();
        dir = c->used[0] ? 1 : 0;
        if (c->used[dir]) return;   // a third direction of one connection id (-m): not followed
        c->used[dir] = true;
        c->src[dir] = info.name.src;
        c->sport[dir] = info.name.sport;
        c->report[dir] = std::make_shared<TlsFlowReport>();
    }
    c->closed[dir] = false;
    c->raw[dir] = &info;
    info.tls = c->report[dir];
    FlowInfo& p = c->plain[dir];
    if (!c->plain_open[dir]) {
        p = info;   // the same identity; its file: the raw flow's name and ".tls"
        p.path_suffix = kSuffix;
        p.resumed = false;
        p.sink_handle = 0;
    }
}

void TlsSink::on_data(FlowInfo& info, std::uint64_t offset, Bytes data, Timestamp ts) {
    int dir = -1;
    Conn* c = info.tls ? conn_of(info, dir) : nullptr;
    if (!set_.hold || c == nullptr) inner_->on_data(info, offset, data, ts);
    if (c == nullptr) return;
    if (c->session) {
        now_ = ts;
        c->session->feed(dir, offset, data);
        drop_if_hopeless(*c);
    }
    if (set_.hold) hold_or_pass(*c, dir, info, offset, data, ts);
}

/// Console mode: the raw bytes wait until the direction is known to decrypt (then they are
/// dropped) or not (then they go on, with all after them).
void TlsSink::hold_or_pass(Conn& c, int dir, FlowInfo& info, std::uint64_t offset, Bytes data, Timestamp ts) {
    using Show = Conn::Show;
    if (c.show[dir] == Show::plain) return;
    if (c.show[dir] == Show::undecided) {
        std::vector<std::uint8_t>& h = c.held[dir];
        const bool stopped = !c.session || c.session->facts().dir[dir].stop != tls::Stop::none;
        const bool in_order = h.empty() || c.held_offset[dir] + h.size() == offset;
        if (!stopped && in_order && h.size() + data.size() <= kHoldBytes) {
            if (h.empty()) {
                c.held_offset[dir] = offset;
                c.held_ts[dir] = ts;
            }
            h.insert(h.end(), data.begin(), data.end());
            return;
        }
        release(c, dir);
    }
    inner_->on_data(info, offset, data, ts);
}

/// Console mode: direction `dir` shows its raw bytes; those held back go on now.
void TlsSink::release(Conn& c, int dir) {
    if (!set_.hold || c.show[dir] != Conn::Show::undecided) return;
    c.show[dir] = Conn::Show::raw;
    std::vector<std::uint8_t>& h = c.held[dir];
    if (!h.empty() && c.raw[dir] != nullptr) inner_->on_data(*c.raw[dir], c.held_offset[dir], Bytes{h.data(), h.size()}, c.held_ts[dir]);
    h.clear();
    h.shrink_to_fit();
}

void TlsSink::on_shift(FlowInfo& info, std::uint64_t n) {
    inner_->on_shift(info, n);
    int dir = -1;
    if (Conn* c = conn_of(info, dir); c && c->session) {
        // Bytes before the stream's start: offsets no longer match what the session saw.
        update(*c);
        c->report[dir]->stop = "malformed";
        c->session.reset();
    }
}

/// Copies the session's facts into both directions' reports.
void TlsSink::update(Conn& c) {
    if (!c.session) return;
    const tls::Facts& f = c.session->facts();
    for (int d = 0; d < 2; ++d) {
        if (!c.report[d]) continue;
        TlsFlowReport& r = *c.report[d];
        r.is_tls = f.is_tls;
        r.version = f.version != 0 ? tls::version_name(f.version) : std::string{};
        r.cipher_suite = f.cipher_suite != 0 ? tls::suite_name(f.cipher_suite) : std::string{};
        r.sni = f.sni;
        r.alpn = f.alpn;
        r.records = f.dir[d].records;
        r.decrypted_bytes = f.dir[d].decrypted_bytes;
        r.auth_failures = f.dir[d].auth_failures;
        r.stop = tls::stop_name(f.dir[d].stop);
        r.stop_offset = f.dir[d].stop_offset;
    }
}

void TlsSink::drop_if_hopeless(Conn& c) {
    if (!c.session->hopeless()) return;
    update(c);
    c.session.reset();
    for (int d = 0; d < 2; ++d)
        if (c.used[d] && !c.closed[d]) release(c, d);
}

/// Closes direction `dir`'s plaintext flow (before its raw flow closes).
void TlsSink::close_plain(Conn& c, int dir, const FlowSummary& raw) {
    if (!c.plain_open[dir]) return;
    FlowSummary s = raw;
    s.size = s.stored_bytes = c.plain_size[dir];
    s.retransmitted_bytes = s.conflicting_bytes = s.dropped_bytes = 0;
    s.out_of_order_segments = 0;
    s.holes.clear();
    inner_->on_close(c.plain[dir], s);
    c.plain_open[dir] = false;
}

void TlsSink::on_close(FlowInfo& info, const FlowSummary& summary) {
    int dir = -1;
    Conn* c = info.tls ? conn_of(info, dir) : nullptr;
    if (c != nullptr) {
        if (c->session) {
            c->session->end(dir);
            update(*c);
        }
        release(*c, dir);
        close_plain(*c, dir, summary);
        c->closed[dir] = true;
        c->raw[dir] = nullptr;
    }
    inner_->on_close(info, summary);
    if (c != nullptr && c->used[0] && c->used[1] && c->closed[0] && c->closed[1]) {
        // Kept until the connection's end (the flow index reads the reports through FlowInfo::tls).
        c->session.reset();
    }
}

void TlsSink::on_connection_end(const ConnectionEnd& end) {
    inner_->on_connection_end(end);
    const auto it = conns_.find(end.id);
    if (it == conns_.end()) return;
    const Conn& c = *it->second;
    if ((!c.used[0] || c.closed[0]) && (!c.used[1] || c.closed[1])) conns_.erase(it);
}

std::size_t TlsSink::read_back(FlowInfo& info, std::uint64_t offset, std::span<std::uint8_t> out) {
    return inner_->read_back(info, offset, out);
}

void TlsSink::keys_changed() {
    for (auto& [id, c] : conns_)
        if (c->session) {
            c->session->keys_changed();
            drop_if_hopeless(*c);
        }
}

void TlsSink::flush() {
    if (set_.refresh && set_.refresh()) keys_changed();
    inner_->flush();
}

}  // namespace tcpflow
