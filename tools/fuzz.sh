#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, AddressSanitizer + UndefinedBehaviorSanitizer) and runs each
# for SECONDS (default 60). Seeds come from tools/make_fuzz_corpus.py (the project's own sample
# traffic); what the fuzzers learn is kept in build-fuzz/corpus/<target>, crashes in
# build-fuzz/crashes/<target>/. Exit status 1 when any target found a crash, leak or timeout.
#
# usage: tools/fuzz.sh [SECONDS] [TARGET...]     (targets: fuzz_decoder fuzz_reassembler fuzz_pipeline fuzz_capture_reader)
# Reproduce a crash: build-fuzz/fuzz/<target> build-fuzz/crashes/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(fuzz_decoder fuzz_reassembler fuzz_pipeline fuzz_capture_reader)
build=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=$(nproc 2>/dev/null || echo 2)

echo "== build fuzzers (clang, address,undefined) in $build"
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTCPFLOW_BUILD_TESTS=OFF \
  -DTCPFLOW_BUILD_FUZZERS=ON -DTCPFLOW_SANITIZERS=address,undefined >/dev/null
cmake --build "$build" -j"$jobs" --target "${targets[@]}"

python3 tools/make_fuzz_corpus.py "$build/seeds" >/dev/null
status=0
for t in "${targets[@]}"; do
  seeds=$build/seeds/${t#fuzz_}
  case $t in
    fuzz_pipeline) max_len=65536 ;;
    fuzz_reassembler) max_len=16384 ;;
    fuzz_capture_reader) max_len=16384 ;;
    *) max_len=4096 ;;
  esac
  mkdir -p "$build/corpus/$t" "$build/crashes/$t"
  echo "== $t for ${secs}s (max_len $max_len)"
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$build/fuzz/$t" "$build/corpus/$t" "$seeds" -max_total_time="$secs" -max_len="$max_len" \
      -rss_limit_mb=2048 -timeout=25 -print_final_stats=1 -artifact_prefix="$build/crashes/$t/" \
      2>"$build/$t.log"; then
    echo "!! $t failed; see $build/$t.log and $build/crashes/$t/"
    grep -E 'ERROR|SUMMARY|runtime error' "$build/$t.log" | head -5 || true
    status=1
  fi
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$build/$t.log" || true
done
exit $status
