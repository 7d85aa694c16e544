// key_schedule.cpp: TLS 1.2 PRF and TLS 1.3 HKDF-Expand-Label through EVP_KDF.
#include "tcpflow/tls/key_schedule.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <memory>

namespace tcpflow::tls {

namespace {

const char* digest_name(Hash h) {
    switch (h) {
    case Hash::sha1: return "SHA1";
    case Hash::sha256: return "SHA256";
    default: return "SHA384";
    }
}

struct KdfDeleter {
    void operator()(EVP_KDF* k) const { EVP_KDF_free(k); }
    void operator()(EVP_KDF_CTX* c) const { EVP_KDF_CTX_free(c); }
};

/// Runs the KDF `name` with `params` into `length` bytes.
std::optional<std::vector<std::uint8_t>> derive(const char* name, OSSL_PARAM* params, std::size_t length) {
    std::unique_ptr<EVP_KDF, KdfDeleter> kdf{EVP_KDF_fetch(nullptr, name, nullptr)};
    if (!kdf) return std::nullopt;
    std::unique_ptr<EVP_KDF_CTX, KdfDeleter> ctx{EVP_KDF_CTX_new(kdf.get())};
    if (!ctx) return std::nullopt;
    std::vector<std::uint8_t> out(length);
    if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) return std::nullopt;
    return out;
}

void* mutable_ptr(Bytes b) { return const_cast<std::uint8_t*>(b.data()); }  // OSSL_PARAM takes void*

std::size_t implicit_iv_length(Cipher c) {
    switch (c) {
    case Cipher::chacha20_poly1305: return 12;
    case Cipher::aes128_cbc: case Cipher::aes256_cbc: return 0;
    default: return 4;
    }
}

}  // namespace

std::optional<std::vector<std::uint8_t>> hkdf_expand_label(Hash hash, Bytes secret, std::string_view label,
                                                           Bytes context, std::size_t length) {
    // struct { uint16 length; opaque label<7..255> = "tls13 " + label; opaque context<0..255>; }
    std::vector<std::uint8_t> info;
    const std::string_view prefix = "tls13 ";
    info.push_back(static_cast<std::uint8_t>(length >> 8));
    info.push_back(static_cast<std::uint8_t>(length));
    info.push_back(static_cast<std::uint8_t>(prefix.size() + label.size()));
    info.insert(info.end(), prefix.begin(), prefix.end());
    info.insert(info.end(), label.begin(), label.end());
    info.push_back(static_cast<std::uint8_t>(context.size()));
    info.insert(info.end(), context.begin(), context.end());
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest_name(hash)), 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, mutable_ptr(secret), secret.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
        OSSL_PARAM_construct_end(),
    };
    return derive("HKDF", params, length);
}

std::optional<std::vector<std::uint8_t>> tls12_prf(Hash hash, Bytes secret, std::string_view label, Bytes seed,
                                                   std::size_t length) {
    std::vector<std::uint8_t> full_seed(label.begin(), label.end());
    full_seed.insert(full_seed.end(), seed.begin(), seed.end());
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>(digest_name(hash)), 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, mutable_ptr(secret), secret.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, full_seed.data(), full_seed.size()),
        OSSL_PARAM_construct_end(),
    };
    return derive("TLS1-PRF", params, length);
}

std::optional<TrafficKeys> tls13_keys(const Suite& suite, Bytes secret) {
    auto key = hkdf_expand_label(suite.prf, secret, "key", {}, key_length(suite.cipher));
    auto iv = hkdf_expand_label(suite.prf, secret, "iv", {}, 12);
    if (!key || !iv) return std::nullopt;
    return TrafficKeys{std::move(*key), std::move(*iv), {}};
}

std::optional<std::vector<std::uint8_t>> tls13_next_secret(const Suite& suite, Bytes secret) {
    return hkdf_expand_label(suite.prf, secret, "traffic upd", {}, hash_length(suite.prf));
}

std::optional<Tls12Keys> tls12_keys(const Suite& suite, Bytes master_secret, Bytes client_random,
                                    Bytes server_random) {
    const std::size_t mac_len = is_aead(suite.cipher) ? 0 : hash_length(suite.mac);
    const std::size_t key_len = key_length(suite.cipher);
    const std::size_t iv_len = implicit_iv_length(suite.cipher);
    std::vector<std::uint8_t> seed(server_random.begin(), server_random.end());
    seed.insert(seed.end(), client_random.begin(), client_random.end());
    const auto block = tls12_prf(suite.prf, master_secret, "key expansion", seed, 2 * (mac_len + key_len + iv_len));
    if (!block) return std::nullopt;
    ByteReader r{*block};
    auto take = [&r](std::size_t n) {
        const Bytes b = r.take(n).value_or(Bytes{});
        return std::vector<std::uint8_t>(b.begin(), b.end());
    };
    Tls12Keys k;
    k.client.mac_key = take(mac_len);
    k.server.mac_key = take(mac_len);
    k.client.key = take(key_len);
    k.server.key = take(key_len);
    k.client.iv = take(iv_len);
    k.server.iv = take(iv_len);
    return k;
}

}  // namespace tcpflow::tls
