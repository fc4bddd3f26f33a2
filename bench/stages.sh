#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench-stages: where the time of a packet goes, stage by stage of
# the burst path, as the connection table grows.  callgrind's
# instructions do not change with the table's size; the waits for
# memory do, and this says which stage waits: l3 (Ethernet and IPv4),
# classify (the load balancer's parse, key and bucket prefetch),
# buckets and entries (the bulk lookup's two passes), finish (the
# rewrite and the send).  TSC cycles a packet, the median of the rounds,
# from $BUILD/stages/dplb-bench (dplbd built with STAGES=1: the usual
# build reads no timer on its packet path).  Writes $OUT/stages.csv.
# Environment: BENCH_STAGES ("fnat --conns 1000;...;fnat --conns
# 10000000"), BENCH_ROUNDS (3), BENCH_SECONDS (1 a round), BENCH_OUT
# (build/bench).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-$PWD/build}
BIN=$BUILD/stages/dplb-bench
OUT=${BENCH_OUT:-$BUILD/bench}
ROUNDS=${BENCH_ROUNDS:-3}
SECONDS_ROUND=${BENCH_SECONDS:-1}
IFS=';' read -r -a SCENARIOS <<<"${BENCH_STAGES:-fnat --conns 1000;fnat --conns 100000;fnat --conns 1000000;fnat --conns 10000000}"

[ -x "$BIN" ] || { echo "bench: $BIN is missing: make -C bench stages" >&2; exit 1; }
mkdir -p "$OUT"
csv=$OUT/stages.csv
echo "scenario,l3,classify,buckets,entries,finish,total,tsc_ghz,mpps" >"$csv"
printf "%-28s %7s %9s %8s %8s %7s %7s %8s %6s\n" scenario l3 classify buckets \
	entries finish total "ns/pkt" Mpps
rc=0
for s in "${SCENARIOS[@]}"; do
	log=$OUT/stages-$(echo "$s" | tr -d ' -').log
	# shellcheck disable=SC2086
	if ! "$BIN" --scenario $s --seconds "$SECONDS_ROUND" --rounds "$ROUNDS" >"$log.csv" 2>"$log"; then
		echo "bench: $s failed (see $log)" >&2
		rc=1
		continue
	fi
	mpps=$(tail -1 "$log.csv" | cut -d, -f11)
	# the median round of each column
	sed -n 's/^bench: stages: TSC cycles a packet: l3 \([0-9.]*\) classify \([0-9.-]*\) buckets \([0-9.]*\) entries \([0-9.]*\) finish \([0-9.]*\) total \([0-9.]*\) .*TSC \([0-9.]*\) GHz)$/\1 \2 \3 \4 \5 \6 \7/p' "$log" |
		awk -v s="$s" -v mpps="$mpps" -v csv="$csv" '
		# the median of column i (an insertion sort: a few rounds)
		function median(i,   a, j, k, x) {
			for (j = 1; j <= n; j++) {
				x = v[i, j]
				for (k = j - 1; k >= 1 && a[k] > x; k--)
					a[k + 1] = a[k]
				a[k + 1] = x
			}
			return a[int((n + 1) / 2)]
		}
		{ for (i = 1; i <= 7; i++) v[i, NR] = $i; n = NR }
		END {
			if (n == 0) { print "bench: " s ": no stage figures" > "/dev/stderr"; exit 1 }
			for (i = 1; i <= 7; i++)
				m[i] = median(i)
			printf "%-28s %7.1f %9.1f %8.1f %8.1f %7.1f %7.1f %8.1f %6.2f\n",
				s, m[1], m[2], m[3], m[4], m[5], m[6], m[6] / m[7], mpps
			printf "%s,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.3f,%s\n", s,
				m[1], m[2], m[3], m[4], m[5], m[6], m[7], mpps >> csv
		}' || rc=1
done
echo "bench: stage figures in $csv"
exit $rc
