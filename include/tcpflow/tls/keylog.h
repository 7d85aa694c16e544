// keylog.h: the NSS key log format (SSLKEYLOGFILE) -> TLS secrets by client random.
//
// Lines are `LABEL <client_random hex> <secret hex>`. The labels kept are CLIENT_RANDOM (the TLS 1.2
// master secret), the TLS 1.3 traffic secrets and the client early secret. The text comes from an
// adapter (a file, a growing file, a pcapng Decryption Secrets Block); this module reads no file.
#pragma once

#include "tcpflow/base/bytes.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace tcpflow::tls {

enum class SecretLabel : std::uint8_t {
    client_random,                    // TLS 1.2 master secret (48 bytes)
    client_early_traffic_secret,      // EARLY_TRAFFIC_SECRET / CLIENT_EARLY_TRAFFIC_SECRET
    client_handshake_traffic_secret,
    server_handshake_traffic_secret,
    client_traffic_secret_0,
    server_traffic_secret_0,
};

struct KeyLogStats {
    std::uint64_t lines = 0, secrets = 0, comments = 0, bad = 0;
    /// Lines of NSS labels tcpflow has no use for (EXPORTER_SECRET, EARLY_EXPORTER_SECRET, RSA,
    /// ECH_SECRET, ECH_CONFIG): OpenSSL writes them to every key log, so they are not "bad".
    std::uint64_t ignored = 0;
};

class KeyLog {
public:
    /// Parses the complete lines of `text` (NSS key log format; '#' comments and blank lines
    /// counted as comments; labels known but not needed counted as ignored; unknown labels and
    /// malformed lines counted as bad and skipped).
    /// Returns how many bytes it consumed: an unterminated last line is left unconsumed unless
    /// `final`, so a growing file can be reread from that offset.
    std::size_t add(Bytes text, KeyLogStats& stats, bool final);
    /// The secret for (label, 32-byte client random), or nullptr.
    [[nodiscard]] const std::vector<std::uint8_t>* find(SecretLabel label, Bytes client_random) const;
    [[nodiscard]] std::size_t size() const noexcept { return secrets_.size(); }
    [[nodiscard]] std::uint64_t generation() const noexcept { return generation_; }

private:
    using Key = std::pair<std::uint8_t, std::array<std::uint8_t, 32>>;
    /// One line without its terminator: true when it held a secret (stats counted either way).
    bool add_line(Bytes line, KeyLogStats& stats);

    std::map<Key, std::vector<std::uint8_t>> secrets_;
    std::uint64_t generation_ = 0;
};

}  // namespace tcpflow::tls
