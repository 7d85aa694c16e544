// record_cipher.h: one direction's record protection, undone through libcrypto's EVP.
//
// TLS 1.3 AEAD (AES-GCM, ChaCha20-Poly1305, AES-CCM) with the inner content type; TLS 1.2 AEAD
// (explicit nonce for GCM/CCM, RFC 7905 nonce for ChaCha20-Poly1305) and AES-CBC with HMAC,
// MAC-then-encrypt or encrypt-then-MAC (RFC 7366). The cipher contexts and the plaintext buffer
// are made once per key; decrypting a record allocates nothing.
#pragma once

#include "tcpflow/base/bytes.h"
#include "tcpflow/tls/key_schedule.h"
#include "tcpflow/tls/suites.h"

#include <array>
#include <cstdint>
#include <vector>

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;
typedef struct evp_mac_st EVP_MAC;
typedef struct evp_mac_ctx_st EVP_MAC_CTX;
typedef struct evp_cipher_st EVP_CIPHER;

namespace tcpflow::tls {

/// The largest record body a peer may send (RFC 5246 6.2.3: 2^14 + 2048).
constexpr std::size_t kMaxRecordBody = (1u << 14) + 2048;

enum class Unprotect : std::uint8_t {
    ok,           // authenticated; `Plain` holds the content type and plaintext
    auth_failed,  // tag, MAC or padding did not verify
    malformed,    // too short for the suite, or (TLS 1.3) no content type
};

struct Plain {
    std::uint8_t type = 0;  // content type (TLS 1.3: the inner one)
    Bytes data;             // plaintext, valid until the next decrypt()
};

class RecordCipher {
public:
    RecordCipher();
    ~RecordCipher();
    RecordCipher(const RecordCipher&) = delete;
    RecordCipher& operator=(const RecordCipher&) = delete;

    /// Keys this direction; false when libcrypto refuses (then nothing decrypts).
    bool init(const Suite& suite, bool tls13, const TrafficKeys& keys, bool encrypt_then_mac);
    [[nodiscard]] bool ready() const noexcept { return ready_; }
    /// Undoes the protection of one record (`header` is its 5-byte header).
    Unprotect decrypt(Bytes header, Bytes body, std::uint64_t seq, Plain& out);

    /// AES-GCM also decrypts a record piece by piece as its body arrives, straight from the
    /// caller's bytes into the plaintext buffer (no copy of the ciphertext); nothing is released
    /// before stream_finish() has checked the tag. (ChaCha20-Poly1305 could too, but libcrypto
    /// runs it slower in segment-sized pieces than whole: measured 1.7 vs 2.0 GB/s, so it is not.)
    [[nodiscard]] bool streamable() const noexcept {
        return ready_ && (cipher_ == Cipher::aes128_gcm || cipher_ == Cipher::aes256_gcm);
    }
    /// False when the record cannot be streamed (too short or too long): decrypt() it whole.
    bool stream_begin(Bytes header, std::size_t body_len, std::uint64_t seq);
    void stream_update(Bytes piece);
    Unprotect stream_finish(Plain& out);

private:
    struct Stream {
        std::array<std::uint8_t, 5> header{};
        std::array<std::uint8_t, 8> explicit_part{};
        std::array<std::uint8_t, 16> tag{};
        std::size_t body_len = 0, ct_len = 0, got = 0, out_len = 0;
        std::uint64_t seq = 0;
        bool ok = true;
    };

    Unprotect aead(Bytes header, Bytes body, std::uint64_t seq, Plain& out);
    Unprotect cbc(Bytes header, Bytes body, std::uint64_t seq, Plain& out);
    [[nodiscard]] std::size_t explicit_length() const noexcept;
    /// Nonce and AAD set (and, for CCM, the whole record decrypted and checked).
    bool open_record(Bytes header, Bytes explicit_part, std::uint64_t seq, std::size_t ct_len, Bytes ciphertext,
                     Bytes tag);
    bool ccm_open(Bytes nonce, Bytes aad, Bytes ciphertext, Bytes tag);
    bool close_record(Bytes tag);
    Unprotect finish_plain(Bytes header, Bytes plain, Plain& out) const;
    bool hmac(Bytes prefix, Bytes data, std::uint8_t* out);
    Unprotect tls13_inner(Bytes plain, Plain& out) const;

    EVP_CIPHER_CTX* ctx_ = nullptr;
    EVP_MAC* mac_ = nullptr;
    EVP_MAC_CTX* mac_ctx_ = nullptr;
    const EVP_CIPHER* evp_cipher_ = nullptr;
    Cipher cipher_ = Cipher::aes128_gcm;
    Hash mac_hash_ = Hash::sha256;
    bool tls13_ = false, etm_ = false, ready_ = false;
    TrafficKeys keys_;
    std::vector<std::uint8_t> out_;  // the plaintext of the last record
    Stream stream_;
};

}  // namespace tcpflow::tls
