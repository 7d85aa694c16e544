// fuzz_pipeline: the whole program over a fuzzed capture file. Byte 0 picks one of the option sets
// below; the rest is written to a temporary capture file, and tcpflow::run (what main calls after
// parsing the command line) reads it into a temporary output folder under /dev/shm (or $TMPDIR),
// so PcapSource, FileSink, write-behind, -w, -K (packet_dump), -j (worker pool), -e http/md5 and
// the console sink are all reached. After every input the folder is removed, and no descriptor
// or thread may be left behind (a leak aborts).
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tcpflow/app/cli.h"
#include "tcpflow/app/pipeline.h"

namespace {

namespace fs = std::filesystem;

/// Option sets (byte 0 of the input, modulo their count). make_fuzz_corpus.py writes seeds for each.
const std::vector<std::vector<std::string>> kOptionSets = {
    {},                                      // plain: flow files + report.xml
    {"-w", "@/unused.pcap"},                 // packets no flow took
    {"-K"},                                  // one pcap per flow (packet_dump)
    {"-j", "2"},                             // worker pool
    {"-e", "http"},                          // HTTP bodies (http_body + zlib)
    {"-c"},                                  // console sink (standard output is /dev/null)
    {"-a", "-Z", "--max-memory", "1M", "-Fk"},  // every scanner, small budget, sub-folders
    {"-j", "3", "-e", "http", "-e", "md5", "-w", "@/unused.pcap"},   // pool + post-close scanners
};

std::string g_root;   // the per-process folder; "@" in an option stands for it

int count_entries(const char* dir) {
    DIR* d = ::opendir(dir);
    if (!d) return -1;
    int n = 0;
    while (::readdir(d)) ++n;
    ::closedir(d);
    return n;
}

void remove_root() {
    std::error_code ec;
    if (!g_root.empty()) fs::remove_all(g_root, ec);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    const char* base = ::access("/dev/shm", W_OK) == 0 ? "/dev/shm" : (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
    std::string tmpl = std::string(base) + "/tcpflow-fuzz-XXXXXX";
    if (!::mkdtemp(tmpl.data())) {
        std::perror("fuzz_pipeline: mkdtemp");
        std::abort();
    }
    g_root = tmpl;
    std::atexit(remove_root);
    // -c writes flows to standard output: send it to /dev/null (libFuzzer reports on stderr).
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null < 0 || ::dup2(null, STDOUT_FILENO) < 0) std::abort();
    ::close(null);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const auto& set = kOptionSets[data[0] % kOptionSets.size()];
    const std::string in = g_root + "/in.pcap";
    const std::string out = g_root + "/out";
    {
        FILE* f = std::fopen(in.c_str(), "wbe");
        if (!f) std::abort();
        if (std::fwrite(data + 1, 1, size - 1, f) != size - 1) std::abort();
        std::fclose(f);
    }
    std::vector<std::string> args{"tcpflow", "-r", in, "-o", out, "-d", "0"};
    for (const auto& a : set) args.push_back(a.size() > 1 && a[0] == '@' ? g_root + a.substr(1) : a);

    const int fds_before = count_entries("/proc/self/fd");
    const int threads_before = count_entries("/proc/self/task");
    tcpflow::CliResult cli = tcpflow::parse_command_line(args);
    if (cli.action == tcpflow::CliResult::Action::exit) {
        std::fprintf(stderr, "fuzz_pipeline: option set %zu refused: %s\n", data[0] % kOptionSets.size(), cli.err.c_str());
        std::abort();
    }
    (void)tcpflow::run(cli.options);
    const int fds_after = count_entries("/proc/self/fd");
    // A joined thread can stay listed in /proc/self/task a moment after pthread_join returned
    // (the kernel wakes the joiner before it unlists the task; seen once in a loaded CI run):
    // look again for up to a second before calling it a leak.
    int threads_after = count_entries("/proc/self/task");
    for (int i = 0; i < 1000 && threads_after > threads_before; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        threads_after = count_entries("/proc/self/task");
    }
    if (fds_after > fds_before || threads_after > threads_before) {
        std::fprintf(stderr, "fuzz_pipeline: run left %d descriptor(s) and %d thread(s) behind\n",
                     fds_after - fds_before, threads_after - threads_before);
        std::abort();
    }
    std::error_code ec;
    fs::remove_all(out, ec);
    fs::remove(in, ec);
    fs::remove(g_root + "/unused.pcap", ec);
    return 0;
}
