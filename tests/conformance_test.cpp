// Conformance: run the built binary over every capture in ../shared/corpus and compare what it
// writes with expected/<capture>.truth.manifest (names, sizes, sha256), plus the exit status the
// manifest states. Captures marked "# uncertain" are skipped, as the corpus README says.
// Skips, saying so, when ../shared is absent.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/run.h"

namespace fs = std::filesystem;
using tcpflow::test::run_program;
using tcpflow::test::run_tcpflow;
using tcpflow::test::TempDir;

namespace {

const std::string kShared = TCPFLOW_SHARED_DIR;
const std::string kCorpus = kShared + "/corpus";
const std::string kExpected = kCorpus + "/expected";

// Captures this build is known not to match yet, each with the reason. Keep it empty when possible.
const std::map<std::string, std::string> kExpectedFailures = {};

std::vector<std::string> captures() {
    std::vector<std::string> out;
    if (!fs::is_directory(kExpected)) return out;
    for (const auto& e : fs::directory_iterator(kCorpus)) {
        const std::string name = e.path().filename().string();
        if (e.is_regular_file() && fs::exists(kExpected + "/" + name + ".truth.manifest")) out.push_back(name);
    }
    std::sort(out.begin(), out.end());
    return out;
}

class Corpus : public ::testing::TestWithParam<std::string> {};

TEST_P(Corpus, MatchesTruthManifest) {
    const std::string cap = GetParam();
    const std::string manifest = kExpected + "/" + cap + ".truth.manifest";
    std::ifstream in(manifest);
    std::string line;
    std::set<int> expect_exit;
    while (std::getline(in, line)) {
        if (line.rfind("# uncertain", 0) == 0) GTEST_SKIP() << cap << " is marked uncertain: " << line.substr(2);
        if (line.rfind("# expect_exit:", 0) == 0) {
            std::string v = line.substr(14);
            for (std::size_t pos = 0; pos <= v.size();) {
                const auto bar = v.find('|', pos);
                const std::string part = v.substr(pos, bar == std::string::npos ? std::string::npos : bar - pos);
                if (part.find_first_of("0123456789") != std::string::npos) expect_exit.insert(std::stoi(part));
                if (bar == std::string::npos) break;
                pos = bar + 1;
            }
        }
    }
    if (auto it = kExpectedFailures.find(cap); it != kExpectedFailures.end())
        GTEST_SKIP() << "expected failure: " << it->second;
    TempDir tmp;
    const std::string out = tmp / "o";
    const auto r = run_tcpflow({"-r", kCorpus + "/" + cap, "-o", out}, "", 60);
    ASSERT_LT(r.exit_code, 124) << "crashed or hung; stderr: " << r.err;
    if (!expect_exit.empty()) {
        EXPECT_TRUE(expect_exit.count(r.exit_code)) << "exit " << r.exit_code << "; " << r.err;
    }
    const auto cmp = run_program({"/usr/bin/env", "python3", kShared + "/tools/compare_manifest.py", out, manifest});
    EXPECT_EQ(cmp.exit_code, 0) << cmp.out << cmp.err;
}

INSTANTIATE_TEST_SUITE_P(Shared, Corpus, ::testing::ValuesIn(captures()), [](const auto& p) {
    std::string n = p.param;
    std::replace_if(n.begin(), n.end(), [](char ch) { return !std::isalnum(static_cast<unsigned char>(ch)); }, '_');
    return n;
});
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Corpus);

TEST(Conformance, SharedCorpusPresent) {
    if (!fs::is_directory(kExpected)) GTEST_SKIP() << "../shared/corpus is absent: conformance tests skipped";
    EXPECT_GE(captures().size(), 50u);
}

}  // namespace
