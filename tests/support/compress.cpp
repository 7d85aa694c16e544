#include "support/compress.h"

#include <bzlib.h>
#include <lz4frame.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

namespace tcpflow::test {

ByteVec deflate_bytes(const ByteVec& data, int window_bits, int level) {
    ByteVec out;
    z_stream z{};
    if (deflateInit2(&z, level, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("deflateInit2");
    out.resize(deflateBound(&z, static_cast<uLong>(data.size())) + 32);
    z.next_in = const_cast<Bytef*>(data.data());
    z.avail_in = static_cast<uInt>(data.size());
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) throw std::runtime_error("deflate");
    return out;
}

ByteVec compress(Compression kind, const ByteVec& data) {
    ByteVec out;
    switch (kind) {
    case Compression::gzip: return deflate_bytes(data, 16 + MAX_WBITS);
    case Compression::bzip2: {
        auto size = static_cast<unsigned>(data.size() + data.size() / 100 + 600);
        out.resize(size);
        if (BZ2_bzBuffToBuffCompress(reinterpret_cast<char*>(out.data()), &size,
                                     const_cast<char*>(reinterpret_cast<const char*>(data.data())),
                                     static_cast<unsigned>(data.size()), 9, 0, 0) != BZ_OK)
            throw std::runtime_error("BZ2_bzBuffToBuffCompress");
        out.resize(size);
        return out;
    }
    case Compression::xz: {
        out.resize(lzma_stream_buffer_bound(data.size()));
        std::size_t pos = 0;
        if (lzma_easy_buffer_encode(1, LZMA_CHECK_CRC64, nullptr, data.data(), data.size(), out.data(), &pos,
                                    out.size()) != LZMA_OK)
            throw std::runtime_error("lzma_easy_buffer_encode");
        out.resize(pos);
        return out;
    }
    case Compression::zstd: {
        ZSTD_CCtx* c = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
        ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
        out.resize(ZSTD_compressBound(data.size()));
        const std::size_t n = ZSTD_compress2(c, out.data(), out.size(), data.data(), data.size());
        ZSTD_freeCCtx(c);
        if (ZSTD_isError(n)) throw std::runtime_error("ZSTD_compress2");
        out.resize(n);
        return out;
    }
    case Compression::lz4: {
        LZ4F_preferences_t prefs{};
        prefs.frameInfo.contentChecksumFlag = LZ4F_contentChecksumEnabled;
        out.resize(LZ4F_compressFrameBound(data.size(), &prefs));
        const std::size_t n = LZ4F_compressFrame(out.data(), out.size(), data.data(), data.size(), &prefs);
        if (LZ4F_isError(n)) throw std::runtime_error("LZ4F_compressFrame");
        out.resize(n);
        return out;
    }
    case Compression::none: break;
    }
    return data;
}

std::vector<Compression> all_compressions() {
    return {Compression::gzip, Compression::bzip2, Compression::xz, Compression::zstd, Compression::lz4};
}

std::string compression_suffix(Compression kind) {
    switch (kind) {
    case Compression::gzip: return "gz";
    case Compression::bzip2: return "bz2";
    case Compression::xz: return "xz";
    case Compression::zstd: return "zst";
    case Compression::lz4: return "lz4";
    case Compression::none: break;
    }
    return "pcap";
}

ByteVec read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return ByteVec(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void write_bytes(const std::string& path, const ByteVec& data) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace tcpflow::test
