#include "tcpflow/output/file_sink.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <cstdlib>
#include <deque>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "tcpflow/output/write_behind.h"

namespace tcpflow {

namespace {

std::string errno_text(int e) { return std::strerror(e); }

bool write_all_at(int fd, const std::uint8_t* p, std::size_t n, std::uint64_t off, int& err) {
    while (n > 0) {
        const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(off));
        if (w < 0) {
            if (errno == EINTR) continue;
            err = errno;
            return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
        off += static_cast<std::uint64_t>(w);
    }
    return true;
}

int default_max_fds() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        const auto n = static_cast<long long>(rl.rlim_cur) - 24;   // stdio, capture, report, index, slack
        return n < 4 ? 4 : static_cast<int>(std::min<long long>(n, 1 << 20));
    }
    return 1000;
}

/// The names this run may not create: those in the output folder when it started and those
/// created since. A Bloom filter of fixed size (2 MiB) with both probes of a name in one 64-byte
/// line (one cache miss): "no" is certain, "maybe" is checked the slow way (O_EXCL). A few
/// hundred thousand names give a false "maybe" for about 1 in 1,000 names; past millions it says
/// "maybe" more often, never wrongly "no".
class NameFilter {
public:
    void add(std::string_view name) {
        if (lines_.empty()) lines_.assign(kLines * 8, 0);
        const Probe p = probe(name);
        lines_[p.word_a] |= p.bit_a;
        lines_[p.word_b] |= p.bit_b;
    }
    [[nodiscard]] bool maybe_contains(std::string_view name) const noexcept {
        if (lines_.empty()) return false;
        const Probe p = probe(name);
        return (lines_[p.word_a] & p.bit_a) != 0 && (lines_[p.word_b] & p.bit_b) != 0;
    }

private:
    static constexpr unsigned kLinesLog2 = 15;   // 32768 lines of 512 bits
    static constexpr std::size_t kLines = std::size_t{1} << kLinesLog2;
    struct Probe {
        std::size_t word_a, word_b;
        std::uint64_t bit_a, bit_b;
    };
    static Probe probe(std::string_view name) noexcept {
        const std::uint64_t h = std::hash<std::string_view>{}(name);
        const std::uint64_t g = (h ^ (h >> 31)) * 0xbf58476d1ce4e5b9ULL;   // mixed again for the bits
        const std::size_t line = static_cast<std::size_t>(h >> (64 - kLinesLog2)) * 8;
        const auto a = static_cast<unsigned>(g & 511), b = static_cast<unsigned>((g >> 9) & 511);
        return {line + (a >> 6), line + (b >> 6), std::uint64_t{1} << (a & 63), std::uint64_t{1} << (b & 63)};
    }
    std::vector<std::uint64_t> lines_;   // kLines lines of 8 words
};

}  // namespace

struct FileSink::Impl {
    struct Slot {
        std::string path;
        std::shared_ptr<WrittenFile> file;   // with write-behind: the I/O thread's view of it
        int fd = -1;
        std::vector<std::uint8_t> buf;
        std::uint64_t buf_off = 0;
        Timestamp first_seen;
        bool failed = false;
        bool used = false;
        bool bulk = false;          // its buffer filled up: give it a full-size one each time
        bool announced = false;     // on_file_opened was called
        bool index_dirty = false;   // .findx may be out of offset order
        std::uint64_t last_index_off = 0;
        std::string index;          // pending .findx lines
        Slot* lru_prev = nullptr;   // open descriptors, least recently written first
        Slot* lru_next = nullptr;
    };

    FileSinkConfig config;
    Stats* stats;
    FileClosedFn on_closed;
    std::vector<std::unique_ptr<Slot>> slots;   // handle = index + 1
    std::vector<std::uint32_t> free_slots;
    Slot* lru_head = nullptr;
    Slot* lru_tail = nullptr;
    std::size_t open_count = 0;
    std::size_t max_open_seen = 0;
    bool errors = false;
    static constexpr std::size_t kMaxRememberedNames = 65536;
    std::unordered_map<std::string, unsigned> next_count;   // taken name -> next count to try
    std::string name_scratch;                                  // open_flow's first name
    std::string prefix;   // "<outdir>/", or empty for the current folder; a '/' after it: a sub-folder
    // Write-behind (config.write_behind): at most 64 jobs and 4 MiB waiting for the I/O thread.
    std::unique_ptr<WriteBehind> wb;
    std::uint64_t wb_errors_counted = 0;
    // create_behind: whether the I/O thread creates files, the names it may not create, and
    // the output folder it creates them in.
    bool create_behind = false;
    NameFilter taken;
    int dir_fd = -1;
    std::size_t created_behind = 0;
    // Files whose create job may not have run yet, oldest first (jobs run in order).
    std::deque<std::shared_ptr<WrittenFile>> creating;

    /// Whether a queued create for `path` may not have run yet: then O_EXCL here would take the
    /// name from under it. Only names in `taken` can be queued.
    bool create_pending(const std::string& path) {
        forget_created();
        return std::any_of(creating.begin(), creating.end(), [&](const auto& f) { return f->path == path; });
    }
    /// Drops the files whose create has run from the front of `creating` (bounded by the queue).
    void forget_created() {
        while (!creating.empty() && creating.front()->created.load(std::memory_order_acquire)) creating.pop_front();
    }

    Impl(FileSinkConfig c, Stats& s, FileClosedFn cb) : config{std::move(c)}, stats{&s}, on_closed{std::move(cb)} {
        if (!config.outdir.empty() && config.outdir != ".") prefix = config.outdir + "/";
        const bool default_fds = config.max_fds <= 0 || config.max_fds <= default_max_fds();
        if (config.max_fds <= 0) config.max_fds = default_max_fds();
        if (config.index_files) config.max_fds = std::max(2, config.max_fds / 2);
        if (config.write_behind) {
            wb = std::make_unique<WriteBehind>(64, 4u << 20);
            wb->recycle_buffers_of(config.buffer_bytes);
            wb->set_owner(config.uid, config.gid);
            // Files created there are open before this thread counts them closed; that stays
            // within the slack default_max_fds leaves below the process limit, so not with -f
            // above it. -I reads its files back.
            if (config.create_behind && default_fds && !config.index_files) start_create_behind();
        }
    }

    ~Impl() {
        wb.reset();   // its last jobs may still use dir_fd
        if (dir_fd >= 0) ::close(dir_fd);
    }


    /// Every name now in the output folder goes into `taken` (a second run into the same folder
    /// must write c1 names, as with O_EXCL).
    void start_create_behind() {
        if (!prefix.empty()) {
            dir_fd = ::open(config.outdir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (dir_fd < 0) return;   // no folder yet: every file is created here (and the folder made)
            wb->create_in(dir_fd, prefix.size());
        }
        create_behind = true;
        wb->on_missing_folder([uid = config.uid, gid = config.gid](const std::string& path) {
            try {
                make_parent_dirs(path, uid, gid);
            } catch (const std::system_error&) {
                // the create fails again and says why
            }
        });
        if (DIR* d = ::opendir(prefix.empty() ? "." : config.outdir.c_str())) {
            std::string name = prefix;
            while (const dirent* e = ::readdir(d)) {
                name.resize(prefix.size());
                name += e->d_name;
                taken.add(name);
            }
            ::closedir(d);
        }
    }

    /// With files created on the I/O thread: the flow files' descriptors, counting those whose
    /// close is queued (still open), stay within -f and a few more, inside the 24 that
    /// default_max_fds leaves below the limit, so that the I/O thread's creates never run out.
    [[nodiscard]] bool fds_to_spare() const noexcept {
        return open_count + wb->closes_pending() < static_cast<std::size_t>(config.max_fds + kQueuedCloses);
    }

    /// Queues the creation of `path` for the I/O thread, when its name is surely free and the
    /// I/O thread keeps up. False: create it here.
    bool queue_create(Slot& s, const std::string& path) {
        if (!create_behind || wb->behind(kHelpBacklog) || path.find('/', prefix.size()) != std::string::npos ||
            taken.maybe_contains(path))
            return false;
        close_to_limit();
        if (!fds_to_spare()) return false;
        taken.add(path);
        ++created_behind;
        forget_created();
        creating.push_back(s.file);
        s.path = path;
        s.file->path = path;
        s.fd = WriteBehind::kCreatedThere;
        WriteBehind::Job j;
        j.file = s.file;
        j.fd = WriteBehind::kCreatedThere;
        j.create = true;
        wb->push(std::move(j));
        return true;
    }

    /// Waits for the I/O thread; its failed writes are counted here.
    void sync() {
        if (!wb) return;
        wb->drain();
        const std::uint64_t e = wb->errors();
        if (e > wb_errors_counted) {
            stats->add(Counter::write_errors, e - wb_errors_counted);
            wb_errors_counted = e;
            errors = true;
        }
    }

    /// The slot's failure, including one the I/O thread found.
    bool failed(Slot& s) {
        if (!s.failed && s.file && s.file->failed.load(std::memory_order_relaxed)) {
            s.failed = true;
            errors = true;
        }
        return s.failed;
    }

    Slot& slot(const FlowInfo& info) { return *slots[info.sink_handle - 1]; }

    void lru_unlink(Slot& s) {
        (s.lru_prev ? s.lru_prev->lru_next : lru_head) = s.lru_next;
        (s.lru_next ? s.lru_next->lru_prev : lru_tail) = s.lru_prev;
        s.lru_prev = s.lru_next = nullptr;
    }
    void lru_push(Slot& s) {
        s.lru_prev = lru_tail;
        s.lru_next = nullptr;
        (lru_tail ? lru_tail->lru_next : lru_head) = &s;
        lru_tail = &s;
    }

    /// Puts the slot's descriptor (open, or being created by the I/O thread) into the books:
    /// counted, most recently used. take_fd() takes it out again.
    void track_open(Slot& s) {
        ++open_count;
        max_open_seen = std::max(max_open_seen, open_count);
        lru_push(s);
    }

    /// Closes least recently used files until one more fits under -f.
    void close_to_limit() {
        while (open_count >= static_cast<std::size_t>(config.max_fds) && lru_head) close_fd(*lru_head);
    }

    /// Takes the slot's open descriptor out of the books (LRU list, count) and returns it; the
    /// caller closes it.
    int take_fd(Slot& s) noexcept {
        lru_unlink(s);
        const int fd = s.fd;
        s.fd = -1;
        --open_count;
        return fd;
    }

    /// The slot's descriptor, for a system call made here: a file the I/O thread created (its
    /// create has run: no job of the file is pending) takes the descriptor it opened.
    int fd_here(Slot& s) noexcept {
        if (s.fd == WriteBehind::kCreatedThere) {
            const int fd = s.file->fd;
            if (fd < 0) {
                take_fd(s);   // the create failed (and said so): nothing is open
            } else {
                s.fd = fd;
            }
        }
        return s.fd;
    }

    void close_fd(Slot& s) {
        if (s.fd == -1) return;
        const int fd = take_fd(s);
        if (wb) {
            WriteBehind::Job j;
            j.file = s.file;
            j.fd = fd;
            j.close = true;
            wb->push(std::move(j));
        } else {
            ::close(fd);
        }
    }

    void fail(Slot& s, const std::string& what, int err) {
        stats->add(Counter::write_errors);
        errors = true;
        if (!s.failed) std::fprintf(stderr, "tcpflow: %s %s: %s\n", what.c_str(), s.path.c_str(), errno_text(err).c_str());
        s.failed = true;
        if (s.file) s.file->failed.store(true, std::memory_order_relaxed);
    }

    void chown_path(const std::string& p) const {
        if (config.uid >= 0 && ::chown(p.c_str(), static_cast<uid_t>(config.uid), static_cast<gid_t>(config.gid)) != 0) {
            // Not fatal: the file is written; ownership is a convenience.
        }
    }

    /// Opens `flags` on the slot's path, closing least recently used files when descriptors run out.
    int open_path(Slot& s, int flags) {
        close_to_limit();
        if (create_behind && !fds_to_spare()) sync();   // let the queued closes run
        bool synced = false;
        for (;;) {
            const int fd = ::open(s.path.c_str(), flags | O_CLOEXEC, 0666);
            if (fd >= 0) return fd;
            if (errno == EMFILE || errno == ENFILE) {
                // Closes queued for the I/O thread still hold descriptors: let them run first.
                if (lru_head) {
                    close_fd(*lru_head);
                    if (wb) sync();
                    continue;
                }
                if (wb && !synced) {
                    const int e = errno;
                    sync();
                    synced = true;
                    errno = e;
                    continue;
                }
            }
            return -1;
        }
    }

    bool ensure_open(Slot& s) {
        if (failed(s)) return false;
        if (s.fd != -1) {
            lru_unlink(s);
            lru_push(s);
            return true;
        }
        if (create_behind && create_pending(s.path)) {
            // Closed (-f), or closed and resumed, before the I/O thread made it: opening it here
            // would make that O_EXCL fail.
            sync();
        }
        s.fd = open_path(s, O_RDWR | O_CREAT);
        if (s.fd < 0) {
            fail(s, "cannot open", errno);
            return false;
        }
        track_open(s);
        return true;
    }

    /// With write-behind: the I/O thread has a backlog and none of this file's jobs is waiting,
    /// so this thread writes it itself (same order, and both threads busy when writing is the
    /// slower part).
    [[nodiscard]] bool write_here(const Slot& s) const {
        return wb->behind(kHelpBacklog) && s.file && s.file->pending.load(std::memory_order_acquire) == 0;
    }
    // Well above the I/O thread's wake-up batch (16) and below the queue's 64 jobs: lower, and
    // this thread writes nearly everything while the I/O thread waits for a batch (measured on
    // the bulk capture: 8 gave 1.2 s, 16 0.75 s, 48 0.62 s, never 0.67 s).
    static constexpr std::size_t kHelpBacklog = 48;

    void write_at(Slot& s, const std::uint8_t* p, std::size_t n, std::uint64_t off) {
        if (!ensure_open(s)) return;
        if (wb && !write_here(s)) {
            WriteBehind::Job j;
            j.file = s.file;
            j.fd = s.fd;
            j.data.assign(p, p + n);
            j.offset = off;
            wb->push(std::move(j));
            return;
        }
        int err = 0;
        if (!write_all_at(fd_here(s), p, n, off, err)) fail(s, "cannot write", err);
    }

    /// Hands the buffered bytes to the file; `close_after` also sets the mtime and closes it.
    /// In line, or as one job for the I/O thread (write-behind).
    void flush_slot(Slot& s, bool close_after = false) {
        if (s.buf.empty() && !close_after) return;
        if (!s.buf.empty()) {
            if (s.buf.size() >= config.buffer_bytes / 2) s.bulk = true;
            if (!ensure_open(s)) s.buf.clear();
        }
        if (!wb || write_here(s)) {
            if (!s.buf.empty()) {
                int err = 0;
                if (!write_all_at(fd_here(s), s.buf.data(), s.buf.size(), s.buf_off, err)) fail(s, "cannot write", err);
                s.buf.clear();   // keeps its capacity for the next bytes
            }
            if (close_after) {
                set_mtime(s);
                if (fd_here(s) >= 0) ::close(take_fd(s));
            }
            return;
        }
        WriteBehind::Job j;
        j.file = s.file;
        j.fd = s.fd;
        if (!s.buf.empty()) {
            j.data = std::move(s.buf);   // no copy: the I/O thread frees or recycles it after the write
            j.offset = s.buf_off;
            s.buf = {};
        }
        if (close_after) {
            j.set_times = !failed(s);
            j.times[0] = j.times[1] = mtime_of(s);
            j.close = s.fd != -1;
            if (j.close) take_fd(s);
        }
        if (j.data.empty() && !j.set_times && !j.close) return;
        wb->push(std::move(j));
    }

    void flush_index(Slot& s) {
        if (s.index.empty()) return;
        const std::string p = s.path + ".findx";
        const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
        if (fd < 0 || ::write(fd, s.index.data(), s.index.size()) != static_cast<ssize_t>(s.index.size()))
            fail(s, "cannot write index for", errno);
        if (fd >= 0) ::close(fd);
        s.index.clear();
    }

    static void make_parent_dirs(const std::string& path, int uid, int gid) {
        const auto slash = path.rfind('/');
        if (slash == std::string::npos || slash == 0) return;
        make_dirs(path.substr(0, slash), uid, gid);
    }

    void announce(Slot& s, bool created) {
        s.announced = true;
        if (config.on_file_opened) config.on_file_opened(s.path, created);
    }

    /// Rewrites <path>.findx with every offset moved by `add` and the lines sorted by offset
    /// (stable: equal offsets keep arrival order). Skipped when nothing would change.
    void fix_index(Slot& s, std::uint64_t add) {
        flush_index(s);
        if (!s.index_dirty && add == 0) return;
        s.index_dirty = false;
        const std::string p = s.path + ".findx";
        const int rfd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
        if (rfd < 0) return;   // no index lines yet
        std::string text;
        char buf[65536];
        for (ssize_t r; (r = ::read(rfd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(r));
        ::close(rfd);
        std::vector<std::pair<std::uint64_t, std::string>> lines;
        bool sorted = true;
        for (std::size_t pos = 0; pos < text.size();) {
            auto nl = text.find('\n', pos);
            if (nl == std::string::npos) nl = text.size();
            std::string line = text.substr(pos, nl - pos);
            pos = nl + 1;
            if (line.empty()) continue;
            const auto bar = line.find('|');
            std::uint64_t off = std::strtoull(line.c_str(), nullptr, 10) + add;
            if (add && bar != std::string::npos) line = std::to_string(off) + line.substr(bar);
            if (!lines.empty() && off < lines.back().first) sorted = false;
            lines.emplace_back(off, std::move(line));
        }
        if (sorted && add == 0) return;
        std::stable_sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
        std::string out;
        out.reserve(text.size() + lines.size() * 4);
        for (const auto& l : lines) (out += l.second) += '\n';
        const int wfd = ::open(p.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (wfd < 0 || ::write(wfd, out.data(), out.size()) != static_cast<ssize_t>(out.size()))
            fail(s, "cannot write index for", errno);
        if (wfd >= 0) ::close(wfd);
    }

    /// A fresh slot that keeps its strings' storage (a name per flow without an allocation).
    static void reset(Slot& s) {
        std::string path = std::move(s.path), index = std::move(s.index);
        path.clear();
        index.clear();
        s = Slot{};
        s.path = std::move(path);
        s.index = std::move(index);
    }

    std::uint32_t allocate() {
        if (!free_slots.empty()) {
            const auto h = free_slots.back();
            free_slots.pop_back();
            return h;
        }
        slots.push_back(std::make_unique<Slot>());
        return static_cast<std::uint32_t>(slots.size());
    }

    void open_flow(FlowInfo& info, Timestamp) {
        const std::uint32_t h = allocate();
        info.sink_handle = h;
        Slot& s = *slots[h - 1];
        reset(s);
        s.used = true;
        s.first_seen = info.name.first_seen;
        if (wb) s.file = std::make_shared<WrittenFile>();
        if (info.resumed && !info.path.empty()) {
            s.path = info.path;   // continue the same file
            if (s.file) s.file->path = s.path;
            s.index_dirty = config.index_files;   // earlier lines may come after this run's
            announce(s, false);
            return;
        }
        constexpr unsigned kMaxTries = 1'000'000;
        // Names already taken: start after the last count used for this name, so N files of one
        // name cost N opens, not N^2/2 (a connection that jumps -m again and again).
        std::string& first = name_scratch;   // reused: no allocation per flow
        first.assign(prefix);
        config.name_template.append_to(first, info.name, 0);
        const auto known = next_count.find(first);
        const unsigned start = known == next_count.end() ? 0 : known->second;
        if (start == 0 && queue_create(s, first)) {
            track_open(s);
            info.path = s.path;
            announce(s, true);
            return;
        }
        for (unsigned count = start; count < kMaxTries; ++count) {
            s.path = count == 0 ? first : prefix + config.name_template.expand(info.name, count);
            if (create_behind && create_pending(s.path)) sync();   // a reused name (port reuse)
            int fd = open_path(s, O_RDWR | O_CREAT | O_EXCL);
            if (fd < 0 && errno == ENOENT) {
                // The folder is missing (a -F or -T sub-folder, or one removed meanwhile): make
                // it and try once more. Checking first would cost a stat per file.
                make_parent_dirs(s.path, config.uid, config.gid);
                fd = open_path(s, O_RDWR | O_CREAT | O_EXCL);
            }
            if (fd >= 0) {
                if (count > 0) {
                    if (next_count.size() >= kMaxRememberedNames) next_count.clear();   // bounded
                    next_count[first] = count + 1;
                }
                s.fd = fd;
                if (s.file) s.file->path = s.path;
                if (create_behind) taken.add(s.path);
                track_open(s);
                chown_path(s.path);
                info.path = s.path;
                announce(s, true);
                return;
            }
            if (errno != EEXIST || !config.name_template.uses_count()) break;
        }
        info.path = s.path;
        fail(s, "cannot create", errno);
    }

    void data(FlowInfo& info, std::uint64_t off, Bytes d, Timestamp ts) {
        Slot& s = slot(info);
        if (failed(s)) return;
        if (config.index_files) {
            char line[96];
            const int n = std::snprintf(line, sizeof line, "%llu|%lld.%06lld|%zu\n", static_cast<unsigned long long>(off),
                                        static_cast<long long>(ts.seconds()), static_cast<long long>(ts.subsec_ns() / 1000),
                                        d.size());
            if (n > 0) s.index.append(line, static_cast<std::size_t>(n));
            if (off < s.last_index_off) s.index_dirty = true;
            s.last_index_off = off;
            if (s.index.size() > 64 * 1024) flush_index(s);
        }
        if (!s.buf.empty() && off == s.buf_off + s.buf.size() && s.buf.size() + d.size() <= config.buffer_bytes) {
            s.buf.insert(s.buf.end(), d.begin(), d.end());
            return;
        }
        flush_slot(s);
        if (d.size() >= config.buffer_bytes) {
            write_at(s, d.data(), d.size(), off);
            return;
        }
        // Grown as needed (small flows stay small); at most buffer_bytes are kept before a write.
        if (wb && s.bulk && s.buf.capacity() == 0) {
            s.buf = wb->take_buffer();
            s.buf.reserve(config.buffer_bytes);
        }
        s.buf_off = off;
        s.buf.assign(d.begin(), d.end());
    }

    void shift(FlowInfo& info, std::uint64_t n) {
        Slot& s = slot(info);
        flush_slot(s);
        sync();   // the file is read back below
        if (config.index_files) {
            fix_index(s, n);   // every indexed byte moved n further on
            s.last_index_off += n;
        }
        if (failed(s) || !ensure_open(s)) return;
        // Rewrite the file n bytes further on, from the end backwards (1.6.1's shift_file).
        const int rfd = ::open(s.path.c_str(), O_RDONLY | O_CLOEXEC);
        if (rfd < 0) return fail(s, "cannot read", errno);
        struct stat st{};
        ::fstat(rfd, &st);
        std::vector<std::uint8_t> chunk(1 << 16);
        auto end = static_cast<std::uint64_t>(st.st_size);
        while (end > 0) {
            const std::uint64_t len = std::min<std::uint64_t>(end, chunk.size());
            const std::uint64_t start = end - len;
            const ssize_t r = ::pread(rfd, chunk.data(), static_cast<std::size_t>(len), static_cast<off_t>(start));
            if (r != static_cast<ssize_t>(len)) {
                ::close(rfd);
                return fail(s, "cannot read", errno);
            }
            int err = 0;
            if (!write_all_at(fd_here(s), chunk.data(), static_cast<std::size_t>(len), start + n, err)) {
                ::close(rfd);
                return fail(s, "cannot write", err);
            }
            end = start;
        }
        ::close(rfd);
        // The first n bytes are now a hole until the caller writes them.
        const std::vector<std::uint8_t> zeros(static_cast<std::size_t>(std::min<std::uint64_t>(n, 1 << 16)), 0);
        for (std::uint64_t pos = 0; pos < n && pos < static_cast<std::uint64_t>(st.st_size);) {
            const std::uint64_t len = std::min<std::uint64_t>({n - pos, zeros.size(), static_cast<std::uint64_t>(st.st_size) - pos});
            int err = 0;
            if (!write_all_at(fd_here(s), zeros.data(), static_cast<std::size_t>(len), pos, err)) return fail(s, "cannot write", err);
            pos += len;
        }
    }

    std::size_t read_back(FlowInfo& info, std::uint64_t off, std::span<std::uint8_t> out) {
        Slot& s = slot(info);
        if (failed(s)) return 0;
        // Bytes still in the write buffer are compared there; the rest is read from the file.
        if (!s.buf.empty() && off >= s.buf_off && off < s.buf_off + s.buf.size()) {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), s.buf_off + s.buf.size() - off));
            std::memcpy(out.data(), s.buf.data() + (off - s.buf_off), n);
            return n;
        }
        flush_slot(s);
        sync();   // bytes handed to the I/O thread must be in the file before it is read
        if (!ensure_open(s)) return 0;
        const ssize_t r = ::pread(fd_here(s), out.data(), out.size(), static_cast<off_t>(off));
        return r > 0 ? static_cast<std::size_t>(r) : 0;
    }

    void close_flow(FlowInfo& info, const FlowSummary& sum) {
        if (info.sink_handle == 0) {
            if (on_closed) on_closed(info, sum);
            return;
        }
        Slot& s = slot(info);
        // What is left is written, the mtime set and the file closed (with write-behind: as one job).
        flush_slot(s, true);
        if (config.index_files) fix_index(s, 0);
        finish_close(info, s, sum);
    }

    /// The file's mtime: the direction's first packet (1.6.1).
    static timespec mtime_of(const Slot& s) noexcept {
        return {static_cast<time_t>(s.first_seen.seconds()), static_cast<long>(s.first_seen.subsec_ns())};
    }

    void set_mtime(Slot& s) {
        if (failed(s)) return;
        const timespec times[2] = {mtime_of(s), mtime_of(s)};
        if (fd_here(s) >= 0) {
            ::futimens(s.fd, times);
        } else {
            ::utimensat(AT_FDCWD, s.path.c_str(), times, 0);
        }
    }

    void finish_close(FlowInfo& info, Slot& s, const FlowSummary& sum) {
        s.buf = {};
        s.file.reset();
        s.used = false;
        free_slots.push_back(info.sink_handle);
        info.sink_handle = 0;
        if (s.announced && config.on_file_closed) config.on_file_closed(s.path);
        s.announced = false;
        if (on_closed) on_closed(info, sum);
    }

    void flush_all() {
        for (auto& s : slots)
            if (s->used) flush_slot(*s);
        sync();
    }
};

FileSink::FileSink(FileSinkConfig config, Stats& stats, FileClosedFn on_closed)
    : impl_{std::make_unique<Impl>(std::move(config), stats, std::move(on_closed))} {}

FileSink::~FileSink() {
    for (auto& s : impl_->slots) {
        if (s->used) impl_->flush_slot(*s);
        impl_->close_fd(*s);
    }
}

void FileSink::on_open(FlowInfo& info, Timestamp ts) { impl_->open_flow(info, ts); }
void FileSink::on_data(FlowInfo& info, std::uint64_t offset, Bytes data, Timestamp ts) { impl_->data(info, offset, data, ts); }
void FileSink::on_shift(FlowInfo& info, std::uint64_t n) { impl_->shift(info, n); }
void FileSink::on_close(FlowInfo& info, const FlowSummary& summary) { impl_->close_flow(info, summary); }
void FileSink::flush() { impl_->flush_all(); }
std::size_t FileSink::read_back(FlowInfo& info, std::uint64_t offset, std::span<std::uint8_t> out) {
    return impl_->read_back(info, offset, out);
}
bool FileSink::had_errors() const noexcept { return impl_->errors || (impl_->wb && impl_->wb->errors() > 0); }
std::size_t FileSink::open_files() const noexcept { return impl_->open_count; }
std::size_t FileSink::max_open_files_seen() const noexcept { return impl_->max_open_seen; }
std::size_t FileSink::files_created_behind() const noexcept { return impl_->created_behind; }
int FileSink::default_max_open() noexcept { return default_max_fds(); }

void FileSink::make_dirs(const std::string& path, int uid, int gid) {
    if (path.empty() || path == "." || path == "/") return;
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return;
        throw std::system_error(ENOTDIR, std::generic_category(), "cannot create folder " + path);
    }
    const auto slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) make_dirs(path.substr(0, slash), uid, gid);
    if (::mkdir(path.c_str(), 0777) != 0 && errno != EEXIST)
        throw std::system_error(errno, std::generic_category(), "cannot create folder " + path);
    if (uid >= 0 && ::chown(path.c_str(), static_cast<uid_t>(uid), static_cast<gid_t>(gid)) != 0) {
        // ownership is a convenience; the folder exists
    }
}

}  // namespace tcpflow
