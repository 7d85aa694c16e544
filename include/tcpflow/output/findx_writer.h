// findx_writer.h: -I index lines of one flow file, kept in PATH.findx (adapter: file I/O).
//
// One line per stored chunk, "offset|sec.usec|length" (the stream offset of its first byte, the
// time of the packet that completed it, its length), as 1.6.1 writes them. Lines wait in memory
// and are appended in blocks; at close (and after a shift, which moves every offset) the file is
// rewritten sorted by offset when it is not (1.6.1 left it in arrival order).
// The index file itself is made, fresh, with its flow file (NameAllocatorConfig::companion): this
// only ever appends to an index this run created.
#pragma once

#include <cstdint>
#include <string>

#include "tcpflow/base/timestamp.h"

namespace tcpflow {

class FindxWriter {
public:
    static constexpr const char* kSuffix = ".findx";

    /// A new flow file (`resumed`: one that continues a file, whose earlier lines may come after
    /// this run's). Keeps the buffer's capacity.
    void start(bool resumed) noexcept;
    /// One stored chunk. True when enough lines wait to be written (call flush()).
    bool add(std::uint64_t offset, Timestamp ts, std::size_t length);
    /// Appends the waiting lines to FLOW_PATH.findx. 0, or the errno of the failure.
    [[nodiscard]] int flush(const std::string& flow_path);
    /// flush(), then, when offsets may be out of order or `moved` > 0, rewrites the file with every
    /// offset `moved` further on and the lines sorted by offset (stable: equal offsets keep
    /// arrival order). 0, or the errno.
    [[nodiscard]] int rewrite(const std::string& flow_path, std::uint64_t moved);

private:
    std::string pending_;          // lines not yet written
    bool dirty_ = false;           // the file may be out of offset order
    std::uint64_t last_offset_ = 0;
};

}  // namespace tcpflow
