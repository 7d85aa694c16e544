#!/usr/bin/env python3
"""Live-capture benchmark of tcpflow against tcpflow 1.6.1 (SPEC section 7, live).

Needs root, iproute2, tcpreplay, and gcc with libpcap-dev (for the 1.6.1 drop counter below).
Makes two network namespaces joined by a veth pair (tx: tfb0 198.18.0.1/24, rx: tfb1
198.18.0.2/24; RFC 2544 benchmarking addresses, IPv6 off); every packet stays between them and
both are deleted at the end, also after an error or Ctrl-C. The capturing program runs in rx on
tfb1, with its output on a tmpfs (/dev/shm). In the same run, for our binary and for 1.6.1
(/usr/bin/tcpflow), in turn:

1. replay: a genflows.py capture (cached; bigger than our 32 MiB ring) is replayed from tx with
   `tcpreplay -M RATE` (50, 100, 200, 400 Mbit/s) and `-t` (top speed). When the output has
   stopped growing, the program gets SIGTERM; kernel drops come from its last lines on standard
   error (`N packets received by filter, N dropped by kernel`): ours prints them; 1.6.1 does not,
   so it runs with a small LD_PRELOAD library that prints pcap_stats() when the capture is closed
   or the process exits. checkflows.py then says whether every file is exact. The same capture is
   also read with `-r` once per program (the files both programs write when nothing is lost).
2. latency: a client in tx types a line every --interval-ms (at random within +-50%, so the lines
   do not keep one phase against the kernel's block timer) on a TCP connection to a server in
   rx; the time from send() until the flow file holds the line is measured by polling the file's
   size in a tight loop (0.1 ms sleeps). Quiet (only that connection on the interface) and with a
   100 Mbit/s background replay of the capture.
3. conns: --conns interactive connections (default 300) open at once, each typing --conn-lines
   lines at random moments over a few seconds and getting a one-line answer to each, then
   closing; kernel drops and the number of exact files (both directions of each connection).

Prints one table per part; --json FILE writes every measurement. Each step has a time limit.
Standard library only (ctypes for setns).
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# ~121 MB, 2,500 connections in order (no reordering or retransmission: with nothing lost, both
# programs write every file exactly, so a failed file is a lost packet).
CAPTURE = "--conns 2500 --concurrent 250 --req 400 --resp 48000 --seed 11"
QUICK_CAPTURE = "--conns 300 --concurrent 60 --req 400 --resp 48000 --seed 11"
TX_ADDR, RX_ADDR = "198.18.0.1", "198.18.0.2"
CLONE_NEWNET = 0x40000000
STATS_RE = re.compile(r"(\d+) packets received by filter, (\d+) dropped by kernel")

SHIM_C = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pcap/pcap.h>
#include <stdio.h>
/* Prints the capture's pcap_stats() when it is closed or the process exits (tcpflow 1.6.1 does
   not say how many packets the kernel dropped). */
static pcap_t *live;
static void report(pcap_t *p) {
    struct pcap_stat st;
    if (p && pcap_stats(p, &st) == 0)
        fprintf(stderr, "bench-shim: %u packets received by filter, %u dropped by kernel, %u dropped by interface\n",
                st.ps_recv, st.ps_drop, st.ps_ifdrop);
}
pcap_t *pcap_open_live(const char *dev, int snaplen, int promisc, int to_ms, char *errbuf) {
    pcap_t *(*real)(const char *, int, int, int, char *) = (pcap_t *(*)(const char *, int, int, int, char *))dlsym(RTLD_NEXT, "pcap_open_live");
    pcap_t *p = real(dev, snaplen, promisc, to_ms, errbuf);
    if (p) live = p;
    return p;
}
int pcap_activate(pcap_t *p) {
    int (*real)(pcap_t *) = (int (*)(pcap_t *))dlsym(RTLD_NEXT, "pcap_activate");
    int rc = real(p);
    if (rc >= 0) live = p;
    return rc;
}
void pcap_close(pcap_t *p) {
    void (*real)(pcap_t *) = (void (*)(pcap_t *))dlsym(RTLD_NEXT, "pcap_close");
    if (p && p == live) { report(p); live = NULL; }
    real(p);
}
__attribute__((destructor)) static void at_exit(void) { if (live) report(live); live = NULL; }
"""

_children: list[subprocess.Popen] = []


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run(cmd: list[str], timeout: float = 30, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=check)


def spawn(cmd: list[str], **kw) -> subprocess.Popen:
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, **kw)
    _children.append(p)
    return p


def end(p: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 60) -> int:
    """Stops one child we started (by its pid) and waits; SIGKILL after `timeout`."""
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    if p in _children:
        _children.remove(p)
    return p.returncode


# ---------------------------------------------------------------------------------------------
# Two namespaces and a veth pair.

class Namespaces:
    def __init__(self) -> None:
        tag = str(os.getpid())
        self.tx, self.rx = "tfbench-tx-" + tag, "tfbench-rx-" + tag
        self.made: list[str] = []
        self.libc = ctypes.CDLL("libc.so.6", use_errno=True)

    def up(self) -> None:
        for ns in (self.tx, self.rx):
            run(["ip", "netns", "add", ns])
            self.made.append(ns)
            # No IPv6 (router solicitations, MLD): only our packets on the link.
            run(["ip", "netns", "exec", ns, "sh", "-c",
                 "for f in all default; do echo 1 > /proc/sys/net/ipv6/conf/$f/disable_ipv6; done 2>/dev/null; true"])
            run(["ip", "-n", ns, "link", "set", "lo", "up"])
        run(["ip", "-n", self.tx, "link", "add", "tfb0", "type", "veth", "peer", "name", "tfb1", "netns", self.rx])
        for ns, dev, addr in ((self.tx, "tfb0", TX_ADDR), (self.rx, "tfb1", RX_ADDR)):
            run(["ip", "-n", ns, "addr", "add", addr + "/24", "dev", dev])
            run(["ip", "-n", ns, "link", "set", dev, "up"])

    def down(self) -> None:
        for ns in reversed(self.made):
            run(["ip", "netns", "del", ns], check=False)
        self.made.clear()

    def exec(self, ns: str) -> list[str]:
        return ["ip", "netns", "exec", ns]

    @contextmanager
    def entered(self, ns: str):
        """This thread in namespace `ns` (sockets made meanwhile stay in it), then back."""
        orig = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open("/var/run/netns/" + ns, os.O_RDONLY)
        try:
            if self.libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns " + ns)
            try:
                yield
            finally:
                if self.libc.setns(orig, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns back")
        finally:
            os.close(target)
            os.close(orig)


# ---------------------------------------------------------------------------------------------
# The programs under test.

class Tool:
    def __init__(self, name: str, binary: str, shim: str | None) -> None:
        self.name, self.binary, self.shim = name, binary, shim

    def live_cmd(self, nets: Namespaces, outdir: str) -> list[str]:
        pre = ["env", "LD_PRELOAD=" + self.shim] if self.shim else []
        return nets.exec(nets.rx) + pre + [self.binary, "-i", "tfb1", "-o", outdir]


class Capture:
    """One program capturing on tfb1 until stop()."""

    def __init__(self, tool: Tool, nets: Namespaces, outdir: str) -> None:
        os.makedirs(outdir)
        self.outdir = outdir
        self.err_path = outdir + ".err"
        with open(self.err_path, "w") as err:
            self.proc = spawn(tool.live_cmd(nets, outdir), stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 10
        while "listening on" not in self.err():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                end(self.proc, signal.SIGKILL)
                raise RuntimeError("%s did not start: %s" % (tool.name, self.err()[-500:]))
            time.sleep(0.01)

    def err(self) -> str:
        with open(self.err_path, errors="replace") as f:
            return f.read()

    def settle(self, quiet: float = 0.5, limit: float = 60) -> None:
        """Waits until the output folder stops growing (quiet seconds) or `limit` passes."""
        t0 = time.monotonic()
        last, since = -1, t0
        while time.monotonic() - t0 < limit:
            total = 0
            with os.scandir(self.outdir) as it:
                for e in it:
                    try:
                        total += e.stat().st_size
                    except FileNotFoundError:
                        pass
            now = time.monotonic()
            if total != last:
                last, since = total, now
            elif now - since >= quiet:
                return
            time.sleep(0.1)

    def stop(self) -> dict:
        rc = end(self.proc, signal.SIGTERM, 60)
        err = self.err()
        m = STATS_RE.findall(err)
        os.unlink(self.err_path)
        return {"status": rc, "received": int(m[-1][0]) if m else None, "dropped": int(m[-1][1]) if m else None,
                "stderr": err[-400:]}


def build_shim(cache: str) -> str | None:
    src, lib = os.path.join(cache, "pcapstats_shim.c"), os.path.join(cache, "pcapstats_shim.so")
    with open(src, "w") as f:
        f.write(SHIM_C)
    r = subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", lib, src, "-ldl", "-lpcap"], capture_output=True, text=True)
    if r.returncode != 0:
        log("bench_live: cannot build the pcap_stats library for 1.6.1 (its drops will show as ?): " + r.stderr[-300:])
        return None
    return lib


# ---------------------------------------------------------------------------------------------

def find_tools(opt: str | None) -> str:
    for c in [opt, os.environ.get("TCPFLOW_SHARED_TOOLS"), os.path.join(REPO, "..", "shared", "tools")]:
        if c and os.path.isfile(os.path.join(c, "genflows.py")) and os.path.isfile(os.path.join(c, "checkflows.py")):
            return os.path.realpath(c)
    sys.exit("bench_live: genflows.py/checkflows.py not found; use --tools DIR")


def ensure_capture(cache: str, tools: str, args: str) -> tuple[str, str]:
    key = re.sub(r"[^0-9a-z]+", "-", args.lower()).strip("-")
    pcap, man = os.path.join(cache, "live-%s.pcap" % key), os.path.join(cache, "live-%s.man" % key)
    if not (os.path.exists(pcap) and os.path.exists(man)):
        log("bench_live: generating the capture (genflows.py %s) ..." % args)
        subprocess.run([sys.executable, os.path.join(tools, "genflows.py"), pcap + ".tmp", "--manifest", man + ".tmp"]
                       + args.split(), check=True, stdout=subprocess.DEVNULL)
        os.replace(man + ".tmp", man)
        os.replace(pcap + ".tmp", pcap)
    return pcap, man


def checkflows(tools: str, outdir: str, manifest: str) -> tuple[int, int]:
    r = subprocess.run([sys.executable, os.path.join(tools, "checkflows.py"), outdir, manifest],
                       capture_output=True, text=True, timeout=300)
    m = re.search(r"(\d+) passed, (\d+) failed", r.stdout)
    return (int(m.group(1)), int(m.group(2))) if m else (0, -1)


def replay_cmd(nets: Namespaces, pcap: str, rate: str, loops: int = 1) -> list[str]:
    speed = ["-t"] if rate == "top" else ["-M", rate]
    return nets.exec(nets.tx) + ["tcpreplay", "-i", "tfb0"] + speed + (["--loop", str(loops)] if loops != 1 else []) + [pcap]


def replay_run(tool: Tool, nets: Namespaces, tmp: str, tools: str, pcap: str, man: str, rate: str) -> dict:
    out = tempfile.mkdtemp(dir=tmp) + "/out"
    cap = Capture(tool, nets, out)
    mbit = 1e9 if rate == "top" else float(rate)
    limit = os.path.getsize(pcap) * 8 / (mbit * 1e6) + 60
    t0 = time.monotonic()
    rp = spawn(replay_cmd(nets, pcap, rate), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        text, _ = rp.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        end(rp, signal.SIGTERM, 5)
        text = ""
    if rp in _children:
        _children.remove(rp)
    replay_s = time.monotonic() - t0
    cap.settle()
    res = cap.stop()
    passed, failed = checkflows(tools, out, man)
    shutil.rmtree(os.path.dirname(out))
    m = re.search(r"Rated: [\d.]+ Bps, ([\d.]+) Mbps", text)
    res.update({"tool": tool.name, "rate": rate, "replay_mbps": float(m.group(1)) if m else None,
                "replay_s": replay_s, "passed": passed, "failed": failed})
    return res


def offline_run(tool: Tool, tmp: str, tools: str, pcap: str, man: str) -> dict:
    out = tempfile.mkdtemp(dir=tmp) + "/out"
    r = subprocess.run([tool.binary, "-r", pcap, "-o", out], stdin=subprocess.DEVNULL, capture_output=True, timeout=600)
    passed, failed = checkflows(tools, out, man)
    shutil.rmtree(os.path.dirname(out))
    return {"tool": tool.name, "rate": "-r (file)", "status": r.returncode, "passed": passed, "failed": failed}


def flow_file(outdir: str, src: tuple[str, int], dst: tuple[str, int]) -> str:
    def q(a: str) -> str:
        return ".".join("%03d" % int(x) for x in a.split("."))
    return os.path.join(outdir, "%s.%05d-%s.%05d" % (q(src[0]), src[1], q(dst[0]), dst[1]))


def connect_pair(nets: Namespaces, listener: socket.socket) -> tuple[socket.socket, socket.socket]:
    with nets.entered(nets.tx):
        cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    cli.settimeout(5)
    cli.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    cli.connect(listener.getsockname())
    srv, _ = listener.accept()
    srv.settimeout(5)
    srv.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return cli, srv


def make_listener(nets: Namespaces, backlog: int) -> socket.socket:
    with nets.entered(nets.rx):
        ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind((RX_ADDR, 0))
    ls.listen(backlog)
    ls.settimeout(10)
    return ls


def recv_exactly(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        b = s.recv(n - len(buf))
        if not b:
            raise RuntimeError("connection closed early")
        buf += b
    return buf


def latency_run(tool: Tool, nets: Namespaces, tmp: str, pcap: str, background: bool, lines: int, interval: float) -> dict:
    out = tempfile.mkdtemp(dir=tmp) + "/out"
    cap = Capture(tool, nets, out)
    bg = None
    if background:
        bg = spawn(replay_cmd(nets, pcap, "100", loops=1000), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)   # the replay under way
    ls = make_listener(nets, 4)
    cli, srv = connect_pair(nets, ls)
    path = flow_file(out, cli.getsockname(), srv.getsockname())
    lat: list[float] = []
    missed = 0
    expected = 0
    rng = random.Random(lines)
    due = time.perf_counter() + 0.2
    for i in range(lines):
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        due += interval * rng.uniform(0.5, 1.5)
        line = b"line %04d typed at the keyboard, like a shell session\n" % i
        expected += len(line)
        t0 = time.perf_counter()
        cli.sendall(line)
        while True:
            try:
                size = os.stat(path).st_size
            except FileNotFoundError:
                size = 0
            now = time.perf_counter()
            if size >= expected:
                lat.append((now - t0) * 1000)
                break
            if now - t0 > 2.0:
                missed += 1
                break
            time.sleep(0.0001)
        recv_exactly(srv, len(line))
    cli.close()
    srv.close()
    ls.close()
    if bg:
        end(bg, signal.SIGTERM, 5)
    res = cap.stop()
    shutil.rmtree(os.path.dirname(out))
    lat.sort()
    res.update({"tool": tool.name, "background": "100 Mbit/s replay" if background else "quiet",
                "median_ms": statistics.median(lat) if lat else None,
                "p90_ms": lat[int(0.9 * (len(lat) - 1))] if lat else None,
                "max_ms": lat[-1] if lat else None, "lines": lines, "missed": missed})
    return res


def conns_run(tool: Tool, nets: Namespaces, tmp: str, n: int, per_conn: int, span: float, seed: int) -> dict:
    out = tempfile.mkdtemp(dir=tmp) + "/out"
    cap = Capture(tool, nets, out)
    ls = make_listener(nets, n + 16)
    pairs = [connect_pair(nets, ls) for _ in range(n)]
    rng = random.Random(seed)
    words = ["ls", "-la", "cd", "/var/log", "grep", "error", "tail", "-f", "syslog", "cat", "make", "git", "status"]
    events = sorted((rng.uniform(0, span), i) for i in range(n) for _ in range(per_conn))
    sent = [[b"", b""] for _ in range(n)]
    start = time.perf_counter()
    for t, i in events:
        delay = start + t - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        cli, srv = pairs[i]
        line = (" ".join(rng.choice(words) for _ in range(rng.randint(1, 6))) + "\n").encode()
        cli.sendall(line)
        recv_exactly(srv, len(line))
        reply = b"+OK %d bytes from connection %d\r\n" % (len(line), i)
        srv.sendall(reply)
        recv_exactly(cli, len(reply))
        sent[i][0] += line
        sent[i][1] += reply
    files = []
    for (cli, srv), (up, down) in zip(pairs, sent):
        files.append((flow_file(out, cli.getsockname(), srv.getsockname()), up))
        files.append((flow_file(out, srv.getsockname(), cli.getsockname()), down))
        cli.shutdown(socket.SHUT_WR)
        srv.shutdown(socket.SHUT_WR)
    for cli, srv in pairs:
        cli.close()
        srv.close()
    ls.close()
    cap.settle()
    res = cap.stop()
    exact = 0
    for path, want in files:
        try:
            with open(path, "rb") as f:
                exact += f.read() == want
        except FileNotFoundError:
            pass
    shutil.rmtree(os.path.dirname(out))
    res.update({"tool": tool.name, "conns": n, "lines": n * per_conn, "exact": exact, "files": len(files)})
    return res


# ---------------------------------------------------------------------------------------------

def fmt(x, digits: int = 1) -> str:
    if x is None:
        return "?"
    if isinstance(x, float):
        return "%.*f" % (digits, x)
    return "{:,}".format(x)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("bin", help="our tcpflow binary (e.g. build/tcpflow)")
    ap.add_argument("--ref", default="/usr/bin/tcpflow", help="tcpflow 1.6.1 (default /usr/bin/tcpflow)")
    ap.add_argument("--no-reference", action="store_true", help="measure our binary only")
    ap.add_argument("--rates", default="50,100,200,400,top", help="replay rates in Mbit/s, 'top' = tcpreplay -t")
    ap.add_argument("--parts", default="replay,latency,conns", help="which parts to run")
    ap.add_argument("--capture", default=None, help="genflows.py arguments (default: %s)" % CAPTURE)
    ap.add_argument("--quick", action="store_true", help="small capture (%s), 40 lines, 100 connections" % QUICK_CAPTURE)
    ap.add_argument("--lines", type=int, default=100, help="typed lines per latency run")
    ap.add_argument("--interval-ms", type=float, default=20, help="mean time between typed lines (each gap 50-150%% of it)")
    ap.add_argument("--conns", type=int, default=300, help="interactive connections at once")
    ap.add_argument("--conn-lines", type=int, default=5, help="lines typed on each")
    ap.add_argument("--runs", type=int, default=1, help="repeat everything this many times")
    ap.add_argument("--tools", help="folder with genflows.py and checkflows.py (default ../shared/tools)")
    ap.add_argument("--cache", default=os.environ.get("TCPFLOW_BENCH_DIR", "/var/tmp/tcpflow-bench"),
                    help="where the capture is cached")
    ap.add_argument("--tmpfs", default="/dev/shm", help="tmpfs folder for the output")
    ap.add_argument("--json", help="write every measurement here")
    a = ap.parse_args()

    if os.geteuid() != 0:
        sys.exit("bench_live: needs root (network namespaces, capture)")
    for prog in ("ip", "tcpreplay"):
        if not shutil.which(prog):
            sys.exit("bench_live: %s not found (Debian packages iproute2, tcpreplay)" % prog)
    ours = os.path.realpath(a.bin)
    if not os.access(ours, os.X_OK):
        sys.exit("bench_live: %s is not an executable" % a.bin)
    tools = find_tools(a.tools)
    os.makedirs(a.cache, exist_ok=True)
    capture_args = a.capture or (QUICK_CAPTURE if a.quick else CAPTURE)
    if a.quick:
        a.lines, a.conns = min(a.lines, 40), min(a.conns, 100)
    pcap, man = ensure_capture(a.cache, tools, capture_args)
    with open(pcap, "rb") as f:   # into the page cache
        while f.read(1 << 22):
            pass
    progs = [Tool("ours", ours, None)]
    if not a.no_reference:
        if not os.access(a.ref, os.X_OK):
            sys.exit("bench_live: %s not found (Debian package tcpflow; or --no-reference)" % a.ref)
        progs.append(Tool("1.6.1", a.ref, build_shim(a.cache)))
    parts = set(a.parts.split(","))
    rates = a.rates.split(",")

    tmp = tempfile.mkdtemp(prefix="tcpflow-bench-live-", dir=a.tmpfs)
    nets = Namespaces()
    results: dict[str, list] = {"offline": [], "replay": [], "latency": [], "conns": []}

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)
    try:
        nets.up()
        if "replay" in parts:
            for t in progs:
                results["offline"].append(dict(offline_run(t, tmp, tools, pcap, man), run="-"))
        for run_no in range(a.runs):
            if "replay" in parts:
                for rate in rates:
                    for t in progs:
                        log("bench_live: run %d, replay at %s, %s ..." % (run_no + 1, rate, t.name))
                        results["replay"].append(dict(replay_run(t, nets, tmp, tools, pcap, man, rate), run=run_no + 1))
            if "latency" in parts:
                for background in (False, True):
                    for t in progs:
                        log("bench_live: run %d, line latency (%s), %s ..." % (run_no + 1, "background" if background else "quiet", t.name))
                        results["latency"].append(dict(latency_run(t, nets, tmp, pcap, background, a.lines, a.interval_ms / 1000),
                                                       run=run_no + 1))
            if "conns" in parts:
                for t in progs:
                    log("bench_live: run %d, %d interactive connections, %s ..." % (run_no + 1, a.conns, t.name))
                    results["conns"].append(dict(conns_run(t, nets, tmp, a.conns, a.conn_lines, 4.0, 7 + run_no), run=run_no + 1))
    finally:
        for p in list(_children):
            end(p, signal.SIGKILL, 5)
        nets.down()
        shutil.rmtree(tmp, ignore_errors=True)

    size_mb = os.path.getsize(pcap) / 1e6
    conns = len({l.split(None, 1)[0] for l in open(man) if l.strip()})
    print("capture: genflows.py %s (%.0f MB, %s connections, %s files)" % (capture_args, size_mb, "{:,}".format(conns),
                                                                           "{:,}".format(sum(1 for _ in open(man)))))
    if results["offline"] or results["replay"]:
        print()
        print("| replay | run | program | achieved Mbit/s | packets received | kernel drops | exact files | exit |")
        print("|---|---|---|---:|---:|---:|---:|---:|")
        for r in results["offline"]:
            print("| %s | %s | %s | - | - | - | %s of %s | %d |" % (r["rate"], r["run"], r["tool"], fmt(r["passed"]),
                                                               fmt(r["passed"] + r["failed"]), r["status"]))
        for r in results["replay"]:
            rate = "top speed (-t)" if r["rate"] == "top" else "-M " + r["rate"]
            print("| %s | %s | %s | %s | %s | %s | %s of %s | %s |" % (rate, r["run"], r["tool"], fmt(r["replay_mbps"], 0), fmt(r["received"]),
                                                                 fmt(r["dropped"]), fmt(r["passed"]),
                                                                 fmt(r["passed"] + r["failed"]), r["status"]))
    if results["latency"]:
        print()
        print("| typed lines (%d, every %g ms +-50%%) | run | program | median ms | p90 ms | max ms | not seen in 2 s | kernel drops |"
              % (a.lines, a.interval_ms))
        print("|---|---|---|---:|---:|---:|---:|---:|")
        for r in results["latency"]:
            print("| %s | %s | %s | %s | %s | %s | %d | %s |" % (r["background"], r["run"], r["tool"], fmt(r["median_ms"]), fmt(r["p90_ms"]),
                                                           fmt(r["max_ms"]), r["missed"], fmt(r["dropped"])))
    if results["conns"]:
        print()
        print("| interactive connections | run | program | lines typed | kernel drops | exact files | exit |")
        print("|---|---|---|---:|---:|---:|---:|")
        for r in results["conns"]:
            print("| %d at once | %s | %s | %s | %s | %s of %s | %s |" % (r["conns"], r["run"], r["tool"], fmt(r["lines"]), fmt(r["dropped"]),
                                                                   fmt(r["exact"]), fmt(r["files"]), r["status"]))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"capture": capture_args, "results": results}, f, indent=1)
    bad = [r for k in ("replay", "conns") for r in results[k] if r["tool"] == "ours" and r["status"] != 0]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
