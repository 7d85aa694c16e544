#include "tcpflow/app/pipeline.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <cerrno>
#include <cstring>
#include <system_error>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "tcpflow/output/console_sink.h"
#include "tcpflow/decode/decoder.h"
#include "tcpflow/content/http_body.h"
#include "tcpflow/content/md5.h"
#include "tcpflow/output/report.h"
#include "tcpflow/output/file_sink.h"
#include "tcpflow/app/flow_hooks.h"
#include "tcpflow/flow/flow_table.h"
#include "tcpflow/flow/naming.h"
#include "tcpflow/output/packet_dump.h"
#include "tcpflow/capture/pcap_source.h"
#include "tcpflow/app/privileges.h"
#include "tcpflow/base/stats.h"
#include "tcpflow/app/worker_pool.h"

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

/// -FX: flows are followed (for the report) but nothing is stored.
class DiscardSink final : public FlowSink {
public:
    void on_open(FlowInfo&, Timestamp) override {}
    void on_data(FlowInfo&, std::uint64_t, Bytes, Timestamp) override {}
    void on_shift(FlowInfo&, std::uint64_t) override {}
    void on_close(FlowInfo& info, const FlowSummary& summary) override {
        if (closed_) closed_(info, summary);
    }
    FileClosedFn closed_;
};

/// A read-only view of a closed flow file (for -e md5 and -e http).
class MappedFile {
public:
    explicit MappedFile(const std::string& path) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return;
        struct stat st{};
        if (::fstat(fd, &st) == 0 && st.st_size > 0) {
            void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
            if (p != MAP_FAILED) {
                data_ = static_cast<const std::uint8_t*>(p);
                size_ = static_cast<std::size_t>(st.st_size);
            }
        }
        ::close(fd);
    }
    ~MappedFile() {
        if (data_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
    }
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    [[nodiscard]] Bytes bytes() const noexcept { return Bytes{data_, size_}; }

private:
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

struct Run {
    const Options& opt;
    Stats stats;
    MemoryBudget budget;
    Decoder decoder;
    std::unique_ptr<FlowSink> sink;
    FileSink* files = nullptr;
    std::unique_ptr<FlowTable> table;
    std::unique_ptr<ReportWriter> report;
    bool failed = false;
    CaptureStats capture_stats;
    std::uint64_t packets_since_check = 0;
    // -U / -z / sudo (privileges.h): prepared before anything is opened, applied after the capture opens.
    std::optional<UserIds> drop_to;
    std::optional<UserIds> owner;
    enum class Drop { pending, done, failed } drop_state = Drop::pending;
    // -w, -K, -S tcp_*/http_* hooks, -q (see packet_dump.h, flow_hooks.h)
    std::unique_ptr<UnusedPacketWriter> unused;
    std::unique_ptr<PcapPerFlowWriter> per_flow;
    FlowHooks tcp_hooks{opt.tcp_alert_fd, opt.tcp_cmd};
    FlowHooks http_hooks{opt.http_alert_fd, opt.http_cmd};
    std::uint64_t files_created = 0;
    DumpFormat dump_format{};
    // -j N: worker threads, each with its own flow table and file sink (worker_pool.h).
    std::unique_ptr<WorkerPool> pool;
    std::vector<FileSink*> pool_files;
    bool start_new_flows = true;
    std::recursive_mutex shared_mu;   // report, hooks and counters shared by the workers   // link type and snaplen of the source being read (-w, -K)

    explicit Run(const Options& o) : opt{o}, budget{o.max_memory}, decoder{DecoderLimits{}, budget, stats} {}

    void say(const std::string& msg) const { std::fprintf(stderr, "tcpflow: %s\n", msg.c_str()); }

    /// After a flow file is closed: -e md5, -e http, then its <fileobject> in the report.
    void flow_closed(const FlowInfo& info, const FlowSummary& sum) {
        ReportExtras extras;
        if (!info.path.empty() && opt.store_files) {
            extras.filename = info.path;
            if (opt.scan_md5 || opt.scan_http) {
                const MappedFile file{info.path};
                if (opt.scan_md5) extras.md5_hex = Md5::hex_of(file.bytes());
                if (opt.scan_http && file.bytes().size() >= 80 && looks_like_http_response(file.bytes()))
                    write_http_bodies(info.path, file.bytes(), extras);
            }
        }
        if (report) report->add_flow(info, sum, extras);
    }

    void write_http_bodies(const std::string& path, Bytes stream, ReportExtras& extras) {
        HttpBodyOptions ho;
        ho.keep_compressed = opt.http_keep_compressed;
        int fd = -1;
        std::string body_path;
        std::uint64_t offset = 0;
        extract_http_bodies(stream, ho, [&](const HttpBodyEvent& ev) {
            switch (ev.kind) {
                case HttpBodyEventKind::begin: {
                    char num[16];
                    std::snprintf(num, sizeof num, "%03zu", ev.index);
                    body_path = path + "-HTTPBODY-" + num;
                    if (!ev.extension.empty()) body_path += "." + std::string(ev.extension);
                    offset = ev.body_offset;
                    fd = ::open(body_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
                    if (fd < 0) say("cannot write " + body_path + ": " + std::strerror(errno));
                    else http_hooks.opened(body_path);
                    break;
                }
                case HttpBodyEventKind::data:
                    if (fd >= 0 && ::write(fd, ev.data.data(), ev.data.size()) != static_cast<ssize_t>(ev.data.size())) {
                        say("cannot write " + body_path + ": " + std::strerror(errno));
                        failed = true;
                    }
                    break;
                case HttpBodyEventKind::end:
                    if (fd >= 0) {
                        ::close(fd);
                        fd = -1;
                        if (ev.body_size == 0) {
                            ::unlink(body_path.c_str());
                        } else {
                            extras.http_bodies.push_back(ReportHttpBody{offset, body_path, ev.body_size});
                            http_hooks.closed(body_path);
                        }
                    }
                    break;
            }
        });
        if (fd >= 0) ::close(fd);
    }

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
        dump_format = DumpFormat{dlt, src.snaplen(), source_is_nanosecond(src.name(), live)};
        if (unused) unused->start(dump_format);
        RawPacket raw;
        DecodedPacket pkt;
        auto last_flush = std::chrono::steady_clock::now();
        bool ok = true;
        while (!g_stop.load(std::memory_order_relaxed)) {
            const auto r = src.next(raw, live ? 20 : 50);   // live: idle => flush at most 20 ms after the last packet
            if (r == PcapSource::Next::end) break;
            if (r == PcapSource::Next::error) {
                if (g_stop.load()) break;   // a stop signal interrupted a blocking read (-r -): orderly end
                std::string why = src.error();
                if (why.find("different from the") != std::string::npos)
                    why += " (libpcap cannot read on in a pcapng file whose interfaces differ in link type or "
                           "snapshot length; everything before that point was written)";
                say(src.name() + ": " + why);
                ok = false;
                break;
            }
            if (r == PcapSource::Next::packet) handle(*link, raw, pkt);
            if (live) {
                // Live capture: everything contiguous reaches the files within 100 ms.
                const auto now = std::chrono::steady_clock::now();
                if (r == PcapSource::Next::timeout || now - last_flush >= std::chrono::milliseconds(50)) {
                    sink->flush();
                    if (unused) unused->flush();
                    if (per_flow) per_flow->flush();
                    last_flush = now;
                }
            }
        }
        g_source.store(nullptr);
        if (live && g_stop.load()) {
            // Ctrl-C right after a transfer: what the kernel already captured is part of the run.
            // Drain it without waiting (bounded, so a busy link still stops well within a second).
            const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
            int idle = 0;
            while (idle < 2 && std::chrono::steady_clock::now() < until) {
                const auto r = src.next(raw, 0);   // the first call may only report the breakloop
                if (r == PcapSource::Next::packet) {
                    handle(*link, raw, pkt);
                    idle = 0;
                } else if (r == PcapSource::Next::timeout) {
                    ++idle;
                } else {
                    break;
                }
            }
        }
        return ok;
    }

    void handle(LinkType link, const RawPacket& raw, DecodedPacket& pkt) {
        const DecodeStatus st = decoder.decode(link, raw.data, raw.ts, pkt);
        if (st == DecodeStatus::tcp) {
            if (per_flow) per_flow->write(pkt, dump_format, raw.ts, raw.wire_len, raw.data);
            if (pool)
                pool->submit(pkt, raw.ts, raw.wire_len, static_cast<std::uint32_t>(raw.data.size()), start_new_flows);
            else
                table->on_packet(pkt, raw.ts, raw.wire_len, static_cast<std::uint32_t>(raw.data.size()));
        } else if (unused && st != DecodeStatus::fragment_held) {
            unused->write(dump_format, raw.ts, raw.wire_len, raw.data);
        }
        table->expire(raw.ts);
        if ((++packets_since_check & 0xff) == 0) decoder.expire(raw.ts);
        if (budget.over()) keep_memory_bounded();
    }

    /// -U, -z, sudo: checks the user and the output path before anything is opened, picks the owner
    /// of new files. Returns 0, or the exit status after printing why.
    int prepare_privileges(std::string& out_dir) {
        if (!opt.user.empty()) {
            auto u = resolve_user(opt.user);
            if (auto* err = std::get_if<std::string>(&u)) {
                say(*err);
                return 1;
            }
            drop_to = std::get<UserIds>(u);
        }
        owner = output_owner(drop_to, ::geteuid(), std::getenv("SUDO_UID"), std::getenv("SUDO_GID"));
        if (!opt.chroot_dir.empty()) {
            // -o is resolved before the chroot (against the current folder, symbolic links followed)
            // and must lie inside -z; files are then written at the same place seen from the new root.
            namespace fs = std::filesystem;
            std::error_code ec;
            const auto canon = [&](const std::string& p) {
                const auto c = fs::weakly_canonical(fs::absolute(p, ec), ec);
                return ec ? p : c.string();
            };
            auto in = output_path_in_chroot(canon(opt.outdir), canon(opt.chroot_dir), fs::current_path(ec).string());
            if (in.index() == 1) {
                say(std::get<1>(in));
                return 1;
            }
            out_dir = std::get<0>(in);
        }
        return 0;
    }

    /// Drops root right after the first capture is open (once). False when it failed: stop at once.
    bool drop_root_once() {
        if (drop_state == Drop::pending && drop_to) {
            const bool already = ::getuid() == drop_to->uid && ::geteuid() == drop_to->uid && opt.chroot_dir.empty();
            const std::string why = already ? std::string{} : drop_privileges(*drop_to, opt.chroot_dir);
            if (!why.empty()) {
                say(why);
                drop_state = Drop::failed;
                return false;
            }
            if (opt.debug >= 1) say("dropped privileges to " + drop_to->name);
        }
        if (drop_state == Drop::pending) drop_state = Drop::done;
        return drop_state == Drop::done;
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
        std::string out_dir = opt.outdir;   // as seen after -z's chroot
        if (const int rc = prepare_privileges(out_dir); rc != 0) return rc;
        FileSinkConfig fc;
        fc.dir = OutputDir{out_dir};
        if (owner && !drop_to)   // sudo without -U: new files and folders belong to the invoking user
            fc.owner = FileOwner{static_cast<int>(owner->uid), static_cast<int>(owner->gid)};
        fc.name_template = std::get<NameTemplate>(tmpl);
        fc.max_fds = opt.max_fds;
        fc.index_files = opt.index_files;
        // Writes, mtimes and closes on an I/O thread, unless something reads each file as soon
        // as it is closed (-e md5, -e http, tcp_cmd and the alert descriptors).
        fc.write_behind = !opt.scan_md5 && !opt.scan_http && !tcp_hooks.active() && !http_hooks.active();
        fc.on_file_opened = [this](const std::string& path, bool created) {
            const std::lock_guard lk{shared_mu};
            files_created += created ? 1 : 0;
            tcp_hooks.opened(path);
        };
        fc.on_file_closed = [this](const std::string& path) {
            const std::lock_guard lk{shared_mu};
            tcp_hooks.closed(path);
        };
        const bool writes_files = opt.store_files && !opt.console.enabled;
        try {
            if (writes_files || opt.pcap_per_flow)
                posix_io::make_dirs(opt.outdir, owner ? FileOwner{static_cast<int>(owner->uid), static_cast<int>(owner->gid)}
                                                      : FileOwner{});
        } catch (const std::system_error& e) {
            say(std::string(e.what()));
            return 1;
        }
        // report.xml: with flow files by default; in console mode only when -X names it.
        if (opt.report && (writes_files || !opt.report_path.empty() || !opt.store_files)) {
            std::string rpath = opt.report_path;
            if (rpath.empty()) rpath = (opt.outdir.empty() || opt.outdir == ".") ? "report.xml" : opt.outdir + "/report.xml";
            if (rpath != "/dev/null") {
                ReportRunInfo ri;
                ri.command_line = opt.command_line;
                ri.tdelta = opt.tdelta;
                std::string err;
                report = ReportWriter::open(rpath, ri, err);
                if (report && owner && ::chown(rpath.c_str(), owner->uid, owner->gid) != 0) {
                    // -U / sudo: handing report.xml over is a convenience; it is written either way
                }
                if (!report) {
                    say("cannot write " + rpath + ": " + err);
                    failed = true;
                }
            }
        }
        auto closed = [this](const FlowInfo& info, const FlowSummary& sum) {
            const std::lock_guard lk{shared_mu};
            flow_closed(info, sum);
        };
        const bool use_pool = opt.jobs > 1 && opt.store_files && !opt.console.enabled && !opt.pcap_per_flow && !opt.live;
        if (opt.jobs > 1 && !use_pool) say("-j is used only when writing flow files from capture files; running one thread");
        FileSinkConfig pool_fc = fc;
        // Workers share the folder, but a connection's every name is made by the one worker its
        // addresses and ports hash to: with names that hold all four, no other worker can take
        // one of them, so each worker's I/O thread may create its files.
        pool_fc.create_behind = std::get<NameTemplate>(tmpl).names_endpoints();
        if (!opt.unused_pcap.empty())
            unused = std::make_unique<UnusedPacketWriter>(opt.unused_pcap, fc.owner, default_diagnostics());
        if (opt.pcap_per_flow)
            per_flow = std::make_unique<PcapPerFlowWriter>(fc.dir, std::get<NameTemplate>(tmpl),
                                                           opt.max_fds > 0 ? opt.max_fds : 256,
                                                           static_cast<std::int64_t>(opt.tdelta * 1e9), fc.owner,
                                                           default_diagnostics());
        if (opt.console.enabled) {
            auto cs = std::make_unique<ConsoleSink>(stdout, opt.console,
                                                    ConsoleSink::template_path(std::get<NameTemplate>(tmpl), opt.outdir));
            if (!opt.semaphore.empty()) {
                try {
                    cs->use_semaphore(opt.semaphore);
                } catch (const std::exception& e) {
                    say(e.what());
                    return 1;
                }
            }
            sink = std::move(cs);
        } else if (!opt.store_files || opt.pcap_per_flow) {   // -K replaces the flow files
            auto ds = std::make_unique<DiscardSink>();
            ds->closed_ = closed;
            sink = std::move(ds);
        } else if (use_pool) {
            sink = std::make_unique<DiscardSink>();   // the workers own the file sinks
        } else {
            fc.create_behind = true;   // alone in writing the folder
            auto fs = std::make_unique<FileSink>(std::move(fc), stats, closed, default_diagnostics());
            files = fs.get();
            sink = std::move(fs);
        }

        FlowTableConfig tc;
        tc.overlap = opt.overlap;
        tc.max_seek = opt.max_seek;
        tc.max_bytes = opt.max_bytes;
        if (opt.tcp_timeout > 0) tc.idle_timeout_ns = opt.tcp_timeout * kNsPerSec;
        tc.tdelta_ns = static_cast<std::int64_t>(opt.tdelta * 1e9);
        table = std::make_unique<FlowTable>(tc, *sink, budget, stats);
        if (use_pool) {
            const unsigned n = opt.jobs;
            // -f (or the default from the process limit) is shared by the workers, less the
            // descriptors each may still have open while their closes wait for its I/O thread.
            const int all = (pool_fc.max_fds > 0 ? pool_fc.max_fds : FileSink::default_max_open()) -
                            FileSink::kQueuedCloses * static_cast<int>(n);
            pool_fc.max_fds = std::max(4, all / static_cast<int>(n));
            pool = std::make_unique<WorkerPool>(n, opt.max_memory / n, [&](Shard& sh, unsigned) {
                auto fs = std::make_unique<FileSink>(pool_fc, sh.stats, closed, default_diagnostics());
                pool_files.push_back(fs.get());
                sh.sink = std::move(fs);
                sh.table = std::make_unique<FlowTable>(tc, *sh.sink, sh.budget, sh.stats);
            });
        }

        install_signal_handlers();
        if (opt.live) {
            try {
                auto src = PcapSource::open_live(opt.interface, opt.promiscuous, opt.packet_buffer_timeout_ms);
                src->set_filter(opt.filter);
                if (!drop_root_once()) return 1;
                say("listening on " + src->name());
                if (!pump(*src, true)) failed = true;
                const CaptureStats cs = src->stats();
                capture_stats = cs;
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
            start_new_flows = start_new;
            for (const auto& path : files_list) {
                if (g_stop.load()) break;
                try {
                    auto src = PcapSource::open_file(path);
                    src->set_filter(opt.filter);
                    if (!drop_root_once()) {
                        failed = true;
                        break;
                    }
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
        FlowTableCounts pool_counts;
        if (pool) {
            pool->finish();
            for (unsigned i = 0; i < pool->size(); ++i) {
                stats.merge(pool->shard(i).stats);
                const FlowTableCounts c = pool->shard(i).table->counts();
                pool_counts.flow_directions += c.flow_directions;
                pool_counts.max_open_connections += c.max_open_connections;
            }
            for (FileSink* f : pool_files)
                if (f->had_errors()) failed = true;
        }
        table->close_all(CloseReason::end_of_input);
        sink->flush();
        if (g_stop.load()) say("terminating orderly");
        if (files && files->had_errors()) failed = true;
        if ((unused && unused->failed()) || (per_flow && per_flow->failed())) failed = true;
        unused.reset();     // closes the -w file
        per_flow.reset();   // closes the -K files
        tcp_hooks.wait_all();
        http_hooks.wait_all();
        if (tcp_hooks.failed() || http_hooks.failed()) failed = true;
        if (files_created > 10000 && !opt.quiet && std::get<NameTemplate>(tmpl).text().find('/') == std::string::npos)
            std::fprintf(stderr,
                         "*** tcpflow WARNING:\n"
                         "*** This run wrote %llu flow files into one folder (%s).\n"
                         "*** Many file systems and tools slow down with that many files in a folder.\n"
                         "*** Consider -Fk, -Fm or -Fg to spread them over sub-folders.\n"
                         "*** (-q suppresses this warning.)\n",
                         static_cast<unsigned long long>(files_created), opt.outdir.c_str());
        if (report) {
            ReportTotals totals;
            FlowTableCounts fc2 = table->counts();
            fc2.flow_directions += pool_counts.flow_directions;
            fc2.max_open_connections += pool_counts.max_open_connections;
            totals.total_flows = fc2.flow_directions;
            totals.total_packets = stats.get(Counter::packets);
            totals.max_open_flows = fc2.max_open_connections;
            totals.open_fds_at_end = files ? files->open_files() : 0;
            totals.stats = stats;
            if (capture_stats.valid)
                totals.pcap = PcapDropStats{capture_stats.received, capture_stats.dropped, capture_stats.if_dropped};
            report->finish(totals);
            if (report->failed()) {
                say("cannot write the report");
                failed = true;
            }
        }
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
