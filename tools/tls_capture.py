#!/usr/bin/env python3
"""Real TLS stacks over loopback, captured: test material for TLS decryption (issue 19).

    tools/tls_capture.py OUTDIR [--cases a,b,...] [--list] [--live TCPFLOW]

As root, creates a network namespace (removed afterwards), brings its loopback up, starts tcpdump on
it (-i lo -s 0 -U) and runs every case: a TLS server and client (Python's ssl module, or openssl
s_server/s_client for 0-RTT) over 127.0.0.1, each case on its own server port. Writes into OUTDIR:

    tls.pcap                 every case's connections
    keys.log                 the NSS key log of every client (concatenated)
    manifest.json            {case: [{"server_port", "client_port", "client", "server", ...}]}
    manifest.txt             the same, one connection a line (CASE N CPORT SPORT VERSION CIPHER CFILE SFILE)
    CASE/N.client.bin        the exact bytes the client application wrote on connection N
    CASE/N.server.bin        the exact bytes the server application wrote

--live TCPFLOW: TCPFLOW -i lo --tls-keylog OUTDIR/live.keys runs meanwhile, writing OUTDIR/live/;
the key log is empty when it starts and each client appends its secrets to it only after all its
data was exchanged (then waits, connection open, for its plaintext to appear).

Not root: exits 77 with the reason on stderr. Certificates: a throwaway self-signed RSA key made in
OUTDIR. Python's ssl picks TLS 1.3 suites and groups from OPENSSL_CONF, so each side runs in its own
process with its own config file.
"""
import argparse
import concurrent.futures
import ctypes
import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import sys
import time

HERE = os.path.abspath(__file__)
TLS12, TLS13 = "1.2", "1.3"

# name: (port, version, TLS<=1.2 cipher string, TLS 1.3 suites, options...)
CASES = {}


def case(name, port, ver, ciphers="", suites="", **kw):
    c = dict(port=port, version=ver, ciphers=ciphers, suites=suites, etm=True, keyupdate=False,
             hrr=False, early=False, client_size=3000, server_size=5000, http=False, chunk=3000)
    c.update(kw)
    CASES[name] = c


case("t12_ecdhe_aes128gcm", 44301, TLS12, "ECDHE-RSA-AES128-GCM-SHA256")
case("t12_rsa_aes256gcm", 44302, TLS12, "AES256-GCM-SHA384")
case("t12_ecdhe_chacha", 44303, TLS12, "ECDHE-RSA-CHACHA20-POLY1305")
case("t12_cbc_sha1_etm", 44304, TLS12, "ECDHE-RSA-AES128-SHA")
case("t12_cbc_sha1_mte", 44305, TLS12, "ECDHE-RSA-AES128-SHA", etm=False)
case("t12_cbc_sha256_etm", 44306, TLS12, "AES128-SHA256")
case("t12_cbc_sha256_mte", 44307, TLS12, "AES128-SHA256", etm=False)
case("t12_cbc_sha384_etm", 44308, TLS12, "ECDHE-RSA-AES256-SHA384")
case("t12_cbc_sha384_mte", 44309, TLS12, "ECDHE-RSA-AES256-SHA384", etm=False)
case("t13_aes128gcm", 44310, TLS13, suites="TLS_AES_128_GCM_SHA256")
case("t13_aes256gcm", 44311, TLS13, suites="TLS_AES_256_GCM_SHA384")
case("t13_chacha", 44312, TLS13, suites="TLS_CHACHA20_POLY1305_SHA256")
case("t13_ccm", 44313, TLS13, suites="TLS_AES_128_CCM_SHA256")
case("t13_keyupdate", 44314, TLS13, suites="TLS_AES_128_GCM_SHA256", keyupdate=True,
     client_size=40000, server_size=40000)
case("t13_hrr", 44315, TLS13, suites="TLS_AES_256_GCM_SHA384", hrr=True)
case("t13_early", 44316, TLS13, early=True)
case("t13_1mb", 44317, TLS13, suites="TLS_AES_128_GCM_SHA256", client_size=200, server_size=1 << 20)
case("t12_1mb", 44318, TLS12, "ECDHE-RSA-AES128-GCM-SHA256", client_size=200, server_size=1 << 20)
case("https_443", 443, TLS13, http=True)   # the only case on the standard port
# Not run unless named (tools/bench_tls.py): 1 GiB from the server, TLS 1.3 AES-128-GCM.
case("bench_1g", 44399, TLS13, suites="TLS_AES_128_GCM_SHA256", client_size=200, server_size=1 << 30, bench=True,
     chunk=16384)
DEFAULT_CASES = [n for n, c in CASES.items() if not c.get("bench")]


def die(msg, code=1):
    print("tls_capture: " + msg, file=sys.stderr, flush=True)
    os._exit(code)


def conf_file(path, suites="", groups=""):
    lines = ["openssl_conf = openssl_init", "[openssl_init]", "ssl_conf = ssl_sect", "[ssl_sect]",
             "system_default = sysdef", "[sysdef]"]
    if suites:
        lines.append("Ciphersuites = " + suites)
    if groups:
        lines.append("Groups = " + groups)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def payload(tag, size):
    """Deterministic, easy to tell apart: the case tag then a counter pattern."""
    head = ("<%s>" % tag).encode()
    cycle = bytes((i * 7 + 13) & 0xFF for i in range(256))
    body = cycle * (max(0, size - len(head)) // 256 + 1)
    return (head + body)[:size]


def http_payloads(size):
    body = payload("https-body", size)
    req = b"GET /secret.txt HTTP/1.1\r\nHost: test.local\r\nUser-Agent: tls_capture\r\n\r\n"
    resp = (b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body)
            + body)
    return req, resp


def key_update(sslsock):
    """SSL_key_update(ssl, SSL_KEY_UPDATE_REQUESTED) through ctypes (Python has no API for it). The
    SSL* sits after PyObject_HEAD and the socket weakref in CPython's PySSLSocket."""
    lib = ctypes.CDLL("libssl.so.3")
    lib.SSL_version.argtypes = [ctypes.c_void_p]
    lib.SSL_key_update.argtypes = [ctypes.c_void_p, ctypes.c_int]
    ptr = ctypes.c_void_p.from_address(id(sslsock._sslobj) + 2 * ctypes.sizeof(ctypes.c_void_p)
                                       + ctypes.sizeof(ctypes.c_ssize_t)).value
    if lib.SSL_version(ptr) != 0x0304:
        die("key_update: not a TLS 1.3 SSL* (CPython layout changed?)")
    if lib.SSL_key_update(ptr, 1) != 1:
        die("SSL_key_update failed")


def recv_exact(s, n):
    out = bytearray()
    while len(out) < n:
        b = s.recv(min(65536, n - len(out)))
        if not b:
            break
        out += b
    return bytes(out)


def send_parts(s, data, keyupdate, chunk=3000):
    """Writes data in `chunk`-byte writes (several records); a KeyUpdate in the middle."""
    half = len(data) // 2
    view = memoryview(data)
    for i in range(0, len(data), chunk):
        if keyupdate and i <= half < i + chunk:
            key_update(s)
        s.sendall(view[i:i + chunk])


def role_server(a):
    c = json.loads(a.case)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    if c["version"] == TLS12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(c["ciphers"] + ":@SECLEVEL=0")
    else:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if c["http"]:
        ctx.set_alpn_protocols(["http/1.1"])
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", c["port"]))
    ls.listen(1)
    print("ready", flush=True)
    conn, _ = ls.accept()
    s = ctx.wrap_socket(conn, server_side=True)
    got = recv_exact(s, len(open(a.expect, "rb").read()))
    with open(a.got, "wb") as f:
        f.write(got)
    send_parts(s, open(a.data, "rb").read(), c["keyupdate"], c["chunk"])
    s.unwrap().close()


def role_client(a):
    c = json.loads(a.case)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.keylog_filename = a.keylog
    if c["version"] == TLS12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(c["ciphers"] + ":@SECLEVEL=0")
        if not c["etm"]:
            ctx.options |= 1 << 19   # SSL_OP_NO_ENCRYPT_THEN_MAC
    if c["http"]:
        ctx.set_alpn_protocols(["http/1.1"])
    raw = socket.create_connection(("127.0.0.1", c["port"]))
    cport = raw.getsockname()[1]
    s = ctx.wrap_socket(raw, server_hostname="test.local")
    print(json.dumps({"client_port": cport, "version": s.version(),
                      "cipher": s.cipher()[0]}), flush=True)
    send_parts(s, open(a.data, "rb").read(), c["keyupdate"])
    got = recv_exact(s, a.expect_size)
    with open(a.got, "wb") as f:
        f.write(got)
    live_keys = os.environ.get("TLS_CAPTURE_LIVE_KEYS")
    if live_keys:
        hand_over_keys(a.keylog, live_keys, cport, c["port"], len(got))
    s.unwrap().close()


def hand_over_keys(mine, live_keys, cport, sport, size):
    """--live: the secrets reach the key log the live tcpflow reads only now, after every byte was
    exchanged (so it has to hold the records and reread the growing file); the connection stays
    open until the server's plaintext is in its .tls file (polled, deadline 20 s)."""
    with open(mine) as f:
        text = f.read()
    with open(live_keys, "a") as f:
        f.write(text)
    out = os.path.join(os.path.dirname(live_keys), "live",
                       "127.000.000.001.%05d-127.000.000.001.%05d.tls" % (sport, cport))
    deadline = time.time() + 20
    while time.time() < deadline and not (os.path.exists(out) and os.path.getsize(out) >= size):
        time.sleep(0.01)


def wait_listen(port, deadline):
    """Polls /proc/net/tcp for a LISTEN socket on port (no connection attempt)."""
    want = ":%04X" % port
    while time.time() < deadline:
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                p = line.split()
                if p[1].endswith(want) and p[3] == "0A":
                    return
        time.sleep(0.005)
    die("server on port %d never listened" % port)


def run_python_case(name, c, out, cert, key):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    if c["http"]:
        cdata, sdata = http_payloads(c["server_size"])
    else:
        cdata, sdata = payload(name + "-client", c["client_size"]), payload(name + "-server", c["server_size"])
    for fn, data in (("0.client.bin", cdata), ("0.server.bin", sdata)):
        with open(os.path.join(d, fn), "wb") as f:
            f.write(data)
    sconf, cconf = os.path.join(d, "server.cnf"), os.path.join(d, "client.cnf")
    # HRR: the client's first key share (X25519) is a group the server does not take.
    conf_file(sconf, c["suites"], "P-256" if c["hrr"] else "")
    conf_file(cconf, c["suites"], "X25519:P-256" if c["hrr"] else "")
    js = json.dumps(c)
    env = dict(os.environ)
    srv = subprocess.Popen([sys.executable, HERE, "--role", "server", "--case", js, "--cert", cert,
                            "--key", key, "--data", os.path.join(d, "0.server.bin"),
                            "--expect", os.path.join(d, "0.client.bin"),
                            "--got", os.path.join(d, "0.server.got")],
                           env=dict(env, OPENSSL_CONF=sconf), stdout=subprocess.PIPE)
    if srv.stdout.readline().strip() != b"ready":
        die(name + ": server did not start")
    cli = subprocess.run([sys.executable, HERE, "--role", "client", "--case", js,
                          "--keylog", os.environ.get("TLS_CAPTURE_KEYLOG") or os.path.join(d, "keys.log"), "--data", os.path.join(d, "0.client.bin"),
                          "--expect-size", str(len(sdata)), "--got", os.path.join(d, "0.client.got")],
                         env=dict(env, OPENSSL_CONF=cconf), stdout=subprocess.PIPE, timeout=60)
    if srv.wait(timeout=60) != 0 or cli.returncode != 0:
        die(name + ": server/client failed")
    info = json.loads(cli.stdout.decode().strip().splitlines()[-1])
    for a, b in (("0.client.bin", "0.server.got"), ("0.server.bin", "0.client.got")):
        if open(os.path.join(d, a), "rb").read() != open(os.path.join(d, b), "rb").read():
            die(name + ": the peer did not receive what was written")
    return [dict(info, server_port=c["port"], client=name + "/0.client.bin", server=name + "/0.server.bin")]


class Pump:
    """Collects a child's stdout in the background (openssl s_server / s_client)."""

    def __init__(self, proc):
        import threading
        self.buf = bytearray()
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._run, args=(proc.stdout,), daemon=True)
        self.t.start()

    def _run(self, f):
        while True:
            b = os.read(f.fileno(), 65536)
            if not b:
                return
            with self.lock:
                self.buf += b

    def wait_for(self, data, what, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if data in self.buf:
                    return
            time.sleep(0.005)
        die("timed out waiting for " + what)


def run_early_case(name, c, out, cert, key):
    """TLS 1.3 0-RTT with openssl: connection 0 gets a ticket, connection 1 resumes with early data
    (then 1-RTT data). s_server -quiet writes exactly the received bytes to stdout."""
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    sess, early = os.path.join(d, "sess.pem"), os.path.join(d, "early.bin")
    c0, s0 = b"first connection, to get a ticket\n", b"first reply from the server\n"
    ed, c1, s1 = b"GET /early HTTP/1.1\r\nHost: test.local\r\n\r\n", b"after the early data\n", b"second reply\n"
    with open(early, "wb") as f:
        f.write(ed)
    files = {"0.client.bin": c0, "0.server.bin": s0, "1.client.bin": ed + c1, "1.server.bin": s1}
    for fn, data in files.items():
        with open(os.path.join(d, fn), "wb") as f:
            f.write(data)
    port = str(c["port"])
    srv = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:" + port, "-cert", cert, "-key", key, "-tls1_3",
                            "-early_data", "-naccept", "2", "-quiet"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    sp = Pump(srv)
    wait_listen(c["port"], time.time() + 10)
    base = ["openssl", "s_client", "-connect", "127.0.0.1:" + port, "-tls1_3", "-servername", "test.local",
            "-keylogfile", os.path.join(d, "keys.log")]
    for n, extra, cdata, sdata in ((0, ["-sess_out", sess], c0, s0),
                                   (1, ["-sess_in", sess, "-early_data", early], c1, s1)):
        cli = subprocess.Popen(base + extra, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
        cp = Pump(cli)
        expect_at_server = (ed if n == 1 else b"") + cdata
        if n == 1:   # the early data arrives before the client reads its stdin
            sp.wait_for(ed, "early data at the server")
        cli.stdin.write(cdata)
        cli.stdin.flush()
        sp.wait_for(expect_at_server, "client data at the server")
        srv.stdin.write(sdata)
        srv.stdin.flush()
        cp.wait_for(sdata, "server data at the client")
        if n == 0:
            deadline = time.time() + 10
            while not (os.path.exists(sess) and os.path.getsize(sess) > 0) and time.time() < deadline:
                time.sleep(0.005)
        cli.stdin.close()
        cli.wait(timeout=20)
    srv.stdin.close()
    srv.wait(timeout=20)
    with open(os.path.join(d, "keys.log")) as f:
        if "CLIENT_EARLY_TRAFFIC_SECRET" not in f.read():
            die(name + ": no early traffic secret logged (0-RTT not attempted)")
    return [dict(server_port=c["port"], client=name + "/%d.client.bin" % n, server=name + "/%d.server.bin" % n,
                 version="TLSv1.3", early_data=(n == 1)) for n in (0, 1)]


def pcap_tcp(path, start=0):
    """(src port, dst port, flags) of the TCP packets in a tcpdump pcap of lo (Ethernet framing),
    from record offset `start` (0: the first); returns them and where the next record starts."""
    out = []
    with open(path, "rb") as f:
        off = max(start, 24)
        while True:
            f.seek(off)
            hdr = f.read(16)
            if len(hdr) < 16:
                break
            incl = struct.unpack_from("<I", hdr, 8)[0]
            pkt = f.read(min(incl, 80))
            if len(pkt) < min(incl, 80) or os.fstat(f.fileno()).st_size < off + 16 + incl:
                break
            off += 16 + incl
            if len(pkt) < 14 + 20 or pkt[12:14] != b"\x08\x00" or pkt[23] != 6:
                continue
            t = 14 + (pkt[14] & 15) * 4
            if len(pkt) < t + 14:
                continue
            sp, dp = struct.unpack_from(">HH", pkt, t)
            out.append((sp, dp, pkt[t + 13]))
    return out, off


def wait_flushed(pcap, ports, deadline):
    """Every connection to ports has ended (two FINs or a RST) in the file tcpdump writes (-U)."""
    ends, off = {}, 0
    while time.time() < deadline:
        pkts, off = pcap_tcp(pcap, off)
        for sp, dp, fl in pkts:
            for p in (sp, dp):
                if p in ports:
                    other = dp if p == sp else sp
                    e = ends.setdefault((p, other), [0, 0])
                    e[0] += 1 if fl & 1 else 0
                    e[1] += 1 if fl & 4 else 0
        done = [k for k, e in ends.items() if e[0] >= 2 or e[1] >= 1]
        if len(done) >= ports_total(ports):
            return ends
        time.sleep(0.01)
    die("tcpdump did not write every connection's end in time")


def ports_total(ports):
    return sum(ports.values())


def client_ports(pcap, server_port):
    """Client ports of the connections to server_port, in SYN order."""
    return [sp for sp, dp, fl in pcap_tcp(pcap)[0] if dp == server_port and fl & 0x12 == 0x02]


def start_live(a, out):
    """--live BIN: BIN -i lo with --tls-keylog on a key log that is empty now and that the clients
    append to while the capture runs (TLS_CAPTURE_LIVE_KEYS, hand_over_keys)."""
    keys = os.path.join(out, "live.keys")
    open(keys, "w").close()
    os.environ["TLS_CAPTURE_LIVE_KEYS"] = keys   # the clients append their secrets late (hand_over_keys)
    os.makedirs(os.path.join(out, "live"), exist_ok=True)
    tf = subprocess.Popen([a.live, "-i", "lo", "-o", os.path.join(out, "live"), "--tls-keylog", keys, "tcp"],
                          stderr=subprocess.PIPE)
    line = tf.stderr.readline()
    if b"listening on" not in line:
        die("tcpflow did not start: " + line.decode(errors="replace"))
    return tf


def wait_live(out, manifest, deadline):
    """The live tcpflow wrote every connection's server plaintext (.tls), whole (it flushes at
    least every 100 ms)."""
    want = []
    for n, conns in manifest.items():
        for c in conns:
            name = "127.000.000.001.%05d-127.000.000.001.%05d.tls" % (c["server_port"], c["client_port"])
            want.append((os.path.join(out, "live", name), os.path.getsize(os.path.join(out, c["server"]))))
    while time.time() < deadline:
        if all(os.path.exists(p) and os.path.getsize(p) >= size for p, size in want):
            return
        time.sleep(0.01)
    # Not fatal here: the test compares what was written and says what is missing.


def inner(a):
    out = os.path.abspath(a.out)
    names = a.cases.split(",") if a.cases else DEFAULT_CASES
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    cert, key = os.path.join(out, "cert.pem"), os.path.join(out, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-subj", "/CN=test.local", "-days", "2"], check=True, capture_output=True)
    pcap = os.path.join(out, "tls.pcap")
    td = subprocess.Popen(["tcpdump", "-i", "lo", "-w", pcap, "-B", "16384", "-s", "0", "-U", "-n", "-Z", "root",
                           "tcp"], stderr=subprocess.PIPE)
    line = td.stderr.readline()
    if b"listening on" not in line:
        die("tcpdump did not start: " + line.decode(errors="replace"))
    live = start_live(a, out) if a.live else None
    manifest, ports = {}, {}
    try:
        def one(n):
            c = CASES[n]
            return (run_early_case if c["early"] else run_python_case)(n, c, out, cert, key)
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            for n, conns in zip(names, pool.map(one, names)):
                manifest[n] = conns
                ports[CASES[n]["port"]] = len(conns)
        wait_flushed(pcap, ports, time.time() + 20)
        if live:
            wait_live(out, manifest, time.time() + 20)
    finally:
        td.send_signal(signal.SIGINT)
        td.wait(timeout=20)
        if live:
            live.send_signal(signal.SIGINT)
            live.wait(timeout=20)
    with open(os.path.join(out, "keys.log"), "w") as k:
        for n in names:
            path = os.environ.get("TLS_CAPTURE_KEYLOG") or os.path.join(out, n, "keys.log")
            with open(path) as f:
                k.write(f.read())
    for n in names:
        cps = client_ports(pcap, CASES[n]["port"])
        for i, conn in enumerate(manifest[n]):
            conn["client_port"] = cps[i] if i < len(cps) else conn.get("client_port", 0)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    # The same, one connection a line, for readers without JSON (the C++ tests):
    # CASE N CLIENT_PORT SERVER_PORT VERSION CIPHER CLIENT_FILE SERVER_FILE
    with open(os.path.join(out, "manifest.txt"), "w") as f:
        for n in names:
            for i, conn in enumerate(manifest[n]):
                f.write("%s %d %d %d %s %s %s %s\n" % (n, i, conn["client_port"], conn["server_port"],
                                                      conn.get("version") or "-", conn.get("cipher") or "-",
                                                      conn["client"], conn["server"]))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out", nargs="?")
    p.add_argument("--cases", default="")
    p.add_argument("--list", action="store_true")
    p.add_argument("--inner", action="store_true")
    p.add_argument("--role")
    p.add_argument("--case")
    for o in ("cert", "key", "data", "expect", "got", "keylog"):
        p.add_argument("--" + o)
    p.add_argument("--expect-size", type=int, default=0)
    p.add_argument("--live", default="", help="also capture live with this tcpflow binary (OUT/live)")
    a = p.parse_args()
    if a.list:
        print("\n".join(DEFAULT_CASES))
        return
    if a.role == "server":
        return role_server(a)
    if a.role == "client":
        return role_client(a)
    if not a.out:
        die("usage: tls_capture.py OUTDIR [--cases a,b]", 2)
    for n in (a.cases.split(",") if a.cases else []):
        if n not in CASES:
            die("unknown case " + n, 2)
    if a.inner:
        return inner(a)
    if os.geteuid() != 0:
        die("needs root (network namespace, tcpdump)", 77)
    for tool in ("ip", "tcpdump", "openssl"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            die(tool + " not on PATH", 77)
    os.makedirs(a.out, exist_ok=True)
    ns = "tcpflow-tls-%d" % os.getpid()
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        r = subprocess.run(["ip", "netns", "exec", ns, sys.executable, HERE, "--inner", a.out] +
                           (["--cases", a.cases] if a.cases else []) +
                           (["--live", os.path.abspath(a.live)] if a.live else []))
    finally:
        subprocess.run(["ip", "netns", "delete", ns])
    sys.exit(r.returncode)


if __name__ == "__main__":
    main()
