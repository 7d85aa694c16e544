#!/usr/bin/env python3
"""bench_netviz.py: what -e netviz costs on the bulk capture.

  tools/bench_netviz.py [BIN] [--pairs N] [--capture PCAP] [--out DIR] [--perf]

Runs BIN (default build/tcpflow) on the capture (default: tools/bench.py's cached bulk capture,
/var/tmp/tcpflow-bench/bulk.pcap) without and with -e netviz, alternating, N pairs (default 5),
output on tmpfs (default /dev/shm). Prints each run's CPU time (user + system, from wait4) and the
medians. With --perf each run goes under `perf record -F 4999` and the script also prints the
netviz code's share of the samples: the samples in its symbols (AddressCounter, TrafficStats,
TimeHistogram and their helpers) plus the growth of CaptureLoop::handle, where the netviz
prefetch is inlined, over the median of the runs without netviz; divided by the median samples
of the runs without netviz. That share is what to look at on a shared machine: the CPU time of
a whole run swings by more than 10% with the other work there, the samples in one's own code
much less.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess

from bench_run import run

NETVIZ = re.compile(r"AddressCounter|TrafficStats|TimeHistogram|add_port|merge_into")


def samples(data):
    """(all samples, samples in netviz symbols, samples in CaptureLoop::handle) of a perf file."""
    out = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "symbol", "-g", "none", "-n"],
                         capture_output=True, text=True, check=True).stdout
    total = nv = handle = 0
    for line in out.splitlines():
        m = re.match(r"\s+[\d.]+%\s+(\d+)\s+(.*)", line)
        if not m:
            continue
        n = int(m.group(1))
        total += n
        if NETVIZ.search(m.group(2)):
            nv += n
        if "CaptureLoop::handle" in m.group(2):
            handle += n
    return total, nv, handle


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("bin", nargs="?", default=os.path.join(root, "build", "tcpflow"))
    ap.add_argument("--pairs", type=int, default=5)
    ap.add_argument("--capture", default="/var/tmp/tcpflow-bench/bulk.pcap")
    ap.add_argument("--out", default="/dev/shm/tcpflow-bench-netviz")
    ap.add_argument("--perf", action="store_true", help="also the netviz code's share of perf samples")
    o = ap.parse_args()
    data = o.out + ".perf.data"
    res = {"off": [], "on": []}
    for i in range(o.pairs):
        for kind in (("off", "on") if i % 2 == 0 else ("on", "off")):
            shutil.rmtree(o.out, ignore_errors=True)
            cmd = [o.bin, "-r", o.capture, "-o", o.out] + (["-e", "netviz"] if kind == "on" else [])
            if o.perf:
                cmd = ["perf", "record", "-q", "-F", "4999", "-o", data, "--"] + cmd
            cpu, wall = run(cmd)
            s = samples(data) if o.perf else (0, 0, 0)
            res[kind].append((cpu, s))
            extra = f"  samples {s[0]}, netviz {s[1]}, handle {s[2]}" if o.perf else ""
            print(f"{kind:3s} cpu {cpu:6.2f} s  wall {wall:6.2f} s{extra}", flush=True)
    shutil.rmtree(o.out, ignore_errors=True)
    if os.path.exists(data):
        os.remove(data)
    cpu = {k: statistics.median(c for c, _ in v) for k, v in res.items()}
    print(f"median cpu: without {cpu['off']:.2f} s, with -e netviz {cpu['on']:.2f} s, "
          f"ratio {cpu['on'] / cpu['off']:.3f}")
    if o.perf:
        med = lambda kind, i: statistics.median(s[i] for _, s in res[kind])
        cost = med("on", 1) + max(0.0, med("on", 2) - med("off", 2))
        print(f"netviz code: {cost:.0f} samples of {med('off', 0):.0f} per run without it = "
              f"{100 * cost / med('off', 0):.1f}%")


if __name__ == "__main__":
    main()
