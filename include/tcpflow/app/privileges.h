// privileges.h: -U (drop root), -z (chroot) and "files belong to the user who ran sudo" (adapter:
// talks to the OS). The pure pieces (parsing, path translation) are separate functions so they can be
// tested without root.
//
// Order used by the pipeline:
//   1. before anything is opened: resolve_user(-U) (an unknown user is an error, exit 1) and
//      output_path_in_chroot(-o, -z) (the output folder must lie inside the chroot folder);
//      output_owner() picks who owns new files and folders;
//   2. right after the capture is opened: drop_privileges(): supplementary groups are read,
//      then chroot(dir) + chdir("/"), then setgroups/setgid/setuid. Nothing after that needs root.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "tcpflow/base/result.h"

namespace tcpflow {

struct UserIds {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
};

/// Parses SUDO_UID / SUDO_GID values (decimal, as sudo sets them). nullopt when either is missing,
/// empty, not a plain decimal number, out of range, or names root (nothing to hand back then).
[[nodiscard]] std::optional<UserIds> parse_sudo_ids(const char* sudo_uid, const char* sudo_gid);

/// Who should own new output files and folders: -U's user when given (the folders are made before
/// root is dropped, and that user must be able to write in them); else, when running as root
/// through sudo, the invoking user (SUDO_UID/SUDO_GID); else nobody (nullopt: leave as created).
[[nodiscard]] std::optional<UserIds> output_owner(const std::optional<UserIds>& drop_to, uid_t euid,
                                                  const char* sudo_uid, const char* sudo_gid);

/// Looks a -U user up by name (or by a numeric uid with a passwd entry). Error text when unknown:
/// "cannot find user 'NAME'".
[[nodiscard]] Result<UserIds> resolve_user(const std::string& name);

/// Where the output folder `outdir` is seen after chroot(`chroot_dir`). Both are made absolute
/// against `cwd` first (before the chroot, the way the user meant them) and normalised lexically
/// ("." and ".." removed); `outdir` must then be `chroot_dir` itself or lie inside it. Returns the
/// path inside the new root ("/" or "/sub/dir"), or an error text when outdir lies outside.
/// Symbolic links are not resolved here; the caller passes canonical paths when it can.
[[nodiscard]] Result<std::string> output_path_in_chroot(const std::string& outdir, const std::string& chroot_dir,
                                                       const std::string& cwd);

/// Drops root for good: reads `user`'s supplementary groups, chroots to `chroot_dir` when not empty
/// (then chdir "/"), sets groups, gid and uid, and checks that root cannot be regained. Returns ""
/// on success or one line saying what failed and why.
[[nodiscard]] std::string drop_privileges(const UserIds& user, const std::string& chroot_dir);

}  // namespace tcpflow
