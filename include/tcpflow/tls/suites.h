// suites.h: the cipher suites tcpflow decrypts, and the names of versions, suites and stops.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tcpflow::tls {

enum class Cipher : std::uint8_t { aes128_gcm, aes256_gcm, chacha20_poly1305, aes128_ccm, aes128_ccm8,
                                   aes256_ccm, aes128_cbc, aes256_cbc };
enum class Hash : std::uint8_t { sha1, sha256, sha384 };

struct Suite {
    std::uint16_t id;
    const char* name;  // IANA name
    bool tls13;        // a TLS 1.3 suite (else TLS 1.2)
    Cipher cipher;
    Hash mac;          // CBC record MAC (TLS 1.2); unused for AEAD
    Hash prf;          // TLS 1.2 PRF / TLS 1.3 HKDF hash
};

constexpr std::uint16_t kTls12 = 0x0303;
constexpr std::uint16_t kTls13 = 0x0304;

/// The suite with IANA value `id` that tcpflow decrypts, or nullptr.
[[nodiscard]] const Suite* find_suite(std::uint16_t id) noexcept;
/// The IANA name of any suite in the table (also those tcpflow does not decrypt), or nullptr.
[[nodiscard]] const char* known_suite_name(std::uint16_t id) noexcept;

[[nodiscard]] bool is_aead(Cipher c) noexcept;
[[nodiscard]] std::size_t key_length(Cipher c) noexcept;
[[nodiscard]] std::size_t tag_length(Cipher c) noexcept;   // AEAD tag
[[nodiscard]] std::size_t hash_length(Hash h) noexcept;

}  // namespace tcpflow::tls
