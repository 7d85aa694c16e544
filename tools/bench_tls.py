#!/usr/bin/env python3
"""Speed of --tls-keylog: a 1 GiB TLS 1.3 AES-128-GCM transfer (16 KiB records) captured on tmpfs.

    tools/bench_tls.py [--tcpflow build/tcpflow] [--dir /dev/shm/tcpflow-bench-tls] [--runs 3] [--keep]

As root: tools/tls_capture.py makes the capture (case bench_1g: a real TLS stack over loopback in a
network namespace, tcpdump) unless DIR already holds it; then `tcpflow -r` runs with and without
--tls-keylog, alternating, each RUNS times, output on the same tmpfs; the best and the median wall and CPU
times and their ratios are printed (the issue's target: at most 2). The .tls file is checked against what the server wrote.
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def timed(cmd):
    """(wall seconds, CPU seconds: user + system) of one run of cmd."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if r.returncode != 0:
        sys.exit("bench_tls: %s failed: %s" % (" ".join(cmd), r.stderr.decode(errors="replace")))
    return dt, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tcpflow", default=os.path.join(HERE, "..", "build", "tcpflow"))
    p.add_argument("--dir", default="/dev/shm/tcpflow-bench-tls")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--keep", action="store_true", help="keep DIR (the capture) afterwards")
    a = p.parse_args()
    cap = os.path.join(a.dir, "cap")
    if not os.path.exists(os.path.join(cap, "manifest.txt")):
        shutil.rmtree(cap, ignore_errors=True)
        r = subprocess.run([sys.executable, os.path.join(HERE, "tls_capture.py"), cap, "--cases", "bench_1g"])
        if r.returncode != 0:
            sys.exit(r.returncode)
    pcap, keys = os.path.join(cap, "tls.pcap"), os.path.join(cap, "keys.log")
    out = os.path.join(a.dir, "out")
    times = {"plain": [], "tls": []}
    # Alternating, so a machine whose speed drifts during the run weighs on both the same.
    for _ in range(a.runs):
        for label, extra in (("plain", []), ("tls", ["--tls-keylog", keys])):
            shutil.rmtree(out, ignore_errors=True)
            os.makedirs(out)
            times[label].append(timed([a.tcpflow, "-r", pcap, "-o", out] + extra))
    best = {k: (min(t[0] for t in v), min(t[1] for t in v)) for k, v in times.items()}
    median = {k: (statistics.median(t[0] for t in v), statistics.median(t[1] for t in v)) for k, v in times.items()}
    tls_files = [f for f in os.listdir(out) if f.endswith(".tls")]
    server = os.path.join(cap, "bench_1g", "0.server.bin")
    same = any(os.path.getsize(os.path.join(out, f)) == os.path.getsize(server) and
               subprocess.run(["cmp", "-s", os.path.join(out, f), server]).returncode == 0 for f in tls_files)
    size = os.path.getsize(pcap)
    print("capture: %s (%.2f GB)" % (pcap, size / 1e9))
    for kind, t in (("best", best), ("median", median)):
        for label, name in (("plain", "tcpflow -r             "), ("tls", "tcpflow -r --tls-keylog")):
            print("%-6s %s: wall %.2f s (%.2f GB/s), CPU %.2f s" % (kind, name, t[label][0], size / 1e9 / t[label][0],
                                                                   t[label][1]))
        print("%-6s ratio with/without: wall %.2f, CPU %.2f (target <= 2)" %
              (kind, t["tls"][0] / t["plain"][0], t["tls"][1] / t["plain"][1]))
    print("plaintext equals what the server wrote: %s" % ("yes" if same else "NO"))
    shutil.rmtree(out, ignore_errors=True)
    if not a.keep:
        shutil.rmtree(a.dir, ignore_errors=True)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
