#include "tcpflow/capture/pcap_source.h"

#include "tcpflow/capture/capture_file.h"
#include "tcpflow/capture/decompress.h"

#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <utility>
#include <vector>

namespace tcpflow {

namespace {
pcap_t* P(void* p) { return static_cast<pcap_t*>(p); }
constexpr int kSnaplen = 262144;
// The kernel ring: TPACKET_V3 blocks that hold packets at their own size, so 32 MiB holds tens of
// thousands of small packets (immediate mode would give TPACKET_V2: one 256 KiB slot per packet,
// a few hundred packets whatever their size).
constexpr int kBufferBytes = 32 * 1024 * 1024;
constexpr std::size_t kReadBuffer = 1 << 20;
const std::vector<DecryptionSecrets> kNoSecrets;
}  // namespace

/// The filter expression and its program for each link type met (native file sources).
struct PcapSource::Filters {
    struct Program {
        int dlt = 0;
        bool ok = false;
        bpf_program code{};
    };
    std::string expression;
    std::vector<Program> programs;
    std::size_t last = 0;   // index of the program used last
    std::vector<std::string> warnings;   // not yet taken

    Filters() = default;
    Filters(const Filters&) = delete;
    Filters& operator=(const Filters&) = delete;
    ~Filters() {
        for (auto& p : programs)
            if (p.ok) pcap_freecode(&p.code);
    }
    /// Compiles the expression for `dlt`; libpcap's message when it cannot ("" when it can).
    std::string compile(int dlt) {
        Program p;
        p.dlt = dlt;
        pcap_t* dead = pcap_open_dead(dlt, kSnaplen);
        std::string msg;
        if (!dead) {
            msg = "libpcap cannot open a handle for link type " + std::to_string(dlt);
        } else {
            p.ok = pcap_compile(dead, &p.code, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) == 0;
            if (!p.ok) msg = pcap_geterr(dead);
            pcap_close(dead);
        }
        programs.push_back(p);
        last = programs.size() - 1;
        return msg;
    }
};

PcapSource::PcapSource(void* handle, std::string name, bool live)
    : pcap_{handle}, name_{std::move(name)}, live_{live},
      nano_{!handle || pcap_get_tstamp_precision(P(handle)) == PCAP_TSTAMP_PRECISION_NANO} {}

PcapSource::~PcapSource() {
    if (pcap_) pcap_close(P(pcap_));   // closes the FILE* libpcap reads (never stdin)
    if (underlying_ && underlying_ != stdin) std::fclose(underlying_);
    native_.reset();
    stream_.reset();
    if (fd_ >= 0) ::close(fd_);
}

std::unique_ptr<PcapSource> PcapSource::open_native(const std::string& path) {
    const int fd = path == "-" ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
    auto src = std::unique_ptr<PcapSource>(new PcapSource(nullptr, path, false));
    if (fd != STDIN_FILENO) src->fd_ = fd;   // closed by the destructor, also when this throws
    src->input_fd_ = fd;                      // bytes_read (the progress line)
    try {
        // A plain file or pipe is read as it is; compressed content through its decompressor.
        OpenedInput input = open_input(fd);
        std::unique_ptr<ByteSource> bytes = input.stream ? std::move(input.stream) : std::make_unique<DescriptorSource>(fd);
        src->native_ = std::make_unique<CaptureFile>(std::move(bytes), input.kind);
    } catch (const std::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
    src->file_nano_ = src->native_->nanosecond();
    return src;
}

std::unique_ptr<PcapSource> PcapSource::open_file(const std::string& path, FileReader how) {
    if (how == FileReader::native) return open_native(path);
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    std::FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error(path + ": " + std::strerror(errno));
    const auto close_file = [f] {
        if (f != stdin) std::fclose(f);
    };
    // The first bytes say whether it is compressed. A plain seekable file is only looked at, and
    // libpcap reads it itself as below; anything else comes through a stream of ours: the
    // decompressed content, or (a plain pipe) the bytes taken to look at it and then the rest.
    OpenedInput input;
    try {
        input = open_input(fileno(f));
    } catch (const std::exception& e) {
        close_file();
        throw std::runtime_error(path + ": " + e.what());
    }
    std::FILE* reader = f;
    if (input.stream) {
        reader = open_stream(*input.stream);
        if (!reader) {
            const int e = errno;
            close_file();
            throw std::runtime_error(path + ": " + std::strerror(e));
        }
    }
    // Our own FILE* with a large buffer: libpcap reads each record with fread, and stdio's default
    // 4 KiB buffer would make that a read(2) (or a decompressor call) per few packets.
    // glibc ignores the size unless it is given the buffer, so the source owns one.
    auto buffer = std::make_unique<char[]>(kReadBuffer);
    std::setvbuf(reader, buffer.get(), _IOFBF, kReadBuffer);
    pcap_t* p = pcap_fopen_offline_with_tstamp_precision(reader, PCAP_TSTAMP_PRECISION_NANO, errbuf);
    if (!p) {
        std::string why = input.stream ? input.stream->error() : std::string();
        if (why.empty() && input.kind != Compression::none)
            why = std::string(compression_name(input.kind)) + ": " + errbuf;   // "x.gz: gzip: unknown file format"
        if (why.empty()) why = errbuf;
        if (reader != f) std::fclose(reader);
        close_file();
        throw std::runtime_error(path + ": " + why);
    }
    auto src = std::unique_ptr<PcapSource>(new PcapSource(p, path, false));
    // What -w writes: microseconds when a plain file says so (libpcap hands out nanoseconds anyway).
    if (!input.stream) {
        std::uint8_t m[4] = {};
        if (::pread(fileno(f), m, 4, 0) == 4 && ((m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0xc3 && m[3] == 0xd4) ||
                                                  (m[0] == 0xd4 && m[1] == 0xc3 && m[2] == 0xb2 && m[3] == 0xa1)))
            src->file_nano_ = false;
    }
    src->read_buffer_ = std::move(buffer);
    src->stream_ = std::move(input.stream);
    if (reader != f) src->underlying_ = f;
    src->input_fd_ = fileno(f);
    return src;
}

std::unique_ptr<PcapSource> PcapSource::open_live(const std::string& interface, bool promiscuous, int timeout_ms) {
    char errbuf[PCAP_ERRBUF_SIZE] = {};
    std::string dev = interface;
    if (dev.empty()) {
        pcap_if_t* all = nullptr;
        if (pcap_findalldevs(&all, errbuf) != 0 || !all) {
            if (all) pcap_freealldevs(all);
            throw std::runtime_error(std::string("no capture device found") + (errbuf[0] ? std::string(": ") + errbuf : ""));
        }
        dev = all->name;
        pcap_freealldevs(all);
    }
    pcap_t* p = pcap_create(dev.c_str(), errbuf);
    if (!p) throw std::runtime_error(dev + ": " + errbuf);
    pcap_set_snaplen(p, kSnaplen);
    pcap_set_promisc(p, promiscuous ? 1 : 0);
    // A block is handed over when full or when this many milliseconds have passed since its first
    // packet: the bound on how long a packet waits in the kernel (-S packet-buffer-timeout).
    pcap_set_timeout(p, timeout_ms > 0 ? timeout_ms : 10);
    pcap_set_buffer_size(p, kBufferBytes);
    pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
    const int rc = pcap_activate(p);
    if (rc < 0) {
        std::string why = pcap_geterr(p);
        if (why.empty()) why = pcap_statustostr(rc);
        pcap_close(p);
        // One line a user can act on: which interface, what is wrong, libpcap's words in brackets.
        if (rc == PCAP_ERROR_NO_SUCH_DEVICE)
            throw std::runtime_error("cannot capture on " + dev + ": no such interface (" + why + ")");
        if (rc == PCAP_ERROR_PERM_DENIED || rc == PCAP_ERROR_PROMISC_PERM_DENIED)
            throw std::runtime_error("cannot capture on " + dev + ": permission denied (" + why +
                                     "); run as root or give tcpflow CAP_NET_RAW");
        throw std::runtime_error("cannot capture on " + dev + ": " + why);
    }
    if (pcap_setnonblock(p, 1, errbuf) != 0) {
        pcap_close(p);
        throw std::runtime_error(dev + ": " + errbuf);
    }
    return std::unique_ptr<PcapSource>(new PcapSource(p, dev, true));
}

std::string PcapSource::check_filter(const std::string& expression) {
    if (expression.empty()) return "";
    pcap_t* dead = pcap_open_dead(DLT_EN10MB, kSnaplen);
    bpf_program prog{};
    std::string msg;
    if (pcap_compile(dead, &prog, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
        msg = pcap_geterr(dead);
    else
        pcap_freecode(&prog);
    pcap_close(dead);
    return msg;
}

std::string PcapSource::link_type_name(int dlt) {
    const char* name = pcap_datalink_val_to_name(dlt);
    if (name == nullptr) return "";
    const char* description = pcap_datalink_val_to_description(dlt);
    if (description == nullptr || *description == '\0') return name;
    return std::string(name) + ": " + description;
}

void PcapSource::set_filter(const std::string& expression) {
    if (expression.empty()) return;
    if (native_) {
        filters_ = std::make_unique<Filters>();
        filters_->expression = expression;
        const int first = native_->datalink();
        if (std::string msg = filters_->compile(first); !msg.empty()) {
            // A pcapng's first interface is like the others: an expression that compiles for
            // Ethernet but not for its link type drops its packets (said once). Otherwise the
            // expression is bad: a usage error.
            if (!native_->is_pcapng() || first == 1 || !filters_->compile(1).empty()) {
                filters_.reset();
                throw std::invalid_argument(msg);
            }
            filters_->warnings.push_back(name_ + ": the filter cannot apply to link type " + std::to_string(first) +
                                         ", so none of its packets are read: " + msg);
        }
        return;
    }
    bpf_program prog{};
    if (pcap_compile(P(pcap_), &prog, expression.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0)
        throw std::invalid_argument(pcap_geterr(P(pcap_)));
    const int rc = pcap_setfilter(P(pcap_), &prog);
    pcap_freecode(&prog);
    if (rc != 0) throw std::invalid_argument(pcap_geterr(P(pcap_)));
}

bool PcapSource::several_link_types() const noexcept { return native_ && native_->is_pcapng(); }

int PcapSource::datalink() const noexcept { return native_ ? native_->datalink() : pcap_datalink(P(pcap_)); }
int PcapSource::snaplen() const noexcept {
    return native_ ? static_cast<int>(native_->snaplen()) : pcap_snapshot(P(pcap_));
}

const std::vector<DecryptionSecrets>& PcapSource::secrets() const noexcept {
    return native_ ? native_->secrets() : kNoSecrets;
}

std::string PcapSource::take_warning() {
    if (!filters_ || filters_->warnings.empty()) return {};
    std::string w = std::move(filters_->warnings.front());
    filters_->warnings.erase(filters_->warnings.begin());
    return w;
}

bool PcapSource::passes(const RawPacket& p) {
    Filters& f = *filters_;
    if (f.programs[f.last].dlt != p.dlt) {
        f.last = f.programs.size();
        for (std::size_t i = 0; i < f.programs.size(); ++i)
            if (f.programs[i].dlt == p.dlt) f.last = i;
        if (f.last == f.programs.size()) {
            if (std::string msg = f.compile(p.dlt); !msg.empty())
                f.warnings.push_back(name_ + ": the filter cannot apply to link type " + std::to_string(p.dlt) +
                            ", so none of its packets are read: " + msg);
        }
    }
    const Filters::Program& prog = f.programs[f.last];
    if (!prog.ok) return false;
    pcap_pkthdr h{};
    h.caplen = static_cast<bpf_u_int32>(p.data.size());
    h.len = p.wire_len;
    return pcap_offline_filter(&prog.code, &h, p.data.data()) != 0;
}

PcapSource::Next PcapSource::next_native(RawPacket& out) {
    for (;;) {
        switch (native_->next(out)) {
            case ReadResult::packet:
                if (filters_ && !passes(out)) continue;
                return Next::packet;
            case ReadResult::end: return Next::end;
            case ReadResult::error: read_error_ = native_->error(); return Next::error;
        }
    }
}

PcapSource::Next PcapSource::next(RawPacket& out, int wait_ms) {
    if (native_) return next_native(out);
    out.dlt = pcap_datalink(P(pcap_));
    for (;;) {
        pcap_pkthdr* hdr = nullptr;
        const u_char* data = nullptr;
        const int rc = pcap_next_ex(P(pcap_), &hdr, &data);
        if (rc == 1) {
            out.ts = nano_ ? Timestamp::from_sec_nsec(hdr->ts.tv_sec, hdr->ts.tv_usec)
                          : Timestamp::from_sec_usec(hdr->ts.tv_sec, hdr->ts.tv_usec);
            out.wire_len = hdr->len;
            out.data = Bytes{data, hdr->caplen};
            return Next::packet;
        }
        if (rc == PCAP_ERROR_BREAK) return live_ ? Next::timeout : Next::end;
        if (rc == PCAP_ERROR) {
            read_error_ = describe_read_error();
            return Next::error;
        }
        // rc == 0: live capture, nothing ready (non-blocking). Wait on the descriptor.
        if (!live_) return Next::end;
        const int fd = pcap_get_selectable_fd(P(pcap_));
        if (fd < 0) return Next::timeout;
        pollfd pfd{fd, POLLIN, 0};
        const int pr = ::poll(&pfd, 1, wait_ms);
        if (pr <= 0) return Next::timeout;
    }
}

std::string PcapSource::error() const {
    return read_error_.empty() && pcap_ ? std::string(pcap_geterr(P(pcap_))) : read_error_;
}

std::string PcapSource::describe_read_error() {
    std::string pcap_said = pcap_geterr(P(pcap_));
    if (!stream_) return pcap_said;
    // A read that failed inside our stream reaches libpcap as an I/O error; the stream knows why.
    std::string why = stream_->error();
    if (!why.empty()) return why;
    auto* d = dynamic_cast<Decompressor*>(stream_.get());
    if (!d) return pcap_said;
    // libpcap refused what it was given: the decompressor may know better.
    why = d->error_further_on();
    return why.empty() ? pcap_said : why + "; before that: " + pcap_said;
}

CaptureStats PcapSource::stats() const {
    CaptureStats s;
    pcap_stat st{};
    if (live_ && pcap_stats(P(pcap_), &st) == 0) {
        s.received = st.ps_recv;
        s.dropped = st.ps_drop;
        s.if_dropped = st.ps_ifdrop;
        s.valid = true;
    }
    return s;
}

std::uint64_t PcapSource::bytes_read() const noexcept {
    if (input_fd_ < 0) return 0;
    const off_t at = ::lseek(input_fd_, 0, SEEK_CUR);
    return at > 0 ? static_cast<std::uint64_t>(at) : 0;
}

void PcapSource::break_loop() noexcept {
    if (native_) native_->interrupt();
    else pcap_breakloop(P(pcap_));
}

}  // namespace tcpflow
