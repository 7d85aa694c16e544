// conversation_sink.cpp: conversation files (see conversation_sink.h).
#include "tcpflow/output/conversation_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "tcpflow/base/text.h"
#include "tcpflow/content/flow_record.h"
#include "tcpflow/output/name_allocator.h"

namespace tcpflow {

namespace {
constexpr std::size_t kRunBytes = 64 * 1024;
}

ConversationSink::ConversationSink(std::unique_ptr<FlowSink> inner, ConversationConfig config, Diagnostics& diag)
    : inner_{std::move(inner)}, config_{std::move(config)}, diag_{diag} {}

ConversationSink::~ConversationSink() {
    for (auto& [id, c] : convs_) write_run(c);
}

std::string ConversationSink::header(bool client, const FlowNameInfo& who, std::uint64_t offset,
                                     std::uint64_t length, std::uint64_t hole, Timestamp ts, bool ns) {
    std::string h = "### ";
    h += client ? "client " : "server ";
    who.src.append_string(h);
    h.push_back(':');
    text::append_uint(h, who.sport);
    h += " offset ";
    text::append_uint(h, offset);
    h += " length ";
    text::append_uint(h, length);
    h += " time ";
    append_rfc3339(h, ts, ns);
    if (hole) {
        h += " hole ";
        text::append_uint(h, hole);
    }
    h.push_back('\n');
    return h;
}

bool ConversationSink::create(Conversation& c, const FlowNameInfo& name) {
    std::string path = config_.dir.file(config_.name_template.expand(name, 0) + ".conversation");
    const NameAllocator::Created made = create_first_free(path, config_.owner);
    if (made.fd < 0) {
        diag_.error(Diagnostics::describe("cannot write", path, made.err));
        errors_ = true;
        return false;
    }
    ::close(made.fd);
    c.path = std::move(path);
    return true;
}

void ConversationSink::write_run(Conversation& c) {
    if (!c.pending) return;
    c.pending = false;
    if (c.path.empty() && !create(c, c.name)) return;
    std::string out = header(c.client, c.name, c.offset, c.bytes.size(), c.hole, c.ts, config_.nanoseconds);
    out += c.bytes;
    out.push_back('\n');
    c.bytes.clear();
    const int fd = ::open(c.path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    const int err = fd < 0 ? errno : posix_io::write_all(fd, out.data(), out.size());
    if (fd >= 0) ::close(fd);
    if (err != 0) {
        diag_.error(Diagnostics::describe("cannot write", c.path, err));
        errors_ = true;
    }
}

void ConversationSink::on_open(FlowInfo& info, Timestamp ts) { inner_->on_open(info, ts); }

void ConversationSink::on_data(FlowInfo& info, std::uint64_t offset, Bytes data, Timestamp ts) {
    inner_->on_data(info, offset, data, ts);
    if (data.empty()) return;
    Conversation& c = convs_[info.connection_id];
    Direction& d = c.dirs[info.first_packet];
    if (c.dirs.size() == 1 && c.first_sender == 0) c.first_sender = info.first_packet;
    if (info.client_to_server) c.syn_client = true;
    const bool client = info.client_to_server || (!c.syn_client && c.first_sender == info.first_packet);
    const bool extends = c.pending && c.who == info.first_packet && offset == c.offset + c.bytes.size() &&
                         c.bytes.size() + data.size() <= kRunBytes;
    if (!extends) {
        write_run(c);
        c.pending = true;
        c.who = info.first_packet;
        c.name = info.name;
        c.client = client;
        c.offset = offset;
        c.hole = offset > d.next ? offset - d.next : 0;
        c.ts = ts;
    }
    c.bytes.append(reinterpret_cast<const char*>(data.data()), data.size());
    d.next = std::max(d.next, offset + data.size());
}

void ConversationSink::on_shift(FlowInfo& info, std::uint64_t n) {
    inner_->on_shift(info, n);
    // Data placed in front of what was written: the runs already written keep their offsets;
    // later ones carry the new ones.
    auto it = convs_.find(info.connection_id);
    if (it == convs_.end()) return;
    Conversation& c = it->second;
    if (c.pending && c.who == info.first_packet) write_run(c);
    c.dirs[info.first_packet].next += n;
}

void ConversationSink::on_close(FlowInfo& info, const FlowSummary& summary) {
    auto it = convs_.find(info.connection_id);
    if (it != convs_.end() && it->second.pending && it->second.who == info.first_packet) write_run(it->second);
    inner_->on_close(info, summary);
}

void ConversationSink::on_connection_end(const ConnectionEnd& end) {
    auto it = convs_.find(end.id);
    if (it != convs_.end()) {
        write_run(it->second);
        convs_.erase(it);
    }
    inner_->on_connection_end(end);
}

std::size_t ConversationSink::read_back(FlowInfo& info, std::uint64_t offset, std::span<std::uint8_t> out) {
    return inner_->read_back(info, offset, out);
}

void ConversationSink::flush() {
    // Live capture: what is gathered becomes visible (a run may then be split in two).
    for (auto& [id, c] : convs_) write_run(c);
    inner_->flush();
}

}  // namespace tcpflow
