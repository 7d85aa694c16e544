#include "tcpflow/flow/flow_table.h"

#include <algorithm>
#include <vector>

#include "tcpflow/flow/reassembler.h"
#include "tcpflow/flow/seq.h"

namespace tcpflow {

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

namespace {

using namespace tcp_flags;

/// Both endpoints of a connection in a canonical order, plus VLANs and tunnel: the same key for
/// both directions. Direction 0 is the one whose source is `lo`.
struct ConnKey {
    Transport proto = Transport::tcp;
    IpAddress lo, hi;
    std::uint16_t lo_port = 0, hi_port = 0;
    VlanStack vlans;
    TunnelKey tunnel;
    friend bool operator==(const ConnKey&, const ConnKey&) = default;
};

inline void mix(std::uint64_t& h, std::uint64_t v) noexcept {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
}

std::uint64_t load64(const std::array<std::uint8_t, 16>& b, std::size_t at) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | b[at + i];
    return v;
}

struct ConnKeyHash {
    // Not noexcept on purpose: libstdc++ then keeps each node's hash, so a lookup compares the
    // large keys only when the hashes match.
    std::size_t operator()(const ConnKey& k) const {
        std::uint64_t h = (std::uint64_t{static_cast<std::uint8_t>(k.proto)} << 8) | k.lo.family;
        mix(h, load64(k.lo.bytes, 0));
        mix(h, load64(k.lo.bytes, 8));
        mix(h, load64(k.hi.bytes, 0));
        mix(h, load64(k.hi.bytes, 8));
        mix(h, (std::uint64_t{k.lo_port} << 16) | k.hi_port);
        if (k.vlans.count) mix(h, (std::uint64_t{k.vlans.count} << 32) | (std::uint64_t{k.vlans.ids[0]} << 16) | k.vlans.ids[1]);
        if (k.tunnel.kind) {
            mix(h, k.tunnel.kind);
            mix(h, k.tunnel.id);
            mix(h, load64(k.tunnel.outer_src.bytes, 0) ^ load64(k.tunnel.outer_dst.bytes, 0));
        }
        return static_cast<std::size_t>(h);
    }
};

/// Builds the connection key and says which direction the packet travels.
ConnKey make_key(const DecodedPacket& p, int& dir) {
    ConnKey k;
    k.proto = p.proto;
    const bool src_first = std::tie(p.src, p.sport) <= std::tie(p.dst, p.dport);
    dir = src_first ? 0 : 1;
    k.lo = src_first ? p.src : p.dst;
    k.hi = src_first ? p.dst : p.src;
    k.lo_port = src_first ? p.sport : p.dport;
    k.hi_port = src_first ? p.dport : p.sport;
    k.vlans = p.vlans;
    k.tunnel = p.tunnel;
    if (k.tunnel.kind) {
        // The reverse direction's outer header has source and destination swapped.
        if (std::tie(k.tunnel.outer_dst, k.tunnel.outer_dport) < std::tie(k.tunnel.outer_src, k.tunnel.outer_sport)) {
            std::swap(k.tunnel.outer_src, k.tunnel.outer_dst);
            std::swap(k.tunnel.outer_sport, k.tunnel.outer_dport);
        }
    }
    return k;
}

// Open addressing with linear probing over a power-of-two vector of slots, shared by the two
// indexes below. A Slot is empty when default-constructed and has `hash` and `empty()`.

/// Puts `x` in the first free slot from its home.
template <class Slot>
void place_slot(std::vector<Slot>& slots, const Slot& x) noexcept {
    const std::size_t mask = slots.size() - 1;
    std::size_t i = x.hash & mask;
    while (!slots[i].empty()) i = (i + 1) & mask;
    slots[i] = x;
}

/// Moves every entry into a table of `size` slots.
template <class Slot>
void resize_slots(std::vector<Slot>& slots, std::size_t size) {
    std::vector<Slot> old(size);
    old.swap(slots);
    for (const Slot& x : old)
        if (!x.empty()) place_slot(slots, x);
}

/// Empties slot `i` by backward-shift deletion: later entries of the probe run move back so that
/// every lookup still finds them (no tombstones).
template <class Slot>
void erase_slot(std::vector<Slot>& slots, std::size_t i) noexcept {
    const std::size_t mask = slots.size() - 1;
    for (std::size_t j = (i + 1) & mask; !slots[j].empty(); j = (j + 1) & mask) {
        const std::size_t home = slots[j].hash & mask;
        // Move j back to the hole at i unless its home lies cyclically in (i, j].
        const bool stays = (i < j) ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            slots[i] = slots[j];
            i = j;
        }
    }
    slots[i] = Slot{};
}

constexpr std::size_t kConnectionCharge = 1024;   // connection + two flows, approximately
constexpr std::size_t kSavedCharge = 256;
constexpr std::uint64_t kMaxShiftCopy = 64ull << 20;   // per flow: bytes moved to place data in front

}  // namespace

struct FlowTable::Impl {
    struct Connection;

    /// What the TCP rules know of one direction; kept when a closed flow is remembered.
    /// Positions are absolute (SeqUnwrapper space).
    struct TcpState {
        bool fin_closed = false;
        bool stored_any = false;
        bool have_syn = false;
        std::uint32_t syn_isn = 0;
        bool have_base = false;
        std::uint64_t base = 0;        // absolute position of file offset 0
        bool have_hi = false;
        std::uint64_t hi = 0;
        bool have_nsn = false;
        std::uint64_t nsn = 0;
        bool have_fin = false;
        std::uint64_t fin = 0;
        bool reset = false;
        bool have_window = false;
        std::uint32_t window = 0;
        std::int8_t wscale = -1;
        std::uint64_t packets = 0;

        /// Moves every position by `delta` (modulo 2^64): the same stream in another unwrap space.
        void move_positions(std::uint64_t delta) noexcept {
            base += delta;
            hi += delta;
            nsn += delta;
            fin += delta;
        }
    };

    /// One direction of one connection: one flow file.
    struct Flow final : ByteDelivery, TcpState {
        Flow(Impl& t, Connection& c) : table{&t}, conn{&c}, reasm{t.config.overlap, *t.budget} {}
        Flow(const Flow&) = delete;
        Flow& operator=(const Flow&) = delete;
        // Never leave a dangling pointer in the buffered-data list.
        ~Flow() override {
            if (in_buf_list) table->buf_unlink(*this);
        }

        Impl* table;
        Connection* conn;
        FlowInfo info;
        FlowSummary sum;
        Reassembler reasm;
        SeqUnwrapper seq;
        Timestamp now;                 // time of the packet being processed
        bool first_seen_set = false;
        bool opened = false;           // sink has an open flow for it
        bool closed = false;           // on_close sent (a later byte reopens it)
        bool placeholder = false;
        std::uint64_t shift_copied = 0;   // bytes moved by placing data in front (bounded)
        // Intrusive list of flows holding buffered (out-of-order) data, oldest first.
        Flow* buf_prev = nullptr;
        Flow* buf_next = nullptr;
        bool in_buf_list = false;

        void deliver(std::uint64_t offset, Bytes data) override {
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
            if (!opened) {
                // Reopened after it was closed (late data): it continues the file written before.
                if (closed && !info.path.empty()) info.resumed = true;
                table->sink->on_open(info, now);
                opened = true;
                closed = false;
            }
            table->sink->on_data(info, offset, data, now);
            sum.size = std::max(sum.size, offset + data.size());
        }

        std::size_t read_back(std::uint64_t offset, std::span<std::uint8_t> out) override {
            if (!opened) return 0;
            return table->sink->read_back(info, offset, out);
        }
    };

    struct Connection {
        ConnKey key;
        std::unique_ptr<Flow> dir[2];
        Timestamp last;
        std::uint64_t session_id = 0;
        std::uint64_t hash = 0;
        Connection* lru_prev = nullptr;   // intrusive list, least recently active first
        Connection* lru_next = nullptr;
    };

    /// Open-addressing index of the connections (linear probing, backward-shift deletion): one
    /// probe of a flat array per packet, keys compared only when the stored hashes match.
    class ConnIndex {
    public:
        ConnIndex() : slots_(1024) {}
        [[nodiscard]] Connection* find(const ConnKey& k, std::uint64_t h) const noexcept {
            for (std::size_t i = h & mask(); !slots_[i].empty(); i = (i + 1) & mask())
                if (slots_[i].hash == h && slots_[i].conn->key == k) return slots_[i].conn;
            return nullptr;
        }
        void insert(Connection* c) {
            if ((count_ + 1) * 2 > slots_.size()) resize_slots(slots_, slots_.size() * 2);
            place_slot(slots_, Slot{c->hash, c});
            ++count_;
        }
        void erase(const Connection* c) noexcept {
            std::size_t i = c->hash & mask();
            while (slots_[i].conn != c) i = (i + 1) & mask();
            erase_slot(slots_, i);
            --count_;
        }
        [[nodiscard]] std::size_t size() const noexcept { return count_; }

    private:
        struct Slot {
            std::uint64_t hash = 0;
            Connection* conn = nullptr;
            [[nodiscard]] bool empty() const noexcept { return conn == nullptr; }
        };
        [[nodiscard]] std::size_t mask() const noexcept { return slots_.size() - 1; }
        std::vector<Slot> slots_;
        std::size_t count_ = 0;
    };

    /// What is remembered of a closed flow so that a later packet continues its file.
    struct Saved {
        FlowInfo info;
        FlowSummary sum;
        std::uint32_t ref_seq = 0;       // last sequence number seen
        TcpState tcp;                    // positions relative to SeqUnwrapper::kStart + ref_seq
        std::uint64_t contiguous = 0;
    };

    /// The remembered closed flows, keyed by (connection, direction): at most `cap`, forgotten
    /// oldest first (FIFO of remembering; remembering a flow again moves it to the end).
    ///
    /// No allocation per operation: entries live in a pool that grows up to the cap and reuses
    /// the slots of forgotten or restored entries (free list); the FIFO is an intrusive doubly
    /// linked list of slot numbers. They are found through an open-addressing index of {hash,
    /// direction, slot} (linear probing, backward-shift deletion, as ConnIndex); keys are
    /// compared only when the stored hashes match, so a lookup that misses (most: new
    /// connections) reads only the index. Both directions of a connection have the same hash,
    /// hence the same home: has_either() is one probe sequence.
    class SavedTable {
    public:
        static constexpr std::uint32_t kNone = ~std::uint32_t{0};

        /// Slot numbers are 32-bit: a larger cap (a terabyte of entries) is taken as the largest.
        explicit SavedTable(std::size_t cap) noexcept
            : cap_{static_cast<std::uint32_t>(std::min<std::size_t>(cap, kNone - 1))} {}

        [[nodiscard]] std::size_t size() const noexcept { return count_; }
        [[nodiscard]] bool empty() const noexcept { return count_ == 0; }
        [[nodiscard]] bool full() const noexcept { return count_ >= cap_; }
        /// The least recently remembered entry, or kNone.
        [[nodiscard]] std::uint32_t oldest() const noexcept { return head_; }
        [[nodiscard]] Saved& at(std::uint32_t slot) noexcept { return pool_[slot].saved; }

        /// The slot of (k, d), or kNone. `h` is ConnKeyHash of k.
        [[nodiscard]] std::uint32_t find(const ConnKey& k, int d, std::uint64_t h) const noexcept {
            if (count_ == 0) return kNone;
            for (std::size_t i = h & mask(); !index_[i].empty(); i = (i + 1) & mask()) {
                const IndexSlot& x = index_[i];
                if (x.hash == h && x.dir == d && pool_[x.slot].conn == k) return x.slot;
            }
            return kNone;
        }
        /// Whether either direction of k is remembered.
        [[nodiscard]] bool has_either(const ConnKey& k, std::uint64_t h) const noexcept {
            if (count_ == 0) return false;
            for (std::size_t i = h & mask(); !index_[i].empty(); i = (i + 1) & mask())
                if (index_[i].hash == h && pool_[index_[i].slot].conn == k) return true;
            return false;
        }

        /// A new entry for (k, d), which is not present, at the end of the FIFO; the table must
        /// not be full. Its Saved still holds what a previous user of the slot left there: the
        /// caller assigns every field.
        std::uint32_t insert(const ConnKey& k, int d, std::uint64_t h) {
            if ((std::size_t{count_} + 1) * 2 > index_.size())
                resize_slots(index_, std::max<std::size_t>(index_.size() * 2, 1024));
            std::uint32_t slot = free_;
            if (slot != kNone) {
                free_ = pool_[slot].next;
            } else {
                slot = static_cast<std::uint32_t>(pool_.size());
                pool_.emplace_back();
            }
            Entry& e = pool_[slot];
            e.conn = k;
            e.hash = h;
            e.dir = d;
            link_back(slot);
            place_slot(index_, IndexSlot{h, slot, d});
            ++count_;
            return slot;
        }
        /// Makes `slot` the most recently remembered.
        void move_to_back(std::uint32_t slot) noexcept {
            if (tail_ == slot) return;
            unlink(slot);
            link_back(slot);
        }
        /// Forgets `slot` (its Saved is left as it is until the slot is reused).
        void erase(std::uint32_t slot) noexcept {
            Entry& e = pool_[slot];
            std::size_t i = e.hash & mask();
            while (index_[i].slot != slot) i = (i + 1) & mask();
            erase_slot(index_, i);
            unlink(slot);
            e.next = free_;
            free_ = slot;
            --count_;
        }

    private:
        struct Entry {
            ConnKey conn;
            std::uint64_t hash = 0;              // ConnKeyHash of conn
            int dir = 0;
            std::uint32_t prev = kNone;          // FIFO neighbours; `next` also links the free list
            std::uint32_t next = kNone;
            Saved saved;
        };
        struct IndexSlot {
            std::uint64_t hash = 0;
            std::uint32_t slot = kNone;          // kNone: empty
            int dir = 0;
            [[nodiscard]] bool empty() const noexcept { return slot == kNone; }
        };

        [[nodiscard]] std::size_t mask() const noexcept { return index_.size() - 1; }
        void link_back(std::uint32_t slot) noexcept {
            Entry& e = pool_[slot];
            e.prev = tail_;
            e.next = kNone;
            (tail_ != kNone ? pool_[tail_].next : head_) = slot;
            tail_ = slot;
        }
        void unlink(std::uint32_t slot) noexcept {
            Entry& e = pool_[slot];
            (e.prev != kNone ? pool_[e.prev].next : head_) = e.next;
            (e.next != kNone ? pool_[e.next].prev : tail_) = e.prev;
            e.prev = e.next = kNone;
        }

        std::uint32_t cap_;
        std::vector<Entry> pool_;            // grows up to cap_ entries, never shrinks
        std::vector<IndexSlot> index_;       // power of two, at most half full; empty until used
        std::uint32_t head_ = kNone;         // oldest
        std::uint32_t tail_ = kNone;         // newest
        std::uint32_t free_ = kNone;         // pool slots not in use
        std::uint32_t count_ = 0;
    };

    FlowTableConfig config;
    FlowSink* sink;
    MemoryBudget* budget;
    Stats* stats;
    ConnIndex conns;                  // owns the connections (deleted by retire)
    Connection* lru_head = nullptr;   // least recently active
    Connection* lru_tail = nullptr;
    Connection* last_conn = nullptr;
    SavedTable saved;                 // closed flows remembered for resuming
    Flow* buf_head = nullptr;
    Flow* buf_tail = nullptr;
    bool start_new = true;
    std::uint64_t next_flow_index = 0;
    std::uint64_t next_session = 0;
    FlowTableCounts counts;

    Impl(FlowTableConfig c, FlowSink& s, MemoryBudget& b, Stats& st)
        : config{c}, sink{&s}, budget{&b}, stats{&st}, saved{c.max_saved_flows} {}
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    /// Gives back what connections and remembered flows still hold (the budget may outlive the
    /// table); the reassemblers release their buffered data themselves.
    ~Impl() {
        budget->release(conns.size() * kConnectionCharge + saved.size() * kSavedCharge);
        while (lru_head) {
            Connection* c = lru_head;
            lru_unlink(*c);
            delete c;
        }
    }

    // ---------------------------------------------------------------- connection LRU
    void lru_push(Connection& c) noexcept {
        c.lru_prev = lru_tail;
        c.lru_next = nullptr;
        (lru_tail ? lru_tail->lru_next : lru_head) = &c;
        lru_tail = &c;
    }
    void lru_unlink(Connection& c) noexcept {
        (c.lru_prev ? c.lru_prev->lru_next : lru_head) = c.lru_next;
        (c.lru_next ? c.lru_next->lru_prev : lru_tail) = c.lru_prev;
        c.lru_prev = c.lru_next = nullptr;
    }
    void lru_touch(Connection& c) noexcept {
        if (lru_tail == &c) return;
        lru_unlink(c);
        lru_push(c);
    }

    // ---------------------------------------------------------------- buffered-data list
    void buf_update(Flow& f) {
        const bool want = f.reasm.has_buffered();
        if (want == f.in_buf_list) return;
        if (want) {
            f.buf_prev = buf_tail;
            f.buf_next = nullptr;
            (buf_tail ? buf_tail->buf_next : buf_head) = &f;
            buf_tail = &f;
            f.in_buf_list = true;
        } else {
            buf_unlink(f);
        }
    }
    void buf_unlink(Flow& f) noexcept {
        (f.buf_prev ? f.buf_prev->buf_next : buf_head) = f.buf_next;
        (f.buf_next ? f.buf_next->buf_prev : buf_tail) = f.buf_prev;
        f.buf_prev = f.buf_next = nullptr;
        f.in_buf_list = false;
    }

    // ---------------------------------------------------------------- flow life
    Flow& new_flow(Connection& c, int d, const DecodedPacket& p, Timestamp ts) {
        auto f = std::make_unique<Flow>(*this, c);
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
        f->info.vlans = p.vlans;
        f->info.tunnel = p.tunnel;
        f->info.client_to_server = (p.tcp.flags & syn) && !(p.tcp.flags & ack);
        f->sum.first_seen = ts;
        f->first_seen_set = (p.tcp.flags & syn) || !p.payload.empty();
        ++counts.flow_directions;
        c.dir[d] = std::move(f);
        return *c.dir[d];
    }

    void finish(Flow& f, CloseReason reason) {
        // A closed flow may hold data again (out-of-order bytes that arrived after it closed):
        // deliver it first, which reopens the flow, so it is closed again below.
        f.reasm.give_up_all(f);
        buf_update(f);
        if (f.closed) return;
        f.sum.holes = f.reasm.holes();
        f.sum.reason = reason;
        if (!f.placeholder && (f.opened || f.packets > 0)) sink->on_close(f.info, f.sum);
        f.opened = false;
        f.closed = true;
    }

    Flow& replace(Connection& c, int d, const DecodedPacket& p, Timestamp ts, CloseReason why) {
        if (c.dir[d]) {
            finish(*c.dir[d], why);
            buf_update(*c.dir[d]);
        }
        return new_flow(c, d, p, ts);
    }

    void remember(Connection& c, int d) {
        Flow* f = c.dir[d].get();
        if (!f || f->placeholder || !(f->stored_any || f->reset)) return;
        std::uint32_t slot = saved.find(c.key, d, c.hash);
        if (slot != SavedTable::kNone) {
            saved.move_to_back(slot);
        } else {
            budget->charge(kSavedCharge);
            if (saved.full()) {
                // Make room by forgetting the oldest. With max_saved_flows == 0 the new flow
                // itself is the one forgotten: nothing is remembered.
                if (saved.empty()) {
                    budget->release(kSavedCharge);
                    return;
                }
                forget_oldest_saved();
            }
            slot = saved.insert(c.key, d, c.hash);
        }
        // Every field is assigned: a reused slot keeps nothing of the flow it held before (only
        // the capacity of its string and vector). Positions are kept relative to the last one
        // seen, re-expressed in the space a restored flow starts from (SeqUnwrapper::kStart +
        // that sequence number).
        Saved& s = saved.at(slot);
        const std::uint64_t r = f->seq.primed() ? f->seq.reference() : f->base;
        s.info = f->info;
        s.sum = f->sum;
        s.ref_seq = static_cast<std::uint32_t>(r);
        s.tcp = *f;
        s.tcp.move_positions(SeqUnwrapper::kStart + s.ref_seq - r);
        s.contiguous = f->reasm.contiguous_end();
    }

    void forget_oldest_saved() {
        if (saved.empty()) return;
        saved.erase(saved.oldest());
        budget->release(kSavedCharge);
    }

    void restore(Connection& c, int d) {
        const std::uint32_t slot = saved.find(c.key, d, c.hash);
        if (slot == SavedTable::kNone) return;
        // The entry is forgotten below: its string and vector may be moved out.
        Saved& s = saved.at(slot);
        auto f = std::make_unique<Flow>(*this, c);
        f->info = std::move(s.info);
        f->info.resumed = true;
        f->sum = std::move(s.sum);
        f->seq.set_reference(SeqUnwrapper::kStart + s.ref_seq);
        static_cast<TcpState&>(*f) = s.tcp;
        f->first_seen_set = true;
        f->closed = true;
        f->reasm.resume_at(s.contiguous);
        c.dir[d] = std::move(f);
        budget->release(kSavedCharge);
        saved.erase(slot);
    }

    bool has_saved(const ConnKey& k, std::uint64_t h) const { return saved.has_either(k, h); }

    Connection& create(const ConnKey& k, std::uint64_t h) {
        auto* c = new Connection();
        c->key = k;
        c->hash = h;
        c->session_id = next_session++;
        Connection& ref = *c;
        lru_push(ref);
        conns.insert(c);
        budget->charge(kConnectionCharge);
        restore(ref, 0);
        restore(ref, 1);
        ++counts.connections_created;
        counts.open_connections = conns.size();
        counts.max_open_connections = std::max<std::uint64_t>(counts.max_open_connections, conns.size());
        return ref;
    }

    /// Closes both directions, remembers them, and drops the connection.
    void retire(Connection& c, CloseReason why) {
        for (int d = 0; d < 2; ++d) {
            if (!c.dir[d]) continue;
            finish(*c.dir[d], why);
            buf_update(*c.dir[d]);
            remember(c, d);
        }
        lru_unlink(c);
        if (last_conn == &c) last_conn = nullptr;
        budget->release(kConnectionCharge);
        conns.erase(&c);
        delete &c;
        counts.open_connections = conns.size();
    }

    // ---------------------------------------------------------------- packet rules
    bool rst_accepted(Connection& c, int d, Flow& f, const DecodedPacket& p, std::uint64_t s) {
        Flow* peer = c.dir[1 - d].get();
        if (!f.have_hi) {
            if (peer && peer->have_syn && !peer->stored_any) {
                // The peer is in SYN-SENT: its stack takes an RST only if it acknowledges the
                // SYN (RFC 9293 §3.10.7.3).
                return (p.tcp.flags & ack) && p.tcp.ack == peer->syn_isn + 1;
            }
            return true;
        }
        const std::uint64_t win = (peer && peer->have_window) ? peer->window : 0;
        const auto slack = static_cast<std::int64_t>(std::max<std::uint64_t>(win, 65535));
        const auto dist = static_cast<std::int64_t>(s - f.hi);
        return dist >= -slack && dist <= slack;
    }

    Flow* select_flow(Connection& c, int d, const DecodedPacket& p, Timestamp ts) {
        Flow* f = c.dir[d].get();
        const bool is_syn = p.tcp.flags & syn;
        if (f && f->reset) {
            // Later segments of a reset connection change nothing; a SYN starts a new one.
            if (!is_syn) return nullptr;
            Flow* peer = c.dir[1 - d].get();
            if (peer && peer->reset) {
                finish(*peer, CloseReason::rst);
                buf_update(*peer);
                c.dir[1 - d].reset();
            }
            f = &new_flow(c, d, p, ts);
        } else if (!is_syn) {
            if (!f) f = &new_flow(c, d, p, ts);
            return f;
        } else if (!f) {
            f = &new_flow(c, d, p, ts);
        } else if (f->have_syn) {
            // A new ISN is a new connection; so is the same ISN once this direction sent its FIN
            // (a stack that restarts with a fixed ISN and port): a retransmitted SYN comes before.
            if (p.tcp.seq != f->syn_isn || f->have_fin) {
                stats->add(Counter::connections_reused);
                f = &replace(c, d, p, ts, CloseReason::new_connection);
            }
        } else if (!f->stored_any) {
            f = &replace(c, d, p, ts, CloseReason::new_connection);
        } else {
            const std::uint64_t a = f->seq.unwrap(p.tcp.seq);
            if (!(a + 1 <= f->base && f->base - (a + 1) <= config.max_seek)) {
                stats->add(Counter::connections_reused);
                f = &replace(c, d, p, ts, CloseReason::new_connection);
            }
        }
        if (!f->have_syn) {
            f->have_syn = true;
            f->syn_isn = p.tcp.seq;
            const std::uint64_t new_base = f->seq.unwrap(p.tcp.seq) + 1;
            if (f->have_base && new_base < f->base) shift(*f, f->base - new_base, {});
            f->base = new_base;
            f->have_base = true;
            if (p.tcp.window_scale >= 0) f->wscale = p.tcp.window_scale;
            if (!(p.tcp.flags & ack)) f->info.client_to_server = true;
        }
        return f;
    }

    /// Data turned out to begin `n` bytes before offset 0: move everything, deliver `front` at 0.
    void shift(Flow& f, std::uint64_t n, Bytes front) {
        const auto k = std::min<std::uint64_t>(n, front.size());
        const std::uint64_t limit = config.max_bytes;
        if (f.opened && f.sum.size && (n >= limit || f.sum.size > limit - n)) {
            shift_under_cap(f, n, k);
        } else {
            if (f.opened) sink->on_shift(f.info, n);
            if (f.sum.size) f.sum.size += n;
        }
        f.reasm.rebase(n, k);
        for (auto& h : f.sum.holes) h.offset += n;
        f.base -= n;
        if (k) {
            f.sum.stored_bytes += k;
            f.deliver(0, front.first(static_cast<std::size_t>(k)));
        }
    }

    /// -b: a shift by `n` would move written bytes to offsets at or past the cap. The file holds
    /// only the first max_bytes bytes of the stream: what stays under the cap is moved (read back
    /// and written n further on), what would pass it is dropped and counted, and the written
    /// bytes in front that the `k` bytes placed at 0 do not cover become the hole they now are.
    /// A sink that cannot read back (a console) keeps what it showed.
    void shift_under_cap(Flow& f, std::uint64_t n, std::uint64_t k) {
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

    void store(Flow& f, std::uint64_t dstart, Bytes data) {
        if (!f.have_base) {
            f.base = dstart;
            f.have_base = true;
        } else if (dstart < f.base) {
            const std::uint64_t before = f.base - dstart;
            // Placing data in front rewrites the file (1.6.1's shift_file). Bounded per flow, so
            // a capture whose segments all arrive in reverse order cannot make that quadratic:
            // past the bound, data before the first byte is dropped (and counted) as with a SYN.
            const bool may_shift = !f.have_syn && f.shift_copied + f.sum.size + before <= kMaxShiftCopy;
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
                f.stored_any = true;
                if (data.size() <= before) return;
                data = data.subspan(static_cast<std::size_t>(before));
                dstart += before;
            }
        }
        if (data.empty()) return;
        const InsertResult r = f.reasm.insert(dstart - f.base, data, f);
        f.stored_any = true;
        f.sum.stored_bytes += r.new_bytes;
        f.sum.retransmitted_bytes += r.retransmitted;
        f.sum.conflicting_bytes += r.conflicting;
        stats->add(Counter::duplicate_bytes, r.retransmitted);
        stats->add(Counter::conflicting_bytes, r.conflicting);
        if (r.out_of_order) f.sum.out_of_order_segments++;
        buf_update(f);
    }

    void reset_connection(Connection& c, int d, const DecodedPacket& p, Timestamp ts) {
        Flow& f = *c.dir[d];
        f.reset = true;
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
        r.reset = true;
        finish(r, CloseReason::rst);
    }

    void on_packet(const DecodedPacket& p, Timestamp ts, std::uint32_t wire_len, std::uint32_t cap_len) {
        ts.ns += config.tdelta_ns;
        stats->add(Counter::tcp_segments);
        int d = 0;
        const ConnKey key = make_key(p, d);
        Connection* c = nullptr;
        // Consecutive segments usually belong to the same connection: check it before hashing.
        if (last_conn && last_conn->key == key) {
            c = last_conn;
            lru_touch(*c);
        } else if (const std::uint64_t h = ConnKeyHash{}(key); (c = conns.find(key, h)) == nullptr) {
            const bool saved_before = has_saved(key, h);
            if (!start_new && !saved_before) {
                stats->add(Counter::packets_ignored_resume);
                return;
            }
            // A bare ACK or FIN for a connection that was closed already (FIN or reset, both ways)
            // can change no file: don't bring its state back for it.
            if (saved_before && p.payload.empty() && p.claimed_len == 0 && !(p.tcp.flags & (syn | rst))) return;
            c = &create(key, h);
        } else {
            lru_touch(*c);
        }
        last_conn = c;
        c->last = ts;
        Flow* f = select_flow(*c, d, p, ts);
        if (!f) {
            stats->add(Counter::data_after_reset_dropped, p.payload.size());
            maybe_retire(*c);
            return;
        }
        process(*c, d, f, p, ts, wire_len, cap_len);
        maybe_retire(*c);
    }

    void process(Connection& c, int d, Flow* f, const DecodedPacket& p, Timestamp ts, std::uint32_t wire_len,
                 std::uint32_t cap_len) {
        const std::uint8_t fl = p.tcp.flags;
        std::uint64_t a = f->seq.unwrap(p.tcp.seq);
        std::uint64_t dstart = a + ((fl & syn) ? 1 : 0);
        Bytes data = p.payload;
        std::uint64_t claimed = p.claimed_len;
        if ((fl & rst) && !rst_accepted(c, d, *f, p, dstart)) {
            stats->add(Counter::rst_outside_window);
            return;
        }
        if (claimed > 0 || !data.empty()) {
            // -m: a jump of more than max_seek starts a new file (1.6.1).
            const bool have_ref = f->have_nsn || f->have_syn;
            const std::uint64_t ref = f->have_nsn ? f->nsn : f->base;
            if (have_ref) {
                const std::uint64_t dist = dstart > ref ? dstart - ref : ref - dstart;
                if (dist > config.max_seek) {
                    stats->add(Counter::sequence_jumps);
                    f = &replace(c, d, p, ts, CloseReason::limit);
                    a = f->seq.unwrap(p.tcp.seq);
                    dstart = a + ((fl & syn) ? 1 : 0);
                }
            }
            // Keep-alive probe: one byte just before the highest sequence number seen.
            if (claimed <= 1 && !(fl & (syn | fin | rst)) && f->have_hi && dstart + 1 == f->hi) {
                stats->add(Counter::keepalives);
                data = {};
                claimed = 0;
            }
            if (!data.empty()) {
                if (claimed > data.size()) stats->add(Counter::snaplen_truncated_bytes, claimed - data.size());
                if (!f->first_seen_set) {
                    f->info.name.first_seen = ts;
                    f->sum.first_seen = ts;
                    f->first_seen_set = true;
                }
                f->now = ts;
                store(*f, dstart, data);
            }
            if (claimed) {
                f->nsn = dstart + claimed;
                f->have_nsn = true;
            }
        }
        f->seq.set_reference(a);
        f->packets++;
        f->sum.packets++;
        f->sum.wire_bytes += wire_len;
        f->sum.captured_bytes += cap_len;
        f->sum.last_seen = ts;
        if (!(fl & fin)) {
            const std::uint64_t e = dstart + claimed;
            if (!f->have_hi || e > f->hi) {
                f->hi = e;
                f->have_hi = true;
            }
        } else if (!f->have_fin) {
            f->fin = dstart + claimed;
            f->have_fin = true;
        }
        if (!(fl & rst)) {
            Flow* peer = c.dir[1 - d].get();
            const bool scaled = !(fl & syn) && f->wscale >= 0 && peer && peer->wscale >= 0;
            f->window = scaled ? (std::uint32_t{p.tcp.window} << std::min<int>(f->wscale, 14)) : p.tcp.window;
            f->have_window = true;
        }
        if (fl & rst) {
            stats->add(Counter::rst_accepted);
            reset_connection(c, d, p, ts);
            return;
        }
        if (f->have_fin && !f->closed && ((fl & fin) || !data.empty())) {
            const bool done = !f->have_base || f->fin <= f->base || f->reasm.covered(0, f->fin - f->base);
            if (done) {
                f->fin_closed = true;
                finish(*f, CloseReason::fin);
            }
        }
    }

    void maybe_retire(Connection& c) {
        for (int d = 0; d < 2; ++d) {
            const Flow* f = c.dir[d].get();
            if (f && !(f->closed && (f->fin_closed || f->reset))) return;
        }
        retire(c, CloseReason::end_of_input);
    }

    void expire(Timestamp now) {
        if (config.idle_timeout_ns <= 0) return;
        now.ns += config.tdelta_ns;
        while (lru_head && lru_head->last.ns + config.idle_timeout_ns < now.ns) {
            stats->add(Counter::flows_timed_out);
            retire(*lru_head, CloseReason::timeout);
        }
    }

    void relieve_memory() {
        while (budget->over() && buf_head) {
            Flow& f = *buf_head;
            if (f.reasm.give_up_first_hole(f)) stats->add(Counter::holes_given_up);
            buf_update(f);
        }
        while (budget->over() && lru_head) retire(*lru_head, CloseReason::limit);
        while (budget->over() && !saved.empty()) forget_oldest_saved();
    }

    void close_all(CloseReason why) {
        while (lru_head) retire(*lru_head, why);
    }
};

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

}  // namespace tcpflow
