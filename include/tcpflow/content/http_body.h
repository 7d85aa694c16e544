// http_body.h: HTTP/1.x response bodies from one server-to-client byte stream (`-e http`).
// Core module: works over a byte span and a callback; no files, no libpcap.
//
// The stream holds successive responses (keep-alive / pipelining). For each one the parser reads
// the status line and headers, then the body framed by (in this order) no-body status (1xx, 204,
// 304), `Transfer-Encoding: chunked` (chunk extensions and trailers skipped), `Content-Length`,
// or else "until end of stream". `Content-Encoding: gzip|x-gzip|deflate` bodies are inflated with
// zlib (gzip/zlib auto-detected; "deflate" without a zlib header is taken as raw deflate) unless
// `keep_compressed` (-Z). Parsing stops at a 101 (Upgrade) response or at the first data that is
// not a response; a response cut short by the end of the stream yields its partial body.
// HEAD responses cannot be recognised from one direction and are not special-cased.
//
// Hostile input: header blocks and chunk-size lines are bounded, every loop advances through the
// stream, and inflated output is streamed to the callback in pieces of at most `output_chunk`
// bytes and capped at `max_body_output` per body (decompression bombs cost time, not memory).
//
// Events per response N (1-based, counting every response, bodiless ones too):
//   begin (index N, extension from Content-Type, body_offset in the stream) ,
//   zero or more data (decoded body bytes, valid only during the call),
//   end (total decoded bytes, whether the body was cut short).
// The caller (file sink) writes `<flow>-HTTPBODY-NNN[.ext]` and deletes zero-length bodies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "tcpflow/base/bytes.h"

namespace tcpflow {

struct HttpBodyOptions {
    bool keep_compressed = false;                         ///< -Z: emit Content-Encoded bytes as-is
    std::size_t max_header_bytes = 64 * 1024;             ///< status line + headers of one response
    std::uint64_t max_body_output = 1ull << 30;           ///< decoded bytes per body (1 GiB)
    std::size_t output_chunk = 64 * 1024;                 ///< largest data event
    std::size_t max_responses = 1'000'000;                ///< responses parsed per stream
};

enum class HttpBodyEventKind : std::uint8_t { begin, data, end };

struct HttpBodyEvent {
    HttpBodyEventKind kind = HttpBodyEventKind::begin;
    std::size_t index = 0;             ///< response number in the stream, from 1
    // begin:
    int status = 0;                    ///< HTTP status code
    std::string_view content_type;     ///< media type, lowercased, parameters removed ("" = none)
    std::string_view extension;        ///< file extension without dot ("" = none)
    std::string_view content_encoding; ///< lowercased header value ("" = none)
    bool decoded = false;              ///< body is being inflated
    std::uint64_t body_offset = 0;     ///< stream offset of the first body byte (after headers)
    // data:
    Bytes data;
    // end:
    std::uint64_t body_size = 0;       ///< decoded bytes delivered for this body
    bool truncated = false;            ///< stream ended early, inflate failed, or output cap hit
};

using HttpBodyCallback = std::function<void(const HttpBodyEvent&)>;

/// Parses every response in `stream`; calls `on_event` for each body (see the top of this file).
/// Returns the number of responses found.
std::size_t extract_http_bodies(Bytes stream, const HttpBodyOptions& options,
                                const HttpBodyCallback& on_event);

/// True when `stream` looks like server-to-client HTTP (starts with "HTTP/1.").
[[nodiscard]] bool looks_like_http_response(Bytes stream) noexcept;

/// File extension for a media type ("text/html; charset=utf-8" -> "html"); "" when unknown.
[[nodiscard]] std::string_view extension_for_content_type(std::string_view content_type) noexcept;

}  // namespace tcpflow
