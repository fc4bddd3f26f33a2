#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# make bench: every scenario of dplb-bench (one process each), each beside
# the I/O-only baseline of the same run.  Prints a table and the figures
# against the targets; writes $OUT/bench.csv, $OUT/bench.log and, when
# gnuplot is there, $OUT/bench.png (docs/performance.md).
#   bench/run.sh           the full set (about 5 minutes on 2 cores), then
#                          the end-to-end figure over the lab's veths
#                          (bench/e2e.py, about 100 s more: $OUT/e2e.csv)
#   bench/run.sh --no-e2e  the same without the end-to-end figure
#   bench/run.sh --smoke   seconds: every scenario small, every packet
#                          checked, and e2e.py --smoke (as root, with
#                          dpdk-testpmd); ends with "bench-smoke: N passed, N failed"
# Environment: BENCH_SECONDS (1) and BENCH_ROUNDS (3) per scenario,
# BENCH_OUT (build/bench), BENCH_CPUS (lcore cpus, default the affinity),
# BENCH_E2E=0 (as --no-e2e), BENCH_ONLY ("fnat6 --conns 1000;nat64
# --conns 1000": these scenarios of the full set alone); E2E_* for
# bench/e2e.py (see its --help).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-$PWD/build}
BIN=$BUILD/dplb-bench
OUT=${BENCH_OUT:-$BUILD/bench}
SECS=${BENCH_SECONDS:-1}
ROUNDS=${BENCH_ROUNDS:-3}
CPUS=${BENCH_CPUS:+--cpus $BENCH_CPUS}

FULL=(
	"fnat --conns 1000"
	"fnat --conns 100000"
	"fnat --conns 1000000"
	"fnat --conns 10000000"
	"fnat --conns 1000000 --clients-everywhere"
	"fnat --conns 1000 --workers 2"
	"cps --conns 0"
	"cps --conns 100000"
	"cps --conns 1000000"
	"cps --conns 10000000"
	"udp --conns 1000000"
	"nat --conns 1000000"
	"dr --conns 1000000"
	"tunnel --conns 1000000"
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
	"cps-est --conns 0"
	"cps-est --conns 0 --sync"
	"fnat --conns 1000000 --sync"
	"sync-install --conns 1000000"
	"sync-update --conns 1000000"
	"sync-dump --conns 1000000"
	"snat --conns 1000"
	"snat --conns 1000000"
	"snat-cps --conns 0"
	"syn-cookie --conns 0"
	"fnat --conns 100000 --syn-proxy"
	"fnat6 --conns 1000"
	"fnat6 --conns 1000000"
	"nat64 --conns 1000"
	"nat64 --conns 1000000"
	"cps6 --conns 0"
	"cps64 --conns 0"
)
SMOKE=(
	"fnat --conns 1000"
	"fnat --conns 1000 --clients-everywhere"
	"fnat --conns 1000 --workers 2"
	"udp --conns 1000"
	"nat --conns 1000"
	"dr --conns 1000"
	"tunnel --conns 1000"
	"cps --conns 1000"
	"cps --sched mh"
	"cps --sched wlc"
	"cps-est --conns 1000 --sync"
	"fnat --conns 1000 --sync"
	"sync-install --conns 10000"
	"snat --conns 1000"
	"snat-cps --conns 1000"
	"fnat6 --conns 1000"
	"nat64 --conns 1000"
	"cps6 --conns 1000"
	"cps64 --conns 1000"
)
# Run in the smoke without --verify: the generator knows a flow by its
# sequence number, which the SYN proxy changes (a cookie SYN-ACK, the
# server's side translated), so it cannot check their packets yet; the
# golden cases (tests/packet, lb_syn_proxy_*) check them byte for byte.
SMOKE_UNVERIFIED=(
	"syn-cookie --conns 0"
	"fnat --conns 1000 --syn-proxy"
)

if [ -n "${BENCH_ONLY:-}" ]; then
	IFS=';' read -r -a FULL <<<"$BENCH_ONLY"
fi

die() { echo "bench: $*" >&2; exit 1; }

[ -x "$BIN" ] || die "$BIN is missing: run make first"

# One test of the smoke: counted, its log's tail shown if it fails.
smoke_one() {
	local name=$1
	shift
	if "$@" >>"$log" 2>&1; then
		passed=$((passed + 1)); echo "ok   $name"
	else
		failed=$((failed + 1)); echo "FAIL $name"
		tail -5 "$log" | sed 's/^/    /'
	fi
}

smoke() {
	local s passed=0 failed=0 log=$OUT/smoke.log
	: >"$log"
	for s in "${SMOKE[@]/%/ --verify}" "${SMOKE_UNVERIFIED[@]}"; do
		# shellcheck disable=SC2086
		smoke_one "$s" "$BIN" --scenario $s --seconds 0.2 --warmup 0.05 \
			--rounds 1 $CPUS
	done
	smoke_one "stages (make -C bench stages, bench/stages.sh)" stages_smoke
	if e2e_possible; then
		if BUILD=$BUILD BENCH_OUT=$OUT/e2e-smoke bench/e2e.py --smoke >>"$log" 2>&1; then
			passed=$((passed + 1)); echo "ok   e2e --smoke (dplbd and testpmd over af_xdp veths)"
		else
			failed=$((failed + 1)); echo "FAIL e2e --smoke"
			grep '^e2e' "$log" | tail -5 | sed 's/^/    /'
		fi
	else
		echo "skip e2e --smoke: $E2E_WHY"
	fi
	echo "bench-smoke: $passed passed, $failed failed"
	[ "$failed" = 0 ]
}

# The stages build (made here: the test run is its only user besides
# make bench-stages) gives a figure for every stage, and they add up.
stages_smoke() {
	local out=$OUT/stages-smoke
	make -s -j"$(nproc)" -C bench BUILD="$BUILD" stages || return 1
	BUILD=$BUILD BENCH_OUT=$out BENCH_STAGES="fnat --conns 1000" \
		BENCH_ROUNDS=1 BENCH_SECONDS=0.2 bench/stages.sh || return 1
	awk -F, 'NR == 2 {
		parts = $2 + $3 + $4 + $5 + $6
		ok = $3 > 0 && $4 > 0 && $5 > 0 && $6 > 0 && $2 > 0 &&
		     parts > 0.99 * $7 && parts < 1.01 * $7
	} END { exit !(NR == 2 && ok) }' "$out/stages.csv"
}

# bench/e2e.py needs root (namespaces), dpdk-testpmd and build/e2e-udp.
e2e_possible() {
	E2E_WHY=
	[ "$(id -u)" = 0 ] || E2E_WHY="not root"
	command -v dpdk-testpmd >/dev/null || E2E_WHY="no dpdk-testpmd"
	[ -x "$BUILD/e2e-udp" ] || E2E_WHY="$BUILD/e2e-udp is missing"
	[ -z "$E2E_WHY" ]
}

run_all() {
	local s first=--header failed=0 csv=$OUT/bench.csv log=$OUT/bench.log
	: >"$csv"; : >"$log"
	for s in "${FULL[@]}"; do
		echo "bench: $s" | tee -a "$log" >&2
		# shellcheck disable=SC2086
		if ! "$BIN" --scenario $s --seconds "$SECS" --rounds "$ROUNDS" \
			$CPUS $first >>"$csv" 2>>"$log"; then
			echo "bench: $s failed (see $log)" >&2
			failed=1
			continue
		fi
		first=
	done
	return $failed
}

# The table: one line per scenario, rates per CPU second of the worker.
table() {
	awk -F, 'NR == 1 { next }
	NR == 2 { printf "%-12s %-5s %9s %10s %9s %8s %6s %10s %11s %10s %8s %6s\n",
		"test", "sched", "conns", "live", "base", "dplbd", "ratio",
		"dplbd", "conn/s", "conn/s", "bytes", "drops";
		printf "%-12s %-5s %9s %10s %9s %8s %6s %10s %11s %10s %8s %6s\n",
		"", "", "", "", "Mpps", "Mpps", "", "wall Mpps", "", "wall", "/conn", "" }
	{ if ($25 > 1) $1 = $1 " x" $25
	printf "%-12s %-5s %9s %10s %9.2f %8.2f %6.3f %10.2f %11s %10s %8.1f %6s\n",
		$1, $4, $6, $17, $10, $11, $12, $14,
		($1 ~ /^(cps|sync-)/ ? sprintf("%.0f", $15) : "-"),
		($1 ~ /^(cps|sync-)/ ? sprintf("%.0f", $16) : "-"), $20, $18 }' "$1"
}

# The figures against the issue's targets.
targets() {
	awk -F, 'NR == 1 { next }
	$1 == "fnat" && $25 == 2 && $6 == 1000 { two = $11; two_wall = $14; two_base = $10 }
	$1 == "fnat" && $25 == 1 { mpps[$6] = $11; ratio[$6] = $12; base[$6] = $10; mem[$6] = $21;
		cap[$6] = $7; bpc[$6] = $20; wall[$6] = $14 }
	$1 == "cps" && $4 == "rr" && $6 == 0 { cps = $15 }
	$1 == "cps-est" { cps3 = $15 }
	$1 == "cps-est+sync" { cps3s = $15 }
	$1 == "fnat+sync" && $6 == 1000000 { fsync = $11; fsync_ratio = $12 }
	$1 == "sync-install" { inst = $15 }
	$1 == "sync-update" { upd = $15 }
	$1 == "sync-dump" && $16 > 0 { dump_s = $6 / $16; dump_n = $6 }
	$1 == "fnat6" || $1 == "nat64" { v6[$1, $6] = $11; v6r[$1, $6] = $12;
		v6b[$1, $6] = $20; v6m[$1, $6] = $21; v6c[$1, $6] = $7 }
	$1 == "cps6" || $1 == "cps64" { cps6[$1] = $15 }
	END {
		printf "\nfigure                                   measured      target\n"
		printf "FNAT established, 1M conns, Mpps/core    %8.2f      >= 10\n", mpps[1000000]
		printf "  (ratio to the I/O baseline)            %8.3f      >= 0.35 (issue 17)\n", ratio[1000000]
		printf "new TCP connections/s/core               %8.0f      >= 1000000\n", cps
		printf "bytes per connection (table)             %8.1f      <= 96\n", bpc[10000000]
		if (cap[10000000] > cap[1000])
			printf "bytes per connection (RSS+hugetlb)       %8.1f      <= 96\n",
				(mem[10000000] - mem[1000]) * 1024 / (cap[10000000] - cap[1000])
		if (mpps[1000] > 0)
			printf "Mpps at 10M conns / Mpps at 1k conns     %8.3f      >= 0.85\n",
				mpps[10000000] / mpps[1000]
		if (two > 0 && mpps[1000] > 0)
			printf "FNAT 1k, two workers / one (per CPU s) %8.2f      >= 1.8\n",
				two / mpps[1000]
		if (two_wall > 0 && wall[1000] > 0)
			printf "  (per wall second, shared machine)      %8.2f\n",
				two_wall / wall[1000]
		# What the machine gives: two lcores of the I/O baseline
		# reach 1.65-1.70 times one on the 2-vCPU VMs
		if (two_base > 0 && base[1000] > 0)
			printf "  (the I/O baseline, two / one)          %8.2f\n",
				two_base / base[1000]
		if (cps3 > 0 && cps3s > 0)
			printf "sync master: cost on new connections/s   %7.1f %%      <= 15 %%\n",
				100 * (1 - cps3s / cps3)
		if (ratio[1000000] > 0 && fsync_ratio > 0)
			printf "sync master: FNAT 1M, ratio sync/no sync %8.3f      ~ 1 (callgrind: I/pkt)\n",
				fsync_ratio / ratio[1000000]
		if (inst > 0)
			printf "sync backup: records installed/s/core    %8.0f      >= 1000000\n", inst
		if (upd > 0)
			printf "sync backup: records updated/s/core      %8.0f\n", upd
		if (dump_s > 0)
			printf "sync: full backup of %d conns, s     %8.2f      (dump_rate: 2 s for 1M)\n",
				dump_n, dump_s
		ipv6()
	}
	# IPv6 (bench6.c): Mpps and ratio at 1k and 1M, new connections/s,
	# bytes per IPv6 connection (the table on the DPDK heap over its
	# capacity), checked by the RSS+hugetlb growth from 1k to 1M (the
	# IPv4 table of these runs stays at its minimum in both: capacity()
	# in bench.c)
	function ipv6(   s, n, grow) {
		split("fnat6 nat64", s, " ")
		for (n = 1; n <= 2; n++) {
			if (v6[s[n], 1000] == "")
				continue
			printf "%-5s established, 1k / 1M, Mpps       %6.2f / %-6.2f (ratio %.3f / %.3f)\n",
				s[n], v6[s[n], 1000], v6[s[n], 1000000],
				v6r[s[n], 1000], v6r[s[n], 1000000]
			printf "%-5s bytes per IPv6 connection (table)  %8.1f\n", s[n],
				v6b[s[n], 1000000]
			if (v6c[s[n], 1000000] <= v6c[s[n], 1000])
				continue
			grow = (v6m[s[n], 1000000] - v6m[s[n], 1000]) * 1024
			printf "%-5s bytes per IPv6 connection (RSS)    %8.1f\n", s[n],
				grow / (v6c[s[n], 1000000] - v6c[s[n], 1000])
		}
		for (n in cps6)
			printf "%-5s new connections/s/core           %8.0f\n", n, cps6[n]
	}' "$1"
}

plot() {
	local csv=$1
	command -v gnuplot >/dev/null || { echo "bench: no gnuplot, no plot" >&2; return 0; }
	awk -F, '$1 == "fnat" && $25 == 1 { print $6, $11, $10 }' "$csv" | sort -n >"$OUT/fnat.dat"
	awk -F, '$1 == "cps" && $4 == "rr" { print $17, $15 / 1e6 }' "$csv" |
		sort -n >"$OUT/cps.dat"
	gnuplot -e "outdir='$OUT'" bench/plot.gp && echo "bench: plot in $OUT/bench.png"
}

mkdir -p "$OUT"
E2E=${BENCH_E2E:-1}
case ${1:-} in
--smoke) smoke; exit ;;
--no-e2e) E2E=0 ;;
"") ;;
*) die "usage: bench/run.sh [--smoke | --no-e2e]" ;;
esac
start=$(date +%s)
run_all
rc=$?
table "$OUT/bench.csv"
targets "$OUT/bench.csv"
plot "$OUT/bench.csv"
echo "bench: CSV in $OUT/bench.csv; $(( $(date +%s) - start )) s"
if [ "$E2E" = 1 ]; then
	# dplbd against testpmd over the lab's veths (docs/performance.md)
	if e2e_possible; then
		echo
		BUILD=$BUILD BENCH_OUT=$OUT bench/e2e.py || rc=1
	else
		echo "bench: no end-to-end figure: $E2E_WHY" >&2
	fi
fi
exit $rc
