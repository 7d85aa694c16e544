// tls_keys.cpp: reading --tls-keylog files, first whole, then on as they grow (see tls_keys.h).
#include "tcpflow/app/tls_keys.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "tcpflow/output/tls_sink.h"

namespace tcpflow {

bool TlsKeyFiles::load(const std::vector<std::string>& paths, bool growing, std::string& error) {
    growing_ = growing;
    for (const std::string& p : paths) {
        files_.push_back(File{p, 0, {}});
        if (!read_file(files_.back(), error)) return false;
    }
    return true;
}

/// Reads `f` from its offset to its end; the last line waits for its newline while growing.
bool TlsKeyFiles::read_file(File& f, std::string& error) {
    const int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error = "cannot read " + f.path + ": " + std::strerror(errno);
        return false;
    }
    struct stat st{};
    if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        error = "cannot read " + f.path + ": " + std::strerror(S_ISDIR(st.st_mode) ? EISDIR : errno);
        ::close(fd);
        return false;
    }
    if (static_cast<std::uint64_t>(st.st_size) < f.offset) f.offset = 0;   // truncated: read it again
    std::vector<std::uint8_t> text;
    std::uint8_t buf[65536];
    for (;;) {
        const ssize_t n = ::pread(fd, buf, sizeof buf, static_cast<off_t>(f.offset + text.size()));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = "cannot read " + f.path + ": " + std::strerror(errno);
            ::close(fd);
            return false;
        }
        if (n == 0) break;
        text.insert(text.end(), buf, buf + n);
    }
    ::close(fd);
    f.offset += keys_.add(Bytes{text.data(), text.size()}, f.stats, !growing_);
    return true;
}

bool TlsKeyFiles::reread() {
    const std::uint64_t before = keys_.generation();
    std::string ignored;   // a key log that went away meanwhile: what was read stays
    for (File& f : files_) (void)read_file(f, ignored);
    return keys_.generation() != before;
}

void TlsKeyFiles::add_text(Bytes text) { (void)keys_.add(text, embedded_, true); }

bool TlsKeyFiles::take_embedded() {
    const std::vector<DecryptionSecrets>* v = embedded_fn_ ? embedded_fn_() : nullptr;
    if (v == nullptr) return false;
    if (v != embedded_from_ || v->size() < embedded_taken_) {   // another capture file
        embedded_from_ = v;
        embedded_taken_ = 0;
    }
    const std::uint64_t before = keys_.generation();
    constexpr std::uint32_t kTlsKeyLog = 0x544c534b;
    for (; embedded_taken_ < v->size(); ++embedded_taken_) {
        const DecryptionSecrets& d = (*v)[embedded_taken_];
        if (d.type == kTlsKeyLog) add_text(Bytes{d.data.data(), d.data.size()});
    }
    return keys_.generation() != before;
}

void TlsKeyFiles::report_bad(Diagnostics& diag) const {
    for (const File& f : files_)
        if (f.stats.bad > 0) diag.warning(f.path + ": " + std::to_string(f.stats.bad) + " bad lines skipped");
    if (embedded_.bad > 0)
        diag.warning("pcapng decryption secrets: " + std::to_string(embedded_.bad) + " bad lines skipped");
}

std::unique_ptr<TlsKeyFiles> TlsKeyFiles::open(const std::vector<std::string>& paths, bool growing,
                                              Diagnostics& diag) {
    auto k = std::make_unique<TlsKeyFiles>();
    std::string error;
    if (!k->load(paths, growing, error)) {
        diag.error(error);
        return nullptr;
    }
    k->report_bad(diag);
    return k;
}

std::unique_ptr<FlowSink> TlsKeyFiles::wrap(std::unique_ptr<FlowSink> inner, bool reread, bool console) {
    TlsSink::Settings set;
    if (growing_ && reread) set.refresh = [this] { return this->reread(); };
    if (reread && embedded_fn_) set.at_open = [this] { return take_embedded(); };
    set.hold = console;
    // Reading files, the key logs are complete: a connection without secrets stops at once
    // (secrets embedded in a pcapng apply to the connections after them).
    set.wait_for_keys = growing_;
    return std::make_unique<TlsSink>(std::move(inner), keys_, std::move(set));
}

}  // namespace tcpflow
