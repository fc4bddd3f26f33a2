#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# `make demo`: build a namespace lab, run dplbd in it, send real traffic
# through it and show dplbctl's views, then tear everything down.
# Exit status 0 only if every traffic check passed.
#
#   HOLD=1          keep the lab up after the checks until Ctrl-C
#   LAB_PREFIX=X    namespace prefix (default dplb)
#   WORKERS=N       dplbd worker lcores (default 1)
#   DPDK_PMD=af_xdp use net_af_xdp instead of net_af_packet
#   HUGEPAGES=false run dplbd with --no-huge
#
# The build must already be done (the Makefile's demo target does it).

set -u
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"

HOLD=${HOLD:-0}
HUGEPAGES=${HUGEPAGES:-true}
export HUGEPAGES

PASS=0
FAIL=0
FAILED=()
T0=$(date +%s)

section() { printf '\n%s==> %s%s\n' "$C_B" "$*" "$C_0"; }
info() { printf '    %s\n' "$*"; }

# check DESCRIPTION CMD...: run, show the result and a short excerpt
check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		PASS=$((PASS + 1))
		printf '    %s[ ok ]%s %s\n' "$C_G" "$C_0" "$desc"
	else
		FAIL=$((FAIL + 1))
		FAILED+=("$desc")
		printf '    %s[FAIL]%s %s (exit %d)\n' "$C_R" "$C_0" "$desc" "$rc"
	fi
	[ -n "$out" ] && printf '%s\n' "$out" | tail -n 3 | sed 's/^/           /'
	return $rc
}

# curl_expect NODE URL TEXT: the body must contain TEXT
curl_expect() {
	local node=$1 url=$2 text=$3 body
	body=$(lab_in "$node" curl -sS --max-time 5 "$url") || return 1
	echo "body: $body"
	[[ $body == *"$text"* ]]
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	section "Tearing down lab '$P'"
	lab_down
	exit $rc
}

# ------------------------------------------------------------------ start
lab_check_env || exit 1
for b in "$DPLBD" "$DPLBCTL"; do
	if [ ! -x "$b" ]; then
		lab_err "$b is missing: build first (make)"
		exit 1
	fi
done

printf '%sdplb demo%s: a DPDK L4 load balancer between network namespaces\n' "$C_B" "$C_0"
cat <<EOF

   $NS_C                 $NS_LB                         $NS_SW      $NS_RS1 $RS1_IP
   c0 $CLIENT_IP ---- lb0 [dp0 $DP0_IP  dplbd  $DP1_IP dp1] lb1 ---- br0 ----
                                                                                $NS_RS2 $RS2_IP
EOF

section "Preparing"
if [ "$HUGEPAGES" = true ]; then
	free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
	total=$(cat /proc/sys/vm/nr_hugepages)
	want=128
	if [ "${free:-0}" -lt $want ]; then
		info "only ${free:-0} free 2 MB hugepages, reserving $((want - free)) more"
		echo $((total + want - free)) >/proc/sys/vm/nr_hugepages 2>/dev/null
		free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
		if [ "${free:-0}" -lt $want ]; then
			lab_warn "could not reserve hugepages ($free free); running dplbd with --no-huge"
			HUGEPAGES=false
		fi
	fi
	[ "$HUGEPAGES" = true ] && info "hugepages: ${free} x 2 MB free"
fi
[ "$HUGEPAGES" = false ] && info "hugepages: off (--no-huge)"

if lab_is_up; then
	info "a previous lab '$P' is still up; removing it"
	lab_down >/dev/null
fi

trap cleanup EXIT
trap 'exit 130' INT TERM

section "Building the lab (prefix '$P', $WORKERS worker(s), $DPDK_PMD)"
lab_up || exit 1
lab_start_servers || exit 1

section "Starting dplbd"
conf=$(lab_config "$LAB_CONF") || exit 1
info "config: $conf"
lab_start_dplbd "$conf" || exit 1
lab_start_mgmt || exit 1

# ------------------------------------------------------------------ traffic
section "Traffic: the client pings dplbd and, through it, both servers"
check "ping $DP0_IP (dplbd answers itself)" lab_in c ping -c 3 -i 0.2 -W 2 "$DP0_IP"
check "ping $RS1_IP (rs1, routed by dplbd)" lab_in c ping -c 3 -i 0.2 -W 2 "$RS1_IP"
check "ping $RS2_IP (rs2, routed by dplbd)" lab_in c ping -c 3 -i 0.2 -W 2 "$RS2_IP"
check "ping $CLIENT_IP from rs1 (the other way)" lab_in rs1 ping -c 3 -i 0.2 -W 2 "$CLIENT_IP"

section "Traffic: HTTP from the client to each server through dplbd"
check "curl http://$RS1_IP/ answers 'rs1'" curl_expect c "http://$RS1_IP/" rs1
check "curl http://$RS2_IP/ answers 'rs2'" curl_expect c "http://$RS2_IP/" rs2

section "Traffic: TCP to dplbd's own address reaches the kernel twin"
info "a python http.server listens on $DP0_IP:$MGMT_PORT in $NS_LB (twin dp0);"
info "dplbd hands this TCP to the twin and sends the kernel's answers out of dp0"
check "curl http://$DP0_IP:$MGMT_PORT/ (management via twin)" \
	curl_expect c "http://$DP0_IP:$MGMT_PORT/" "dplb management"

# ------------------------------------------------------------------ load balancing
VIP=198.18.0.100
LIP=198.18.1.100
section "Load balancing: a full-NAT virtual service $VIP:80 over rs1 and rs2"
info "dplbctl addr add $VIP/32 dev dp0; dplbctl addr add $LIP/32 dev dp1"
info "dplbctl laddr add lg1 $LIP"
info "dplbctl service add -t $VIP:80 -s rr -l lg1"
info "dplbctl dest add -t $VIP:80 -r $RS1_IP:80 -b; dplbctl dest add -t $VIP:80 -r $RS2_IP:80 -b"
lb_setup() {
	lab_ctl addr add "$VIP/32" dev dp0 &&
		lab_ctl addr add "$LIP/32" dev dp1 &&
		lab_ctl laddr add lg1 "$LIP" &&
		lab_ctl service add -t "$VIP:80" -s rr -l lg1 &&
		lab_ctl dest add -t "$VIP:80" -r "$RS1_IP:80" -b &&
		lab_ctl dest add -t "$VIP:80" -r "$RS2_IP:80" -b
}
# lb_rounds N: N curls to the VIP; round robin must answer rs1 and rs2 alike
lb_rounds() {
	local i body rs1=0 rs2=0
	for i in $(seq 1 "$1"); do
		body=$(lab_in c curl -sS --max-time 5 "http://$VIP/") || return 1
		case $body in rs1) rs1=$((rs1 + 1)) ;; rs2) rs2=$((rs2 + 1)) ;; esac
	done
	echo "rs1 answered $rs1, rs2 answered $rs2"
	[ "$rs1" = $(($1 / 2)) ] && [ "$rs2" = $(($1 / 2)) ]
}
check "set up the service over the control socket" lb_setup
check "20 curls to http://$VIP/ alternate between rs1 and rs2" lb_rounds 20
section "dplbctl service show"
lab_ctl service show 2>&1 | sed 's/^/    /'
section "dplbctl service show --stats"
lab_ctl service show --stats 2>&1 | sed 's/^/    /'

# ------------------------------------------------------------------ views
for v in "port show -s" "addr show" "route show" "neigh show" "lcore show" "drop show"; do
	section "dplbctl $v"
	# shellcheck disable=SC2086
	lab_ctl $v 2>&1 | sed 's/^/    /'
	[ "${PIPESTATUS[0]}" = 0 ] || lab_warn "dplbctl $v failed"
done

# ------------------------------------------------------------------ summary
section "Summary"
if [ $FAIL = 0 ]; then
	printf '    %sall %d traffic checks passed%s in %ds\n' "$C_G" "$PASS" "$C_0" $(($(date +%s) - T0))
else
	printf '    %s%d of %d traffic checks failed:%s\n' "$C_R" "$FAIL" $((PASS + FAIL)) "$C_0"
	for f in "${FAILED[@]}"; do info "- $f"; done
	info "dplbd log: last lines of $LAB_STATE/dplbd.log"
	tail -n 15 "$LAB_STATE/dplbd.log" | sed 's/^/      /'
fi

if [ "$HOLD" = 1 ]; then
	section "The lab stays up (HOLD=1) - press Ctrl-C to tear it down"
	cat <<EOF
    Enter a namespace:
      ip netns exec $NS_C bash        # client $CLIENT_IP
      ip netns exec $NS_LB bash       # dplbd and its twins dp0/dp1
      ip netns exec $NS_RS1 bash      # rs1 $RS1_IP (nginx)
      ip netns exec $NS_RS2 bash      # rs2 $RS2_IP (nginx)
      ip netns exec $NS_SW bash       # the bridge br0
    Try:
      ip netns exec $NS_C curl http://$RS1_IP/
      ip netns exec $NS_C curl http://198.18.0.100/   # the VIP, rs1 and rs2 in turn
      ip netns exec $NS_C ping $DP0_IP
    Talk to dplbd:
      $DPLBCTL -S $LAB_SOCK port show -s
      $DPLBCTL -S $LAB_SOCK drop show
      (or: LAB_PREFIX=$P $LAB_DIR/lab.sh ctl port show -s)
    dplbd's log: $LAB_STATE/dplbd.log   config: $conf
EOF
	while :; do sleep 1; done
fi

[ $FAIL = 0 ]
