// handshake.cpp: handshake message framing and the hello / extension parsers.
#include "tcpflow/tls/handshake.h"

#include <algorithm>

namespace tcpflow::tls {

namespace {

namespace ext {
constexpr std::uint16_t server_name = 0, alpn = 16, encrypt_then_mac = 22, early_data = 42,
                        supported_versions = 43;
}

constexpr Random kHrrRandom = {0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C,
                               0x02, 0x1E, 0x65, 0xB8, 0x91, 0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB,
                               0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

constexpr std::size_t kMaxName = 255;

/// Printable ASCII of a name from the wire ('?' for anything else), at most kMaxName bytes.
std::string printable(Bytes b) {
    std::string s;
    for (std::size_t i = 0; i < b.size() && i < kMaxName; ++i)
        s.push_back(b[i] >= 0x20 && b[i] < 0x7f ? static_cast<char>(b[i]) : '?');
    return s;
}

std::optional<Bytes> vec8(ByteReader& r) {
    const auto n = r.u8();
    return n ? r.take(*n) : std::nullopt;
}

std::optional<Bytes> vec16(ByteReader& r) {
    const auto n = r.be16();
    return n ? r.take(*n) : std::nullopt;
}

bool read_random(ByteReader& r, Random& out) {
    const auto b = r.take(32);
    if (!b) return false;
    std::copy(b->begin(), b->end(), out.begin());
    return true;
}

/// server_name: the first host_name.
std::optional<std::string> parse_sni(Bytes data) {
    ByteReader r{data};
    const auto list = vec16(r);
    if (!list) return std::nullopt;
    ByteReader l{*list};
    while (l.remaining() > 0) {
        const auto type = l.u8();
        const auto name = vec16(l);
        if (!type || !name) return std::nullopt;
        if (*type == 0) return printable(*name);
    }
    return std::string{};
}

/// ALPN: the protocol names, comma-separated.
std::optional<std::string> parse_alpn(Bytes data) {
    ByteReader r{data};
    const auto list = vec16(r);
    if (!list) return std::nullopt;
    ByteReader l{*list};
    std::string out;
    while (l.remaining() > 0) {
        const auto name = vec8(l);
        if (!name) return std::nullopt;
        if (!out.empty()) out.push_back(',');
        out += printable(*name);
    }
    return out;
}

/// Calls f(type, data) for each extension; false when the block does not parse.
template <class F>
bool for_each_extension(ByteReader& r, F&& f) {
    if (r.remaining() == 0) return true;  // no extensions at all (allowed before TLS 1.3)
    const auto block = vec16(r);
    if (!block || r.remaining() != 0) return false;
    ByteReader e{*block};
    while (e.remaining() > 0) {
        const auto type = e.be16();
        const auto data = vec16(e);
        if (!type || !data || !f(*type, *data)) return false;
    }
    return true;
}

bool client_extension(ClientHello& ch, std::uint16_t type, Bytes data) {
    ByteReader r{data};
    switch (type) {
    case ext::server_name: {
        auto sni = parse_sni(data);
        if (!sni) return false;
        ch.sni = std::move(*sni);
        return true;
    }
    case ext::alpn: {
        auto alpn = parse_alpn(data);
        if (!alpn) return false;
        ch.alpn = std::move(*alpn);
        return true;
    }
    case ext::encrypt_then_mac: ch.encrypt_then_mac = true; return true;
    case ext::early_data: ch.early_data = true; return true;
    case ext::supported_versions: {
        const auto list = vec8(r);
        if (!list || list->size() % 2 != 0) return false;
        ByteReader l{*list};
        while (const auto v = l.be16()) ch.versions.push_back(*v);
        return true;
    }
    default: return true;
    }
}

bool server_extension(ServerHello& sh, std::uint16_t type, Bytes data) {
    ByteReader r{data};
    switch (type) {
    case ext::encrypt_then_mac: sh.encrypt_then_mac = true; return true;
    case ext::supported_versions: {
        const auto v = r.be16();
        if (!v) return false;
        sh.version = *v;
        return true;
    }
    case ext::alpn: {
        auto alpn = parse_alpn(data);
        if (!alpn) return false;
        sh.alpn = std::move(*alpn);
        return true;
    }
    default: return true;
    }
}

}  // namespace

std::optional<ClientHello> parse_client_hello(Bytes body) {
    ByteReader r{body};
    ClientHello ch;
    const auto version = r.be16();
    if (!version || !read_random(r, ch.random)) return std::nullopt;
    ch.legacy_version = *version;
    const auto session_id = vec8(r);
    const auto suites = vec16(r);
    const auto compression = vec8(r);
    if (!session_id || !suites || !compression || compression->empty()) return std::nullopt;
    if (!for_each_extension(r, [&ch](std::uint16_t t, Bytes d) { return client_extension(ch, t, d); }))
        return std::nullopt;
    return ch;
}

std::optional<ServerHello> parse_server_hello(Bytes body) {
    ByteReader r{body};
    ServerHello sh;
    const auto version = r.be16();
    if (!version || !read_random(r, sh.random)) return std::nullopt;
    sh.legacy_version = *version;
    sh.version = *version;
    const auto session_id = vec8(r);
    const auto suite = r.be16();
    const auto compression = r.u8();
    if (!session_id || !suite || !compression) return std::nullopt;
    sh.cipher_suite = *suite;
    sh.compression = *compression;
    sh.hello_retry_request = sh.random == kHrrRandom;
    if (!for_each_extension(r, [&sh](std::uint16_t t, Bytes d) { return server_extension(sh, t, d); }))
        return std::nullopt;
    return sh;
}

std::optional<EncryptedExtensions> parse_encrypted_extensions(Bytes body) {
    ByteReader r{body};
    EncryptedExtensions ee;
    const auto block = vec16(r);
    if (!block || r.remaining() != 0) return std::nullopt;
    ByteReader e{*block};
    while (e.remaining() > 0) {
        const auto type = e.be16();
        const auto data = vec16(e);
        if (!type || !data) return std::nullopt;
        if (*type == ext::early_data) ee.early_data = true;
        if (*type == ext::alpn) {
            auto alpn = parse_alpn(*data);
            if (!alpn) return std::nullopt;
            ee.alpn = std::move(*alpn);
        }
    }
    return ee;
}

std::optional<Message> HandshakeReader::next() {
    if (done_) {  // the message handed out last time
        body_.clear();
        header_len_ = 0;
        done_ = false;
    }
    while (true) {
        if (header_len_ < 4) {
            while (header_len_ < 4) {
                const auto b = input_.u8();
                if (!b) return std::nullopt;
                header_[header_len_++] = *b;
            }
            remaining_ = (std::size_t{header_[1]} << 16) | (std::size_t{header_[2]} << 8) | header_[3];
            const std::uint8_t t = header_[0];
            keep_ = t == hs::client_hello || t == hs::server_hello || t == hs::end_of_early_data ||
                    t == hs::encrypted_extensions || t == hs::finished || t == hs::key_update;
            if (keep_ && remaining_ > kMaxKeptMessage) {
                too_long_ = true;
                keep_ = false;
            }
            if (keep_ && body_.empty() && input_.remaining() >= remaining_) {  // whole: in place
                const Bytes body = input_.take(remaining_).value_or(Bytes{});
                done_ = true;
                return Message{header_[0], body};
            }
        }
        const std::size_t n = std::min(remaining_, input_.remaining());
        const Bytes part = input_.take(n).value_or(Bytes{});
        if (keep_) body_.insert(body_.end(), part.begin(), part.end());
        remaining_ -= n;
        if (remaining_ > 0) return std::nullopt;
        if (keep_) {
            done_ = true;
            return Message{header_[0], body_};
        }
        header_len_ = 0;  // a skipped message ends here
    }
}

}  // namespace tcpflow::tls
