#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every libFuzzer harness built in $BUILD/fuzz (make fuzz builds
# them from tests/fuzz/<name>/fuzz.c):
#   1. each input of tests/fuzz/<name>/corpus once (the regression set:
#      every crash ever found is in it);
#   2. FUZZ_SECONDS (default 300) of fuzzing from that corpus, with
#      tests/fuzz/<name>/<name>.dict and the flags in
#      tests/fuzz/<name>/options if present.
# New inputs go to $BUILD/fuzz/work/<name>, never into the tree; a crash
# leaves its input in $BUILD/fuzz/artifacts/<name>/ and fails the harness.
# Ends with "fuzz: N passed, N failed" (one test per harness).
#   tests/fuzz/run.sh [NAME...]     only these harnesses
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
BUILD=${BUILD:-$ROOT/build}
FUZZ_SECONDS=${FUZZ_SECONDS:-300}
# leaks of the libraries we use, not ours (each entry says why)
export LSAN_OPTIONS=suppressions=$ROOT/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
passed=0
failed=0

run_one() {
	local name=$1 dir=$ROOT/tests/fuzz/$1 bin=$BUILD/fuzz/$1
	local work=$BUILD/fuzz/work/$1 art=$BUILD/fuzz/artifacts/$1
	local log=$BUILD/fuzz/$1.log opts=() rc
	if [ ! -x "$bin" ]; then
		echo "fuzz[$name]: $bin is not built (make fuzz)"
		return 1
	fi
	mkdir -p "$work" "$art" "$dir/corpus"
	[ -f "$dir/$name.dict" ] && opts+=("-dict=$dir/$name.dict")
	# shellcheck disable=SC2207
	[ -f "$dir/options" ] && opts+=($(grep -v '^#' "$dir/options"))
	# 1. the regression set, each input once
	if ! "$bin" -runs=0 "${opts[@]}" "$dir/corpus" >"$log" 2>&1; then
		echo "fuzz[$name]: an input of tests/fuzz/$name/corpus fails:"
		grep -E "ERROR|runtime error|Test unit written|^[A-Za-z].*:[0-9]+" "$log" | head -20 | sed 's/^/    /'
		return 1
	fi
	# 2. fuzzing; -fork would need more cores than we have
	"$bin" "${opts[@]}" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" "$work" "$dir/corpus" >>"$log" 2>&1
	rc=$?
	if [ "$rc" != 0 ]; then
		echo "fuzz[$name]: crash (exit $rc); input in $art/, log $log:"
		grep -E "ERROR|runtime error|SUMMARY|Test unit written" "$log" | head -20 | sed 's/^/    /'
		echo "    fix the bug, then keep the input as a regression test:"
		echo "    cp $art/crash-* tests/fuzz/$name/corpus/"
		return 1
	fi
	echo "fuzz[$name]: $FUZZ_SECONDS s, $(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1) runs, corpus $(ls "$work" | wc -l) new + $(ls "$dir/corpus" | wc -l), no crash"
	return 0
}

names=("$@")
if [ ${#names[@]} = 0 ]; then
	for d in "$ROOT"/tests/fuzz/*/fuzz.c; do
		names+=("$(basename "$(dirname "$d")")")
	done
fi
for n in "${names[@]}"; do
	if run_one "$n"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" = 0 ]
