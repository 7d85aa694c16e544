// privileges: -U, -z and sudo ownership. See privileges.h for the order of operations.
#include "tcpflow/app/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <limits>

namespace tcpflow {

namespace {

std::optional<unsigned long> parse_decimal(const char* text) {
    if (!text || !*text) return std::nullopt;
    const char* end = text + std::strlen(text);
    unsigned long v = 0;
    const auto [p, ec] = std::from_chars(text, end, v);
    if (ec != std::errc{} || p != end) return std::nullopt;
    return v;
}

std::string errno_text(int e) { return std::strerror(e); }

}  // namespace

std::optional<UserIds> parse_sudo_ids(const char* sudo_uid, const char* sudo_gid) {
    const auto u = parse_decimal(sudo_uid);
    const auto g = parse_decimal(sudo_gid);
    // (uid_t)-1 and (gid_t)-1 mean "unchanged" to chown; never hand them out.
    constexpr unsigned long kMax = std::numeric_limits<std::uint32_t>::max() - 1ul;
    if (!u || !g || *u > kMax || *g > kMax) return std::nullopt;
    if (*u == 0) return std::nullopt;   // sudo from root: files stay root's
    UserIds ids;
    ids.uid = static_cast<uid_t>(*u);
    ids.gid = static_cast<gid_t>(*g);
    return ids;
}

std::optional<UserIds> output_owner(const std::optional<UserIds>& drop_to, uid_t euid, const char* sudo_uid,
                                    const char* sudo_gid) {
    if (drop_to) return drop_to;
    if (euid != 0) return std::nullopt;   // not root: cannot give files away anyway
    return parse_sudo_ids(sudo_uid, sudo_gid);
}

Result<UserIds> resolve_user(const std::string& name) {
    const Error unknown{"cannot find user '" + name + "'"};
    if (name.empty()) return unknown;
    long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buf(static_cast<std::size_t>(size > 0 ? size : 16384));
    passwd pw{};
    passwd* found = nullptr;
    for (;;) {
        const int rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
        if (rc == ERANGE) {
            buf.resize(buf.size() * 2);
            continue;
        }
        break;
    }
    if (!found) {
        // A numeric -U names a uid, as tcpdump accepts; it still needs a passwd entry (for groups).
        if (const auto n = parse_decimal(name.c_str()); n && *n <= std::numeric_limits<std::uint32_t>::max() - 1ul) {
            for (;;) {
                const int rc = ::getpwuid_r(static_cast<uid_t>(*n), &pw, buf.data(), buf.size(), &found);
                if (rc == ERANGE) {
                    buf.resize(buf.size() * 2);
                    continue;
                }
                break;
            }
        }
    }
    if (!found) return unknown;
    UserIds ids;
    ids.name = found->pw_name;
    ids.uid = found->pw_uid;
    ids.gid = found->pw_gid;
    return ids;
}

Result<std::string> output_path_in_chroot(const std::string& outdir, const std::string& chroot_dir,
                                          const std::string& cwd) {
    namespace fs = std::filesystem;
    const fs::path base{cwd};
    auto absolute = [&](const std::string& p) {
        fs::path x{p.empty() ? "." : p};
        if (x.is_relative()) x = base / x;
        x = x.lexically_normal();
        // "/a/b/" -> "/a/b" so the prefix test below works on whole components.
        if (x.has_relative_path() && !x.has_filename()) x = x.parent_path();
        return x;
    };
    const fs::path out = absolute(outdir);
    const fs::path root = absolute(chroot_dir);
    fs::path inside{"/"};
    auto o = out.begin();
    for (auto r = root.begin(); r != root.end(); ++r, ++o) {
        if (o == out.end() || *o != *r)
            return Error{"output folder " + out.string() + " is not inside the chroot folder " + root.string() +
                         " (-o must name a folder inside -z)"};
    }
    for (; o != out.end(); ++o) inside /= *o;
    return inside.string();
}

std::string drop_privileges(const UserIds& user, const std::string& chroot_dir) {
    // Everything that reads /etc happens before the chroot.
    int ngroups = 64;
    std::vector<gid_t> groups(static_cast<std::size_t>(ngroups));
    while (::getgrouplist(user.name.c_str(), user.gid, groups.data(), &ngroups) < 0) {
        groups.resize(static_cast<std::size_t>(ngroups) + 16);
        ngroups = static_cast<int>(groups.size());
    }
    groups.resize(static_cast<std::size_t>(ngroups));
    ::tzset();   // local time for the report, once /etc/localtime is out of reach

    if (!chroot_dir.empty()) {
        if (::chroot(chroot_dir.c_str()) != 0) return "cannot chroot to " + chroot_dir + ": " + errno_text(errno);
        if (::chdir("/") != 0) return "cannot chdir to / in " + chroot_dir + ": " + errno_text(errno);
    }
    if (::setgroups(groups.size(), groups.data()) != 0)
        return "cannot set the groups of user '" + user.name + "': " + errno_text(errno);
    if (::setgid(user.gid) != 0)
        return "cannot switch to group " + std::to_string(user.gid) + " of user '" + user.name + "': " + errno_text(errno);
    if (::setuid(user.uid) != 0)
        return "cannot switch to user '" + user.name + "': " + errno_text(errno);
    if (user.uid != 0 && (::setuid(0) == 0 || ::seteuid(0) == 0))
        return "dropping root to user '" + user.name + "' did not stick";
    return "";
}

}  // namespace tcpflow
