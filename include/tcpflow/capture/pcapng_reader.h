// pcapng_reader.h: the pcapng format, read from a ReadBuffer.
//
// Every section (a Section Header Block starts one, in either byte order; its interfaces are
// its own), every Interface Description Block with its own link type, snapshot length,
// if_tsresol (a power of 10 or of 2) and if_tsoffset. Packets: Enhanced, Simple (interface 0,
// length from its snapshot length) and the obsolete Packet Block. Decryption Secrets Blocks are
// kept (a later TLS feature reads them); Name Resolution, Interface Statistics, custom and
// unknown blocks are skipped by their length. A block longer than 16 MiB, lengths that
// disagree, a packet on an interface the section does not have, a captured length beyond its
// block: errors, at the offset of the block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "tcpflow/capture/read_buffer.h"
#include "tcpflow/decode/packet.h"

namespace tcpflow {

/// A Decryption Secrets Block's content: its secrets type (0x544c534b: TLS key log) and data.
struct DecryptionSecrets {
    std::uint32_t type = 0;
    std::vector<std::uint8_t> data;
};

class PcapngReader {
public:
    static constexpr std::uint32_t kMaxBlock = 16u << 20;
    /// At most this many bytes of Decryption Secrets are kept (more are counted, not kept).
    static constexpr std::size_t kMaxSecrets = 16u << 20;

    /// True when `head` (at least 4 bytes) starts a Section Header Block.
    [[nodiscard]] static bool recognises(Bytes head) noexcept;
    /// The next packet: its frame points into `in`'s buffer, valid until the next call.
    ReadResult next(ReadBuffer& in, RawPacket& out, ReadError& err);

    struct Interface {
        int dlt = 1;
        std::uint32_t snaplen = 262144;   ///< as libpcap adjusts it: 0 or too large is the maximum
        bool binary = false;              ///< if_tsresol is a power of 2 (else of 10)
        std::uint8_t exponent = 6;        ///< units per second: 10^exponent or 2^exponent
        std::int64_t offset_s = 0;        ///< if_tsoffset
    };
    /// The interfaces of the current section.
    [[nodiscard]] const std::vector<Interface>& interfaces() const noexcept { return interfaces_; }
    /// The interface of the last packet (nullptr before the first).
    [[nodiscard]] const Interface* current() const noexcept {
        return current_ < interfaces_.size() ? &interfaces_[current_] : nullptr;
    }
    [[nodiscard]] const std::vector<DecryptionSecrets>& secrets() const noexcept { return secrets_; }
    [[nodiscard]] std::uint64_t secrets_dropped() const noexcept { return secrets_dropped_; }
    [[nodiscard]] unsigned sections() const noexcept { return sections_; }
    /// The current section's byte order is big-endian.
    [[nodiscard]] bool big_endian() const noexcept { return big_; }

    /// A timestamp in `ifc`'s units to nanoseconds since the epoch.
    [[nodiscard]] static Timestamp to_time(const Interface& ifc, std::uint64_t units) noexcept;

private:
    struct Block {
        std::uint32_t type = 0;
        std::uint32_t length = 0;
        Bytes body;   // between the two length fields
    };
    ReadResult read_block(ReadBuffer& in, Block& b, ReadError& err);
    bool section_header(const Block& b, ReadError& err);
    bool interface_description(const Block& b, ReadError& err);
    bool packet(const Block& b, RawPacket& out, ReadError& err);
    bool interface_for(std::uint32_t id, ReadError& err);
    void keep_secrets(const Block& b);

    bool big_ = false;
    bool in_section_ = false;
    unsigned sections_ = 0;
    std::vector<Interface> interfaces_;
    std::size_t current_ = SIZE_MAX;
    std::vector<DecryptionSecrets> secrets_;
    std::size_t secrets_bytes_ = 0;
    std::uint64_t secrets_dropped_ = 0;
};

}  // namespace tcpflow
