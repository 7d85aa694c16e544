#!/usr/bin/env python3
"""bench_flow_index.py: what --flow-index costs on the small-connections capture.

  tools/bench_flow_index.py [BIN] [--pairs N] [--capture PCAP] [--out DIR]

Runs BIN (default build/tcpflow) on the capture (default: tools/bench.py's cached small
capture, /var/tmp/tcpflow-bench/small.pcap) without and with --flow-index, alternating, N pairs
(default 5), output on tmpfs (default /dev/shm). Measures each run's CPU time (user + system,
from wait4) and wall time; prints the medians and the ratio. CPU time is used because the
machine is shared: other work changes the wall time of a run more than its CPU time.
"""
import argparse
import os
import shutil
import statistics
import time

from bench_run import run


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("bin", nargs="?", default=os.path.join(root, "build", "tcpflow"))
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--capture", default="/var/tmp/tcpflow-bench/small.pcap")
    ap.add_argument("--out", default="/dev/shm/tcpflow-bench-index")
    o = ap.parse_args()
    res = {"plain": [], "index": []}
    for i in range(o.pairs):
        for kind in (("plain", "index") if i % 2 == 0 else ("index", "plain")):
            shutil.rmtree(o.out, ignore_errors=True)
            cmd = [o.bin, "-r", o.capture, "-o", o.out] + (["--flow-index"] if kind == "index" else [])
            cpu, wall = run(cmd)
            res[kind].append((cpu, wall))
            print(f"{kind:5s} cpu {cpu:6.2f} s  wall {wall:6.2f} s", flush=True)
    shutil.rmtree(o.out, ignore_errors=True)
    cpu = {k: statistics.median(c for c, _ in v) for k, v in res.items()}
    wall = {k: statistics.median(w for _, w in v) for k, v in res.items()}
    print(f"median cpu: plain {cpu['plain']:.2f} s, index {cpu['index']:.2f} s, "
          f"ratio {cpu['index'] / cpu['plain']:.3f}")
    print(f"median wall: plain {wall['plain']:.2f} s, index {wall['index']:.2f} s, "
          f"ratio {wall['index'] / wall['plain']:.3f}")


if __name__ == "__main__":
    main()
