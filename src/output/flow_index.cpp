// flow_index.cpp: the flow index writer (see flow_index.h).
#include "tcpflow/output/flow_index.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "tcpflow/flow/tls_flow_report.h"
#include "tcpflow/output/name_allocator.h"

namespace tcpflow {

namespace {
constexpr std::size_t kBlock = 256 * 1024;
}

std::unique_ptr<FlowIndexWriter> FlowIndexWriter::open(const std::string& path, FileOwner owner, std::string& error) {
    if (path == "-") {
        const int fd = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
        if (fd < 0) {
            error = std::strerror(errno);
            return nullptr;
        }
        return std::unique_ptr<FlowIndexWriter>(new FlowIndexWriter(fd, "-", true));
    }
    std::string chosen = path;
    const NameAllocator::Created c = create_first_free(chosen, owner);
    if (c.fd < 0) {
        error = std::strerror(c.err ? c.err : EEXIST);
        return nullptr;
    }
    return std::unique_ptr<FlowIndexWriter>(new FlowIndexWriter(c.fd, chosen, true));
}

FlowIndexWriter::~FlowIndexWriter() {
    flush();
    if (own_ && fd_ >= 0) ::close(fd_);
}

void FlowIndexWriter::set_folder(std::string folder) {
    while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
    folder_ = folder == "." ? std::string{} : std::move(folder);
}

std::string_view FlowIndexWriter::relative(const std::string& path) const {
    std::string_view p = path;
    if (!folder_.empty() && p.size() > folder_.size() && p.starts_with(folder_) && p[folder_.size()] == '/')
        p.remove_prefix(folder_.size() + 1);
    if (p.starts_with("./")) p.remove_prefix(2);
    return p;
}

void FlowIndexWriter::add_extras(const FlowInfo& info, FlowRecordExtras extras) {
    for (FlowRecordBody& b : extras.http_bodies) b.file = std::string{relative(b.file)};
    extras_[{info.connection_id, info.first_packet}] = std::move(extras);
}

void FlowIndexWriter::end(const ConnectionEnd& e) {
    FlowRecordSide side[2];
    for (int d = 0; d < 2; ++d) {
        side[d].info = e.info[d];
        side[d].summary = e.summary[d];
        if (!e.info[d]) continue;
        side[d].file = relative(e.info[d]->path);
        if (e.info[d]->tls) side[d].tls_file = relative(e.info[d]->tls->file);
        const auto it = extras_.find({e.id, e.info[d]->first_packet});
        if (it != extras_.end()) side[d].extras = &it->second;
    }
    if (!side[0].info && !side[1].info) return;
    line_.clear();
    append_flow_record(line_, e, side, settings_);
    line_.push_back('\n');
    // Forget what this connection's directions left (a -m jump leaves more than two).
    extras_.erase(extras_.lower_bound({e.id, 0}),
                  extras_.upper_bound({e.id, std::numeric_limits<std::uint64_t>::max()}));
    buf_ += line_;
    if (flush_each_ || buf_.size() >= kBlock) flush();
}

bool FlowIndexWriter::flush() {
    if (buf_.empty() || fd_ < 0) return err_ == 0;
    if (err_ == 0) err_ = posix_io::write_all(fd_, buf_.data(), buf_.size());
    buf_.clear();
    return err_ == 0;
}

}  // namespace tcpflow
