#!/usr/bin/env python3
"""Write seed corpora for the libFuzzer targets in fuzz/ from the project's own sample traffic
(tools/make_sample.py's conversations) and, where present, the shared capture corpus
(../shared/corpus, or $TCPFLOW_CORPUS), so no capture needs to be checked in.

usage: make_fuzz_corpus.py OUTDIR [CORPUS_DIR]      (Python 3 standard library only)
writes OUTDIR/decoder/*, OUTDIR/reassembler/*, OUTDIR/pipeline/*, OUTDIR/http_body/*,
OUTDIR/tls_session/*

pipeline seeds are one option-set byte (fuzz/fuzz_pipeline.cpp's kOptionSets) followed by a
capture file; corpus captures over PIPELINE_MAX bytes are cut at a record (pcap) or block (pcapng)
boundary, and each capture is given the next option set in turn.
"""
import glob
import os
import struct
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_sample as ms  # noqa: E402

# LinkType enum order in include/tcpflow/decode/decoder.h (fuzz_decoder picks it with byte 0).
NULL_BSD, LOOP, ETHERNET, RAW, IPV4, IPV6, SLL, SLL2, PPP = range(9)
# Number of option sets in fuzz/fuzz_pipeline.cpp; fuzz.sh's -max_len for fuzz_pipeline.
OPTION_SETS = 8
PIPELINE_MAX = 65536


def sample_frames():
    body = b"<html><body>seed</body></html>\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    frames = []
    frames += ms.conversation("10.0.0.1", "10.0.0.2", 40000, b"GET / HTTP/1.1\r\n\r\n", resp, disorder=True)
    frames += ms.conversation("2001:db8::1", "2001:db8::2", 40001, b"GET /v6 HTTP/1.1\r\n\r\n", resp, v6=True)
    frames += ms.conversation("192.168.1.10", "192.168.1.20", 40002, b"GET /vlan\r\n\r\n", resp, vlan=42)
    return frames


def strip_ether(frame):
    """The IP packet inside an (optionally VLAN-tagged) Ethernet frame, padding removed."""
    off = 12
    while frame[off:off + 2] == b"\x81\x00":
        off += 4
    ip = frame[off + 2:]
    if ip[0] >> 4 == 4:
        return ip[:struct.unpack("!H", ip[2:4])[0]]
    return ip[:40 + struct.unpack("!H", ip[4:6])[0]]


def fragments(ip_packet, size=16):
    """Splits an IPv4 packet into fragments of `size` payload bytes (multiple of 8)."""
    hdr, payload = ip_packet[:20], ip_packet[20:]
    out = []
    for off in range(0, len(payload), size):
        part = payload[off:off + size]
        mf = 0x2000 if off + size < len(payload) else 0
        h = bytearray(hdr)
        struct.pack_into("!H", h, 2, 20 + len(part))
        struct.pack_into("!H", h, 6, mf | (off // 8))
        out.append(bytes(h) + part)
    return out


def pcap(frames, linktype=1, nano=False, big=False):
    e = ">" if big else "<"
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, 262144, linktype)
    for i, f in enumerate(frames):
        out += struct.pack(e + "IIII", ms.T0, 1000 * (i + 1), len(f), len(f)) + f
    return out


def truncate_capture(data, limit):
    """The longest prefix of a pcap or pcapng file within `limit` bytes that ends on a record or
    block boundary (a plain cut for anything else)."""
    if len(data) <= limit:
        return data
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xD4, 0x4D) else ">"
        off = 24
        while off + 16 <= len(data):
            nxt = off + 16 + struct.unpack(e + "I", data[off + 8:off + 12])[0]
            if nxt > limit or nxt > len(data):
                break
            off = nxt
        return data[:off]
    if magic == b"\x0a\x0d\x0d\x0a" and len(data) >= 12:
        e = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        off = 0
        while off + 12 <= len(data):
            blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
            if blen < 12 or off + blen > limit or off + blen > len(data):
                break
            off += blen
        return data[:off] if off else data[:limit]
    return data[:limit]


def corpus_seeds(out, corpus):
    """Pipeline seeds from the shared corpus: option byte + capture (cut to fit)."""
    if not corpus or not os.path.isdir(corpus):
        return 0
    paths = sorted(glob.glob(os.path.join(corpus, "*.pcap")) + glob.glob(os.path.join(corpus, "*.pcapng")))
    for i, path in enumerate(paths):
        with open(path, "rb") as f:
            data = truncate_capture(f.read(), PIPELINE_MAX - 1)
        write(f"{out}/pipeline/corpus-{os.path.basename(path)}", bytes([i % OPTION_SETS]) + data)
    return len(paths)


def http_seeds(out):
    """Server-to-client streams for fuzz_http_body (byte 0: the options, see the target)."""
    html = b"<html><body>" + b"seed " * 40 + b"</body></html>\n"
    gz = zlib.compressobj(9, zlib.DEFLATED, 31)
    gzbody = gz.compress(html) + gz.flush()
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    rawbody = raw.compress(html) + raw.flush()
    zbody = zlib.compress(html)

    def resp(body, headers=b"Content-Type: text/html\r\n", status=b"200 OK"):
        return b"HTTP/1.1 " + status + b"\r\n" + headers + b"Content-Length: %d\r\n\r\n" % len(body) + body

    def chunked(body, headers=b""):
        parts = b"".join(b"%x;ext=1\r\n" % len(body[i:i + 17]) + body[i:i + 17] + b"\r\n"
                         for i in range(0, len(body), 17))
        return (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n" + headers + b"\r\n" + parts +
                b"0\r\nX-Trailer: t\r\n\r\n")
    streams = {
        "length": resp(html),
        "gzip": resp(gzbody, b"Content-Type: text/html; charset=utf-8\r\nContent-Encoding: gzip\r\n"),
        "deflate-raw": resp(rawbody, b"Content-Encoding: deflate\r\n"),
        "deflate-zlib": resp(zbody, b"Content-Encoding: deflate\r\nContent-Type: image/png\r\n"),
        "chunked-gzip": chunked(gzbody, b"Content-Encoding: gzip\r\n"),
        "pipelined": resp(html) + b"HTTP/1.1 204 No Content\r\n\r\n" + b"HTTP/1.1 304 Not Modified\r\n\r\n" +
                     chunked(html) + resp(b"", status=b"404 Not Found"),
        "until-end": b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"a\": 1}",
        "cut-short": resp(gzbody, b"Content-Encoding: gzip\r\n")[:-20],
        "upgrade": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello",
    }
    for i, (name, s) in enumerate(sorted(streams.items())):
        write(f"{out}/http_body/{name}", bytes([0]) + s)
        write(f"{out}/http_body/{name}-opts", bytes([(i * 37) & 0xFF | 0x02]) + s)


def tls_seeds(out):
    """fuzz_tls_session: byte 0 the mode (see the target). Conversation mode: every conversation,
    whole and in small feeds, unedited and with one edit; raw mode: hello records as pieces."""
    for pick in range(16):
        write(f"{out}/tls_session/conv-{pick:02d}", bytes([2, pick, 0]))
        write(f"{out}/tls_session/conv-{pick:02d}-small", bytes([3, pick, 1]))
        write(f"{out}/tls_session/conv-{pick:02d}-edit", bytes([2, pick, 5, 0x00, 0x60, 0x01]))
    hello = bytes([22, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0, 0])
    def pieces(d, data):
        return b"".join(bytes([((len(c) - 1) << 2) | d]) + c for c in (data[i:i + 64] for i in range(0, len(data), 64)))
    write(f"{out}/tls_session/raw-hellos", bytes([0]) + pieces(0, hello) + pieces(1, hello.replace(b"\x01", b"\x02", 2)))
    write(f"{out}/tls_session/raw-text", bytes([1]) + pieces(0, b"GET / HTTP/1.1\r\n\r\n"))


def pcapng(eth_frames, ip_packets, big=False):
    """Two sections: Ethernet and raw-IP interfaces (2^-20 s, offset), EPBs, an SPB, a custom
    block, decryption secrets, an obsolete packet block."""
    e = ">" if big else "<"

    def block(t, body):
        body += b"\0" * (-len(body) % 4)
        return struct.pack(e + "II", t, len(body) + 12) + body + struct.pack(e + "I", len(body) + 12)

    shb = block(0x0A0D0D0A, struct.pack(e + "IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb_eth = block(1, struct.pack(e + "HHI", 1, 0, 0) + struct.pack(e + "HH", 0, 0))
    idb_raw = block(1, struct.pack(e + "HHI", 101, 0, 1500) + struct.pack(e + "HHB3x", 9, 1, 0x94) +
                    struct.pack(e + "HHq", 14, 8, 100) + struct.pack(e + "HH", 0, 0))
    out = shb + idb_eth + block(0xBAD, struct.pack(e + "I", 32473) + b"custom") + idb_raw
    for i, (f, p) in enumerate(zip(eth_frames, ip_packets)):
        out += block(6, struct.pack(e + "IIIII", 0, 0, ms.T0 + i, len(f), len(f)) + f)
        out += block(6, struct.pack(e + "IIIII", 1, 0, i << 20, len(p), len(p)) + p)
    out += block(10, struct.pack(e + "II", 0x544C534B, 5) + b"keys\n")
    out += shb + idb_raw + block(3, struct.pack(e + "I", len(ip_packets[0])) + ip_packets[0])
    out += block(2, struct.pack(e + "HHIIII", 0, 0, 0, 7, len(ip_packets[1]), len(ip_packets[1])) + ip_packets[1])
    return out


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "fuzz-corpus"
    frames = sample_frames()
    ips = [strip_ether(f) for f in frames]
    v4 = [p for p in ips if p[0] >> 4 == 4]
    frag = [f for p in v4 if len(p) > 60 for f in fragments(p)]

    # decoder: one frame per file, byte 0 = link type; plus multi-frame files (0xFF 0x00 0xFF splits).
    for i, f in enumerate(frames):
        write(f"{out}/decoder/eth-{i:02d}", bytes([ETHERNET]) + f)
    for i, p in enumerate(ips):
        af = 2 if p[0] >> 4 == 4 else 10
        write(f"{out}/decoder/raw-{i:02d}", bytes([RAW]) + p)
        write(f"{out}/decoder/null-{i:02d}", bytes([NULL_BSD]) + struct.pack("<I", af) + p)
        write(f"{out}/decoder/loop-{i:02d}", bytes([LOOP]) + struct.pack(">I", af) + p)
        proto = 0x0800 if p[0] >> 4 == 4 else 0x86DD
        write(f"{out}/decoder/sll-{i:02d}", bytes([SLL]) + struct.pack("!HHH8sH", 0, 1, 6, b"\0" * 8, proto) + p)
        write(f"{out}/decoder/ppp-{i:02d}", bytes([PPP]) + struct.pack("!H", 0x21 if proto == 0x0800 else 0x57) + p)
    write(f"{out}/decoder/fragments", bytes([RAW]) + b"\xff\x00\xff".join(frag))

    # pipeline: option-set byte + whole capture files in the formats the reader accepts, each
    # under every option set; then the shared corpus.
    captures = {"sample.pcap": pcap(frames), "sample-nano-be.pcap": pcap(frames, nano=True, big=True),
                "raw.pcap": pcap(ips, linktype=101), "fragments.pcap": pcap(frag, linktype=101),
                "truncated.pcap": pcap(frames)[:-7]}
    for name, data in captures.items():
        for k in range(OPTION_SETS):
            write(f"{out}/pipeline/set{k}-{name}", bytes([k]) + data)
    here = os.path.dirname(os.path.abspath(__file__))
    corpus = sys.argv[2] if len(sys.argv) > 2 else os.environ.get(
        "TCPFLOW_CORPUS", os.path.join(here, "..", "..", "shared", "corpus"))
    n = corpus_seeds(out, corpus)
    http_seeds(out)

    # capture_reader: byte 0 = how the bytes arrive, then a pcap or pcapng file.
    write(f"{out}/capture_reader/pcap", b"\x00" + pcap(frames[:4]))
    write(f"{out}/capture_reader/pcap-nano-be-pipe", b"\x13" + pcap(frames[:4], nano=True, big=True))
    kuz = bytearray(pcap([]))
    kuz[0:4] = struct.pack("<I", 0xA1B2CD34)
    for i, f in enumerate(frames[:3]):
        kuz += struct.pack("<IIII", ms.T0, i, len(f), len(f)) + b"\0" * 8 + f
    write(f"{out}/capture_reader/kuznetzov", b"\x21" + bytes(kuz))
    write(f"{out}/capture_reader/pcapng", b"\x00" + pcapng(frames[:3], ips[:3]))
    write(f"{out}/capture_reader/pcapng-small-buffer", b"\x02" + pcapng(frames[:3], ips[:3], big=True))

    # reassembler: config byte, then 6-byte records (flags, conn/dir/mode, delta16, len, time).
    def rec(flags, conn=0, d=0, mode=0, delta=0, length=0, t=1, hold=False):
        b1 = conn | (d << 2) | (mode << 3) | (0xC0 if hold else 0)
        return struct.pack("!BBhBB", flags, b1, delta, length, t)
    hs = rec(0x02, hold=True) + rec(0x12, d=1, hold=True) + rec(0x10, delta=1, hold=True)
    inorder = hs + b"".join(rec(0x18, length=100) for _ in range(8)) + rec(0x11) + rec(0x11, d=1, delta=1)
    write(f"{out}/reassembler/inorder", b"\x00" + inorder)
    disorder = hs + rec(0x18, delta=200, length=100, hold=True) + rec(0x18, delta=-200, length=100) + \
        rec(0x18, delta=300, length=50) + rec(0x04, d=1)
    write(f"{out}/reassembler/disorder", b"\x00" + disorder)
    write(f"{out}/reassembler/tiny-memory", b"\x20" + disorder + inorder)
    jumps = hs + rec(0x18, length=10) + rec(0x18, mode=4, length=10) + rec(0x18, mode=4, length=10)
    write(f"{out}/reassembler/jumps", b"\x02" + jumps)
    tls_seeds(out)
    print(f"wrote seed corpora under {out} ({n} corpus captures)")


if __name__ == "__main__":
    main()
