// record_cipher.cpp: AEAD and CBC+HMAC record protection undone through EVP.
#include "tcpflow/tls/record_cipher.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <climits>

namespace tcpflow::tls {

namespace {

const EVP_CIPHER* evp_cipher_of(Cipher c) {
    switch (c) {
    case Cipher::aes128_gcm: return EVP_aes_128_gcm();
    case Cipher::aes256_gcm: return EVP_aes_256_gcm();
    case Cipher::chacha20_poly1305: return EVP_chacha20_poly1305();
    case Cipher::aes128_ccm: case Cipher::aes128_ccm8: return EVP_aes_128_ccm();
    case Cipher::aes256_ccm: return EVP_aes_256_ccm();
    case Cipher::aes128_cbc: return EVP_aes_128_cbc();
    case Cipher::aes256_cbc: return EVP_aes_256_cbc();
    }
    return nullptr;
}

bool is_ccm(Cipher c) { return c == Cipher::aes128_ccm || c == Cipher::aes128_ccm8 || c == Cipher::aes256_ccm; }

const char* digest_name(Hash h) {
    switch (h) {
    case Hash::sha1: return "SHA1";
    case Hash::sha256: return "SHA256";
    default: return "SHA384";
    }
}

int as_int(std::size_t n) { return n > INT_MAX ? INT_MAX : static_cast<int>(n); }

void put_be64(std::uint8_t* p, std::uint64_t v) {
    for (int i = 7; i >= 0; --i) {
        p[i] = static_cast<std::uint8_t>(v);
        v >>= 8;
    }
}

/// iv XOR the sequence number, right-aligned (TLS 1.3, and TLS 1.2 ChaCha20-Poly1305).
std::array<std::uint8_t, 12> xor_nonce(Bytes iv, std::uint64_t seq) {
    std::array<std::uint8_t, 12> n{};
    for (std::size_t i = 0; i < 12 && i < iv.size(); ++i) n[i] = iv[i];
    std::uint8_t s[8];
    put_be64(s, seq);
    for (std::size_t i = 0; i < 8; ++i) n[4 + i] = static_cast<std::uint8_t>(n[4 + i] ^ s[i]);
    return n;
}

}  // namespace

RecordCipher::RecordCipher() : ctx_{EVP_CIPHER_CTX_new()} {}

RecordCipher::~RecordCipher() {
    EVP_CIPHER_CTX_free(ctx_);
    EVP_MAC_CTX_free(mac_ctx_);
    EVP_MAC_free(mac_);
}

bool RecordCipher::init(const Suite& suite, bool tls13, const TrafficKeys& keys, bool encrypt_then_mac) {
    ready_ = false;
    cipher_ = suite.cipher;
    mac_hash_ = suite.mac;
    tls13_ = tls13;
    etm_ = encrypt_then_mac;
    keys_ = keys;
    evp_cipher_ = evp_cipher_of(cipher_);
    out_.resize(kMaxRecordBody + 64);
    if (!ctx_ || !evp_cipher_ || keys_.key.size() != key_length(cipher_)) return false;
    if (EVP_CIPHER_CTX_reset(ctx_) != 1) return false;
    if (is_ccm(cipher_)) {
        ready_ = true;  // keyed per record: CCM fixes the tag length with the key
        return true;
    }
    if (EVP_DecryptInit_ex(ctx_, evp_cipher_, nullptr, keys_.key.data(), nullptr) != 1) return false;
    if (!is_aead(cipher_)) {
        EVP_CIPHER_CTX_set_padding(ctx_, 0);
        if (!mac_) mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        if (!mac_) return false;
        if (!mac_ctx_) mac_ctx_ = EVP_MAC_CTX_new(mac_);
        if (!mac_ctx_ || keys_.mac_key.size() != hash_length(mac_hash_)) return false;
    }
    ready_ = true;
    return true;
}

Unprotect RecordCipher::decrypt(Bytes header, Bytes body, std::uint64_t seq, Plain& out) {
    if (!ready_ || header.size() != 5) return Unprotect::auth_failed;
    return is_aead(cipher_) ? aead(header, body, seq, out) : cbc(header, body, seq, out);
}

bool RecordCipher::ccm_open(Bytes nonce, Bytes aad, Bytes ciphertext, Bytes tag) {
    int len = 0;
    std::uint8_t* tag_data = const_cast<std::uint8_t*>(tag.data());  // EVP_CIPHER_CTX_ctrl takes void*
    return EVP_DecryptInit_ex(ctx_, evp_cipher_, nullptr, nullptr, nullptr) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_IVLEN, as_int(nonce.size()), nullptr) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, as_int(tag.size()), tag_data) == 1 &&
           EVP_DecryptInit_ex(ctx_, nullptr, nullptr, keys_.key.data(), nonce.data()) == 1 &&
           EVP_DecryptUpdate(ctx_, nullptr, &len, nullptr, as_int(ciphertext.size())) == 1 &&
           EVP_DecryptUpdate(ctx_, nullptr, &len, aad.data(), as_int(aad.size())) == 1 &&
           EVP_DecryptUpdate(ctx_, out_.data(), &len, ciphertext.data(), as_int(ciphertext.size())) == 1;
}

std::size_t RecordCipher::explicit_length() const noexcept {
    return !tls13_ && cipher_ != Cipher::chacha20_poly1305 ? 8 : 0;
}

bool RecordCipher::open_record(Bytes header, Bytes explicit_part, std::uint64_t seq, std::size_t ct_len,
                               Bytes ciphertext, Bytes tag) {
    std::array<std::uint8_t, 12> nonce{};
    if (explicit_length() > 0) {
        for (std::size_t i = 0; i < 4 && i < keys_.iv.size(); ++i) nonce[i] = keys_.iv[i];
        for (std::size_t i = 0; i < 8 && i < explicit_part.size(); ++i) nonce[4 + i] = explicit_part[i];
    } else {
        nonce = xor_nonce(keys_.iv, seq);
    }
    std::array<std::uint8_t, 13> aad12{};
    Bytes aad = header;
    if (!tls13_) {
        put_be64(aad12.data(), seq);
        for (std::size_t i = 0; i < 3; ++i) aad12[8 + i] = header[i];
        aad12[11] = static_cast<std::uint8_t>(ct_len >> 8);
        aad12[12] = static_cast<std::uint8_t>(ct_len);
        aad = aad12;
    }
    if (is_ccm(cipher_)) return ccm_open(nonce, aad, ciphertext, tag);
    int len = 0;
    return EVP_DecryptInit_ex(ctx_, nullptr, nullptr, nullptr, nonce.data()) == 1 &&
           EVP_DecryptUpdate(ctx_, nullptr, &len, aad.data(), as_int(aad.size())) == 1;
}

bool RecordCipher::close_record(Bytes tag) {
    int fin = 0;
    std::uint8_t* tag_data = const_cast<std::uint8_t*>(tag.data());
    return EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, as_int(tag.size()), tag_data) == 1 &&
           EVP_DecryptFinal_ex(ctx_, out_.data(), &fin) == 1;
}

Unprotect RecordCipher::aead(Bytes header, Bytes body, std::uint64_t seq, Plain& out) {
    const std::size_t tag_len = tag_length(cipher_);
    const std::size_t explicit_len = explicit_length();
    if (body.size() < explicit_len + tag_len || body.size() - explicit_len - tag_len > out_.size())
        return Unprotect::malformed;
    ByteReader r{body};
    const Bytes explicit_part = r.take(explicit_len).value_or(Bytes{});
    const Bytes ciphertext = r.take(r.remaining() - tag_len).value_or(Bytes{});
    const Bytes tag = r.rest();
    if (!open_record(header, explicit_part, seq, ciphertext.size(), ciphertext, tag))
        return Unprotect::auth_failed;
    if (!is_ccm(cipher_)) {
        int len = 0;
        if (EVP_DecryptUpdate(ctx_, out_.data(), &len, ciphertext.data(), as_int(ciphertext.size())) != 1 ||
            !close_record(tag))
            return Unprotect::auth_failed;
    }
    return finish_plain(header, Bytes{out_.data(), ciphertext.size()}, out);
}

Unprotect RecordCipher::finish_plain(Bytes header, Bytes plain, Plain& out) const {
    if (tls13_) return tls13_inner(plain, out);
    out.type = header[0];
    out.data = plain;
    return Unprotect::ok;
}

bool RecordCipher::stream_begin(Bytes header, std::size_t body_len, std::uint64_t seq) {
    const std::size_t fixed = explicit_length() + tag_length(cipher_);
    if (!streamable() || header.size() != 5 || body_len < fixed || body_len - fixed > out_.size()) return false;
    stream_ = Stream{};
    std::copy(header.begin(), header.end(), stream_.header.begin());
    stream_.body_len = body_len;
    stream_.ct_len = body_len - fixed;
    stream_.seq = seq;
    if (explicit_length() == 0) stream_.ok = open_record(stream_.header, {}, seq, stream_.ct_len, {}, {});
    return true;
}

void RecordCipher::stream_update(Bytes piece) {
    Stream& s = stream_;
    const std::size_t explicit_len = explicit_length();
    ByteReader r{piece};
    while (r.remaining() > 0 && s.got < s.body_len) {
        if (s.got < explicit_len) {  // TLS 1.2 GCM: the nonce's explicit part comes first
            const Bytes b = r.take(std::min(explicit_len - s.got, r.remaining())).value_or(Bytes{});
            std::copy(b.begin(), b.end(), s.explicit_part.begin() + static_cast<std::ptrdiff_t>(s.got));
            s.got += b.size();
            if (s.got == explicit_len)
                s.ok = s.ok && open_record(s.header, s.explicit_part, s.seq, s.ct_len, {}, {});
        } else if (s.got < explicit_len + s.ct_len) {  // ciphertext, decrypted as it comes
            const Bytes b = r.take(std::min(explicit_len + s.ct_len - s.got, r.remaining())).value_or(Bytes{});
            int len = 0;
            s.ok = s.ok && EVP_DecryptUpdate(ctx_, out_.data() + s.out_len, &len, b.data(), as_int(b.size())) == 1;
            s.out_len += b.size();
            s.got += b.size();
        } else {  // the tag
            const Bytes b = r.take(std::min(s.body_len - s.got, r.remaining())).value_or(Bytes{});
            std::copy(b.begin(), b.end(), s.tag.begin() + static_cast<std::ptrdiff_t>(s.got - explicit_len - s.ct_len));
            s.got += b.size();
        }
    }
}

Unprotect RecordCipher::stream_finish(Plain& out) {
    Stream& s = stream_;
    if (!s.ok || s.got != s.body_len || s.out_len != s.ct_len ||
        !close_record(Bytes{s.tag.data(), tag_length(cipher_)}))
        return Unprotect::auth_failed;
    return finish_plain(s.header, Bytes{out_.data(), s.ct_len}, out);
}

Unprotect RecordCipher::tls13_inner(Bytes plain, Plain& out) const {
    std::size_t n = plain.size();
    while (n > 0 && plain[n - 1] == 0) --n;  // zero padding
    if (n == 0) return Unprotect::malformed;  // no content type
    out.type = plain[n - 1];
    out.data = plain.first(n - 1);
    return Unprotect::ok;
}

bool RecordCipher::hmac(Bytes prefix, Bytes data, std::uint8_t* out) {
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest_name(mac_hash_)), 0),
        OSSL_PARAM_construct_end(),
    };
    std::size_t len = 0;
    return EVP_MAC_init(mac_ctx_, keys_.mac_key.data(), keys_.mac_key.size(), params) == 1 &&
           EVP_MAC_update(mac_ctx_, prefix.data(), prefix.size()) == 1 &&
           EVP_MAC_update(mac_ctx_, data.data(), data.size()) == 1 &&
           EVP_MAC_final(mac_ctx_, out, &len, 64) == 1 && len == hash_length(mac_hash_);
}

Unprotect RecordCipher::cbc(Bytes header, Bytes body, std::uint64_t seq, Plain& out) {
    const std::size_t mac_len = hash_length(mac_hash_);
    const std::size_t block = 16;
    const std::size_t tail = etm_ ? mac_len : 0;
    if (body.size() < block + tail) return Unprotect::malformed;
    ByteReader r{body};
    const Bytes iv = r.take(block).value_or(Bytes{});
    const Bytes ciphertext = r.take(r.remaining() - tail).value_or(Bytes{});
    const Bytes mac = r.rest();
    if (ciphertext.empty() || ciphertext.size() % block != 0) return Unprotect::malformed;
    std::array<std::uint8_t, 13> pre{};
    put_be64(pre.data(), seq);
    for (std::size_t i = 0; i < 3; ++i) pre[8 + i] = header[i];
    std::array<std::uint8_t, 64> expect{};
    if (etm_) {  // the MAC covers IV and ciphertext, before decryption
        const Bytes covered = body.first(block + ciphertext.size());
        pre[11] = static_cast<std::uint8_t>(covered.size() >> 8);
        pre[12] = static_cast<std::uint8_t>(covered.size());
        if (!hmac(pre, covered, expect.data()) || CRYPTO_memcmp(expect.data(), mac.data(), mac_len) != 0)
            return Unprotect::auth_failed;
    }
    int len = 0, fin = 0;
    if (EVP_DecryptInit_ex(ctx_, nullptr, nullptr, nullptr, iv.data()) != 1 ||
        EVP_DecryptUpdate(ctx_, out_.data(), &len, ciphertext.data(), as_int(ciphertext.size())) != 1 ||
        EVP_DecryptFinal_ex(ctx_, out_.data() + len, &fin) != 1)
        return Unprotect::auth_failed;
    Bytes plain{out_.data(), ciphertext.size()};
    const std::size_t pad = plain.back();
    const std::size_t need = pad + 1 + (etm_ ? 0 : mac_len);
    if (need > plain.size()) return Unprotect::auth_failed;
    for (std::size_t i = plain.size() - pad - 1; i < plain.size(); ++i)
        if (plain[i] != pad) return Unprotect::auth_failed;
    plain = plain.first(plain.size() - pad - 1);
    if (!etm_) {
        const Bytes content = plain.first(plain.size() - mac_len);
        pre[11] = static_cast<std::uint8_t>(content.size() >> 8);
        pre[12] = static_cast<std::uint8_t>(content.size());
        if (!hmac(pre, content, expect.data()) ||
            CRYPTO_memcmp(expect.data(), plain.data() + content.size(), mac_len) != 0)
            return Unprotect::auth_failed;
        plain = content;
    }
    out.type = header[0];
    out.data = plain;
    return Unprotect::ok;
}

}  // namespace tcpflow::tls
