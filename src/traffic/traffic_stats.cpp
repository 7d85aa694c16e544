#include "tcpflow/traffic/traffic_stats.h"

#include <algorithm>

namespace tcpflow {

TrafficStats::TrafficStats(TrafficConfig config)
    : tdelta_ns_{config.tdelta_ns},
      sources_{config.address_capacity},
      destinations_{config.address_capacity},
      src_ports_(65536, 0),
      dst_ports_(65536, 0) {}

void TrafficStats::add(Timestamp ts, std::uint32_t wire_len, DecodeStatus status, const DecodedPacket& pkt,
                       const Prepared& prepared) noexcept {
    const Timestamp t{ts.ns + tdelta_ns_};
    if (packets_ == 0 || t < first_) first_ = t;
    if (packets_ == 0 || t > last_) last_ = t;
    ++packets_;
    bytes_ += wire_len;
    int service_port = -1;
    if (pkt.ip_version != 0) {
        (pkt.ip_version == 4 ? ipv4_bytes_ : ipv6_bytes_) += wire_len;
        sources_.add(pkt.src, wire_len, prepared.src_hash);
        destinations_.add(pkt.dst, wire_len, prepared.dst_hash);
        if (status == DecodeStatus::transport) {
            port_bytes_ += wire_len;
            src_ports_[pkt.sport] += wire_len;
            dst_ports_[pkt.dport] += wire_len;
            service_port = std::min(pkt.sport, pkt.dport);
        }
    }
    histogram_.add(t.ns, wire_len, service_port);
}

std::vector<PortBytes> TrafficStats::top(const std::vector<std::uint64_t>& counts, std::size_t n) {
    std::vector<PortBytes> v;
    for (std::size_t p = 0; p < counts.size(); ++p)
        if (counts[p] != 0) v.push_back(PortBytes{static_cast<std::uint16_t>(p), counts[p]});
    const auto more = [](const PortBytes& a, const PortBytes& b) {
        return a.bytes != b.bytes ? a.bytes > b.bytes : a.port < b.port;
    };
    n = std::min(n, v.size());
    std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end(), more);
    v.resize(n);
    return v;
}

}  // namespace tcpflow
