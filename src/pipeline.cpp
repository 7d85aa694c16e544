#include "tcpflow/pipeline.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "tcpflow/decoder.h"
#include "tcpflow/file_sink.h"
#include "tcpflow/flow_table.h"
#include "tcpflow/naming.h"
#include "tcpflow/pcap_source.h"
#include "tcpflow/stats.h"

namespace tcpflow {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<PcapSource*> g_source{nullptr};

extern "C" void on_signal(int) {
    g_stop.store(true);
    if (PcapSource* s = g_source.load()) s->break_loop();
}

void install_signal_handlers() {
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

struct Run {
    const Options& opt;
    Stats stats;
    MemoryBudget budget;
    Decoder decoder;
    std::unique_ptr<FlowSink> sink;
    FileSink* files = nullptr;
    std::unique_ptr<FlowTable> table;
    bool failed = false;
    std::uint64_t packets_since_check = 0;

    explicit Run(const Options& o) : opt{o}, budget{o.max_memory}, decoder{DecoderLimits{}, budget, stats} {}

    void say(const std::string& msg) const { std::fprintf(stderr, "tcpflow: %s\n", msg.c_str()); }

    void keep_memory_bounded() {
        while (budget.over() && decoder.shed_oldest()) {
        }
        if (budget.over()) table->relieve_memory();
    }

    /// Reads one source to its end (or until stopped). False on a read error.
    bool pump(PcapSource& src, bool live) {
        const auto dlt = src.datalink();
        const auto link = link_type_from_dlt(dlt);
        if (!link) {
            say(src.name() + ": unsupported link type " + dlt_name(dlt) + " (" + std::to_string(dlt) + ")");
            return false;
        }
        g_source.store(&src);
        RawPacket raw;
        DecodedPacket pkt;
        auto last_flush = std::chrono::steady_clock::now();
        bool ok = true;
        while (!g_stop.load(std::memory_order_relaxed)) {
            const auto r = src.next(raw, 50);
            if (r == PcapSource::Next::end) break;
            if (r == PcapSource::Next::error) {
                say(src.name() + ": " + src.error());
                ok = false;
                break;
            }
            if (r == PcapSource::Next::packet) {
                stats.add(Counter::packets);
                if (decoder.decode(*link, raw.data, raw.ts, pkt) == DecodeStatus::tcp)
                    table->on_packet(pkt, raw.ts, raw.wire_len, static_cast<std::uint32_t>(raw.data.size()));
                table->expire(raw.ts);
                if ((++packets_since_check & 0xff) == 0) decoder.expire(raw.ts);
                if (budget.over()) keep_memory_bounded();
            }
            if (live) {
                // Live capture: everything contiguous reaches the files within 100 ms.
                const auto now = std::chrono::steady_clock::now();
                if (now - last_flush >= std::chrono::milliseconds(50)) {
                    sink->flush();
                    last_flush = now;
                }
            }
        }
        g_source.store(nullptr);
        return ok;
    }

    int execute() {
        if (const std::string why = PcapSource::check_filter(opt.filter); !why.empty()) {
            say("bad filter expression '" + opt.filter + "': " + why);
            return 2;
        }
        auto tmpl = NameTemplate::parse(opt.name_template.empty() ? std::string{kDefaultTemplate} : opt.name_template);
        if (auto* err = std::get_if<std::string>(&tmpl)) {
            say(*err);
            return 2;
        }
        FileSinkConfig fc;
        fc.outdir = opt.outdir;
        fc.name_template = std::get<NameTemplate>(tmpl);
        fc.max_fds = opt.max_fds;
        fc.index_files = opt.index_files;
        try {
            FileSink::make_dirs(opt.outdir);
        } catch (const std::system_error& e) {
            say(std::string(e.what()));
            return 1;
        }
        auto fs = std::make_unique<FileSink>(std::move(fc), stats, FileClosedFn{});
        files = fs.get();
        sink = std::move(fs);

        FlowTableConfig tc;
        tc.overlap = opt.overlap;
        tc.max_seek = opt.max_seek;
        tc.max_bytes = opt.max_bytes;
        if (opt.tcp_timeout > 0) tc.idle_timeout_ns = opt.tcp_timeout * kNsPerSec;
        tc.tdelta_ns = static_cast<std::int64_t>(opt.tdelta * 1e9);
        table = std::make_unique<FlowTable>(tc, *sink, budget, stats);

        install_signal_handlers();
        if (opt.live) {
            try {
                auto src = PcapSource::open_live(opt.interface, opt.promiscuous, opt.packet_buffer_timeout_ms);
                src->set_filter(opt.filter);
                say("listening on " + src->name());
                if (!pump(*src, true)) failed = true;
                const CaptureStats cs = src->stats();
                if (cs.valid)
                    say(std::to_string(cs.received) + " packets received by filter, " + std::to_string(cs.dropped) +
                        " dropped by kernel, " + std::to_string(cs.if_dropped) + " dropped by interface");
            } catch (const std::invalid_argument& e) {
                say(std::string("bad filter expression: ") + e.what());
                return 2;
            } catch (const std::exception& e) {
                say(e.what());
                failed = true;
            }
        }
        auto read_all = [&](const std::vector<std::string>& files_list, bool start_new) {
            table->set_start_new_flows(start_new);
            for (const auto& path : files_list) {
                if (g_stop.load()) break;
                try {
                    auto src = PcapSource::open_file(path);
                    src->set_filter(opt.filter);
                    if (!pump(*src, false)) failed = true;
                } catch (const std::invalid_argument& e) {
                    say(path + ": bad filter expression: " + e.what());
                    failed = true;
                } catch (const std::exception& e) {
                    say(e.what());
                    failed = true;
                }
            }
        };
        read_all(opt.read_files, true);
        read_all(opt.resume_files, false);
        table->close_all(CloseReason::end_of_input);
        sink->flush();
        if (g_stop.load()) say("terminating orderly");
        if (files && files->had_errors()) failed = true;
        if (opt.debug >= 10) {
            for (std::size_t i = 0; i < kCounterCount; ++i)
                if (stats.values[i])
                    std::fprintf(stderr, "tcpflow: %s: %llu\n", std::string(counter_name(static_cast<Counter>(i))).c_str(),
                                 static_cast<unsigned long long>(stats.values[i]));
        }
        return failed ? 1 : 0;
    }
};

}  // namespace

int run(const Options& options) {
    Run r{options};
    return r.execute();
}

}  // namespace tcpflow
