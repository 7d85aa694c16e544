// tls_keys_test: --tls-keylog files (app/tls_keys): read whole at the start, read on as they grow
// (live capture), an unterminated last line waits for its newline, unreadable files are errors.
#include "tcpflow/app/tls_keys.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/run.h"

namespace {

using tcpflow::TlsKeyFiles;
using tcpflow::test::TempDir;

std::string line(const char* label, char random_digit, char secret_digit, std::size_t secret_bytes) {
    return std::string(label) + " " + std::string(64, random_digit) + " " + std::string(2 * secret_bytes, secret_digit) +
           "\n";
}

void append(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::app | std::ios::binary) << text; }

// Catches: a growing key log not being reread, a half-written last line read too early (a
// truncated secret), or lines read twice.
TEST(TlsKeys, GrowingFileIsReadOnFromTheLastCompleteLine) {
    TempDir tmp;
    const std::string f = tmp / "keys.log";
    const std::string second = line("CLIENT_TRAFFIC_SECRET_0", 'b', '2', 32);
    append(f, "# comment\n" + line("CLIENT_RANDOM", 'a', '1', 48) + second.substr(0, 20));
    TlsKeyFiles k;
    std::string err;
    ASSERT_TRUE(k.load({f}, true, err)) << err;
    EXPECT_EQ(k.keys().size(), 1u);
    EXPECT_FALSE(k.reread());   // nothing new
    append(f, second.substr(20));
    EXPECT_TRUE(k.reread());
    EXPECT_EQ(k.keys().size(), 2u);
    EXPECT_FALSE(k.reread());
    append(f, line("SERVER_TRAFFIC_SECRET_0", 'b', '3', 32));
    EXPECT_TRUE(k.reread());
    EXPECT_EQ(k.keys().size(), 3u);
}

// Catches: a capture file's key log losing its last line because it has no newline.
TEST(TlsKeys, FinalLineWithoutNewlineCountsWhenNotGrowing) {
    TempDir tmp;
    const std::string f = tmp / "keys.log";
    const std::string l = line("CLIENT_RANDOM", 'c', '4', 48);
    append(f, l.substr(0, l.size() - 1));
    TlsKeyFiles k;
    std::string err;
    ASSERT_TRUE(k.load({f}, false, err)) << err;
    EXPECT_EQ(k.keys().size(), 1u);
}

// Catches: a missing or unreadable key log silently decrypting nothing.
TEST(TlsKeys, UnreadableFileIsAnError) {
    TempDir tmp;
    TlsKeyFiles k;
    std::string err;
    EXPECT_FALSE(k.load({tmp / "none.log"}, false, err));
    EXPECT_NE(err.find("none.log"), std::string::npos);
    TlsKeyFiles d;
    EXPECT_FALSE(d.load({tmp.path()}, false, err));   // a folder
}

}  // namespace
