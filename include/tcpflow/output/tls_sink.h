// tls_sink.h: the FlowSink decorator of --tls-keylog (adapter). Everything goes on to the sink
// behind it unchanged (the raw flow files are written as before); besides, both directions of
// every TCP connection are fed to a tls::Session, and each direction's decrypted application data
// goes to the same sink as a flow of its own: a derived flow (FlowInfo::path_suffix ".tls") whose
// file is the raw flow's file name followed by ".tls". It is opened with the first plaintext byte
// (no empty .tls files) and closed just before its raw flow. FlowInfo::tls of both carries what
// decryption found (the report's <tls/>, the flow index's "tls").
//
// Console mode (-c, -C: `hold`): a direction's raw bytes are held back (at most kHoldBytes)
// until it is known whether it decrypts: then only its plaintext goes on (as the derived flow),
// else the raw bytes held and all after them.
//
// Bounded: a session lives while its connection is open; one that can never yield plaintext
// (hopeless(): not TLS, no keys, unsupported...) is dropped at once, its facts kept.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>

#include "tcpflow/base/stats.h"
#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/tls/keylog.h"

namespace tcpflow {

class TlsSink final : public FlowSink {
public:
    /// Called at every flush() (live: at least every 100 ms) to reread growing key logs: true
    /// when new secrets arrived (sessions waiting for keys retry).
    using RefreshFn = std::function<bool()>;

    struct Settings {
        RefreshFn refresh;          ///< at every flush (growing key logs)
        RefreshFn at_open;          ///< when a TCP flow opens (secrets embedded in the capture)
        bool hold = false;          ///< console mode (see above)
        bool wait_for_keys = true;  ///< sessions wait (buffering) for secrets that may come later (live)
    };
    /// `keys` must outlive the sink; the inner sink is owned.
    TlsSink(std::unique_ptr<FlowSink> inner, const tls::KeyLog& keys, Settings settings);
    ~TlsSink() override;

    void on_open(FlowInfo& info, Timestamp ts) override;
    void on_data(FlowInfo& info, std::uint64_t offset, Bytes data, Timestamp ts) override;
    void on_shift(FlowInfo& info, std::uint64_t n) override;
    void on_close(FlowInfo& info, const FlowSummary& summary) override;
    void on_connection_end(const ConnectionEnd& end) override;
    std::size_t read_back(FlowInfo& info, std::uint64_t offset, std::span<std::uint8_t> out) override;
    void flush() override;

    /// The suffix of the plaintext files.
    static constexpr const char* kSuffix = ".tls";
    /// Console mode: raw bytes held back per direction at most.
    static constexpr std::size_t kHoldBytes = 256 * 1024;
    /// Sessions alive now (tests: bounded).
    [[nodiscard]] std::size_t sessions() const noexcept;

private:
    struct Conn;
    struct Out;
    Conn* conn_of(const FlowInfo& info, int& dir);
    void update(Conn& c);
    void drop_if_hopeless(Conn& c);
    void close_plain(Conn& c, int dir, const FlowSummary& raw);
    void hold_or_pass(Conn& c, int dir, FlowInfo& info, std::uint64_t offset, Bytes data, Timestamp ts);
    void release(Conn& c, int dir);

    std::unique_ptr<FlowSink> inner_;
    const tls::KeyLog& keys_;
    Settings set_;
    void keys_changed();
    std::unordered_map<std::uint64_t, std::unique_ptr<Conn>> conns_;   // by connection_id
    Timestamp now_;   // the packet time of the bytes being fed
};

}  // namespace tcpflow
