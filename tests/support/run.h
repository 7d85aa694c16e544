// run.h: run the built tcpflow binary (never the one on the PATH) and read back what it wrote.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tcpflow::test {

/// Built with AddressSanitizer or ThreadSanitizer: their allocator, not glibc's, is in use, and
/// their shadow memory and quarantine make peak RSS meaningless.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kSanitizedBuild = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool kSanitizedBuild = true;
#else
inline constexpr bool kSanitizedBuild = false;
#endif
#else
inline constexpr bool kSanitizedBuild = false;
#endif

struct RunResult {
    int exit_code = -1;        ///< exit status; 128+N when killed by signal N
    std::string out, err;
    long peak_rss_kib = 0;     ///< the child's peak resident set (wait4 ru_maxrss), KiB
};

/// Extra settings for the child process.
struct RunOptions {
    std::string stdin_path;    ///< "" = /dev/null
    int timeout_s = 60;
    long max_open_files = 0;   ///< > 0: setrlimit(RLIMIT_NOFILE) in the child before exec
};

/// Runs TCPFLOW_BINARY with `args`, stdin from `stdin_path` (or /dev/null), waits at most
/// `timeout_s` seconds (then kills it and reports exit 124).
RunResult run_tcpflow(const std::vector<std::string>& args, const std::string& stdin_path = "",
                      int timeout_s = 60);
RunResult run_tcpflow(const std::vector<std::string>& args, const RunOptions& options);
/// Runs any program the same way.
RunResult run_program(const std::vector<std::string>& argv, const std::string& stdin_path = "",
                      int timeout_s = 60);
RunResult run_program(const std::vector<std::string>& argv, const RunOptions& options);

/// A fresh empty folder under the system temp dir, removed by the destructor.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    [[nodiscard]] const std::string& path() const { return path_; }
    [[nodiscard]] std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
    std::string path_;
};

/// Every regular file below `dir` (relative path -> content), report.xml included.
std::map<std::string, std::string> read_tree(const std::string& dir);
/// The same without report.xml: the flow files (and whatever else) a run wrote.
std::map<std::string, std::string> files(const std::string& dir);
/// A flow file's name for IPv4 addresses: ("10.0.0.1", 1234, "10.0.0.2", 80) ->
/// "010.000.000.001.01234-010.000.000.002.00080".
std::string flow_name(const std::string& src, std::uint16_t sport, const std::string& dst, std::uint16_t dport);
std::string read_file(const std::string& path);

}  // namespace tcpflow::test
