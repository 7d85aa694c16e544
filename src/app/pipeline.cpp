// pipeline.cpp: one run, wired from the Options through the output plan (output_plan.h):
// sources -> capture loop (capture_loop.h) -> flow table or worker pool -> sink; closed flows go
// to the flow finisher (flow_finisher.h: md5, HTTP bodies, report); then the totals and the exit
// status.
#include "tcpflow/app/pipeline.h"

#include <unistd.h>

#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "tcpflow/app/capture_loop.h"
#include "tcpflow/app/flow_finisher.h"
#include "tcpflow/app/flow_hooks.h"
#include "tcpflow/app/output_plan.h"
#include "tcpflow/app/privileges.h"
#include "tcpflow/app/netviz_output.h"
#include "tcpflow/app/progress.h"
#include "tcpflow/app/sink_adapters.h"
#include "tcpflow/app/tls_keys.h"
#include "tcpflow/app/worker_pool.h"
#include "tcpflow/base/stats.h"
#include "tcpflow/capture/pcap_source.h"
#include "tcpflow/decode/decoder.h"
#include "tcpflow/flow/flow_table.h"
#include "tcpflow/flow/naming.h"
#include "tcpflow/output/console_sink.h"
#include "tcpflow/output/conversation_sink.h"
#include "tcpflow/output/diagnostics.h"
#include "tcpflow/output/file_sink.h"
#include "tcpflow/output/flow_index.h"
#include "tcpflow/output/output_dir.h"
#include "tcpflow/output/packet_dump.h"
#include "tcpflow/output/posix_io.h"
#include "tcpflow/output/report.h"
#include "tcpflow/traffic/traffic_stats.h"
#include "tcpflow/version.h"

namespace tcpflow {

namespace {

DecoderLimits decoder_limits(const Options& o) {
    DecoderLimits l;
    l.check_fcs = o.check_fcs;
    l.udp = o.udp;
    return l;
}

DiagnosticsSettings diagnostics_settings(const Options& o) {
    DiagnosticsSettings s;
    if (!o.debug_prefix.empty()) s.prefix = o.debug_prefix;
    s.quiet = o.quiet;
    s.debug = o.debug;
    return s;
}

struct Run {
    const Options& opt;
    Diagnostics diag;
    Stats stats;
    Stats decode_stats;   // the reading thread's decoder: counted once over --shard's processes
    OutputPlan plan;
    MemoryBudget budget;
    Decoder decoder;
    FlowHooks tcp_hooks{opt.tcp_alert_fd, opt.tcp_cmd, diag};
    FlowHooks http_hooks{opt.http_alert_fd, opt.http_cmd, diag};
    std::mutex tcp_hooks_mu;   // the tcp hooks and the file count, shared by -j workers
    std::uint64_t files_created = 0;
    std::unique_ptr<ReportWriter> report;
    std::unique_ptr<FlowIndexWriter> index;
    std::unique_ptr<FlowFinisher> finisher;
    std::unique_ptr<TlsKeyFiles> tls;   // --tls-keylog
    std::unique_ptr<FlowSink> sink;
    std::vector<ConversationSink*> conversations;   // --conversation: one per -j worker
    bool precision_set = false;                     // the index and conversation times' precision
    FileSink* files = nullptr;
    ConsoleSink* console = nullptr;
    FlowTableConfig table_config;
    std::unique_ptr<FlowTable> table;
    std::unique_ptr<WorkerPool> pool;
    std::vector<FileSink*> pool_files;
    std::unique_ptr<UnusedPacketWriter> unused;
    std::unique_ptr<PcapPerFlowWriter> per_flow;
    std::unique_ptr<CaptureLoop> loop;
    std::unique_ptr<TrafficStats> traffic;   // -e netviz
    CaptureStats capture_stats;
    enum class Drop { pending, done, failed } drop_state = Drop::pending;
    bool failed = false;
    // What a terminal is told (progress.h): the status line, the summary.
    TerminalPlan terminal = plan_terminal(opt, terminal_facts());
    RunTally tally;
    std::unique_ptr<ProgressLine> progress;
    std::vector<const CountingSink*> counted;   // live: bytes handed to the sinks
    const PcapSource* reading = nullptr;        // the source being read
    std::uint64_t input_total = 0, input_done = 0;   // bytes of every input file; of those read
    bool input_total_known = true;
    const std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();

    explicit Run(const Options& o)
        : opt{o}, diag{diagnostics_settings(o)}, budget{o.max_memory}, decoder{decoder_limits(o), budget, decode_stats} {}

    ExitStatus execute();
    std::optional<ExitStatus> prepare();
    void open_report();
    void open_index();
    [[nodiscard]] FileSinkConfig file_config();
    [[nodiscard]] FileOwner file_owner() const { return FileOwner{plan.file_uid, plan.file_gid}; }
    std::optional<ExitStatus> make_sinks();
    void make_pool(const FileSinkConfig& base);
    [[nodiscard]] std::unique_ptr<FlowSink> with_conversations(std::unique_ptr<FlowSink> inner);
    void build_loop();
    std::optional<ExitStatus> read_live();
    void read_files(const std::vector<std::string>& paths, bool start_new);
    void set_precision(const PcapSource& src, bool live);
    void finish_inputs();
    void check_console();
    void warn_many_files();
    void write_report();
    void write_netviz();
    bool drop_root_once();
    void start_progress();
    [[nodiscard]] ProgressSample sample() const;
    [[nodiscard]] double elapsed() const;
    void print_summary();
    /// Counts a closed flow, then the finisher's work.
    FileClosedFn closed_fn() {
        return [this](const FlowInfo& info, const FlowSummary& sum, const FileOutcome& out) {
            tally.closed(sum);
            (*finisher)(info, sum, out);
        };
    }
};

/// The plan; then the folder and the report. A status ends the run. (The filter was checked with
/// the command line: a bad one is a usage error, cli.cpp.)
std::optional<ExitStatus> Run::prepare() {
    auto planned = plan_output(opt, current_environment());
    if (!planned) {
        diag.error(planned.error());
        return ExitStatus::failure;
    }
    plan = std::move(planned).value();
    budget.set_limit(plan.decoder_memory);
    for (const auto& w : plan.warnings) diag.info(w);
    try {
        const FileOwner folders = plan.owner ? FileOwner{static_cast<int>(plan.owner->uid), static_cast<int>(plan.owner->gid)}
                                             : FileOwner{};
        if (plan.make_folder) posix_io::make_dirs(plan.folder_before_chroot, folders);
        if (!plan.report_folder.empty()) posix_io::make_dirs(plan.report_folder, folders);
    } catch (const std::system_error& e) {
        diag.error(e.what());
        return ExitStatus::failure;
    }
    if (!opt.tls_keylogs.empty() && !(tls = TlsKeyFiles::open(opt.tls_keylogs, opt.live, diag)))
        return ExitStatus::usage;   // a key log that cannot be read
    if (tls) tls->set_embedded([this] { return reading ? &reading->secrets() : nullptr; });
    open_report();
    finisher = std::make_unique<FlowFinisher>(opt, report.get(), http_hooks, diag, file_owner());
    open_index();
    return std::nullopt;
}

void Run::open_index() {
    if (plan.flow_index_path.empty()) return;
    std::string err;
    index = FlowIndexWriter::open(plan.flow_index_path, file_owner(), err);
    if (!index) {
        diag.error("cannot write " + plan.flow_index_path + ": " + err);
        failed = true;
        return;
    }
    index->set_folder(plan.folder);
    FlowRecordSettings rs;
    rs.md5 = opt.scan_md5;
    rs.sha256 = opt.hash_sha256;
    rs.tls = !opt.tls_keylogs.empty();
    rs.http = opt.scan_http;
    index->set_settings(rs);
    index->set_flush_each(opt.live);
    finisher->set_index(index.get());
}

void Run::open_report() {
    if (plan.report_path.empty()) return;
    ReportRunInfo ri;
    ri.command_line = opt.command_line;
    ri.tdelta = opt.tdelta;
    ri.shard_index = opt.shard_index;
    ri.shard_count = opt.shard_count;
    std::string err;
    report = ReportWriter::open(plan.report_path, ri, err);
    if (!report) {
        diag.error("cannot write " + plan.report_path + ": " + err);
        failed = true;
        return;
    }
    if (plan.owner && ::chown(report->path().c_str(), plan.owner->uid, plan.owner->gid) != 0) {
        // -U / sudo: handing report.xml over is a convenience; it is written either way
    }
}

FileSinkConfig Run::file_config() {
    FileSinkConfig fc;
    fc.dir = OutputDir{plan.folder};
    fc.owner = file_owner();
    fc.name_template = plan.name_template;
    fc.max_fds = opt.max_fds;
    fc.index_files = opt.index_files;
    fc.write_behind = plan.write_behind;
    fc.on_file_opened = [this](const std::string& path, bool created) {
        const std::lock_guard lk{tcp_hooks_mu};
        files_created += created ? 1 : 0;
        tally.files.fetch_add(created ? 1 : 0, std::memory_order_relaxed);
        tcp_hooks.opened(path);
    };
    fc.on_file_closed = [this](const std::string& path) {
        const std::lock_guard lk{tcp_hooks_mu};
        tcp_hooks.closed(path);
    };
    if (index) fc.on_connection_end = [this](const ConnectionEnd& e) { finisher->connection_end(e); };
    return fc;
}

std::optional<ExitStatus> Run::make_sinks() {
    FileClosedFn closed = closed_fn();
    ConnectionEndFn ended;
    if (index) ended = [this](const ConnectionEnd& e) { finisher->connection_end(e); };
    if (!plan.unused_path.empty()) unused = std::make_unique<UnusedPacketWriter>(plan.unused_path, file_owner(), diag);
    if (opt.pcap_per_flow)
        per_flow = std::make_unique<PcapPerFlowWriter>(OutputDir{plan.folder}, plan.name_template,
                                                       opt.max_fds > 0 ? opt.max_fds : 256,
                                                       static_cast<std::int64_t>(opt.tdelta * 1e9), file_owner(), diag);
    switch (plan.sink) {
        case SinkKind::console: {
            auto cs = std::make_unique<ConsoleSink>(stdout, opt.console,
                                                    ConsoleSink::template_path(plan.name_template, opt.outdir));
            if (!opt.semaphore.empty()) {
                try {
                    cs->use_semaphore(opt.semaphore);
                } catch (const std::exception& e) {
                    diag.error(e.what());
                    return ExitStatus::failure;
                }
            }
            console = cs.get();
            sink = std::move(cs);
            if (index) sink = std::make_unique<FinishingSink>(std::move(sink), closed, ended);
            if (tls) sink = tls->wrap(std::move(sink), true, true);   // outside: connection ends reach it
            break;
        }
        case SinkKind::discard: sink = std::make_unique<DiscardSink>(closed, ended); break;
        case SinkKind::workers: sink = std::make_unique<DiscardSink>(); break;   // the workers own the file sinks
        case SinkKind::files: {
            FileSinkConfig fc = file_config();
            fc.create_behind = !tls;   // names another program takes meanwhile move on (name_allocator); .tls: names at open
            if (opt.conversation_only) {
                sink = std::make_unique<DiscardSink>(closed, ended);
            } else {
                auto fs = std::make_unique<FileSink>(std::move(fc), stats, closed, diag);
                files = fs.get();
                sink = tls ? tls->wrap(std::move(fs), true) : std::move(fs);
            }
            if (opt.conversation) sink = with_conversations(std::move(sink));
            break;
        }
    }
    FlowTableConfig& tc = table_config;
    tc.overlap = opt.overlap;
    tc.max_seek = opt.max_seek;
    tc.max_bytes = opt.max_bytes;
    if (opt.tcp_timeout > 0) tc.idle_timeout_ns = opt.tcp_timeout * kNsPerSec;
    if (opt.udp_timeout >= 0) tc.udp_idle_timeout_ns = opt.udp_timeout * kNsPerSec;
    tc.udp_length_framing = opt.udp_length_framing;
    tc.tdelta_ns = static_cast<std::int64_t>(opt.tdelta * 1e9);
    const bool file_sinks = plan.sink == SinkKind::files || plan.sink == SinkKind::workers;
    if (file_sinks && !opt.conversation_only) tc.sink_bytes_per_flow = FileSink::bytes_per_open_flow();
    // Live capture gives a hole up after 2 s by default (tail -f and -c see the data behind it);
    // files wait for the hole to fill, the memory limit or the end.
    const double hole_s = opt.hole_timeout >= 0 ? opt.hole_timeout : (opt.live ? 2.0 : 0.0);
    tc.hole_timeout_ns = static_cast<std::int64_t>(hole_s * 1e9);
    if (terminal.progress && opt.live && plan.sink != SinkKind::workers) {
        auto c = std::make_unique<CountingSink>(std::move(sink));
        counted.push_back(c.get());
        sink = std::move(c);
    }
    table = std::make_unique<FlowTable>(tc, *sink, budget, stats);
    if (plan.sink == SinkKind::workers) make_pool(file_config());
    return std::nullopt;
}

/// --conversation: the conversation files around the sink of the per-direction files.
std::unique_ptr<FlowSink> Run::with_conversations(std::unique_ptr<FlowSink> inner) {
    ConversationConfig cc;
    cc.dir = OutputDir{plan.folder};
    cc.name_template = plan.name_template;
    cc.owner = file_owner();
    auto c = std::make_unique<ConversationSink>(std::move(inner), std::move(cc), diag);
    conversations.push_back(c.get());
    return c;
}

/// The flow index and the conversation files write times at the precision of the first capture
/// opened, as -w and -K do: microseconds for a microsecond pcap file (compressed or not).
void Run::set_precision(const PcapSource& src, bool live) {
    if (std::exchange(precision_set, true)) return;
    const bool ns = live || src.nanosecond();
    if (index) index->set_nanoseconds(ns);
    for (ConversationSink* c : conversations) c->set_nanoseconds(ns);
}

void Run::make_pool(const FileSinkConfig& base) {
    FileSinkConfig pool_fc = base;
    pool_fc.create_behind = plan.worker_create_behind && !tls;
    pool_fc.max_fds = plan.worker_max_fds;
    const FlowTableConfig& tc = table_config;
    FileClosedFn closed = closed_fn();
    const bool count = terminal.progress && opt.live;
    ConnectionEndFn ended;
    if (index) ended = [this](const ConnectionEnd& e) { finisher->connection_end(e); };
    pool = std::make_unique<WorkerPool>(plan.workers, plan.worker_memory, [&](Shard& sh, unsigned) {
        if (opt.conversation_only) {
            sh.sink = std::make_unique<DiscardSink>(closed, ended);
        } else {
            auto fs = std::make_unique<FileSink>(pool_fc, sh.stats, closed, diag);
            pool_files.push_back(fs.get());
            sh.sink = tls ? tls->wrap(std::move(fs), false) : std::move(fs);
        }
        if (opt.conversation) sh.sink = with_conversations(std::move(sh.sink));
        if (count) {
            auto c = std::make_unique<CountingSink>(std::move(sh.sink));
            counted.push_back(c.get());
            sh.sink = std::move(c);
        }
        sh.table = std::make_unique<FlowTable>(tc, *sh.sink, sh.budget, sh.stats);
    });
}

void Run::build_loop() {
    if (opt.scan_netviz)
        traffic = std::make_unique<TrafficStats>(
            TrafficConfig{opt.netviz_histogram_size, static_cast<std::int64_t>(opt.tdelta * 1e9)});
    PacketPath path{decoder, budget, *table, *sink, pool.get(), unused.get(), per_flow.get(), traffic.get(), {}, {}, {}};
    if (console) path.done = [this] { return console->write_failed(); };
    if (opt.shard_count) path.shard = ShardSelector{opt.shard_index, opt.shard_count};
    if (progress) path.progress = [this] { progress->poll(); };
    loop = std::make_unique<CaptureLoop>(std::move(path), diag);
}

/// Drops root right after the first capture is open (once). False when it failed: stop at once.
bool Run::drop_root_once() {
    if (drop_state == Drop::pending && plan.drop_to) {
        const auto& to = *plan.drop_to;
        const bool already = ::getuid() == to.uid && ::geteuid() == to.uid && opt.chroot_dir.empty();
        const std::string why = already ? std::string{} : drop_privileges(to, opt.chroot_dir);
        if (!why.empty()) {
            diag.error(why);
            drop_state = Drop::failed;
            return false;
        }
        diag.debug(1, "dropped privileges to " + to.name);
    }
    if (drop_state == Drop::pending) drop_state = Drop::done;
    return drop_state == Drop::done;
}

std::optional<ExitStatus> Run::read_live() {
    try {
        auto src = PcapSource::open_live(opt.interface, opt.promiscuous, opt.packet_buffer_timeout_ms);
        src->set_filter(opt.filter);
        if (!drop_root_once()) return ExitStatus::failure;
        diag.info("listening on " + src->name());
        set_precision(*src, true);
        reading = src.get();
        if (!loop->pump(*src, true)) failed = true;
        reading = nullptr;
        capture_stats = src->stats();
        if (capture_stats.valid)
            diag.info(std::to_string(capture_stats.received) + " packets received by filter, " +
                      std::to_string(capture_stats.dropped) + " dropped by kernel, " +
                      std::to_string(capture_stats.if_dropped) + " dropped by interface");
    } catch (const std::invalid_argument& e) {
        diag.error(std::string("bad filter expression: ") + e.what());
        return ExitStatus::usage;
    } catch (const std::exception& e) {
        diag.error(e.what());
        failed = true;
    }
    return std::nullopt;
}

void Run::read_files(const std::vector<std::string>& paths, bool start_new) {
    loop->set_start_new_flows(start_new);
    for (const auto& path : paths) {
        if (CaptureLoop::stop_requested()) break;
        try {
            auto src = PcapSource::open_file(path, opt.libpcap_reader ? FileReader::libpcap : FileReader::native);
            src->set_filter(opt.filter);
            if (!drop_root_once()) {
                failed = true;
                break;
            }
            set_precision(*src, false);
            reading = src.get();
            if (!loop->pump(*src, false)) failed = true;
            reading = nullptr;
            struct stat st{};
            if (path != "-" && ::stat(path.c_str(), &st) == 0) input_done += static_cast<std::uint64_t>(st.st_size);
        } catch (const std::invalid_argument& e) {
            diag.error(path + ": bad filter expression: " + e.what());
            failed = true;
        } catch (const std::exception& e) {
            diag.error(e.what());
            failed = true;
        }
    }
}

/// Everything read: workers finish, every flow closes, every file and hook completes.
void Run::finish_inputs() {
    // --shard: every process reads and decodes every packet; the first shard counts them, so the
    // shards' reports add up to one run's.
    if (opt.shard_index == 0) stats.merge(decode_stats);
    if (pool) {
        pool->finish();
        for (unsigned i = 0; i < pool->size(); ++i) stats.merge(pool->shard(i).stats);
        for (FileSink* f : pool_files)
            if (f->had_errors()) failed = true;
    }
    table->close_all(CloseReason::end_of_input);
    sink->flush();
    if (index && !index->flush())
        diag.error(Diagnostics::describe("cannot write", index->path(), index->error()));
    if (CaptureLoop::stop_requested() && !(console && console->write_error() == EPIPE)) diag.info("terminating orderly");
    if (files && files->had_errors()) failed = true;
    if ((unused && unused->failed()) || (per_flow && per_flow->failed())) failed = true;
    unused.reset();     // closes the -w file
    per_flow.reset();   // closes the -K files
    tcp_hooks.wait_all();
    http_hooks.wait_all();
    if (tcp_hooks.failed() || http_hooks.failed()) failed = true;
    check_console();
}

/// Standard output that could not be written is an error, except a reader that went away (EPIPE,
/// `| head`): that ends the run quietly, as cat does.
void Run::check_console() {
    if (!console || !console->write_failed()) return;
    const int err = console->write_error();
    if (err == EPIPE) return;
    diag.error(std::string("cannot write standard output: ") + std::strerror(err));
}

void Run::warn_many_files() {
    if (files_created <= 10000 || plan.name_template.text().find('/') != std::string::npos) return;
    diag.warning_block("*** tcpflow WARNING:\n*** This run wrote " + std::to_string(files_created) +
                       " flow files into one folder (" + opt.outdir +
                       ").\n*** Many file systems and tools slow down with that many files in a folder.\n"
                       "*** Consider -Fk, -Fm or -Fg to spread them over sub-folders.\n"
                       "*** (-q suppresses this warning.)\n");
}

void Run::write_report() {
    if (!report) return;
    ReportTotals totals;
    FlowTableCounts counts = table->counts();
    if (pool) {
        for (unsigned i = 0; i < pool->size(); ++i) {
            const FlowTableCounts c = pool->shard(i).table->counts();
            counts.flow_directions += c.flow_directions;
            counts.max_open_connections += c.max_open_connections;
        }
    }
    totals.total_flows = counts.flow_directions;
    totals.total_packets = stats.get(Counter::packets);
    totals.max_open_flows = counts.max_open_connections;
    totals.open_fds_at_end = files ? files->open_files() : 0;
    totals.stats = stats;
    if (capture_stats.valid)
        totals.pcap = PcapDropStats{capture_stats.received, capture_stats.dropped, capture_stats.if_dropped};
    report->finish(totals);
    if (report->failed()) diag.error("cannot write the report " + report->path());
    else if (report->removed())
        diag.error(report->path() + " was removed during the run: the report written into it is lost");
}

/// -e netviz: the page beside report.xml (in the output folder when there is no report).
void Run::write_netviz() {
    if (traffic) write_netviz_output(*traffic, opt, report ? report->path() : std::string{}, plan.folder, plan.owner, diag);
}

/// The status line, when the terminal gets one; the size of every input file for its percentage.
void Run::start_progress() {
    if (!terminal.progress) return;
    for (const auto* list : {&opt.read_files, &opt.resume_files})
        for (const auto& path : *list) {
            struct stat st{};
            if (path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode))
                input_total += static_cast<std::uint64_t>(st.st_size);
            else
                input_total_known = false;
        }
    progress = std::make_unique<ProgressLine>(diag, [this] { return sample(); });
}

double Run::elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
}

/// On the reading thread: its own counters, the table (one thread) and the atomic tallies.
ProgressSample Run::sample() const {
    ProgressSample s;
    s.live = opt.live;
    s.elapsed_s = elapsed();
    s.packets = stats.get(Counter::packets);
    s.bytes_read = input_done + (reading != nullptr && !opt.live ? reading->bytes_read() : 0);
    s.bytes_total = input_total_known ? input_total : 0;
    if (!pool) {
        const FlowTableCounts c = table->counts();
        s.open = c.open_connections;
        s.finished = c.connections_created - c.open_connections;
    }
    s.directions_finished = tally.directions_closed.load(std::memory_order_relaxed);
    s.files = tally.files.load(std::memory_order_relaxed);
    for (const CountingSink* c : counted) s.bytes_written += c->bytes();
    if (opt.live && reading != nullptr) {
        const CaptureStats cs = reading->stats();
        s.dropped = cs.dropped + cs.if_dropped;
    }
    return s;
}

void Run::print_summary() {
    SummaryFacts f;
    f.live = opt.live;
    FlowTableCounts counts = table->counts();
    if (pool)
        for (unsigned i = 0; i < pool->size(); ++i) counts.connections_created += pool->shard(i).table->counts().connections_created;
    f.connections = counts.connections_created;
    f.files = tally.files.load();
    f.bytes_written = tally.bytes_stored.load();
    f.bytes_read = input_done;
    f.with_holes = tally.with_holes.load();
    f.with_conflicts = tally.with_conflicts.load();
    if (report) f.report_path = report->path();
    f.stats = stats;
    f.elapsed_s = elapsed();
    for (const auto& line : summary_lines(f)) diag.info(line);
}

ExitStatus Run::execute() {
    if (auto st = prepare()) return *st;
    start_progress();
    if (auto st = make_sinks()) return *st;
    build_loop();
    CaptureLoop::install_signal_handlers();
    if (opt.live)
        if (auto st = read_live()) return *st;
    read_files(opt.read_files, true);
    read_files(opt.resume_files, false);
    if (progress) progress->clear();
    progress.reset();
    finish_inputs();
    warn_many_files();
    write_report();
    write_netviz();
    if (terminal.summary) print_summary();
    if (opt.debug >= 10) {
        for (std::size_t i = 0; i < kCounterCount; ++i)
            if (stats.values[i])
                diag.info(std::string(counter_name(static_cast<Counter>(i))) + ": " + std::to_string(stats.values[i]));
    }
    return failed || diag.errors() > 0 ? ExitStatus::failure : ExitStatus::ok;
}

}  // namespace

ExitStatus run(const Options& options) {
    Run r{options};
    return r.execute();
}

}  // namespace tcpflow
