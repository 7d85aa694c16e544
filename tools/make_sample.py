#!/usr/bin/env python3
"""Write a small sample capture for trying tcpflow: three HTTP-like conversations
(IPv4 with an out-of-order and a retransmitted segment, IPv6, and one on VLAN 42).

usage: make_sample.py OUT.pcap        (Python 3 standard library only)
"""
import struct
import sys
import ipaddress

T0 = 1600000000


def tcp(sport, dport, seq, ack, flags, payload=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload


def ipv4(src, dst, seg):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(seg), 1, 0, 64, 6, 0,
                       ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed) + seg


def ipv6(src, dst, seg):
    return struct.pack("!IHBB16s16s", 0x60000000, len(seg), 6, 64,
                       ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed) + seg


def ether(ip_packet, v6=False, vlan=None):
    hdr = b"\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x01"
    if vlan is not None:
        hdr += struct.pack("!HH", 0x8100, vlan)
    frame = hdr + struct.pack("!H", 0x86DD if v6 else 0x0800) + ip_packet
    return frame + b"\x00" * max(0, 60 - len(frame))      # NIC padding: never payload


def conversation(cli, srv, cport, request, response, v6=False, vlan=None, disorder=False):
    ip = ipv6 if v6 else ipv4
    c_isn, s_isn = 1000, 5000
    pkts = []

    def c2s(seq, flags, data=b""):
        pkts.append(ether(ip(cli, srv, tcp(cport, 80, seq, s_isn + 1, flags, data)), v6, vlan))

    def s2c(seq, flags, data=b""):
        pkts.append(ether(ip(srv, cli, tcp(80, cport, seq, c_isn + 1 + len(request), flags, data)), v6, vlan))

    c2s(c_isn, 0x02)                       # SYN
    pkts.append(ether(ip(srv, cli, tcp(80, cport, s_isn, c_isn + 1, 0x12)), v6, vlan))   # SYN-ACK
    c2s(c_isn + 1, 0x10)
    c2s(c_isn + 1, 0x18, request)
    chunks = [response[i:i + 40] for i in range(0, len(response), 40)]
    order = list(range(len(chunks)))
    if disorder and len(order) > 2:
        order[1], order[2] = order[2], order[1]   # out of order
        order.insert(3, 1)                        # and a retransmission
    for i in order:
        s2c(s_isn + 1 + 40 * i, 0x18, chunks[i])
    s2c(s_isn + 1 + len(response), 0x11)         # FIN
    c2s(c_isn + 1 + len(request), 0x11)
    return pkts


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "sample.pcap"
    body = b"<html><body>Hello from tcpflow's sample capture.</body></html>\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    pkts = []
    pkts += conversation("10.0.0.1", "10.0.0.2", 40000, b"GET / HTTP/1.1\r\nHost: example\r\n\r\n", resp,
                         disorder=True)
    pkts += conversation("2001:db8::1", "2001:db8::2", 40001, b"GET /v6 HTTP/1.1\r\nHost: example\r\n\r\n",
                         resp, v6=True)
    pkts += conversation("192.168.1.10", "192.168.1.20", 40002, b"GET /vlan HTTP/1.1\r\n\r\n", resp, vlan=42)
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for i, p in enumerate(pkts):
            f.write(struct.pack("<IIII", T0, 1000 * (i + 1), len(p), len(p)) + p)
    print("wrote %s: %d packets" % (out, len(pkts)))


if __name__ == "__main__":
    main()
