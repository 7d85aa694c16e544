// decoder.h: from one captured frame to one transport packet, or a counted reason why not.
//
// Walks the link layer (by LinkType), VLAN/MPLS/PPPoE, tunnels (GRE/ERSPAN, VXLAN, Geneve,
// IP-in-IP, Teredo), IPv4/IPv6 (options, extension headers, fragments) and the TCP header
// (and, with DecoderLimits::udp, the UDP header of a datagram that carries no tunnel).
// Every read goes through ByteReader. The payload is the TCP data inside
// min(IP total length, captured bytes): link-layer padding and trailers are never payload.
// Holds fragment state (bounded by a MemoryBudget and by packet time); nothing else.
#pragma once

#include <cstdint>

#include "tcpflow/base/memory_budget.h"
#include "tcpflow/base/stats.h"
#include "tcpflow/decode/defrag.h"
#include "tcpflow/decode/packet.h"

namespace tcpflow {

class Decoder {
public:
    Decoder(DecoderLimits limits, MemoryBudget& budget, Stats& stats);
    ~Decoder();
    Decoder(const Decoder&) = delete;
    Decoder& operator=(const Decoder&) = delete;

    /// Decodes one frame captured at `ts`. Never throws; every non-`tcp` result is counted
    /// in the Stats given at construction.
    DecodeStatus decode(LinkType link, Bytes frame, Timestamp ts, DecodedPacket& out);
    /// A frame of a link type with no decoder (a pcapng interface's), skipped: counted as a
    /// packet of an unknown link type.
    void skip_unsupported() noexcept;

    /// Gives up incomplete fragmented datagrams older than the fragment timeout at `now`.
    void expire(Timestamp now);
    /// Gives up the oldest incomplete datagram (called when memory is short); false if none.
    bool shed_oldest();
    /// Bytes held for fragment reassembly.
    [[nodiscard]] std::size_t memory_used() const noexcept;

private:
    struct Impl;
    Impl* impl_;
};

}  // namespace tcpflow
