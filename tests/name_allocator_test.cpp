// name_allocator_test: the first free name (cN order, counters remembered, names shared by -K),
// a name another program takes meanwhile moves on, a companion (.findx) must be free too,
// folders are made, owners set; the filter of taken names; -w's fixed names.
#include "tcpflow/output/name_allocator.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <variant>

#include "support/run.h"

using namespace tcpflow;
using tcpflow::test::read_file;
using tcpflow::test::TempDir;

namespace {

const std::string kName = "010.000.000.001.01000-010.000.000.002.00080";

FlowNameInfo flow_name() {
    FlowNameInfo n;
    n.src = IpAddress::v4(10, 0, 0, 1);
    n.dst = IpAddress::v4(10, 0, 0, 2);
    n.sport = 1000;
    n.dport = 80;
    return n;
}

NameAllocatorConfig config(const std::string& dir, const std::string& tmpl = std::string{kDefaultTemplate}) {
    NameAllocatorConfig c;
    c.dir = OutputDir{dir};
    c.name_template = std::get<NameTemplate>(NameTemplate::parse(tmpl));
    return c;
}

void make_file(const std::string& path, const std::string& text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
    ASSERT_GE(fd, 0) << path;
    ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fd);
}

/// One search on this thread: the name created (its descriptor closed), or "" when it failed.
std::string create(NameAllocator& names, NameAllocator::Hooks& hooks, int* err = nullptr) {
    std::string path;
    names.first_name(path, flow_name());
    const NameAllocator::Created c = names.create(path, flow_name(), O_RDWR, hooks);
    if (err) *err = c.err;
    if (c.fd < 0) return c.own ? "own:" + path : "";
    ::close(c.fd);
    return path;
}

}  // namespace

TEST(NameAllocator, TheFirstFreeNameWinsInCounterOrder) {
    TempDir dir;
    make_file(dir / kName, "earlier");
    make_file(dir / (kName + "c2"), "earlier c2");
    NameAllocator names{config(dir.path())};
    NameAllocator::Hooks plain;
    EXPECT_EQ(create(names, plain), dir / (kName + "c1"));
    EXPECT_EQ(create(names, plain), dir / (kName + "c3")) << "c2 is taken";
    EXPECT_EQ(create(names, plain), dir / (kName + "c4"));
    EXPECT_EQ(read_file(dir / kName), "earlier") << "never overwritten";
    EXPECT_EQ(read_file(dir / (kName + "c2")), "earlier c2");
}

TEST(NameAllocator, ASearchResumesAfterTheLastCounterUsed) {
    TempDir dir;
    make_file(dir / kName, "");
    // Counts every name tried: the second search must not start over at counter 0.
    struct Counting : NameAllocator::Hooks {
        int tries = 0;
        bool take_own(const std::string&) override {
            ++tries;
            return false;
        }
    } hooks;
    NameAllocator names{config(dir.path())};
    EXPECT_EQ(create(names, hooks), dir / (kName + "c1"));
    EXPECT_EQ(hooks.tries, 2);
    hooks.tries = 0;
    EXPECT_EQ(create(names, hooks), dir / (kName + "c2"));
    EXPECT_EQ(hooks.tries, 1);
}

TEST(NameAllocator, ALoneCounterEscapeCountsToo) {
    TempDir dir;
    make_file(dir / "fixed", "");
    NameAllocator names{config(dir.path(), "fixed%c")};
    NameAllocator::Hooks plain;
    EXPECT_EQ(create(names, plain), dir / "fixed1");
}

TEST(NameAllocator, SharedNamesStartAtCounterZeroEachTime) {
    TempDir dir;
    make_file(dir / (kName + ".pcap"), "earlier run");
    NameAllocatorConfig c = config(dir.path());
    c.suffix = ".pcap";
    c.shares_names = true;
    NameAllocator names{c};
    struct Share : NameAllocator::Hooks {
        std::string mine;
        bool take_own(const std::string& path) override { return path == mine; }
    } hooks;
    hooks.mine = "none";
    const std::string first = create(names, hooks);
    EXPECT_EQ(first, dir / (kName + "c1.pcap"));
    hooks.mine = first;   // this run writes it now: the next flow of that name shares it
    EXPECT_EQ(create(names, hooks), "own:" + first);
}

// Between the filter's "surely free" and the I/O thread's create, another program takes the
// name: the create moves on to the next free name and says which.
TEST(NameAllocator, ANameTakenAfterItWasReservedMovesOnToTheNextFreeOne) {
    TempDir dir;
    NameAllocator names{config(dir.path())};
    ASSERT_TRUE(names.watch_folder());
    std::string path;
    names.first_name(path, flow_name());
    ASSERT_TRUE(names.surely_free(path));
    names.reserve(path);
    make_file(path, "another program");
    std::string moved_to;
    const NameAllocator::Created c = names.create_reserved(path, flow_name(), moved_to);
    ASSERT_GE(c.fd, 0) << c.err;
    ::close(c.fd);
    EXPECT_EQ(moved_to, dir / (kName + "c1"));
    EXPECT_EQ(read_file(path), "another program");
    // The usual case allocates nothing for the name: moved_to stays empty.
    std::string other = dir / "free-name", untouched;
    const NameAllocator::Created d = names.create_reserved(other, flow_name(), untouched);
    ASSERT_GE(d.fd, 0);
    ::close(d.fd);
    EXPECT_TRUE(untouched.empty());
}

TEST(NameAllocator, TheFilterKnowsTheNamesInTheFolderAndThoseReserved) {
    TempDir dir;
    make_file(dir / kName, "");
    NameAllocator names{config(dir.path())};
    ASSERT_TRUE(names.watch_folder());
    EXPECT_FALSE(names.surely_free(dir / kName));
    EXPECT_TRUE(names.surely_free(dir / (kName + "c1")));
    names.reserve(dir / (kName + "c1"));
    EXPECT_FALSE(names.surely_free(dir / (kName + "c1")));
    NameAllocator missing{config(dir / "no-such-folder")};
    EXPECT_FALSE(missing.watch_folder());
}

TEST(NameFilter, SaysNoForAlmostEveryNameNeverAdded) {
    NameFilter f;
    EXPECT_FALSE(f.maybe_contains("anything")) << "empty: certain no";
    for (int i = 0; i < 100000; ++i) f.add("added-" + std::to_string(i));
    for (int i = 0; i < 100000; ++i) ASSERT_TRUE(f.maybe_contains("added-" + std::to_string(i))) << "never a wrong no";
    int maybe = 0;
    for (int i = 0; i < 100000; ++i) maybe += f.maybe_contains("other-" + std::to_string(i)) ? 1 : 0;
    EXPECT_LT(maybe, 200) << "false maybes in 100,000";
}

// -I: a flow file and its index share a name; an index left in the folder moves the flow on.
TEST(NameAllocator, ACompanionNameMustBeFreeTooAndIsCreatedNew) {
    TempDir dir;
    make_file(dir / (kName + ".findx"), "left by someone");
    NameAllocatorConfig c = config(dir.path());
    c.companion = ".findx";
    NameAllocator names{c};
    NameAllocator::Hooks plain;
    EXPECT_EQ(create(names, plain), dir / (kName + "c1"));
    struct stat st{};
    EXPECT_NE(::stat((dir / kName).c_str(), &st), 0) << "the name whose index was taken is not left behind";
    EXPECT_EQ(read_file(dir / (kName + ".findx")), "left by someone");
    ASSERT_EQ(::stat((dir / (kName + "c1.findx")).c_str(), &st), 0);
    EXPECT_EQ(st.st_size, 0);
}

TEST(NameAllocator, MissingFoldersAreMadeAndEverythingGoesToTheOwner) {
    TempDir dir;
    NameAllocatorConfig c = config(dir / "out", "a/b/%A.%a-%B.%b%C%c");
    if (::geteuid() == 0) c.owner = FileOwner{4321, 4322};
    NameAllocator names{c};
    NameAllocator::Hooks plain;
    const std::string path = create(names, plain);
    EXPECT_EQ(path, dir / ("out/a/b/" + kName));
    if (::geteuid() != 0) GTEST_SKIP() << "giving files away needs root";
    for (const std::string& p : {dir / "out", dir / "out/a", dir / "out/a/b", path}) {
        struct stat st{};
        ASSERT_EQ(::stat(p.c_str(), &st), 0) << p;
        EXPECT_EQ(st.st_uid, 4321u) << p;
        EXPECT_EQ(st.st_gid, 4322u) << p;
    }
}

TEST(NameAllocator, AFolderThatCannotBeMadeIsTheReason) {
    TempDir dir;
    make_file(dir / "a", "a file, not a folder");
    NameAllocator names{config(dir.path(), "a/%A.%a-%B.%b%C%c")};
    NameAllocator::Hooks plain;
    int err = 0;
    EXPECT_EQ(create(names, plain, &err), "");
    EXPECT_EQ(err, ENOTDIR);
}

TEST(CreateFirstFree, AnExistingFileMovesOnToACounterBeforeTheExtension) {
    TempDir dir;
    make_file(dir / "unused.pcap", "");
    make_file(dir / "unusedc1.pcap", "");
    std::string path = dir / "unused.pcap";
    NameAllocator::Created c = create_first_free(path, FileOwner{});
    ASSERT_GE(c.fd, 0);
    ::close(c.fd);
    EXPECT_EQ(path, dir / "unusedc2.pcap");
    make_file(dir / "plain", "");
    path = dir / "plain";
    c = create_first_free(path, FileOwner{});
    ASSERT_GE(c.fd, 0);
    ::close(c.fd);
    EXPECT_EQ(path, dir / "plainc1");
    path = dir / "no/such/folder/u.pcap";
    c = create_first_free(path, FileOwner{});
    EXPECT_EQ(c.fd, -1);
    EXPECT_EQ(c.err, ENOENT) << "folders are not made for -w";
}

TEST(CreateFirstFree, DevNullIsWrittenAsItIs) {
    std::string path = "/dev/null";
    const NameAllocator::Created c = create_first_free(path, FileOwner{});
    ASSERT_GE(c.fd, 0) << c.err;
    ::close(c.fd);
    EXPECT_EQ(path, "/dev/null");
}
