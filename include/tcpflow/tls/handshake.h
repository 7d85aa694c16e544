// handshake.h: handshake messages out of handshake records, and the fields tcpflow needs from
// ClientHello, ServerHello / HelloRetryRequest, EncryptedExtensions and KeyUpdate.
#pragma once

#include "tcpflow/base/bytes.h"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tcpflow::tls {

namespace hs {
constexpr std::uint8_t client_hello = 1, server_hello = 2, new_session_ticket = 4, end_of_early_data = 5,
                       encrypted_extensions = 8, finished = 20, key_update = 24;
}

/// The largest handshake message tcpflow keeps to parse (others are skipped unbuffered).
constexpr std::size_t kMaxKeptMessage = 1u << 16;

using Random = std::array<std::uint8_t, 32>;

struct ClientHello {
    std::uint16_t legacy_version = 0;
    Random random{};
    std::string sni;
    std::string alpn;  // the offered protocols, comma-separated
    std::vector<std::uint16_t> versions;  // supported_versions
    bool encrypt_then_mac = false;
    bool early_data = false;
};

struct ServerHello {
    std::uint16_t legacy_version = 0;
    std::uint16_t version = 0;  // supported_versions when present, else legacy_version
    Random random{};
    std::uint16_t cipher_suite = 0;
    std::uint8_t compression = 0;
    bool encrypt_then_mac = false;
    bool hello_retry_request = false;  // the special random of RFC 8446 4.1.3
    std::string alpn;                  // TLS 1.2: the selected protocol
};

struct EncryptedExtensions {
    std::string alpn;
    bool early_data = false;  // the server accepted 0-RTT
};

[[nodiscard]] std::optional<ClientHello> parse_client_hello(Bytes body);
[[nodiscard]] std::optional<ServerHello> parse_server_hello(Bytes body);
[[nodiscard]] std::optional<EncryptedExtensions> parse_encrypted_extensions(Bytes body);

struct Message {
    std::uint8_t type = 0;
    Bytes body;  // valid until the next call to next()
};

/// Handshake messages out of the concatenated fragments of handshake records. Messages of the
/// types above are handed out whole (in place when one fragment holds them); others are skipped
/// as they stream by, whatever their size.
class HandshakeReader {
public:
    void push(Bytes fragment) noexcept { input_ = ByteReader{fragment}; }
    /// The next complete message of a kept type, or nullopt when the fragment is used up.
    std::optional<Message> next();
    /// A kept message was longer than kMaxKeptMessage.
    [[nodiscard]] bool too_long() const noexcept { return too_long_; }
    /// In the middle of a message (a key change must not happen here).
    [[nodiscard]] bool partial() const noexcept { return header_len_ > 0; }

private:
    ByteReader input_{Bytes{}};
    std::array<std::uint8_t, 4> header_{};
    std::size_t header_len_ = 0;
    std::size_t remaining_ = 0;
    bool keep_ = false, too_long_ = false, done_ = false;
    std::vector<std::uint8_t> body_;
};

}  // namespace tcpflow::tls
