// keylog.cpp: the NSS key log parser.
#include "tcpflow/tls/keylog.h"

#include <algorithm>
#include <optional>
#include <string_view>

namespace tcpflow::tls {

namespace {

struct LabelName {
    std::string_view name;
    SecretLabel label;
};

constexpr LabelName kLabels[] = {
    {"CLIENT_RANDOM", SecretLabel::client_random},
    {"EARLY_TRAFFIC_SECRET", SecretLabel::client_early_traffic_secret},
    {"CLIENT_EARLY_TRAFFIC_SECRET", SecretLabel::client_early_traffic_secret},
    {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", SecretLabel::client_handshake_traffic_secret},
    {"SERVER_HANDSHAKE_TRAFFIC_SECRET", SecretLabel::server_handshake_traffic_secret},
    {"CLIENT_TRAFFIC_SECRET_0", SecretLabel::client_traffic_secret_0},
    {"SERVER_TRAFFIC_SECRET_0", SecretLabel::server_traffic_secret_0},
};

// NSS key log labels that carry nothing tcpflow decrypts with.
constexpr std::string_view kIgnoredLabels[] = {"EXPORTER_SECRET", "EARLY_EXPORTER_SECRET", "RSA", "ECH_SECRET",
                                               "ECH_CONFIG"};

bool is_space(std::uint8_t c) { return c == ' ' || c == '\t' || c == '\r'; }

/// The next whitespace-separated token of the line (empty at its end).
Bytes next_token(ByteReader& r) {
    while (r.remaining() > 0 && is_space(r.rest()[0])) (void)r.skip(1);
    std::size_t n = 0;
    const Bytes rest = r.rest();
    while (n < rest.size() && !is_space(rest[n])) ++n;
    return r.take(n).value_or(Bytes{});
}

std::optional<std::uint8_t> hex_digit(std::uint8_t c) {
    if (c >= '0' && c <= '9') return static_cast<std::uint8_t>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<std::uint8_t>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<std::uint8_t>(c - 'A' + 10);
    return std::nullopt;
}

/// Hex text -> bytes; nullopt for an odd length or a non-hex character.
std::optional<std::vector<std::uint8_t>> unhex(Bytes text) {
    if (text.size() % 2 != 0) return std::nullopt;
    std::vector<std::uint8_t> out;
    out.reserve(text.size() / 2);
    ByteReader r{text};
    while (r.remaining() >= 2) {
        const auto hi = hex_digit(r.u8().value_or(0xff));
        const auto lo = hex_digit(r.u8().value_or(0xff));
        if (!hi || !lo) return std::nullopt;
        out.push_back(static_cast<std::uint8_t>((*hi << 4) | *lo));
    }
    return out;
}

std::string_view as_text(Bytes token) { return {reinterpret_cast<const char*>(token.data()), token.size()}; }

std::optional<SecretLabel> label_of(Bytes token) {
    for (const auto& l : kLabels)
        if (l.name == as_text(token)) return l.label;
    return std::nullopt;
}

bool ignored_label(Bytes token) {
    for (const auto& l : kIgnoredLabels)
        if (l == as_text(token)) return true;
    return false;
}

}  // namespace

bool KeyLog::add_line(Bytes line, KeyLogStats& stats) {
    ++stats.lines;
    ByteReader r{line};
    const Bytes label_text = next_token(r);
    if (label_text.empty() || label_text[0] == '#') {
        ++stats.comments;
        return false;
    }
    if (ignored_label(label_text)) {
        ++stats.ignored;
        return false;
    }
    const auto label = label_of(label_text);
    const auto random = unhex(next_token(r));
    const auto secret = unhex(next_token(r));
    const bool trailing = !next_token(r).empty();
    // Secrets are 32 (SHA-256) or 48 bytes (SHA-384, and the TLS 1.2 master secret).
    const bool ok = label && random && random->size() == 32 && secret && !trailing &&
                    (secret->size() == 48 || (secret->size() == 32 && *label != SecretLabel::client_random));
    if (!ok) {
        ++stats.bad;
        return false;
    }
    Key key{static_cast<std::uint8_t>(*label), {}};
    std::copy(random->begin(), random->end(), key.second.begin());
    secrets_[key] = *secret;
    ++stats.secrets;
    return true;
}

std::size_t KeyLog::add(Bytes text, KeyLogStats& stats, bool final) {
    ByteReader r{text};
    bool added = false;
    while (r.remaining() > 0) {
        const Bytes rest = r.rest();
        const auto nl = std::find(rest.begin(), rest.end(), std::uint8_t{'\n'});
        if (nl == rest.end() && !final) break;
        const auto len = static_cast<std::size_t>(nl - rest.begin());
        const Bytes line = r.take(len).value_or(Bytes{});
        (void)r.skip(1);  // the '\n' (absent on a final unterminated line)
        added = add_line(line, stats) || added;
    }
    if (added) ++generation_;
    return r.position();
}

const std::vector<std::uint8_t>* KeyLog::find(SecretLabel label, Bytes client_random) const {
    if (client_random.size() != 32) return nullptr;
    Key key{static_cast<std::uint8_t>(label), {}};
    std::copy(client_random.begin(), client_random.end(), key.second.begin());
    const auto it = secrets_.find(key);
    return it == secrets_.end() ? nullptr : &it->second;
}

}  // namespace tcpflow::tls
