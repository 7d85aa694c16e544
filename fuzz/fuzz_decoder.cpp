// fuzz_decoder: Decoder::decode on arbitrary frames, over every LinkType.
// Input: byte 0 picks the link type (modulo the number of types), the rest is the frame. Several
// frames per input (split on a 0xFF 0x00 0xFF marker) so fragment reassembly state is exercised too.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "tcpflow/decode/decoder.h"
#include "tcpflow/base/memory_budget.h"
#include "tcpflow/base/stats.h"

using namespace tcpflow;

namespace {
constexpr unsigned kLinkTypes = static_cast<unsigned>(LinkType::nflog) + 1;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const auto link = static_cast<LinkType>(data[0] % kLinkTypes);
    MemoryBudget budget{256 * 1024};
    Stats stats;
    DecoderLimits limits;
    limits.max_fragment_datagrams = 64;
    Decoder decoder{limits, budget, stats};
    DecodedPacket pkt;
    const std::uint8_t* p = data + 1;
    const std::uint8_t* end = data + size;
    std::int64_t t = 1'600'000'000LL * kNsPerSec;
    while (p <= end) {
        const std::uint8_t* q = p;
        while (q + 3 <= end && !(q[0] == 0xFF && q[1] == 0x00 && q[2] == 0xFF)) ++q;
        if (q + 3 > end) q = end;
        const Bytes frame{p, static_cast<std::size_t>(q - p)};
        const DecodeStatus st = decoder.decode(link, frame, Timestamp{t}, pkt);
        if (st == DecodeStatus::transport) {
            // The payload never claims more than the IP header said, and lies inside the frame
            // or the decoder's own reassembly buffer (ASan checks the reads).
            if (pkt.payload.size() > pkt.claimed_len) std::abort();
            volatile std::uint8_t sink = 0;
            for (const std::uint8_t b : pkt.payload) sink = static_cast<std::uint8_t>(sink ^ b);
            (void)sink;
        }
        while (budget.over() && decoder.shed_oldest()) {
        }
        // The budget is the decoder's alone here: both must agree, and shedding must get under the limit.
        if (budget.used() != decoder.memory_used() || budget.over()) std::abort();
        t += 7 * kNsPerSec;
        decoder.expire(Timestamp{t});
        p = q + 3;
    }
    return 0;
}
