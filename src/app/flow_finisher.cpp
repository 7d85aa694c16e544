#include "tcpflow/app/flow_finisher.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <memory>

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

std::string FlowFinisher::sha256_hex(Bytes data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx{EVP_MD_CTX_new(), EVP_MD_CTX_free};
    if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx.get(), data.data(), data.size()) != 1 || EVP_DigestFinal_ex(ctx.get(), md, &n) != 1)
        return {};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * n);
    for (unsigned i = 0; i < n; ++i) {
        hex.push_back(kHex[md[i] >> 4]);
        hex.push_back(kHex[md[i] & 0xf]);
    }
    return hex;
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
        if (opt_.scan_md5 || opt_.scan_http || opt_.hash_sha256) {
            const MappedFile file{info.path};
            if (opt_.scan_md5) extras.md5_hex = Md5::hex_of(file.bytes());
            if (opt_.hash_sha256) extras.sha256_hex = sha256_hex(file.bytes());
            if (opt_.scan_http && file.bytes().size() >= 80 && looks_like_http_response(file.bytes()))
                write_http_bodies(info.path, file.bytes(), extras);
        }
    }
    if (report_) report_->add_flow(info, summary, extras);
    // A .tls file (--tls-keylog) has its own <fileobject>; the index record names it (tls_file).
    if (index_ && info.path_suffix == nullptr) add_to_index(info, extras);
}

void FlowFinisher::add_to_index(const FlowInfo& info, const ReportExtras& extras) {
    if (extras.md5_hex.empty() && extras.sha256_hex.empty() && extras.http_bodies.empty()) return;
    FlowRecordExtras x;
    x.md5_hex = extras.md5_hex;
    x.sha256_hex = extras.sha256_hex;
    for (const ReportHttpBody& b : extras.http_bodies)
        x.http_bodies.push_back(FlowRecordBody{b.filename, b.content_type, b.file_offset, b.filesize});
    index_->add_extras(info, std::move(x));
}

void FlowFinisher::connection_end(const ConnectionEnd& end) {
    if (!index_) return;
    const std::lock_guard lock{mu_};
    index_->end(end);
}

void FlowFinisher::write_http_bodies(const std::string& path, Bytes stream, ReportExtras& extras) {
    HttpBodyOptions ho;
    ho.keep_compressed = opt_.http_keep_compressed;
    int fd = -1;
    std::string body_path;
    std::uint64_t offset = 0;
    bool announced = false;   // "open" goes out with the first byte: an empty body is never announced
    std::string content_type;
    extract_http_bodies(stream, ho, [&](const HttpBodyEvent& ev) {
        switch (ev.kind) {
            case HttpBodyEventKind::begin:
                offset = ev.body_offset;
                announced = false;
                content_type = ev.content_type;
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
                    extras.http_bodies.push_back(ReportHttpBody{offset, body_path, ev.body_size, content_type});
                    http_hooks_.closed(body_path);
                }
                break;
        }
    });
    if (fd >= 0) ::close(fd);
}

}  // namespace tcpflow
