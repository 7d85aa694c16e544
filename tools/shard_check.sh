#!/usr/bin/env bash
# The long version of tests/shard_e2e_test.cpp: bigger captures, more shard counts.
#
#   tools/shard_check.sh [--tcpflow BIN] [--conns C] [--out DIR] [--bench] [N ...]
#
# For each capture, runs tcpflow once and then N shards (default N = 2 3 4 7) through the GNU
# parallel recipe of docs/scale-out.md (into one shared folder), and checks with
# tools/shard_compare.py that the shards wrote one run's flow files, contents and mtimes and that
# their merged reports equal one run's. Captures (cached in ${TCPFLOW_BENCH_DIR:-/var/tmp/tcpflow-bench}):
#   - tools/shard_capture.py --conns C (default 200,000: fragments, VLANs, reused 4-tuples);
#   - with --bench, also the bulk and small captures of tools/bench.py (genflows.py from
#     ../shared/tools; 1 GB and 400 MB).
# Output goes to DIR (default /dev/shm, a tmpfs) and is removed after each comparison.
# Minutes to an hour of CPU; needs parallel and python3. Exit 1 at the first mismatch.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tcpflow=$root/build/tcpflow
conns=200000
out=/dev/shm
bench=0
counts=()
while (($#)); do
    case $1 in
        --tcpflow) tcpflow=$2; shift 2 ;;
        --conns) conns=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --bench) bench=1; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) counts+=("$1"); shift ;;
    esac
done
((${#counts[@]})) || counts=(2 3 4 7)
tcpflow=$(readlink -f "$tcpflow")
cache=${TCPFLOW_BENCH_DIR:-/var/tmp/tcpflow-bench}
mkdir -p "$cache"

# The recipe, as docs/scale-out.md has it, with the built binary as `tcpflow`.
recipe=$(awk '/^<!-- recipe: parallel-one-machine -->/{f=1; next} f && /^```/{if (b) exit; b=1; next} f && b' \
    "$root/docs/scale-out.md")
bin=$(mktemp -d)
work=$(mktemp -d "$out/tcpflow-shard-check.XXXXXX")
trap 'rm -rf "$bin" "$work"' EXIT
ln -s "$tcpflow" "$bin/tcpflow"

captures=("$cache/shard-$conns.pcap")
[[ -s ${captures[0]} ]] || python3 "$root/tools/shard_capture.py" --conns "$conns" "${captures[0]}"
if ((bench)); then
    gen=$root/../shared/tools/genflows.py
    [[ -f $gen ]] || { echo "shard_check: $gen is missing (needed for --bench)"; exit 1; }
    [[ -s $cache/shard-bulk.pcap ]] || python3 "$gen" --conns 5000 --concurrent 1000 --resp 200000 --reorder 0.02 \
        --retrans 0.01 --ipv6 0.1 --vlan 0.05 --seed 2 "$cache/shard-bulk.pcap"
    [[ -s $cache/shard-small.pcap ]] || python3 "$gen" --conns 100000 --concurrent 5000 --req 300 --resp 3000 \
        --seed 3 "$cache/shard-small.pcap"
    captures+=("$cache/shard-bulk.pcap" "$cache/shard-small.pcap")
fi

for cap in "${captures[@]}"; do
    rm -rf "${work:?}"/*
    start=$SECONDS
    "$tcpflow" -r "$cap" -o "$work/one"
    echo "shard_check: $(basename "$cap"): one run in $((SECONDS - start)) s"
    for n in "${counts[@]}"; do
        rm -rf "$work/shards"
        start=$SECONDS
        PATH="$bin:$PATH" N=$n CAPTURE=$cap OUT=$work/shards bash -c "$recipe"
        echo "shard_check: $(basename "$cap"): $n shards in $((SECONDS - start)) s"
        python3 "$root/tools/shard_compare.py" "$work/one" "$work/shards"
    done
done
echo "shard_check: OK"
