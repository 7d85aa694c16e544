// install_test: `cmake --install` into a temporary DESTDIR (two prefixes) places exactly the
// files cmake/Install.cmake lists, as Debian lays them out; `cpack -G DEB` makes a package whose
// control fields, dependencies and content dpkg-deb shows, and lintian reports no error in it.
// Nothing is installed on the system.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "support/run.h"
#include "tcpflow/app/completion.h"

namespace {

namespace fs = std::filesystem;
using tcpflow::test::read_file;
using tcpflow::test::run_program;
using tcpflow::test::TempDir;

const std::string kVersion = TCPFLOW_PROJECT_VERSION;
const std::string kPackage = "tcpflow-ng";

/// Every file and link below `root`, relative ("usr/bin/tcpflow").
std::set<std::string> files_below(const std::string& root) {
    std::set<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (!e.is_directory()) out.insert(fs::relative(e.path(), root).string());
    return out;
}

std::string gunzip(const std::string& path) {
    const auto r = run_program({"/bin/gzip", "-dc", path});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
}

/// gzip -9n: no file name, no time stamp (reproducible, as dh_compress makes them).
void expect_reproducible_gzip(const std::string& path) {
    const std::string gz = read_file(path);
    ASSERT_GE(gz.size(), 10u) << path;
    EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
    EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
    EXPECT_EQ(gz[3] & 0x08, 0) << path << ": has a file name";
    EXPECT_EQ(gz.substr(4, 4), std::string(4, '\0')) << path << ": has a time stamp";
    EXPECT_EQ(static_cast<unsigned char>(gz[8]), 2) << path << ": not -9";
}

std::string shell(const std::string& command) {
    const auto r = run_program({"/bin/sh", "-c", command}, "", 300);
    EXPECT_EQ(r.exit_code, 0) << command << "\n" << r.out << r.err;
    return r.out;
}

}  // namespace

TEST(Install, DestdirGetsEveryFileInItsPlace) {
    for (const std::string prefix : {"/usr", "/opt/tcpflow"}) {
        TempDir dest;
        shell("DESTDIR=" + dest.path() + " '" CMAKE_COMMAND "' --install '" TCPFLOW_BUILD_DIR "' --prefix " + prefix +
              " >/dev/null");
        const std::string p = prefix.substr(1);
        const std::set<std::string> expected{
            p + "/bin/tcpflow",
            p + "/share/man/man1/tcpflow.1.gz",
            p + "/share/bash-completion/completions/tcpflow",
            p + "/share/zsh/vendor-completions/_tcpflow",
            p + "/share/doc/" + kPackage + "/copyright",
            p + "/share/doc/" + kPackage + "/changelog.gz",
        };
        EXPECT_EQ(files_below(dest.path()), expected) << prefix;
        const std::string root = dest.path() + prefix;
        const auto v = run_program({root + "/bin/tcpflow", "-V"});
        EXPECT_EQ(v.out, "tcpflow " + kVersion + " (compatible with tcpflow 1.6.1)\n");
        EXPECT_TRUE((fs::status(root + "/bin/tcpflow").permissions() & fs::perms::others_exec) != fs::perms::none);
        expect_reproducible_gzip(root + "/share/man/man1/tcpflow.1.gz");
        EXPECT_EQ(gunzip(root + "/share/man/man1/tcpflow.1.gz"), read_file(TCPFLOW_SOURCE_DIR "/man/tcpflow.1"));
        EXPECT_EQ(read_file(root + "/share/bash-completion/completions/tcpflow"), tcpflow::bash_completion_script());
        EXPECT_EQ(read_file(root + "/share/zsh/vendor-completions/_tcpflow"), tcpflow::zsh_completion_script());
        const std::string copyright = read_file(root + "/share/doc/" + kPackage + "/copyright");
        EXPECT_EQ(copyright.rfind("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n", 0), 0u);
        EXPECT_NE(copyright.find("\nFiles: *\n"), std::string::npos);
        EXPECT_NE(copyright.find("/usr/share/common-licenses/GPL-3"), std::string::npos);
        expect_reproducible_gzip(root + "/share/doc/" + kPackage + "/changelog.gz");
        EXPECT_EQ(gunzip(root + "/share/doc/" + kPackage + "/changelog.gz").rfind(kPackage + " (" + kVersion + ") ", 0), 0u);
    }
}

TEST(Install, DebianPackage) {
    for (const char* tool : {"/usr/bin/dpkg-deb", "/usr/bin/dpkg-shlibdeps", CPACK_COMMAND})
        if (!fs::exists(tool)) GTEST_SKIP() << tool << " is not installed (tools/deps.sh installs dpkg-dev)";
    TempDir out;
    shell("cd '" TCPFLOW_BUILD_DIR "' && '" CPACK_COMMAND "' -G DEB -B " + out.path() + " >/dev/null");
    std::string path;
    for (const auto& e : fs::directory_iterator(out.path()))
        if (e.path().extension() == ".deb") path = e.path().string();
    ASSERT_FALSE(path.empty()) << "no .deb in " << out.path();
    EXPECT_EQ(fs::path(path).filename().string().rfind(kPackage + "_" + kVersion + "_", 0), 0u) << path;

    const auto field = [&](const std::string& name) { return shell("dpkg-deb -f '" + path + "' " + name); };
    EXPECT_EQ(field("Package"), kPackage + "\n");
    EXPECT_EQ(field("Version"), kVersion + "\n");
    EXPECT_EQ(field("Section"), "net\n");
    // It replaces Debian's tcpflow openly: never both, never silently.
    EXPECT_EQ(field("Conflicts"), "tcpflow\n");
    EXPECT_EQ(field("Replaces"), "tcpflow\n");
    EXPECT_EQ(field("Provides"), "tcpflow (= " + kVersion + ")\n");
    // Dependencies from the binary's shared libraries (dpkg-shlibdeps).
    const std::string depends = field("Depends");
    for (const char* lib : {"libc6", "libpcap0.8", "libstdc++6", "zlib1g", "libzstd1", "liblzma5", "libbz2-1.0", "liblz4-1"})
        EXPECT_NE(depends.find(lib), std::string::npos) << lib << " not in Depends: " << depends;
    EXPECT_NE(shell("dpkg-deb -I '" + path + "'").find("Description: "), std::string::npos);

    const std::string listing = shell("dpkg-deb -c '" + path + "'");
    for (const std::string f : {"./usr/bin/tcpflow", "./usr/share/man/man1/tcpflow.1.gz",
                                "./usr/share/bash-completion/completions/tcpflow",
                                "./usr/share/zsh/vendor-completions/_tcpflow", "./usr/share/doc/tcpflow-ng/copyright",
                                "./usr/share/doc/tcpflow-ng/changelog.gz"})
        EXPECT_NE(listing.find(" " + f + "\n"), std::string::npos) << f << " not in:\n" << listing;
    std::istringstream lines(listing);
    for (std::string line; std::getline(lines, line);) EXPECT_NE(line.find(" root/root "), std::string::npos) << line;
    EXPECT_EQ(listing.find(" -rwxrwxr"), std::string::npos) << "group-writable file:\n" << listing;
    EXPECT_EQ(listing.find(" drwxrwxr"), std::string::npos) << "group-writable folder:\n" << listing;

    if (!fs::exists("/usr/bin/lintian")) GTEST_SKIP() << "lintian is not installed (tools/deps.sh installs it)";
    const auto l = run_program({"/usr/bin/lintian", "--no-tag-display-limit", path}, "", 600);
    EXPECT_EQ(l.exit_code, 0) << l.out << l.err;
    EXPECT_EQ(l.out.find("E: "), std::string::npos) << l.out;
}
