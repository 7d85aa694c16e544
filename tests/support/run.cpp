#include "support/run.h"

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace tcpflow::test {

namespace fs = std::filesystem;

namespace {

/// malloc_trim, where glibc's allocator is the one in use. Under ASan and TSan it is not: there
/// glibc's heap is first set up by malloc_trim itself, and that set-up is not safe from two
/// threads at once (tests start tcpflow from several threads); a race in it aborted a thread's
/// exit in a CI run ("malloc assertion failure in __malloc_arena_thread_freeres").
void give_back_freed_heap() {
    if constexpr (!kSanitizedBuild) malloc_trim(0);
}

}  // namespace


RunResult run_program(const std::vector<std::string>& argv, const std::string& stdin_path, int timeout_s) {
    RunOptions o;
    o.stdin_path = stdin_path;
    o.timeout_s = timeout_s;
    return run_program(argv, o);
}

RunResult run_program(const std::vector<std::string>& argv, const RunOptions& options) {
    const std::string& stdin_path = options.stdin_path;
    const int timeout_s = options.timeout_s;
    const std::string out_path = fs::temp_directory_path() / ("tcpflow-test-out-" + std::to_string(getpid()) + "-" +
                                                            std::to_string(std::rand()));
    const std::string err_path = out_path + ".err";
    // The child's ru_maxrss starts at this process's resident size when it forks (Linux carries
    // it across exec): give freed heap back first so peak_rss_kib measures the child.
    give_back_freed_heap();
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int in = open(stdin_path.empty() ? "/dev/null" : stdin_path.c_str(), O_RDONLY);
        const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (in < 0 || out < 0 || err < 0) _exit(127);
        dup2(in, 0);
        dup2(out, 1);
        dup2(err, 2);
        if (options.max_open_files > 0) {
            const rlimit rl{static_cast<rlim_t>(options.max_open_files), static_cast<rlim_t>(options.max_open_files)};
            if (setrlimit(RLIMIT_NOFILE, &rl) != 0) _exit(126);
        }
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execv(args[0], args.data());
        _exit(127);
    }
    RunResult r;
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    rusage ru{};
    for (;;) {
        const pid_t w = wait4(pid, &status, WNOHANG, &ru);
        if (w == pid) break;
        if (std::chrono::steady_clock::now() > deadline) {
            kill(pid, SIGKILL);
            wait4(pid, &status, 0, &ru);
            r.exit_code = 124;
            break;
        }
        // Polling for the child's end, not timing anything under test.
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (r.exit_code != 124) r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.peak_rss_kib = ru.ru_maxrss;
    r.out = read_file(out_path);
    r.err = read_file(err_path);
    fs::remove(out_path);
    fs::remove(err_path);
    return r;
}

RunResult run_tcpflow(const std::vector<std::string>& args, const std::string& stdin_path, int timeout_s) {
    std::vector<std::string> argv{TCPFLOW_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, stdin_path, timeout_s);
}

RunResult run_tcpflow(const std::vector<std::string>& args, const RunOptions& options) {
    std::vector<std::string> argv{TCPFLOW_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_program(argv, options);
}

TempDir::TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tcpflow-test-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::map<std::string, std::string> read_tree(const std::string& dir) {
    std::map<std::string, std::string> out;
    if (!fs::exists(dir)) return out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = read_file(e.path().string());
    }
    return out;
}

std::map<std::string, std::string> files(const std::string& dir) {
    auto m = read_tree(dir);
    m.erase("report.xml");
    return m;
}

std::string flow_name(const std::string& src, std::uint16_t sport, const std::string& dst, std::uint16_t dport) {
    auto part = [](const std::string& addr, std::uint16_t port) {
        unsigned x[4] = {};
        std::sscanf(addr.c_str(), "%u.%u.%u.%u", &x[0], &x[1], &x[2], &x[3]);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%03u.%03u.%03u.%03u.%05u", x[0], x[1], x[2], x[3], static_cast<unsigned>(port));
        return std::string(buf);
    };
    return part(src, sport) + "-" + part(dst, dport);
}

}  // namespace tcpflow::test
