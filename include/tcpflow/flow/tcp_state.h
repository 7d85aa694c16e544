// tcp_state.h: what the TCP rules (SPEC 4) know of one direction of a connection. Kept when a
// closed flow is remembered, so that a later packet is judged as it would have been before.
//
// Positions are absolute 64-bit stream positions (SeqUnwrapper space); what has not been seen
// yet is an empty optional.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>

namespace tcpflow {

struct TcpState {
    bool fin_closed = false;                 ///< closed by a FIN once every byte before it arrived
    bool stored_any = false;                 ///< some payload was placed in the stream
    bool reset = false;                      ///< ended by an accepted RST (this or the other direction)
    std::optional<std::uint32_t> syn_isn;    ///< the SYN's sequence number, once a SYN was seen
    std::optional<std::uint64_t> base;       ///< position of file offset 0
    std::optional<std::uint64_t> hi;         ///< one past the highest position seen (FINs aside)
    std::optional<std::uint64_t> nsn;        ///< one past the last segment's payload (for -m)
    std::optional<std::uint64_t> fin;        ///< position of the FIN
    std::optional<std::uint32_t> window;     ///< last window advertised, scaled
    std::optional<std::uint8_t> wscale;      ///< the SYN's window-scale shift
    std::uint64_t packets = 0;

    /// Moves every position by `delta` (modulo 2^64): the same stream in another unwrap space.
    void move_positions(std::uint64_t delta) noexcept {
        for (std::optional<std::uint64_t>* p : {&base, &hi, &nsn, &fin})
            if (*p) **p += delta;
    }
};

}  // namespace tcpflow
