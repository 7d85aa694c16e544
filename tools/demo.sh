#!/usr/bin/env bash
# Installs what is missing, builds tcpflow, makes a sample capture and runs tcpflow on it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)" --target tcpflow
python3 tools/make_sample.py build/sample.pcap
rm -rf build/sample-out
./build/tcpflow -r build/sample.pcap -o build/sample-out
echo "== files written to build/sample-out:"
ls -l build/sample-out
for f in build/sample-out/*; do
  case "$f" in *report.xml) continue ;; esac
  echo "== $f"; cat "$f"; echo
done
