// name_allocator.h: the first free name for every new output file (adapter: file I/O).
//
// Files are never overwritten (SPEC 5). For a flow the -T template is expanded with counter 0,
// 1, 2... ("NAME", "NAMEc1", "NAMEc2" with the default template) and the first name that
// open(O_CREAT | O_EXCL) can create wins, so a name that an earlier run left, or that another
// program takes while this run goes on, just moves the search on to the next free name; a flow
// never fails for it. Missing folders on the way (a '/' in the template, a folder removed during
// the run) are made, and every file and folder made is given to the sudo user (FileOwner).
//
// The search runs on whichever thread creates the file: the reading thread (create()), or the
// write-behind I/O thread for a name the reading thread reserved (create_reserved(), const and
// thread-safe). To hand a name to the I/O thread without asking the folder first, the reading
// thread keeps a filter of the names that may be taken (NameFilter): those in the folder when the
// run started and those given out since. Only names it says are surely free are reserved.
//
// A fixed name (-w FILE) has no template: create_first_free() tries FILE, then c1, c2... before
// its extension.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tcpflow/flow/naming.h"
#include "tcpflow/output/output_dir.h"
#include "tcpflow/output/posix_io.h"

namespace tcpflow {

/// The names a run may not create: a Bloom filter of fixed size (2 MiB, allocated on the first
/// add) with both probes of a name in one 64-byte line (one cache miss). "No" is certain, "maybe"
/// is checked the slow way (O_EXCL). A few hundred thousand names give a false "maybe" for about 1
/// in 1,000 names; past millions it says "maybe" more often, never wrongly "no".
class NameFilter {
public:
    void add(std::string_view name);
    [[nodiscard]] bool maybe_contains(std::string_view name) const noexcept;

private:
    static constexpr unsigned kLinesLog2 = 15;   // 32768 lines of 512 bits
    static constexpr std::size_t kLines = std::size_t{1} << kLinesLog2;
    struct Probe {
        std::size_t word_a, word_b;
        std::uint64_t bit_a, bit_b;
    };
    static Probe probe(std::string_view name) noexcept;
    std::vector<std::uint64_t> lines_;   // kLines lines of 8 words
};

struct NameAllocatorConfig {
    OutputDir dir;
    NameTemplate name_template;
    std::string suffix;      ///< after every name (".pcap" for -K)
    /// With -I ".findx": a name counts as taken when NAME.findx exists too, and both are
    /// created, so a flow file's index is always NAME.findx and always a new file.
    std::string companion;
    FileOwner owner;
    /// -K: a name this run already created is shared by later flows of that name (Hooks::take_own),
    /// so every search starts at counter 0; flow files start after the last counter used.
    bool shares_names = false;
};

class NameAllocator {
public:
    /// What a search on the caller's thread asks of the caller.
    class Hooks {
    public:
        virtual ~Hooks() = default;
        /// Before `path` is tried. True: the caller already writes `path` itself (-K shares it);
        /// the search ends there with Created::own. Also the moment to wait for anything queued
        /// that may create `path` (write-behind).
        virtual bool take_own(const std::string& path);
        /// openat(dir_fd, name, flags); a caller with a descriptor budget frees one and retries
        /// when there is none left (EMFILE).
        virtual int open(int dir_fd, const char* name, int flags);
    };

    struct Created {
        int fd = -1;        ///< the new file, open with the flags asked for; -1 when none
        int err = 0;        ///< why the search failed (fd -1 and !own)
        bool own = false;   ///< Hooks::take_own took the name
    };

    explicit NameAllocator(NameAllocatorConfig config);
    ~NameAllocator();
    NameAllocator(const NameAllocator&) = delete;
    NameAllocator& operator=(const NameAllocator&) = delete;

    [[nodiscard]] const OutputDir& dir() const noexcept { return config_.dir; }
    /// The name for counter 0, replacing `out` (no allocation when it has room).
    void first_name(std::string& out, const FlowNameInfo& info) const;

    /// Creates the first free name on this thread with `flags` (O_RDWR, O_WRONLY). On entry `path`
    /// holds first_name(); on return the name created, taken (own) or, on failure, last tried.
    /// Flow files resume at the counter after the last one this first name needed.
    Created create(std::string& path, const FlowNameInfo& info, int flags, Hooks& hooks);

    // --- names reserved for another thread's create (write-behind) ---------------------------

    /// Fills the filter with every name now in the folder and opens the folder for
    /// create_reserved(). False when the folder cannot be opened (then nothing is reserved).
    bool watch_folder();
    [[nodiscard]] bool watching() const noexcept { return watching_; }
    /// True when no file may have `path`: not in the folder at the start, not given out since.
    [[nodiscard]] bool surely_free(std::string_view path) const noexcept { return !taken_.maybe_contains(path); }
    /// From now on `path` may be taken (it is handed to another thread to create).
    void reserve(std::string_view path) { taken_.add(path); }

    /// For any thread: creates the reserved name `path` (O_RDWR), or, when another program took
    /// it meanwhile, the next free name, which then goes to `moved_to` (left alone otherwise:
    /// nothing allocated on the usual path). Uses neither the filter nor the counters.
    Created create_reserved(const std::string& path, const FlowNameInfo& info, std::string& moved_to) const;

private:
    /// Where a search opens names: relative to the watched folder, or by their whole path.
    struct Place {
        int dir_fd;
        std::size_t skip;   // characters of the path before the name inside dir_fd
    };
    Created search(std::string& path, const FlowNameInfo& info, unsigned& count, int flags, Hooks& hooks,
                   Place at) const;
    int attempt(const std::string& path, int flags, Hooks& hooks, Place& at, int& err) const;
    void name_for(std::string& out, const FlowNameInfo& info, unsigned count) const;

    NameAllocatorConfig config_;
    int dir_fd_ = -1;   // the folder (O_PATH), for create_reserved; -1 = whole paths
    bool watching_ = false;
    NameFilter taken_;
    static constexpr std::size_t kMaxRememberedNames = 65536;
    std::unordered_map<std::string, unsigned> next_count_;   // first name -> next counter to try
    std::string first_;                                        // create()'s first name (reused)
};

/// -w FILE: creates FILE (O_WRONLY), or when it exists the first free of FILE with c1, c2...
/// before its extension ("unused.pcap" -> "unusedc1.pcap"). An existing FILE that is neither a
/// regular file nor a folder (/dev/null, a FIFO) is opened for writing as it is. Folders are not
/// made. `path` becomes the name created (or the one that failed).
NameAllocator::Created create_first_free(std::string& path, FileOwner owner);

}  // namespace tcpflow
