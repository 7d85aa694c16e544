#!/usr/bin/env python3
"""The cost of one --shard i/N process against a full run (SPEC section 7: a shard keeping 1/4 of
the connections of the bulk capture costs under 40% of a full run).

    tools/bench_shard.py [--capture PCAP] [--shards 4] [--runs 5] [--out DIR] build/tcpflow

Runs, alternately, a full run (`BIN -r CAPTURE -o OUT`) and one shard (`BIN --shard i/N ...`,
i going round 0 .. N-1 so every shard is measured), each a fresh child with its output on tmpfs
(DIR, default /dev/shm) removed after it (untimed), after a `sync`. Measures wall time (monotonic
clock) and CPU time (user + system of the child, from wait4). Prints the medians and the ratios
shard/full; exit 1 when the wall or the CPU ratio is not under --limit (default 0.40).
The capture defaults to the bulk capture tools/bench.py caches
(${TCPFLOW_BENCH_DIR:-/var/tmp/tcpflow-bench}/bulk.pcap; run tools/bench.py --only bulk once to make it).
The capture is read once first so every run reads it from the page cache.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def timed(argv):
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit("bench_shard: %s exited %d: %s" % (" ".join(argv), proc.returncode, err))
    return wall, ru.ru_utime + ru.ru_stime


def main():
    cache = os.environ.get("TCPFLOW_BENCH_DIR", "/var/tmp/tcpflow-bench")
    ap = argparse.ArgumentParser(description="--shard cost against a full run")
    ap.add_argument("binary")
    ap.add_argument("--capture", default=os.path.join(cache, "bulk.pcap"))
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default="/dev/shm")
    ap.add_argument("--limit", type=float, default=0.40)
    a = ap.parse_args()
    if not os.path.exists(a.capture):
        sys.exit("bench_shard: %s is missing (tools/bench.py --only bulk makes it)" % a.capture)
    with open(a.capture, "rb") as f:
        while f.read(1 << 24):
            pass
    work = tempfile.mkdtemp(prefix="tcpflow-bench-shard.", dir=a.out)
    full, shard = [], []
    try:
        for run in range(a.runs):
            for kind in ("full", "shard"):
                out = os.path.join(work, "out")
                argv = [a.binary, "-q", "-r", a.capture, "-o", out]
                if kind == "shard":
                    argv[1:1] = ["--shard", "%d/%d" % (run % a.shards, a.shards)]
                subprocess.run(["sync"], check=False)
                wall, cpu = timed(argv)
                (full if kind == "full" else shard).append((wall, cpu))
                print("run %d %-5s %s: wall %.3f s, cpu %.3f s" % (run, kind, " ".join(argv[1:3]) if kind == "shard"
                                                                   else "", wall, cpu), flush=True)
                shutil.rmtree(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    fw, fc = statistics.median(w for w, _ in full), statistics.median(c for _, c in full)
    sw, sc = statistics.median(w for w, _ in shard), statistics.median(c for _, c in shard)
    print("capture %s (%.0f MB), %d runs each, medians:" % (a.capture, os.path.getsize(a.capture) / 1e6, a.runs))
    print("  full run:        wall %.3f s  cpu %.3f s" % (fw, fc))
    print("  shard 1/%d:       wall %.3f s  cpu %.3f s" % (a.shards, sw, sc))
    print("  shard/full:      wall %.1f%%  cpu %.1f%%  (limit %.0f%%)" % (100 * sw / fw, 100 * sc / fc, 100 * a.limit))
    return 0 if sw / fw < a.limit and sc / fc < a.limit else 1


if __name__ == "__main__":
    sys.exit(main())
