// record_reader.cpp: record framing over split and coalesced feeds.
#include "tcpflow/tls/record_reader.h"

#include "tcpflow/tls/record_cipher.h"

#include <algorithm>

namespace tcpflow::tls {

namespace {

constexpr std::size_t kHeader = 5;

/// Parses the record at the start of `bytes`: its total size, 0 when incomplete, or nullopt.
std::optional<std::size_t> record_size(Bytes bytes) {
    ByteReader r{bytes};
    const auto type = r.u8();
    const auto version = r.be16();
    const auto length = r.be16();
    if (!length) {
        // A partial header: judge what is there (so garbage is found without waiting).
        if (type && (*type < 20 || *type > 24)) return std::nullopt;
        if (bytes.size() >= 2 && bytes[1] != 3) return std::nullopt;
        return 0;
    }
    if (!valid_record_header(*type, *version, *length)) return std::nullopt;
    return r.remaining() >= *length ? kHeader + *length : 0;
}

bool may_stream(std::uint8_t type, int stream) { return stream == kStreamAny || (stream > 0 && type == stream); }

Record make_record(Bytes raw) {
    Record rec;
    rec.raw = raw;
    rec.header = raw.first(kHeader);
    rec.body = raw.subspan(kHeader);
    rec.type = raw[0];
    rec.version = static_cast<std::uint16_t>((raw[1] << 8) | raw[2]);
    return rec;
}

}  // namespace

bool valid_record_header(std::uint8_t type, std::uint16_t version, std::size_t length) noexcept {
    return type >= 20 && type <= 24 && (version >> 8) == 3 && length <= kMaxRecordBody;
}

void RecordReader::clear() noexcept {
    buf_.clear();
    consumed_ = 0;
    input_ = ByteReader{Bytes{}};
}

ReadStatus RecordReader::from_buffer(Record& out, int stream) {
    // Complete the buffered record from the input: the header first, then the body it announces.
    while (true) {
        const auto size = record_size(buf_);
        if (!size) return ReadStatus::malformed;
        if (*size) break;
        if (buf_.size() >= kHeader && may_stream(buf_[0], stream)) {
            consumed_ = buf_.size();
            out = make_record(buf_);
            return ReadStatus::partial;
        }
        const std::size_t length = buf_.size() < kHeader ? 0 : static_cast<std::size_t>((buf_[3] << 8) | buf_[4]);
        const std::size_t need = buf_.size() < kHeader ? kHeader - buf_.size() : kHeader + length - buf_.size();
        if (input_.remaining() == 0) return ReadStatus::need_more;
        const Bytes more = input_.take(std::min(need, input_.remaining())).value_or(Bytes{});
        buf_.insert(buf_.end(), more.begin(), more.end());
    }
    consumed_ = buf_.size();
    out = make_record(buf_);
    return ReadStatus::record;
}

ReadStatus RecordReader::next(Record& out, int stream) {
    if (consumed_) {
        buf_.clear();
        consumed_ = 0;
    }
    if (!buf_.empty()) return from_buffer(out, stream);
    const auto size = record_size(input_.rest());
    if (!size) return ReadStatus::malformed;
    if (*size == 0 && input_.remaining() >= kHeader && may_stream(input_.rest()[0], stream)) {
        out = make_record(input_.take(input_.remaining()).value_or(Bytes{}));
        return ReadStatus::partial;
    }
    if (*size == 0) {
        const Bytes tail = input_.take(input_.remaining()).value_or(Bytes{});
        buf_.assign(tail.begin(), tail.end());
        return ReadStatus::need_more;
    }
    out = make_record(input_.take(*size).value_or(Bytes{}));
    return ReadStatus::record;
}

}  // namespace tcpflow::tls
