#!/usr/bin/env python3
"""Compare the output of N `tcpflow --shard i/N` runs with one run's.

    tools/shard_compare.py ONE_DIR SHARD_DIR [SHARD_DIR ...]

ONE_DIR is one run's -o folder, each SHARD_DIR a folder the shards wrote into (one shared folder,
or one per shard). Passes (exit 0) when the flow files below the SHARD_DIRs (report-*.xml and
unused* left out) are one run's: the same relative names, contents and modification times
(nanoseconds), none written twice; and when the shards' reports, merged by
tools/merge_reports.py, hold one run's <fileobject>s and summary (file names taken relative to
their folder; max_open_flows, the header and rusage left out). Prints what differs otherwise
(exit 1). Used by tools/slurm_shard.sh and tools/shard_check.sh.
"""
import hashlib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import merge_reports  # noqa: E402


def is_run_file(name):
    return name.startswith("report") or name.startswith("unused")


def flow_files(folder, into, problems):
    for root, _, names in os.walk(folder):
        for name in names:
            if is_run_file(name):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, folder)
            with open(path, "rb") as f:
                digest = hashlib.sha256(f.read()).hexdigest()
            facts = (digest, os.stat(path).st_mtime_ns)
            if rel in into:
                problems.append("%s written twice (%s)" % (rel, folder))
            into[rel] = facts


def reports(folder):
    return [os.path.join(root, n) for root, _, names in os.walk(folder) for n in names
            if re.match(r"report(-\d+-of-\d+)?\.xml$", n)]


def comparable(merged, folders):
    start = merged.find("  <fileobject>")
    if start < 0:
        start = merged.find("  <summary>")
    text = merged[start:merged.find("  <rusage>")]
    for f in sorted(folders, key=len, reverse=True):
        text = text.replace("<filename>%s/" % f.rstrip("/"), "<filename>")
    return re.sub(r"    <max_open_flows>\d+</max_open_flows>\n", "", text)


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    one_dir, shard_dirs = sys.argv[1], sys.argv[2:]
    problems = []
    one, shards = {}, {}
    flow_files(one_dir, one, problems)
    for d in shard_dirs:
        flow_files(d, shards, problems)
    for name in sorted(set(one) | set(shards)):
        if name not in shards:
            problems.append("%s: missing from the shards' output" % name)
        elif name not in one:
            problems.append("%s: not in one run's output" % name)
        elif one[name][0] != shards[name][0]:
            problems.append("%s: content differs" % name)
        elif one[name][1] != shards[name][1]:
            problems.append("%s: mtime differs (%d, shards %d)" % (name, one[name][1], shards[name][1]))
    try:
        one_report = comparable(merge_reports.merge([merge_reports.Report(p) for p in reports(one_dir)]), [one_dir])
        shard_reports = [merge_reports.Report(p) for d in shard_dirs for p in reports(d)]
        merged = comparable(merge_reports.merge(shard_reports), shard_dirs)
        if merged != one_report:
            problems.append("the merged reports differ from one run's report")
    except (OSError, ValueError) as e:
        problems.append("reports: %s" % e)
    for p in problems[:20]:
        print("shard_compare: " + p, file=sys.stderr)
    if len(problems) > 20:
        print("shard_compare: ... and %d more" % (len(problems) - 20), file=sys.stderr)
    if problems:
        return 1
    print("shard_compare: %d flow files, contents, mtimes and merged reports equal one run's" % len(one))
    return 0


if __name__ == "__main__":
    sys.exit(main())
