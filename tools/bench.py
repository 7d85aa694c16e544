#!/usr/bin/env python3
"""End-to-end benchmark of tcpflow against tcpflow 1.6.1 and a plain copy (SPEC section 7).

Generates (once, cached) the two benchmark captures with ../shared/tools/genflows.py:

    bulk:  --conns 5000 --concurrent 1000 --resp 200000 --reorder 0.02 --retrans 0.01
           --ipv6 0.1 --vlan 0.05 --seed 2                      (about 1.05 GB)
    small: --conns 100000 --concurrent 5000 --req 300 --resp 3000 --seed 3

then, for each capture and each output place (tmpfs and disk), runs in turn, --runs times:
our binary (`BIN -r CAPTURE -o OUTDIR`), the reference tcpflow 1.6.1 (same command line),
the floor program (tools/bench_floor.c, built here with `cc -O2 -pthread` into a temporary
folder: it writes, from memory on two threads in 64 KiB writes, the same files with the same
sizes as our first run of that capture wrote) and `dd if=CAPTURE of=PLACE/copy bs=4M` (the
physical floor for writing that many bytes there).
Each run is a fresh child process; wall time comes from a monotonic clock around it and peak
resident memory from /usr/bin/time's %M for that child alone. Outputs are removed between runs
(untimed) and the file system is synced before each timed run, so no run pays for the previous
one's writeback. The capture is read once beforehand so every run reads it from the page cache.

Every output of our binary is checked with checkflows.py against the capture's manifest; a
failure (or a non-zero exit status) makes this script exit 1. The reference's output is checked
once per capture and place and only reported: 1.6.1 is expected to fail some checks.

Prints a table of medians; --json FILE also writes every measurement.
Standard library only.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CAPTURES = {
    "bulk": "--conns 5000 --concurrent 1000 --resp 200000 --reorder 0.02 --retrans 0.01 "
            "--ipv6 0.1 --vlan 0.05 --seed 2",
    "small": "--conns 100000 --concurrent 5000 --req 300 --resp 3000 --seed 3",
}
QUICK = {
    "bulk": "--conns 500 --concurrent 100 --resp 200000 --reorder 0.02 --retrans 0.01 "
            "--ipv6 0.1 --vlan 0.05 --seed 2",
    "small": "--conns 10000 --concurrent 1000 --req 300 --resp 3000 --seed 3",
}

# SPEC section 7 targets (reported, never fatal).
TARGET_BULK_TMPFS_OVER_DD = 1.2
TARGET_BULK_DISK_OVER_DD = 1.5
TARGET_OVER_FLOOR = 1.3
TARGET_BULK_SPEEDUP = 3.0
TARGET_SMALL_SPEEDUP = 3.0
TARGET_SMALL_CONNS_PER_S = 50_000
TARGET_RSS_MIB = 64


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def fs_type(path: str) -> str:
    """File system type of the mount holding `path` (longest matching mount point)."""
    return mount_of(path)[0]


def mount_of(path: str) -> tuple[str, str]:
    """(type, options) of the mount holding `path` (longest matching mount point)."""
    path = os.path.realpath(path)
    best, kind, mopts = "", "?", ""
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 3:
                continue
            mnt = parts[1].replace("\\040", " ")
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                best, kind, mopts = mnt, parts[2], parts[3] if len(parts) > 3 else ""
    return kind, mopts


def find_tools(opt: str | None) -> str:
    candidates = [opt] if opt else []
    if os.environ.get("TCPFLOW_SHARED_TOOLS"):
        candidates.append(os.environ["TCPFLOW_SHARED_TOOLS"])
    candidates.append(os.path.join(REPO, "..", "shared", "tools"))
    for c in candidates:
        if c and os.path.isfile(os.path.join(c, "genflows.py")) and os.path.isfile(os.path.join(c, "checkflows.py")):
            return os.path.realpath(c)
    sys.exit("bench: genflows.py/checkflows.py not found (looked in %s); use --tools DIR" % ", ".join(candidates))


def ensure_capture(cache: str, tools: str, name: str, args: str) -> tuple[str, str]:
    """Returns (pcap, manifest), generating them unless cached with the same arguments."""
    pcap, man, stamp = (os.path.join(cache, name + ext) for ext in (".pcap", ".man", ".args"))
    if all(os.path.exists(p) for p in (pcap, man, stamp)):
        with open(stamp) as f:
            if f.read().strip() == args:
                return pcap, man
    log("bench: generating %s capture (genflows.py %s) ..." % (name, args))
    t0 = time.monotonic()
    cmd = [sys.executable, os.path.join(tools, "genflows.py"), pcap + ".tmp", "--manifest", man + ".tmp"] + args.split()
    subprocess.run(cmd, check=True)
    os.replace(man + ".tmp", man)
    os.replace(pcap + ".tmp", pcap)
    with open(stamp, "w") as f:
        f.write(args + "\n")
    log("bench: generated %s in %.0f s" % (pcap, time.monotonic() - t0))
    return pcap, man


def count_connections(manifest: str) -> int:
    conns = set()
    with open(manifest) as f:
        for line in f:
            if line.strip():
                conns.add(line.split(None, 1)[0])
    return len(conns)


FLOOR_SOURCE = os.path.join(REPO, "tools", "bench_floor.c")


def build_floor(tmp: str) -> str | None:
    """Compiles tools/bench_floor.c into `tmp`; None (and a note) when there is no C compiler."""
    exe = os.path.join(tmp, "bench_floor")
    cc = os.environ.get("CC", "cc")
    r = subprocess.run([cc, "-O2", "-pthread", "-o", exe, FLOOR_SOURCE], capture_output=True, text=True)
    if r.returncode != 0:
        log("bench: cannot build the floor program (%s): %s" % (cc, r.stderr.strip()[-300:]))
        return None
    return exe


def write_file_list(outdir: str, list_path: str) -> int:
    """Lists every file under `outdir` as "SIZE NAME" (NAME relative to it); returns the count."""
    n = 0
    with open(list_path, "w") as f:
        for top, _, files in os.walk(outdir):
            for name in files:
                path = os.path.join(top, name)
                f.write("%d %s\n" % (os.path.getsize(path), os.path.relpath(path, outdir)))
                n += 1
    return n


def ensure_gzip(pcap: str) -> str:
    """PCAP.gz (gzip -6) next to the capture, made once and remade when the capture is newer."""
    gz = pcap + ".gz"
    if not os.path.exists(gz) or os.path.getmtime(gz) < os.path.getmtime(pcap):
        log("bench: compressing %s ..." % pcap)
        with open(gz + ".tmp", "wb") as out:
            subprocess.run(["gzip", "-c", pcap], stdout=out, check=True)
        os.replace(gz + ".tmp", gz)
    return gz


def bench_gzip(ours: str, args: list[str], pcap: str, man: str, root: str, runs: int, tools: str, scratch: str) -> tuple[dict, bool]:
    """Ours reading PCAP.gz against `zcat PCAP.gz | ours -r -`, alternating, output on `root`."""
    gz = ensure_gzip(pcap)
    warm(gz)
    out = os.path.join(root, "out-gz")
    progs = [("ours .gz", [ours] + args + ["-r", gz, "-o", out]),
             ("zcat | ours", ["/bin/sh", "-c", 'b=$0 gz=$1 out=$2; shift 2; zcat "$gz" | "$b" "$@" -r - -o "$out"',
                              ours, gz, out] + args)]
    runs_of: dict[str, list[dict]] = {p: [] for p, _ in progs}
    failed = False
    for i in range(runs):
        for prog, cmd in progs:
            remove(out)
            m = timed(cmd, False, scratch)
            ok, summary = checkflows(tools, out, man)
            if m["status"] != 0 or not ok:
                failed = True
                log("bench: gzip %s FAILED: exit %d, %s" % (prog, m["status"], summary))
            runs_of[prog].append(m)
            log("bench: gzip  %-11s run %d %7.3f s %7.1f MiB" % (prog, i + 1, m["wall"], m["rss_kib"] / 1024))
            remove(out)
    return {"gzip_bytes": os.path.getsize(gz), "bytes": os.path.getsize(pcap),
            "median_s": {p: median([m["wall"] for m in r]) for p, r in runs_of.items()},
            "median_cpu_s": {p: median([m["cpu"] for m in r]) for p, r in runs_of.items()},
            "peak_rss_mib": {p: max(m["rss_kib"] for m in r) / 1024 for p, r in runs_of.items()}}, failed


def warm(path: str) -> None:
    with open(path, "rb") as f:
        while f.read(1 << 22):
            pass


def remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)


TIME = "/usr/bin/time"


def timed(cmd: list[str], sync_after: bool, scratch: str) -> dict:
    """Runs cmd as a fresh child; returns wall seconds, peak RSS (KiB), CPU seconds, status.

    Peak RSS comes from /usr/bin/time (%M): it forks from a tiny process, whereas the rusage of a
    child forked from this Python interpreter would count the interpreter's pages before exec.
    Without /usr/bin/time (package `time`) the wait4() rusage is used and over-counts by about
    Python's size.
    """
    use_time = os.access(TIME, os.X_OK)
    tfile = os.path.join(scratch, "time.out")
    full = [TIME, "-f", "%M %U %S", "-o", tfile, "--"] + cmd if use_time else cmd
    os.sync()
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except OSError as e:
        return {"wall": float("nan"), "rss_kib": 0, "cpu": 0.0, "status": 127, "stderr": str(e)}
    err = proc.stderr.read() if proc.stderr else b""
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if sync_after:
        os.sync()
        wall = time.perf_counter() - t0
    rss, cpu = ru.ru_maxrss, ru.ru_utime + ru.ru_stime
    if use_time:
        try:
            with open(tfile) as f:
                last = f.read().strip().splitlines()[-1].split()
            rss, cpu = int(last[0]), float(last[1]) + float(last[2])
        except (OSError, IndexError, ValueError):
            pass
        if os.path.exists(tfile):
            os.unlink(tfile)
    return {"wall": wall, "rss_kib": rss, "cpu": cpu, "status": proc.returncode,
            "stderr": err.decode(errors="replace")[-2000:]}


def checkflows(tools: str, outdir: str, manifest: str) -> tuple[bool, str]:
    r = subprocess.run([sys.executable, os.path.join(tools, "checkflows.py"), outdir, manifest],
                       capture_output=True, text=True)
    lines = r.stdout.strip().splitlines()
    summary = lines[-1] if lines else "(no output) " + r.stderr.strip()[-200:]
    if r.returncode != 0:
        firsts = [l for l in lines if l.startswith("FAIL")][:3]
        summary += ("; " + "; ".join(firsts)) if firsts else ""
    return r.returncode == 0, summary


def median(xs: list[float]) -> float:
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def fmt(x: float, digits: int = 2) -> str:
    if x != x or x is None:
        return "-"
    return "%.*f" % (digits, x)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bin", nargs="?", help="our tcpflow binary (default: build/tcpflow in the repository)")
    ap.add_argument("--bin", dest="bin_opt", help="same as the positional argument")
    ap.add_argument("--ref", default="/usr/bin/tcpflow", help="reference tcpflow 1.6.1 (default %(default)s)")
    ap.add_argument("--no-reference", action="store_true", help="do not run the reference")
    ap.add_argument("--no-floor", action="store_true", help="do not build and run the floor program")
    ap.add_argument("--gzip", action="store_true",
                    help="also the bulk capture gzip-compressed (made once, next to it): ours reading it "
                         "against `zcat | ours -r -`, on tmpfs")
    ap.add_argument("--runs", type=int, default=3, help="runs of each program per capture and place (default 3)")
    ap.add_argument("--quick", action="store_true", help="small captures (bulk 500, small 10,000 connections) for a smoke run")
    ap.add_argument("--only", choices=["bulk", "small"], help="run one capture only")
    ap.add_argument("--places", default="tmpfs,disk", help="comma list of tmpfs, disk (default %(default)s)")
    ap.add_argument("--args", default="", help="extra arguments for our binary only, e.g. '-j 2'")
    ap.add_argument("--sync", action="store_true", help="include a sync() after each run in its time (disk writeback)")
    ap.add_argument("--cache", default=os.environ.get("TCPFLOW_BENCH_DIR", "/var/tmp/tcpflow-bench"),
                    help="where captures are cached (TCPFLOW_BENCH_DIR; default %(default)s)")
    ap.add_argument("--tmpfs", help="tmpfs folder for outputs (default /dev/shm, else a tmpfs mounted under the cache)")
    ap.add_argument("--disk", help="disk folder for outputs (default CACHE/out, must not be tmpfs)")
    ap.add_argument("--tools", help="folder holding genflows.py and checkflows.py (default ../shared/tools)")
    ap.add_argument("--json", help="also write every measurement to this file")
    opts = ap.parse_args()

    ours = opts.bin_opt or opts.bin or os.path.join(REPO, "build", "tcpflow")
    ours = os.path.abspath(ours)
    if not os.access(ours, os.X_OK):
        sys.exit("bench: %s is not an executable (build it, or pass its path)" % ours)
    ref = None if opts.no_reference else os.path.abspath(opts.ref)
    if ref and not os.access(ref, os.X_OK):
        log("bench: reference %s not found; running without it" % ref)
        ref = None
    if opts.runs < 1:
        sys.exit("bench: --runs must be at least 1")
    tools = find_tools(opts.tools)
    os.makedirs(opts.cache, exist_ok=True)
    table = QUICK if opts.quick else CAPTURES
    names = [opts.only] if opts.only else ["bulk", "small"]

    # Output places.
    places: dict[str, str] = {}
    mounted = None
    wanted = [p.strip() for p in opts.places.split(",") if p.strip()]
    for p in wanted:
        if p not in ("tmpfs", "disk"):
            sys.exit("bench: unknown place %r (tmpfs, disk)" % p)
    if "tmpfs" in wanted:
        base = opts.tmpfs
        if not base:
            if fs_type("/dev/shm") == "tmpfs":
                base = "/dev/shm"
            else:
                base = os.path.join(opts.cache, "tmpfs")
                os.makedirs(base, exist_ok=True)
                if fs_type(base) != "tmpfs":
                    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8g", "tcpflow-bench", base], check=True)
                    mounted = base
        if fs_type(base) != "tmpfs":
            log("bench: warning: %s is %s, not tmpfs" % (base, fs_type(base)))
        places["tmpfs"] = os.path.join(base, "tcpflow-bench-%d" % os.getpid())
    if "disk" in wanted:
        base = opts.disk or os.path.join(opts.cache, "out")
        os.makedirs(base, exist_ok=True)
        if fs_type(base) in ("tmpfs", "ramfs"):
            log("bench: warning: disk place %s is on %s" % (base, fs_type(base)))
        if "discard" in mount_of(base)[1].split(","):
            log("bench: note: %s is mounted with 'discard': removing outputs between runs is slow "
                "(minutes for the small capture's 200,000 files); it is not timed" % base)
        places["disk"] = base

    results = []
    gz_result = None
    failed = False
    scratch = tempfile.mkdtemp(prefix="tcpflow-bench-")
    floor = None if opts.no_floor else build_floor(scratch)
    try:
        for name in names:
            pcap, man = ensure_capture(opts.cache, tools, name + ("-quick" if opts.quick else ""), table[name])
            size = os.path.getsize(pcap)
            conns = count_connections(man)
            warm(pcap)
            for place, root in places.items():
                os.makedirs(root, exist_ok=True)
                out_ours, out_ref, copy = (os.path.join(root, n) for n in ("out-ours", "out-ref", "copy"))
                out_floor = os.path.join(root, "out-floor")
                files_list = os.path.join(scratch, name + ".files")
                programs = [("ours", [ours] + opts.args.split() + ["-r", pcap, "-o", out_ours], out_ours)]
                if ref:
                    programs.append(("1.6.1", [ref, "-r", pcap, "-o", out_ref], out_ref))
                if floor:
                    programs.append(("floor", [floor, files_list, out_floor], out_floor))
                programs.append(("dd", ["dd", "if=" + pcap, "of=" + copy, "bs=4M"], copy))
                runs: dict[str, list[dict]] = {p: [] for p, _, _ in programs}
                ref_check = None
                # On disk (ext4), creating files soon after deleting many is slow: the inode
                # allocator skips recently deleted inodes, reading the inode table for each (seen
                # here: 6 s of system time instead of 1 s for the bulk capture's 10,000 files).
                # So every disk run writes a folder of its own and all are removed at the end.
                defer = place == "disk"
                leftovers: list[str] = []
                for i in range(opts.runs):
                    for prog, base_cmd, base_out in programs:
                        out = base_out + ("-%d" % i if defer else "")
                        cmd = [a.replace(base_out, out) if a in (base_out, "of=" + base_out) else a for a in base_cmd]
                        remove(out)
                        m = timed(cmd, opts.sync, opts.cache)
                        note = ""
                        if prog == "ours":
                            if m["status"] != 0:
                                failed = True
                                note = "exit %d: %s" % (m["status"], m["stderr"].strip()[-300:])
                            ok, summary = checkflows(tools, out, man)
                            m["check"] = summary
                            if i == 0 and floor:
                                m["files"] = write_file_list(out, files_list)
                            if not ok:
                                failed = True
                                note += (" " if note else "") + "checkflows FAILED: " + summary
                        elif prog == "floor" and m["status"] != 0:
                            note = "exit %d: %s" % (m["status"], m["stderr"].strip()[-300:])
                        elif prog == "1.6.1":
                            if m["status"] != 0:
                                note = "exit %d: %s" % (m["status"], m["stderr"].strip()[-300:])
                            if ref_check is None:
                                ok, ref_check = checkflows(tools, out, man)
                                m["check"] = ref_check
                        runs[prog].append(m)
                        log("bench: %-5s %-5s run %d %-5s %7.3f s %7.1f MiB%s" % (
                            name, place, i + 1, prog, m["wall"], m["rss_kib"] / 1024, ("  " + note) if note else ""))
                        if defer:
                            leftovers.append(out)
                        else:
                            remove(out)
                for out in leftovers:
                    remove(out)
                row = {"capture": name, "place": place, "bytes": size, "connections": conns,
                       "runs": runs, "reference_check": ref_check}
                for prog in runs:
                    row[prog] = {"median_s": median([m["wall"] for m in runs[prog]]),
                                 "peak_rss_mib": max(m["rss_kib"] for m in runs[prog]) / 1024,
                                 "median_cpu_s": median([m["cpu"] for m in runs[prog]])}
                results.append(row)
                if place == "tmpfs" and opts.gzip and name == "bulk":
                    gz_result, gz_failed = bench_gzip(ours, opts.args.split(), pcap, man, root, opts.runs, tools, scratch)
                    failed = failed or gz_failed
                if place == "tmpfs":
                    shutil.rmtree(root, ignore_errors=True)
    finally:
        if mounted:
            subprocess.run(["umount", mounted])
        shutil.rmtree(scratch, ignore_errors=True)

    # Table.
    hdr = ["capture", "place", "MB", "ours s", "1.6.1 s", "dd s", "floor s", "ours MB/s", "1.6.1 MB/s",
           "ours conn/s", "1.6.1 conn/s", "ours MiB", "1.6.1 MiB", "1.6.1/ours", "ours/dd", "ours/floor"]
    rows = []
    for r in results:
        mb = r["bytes"] / 1e6
        o = r["ours"]["median_s"]
        f = r.get("1.6.1", {}).get("median_s", float("nan"))
        d = r["dd"]["median_s"]
        fl = r.get("floor", {}).get("median_s", float("nan"))
        rows.append([r["capture"], r["place"], fmt(mb, 0), fmt(o), fmt(f), fmt(d), fmt(fl),
                     fmt(mb / o, 0), fmt(mb / f, 0), fmt(r["connections"] / o, 0), fmt(r["connections"] / f, 0),
                     fmt(r["ours"]["peak_rss_mib"], 1), fmt(r.get("1.6.1", {}).get("peak_rss_mib", float("nan")), 1),
                     fmt(f / o), fmt(o / d), fmt(o / fl)])
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(hdr)]
    print()
    print("ours: %s %s" % (ours, opts.args))
    if ref:
        print("1.6.1: %s" % ref)
    print("places: " + ", ".join("%s=%s (%s)" % (k, v, fs_type(os.path.dirname(v) if k == "tmpfs" else v))
                                 for k, v in places.items()))
    print("medians of %d runs; MiB = peak resident memory (largest run); floor = %s"
          % (opts.runs, "tools/bench_floor.c (the files of ours' first run, from memory, 2 threads)" if floor else "not run"))
    print("  ".join(h.rjust(w) for h, w in zip(hdr, widths)))
    for row in rows:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))
    print()
    for r in results:
        checks = sorted({m.get("check", "") for m in r["runs"]["ours"]})
        print("checkflows %s/%s ours: %s" % (r["capture"], r["place"], " | ".join(checks)))
        if r["reference_check"] is not None:
            print("checkflows %s/%s 1.6.1 (reported only): %s" % (r["capture"], r["place"], r["reference_check"]))

    if gz_result:
        o, z = gz_result["median_s"]["ours .gz"], gz_result["median_s"]["zcat | ours"]
        print("gzip bulk (%.0f MB compressed, %.0f MB): ours %.2f s (%.0f MB/s of compressed input, %.0f MB/s of "
              "capture, %.1f MiB), zcat | ours -r - %.2f s (%.1f MiB); (zcat | ours)/ours %.2f"
              % (gz_result["gzip_bytes"] / 1e6, gz_result["bytes"] / 1e6, o, gz_result["gzip_bytes"] / 1e6 / o,
                 gz_result["bytes"] / 1e6 / o, gz_result["peak_rss_mib"]["ours .gz"], z,
                 gz_result["peak_rss_mib"]["zcat | ours"], z / o))

    # SPEC section 7 targets.
    if not opts.quick:
        print()
        print("SPEC section 7 targets:")

        def line(ok: bool, text: str) -> None:
            print("  [%s] %s" % ("ok" if ok else "MISSED", text))

        for r in results:
            o, d = r["ours"]["median_s"], r["dd"]["median_s"]
            f = r.get("1.6.1", {}).get("median_s", float("nan"))
            fl = r.get("floor", {}).get("median_s", float("nan"))
            key = (r["capture"], r["place"])
            if key == ("bulk", "tmpfs"):
                line(o <= TARGET_BULK_TMPFS_OVER_DD * d, "bulk tmpfs: ours/dd %.2f <= %.1f" % (o / d, TARGET_BULK_TMPFS_OVER_DD))
            if key == ("bulk", "disk"):
                line(o <= TARGET_BULK_DISK_OVER_DD * d, "bulk disk: ours/dd %.2f <= %.1f" % (o / d, TARGET_BULK_DISK_OVER_DD))
            if r["place"] == "tmpfs" and fl == fl:
                line(o <= TARGET_OVER_FLOOR * fl, "%s tmpfs: ours/floor %.2f <= %.1f" % (r["capture"], o / fl, TARGET_OVER_FLOOR))
            if key == ("bulk", "tmpfs") and f == f:
                line(f >= TARGET_BULK_SPEEDUP * o, "bulk tmpfs: 1.6.1/ours %.2f >= %.0f" % (f / o, TARGET_BULK_SPEEDUP))
            if r["capture"] == "small" and f == f:
                line(f >= TARGET_SMALL_SPEEDUP * o, "small %s: 1.6.1/ours %.2f >= %.0f" % (r["place"], f / o, TARGET_SMALL_SPEEDUP))
            if key == ("small", "tmpfs"):
                cps = r["connections"] / o
                line(cps >= TARGET_SMALL_CONNS_PER_S, "small tmpfs: %.0f connections/s >= %d" % (cps, TARGET_SMALL_CONNS_PER_S))
            rss = r["ours"]["peak_rss_mib"]
            line(rss < TARGET_RSS_MIB, "%s %s: peak RSS %.1f MiB < %d" % (r["capture"], r["place"], rss, TARGET_RSS_MIB))

    if opts.json:
        with open(opts.json, "w") as f:
            json.dump({"ours": ours, "args": opts.args, "reference": ref, "runs": opts.runs,
                       "quick": opts.quick, "places": places, "results": results, "gzip": gz_result}, f, indent=1)
    if failed:
        print("\nbench: our binary's output FAILED (see above)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
