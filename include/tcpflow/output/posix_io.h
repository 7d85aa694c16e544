// posix_io.h: the few system calls every output writer makes (flow files, write-behind, .findx,
// -K and -w pcaps), each written once (adapter: file I/O).
//
// Writes retry EINTR and short writes; failures come back as an errno value (0 = done), never as
// a message: the caller names the file and says why (diagnostics.h). Nothing here allocates
// except make_dirs.
#pragma once

#include <ctime>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tcpflow {

/// Who new files and folders belong to: the user who started tcpflow through sudo (without -U),
/// so they can read and delete them; unset (-1) leaves them as created.
struct FileOwner {
    int uid = -1;
    int gid = -1;
    [[nodiscard]] bool set() const noexcept { return uid >= 0; }
};

namespace posix_io {

/// Writes all `n` bytes at file offset `offset` (pwrite). 0, or the errno of the failure.
[[nodiscard]] int write_all_at(int fd, const void* data, std::size_t n, std::uint64_t offset) noexcept;
/// Writes all `n` bytes at the descriptor's position (an O_APPEND file). 0, or the errno.
[[nodiscard]] int write_all(int fd, const void* data, std::size_t n) noexcept;
/// Sets the access and modification times to `t`: through `fd` when it is open (>= 0), else by
/// `path` (a file whose descriptor was closed earlier). 0, or the errno.
int set_mtime(int fd, const char* path, timespec t) noexcept;
/// True when no name leads to the open file `fd` any more (its folder was deleted, say): what is
/// written into it is lost when it is closed. One fstat.
[[nodiscard]] bool unlinked(int fd) noexcept;

/// Creates `path` (relative to `dir_fd`; AT_FDCWD for a whole path) with O_CREAT | O_EXCL |
/// O_CLOEXEC | `flags`, mode 0666 less the umask, and gives it to `owner`. Never opens a file that
/// exists. The descriptor, or -1 with errno set (EEXIST: the name is taken).
[[nodiscard]] int create_exclusive(int dir_fd, const char* path, int flags, FileOwner owner) noexcept;
/// Gives the open file `fd` to `owner` (nothing when unset). Not fatal: ownership is a convenience.
void give_to(int fd, FileOwner owner) noexcept;

/// Makes the folder `path` and the parents it lacks, each new one given to `owner`. Throws
/// std::system_error("cannot create folder PATH") when one cannot be made.
void make_dirs(const std::string& path, FileOwner owner);
/// Makes the folders above the file `path` (nothing for a name without '/'); throws like make_dirs.
void make_parent_dirs(const std::string& path, FileOwner owner);

}  // namespace posix_io
}  // namespace tcpflow
