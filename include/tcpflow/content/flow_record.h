// flow_record.h: one line of the flow index (--flow-index): a connection, both directions, as a
// JSON object (docs/flow-index.schema.json is the contract; man/tcpflow.1 documents each field).
// Core module: pure, from the facts the flow table and the finisher gathered to a string.
//
// The client is the direction that sent the SYN (without ACK); else the other side of the one
// that sent a SYN-ACK; else the direction whose first packet came first. A direction that never
// carried a packet is written with zero counts, its endpoint taken from the other one.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tcpflow/flow/flow_sink.h"

namespace tcpflow {

/// An HTTP body carved out of a direction (-e http).
struct FlowRecordBody {
    std::string file;                  ///< relative to the output folder
    std::string content_type;          ///< media type, "" = none
    std::uint64_t offset = 0;          ///< stream offset of the body's first byte
    std::uint64_t size = 0;            ///< decoded bytes
};

/// What the finisher found in a closed direction's file.
struct FlowRecordExtras {
    std::string md5_hex;               ///< -e md5; "" = not computed
    std::string sha256_hex;            ///< -S hash=sha256; "" = not computed
    std::vector<FlowRecordBody> http_bodies;
};

struct FlowRecordSide {
    const FlowInfo* info = nullptr;    ///< null: the direction carried no packet
    const FlowSummary* summary = nullptr;
    std::string_view file;             ///< flow file relative to the output folder; "" = none (null)
    const FlowRecordExtras* extras = nullptr;
    std::string_view tls_file;         ///< --tls-keylog: the .tls file relative to the folder; "" = none
};

struct FlowRecordSettings {
    bool nanoseconds = false;          ///< timestamps with 9 fraction digits (else 6)
    bool md5 = false;                  ///< write "md5" (null when there is no file)
    bool sha256 = false;               ///< write "sha256"
    bool http = false;                 ///< write "http" (the bodies)
    bool tls = false;                  ///< --tls-keylog: write "tls" and each direction's tls_* fields
};

/// Most hole ranges listed per direction ("count" and "bytes" cover all of them).
inline constexpr std::size_t kRecordHoleRanges = 32;

/// Appends the record of connection `end.id` (one JSON object, no newline). `side[d]` is the
/// direction `end.info[d]`.
void append_flow_record(std::string& out, const ConnectionEnd& end, const FlowRecordSide (&side)[2],
                        const FlowRecordSettings& settings);

/// Appends `text` as a JSON string (quotes included). Bytes that are not valid UTF-8 are written
/// as \u00XX (the byte read as Latin-1), so every record is valid JSON.
void append_json_string(std::string& out, std::string_view text);

/// "2020-09-13T12:26:40.001000Z" (6 fraction digits) or with 9 when `nanoseconds`.
void append_rfc3339(std::string& out, Timestamp ts, bool nanoseconds);

}  // namespace tcpflow
