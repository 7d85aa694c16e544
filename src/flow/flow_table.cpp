// flow_table.cpp: the table (lookup, the life of connections and flows, remembering closed flows).
// The TCP rules are in tcp_rules.cpp; see flow_table_impl.h.
#include "tcpflow/flow/flow_table.h"

#include <algorithm>
#include <utility>

#include "flow_table_impl.h"

namespace tcpflow {

using namespace tcp_flags;

const char* close_reason_name(CloseReason r) noexcept {
    switch (r) {
        case CloseReason::fin: return "fin";
        case CloseReason::rst: return "rst";
        case CloseReason::timeout: return "timeout";
        case CloseReason::end_of_input: return "end_of_input";
        case CloseReason::limit: return "limit";
        case CloseReason::new_connection: return "new_connection";
    }
    return "?";
}

std::size_t FlowTable::Impl::connection_charge(const FlowTableConfig& c) noexcept {
    // The index is kept at most half full: two slots per connection. Each flow's name
    // (FlowInfo::path) is on the heap.
    return sizeof(Connection) + kHeapBlockBytes + 2 * sizeof(ConnSlot) +
           2 * (sizeof(Flow) + kHeapBlockBytes + kHeapNameBytes + c.sink_bytes_per_flow);
}

FlowTable::Impl::Impl(FlowTableConfig c, FlowSink& s, MemoryBudget& b, Stats& st)
    : config{c}, sink{&s}, budget{&b}, conn_charge{connection_charge(c)}, stats{&st}, saved{c.max_saved_flows} {}

/// Gives back what connections and remembered flows still hold (the budget may outlive the
/// table); the reassemblers release their buffered data themselves.
FlowTable::Impl::~Impl() {
    budget->release(conns.size() * conn_charge);
    for (std::uint32_t slot = saved.oldest(); slot != SavedTable<Saved>::kNone; slot = saved.next(slot))
        budget->release(saved_charge(saved.at(slot)));
    while (Connection* c = oldest()) {
        lru_of(*c).unlink(*c);
        delete c;
    }
}

// ---------------------------------------------------------------- lookup

void FlowTable::Impl::on_packet(const DecodedPacket& p, Timestamp ts, std::uint32_t wire_len, std::uint32_t cap_len) {
    ts.ns += config.tdelta_ns;
    const bool udp = p.proto == Transport::udp;
    stats->add(udp ? Counter::udp_datagrams : Counter::tcp_segments);
    int d = 0;
    const ConnKey key = make_key(p, d);
    Connection* c = nullptr;
    // Consecutive segments usually belong to the same connection: check it before hashing.
    if (last_conn && last_conn->key == key) {
        c = last_conn;
        lru_of(*c).move_to_back(*c);
    } else if (const std::uint64_t h = ConnKeyHash{}(key);
               const ConnSlot* s = conns.find(h, [&](const ConnSlot& x) { return x.conn->key == key; })) {
        c = s->conn;
        lru_of(*c).move_to_back(*c);
    } else if (!(c = reopen(key, h, p, ts))) {
        return;
    }
    if (const std::int64_t idle = udp ? config.udp_idle_timeout_ns : config.idle_timeout_ns;
        idle > 0 && c->last.ns + idle < ts.ns) {
        // Idle past its timeout: that connection or conversation ended before this packet, which
        // starts the next one (continuing the same files), whatever order the caller expires in:
        // as if a sweep (expire) had retired it before this packet came.
        stats->add(Counter::flows_timed_out);
        const std::uint64_t h = c->hash;
        retire(*c, CloseReason::timeout);
        if (!(c = udp ? &create(key, h) : reopen(key, h, p, ts))) return;
    }
    last_conn = c;
    c->last = ts;
    if (udp) {
        on_datagram(*c, d, p, ts, wire_len, cap_len);   // ends by idle timeout or end of input only
        return;
    }
    on_segment(*c, d, p, ts, wire_len, cap_len);
    maybe_retire(*c);
}

// ---------------------------------------------------------------- connection and flow life

/// A packet of a connection not in the table: a new one, or one closed before (its saved flows
/// come back). Null when the packet is to be dropped.
FlowTable::Impl::Connection* FlowTable::Impl::reopen(const ConnKey& key, std::uint64_t h, const DecodedPacket& p,
                                                     Timestamp ts) {
    const bool saved_before = saved.has_either(key, h);
    if (!start_new && !saved_before) {
        stats->add(Counter::packets_ignored_resume);
        return nullptr;
    }
    // A bare ACK or FIN for a connection that was closed already (FIN, reset or idle timeout)
    // can change no file: don't bring its state back for it.
    if (p.proto != Transport::udp && saved_before && p.payload.empty() && p.claimed_len == 0 &&
        !(p.tcp.flags & (syn | rst)))
        return nullptr;
    Connection* c = &create(key, h);
    c->last = ts;
    return c;
}

FlowTable::Impl::Connection& FlowTable::Impl::create(const ConnKey& k, std::uint64_t h) {
    auto* c = new Connection();
    c->key = k;
    c->hash = h;
    c->session_id = next_session++;
    lru_of(*c).push_back(*c);
    conns.insert(ConnSlot{h, c});
    budget->charge(conn_charge);
    restore(*c, 0);
    restore(*c, 1);
    ++counts.connections_created;
    counts.open_connections = conns.size();
    counts.max_open_connections = std::max<std::uint64_t>(counts.max_open_connections, conns.size());
    return *c;
}

FlowTable::Impl::Flow& FlowTable::Impl::new_flow(Connection& c, int d, const DecodedPacket& p, Timestamp ts,
                                                 std::uint64_t inherit) {
    auto f = std::make_unique<Flow>(*this, c);
    // The second direction of a connection joins the first; a new connection (its peer gone,
    // reset, or still the old connection's) starts with this packet's number.
    const Flow* peer = c.dir[1 - d].get();
    const bool joins = peer && !peer->tcp.reset && !(c.dir[d] && c.dir[d]->info.connection_id == peer->info.connection_id);
    f->info.connection_id = inherit ? inherit : joins ? peer->info.connection_id : p.number;
    f->info.first_packet = p.number;
    f->info.proto = p.proto;
    f->info.name.src = p.src;
    f->info.name.dst = p.dst;
    f->info.name.sport = p.sport;
    f->info.name.dport = p.dport;
    f->info.name.vlan = p.vlans.outer();
    f->info.name.first_seen = ts;
    f->info.name.flow_index = next_flow_index++;
    f->info.name.session_id = c.session_id;
    f->info.name.has_mac = p.has_mac;
    f->info.name.src_mac = p.src_mac;
    f->info.name.dst_mac = p.dst_mac;
    f->info.name.udp = p.proto == Transport::udp;
    f->info.vlans = p.vlans;
    f->info.tunnel = p.tunnel;
    f->info.client_to_server = (p.tcp.flags & syn) && !(p.tcp.flags & ack);
    f->sum.first_seen = ts;
    f->first_seen_set = (p.tcp.flags & syn) || !p.payload.empty();
    ++counts.flow_directions;
    c.dir[d] = std::move(f);
    return *c.dir[d];
}

void FlowTable::Impl::finish(Flow& f, CloseReason reason) {
    // A closed flow may hold data again (out-of-order bytes that arrived after it closed):
    // deliver it first, which reopens the flow, so it is closed again below.
    f.reasm.give_up_all(f);
    buf_update(f);
    if (f.closed) return;
    f.sum.holes = f.reasm.holes();
    f.sum.reason = reason;
    if (!f.placeholder && (f.opened || f.tcp.packets > 0)) sink->on_close(f.info, f.sum);
    f.opened = false;
    f.closed = true;
}

FlowTable::Impl::Flow& FlowTable::Impl::replace(Connection& c, int d, const DecodedPacket& p, Timestamp ts,
                                                CloseReason why) {
    if (!c.dir[d]) return new_flow(c, d, p, ts);
    Flow& old = *c.dir[d];
    finish(old, why);
    buf_update(old);
    const std::uint64_t id = old.info.connection_id;
    if (why == CloseReason::limit) return new_flow(c, d, p, ts, id);   // -m: a new file, the same connection
    const Flow* peer = c.dir[1 - d].get();
    if (peer && peer->info.connection_id == id && !peer->tcp.reset) {
        // The old connection ends when its other direction goes too.
        c.parting[d] = std::make_unique<Parting>(Parting{old.info, old.sum});
    } else {
        end_connection(c, id, why);
    }
    return new_flow(c, d, p, ts);
}

void FlowTable::Impl::end_connection(Connection& c, std::uint64_t id, CloseReason why) {
    ConnectionEnd e;
    e.id = id;
    e.reason = why;
    bool changed = false;
    for (int d = 0; d < 2; ++d) {
        const Flow* f = c.dir[d].get();
        const Parting* pt = c.parting[d].get();
        if (f && !f->placeholder && f->info.connection_id == id && f->sum.packets > 0) {
            e.info[d] = &f->info;
            e.summary[d] = &f->sum;
        } else if (pt && pt->info.connection_id == id) {
            e.info[d] = &pt->info;
            e.summary[d] = &pt->sum;
        }
        if (e.info[d] && e.summary[d]->packets != e.info[d]->indexed_packets) changed = true;
    }
    if (changed) sink->on_connection_end(e);
    for (int d = 0; d < 2; ++d) {
        if (Flow* f = c.dir[d].get(); f && f->info.connection_id == id) f->info.indexed_packets = f->sum.packets;
        if (c.parting[d] && c.parting[d]->info.connection_id == id) c.parting[d].reset();
    }
}

/// Closes both directions, remembers them, and drops the connection.
void FlowTable::Impl::retire(Connection& c, CloseReason why) {
    for (int d = 0; d < 2; ++d) {
        if (!c.dir[d]) continue;
        finish(*c.dir[d], why);
        buf_update(*c.dir[d]);
    }
    for (int d = 0; d < 2; ++d) {
        if (c.parting[d]) end_connection(c, c.parting[d]->info.connection_id, why);
        if (c.dir[d]) end_connection(c, c.dir[d]->info.connection_id, why);
    }
    for (int d = 0; d < 2; ++d) remember(c, d);
    lru_of(c).unlink(c);
    if (last_conn == &c) last_conn = nullptr;
    budget->release(conn_charge);
    conns.erase(c.hash, [&c](const ConnSlot& x) { return x.conn == &c; });
    delete &c;
    counts.open_connections = conns.size();
}

/// Retires a connection whose directions are all closed for good (FIN or reset).
void FlowTable::Impl::maybe_retire(Connection& c) {
    bool reset = false;
    for (int d = 0; d < 2; ++d) {
        const Flow* f = c.dir[d].get();
        if (f && !(f->closed && (f->tcp.fin_closed || f->tcp.reset))) return;
        if (f && f->tcp.reset) reset = true;
    }
    retire(c, reset ? CloseReason::rst : CloseReason::fin);
}

void FlowTable::Impl::expire(Timestamp now) {
    now.ns += config.tdelta_ns;
    if (config.hole_timeout_ns > 0) give_up_old_holes(now);
    if (config.idle_timeout_ns > 0) {
        while (lru.front() && lru.front()->last.ns + config.idle_timeout_ns < now.ns) {
            stats->add(Counter::flows_timed_out);
            retire(*lru.front(), CloseReason::timeout);
        }
    }
    if (config.udp_idle_timeout_ns > 0) {
        while (udp_lru.front() && udp_lru.front()->last.ns + config.udp_idle_timeout_ns < now.ns) {
            stats->add(Counter::flows_timed_out);
            retire(*udp_lru.front(), CloseReason::timeout);
        }
    }
}

/// Live capture: a hole that has not filled within the bound is given up, so the data behind it
/// is written (tail -f and -c see it); a late filler still lands at its offset. The flow with the
/// oldest hole is first in the buffered list.
void FlowTable::Impl::give_up_old_holes(Timestamp now) {
    while (!buffered.empty() && buffered.front()->buffered_since.ns + config.hole_timeout_ns < now.ns) {
        Flow& f = *buffered.front();
        if (f.reasm.give_up_first_hole(f)) stats->add(Counter::holes_given_up);
        buffered.unlink(f);
        f.now = now;
        buf_update(f);   // still holding data behind another hole: its clock starts now
    }
}

void FlowTable::Impl::relieve_memory() {
    while (budget->over() && !buffered.empty()) {
        Flow& f = *buffered.front();
        if (f.reasm.give_up_first_hole(f)) stats->add(Counter::holes_given_up);
        buf_update(f);
    }
    while (budget->over() && oldest()) retire(*oldest(), CloseReason::limit);
    while (budget->over() && !saved.empty()) forget_oldest_saved();
}

void FlowTable::Impl::close_all(CloseReason why) {
    while (Connection* c = oldest()) retire(*c, why);
}

// ---------------------------------------------------------------- remembered flows

void FlowTable::Impl::remember(Connection& c, int d) {
    Flow* f = c.dir[d].get();
    if (!f || f->placeholder || !(f->tcp.stored_any || f->tcp.reset)) return;
    std::uint32_t slot = saved.find(c.key, d, c.hash);
    if (slot != SavedTable<Saved>::kNone) {
        budget->release(Reassembler::holes_charge(saved.at(slot).holes));   // replaced below
        saved.move_to_back(slot);
    } else {
        budget->charge(kSavedCharge);
        if (saved.full()) {
            // Make room by forgetting the oldest. With max_saved_flows == 0 the new flow itself
            // is the one forgotten: nothing is remembered.
            if (saved.empty()) {
                budget->release(kSavedCharge);
                return;
            }
            forget_oldest_saved();
        }
        slot = saved.insert(c.key, d, c.hash);
    }
    // Every field is assigned: a reused slot keeps nothing of the flow it held before (only the
    // capacity of its string and vector). Positions are kept relative to the last one seen,
    // re-expressed in the space a restored flow starts from (SeqUnwrapper::kStart + that
    // sequence number).
    Saved& s = saved.at(slot);
    const std::uint64_t r = f->seq.primed() ? f->seq.reference() : f->tcp.base.value_or(0);
    s.info = f->info;
    f->sum.holes = std::vector<Hole>{};   // the report's copy (sent at close); the holes go below
    s.sum = f->sum;
    s.holes = f->reasm.take_holes();      // moved, not copied: the charge moves with them
    budget->charge(Reassembler::holes_charge(s.holes));
    s.ref_seq = static_cast<std::uint32_t>(r);
    s.tcp = f->tcp;
    s.tcp.move_positions(SeqUnwrapper::kStart + s.ref_seq - r);
    s.contiguous = f->reasm.contiguous_end();
}

void FlowTable::Impl::forget_oldest_saved() {
    if (saved.empty()) return;
    const std::uint32_t slot = saved.oldest();
    Saved& s = saved.at(slot);
    budget->release(saved_charge(s));
    s.holes = std::vector<Hole>{};   // freed now, not when the slot is reused
    saved.erase(slot);
}

void FlowTable::Impl::restore(Connection& c, int d) {
    const std::uint32_t slot = saved.find(c.key, d, c.hash);
    if (slot == SavedTable<Saved>::kNone) return;
    // The entry is forgotten below: its string and vector may be moved out.
    Saved& s = saved.at(slot);
    auto f = std::make_unique<Flow>(*this, c);
    f->info = std::move(s.info);
    f->info.resumed = true;
    f->sum = std::move(s.sum);
    f->seq.set_reference(SeqUnwrapper::kStart + s.ref_seq);
    f->tcp = s.tcp;
    f->first_seen_set = true;
    f->closed = true;
    budget->release(saved_charge(s));
    f->reasm.resume_at(s.contiguous, std::move(s.holes));   // charged by the reassembler now
    c.dir[d] = std::move(f);
    saved.erase(slot);
}

// ---------------------------------------------------------------- FlowTable

FlowTable::FlowTable(FlowTableConfig config, FlowSink& sink, MemoryBudget& budget, Stats& stats)
    : impl_{std::make_unique<Impl>(config, sink, budget, stats)} {}

FlowTable::~FlowTable() = default;

void FlowTable::on_packet(const DecodedPacket& pkt, Timestamp ts, std::uint32_t wire_len, std::uint32_t cap_len) {
    impl_->on_packet(pkt, ts, wire_len, cap_len);
}
void FlowTable::expire(Timestamp now) { impl_->expire(now); }
void FlowTable::relieve_memory() { impl_->relieve_memory(); }
void FlowTable::close_all(CloseReason reason) { impl_->close_all(reason); }
void FlowTable::set_start_new_flows(bool on) noexcept { impl_->start_new = on; }
FlowTableCounts FlowTable::counts() const noexcept { return impl_->counts; }
std::size_t FlowTable::connection_charge(const FlowTableConfig& config) noexcept { return Impl::connection_charge(config); }

}  // namespace tcpflow
