#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every test suite and ends with one line "N passed, N failed".
#   tests/run.sh               layout, unit, ASan unit, fuzzing (FUZZ_SECONDS,
#                              default 20, per harness), benchmark smoke,
#                              control, keepalived.conf checks
#                              (examples, DPVS), packet (also under ASan),
#                              end-to-end, packages (make deb/rpm, install
#                              and boot; DPLB_SKIP_PACKAGING=1 skips)
#   tests/run.sh --asan-only   the ASan part only
# Each suite's result is summed; a suite that crashes counts as failed.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-$ROOT/build}
PY=/usr/bin/python3
RESULTS=$(mktemp -d /tmp/dplb-tests.XXXXXX)
trap 'rm -rf "$RESULTS"' EXIT
PASSED=0
FAILED=0
START=$(date +%s)

# Enough 2 MiB hugepages for several dplbd instances at once.
reserve_hugepages() {
	local want=1536 have
	have=$(cat /proc/sys/vm/nr_hugepages)
	if [ "$have" -lt "$want" ]; then
		echo "$want" > /proc/sys/vm/nr_hugepages || true
	fi
}

add() { PASSED=$((PASSED + $1)); FAILED=$((FAILED + $2)); }

# What failed, repeated at the end beside the totals: CI shows only the
# output's tail, and a suite's own report may have scrolled out of it.
FAILURES=$RESULTS/failures.txt
: >"$FAILURES"
failure() { printf '%s\n' "$*" | cut -c1-400 >>"$FAILURES"; }

# cmocka binaries: count "[  PASSED  ] N" / "[  FAILED  ] N" lines.
run_unit_dir() {
	local dir=$1 label=$2 t out p f rc
	for t in "$dir"/test_*; do
		[ -x "$t" ] || continue
		out=$RESULTS/$(basename "$t").$label.log
		"$t" >"$out" 2>&1
		rc=$?
		# a binary may run several groups: sum them
		p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
		f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{s+=$1} END {print s+0}')
		p=${p:-0}; f=${f:-0}
		if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
			f=1	# crashed or sanitizer abort
		fi
		echo "unit[$label] $(basename "$t"): $p passed, $f failed"
		if [ "$f" != 0 ]; then
			sed 's/^/    /' "$out" | tail -40
			failure "unit[$label] $(basename "$t"): $(grep -m1 -E '^\[  FAILED  \] |ERROR|Sanitizer' "$out")"
		fi
		add "$p" "$f"
	done
}

# pytest: read the counts from its JUnit XML.
run_pytest() {
	local label=$1; shift
	local xml=$RESULTS/$label.xml counts
	"$PY" -m pytest -q -p no:cacheprovider --junitxml="$xml" "$@" 2>&1 |
		tail -25 | sed "s/^/  [$label] /"
	counts=$("$PY" - "$xml" "$FAILURES" "$label" <<'PYEOF'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    with open(sys.argv[2], "a") as out:
        out.write(f"{sys.argv[3]}: no JUnit XML (pytest crashed)\n")
    print("0 1"); sys.exit()
suites = [root] if root.tag == "testsuite" else list(root)
t = sum(int(s.get("tests", 0)) for s in suites)
with open(sys.argv[2], "a") as out:
    for case in root.iter("testcase"):
        for bad in list(case.findall("failure")) + list(case.findall("error")):
            msg = " ".join((bad.get("message") or "").split())
            out.write(f"{sys.argv[3]}: {case.get('classname')}::{case.get('name')}: {msg}"[:400] + "\n")
f = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
sk = sum(int(s.get("skipped", 0)) for s in suites)
print(t - f - sk, f)
PYEOF
)
	echo "pytest[$label]: ${counts% *} passed, ${counts#* } failed"
	add ${counts}
}

# Every libFuzzer harness: its corpus once, then FUZZ_SECONDS of fuzzing
# (tests/fuzz/run.sh); one test per harness.
run_fuzz() {
	local out=$RESULTS/fuzz.log p f
	BUILD=$BUILD FUZZ_SECONDS=${FUZZ_SECONDS:-20} tests/fuzz/run.sh >"$out" 2>&1
	p=$(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$out")
	f=$(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$out")
	[ -z "$p" ] && { p=0; f=1; }
	grep '^fuzz\[' "$out" | sed 's/^/  /'
	echo "fuzz: $p passed, $f failed"
	if [ "$f" != 0 ]; then
		sed 's/^/    /' "$out" | tail -20
		failure "fuzz: $(grep -m1 -E 'fails|crash-|runtime error|Sanitizer' "$out")"
	fi
	add "$p" "$f"
}

# The benchmark harness for a few seconds, every packet dplbd sends
# checked (bench/run.sh --smoke): one test per scenario.
run_bench_smoke() {
	local out=$RESULTS/bench-smoke.log p f
	BUILD=$BUILD bench/run.sh --smoke >"$out" 2>&1
	p=$(sed -n 's/^bench-smoke: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$out")
	f=$(sed -n 's/^bench-smoke: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$out")
	[ -z "$p" ] && { p=0; f=1; }
	echo "bench[smoke]: $p passed, $f failed"
	if [ "$f" != 0 ]; then
		sed 's/^/    /' "$out" | tail -20
		failure "bench[smoke]: $(grep -m1 -iE 'fail|error' "$out")"
	fi
	add "$p" "$f"
}

reserve_hugepages
if [ "${1:-}" != "--asan-only" ]; then
	[ -d tests/layout ] && run_pytest layout tests/layout
	run_unit_dir "$BUILD/unit" plain
	[ -d tests/fuzz ] && run_fuzz
	run_bench_smoke
fi
run_unit_dir "$BUILD/asan/unit" asan
if [ "${1:-}" != "--asan-only" ]; then
	[ -d tests/ctl ] && run_pytest ctl tests/ctl
	[ -d tests/kaconf ] && run_pytest kaconf tests/kaconf
	[ -d tests/packet ] && run_pytest packet tests/packet
	[ -d tests/e2e ] && run_pytest e2e tests/e2e
	[ -d tests/packaging ] && [ "${DPLB_SKIP_PACKAGING:-0}" != 1 ] &&
		run_pytest packaging tests/packaging
fi
[ -d tests/packet ] && DPLBD_BIN=$BUILD/asan/dplbd run_pytest packet-asan tests/packet

if [ -s "$FAILURES" ]; then
	echo "failures:"
	sed 's/^/  /' "$FAILURES"
fi
echo "time: $(( $(date +%s) - START )) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
