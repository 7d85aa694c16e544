// fuzz_pipeline: raw capture-file bytes -> libpcap (pcap_fopen_offline on fmemopen) -> Decoder ->
// FlowTable -> an in-memory sink, with a small memory limit handled as src/app/pipeline.cpp does.
#include <pcap/pcap.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "tcpflow/decode/decoder.h"
#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/flow/flow_table.h"
#include "tcpflow/base/memory_budget.h"
#include "tcpflow/base/stats.h"

using namespace tcpflow;

namespace {

/// Keeps each flow's first 64 KiB in memory (bounded whatever the offsets).
class BoundedMemorySink final : public FlowSink {
public:
    void on_open(FlowInfo& info, Timestamp) override {
        info.sink_handle = next_++;
        files_[info.sink_handle];
    }
    void on_data(FlowInfo& info, std::uint64_t offset, Bytes data, Timestamp) override {
        auto it = files_.find(info.sink_handle);
        if (it == files_.end()) std::abort();
        if (offset + data.size() < offset) std::abort();
        if (offset >= kKeep) return;
        const std::size_t n = std::min<std::size_t>(data.size(), static_cast<std::size_t>(kKeep - offset));
        std::string& s = it->second;
        if (s.size() < offset + n) s.resize(static_cast<std::size_t>(offset + n));
        s.replace(static_cast<std::size_t>(offset), n, reinterpret_cast<const char*>(data.data()), n);
    }
    void on_shift(FlowInfo& info, std::uint64_t n) override {
        auto it = files_.find(info.sink_handle);
        if (it == files_.end()) std::abort();
        std::string& s = it->second;
        s.insert(0, static_cast<std::size_t>(std::min<std::uint64_t>(n, kKeep)), '\0');
        if (s.size() > kKeep) s.resize(kKeep);
    }
    void on_close(FlowInfo& info, const FlowSummary&) override {
        if (info.sink_handle == 0) return;
        if (files_.erase(info.sink_handle) != 1) std::abort();
        info.sink_handle = 0;
    }
    [[nodiscard]] bool all_closed() const { return files_.empty(); }

private:
    static constexpr std::uint64_t kKeep = 64 * 1024;
    std::uint32_t next_ = 1;
    std::map<std::uint32_t, std::string> files_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    FILE* f = fmemopen(const_cast<std::uint8_t*>(data), size, "rb");
    if (!f) return 0;
    char errbuf[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p) {
        std::fclose(f);
        return 0;
    }
    const auto link = link_type_from_dlt(pcap_datalink(p));
    if (!link) {
        pcap_close(p);
        return 0;
    }
    Stats stats;
    MemoryBudget budget{64 * 1024};
    BoundedMemorySink sink;
    {
        Decoder decoder{DecoderLimits{}, budget, stats};
        FlowTableConfig tc;
        tc.idle_timeout_ns = 60 * kNsPerSec;
        FlowTable table{tc, sink, budget, stats};
        pcap_pkthdr* hdr = nullptr;
        const u_char* bytes = nullptr;
        DecodedPacket pkt;
        for (int n = 0; n < 100000 && pcap_next_ex(p, &hdr, &bytes) == 1; ++n) {
            const Timestamp ts = Timestamp::from_sec_nsec(hdr->ts.tv_sec, hdr->ts.tv_usec);
            if (decoder.decode(*link, Bytes{bytes, hdr->caplen}, ts, pkt) == DecodeStatus::transport)
                table.on_packet(pkt, ts, hdr->len, hdr->caplen);
            table.expire(ts);
            decoder.expire(ts);
            if (budget.over()) {
                while (budget.over() && decoder.shed_oldest()) {
                }
                if (budget.over()) table.relieve_memory();
                if (budget.over()) {
                    std::fprintf(stderr, "fuzz_pipeline: over the memory limit after relieving\n");
                    std::abort();
                }
            }
        }
        table.close_all();
        if (!sink.all_closed()) std::abort();
    }
    pcap_close(p);
    if (budget.used() != 0) {
        std::fprintf(stderr, "fuzz_pipeline: %zu budget bytes not released at teardown\n", budget.used());
        std::abort();
    }
    return 0;
}
