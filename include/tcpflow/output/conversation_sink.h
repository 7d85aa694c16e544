// conversation_sink.h: conversation files (--conversation): one file per connection holding both
// directions in the order they were sent, each run of bytes behind a one-line header. Adapter: a
// FlowSink around the sink that writes the per-direction files (or one that stores nothing, for
// --conversation=only), which it passes everything on to.
//
// A run is what one direction delivered in a row: bytes at consecutive stream offsets, until the
// other direction sends or 64 KiB are gathered. Its header line is
//
//   ### client 10.0.0.1:1234 offset 0 length 18 time 2020-09-13T12:26:40.001000Z
//
// (sender: the side that sent the SYN, else the first to send data; its address and port, stream offset, length, the time of the packet that delivered its
// first byte), with " hole N" before the newline when N bytes of this direction's stream before
// it are missing: holes are in headers only, never bytes in the data. The header is followed by
// exactly `length` bytes and a newline. The order between directions is the order in which bytes
// became deliverable (the capture's packet order for in-order data); inside a direction, stream
// order. The file is named after the client's flow file name with ".conversation" added
// (the first free name: cN before the extension), in the output folder; each run is appended as it
// completes (open, append, close: no descriptor is held per connection).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>

#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/flow/naming.h"
#include "tcpflow/output/diagnostics.h"
#include "tcpflow/output/output_dir.h"
#include "tcpflow/output/posix_io.h"

namespace tcpflow {

struct ConversationConfig {
    OutputDir dir;
    NameTemplate name_template;
    FileOwner owner;
    bool nanoseconds = false;          ///< header times with 9 fraction digits
};

class ConversationSink final : public FlowSink {
public:
    ConversationSink(std::unique_ptr<FlowSink> inner, ConversationConfig config, Diagnostics& diag);
    ~ConversationSink() override;

    void on_open(FlowInfo& info, Timestamp ts) override;
    void on_data(FlowInfo& info, std::uint64_t offset, Bytes data, Timestamp ts) override;
    void on_shift(FlowInfo& info, std::uint64_t n) override;
    void on_close(FlowInfo& info, const FlowSummary& summary) override;
    void on_connection_end(const ConnectionEnd& end) override;
    std::size_t read_back(FlowInfo& info, std::uint64_t offset, std::span<std::uint8_t> out) override;
    void flush() override;

    [[nodiscard]] FlowSink& inner() noexcept { return *inner_; }
    /// Header times with 9 fraction digits (else 6); set before the first packet is handed over.
    void set_nanoseconds(bool on) noexcept { config_.nanoseconds = on; }
    [[nodiscard]] bool had_errors() const noexcept { return errors_; }

    /// The header line of a run (with its newline).
    [[nodiscard]] static std::string header(bool client, const FlowNameInfo& who, std::uint64_t offset,
                                            std::uint64_t length, std::uint64_t hole, Timestamp ts, bool ns);

private:
    struct Direction {
        std::uint64_t next = 0;        ///< stream offset after the last byte written
    };
    struct Conversation {
        std::string path;              ///< "" until the first run is written
        std::unordered_map<std::uint64_t, Direction> dirs;   ///< by FlowInfo::first_packet
        std::uint64_t first_sender = 0;   ///< first_packet of the direction that sent first
        bool syn_client = false;          ///< a direction is known as the client by its SYN
        // The run being gathered
        bool pending = false;
        std::uint64_t who = 0;         ///< first_packet of its direction
        FlowNameInfo name;
        bool client = false;
        std::uint64_t offset = 0, hole = 0;
        Timestamp ts;
        std::string bytes;
    };
    void write_run(Conversation& c);
    bool create(Conversation& c, const FlowNameInfo& name);

    std::unique_ptr<FlowSink> inner_;
    ConversationConfig config_;
    Diagnostics& diag_;
    std::unordered_map<std::uint64_t, Conversation> convs_;   ///< by connection id
    bool errors_ = false;
};

}  // namespace tcpflow
