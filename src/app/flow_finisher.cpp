#include "tcpflow/app/flow_finisher.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tcpflow/content/http_body.h"
#include "tcpflow/content/md5.h"
#include "tcpflow/output/posix_io.h"

namespace tcpflow {

namespace {

/// A read-only view of a closed flow file.
class MappedFile {
public:
    explicit MappedFile(const std::string& path) {
        const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return;
        struct stat st{};
        if (::fstat(fd, &st) == 0 && st.st_size > 0) {
            void* p = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
            if (p != MAP_FAILED) {
                data_ = static_cast<const std::uint8_t*>(p);
                size_ = static_cast<std::size_t>(st.st_size);
            }
        }
        ::close(fd);
    }
    ~MappedFile() {
        if (data_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
    }
    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;
    [[nodiscard]] Bytes bytes() const noexcept { return Bytes{data_, size_}; }

private:
    const std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
};

/// Creates the first free body name, given to `owner`; -1 (errno set) when none could be made.
int create_body(const std::string& flow_path, const HttpBodyEvent& ev, FileOwner owner, std::string& path) {
    for (unsigned c = 0; c < 1000; ++c) {
        path = FlowFinisher::body_name(flow_path, ev.index, ev.extension, c);
        const int fd = posix_io::create_exclusive(AT_FDCWD, path.c_str(), O_WRONLY, owner);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

}  // namespace

std::string FlowFinisher::body_name(const std::string& flow_path, std::size_t index, std::string_view ext,
                                    unsigned collision) {
    char num[24];
    std::snprintf(num, sizeof num, "%03zu", index);
    std::string name = flow_path + "-HTTPBODY-" + num;
    if (collision > 0) name += "c" + std::to_string(collision);
    if (!ext.empty()) name.append(".").append(ext);
    return name;
}

void FlowFinisher::operator()(const FlowInfo& info, const FlowSummary& summary, const FileOutcome& outcome) {
    const std::lock_guard lock{mu_};
    ReportExtras extras;
    if (outcome.error != 0) {
        // The report says what the file holds, and why that is less than the stream.
        extras.write_error = std::strerror(outcome.error);
        extras.filesize = outcome.size_on_disk;
    }
    if (!info.path.empty() && opt_.store_files && outcome.on_disk) {
        extras.filename = info.path;
        if (opt_.scan_md5 || opt_.scan_http) {
            const MappedFile file{info.path};
            if (opt_.scan_md5) extras.md5_hex = Md5::hex_of(file.bytes());
            if (opt_.scan_http && file.bytes().size() >= 80 && looks_like_http_response(file.bytes()))
                write_http_bodies(info.path, file.bytes(), extras);
        }
    }
    if (report_) report_->add_flow(info, summary, extras);
}

void FlowFinisher::write_http_bodies(const std::string& path, Bytes stream, ReportExtras& extras) {
    HttpBodyOptions ho;
    ho.keep_compressed = opt_.http_keep_compressed;
    int fd = -1;
    std::string body_path;
    std::uint64_t offset = 0;
    bool announced = false;   // "open" goes out with the first byte: an empty body is never announced
    extract_http_bodies(stream, ho, [&](const HttpBodyEvent& ev) {
        switch (ev.kind) {
            case HttpBodyEventKind::begin:
                offset = ev.body_offset;
                announced = false;
                fd = create_body(path, ev, owner_, body_path);
                if (fd < 0) diag_.error(Diagnostics::describe("cannot write", body_path, errno));
                break;
            case HttpBodyEventKind::data:
                if (fd < 0) break;
                if (!announced) {
                    http_hooks_.opened(body_path);
                    announced = true;
                }
                if (const int err = posix_io::write_all(fd, ev.data.data(), ev.data.size()); err != 0)
                    diag_.error(Diagnostics::describe("cannot write", body_path, err));
                break;
            case HttpBodyEventKind::end:
                if (fd < 0) break;
                ::close(fd);
                fd = -1;
                if (ev.body_size == 0) {
                    ::unlink(body_path.c_str());
                } else {
                    extras.http_bodies.push_back(ReportHttpBody{offset, body_path, ev.body_size});
                    http_hooks_.closed(body_path);
                }
                break;
        }
    });
    if (fd >= 0) ::close(fd);
}

}  // namespace tcpflow
