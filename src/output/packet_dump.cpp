#include "tcpflow/output/packet_dump.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <list>
#include <stdexcept>
#include <vector>

#include "tcpflow/output/file_sink.h"

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

std::unique_ptr<PacketDump> PacketDump::open(const std::string& path, const DumpFormat& format, bool append) {
    pcap_t* dead = pcap_open_dead_with_tstamp_precision(
        format.linktype, format.snaplen > 0 ? format.snaplen : 262144,
        format.nanosecond ? PCAP_TSTAMP_PRECISION_NANO : PCAP_TSTAMP_PRECISION_MICRO);
    if (!dead) throw std::runtime_error(path + ": cannot set up a pcap writer");
    pcap_dumper_t* d = append ? pcap_dump_open_append(dead, path.c_str()) : pcap_dump_open(dead, path.c_str());
    if (!d) {
        std::string why = pcap_geterr(dead);
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

bool source_is_nanosecond(const std::string& src_name, bool live) {
    if (live || src_name == "-") return true;
    const int fd = ::open(src_name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return true;
    std::uint8_t m[4] = {};
    const bool got = ::read(fd, m, 4) == 4;
    ::close(fd);
    if (!got) return true;
    // Classic microsecond pcap in either byte order: a1 b2 c3 d4 / d4 c3 b2 a1.
    const bool micro = (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0xc3 && m[3] == 0xd4) ||
                       (m[0] == 0xd4 && m[1] == 0xc3 && m[2] == 0xb2 && m[3] == 0xa1);
    return !micro;
}

// ---------------------------------------------------------------------------------------------
// UnusedPacketWriter (-w)

bool UnusedPacketWriter::start(const DumpFormat& format) {
    if (failed_) return false;
    if (dump_) return true;
    try {
        dump_ = PacketDump::open(path_, format, false);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "tcpflow: cannot write %s\n", e.what());
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
            std::fprintf(stderr,
                         "tcpflow: %s: link type %d differs from the file's %d; such packets are not written\n",
                         path_.c_str(), format.linktype, dump_->format().linktype);
            warned_ = true;
        }
        return true;
    }
    if (!dump_->write(ts, wire_len, frame)) {
        std::fprintf(stderr, "tcpflow: cannot write %s: %s\n", path_.c_str(), std::strerror(errno));
        failed_ = true;
        return false;
    }
    ++written_;
    return true;
}

void UnusedPacketWriter::flush() {
    if (dump_ && !failed_ && !dump_->flush()) {
        std::fprintf(stderr, "tcpflow: cannot write %s: %s\n", path_.c_str(), std::strerror(errno));
        failed_ = true;
    }
}

// ---------------------------------------------------------------------------------------------
// PcapPerFlowWriter (-K)

struct PcapPerFlowWriter::Impl {
    struct File {
        std::string path;
        DumpFormat format;
        std::unique_ptr<PacketDump> dump;
        std::list<File*>::iterator lru;   // valid while dump is open
        bool failed = false;
        bool warned_link = false;
    };

    std::string prefix;
    NameTemplate tmpl;
    std::size_t max_open;
    std::int64_t tdelta_ns;
    std::unordered_map<std::string, File*> by_key;               // flow-direction key -> file
    std::unordered_map<std::string, std::unique_ptr<File>> by_path;
    std::unordered_map<std::string, std::uint64_t> sessions;     // unordered address pair -> %S
    std::list<File*> lru;                                         // open files, least recent first
    std::uint64_t next_index = 0;

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
        lru.erase(f.lru);
        f.dump.reset();
    }

    File* file_for(const DecodedPacket& p, const DumpFormat& format, Timestamp ts, bool& failed) {
        const std::string a = endpoint(p.src, p.sport), b = endpoint(p.dst, p.dport), ctx = context(p);
        const std::string key = a + b + ctx;
        if (auto it = by_key.find(key); it != by_key.end()) return it->second;

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

        // A name this run already writes is shared; a name left by an earlier run is not overwritten.
        File* chosen = nullptr;
        constexpr unsigned kMaxTries = 1'000'000;
        for (unsigned count = 0; count < kMaxTries && !chosen; ++count) {
            const std::string path = prefix + tmpl.expand(n, count) + ".pcap";
            if (auto it = by_path.find(path); it != by_path.end()) {
                chosen = it->second.get();
                break;
            }
            if (count == 0) {
                const auto slash = path.rfind('/');
                if (slash != std::string::npos && slash > 0) {
                    try {
                        FileSink::make_dirs(path.substr(0, slash));
                    } catch (const std::exception& e) {
                        std::fprintf(stderr, "tcpflow: %s\n", e.what());
                    }
                }
            }
            const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
            if (fd >= 0) {
                ::close(fd);
                auto f = std::make_unique<File>();
                f->path = path;
                f->format = format;
                chosen = f.get();
                by_path.emplace(path, std::move(f));
                break;
            }
            if (errno != EEXIST || !tmpl.uses_count()) {
                std::fprintf(stderr, "tcpflow: cannot create %s: %s\n", path.c_str(), std::strerror(errno));
                failed = true;
                auto f = std::make_unique<File>();
                f->path = path;
                f->failed = true;
                chosen = f.get();
                by_path.emplace(path, std::move(f));
                break;
            }
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
                std::fprintf(stderr, "tcpflow: %s: link type %d differs from the file's %d; such packets are not written\n",
                             f->path.c_str(), format.linktype, f->format.linktype);
            f->warned_link = true;
            return;
        }
        if (!f->dump) {
            while (lru.size() >= max_open && !lru.empty()) close_one(*lru.front());
            try {
                f->dump = PacketDump::open(f->path, f->format, true);
            } catch (const std::exception& e) {
                std::fprintf(stderr, "tcpflow: cannot write %s\n", e.what());
                f->failed = true;
                failed = true;
                return;
            }
            f->lru = lru.insert(lru.end(), f);
        } else {
            lru.splice(lru.end(), lru, f->lru);
        }
        if (!f->dump->write(ts, wire_len, frame)) {
            std::fprintf(stderr, "tcpflow: cannot write %s: %s\n", f->path.c_str(), std::strerror(errno));
            f->failed = true;
            failed = true;
            close_one(*f);
        }
    }
};

PcapPerFlowWriter::PcapPerFlowWriter(std::string outdir, NameTemplate tmpl, int max_open, std::int64_t tdelta_ns)
    : impl_{std::make_unique<Impl>()} {
    impl_->prefix = (outdir.empty() || outdir == ".") ? "" : outdir + "/";
    impl_->tmpl = std::move(tmpl);
    impl_->max_open = max_open > 0 ? static_cast<std::size_t>(max_open) : 64;
    impl_->tdelta_ns = tdelta_ns;
}

PcapPerFlowWriter::~PcapPerFlowWriter() = default;

void PcapPerFlowWriter::write(const DecodedPacket& pkt, const DumpFormat& format, Timestamp ts, std::uint32_t wire_len,
                              Bytes frame) {
    impl_->write(pkt, format, ts, wire_len, frame, failed_);
}

void PcapPerFlowWriter::flush() {
    for (Impl::File* f : impl_->lru)
        if (f->dump && !f->dump->flush()) {
            std::fprintf(stderr, "tcpflow: cannot write %s: %s\n", f->path.c_str(), std::strerror(errno));
            f->failed = true;
            failed_ = true;
        }
}

std::size_t PcapPerFlowWriter::files() const noexcept { return impl_->by_path.size(); }

}  // namespace tcpflow
