// tls_test_records.h: TLS records built by the tests, protected through EVP directly (not through
// src/tls), so a mistake in the decryptor's nonce, AAD, MAC or padding does not cancel out.
#pragma once

#include "tcpflow/base/bytes.h"
#include "tcpflow/tls/suites.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tlstest {

using Buf = std::vector<std::uint8_t>;
using tcpflow::Bytes;

Buf hex(std::string_view text);
std::string to_hex(Bytes b);
Buf text(std::string_view s);
void append(Buf& out, Bytes more);
Buf counting(std::size_t n, std::uint8_t start = 0);

/// A record: type, version, length, body.
Buf record(std::uint8_t type, Bytes body, std::uint16_t version = 0x0303);
/// A handshake message: type, 24-bit length, body.
Buf message(std::uint8_t type, Bytes body);

struct HelloSpec {
    Buf random = Buf(32, 0x11);
    std::string sni = "example.com";
    std::string alpn;          // one protocol offered / selected ("" none)
    bool tls13 = true;         // supported_versions
    bool etm = false;
    bool early_data = false;
    std::uint16_t suite = 0x1301;
    std::uint8_t compression = 0;
    std::uint16_t legacy_version = 0x0303;
    bool hrr = false;          // ServerHello: the HelloRetryRequest random
};
Buf client_hello(const HelloSpec& h);   // the handshake message
Buf server_hello(const HelloSpec& h);   // the handshake message
Buf encrypted_extensions(const std::string& alpn, bool early_data);

/// TLS 1.3 record: inner plaintext + content type + `padding` zeros, AEAD with iv XOR seq.
Buf seal13(tcpflow::tls::Cipher c, Bytes key, Bytes iv, std::uint64_t seq, std::uint8_t type, Bytes plain,
           std::size_t padding = 0);
/// TLS 1.2 AEAD record (GCM/CCM: 4-byte salt + 8-byte explicit nonce = seq; ChaCha: iv XOR seq).
Buf seal12_aead(tcpflow::tls::Cipher c, Bytes key, Bytes iv, std::uint64_t seq, std::uint8_t type, Bytes plain);
/// TLS 1.2 AES-CBC record with HMAC, MAC-then-encrypt or encrypt-then-MAC.
Buf seal12_cbc(tcpflow::tls::Cipher c, tcpflow::tls::Hash mac, Bytes key, Bytes mac_key, std::uint64_t seq,
               std::uint8_t type, Bytes plain, bool etm);

}  // namespace tlstest
