#include "tcpflow/capture/pcapng_reader.h"

#include <algorithm>
#include <string>

namespace tcpflow {

namespace {

constexpr std::uint32_t kSectionHeader = 0x0a0d0d0a, kInterface = 1, kObsoletePacket = 2, kSimplePacket = 3,
                        kEnhancedPacket = 6, kDecryptionSecrets = 10;
constexpr std::uint32_t kByteOrderMagic = 0x1a2b3c4d;
constexpr std::uint16_t kOptEnd = 0, kOptTsresol = 9, kOptTsoffset = 14;

std::string num(std::uint64_t v) { return std::to_string(v); }

std::uint64_t pow10(unsigned e) noexcept {
    std::uint64_t v = 1;
    while (e--) v *= 10;
    return v;
}

}  // namespace

bool PcapngReader::recognises(Bytes head) noexcept {
    ByteReader r{head};
    const auto type = r.le32();
    return type && *type == kSectionHeader;
}

Timestamp PcapngReader::to_time(const Interface& ifc, std::uint64_t units) noexcept {
    std::uint64_t sec = 0, ns = 0;
    if (ifc.binary) {
        const unsigned e = ifc.exponent;
        sec = e ? units >> e : units;
        const std::uint64_t frac = e ? units & ((std::uint64_t{1} << e) - 1) : 0;
        __extension__ using u128 = unsigned __int128;
        ns = static_cast<std::uint64_t>((static_cast<u128>(frac) * 1'000'000'000u) >> e);
    } else {
        const std::uint64_t per_sec = pow10(ifc.exponent);
        sec = units / per_sec;
        const std::uint64_t frac = units % per_sec;
        ns = ifc.exponent <= 9 ? frac * pow10(9 - ifc.exponent) : frac / pow10(ifc.exponent - 9u);
    }
    // Wrapping (unsigned) arithmetic: an absurd timestamp is a strange time, never undefined.
    sec += static_cast<std::uint64_t>(ifc.offset_s);
    return Timestamp{static_cast<std::int64_t>(sec * 1'000'000'000u + ns)};
}

ReadResult PcapngReader::read_block(ReadBuffer& in, Block& b, ReadError& err) {
    err.offset = in.offset();
    const Bytes head = in.peek(12);
    if (head.empty()) {
        if (in.failure().empty()) return ReadResult::end;
        err.reason = in.failure();
        return ReadResult::error;
    }
    if (head.size() < 12) {
        err.reason = !in.failure().empty() ? in.failure()
                                           : "truncated block header: 12 bytes needed, only " + num(head.size()) + " left";
        return ReadResult::error;
    }
    ByteReader r{head};
    b.type = *r.le32();
    if (b.type == kSectionHeader) {
        ByteReader bom{head.subspan(8)};
        const std::uint32_t m = *bom.le32();
        if (m != kByteOrderMagic && m != 0x4d3c2b1au) {
            err.reason = "section header with an unknown byte-order magic";
            return ReadResult::error;
        }
        big_ = m != kByteOrderMagic;
    } else {
        b.type = *ByteReader{head}.le32();
        if (big_) b.type = *ByteReader{head}.be32();
    }
    b.length = *read32(r, big_);
    if (b.length < 12 || b.length % 4 != 0) {
        err.reason = "block of type " + num(b.type) + " has an invalid length " + num(b.length);
        return ReadResult::error;
    }
    if (b.length > kMaxBlock) {
        err.reason = "block of type " + num(b.type) + " claims " + num(b.length) + " bytes, more than the limit of " +
                     num(kMaxBlock);
        return ReadResult::error;
    }
    const Bytes whole = in.peek(b.length);
    if (whole.size() < b.length) {
        err.reason = !in.failure().empty() ? in.failure()
                                           : "truncated block of type " + num(b.type) + ": " + num(b.length) +
                                                 " bytes needed, only " + num(whole.size()) + " left";
        return ReadResult::error;
    }
    ByteReader tail{whole.subspan(b.length - 4)};
    if (const std::uint32_t trailing = *read32(tail, big_); trailing != b.length) {
        err.reason = "block of type " + num(b.type) + ": its lengths disagree (" + num(b.length) + " at the start, " +
                     num(trailing) + " at the end)";
        return ReadResult::error;
    }
    b.body = whole.subspan(8, b.length - 12);
    in.consume(b.length);
    return ReadResult::packet;
}

ReadResult PcapngReader::next(ReadBuffer& in, RawPacket& out, ReadError& err) {
    for (;;) {
        Block b;
        const ReadResult r = read_block(in, b, err);
        if (r != ReadResult::packet) return r;
        if (b.type != kSectionHeader && !in_section_) {
            err.reason = "block of type " + num(b.type) + " outside any section";
            return ReadResult::error;
        }
        switch (b.type) {
            case kSectionHeader:
                if (!section_header(b, err)) return ReadResult::error;
                break;
            case kInterface:
                if (!interface_description(b, err)) return ReadResult::error;
                break;
            case kEnhancedPacket:
            case kSimplePacket:
            case kObsoletePacket:
                if (!packet(b, out, err)) return ReadResult::error;
                return ReadResult::packet;
            case kDecryptionSecrets:
                keep_secrets(b);
                break;
            default:   // name resolution, interface statistics, custom, unknown: skipped
                break;
        }
    }
}

bool PcapngReader::section_header(const Block& b, ReadError& err) {
    ByteReader r{b.body};
    if (!r.skip(4)) {
        err.reason = "section header block too short";
        return false;
    }
    const auto major = read16(r, big_), minor = read16(r, big_);
    if (!major || !minor || !r.skip(8)) {
        err.reason = "section header block too short";
        return false;
    }
    if (*major != 1) {
        err.reason = "unsupported pcapng version " + num(*major) + "." + num(*minor);
        return false;
    }
    interfaces_.clear();
    current_ = SIZE_MAX;
    in_section_ = true;
    ++sections_;
    return true;
}

bool PcapngReader::interface_description(const Block& b, ReadError& err) {
    ByteReader r{b.body};
    const auto linktype = read16(r, big_);
    const bool reserved = r.skip(2);
    const auto snaplen = read32(r, big_);
    if (!linktype || !reserved || !snaplen) {
        err.reason = "interface description block too short";
        return false;
    }
    Interface ifc;
    ifc.dlt = dlt_from_linktype(*linktype);
    const std::uint32_t max = std::min(max_snaplen_for_dlt(ifc.dlt), kMaxBlock);
    ifc.snaplen = *snaplen == 0 || *snaplen > max ? max : *snaplen;
    while (r.remaining() >= 4) {
        const std::uint16_t code = *read16(r, big_), len = *read16(r, big_);
        const auto value = r.take(len);
        if (!value) {
            err.reason = "interface description option " + num(code) + " of " + num(len) + " bytes goes past its block";
            return false;
        }
        (void)r.skip(std::min<std::size_t>((4 - len % 4) % 4, r.remaining()));
        if (code == kOptEnd) break;
        ByteReader v{*value};
        if (code == kOptTsresol && len >= 1) {
            const std::uint8_t res = *v.u8();
            ifc.binary = (res & 0x80) != 0;
            ifc.exponent = res & 0x7f;
            if (ifc.binary ? ifc.exponent > 63 : ifc.exponent > 19) {
                err.reason = "interface time resolution " + num(res) + " is not supported";
                return false;
            }
        } else if (code == kOptTsoffset && len >= 8) {
            const std::uint64_t hi = *read32(v, big_), lo = *read32(v, big_);
            ifc.offset_s = static_cast<std::int64_t>(big_ ? (hi << 32) | lo : (lo << 32) | hi);
        }
    }
    interfaces_.push_back(ifc);
    return true;
}

bool PcapngReader::interface_for(std::uint32_t id, ReadError& err) {
    if (id >= interfaces_.size()) {
        err.reason = "packet on interface " + num(id) + ", which its section does not have (" +
                     num(interfaces_.size()) + " interfaces)";
        return false;
    }
    current_ = id;
    return true;
}

bool PcapngReader::packet(const Block& b, RawPacket& out, ReadError& err) {
    ByteReader r{b.body};
    std::uint32_t id = 0, caplen = 0, len = 0;
    std::uint64_t units = 0;
    if (b.type == kSimplePacket) {
        const auto l = read32(r, big_);
        if (!l) {
            err.reason = "simple packet block too short";
            return false;
        }
        len = *l;
        caplen = static_cast<std::uint32_t>(std::min<std::size_t>(len, r.remaining()));
    } else {
        const std::optional<std::uint32_t> i =
            b.type == kEnhancedPacket ? read32(r, big_) : std::optional<std::uint32_t>(read16(r, big_));
        if (b.type == kObsoletePacket) (void)r.skip(2);   // drops count
        const auto hi = read32(r, big_), lo = read32(r, big_), c = read32(r, big_), l = read32(r, big_);
        if (!i || !hi || !lo || !c || !l) {
            err.reason = "packet block too short";
            return false;
        }
        id = *i;
        units = (std::uint64_t{*hi} << 32) | *lo;
        caplen = *c;
        len = *l;
        if (caplen > r.remaining()) {
            err.reason = "packet block: captured length " + num(caplen) + " goes past its block (" +
                         num(r.remaining()) + " bytes)";
            return false;
        }
    }
    if (!interface_for(id, err)) return false;
    const Interface& ifc = interfaces_[id];
    out.ts = b.type == kSimplePacket ? Timestamp{} : to_time(ifc, units);
    out.wire_len = len;
    out.data = r.rest().first(std::min(caplen, ifc.snaplen));
    out.dlt = ifc.dlt;
    return true;
}

void PcapngReader::keep_secrets(const Block& b) {
    ByteReader r{b.body};
    const auto type = read32(r, big_), len = read32(r, big_);
    if (!type || !len) return;
    const Bytes data = r.rest().first(std::min<std::size_t>(*len, r.remaining()));
    if (secrets_bytes_ + data.size() > kMaxSecrets) {
        ++secrets_dropped_;
        return;
    }
    secrets_bytes_ += data.size();
    secrets_.push_back({*type, std::vector<std::uint8_t>(data.begin(), data.end())});
}

}  // namespace tcpflow
