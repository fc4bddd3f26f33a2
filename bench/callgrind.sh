#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench-callgrind: instructions per packet of the I/O-only baseline
# and of dplbd's pipeline, under callgrind, DPDK without hugepages and
# small tables.  dplb-bench runs each phase for exactly N packets; the
# cost is what callgrind counts inside bench_lcore_base and
# bench_lcore_pipe (the fill is outside both), divided by N.  Prints a
# table, the FNAT profile's top functions, and writes
# $OUT/callgrind.csv and the callgrind files.
# Environment: BENCH_CG_PACKETS (100000), BENCH_OUT (build/bench),
# BENCH_CG_ONLY ("fnat --conns 1000;cps --sched wlc": these scenarios
# alone, without the profile).  A scenario with --sync runs as a sync
# master (its name gets "+sync").
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-$PWD/build}
BIN=$BUILD/dplb-bench
OUT=${BENCH_OUT:-$BUILD/bench}/callgrind
PKTS=${BENCH_CG_PACKETS:-100000}
SCENARIOS=(
	"fnat --conns 1000"
	"fnat --conns 100000"
	"udp --conns 1000"
	"nat --conns 1000"
	"dr --conns 1000"
	"tunnel --conns 1000"
	"cps --sched rr"
	"cps --sched wrr"
	"cps --sched lc"
	"cps --sched wlc"
	"cps --sched sed"
	"cps --sched nq"
	"cps --sched sh"
	"cps --sched mh"
	"cps --sched dh"
	"cps --sched lblc"
	"cps --sched lblcr"
	"fnat --conns 1000 --sync"
	"cps-est"
	"cps-est --sync"
	"snat --conns 1000"
	"snat --conns 100000"
	"snat-cps"
	"fnat --conns 1000 --syn-proxy"
	"syn-cookie"
	"fnat6 --conns 1000"
	"nat64 --conns 1000"
	"cps6"
	"cps64"
)

if [ -n "${BENCH_CG_ONLY:-}" ]; then
	IFS=';' read -r -a SCENARIOS <<<"$BENCH_CG_ONLY"
fi

command -v valgrind >/dev/null || { echo "bench: valgrind is missing (make deps)" >&2; exit 1; }
[ -x "$BIN" ] || { echo "bench: $BIN is missing: run make first" >&2; exit 1; }
mkdir -p "$OUT"

# Inclusive instructions of one function in a callgrind file.
inclusive() {
	callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
		awk -v fn="$2" '$0 ~ ":" fn "( |$)" { gsub(",", "", $1); print $1; exit }'
}

# New connections: the measured packets run after the table reached its
# steady state (dplb-bench --packets), but how many connections expire
# among them still depends on how fast valgrind ran before.  Count the
# expiry as the steady state pays it, once a new connection: its cost
# per expired connection (dplb-bench's log says how many) times the
# connections made.
steady_pipe() {
	local f=$1 log=$2 pipe=$3 tick
	tick=$(inclusive "$f" lb_expire_tick)
	sed -n 's/^bench: measured: \([0-9]*\) connections new, \([0-9]*\) expired$/\1 \2/p' "$log" |
		awk -v p="$pipe" -v t="${tick:-0}" '
		$2 > 0 { printf "%.0f", p - t + t / $2 * $1; done = 1 }
		END { if (!done) printf "%.0f", p }'
}

# callgrind on one scenario; the file name is the scenario's words.
profile() {
	local name=$1 toggles=$2; shift 2
	# --fair-sched: valgrind runs one thread at a time, and its default
	# lock lets the polling worker take it back at once, so that the
	# main thread, which ends each phase, could wait for minutes.
	# shellcheck disable=SC2086
	valgrind --tool=callgrind --fair-sched=yes --collect-atstart=no $toggles \
		--callgrind-out-file="$OUT/$name.out" \
		"$BIN" "$@" --no-huge --packets "$PKTS" --rounds 1 \
		>"$OUT/$name.csv" 2>"$OUT/$name.log"
}

csv=$OUT/callgrind.csv
echo "scenario,conns,sched,packets,base_ipp,lb_ipp,delta_ipp" >"$csv"
printf "%-12s %-8s %-5s %10s %10s %10s\n" test conns sched "base I/pkt" \
	"dplbd I/pkt" "above base"
rc=0
for s in "${SCENARIOS[@]}"; do
	name=$(echo "$s" | tr -d ' -')
	if ! profile "$name" "--toggle-collect=bench_lcore_base --toggle-collect=bench_lcore_pipe" \
		--scenario $s; then
		echo "bench: $s failed under valgrind (see $OUT/$name.log)" >&2
		rc=1
		continue
	fi
	base=$(inclusive "$OUT/$name.out" bench_lcore_base)
	pipe=$(inclusive "$OUT/$name.out" bench_lcore_pipe)
	case $s in cps*) pipe=$(steady_pipe "$OUT/$name.out" "$OUT/$name.log" "${pipe:-0}") ;; esac
	set -- $s
	sc=$1; conns=$(echo "$s" | sed -n 's/.*--conns \([0-9]*\).*/\1/p')
	case " $s " in *" --sync "*) sc=$sc+sync ;; esac
	case " $s " in *" --syn-proxy "*) sc=$sc+synproxy ;; esac
	sched=$(echo "$s" | sed -n 's/.*--sched \([a-z]*\).*/\1/p')
	awk -v sc="$sc" -v c="${conns:-0}" -v sd="${sched:-rr}" -v n="$PKTS" \
		-v b="${base:-0}" -v p="${pipe:-0}" -v csv="$csv" 'BEGIN {
		printf "%-12s %-8s %-5s %10.1f %10.1f %10.1f\n", sc, c, sd,
			b / n, p / n, (p - b) / n
		printf "%s,%s,%s,%d,%.1f,%.1f,%.1f\n", sc, c, sd, n, b / n,
			p / n, (p - b) / n >> csv }'
done

# Where the FNAT pipeline's instructions go (the baseline's functions
# -- eth_null_rx/tx, gen_rx, pkt_make -- appear here too).
if [ -z "${BENCH_CG_ONLY:-}" ] &&
	profile fnat-pipe "--toggle-collect=bench_lcore_pipe" --scenario fnat --conns 100000; then
	echo
	echo "FNAT, 100k connections: top functions of bench_lcore_pipe (self, per packet)"
	callgrind_annotate "$OUT/fnat-pipe.out" 2>/dev/null |
		awk -v n="$PKTS" '/^ *[0-9,]+ \(.*:/ && c < 25 {
			v = $1; gsub(",", "", v)
			for (i = 2; i <= NF && $i !~ /:/; i++) ;
			fn = $i; sub(/.*\//, "", fn)
			printf "%8.1f  %s\n", v / n, fn; c++ }'
fi
echo "bench: callgrind files and CSV in $OUT"
exit $rc
