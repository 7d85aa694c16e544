#include "tcpflow/output/diagnostics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>

using namespace tcpflow;

namespace {

/// Runs `body` with a Diagnostics that writes into a pipe; returns what it wrote.
template <class F>
std::string captured(DiagnosticsSettings s, F body) {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    s.fd = fds[1];
    {
        Diagnostics d{s};
        body(d);
    }
    ::close(fds[1]);
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    return out;
}

}  // namespace

TEST(Diagnostics, ErrorsArePrefixedAndCounted) {
    std::uint64_t count = 0;
    auto out = captured({}, [&](Diagnostics& d) {
        d.error("cannot write x: No space left on device");
        d.error("second");
        count = d.errors();
    });
    EXPECT_EQ(out, "tcpflow: cannot write x: No space left on device\ntcpflow: second\n");
    EXPECT_EQ(count, 2u);
}

TEST(Diagnostics, QuietDropsWarningsNotErrors) {
    DiagnosticsSettings s;
    s.quiet = true;
    auto out = captured(s, [](Diagnostics& d) {
        d.warning("many files");
        d.error("bad");
    });
    EXPECT_EQ(out, "tcpflow: bad\n");
}

TEST(Diagnostics, DebugLevelAndPrefix) {
    DiagnosticsSettings s;
    s.prefix = "probe";
    s.debug = 3;
    auto out = captured(s, [](Diagnostics& d) {
        d.debug(3, "shown");
        d.debug(4, "hidden");
        d.info("always");
    });
    EXPECT_EQ(out, "probe: shown\nprobe: always\n");
}

TEST(Diagnostics, Describe) {
    EXPECT_EQ(Diagnostics::describe("cannot create", "a/b", ENOENT), "cannot create a/b: No such file or directory");
}
