#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is missing, builds with -Werror, runs every
# test (unit, end-to-end, conformance over ../shared/corpus when present), then builds again with
# AddressSanitizer + UndefinedBehaviorSanitizer and runs the suite once more, then with
# ThreadSanitizer and runs it a third time, then fuzzes each libFuzzer target briefly
# (tools/fuzz.sh; TCPFLOW_FUZZ_SECONDS, default 20, 0 skips).
#
# Each run of the suite is checked, not just its exit status:
#   - every test ctest registers (ctest -N) must have run, and at least as many as tests/MIN_TESTS
#     says: a deleted or unregistered test fails the run instead of vanishing quietly;
#   - a GoogleTest case that "passed" without running a test (its filter matched nothing) fails;
#   - every skip is listed with its reason; under CI (CI=true) a skip that says a tool is missing
#     which tools/deps.sh installs is a failure;
#   - sanitizer reports are written to files (log_path) and any report fails the run, also one
#     from a tcpflow child whose exit status its test does not check.
# The closing line counts all three runs: "tests: N passed, N failed, N skipped" (a skip is not a
# pass; a test that should have run and did not counts as failed). Exit status 1 when anything
# failed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc 2>/dev/null || echo 2)
status=0
passed=0
failed=0
skipped=0
skip_list=()
timings=()
stage_start=$SECONDS

# stage NAME: starts timing a stage (the previous one ends here).
stage_name=""
stage() {
  if [[ -n $stage_name ]]; then timings+=("$(printf '%5ds  %s' $((SECONDS - stage_start)) "$stage_name")"); fi
  stage_name=$1
  stage_start=$SECONDS
  [[ -n $1 ]] && echo "== $1"
  return 0
}

stage "deps"
bash tools/deps.sh

min_tests=$(grep -v '^[[:space:]]*#' tests/MIN_TESTS | tr -dc '0-9\n' | grep -m1 . || echo 0)
# The packages tools/deps.sh installs (its pkgs=(...) list), for the CI skip check.
deps_pkgs=$(sed -n '/^pkgs=(/,/)/p' tools/deps.sh | sed 's/^pkgs=(//; s/).*$//' | tr -s ' \n' ' ')

# check_suite LABEL BUILD_DIR MIN SANITIZER_LOG_DIR [EXCLUDE_REGEX EXCLUDE_REASON]
# Reads BUILD_DIR/ctest-junit.xml (written by the ctest run just before) and the names of all the
# tests registered in BUILD_DIR (ctest -N); prints the skips with their reasons and every failure;
# adds to the totals; sets status=1 on any failure. A registered test missing from the results is
# a failure, unless it matches EXCLUDE_REGEX (left out of this run on purpose, ctest -E): then it
# counts as skipped, with EXCLUDE_REASON.
check_suite() {
  local label=$1 dir=$2 min=$3 sanlog=$4 exclude=${5:-} exclude_why=${6:-}
  ctest --test-dir "$dir" -N | sed -n 's/^ *Test *#[0-9]*: //p' >"$dir/ctest-registered.txt"
  local out
  out=$(CI=${CI:-} python3 - "$label" "$dir/ctest-junit.xml" "$dir/ctest-registered.txt" "$min" "$sanlog" \
        "$deps_pkgs" "$exclude" "$exclude_why" <<'PY'
import glob, os, re, sys
import xml.etree.ElementTree as ET

label, junit, registered_file, minimum, sanlog, deps, exclude, exclude_why = sys.argv[1:9]
minimum = int(minimum)
with open(registered_file) as fh:
    registered_names = [l.rstrip("\n") for l in fh if l.strip()]
registered = len(registered_names)
ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
problems = []          # lines starting with "!!"
n_pass = n_fail = n_skip = 0
skips = []

try:
    cases = ET.parse(junit).getroot().iter("testcase")
    cases = list(cases)
except (OSError, ET.ParseError) as e:
    cases = []
    problems.append("cannot read %s: %s" % (junit, e))

# Words that name a tool deps.sh installs: each package, without lib/-dev, plus the commands in it.
aliases = {"iproute2": ["ip"], "time": ["/usr/bin/time", "GNU time"], "clang": ["clang++"],
           "g++": ["gcc"], "cmake": ["ctest"], "python3": ["python"], "googletest": ["gtest"],
           "libgtest-dev": ["gtest"], "libgmock-dev": ["gmock"], "zlib1g-dev": ["zlib"],
           "libpcap-dev": ["libpcap", "pcap"], "libcli11-dev": ["CLI11"],
           "libclang-rt-14-dev": ["libfuzzer", "clang runtime"], "libbenchmark-dev": ["benchmark"]}
tools = set()
for p in deps.split():
    tools.add(p)
    base = re.sub(r"^lib", "", re.sub(r"-dev$", "", p))
    if len(base) > 2:
        tools.add(base)
    tools.update(aliases.get(p, []))
missing_re = re.compile(r"not found|not installed|missing|absent|unavailable|cannot run|cannot find|"
                        r"no such file|command not found|is not available", re.I)
def names_deps_tool(reason):
    if not missing_re.search(reason):
        return None
    for t in sorted(tools, key=len, reverse=True):
        if re.search(r"(?<![\w./+-])" + re.escape(t) + r"(?![\w+-])", reason, re.I):
            return t
    return None

def skip_reason(out):
    # GoogleTest: "file:line: Skipped" then the message, up to a blank line or "[  SKIPPED ]".
    lines = out.splitlines()
    for i, l in enumerate(lines):
        if l.endswith(": Skipped") or l == "Skipped":
            msg = []
            for m in lines[i + 1:]:
                if not m.strip() or m.startswith("[  SKIPPED ]"):
                    break
                msg.append(m.strip())
            return " ".join(msg) or "(no reason given)"
    return "(no reason given)"

for c in cases:
    name = c.get("name", "?").split("  # GetParam()")[0]
    st = c.get("status")
    out = c.findtext("system-out") or ""
    sk = c.find("skipped")
    why = (sk.get("message") or "") if sk is not None else ""
    if st == "run":
        if "[==========]" in out and "[  PASSED  ] 1 test." not in out:
            n_fail += 1
            problems.append("%s: reported as passed but ran no GoogleTest case (filter matched nothing)" % name)
        else:
            n_pass += 1
    elif st == "disabled" or (st == "notrun" and why.startswith(("SKIP_REGULAR_EXPRESSION", "SKIP_RETURN_CODE"))):
        reason = skip_reason(out) if st == "notrun" else "disabled"
        tool = names_deps_tool(reason)
        if ci and tool:
            n_fail += 1
            problems.append("%s: skipped because %s, but tools/deps.sh installs %s (a failure under CI)"
                            % (name, reason, tool))
        else:
            n_skip += 1
            skips.append("%s: %s" % (name, reason))
    else:
        n_fail += 1
        problems.append("%s: %s" % (name, "failed" if st == "fail" else "did not run (%s)" % (why or st)))

ran = len(cases)
seen = {c.get("name") for c in cases}
missing = [n for n in registered_names if n not in seen]
for n in missing:
    short = n.split("  # GetParam()")[0]
    if exclude and re.search(exclude, n):
        n_skip += 1
        skips.append("%s: left out of this run: %s" % (short, exclude_why))
    else:
        n_fail += 1
        problems.append("%s: registered but not in ctest's results" % short)
if ran + len(missing) < minimum:
    n_fail += minimum - ran - len(missing)
if minimum and registered < minimum:
    problems.append("only %d tests registered; tests/MIN_TESTS says at least %d: a test was deleted or is no "
                    "longer registered (if on purpose, lower tests/MIN_TESTS in the same commit)"
                    % (registered, minimum))
elif minimum and registered > minimum:
    print("   note: %d tests registered, tests/MIN_TESTS says %d: raise it" % (registered, minimum))

if sanlog:
    for f in sorted(glob.glob(os.path.join(sanlog, "*"))):
        with open(f, errors="replace") as fh:
            text = fh.read()
        if not text.strip():
            continue
        n_fail += 1
        head = [l for l in text.splitlines() if re.search(r"WARNING|ERROR|SUMMARY|runtime error", l)][:3]
        problems.append("sanitizer report %s: %s" % (f, " | ".join(head) or text.splitlines()[0]))

print("   %s: %d run of %d registered (minimum %s): %d passed, %d failed, %d skipped"
      % (label, ran, registered, minimum or "-", n_pass, n_fail, n_skip))
for s in skips:
    print("   skipped: " + s)
for p in problems:
    print("!! %s: %s" % (label, p))
print("COUNTS %d %d %d" % (n_pass, n_fail, n_skip))
PY
) || { echo "!! $label: the summary script failed"; status=1; }
  local counts
  counts=$(sed -n 's/^COUNTS //p' <<<"$out")
  grep -v '^COUNTS ' <<<"$out" || true
  read -r p f s <<<"${counts:-0 1 0}"
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
  if ((f > 0)); then status=1; fi
  while IFS= read -r line; do skip_list+=("$label: ${line#   skipped: }"); done < <(grep '^   skipped: ' <<<"$out" || true)
}

# run_suite LABEL BUILD_DIR MIN SANITIZER_LOG_DIR [EXCLUDE_REGEX EXCLUDE_REASON]: runs the tests
# of BUILD_DIR (all of them but those matching EXCLUDE_REGEX), then check_suite.
run_suite() {
  local label=$1 dir=$2 min=$3 sanlog=$4 exclude=${5:-}
  rm -f "$dir/ctest-junit.xml"
  if [[ -n $sanlog ]]; then rm -rf "$sanlog" && mkdir -p "$sanlog"; fi
  local rc=0 filter=()
  [[ -z $exclude ]] || filter=(-E "$exclude")
  ctest --test-dir "$dir" --output-on-failure -j"$jobs" --timeout "${suite_timeout:-900}" --output-junit "$root/$dir/ctest-junit.xml" \
    "${filter[@]}" 2>&1 | tee "$dir/ctest.log" || rc=$?
  ((rc == 0)) || echo "!! $label: ctest exit status $rc"
  check_suite "$@"
  if ((rc != 0)); then status=1; fi
}

stage "build (-Werror)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTCPFLOW_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
stage "tests"
suite_timeout=600 run_suite tests build "$min_tests" ""

stage "build (-Werror, AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DTCPFLOW_WERROR=ON -DTCPFLOW_SANITIZERS=address,undefined >/dev/null
cmake --build build-asan -j"$jobs"
stage "tests under ASan + UBSan"
# Leak suppressions, only for library caches kept until exit, each with the reason: cmake/lsan.supp.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:log_path=$root/build-asan/sanitizer/asan \
LSAN_OPTIONS=suppressions=$root/cmake/lsan.supp:print_suppressions=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_path=$root/build-asan/sanitizer/ubsan \
  run_suite asan build-asan "$min_tests" build-asan/sanitizer

# ThreadSanitizer cannot be combined with ASan: its own build, and the suite a third time (the -j
# worker pool, write-behind, file sink, end-to-end, conformance under -j 2/-j 3 and live tests are
# the ones with threads). Every race report fails the run, including one from a tcpflow child.
# Suppressions, only for library false positives, each with the reason: cmake/tsan.supp.
# Left out, and counted as skipped: the robustness tests built around the --max-memory bound
# (peak RSS is not checked in sanitizer builds, see robustness_test.cpp, and under TSan, whose
# shadow memory is several times the heap, they only cost time).
tsan_exclude='^Robust\.(TwoHundredThousandSynsStayInsideTheLimitAndLoseNothing|OutOfOrderFlowBehindAPermanentHoleExceedsTheLimit|HundredThousandIncompleteFragments|ManyOpenUdpConversationsStayNearTheLimit)$'
tsan_exclude_why="peak-RSS bound not meaningful under TSan (shadow memory); runs in the other two builds"
stage "build (-Werror, ThreadSanitizer)"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTCPFLOW_WERROR=ON -DTCPFLOW_SANITIZERS=thread >/dev/null
cmake --build build-tsan -j"$jobs"
stage "tests under TSan"
TSAN_OPTIONS="second_deadlock_stack=1:suppressions=$root/cmake/tsan.supp:log_path=$root/build-tsan/sanitizer/tsan" \
  run_suite tsan build-tsan "$min_tests" build-tsan/sanitizer "$tsan_exclude" "$tsan_exclude_why"

# A short bounded fuzz run of each libFuzzer target (clang + libclang-rt-14-dev; seconds per target
# from TCPFLOW_FUZZ_SECONDS, default 20, 0 skips). Longer runs: tools/fuzz.sh SECONDS.
fuzz_secs=${TCPFLOW_FUZZ_SECONDS:-20}
if ((fuzz_secs > 0)); then
  if command -v clang++ >/dev/null; then
    stage "fuzz (${fuzz_secs}s per target)"
    bash tools/fuzz.sh "$fuzz_secs" || { echo "!! fuzz: tools/fuzz.sh failed (see above)"; status=1; }
  else
    stage ""
    echo "== fuzz: skipped (clang++ not installed)"
    if [[ ${CI:-} == true ]]; then echo "!! fuzz: clang++ is missing under CI; tools/deps.sh installs it"; status=1; fi
  fi
fi
stage ""

echo "== time per stage"
printf '   %s\n' "${timings[@]}"
printf '   %5ds  total\n' "$SECONDS"
echo "== skipped tests (${#skip_list[@]})"
((${#skip_list[@]} == 0)) || printf '   %s\n' "${skip_list[@]}"
# One closing line for all three runs (a skip is not a pass).
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
