// privileges_test: the pieces of -U / -z / sudo ownership that have no root effects.
#include "tcpflow/app/privileges.h"

#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <string>
#include <variant>

namespace tcpflow {
namespace {

TEST(SudoIds, ParsesDecimalIds) {
    const auto ids = parse_sudo_ids("1000", "1001");
    ASSERT_TRUE(ids.has_value());
    EXPECT_EQ(ids->uid, 1000u);
    EXPECT_EQ(ids->gid, 1001u);
}

TEST(SudoIds, MissingOrEmptyIsNone) {
    EXPECT_FALSE(parse_sudo_ids(nullptr, "1000").has_value());
    EXPECT_FALSE(parse_sudo_ids("1000", nullptr).has_value());
    EXPECT_FALSE(parse_sudo_ids("", "1000").has_value());
    EXPECT_FALSE(parse_sudo_ids("1000", "").has_value());
}

TEST(SudoIds, GarbageIsNone) {
    EXPECT_FALSE(parse_sudo_ids("10x", "1000").has_value());
    EXPECT_FALSE(parse_sudo_ids(" 1000", "1000").has_value());
    EXPECT_FALSE(parse_sudo_ids("-1", "1000").has_value());
    EXPECT_FALSE(parse_sudo_ids("1000", "+5").has_value());
    EXPECT_FALSE(parse_sudo_ids("4294967295", "1000").has_value());   // (uid_t)-1 means "unchanged"
    EXPECT_FALSE(parse_sudo_ids("99999999999999999999", "1000").has_value());
}

TEST(SudoIds, RootInvokerKeepsFilesAsTheyAre) { EXPECT_FALSE(parse_sudo_ids("0", "0").has_value()); }

TEST(OutputOwner, SudoOnlyCountsWhenRunningAsRoot) {
    const auto as_root = output_owner(std::nullopt, 0, "1000", "1000");
    ASSERT_TRUE(as_root.has_value());
    EXPECT_EQ(as_root->uid, 1000u);
    EXPECT_FALSE(output_owner(std::nullopt, 1000, "1000", "1000").has_value());
    EXPECT_FALSE(output_owner(std::nullopt, 0, nullptr, nullptr).has_value());
}

TEST(OutputOwner, DashUWins) {
    UserIds nobody{"nobody", 65534, 65534};
    const auto o = output_owner(nobody, 0, "1000", "1000");
    ASSERT_TRUE(o.has_value());
    EXPECT_EQ(o->uid, 65534u);
    EXPECT_EQ(o->name, "nobody");
}

TEST(ResolveUser, UnknownUserIsAClearError) {
    const auto r = resolve_user("no-such-user-tcpflow-xyz");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error(), "cannot find user 'no-such-user-tcpflow-xyz'");
    EXPECT_FALSE(resolve_user("").ok());
}

TEST(ResolveUser, FindsRootByNameAndNumber) {
    const auto by_name = resolve_user("root");
    ASSERT_TRUE(by_name.ok());
    EXPECT_EQ(by_name->uid, 0u);
    const auto by_number = resolve_user("0");
    ASSERT_TRUE(by_number.ok());
    EXPECT_EQ(by_number->name, "root");
}

TEST(ResolveUser, FindsTheCurrentUser) {
    const passwd* me = getpwuid(getuid());
    if (!me) GTEST_SKIP() << "no passwd entry for uid " << getuid();
    const auto r = resolve_user(me->pw_name);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->uid, getuid());
    EXPECT_EQ(r->gid, me->pw_gid);
}

std::string inside(const std::string& outdir, const std::string& root, const std::string& cwd) {
    const auto r = output_path_in_chroot(outdir, root, cwd);
    return r.ok() ? *r : "ERROR: " + r.error();
}

TEST(ChrootPath, AbsoluteOutputInsideTheRoot) {
    EXPECT_EQ(inside("/var/cap/out", "/var/cap", "/home/u"), "/out");
    EXPECT_EQ(inside("/var/cap/a/b/", "/var/cap/", "/"), "/a/b");
    EXPECT_EQ(inside("/var/cap", "/var/cap", "/"), "/");
}

TEST(ChrootPath, RelativeOutputIsResolvedAgainstTheCurrentFolderFirst) {
    EXPECT_EQ(inside("out", "/var/cap", "/var/cap"), "/out");
    EXPECT_EQ(inside(".", "/var/cap", "/var/cap"), "/");
    EXPECT_EQ(inside("", "/var/cap", "/var/cap"), "/");
    EXPECT_EQ(inside("cap/out", "/var/cap", "/var"), "/out");
    EXPECT_EQ(inside("out", ".", "/var/cap"), "/out");
    EXPECT_EQ(inside("../cap/x/./y", "../cap", "/var/other/"), "/x/y");
}

TEST(ChrootPath, OutputOutsideTheRootIsAnError) {
    EXPECT_EQ(inside("/home/u/out", "/var/cap", "/"),
              "ERROR: output folder /home/u/out is not inside the chroot folder /var/cap (-o must name a folder "
              "inside -z)");
    EXPECT_EQ(inside("out", "/var/cap", "/home/u").rfind("ERROR: output folder /home/u/out", 0), 0u);
    // Whole components only: /var/capture is not inside /var/cap.
    EXPECT_EQ(inside("/var/capture", "/var/cap", "/").rfind("ERROR", 0), 0u);
    EXPECT_EQ(inside("/var/cap/../etc", "/var/cap", "/").rfind("ERROR", 0), 0u);
}

}  // namespace
}  // namespace tcpflow
