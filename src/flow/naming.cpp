// naming.cpp: tcpflow 1.6.1's -T template escapes and -F modifiers.
#include "tcpflow/flow/naming.h"
#include "tcpflow/base/text.h"

namespace tcpflow {

namespace {

constexpr std::string_view kEscapes = "AaBbTtVvCc#NKMGSEeP%";

bool known_escape(char c) noexcept { return kEscapes.find(c) != std::string_view::npos; }

/// Escapes that may expand to nothing (so a component made of them can collapse).
bool may_be_empty(char c) noexcept { return c == 'V' || c == 'v' || c == 'C' || c == 'c'; }

std::string quoted(std::string_view tmpl) {
    std::string s = "invalid template '";
    s.append(tmpl);
    s += "'";
    return s;
}

/// Checks one path component of a template. `stripped` is its literal text with the escapes that
/// may expand to nothing removed (other escapes become a non-empty placeholder).
bool component_is_dotdot(std::string_view raw, std::string_view stripped) noexcept {
    return raw == ".." || stripped == "..";
}

void append_03(std::string& out, std::uint64_t v) { text::append_uint_padded(out, v % 1000, 3); }

void append_iso8601(std::string& out, std::int64_t secs) {
    text::append_iso8601_seconds(out, secs);
    out += 'Z';
}

}  // namespace

bool NameTemplate::names_endpoints() const noexcept {
    // Fixed-width IPv4 and ports, ':' only in IPv6 text, '.' and '-' between the four: the
    // default's layout cannot be read two ways. ("%%A" would be a literal: not counted.)
    const auto at = text_.find("%A.%a-%B.%b");
    return at != std::string::npos && (at == 0 || text_[at - 1] != '%');
}

std::variant<NameTemplate, std::string> NameTemplate::parse(std::string_view tmpl) {
    if (tmpl.empty()) return quoted(tmpl) + ": empty template";
    if (tmpl.front() == '/') return quoted(tmpl) + ": absolute paths are not allowed (names stay inside the output folder)";

    bool has_c = false;
    bool has_hash = false;
    bool uses_count = false;
    bool names_protocol = false;
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        if (tmpl[i] != '%') continue;
        if (i + 1 >= tmpl.size()) return quoted(tmpl) + ": lone % at the end (write %% for a percent sign)";
        const char e = tmpl[++i];
        if (!known_escape(e)) return quoted(tmpl) + ": unknown escape %" + std::string(1, e);
        if (e == 'c') has_c = true;
        if (e == 'P') names_protocol = true;
        if (e == '#') has_hash = true;
        if (e == 'c' || e == 'C' || e == '#') uses_count = true;
    }

    NameTemplate t;
    t.text_.assign(tmpl);
    if (!has_c && !has_hash) {
        t.text_ += "%C%c";
        uses_count = true;
    }
    t.uses_count_ = uses_count;
    t.names_protocol_ = names_protocol;

    // Path components: none may become "..", the last (the file name) may not become empty or ".".
    std::string_view text = t.text_;
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = text.find('/', start);
        const bool last = slash == std::string_view::npos;
        const std::string_view raw = text.substr(start, last ? std::string_view::npos : slash - start);
        std::string stripped;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '%' && i + 1 < raw.size()) {
                const char e = raw[++i];
                if (e == '%') stripped += '%';
                else if (!may_be_empty(e)) stripped += 'x';
            } else {
                stripped += raw[i];
            }
        }
        if (component_is_dotdot(raw, stripped))
            return quoted(tmpl) + ": '..' path components are not allowed (names stay inside the output folder)";
        if (last) {
            if (stripped.empty() || stripped == ".")
                return quoted(tmpl) + ": the file name part (after the last '/') can expand to nothing";
            break;
        }
        start = slash + 1;
    }
    return t;
}

std::string NameTemplate::expand(const FlowNameInfo& info, unsigned count) const {
    std::string out;
    out.reserve(text_.size() + 48);
    append_to(out, info, count);
    return out;
}

void NameTemplate::append_to(std::string& out, const FlowNameInfo& info, unsigned count) const {
    for (std::size_t i = 0; i < text_.size(); ++i) {
        const char ch = text_[i];
        if (ch != '%' || i + 1 >= text_.size()) {
            out += ch;
            continue;
        }
        switch (text_[++i]) {
        case 'A': info.src.append_flow_string(out); break;
        case 'B': info.dst.append_flow_string(out); break;
        case 'a': text::append_uint_padded(out, info.sport, 5); break;
        case 'b': text::append_uint_padded(out, info.dport, 5); break;
        case 'T': append_iso8601(out, info.first_seen.seconds()); break;
        case 't': text::append_int(out, info.first_seen.seconds()); break;
        case 'V':
            if (info.vlan != 0) out += "--";
            break;
        case 'v':
            if (info.vlan != 0) text::append_uint(out, info.vlan);
            break;
        case 'C':
            if (count > 0) out += 'c';
            break;
        case 'c':
            if (count > 0) text::append_uint(out, count);
            break;
        case '#': text::append_uint(out, count); break;
        case 'N': append_03(out, info.flow_index); break;
        case 'K': append_03(out, info.flow_index / 1000); break;
        case 'M': append_03(out, info.flow_index / 1000000); break;
        case 'G': append_03(out, info.flow_index / 1000000000); break;
        case 'S': text::append_uint_padded(out, info.session_id, 20); break;
        case 'E': text::append_mac(out, info.src_mac); break;
        case 'e': text::append_mac(out, info.dst_mac); break;
        case 'P': out += info.udp ? "udp" : "tcp"; break;
        case '%': out += '%'; break;
        default:  // parse() rejects anything else; keep the text as written.
            out += '%';
            out += text_[i];
            break;
        }
    }
    if (info.udp && !names_protocol_) out += kUdpSuffix;
}

namespace {

/// -Fc: the connection counter is always part of the name ("c0" for the first file, then "c1"...).
std::string always_count(const std::string& tmpl) {
    std::string out;
    bool has_counter = false;
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        if (tmpl[i] != '%' || i + 1 >= tmpl.size()) {
            out += tmpl[i];
            continue;
        }
        const char e = tmpl[i + 1];
        if (e == 'C' && i + 3 < tmpl.size() && tmpl[i + 2] == '%' && tmpl[i + 3] == 'c') {
            out += "c%#";
            has_counter = true;
            i += 3;
        } else if (e == 'c') {
            out += "%#";
            has_counter = true;
            ++i;
        } else {
            if (e == '#') has_counter = true;
            out += '%';
            out += e;
            ++i;
        }
    }
    if (!has_counter) out += "c%#";
    return out;
}

}  // namespace

std::variant<std::string, std::string> apply_format_flags(std::string tmpl, std::string_view flags) {
    for (const char f : flags) {
        switch (f) {
        case 't': tmpl.insert(0, "%tT"); break;
        case 'T': tmpl.insert(0, "%T"); break;
        case 'k': tmpl.insert(0, "%K/"); break;
        case 'm': tmpl.insert(0, "%M000-%M999/%M%K/"); break;
        case 'g': tmpl.insert(0, "%G000000-%G999999/%G%M000-%G%M999/%G%M%K/"); break;
        case 'c': tmpl = always_count(tmpl); break;
        case 'X':
        case 'M': break;  // handled by the command line (no flow files / MD5)
        default:
            return std::variant<std::string, std::string>{
                std::in_place_index<1>, std::string("invalid -F format letter '") + f + "' (known: t T k m g c X M)"};
        }
    }
    return std::variant<std::string, std::string>{std::in_place_index<0>, std::move(tmpl)};
}

}  // namespace tcpflow
