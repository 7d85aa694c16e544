// findx_writer.cpp: -I index lines (see findx_writer.h).
#include "tcpflow/output/findx_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <utility>
#include <vector>

#include "tcpflow/output/posix_io.h"

namespace tcpflow {

namespace {
constexpr std::size_t kFlushBytes = 64 * 1024;

/// Reads all of `path` into `text`. 0, or the errno (ENOENT: no index lines yet).
int read_all(const std::string& path, std::string& text) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    char buf[65536];
    ssize_t r;
    while ((r = ::read(fd, buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(r));
    const int err = r < 0 ? errno : 0;
    ::close(fd);
    return err;
}
}  // namespace

void FindxWriter::start(bool resumed) noexcept {
    pending_.clear();
    dirty_ = resumed;
    last_offset_ = 0;
}

bool FindxWriter::add(std::uint64_t offset, Timestamp ts, std::size_t length) {
    char line[96];
    const int n = std::snprintf(line, sizeof line, "%llu|%lld.%06lld|%zu\n", static_cast<unsigned long long>(offset),
                                static_cast<long long>(ts.seconds()), static_cast<long long>(ts.subsec_ns() / 1000), length);
    if (n > 0) pending_.append(line, static_cast<std::size_t>(n));
    if (offset < last_offset_) dirty_ = true;
    last_offset_ = offset;
    return pending_.size() > kFlushBytes;
}

int FindxWriter::flush(const std::string& flow_path) {
    if (pending_.empty()) return 0;
    const std::string path = flow_path + kSuffix;
    // O_CREAT only for an index removed during the run: the name is this flow's.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    const int err = fd < 0 ? errno : posix_io::write_all(fd, pending_.data(), pending_.size());
    if (fd >= 0) ::close(fd);
    pending_.clear();
    return err;
}

int FindxWriter::rewrite(const std::string& flow_path, std::uint64_t moved) {
    if (const int err = flush(flow_path); err != 0) return err;
    last_offset_ += moved;
    if (!dirty_ && moved == 0) return 0;
    dirty_ = false;
    const std::string path = flow_path + kSuffix;
    std::string text;
    if (read_all(path, text) != 0) return 0;   // no index lines yet
    std::vector<std::pair<std::uint64_t, std::string>> lines;
    bool sorted = true;
    for (std::size_t pos = 0; pos < text.size();) {
        auto nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size();
        std::string line = text.substr(pos, nl - pos);
        pos = nl + 1;
        if (line.empty()) continue;
        const auto bar = line.find('|');
        const std::uint64_t off = std::strtoull(line.c_str(), nullptr, 10) + moved;
        if (moved && bar != std::string::npos) line = std::to_string(off) + line.substr(bar);
        if (!lines.empty() && off < lines.back().first) sorted = false;
        lines.emplace_back(off, std::move(line));
    }
    if (sorted && moved == 0) return 0;
    std::stable_sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string out;
    out.reserve(text.size() + lines.size() * 4);
    for (const auto& l : lines) (out += l.second) += '\n';
    const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    const int err = fd < 0 ? errno : posix_io::write_all(fd, out.data(), out.size());
    if (fd >= 0) ::close(fd);
    return err;
}

}  // namespace tcpflow
