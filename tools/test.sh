#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds with -Werror, runs every
# test (unit, end-to-end, conformance over ../shared/corpus when present), then builds again with
# AddressSanitizer + UndefinedBehaviorSanitizer and runs the suite once more, then fuzzes each
# libFuzzer target briefly (tools/fuzz.sh; TCPFLOW_FUZZ_SECONDS, default 20, 0 skips).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/deps.sh
jobs=$(nproc 2>/dev/null || echo 2)

echo "== build (-Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTCPFLOW_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
ctest --test-dir build --output-on-failure -j"$jobs" --timeout 600 | tee build/ctest.log

echo "== build (-Werror, AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTCPFLOW_WERROR=ON -DTCPFLOW_SANITIZERS=address,undefined >/dev/null
cmake --build build-asan -j"$jobs"
echo "== tests under sanitizers"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 900 | tee build-asan/ctest.log

# A short bounded fuzz run of each libFuzzer target (clang + libclang-rt-14-dev; seconds per target
# from TCPFLOW_FUZZ_SECONDS, default 20, 0 skips). Longer runs: tools/fuzz.sh SECONDS.
fuzz_secs=${TCPFLOW_FUZZ_SECONDS:-20}
if ((fuzz_secs > 0)); then
  if command -v clang++ >/dev/null; then
    echo "== fuzz (${fuzz_secs}s per target)"
    bash tools/fuzz.sh "$fuzz_secs"
  else
    echo "== fuzz: skipped (clang++ not installed)"
  fi
fi

# One closing line for both runs: "tests: N passed, N failed, N skipped" (a skip is not a pass).
total=0
skipped=0
for log in build/ctest.log build-asan/ctest.log; do
  n=$(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -n 1)
  s=$(grep -c '(Skipped)$' "$log" || true)
  total=$((total + ${n:-0}))
  skipped=$((skipped + ${s:-0}))
done
echo "tests: $((total - skipped)) passed, 0 failed, $skipped skipped"
