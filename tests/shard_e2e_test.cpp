// --shard end to end: N processes over the same capture write together exactly what one run
// writes (names including cN, contents, mtimes), and their reports merge into one run's. The
// shards are started by the recipes of docs/scale-out.md, run as they are written there: GNU
// parallel (one machine; many captures), the Kubernetes manifest's command line, and the Slurm
// script (tools/slurm_shard.sh). Captures: tools/shard_capture.py (20,000 connections with IP
// fragments, VLANs and reused 4-tuples) and every capture of ../shared/corpus.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/run.h"

namespace fs = std::filesystem;
using tcpflow::test::read_file;
using tcpflow::test::run_program;
using tcpflow::test::run_tcpflow;
using tcpflow::test::RunResult;
using tcpflow::test::TempDir;

namespace {

const std::string kSource = TCPFLOW_SOURCE_DIR;
const std::string kCorpus = std::string(TCPFLOW_SHARED_DIR) + "/corpus";
constexpr int kTimeoutS = 300;

std::string find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/bin:/bin");
    for (std::string d; std::getline(dirs, d, ':');)
        if (!d.empty() && ::access((d + "/" + name).c_str(), X_OK) == 0) return d + "/" + name;
    return {};
}

/// The fenced block after "<!-- recipe: NAME -->" in docs/scale-out.md.
std::string recipe(const std::string& name) {
    std::istringstream in(read_file(kSource + "/docs/scale-out.md"));
    std::string line, body;
    bool found = false, inside = false;
    while (std::getline(in, line)) {
        if (!found) {
            found = line == "<!-- recipe: " + name + " -->";
            continue;
        }
        if (line.rfind("```", 0) == 0) {
            if (inside) return body;
            inside = true;
            continue;
        }
        if (inside) body += line + "\n";
    }
    return {};
}

/// A folder whose `tcpflow` is the built binary: put first on PATH, the recipes run it.
class BinDir {
public:
    BinDir() { fs::create_symlink(TCPFLOW_BINARY, dir_ / "tcpflow"); }
    [[nodiscard]] std::string path_env() const {
        const char* p = std::getenv("PATH");
        return "PATH=" + dir_.path() + ":" + (p ? p : "/usr/bin:/bin");
    }

private:
    TempDir dir_;
};

/// Runs `script` with bash, the built tcpflow first on PATH, `env` (NAME=value) set and `args`
/// as $1, $2, ...
RunResult run_script(const std::string& script, const std::vector<std::string>& env,
                     const std::vector<std::string>& args = {}) {
    static const BinDir bin;
    std::vector<std::string> argv{"/usr/bin/env", bin.path_env()};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.insert(argv.end(), {"/bin/bash", "-c", script, "recipe"});
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, "", kTimeoutS);
}

/// A fresh folder on tmpfs (/dev/shm) when there is one, else in the temp folder; removed at
/// the end. Tens of thousands of small files are written and read back many times.
class ScratchDir {
public:
    ScratchDir() {
        const std::string base = fs::is_directory("/dev/shm") && ::access("/dev/shm", W_OK) == 0
                                     ? std::string{"/dev/shm"}
                                     : fs::temp_directory_path().string();
        std::string tmpl = base + "/tcpflow-shard-XXXXXX";
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp " + tmpl);
        path_ = tmpl;
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    [[nodiscard]] std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

struct FileFacts {
    std::string content;
    std::int64_t mtime_ns = 0;
    friend bool operator==(const FileFacts&, const FileFacts&) = default;
};

bool is_run_file(const std::string& name) {
    return name.rfind("report", 0) == 0 || name.rfind("unused", 0) == 0;
}

/// Every flow file below `dir` (reports and -w files left out): path -> content and mtime.
/// Adds to `into`; a path already there is a failure (two shards wrote one name).
void collect(const std::string& dir, std::map<std::string, FileFacts>& into) {
    if (!fs::exists(dir)) return;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (!e.is_regular_file() || is_run_file(e.path().filename().string())) continue;
        struct stat st{};
        ASSERT_EQ(::stat(e.path().c_str(), &st), 0);
        const std::string rel = fs::relative(e.path(), dir).string();
        FileFacts f{read_file(e.path().string()), std::int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec};
        EXPECT_TRUE(into.emplace(rel, std::move(f)).second) << rel << " written twice";
    }
}

/// The same files, contents and mtimes; names listed when they differ.
void expect_same_files(const std::map<std::string, FileFacts>& one, const std::map<std::string, FileFacts>& shards,
                       const std::string& what) {
    EXPECT_EQ(one.size(), shards.size()) << what;
    int shown = 0;
    for (const auto& [name, f] : one) {
        const auto it = shards.find(name);
        if (it == shards.end()) {
            ADD_FAILURE() << what << ": " << name << " missing";
        } else if (!(it->second == f)) {
            ADD_FAILURE() << what << ": " << name << (it->second.content != f.content ? " differs" : " has another mtime");
        } else {
            continue;
        }
        if (++shown == 10) return;
    }
    for (const auto& [name, f] : shards)
        if (!one.count(name) && ++shown <= 10) ADD_FAILURE() << what << ": " << name << " not in one run's output";
}

/// The same comparison as merged(), in C++ (a second implementation of tools/merge_reports.py's
/// rules, and no Python start per capture): the <fileobject>s of `reports` sorted by first
/// packet time, file name (without the folders) and text; then the summary's totals and its
/// non-zero counters, summed, in the order they first appear (max_open_flows left out).
std::string canonical(const std::vector<std::string>& reports, const std::vector<std::string>& folders) {
    std::vector<std::pair<std::string, std::string>> objects;   // (sort key, text)
    std::vector<std::string> order;
    std::map<std::string, std::uint64_t> sums;
    const std::regex number_line(R"(^\s*<(\w+)>([0-9]+)</\1>$)"), counter_line(R"(^\s*<counter name='([^']*)'>([0-9]+)</counter>$)");
    for (const auto& path : reports) {
        std::istringstream in(read_file(path));
        std::string line, object;
        bool in_object = false, in_summary = false;
        while (std::getline(in, line)) {
            if (line == "  <fileobject>") in_object = true;
            if (in_object) {
                for (const auto& f : folders)
                    if (line.rfind("    <filename>" + f + "/", 0) == 0) line = "    <filename>" + line.substr(15 + f.size());
                object += line + "\n";
                if (line == "  </fileobject>") {
                    const auto at = object.find("startime='");
                    const auto name = object.find("<filename>");
                    std::string key = at == std::string::npos ? "" : object.substr(at + 10, 27);
                    key += '\t' + (name == std::string::npos ? "" : object.substr(name + 10, object.find('<', name + 10) - name - 10));
                    objects.emplace_back(key + '\t' + object, object);
                    object.clear();
                    in_object = false;
                }
                continue;
            }
            if (line == "  <summary>") in_summary = true;
            if (line == "  </summary>") in_summary = false;
            std::smatch m;
            if (!in_summary) continue;
            if (std::regex_match(line, m, counter_line) || std::regex_match(line, m, number_line)) {
                const std::string name = m[1].str();
                if (name == "max_open_flows") continue;
                if (!sums.count(name)) order.push_back(name);
                sums[name] += std::stoull(m[2].str());
            }
        }
    }
    std::sort(objects.begin(), objects.end());
    std::string out;
    for (const auto& o : objects) out += o.second;
    for (const auto& name : order)
        if (sums[name]) out += name + " " + std::to_string(sums[name]) + "\n";
    return out;
}

/// Equal texts; else the first line that differs (reports hold tens of thousands of lines).
::testing::AssertionResult same_text(const std::string& got, const std::string& want) {
    if (got == want) return ::testing::AssertionSuccess();
    std::istringstream a(got), b(want);
    std::string la, lb;
    for (int line = 1;; ++line) {
        const bool ga = static_cast<bool>(std::getline(a, la)), gb = static_cast<bool>(std::getline(b, lb));
        if (!ga || !gb || la != lb)
            return ::testing::AssertionFailure() << "line " << line << ": got '" << (ga ? la : "(end)") << "', one run's '"
                                                 << (gb ? lb : "(end)") << "'";
    }
}

std::vector<std::string> reports_in(const std::string& dir, unsigned n) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const std::string f = e.path().filename().string();
        if (f.rfind("report-", 0) == 0 && f.find("-of-" + std::to_string(n) + ".xml") != std::string::npos)
            out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

/// tools/merge_reports.py over `reports`, with the folders the shards wrote into taken out of
/// the file names and the run's own figures (max_open_flows, rusage, header) left out: the
/// sorted <fileobject>s and the summary.
std::string merged(const std::vector<std::string>& reports, const std::vector<std::string>& folders) {
    std::vector<std::string> argv{"/usr/bin/python3", kSource + "/tools/merge_reports.py"};
    argv.insert(argv.end(), reports.begin(), reports.end());
    const RunResult r = run_program(argv, "", kTimeoutS);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::string text = r.out;
    const auto first = text.find("  <fileobject>");
    const auto end = text.find("  <rusage>");
    if (end == std::string::npos) return "(no report: " + r.err + ")";
    const auto begin = first == std::string::npos ? text.find("  <summary>") : first;
    text = text.substr(begin, end - begin);
    // Line by line, into a new string (replacing in place would move megabytes per name).
    std::string out;
    out.reserve(text.size());
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("    <max_open_flows>", 0) == 0) continue;
        for (const auto& f : folders)
            if (line.rfind("    <filename>" + f + "/", 0) == 0) line = "    <filename>" + line.substr(15 + f.size());
        out += line;
        out += '\n';
    }
    return out;
}

/// One generated capture, and one run's output for it (with -w), for the whole test program.
struct Generated {
    ScratchDir dir;
    std::string capture = dir / "shards.pcap";
    std::string one = dir / "one";
    std::map<std::string, FileFacts> files;
    std::string report, unused;

    Generated() {
        const RunResult g = run_program({"/usr/bin/python3", kSource + "/tools/shard_capture.py", "--conns", "20000", capture});
        EXPECT_EQ(g.exit_code, 0) << g.err;
        const RunResult r = run_tcpflow({"-q", "-r", capture, "-o", one, "-w", one + "/unused.pcap"}, "", kTimeoutS);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        collect(one, files);
        report = merged({one + "/report.xml"}, {one});
        unused = read_file(one + "/unused.pcap");
    }
};

const Generated& generated() {
    static const Generated g;
    return g;
}

class ShardE2e : public ::testing::Test {
protected:
    void SetUp() override {
        if (find_program("parallel").empty())
            GTEST_SKIP() << "GNU parallel is not installed (Debian package parallel; tools/deps.sh installs it)";
    }
};

TEST_F(ShardE2e, RecipesAreInTheDocs) {
    EXPECT_NE(recipe("parallel-one-machine").find("tcpflow --shard {}/$N"), std::string::npos);
    EXPECT_NE(recipe("parallel-many-captures").find("tcpflow --shard {2}/$N"), std::string::npos);
}

// The GNU parallel recipe, N = 1, 2, 3, 7 shards into one folder: one run's files, mtimes and
// report entries.
TEST_F(ShardE2e, GeneratedCaptureShardsAddUpToOneRun) {
    const Generated& g = generated();
    ASSERT_EQ(g.files.size(), 40000u);   // 20,000 connections, both directions
    // Reused 4-tuples: later connections of a name are its c1, c2, ... (also alternating
    // between untagged and VLAN 0, which share a name, and between untagged and VLAN 200).
    EXPECT_TRUE(g.files.count("010.001.000.004.01052-192.168.001.001.00443c7"));
    EXPECT_TRUE(g.files.count("010.001.000.009.01087-192.168.000.001.00080--200c3"));
    EXPECT_TRUE(g.files.count("010.001.000.009.01087-192.168.000.001.00080c3"));
    EXPECT_TRUE(g.files.count("192.168.002.001.00443-010.001.000.014.01122--102c1"));
    EXPECT_NE(g.report.find("<counter name='connections_reused'>7100</counter>"), std::string::npos);
    EXPECT_NE(g.report.find("<counter name='fragments_reassembled'>"), std::string::npos);
    ScratchDir dir;
    for (unsigned n : {1u, 2u, 3u, 7u}) {
        const std::string out = dir / ("n" + std::to_string(n));
        const RunResult r = run_script(recipe("parallel-one-machine"), {"N=" + std::to_string(n), "CAPTURE=" + g.capture, "OUT=" + out});
        ASSERT_EQ(r.exit_code, 0) << n << " shards: " << r.err;
        std::map<std::string, FileFacts> files;
        collect(out, files);
        expect_same_files(g.files, files, std::to_string(n) + " shards");
        const auto reports = reports_in(out, n);
        EXPECT_EQ(reports.size(), n);
        EXPECT_TRUE(same_text(merged(reports, {out}), g.report)) << n << " shards";
    }
}

// One folder per shard, -j 2 inside each shard, -w: the union of the folders is one run's, and
// shard 0's -w file is one run's (the others' hold no packet).
TEST_F(ShardE2e, OneFolderEachWithWorkersAndUnusedPackets) {
    const Generated& g = generated();
    ASSERT_GT(g.unused.size(), 24u + 200 * 40);   // UDP and ARP frames
    constexpr unsigned n = 3;
    ScratchDir dir;
    const std::string out = dir / "each";
    const std::string cmd = "parallel tcpflow -q -j 2 --shard {}/3 -r \"$CAPTURE\" -o \"$OUT\"/{} -w \"$OUT\"/{}/unused.pcap ::: 0 1 2";
    const RunResult r = run_script(cmd, {"CAPTURE=" + g.capture, "OUT=" + out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::map<std::string, FileFacts> files;
    std::vector<std::string> folders;
    std::vector<std::string> reports;
    for (unsigned i = 0; i < n; ++i) {
        folders.push_back(out + "/" + std::to_string(i));
        collect(folders.back(), files);
        const auto in = reports_in(folders.back(), n);
        reports.insert(reports.end(), in.begin(), in.end());
    }
    expect_same_files(g.files, files, "one folder per shard, -j 2");
    EXPECT_TRUE(same_text(merged(reports, folders), g.report));
    EXPECT_EQ(read_file(out + "/0/unused-0-of-3.pcap"), g.unused);
    for (unsigned i = 1; i < n; ++i)
        EXPECT_EQ(read_file(out + "/" + std::to_string(i) + "/unused-" + std::to_string(i) + "-of-3.pcap"),
                  g.unused.substr(0, 24));
}

// Every capture of the corpus, through the many-captures recipe: the same files, mtimes, merged
// reports, and every shard's exit status is one run's (a truncated capture fails every shard).
TEST_F(ShardE2e, CorpusShardsAddUpToOneRun) {
    if (!fs::is_directory(kCorpus)) GTEST_SKIP() << "../shared/corpus is absent";
    std::vector<std::string> caps;
    for (const auto& e : fs::directory_iterator(kCorpus)) {
        const std::string ext = e.path().extension().string();
        if (e.is_regular_file() && (ext == ".pcap" || ext == ".pcapng")) caps.push_back(e.path().string());
    }
    std::sort(caps.begin(), caps.end());
    ASSERT_FALSE(caps.empty());
    ScratchDir dir;
    std::map<std::string, int> one_status;
    std::map<std::string, std::map<std::string, FileFacts>> one_files;
    std::map<std::string, std::string> one_report;
    std::set<std::string> stems;
    for (const auto& cap : caps) {
        const std::string stem = fs::path(cap).stem().string();
        ASSERT_TRUE(stems.insert(stem).second) << "two captures named " << stem;
        const std::string out = dir / ("one/" + stem);
        one_status[stem] = run_tcpflow({"-r", cap, "-o", out}, "", 60).exit_code;
        collect(out, one_files[stem]);
        one_report[stem] = canonical({out + "/report.xml"}, {out});
    }
    for (unsigned n : {1u, 2u, 3u, 7u}) {
        const std::string out = dir / ("n" + std::to_string(n));
        const std::string joblog = dir / ("joblog" + std::to_string(n));
        run_script(recipe("parallel-many-captures"), {"N=" + std::to_string(n), "OUT=" + out, "PARALLEL=--joblog " + joblog}, caps);
        std::istringstream log(read_file(joblog));
        std::string line;
        std::getline(log, line);   // the header
        unsigned jobs = 0;
        for (; std::getline(log, line); ++jobs) {
            std::vector<std::string> col;
            std::stringstream ss(line);
            for (std::string c; std::getline(ss, c, '\t');) col.push_back(c);
            ASSERT_EQ(col.size(), 9u) << line;
            const auto r_at = col[8].find(" -r ");
            const std::string stem = fs::path(col[8].substr(r_at + 4, col[8].find(' ', r_at + 4) - r_at - 4)).stem().string();
            EXPECT_EQ(std::stoi(col[6]), one_status[stem]) << col[8];
        }
        EXPECT_EQ(jobs, n * caps.size());
        for (const auto& cap : caps) {
            const std::string stem = fs::path(cap).stem().string();
            std::map<std::string, FileFacts> files;
            collect(out + "/" + stem, files);
            expect_same_files(one_files[stem], files, stem + ", " + std::to_string(n) + " shards");
            EXPECT_TRUE(same_text(canonical(reports_in(out + "/" + stem, n), {out + "/" + stem}), one_report[stem]))
                << stem << ", " << n << " shards";
        }
    }
}

// The Kubernetes Indexed Job: valid YAML, an Indexed Job whose SHARDS is its completions, and
// its command line, run unchanged for every JOB_COMPLETION_INDEX (the volumes' paths mapped to a
// temporary folder), writes one run's files.
TEST(ShardK8s, ManifestIsAnIndexedJobWhoseCommandLineAddsUpToOneRun) {
    const std::string manifest = kSource + "/docs/k8s/tcpflow-shard-job.yaml";
    const char* kReadManifest =
        "import json, sys, yaml\n"
        "job = yaml.safe_load(open(sys.argv[1]))\n"
        "spec = job['spec']\n"
        "c = spec['template']['spec']['containers'][0]\n"
        "print(json.dumps([job['apiVersion'], job['kind'], spec['completionMode'], spec['completions'],\n"
        "                  spec['parallelism'], c['command'], {e['name']: e['value'] for e in c['env']},\n"
        "                  [m['mountPath'] for m in c['volumeMounts']]]))\n";
    const RunResult have_yaml = run_program({"/usr/bin/python3", "-c", "import yaml"});
    if (have_yaml.exit_code != 0) GTEST_SKIP() << "python3-yaml is not installed (tools/deps.sh installs it)";
    const RunResult r = run_program({"/usr/bin/python3", "-c", kReadManifest, manifest});
    ASSERT_EQ(r.exit_code, 0) << "not valid YAML, or not a Job with one container: " << r.err;
    // [apiVersion, kind, completionMode, completions, parallelism, command, env, mounts]
    const std::regex shape(R"re(\["batch/v1", "Job", "Indexed", ([0-9]+), ([0-9]+), \["sh", "-c", "(.*)"\], )re"
                           R"re(\{"SHARDS": "([0-9]+)", "CAPTURE": "(/data/[^"]+)", "OUT": "(/out)"\}, \["/data", "/out"\]\]\n)re");
    std::smatch m;
    ASSERT_TRUE(std::regex_match(r.out, m, shape)) << r.out;
    const unsigned n = static_cast<unsigned>(std::stoul(m[1].str()));
    EXPECT_EQ(m[2].str(), m[1].str()) << "parallelism";
    EXPECT_EQ(m[4].str(), m[1].str()) << "SHARDS must equal completions";
    const std::string command = std::regex_replace(m[3].str(), std::regex(R"(\\")"), "\"");
    EXPECT_NE(command.find("tcpflow --shard \"$JOB_COMPLETION_INDEX/$SHARDS\""), std::string::npos) << command;

    const Generated& g = generated();
    ScratchDir dir;
    std::map<std::string, FileFacts> files;
    std::vector<std::string> folders;
    for (unsigned i = 0; i < n; ++i) {
        const RunResult pod = run_script(command, {"JOB_COMPLETION_INDEX=" + std::to_string(i), "SHARDS=" + m[4].str(),
                                                   "CAPTURE=" + g.capture, "OUT=" + (dir / "out")});
        ASSERT_EQ(pod.exit_code, 0) << "index " << i << ": " << pod.err;
        folders.push_back(dir / ("out/shard-" + std::to_string(i)));
        collect(folders.back(), files);
    }
    expect_same_files(g.files, files, "Kubernetes Indexed Job");
    std::vector<std::string> reports;
    for (const auto& f : folders) {
        const auto in = reports_in(f, n);
        reports.insert(reports.end(), in.begin(), in.end());
    }
    EXPECT_TRUE(same_text(merged(reports, folders), g.report));
}

}  // namespace
