// memory_sink.h: a FlowSink that keeps each flow's bytes in memory, for core tests.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tcpflow/flow/flow_sink.h"

namespace tcpflow::test {

class MemorySink final : public FlowSink {
public:
    struct File {
        std::string name;          ///< "src.port-dst.port" plus "cN" for the N-th file of that name
        std::string data;
        bool open = false;
        int closes = 0;
        FlowSummary last_summary;
    };

    void on_open(FlowInfo& info, Timestamp) override {
        if (info.resumed && !info.path.empty()) {
            files_[std::stoul(info.path)].open = true;
            info.sink_handle = static_cast<std::uint32_t>(std::stoul(info.path) + 1);
            return;
        }
        std::string base = info.name.src.to_string() + "." + std::to_string(info.name.sport) + "-" +
                           info.name.dst.to_string() + "." + std::to_string(info.name.dport);
        if (info.name.vlan) base += "--" + std::to_string(info.name.vlan);
        if (info.name.udp) base += "-udp";
        const int n = counts_[base]++;
        File f;
        f.name = n ? base + "c" + std::to_string(n) : base;
        f.open = true;
        files_.push_back(f);
        info.path = std::to_string(files_.size() - 1);
        info.sink_handle = static_cast<std::uint32_t>(files_.size());
    }
    void on_data(FlowInfo& info, std::uint64_t offset, Bytes data, Timestamp) override {
        auto& s = files_[info.sink_handle - 1].data;
        if (s.size() < offset + data.size()) s.resize(offset + data.size(), '\0');
        s.replace(offset, data.size(), reinterpret_cast<const char*>(data.data()), data.size());
    }
    std::size_t read_back(FlowInfo& info, std::uint64_t off, std::span<std::uint8_t> o) override {
        const auto& s = files_[info.sink_handle - 1].data;
        std::size_t n = 0;
        for (; n < o.size() && off + n < s.size(); ++n) o[n] = static_cast<std::uint8_t>(s[off + n]);
        return n;
    }
    void on_shift(FlowInfo& info, std::uint64_t n) override {
        auto& s = files_[info.sink_handle - 1].data;
        s.insert(0, n, '\0');
    }
    void on_close(FlowInfo& info, const FlowSummary& summary) override {
        closed_.push_back(summary);
        if (info.sink_handle == 0) return;
        auto& f = files_[info.sink_handle - 1];
        f.open = false;
        f.closes++;
        f.last_summary = summary;
        info.sink_handle = 0;
    }

    /// Content by file name; "" when absent.
    [[nodiscard]] std::string file(const std::string& name) const {
        for (const auto& f : files_)
            if (f.name == name) return f.data;
        return "<absent>";
    }
    [[nodiscard]] std::map<std::string, std::string> all() const {
        std::map<std::string, std::string> m;
        for (const auto& f : files_) m[f.name] = f.data;
        return m;
    }
    [[nodiscard]] const std::vector<File>& files() const { return files_; }
    [[nodiscard]] const std::vector<FlowSummary>& closed() const { return closed_; }

private:
    std::vector<File> files_;
    std::map<std::string, int> counts_;
    std::vector<FlowSummary> closed_;
};

}  // namespace tcpflow::test
