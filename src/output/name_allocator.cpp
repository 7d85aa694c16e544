// name_allocator.cpp: first free names, O_EXCL creates and the filter of taken names (see
// name_allocator.h).
#include "tcpflow/output/name_allocator.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <system_error>

namespace tcpflow {

namespace {
constexpr unsigned kMaxTries = 1'000'000;
constexpr int kCompanionFailed = -2;   // attempt(): the name was free, its companion was not
}  // namespace

// ---------------------------------------------------------------------------------------------
// NameFilter

void NameFilter::add(std::string_view name) {
    if (lines_.empty()) lines_.assign(kLines * 8, 0);
    const Probe p = probe(name);
    lines_[p.word_a] |= p.bit_a;
    lines_[p.word_b] |= p.bit_b;
}

bool NameFilter::maybe_contains(std::string_view name) const noexcept {
    if (lines_.empty()) return false;
    const Probe p = probe(name);
    return (lines_[p.word_a] & p.bit_a) != 0 && (lines_[p.word_b] & p.bit_b) != 0;
}

NameFilter::Probe NameFilter::probe(std::string_view name) noexcept {
    const std::uint64_t h = std::hash<std::string_view>{}(name);
    const std::uint64_t g = (h ^ (h >> 31)) * 0xbf58476d1ce4e5b9ULL;   // mixed again for the bits
    const std::size_t line = static_cast<std::size_t>(h >> (64 - kLinesLog2)) * 8;
    const auto a = static_cast<unsigned>(g & 511), b = static_cast<unsigned>((g >> 9) & 511);
    return {line + (a >> 6), line + (b >> 6), std::uint64_t{1} << (a & 63), std::uint64_t{1} << (b & 63)};
}

// ---------------------------------------------------------------------------------------------
// NameAllocator

bool NameAllocator::Hooks::take_own(const std::string&) { return false; }
int NameAllocator::Hooks::open(int dir_fd, const char* name, int flags) { return ::openat(dir_fd, name, flags, 0666); }

NameAllocator::NameAllocator(NameAllocatorConfig config) : config_{std::move(config)} {}

NameAllocator::~NameAllocator() {
    if (dir_fd_ >= 0) ::close(dir_fd_);
}

void NameAllocator::first_name(std::string& out, const FlowNameInfo& info) const { name_for(out, info, 0); }

int NameAllocator::attempt(const std::string& path, int flags, Hooks& hooks, Place& at, int& err) const {
    const int open_flags = flags | O_CREAT | O_EXCL | O_CLOEXEC;
    int fd = hooks.open(at.dir_fd, path.c_str() + at.skip, open_flags);
    if (fd < 0 && errno == ENOENT) {
        // The folder is missing (a -T sub-folder, or one removed during the run): make it and try
        // once more, by the whole name. Checking first would cost a stat per file.
        try {
            posix_io::make_parent_dirs(path, config_.owner);
        } catch (const std::system_error& e) {
            err = e.code().value();   // why the folder cannot be made
            return -1;
        }
        at = Place{AT_FDCWD, 0};
        fd = hooks.open(at.dir_fd, path.c_str(), open_flags);
    }
    if (fd < 0) {
        err = errno;
        return -1;
    }
    if (!config_.companion.empty()) {
        const std::string companion = path.substr(at.skip) + config_.companion;
        const int c = posix_io::create_exclusive(at.dir_fd, companion.c_str(), O_WRONLY, config_.owner);
        if (c < 0) {
            // NAME.findx is taken: so is NAME, which is ours and empty. Another failure is the
            // index's, and named so.
            err = errno;
            ::close(fd);
            ::unlinkat(at.dir_fd, path.c_str() + at.skip, 0);
            return kCompanionFailed;
        }
        ::close(c);
    }
    posix_io::give_to(fd, config_.owner);
    return fd;
}

NameAllocator::Created NameAllocator::search(std::string& path, const FlowNameInfo& info, unsigned& count, int flags,
                                             Hooks& hooks, Place at) const {
    for (;; ++count) {
        if (hooks.take_own(path)) return Created{-1, 0, true};
        int err = 0;
        const int fd = attempt(path, flags, hooks, at, err);
        if (fd >= 0) return Created{fd, 0, false};
        if (fd == kCompanionFailed && err != EEXIST) path += config_.companion;   // the message names it
        if (err != EEXIST || !config_.name_template.uses_count() || count + 1 >= kMaxTries) return Created{-1, err, false};
        name_for(path, info, count + 1);
    }
}

NameAllocator::Created NameAllocator::create(std::string& path, const FlowNameInfo& info, int flags, Hooks& hooks) {
    // Names already taken: start after the last counter used for this first name, so N files of
    // one name cost N opens, not N^2/2 (a connection that jumps -m again and again).
    unsigned count = 0;
    if (!config_.shares_names) {
        if (const auto known = next_count_.find(path); known != next_count_.end()) count = known->second;
        first_.assign(path);   // reused: no allocation per flow
        if (count > 0) name_for(path, info, count);
    }
    const Created c = search(path, info, count, flags, hooks, Place{AT_FDCWD, 0});
    if (c.fd >= 0) {
        if (count > 0 && !config_.shares_names) {
            if (next_count_.size() >= kMaxRememberedNames) next_count_.clear();   // bounded
            next_count_[first_] = count + 1;
        }
        if (watching_) taken_.add(path);
    }
    return c;
}

bool NameAllocator::watch_folder() {
    const std::string folder = config_.dir.folder();
    if (!config_.dir.current()) {
        dir_fd_ = ::open(folder.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd_ < 0) return false;   // no folder yet: every file is created the O_EXCL way (and the folder made)
    }
    watching_ = true;
    // Every name now in the folder goes into the filter: a second run into the same folder must
    // write c1 names, as with O_EXCL.
    if (DIR* d = ::opendir(folder.c_str())) {
        std::string name = config_.dir.path;
        while (const dirent* e = ::readdir(d)) {
            name.resize(config_.dir.path.size());
            name += e->d_name;
            taken_.add(name);
        }
        ::closedir(d);
    }
    return true;
}

NameAllocator::Created NameAllocator::create_reserved(const std::string& path, const FlowNameInfo& info,
                                                      std::string& moved_to) const {
    Hooks plain;
    Place at = dir_fd_ >= 0 ? Place{dir_fd_, config_.dir.path.size()} : Place{AT_FDCWD, 0};
    int err = 0;
    const int fd = attempt(path, O_RDWR, plain, at, err);
    if (fd >= 0) return Created{fd, 0, false};
    if (err != EEXIST || !config_.name_template.uses_count()) return Created{-1, err, false};
    // Another program took the name since the filter was filled: the next free one, as the
    // reading thread's search would find it.
    unsigned count = 1;
    name_for(moved_to, info, count);
    return search(moved_to, info, count, O_RDWR, plain, at);
}

void NameAllocator::name_for(std::string& out, const FlowNameInfo& info, unsigned count) const {
    out.assign(config_.dir.path);
    config_.name_template.append_to(out, info, count);
    out += config_.suffix;
}

// ---------------------------------------------------------------------------------------------
// -w: a fixed name

namespace {
/// `path` with "cN" before the extension of its last component ("u.pcap" -> "uc1.pcap").
std::string with_count(const std::string& path, unsigned count) {
    const auto slash = path.rfind('/');
    const std::size_t base = slash == std::string::npos ? 0 : slash + 1;
    auto dot = path.rfind('.');
    if (dot == std::string::npos || dot <= base) dot = path.size();   // no extension (or a leading dot)
    return path.substr(0, dot) + "c" + std::to_string(count) + path.substr(dot);
}
}  // namespace

NameAllocator::Created create_first_free(std::string& path, FileOwner owner) {
    const std::string asked = path;
    for (unsigned count = 0; count < kMaxTries; ++count) {
        if (count > 0) path = with_count(asked, count);
        const int fd = posix_io::create_exclusive(AT_FDCWD, path.c_str(), O_WRONLY, owner);
        if (fd >= 0) return {fd, 0, false};
        if (errno != EEXIST) return {-1, errno, false};
        struct stat st{};
        if (count == 0 && ::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
            // /dev/null, a FIFO: written as they are (nothing of a file is lost there).
            const int dev = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
            return dev >= 0 ? NameAllocator::Created{dev, 0, false} : NameAllocator::Created{-1, errno, false};
        }
    }
    return {-1, EEXIST, false};
}

}  // namespace tcpflow
