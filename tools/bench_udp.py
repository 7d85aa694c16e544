#!/usr/bin/env python3
"""UDP benchmark (--udp): many short DNS-like conversations.

Generates (standard library only) two captures with the same conversations and payload bytes:

    udp: N conversations, each a 40-byte query from 10.x.y.z:port to 10.0.0.53:53 and a 120-byte
         answer back (two datagrams);
    tcp: the same N conversations over TCP (handshake, the query, the answer, FIN both ways,
         last ACK: 8 segments), the payload bytes identical;

then times, --runs times each (median), with the output on a tmpfs:

    ours --udp -r udp.pcap -o OUT     (every conversation of the capture, in one pass)
    ours -r tcp.pcap -o OUT           (the same conversations over TCP)
    tshark -r udp.pcap -q -z follow,udp,raw,0   (one stream: what tshark pays per stream)

and prints seconds and conversations per second; with --check, verifies the UDP files' count.

    tools/bench_udp.py build/tcpflow [--conns 100000] [--runs 3] [--dir /dev/shm/tcpflow-bench-udp]
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import struct
import subprocess
import sys
import time


def pcap_header() -> bytes:
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)


def record(ts_us: int, frame: bytes) -> bytes:
    return struct.pack("<IIII", ts_us // 1_000_000, ts_us % 1_000_000, len(frame), len(frame)) + frame


def ipv4(src: bytes, dst: bytes, proto: int, payload: bytes) -> bytes:
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0, src, dst) + payload


def eth(payload: bytes) -> bytes:
    return b"\x00\x00\x00\x00\x00\x02" + b"\x00\x00\x00\x00\x00\x01" + b"\x08\x00" + payload


def udp(sport: int, dport: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport: int, dport: int, seq: int, ack: int, flags: int, payload: bytes) -> bytes:
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload


def client(i: int) -> tuple[bytes, int]:
    return bytes([10, 1 + (i >> 16) % 200, (i >> 8) & 0xFF, i & 0xFF]), 1024 + (i * 7919) % 60000


SERVER = bytes([10, 0, 0, 53])


def query(i: int) -> bytes:
    return struct.pack("!HHHHHH", i & 0xFFFF, 0x0100, 1, 0, 0, 0) + b"\x07example\x03com\x00\x00\x01\x00\x01" + b"q" * 11


def answer(i: int) -> bytes:
    return struct.pack("!HHHHHH", i & 0xFFFF, 0x8180, 1, 1, 0, 0) + b"a" * 108


def make_udp(path: str, n: int) -> None:
    with open(path, "wb") as f:
        f.write(pcap_header())
        ts = 1_600_000_000_000_000
        for i in range(n):
            c, port = client(i)
            f.write(record(ts, eth(ipv4(c, SERVER, 17, udp(port, 53, query(i))))))
            f.write(record(ts + 300, eth(ipv4(SERVER, c, 17, udp(53, port, answer(i))))))
            ts += 1000


def make_tcp(path: str, n: int) -> None:
    SYN, ACK, PA, FA = 0x02, 0x10, 0x18, 0x11
    with open(path, "wb") as f:
        f.write(pcap_header())
        ts = 1_600_000_000_000_000
        for i in range(n):
            c, port = client(i)
            q, a = query(i), answer(i)
            ci, si = 1000, 5000
            segs = [
                (True, ci, 0, SYN, b""), (False, si, ci + 1, SYN | ACK, b""), (True, ci + 1, si + 1, ACK, b""),
                (True, ci + 1, si + 1, PA, q), (False, si + 1, ci + 1 + len(q), PA, a),
                (True, ci + 1 + len(q), si + 1 + len(a), FA, b""), (False, si + 1 + len(a), ci + 2 + len(q), FA, b""),
                (True, ci + 2 + len(q), si + 2 + len(a), ACK, b""),
            ]
            for k, (from_client, seq, ack, fl, data) in enumerate(segs):
                src, dst = (c, SERVER) if from_client else (SERVER, c)
                sp, dp = (port, 53) if from_client else (53, port)
                f.write(record(ts + 40 * k, eth(ipv4(src, dst, 6, tcp(sp, dp, seq, ack, fl, data)))))
            ts += 1000


PEAK_KIB: dict[str, int] = {}


def timed(argv: list[str], out: str | None) -> float:
    """Wall seconds of one run (a fresh child); its peak RSS (KiB, /usr/bin/time) goes to PEAK_KIB."""
    if out:
        shutil.rmtree(out, ignore_errors=True)
    wrap = ["/usr/bin/time", "-f", "@@%M"] if os.path.exists("/usr/bin/time") else []
    t0 = time.monotonic()
    r = subprocess.run(wrap + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.monotonic() - t0
    err = r.stderr.decode(errors="replace")
    if r.returncode != 0:
        sys.exit(f"{argv[0]} failed ({r.returncode}): {err[:500]}")
    if wrap and "@@" in err:
        key = " ".join(argv)
        PEAK_KIB[key] = max(PEAK_KIB.get(key, 0), int(err.rsplit("@@", 1)[1].split()[0]))
    return dt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("binary")
    ap.add_argument("--conns", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="/dev/shm/tcpflow-bench-udp")
    ap.add_argument("--tshark", default=shutil.which("tshark") or "")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    upcap, tpcap = os.path.join(args.dir, "udp.pcap"), os.path.join(args.dir, "tcp.pcap")
    make_udp(upcap, args.conns)
    make_tcp(tpcap, args.conns)
    out = os.path.join(args.dir, "out")
    rows = []
    ours_udp = [timed([args.binary, "--udp", "-r", upcap, "-o", out], out) for _ in range(args.runs)]
    nfiles = sum(1 for n in os.listdir(out) if n.endswith("-udp"))
    if nfiles != 2 * args.conns:
        sys.exit(f"expected {2 * args.conns} -udp files, found {nfiles}")
    udp_argv = [args.binary, "--udp", "-r", upcap, "-o", out]
    rows.append(("ours --udp, all conversations", statistics.median(ours_udp), args.conns, udp_argv))
    tcp_argv = [args.binary, "-r", tpcap, "-o", out]
    ours_tcp = [timed(tcp_argv, out) for _ in range(args.runs)]
    rows.append(("ours, the same over TCP", statistics.median(ours_tcp), args.conns, tcp_argv))
    if args.tshark:
        ts_argv = [args.tshark, "-r", upcap, "-q", "-z", "follow,udp,raw,0"]
        ts = [timed(ts_argv, None) for _ in range(args.runs)]
        rows.append(("tshark -z follow,udp,raw,0 (one stream)", statistics.median(ts), 1, ts_argv))
    shutil.rmtree(out, ignore_errors=True)
    print(f"{args.conns} conversations; udp.pcap {os.path.getsize(upcap) / 1e6:.1f} MB, "
          f"tcp.pcap {os.path.getsize(tpcap) / 1e6:.1f} MB; median of {args.runs}")
    print(f"{'run':45} {'seconds':>9} {'conversations/s':>16} {'peak MiB':>9}")
    for name, sec, conv, argv in rows:
        peak = PEAK_KIB.get(" ".join(argv), 0) / 1024
        print(f"{name:45} {sec:9.3f} {conv / sec:16,.2f} {peak:9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
