// file_sink.cpp: one file per flow direction, put together from the name allocator, the file
// writer (with its descriptor cache and write-behind) and the -I index writer (see file_sink.h).
#include "tcpflow/output/file_sink.h"

#include <sys/stat.h>

#include <algorithm>
#include <vector>

#include "tcpflow/base/memory_budget.h"
#include "tcpflow/output/fd_cache.h"
#include "tcpflow/output/file_writer.h"
#include "tcpflow/output/findx_writer.h"
#include "tcpflow/output/name_allocator.h"

namespace tcpflow {

namespace {

static_assert(FileSink::kQueuedCloses == FileWriter::kQueuedCloses);

NameAllocatorConfig names_config(const FileSinkConfig& c) {
    NameAllocatorConfig n;
    n.dir = c.dir;
    n.name_template = c.name_template;
    if (c.index_files) n.companion = FindxWriter::kSuffix;   // an index is always new, beside its file
    n.owner = c.owner;
    return n;
}

FileWriterConfig writer_config(const FileSinkConfig& c) {
    FileWriterConfig w;
    const int limit = FdCache::default_limit();
    // Files created on the I/O thread are open before this thread counts them closed; that stays
    // within the slack the default -f leaves below the process limit, so not with -f above it.
    // -I reads its files back.
    const bool default_fds = c.max_fds <= 0 || c.max_fds <= limit;
    w.max_fds = c.max_fds > 0 ? c.max_fds : limit;
    if (c.index_files) w.max_fds = std::max(2, w.max_fds / 2);   // half for index files
    w.buffer_bytes = c.buffer_bytes;
    w.write_behind = c.write_behind;
    w.create_behind = c.write_behind && c.create_behind && default_fds && !c.index_files;
    return w;
}

}  // namespace

struct FileSink::Impl {
    struct Slot {
        FlowFile file;
        FindxWriter index;
        bool used = false;
        bool announced = false;        // on_file_opened was called
        bool announce_settled = false;  // created by the I/O thread: announced once its name is known
    };

    FileSinkConfig config;
    Stats& stats;
    FileClosedFn on_closed;
    NameAllocator names;   // before the writer: its I/O thread creates names until it stops
    FileWriter writer;
    std::vector<std::unique_ptr<Slot>> slots;   // handle = index + 1
    std::vector<std::uint32_t> free_slots;

    /// A closed flow whose file still has writes queued: on_closed waits until they ran, so that
    /// it is told of a write error. Kept in close order in a ring whose entries are reused (no
    /// allocation once warm); it holds at most about the flows closed while the I/O thread's
    /// queue (64 jobs) runs.
    struct Closed {
        FlowInfo info;
        FlowSummary sum;
        std::shared_ptr<WrittenFile> file;
        int error = 0;   // a failure found on this thread
        bool exists = false;
    };
    std::vector<Closed> closed;
    std::size_t closed_head = 0, closed_count = 0;

    Closed& closed_push() {
        if (closed_count == closed.size()) {
            std::vector<Closed> bigger(std::max<std::size_t>(16, closed.size() * 2));
            for (std::size_t i = 0; i < closed_count; ++i) bigger[i] = std::move(closed[(closed_head + i) % closed.size()]);
            closed.swap(bigger);
            closed_head = 0;
        }
        return closed[(closed_head + closed_count++) % closed.size()];
    }

    Impl(FileSinkConfig c, Stats& s, FileClosedFn cb, Diagnostics& d)
        : config{std::move(c)},
          stats{s},
          on_closed{std::move(cb)},
          names{names_config(config)},
          writer{writer_config(config), names, s, d} {}

    Slot& slot(const FlowInfo& info) { return *slots[info.sink_handle - 1]; }

    std::uint32_t allocate() {
        if (!free_slots.empty()) {
            const auto h = free_slots.back();
            free_slots.pop_back();
            return h;
        }
        slots.push_back(std::make_unique<Slot>());
        return static_cast<std::uint32_t>(slots.size());
    }

    void announce(Slot& s, bool created) {
        s.announced = true;
        if (config.on_file_opened) config.on_file_opened(s.file.path, created);
    }

    void open_flow(FlowInfo& info) {
        const std::uint32_t h = allocate();
        info.sink_handle = h;
        Slot& s = *slots[h - 1];
        s.used = true;
        s.announce_settled = false;
        writer.start(s.file, info.name.first_seen);
        const bool resumed = info.resumed && !info.path.empty();
        if (config.index_files) s.index.start(resumed);
        if (resumed) {
            writer.resume(s.file, info.path);
            announce(s, false);
            return;
        }
        bool created = false;
        if (info.path_suffix != nullptr) {   // a derived flow: the raw flow's file name and a suffix
            s.file.path = info.path;
            s.file.path += info.path_suffix;
            created = writer.create_at(s.file, config.owner);
        } else {
            names.first_name(s.file.path, info.name);
            created = writer.create(s.file, info.name);
        }
        info.path = s.file.path;
        if (created && s.file.name_pending) {
            s.announce_settled = true;
        } else if (created) {
            announce(s, true);
        }
    }

    void data(FlowInfo& info, std::uint64_t off, Bytes d, Timestamp ts) {
        Slot& s = slot(info);
        if (FileWriter::failed_here(s.file)) return;
        if (config.index_files && s.index.add(off, ts, d.size())) flush_index(s);
        writer.write(s.file, off, d);
    }

    void flush_index(Slot& s) {
        if (const int err = s.index.flush(s.file.path); err != 0) writer.fail(s.file, "cannot write index for", err);
    }
    /// Every indexed byte moved `moved` further on (a shift), and the lines in offset order.
    void fix_index(Slot& s, std::uint64_t moved) {
        if (const int err = s.index.rewrite(s.file.path, moved); err != 0) writer.fail(s.file, "cannot write index for", err);
    }

    void shift(FlowInfo& info, std::uint64_t n) {
        Slot& s = slot(info);
        if (config.index_files) fix_index(s, n);
        writer.shift(s.file, n);
    }

    static FileOutcome outcome_of(const std::string& path, int error, const WrittenFile* file, bool exists) {
        FileOutcome o;
        o.error = error != 0 ? error : file ? file->error.load(std::memory_order_relaxed) : 0;
        if (o.error == 0) return o;
        // Only a failed file costs a stat: what it holds, not what the stream had.
        struct stat st{};
        o.on_disk = exists && !(file && file->create_failed) && ::stat(path.c_str(), &st) == 0;
        if (o.on_disk) o.size_on_disk = static_cast<std::uint64_t>(st.st_size);
        return o;
    }

    /// Tells on_closed of the closed flows at the front whose writes have all run.
    void report_done() {
        while (closed_count > 0) {
            Closed& c = closed[closed_head];
            if (c.file && c.file->pending.load(std::memory_order_acquire) != 0) return;
            on_closed(c.info, c.sum, outcome_of(c.info.path, c.error, c.file.get(), c.exists));
            c.file.reset();
            closed_head = (closed_head + 1) % closed.size();
            --closed_count;
        }
    }

    void report_closed(const FlowInfo& info, const FlowSummary& sum, std::shared_ptr<WrittenFile> file, int error,
                       bool exists) {
        if (!on_closed) return;
        report_done();
        if (closed_count == 0 && (!file || file->pending.load(std::memory_order_acquire) == 0)) {
            on_closed(info, sum, outcome_of(info.path, error, file.get(), exists));
            return;
        }
        Closed& c = closed_push();
        c.info = info;
        c.sum = sum;
        c.file = std::move(file);
        c.error = error;
        c.exists = exists;
    }

    void close_flow(FlowInfo& info, const FlowSummary& sum) {
        if (info.sink_handle == 0) {
            report_closed(info, sum, nullptr, 0, false);
            return;
        }
        Slot& s = slot(info);
        // What is left is written, the mtime set and the file closed (with write-behind: as one job).
        writer.flush(s.file, true);
        if (config.index_files) fix_index(s, 0);
        // A file the I/O thread created: the report and a resumed flow need the name it has.
        info.path = writer.settle(s.file);
        if (s.announce_settled && s.file.exists) announce(s, true);
        std::shared_ptr<WrittenFile> written = s.file.shared;
        const int error = s.file.error;
        const bool exists = s.file.exists;
        writer.release(s.file);
        s.used = false;
        free_slots.push_back(info.sink_handle);
        info.sink_handle = 0;
        if (s.announced && config.on_file_closed) config.on_file_closed(s.file.path);
        s.announced = false;
        report_closed(info, sum, std::move(written), error, exists);
    }

    void flush_all() {
        for (auto& s : slots)
            if (s->used) writer.flush(s->file);
        writer.sync();
        if (on_closed) report_done();   // every write has run
    }
};

FileSink::FileSink(FileSinkConfig config, Stats& stats, FileClosedFn on_closed, Diagnostics& diagnostics)
    : impl_{std::make_unique<Impl>(std::move(config), stats, std::move(on_closed), diagnostics)} {}

FileSink::~FileSink() {
    for (auto& s : impl_->slots) {
        if (s->used) impl_->writer.flush(s->file);
        impl_->writer.close_descriptor(s->file);
    }
}

void FileSink::on_open(FlowInfo& info, Timestamp) { impl_->open_flow(info); }
void FileSink::on_data(FlowInfo& info, std::uint64_t offset, Bytes data, Timestamp ts) { impl_->data(info, offset, data, ts); }
void FileSink::on_shift(FlowInfo& info, std::uint64_t n) { impl_->shift(info, n); }
void FileSink::on_close(FlowInfo& info, const FlowSummary& summary) { impl_->close_flow(info, summary); }
void FileSink::on_connection_end(const ConnectionEnd& end) {
    if (impl_->config.on_connection_end) impl_->config.on_connection_end(end);
}
void FileSink::flush() { impl_->flush_all(); }
std::size_t FileSink::read_back(FlowInfo& info, std::uint64_t offset, std::span<std::uint8_t> out) {
    return impl_->writer.read_back(impl_->slot(info).file, offset, out);
}
bool FileSink::had_errors() const noexcept { return impl_->writer.had_errors(); }
std::size_t FileSink::open_files() const noexcept { return impl_->writer.open_files(); }
std::size_t FileSink::max_open_files_seen() const noexcept { return impl_->writer.max_open_seen(); }
std::size_t FileSink::files_created_behind() const noexcept { return impl_->writer.created_behind(); }
std::size_t FileSink::bytes_per_open_flow() noexcept {
    // Its slot, the record shared with the I/O thread (with its shared_ptr control block), the
    // blocks they take, and the file's name (FlowFile::path) on the heap.
    return sizeof(Impl::Slot) + kHeapBlockBytes + sizeof(WrittenFile) + 2 * kHeapBlockBytes + kHeapNameBytes +
           kHeapBlockBytes;
}

int FileSink::default_max_open() noexcept { return FdCache::default_limit(); }

}  // namespace tcpflow
