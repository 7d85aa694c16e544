// The output plan: a pure step from Options to what the run writes, tested without a capture.
#include "tcpflow/app/output_plan.h"

#include <gtest/gtest.h>

#include <variant>

using namespace tcpflow;

namespace {

PlanEnvironment env_as(uid_t euid) {
    PlanEnvironment env;
    env.euid = euid;
    env.cwd = "/home/u";
    env.default_max_fds = 1000;
    env.find_user = [](const std::string& name) -> Result<UserIds> {
        if (name == "nobody") return UserIds{"nobody", 65534, 65534};
        return Error{"cannot find user '" + name + "'"};
    };
    return env;
}

OutputPlan plan_of(const Options& o, const PlanEnvironment& env = env_as(1000)) {
    auto p = plan_output(o, env);
    EXPECT_TRUE(p.ok()) << (p.ok() ? "" : p.error());
    return p.ok() ? *p : OutputPlan{};
}

TEST(OutputPlan, DefaultsWriteFilesAndTheReportIntoTheFolder) {
    Options o;
    o.outdir = "out";
    const OutputPlan p = plan_of(o);
    EXPECT_EQ(p.sink, SinkKind::files);
    EXPECT_EQ(p.folder, "out");
    EXPECT_TRUE(p.make_folder);
    EXPECT_EQ(p.report_path, "out/report.xml");
    EXPECT_TRUE(p.write_behind);
    EXPECT_EQ(p.decoder_memory, o.max_memory);
    EXPECT_EQ(p.workers, 1u);
}

TEST(OutputPlan, ConsoleWritesNoFilesAndNoReportUnlessNamed) {
    Options o;
    o.console.enabled = true;
    EXPECT_EQ(plan_of(o).sink, SinkKind::console);
    EXPECT_TRUE(plan_of(o).make_folder);   // -o is made in every mode
    EXPECT_EQ(plan_of(o).report_path, "");
    o.report_path = "r.xml";
    EXPECT_EQ(plan_of(o).report_path, "r.xml");
    EXPECT_EQ(plan_of(o).report_folder, "");
    o.report_path = "new/dir/r.xml";
    EXPECT_EQ(plan_of(o).report_folder, "new/dir");
    o.report_path = "/dev/null";
    EXPECT_EQ(plan_of(o).report_path, "");
}

TEST(OutputPlan, ScannersAndHooksTurnWriteBehindOff) {
    Options o;
    o.scan_md5 = true;
    EXPECT_FALSE(plan_of(o).write_behind);
    o.scan_md5 = false;
    o.tcp_cmd = "true";
    EXPECT_FALSE(plan_of(o).write_behind);
}

TEST(OutputPlan, PcapPerFlowAndNoStoreDiscardFlowData) {
    Options o;
    o.pcap_per_flow = true;
    EXPECT_EQ(plan_of(o).sink, SinkKind::discard);
    EXPECT_TRUE(plan_of(o).make_folder);
    o.pcap_per_flow = false;
    o.store_files = false;
    EXPECT_EQ(plan_of(o).sink, SinkKind::discard);
}

// Bug: with -j N the workers got --max-memory/N each while the decoder kept the whole limit, so
// the process could use about twice --max-memory. The limit is for the whole process.
TEST(OutputPlan, WorkersAndDecoderShareOneMemoryLimit) {
    for (unsigned n : {2u, 3u, 4u, 8u}) {
        Options o;
        o.jobs = n;
        o.max_memory = 100ull * 1024 * 1024;
        const OutputPlan p = plan_of(o);
        ASSERT_EQ(p.sink, SinkKind::workers);
        EXPECT_EQ(p.workers, n);
        EXPECT_LE(p.decoder_memory + p.worker_memory * n, o.max_memory) << n << " workers";
        EXPECT_GT(p.worker_memory, 0u);
        EXPECT_GT(p.decoder_memory, 0u);
    }
}

TEST(OutputPlan, WorkersShareTheDescriptorLimit) {
    Options o;
    o.jobs = 4;
    o.max_fds = 200;
    const OutputPlan p = plan_of(o);
    EXPECT_EQ(p.worker_max_fds, (200 - 8 * 4) / 4);
    EXPECT_TRUE(p.worker_create_behind);   // the default names hold both endpoints
}

TEST(OutputPlan, JobsOnlyForFilesFromCaptureFiles) {
    Options o;
    o.jobs = 2;
    o.live = true;
    const OutputPlan p = plan_of(o);
    EXPECT_EQ(p.sink, SinkKind::files);
    EXPECT_EQ(p.workers, 1u);
    ASSERT_EQ(p.warnings.size(), 1u);
    EXPECT_NE(p.warnings[0].find("-j is used only"), std::string::npos);
}

// Bug: -K -z wrote the per-flow pcaps to the folder before the chroot taken again inside it. The
// plan's folder is the one every writer uses: the path inside the new root.
TEST(OutputPlan, ChrootFolderIsThePathInsideTheNewRoot) {
    Options o;
    o.outdir = "/var/cap/out";
    o.chroot_dir = "/var/cap";
    o.pcap_per_flow = true;
    const OutputPlan p = plan_of(o, env_as(0));
    EXPECT_EQ(p.folder, "/out");
    EXPECT_EQ(p.folder_before_chroot, "/var/cap/out");
    EXPECT_EQ(p.report_path, "/var/cap/out/report.xml");   // opened before the chroot
}

TEST(OutputPlan, FolderOutsideTheChrootIsAFailure) {
    Options o;
    o.outdir = "/home/u/out";
    o.chroot_dir = "/var/cap";
    auto p = plan_output(o, env_as(0));
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.error().find("is not inside the chroot folder"), std::string::npos);
}

TEST(OutputPlan, UnknownUserIsAFailure) {
    Options o;
    o.user = "nosuchuser";
    auto p = plan_output(o, env_as(0));
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error(), "cannot find user 'nosuchuser'");
}

TEST(OutputPlan, SudoHandsFilesToTheInvokingUserUnlessDroppingRoot) {
    Options o;
    PlanEnvironment env = env_as(0);
    env.sudo_uid = "1000";
    env.sudo_gid = "1001";
    OutputPlan p = plan_of(o, env);
    EXPECT_EQ(p.file_uid, 1000);
    EXPECT_EQ(p.file_gid, 1001);
    o.user = "nobody";
    p = plan_of(o, env);
    ASSERT_TRUE(p.drop_to.has_value());
    EXPECT_EQ(p.drop_to->uid, 65534u);
    EXPECT_EQ(p.file_uid, -1);            // the dropped-to user creates them itself
    ASSERT_TRUE(p.owner.has_value());     // but the folders made as root are handed to it
    EXPECT_EQ(p.owner->uid, 65534u);
}

}  // namespace

TEST(OutputPlan, ShardPathTagsTheLastComponentBeforeItsExtension) {
    EXPECT_EQ(shard_path("report.xml", 1, 4), "report-1-of-4.xml");
    EXPECT_EQ(shard_path("out/report.xml", 0, 7), "out/report-0-of-7.xml");
    EXPECT_EQ(shard_path("/a.b/c/unused.pcap", 6, 7), "/a.b/c/unused-6-of-7.pcap");
    EXPECT_EQ(shard_path("/a.b/unused", 2, 3), "/a.b/unused-2-of-3");
    EXPECT_EQ(shard_path("flows.jsonl", 2, 3), "flows-2-of-3.jsonl");
    EXPECT_EQ(shard_path(".hidden", 0, 2), ".hidden-0-of-2");
    EXPECT_EQ(shard_path("d/.hidden", 0, 2), "d/.hidden-0-of-2");
    EXPECT_EQ(shard_path("a.tar.gz", 0, 2), "a.tar-0-of-2.gz");
    EXPECT_EQ(shard_path("-", 1, 2), "-");
    EXPECT_EQ(shard_path("/dev/stdout", 1, 2), "/dev/stdout");
    EXPECT_EQ(shard_path("/dev/fd/3", 1, 2), "/dev/fd/3");
    EXPECT_EQ(shard_path("/dev/shm/out/report.xml", 1, 2), "/dev/shm/out/report-1-of-2.xml");
    EXPECT_EQ(shard_path("/dev/shm/report.xml", 1, 2), "/dev/shm/report-1-of-2.xml");
}

TEST(OutputPlan, EachShardWritesItsOwnReportAndUnusedPackets) {
    Options o;
    o.outdir = "out";
    o.unused_pcap = "u.pcap";
    EXPECT_EQ(plan_of(o).report_path, "out/report.xml");
    EXPECT_EQ(plan_of(o).unused_path, "u.pcap");
    o.shard_index = 2;
    o.shard_count = 3;
    EXPECT_EQ(plan_of(o).report_path, "out/report-2-of-3.xml");
    EXPECT_EQ(plan_of(o).unused_path, "u-2-of-3.pcap");
    EXPECT_TRUE(plan_of(o).warnings.empty());
    o.report_path = "r/x.xml";
    EXPECT_EQ(plan_of(o).report_path, "r/x-2-of-3.xml");
    EXPECT_EQ(plan_of(o).report_folder, "r");
    o.report = false;
    o.report_path.clear();
    EXPECT_EQ(plan_of(o).report_path, "");
    o.unused_pcap = "-";
    EXPECT_EQ(plan_of(o).unused_path, "-");
}

TEST(OutputPlan, ShardWarnsWhenNamesCannotAddUpToOneRun) {
    Options o;
    o.shard_count = 2;
    EXPECT_TRUE(plan_of(o).warnings.empty());
    for (const char* t : {"%K/%A.%a-%B.%b", "%A.%a-%B.%b-%S", "%N"}) {
        o.name_template = std::get<NameTemplate>(NameTemplate::parse(t));
        const auto w = plan_of(o).warnings;
        ASSERT_EQ(w.size(), 1u) << t;
        EXPECT_NE(w[0].find("count this shard's flows"), std::string::npos) << w[0];
    }
    o.name_template = std::get<NameTemplate>(NameTemplate::parse("%T"));
    const auto w = plan_of(o).warnings;
    ASSERT_EQ(w.size(), 1u);
    EXPECT_NE(w[0].find("do not hold both addresses and ports"), std::string::npos) << w[0];
    o.name_template = std::get<NameTemplate>(NameTemplate::parse("%%N%A.%a-%B.%b"));
    EXPECT_TRUE(plan_of(o).warnings.empty());
    o.shard_count = 0;
    o.name_template = std::get<NameTemplate>(NameTemplate::parse("%N"));
    EXPECT_TRUE(plan_of(o).warnings.empty());
}
