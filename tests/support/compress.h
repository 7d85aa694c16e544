// compress.h: compress bytes in the tests with the libraries tcpflow decompresses with, so no test
// needs the gzip, bzip2, xz, zstd or lz4 programs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tcpflow/capture/decompress.h"

namespace tcpflow::test {

using ByteVec = std::vector<std::uint8_t>;

/// One complete stream (gzip member, bzip2 stream, xz stream, zstd or lz4 frame) holding `data`,
/// with the checksums the usual command-line tools write (zstd and lz4 content checksums).
ByteVec compress(Compression kind, const ByteVec& data);
/// zlib's deflate with `window_bits`: 31 = gzip, 15 = zlib, -15 = raw deflate (HTTP bodies).
ByteVec deflate_bytes(const ByteVec& data, int window_bits, int level = 6);
/// The five kinds, in a fixed order (for parameterised tests).
std::vector<Compression> all_compressions();
/// A file name for a kind: "gzip" -> "gz", "bzip2" -> "bz2", ...
std::string compression_suffix(Compression kind);

ByteVec read_bytes(const std::string& path);
void write_bytes(const std::string& path, const ByteVec& data);

}  // namespace tcpflow::test
