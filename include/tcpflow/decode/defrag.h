// defrag.h: IPv4 and IPv6 fragment reassembly.
//
// Fragments may arrive out of order, overlap (the first copy of a byte wins) or repeat. An
// IPv6 atomic fragment never gets here (the IP walk treats it as a plain packet). Buffered
// bytes are charged to the MemoryBudget and released on completion or when a datagram is given
// up; datagrams in flight are bounded (the oldest is shed first) and time out in packet time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "tcpflow/base/bytes.h"
#include "tcpflow/decode/packet.h"
#include "tcpflow/decode/ip.h"
#include "tcpflow/base/memory_budget.h"
#include "tcpflow/base/stats.h"
#include "tcpflow/base/timestamp.h"

namespace tcpflow {

/// The decoder's limits and checks (fragment reassembly's bounds, the FCS check).
struct DecoderLimits {
    std::int64_t fragment_timeout_ns = 60LL * 1'000'000'000;   ///< packet time
    std::size_t max_fragment_datagrams = 4096;                 ///< in flight at once
    bool check_fcs = true;   ///< -S check_fcs: drop 802.11 frames whose FCS is wrong (radiotap)
    bool udp = false;        ///< --udp: UDP that carries no tunnel is a transport packet (else not_tcp)
};


/// Largest reassembled upper-layer payload accepted (IPv4: 65535 minus a 20-byte header; the
/// same bound is used for IPv6's fragmentable part).
inline constexpr std::uint32_t kMaxReassembled = 65535;

class Defragmenter {
public:
    enum class Result : std::uint8_t {
        held,       ///< kept; the datagram is not complete yet
        complete,   ///< `datagram` and `proto` describe the whole reassembled payload
        bad,        ///< refused (counted fragments_bad)
    };

    Defragmenter(DecoderLimits limits, MemoryBudget& budget, Stats& stats);
    ~Defragmenter();
    Defragmenter(const Defragmenter&) = delete;
    Defragmenter& operator=(const Defragmenter&) = delete;

    /// Adds the fragment `ip` (ip.fragment is true) seen at `ts`. On `complete`, `datagram`
    /// points into an internal buffer that stays valid until the next add() call, and `proto`
    /// is the upper-layer protocol (IPv6: the Next Header of the first fragment).
    Result add(const IpPacket& ip, Timestamp ts, Bytes& datagram, std::uint8_t& proto);

    /// Gives up datagrams whose first fragment is older than the timeout at `now`.
    void expire(Timestamp now);
    /// Gives up the oldest incomplete datagram; false if none.
    bool shed_oldest();
    [[nodiscard]] std::size_t memory_used() const noexcept { return memory_; }
    [[nodiscard]] std::size_t in_flight() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::size_t memory_ = 0;
    std::vector<std::uint8_t> assembled_;
};

}  // namespace tcpflow
