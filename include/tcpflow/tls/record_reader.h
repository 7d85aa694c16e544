// record_reader.h: TLS records out of one direction's byte stream.
//
// Records split across feeds are gathered in a buffer of at most one record, or, when the caller
// can decrypt them piece by piece, handed out as they come; records wholly in a feed are handed
// out in place (no copy of the ciphertext).
#pragma once

#include "tcpflow/base/bytes.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace tcpflow::tls {

struct Record {
    std::uint8_t type = 0;
    std::uint16_t version = 0;
    Bytes header;  // the 5 header bytes
    Bytes body;
    Bytes raw;     // header and body, contiguous
};

enum class ReadStatus : std::uint8_t {
    record,     // `out` holds the next record (valid until the next call)
    need_more,  // the input is used up; a partial record is kept
    malformed,  // the next header is not a TLS record header
    partial,    // a record to stream: its header and the body bytes there are; take() the rest
};

/// Which incomplete records next() hands out as `partial` instead of buffering them.
constexpr int kStreamNone = -1, kStreamAny = 0;  // or a content type (23)

/// True for a plausible record header: content type 20..24, version 3.x, body within bounds.
[[nodiscard]] bool valid_record_header(std::uint8_t type, std::uint16_t version, std::size_t length) noexcept;

class RecordReader {
public:
    /// Starts reading `input` (after what is buffered). The span must live until need_more.
    void begin(Bytes input) noexcept { input_ = ByteReader{input}; }
    /// The next record; one whose body is incomplete and whose type `stream` admits comes out
    /// as `partial` (the caller then takes the rest of its body from the input with take()).
    ReadStatus next(Record& out, int stream = kStreamNone);
    /// Up to n bytes of the input (the body of a record being streamed).
    Bytes take(std::size_t n) noexcept { return input_.take(std::min(n, input_.remaining())).value_or(Bytes{}); }
    /// The input not read yet (after a record the caller stopped at).
    [[nodiscard]] Bytes unread() const noexcept { return input_.rest(); }
    /// Bytes of a partial record held between feeds.
    [[nodiscard]] std::size_t buffered() const noexcept { return buf_.size() - consumed_; }
    void clear() noexcept;

private:
    ReadStatus from_buffer(Record& out, int stream);

    ByteReader input_{Bytes{}};
    std::vector<std::uint8_t> buf_;
    std::size_t consumed_ = 0;  // buf_ bytes handed out already (a whole record)
};

}  // namespace tcpflow::tls
