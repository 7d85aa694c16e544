// posix_io.cpp: write-all, mtime, exclusive create and folders (see posix_io.h).
#include "tcpflow/output/posix_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace tcpflow::posix_io {

int write_all_at(int fd, const void* data, std::size_t n, std::uint64_t offset) noexcept {
    const auto* p = static_cast<const std::uint8_t*>(data);
    while (n > 0) {
        const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
        offset += static_cast<std::uint64_t>(w);
    }
    return 0;
}

int write_all(int fd, const void* data, std::size_t n) noexcept {
    const auto* p = static_cast<const std::uint8_t*>(data);
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return 0;
}

int set_mtime(int fd, const char* path, timespec t) noexcept {
    const timespec times[2] = {t, t};
    const int rc = fd >= 0 ? ::futimens(fd, times) : ::utimensat(AT_FDCWD, path, times, 0);
    return rc == 0 ? 0 : errno;
}

bool unlinked(int fd) noexcept {
    struct stat st{};
    return ::fstat(fd, &st) == 0 && st.st_nlink == 0;
}

void give_to(int fd, FileOwner owner) noexcept {
    if (owner.set() && ::fchown(fd, static_cast<uid_t>(owner.uid), static_cast<gid_t>(owner.gid)) != 0) {
        // ownership is a convenience: the file is written either way
    }
}

int create_exclusive(int dir_fd, const char* path, int flags, FileOwner owner) noexcept {
    const int fd = ::openat(dir_fd, path, flags | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) give_to(fd, owner);
    return fd;
}

void make_dirs(const std::string& path, FileOwner owner) {
    if (path.empty() || path == "." || path == "/") return;
    struct stat st{};
    if (::stat(path.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) return;
        throw std::system_error(ENOTDIR, std::generic_category(), "cannot create folder " + path);
    }
    make_parent_dirs(path, owner);
    if (::mkdir(path.c_str(), 0777) != 0) {
        if (errno == EEXIST) return;   // made meanwhile (another thread or program): not ours to give away
        throw std::system_error(errno, std::generic_category(), "cannot create folder " + path);
    }
    if (owner.set() && ::chown(path.c_str(), static_cast<uid_t>(owner.uid), static_cast<gid_t>(owner.gid)) != 0) {
        // ownership is a convenience; the folder exists
    }
}

void make_parent_dirs(const std::string& path, FileOwner owner) {
    const auto slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) return;
    make_dirs(path.substr(0, slash), owner);
}

}  // namespace tcpflow::posix_io
