// session.h: one TCP connection's TLS, both directions: records out of the two byte streams,
// the handshake facts, keys from the key log, and the decrypted application data to a sink.
//
// Bounded memory: at most one record (2^14 + 2048 bytes) buffered per direction, plus, while
// waiting for keys, at most 256 KiB per direction (then Stop::limit). Never fatal: whatever the
// bytes, a direction either decrypts or stops with a reason.
#pragma once

#include "tcpflow/base/bytes.h"
#include "tcpflow/tls/keylog.h"

#include <cstdint>
#include <memory>
#include <string>

namespace tcpflow::tls {

enum class Stop : std::uint8_t {
    none,         // still decrypting (or finished cleanly)
    not_tls,      // the stream does not start with a TLS handshake record
    no_keys,      // no secret in the key log for this client random
    unsupported,  // version / suite / extension we do not decrypt (SSLv3, compression, ...)
    hole,         // a hole in the stream (stop_offset = where it starts)
    malformed,    // a record or handshake message that does not parse
    auth_failed,  // records stopped authenticating (wrong key)
    limit,        // a bound on buffering was hit
};
[[nodiscard]] const char* stop_name(Stop s) noexcept;  // "none", "not_tls", "no_keys", ...

struct DirectionFacts {
    std::uint64_t records = 0;          // TLS records seen
    std::uint64_t decrypted_bytes = 0;  // application data plaintext bytes delivered
    std::uint64_t auth_failures = 0;    // records that failed authentication
    Stop stop = Stop::none;
    std::uint64_t stop_offset = 0;      // stream offset (ciphertext stream) where it stopped
};

struct Facts {
    bool is_tls = false;          // a ClientHello (or ServerHello) was parsed
    int client_dir = -1;          // the caller's dir index of the client, -1 unknown
    std::uint16_t version = 0;    // negotiated, wire value (0x0303 TLS 1.2, 0x0304 TLS 1.3)
    std::uint16_t cipher_suite = 0;  // wire value
    std::string sni, alpn;        // empty when absent
    bool keys_found = false;      // secrets for this client random were found
    DirectionFacts dir[2];        // indexed by the caller's dir index
};

[[nodiscard]] std::string version_name(std::uint16_t v);  // "TLS 1.2", "TLS 1.3", "0x0302"...
[[nodiscard]] std::string suite_name(std::uint16_t s);    // IANA name; hex "0x1301" if unknown

class PlaintextSink {
public:
    virtual ~PlaintextSink() = default;
    /// Decrypted application data of direction `dir`, in order (offset = plaintext stream offset).
    virtual void on_plaintext(int dir, std::uint64_t offset, Bytes data) = 0;
};

class Session {
public:
    /// `wait_for_keys`: a live capture whose key log may still grow (keys_changed() retries);
    /// false when the key log is complete (a file read): a missing secret stops at once
    /// (Stop::no_keys) and the session is hopeless() without buffering anything.
    Session(const KeyLog& keys, PlaintextSink& out, bool wait_for_keys = true);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    /// Stream bytes of direction `dir` (0 or 1, the caller's fixed index per direction) at
    /// stream `offset`. Bytes come in order; an offset beyond the next expected one is a hole
    /// (that direction stops, Stop::hole); bytes before it (retransmits) are ignored.
    void feed(int dir, std::uint64_t offset, Bytes data);
    /// Keys may have arrived since (live key log reread): retry a session waiting for keys.
    void keys_changed();
    /// The direction ended (FIN/close). Pending partial records are dropped (counted).
    void end(int dir);
    [[nodiscard]] const Facts& facts() const noexcept;
    /// True once it is known that this connection will never yield plaintext (not TLS,
    /// no keys at end, unsupported, ...): the caller may drop the session.
    [[nodiscard]] bool hopeless() const noexcept;

    struct Impl;  // the state machine (src/tls/session_impl.h)

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace tcpflow::tls
