#include "tcpflow/app/capture_loop.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>

namespace tcpflow {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<PcapSource*> g_source{nullptr};

extern "C" void on_signal(int) {
    g_stop.store(true);
    if (PcapSource* s = g_source.load()) s->break_loop();
}

}  // namespace

void CaptureLoop::install_signal_handlers() {
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

bool CaptureLoop::stop_requested() noexcept { return g_stop.load(); }

void CaptureLoop::request_stop() noexcept {
    g_stop.store(true);
    if (PcapSource* s = g_source.load()) s->break_loop();
}

bool CaptureLoop::stopping() const { return g_stop.load(std::memory_order_relaxed); }

void CaptureLoop::set_start_new_flows(bool start_new) {
    path_.table.set_start_new_flows(start_new);
    start_new_flows_ = start_new;
}

bool CaptureLoop::pump(PcapSource& src, bool live) {
    const auto dlt = src.datalink();
    const auto link = link_type_from_dlt(dlt);
    // A pcapng file's first interface may be of a link type with no decoder: its frames are
    // skipped like those of a later one, the other interfaces' decoded.
    if (!link && !src.several_link_types()) {
        diag_.error(src.name() + ": " + unsupported(dlt));
        return false;
    }
    // The signal handler breaks only a blocking read (a file, `-r -`). A live source never blocks
    // (poll with a timeout; the loop checks the stop flag), and libpcap's break of a TPACKET_V3
    // read can skip the packet it was at.
    g_source.store(live ? nullptr : &src);
    dump_format_ = DumpFormat{dlt, src.snaplen(), live || src.nanosecond()};
    if (path_.unused) path_.unused->start(dump_format_);
    RawPacket raw;
    DecodedPacket pkt;
    Link current{dlt, link.value_or(LinkType::ethernet)};
    bool skipping = !link && !switch_link(src, dlt, current);
    auto last_flush = std::chrono::steady_clock::now();
    bool ok = true;
    bool pending = false;   // live: packets handled since the last flush
    while (!stopping()) {
        // Live: once the ring is drained, flush at once (then wait up to 20 ms for more), so a
        // packet reaches its file as soon as the kernel hands it over.
        const auto r = src.next(raw, live ? (pending ? 0 : 20) : 50);
        if (r == PcapSource::Next::end) break;
        if (r == PcapSource::Next::error) {
            if (stopping()) break;   // a stop signal interrupted a blocking read (-r -): orderly end
            report_read_error(src);
            ok = false;
            break;
        }
        if (r == PcapSource::Next::packet) {
            // A pcapng file's interfaces may differ in link type: each frame is decoded with its own.
            if (raw.dlt != current.dlt) skipping = !switch_link(src, raw.dlt, current);
            if (skipping) {
                path_.decoder.skip_unsupported();
                ++packet_number_;
                continue;
            }
            handle(current.type, raw, pkt);
            pending = live;
        }
        if (live) {
            // Live capture: everything contiguous reaches the files within 100 ms.
            const auto now = std::chrono::steady_clock::now();
            if (r == PcapSource::Next::timeout || now - last_flush >= std::chrono::milliseconds(50)) {
                if (r == PcapSource::Next::timeout) tick();
                flush_live();
                if (path_.progress) path_.progress();
                last_flush = now;
                pending = false;
            }
        }
    }
    g_source.store(nullptr);
    for (std::string w = src.take_warning(); !w.empty(); w = src.take_warning()) diag_.warning(w);
    if (live && stopping()) drain_after_stop(src, current.type, raw, pkt);
    return ok;
}

std::string CaptureLoop::unsupported(int dlt) {
    const std::string name = PcapSource::link_type_name(dlt);
    return "unsupported link type " + std::to_string(dlt) + (name.empty() ? "" : " (" + name + ")");
}

bool CaptureLoop::switch_link(PcapSource& src, int dlt, Link& current) {
    for (std::string w = src.take_warning(); !w.empty(); w = src.take_warning()) diag_.warning(w);
    const auto link = link_type_from_dlt(dlt);
    current.dlt = dlt;   // the frames that follow are this link type's, decoded or not
    if (!link) {
        // Once per link type: its frames are skipped (counted), the rest of the file is read.
        if (std::find(warned_dlts_.begin(), warned_dlts_.end(), dlt) == warned_dlts_.end()) {
            warned_dlts_.push_back(dlt);
            diag_.warning(src.name() + ": frames of an interface with " + unsupported(dlt) + " are skipped");
        }
        return false;
    }
    current.type = *link;
    dump_format_.linktype = dlt;
    dump_format_.snaplen = src.snaplen();
    return true;
}

void CaptureLoop::report_read_error(PcapSource& src) {
    std::string why = src.error();
    if (why.find("different from the") != std::string::npos)   // libpcap's reader (-S reader=libpcap)
        why += " (libpcap cannot read past this point of a pcapng file whose interfaces differ in link "
               "type or snapshot length; everything before it was written)";
    diag_.error(src.name() + ": " + why);
}

void CaptureLoop::tick() {
    // Live packets carry the wall-clock time, so the wall clock is packet time while nothing
    // arrives: idle timeouts and give-up bounds go on during quiet periods.
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const Timestamp ts{std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()};
    path_.table.expire(ts);
    path_.decoder.expire(ts);
}

void CaptureLoop::flush_live() {
    path_.sink.flush();
    if (path_.unused) path_.unused->flush();
    if (path_.per_flow) path_.per_flow->flush();
    if (path_.done && path_.done()) g_stop.store(true);
}

void CaptureLoop::drain_after_stop(PcapSource& src, LinkType link, RawPacket& raw, DecodedPacket& pkt) {
    if (path_.done && path_.done()) return;   // nobody reads the output any more
    // Ctrl-C right after a transfer: what the kernel already captured is part of the run.
    // Drain it without waiting (bounded, so a busy link still stops well within a second).
    // The kernel hands a block over at most -S packet-buffer-timeout after its first packet, so
    // quiet is two waits of 25 ms with nothing.
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    int idle = 0;
    while (idle < 2 && std::chrono::steady_clock::now() < until) {
        const auto r = src.next(raw, 25);
        if (r == PcapSource::Next::packet) {
            handle(link, raw, pkt);
            idle = 0;
        } else if (r == PcapSource::Next::timeout) {
            ++idle;
        } else {
            break;
        }
    }
}

void CaptureLoop::handle(LinkType link, const RawPacket& raw, DecodedPacket& pkt) {
    const DecodeStatus st = path_.decoder.decode(link, raw.data, raw.ts, pkt);
    pkt.number = ++packet_number_;   // every frame counts, as tshark's frame.number
    const auto cap_len = static_cast<std::uint32_t>(raw.data.size());
    // -e netviz: its counters are fetched now and counted last, their cache misses meanwhile.
    const TrafficStats::Prepared counted = path_.traffic ? path_.traffic->prefetch(st, pkt) : TrafficStats::Prepared{};
    if (st == DecodeStatus::transport) {
        // --shard: another shard's connection leaves no state here (time still moves on below).
        if (path_.shard.keeps(pkt)) {
            if (path_.per_flow) path_.per_flow->write(pkt, dump_format_, raw.ts, raw.wire_len, raw.data);
            if (path_.pool)
                path_.pool->submit(pkt, raw.ts, raw.wire_len, cap_len, start_new_flows_);
            else
                path_.table.on_packet(pkt, raw.ts, raw.wire_len, cap_len);
        }
    } else if (path_.unused && st != DecodeStatus::fragment_held && path_.shard.owns_the_rest()) {
        path_.unused->write(dump_format_, raw.ts, raw.wire_len, raw.data);
    }
    path_.table.expire(raw.ts);
    if (path_.pool) path_.pool->note_time(raw.ts);
    if (path_.traffic) path_.traffic->add(raw.ts, std::max(raw.wire_len, cap_len), st, pkt, counted);
    if ((++packets_since_check_ & 0xff) == 0) {
        path_.decoder.expire(raw.ts);
        if (path_.done && path_.done()) g_stop.store(true);
        if (path_.progress) path_.progress();
    }
    if (path_.budget.over()) keep_memory_bounded();
}

void CaptureLoop::keep_memory_bounded() {
    while (path_.budget.over() && path_.decoder.shed_oldest()) {
    }
    if (path_.budget.over()) path_.table.relieve_memory();
}

}  // namespace tcpflow
