#include "tcpflow/pipeline.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "tcpflow/decoder.h"
#include "tcpflow/file_sink.h"
#include "tcpflow/flow_table.h"
#include "tcpflow/naming.h"
#include "tcpflow/pcap_source.h"
#include "tcpflow/privileges.h"
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
    // -U / -z / sudo (privileges.h): prepared before anything is opened, applied after the capture opens.
    std::optional<UserIds> drop_to;
    std::optional<UserIds> owner;
    enum class Drop { pending, done, failed } drop_state = Drop::pending;

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
            const auto r = src.next(raw, live ? 20 : 50);   // live: idle => flush at most 20 ms after the last packet
            if (r == PcapSource::Next::end) break;
            if (r == PcapSource::Next::error) {
                if (g_stop.load()) break;   // a stop signal interrupted a blocking read (-r -): orderly end
                say(src.name() + ": " + src.error());
                ok = false;
                break;
            }
            if (r == PcapSource::Next::packet) handle(*link, raw, pkt);
            if (live) {
                // Live capture: everything contiguous reaches the files within 100 ms.
                const auto now = std::chrono::steady_clock::now();
                if (r == PcapSource::Next::timeout || now - last_flush >= std::chrono::milliseconds(50)) {
                    sink->flush();
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
        stats.add(Counter::packets);
        if (decoder.decode(link, raw.data, raw.ts, pkt) == DecodeStatus::tcp)
            table->on_packet(pkt, raw.ts, raw.wire_len, static_cast<std::uint32_t>(raw.data.size()));
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
        fc.outdir = out_dir;
        if (owner && !drop_to) {   // sudo without -U: new files and folders belong to the invoking user
            fc.uid = static_cast<int>(owner->uid);
            fc.gid = static_cast<int>(owner->gid);
        }
        fc.name_template = std::get<NameTemplate>(tmpl);
        fc.max_fds = opt.max_fds;
        fc.index_files = opt.index_files;
        try {
            FileSink::make_dirs(opt.outdir, owner ? static_cast<int>(owner->uid) : -1,
                                owner ? static_cast<int>(owner->gid) : -1);
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
                if (!drop_root_once()) return 1;
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
