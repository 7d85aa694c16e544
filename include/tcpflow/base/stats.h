// stats.h: one named counter per thing skipped or noticed (Zeek "weird" style). A bad packet is
// counted and skipped, never fatal; the counters are printed with -v and go into the report.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace tcpflow {

#define TCPFLOW_COUNTERS(X)                                                               \
    X(packets)                   /* records handed to the decoder */                     \
    X(tcp_segments)              /* TCP segments that reached the flow table */          \
    X(udp_datagrams)             /* UDP datagrams that reached the flow table (--udp) */ \
    X(unknown_link_type)                                                                 \
    X(truncated_link_header)                                                             \
    X(unknown_ethertype)                                                                 \
    X(not_ip)                    /* link payload that is not IP (ARP, LLC, ...) */       \
    X(wifi_non_data)             /* 802.11 management/control/null/protected frames */  \
    X(bad_fcs)                   /* 802.11 frames whose FCS is wrong (-S check_fcs) */   \
    X(truncated_ip_header)                                                               \
    X(bad_ip_version)                                                                    \
    X(bad_ip_header_length)                                                              \
    X(bad_ip_total_length)                                                               \
    X(bad_ipv6_extension_header)                                                         \
    X(not_tcp)                   /* IP carrying UDP, ICMP, ... (not a tunnel) */         \
    X(truncated_tcp_header)                                                              \
    X(bad_tcp_header_length)                                                             \
    X(truncated_udp_header)      /* --udp: a UDP header cut short */                     \
    X(truncated_tunnel_header)                                                           \
    X(tunnel_too_deep)                                                                   \
    X(fragments_received)                                                                \
    X(fragments_reassembled)     /* datagrams completed */                               \
    X(fragments_overlapping)                                                             \
    X(fragments_expired)         /* incomplete datagrams given up (time or memory) */    \
    X(fragments_bad)                                                                     \
    X(snaplen_truncated_bytes)   /* payload bytes the capture cut off (left as holes) */ \
    X(keepalives)                                                                        \
    X(duplicate_bytes)                                                                   \
    X(conflicting_bytes)                                                                 \
    X(data_before_isn_dropped)                                                           \
    X(data_after_reset_dropped)                                                          \
    X(rst_accepted)                                                                      \
    X(rst_outside_window)                                                                \
    X(sequence_jumps)            /* -m: new file started */                              \
    X(connections_reused)        /* new SYN with a new ISN on a known 4-tuple */          \
    X(flows_timed_out)                                                                   \
    X(holes_given_up)            /* holes abandoned at the memory limit */               \
    X(bytes_over_limit)          /* bytes beyond -b */                                   \
    X(packets_ignored_resume)    /* -R: packets of unknown flows */                      \
    X(write_errors)

enum class Counter : std::uint16_t {
#define TCPFLOW_ENUM(name) name,
    TCPFLOW_COUNTERS(TCPFLOW_ENUM)
#undef TCPFLOW_ENUM
    count_
};

constexpr std::size_t kCounterCount = static_cast<std::size_t>(Counter::count_);

[[nodiscard]] std::string_view counter_name(Counter c) noexcept;

struct Stats {
    std::array<std::uint64_t, kCounterCount> values{};
    void add(Counter c, std::uint64_t n = 1) noexcept { values[static_cast<std::size_t>(c)] += n; }
    [[nodiscard]] std::uint64_t get(Counter c) const noexcept { return values[static_cast<std::size_t>(c)]; }
    void merge(const Stats& other) noexcept {
        for (std::size_t i = 0; i < kCounterCount; ++i) values[i] += other.values[i];
    }
};

}  // namespace tcpflow
