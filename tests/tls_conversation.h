// tls_conversation.h: whole TLS conversations built for the session tests (both directions'
// streams, the key log and the plaintext each side wrote), and a harness that feeds them.
#pragma once

#include "tcpflow/tls/session.h"
#include "tls_test_records.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tlstest {

struct Conversation {
    Buf stream[2];     // [0] client, [1] server
    Buf expect[2];     // the application data each side wrote
    std::string keylog;
    std::vector<std::size_t> record_starts[2];  // stream offset of every record
};

struct Tls13Spec {
    std::uint16_t suite = 0x1301;
    bool hrr = false;
    bool early = false;            // the client sends 0-RTT data
    bool early_accepted = true;    // the server's EncryptedExtensions accept it
    bool early_logged = true;      // the early secret is in the key log
    bool key_update = false;       // the server (and then the client) update their keys
    bool ccs = true;               // middlebox-compatibility change_cipher_spec records
    std::size_t padding = 0;
    std::size_t app_records = 3;
    std::size_t app_size = 300;
};
Conversation make13(const Tls13Spec& spec);

struct Tls12Spec {
    std::uint16_t suite = 0xC02F;
    bool client_etm = false, server_etm = false;
    bool resumed = false;  // abbreviated handshake: the server's ChangeCipherSpec and Finished first
    std::size_t app_records = 3;
    std::size_t app_size = 300;
};
Conversation make12(const Tls12Spec& spec);

/// What a session delivered, checked to be in order without gaps.
class Collector : public tcpflow::tls::PlaintextSink {
public:
    void on_plaintext(int dir, std::uint64_t offset, Bytes data) override;
    Buf data[2];
    bool out_of_order = false;
};

struct Outcome {
    Buf data[2];
    tcpflow::tls::Facts facts;
    bool out_of_order = false;
    bool hopeless = false;
};

/// Feeds the client stream as dir 0 and the server stream as dir 1 in chunks of `chunk` bytes
/// (0: whole), alternating directions chunk by chunk when `interleave`, else all client first.
Outcome run(const Conversation& c, std::size_t chunk = 0, bool interleave = true, bool wait_for_keys = false);

}  // namespace tlstest
