// fuzz_http_body: a fuzzed server-to-client byte stream into the HTTP body parser and zlib
// (src/content/http_body.cpp, what -e http runs on every closed flow). Byte 0 picks the options
// (-Z, small output pieces, a small per-body cap); the rest is the stream. Checked on every input:
// events come as begin, data..., end with rising response numbers; no data piece is larger than
// output_chunk; the bytes delivered add up to end.body_size, which never passes max_body_output;
// the return value is the number of responses seen.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "tcpflow/content/http_body.h"

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_http_body: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::uint8_t cfg = data[0];
    tcpflow::HttpBodyOptions opt;
    opt.keep_compressed = (cfg & 1) != 0;
    if (cfg & 2) opt.output_chunk = 1 + (cfg >> 4);       // 1..16 byte pieces
    if (cfg & 4) opt.max_body_output = 64u << (cfg >> 5);  // 64 B .. 8 KiB per body
    else opt.max_body_output = 1u << 20;                   // bombs cost time, keep them cheap here
    if (cfg & 8) opt.max_header_bytes = 256;

    std::size_t responses = 0;
    bool open = false;
    std::uint64_t delivered = 0;
    const tcpflow::Bytes stream{data + 1, size - 1};
    const std::size_t n = tcpflow::extract_http_bodies(stream, opt, [&](const tcpflow::HttpBodyEvent& ev) {
        switch (ev.kind) {
            case tcpflow::HttpBodyEventKind::begin:
                if (open) fail("begin inside a body");
                if (ev.index <= responses) fail("response numbers do not rise");
                if (ev.body_offset > stream.size()) fail("body offset past the stream");
                responses = ev.index;
                open = true;
                delivered = 0;
                break;
            case tcpflow::HttpBodyEventKind::data:
                if (!open) fail("data outside a body");
                if (ev.data.size() == 0 || ev.data.size() > opt.output_chunk) fail("data piece size");
                delivered += ev.data.size();
                break;
            case tcpflow::HttpBodyEventKind::end:
                if (!open) fail("end without begin");
                if (ev.body_size != delivered) fail("body_size is not the bytes delivered");
                if (ev.body_size > opt.max_body_output) fail("body larger than max_body_output");
                open = false;
                break;
        }
    });
    if (open) fail("a body was left open");
    if (n != responses) fail("the count returned is not the responses begun");
    return 0;
}
