// key_schedule.h: TLS secrets -> record keys, through libcrypto's EVP_KDF ("TLS1-PRF", "HKDF").
#pragma once

#include "tcpflow/base/bytes.h"
#include "tcpflow/tls/suites.h"

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace tcpflow::tls {

/// The keys of one direction's record protection.
struct TrafficKeys {
    std::vector<std::uint8_t> key, iv, mac_key;
};

/// TLS 1.3 HKDF-Expand-Label(secret, label, context, length) (RFC 8446 7.1); "tls13 " is prefixed.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> hkdf_expand_label(Hash hash, Bytes secret,
                                                                         std::string_view label,
                                                                         Bytes context, std::size_t length);
/// TLS 1.2 PRF(secret, label, seed) (RFC 5246 5) with the suite's hash.
[[nodiscard]] std::optional<std::vector<std::uint8_t>> tls12_prf(Hash hash, Bytes secret,
                                                                 std::string_view label, Bytes seed,
                                                                 std::size_t length);
/// TLS 1.3: a traffic secret's key and IV (RFC 8446 7.3).
[[nodiscard]] std::optional<TrafficKeys> tls13_keys(const Suite& suite, Bytes secret);
/// TLS 1.3 KeyUpdate: the next traffic secret ("traffic upd").
[[nodiscard]] std::optional<std::vector<std::uint8_t>> tls13_next_secret(const Suite& suite, Bytes secret);

struct Tls12Keys {
    TrafficKeys client, server;
};
/// TLS 1.2: the key block from the master secret (RFC 5246 6.3); IVs are the implicit part
/// (4 bytes GCM/CCM, 12 ChaCha20-Poly1305, none for CBC).
[[nodiscard]] std::optional<Tls12Keys> tls12_keys(const Suite& suite, Bytes master_secret,
                                                  Bytes client_random, Bytes server_random);

}  // namespace tcpflow::tls
