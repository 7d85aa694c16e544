// tls_flow_report.h: what TLS decryption (--tls-keylog) found in one flow direction, as the
// report (<tls/>) and the flow index ("tls") write it. Plain data: the TLS sink fills it in from
// tls::Session's facts; FlowInfo::tls points to it.
#pragma once

#include <cstdint>
#include <string>

namespace tcpflow {

struct TlsFlowReport {
    bool is_tls = false;                 ///< a ClientHello or ServerHello was parsed
    std::string version;                 ///< "TLS 1.2", "TLS 1.3"; "" = unknown
    std::string cipher_suite;            ///< IANA name; "" = unknown
    std::string sni, alpn;               ///< "" = absent
    std::uint64_t records = 0;           ///< TLS records seen in this direction
    std::uint64_t decrypted_bytes = 0;   ///< application data plaintext bytes (the .tls file's size)
    std::uint64_t auth_failures = 0;     ///< records that failed authentication
    std::string stop = "none";           ///< why decryption of this direction stopped (tls::stop_name)
    std::uint64_t stop_offset = 0;       ///< offset in the raw stream where it stopped
    std::string file;                    ///< the plaintext file written; "" = none
};

}  // namespace tcpflow
