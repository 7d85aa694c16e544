// http_body.cpp: HTTP/1.x response framing and body decoding (see http_body.h).
#include "tcpflow/content/http_body.h"
#include "tcpflow/content/mime_types.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <optional>
#include <vector>

namespace tcpflow {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::string_view as_text(Bytes b) noexcept {
    return std::string_view{reinterpret_cast<const char*>(b.data()), b.size()};
}

/// One line ending in '\n' starting at `pos`, searched no further than `limit` bytes.
/// Returns the line without its "\r\n"/"\n" and moves pos past it; nullopt if no '\n' in reach.
std::optional<std::string_view> read_line(std::string_view text, std::size_t& pos, std::size_t limit) {
    const std::size_t reach = std::min(text.size(), pos + limit);
    const std::size_t nl = text.substr(0, reach).find('\n', pos);
    if (nl == std::string_view::npos) return std::nullopt;
    std::string_view line = text.substr(pos, nl - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = nl + 1;
    return line;
}

struct Response {
    int status = 0;
    std::optional<std::uint64_t> content_length;
    bool chunked = false;
    std::string content_type;     // lowercased media type
    std::string content_encoding; // lowercased
};

/// Body bytes go through here: identity or zlib inflate, output streamed in bounded pieces.
class BodySink {
public:
    BodySink(const HttpBodyOptions& opt, const HttpBodyCallback& cb, std::size_t index, bool inflate,
             bool raw_hint)
        : opt_{opt}, cb_{cb}, index_{index}, inflate_{inflate}, raw_hint_{raw_hint} {}
    BodySink(const BodySink&) = delete;
    BodySink& operator=(const BodySink&) = delete;
    ~BodySink() {
        if (z_open_) inflateEnd(&z_);
    }

    void feed(Bytes in) {
        if (stopped_ || in.empty()) return;
        if (!inflate_) {
            while (!in.empty() && !stopped_) {
                const std::size_t n = std::min(in.size(), opt_.output_chunk ? opt_.output_chunk : in.size());
                emit(in.first(n));
                in = in.subspan(n);
            }
            return;
        }
        if (!z_open_) {
            // Decide the wrapper from the first two bytes (gzip 1f 8b, zlib CMF/FLG check).
            pending_.insert(pending_.end(), in.begin(), in.end());
            if (pending_.size() < 2) return;
            if (!open_inflate()) return;
            const std::vector<std::uint8_t> first = std::move(pending_);
            pending_.clear();
            run_inflate(Bytes{first});
            return;
        }
        run_inflate(in);
    }

    /// Flushes what is pending; returns whether the body was cut short by decoding or the cap.
    bool finish() {
        if (inflate_ && !z_open_ && !pending_.empty() && !stopped_) {
            // Fewer than 2 compressed bytes in all: cannot be a complete stream.
            truncated_ = true;
        }
        if (inflate_ && z_open_ && !stream_end_ && !stopped_) truncated_ = true;
        return truncated_;
    }

    [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

private:
    bool open_inflate() {
        const std::uint8_t b0 = pending_[0], b1 = pending_[1];
        const bool gzip = b0 == 0x1f && b1 == 0x8b;
        const bool zlib = (b0 & 0x0f) == 8 && ((static_cast<unsigned>(b0) << 8) | b1) % 31 == 0;
        const int bits = (gzip || zlib || !raw_hint_) ? 32 + MAX_WBITS : -MAX_WBITS;
        z_ = z_stream{};
        if (inflateInit2(&z_, bits) != Z_OK) {
            stopped_ = truncated_ = true;
            return false;
        }
        z_open_ = true;
        return true;
    }

    void run_inflate(Bytes in) {
        std::array<std::uint8_t, 64 * 1024> out{};
        const std::size_t out_cap = std::clamp<std::size_t>(opt_.output_chunk, 1, out.size());
        // zlib counts in uInt; feed in slices that fit.
        while (!in.empty() && !stopped_ && !stream_end_) {
            const std::size_t slice = std::min<std::size_t>(in.size(), 1u << 30);
            z_.next_in = const_cast<Bytef*>(in.data());
            z_.avail_in = static_cast<uInt>(slice);
            for (;;) {
                z_.next_out = out.data();
                z_.avail_out = static_cast<uInt>(out_cap);
                const int rc = inflate(&z_, Z_NO_FLUSH);
                const std::size_t produced = out_cap - z_.avail_out;
                if (produced) emit(Bytes{out.data(), produced});
                if (stopped_) return;
                if (rc == Z_STREAM_END) {
                    stream_end_ = true;
                    break;
                }
                if (rc != Z_OK && rc != Z_BUF_ERROR) {
                    stopped_ = truncated_ = true;   // corrupt data: keep what was inflated
                    return;
                }
                if (z_.avail_in == 0 && z_.avail_out != 0) break;   // needs more input
                if (rc == Z_BUF_ERROR && produced == 0) break;      // no progress possible
            }
            in = in.subspan(slice - z_.avail_in);
            if (z_.avail_in != 0 && !stream_end_) {
                // inflate stopped consuming without an error: give up on this body.
                stopped_ = truncated_ = true;
                return;
            }
            if (stream_end_) break;
        }
    }

    void emit(Bytes data) {
        const std::uint64_t room = opt_.max_body_output - std::min(size_, opt_.max_body_output);
        if (data.size() > room) {
            data = data.first(static_cast<std::size_t>(room));
            stopped_ = truncated_ = true;
        }
        if (data.empty()) return;
        size_ += data.size();
        HttpBodyEvent ev;
        ev.kind = HttpBodyEventKind::data;
        ev.index = index_;
        ev.data = data;
        cb_(ev);
    }

    const HttpBodyOptions& opt_;
    const HttpBodyCallback& cb_;
    std::size_t index_;
    bool inflate_;
    bool raw_hint_;   // "deflate": no recognisable header means raw deflate
    z_stream z_{};
    bool z_open_ = false;
    bool stream_end_ = false;
    bool stopped_ = false;
    bool truncated_ = false;
    std::uint64_t size_ = 0;
    std::vector<std::uint8_t> pending_;
};

/// Parses the status line and headers at pos; nullopt if not a (complete) response head.
std::optional<Response> parse_head(std::string_view text, std::size_t& pos, std::size_t max_header) {
    const std::size_t start = pos;
    auto status_line = read_line(text, pos, max_header);
    if (!status_line || !status_line->starts_with("HTTP/1.")) return std::nullopt;
    std::string_view sl = *status_line;
    if (sl.size() < 12 || sl[8] != ' ') return std::nullopt;
    int status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (sl[i] < '0' || sl[i] > '9') return std::nullopt;
        status = status * 10 + (sl[i] - '0');
    }
    if (sl.size() > 12 && sl[12] != ' ') return std::nullopt;
    Response r;
    r.status = status;
    for (;;) {
        const std::size_t used = pos - start;
        if (used >= max_header) return std::nullopt;
        auto line = read_line(text, pos, max_header - used);
        if (!line) return std::nullopt;
        if (line->empty()) break;
        const std::size_t colon = line->find(':');
        if (colon == std::string_view::npos) continue;   // tolerate junk lines
        const std::string name = lower(trim(line->substr(0, colon)));
        const std::string_view value = trim(line->substr(colon + 1));
        if (name == "content-length") {
            std::uint64_t n = 0;
            if (value.empty() || value.size() > 18) return std::nullopt;
            for (const char c : value) {
                if (c < '0' || c > '9') return std::nullopt;
                n = n * 10 + static_cast<std::uint64_t>(c - '0');
            }
            if (r.content_length && *r.content_length != n) return std::nullopt;   // smuggling-shaped
            r.content_length = n;
        } else if (name == "transfer-encoding") {
            const std::string v = lower(value);
            if (v.find("chunked") != std::string::npos) r.chunked = true;
        } else if (name == "content-type") {
            std::string_view media = value.substr(0, value.find(';'));
            r.content_type = lower(trim(media));
        } else if (name == "content-encoding") {
            r.content_encoding = lower(value);
        }
    }
    return r;
}

}  // namespace

bool looks_like_http_response(Bytes stream) noexcept {
    return as_text(stream).starts_with("HTTP/1.");
}

std::string_view extension_for_content_type(std::string_view content_type) noexcept {
    const std::string_view media = trim(content_type.substr(0, content_type.find(';')));
    char lowered[128];
    if (media.size() > sizeof lowered) return {};
    for (std::size_t i = 0; i < media.size(); ++i) {
        const char c = media[i];
        lowered[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return extension_for_media_type(std::string_view{lowered, media.size()});
}

namespace {

/// A chunk-size line's hexadecimal number (extensions after ';' ignored); nullopt when malformed.
std::optional<std::uint64_t> chunk_size(std::string_view line) {
    std::string_view digits = trim(line.substr(0, line.find(';')));
    if (digits.empty() || digits.size() > 15) return std::nullopt;
    std::uint64_t size = 0;
    for (const char c : digits) {
        int v = -1;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        if (v < 0) return std::nullopt;
        size = size * 16 + static_cast<std::uint64_t>(v);
    }
    return size;
}

/// Feeds a chunked body from `pos` to `body`. True when it is truncated or its framing is lost
/// (nothing after it can be trusted as HTTP).
bool read_chunked(std::string_view text, Bytes stream, std::size_t& pos, BodySink& body, std::size_t max_header) {
    for (;;) {
        auto size_line = read_line(text, pos, 4096);
        if (!size_line) return true;
        const auto size = chunk_size(*size_line);
        if (!size) return true;
        if (*size == 0) {
            // Trailers up to an empty line (or the end of the stream).
            while (auto trailer = read_line(text, pos, max_header)) {
                if (trailer->empty()) break;
            }
            return false;
        }
        const std::size_t avail = text.size() - pos;
        const std::size_t take = *size < avail ? static_cast<std::size_t>(*size) : avail;
        body.feed(stream.subspan(pos, take));
        pos += take;
        if (take < *size) return true;
        if (text.substr(pos).starts_with("\r\n")) pos += 2;
        else if (text.substr(pos).starts_with("\n")) pos += 1;
        else return true;   // stream ended, or framing lost: no trusted end
    }
}

}  // namespace

std::size_t extract_http_bodies(Bytes stream, const HttpBodyOptions& options, const HttpBodyCallback& on_event) {
    const std::string_view text = as_text(stream);
    std::size_t pos = 0;
    std::size_t count = 0;
    while (pos < text.size() && count < options.max_responses) {
        // Tolerate stray line ends between responses.
        for (int i = 0; i < 4 && pos < text.size() && (text[pos] == '\r' || text[pos] == '\n'); ++i) ++pos;
        if (pos >= text.size()) break;
        auto head = parse_head(text, pos, options.max_header_bytes);
        if (!head) break;
        const Response& r = *head;
        ++count;

        const std::string_view enc = trim(r.content_encoding);
        const bool compressed = enc == "gzip" || enc == "x-gzip" || enc == "deflate";
        const bool inflate = compressed && !options.keep_compressed;

        HttpBodyEvent begin;
        begin.kind = HttpBodyEventKind::begin;
        begin.index = count;
        begin.status = r.status;
        begin.content_type = r.content_type;
        begin.extension = extension_for_content_type(r.content_type);
        begin.content_encoding = r.content_encoding;
        begin.decoded = inflate;
        begin.body_offset = pos;
        on_event(begin);

        bool truncated = false;
        bool stop = false;
        BodySink body(options, on_event, count, inflate, enc == "deflate");
        const bool no_body = (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304;
        if (r.status == 101) {
            stop = true;   // protocol switched: the rest is not HTTP
        } else if (no_body) {
            // nothing
        } else if (r.chunked) {
            truncated = stop = read_chunked(text, stream, pos, body, options.max_header_bytes);
        } else if (r.content_length) {
            const std::size_t avail = text.size() - pos;
            const std::uint64_t want = *r.content_length;
            const std::size_t take = want < avail ? static_cast<std::size_t>(want) : avail;
            body.feed(stream.subspan(pos, take));
            pos += take;
            if (take < want) {
                truncated = true;
                stop = true;
            }
        } else {
            body.feed(stream.subspan(pos));
            pos = text.size();
        }
        if (body.finish()) truncated = true;

        HttpBodyEvent end;
        end.kind = HttpBodyEventKind::end;
        end.index = count;
        end.status = r.status;
        end.body_size = body.size();
        end.truncated = truncated;
        on_event(end);
        if (stop) break;
    }
    return count;
}

}  // namespace tcpflow
