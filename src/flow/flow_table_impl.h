// flow_table_impl.h: the inside of FlowTable, shared by its two sources (not installed).
//
//   flow_table.cpp  the table: lookup, the life of connections and flows (open, close, retire,
//                   idle expiry, memory relief), remembering closed flows and restoring them
//   tcp_rules.cpp   the TCP rules of SPEC 4: which flow a segment belongs to (SYN, RST, -m),
//                   RST acceptance, keep-alives, FIN, placing bytes (shift, -b)
//   udp_rules.cpp   --udp: each datagram appended to its direction in capture order (snaplen
//                   cuts zero-filled and recorded as holes, --udp-framing length)
//
// The generic pieces are in their own headers: OpenIndex (the connection index), IntrusiveList
// (idle order, flows holding buffered data), SavedTable (closed flows), ConnKey.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "tcpflow/base/intrusive_list.h"
#include "tcpflow/base/open_index.h"
#include "tcpflow/flow/conn_key.h"
#include "tcpflow/flow/flow_table.h"
#include "tcpflow/flow/reassembler.h"
#include "tcpflow/flow/saved_table.h"
#include "tcpflow/flow/seq.h"
#include "tcpflow/flow/tcp_state.h"

namespace tcpflow {

inline constexpr std::uint64_t kMaxShiftCopy = 64ull << 20;     // per flow: bytes moved to place data in front

struct FlowTable::Impl {
    struct Connection;

    /// One direction of one connection: one flow file.
    struct Flow final : ByteDelivery {
        Flow(Impl& t, Connection& c) : table{&t}, conn{&c}, reasm{t.config.overlap, *t.budget} {}
        Flow(const Flow&) = delete;
        Flow& operator=(const Flow&) = delete;
        // Never leave a dangling pointer in the buffered-data list.
        ~Flow() override {
            if (table->buffered.contains(*this)) table->buffered.unlink(*this);
        }

        Impl* table;
        Connection* conn;
        FlowInfo info;
        FlowSummary sum;
        TcpState tcp;                  // what the TCP rules know; copied to and from Saved
        Reassembler reasm;
        SeqUnwrapper seq;
        Timestamp now;                 // time of the packet being processed
        bool first_seen_set = false;
        bool opened = false;           // sink has an open flow for it
        bool closed = false;           // on_close sent (a later byte reopens it)
        bool placeholder = false;
        std::uint64_t shift_copied = 0;   // bytes moved by placing data in front (bounded)
        ListHook<Flow> buffered;       // in Impl::buffered while the reassembler holds data
        Timestamp buffered_since;      // when its oldest unfilled hole was (about) first seen

        /// Bytes at stream offset `offset`, cut at -b, to the sink (opened on the first byte).
        void deliver(std::uint64_t offset, Bytes data) override;
        /// Opens the flow in the sink (continuing its file if it was closed).
        void open();
        std::size_t read_back(std::uint64_t offset, std::span<std::uint8_t> out) override;
    };

    /// A direction replaced by a new connection while its peer still belongs to the old one:
    /// kept for the old connection's end (the flow index).
    struct Parting {
        FlowInfo info;
        FlowSummary sum;
    };

    struct Connection {
        ConnKey key;
        std::unique_ptr<Flow> dir[2];
        std::unique_ptr<Parting> parting[2];
        Timestamp last;
        std::uint64_t session_id = 0;
        std::uint64_t hash = 0;
        ListHook<Connection> lru;      // in Impl::lru, least recently active first
    };

    /// The connection index: one probe of a flat array per packet, keys compared only when the
    /// stored hashes match.
    struct ConnSlot {
        std::uint64_t hash = 0;
        Connection* conn = nullptr;
        [[nodiscard]] bool empty() const noexcept { return conn == nullptr; }
    };

    /// What is remembered of a closed flow so that a later packet continues its file.
    struct Saved {
        FlowInfo info;
        FlowSummary sum;
        std::uint32_t ref_seq = 0;       // last sequence number seen
        TcpState tcp;                    // positions relative to SeqUnwrapper::kStart + ref_seq
        std::uint64_t contiguous = 0;
        /// The holes it gave up (memory limit, hole timeout): restored with it, so that a late
        /// byte that falls into one is still written at its offset. Charged with the entry.
        std::vector<Hole> holes;
    };

    /// One segment as the rules see it.
    struct Segment {
        std::uint64_t at = 0;        // its unwrapped sequence number
        std::uint64_t dstart = 0;    // position of its first payload byte (after a SYN)
        Bytes data;                  // captured payload
        std::uint64_t claimed = 0;   // payload length the IP header claims
    };

    FlowTableConfig config;
    FlowSink* sink;
    MemoryBudget* budget;
    std::size_t conn_charge;   // what one open connection is charged (connection_charge())
    Stats* stats;
    OpenIndex<ConnSlot> conns{1024, true};           // owns the connections (deleted by retire)
    IntrusiveList<Connection, &Connection::lru> lru;   // every TCP connection, least recently active first
    IntrusiveList<Connection, &Connection::lru> udp_lru;   // every UDP conversation, the same (own timeout)
    Connection* last_conn = nullptr;
    SavedTable<Saved> saved;                         // closed flows remembered for resuming
    IntrusiveList<Flow, &Flow::buffered> buffered;   // flows holding out-of-order data, oldest first
    bool start_new = true;
    std::uint64_t next_flow_index = 0;
    std::uint64_t next_session = 0;
    FlowTableCounts counts;
    std::vector<std::uint8_t> udp_block;               // --udp: a datagram with its framing or hole (reused)

    Impl(FlowTableConfig c, FlowSink& s, MemoryBudget& b, Stats& st);
    /// What one open connection costs: its record, both directions' state with their names,
    /// the allocator's overhead per block, its index slots, and what the sink keeps per open
    /// direction (FlowTableConfig::sink_bytes_per_flow). Buffered data is charged on its own.
    static std::size_t connection_charge(const FlowTableConfig& c) noexcept;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl();

    // ---- flow_table.cpp: the table
    IntrusiveList<Connection, &Connection::lru>& lru_of(const Connection& c) noexcept {
        return c.key.proto == Transport::udp ? udp_lru : lru;
    }
    /// The least recently active connection of either list (null when none).
    [[nodiscard]] Connection* oldest() const noexcept {
        Connection* t = lru.front();
        Connection* u = udp_lru.front();
        if (!t || !u) return t ? t : u;
        return u->last.ns < t->last.ns ? u : t;
    }
    void on_packet(const DecodedPacket& p, Timestamp ts, std::uint32_t wire_len, std::uint32_t cap_len);
    Connection& create(const ConnKey& k, std::uint64_t h);
    Connection* reopen(const ConnKey& k, std::uint64_t h, const DecodedPacket& p, Timestamp ts);
    /// `inherit`: the connection id it continues (a -m jump); 0 = the peer's, or a new one.
    Flow& new_flow(Connection& c, int d, const DecodedPacket& p, Timestamp ts, std::uint64_t inherit = 0);
    void finish(Flow& f, CloseReason reason);
    /// Connection `id` of `c` ended: its directions go to the sink's on_connection_end (once per
    /// change: nothing new since the last end, nothing is sent). Partings of `id` are dropped.
    void end_connection(Connection& c, std::uint64_t id, CloseReason why);
    Flow& replace(Connection& c, int d, const DecodedPacket& p, Timestamp ts, CloseReason why);
    void remember(Connection& c, int d);
    void forget_oldest_saved();
    /// A remembered flow without its holes: the record in the pool with its key and hash, its
    /// file name on the heap, and its two index slots.
    static constexpr std::size_t kSavedCharge =
        sizeof(Saved) + sizeof(ConnKey) + 16 + kHeapNameBytes + kHeapBlockBytes + 2 * 16;
    /// What a remembered flow costs the budget.
    static std::size_t saved_charge(const Saved& s) noexcept { return kSavedCharge + Reassembler::holes_charge(s.holes); }
    void restore(Connection& c, int d);
    void retire(Connection& c, CloseReason why);
    void maybe_retire(Connection& c);
    void expire(Timestamp now);
    void give_up_old_holes(Timestamp now);
    void relieve_memory();
    void close_all(CloseReason why);

    /// Keeps `f` in the buffered-data list exactly while its reassembler holds data.
    void buf_update(Flow& f) {
        const bool want = f.reasm.has_buffered();
        if (want == buffered.contains(f)) return;
        if (want) {
            f.buffered_since = f.now;
            buffered.push_back(f);
        } else {
            buffered.unlink(f);
        }
    }

    // ---- tcp_rules.cpp: the TCP rules
    /// The segment `p` of connection `c`, travelling in direction `d`: selects its flow, then
    /// checks an RST, stores the payload and notes positions, window and FIN.
    void on_segment(Connection& c, int d, const DecodedPacket& p, Timestamp ts, std::uint32_t wire_len,
                    std::uint32_t cap_len);
    Flow* select_flow(Connection& c, int d, const DecodedPacket& p, Timestamp ts);
    Flow& flow_for_syn(Connection& c, int d, Flow* f, const DecodedPacket& p, Timestamp ts);
    void note_syn(Flow& f, const DecodedPacket& p, Timestamp ts);
    bool rst_accepted(Connection& c, int d, Flow& f, const DecodedPacket& p, std::uint64_t s);
    // Steps of on_segment (inline: they run per packet; defined in tcp_rules.cpp, used only there).
    inline Flow& check_jump(Connection& c, int d, Flow& f, const DecodedPacket& p, Timestamp ts, Segment& s);
    inline void take_payload(Flow& f, std::uint8_t flags, Timestamp ts, Segment& s);
    inline void note_positions(Flow& f, std::uint8_t flags, const Segment& s);
    inline void note_window(Connection& c, int d, Flow& f, const DecodedPacket& p);
    inline void check_fin(Flow& f, std::uint8_t flags, const Segment& s);
    void store(Flow& f, std::uint64_t dstart, Bytes data);
    void shift(Flow& f, std::uint64_t n, Bytes front);
    void shift_under_cap(Flow& f, std::uint64_t n, std::uint64_t k);
    void reset_connection(Connection& c, int d, const DecodedPacket& p, Timestamp ts);

    // ---- udp_rules.cpp: UDP conversations (--udp)
    /// The datagram `p` of conversation `c`, travelling in direction `d`: appended to its flow.
    void on_datagram(Connection& c, int d, const DecodedPacket& p, Timestamp ts, std::uint32_t wire_len,
                     std::uint32_t cap_len);
};

}  // namespace tcpflow
