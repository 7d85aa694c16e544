// tls_keys.h: the key logs of --tls-keylog (adapter: reads files) and the TLS sink around a run's
// sink. Each file is read whole at the start (a file that cannot be read is a usage error, status
// 2); in a live capture a file that grows (SSLKEYLOGFILE of a browser still running) is read on
// from where the last complete line ended, at every flush (at least every 100 ms).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tcpflow/capture/pcapng_reader.h"
#include "tcpflow/flow/flow_sink.h"
#include "tcpflow/output/diagnostics.h"
#include "tcpflow/tls/keylog.h"

namespace tcpflow {

class TlsKeyFiles {
public:
    /// load() and report_bad(); null after saying why (diag.error) when a file cannot be read.
    static std::unique_ptr<TlsKeyFiles> open(const std::vector<std::string>& paths, bool growing, Diagnostics& diag);
    /// Reads every file. False with `error` ("cannot read FILE: reason") when one cannot be read.
    /// `growing`: a live capture, whose key logs may still grow (an unterminated last line waits).
    bool load(const std::vector<std::string>& paths, bool growing, std::string& error);
    /// Reads on in files that grew since; true when secrets were added.
    bool reread();
    /// The text of a pcapng Decryption Secrets Block of type TLS key log.
    void add_text(Bytes text);
    /// Where the Decryption Secrets Blocks of the capture being read are (null: none now); the
    /// sink that rereads takes new ones whenever a flow opens (on the reading thread).
    using EmbeddedFn = std::function<const std::vector<DecryptionSecrets>*()>;
    void set_embedded(EmbeddedFn fn) { embedded_fn_ = std::move(fn); }
    /// Adds the TLS key log blocks that appeared since the last call; true when secrets were added.
    bool take_embedded();
    [[nodiscard]] const tls::KeyLog& keys() const noexcept { return keys_; }
    /// "tcpflow: FILE: N bad lines skipped" per file that had any (debug level permitting).
    void report_bad(Diagnostics& diag) const;
    /// `inner` wrapped in a TlsSink that decrypts with these keys; `reread`: at its flushes it
    /// rereads growing files (only one sink may: not the -j workers, which run on other threads);
    /// `console`: -c, a decrypting direction shows its plaintext only (TlsSink's hold).
    std::unique_ptr<FlowSink> wrap(std::unique_ptr<FlowSink> inner, bool reread, bool console = false);

private:
    struct File {
        std::string path;
        std::uint64_t offset = 0;   // bytes consumed (complete lines)
        tls::KeyLogStats stats;
    };
    bool read_file(File& f, std::string& error);
    std::vector<File> files_;
    tls::KeyLog keys_;
    tls::KeyLogStats embedded_;   // pcapng secrets
    bool growing_ = false;
    EmbeddedFn embedded_fn_;
    const std::vector<DecryptionSecrets>* embedded_from_ = nullptr;
    std::size_t embedded_taken_ = 0;   // blocks of embedded_from_ already added
};

}  // namespace tcpflow
