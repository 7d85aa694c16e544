#include "tcpflow/output/packet_dump.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "tcpflow/output/fd_cache.h"
#include "tcpflow/output/name_allocator.h"

namespace tcpflow {

namespace {
pcap_t* P(void* p) { return static_cast<pcap_t*>(p); }
pcap_dumper_t* D(void* p) { return static_cast<pcap_dumper_t*>(p); }
}  // namespace

// ---------------------------------------------------------------------------------------------
// PacketDump

PacketDump::PacketDump(void* dead, void* dumper, DumpFormat format) : dead_{dead}, dumper_{dumper}, format_{format} {}

PacketDump::~PacketDump() {
    if (dumper_) pcap_dump_close(D(dumper_));
    if (dead_) pcap_close(P(dead_));
}

namespace {
pcap_t* dead_handle(const std::string& path, const DumpFormat& format) {
    pcap_t* dead = pcap_open_dead_with_tstamp_precision(
        format.linktype, format.snaplen > 0 ? format.snaplen : 262144,
        format.nanosecond ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
    if (!dead) throw std::runtime_error(path + ": cannot set up a pcap writer");
    return dead;
}
}  // namespace

std::unique_ptr<PacketDump> PacketDump::open(const std::string& path, const DumpFormat& format, bool append) {
    pcap_t* dead = dead_handle(path, format);
    pcap_dumper_t* d = append ? pcap_dump_open_append(dead, path.c_str()) : pcap_dump_open(dead, path.c_str());
    if (!d) {
        std::string why = pcap_geterr(dead);
        pcap_close(dead);
        throw std::runtime_error(path + ": " + why);
    }
    return std::unique_ptr<PacketDump>(new PacketDump(dead, d, format));
}

std::unique_ptr<PacketDump> PacketDump::start(int fd, const std::string& path, const DumpFormat& format) {
    pcap_t* dead = nullptr;
    try {
        dead = dead_handle(path, format);
    } catch (...) {
        ::close(fd);
        throw;
    }
    FILE* file = ::fdopen(fd, "w");
    if (!file) {
        const int err = errno;
        ::close(fd);
        pcap_close(dead);
        throw std::runtime_error(path + ": " + std::strerror(err));
    }
    pcap_dumper_t* d = pcap_dump_fopen(dead, file);
    if (!d) {
        std::string why = pcap_geterr(dead);
        std::fclose(file);
        pcap_close(dead);
        throw std::runtime_error(path + ": " + why);
    }
    return std::unique_ptr<PacketDump>(new PacketDump(dead, d, format));
}

bool PacketDump::write(Timestamp ts, std::uint32_t wire_len, Bytes frame) {
    pcap_pkthdr h{};
    h.ts.tv_sec = static_cast<time_t>(ts.seconds());
    const std::int64_t sub = ts.subsec_ns();
    h.ts.tv_usec = static_cast<suseconds_t>(format_.nanosecond ? sub : sub / 1000);
    std::size_t cap = frame.size();
    if (format_.snaplen > 0 && cap > static_cast<std::size_t>(format_.snaplen)) cap = static_cast<std::size_t>(format_.snaplen);
    h.caplen = static_cast<bpf_u_int32>(cap);
    h.len = std::max<bpf_u_int32>(wire_len, h.caplen);
    pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, frame.data());
    return std::ferror(pcap_dump_file(D(dumper_))) == 0;
}

bool PacketDump::flush() { return pcap_dump_flush(D(dumper_)) == 0; }

// ---------------------------------------------------------------------------------------------
// UnusedPacketWriter (-w)

bool UnusedPacketWriter::start(const DumpFormat& format) {
    if (failed_) return false;
    if (dump_) return true;
    try {
        if (path_ == "-") {
            dump_ = PacketDump::open(path_, format, false);   // standard output
        } else {
            const NameAllocator::Created c = create_first_free(path_, owner_);
            if (c.fd < 0) throw std::runtime_error(path_ + ": " + std::strerror(c.err));
            dump_ = PacketDump::start(c.fd, path_, format);
        }
    } catch (const std::exception& e) {
        diagnostics_.error(std::string("cannot write ") + e.what());
        failed_ = true;
        return false;
    }
    return true;
}

bool UnusedPacketWriter::write(const DumpFormat& format, Timestamp ts, std::uint32_t wire_len, Bytes frame) {
    if (!start(format)) return false;
    if (format.linktype != dump_->format().linktype) {
        ++skipped_;
        if (!warned_) {
            diagnostics_.warning(path_ + ": link type " + std::to_string(format.linktype) + " differs from the file's " +
                                 std::to_string(dump_->format().linktype) + "; such packets are not written");
            warned_ = true;
        }
        return true;
    }
    if (!dump_->write(ts, wire_len, frame)) {
        diagnostics_.error(Diagnostics::describe("cannot write", path_, errno));
        failed_ = true;
        return false;
    }
    ++written_;
    return true;
}

void UnusedPacketWriter::flush() {
    if (dump_ && !failed_ && !dump_->flush()) {
        diagnostics_.error(Diagnostics::describe("cannot write", path_, errno));
        failed_ = true;
    }
}

// ---------------------------------------------------------------------------------------------
// PcapPerFlowWriter (-K)

struct PcapPerFlowWriter::Impl {
    struct File : FdCacheEntry {
        std::string path;
        DumpFormat format;
        std::unique_ptr<PacketDump> dump;   // open while in the cache
        bool failed = false;
        bool warned_link = false;
    };

    /// A search for a -K name: a name this run already writes is shared (take_own).
    class ShareHooks final : public NameAllocator::Hooks {
    public:
        explicit ShareHooks(const Impl& impl) : impl_{impl} {}
        bool take_own(const std::string& path) override {
            const auto it = impl_.by_path.find(path);
            if (it == impl_.by_path.end()) return false;
            found = it->second.get();
            return true;
        }
        File* found = nullptr;

    private:
        const Impl& impl_;
    };

    Impl(NameAllocatorConfig names_config, std::size_t max_open, std::int64_t delta, Diagnostics& d)
        : names{std::move(names_config)}, cache{max_open}, tdelta_ns{delta}, diagnostics{d} {}

    NameAllocator names;
    FdCache cache;
    std::int64_t tdelta_ns;
    Diagnostics& diagnostics;
    std::unordered_map<std::string, File*> by_key;               // flow-direction key -> file
    std::unordered_map<std::string, std::unique_ptr<File>> by_path;
    std::unordered_map<std::string, std::uint64_t> sessions;     // unordered address pair -> %S
    std::uint64_t next_index = 0;
    std::string name;                                             // a search's name (reused)

    static void put(std::string& k, const void* p, std::size_t n) { k.append(static_cast<const char*>(p), n); }
    static std::string endpoint(const IpAddress& a, std::uint16_t port) {
        std::string k;
        put(k, &a.family, 1);
        put(k, a.bytes.data(), a.bytes.size());
        put(k, &port, sizeof port);
        return k;
    }
    static std::string context(const DecodedPacket& p) {
        std::string k;
        put(k, &p.proto, 1);
        put(k, &p.vlans.count, 1);
        put(k, p.vlans.ids.data(), sizeof(std::uint16_t) * p.vlans.ids.size());
        const TunnelKey& t = p.tunnel;
        put(k, &t.kind, 1);
        k += endpoint(t.outer_src, t.outer_sport);
        k += endpoint(t.outer_dst, t.outer_dport);
        put(k, &t.id, sizeof t.id);
        return k;
    }

    void close_one(File& f) {
        if (!f.dump) return;
        cache.closed(f);
        f.dump.reset();
    }
    void make_room() {
        cache.make_room([this](FdCacheEntry& e) { close_one(static_cast<File&>(e)); });
    }
    void fail(File& f, bool& failed) {
        f.failed = true;
        failed = true;
    }

    FlowNameInfo name_info(const DecodedPacket& p, Timestamp ts, const std::string& a, const std::string& b,
                           const std::string& ctx) {
        FlowNameInfo n;
        n.src = p.src;
        n.dst = p.dst;
        n.sport = p.sport;
        n.dport = p.dport;
        n.vlan = p.vlans.outer();
        n.first_seen = Timestamp{ts.ns + tdelta_ns};
        n.flow_index = next_index++;
        const std::string pair = (a < b ? a + b : b + a) + ctx;
        n.session_id = sessions.emplace(pair, sessions.size()).first->second;
        n.has_mac = p.has_mac;
        n.src_mac = p.src_mac;
        n.dst_mac = p.dst_mac;
        n.udp = p.proto == Transport::udp;
        return n;
    }

    File* file_for(const DecodedPacket& p, const DumpFormat& format, Timestamp ts, bool& failed) {
        const std::string a = endpoint(p.src, p.sport), b = endpoint(p.dst, p.dport), ctx = context(p);
        const std::string key = a + b + ctx;
        if (auto it = by_key.find(key); it != by_key.end()) return it->second;
        const FlowNameInfo n = name_info(p, ts, a, b, ctx);
        // A name this run already writes is shared; a name left by an earlier run is not overwritten.
        names.first_name(name, n);
        make_room();   // the new file is opened at once
        ShareHooks hooks{*this};
        const NameAllocator::Created c = names.create(name, n, O_WRONLY, hooks);
        File* chosen = hooks.found;
        if (!c.own) {
            auto f = std::make_unique<File>();
            f->path = name;
            f->format = format;
            if (c.fd < 0) {
                diagnostics.error(Diagnostics::describe("cannot create", name, c.err));
                fail(*f, failed);
            } else {
                try {
                    f->dump = PacketDump::start(c.fd, f->path, f->format);
                    cache.opened(*f);
                } catch (const std::exception& e) {
                    diagnostics.error(std::string("cannot write ") + e.what());
                    fail(*f, failed);
                }
            }
            chosen = f.get();
            by_path.emplace(name, std::move(f));
        }
        by_key.emplace(key, chosen);
        return chosen;
    }

    void write(const DecodedPacket& p, const DumpFormat& format, Timestamp ts, std::uint32_t wire_len, Bytes frame,
               bool& failed) {
        File* f = file_for(p, format, ts, failed);
        if (!f || f->failed) return;
        if (format.linktype != f->format.linktype) {
            if (!f->warned_link)
                diagnostics.warning(f->path + ": link type " + std::to_string(format.linktype) + " differs from the file's " +
                                    std::to_string(f->format.linktype) + "; such packets are not written");
            f->warned_link = true;
            return;
        }
        if (!f->dump) {
            make_room();
            try {
                f->dump = PacketDump::open(f->path, f->format, true);
            } catch (const std::exception& e) {
                diagnostics.error(std::string("cannot write ") + e.what());
                return fail(*f, failed);
            }
            cache.opened(*f);
        } else {
            cache.used(*f);
        }
        if (!f->dump->write(ts, wire_len, frame)) {
            diagnostics.error(Diagnostics::describe("cannot write", f->path, errno));
            fail(*f, failed);
            close_one(*f);
        }
    }
};

namespace {
NameAllocatorConfig pcap_names(OutputDir dir, NameTemplate tmpl, FileOwner owner) {
    NameAllocatorConfig c;
    c.dir = std::move(dir);
    c.name_template = std::move(tmpl);
    c.suffix = ".pcap";
    c.owner = owner;
    c.shares_names = true;
    return c;
}
}  // namespace

PcapPerFlowWriter::PcapPerFlowWriter(OutputDir dir, NameTemplate tmpl, int max_open, std::int64_t tdelta_ns,
                                     FileOwner owner, Diagnostics& diagnostics)
    : impl_{std::make_unique<Impl>(pcap_names(std::move(dir), std::move(tmpl), owner),
                                   max_open > 0 ? static_cast<std::size_t>(max_open) : 64, tdelta_ns, diagnostics)} {}

PcapPerFlowWriter::~PcapPerFlowWriter() = default;

void PcapPerFlowWriter::write(const DecodedPacket& pkt, const DumpFormat& format, Timestamp ts, std::uint32_t wire_len,
                              Bytes frame) {
    impl_->write(pkt, format, ts, wire_len, frame, failed_);
}

void PcapPerFlowWriter::flush() {
    impl_->cache.for_each([this](FdCacheEntry& e) {
        auto& f = static_cast<Impl::File&>(e);
        if (f.dump && !f.dump->flush()) {
            impl_->diagnostics.error(Diagnostics::describe("cannot write", f.path, errno));
            f.failed = true;
            failed_ = true;
        }
    });
}

std::size_t PcapPerFlowWriter::files() const noexcept { return impl_->by_path.size(); }

}  // namespace tcpflow
