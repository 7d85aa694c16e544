// saved_table.h: what is remembered of closed flows, by (connection, direction), so that a later
// packet continues the same file (SPEC 4: idle flows; a bounded memory of closed ones).
//
// At most `cap` entries, forgotten oldest first (FIFO of remembering; remembering a flow again
// moves it to the end). No allocation per operation: entries live in a FifoPool; they are found
// through an OpenIndex of {hash, direction, pool slot}, and keys are compared only when the stored
// hashes match, so a lookup that misses (most: new connections) reads only the index. Both
// directions of a connection have the same hash, hence the same home: has_either() is one probe
// sequence. Header-only.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tcpflow/base/fifo_pool.h"
#include "tcpflow/base/open_index.h"
#include "tcpflow/flow/conn_key.h"

namespace tcpflow {

template <class Value>
class SavedTable {
    struct Entry {
        ConnKey conn;
        std::uint64_t hash = 0;   // ConnKeyHash of conn
        int dir = 0;
        Value value{};
    };

public:
    static constexpr std::uint32_t kNone = FifoPool<Entry>::kNone;

    /// Remembers at most `cap` entries (a cap past 2^32 - 2 is taken as that).
    explicit SavedTable(std::size_t cap) : pool_{cap} {}

    [[nodiscard]] std::size_t size() const noexcept { return pool_.size(); }
    [[nodiscard]] bool empty() const noexcept { return pool_.empty(); }
    [[nodiscard]] bool full() const noexcept { return pool_.full(); }
    /// The least recently remembered entry, or kNone.
    [[nodiscard]] std::uint32_t oldest() const noexcept { return pool_.oldest(); }
    /// The entry remembered after `slot`, or kNone.
    [[nodiscard]] std::uint32_t next(std::uint32_t slot) const noexcept { return pool_.next(slot); }
    [[nodiscard]] Value& at(std::uint32_t slot) noexcept { return pool_.at(slot).value; }
    [[nodiscard]] const ConnKey& key(std::uint32_t slot) const noexcept { return pool_.at(slot).conn; }
    [[nodiscard]] int dir(std::uint32_t slot) const noexcept { return pool_.at(slot).dir; }

    /// The slot of (k, d), or kNone. `h` is ConnKeyHash of k.
    [[nodiscard]] std::uint32_t find(const ConnKey& k, int d, std::uint64_t h) const noexcept {
        const IndexSlot* x = index_.find(h, [&](const IndexSlot& s) { return s.dir == d && pool_.at(s.slot).conn == k; });
        return x ? x->slot : kNone;
    }
    /// Whether either direction of k is remembered.
    [[nodiscard]] bool has_either(const ConnKey& k, std::uint64_t h) const noexcept {
        return index_.find(h, [&](const IndexSlot& s) { return pool_.at(s.slot).conn == k; }) != nullptr;
    }

    /// A new entry for (k, d), which is not present, at the end of the FIFO; the table must not be
    /// full. Its value still holds what a previous user of the slot left there: the caller
    /// assigns every field.
    std::uint32_t insert(const ConnKey& k, int d, std::uint64_t h) {
        const std::uint32_t slot = pool_.push_back();
        Entry& e = pool_.at(slot);
        e.conn = k;
        e.hash = h;
        e.dir = d;
        index_.insert(IndexSlot{h, slot, d});
        return slot;
    }
    /// Makes `slot` the most recently remembered.
    void move_to_back(std::uint32_t slot) noexcept { pool_.move_to_back(slot); }
    /// Forgets `slot` (its value is left as it is until the slot is reused).
    void erase(std::uint32_t slot) noexcept {
        index_.erase(pool_.at(slot).hash, [slot](const IndexSlot& s) { return s.slot == slot; });
        pool_.erase(slot);
    }

private:
    struct IndexSlot {
        std::uint64_t hash = 0;
        std::uint32_t slot = kNone;   // kNone: empty
        int dir = 0;
        [[nodiscard]] bool empty() const noexcept { return slot == kNone; }
    };

    FifoPool<Entry> pool_;
    OpenIndex<IndexSlot> index_{1024};   // empty until used
};

}  // namespace tcpflow
