// file_writer.cpp: coalescing, pwrite at offsets, descriptors, shift, read-back, mtime, and the
// coordination with the write-behind I/O thread (see file_writer.h).
#include "tcpflow/output/file_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "tcpflow/output/posix_io.h"

namespace tcpflow {

namespace {
// Well above the I/O thread's wake-up batch (16) and below the queue's 64 jobs: lower, and this
// thread writes nearly everything while the I/O thread waits for a batch (measured on the bulk
// capture: 8 gave 1.2 s, 16 0.75 s, 48 0.62 s, never 0.67 s).
constexpr std::size_t kHelpBacklog = 48;

FlowFile& file_of(FdCacheEntry& e) noexcept { return static_cast<FlowFile&>(e); }

/// The file's mtime: the direction's first packet (1.6.1).
timespec mtime_of(const FlowFile& f) noexcept {
    return {static_cast<time_t>(f.first_seen.seconds()), static_cast<long>(f.first_seen.subsec_ns())};
}
}  // namespace

/// A search for a free name made on this thread: waits for a queued create of the same name
/// first, and frees descriptors when they run out.
class FileWriter::CreateHooks final : public NameAllocator::Hooks {
public:
    explicit CreateHooks(FileWriter& w) : w_{w} {}
    bool take_own(const std::string& path) override {
        // A reused name (port reuse) whose create may still be queued: O_EXCL here would take the
        // name from under it.
        if (w_.create_behind_ && w_.create_pending(path)) w_.sync();
        return false;
    }
    int open(int dir_fd, const char* name, int flags) override { return w_.open_path(dir_fd, name, flags); }

private:
    FileWriter& w_;
};

FileWriter::FileWriter(const FileWriterConfig& config, NameAllocator& names, Stats& stats, Diagnostics& diagnostics)
    : config_{config},
      names_{names},
      stats_{stats},
      diagnostics_{diagnostics},
      cache_{static_cast<std::size_t>(std::max(1, config.max_fds))} {
    if (!config_.write_behind) return;
    wb_ = std::make_unique<WriteBehind>(64, 4u << 20, diagnostics_);
    wb_->recycle_buffers_of(config_.buffer_bytes);
    // Every name now in the folder goes into the allocator's filter; no folder yet: every file is
    // created here (and the folder made).
    if (config_.create_behind && names_.watch_folder()) {
        create_behind_ = true;
        wb_->create_with([this](WrittenFile& file) {
            const NameAllocator::Created c = names_.create_reserved(file.path, file.name, file.moved_to);
            if (c.fd < 0) errno = c.err;
            return c.fd;
        });
    }
}

FileWriter::~FileWriter() { wb_.reset(); }   // its last jobs run before the allocator goes

void FileWriter::start(FlowFile& f, Timestamp first_seen) {
    std::string path = std::move(f.path);   // a name per flow without an allocation
    path.clear();
    f = FlowFile{};
    f.path = std::move(path);
    f.first_seen = first_seen;
    if (wb_) f.shared = std::make_shared<WrittenFile>();
}

bool FileWriter::create(FlowFile& f, const FlowNameInfo& info) {
    if (queue_create(f, info)) return true;
    CreateHooks hooks{*this};
    const NameAllocator::Created c = names_.create(f.path, info, O_RDWR, hooks);
    if (c.fd < 0) {
        fail(f, "cannot create", c.err);
        return false;
    }
    f.fd = c.fd;
    f.exists = true;
    if (f.shared) f.shared->path = f.path;
    cache_.opened(f);
    return true;
}

bool FileWriter::create_at(FlowFile& f, FileOwner owner) {
    const std::string wanted = f.path;
    const std::size_t slash = wanted.rfind('/');
    std::size_t dot = wanted.rfind('.');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) dot = wanted.size();
    for (unsigned c = 0; c < 1000; ++c) {
        if (c > 0) f.path = wanted.substr(0, dot) + "c" + std::to_string(c) + wanted.substr(dot);
        const int fd = open_path(AT_FDCWD, f.path.c_str(), O_RDWR | O_CREAT | O_EXCL);
        if (fd >= 0) {
            posix_io::give_to(fd, owner);
            f.fd = fd;
            f.exists = true;
            if (f.shared) f.shared->path = f.path;
            cache_.opened(f);
            return true;
        }
        if (errno != EEXIST) {
            fail(f, "cannot create", errno);
            return false;
        }
    }
    fail(f, "cannot create", EEXIST);
    return false;
}

void FileWriter::resume(FlowFile& f, const std::string& path) {
    f.path = path;   // continue the same file
    f.exists = true;
    if (f.shared) f.shared->path = path;
}

/// Queues the creation of `f.path` for the I/O thread, when its name is surely free and the I/O
/// thread keeps up. False: create it here.
bool FileWriter::queue_create(FlowFile& f, const FlowNameInfo& info) {
    // Names in sub-folders are made here: a missing folder is made on the way.
    if (!create_behind_ || wb_->behind(kHelpBacklog) || f.path.find('/', names_.dir().path.size()) != std::string::npos ||
        !names_.surely_free(f.path))
        return false;
    close_to_limit();
    if (!fds_to_spare()) return false;
    names_.reserve(f.path);
    ++created_behind_;
    forget_created();
    creating_.push_back(f.shared);
    f.shared->path = f.path;
    f.shared->name = info;
    f.fd = WriteBehind::kCreatedThere;
    f.name_pending = true;
    WriteBehind::Job j;
    j.file = f.shared;
    j.fd = WriteBehind::kCreatedThere;
    j.create = true;
    wb_->push(std::move(j));
    cache_.opened(f);
    return true;
}

/// Whether a queued create for `path` may not have run yet: then O_EXCL here would take the name
/// from under it. Only names the allocator reserved can be queued.
bool FileWriter::create_pending(const std::string& path) {
    forget_created();
    return std::any_of(creating_.begin(), creating_.end(), [&](const auto& f) { return f->path == path; });
}

/// Drops the files whose create has run from the front of `creating_` (bounded by the queue).
void FileWriter::forget_created() {
    while (!creating_.empty() && creating_.front()->created.load(std::memory_order_acquire)) creating_.pop_front();
}

/// With files created on the I/O thread: the flow files' descriptors, counting those whose close
/// is queued (still open), stay within -f and a few more, inside the 24 that the default -f
/// leaves below the limit, so that the I/O thread's creates never run out.
bool FileWriter::fds_to_spare() const noexcept {
    return cache_.open() + wb_->closes_pending() < static_cast<std::size_t>(config_.max_fds + kQueuedCloses);
}

/// Closes least recently used files until one more fits under -f.
void FileWriter::close_to_limit() {
    cache_.make_room([this](FdCacheEntry& e) { close_descriptor(file_of(e)); });
}

/// Opens `name` (relative to `dir_fd`) with `flags`, closing least recently used files when
/// descriptors run out. -1 with errno set when it cannot.
int FileWriter::open_path(int dir_fd, const char* name, int flags) {
    close_to_limit();
    if (create_behind_ && !fds_to_spare()) sync();   // let the queued closes run
    bool synced = false;
    for (;;) {
        const int fd = ::openat(dir_fd, name, flags | O_CLOEXEC, 0666);
        if (fd >= 0) return fd;
        if (errno == EMFILE || errno == ENFILE) {
            // Closes queued for the I/O thread still hold descriptors: let them run first.
            if (FdCacheEntry* oldest = cache_.oldest()) {
                close_descriptor(file_of(*oldest));
                if (wb_) sync();
                continue;
            }
            if (wb_ && !synced) {
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

bool FileWriter::ensure_open(FlowFile& f) {
    if (failed(f)) return false;
    if (f.fd != -1) {
        cache_.used(f);
        return true;
    }
    // Closed (-f), or closed and resumed, before the I/O thread made it: opening it here would
    // make that O_EXCL fail.
    if (create_behind_ && create_pending(f.path)) sync();
    adopt_name(f);
    if (failed(f)) return false;   // its create on the I/O thread failed: nothing to reopen
    const int fd = open_path(AT_FDCWD, f.path.c_str(), O_RDWR | O_CREAT);
    if (fd < 0) {
        fail(f, "cannot open", errno);
        return false;
    }
    f.fd = fd;
    cache_.opened(f);
    return true;
}

/// Takes the file's open descriptor out of the books and returns it; the caller closes it.
int FileWriter::take_fd(FlowFile& f) noexcept {
    cache_.closed(f);
    const int fd = f.fd;
    f.fd = -1;
    return fd;
}

/// The file's descriptor, for a system call made here: a file the I/O thread created (its create
/// has run: no job of the file is pending) takes the descriptor it opened, and its name.
int FileWriter::fd_here(FlowFile& f) noexcept {
    adopt_name(f);
    if (f.fd == WriteBehind::kCreatedThere) {
        const int fd = f.shared->fd;
        if (fd < 0) {
            take_fd(f);   // the create failed (and said so): nothing is open
        } else {
            f.fd = fd;
        }
    }
    return f.fd;
}

/// Once the I/O thread has created the file: its name is the one it created.
void FileWriter::adopt_name(FlowFile& f) noexcept {
    if (!f.name_pending || !f.shared->created.load(std::memory_order_acquire)) return;
    if (!f.shared->moved_to.empty()) f.path = f.shared->moved_to;
    f.exists = f.shared->fd >= 0;
    f.name_pending = false;
}

const std::string& FileWriter::settle(FlowFile& f) {
    if (f.name_pending) {
        wb_->wait_created(*f.shared);
        adopt_name(f);
    }
    return f.path;
}

void FileWriter::close_descriptor(FlowFile& f) {
    if (f.fd == -1) return;
    if (!wb_) return close_here(f);
    const int fd = take_fd(f);
    WriteBehind::Job j;
    j.file = f.shared;
    j.fd = fd;
    j.close = true;
    wb_->push(std::move(j));
}

/// Closes the file's open descriptor here. A file that no name leads to any more (its folder was
/// deleted) has lost what was written: said once, and the run fails.
void FileWriter::close_here(FlowFile& f) {
    const int fd = take_fd(f);
    if (!f.failed && posix_io::unlinked(fd)) {
        stats_.add(Counter::write_errors);
        errors_ = true;
        diagnostics_.error(Diagnostics::removed(f.path));
        f.failed = true;
        if (f.error == 0) f.error = ENOENT;
        if (f.shared) {
            int none = 0;
            f.shared->error.compare_exchange_strong(none, ENOENT, std::memory_order_relaxed);
            f.shared->failed.store(true, std::memory_order_relaxed);
        }
    }
    ::close(fd);
}

void FileWriter::release(FlowFile& f) noexcept {
    f.buf = {};
    f.shared.reset();
}

void FileWriter::sync() {
    if (!wb_) return;
    wb_->drain();
    const std::uint64_t e = wb_->errors();
    if (e > wb_errors_counted_) {
        stats_.add(Counter::write_errors, e - wb_errors_counted_);
        wb_errors_counted_ = e;
        errors_ = true;
    }
}

bool FileWriter::failed(FlowFile& f) {
    if (!f.failed && f.shared && f.shared->failed.load(std::memory_order_relaxed)) {
        f.failed = true;
        errors_ = true;
    }
    return f.failed;
}

void FileWriter::fail(FlowFile& f, const char* what, int err) {
    stats_.add(Counter::write_errors);
    errors_ = true;
    adopt_name(f);
    // Said once per file, whichever thread finds it first (the I/O thread says it with the same
    // exchange).
    const bool first = !f.failed && !(f.shared && f.shared->failed.exchange(true));
    if (first) diagnostics_.error(Diagnostics::describe(what, f.path, err));
    f.failed = true;
    if (f.error == 0) f.error = err;
    if (f.shared) {
        int none = 0;
        f.shared->error.compare_exchange_strong(none, err, std::memory_order_relaxed);
        f.shared->failed.store(true, std::memory_order_relaxed);
    }
}

int FileWriter::error(const FlowFile& f) noexcept {
    if (f.error != 0 || !f.shared) return f.error;
    return f.shared->error.load(std::memory_order_relaxed);
}

/// With write-behind: the I/O thread has a backlog, so this thread writes `f` itself (both
/// threads busy when writing is the slower part). When none of the file's jobs is queued, that
/// is the same order. When some are, a big write (a bulk file) of bytes past all those queued may
/// still go here: pwrite puts them at their own offsets, so only bytes queued for the same
/// offsets (a rewrite) would have to wait. Its descriptor must be known here, and the I/O thread
/// must not be writing the file right now (both would queue for the file's lock). What comes
/// after every write (the mtime, the close: `closing`) waits for the queued jobs.
bool FileWriter::write_here(FlowFile& f, std::uint64_t offset, std::size_t bytes, bool closing) const {
    if (!wb_->behind(kHelpBacklog) || !f.shared) return false;
    if (f.shared->pending.load(std::memory_order_acquire) == 0) return true;
    // Small writes stay on the I/O thread: taking them too measured 10% slower on the small
    // capture (more wake-ups, and the file records' cache lines shared between the threads).
    if (closing || bytes < config_.buffer_bytes / 2 || offset < f.queued_end || f.failed ||
        f.shared->writing.load(std::memory_order_relaxed))
        return false;
    if (f.shared->failed.load() || !(f.fd >= 0 || (f.fd == WriteBehind::kCreatedThere && f.shared->created.load(std::memory_order_acquire))))
        return false;
    f.shared->ahead.store(true);
    return true;
}

/// Writes bytes of `f` here; when jobs of `f` may be queued (written ahead), a write of it that
/// failed or was skipped, on either thread, cuts the file at its offset (cut_file).
void FileWriter::write_bytes(FlowFile& f, const std::uint8_t* p, std::size_t n, std::uint64_t offset) {
    const int fd = fd_here(f);
    const int err = posix_io::write_all_at(fd, p, n, offset);
    if (err != 0) fail(f, "cannot write", err);
    if (!f.shared || !f.shared->ahead.load()) return;
    // A failed write cuts the file at its offset; and once a cut is set, it is made again after
    // each write, in case the I/O thread made it before these bytes landed.
    if (err != 0 || f.shared->cut.load() != WrittenFile::kNoCut) cut_file(*f.shared, fd, err != 0 ? offset : WrittenFile::kNoCut);
}

void FileWriter::write_at(FlowFile& f, const std::uint8_t* p, std::size_t n, std::uint64_t offset) {
    if (!ensure_open(f)) return;
    if (wb_ && !write_here(f, offset, n)) {
        WriteBehind::Job j;
        j.file = f.shared;
        j.fd = f.fd;
        j.data.assign(p, p + n);
        j.offset = offset;
        f.queued_end = std::max(f.queued_end, offset + n);
        wb_->push(std::move(j));
        return;
    }
    write_bytes(f, p, n, offset);
}

void FileWriter::write(FlowFile& f, std::uint64_t offset, Bytes data) {
    if (!f.buf.empty() && offset == f.buf_off + f.buf.size() && f.buf.size() + data.size() <= config_.buffer_bytes) {
        f.buf.insert(f.buf.end(), data.begin(), data.end());
        return;
    }
    flush(f);
    if (data.size() >= config_.buffer_bytes) {
        write_at(f, data.data(), data.size(), offset);
        return;
    }
    // Grown as needed (small flows stay small); at most buffer_bytes are kept before a write.
    if (wb_ && f.bulk && f.buf.capacity() == 0) {
        f.buf = wb_->take_buffer();
        f.buf.reserve(config_.buffer_bytes);
    }
    f.buf_off = offset;
    f.buf.assign(data.begin(), data.end());
}

void FileWriter::flush(FlowFile& f, bool close_after) {
    if (f.buf.empty() && !close_after) return;
    if (!f.buf.empty()) {
        if (f.buf.size() >= config_.buffer_bytes / 2) f.bulk = true;
        if (!ensure_open(f)) f.buf.clear();
    }
    if (!wb_ || write_here(f, f.buf_off, f.buf.size(), close_after)) {
        if (!f.buf.empty()) {
            write_bytes(f, f.buf.data(), f.buf.size(), f.buf_off);
            f.buf.clear();   // keeps its capacity for the next bytes
        }
        if (close_after) {
            set_mtime(f);
            if (fd_here(f) >= 0) close_here(f);
        }
        return;
    }
    // One job for the I/O thread: the bytes, and with close_after the mtime and the close.
    WriteBehind::Job j;
    j.file = f.shared;
    j.fd = f.fd;
    if (!f.buf.empty()) {
        f.queued_end = std::max(f.queued_end, f.buf_off + f.buf.size());
        j.data = std::move(f.buf);   // no copy: the I/O thread frees or recycles it after the write
        j.offset = f.buf_off;
        f.buf = {};
    }
    if (close_after) {
        // A file whose write failed keeps what it got and gets its time like the others; a
        // failed create left no file of ours.
        adopt_name(f);
        j.set_times = f.exists || f.name_pending;
        j.mtime = mtime_of(f);
        j.close = f.fd != -1;
        if (j.close) take_fd(f);
    }
    if (j.data.empty() && !j.set_times && !j.close) return;
    wb_->push(std::move(j));
}

void FileWriter::set_mtime(FlowFile& f) {
    const int fd = fd_here(f);
    if (!f.exists) return;   // its create failed: nothing of ours is there
    posix_io::set_mtime(fd, fd >= 0 ? nullptr : f.path.c_str(), mtime_of(f));
}

void FileWriter::shift(FlowFile& f, std::uint64_t n) {
    flush(f);
    sync();   // the file is read back below
    if (failed(f) || !ensure_open(f)) return;
    adopt_name(f);
    // Rewrite the file n bytes further on, from the end backwards (1.6.1's shift_file).
    const int rfd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (rfd < 0) return fail(f, "cannot read", errno);
    struct stat st{};
    ::fstat(rfd, &st);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    std::vector<std::uint8_t> chunk(1 << 16);
    for (std::uint64_t end = size; end > 0;) {
        const std::uint64_t len = std::min<std::uint64_t>(end, chunk.size());
        const std::uint64_t start = end - len;
        const ssize_t r = ::pread(rfd, chunk.data(), static_cast<std::size_t>(len), static_cast<off_t>(start));
        if (r != static_cast<ssize_t>(len)) {
            ::close(rfd);
            return fail(f, "cannot read", errno);
        }
        if (const int err = posix_io::write_all_at(fd_here(f), chunk.data(), static_cast<std::size_t>(len), start + n); err != 0) {
            ::close(rfd);
            return fail(f, "cannot write", err);
        }
        end = start;
    }
    ::close(rfd);
    // The first n bytes are now a hole until the caller writes them.
    const std::vector<std::uint8_t> zeros(static_cast<std::size_t>(std::min<std::uint64_t>(n, 1 << 16)), 0);
    for (std::uint64_t pos = 0; pos < n && pos < size;) {
        const std::uint64_t len = std::min<std::uint64_t>({n - pos, zeros.size(), size - pos});
        if (const int err = posix_io::write_all_at(fd_here(f), zeros.data(), static_cast<std::size_t>(len), pos); err != 0)
            return fail(f, "cannot write", err);
        pos += len;
    }
}

std::size_t FileWriter::read_back(FlowFile& f, std::uint64_t offset, std::span<std::uint8_t> out) {
    if (failed(f)) return 0;
    // Bytes still in the write buffer are compared there; the rest is read from the file.
    if (!f.buf.empty() && offset >= f.buf_off && offset < f.buf_off + f.buf.size()) {
        const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), f.buf_off + f.buf.size() - offset));
        std::memcpy(out.data(), f.buf.data() + (offset - f.buf_off), n);
        return n;
    }
    flush(f);
    sync();   // bytes handed to the I/O thread must be in the file before it is read
    if (!ensure_open(f)) return 0;
    const ssize_t r = ::pread(fd_here(f), out.data(), out.size(), static_cast<off_t>(offset));
    return r > 0 ? static_cast<std::size_t>(r) : 0;
}

}  // namespace tcpflow
