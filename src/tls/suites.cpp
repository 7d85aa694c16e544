// suites.cpp: the suite table and the names of versions, suites and stop reasons.
#include "tcpflow/tls/suites.h"

#include "tcpflow/tls/session.h"

#include <cstdio>

namespace tcpflow::tls {

namespace {

using C = Cipher;
using H = Hash;

constexpr Suite kSuites[] = {
    {0x1301, "TLS_AES_128_GCM_SHA256", true, C::aes128_gcm, H::sha256, H::sha256},
    {0x1302, "TLS_AES_256_GCM_SHA384", true, C::aes256_gcm, H::sha384, H::sha384},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256", true, C::chacha20_poly1305, H::sha256, H::sha256},
    {0x1304, "TLS_AES_128_CCM_SHA256", true, C::aes128_ccm, H::sha256, H::sha256},
    {0x1305, "TLS_AES_128_CCM_8_SHA256", true, C::aes128_ccm8, H::sha256, H::sha256},
    {0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", false, C::aes128_gcm, H::sha256, H::sha256},
    {0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", false, C::aes256_gcm, H::sha384, H::sha384},
    {0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", false, C::aes128_gcm, H::sha256, H::sha256},
    {0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", false, C::aes256_gcm, H::sha384, H::sha384},
    {0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", false, C::aes128_gcm, H::sha256, H::sha256},
    {0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", false, C::aes256_gcm, H::sha384, H::sha384},
    {0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", false, C::aes128_gcm, H::sha256, H::sha256},
    {0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", false, C::aes256_gcm, H::sha384, H::sha384},
    {0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", false, C::chacha20_poly1305, H::sha256, H::sha256},
    {0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", false, C::chacha20_poly1305, H::sha256, H::sha256},
    {0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", false, C::chacha20_poly1305, H::sha256, H::sha256},
    {0xC09C, "TLS_RSA_WITH_AES_128_CCM", false, C::aes128_ccm, H::sha256, H::sha256},
    {0xC09D, "TLS_RSA_WITH_AES_256_CCM", false, C::aes256_ccm, H::sha256, H::sha256},
    {0xC0AC, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM", false, C::aes128_ccm, H::sha256, H::sha256},
    {0xC0AD, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM", false, C::aes256_ccm, H::sha256, H::sha256},
    {0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", false, C::aes128_cbc, H::sha1, H::sha256},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", false, C::aes256_cbc, H::sha1, H::sha256},
    {0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", false, C::aes128_cbc, H::sha256, H::sha256},
    {0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", false, C::aes256_cbc, H::sha256, H::sha256},
    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", false, C::aes128_cbc, H::sha1, H::sha256},
    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", false, C::aes256_cbc, H::sha1, H::sha256},
    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", false, C::aes128_cbc, H::sha256, H::sha256},
    {0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", false, C::aes256_cbc, H::sha256, H::sha256},
    {0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", false, C::aes128_cbc, H::sha1, H::sha256},
    {0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", false, C::aes256_cbc, H::sha1, H::sha256},
    {0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", false, C::aes128_cbc, H::sha1, H::sha256},
    {0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", false, C::aes256_cbc, H::sha1, H::sha256},
    {0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", false, C::aes128_cbc, H::sha256, H::sha256},
    {0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", false, C::aes256_cbc, H::sha384, H::sha384},
    {0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", false, C::aes128_cbc, H::sha256, H::sha256},
    {0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", false, C::aes256_cbc, H::sha384, H::sha384},
};

struct Named {
    std::uint16_t id;
    const char* name;
};

// Suites seen in the wild that tcpflow does not decrypt: named in the report all the same.
constexpr Named kOtherSuites[] = {
    {0x0004, "TLS_RSA_WITH_RC4_128_MD5"},       {0x0005, "TLS_RSA_WITH_RC4_128_SHA"},
    {0x000A, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},  {0xC012, "TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0x0041, "TLS_RSA_WITH_CAMELLIA_128_CBC_SHA"}, {0x0084, "TLS_RSA_WITH_CAMELLIA_256_CBC_SHA"},
    {0xC0AE, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8"}, {0xC0AF, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8"},
};

std::string hex16(std::uint16_t v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%04x", static_cast<unsigned>(v));
    return buf;
}

}  // namespace

const Suite* find_suite(std::uint16_t id) noexcept {
    for (const auto& s : kSuites)
        if (s.id == id) return &s;
    return nullptr;
}

const char* known_suite_name(std::uint16_t id) noexcept {
    if (const Suite* s = find_suite(id)) return s->name;
    for (const auto& n : kOtherSuites)
        if (n.id == id) return n.name;
    return nullptr;
}

bool is_aead(Cipher c) noexcept { return c != Cipher::aes128_cbc && c != Cipher::aes256_cbc; }

std::size_t key_length(Cipher c) noexcept {
    switch (c) {
    case Cipher::aes128_gcm: case Cipher::aes128_ccm: case Cipher::aes128_ccm8: case Cipher::aes128_cbc: return 16;
    default: return 32;
    }
}

std::size_t tag_length(Cipher c) noexcept { return c == Cipher::aes128_ccm8 ? 8 : 16; }

std::size_t hash_length(Hash h) noexcept {
    switch (h) {
    case Hash::sha1: return 20;
    case Hash::sha256: return 32;
    default: return 48;
    }
}

const char* stop_name(Stop s) noexcept {
    switch (s) {
    case Stop::none: return "none";
    case Stop::not_tls: return "not_tls";
    case Stop::no_keys: return "no_keys";
    case Stop::unsupported: return "unsupported";
    case Stop::hole: return "hole";
    case Stop::malformed: return "malformed";
    case Stop::auth_failed: return "auth_failed";
    case Stop::limit: return "limit";
    }
    return "none";
}

std::string version_name(std::uint16_t v) {
    switch (v) {
    case 0x0300: return "SSL 3.0";
    case 0x0301: return "TLS 1.0";
    case 0x0302: return "TLS 1.1";
    case kTls12: return "TLS 1.2";
    case kTls13: return "TLS 1.3";
    default: return hex16(v);
    }
}

std::string suite_name(std::uint16_t s) {
    if (const char* n = known_suite_name(s)) return n;
    return hex16(s);
}

}  // namespace tcpflow::tls
