// reassembler.h: one direction's byte stream, in 64-bit stream offsets (offset 0 = first byte).
//
// Bytes that continue the contiguous prefix are delivered at once, without a copy; bytes beyond a
// hole are buffered (charged to the MemoryBudget) until the hole fills or is given up, then
// delivered at their offsets. Overlaps follow the policy: `first` keeps the bytes that arrived
// first (what the receiving application read), `last` lets later copies overwrite (1.6.1).
// Bytes that differ between copies are counted as conflicting. Knows nothing of sequence numbers,
// flags or files.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "tcpflow/base/bytes.h"
#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/base/memory_budget.h"

namespace tcpflow {

/// Which bytes win where segments overlap (--overlap): the first to arrive, or the last (1.6.1).
enum class OverlapPolicy : std::uint8_t { first, last };

/// Where delivered bytes go.
class ByteDelivery {
public:
    virtual ~ByteDelivery() = default;
    virtual void deliver(std::uint64_t offset, Bytes data) = 0;
    /// Reads back delivered bytes at `offset` into `out` (to count conflicting retransmissions);
    /// returns how many could be read (0 when the destination cannot be read back).
    virtual std::size_t read_back(std::uint64_t offset, std::span<std::uint8_t> out) {
        (void)offset;
        (void)out;
        return 0;
    }
};

struct InsertResult {
    std::uint64_t new_bytes = 0;         ///< bytes stored for the first time
    std::uint64_t retransmitted = 0;     ///< bytes that had been stored already
    std::uint64_t conflicting = 0;       ///< of those, bytes whose value differed
    bool out_of_order = false;           ///< buffered behind a hole
};

class Reassembler {
public:
    Reassembler(OverlapPolicy policy, MemoryBudget& budget) noexcept : policy_{policy}, budget_{&budget} {}
    ~Reassembler();
    Reassembler(const Reassembler&) = delete;
    Reassembler& operator=(const Reassembler&) = delete;

    /// Places `data` at stream offset `offset`. O(log n) in buffered segments.
    InsertResult insert(std::uint64_t offset, Bytes data, ByteDelivery& out);

    /// True when every byte of [begin, end) has been stored (none of it in a hole).
    [[nodiscard]] bool covered(std::uint64_t begin, std::uint64_t end) const noexcept;
    /// Delivers the first buffered run at its offset, recording the hole before it. False if none.
    bool give_up_first_hole(ByteDelivery& out);
    /// Delivers everything buffered (end of flow).
    void give_up_all(ByteDelivery& out);
    /// Data turned out to start `n` bytes before offset 0: every offset moves n further; the first
    /// `front` bytes of the new prefix are delivered by the caller, [front, n) becomes a hole.
    void rebase(std::uint64_t n, std::uint64_t front);

    /// Records [offset, offset + length), delivered already as zero bytes, as a hole: bytes the
    /// capture cut off (a UDP datagram's tail). At or after every hole recorded so far.
    void record_cut(std::uint64_t offset, std::uint64_t length) { record_hole(offset, length); }
    /// A flow resumed after it was closed: [0, n) counts as stored already, except the `holes`
    /// its earlier life gave up (sorted, disjoint, below n; from take_holes()): late bytes that
    /// fall into them are still written at their offset. Their memory is charged from here on.
    void resume_at(std::uint64_t n, std::vector<Hole> holes = {}) noexcept;
    /// Hands the given-up holes over (to remember a closed flow), with their charge: the caller
    /// charges holes_charge() of the result while it keeps them.
    [[nodiscard]] std::vector<Hole> take_holes() noexcept;
    /// What a list of holes costs (charged to the MemoryBudget by whoever holds it).
    [[nodiscard]] static std::size_t holes_charge(const std::vector<Hole>& h) noexcept {
        return h.capacity() * sizeof(Hole);
    }

    [[nodiscard]] std::uint64_t contiguous_end() const noexcept { return next_; }
    /// One past the highest byte stored (the file size).
    [[nodiscard]] std::uint64_t end() const noexcept;
    [[nodiscard]] bool has_buffered() const noexcept { return !segments_.empty(); }
    [[nodiscard]] const std::vector<Hole>& holes() const noexcept { return holes_; }
    /// Holes recorded per flow are bounded (kMaxHoles); past that, neighbours are merged.
    static constexpr std::size_t kMaxHoles = 4096;

private:
    void drain(ByteDelivery& out);
    void store_piece(std::uint64_t offset, Bytes piece);
    /// Bytes before next_ that fall into given-up holes are delivered now (they arrived late);
    /// the rest count as retransmitted. False when no hole overlaps [offset, offset+size).
    bool fill_holes(std::uint64_t offset, Bytes data, ByteDelivery& out, InsertResult& r);
    void retransmitted_part(std::uint64_t offset, Bytes data, ByteDelivery& out, InsertResult& r);
    InsertResult finish_late(std::uint64_t offset, Bytes data, ByteDelivery& out, InsertResult& r);
    void record_hole(std::uint64_t offset, std::uint64_t length);
    /// Keeps the budget charge for holes_ equal to its capacity (after it may have grown).
    void charge_holes() noexcept;

    OverlapPolicy policy_;
    MemoryBudget* budget_;
    std::uint64_t next_ = 0;                                  ///< [0, next_) stored or given up
    std::map<std::uint64_t, std::vector<std::uint8_t>> segments_;   ///< beyond next_, disjoint
    std::size_t buffered_ = 0;
    std::vector<Hole> holes_;            ///< given up, sorted, disjoint; at most kMaxHoles
    std::size_t holes_charged_ = 0;      ///< holes_charge(holes_) as charged to the budget
};

}  // namespace tcpflow
