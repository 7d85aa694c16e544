// tcp_rules.cpp: the TCP rules of SPEC 4 — which flow a segment belongs to (SYN, RST, -m), RST
// acceptance, keep-alives, FIN, and placing bytes in the stream (data in front, -b). The table
// itself is in flow_table.cpp; see flow_table_impl.h.
#include <algorithm>
#include <iterator>

#include "flow_table_impl.h"

namespace tcpflow {

using namespace tcp_flags;

// ---------------------------------------------------------------- delivery to the sink

void FlowTable::Impl::Flow::deliver(std::uint64_t offset, Bytes data) {
    const std::uint64_t limit = table->config.max_bytes;
    if (offset >= limit) {
        table->stats->add(Counter::bytes_over_limit, data.size());
        sum.dropped_bytes += data.size();
        return;
    }
    if (data.size() > limit - offset) {
        const auto keep = static_cast<std::size_t>(limit - offset);
        table->stats->add(Counter::bytes_over_limit, data.size() - keep);
        sum.dropped_bytes += data.size() - keep;
        data = data.first(keep);
    }
    if (data.empty()) return;
    if (!opened) open();
    table->sink->on_data(info, offset, data, now);
    sum.size = std::max(sum.size, offset + data.size());
}

void FlowTable::Impl::Flow::open() {
    // Reopened after it was closed (late data): it continues the file written before.
    if (closed && !info.path.empty()) info.resumed = true;
    table->sink->on_open(info, now);
    opened = true;
    closed = false;
}

std::size_t FlowTable::Impl::Flow::read_back(std::uint64_t offset, std::span<std::uint8_t> out) {
    if (!opened) return 0;
    return table->sink->read_back(info, offset, out);
}

// ---------------------------------------------------------------- one segment

void FlowTable::Impl::on_segment(Connection& c, int d, const DecodedPacket& p, Timestamp ts, std::uint32_t wire_len,
                                 std::uint32_t cap_len) {
    Flow* f = select_flow(c, d, p, ts);
    if (!f) {
        stats->add(Counter::data_after_reset_dropped, p.payload.size());
        return;
    }
    const std::uint8_t fl = p.tcp.flags;
    Segment s;
    s.at = f->seq.unwrap(p.tcp.seq);
    s.dstart = s.at + ((fl & syn) ? 1 : 0);
    s.data = p.payload;
    s.claimed = p.claimed_len;
    if ((fl & rst) && !rst_accepted(c, d, *f, p, s.dstart)) {
        stats->add(Counter::rst_outside_window);
        return;
    }
    if (s.claimed > 0 || !s.data.empty()) {
        f = &check_jump(c, d, *f, p, ts, s);
        take_payload(*f, fl, ts, s);
    }
    f->sum.packets++;
    f->sum.wire_bytes += wire_len;
    f->sum.captured_bytes += cap_len;
    f->sum.last_seen = ts;
    note_positions(*f, fl, s);
    if (!(fl & rst)) note_window(c, d, *f, p);
    if (fl & rst) {
        stats->add(Counter::rst_accepted);
        reset_connection(c, d, p, ts);
        return;
    }
    check_fin(*f, fl, s);
}

// ---------------------------------------------------------------- which flow

/// The flow of direction `d` that segment `p` belongs to (created or replaced as the SYN rules
/// say); null for a segment of a reset connection, which changes nothing.
FlowTable::Impl::Flow* FlowTable::Impl::select_flow(Connection& c, int d, const DecodedPacket& p, Timestamp ts) {
    Flow* f = c.dir[d].get();
    const bool is_syn = p.tcp.flags & syn;
    if (f && f->tcp.reset) {
        // Later segments of a reset connection change nothing; a SYN starts a new one.
        if (!is_syn) return nullptr;
        Flow* peer = c.dir[1 - d].get();
        if (peer && peer->tcp.reset) {
            finish(*peer, CloseReason::rst);
            buf_update(*peer);
            end_connection(c, peer->info.connection_id, CloseReason::rst);
            c.dir[1 - d].reset();
        }
        end_connection(c, f->info.connection_id, CloseReason::rst);
        f = &new_flow(c, d, p, ts);
    } else if (!is_syn) {
        if (!f) f = &new_flow(c, d, p, ts);
        return f;
    } else {
        f = &flow_for_syn(c, d, f, p, ts);
    }
    if (!f->tcp.syn_isn) note_syn(*f, p, ts);
    return f;
}

/// A SYN (or SYN-ACK) for direction `d`, whose flow is `f` (may be null): the same flow for a
/// retransmitted SYN, else a new one.
FlowTable::Impl::Flow& FlowTable::Impl::flow_for_syn(Connection& c, int d, Flow* f, const DecodedPacket& p, Timestamp ts) {
    if (!f) return new_flow(c, d, p, ts);
    const TcpState& t = f->tcp;
    if (t.syn_isn) {
        // A new ISN is a new connection; so is the same ISN once this direction sent its FIN
        // (a stack that restarts with a fixed ISN and port): a retransmitted SYN comes before.
        if (p.tcp.seq == *t.syn_isn && !t.fin) return *f;
    } else if (t.stored_any) {
        // Picked up mid-stream: a SYN just before the data seen is this connection's.
        const std::uint64_t a = f->seq.unwrap(p.tcp.seq);
        if (a + 1 <= *t.base && *t.base - (a + 1) <= config.max_seek) return *f;
    } else {
        return replace(c, d, p, ts, CloseReason::new_connection);
    }
    stats->add(Counter::connections_reused);
    return replace(c, d, p, ts, CloseReason::new_connection);
}

/// The first SYN of flow `f`: its ISN fixes offset 0 (data seen before moves behind it).
void FlowTable::Impl::note_syn(Flow& f, const DecodedPacket& p, Timestamp ts) {
    f.tcp.syn_isn = p.tcp.seq;
    f.sum.syn_seen = true;
    const std::uint64_t new_base = f.seq.unwrap(p.tcp.seq) + 1;
    if (f.tcp.base && new_base < *f.tcp.base) {
        f.now = ts;
        shift(f, *f.tcp.base - new_base, {});
    }
    f.tcp.base = new_base;
    if (p.tcp.window_scale >= 0) f.tcp.wscale = static_cast<std::uint8_t>(p.tcp.window_scale);
    if (!(p.tcp.flags & ack)) f.info.client_to_server = true;
}

bool FlowTable::Impl::rst_accepted(Connection& c, int d, Flow& f, const DecodedPacket& p, std::uint64_t s) {
    Flow* peer = c.dir[1 - d].get();
    if (!f.tcp.hi) {
        if (peer && peer->tcp.syn_isn && !peer->tcp.stored_any) {
            // The peer is in SYN-SENT: its stack takes an RST only if it acknowledges the SYN
            // (RFC 9293 §3.10.7.3).
            return (p.tcp.flags & ack) && p.tcp.ack == *peer->tcp.syn_isn + 1;
        }
        return true;
    }
    const std::uint64_t win = peer ? peer->tcp.window.value_or(0) : 0;
    const auto slack = static_cast<std::int64_t>(std::max<std::uint64_t>(win, 65535));
    const auto dist = static_cast<std::int64_t>(s - *f.tcp.hi);
    return dist >= -slack && dist <= slack;
}

// ---------------------------------------------------------------- steps of on_segment

/// -m: a jump of more than max_seek from where the flow was starts a new file (1.6.1).
inline FlowTable::Impl::Flow& FlowTable::Impl::check_jump(Connection& c, int d, Flow& f, const DecodedPacket& p,
                                                          Timestamp ts, Segment& s) {
    const TcpState& t = f.tcp;
    if (!t.nsn && !t.syn_isn) return f;
    const std::uint64_t ref = t.nsn ? *t.nsn : *t.base;
    const std::uint64_t dist = s.dstart > ref ? s.dstart - ref : ref - s.dstart;
    if (dist <= config.max_seek) return f;
    stats->add(Counter::sequence_jumps);
    Flow& g = replace(c, d, p, ts, CloseReason::limit);
    s.at = g.seq.unwrap(p.tcp.seq);
    s.dstart = s.at + ((p.tcp.flags & syn) ? 1 : 0);
    return g;
}

/// Stores the segment's payload, unless it is a keep-alive probe.
inline void FlowTable::Impl::take_payload(Flow& f, std::uint8_t flags, Timestamp ts, Segment& s) {
    // Keep-alive probe: one byte just before the highest sequence number seen.
    if (s.claimed <= 1 && !(flags & (syn | fin | rst)) && f.tcp.hi && s.dstart + 1 == *f.tcp.hi) {
        stats->add(Counter::keepalives);
        s.data = {};
        s.claimed = 0;
    }
    if (!s.data.empty()) {
        if (s.claimed > s.data.size()) stats->add(Counter::snaplen_truncated_bytes, s.claimed - s.data.size());
        if (!f.first_seen_set) {
            f.info.name.first_seen = ts;
            f.sum.first_seen = ts;
            f.first_seen_set = true;
        }
        f.now = ts;
        store(f, s.dstart, s.data);
    }
    if (s.claimed) f.tcp.nsn = s.dstart + s.claimed;
}

/// The unwrap reference, the packet count, the highest position and the FIN's position.
inline void FlowTable::Impl::note_positions(Flow& f, std::uint8_t flags, const Segment& s) {
    f.seq.set_reference(s.at);
    f.tcp.packets++;
    TcpState& t = f.tcp;
    if (!(flags & fin)) {
        const std::uint64_t e = s.dstart + s.claimed;
        if (!t.hi || e > *t.hi) t.hi = e;
    } else if (!t.fin) {
        t.fin = s.dstart + s.claimed;
    }
}

/// The window this direction advertises, scaled once both SYNs agreed on scaling (for RSTs).
inline void FlowTable::Impl::note_window(Connection& c, int d, Flow& f, const DecodedPacket& p) {
    const Flow* peer = c.dir[1 - d].get();
    const bool scaled = !(p.tcp.flags & syn) && f.tcp.wscale && peer && peer->tcp.wscale;
    f.tcp.window = scaled ? (std::uint32_t{p.tcp.window} << std::min<int>(*f.tcp.wscale, 14)) : p.tcp.window;
}

/// FIN ends the direction once every byte before it has arrived.
inline void FlowTable::Impl::check_fin(Flow& f, std::uint8_t flags, const Segment& s) {
    const TcpState& t = f.tcp;
    if (!t.fin || f.closed || !((flags & fin) || !s.data.empty())) return;
    const bool done = !t.base || *t.fin <= *t.base || f.reasm.covered(0, *t.fin - *t.base);
    if (done) {
        f.tcp.fin_closed = true;
        finish(f, CloseReason::fin);
    }
}

void FlowTable::Impl::reset_connection(Connection& c, int d, const DecodedPacket& p, Timestamp ts) {
    Flow& f = *c.dir[d];
    f.tcp.reset = true;
    finish(f, CloseReason::rst);
    if (!c.dir[1 - d]) {
        DecodedPacket q = p;
        std::swap(q.src, q.dst);
        std::swap(q.sport, q.dport);
        Flow& r = new_flow(c, 1 - d, q, ts);
        r.placeholder = true;
        --counts.flow_directions;
    }
    Flow& r = *c.dir[1 - d];
    r.tcp.reset = true;
    finish(r, CloseReason::rst);
}

// ---------------------------------------------------------------- placing bytes

void FlowTable::Impl::store(Flow& f, std::uint64_t dstart, Bytes data) {
    if (!f.tcp.base) {
        f.tcp.base = dstart;
    } else if (dstart < *f.tcp.base) {
        const std::uint64_t before = *f.tcp.base - dstart;
        // Placing data in front rewrites the file (1.6.1's shift_file). Bounded per flow, so a
        // capture whose segments all arrive in reverse order cannot make that quadratic: past
        // the bound, data before the first byte is dropped (and counted) as with a SYN.
        const bool may_shift = !f.tcp.syn_isn && f.shift_copied + f.sum.size + before <= kMaxShiftCopy;
        if (!may_shift) {
            const auto cut = static_cast<std::size_t>(std::min<std::uint64_t>(before, data.size()));
            stats->add(Counter::data_before_isn_dropped, cut);
            f.sum.dropped_bytes += cut;
            data = data.subspan(cut);
            dstart += cut;
        } else {
            // Mid-stream pick-up: this data belongs in front of what was seen first.
            f.sum.out_of_order_segments++;
            f.shift_copied += f.sum.size + before;
            shift(f, before, data);
            f.tcp.stored_any = true;
            if (data.size() <= before) return;
            data = data.subspan(static_cast<std::size_t>(before));
            dstart += before;
        }
    }
    if (data.empty()) return;
    const InsertResult r = f.reasm.insert(dstart - *f.tcp.base, data, f);
    f.tcp.stored_any = true;
    f.sum.stored_bytes += r.new_bytes;
    f.sum.retransmitted_bytes += r.retransmitted;
    f.sum.conflicting_bytes += r.conflicting;
    stats->add(Counter::duplicate_bytes, r.retransmitted);
    stats->add(Counter::conflicting_bytes, r.conflicting);
    if (r.out_of_order) f.sum.out_of_order_segments++;
    buf_update(f);
}

/// Data turned out to begin `n` bytes before offset 0: move everything, deliver `front` at 0.
void FlowTable::Impl::shift(Flow& f, std::uint64_t n, Bytes front) {
    const auto k = std::min<std::uint64_t>(n, front.size());
    const std::uint64_t limit = config.max_bytes;
    // A flow closed earlier (idle, memory) has its file moved too: it is reopened, as for late data.
    if (!f.opened && f.sum.size) f.open();
    if (f.opened && f.sum.size && (n >= limit || f.sum.size > limit - n)) {
        shift_under_cap(f, n, k);
    } else {
        if (f.opened) sink->on_shift(f.info, n);
        if (f.sum.size) f.sum.size += n;
    }
    f.reasm.rebase(n, k);
    for (auto& h : f.sum.holes) h.offset += n;
    *f.tcp.base -= n;
    if (k) {
        f.sum.stored_bytes += k;
        f.deliver(0, front.first(static_cast<std::size_t>(k)));
    }
}

/// -b: a shift by `n` would move written bytes to offsets at or past the cap. The file holds only
/// the first max_bytes bytes of the stream: what stays under the cap is moved (read back and
/// written n further on), what would pass it is dropped and counted, and the written bytes in
/// front that the `k` bytes placed at 0 do not cover become the hole they now are. A sink that
/// cannot read back (a console) keeps what it showed.
void FlowTable::Impl::shift_under_cap(Flow& f, std::uint64_t n, std::uint64_t k) {
    const std::uint64_t limit = config.max_bytes, size = f.sum.size;
    const std::uint64_t keep = n < limit ? std::min(limit - n, size) : 0;   // old [0, keep) stays
    std::uint64_t holes_beyond = 0;
    for (const Hole& h : f.reasm.holes()) {
        const std::uint64_t b = std::max(h.offset, keep), e = std::min(h.offset + h.length, size);
        if (b < e) holes_beyond += e - b;
    }
    const std::uint64_t dropped = size - keep - std::min(holes_beyond, size - keep);
    stats->add(Counter::bytes_over_limit, dropped);
    f.sum.dropped_bytes += dropped;
    std::uint8_t buf[4096];
    if (sink->read_back(f.info, 0, std::span<std::uint8_t>{buf, 1}) != 1) return;
    for (std::uint64_t end = keep; end > 0;) {   // from the end backwards: the ranges overlap
        const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(end, sizeof buf));
        const std::uint64_t start = end - len;
        if (sink->read_back(f.info, start, std::span<std::uint8_t>{buf, len}) != len) break;
        sink->on_data(f.info, start + n, Bytes{buf, len}, f.now);
        end = start;
    }
    std::fill(std::begin(buf), std::end(buf), std::uint8_t{0});
    for (std::uint64_t pos = std::min(k, limit), end = std::min(n, size); pos < end;) {
        const auto len = static_cast<std::size_t>(std::min<std::uint64_t>(end - pos, sizeof buf));
        sink->on_data(f.info, pos, Bytes{buf, len}, f.now);
        pos += len;
    }
    if (keep) f.sum.size = std::max(size, n + keep);
}

}  // namespace tcpflow
