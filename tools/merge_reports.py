#!/usr/bin/env python3
"""Merge the report-I-of-N.xml files of `tcpflow --shard I/N` runs into one DFXML report.

    tools/merge_reports.py [-o merged.xml] [--partial] out/report-*-of-4.xml

What one run writes, from its N shards (docs/scale-out.md):
- <fileobject>s: every shard's, concatenated and sorted by first packet time, then file name,
  then the rest of the entry. One run writes them in the order the flows close; sorted the same
  way (this script given that one report), it gives the same list.
- <summary>: the sum of the shards' (each shard counts its own connections; the packets that
  belong to no connection, and the reading and decoding counters, are counted by shard 0 only),
  with the non-zero counters in tcpflow's order, as one run lists them (a shard lists them all).
  max_open_flows is the sum of the shards' peaks: an upper bound of one run's.
- the header (creator, command line, configuration) is the first shard's, without its <shard>
  element; <rusage> adds up the CPU times and keeps the largest clocktime and maxrss.

Every report must come from the same N, and each of 0 .. N-1 must be there exactly once (unless
--partial). A report without a <shard> element (one ordinary run) is read as shard 0/1: the script
then only sorts its entries. Reports are read as tcpflow writes them (one element per line).
"""
import argparse
import re
import sys

FILEOBJECT_START = "  <fileobject>\n"
FILEOBJECT_END = "  </fileobject>\n"
SHARD_RE = re.compile(r"^    <shard index='(\d+)' count='(\d+)'/>\n", re.M)
ELEMENT_RE = re.compile(r"^\s*<(\w+)>([^<]*)</\1>\s*$")
COUNTER_RE = re.compile(r"^\s*<counter name='([^']*)'>(\d+)</counter>\s*$")
PCAP_RE = re.compile(r"^\s*<pcap_stats received='(\d+)' dropped='(\d+)' if_dropped='(\d+)'/>\s*$")
STARTIME_RE = re.compile(r"startime='([^']*)'")
FILENAME_RE = re.compile(r"<filename>([^<]*)</filename>")


class Report:
    def __init__(self, path):
        self.path = path
        with open(path, encoding="utf-8", newline="") as f:
            text = f.read()
        first = text.find(FILEOBJECT_START)
        summary = text.find("  <summary>\n")
        if summary < 0:
            raise ValueError("%s: no <summary> (an unfinished report?)" % path)
        self.header = text[: first if 0 <= first < summary else summary]
        body = text[len(self.header) : summary]
        self.fileobjects = []
        at = 0
        while at < len(body):
            end = body.find(FILEOBJECT_END, at)
            if not body.startswith(FILEOBJECT_START, at) or end < 0:
                raise ValueError("%s: unexpected text between the fileobjects at byte %d" % (path, len(self.header) + at))
            end += len(FILEOBJECT_END)
            self.fileobjects.append(body[at:end])
            at = end
        m = SHARD_RE.search(self.header)
        self.index, self.count = (int(m.group(1)), int(m.group(2))) if m else (0, 1)
        self.totals, self.counters, self.pcap, self.rusage = {}, {}, None, {}
        section = None
        for line in text[summary:].splitlines():
            if line.strip() in ("<summary>", "<rusage>"):
                section = line.strip()[1:-1]
                continue
            c = COUNTER_RE.match(line)
            if c:
                self.counters[c.group(1)] = int(c.group(2))
                continue
            p = PCAP_RE.match(line)
            if p:
                self.pcap = tuple(int(x) for x in p.groups())
                continue
            e = ELEMENT_RE.match(line)
            if e and section == "summary":
                self.totals[e.group(1)] = int(e.group(2))
            elif e and section == "rusage":
                self.rusage[e.group(1)] = e.group(2)


def sort_key(fileobject):
    start = STARTIME_RE.search(fileobject)
    name = FILENAME_RE.search(fileobject)
    return (start.group(1) if start else "", name.group(1) if name else "", fileobject)


def merge(reports, partial=False):
    counts = {r.count for r in reports}
    if len(counts) != 1:
        raise ValueError("the reports come from different shard counts: %s" % sorted(counts))
    n = counts.pop()
    seen = {}
    for r in reports:
        if r.index in seen:
            raise ValueError("shard %d/%d twice: %s and %s" % (r.index, n, seen[r.index], r.path))
        seen[r.index] = r.path
    missing = [i for i in range(n) if i not in seen]
    if missing and not partial:
        raise ValueError("missing shard%s %s of %d" % ("s" if len(missing) > 1 else "", ", ".join(map(str, missing)), n))
    reports = sorted(reports, key=lambda r: r.index)
    out = [SHARD_RE.sub("", reports[0].header)]
    out += sorted((fo for r in reports for fo in r.fileobjects), key=sort_key)
    out.append("  <summary>\n")
    for name in ("total_flows", "total_packets", "max_open_flows", "open_fds_at_end", "flow_map_size"):
        out.append("    <%s>%d</%s>\n" % (name, sum(r.totals.get(name, 0) for r in reports), name))
    out.append("    <counters>\n")
    order = []
    for r in reports:
        order += [c for c in r.counters if c not in order]
    for c in order:   # a shard's report lists every counter in tcpflow's order; one run, the non-zero ones
        total = sum(r.counters.get(c, 0) for r in reports)
        if total:
            out.append("      <counter name='%s'>%d</counter>\n" % (c, total))
    out.append("    </counters>\n")
    pcaps = [r.pcap for r in reports if r.pcap]
    if pcaps:
        out.append("    <pcap_stats received='%d' dropped='%d' if_dropped='%d'/>\n" % tuple(sum(x) for x in zip(*pcaps)))
    out.append("  </summary>\n  <rusage>\n")
    for name in ("utime", "stime", "maxrss", "minflt", "majflt", "inblock", "oublock", "clocktime"):
        values = [r.rusage[name] for r in reports if name in r.rusage]
        if not values:
            continue
        if name in ("utime", "stime"):
            out.append("    <%s>%.6f</%s>\n" % (name, sum(float(v) for v in values), name))
        elif name == "clocktime":
            out.append("    <%s>%.6f</%s>\n" % (name, max(float(v) for v in values), name))
        elif name == "maxrss":
            out.append("    <%s>%d</%s>\n" % (name, max(int(v) for v in values), name))
        else:
            out.append("    <%s>%d</%s>\n" % (name, sum(int(v) for v in values), name))
    out.append("  </rusage>\n</dfxml>\n")
    return "".join(out)


def main():
    ap = argparse.ArgumentParser(description="Merge tcpflow --shard reports into one.")
    ap.add_argument("reports", nargs="+", help="report-I-of-N.xml files (all N of them)")
    ap.add_argument("-o", "--output", help="write here (default: standard output)")
    ap.add_argument("--partial", action="store_true", help="merge even when shards are missing")
    a = ap.parse_args()
    try:
        merged = merge([Report(p) for p in a.reports], a.partial)
    except (OSError, ValueError) as e:
        print("merge_reports: %s" % e, file=sys.stderr)
        return 1
    if a.output:
        with open(a.output, "w", encoding="utf-8", newline="") as f:
            f.write(merged)
    else:
        sys.stdout.write(merged)
    return 0


if __name__ == "__main__":
    sys.exit(main())
