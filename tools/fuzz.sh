#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, AddressSanitizer + UndefinedBehaviorSanitizer) and runs each
# for SECONDS (default $TCPFLOW_FUZZ_SECONDS, else 20: what tools/test.sh and CI run). Seeds come from
# tools/make_fuzz_corpus.py (the project's own sample traffic, and ../shared/corpus or
# $TCPFLOW_CORPUS where present); what the fuzzers learn is kept in $FUZZ_CORPUS_DIR/<target>
# (default build-fuzz/corpus), crashes in build-fuzz/crashes/<target>/. Exit status 1 when any
# target found a crash, leak, timeout or (fuzz_pipeline) a descriptor or thread left behind.
#
# Targets: fuzz_decoder (one frame into the decoder), fuzz_reassembler (synthetic segments into the
# flow table), fuzz_pipeline (a capture file through tcpflow::run, the function main calls, under 8
# option sets: -w, -K, -j, -e http, -c, ...), fuzz_http_body (a response stream into the HTTP body
# parser and zlib), fuzz_capture_reader (a capture file into the native pcap/pcapng reader),
# fuzz_tls_session (both directions of a TLS connection into the TLS session: raw bytes, or edits
# of conversations the tests build, with their key log).
#
# usage: tools/fuzz.sh [SECONDS] [TARGET...]
# Longer runs keep their corpus between runs, so each one starts where the last stopped, e.g. an
# hour per target into a folder outside the build:
#   FUZZ_CORPUS_DIR=$HOME/tcpflow-fuzz-corpus tools/fuzz.sh 3600
#   FUZZ_CORPUS_DIR=$HOME/tcpflow-fuzz-corpus tools/fuzz.sh 14400 fuzz_pipeline
# Reproduce a crash: build-fuzz/fuzz/<target> build-fuzz/crashes/<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-${TCPFLOW_FUZZ_SECONDS:-20}}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(fuzz_decoder fuzz_reassembler fuzz_pipeline fuzz_http_body fuzz_capture_reader fuzz_tls_session)
build=${FUZZ_BUILD_DIR:-build-fuzz}
corpus_dir=${FUZZ_CORPUS_DIR:-$build/corpus}
jobs=$(nproc 2>/dev/null || echo 2)

echo "== build fuzzers (clang, address,undefined) in $build"
CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTCPFLOW_BUILD_TESTS=OFF \
  -DTCPFLOW_BUILD_FUZZERS=ON -DTCPFLOW_SANITIZERS=address,undefined >/dev/null
cmake --build "$build" -j"$jobs" --target "${targets[@]}"

rm -rf "$build/seeds"
python3 tools/make_fuzz_corpus.py "$build/seeds"
status=0
for t in "${targets[@]}"; do
  seeds=$build/seeds/${t#fuzz_}
  case $t in
    fuzz_pipeline) max_len=65536 ;;   # make_fuzz_corpus.py's PIPELINE_MAX
    fuzz_http_body) max_len=16384 ;;
    fuzz_reassembler) max_len=16384 ;;
    fuzz_capture_reader) max_len=16384 ;;
    fuzz_tls_session) max_len=8192 ;;
    *) max_len=4096 ;;
  esac
  mkdir -p "$corpus_dir/$t" "$build/crashes/$t"
  echo "== $t for ${secs}s (max_len $max_len)"
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 LSAN_OPTIONS=suppressions=$PWD/cmake/lsan.supp:print_suppressions=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      "$build/fuzz/$t" "$corpus_dir/$t" "$seeds" -max_total_time="$secs" -max_len="$max_len" \
      -rss_limit_mb=2048 -timeout=25 -print_final_stats=1 -artifact_prefix="$build/crashes/$t/" \
      2>"$build/$t.log"; then
    echo "!! $t failed; see $build/$t.log and $build/crashes/$t/"
    # The sanitizer's or the target's own words (not tcpflow's messages about the input).
    grep -E '==[0-9]+==ERROR|SUMMARY|runtime error|deadly signal|behind|refused' "$build/$t.log" | head -8 || true
    cp "$build/$t.log" "$build/crashes/$t/last-failure.log"
    status=1
  fi
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$build/$t.log" || true
done
exit $status
