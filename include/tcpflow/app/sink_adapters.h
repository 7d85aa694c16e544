// sink_adapters.h: flow sinks that wrap or stand in for the file sink in a run: DiscardSink
// (-FX, -K, the reading thread under -j: flows followed, nothing stored) and FinishingSink
// (console modes with --flow-index: closed flows and ended connections reach the finisher too).
#pragma once

#include <functional>
#include <memory>
#include <span>

#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/output/file_sink.h"

namespace tcpflow {

using ConnectionEndFn = std::function<void(const ConnectionEnd&)>;

/// -FX, -K and the reading thread under -j: flows are followed (for the report), nothing stored.
class DiscardSink final : public FlowSink {
public:
    explicit DiscardSink(FileClosedFn closed = {}, ConnectionEndFn ended = {})
        : closed_{std::move(closed)}, ended_{std::move(ended)} {}
    void on_open(FlowInfo&, Timestamp) override {}
    void on_data(FlowInfo&, std::uint64_t, Bytes, Timestamp) override {}
    void on_shift(FlowInfo&, std::uint64_t) override {}
    void on_close(FlowInfo& info, const FlowSummary& summary) override {
        if (closed_) closed_(info, summary, FileOutcome{});
    }
    void on_connection_end(const ConnectionEnd& end) override {
        if (ended_) ended_(end);
    }

private:
    FileClosedFn closed_;
    ConnectionEndFn ended_;
};

/// Console modes with --flow-index: the console prints, closed flows and ended connections go to
/// the finisher as well (for the index).
class FinishingSink final : public FlowSink {
public:
    FinishingSink(std::unique_ptr<FlowSink> inner, FileClosedFn closed, ConnectionEndFn ended)
        : inner_{std::move(inner)}, closed_{std::move(closed)}, ended_{std::move(ended)} {}
    void on_open(FlowInfo& info, Timestamp ts) override { inner_->on_open(info, ts); }
    void on_data(FlowInfo& info, std::uint64_t off, Bytes data, Timestamp ts) override {
        inner_->on_data(info, off, data, ts);
    }
    void on_shift(FlowInfo& info, std::uint64_t n) override { inner_->on_shift(info, n); }
    void on_close(FlowInfo& info, const FlowSummary& summary) override {
        inner_->on_close(info, summary);
        closed_(info, summary, FileOutcome{});
    }
    void on_connection_end(const ConnectionEnd& end) override { ended_(end); }
    std::size_t read_back(FlowInfo& info, std::uint64_t offset, std::span<std::uint8_t> out) override {
        return inner_->read_back(info, offset, out);
    }
    void flush() override { inner_->flush(); }

private:
    std::unique_ptr<FlowSink> inner_;
    FileClosedFn closed_;
    ConnectionEndFn ended_;
};

}  // namespace tcpflow
