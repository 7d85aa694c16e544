// session.cpp: the public face of the per-connection TLS state machine (stub).
#include "tcpflow/tls/session.h"

namespace tcpflow::tls {

struct Session::Impl {
    Impl(const KeyLog& k, PlaintextSink& o) : keys{k}, out{o} {}
    const KeyLog& keys;
    PlaintextSink& out;
    Facts facts;
};

Session::Session(const KeyLog& keys, PlaintextSink& out, bool wait_for_keys)
    : impl_{std::make_unique<Impl>(keys, out)} {
    (void)wait_for_keys;
}
Session::~Session() = default;

void Session::feed(int dir, std::uint64_t offset, Bytes data) {
    (void)dir;
    (void)offset;
    (void)data;
}
void Session::keys_changed() {}
void Session::end(int dir) { (void)dir; }
const Facts& Session::facts() const noexcept { return impl_->facts; }
bool Session::hopeless() const noexcept { return true; }

}  // namespace tcpflow::tls
