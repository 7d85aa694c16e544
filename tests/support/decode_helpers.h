// decode_helpers.h: small frame builders for the link layers and tunnels the decoder handles,
// and the "every truncation is rejected cleanly" check shared by the decoder tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "support/packet_builder.h"
#include "tcpflow/decode/decoder.h"

namespace tcpflow::test {

inline void put8(Frame& f, std::uint8_t v) { f.push_back(v); }
inline void put16be(Frame& f, std::uint16_t v) {
    f.push_back(static_cast<std::uint8_t>(v >> 8));
    f.push_back(static_cast<std::uint8_t>(v));
}
inline void put16le(Frame& f, std::uint16_t v) {
    f.push_back(static_cast<std::uint8_t>(v));
    f.push_back(static_cast<std::uint8_t>(v >> 8));
}
inline void put32be(Frame& f, std::uint32_t v) {
    put16be(f, static_cast<std::uint16_t>(v >> 16));
    put16be(f, static_cast<std::uint16_t>(v));
}
inline void put32le(Frame& f, std::uint32_t v) {
    put16le(f, static_cast<std::uint16_t>(v));
    put16le(f, static_cast<std::uint16_t>(v >> 16));
}
inline Frame cat(std::initializer_list<Frame> parts) {
    Frame f;
    for (const auto& p : parts) f.insert(f.end(), p.begin(), p.end());
    return f;
}

/// A standard segment: 10.0.0.1:1234 -> 10.0.0.2:80 (or IPv6 2001:db8::1 -> ::2), "hello".
inline TcpSpec spec4(std::string payload = "hello") {
    TcpSpec t;
    t.src = ip("10.0.0.1");
    t.dst = ip("10.0.0.2");
    t.seq = 1000;
    t.ack = 2000;
    t.payload = std::move(payload);
    return t;
}
inline TcpSpec spec6(std::string payload = "hello") {
    TcpSpec t = spec4(std::move(payload));
    t.src = ip("2001:db8::1");
    t.dst = ip("2001:db8::2");
    return t;
}

/// Sum of all counters except `packets`.
inline std::uint64_t reasons(const Stats& s) {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < kCounterCount; ++i) {
        if (static_cast<Counter>(i) != Counter::packets) n += s.values[i];
    }
    return n;
}

/// A decoder with its own budget and stats, for one test.
struct Harness {
    MemoryBudget budget{1u << 26};
    Stats stats;
    Decoder decoder;
    explicit Harness(DecoderLimits limits = {}) : decoder{limits, budget, stats} {}
    DecodeStatus decode(LinkType link, const Frame& f, DecodedPacket& out, std::int64_t ts_ns = 0) {
        return decoder.decode(link, bytes(f), Timestamp{ts_ns}, out);
    }
};

/// Decodes `f` and checks the standard segment (spec4/spec6 with `payload`).
inline void expect_segment(LinkType link, const Frame& f, const TcpSpec& t) {
    Harness h;
    DecodedPacket out;
    ASSERT_EQ(h.decode(link, f, out), DecodeStatus::transport);
    EXPECT_EQ(out.src, t.src);
    EXPECT_EQ(out.dst, t.dst);
    EXPECT_EQ(out.sport, t.sport);
    EXPECT_EQ(out.dport, t.dport);
    EXPECT_EQ(out.tcp.seq, t.seq);
    EXPECT_EQ(out.tcp.ack, t.ack);
    EXPECT_EQ(out.tcp.flags, t.flags);
    EXPECT_EQ(out.tcp.window, t.window);
    EXPECT_EQ(out.claimed_len, t.payload.size());
    EXPECT_EQ(std::string(out.payload.begin(), out.payload.end()), t.payload);
    EXPECT_EQ(reasons(h.stats), 0u);
}

/// Feeds every prefix of `f` (lengths 0..n-1), each in its own exactly-sized buffer: each must be
/// rejected with exactly one counter, or decode as TCP with a shorter payload (the snaplen cut
/// only payload) whose claimed length is still the full one.
inline void expect_truncations_clean(LinkType link, const Frame& f, std::size_t full_payload) {
    for (std::size_t n = 0; n < f.size(); ++n) {
        Harness h;
        const Frame cut(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n));
        DecodedPacket out;
        const DecodeStatus st = h.decode(link, cut, out);
        if (st == DecodeStatus::transport) {
            EXPECT_LT(out.payload.size(), full_payload) << "prefix " << n;
            EXPECT_EQ(out.claimed_len, full_payload) << "prefix " << n;
            EXPECT_EQ(reasons(h.stats), 0u) << "prefix " << n;
        } else {
            EXPECT_TRUE(st == DecodeStatus::malformed || st == DecodeStatus::no_transport) << "prefix " << n;
            EXPECT_EQ(reasons(h.stats), 1u) << "prefix " << n;
        }
        EXPECT_EQ(h.stats.get(Counter::packets), 1u);
    }
}

}  // namespace tcpflow::test
