// console_sink.cpp: console output formats of tcpflow 1.6.1 (see console_sink.h).
#include "tcpflow/output/console_sink.h"

#include <fcntl.h>
#include <semaphore.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace tcpflow {
namespace {

constexpr const char* kBlue = "\033[0;34m";
constexpr const char* kRed = "\033[0;31m";
constexpr const char* kReset = "\033[0m";
constexpr std::size_t kHexBytesPerLine = 32;

void append_uint(std::string& s, std::uint64_t v) {
    char buf[24];
    int n = std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(v));
    s.append(buf, static_cast<std::size_t>(n));
}

bool printable(std::uint8_t c) noexcept { return c >= 0x20 && c <= 0x7e; }

void append_hex(std::string& s, Bytes data) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::size_t max_width = 0;
    for (std::size_t i = 0; i < data.size(); i += kHexBytesPerLine) {
        const std::size_t line_start = s.size();
        char off[32];
        const int n = std::snprintf(off, sizeof off, "%04zx: ", i);
        s.append(off, static_cast<std::size_t>(n));
        const std::size_t count = std::min(kHexBytesPerLine, data.size() - i);
        for (std::size_t j = 0; j < count; ++j) {
            const std::uint8_t b = data[i + j];
            s.push_back(kHex[b >> 4]);
            s.push_back(kHex[b & 0xf]);
            if (j % 2 == 1) s.push_back(' ');
        }
        const std::size_t width = s.size() - line_start;
        max_width = std::max(max_width, width);
        s.append(max_width - width, ' ');
        s.push_back(' ');
        for (std::size_t j = 0; j < count; ++j) {
            const std::uint8_t b = data[i + j];
            s.push_back(printable(b) ? static_cast<char>(b) : '.');
        }
        s.push_back('\n');
    }
}

}  // namespace

ConsoleSink::ConsoleSink(std::FILE* out, const ConsoleOptions& options, PathFunction path)
    : out_{out}, options_{options}, path_{std::move(path)} {}

ConsoleSink::~ConsoleSink() {
    if (out_) std::fflush(out_);
    if (semaphore_) ::sem_close(static_cast<sem_t*>(semaphore_));
}

const std::string& ConsoleSink::path_for(FlowInfo& info) {
    auto it = paths_.find(info.sink_handle);
    if (it == paths_.end() || info.sink_handle == 0) {
        if (info.sink_handle == 0) {
            info.sink_handle = next_handle_++;
            if (next_handle_ == 0) next_handle_ = 1;
        }
        it = paths_.insert_or_assign(info.sink_handle, path_ ? path_(info) : std::string{}).first;
    }
    return it->second;
}

void ConsoleSink::on_open(FlowInfo& info, Timestamp /*ts*/) {
    info.sink_handle = 0;   // a fresh slot; the path is computed now, while the name is current
    (void)path_for(info);
}

namespace {

/// RFC 4648 base64 with padding.
void append_base64(std::string& out, Bytes data) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::size_t i = 0;
    for (; i + 3 <= data.size(); i += 3) {
        const std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) | data[i + 2];
        for (int k = 18; k >= 0; k -= 6) out.push_back(kAlphabet[(v >> k) & 0x3f]);
    }
    if (const std::size_t rest = data.size() - i; rest > 0) {
        std::uint32_t v = std::uint32_t{data[i]} << 16;
        if (rest == 2) v |= std::uint32_t{data[i + 1]} << 8;
        out.push_back(kAlphabet[(v >> 18) & 0x3f]);
        out.push_back(kAlphabet[(v >> 12) & 0x3f]);
        out.push_back(rest == 2 ? kAlphabet[(v >> 6) & 0x3f] : '=');
        out.push_back('=');
    }
}

}  // namespace

std::string ConsoleSink::format(const FlowInfo& info, const std::string& path, Bytes data) const {
    std::string s;
    s.reserve(options_.hex ? data.size() * 4 + path.size() + 64
              : options_.json ? data.size() * 4 + 128
                              : data.size() + path.size() + 16);
    if (options_.color) s += info.client_to_server ? kBlue : kRed;
    if (options_.header && !options_.json) {
        s += path;
        s += ": ";
        if (options_.hex) s.push_back('\n');
    }
    if (options_.hex) {
        append_hex(s, data);
    } else if (options_.json) {
        s += "{\"src_host\":\"";
        s += info.name.src.to_string();
        s += "\",\"src_port\":";
        append_uint(s, info.name.sport);
        s += ",\"dst_host\":\"";
        s += info.name.dst.to_string();
        s += "\",\"dst_port\":";
        append_uint(s, info.name.dport);
        if (info.name.udp) s += ",\"protocol\":\"udp\"";   // --udp; TCP blocks keep 1.6.1's fields
        if (options_.json_lines) {
            // -S json=lines: the payload as a base64 string, one object per line for jq.
            s += ",\"payload\":\"";
            append_base64(s, data);
            s += "\"}";
        } else {
            s += ",\"payload\": [";
            for (std::size_t i = 0; i < data.size(); ++i) {
                if (i) s.push_back(',');
                append_uint(s, data[i]);
            }
            s += "]}";
        }
    } else if (options_.binary) {
        s.append(reinterpret_cast<const char*>(data.data()), data.size());
    } else {
        for (const std::uint8_t b : data) {
            s.push_back(printable(b) || b == '\n' || b == '\r' ? static_cast<char>(b) : '.');
        }
    }
    if (options_.color) s += kReset;
    if (!options_.no_newline) s.push_back('\n');
    return s;
}

void ConsoleSink::on_data(FlowInfo& info, std::uint64_t /*offset*/, Bytes data, Timestamp /*ts*/) {
    if (data.empty() || !out_ || write_failed_) return;   // after a failed write nothing more can land
    const std::string text = format(info, path_for(info), data);
    auto* sem = static_cast<sem_t*>(semaphore_);
    if (sem)
        while (::sem_wait(sem) != 0 && errno == EINTR) {
        }
    if (std::fwrite(text.data(), 1, text.size(), out_) != text.size()) note_failure();
    if (sem) {
        if (std::fflush(out_) != 0) note_failure();
        ::sem_post(sem);
    }
}

void ConsoleSink::use_semaphore(const std::string& name) {
    const std::string full = (!name.empty() && name[0] == '/') ? name : "/" + name;
    sem_t* sem = ::sem_open(full.c_str(), O_CREAT, 0666, 1);
    if (sem == SEM_FAILED) throw std::runtime_error("cannot open semaphore " + full + ": " + std::strerror(errno));
    if (semaphore_) ::sem_close(static_cast<sem_t*>(semaphore_));
    semaphore_ = sem;
}

void ConsoleSink::on_shift(FlowInfo& /*info*/, std::uint64_t /*n*/) {
    // Already printed bytes stay printed; nothing to move on a console.
}

void ConsoleSink::on_close(FlowInfo& info, const FlowSummary& /*summary*/) {
    paths_.erase(info.sink_handle);
}

void ConsoleSink::flush() {
    if (out_ && !write_failed_ && std::fflush(out_) != 0) note_failure();
}

void ConsoleSink::note_failure() noexcept {
    if (!write_failed_) write_errno_ = errno;
    write_failed_ = true;
}

}  // namespace tcpflow
