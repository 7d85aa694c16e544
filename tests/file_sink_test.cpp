// file_sink_test: the file writer with and without write-behind (writes on an I/O thread), and
// with files created on the I/O thread, gives the same files, names, mtimes and read-backs;
// WriteBehind keeps order, creates files with its creator (which may move a taken name on) and
// reports failures.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <utility>
#include <string>
#include <vector>
#include <variant>

#include "support/run.h"
#include "tcpflow/output/file_sink.h"
#include "tcpflow/output/write_behind.h"

using namespace tcpflow;
using tcpflow::test::TempDir;
using tcpflow::test::read_tree;
using tcpflow::test::read_file;

namespace {

Bytes bytes_of(const std::string& s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

FlowInfo flow(std::uint16_t sport, Timestamp first) {
    FlowInfo f;
    f.name.src = IpAddress::v4(10, 0, 0, 1);
    f.name.dst = IpAddress::v4(10, 0, 0, 2);
    f.name.sport = sport;
    f.name.dport = 80;
    f.name.first_seen = first;
    return f;
}

struct Written {
    std::map<std::string, std::string> files;
    std::uint64_t conflicting_reads = 0;
    std::size_t created_behind = 0;
};

enum class Mode { in_line, write_behind, create_behind };

/// Drives a FileSink through opens, in-order and out-of-order writes, a read-back, descriptor
/// eviction (-f 2), a shift and closes, then returns what is in the folder. The folder already
/// holds the name of one flow, and one name is used twice: both take c1 names.
Written drive(Mode mode, const std::string& dir) {
    FileSinkConfig c;
    c.dir = OutputDir{dir};
    c.name_template = std::get<NameTemplate>(NameTemplate::parse(kDefaultTemplate));
    c.max_fds = 2;
    c.buffer_bytes = 8;   // small: most data goes through the writer, not the buffer
    c.write_behind = mode != Mode::in_line;
    c.create_behind = mode == Mode::create_behind;
    const std::string earlier = dir + "/010.000.000.001.01003-010.000.000.002.00080";
    {
        const int fd = ::open(earlier.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);
        EXPECT_EQ(::write(fd, "earlier run", 11), 11);
        ::close(fd);
    }
    Stats stats;
    Written w;
    {
        FileSink sink{c, stats, nullptr, default_diagnostics()};
        FlowInfo e = flow(1003, Timestamp::from_sec_usec(1600000000, 4));
        FlowInfo again = flow(1000, Timestamp::from_sec_usec(1600000000, 5));
        FlowInfo a = flow(1000, Timestamp::from_sec_usec(1600000000, 1));
        FlowInfo b = flow(1001, Timestamp::from_sec_usec(1600000000, 2));
        FlowInfo d = flow(1002, Timestamp::from_sec_usec(1600000000, 3));
        const Timestamp t = Timestamp::from_sec_usec(1600000001, 0);
        sink.on_open(a, t);
        sink.on_open(b, t);
        sink.on_open(d, t);   // a third file with -f 2: the least recently written one is closed
        sink.on_data(a, 0, bytes_of("hello "), t);
        sink.on_data(b, 0, bytes_of("0123456789abcdef"), t);
        sink.on_data(d, 4, bytes_of("tail"), t);
        sink.on_data(a, 6, bytes_of("world, this is longer than the buffer"), t);
        sink.on_data(b, 4, bytes_of("XXXX"), t);   // rewrites bytes 4..8 (overlap policy last)
        std::uint8_t back[4] = {};
        EXPECT_EQ(sink.read_back(b, 4, back), 4u);
        EXPECT_EQ(std::string(reinterpret_cast<char*>(back), 4), "XXXX");
        sink.on_shift(d, 4);   // data turned out to start 4 bytes earlier
        sink.on_data(d, 0, bytes_of("head"), t);
        sink.on_data(d, 8, bytes_of("more"), t);
        sink.on_close(a, FlowSummary{});
        sink.on_open(again, t);   // a's name is taken now: c1
        sink.on_open(e, t);       // its name was in the folder before the run: c1
        sink.on_data(e, 0, bytes_of("this run"), t);
        sink.on_data(again, 0, bytes_of("second connection"), t);
        sink.on_close(again, FlowSummary{});
        sink.on_close(e, FlowSummary{});
        sink.on_close(b, FlowSummary{});
        sink.on_close(d, FlowSummary{});
        sink.flush();
        EXPECT_FALSE(sink.had_errors());
        EXPECT_EQ(sink.open_files(), 0u);
        w.created_behind = sink.files_created_behind();
    }
    w.files = read_tree(dir);
    struct stat st{};
    EXPECT_EQ(::stat((dir + "/010.000.000.001.01001-010.000.000.002.00080").c_str(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_sec, 1600000000);
    EXPECT_EQ(st.st_mtim.tv_nsec, 2000);
    return w;
}

}  // namespace

TEST(FileSink, WriteBehindWritesTheSameFilesAsInLine) {
    TempDir one, two, three;
    const Written in_line = drive(Mode::in_line, one.path());
    const Written behind = drive(Mode::write_behind, two.path());
    const Written created = drive(Mode::create_behind, three.path());
    EXPECT_EQ(in_line.files, behind.files);
    EXPECT_EQ(in_line.files, created.files);
    EXPECT_EQ(behind.created_behind, 0u);
    // Five new files, two of whose first names are taken (the O_EXCL path makes those); of the
    // other three, those opened while -f 2 leaves no descriptor to spare are made here too.
    EXPECT_GE(created.created_behind, 1u) << "the I/O thread created the files whose names were free";
    EXPECT_LE(created.created_behind, 3u);
    ASSERT_EQ(behind.files.size(), 6u);
    EXPECT_EQ(behind.files.at("010.000.000.001.01003-010.000.000.002.00080"), "earlier run");
    EXPECT_EQ(behind.files.at("010.000.000.001.01003-010.000.000.002.00080c1"), "this run");
    EXPECT_EQ(behind.files.at("010.000.000.001.01000-010.000.000.002.00080c1"), "second connection");
    EXPECT_EQ(behind.files.at("010.000.000.001.01000-010.000.000.002.00080"), "hello world, this is longer than the buffer");
    EXPECT_EQ(behind.files.at("010.000.000.001.01001-010.000.000.002.00080"), "0123XXXX89abcdef");
    // "tail" at 4, everything moved 4 on, "head" in front, "more" over "tail".
    EXPECT_EQ(behind.files.at("010.000.000.001.01002-010.000.000.002.00080"), std::string("head\0\0\0\0more", 12));
}

// Thousands of small writes, some rewritten (overlap policy last), the I/O thread falling behind,
// so writes are split between it and the calling thread: a file is written here when none of its
// jobs waits, or for a big write of bytes past all those queued for it (two bulk streams), never
// for a rewrite of bytes still queued (the older write would undo it). The files must be those of
// in-line writing.
void split_run(Mode mode, const std::string& dir, std::uint16_t n_flows, unsigned rounds) {
    FileSinkConfig c;
    c.dir = OutputDir{dir};
    c.name_template = std::get<NameTemplate>(NameTemplate::parse(kDefaultTemplate));
    c.max_fds = 16;
    c.buffer_bytes = 64;
    c.write_behind = mode != Mode::in_line;
    c.create_behind = mode == Mode::create_behind;
    Stats stats;
    FileSink sink{c, stats, nullptr, default_diagnostics()};
    std::vector<FlowInfo> flows;
    const Timestamp t = Timestamp::from_sec_usec(1600000000, 0);
    for (std::uint16_t i = 0; i < n_flows; ++i) {
        flows.push_back(flow(static_cast<std::uint16_t>(2000 + i), t));
        sink.on_open(flows.back(), t);
    }
    std::vector<std::uint64_t> size(flows.size(), 0);
    for (unsigned round = 0; round < rounds; ++round) {
        for (std::size_t f = 0; f < flows.size(); ++f) {
            const std::string chunk(100, static_cast<char>('A' + (round + f) % 26));
            sink.on_data(flows[f], size[f], bytes_of(chunk), t);
            size[f] += chunk.size();
            if (round % 3 == 2) {
                // At once rewrite the tail of that chunk, which may still wait for the I/O
                // thread (a "last" overlap: the later bytes must win).
                const std::string again(100, static_cast<char>('a' + (round + f) % 26));
                sink.on_data(flows[f], size[f] - 50, bytes_of(again), t);
                size[f] += 50;
            }
        }
    }
    for (auto& f : flows) sink.on_close(f, FlowSummary{});
    sink.flush();
    EXPECT_FALSE(sink.had_errors());
}

TEST(FileSink, WritesSplitBetweenThreadsKeepEveryFileInOrder) {
    for (const auto& [n_flows, rounds] : {std::pair<std::uint16_t, unsigned>{64, 400}, {2, 20000}}) {
        SCOPED_TRACE(std::to_string(n_flows) + " files");
        TempDir one, two, three;
        split_run(Mode::in_line, one.path(), n_flows, rounds);
        split_run(Mode::write_behind, two.path(), n_flows, rounds);
        split_run(Mode::create_behind, three.path(), n_flows, rounds);
        const auto a = read_tree(one.path()), b = read_tree(two.path()), c = read_tree(three.path());
        ASSERT_EQ(a.size(), std::size_t{n_flows});
        EXPECT_TRUE(a == b) << "write-behind wrote different files";
        EXPECT_TRUE(a == c) << "creating on the I/O thread wrote different files";
    }
}

TEST(WriteBehind, JobsRunInOrderAndDrainWaitsForThem) {
    TempDir dir;
    const std::string path = dir / "f";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    auto file = std::make_shared<WrittenFile>();
    file->path = path;
    WriteBehind wb{4, 64, default_diagnostics()};   // tiny bounds: pushes wait for room
    for (int i = 0; i < 200; ++i) {
        WriteBehind::Job j;
        j.file = file;
        j.fd = fd;
        j.data.assign(8, static_cast<std::uint8_t>('a' + i % 26));
        j.offset = static_cast<std::uint64_t>(i % 4) * 4;   // overlapping: the last one pushed wins
        wb.push(std::move(j));
    }
    WriteBehind::Job last;
    last.file = file;
    last.fd = fd;
    last.set_times = true;
    last.mtime = timespec{1234567890, 5};
    last.close = true;
    wb.push(std::move(last));
    wb.drain();
    EXPECT_EQ(wb.errors(), 0u);
    // Writes 196..199 land at 0, 4, 8, 12 with 8 bytes each: the last writer of each byte wins.
    std::string want(20, '?');
    for (int i = 196; i < 200; ++i)
        for (int k = 0; k < 8; ++k) want[static_cast<std::size_t>((i % 4) * 4 + k)] = static_cast<char>('a' + i % 26);
    EXPECT_EQ(read_file(path), want);
    struct stat st{};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mtim.tv_sec, 1234567890);
    EXPECT_EQ(::fcntl(fd, F_GETFD), -1) << "the job closed the descriptor";
}

TEST(WriteBehind, AFailedWriteIsCountedAndMarksTheFile) {
    TempDir dir;
    const std::string path = dir / "ro";
    ASSERT_EQ(::close(::open(path.c_str(), O_RDWR | O_CREAT, 0644)), 0);
    const int fd = ::open(path.c_str(), O_RDONLY);   // writes fail with EBADF
    ASSERT_GE(fd, 0);
    auto file = std::make_shared<WrittenFile>();
    file->path = path;
    {
        WriteBehind wb{64, 1 << 20, default_diagnostics()};
        for (int i = 0; i < 3; ++i) {
            WriteBehind::Job j;
            j.file = file;
            j.fd = fd;
            j.data.assign(4, 'x');
            j.close = i == 2;
            wb.push(std::move(j));
        }
        wb.drain();
        EXPECT_EQ(wb.errors(), 1u) << "a failed file is not written again";
        EXPECT_TRUE(file->failed.load());
    }
    EXPECT_EQ(read_file(path), "");
}

TEST(WriteBehind, ACreateJobMakesTheFileForTheJobsAfterIt) {
    TempDir dir;
    auto made = std::make_shared<WrittenFile>(), clash = std::make_shared<WrittenFile>();
    made->path = dir / "new";
    clash->path = dir / "old";
    ASSERT_EQ(::close(::open(clash->path.c_str(), O_RDWR | O_CREAT, 0644)), 0);   // already there
    {
        WriteBehind wb{64, 1 << 20, default_diagnostics()};
        for (const auto& file : {made, clash}) {
            WriteBehind::Job create;
            create.file = file;
            create.fd = WriteBehind::kCreatedThere;
            create.create = true;
            wb.push(std::move(create));
            WriteBehind::Job write;
            write.file = file;
            write.fd = WriteBehind::kCreatedThere;
            write.data.assign(5, 'z');
            write.close = true;
            wb.push(std::move(write));
        }
        wb.drain();
        EXPECT_EQ(wb.errors(), 1u) << "O_EXCL: an existing file is never overwritten";
        EXPECT_EQ(wb.closes_pending(), 0u);
    }
    EXPECT_TRUE(made->created.load());
    EXPECT_FALSE(made->failed.load());
    EXPECT_GE(made->fd, 0);
    EXPECT_EQ(::fcntl(made->fd, F_GETFD), -1) << "the last job closed it";
    EXPECT_EQ(read_file(made->path), "zzzzz");
    EXPECT_TRUE(clash->created.load());
    EXPECT_TRUE(clash->failed.load());
    EXPECT_EQ(clash->fd, -1);
    EXPECT_EQ(read_file(clash->path), "");
}

TEST(WriteBehind, ACreatorMayCreateAnotherNameAndTheJobsAfterItWriteThere) {
    TempDir dir;
    auto file = std::make_shared<WrittenFile>();
    file->path = dir / "asked";
    ASSERT_EQ(::close(::open(file->path.c_str(), O_RDWR | O_CREAT, 0644)), 0);   // taken meanwhile
    {
        WriteBehind wb{64, 1 << 20, default_diagnostics()};
        wb.create_with([&](WrittenFile& f) {
            f.moved_to = f.path + "c1";
            return ::open(f.moved_to.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        });
        WriteBehind::Job create;
        create.file = file;
        create.fd = WriteBehind::kCreatedThere;
        create.create = true;
        wb.push(std::move(create));
        WriteBehind::Job write;
        write.file = file;
        write.fd = WriteBehind::kCreatedThere;
        write.data.assign(3, 'm');
        write.set_times = true;
        write.mtime = timespec{1234567890, 0};
        write.close = true;
        wb.push(std::move(write));
        wb.wait_created(*file);   // wakes the I/O thread, which waits for a batch of 16
        EXPECT_TRUE(file->created.load());
        EXPECT_EQ(file->written_path(), dir / "askedc1");
        wb.drain();
        EXPECT_EQ(wb.errors(), 0u);
    }
    EXPECT_EQ(read_file(dir / "asked"), "");
    EXPECT_EQ(read_file(dir / "askedc1"), "mmm");
}

// The output folder removed while the run goes on: it is made again, whichever thread creates
// the file (in line, the O_EXCL path; with create_behind, the I/O thread).
TEST(FileSink, AFolderRemovedDuringTheRunIsMadeAgain) {
    for (const Mode mode : {Mode::in_line, Mode::create_behind}) {
        TempDir dir;
        const std::string out = dir / "out";
        posix_io::make_dirs(out, FileOwner{});
        FileSinkConfig c;
        c.dir = OutputDir{out};
        c.name_template = std::get<NameTemplate>(NameTemplate::parse(kDefaultTemplate));
        c.write_behind = mode != Mode::in_line;
        c.create_behind = mode == Mode::create_behind;
        Stats stats;
        {
            FileSink sink{c, stats, nullptr, default_diagnostics()};
            ASSERT_EQ(::rmdir(out.c_str()), 0);
            FlowInfo a = flow(1000, Timestamp::from_sec_usec(1600000000, 1));
            const Timestamp t = Timestamp::from_sec_usec(1600000001, 0);
            sink.on_open(a, t);
            sink.on_data(a, 0, bytes_of("still here"), t);
            sink.on_close(a, FlowSummary{});
            sink.flush();
            EXPECT_FALSE(sink.had_errors());
            EXPECT_EQ(sink.files_created_behind(), mode == Mode::create_behind ? 1u : 0u);
        }
        EXPECT_EQ(read_file(out + "/010.000.000.001.01000-010.000.000.002.00080"), "still here");
    }
}

// SPEC 5: a name that another program takes during the run moves on to the next free name, never
// a failed flow. The sink reads the folder when it starts; the name is taken after that, so the
// filter calls it free and (with create_behind) the I/O thread finds it taken. The flow's path
// (the report's, a resumed flow's) is the name written.
TEST(FileSink, ANameAnotherProgramTakesDuringTheRunMovesOnToTheNextFreeName) {
    for (const Mode mode : {Mode::in_line, Mode::write_behind, Mode::create_behind}) {
        TempDir dir;
        FileSinkConfig c;
        c.dir = OutputDir{dir.path()};
        c.name_template = std::get<NameTemplate>(NameTemplate::parse(kDefaultTemplate));
        c.write_behind = mode != Mode::in_line;
        c.create_behind = mode == Mode::create_behind;
        Stats stats;
        std::vector<std::string> reported;
        {
            FileSink sink{c, stats, [&](const FlowInfo& info, const FlowSummary&, const FileOutcome&) { reported.push_back(info.path); },
                          default_diagnostics()};
            const std::string name = dir / "010.000.000.001.01000-010.000.000.002.00080";
            {
                const int fd = ::open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0644);   // another program
                ASSERT_EQ(::write(fd, "theirs", 6), 6);
                ::close(fd);
            }
            FlowInfo a = flow(1000, Timestamp::from_sec_usec(1600000000, 1));
            const Timestamp t = Timestamp::from_sec_usec(1600000001, 0);
            sink.on_open(a, t);
            sink.on_data(a, 0, bytes_of("ours"), t);
            sink.on_close(a, FlowSummary{});
            EXPECT_EQ(a.path, name + "c1") << "the name written";
            // The same connection again (resumed) continues that file, not theirs.
            a.resumed = true;
            sink.on_open(a, t);
            sink.on_data(a, 4, bytes_of(" too"), t);
            sink.on_close(a, FlowSummary{});
            sink.flush();
            EXPECT_FALSE(sink.had_errors());
            if (mode == Mode::create_behind) {
                EXPECT_EQ(sink.files_created_behind(), 1u) << "the I/O thread met the taken name";
            }
            EXPECT_EQ(read_file(name), "theirs");
            EXPECT_EQ(read_file(name + "c1"), "ours too");
        }
        EXPECT_EQ(reported, (std::vector<std::string>{dir / "010.000.000.001.01000-010.000.000.002.00080c1",
                                                      dir / "010.000.000.001.01000-010.000.000.002.00080c1"}));
    }
}

// A flow file whose folder is deleted while it is open: the bytes written into it are lost with
// the descriptor. One message naming the file, the sink fails (exit status 1), and the close is
// told the file is gone (the report then lists no file and says write_error). In line, with
// write-behind, and with files created on the I/O thread.
TEST(FileSink, AFileRemovedWhileOpenIsOneFailureNamingIt) {
    for (const Mode mode : {Mode::in_line, Mode::write_behind, Mode::create_behind}) {
        SCOPED_TRACE(static_cast<int>(mode));
        TempDir dir;
        const std::string out = dir / "out";
        posix_io::make_dirs(out, FileOwner{});
        int pipe_fds[2];
        ASSERT_EQ(::pipe(pipe_fds), 0);
        DiagnosticsSettings ds;
        ds.fd = pipe_fds[1];
        Diagnostics diag{ds};
        FileSinkConfig c;
        c.dir = OutputDir{out};
        c.name_template = std::get<NameTemplate>(NameTemplate::parse(kDefaultTemplate));
        c.write_behind = mode != Mode::in_line;
        c.create_behind = mode == Mode::create_behind;
        Stats stats;
        std::vector<FileOutcome> outcomes;
        const std::string name = out + "/010.000.000.001.01000-010.000.000.002.00080";
        {
            FileSink sink{c, stats, [&](const FlowInfo&, const FlowSummary&, const FileOutcome& o) { outcomes.push_back(o); },
                          diag};
            FlowInfo a = flow(1000, Timestamp::from_sec_usec(1600000000, 1));
            const Timestamp t = Timestamp::from_sec_usec(1600000001, 0);
            sink.on_open(a, t);
            sink.on_data(a, 0, bytes_of("soon gone"), t);
            sink.flush();   // the file exists, still open
            ASSERT_EQ(::unlink(name.c_str()), 0);
            ASSERT_EQ(::rmdir(out.c_str()), 0);
            sink.on_data(a, 9, bytes_of(" and more"), t);
            sink.on_close(a, FlowSummary{});
            sink.flush();
            EXPECT_TRUE(sink.had_errors());
        }
        ::close(pipe_fds[1]);
        std::string said;
        char buf[512];
        for (ssize_t n; (n = ::read(pipe_fds[0], buf, sizeof buf)) > 0;) said.append(buf, static_cast<std::size_t>(n));
        ::close(pipe_fds[0]);
        EXPECT_EQ(said, "tcpflow: " + name + " was removed during the run: what was written into it is lost\n");
        EXPECT_EQ(diag.errors(), 1u);
        ASSERT_EQ(outcomes.size(), 1u);
        EXPECT_EQ(outcomes[0].error, ENOENT);
        EXPECT_FALSE(outcomes[0].on_disk);
    }
}

// With write-behind a closed flow is told once its file's writes ran (to know of a failure), but
// always in close order, each once, all of them by flush(); flows without a file keep their
// place among them.
TEST(FileSink, ClosedFlowsAreToldInCloseOrderOnceTheirWritesRan) {
    for (const Mode mode : {Mode::in_line, Mode::write_behind, Mode::create_behind}) {
        SCOPED_TRACE(static_cast<int>(mode));
        TempDir dir;
        FileSinkConfig c;
        c.dir = OutputDir{dir.path()};
        c.name_template = std::get<NameTemplate>(NameTemplate::parse(kDefaultTemplate));
        c.write_behind = mode != Mode::in_line;
        c.create_behind = mode == Mode::create_behind;
        Stats stats;
        std::vector<std::uint16_t> told;
        {
            FileSink sink{c, stats,
                          [&](const FlowInfo& info, const FlowSummary&, const FileOutcome& o) {
                              EXPECT_EQ(o.error, 0);
                              told.push_back(info.name.sport);
                          },
                          default_diagnostics()};
            const Timestamp t = Timestamp::from_sec_usec(1600000001, 0);
            for (std::uint16_t port = 1000; port < 1300; ++port) {
                FlowInfo a = flow(port, Timestamp::from_sec_usec(1600000000, 1));
                if (port % 7 != 0) {   // every 7th carries no payload: no file
                    sink.on_open(a, t);
                    sink.on_data(a, 0, bytes_of(std::string(port % 100 * 50, 'x')), t);
                }
                sink.on_close(a, FlowSummary{});
            }
            sink.flush();
            EXPECT_FALSE(sink.had_errors());
        }
        ASSERT_EQ(told.size(), 300u);
        for (std::size_t i = 0; i < told.size(); ++i) ASSERT_EQ(told[i], 1000 + i) << "told out of close order";
    }
}
