#!/usr/bin/env python3
"""bench_progress.py BINARY CAPTURE RUNS: the cost of the progress line (docs/benchmark.md).

Runs BINARY -r CAPTURE -o /dev/shm/i18bench with standard output and error on a pseudo-terminal,
alternately with --progress and --no-progress, RUNS times each, and prints the CPU time (user +
system, from wait4) and wall time of each run, their medians and the difference.
"""
import os, pty, resource, shutil, subprocess, sys, threading, time, statistics
binary, pcap, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = "/dev/shm/i18bench"
res = {"progress": [], "no-progress": []}
wall = {"progress": [], "no-progress": []}
for i in range(runs):
    for mode in (["progress", "no-progress"] if i % 2 == 0 else ["no-progress", "progress"]):
        shutil.rmtree(out, ignore_errors=True)
        master, slave = pty.openpty()
        got = bytearray()
        def drain():
            while True:
                try:
                    b = os.read(master, 65536)
                except OSError:
                    return
                if not b: return
                got.extend(b)
        t = threading.Thread(target=drain); t.start()
        t0 = time.monotonic()
        p = subprocess.Popen([binary, "--" + mode, "-r", pcap, "-o", out], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
        _, status, ru = os.wait4(p.pid, 0)
        w = time.monotonic() - t0
        os.close(slave); t.join(); os.close(master)
        res[mode].append(ru.ru_utime + ru.ru_stime); wall[mode].append(w)
        draws = got.count(b"\r") 
        print(f"{mode:12s} cpu {ru.ru_utime+ru.ru_stime:.3f} s wall {w:.3f} s  (\\r in output: {draws})", flush=True)
shutil.rmtree(out, ignore_errors=True)
for m in res:
    print(m, "median cpu %.3f s, median wall %.3f s" % (statistics.median(res[m]), statistics.median(wall[m])))
a, b = statistics.median(res["progress"]), statistics.median(res["no-progress"])
print("progress line cost: %+.2f%% of CPU time" % ((a - b) / b * 100))
