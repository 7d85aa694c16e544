// flow_record.cpp: one flow index record as JSON (see flow_record.h).
#include "tcpflow/content/flow_record.h"

#include <algorithm>

#include "tcpflow/base/text.h"
#include "tcpflow/flow/tls_flow_report.h"

namespace tcpflow {

namespace {

constexpr char kHex[] = "0123456789abcdef";

void append_u4(std::string& out, unsigned v) {
    out += "\\u00";
    out.push_back(kHex[(v >> 4) & 0xf]);
    out.push_back(kHex[v & 0xf]);
}

/// `"name":` (names are plain ASCII).
void key(std::string& out, std::string_view name) {
    out.push_back('"');
    out += name;
    out += "\":";
}

void field(std::string& out, std::string_view name, std::uint64_t v) {
    key(out, name);
    text::append_uint(out, v);
    out.push_back(',');
}

void field(std::string& out, std::string_view name, bool v) {
    key(out, name);
    out += v ? "true," : "false,";
}

void field_string(std::string& out, std::string_view name, std::string_view v) {
    key(out, name);
    append_json_string(out, v);
    out.push_back(',');
}

/// A string, or null when empty.
void field_string_or_null(std::string& out, std::string_view name, std::string_view v) {
    key(out, name);
    if (v.empty()) out += "null";
    else append_json_string(out, v);
    out.push_back(',');
}

void field_address(std::string& out, std::string_view name, const IpAddress& a) {
    key(out, name);
    out.push_back('"');
    a.append_string(out);   // digits, dots, colons and hex letters: nothing to escape
    out += "\",";
}

void field_time(std::string& out, std::string_view name, Timestamp ts, bool ns) {
    key(out, name);
    out.push_back('"');
    append_rfc3339(out, ts, ns);
    out += "\",";
}

/// Drops the ',' after the last member and closes the object (or array) with `close`.
void close(std::string& out, char close) {
    if (!out.empty() && out.back() == ',') out.pop_back();
    out.push_back(close);
}

/// Which side is the client (0 or 1); see flow_record.h.
int client_side(const FlowRecordSide (&side)[2]) {
    for (int d = 0; d < 2; ++d)
        if (side[d].info && side[d].info->client_to_server) return d;
    for (int d = 0; d < 2; ++d)
        if (side[d].info && side[d].summary->syn_seen) return 1 - d;   // sent the SYN-ACK: the server
    if (!side[0].info) return 1;
    if (!side[1].info) return 0;
    return side[1].info->first_packet < side[0].info->first_packet ? 1 : 0;
}

void append_holes(std::string& out, const std::vector<Hole>& holes) {
    key(out, "holes");
    out.push_back('{');
    std::uint64_t bytes = 0;
    for (const Hole& h : holes) bytes += h.length;
    field(out, "count", std::uint64_t{holes.size()});
    field(out, "bytes", bytes);
    key(out, "ranges");
    out.push_back('[');
    for (std::size_t i = 0; i < holes.size() && i < kRecordHoleRanges; ++i) {
        out.push_back('[');
        text::append_uint(out, holes[i].offset);
        out.push_back(',');
        text::append_uint(out, holes[i].length);
        out += "],";
    }
    close(out, ']');
    out += "},";
}

void append_bodies(std::string& out, const FlowRecordExtras* extras) {
    key(out, "http");
    out.push_back('[');
    if (extras) {
        for (const FlowRecordBody& b : extras->http_bodies) {
            out.push_back('{');
            field_string(out, "file", b.file);
            field_string_or_null(out, "content_type", b.content_type);
            field(out, "offset", b.offset);
            field(out, "size", b.size);
            close(out, '}');
            out.push_back(',');
        }
    }
    close(out, ']');
    out.push_back(',');
}

/// --tls-keylog: a direction's decryption: tls_decrypted_bytes, tls_records, tls_auth_failures,
/// tls_stop (null when not TLS) and tls_file (null when no plaintext).
void append_tls_side(std::string& out, const FlowRecordSide& s) {
    const TlsFlowReport* t = s.info && s.info->tls && s.info->tls->is_tls ? s.info->tls.get() : nullptr;
    field(out, "tls_decrypted_bytes", t ? t->decrypted_bytes : 0);
    field(out, "tls_records", t ? t->records : 0);
    field(out, "tls_auth_failures", t ? t->auth_failures : 0);
    field_string_or_null(out, "tls_stop", t ? std::string_view{t->stop} : std::string_view{});
    field_string_or_null(out, "tls_file", s.tls_file);
}

/// --tls-keylog: the connection's "tls" object (version, cipher_suite, sni, alpn), null when
/// neither direction was seen to carry TLS.
void append_tls(std::string& out, const FlowRecordSide& a, const FlowRecordSide& b) {
    key(out, "tls");
    const TlsFlowReport* t = nullptr;
    for (const FlowRecordSide* s : {&a, &b})
        if (!t && s->info && s->info->tls && s->info->tls->is_tls) t = s->info->tls.get();
    if (!t) {
        out += "null,";
        return;
    }
    out.push_back('{');
    field_string_or_null(out, "version", t->version);
    field_string_or_null(out, "cipher_suite", t->cipher_suite);
    field_string_or_null(out, "sni", t->sni);
    field_string_or_null(out, "alpn", t->alpn);
    close(out, '}');
    out.push_back(',');
}

/// One direction: `"client":{...},`. `self`/`other` give the endpoint when `s.info` is null.
void append_side(std::string& out, std::string_view name, const FlowRecordSide& s, const FlowRecordSide& other,
                 const FlowRecordSettings& set) {
    key(out, name);
    out.push_back('{');
    const FlowInfo* info = s.info;
    const FlowSummary* sum = s.summary;
    if (info) {
        field_address(out, "addr", info->name.src);
        field(out, "port", std::uint64_t{info->name.sport});
    } else {
        field_address(out, "addr", other.info->name.dst);
        field(out, "port", std::uint64_t{other.info->name.dport});
    }
    field_string_or_null(out, "file", s.file);
    const FlowSummary none;
    const FlowSummary& z = sum ? *sum : none;
    field(out, "bytes", z.size);
    field(out, "stored", z.stored_bytes);
    field(out, "dropped", z.dropped_bytes);
    field(out, "packets", z.packets);
    append_holes(out, z.holes);
    field(out, "retransmitted", z.retransmitted_bytes);
    field(out, "conflicting", z.conflicting_bytes);
    if (sum) {
        field_time(out, "first", z.first_seen, set.nanoseconds);
        field_time(out, "last", z.last_seen, set.nanoseconds);
        field_string(out, "close", close_reason_name(z.reason));
    } else {
        out += "\"first\":null,\"last\":null,\"close\":null,";
    }
    if (set.md5) field_string_or_null(out, "md5", s.extras ? std::string_view{s.extras->md5_hex} : std::string_view{});
    if (set.sha256)
        field_string_or_null(out, "sha256", s.extras ? std::string_view{s.extras->sha256_hex} : std::string_view{});
    if (set.http) append_bodies(out, s.extras);
    if (set.tls) append_tls_side(out, s);
    close(out, '}');
    out.push_back(',');
}

void append_tunnel(std::string& out, const TunnelKey& t) {
    key(out, "tunnel");
    if (!t.kind) {
        out += "null,";
        return;
    }
    out.push_back('{');
    field_string(out, "kind", tunnel_kind_name(t.kind));
    if (t.outer_src.family) field_address(out, "src", t.outer_src);
    if (t.outer_dst.family) field_address(out, "dst", t.outer_dst);
    if (t.outer_sport) field(out, "sport", std::uint64_t{t.outer_sport});
    if (t.outer_dport) field(out, "dport", std::uint64_t{t.outer_dport});
    if (t.id) field(out, "id", std::uint64_t{t.id});
    close(out, '}');
    out.push_back(',');
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    out.push_back('"');
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            out.push_back(static_cast<char>(c));
            ++i;
            continue;
        }
        if (c >= 0x80) {
            if (const std::size_t n = text::utf8_sequence_length(s, i)) {
                out.append(s.substr(i, n));
                i += n;
                continue;
            }
        }
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default: append_u4(out, c); break;
        }
        ++i;
    }
    out.push_back('"');
}

void append_rfc3339(std::string& out, Timestamp ts, bool nanoseconds) {
    text::append_iso8601_seconds(out, ts.seconds());
    out.push_back('.');
    if (nanoseconds) text::append_uint_padded(out, static_cast<std::uint64_t>(ts.subsec_ns()), 9);
    else text::append_uint_padded(out, static_cast<std::uint64_t>(ts.subsec_ns() / 1000), 6);
    out.push_back('Z');
}

void append_flow_record(std::string& out, const ConnectionEnd& end, const FlowRecordSide (&side)[2],
                        const FlowRecordSettings& set) {
    const int c = client_side(side);
    const FlowRecordSide& cs = side[c];
    const FlowRecordSide& ss = side[1 - c];
    const FlowInfo& any = cs.info ? *cs.info : *ss.info;
    out.push_back('{');
    field(out, "id", end.id);
    field_string(out, "proto", any.proto == Transport::udp ? "udp" : "tcp");
    Timestamp first{}, last{};
    bool have = false, syn_client = false, syn_server = false, continued = false;
    for (const FlowRecordSide* s : {&cs, &ss}) {
        if (!s->info) continue;
        first = have ? std::min(first, s->summary->first_seen) : s->summary->first_seen;
        last = have ? std::max(last, s->summary->last_seen) : s->summary->last_seen;
        have = true;
        if (s->info->indexed_packets) continued = true;
    }
    syn_client = cs.summary && cs.summary->syn_seen;
    syn_server = ss.summary && ss.summary->syn_seen;
    field_time(out, "first", first, set.nanoseconds);
    field_time(out, "last", last, set.nanoseconds);
    field_string(out, "close", close_reason_name(end.reason));
    field(out, "handshake", syn_client && syn_server);
    field(out, "midstream", !syn_client && !syn_server);
    field(out, "continued", continued);
    key(out, "vlan");
    out.push_back('[');
    for (std::size_t i = 0; i < any.vlans.count && i < any.vlans.ids.size(); ++i) {
        text::append_uint(out, any.vlans.ids[i]);
        out.push_back(',');
    }
    close(out, ']');
    out.push_back(',');
    append_tunnel(out, any.tunnel);
    if (set.tls) append_tls(out, cs, ss);
    append_side(out, "client", cs, ss, set);
    append_side(out, "server", ss, cs, set);
    close(out, '}');
}

}  // namespace tcpflow
