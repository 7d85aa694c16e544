// direction.h: the state of one direction of a TLS session (the session's working parts).
#pragma once

#include "tcpflow/tls/handshake.h"
#include "tcpflow/tls/record_cipher.h"
#include "tcpflow/tls/record_reader.h"
#include "tcpflow/tls/session.h"

#include <cstdint>
#include <vector>

namespace tcpflow::tls {

/// Which keys protect a direction's records now.
enum class Epoch : std::uint8_t {
    plain,        // no protection yet
    early,        // TLS 1.3 0-RTT (client)
    handshake,    // TLS 1.3 handshake traffic secret
    application,  // TLS 1.3 traffic secret N; TLS 1.2 after ChangeCipherSpec
};

/// Why a direction holds its bytes back.
enum class Wait : std::uint8_t { none, peer, keys };

/// While waiting for keys or the peer's hello, at most this much is held per direction.
constexpr std::size_t kMaxPending = 256u * 1024;

struct Direction {
    bool any = false;               // bytes seen
    bool started = false;           // the first record was judged
    std::uint64_t next_offset = 0;  // stream offset of the next byte expected
    std::uint64_t processed = 0;    // stream offset of the next record to process
    std::uint64_t plain_offset = 0; // plaintext delivered so far
    RecordReader reader;
    HandshakeReader handshake;
    Epoch epoch = Epoch::plain;
    bool keyed = false;             // `cipher` holds the keys of `epoch`
    RecordCipher cipher;
    std::uint64_t seq = 0;
    std::vector<std::uint8_t> secret;  // TLS 1.3: the current traffic secret (KeyUpdate)
    // TLS 1.3 client after offering 0-RTT it cannot read (rejected, or no early secret): records
    // that fail are skipped until one authenticates under the handshake keys.
    bool trial = false;
    std::uint64_t trial_skipped = 0;  // records skipped in trial (auth failures if none ever opens)
    unsigned failures_in_row = 0;
    std::size_t stream_left = 0;    // body bytes still to come of a record decrypted as it arrives
    std::size_t stream_size = 0;    // that record's size
    Wait wait = Wait::none;
    std::vector<std::uint8_t> pending;  // stream bytes from `processed` on, while waiting
};

}  // namespace tcpflow::tls
