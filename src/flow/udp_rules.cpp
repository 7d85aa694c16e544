// udp_rules.cpp: UDP conversations (--udp, SPEC 4). A flow is one direction of a conversation; the
// side that sent the first datagram seen is the client. Each datagram's payload is appended to its
// direction in capture order (tshark's follow,udp,raw); the bytes a snaplen cut off are a hole,
// zero-filled and recorded, never invented; --udp-framing length puts a 2-byte big-endian length
// before each datagram. A conversation ends only by its idle timeout, a resource limit or the end
// of input (flow_table.cpp); a later datagram continues its file. See flow_table_impl.h.
#include <algorithm>
#include <cstring>

#include "flow_table_impl.h"

namespace tcpflow {

namespace {
constexpr std::uint64_t kMaxUdpHole = 0xffff;   // zero bytes written for one datagram's cut tail, at most
}  // namespace

void FlowTable::Impl::on_datagram(Connection& c, int d, const DecodedPacket& p, Timestamp ts, std::uint32_t wire_len,
                                  std::uint32_t cap_len) {
    Flow* f = c.dir[d].get();
    if (!f) {
        const bool first = !c.dir[1 - d];
        f = &new_flow(c, d, p, ts);
        f->info.client_to_server = first;
        f->first_seen_set = true;
    }
    f->now = ts;
    f->sum.packets++;
    f->sum.wire_bytes += wire_len;
    f->sum.captured_bytes += cap_len;
    f->sum.last_seen = ts;
    f->tcp.packets++;          // the flow is reported at close even when it carried nothing
    f->tcp.stored_any = true;  // remembered when it closes: a later datagram continues the file

    const bool framed = config.udp_length_framing;
    std::uint64_t claimed = p.claimed_len;
    if (framed && claimed > 0xffff) {   // a jumbogram does not fit a 2-byte length: cut, counted
        stats->add(Counter::bytes_over_limit, claimed - 0xffff);
        f->sum.dropped_bytes += claimed - 0xffff;
        claimed = 0xffff;
    }
    Bytes data = p.payload.first(static_cast<std::size_t>(std::min<std::uint64_t>(p.payload.size(), claimed)));
    // The zero fill is bounded per datagram: only an IPv6 jumbogram can claim more than 64 KiB,
    // and a hostile one could claim 4 GiB behind a few captured bytes.
    if (claimed - data.size() > kMaxUdpHole) {
        stats->add(Counter::bytes_over_limit, claimed - data.size() - kMaxUdpHole);
        f->sum.dropped_bytes += claimed - data.size() - kMaxUdpHole;
        claimed = data.size() + kMaxUdpHole;
    }
    const std::uint64_t cut = claimed - data.size();   // bytes the snaplen cut off
    if (cut) stats->add(Counter::snaplen_truncated_bytes, cut);
    const std::size_t prefix = framed ? 2 : 0;
    const std::uint64_t at = f->reasm.contiguous_end();
    Bytes block = data;
    if (prefix || cut) {
        // One block per datagram (a console prints it under one header): framing and zero fill
        // are composed in a buffer the table reuses.
        udp_block.resize(prefix + static_cast<std::size_t>(claimed));
        if (framed) {
            udp_block[0] = static_cast<std::uint8_t>(claimed >> 8);
            udp_block[1] = static_cast<std::uint8_t>(claimed & 0xff);
        }
        if (!data.empty()) std::memcpy(udp_block.data() + prefix, data.data(), data.size());
        std::fill(udp_block.begin() + static_cast<std::ptrdiff_t>(prefix + data.size()), udp_block.end(), std::uint8_t{0});
        block = Bytes{udp_block.data(), udp_block.size()};
    }
    if (block.empty()) return;
    (void)f->reasm.insert(at, block, *f);   // at the end of the stream: delivered at once
    f->sum.stored_bytes += data.size();
    if (cut) f->reasm.record_cut(at + prefix + data.size(), cut);
}

}  // namespace tcpflow
