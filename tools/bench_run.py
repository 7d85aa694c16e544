"""bench_run.py: one timed run of a command for the small benchmark scripts (bench_netviz.py,
bench_flow_index.py): CPU time of the child (user + system, from wait4) and wall time."""

import os
import subprocess
import sys
import time


def run(cmd):
    """Runs `cmd` with its output discarded; exits naming it when it fails. Returns (cpu, wall)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("failed: " + " ".join(cmd))
    return ru.ru_utime + ru.ru_stime, wall
