#!/usr/bin/env python3
"""check_flow_index.py: checks a flow index (--flow-index) written by tcpflow.

  check_flow_index.py SCHEMA INDEX OUTDIR [--pcap CAPTURE] [--same-as OTHER_INDEX]

Every record must validate against SCHEMA (docs/flow-index.schema.json). Each direction's
"file" must exist in OUTDIR with the size "bytes", and "stored" plus the bytes of the holes
inside the file must equal that size (the last record of an id: a connection that went on after its
idle timeout has earlier ones with the totals of that time). With --pcap, records are compared with tshark: one
record per TCP conversation tshark counts (`tshark -q -z conv,tcp`, split by tcp.stream), the
same endpoints, and packet counts equal to tshark's less the packets tcpflow never counts (bare
ACKs or FINs after both FINs, anything but a SYN after an RST). With --same-as, the records
sorted by id must equal OTHER_INDEX's; with --same-except-times, the same but for the timestamps
(the record's and each direction's "first" and "last"), for a live capture of a replayed file. Exit 0 when all holds; 77 when a tool is missing; 1 with
the differences on stderr otherwise.
"""
import json
import os
import shutil
import subprocess
import sys


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def latest_by_id(records):
    """A continued record supersedes an earlier one with the same id."""
    by = {}
    for r in records:
        by[r["id"]] = r
    return by


def tshark_streams(pcap):
    out = subprocess.run(
        ["tshark", "-n", "-r", pcap, "-Y", "tcp", "-T", "fields", "-E", "separator=|",
         "-e", "frame.number", "-e", "tcp.stream", "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport",
         "-e", "ip.dst", "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "tcp.flags", "-e", "tcp.len"],
        capture_output=True, text=True, check=False).stdout
    streams = {}
    for line in out.splitlines():
        f = line.split("|")
        if len(f) < 10 or not f[1]:
            continue
        src = (f[2] or f[3]).split(",")[-1]
        dst = (f[5] or f[6]).split(",")[-1]
        frame = int(f[0])
        stream = int(f[1].split(",")[-1])
        flags = int(f[8].split(",")[-1], 16)
        length = int(f[9].split(",")[-1] or 0)
        streams.setdefault(stream, []).append((frame, src, int(f[4].split(",")[-1]), dst,
                                               int(f[7].split(",")[-1]), flags, length))
    return streams


def expected_packets(frames):
    """tshark's frames of a stream that tcpflow counts (see the module comment)."""
    fins, reset, n = set(), False, 0
    for (_, src, sport, _, _, flags, length) in frames:
        syn, rst, fin = flags & 0x02, flags & 0x04, flags & 0x01
        if reset and not syn:
            continue
        if len(fins) == 2 and length == 0 and not (syn or rst):
            continue
        if syn and (reset or len(fins) == 2):
            fins, reset = set(), False
        n += 1
        if fin:
            fins.add((src, sport))
        if rst:
            reset = True
    return n


def without_times(r):
    """The record without its capture timestamps."""
    r = {k: v for k, v in r.items() if k not in ("first", "last")}
    for side in ("client", "server"):
        r[side] = {k: v for k, v in r[side].items() if k not in ("first", "last")}
    return r


def compare(records, other, name, errors, strip=lambda r: r):
    """Records sorted by id must be equal (after `strip`); names the first difference."""
    a = sorted((strip(r) for r in records), key=lambda r: (r["id"], json.dumps(r, sort_keys=True)))
    b = sorted((strip(r) for r in other), key=lambda r: (r["id"], json.dumps(r, sort_keys=True)))
    if a == b:
        return
    errors.append(f"records differ from {name} ({len(a)} vs {len(b)} records)")
    for x, y in zip(a, b):
        if x != y:
            errors.append(f"first difference:\n  {json.dumps(x, sort_keys=True)}\n  {json.dumps(y, sort_keys=True)}")
            break


def check_files(records, outdir, errors):
    # A connection that went on after its idle timeout has an earlier record with the totals of
    # that time; the files have grown since, so only its last record describes them.
    for r in latest_by_id(records).values():
        for side in ("client", "server"):
            s = r[side]
            if s["file"] is None:
                continue
            path = os.path.join(outdir, s["file"])
            if not os.path.isfile(path):
                errors.append(f"id {r['id']}: {side} file {s['file']} missing")
                continue
            size = os.path.getsize(path)
            holes_in = sum(max(0, min(o + l, size) - o) for o, l in s["holes"]["ranges"])
            if s["bytes"] != size:
                errors.append(f"id {r['id']}: {side} bytes {s['bytes']} != file size {size}")
            if s["holes"]["count"] <= len(s["holes"]["ranges"]) and s["stored"] + holes_in != size:
                errors.append(f"id {r['id']}: {side} stored {s['stored']} + holes {holes_in} != file size {size}")


def check_tshark(records, pcap, errors):
    streams = tshark_streams(pcap)
    by_id = latest_by_id(records)
    first_frames = {frames[0][0]: (sid, frames) for sid, frames in streams.items()}
    for sid, frames in streams.items():
        rec = by_id.get(frames[0][0])
        if rec is None:
            errors.append(f"tshark stream {sid} (first frame {frames[0][0]}): no record")
            continue
        ends = {(rec["client"]["addr"], rec["client"]["port"]), (rec["server"]["addr"], rec["server"]["port"])}
        f = frames[0]
        if ends != {(f[1], f[2]), (f[3], f[4])}:
            errors.append(f"id {rec['id']}: endpoints {sorted(ends)} != tshark's {f[1]}:{f[2]} {f[3]}:{f[4]}")
        want = expected_packets(frames)
        got = rec["client"]["packets"] + rec["server"]["packets"]
        if got != want:
            errors.append(f"id {rec['id']}: {got} packets, tshark counts {want} ({len(frames)} frames)")
    for i in by_id:
        if i not in first_frames:
            errors.append(f"record id {i}: no tshark stream starts at that frame")


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        import jsonschema
    except ImportError:
        print("python3-jsonschema is not installed", file=sys.stderr)
        return 77
    schema_path, index, outdir = argv[1:4]
    opts = dict(zip(argv[4::2], argv[5::2]))
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    records = load(index)
    errors = []
    validator = jsonschema.Draft7Validator(schema)
    for r in records:
        for e in validator.iter_errors(r):
            errors.append(f"id {r.get('id')}: schema: {e.message} at {list(e.absolute_path)}")
    check_files(records, outdir, errors)
    if "--pcap" in opts:
        if shutil.which("tshark") is None:
            print("tshark is not installed", file=sys.stderr)
            return 77
        check_tshark(records, opts["--pcap"], errors)
    if "--same-as" in opts:
        compare(records, load(opts["--same-as"]), opts["--same-as"], errors)
    if "--same-except-times" in opts:
        compare(records, load(opts["--same-except-times"]), opts["--same-except-times"], errors, without_times)
    for e in errors:
        print(e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
