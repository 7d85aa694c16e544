#include "tcpflow/output/diagnostics.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tcpflow {

Diagnostics::Diagnostics(DiagnosticsSettings settings) : settings_{std::move(settings)} {
    if (settings_.prefix.empty()) settings_.prefix = "tcpflow";
}

void Diagnostics::line(std::string_view text) const {
    std::string out;
    out.reserve(settings_.prefix.size() + text.size() + 3);
    out.append(settings_.prefix).append(": ").append(text);
    if (out.back() != '\n') out.push_back('\n');
    write_out(out);
}

void Diagnostics::write_out(std::string_view text) const {
    std::string erased;
    std::string_view out = text;
    if (const std::size_t width = status_width_.load(std::memory_order_relaxed); width > 0) {
        erased.reserve(width + 2 + text.size());
        erased.append(1, '\r').append(width, ' ').append(1, '\r').append(text);
        out = erased;
    }
    const char* p = out.data();
    std::size_t left = out.size();
    while (left > 0) {
        ssize_t n = ::write(settings_.fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;   // nowhere left to say it
        p += n;
        left -= static_cast<std::size_t>(n);
    }
}

void Diagnostics::error(std::string_view text) {
    errors_.fetch_add(1, std::memory_order_relaxed);
    line(text);
}

void Diagnostics::warning(std::string_view text) {
    if (!settings_.quiet) line(text);
}

void Diagnostics::warning_block(std::string_view text) {
    if (!settings_.quiet) write_out(text);
}

void Diagnostics::info(std::string_view text) { line(text); }

void Diagnostics::debug(int level, std::string_view text) {
    if (settings_.debug >= level) line(text);
}

std::string Diagnostics::describe(std::string_view what, std::string_view path, int err) {
    std::string s{what};
    s.append(" ").append(path).append(": ").append(std::strerror(err));
    return s;
}

std::string Diagnostics::removed(std::string_view path) {
    std::string s{path};
    s.append(" was removed during the run: what was written into it is lost");
    return s;
}

Diagnostics& default_diagnostics() {
    static Diagnostics d;
    return d;
}

}  // namespace tcpflow
