// End to end: compressed captures (gzip, bzip2, xz, zstd, lz4), recognised by their content, read
// with -r FILE and -r - (a redirected file and a pipe) give the flow files of the capture itself;
// damaged ones end with exit 1 and a message naming the file, after writing what came before.
// Captures are built and compressed by the test (with the libraries, not the programs).
#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <string>
#include <vector>

#include "support/compress.h"
#include "support/packet_builder.h"
#include "support/pcap_writer.h"
#include "support/run.h"

namespace tcpflow::test {
namespace {

using namespace flag_bits;
constexpr int kConns = 6, kChunks = 400;

/// What every test reads: a capture of kConns connections one after another, each sending
/// kChunks chunks of 1,000 pseudo-random bytes (2.4 MB that compress little, so a cut or a flipped
/// byte in the middle of the compressed file is in the middle of the capture), and the flow files
/// tcpflow writes for it uncompressed.
struct Fixture {
    TempDir dir;
    ByteVec capture;
    std::map<std::string, std::string> flows;
    std::map<Compression, ByteVec> compressed;

    Fixture() {
        Capture cap;
        std::uint32_t x = 12345;
        for (int c = 0; c < kConns; ++c) {
            const auto port = static_cast<std::uint16_t>(3000 + c);
            cap.add(eth_tcp(seg(true, 100, SYN, "", port, 1)));
            std::uint32_t seq = 101;
            for (int i = 0; i < kChunks; ++i, seq += 1000) {
                std::string chunk(1000, '\0');
                for (auto& ch : chunk) {
                    x = x * 1664525u + 1013904223u;
                    ch = static_cast<char>(x >> 24);
                }
                cap.add(eth_tcp(seg(true, seq, PA, chunk, port, 1)));
            }
            cap.add(eth_tcp(seg(true, seq, FIN | ACK, "", port, 1)));
        }
        cap.write(dir / "plain.pcap");
        capture = read_bytes(dir / "plain.pcap");
        const auto r = run_tcpflow({"-r", dir / "plain.pcap", "-o", dir / "plain"});
        if (r.exit_code != 0) throw std::runtime_error("the plain capture fails: " + r.err);
        flows = files(dir / "plain");
        for (Compression kind : all_compressions()) compressed[kind] = compress(kind, capture);
    }
};

Fixture& fixture() {
    static Fixture f;
    return f;
}

std::string sh_quote(const std::string& s) { return "'" + s + "'"; }

/// `cat FILE | tcpflow ARGS`: standard input is a pipe.
RunResult run_from_pipe(const std::string& file, const std::string& args) {
    return run_program({"/bin/sh", "-c", "cat " + sh_quote(file) + " | exec " + sh_quote(TCPFLOW_BINARY) + " " + args});
}

class Compressed : public ::testing::TestWithParam<Compression> {
protected:
    [[nodiscard]] std::string name() const { return std::string(compression_name(GetParam())); }
    /// The compressed capture (possibly altered) written to a file of this test.
    std::string file(const ByteVec& bytes, const std::string& stem = "cap") {
        const std::string path = tmp / (stem + ".pcap." + compression_suffix(GetParam()));
        write_bytes(path, bytes);
        return path;
    }
    TempDir tmp;
};

std::string param_name(const ::testing::TestParamInfo<Compression>& info) {
    return std::string(compression_name(info.param));
}

TEST_P(Compressed, ReadFromAFileLikeTheCaptureItself) {
    const Fixture& f = fixture();
    const std::string cap = file(f.compressed.at(GetParam()));
    const auto r = run_tcpflow({"-r", cap, "-o", tmp / "out"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.err, "");
    EXPECT_EQ(files(tmp / "out"), f.flows);
}

TEST_P(Compressed, ReadFromStandardInputRedirectedAndPiped) {
    const Fixture& f = fixture();
    const std::string cap = file(f.compressed.at(GetParam()));
    const auto r = run_tcpflow({"-r", "-", "-o", tmp / "redirected"}, cap);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(files(tmp / "redirected"), f.flows);
    const auto p = run_from_pipe(cap, "-r - -o " + sh_quote(tmp / "piped"));
    ASSERT_EQ(p.exit_code, 0) << p.err;
    EXPECT_EQ(p.err, "");
    EXPECT_EQ(files(tmp / "piped"), f.flows);
}

// Bug: -w and -K looked at the input file's first bytes by name to choose the timestamp
// precision, so a compressed (or piped) microsecond capture was written in nanoseconds.
TEST_P(Compressed, WAndKWriteTheCapturesMicroseconds) {
    const Fixture& f = fixture();
    const std::string cap = file(f.compressed.at(GetParam()));
    const std::string micro_le = "\xd4\xc3\xb2\xa1";
    auto magic = [](const std::string& path) { return read_file(path).substr(0, 4); };
    auto r = run_tcpflow({"-r", cap, "-o", tmp / "out", "-w", tmp / "unused.pcap"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(magic(tmp / "unused.pcap"), micro_le);
    r = run_tcpflow({"-r", "-", "-K", "-o", tmp / "k"}, cap);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto flows = files(tmp / "k");
    ASSERT_FALSE(flows.empty());
    for (const auto& [path, content] : flows) EXPECT_EQ(content.substr(0, 4), micro_le) << path;
}

// Bug: the flow index and the conversation files looked at each -r file's first bytes by name for
// the precision, so a compressed microsecond capture (or one on standard input) got 9 fraction
// digits; a compressed nanosecond capture must keep 9.
TEST_P(Compressed, FlowIndexAndConversationTimesHaveTheCapturesPrecision) {
    std::vector<Record> recs;
    for (const TcpSpec& t : {seg(true, 100, SYN, ""), seg(false, 500, SYN | ACK, "", 1234, 101),
                             seg(true, 101, PA, "hello", 1234, 501), seg(false, 501, PA, "world", 1234, 106)})
        recs.push_back(Record{1600000000, static_cast<std::int64_t>(recs.size() * 1000 + 123), eth_tcp(t), 0});
    auto times = [](const std::string& dir) {
        const std::string index = read_file(dir + "/flows.jsonl"), conv = read_file(dir + "/" +
            flow_name("10.0.0.1", 1234, "10.0.0.2", 80) + ".conversation");
        std::string digits;
        for (const std::string* text : {&index, &conv}) {
            const std::regex time(R"(T12:26:40\.(\d+)Z)");
            for (auto it = std::sregex_iterator(text->begin(), text->end(), time); it != std::sregex_iterator(); ++it)
                digits += std::to_string((*it)[1].length());
        }
        return digits;
    };
    for (const bool nano : {false, true}) {
        write_pcap(tmp / "plain.pcap", 1, recs, 262144, nano);
        const std::string cap = file(compress(GetParam(), read_bytes(tmp / "plain.pcap")), nano ? "nano" : "micro");
        const std::string out = tmp / (nano ? "nano" : "micro"), piped = out + "-piped";
        const auto r = run_tcpflow({"-r", cap, "-o", out, "--flow-index", "--conversation"});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto p = run_from_pipe(cap, "-r - --flow-index --conversation -o " + sh_quote(piped));
        ASSERT_EQ(p.exit_code, 0) << p.err;
        // Index: the record's first/last and each direction's (6); conversation: a header per run (2).
        const std::string want(8, nano ? '9' : '6');
        EXPECT_EQ(times(out), want) << read_file(out + "/flows.jsonl");
        EXPECT_EQ(times(piped), want) << read_file(piped + "/flows.jsonl");
        if (!nano) {
            EXPECT_NE(read_file(out + "/flows.jsonl").find("\"first\":\"2020-09-13T12:26:40.000123Z\""), std::string::npos);
        }
    }
}

TEST_P(Compressed, ConcatenatedStreamsAreOneCapture) {
    // `cat part1.gz part2.gz`, the capture cut at an arbitrary byte (multi-member gzip and its like).
    const Fixture& f = fixture();
    const auto cut = static_cast<std::ptrdiff_t>(f.capture.size() / 3 + 7);
    ByteVec z = compress(GetParam(), ByteVec(f.capture.begin(), f.capture.begin() + cut));
    const ByteVec second = compress(GetParam(), ByteVec(f.capture.begin() + cut, f.capture.end()));
    z.insert(z.end(), second.begin(), second.end());
    const std::string cap = file(z);
    const auto r = run_tcpflow({"-r", cap, "-o", tmp / "out"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(files(tmp / "out"), f.flows);
    const auto p = run_from_pipe(cap, "-r - -o " + sh_quote(tmp / "piped"));
    ASSERT_EQ(p.exit_code, 0) << p.err;
    EXPECT_EQ(files(tmp / "piped"), f.flows);
}

/// Every flow file written is the start of the capture's own; at least one is whole.
void expect_prefix_of_flows(const std::map<std::string, std::string>& got) {
    const Fixture& f = fixture();
    ASSERT_FALSE(got.empty()) << "what came before the damage is written";
    int whole = 0;
    for (const auto& [path, content] : got) {
        ASSERT_TRUE(f.flows.contains(path)) << path;
        const std::string& full = f.flows.at(path);
        EXPECT_EQ(full.compare(0, content.size(), content), 0) << path << " is not the start of the flow";
        whole += content == full;
    }
    EXPECT_GE(whole, 1);
}

TEST_P(Compressed, TruncatedFileWritesWhatCameBeforeAndExits1) {
    const Fixture& f = fixture();
    const ByteVec& z = f.compressed.at(GetParam());
    const std::string cap = file(ByteVec(z.begin(), z.begin() + static_cast<std::ptrdiff_t>(z.size() / 2)));
    const auto r = run_tcpflow({"-r", cap, "-o", tmp / "out"});
    EXPECT_EQ(r.exit_code, 1);
    const std::string want = "tcpflow: " + cap + ": " + name() + " data is truncated: the input ends inside it, after " +
                             std::to_string(z.size() / 2) + " compressed bytes, ";
    EXPECT_EQ(r.err.rfind(want, 0), 0u) << r.err;
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << r.err;
    expect_prefix_of_flows(files(tmp / "out"));
    // The same through a pipe.
    const auto p = run_from_pipe(cap, "-r - -o " + sh_quote(tmp / "piped"));
    EXPECT_EQ(p.exit_code, 1);
    EXPECT_EQ(p.err.rfind("tcpflow: -: " + name() + " data is truncated: ", 0), 0u) << p.err;
    EXPECT_EQ(files(tmp / "piped"), files(tmp / "out"));
}

TEST_P(Compressed, CorruptFileIsAnErrorNamingTheFile) {
    const Fixture& f = fixture();
    ByteVec z = f.compressed.at(GetParam());
    z[z.size() * 3 / 4] ^= 0x55;
    const std::string cap = file(z);
    const auto r = run_tcpflow({"-r", cap, "-o", tmp / "out"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err.rfind("tcpflow: " + cap + ": " + name() + " data is corrupt after ", 0), 0u) << r.err;
    EXPECT_FALSE(files(tmp / "out").empty()) << "what came before the damage is written";
}

TEST_P(Compressed, ContentThatIsNotACaptureIsLibpcapsUnknownFormat) {
    const std::string text = "this is not a capture, only words long enough to fill a header\n";
    const std::string cap = file(compress(GetParam(), ByteVec(text.begin(), text.end())), "text");
    const auto r = run_tcpflow({"-r", cap, "-o", tmp / "out"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "tcpflow: " + cap + ": " + name() + ": unknown file format\n");
    const auto p = run_tcpflow({"-r", "-", "-o", tmp / "out"}, cap);
    EXPECT_EQ(p.exit_code, 1);
    EXPECT_EQ(p.err, "tcpflow: -: " + name() + ": unknown file format\n");
}

INSTANTIATE_TEST_SUITE_P(Each, Compressed, ::testing::ValuesIn(all_compressions()), param_name);

TEST(CompressedByContent, TheNameDecidesNothing) {
    const Fixture& f = fixture();
    TempDir tmp;
    write_bytes(tmp / "plain.gz", f.capture);
    write_bytes(tmp / "zstd.pcap", f.compressed.at(Compression::zstd));
    const auto r = run_tcpflow({"-r", tmp / "plain.gz", "-o", tmp / "a"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(files(tmp / "a"), f.flows);
    const auto s = run_tcpflow({"-r", tmp / "zstd.pcap", "-o", tmp / "b"});
    ASSERT_EQ(s.exit_code, 0) << s.err;
    EXPECT_EQ(files(tmp / "b"), f.flows);
}

TEST(CompressedByContent, PlainCaptureOnAPipeIsReadAsBefore) {
    const Fixture& f = fixture();
    TempDir tmp;
    const auto p = run_from_pipe(f.dir / "plain.pcap", "-r - -o " + sh_quote(tmp / "out"));
    ASSERT_EQ(p.exit_code, 0) << p.err;
    EXPECT_EQ(files(tmp / "out"), f.flows);
}

TEST(CompressedByContent, SeveralFilesOfDifferentKindsFormOneCapture) {
    // A flow that spans -r files continues, whatever each file's compression.
    const Fixture& f = fixture();
    TempDir tmp;
    // Cut near the middle at a record boundary: walk the records (16-byte headers, little-endian
    // caplen). The second file gets a pcap header of its own: the capture's first 24 bytes.
    std::size_t pos = 24;
    while (pos < f.capture.size() / 2) {
        const std::size_t caplen = f.capture[pos + 8] | f.capture[pos + 9] << 8 | f.capture[pos + 10] << 16 |
                                   static_cast<std::size_t>(f.capture[pos + 11]) << 24;
        pos += 16 + caplen;
    }
    const ByteVec first(f.capture.begin(), f.capture.begin() + static_cast<std::ptrdiff_t>(pos));
    ByteVec second(f.capture.begin(), f.capture.begin() + 24);
    second.insert(second.end(), f.capture.begin() + static_cast<std::ptrdiff_t>(pos), f.capture.end());
    write_bytes(tmp / "one", compress(Compression::xz, first));
    write_bytes(tmp / "two", compress(Compression::lz4, second));
    const auto r = run_tcpflow({"-r", tmp / "one", "-r", tmp / "two", "-o", tmp / "out"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(files(tmp / "out"), f.flows);
}

}  // namespace
}  // namespace tcpflow::test
