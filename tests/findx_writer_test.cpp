// findx_writer_test: -I lines (1.6.1's format), appended in blocks, sorted by offset at the end
// (stable), moved by a shift; failures come back as errno.
#include "tcpflow/output/findx_writer.h"

#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "support/run.h"

using namespace tcpflow;
using tcpflow::test::read_file;
using tcpflow::test::TempDir;

TEST(FindxWriter, LinesAreWrittenInOffsetOrderEqualOffsetsInArrivalOrder) {
    TempDir dir;
    const std::string flow = dir / "flow";
    FindxWriter w;
    w.start(false);
    const Timestamp t = Timestamp::from_sec_usec(1600000000, 7);
    EXPECT_FALSE(w.add(0, t, 4));
    w.add(8, t, 4);
    w.add(4, Timestamp::from_sec_usec(1600000001, 0), 4);
    w.add(0, Timestamp::from_sec_usec(1600000002, 0), 4);
    ASSERT_EQ(w.flush(flow), 0);
    EXPECT_EQ(read_file(flow + ".findx"), "0|1600000000.000007|4\n8|1600000000.000007|4\n4|1600000001.000000|4\n0|1600000002.000000|4\n")
        << "arrival order until the end";
    ASSERT_EQ(w.rewrite(flow, 0), 0);
    EXPECT_EQ(read_file(flow + ".findx"), "0|1600000000.000007|4\n0|1600000002.000000|4\n4|1600000001.000000|4\n8|1600000000.000007|4\n");
}

TEST(FindxWriter, AShiftMovesEveryOffsetWrittenSoFar) {
    TempDir dir;
    const std::string flow = dir / "flow";
    FindxWriter w;
    w.start(false);
    const Timestamp t = Timestamp::from_sec_usec(1600000000, 0);
    w.add(0, t, 4);
    ASSERT_EQ(w.rewrite(flow, 4), 0);
    w.add(0, t, 4);   // the bytes that came first
    ASSERT_EQ(w.rewrite(flow, 0), 0);
    EXPECT_EQ(read_file(flow + ".findx"), "0|1600000000.000000|4\n4|1600000000.000000|4\n");
}

TEST(FindxWriter, ManyLinesAskToBeFlushedAndAFailureIsAnErrno) {
    FindxWriter w;
    w.start(false);
    bool asked = false;
    for (std::uint64_t off = 0; off < 10000000 && !asked; off += 10) asked = w.add(off, Timestamp{}, 10);
    EXPECT_TRUE(asked);
    EXPECT_EQ(w.flush("/no/such/folder/flow"), ENOENT);
}

TEST(FindxWriter, ARewriteLeavesASortedIndexAlone) {
    TempDir dir;
    const std::string flow = dir / "flow";
    FindxWriter w;
    w.start(false);
    w.add(0, Timestamp{}, 1);
    w.add(1, Timestamp{}, 1);
    ASSERT_EQ(w.rewrite(flow, 0), 0);
    const std::string once = read_file(flow + ".findx");
    EXPECT_EQ(once, "0|0.000000|1\n1|0.000000|1\n");
}
