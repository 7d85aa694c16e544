#!/usr/bin/env python3
"""Write a capture that exercises --shard: many interleaved TCP connections, with IPv4 fragments
(in and out of order), VLAN tags, IPv6, 4-tuples reused by later connections (also alternating
between untagged and VLAN 0, which take the same file name, and moving to another VLAN, which
does not), and unused packets (UDP, ARP) for -w.

usage: shard_capture.py [--conns N] [--resp BYTES] OUT.pcap    (Python 3 standard library only)

Every 5th connection (from the 1500th on) reuses the 4-tuple of the connection 1500 before it,
which closed 0.6 s of capture time earlier (the second use of a name gets its c1, the third
c2, ...): close enough that one run still remembers the closed flows (tcpflow remembers the last
8192) as every shard does, so the counters agree too. Starts are 400 us apart and each
connection lasts about 20 ms, so about 50 are open at a time. Ethernet, microsecond pcap; payload bytes depend on (k, side).
Used by tests/shard_e2e_test.cpp, tools/slurm_shard.sh and tools/shard_check.sh.
"""
import argparse
import struct

T0 = 1600000000
SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
MAC = b"\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01"


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags,
                       65535, 0, 0) + payload


def ipv4(src, dst, proto, body, ident=1, mf=False, offset=0):
    frag = (0x2000 if mf else 0) | (offset // 8)
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(body), ident & 0xFFFF, frag, 64, proto, 0, src, dst) + body


def ipv6(src, dst, proto, body):
    return struct.pack("!IHBB16s16s", 0x60000000, len(body), proto, 64, src, dst) + body


def ether(ethertype, payload, vlan=None):
    tag = b"" if vlan is None else struct.pack("!HH", 0x8100, vlan)
    return MAC + tag + struct.pack("!H", ethertype) + payload


def data(k, side, n):
    seed = (k * 2654435761 + side * 40503) & 0xFFFFFFFF
    base = bytes((seed >> s) & 0xFF for s in (0, 8, 16, 24))
    text = (b"conn %d side %d " % (k, side)) + base
    return (text * (n // len(text) + 1))[:n]


REUSE_GAP = 1500


class Conn:
    def __init__(self, k, t, use, resp_mean):
        """Connection k on 4-tuple t, its use-th use (0: the first)."""
        self.k = k
        self.v6 = t % 13 == 5
        if self.v6:
            self.cli = bytes.fromhex("20010db8000000000000000000%06x" % (t + 1))
            self.srv = bytes.fromhex("20010db80000000000000000000000%02x" % (t % 3 + 1))
        else:
            self.cli = bytes([10, 1 + (t >> 16), (t >> 8) & 0xFF, t & 0xFF])
            self.srv = bytes([192, 168, t % 3, 1])
        self.cport = 1024 + (t * 7) % 60000
        self.sport = 80 if t % 2 else 443
        self.vlan = None
        m = t % 20                             # reused 4-tuples are those with t % 5 == 4
        if m in (0, 10, 14):
            self.vlan = 100 + t % 4            # tagged, every use
        elif m == 4 and use % 2 == 1:
            self.vlan = 0                      # untagged, then VLAN 0: the same file name
        elif m == 9 and use % 2 == 1:
            self.vlan = 200                    # untagged, then another VLAN: another name
        self.fragment = not self.v6 and k % 7 == 3
        self.fragment_reversed = k % 14 == 3
        self.isn_c = (k * 7919 + 1000) & 0xFFFFFFFF
        self.isn_s = (k * 104729 + 5000) & 0xFFFFFFFF
        self.req = data(k, 0, 30 + (k * 13) % 170)
        self.resp = data(k, 1, max(1, resp_mean // 2 + (k * 131) % max(1, resp_mean)))

    def frame(self, to_server, seg, ident=0):
        src, dst = (self.cli, self.srv) if to_server else (self.srv, self.cli)
        if self.v6:
            return [ether(0x86DD, ipv6(src, dst, 6, seg), self.vlan)]
        if ident and self.fragment:
            first, rest = seg[:24], seg[24:]
            frags = [ether(0x0800, ipv4(src, dst, 6, first, ident, mf=True), self.vlan),
                     ether(0x0800, ipv4(src, dst, 6, rest, ident, offset=24), self.vlan)]
            return frags[::-1] if self.fragment_reversed else frags
        return [ether(0x0800, ipv4(src, dst, 6, seg, ident or 1), self.vlan)]

    def packets(self, start_us):
        c, s = self.isn_c, self.isn_s
        cp, sp = self.cport, self.sport
        req, resp = self.req, self.resp
        mss = 1400
        out = [(0, self.frame(True, tcp(cp, sp, c, 0, SYN))),
               (100, self.frame(False, tcp(sp, cp, s, c + 1, SYN | ACK))),
               (200, self.frame(True, tcp(cp, sp, c + 1, s + 1, ACK))),
               (300, self.frame(True, tcp(cp, sp, c + 1, s + 1, PSH | ACK, req), ident=self.k + 1))]
        at = 10000
        for off in range(0, len(resp), mss):
            out.append((at, self.frame(False, tcp(sp, cp, s + 1 + off, c + 1 + len(req), ACK, resp[off:off + mss]))))
            at += 50
        cfin, sfin = c + 1 + len(req), s + 1 + len(resp)
        out += [(20000, self.frame(True, tcp(cp, sp, cfin, sfin, FIN | ACK))),
                (20100, self.frame(False, tcp(sp, cp, sfin, cfin + 1, FIN | ACK))),
                (20200, self.frame(True, tcp(cp, sp, cfin + 1, sfin + 1, ACK)))]
        return [(start_us + dt, f) for dt, frames in out for f in frames]


def noise(i, at_us):
    udp = struct.pack("!HHHH", 5353, 53, 8 + 12, 0) + b"query %05d" % (i % 100000)
    arp = bytes(28)
    return [(at_us, ether(0x0800, ipv4(bytes([10, 9, 9, 9]), bytes([10, 9, 9, 1]), 17, udp, i + 1))),
            (at_us + 1, ether(0x0806, arp))]


def build(conns, resp_mean):
    records = []
    tuple_of, use_of = [], []
    for k in range(conns):
        if k % 5 == 4 and k >= REUSE_GAP:
            tuple_of.append(tuple_of[k - REUSE_GAP])
            use_of.append(use_of[k - REUSE_GAP] + 1)
        else:
            tuple_of.append(k)
            use_of.append(0)
        start = k * 400
        records += Conn(k, tuple_of[k], use_of[k], resp_mean).packets(start)
        if k % 100 == 0:
            records += noise(k, start + 150)
    records.sort(key=lambda r: r[0])            # stable: a connection's frames keep their order
    return records


def write(path, records):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for at_us, frame in records:
            sec, usec = divmod(at_us + 1000, 1_000_000)
            f.write(struct.pack("<IIII", T0 + sec, usec, len(frame), len(frame)))
            f.write(frame)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out")
    ap.add_argument("--conns", type=int, default=20000)
    ap.add_argument("--resp", type=int, default=600, help="mean response bytes (default 600)")
    a = ap.parse_args()
    write(a.out, build(a.conns, a.resp))


if __name__ == "__main__":
    main()
