#!/usr/bin/env python3
"""Both byte streams of a real TLS connection, made in memory by OpenSSL through Python's ssl
(MemoryBIO: no network), for tests/tls_interop_test.cpp.

usage: tls_openssl_streams.py OUTDIR NAME VERSION(12|13) CIPHERS|- ECDSA(0|1) ETM(0|1) SIZE
writes OUTDIR/NAME.keys (the client's key log), NAME.events (the bytes each side sent, in order:
a byte 0 client / 1 server, a 32-bit big-endian length, the bytes), NAME.plain0 / NAME.plain1
(what the client / server application wrote). TLS 1.3 suites come from $OPENSSL_CONF (the test
writes one with Ciphersuites). Exit status 3: this OpenSSL cannot make that connection.
"""
import os
import random
import ssl
import struct
import subprocess
import sys

OP_NO_ENCRYPT_THEN_MAC = 0x80000  # SSL_OP_NO_ENCRYPT_THEN_MAC; Python has no name for it


def certificate(out, ecdsa):
    key, cert = os.path.join(out, "ec.key" if ecdsa else "rsa.key"), os.path.join(out, "ec.pem" if ecdsa else "rsa.pem")
    if not os.path.exists(cert):
        alg = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] if ecdsa else ["-newkey", "rsa:2048"]
        subprocess.run(["openssl", "req", "-x509", *alg, "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                        "-subj", "/CN=localhost"], check=True, capture_output=True)
    return cert, key


def contexts(out, name, version, ciphers, ecdsa, etm):
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(*certificate(out, ecdsa))
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    cctx.keylog_filename = os.path.join(out, name + ".keys")
    v = ssl.TLSVersion.TLSv1_2 if version == "12" else ssl.TLSVersion.TLSv1_3
    for c in (sctx, cctx):
        c.minimum_version = c.maximum_version = v
        if version == "12" and ciphers != "-":
            c.set_ciphers(ciphers)
    if not etm:
        cctx.options |= OP_NO_ENCRYPT_THEN_MAC
    cctx.set_alpn_protocols(["h2", "http/1.1"])
    sctx.set_alpn_protocols(["http/1.1"])
    return cctx, sctx


def main():
    out, name, version, ciphers, ecdsa, etm, size = sys.argv[1:8]
    try:
        cctx, sctx = contexts(out, name, version, ciphers, ecdsa == "1", etm == "1")
    except (ssl.SSLError, subprocess.CalledProcessError) as e:
        print(e, file=sys.stderr)
        sys.exit(3)
    cin, cout, sin, sout = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    client = cctx.wrap_bio(cin, cout, server_hostname="interop.example")
    server = sctx.wrap_bio(sin, sout, server_side=True)
    events = []

    def pump():
        moved = True
        while moved:
            moved = False
            for side, src, dst in ((0, cout, sin), (1, sout, cin)):
                data = src.read()
                if data:
                    events.append((side, data))
                    dst.write(data)
                    moved = True

    def step(obj):
        try:
            obj.do_handshake()
            return True
        except ssl.SSLWantReadError:
            return False

    try:
        for _ in range(10):
            a = step(client)
            pump()
            b = step(server)
            pump()
            if a and b:
                break
    except ssl.SSLError as e:
        print(e, file=sys.stderr)
        sys.exit(3)
    wrote = [b"", b""]
    rnd = random.Random(size)
    for i in range(5):
        for side, obj, peer in ((0, client, server), (1, server, client)):
            data = bytes(rnd.getrandbits(8) for _ in range(int(size) + i * 1000))
            obj.write(data)
            wrote[side] += data
            pump()
            while True:
                try:
                    peer.read(1 << 20)
                except ssl.SSLWantReadError:
                    break
            pump()
    with open(os.path.join(out, name + ".events"), "wb") as f:
        for side, data in events:
            f.write(struct.pack("!BI", side, len(data)) + data)
    for side in (0, 1):
        with open(os.path.join(out, f"{name}.plain{side}"), "wb") as f:
            f.write(wrote[side])
    print(client.version(), client.cipher()[0])


if __name__ == "__main__":
    main()
