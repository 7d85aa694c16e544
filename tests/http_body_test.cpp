// http_body_test: response framing, chunked/gzip/deflate decoding, limits and hostile input.
#include <gtest/gtest.h>
#include <zlib.h>

#include <string>
#include <string_view>
#include <vector>

#include "tcpflow/content/http_body.h"
#include "tcpflow/content/mime_types.h"

using namespace tcpflow;

namespace {

struct Body {
    std::size_t index = 0;
    int status = 0;
    std::string ext;
    std::string data;
    std::uint64_t offset = 0;
    bool ended = false;
    bool truncated = false;
    std::uint64_t size = 0;
    bool decoded = false;
};

Bytes as_bytes(std::string_view s) {
    return Bytes{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::vector<Body> run(std::string_view stream, HttpBodyOptions opt = {}) {
    std::vector<Body> out;
    extract_http_bodies(as_bytes(stream), opt, [&](const HttpBodyEvent& ev) {
        switch (ev.kind) {
        case HttpBodyEventKind::begin: {
            Body b;
            b.index = ev.index;
            b.status = ev.status;
            b.ext = std::string(ev.extension);
            b.offset = ev.body_offset;
            b.decoded = ev.decoded;
            out.push_back(b);
            break;
        }
        case HttpBodyEventKind::data:
            EXPECT_FALSE(out.empty());
            EXPECT_EQ(out.back().index, ev.index);
            EXPECT_LE(ev.data.size(), opt.output_chunk);
            out.back().data.append(reinterpret_cast<const char*>(ev.data.data()), ev.data.size());
            break;
        case HttpBodyEventKind::end:
            EXPECT_FALSE(out.empty());
            EXPECT_FALSE(out.back().ended);
            out.back().ended = true;
            out.back().truncated = ev.truncated;
            out.back().size = ev.body_size;
            break;
        }
    });
    for (const Body& b : out) {
        EXPECT_TRUE(b.ended);
        EXPECT_EQ(b.size, b.data.size());
    }
    return out;
}

/// windowBits 31 = gzip wrapper, 15 = zlib wrapper, -15 = raw deflate.
std::string compress(std::string_view in, int window_bits) {
    z_stream z{};
    EXPECT_EQ(deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(deflateBound(&z, static_cast<uLong>(in.size())) + 64, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z.avail_in = static_cast<uInt>(in.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
    out.resize(z.total_out);
    deflateEnd(&z);
    return out;
}

std::string html150() {
    std::string s = "<html><head><title>t</title></head><body>";
    while (s.size() < 150 - 14) s += "x";
    s += "</body></html>";
    return s;
}

std::string three_responses() {
    const std::string gz = compress(html150(), 31);
    std::string s;
    s += "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Encoding: gzip\r\n"
         "Content-Length: " + std::to_string(gz.size()) + "\r\n\r\n" + gz;
    s += "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 8\r\n\r\n";
    s += std::string("\x89PNG\r\n\x1a\n", 8);
    s += "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
         "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
    return s;
}

}  // namespace

TEST(HttpBody, ContentLength) {
    const auto bodies = run("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello");
    ASSERT_EQ(bodies.size(), 1u);
    EXPECT_EQ(bodies[0].index, 1u);
    EXPECT_EQ(bodies[0].status, 200);
    EXPECT_EQ(bodies[0].ext, "html");
    EXPECT_EQ(bodies[0].data, "hello");
    EXPECT_EQ(bodies[0].offset, 63u);
    EXPECT_FALSE(bodies[0].truncated);
}

TEST(HttpBody, ChunkedWithExtensionsAndTrailers) {
    const auto bodies = run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
                            "3;name=value\r\nabc\r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\nOther: 1\r\n\r\n"
                            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    ASSERT_EQ(bodies.size(), 2u);
    EXPECT_EQ(bodies[0].data, "abc0123456789");
    EXPECT_EQ(bodies[0].ext, "txt");
    EXPECT_FALSE(bodies[0].truncated);
    EXPECT_EQ(bodies[1].data, "ok");
    EXPECT_EQ(bodies[1].ext, "");
}

TEST(HttpBody, Gzip) {
    const std::string plain = html150();
    const std::string gz = compress(plain, 31);
    const auto bodies = run("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
                            std::to_string(gz.size()) + "\r\n\r\n" + gz);
    ASSERT_EQ(bodies.size(), 1u);
    EXPECT_TRUE(bodies[0].decoded);
    EXPECT_EQ(bodies[0].data, plain);
    EXPECT_FALSE(bodies[0].truncated);
}

TEST(HttpBody, DeflateZlibAndRaw) {
    const std::string plain(5000, 'q');
    for (const int bits : {15, -15}) {
        const std::string z = compress(plain, bits);
        const auto bodies = run("HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: " +
                                std::to_string(z.size()) + "\r\n\r\n" + z);
        ASSERT_EQ(bodies.size(), 1u) << bits;
        EXPECT_EQ(bodies[0].data, plain) << bits;
        EXPECT_FALSE(bodies[0].truncated) << bits;
    }
}

TEST(HttpBody, GzipInsideChunks) {
    const std::string plain = "chunked and gzipped body, " + std::string(300, 'z');
    const std::string gz = compress(plain, 31);
    std::string s = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (std::size_t i = 0; i < gz.size(); i += 1) {   // one byte per chunk
        s += "1\r\n";
        s += gz[i];
        s += "\r\n";
    }
    s += "0\r\n\r\n";
    const auto bodies = run(s);
    ASSERT_EQ(bodies.size(), 1u);
    EXPECT_EQ(bodies[0].data, plain);
}

TEST(HttpBody, KeepCompressed) {
    const std::string gz = compress(html150(), 31);
    HttpBodyOptions opt;
    opt.keep_compressed = true;
    const auto bodies = run("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n"
                            "Content-Length: " + std::to_string(gz.size()) + "\r\n\r\n" + gz, opt);
    ASSERT_EQ(bodies.size(), 1u);
    EXPECT_FALSE(bodies[0].decoded);
    EXPECT_EQ(bodies[0].ext, "html");
    EXPECT_EQ(bodies[0].data, gz);
}

TEST(HttpBody, ThreeKeepAliveResponses) {
    const auto bodies = run(three_responses());
    ASSERT_EQ(bodies.size(), 3u);
    EXPECT_EQ(bodies[0].ext, "html");
    EXPECT_EQ(bodies[0].data.size(), 150u);
    EXPECT_EQ(bodies[0].data, html150());
    EXPECT_EQ(bodies[1].ext, "png");
    EXPECT_EQ(bodies[1].data.size(), 8u);
    EXPECT_EQ(bodies[2].ext, "txt");
    EXPECT_EQ(bodies[2].data, "hello world");
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(bodies[i].index, i + 1);
}

TEST(HttpBody, NoBodyStatusesAndUntilEnd) {
    const auto bodies = run("HTTP/1.1 100 Continue\r\n\r\n"
                            "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"
                            "HTTP/1.1 204 No Content\r\n\r\n"
                            "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"a\":1}");
    ASSERT_EQ(bodies.size(), 4u);
    EXPECT_EQ(bodies[0].data, "");
    EXPECT_EQ(bodies[1].data, "");
    EXPECT_EQ(bodies[2].data, "");
    EXPECT_EQ(bodies[3].data, "{\"a\":1}");
    EXPECT_EQ(bodies[3].ext, "json");
}

TEST(HttpBody, StopsAtUpgrade) {
    const auto bodies = run("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"
                            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nno");
    ASSERT_EQ(bodies.size(), 1u);
    EXPECT_EQ(bodies[0].status, 101);
    EXPECT_EQ(bodies[0].data, "");
}

TEST(HttpBody, TruncatedBodyIsPartial) {
    const auto bodies = run("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this");
    ASSERT_EQ(bodies.size(), 1u);
    EXPECT_EQ(bodies[0].data, "only this");
    EXPECT_TRUE(bodies[0].truncated);
}

TEST(HttpBody, TruncatedGzipIsPartial) {
    std::string plain;
    for (int i = 0; i < 2000; ++i) plain += std::to_string(i * 7919) + ",";
    const std::string gz = compress(plain, 31);
    const std::string cut = gz.substr(0, gz.size() / 2);
    const auto bodies = run("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " +
                            std::to_string(gz.size()) + "\r\n\r\n" + cut);
    ASSERT_EQ(bodies.size(), 1u);
    EXPECT_TRUE(bodies[0].truncated);
    EXPECT_FALSE(bodies[0].data.empty());
    EXPECT_EQ(plain.substr(0, bodies[0].data.size()), bodies[0].data);
}

TEST(HttpBody, GarbageYieldsNothing) {
    EXPECT_TRUE(run("GET / HTTP/1.1\r\nHost: x\r\n\r\n").empty());
    EXPECT_TRUE(run("HTTP/1.1 2x0 OK\r\n\r\n").empty());
    EXPECT_TRUE(run("").empty());
    EXPECT_TRUE(run(std::string(100000, '\0')).empty());
    EXPECT_TRUE(run("HTTP/1.1 200 OK\r\n" + std::string(200000, 'h')).empty());   // headers never end
    EXPECT_TRUE(run("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab").empty());
    // Corrupt gzip: body begins, nothing decoded, marked truncated, no crash.
    const auto bad = run("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 10\r\n\r\n\x1f\x8bgarbage!");
    ASSERT_EQ(bad.size(), 1u);
    EXPECT_TRUE(bad[0].truncated);
    // Absurd chunk sizes.
    const auto huge = run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nabc");
    ASSERT_EQ(huge.size(), 1u);
    EXPECT_TRUE(huge[0].data.empty());
    const auto big = run("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffff\r\nabc");
    ASSERT_EQ(big.size(), 1u);
    EXPECT_EQ(big[0].data, "abc");
    EXPECT_TRUE(big[0].truncated);
}

TEST(HttpBody, DecompressionBombIsCapped) {
    const std::string plain(8 * 1024 * 1024, '\0');
    const std::string gz = compress(plain, 31);
    ASSERT_LT(gz.size(), 64u * 1024);
    HttpBodyOptions opt;
    opt.max_body_output = 1 * 1024 * 1024;
    opt.output_chunk = 4096;
    std::uint64_t total = 0;
    std::size_t largest = 0;
    bool truncated = false;
    const std::string stream = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + gz;
    extract_http_bodies(as_bytes(stream), opt, [&](const HttpBodyEvent& ev) {
        if (ev.kind == HttpBodyEventKind::data) {
            total += ev.data.size();
            largest = std::max(largest, ev.data.size());
        }
        if (ev.kind == HttpBodyEventKind::end) truncated = ev.truncated;
    });
    EXPECT_EQ(total, opt.max_body_output);
    EXPECT_LE(largest, 4096u);
    EXPECT_TRUE(truncated);
}

TEST(HttpBody, EveryTruncationOfValidStreamIsSafe) {
    const std::string full = three_responses();
    for (std::size_t n = 0; n <= full.size(); ++n) {
        const auto bodies = run(std::string_view{full}.substr(0, n));
        ASSERT_LE(bodies.size(), 3u);
        for (std::size_t i = 0; i < bodies.size(); ++i) EXPECT_EQ(bodies[i].index, i + 1);
        if (bodies.size() == 3 && !bodies[2].truncated) {
            EXPECT_EQ(bodies[2].data, "hello world");
        }
    }
    // And every single-byte corruption.
    for (std::size_t i = 0; i < full.size(); ++i) {
        std::string bad = full;
        bad[i] = static_cast<char>(bad[i] ^ 0x5a);
        (void)run(bad);
    }
}

// Body file names are part of the drop-in promise: 1.6.1's table, also where it differs from
// common practice (video/mp4 is .m4v there, audio/mpeg .mpga; octet-stream gets none).
TEST(HttpBody, ExtensionsAreThoseOf161) {
    EXPECT_TRUE(mime_table_is_sorted());
    EXPECT_EQ(extension_for_content_type("video/mp4"), "m4v");
    EXPECT_EQ(extension_for_content_type("audio/mpeg"), "mpga");
    EXPECT_EQ(extension_for_content_type("application/vnd.ms-excel"), "xls");
    for (const char* none : {"application/octet-stream", "text/xml", "text/javascript", "application/x-javascript",
                             "font/woff2", "application/gzip", "application/x-gzip", "image/vnd.microsoft.icon"})
        EXPECT_EQ(extension_for_content_type(none), "") << none;
    EXPECT_EQ(extension_for_content_type("Video/MP4 ; codecs=x"), "m4v");
    EXPECT_EQ(extension_for_content_type(std::string(300, 'a')), "");
}

TEST(HttpBody, Extensions) {
    EXPECT_EQ(extension_for_content_type("text/html; charset=utf-8"), "html");
    EXPECT_EQ(extension_for_content_type("IMAGE/JPEG"), "jpg");
    EXPECT_EQ(extension_for_content_type("image/gif"), "gif");
    EXPECT_EQ(extension_for_content_type("application/javascript"), "js");
    EXPECT_EQ(extension_for_content_type("application/pdf"), "pdf");
    EXPECT_EQ(extension_for_content_type("application/xml"), "xml");
    EXPECT_EQ(extension_for_content_type("text/css"), "css");
    EXPECT_EQ(extension_for_content_type("application/x-unknown"), "");
    EXPECT_EQ(extension_for_content_type(""), "");
    EXPECT_TRUE(looks_like_http_response(as_bytes("HTTP/1.1 200 OK")));
    EXPECT_FALSE(looks_like_http_response(as_bytes("GET / HTTP/1.1")));
}
