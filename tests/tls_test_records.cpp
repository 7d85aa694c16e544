// tls_test_records.cpp: the tests' own TLS record builder (EVP directly).
#include "tls_test_records.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdexcept>

namespace tlstest {

using tcpflow::tls::Cipher;
using tcpflow::tls::Hash;

Buf hex(std::string_view t) {
    Buf out;
    int hi = -1;
    for (char c : t) {
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else continue;
        if (hi < 0) hi = v;
        else {
            out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
            hi = -1;
        }
    }
    return out;
}

std::string to_hex(Bytes b) {
    static const char* d = "0123456789abcdef";
    std::string s;
    for (auto c : b) {
        s.push_back(d[c >> 4]);
        s.push_back(d[c & 15]);
    }
    return s;
}

Buf text(std::string_view s) { return Buf(s.begin(), s.end()); }
void append(Buf& out, Bytes more) { out.insert(out.end(), more.begin(), more.end()); }

Buf counting(std::size_t n, std::uint8_t start) {
    Buf b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(start + i);
    return b;
}

static void put16(Buf& b, std::size_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
}

Buf record(std::uint8_t type, Bytes body, std::uint16_t version) {
    Buf r{type};
    put16(r, version);
    put16(r, body.size());
    append(r, body);
    return r;
}

Buf message(std::uint8_t type, Bytes body) {
    Buf m{type, static_cast<std::uint8_t>(body.size() >> 16)};
    put16(m, body.size());
    append(m, body);
    return m;
}

static Buf ext(std::uint16_t type, const Buf& data) {
    Buf e;
    put16(e, type);
    put16(e, data.size());
    append(e, data);
    return e;
}

static Buf alpn_ext(const std::string& p) {
    Buf list{static_cast<std::uint8_t>(p.size())};
    append(list, text(p));
    Buf data;
    put16(data, list.size());
    append(data, list);
    return ext(16, data);
}

static Buf with_extensions(Buf body, const Buf& exts) {
    put16(body, exts.size());
    append(body, exts);
    return body;
}

Buf client_hello(const HelloSpec& h) {
    Buf b;
    put16(b, h.legacy_version);
    append(b, h.random);
    b.push_back(0);  // session id
    put16(b, 4);
    put16(b, h.suite);
    put16(b, 0x00ff);
    b.push_back(h.compression ? 2 : 1);
    b.push_back(0);
    if (h.compression) b.push_back(h.compression);
    Buf exts;
    if (!h.sni.empty()) {
        Buf entry{0};
        put16(entry, h.sni.size());
        append(entry, text(h.sni));
        Buf data;
        put16(data, entry.size());
        append(data, entry);
        append(exts, ext(0, data));
    }
    if (!h.alpn.empty()) append(exts, alpn_ext(h.alpn));
    if (h.etm) append(exts, ext(22, {}));
    if (h.early_data) append(exts, ext(42, {}));
    if (h.tls13) append(exts, ext(43, {4, 0x03, 0x04, 0x03, 0x03}));
    return message(1, with_extensions(b, exts));
}

Buf server_hello(const HelloSpec& h) {
    static const Buf hrr = hex("CF21AD74E59A6111BE1D8C021E65B891C2A211167ABB8C5E079E09E2C8A8339C");
    Buf b;
    put16(b, h.legacy_version);
    append(b, h.hrr ? hrr : h.random);
    b.push_back(0);
    put16(b, h.suite);
    b.push_back(h.compression);
    Buf exts;
    if (h.tls13) append(exts, ext(43, {0x03, 0x04}));
    if (h.etm) append(exts, ext(22, {}));
    if (!h.tls13 && !h.alpn.empty()) append(exts, alpn_ext(h.alpn));
    return message(2, with_extensions(b, exts));
}

Buf encrypted_extensions(const std::string& alpn, bool early_data) {
    Buf exts;
    if (!alpn.empty()) append(exts, alpn_ext(alpn));
    if (early_data) append(exts, ext(42, {}));
    Buf body;
    put16(body, exts.size());
    append(body, exts);
    return message(8, body);
}

static const EVP_CIPHER* evp(Cipher c) {
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

static bool ccm(Cipher c) { return c == Cipher::aes128_ccm || c == Cipher::aes128_ccm8 || c == Cipher::aes256_ccm; }

/// AEAD seal: ciphertext || tag.
static Buf aead_seal(Cipher c, Bytes key, Bytes nonce, Bytes aad, Bytes plain) {
    const int tag_len = c == Cipher::aes128_ccm8 ? 8 : 16;
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    Buf out(plain.size() + 16);
    int len = 0, fin = 0;
    bool ok = EVP_EncryptInit_ex(ctx, evp(c), nullptr, nullptr, nullptr) == 1 &&
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) == 1;
    if (ccm(c)) ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, tag_len, nullptr) == 1;
    ok = ok && EVP_EncryptInit_ex(ctx, nullptr, nullptr, key.data(), nonce.data()) == 1;
    if (ccm(c)) ok = ok && EVP_EncryptUpdate(ctx, nullptr, &len, nullptr, static_cast<int>(plain.size())) == 1;
    ok = ok && EVP_EncryptUpdate(ctx, nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
         EVP_EncryptUpdate(ctx, out.data(), &len, plain.data(), static_cast<int>(plain.size())) == 1 &&
         EVP_EncryptFinal_ex(ctx, out.data() + len, &fin) == 1;
    out.resize(plain.size());
    Buf tag(static_cast<std::size_t>(tag_len));
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, tag_len, tag.data()) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) throw std::runtime_error("aead_seal");
    append(out, tag);
    return out;
}

static Buf seq_bytes(std::uint64_t seq) {
    Buf b(8);
    for (int i = 7; i >= 0; --i, seq >>= 8) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(seq);
    return b;
}

static Buf xor_iv(Bytes iv, std::uint64_t seq) {
    Buf n(iv.begin(), iv.end());
    const Buf s = seq_bytes(seq);
    for (std::size_t i = 0; i < 8; ++i) n[4 + i] ^= s[i];
    return n;
}

Buf seal13(Cipher c, Bytes key, Bytes iv, std::uint64_t seq, std::uint8_t type, Bytes plain, std::size_t padding) {
    Buf inner(plain.begin(), plain.end());
    inner.push_back(type);
    inner.resize(inner.size() + padding, 0);
    const std::size_t tag = c == Cipher::aes128_ccm8 ? 8 : 16;
    Buf header{23, 3, 3};
    put16(header, inner.size() + tag);
    Buf body = aead_seal(c, key, xor_iv(iv, seq), header, inner);
    Buf rec = header;
    append(rec, body);
    return rec;
}

static Buf aad12(std::uint64_t seq, std::uint8_t type, std::size_t len) {
    Buf a = seq_bytes(seq);
    a.push_back(type);
    a.push_back(3);
    a.push_back(3);
    put16(a, len);
    return a;
}

Buf seal12_aead(Cipher c, Bytes key, Bytes iv, std::uint64_t seq, std::uint8_t type, Bytes plain) {
    Buf body;
    if (c == Cipher::chacha20_poly1305) {
        body = aead_seal(c, key, xor_iv(iv, seq), aad12(seq, type, plain.size()), plain);
    } else {
        Buf nonce(iv.begin(), iv.begin() + 4);
        const Buf explicit_part = seq_bytes(seq);
        append(nonce, explicit_part);
        body = explicit_part;
        append(body, aead_seal(c, key, nonce, aad12(seq, type, plain.size()), plain));
    }
    return record(type, body);
}

static Buf hmac(Hash h, Bytes key, Bytes data) {
    const EVP_MD* md = h == Hash::sha1 ? EVP_sha1() : h == Hash::sha256 ? EVP_sha256() : EVP_sha384();
    Buf out(EVP_MAX_MD_SIZE);
    unsigned len = 0;
    HMAC(md, key.data(), static_cast<int>(key.size()), data.data(), data.size(), out.data(), &len);
    out.resize(len);
    return out;
}

static Buf cbc_encrypt(Cipher c, Bytes key, Bytes iv, Bytes plain) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    Buf out(plain.size() + 16);
    int len = 0, fin = 0;
    EVP_EncryptInit_ex(ctx, evp(c), nullptr, key.data(), iv.data());
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    EVP_EncryptUpdate(ctx, out.data(), &len, plain.data(), static_cast<int>(plain.size()));
    EVP_EncryptFinal_ex(ctx, out.data() + len, &fin);
    EVP_CIPHER_CTX_free(ctx);
    out.resize(plain.size());
    return out;
}

static void pad_cbc(Buf& b, std::uint64_t seq) {
    const std::size_t pad = 15 - b.size() % 16 + 16 * (seq % 2);  // vary the padding length
    b.resize(b.size() + pad + 1, static_cast<std::uint8_t>(pad));
}

Buf seal12_cbc(Cipher c, Hash mac, Bytes key, Bytes mac_key, std::uint64_t seq, std::uint8_t type, Bytes plain,
               bool etm) {
    const Buf iv = counting(16, static_cast<std::uint8_t>(0x40 + seq));
    Buf body = iv;
    if (etm) {
        Buf padded(plain.begin(), plain.end());
        pad_cbc(padded, seq);
        append(body, cbc_encrypt(c, key, iv, padded));
        Buf covered = aad12(seq, type, body.size());
        append(covered, body);
        append(body, hmac(mac, mac_key, covered));
    } else {
        Buf covered = aad12(seq, type, plain.size());
        append(covered, plain);
        Buf inner(plain.begin(), plain.end());
        append(inner, hmac(mac, mac_key, covered));
        pad_cbc(inner, seq);
        append(body, cbc_encrypt(c, key, iv, inner));
    }
    return record(type, body);
}

}  // namespace tlstest
