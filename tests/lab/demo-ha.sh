#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# `make demo-ha`: an HA pair of dplbd + patched keepalived in a namespace
# lab (lab.sh up-ha), with config/keepalived-master.conf and
# config/keepalived-backup.conf (each checked with keepalived -t before it
# is used); shows where the VIP lives, checked reloads that keep it, then a
# crash of the master's keepalived (kill -9), its return (preemption) and a
# graceful stop, each with the time the client needed to be served again.
# Exit status 0 only if every check passed.
#
#   HOLD=1          keep the lab up after the checks until Ctrl-C
#   LAB_PREFIX=X    namespace prefix (default dplbha)

set -u
LAB_PREFIX=${LAB_PREFIX:-dplbha}
export LAB_PREFIX
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck source=tests/lab/ha.sh
. "$(dirname "$(readlink -f "$0")")/ha.sh"

HOLD=${HOLD:-0}
VIP=198.18.0.100
PASS=0
FAIL=0

section() { printf '\n%s==> %s%s\n' "$C_B" "$*" "$C_0"; }
info() { printf '    %s\n' "$*"; }
ok() { PASS=$((PASS + 1)); printf '    %s[ ok ]%s %s\n' "$C_G" "$C_0" "$*"; }
bad() { FAIL=$((FAIL + 1)); printf '    %s[FAIL]%s %s\n' "$C_R" "$C_0" "$*"; }

sock() { [ "$1" = lb ] && echo "$LAB_SOCK" || echo "$LAB_STATE/dplbd-lb2.sock"; }
ctl() { local n=$1; shift; "$DPLBCTL" -S "$(sock "$n")" "$@"; }
holds() { ctl "$1" call vip.list 2>/dev/null | grep -q "\"$VIP\""; }
holder() {
	local h=""
	holds lb && h=lb
	holds lb2 && h=${h:+$h+}lb2
	echo "${h:-none}"
}
conns() { ctl "$1" -j service show --stats 2>/dev/null | tr ',' '\n' | grep -m1 '"conns"' | tr -dc 0-9; }

# served_by NODE TIMEOUT_S: seconds (ms precision) until a curl through
# the VIP succeeds through NODE's dplbd; "" if not in time
served_by() {
	local node=$1 timeout=$2 t0 now before
	t0=$(date +%s%N)
	while :; do
		before=$(conns "$node")
		if lab_in c curl -s -m 0.5 "http://$VIP/" >/dev/null 2>&1 &&
			[ "$(conns "$node")" != "$before" ]; then
			now=$(date +%s%N)
			echo "$(((now - t0) / 1000000))"
			return 0
		fi
		now=$(date +%s%N)
		[ $(((now - t0) / 1000000)) -gt $((timeout * 1000)) ] && return 1
		sleep 0.05
	done
}
ms() { printf '%d.%03d s' $(($1 / 1000)) $(($1 % 1000)); }

start_dplbd2() {
	local conf=$1 i
	lab_spawn dplbd-lb2 lb2 "$LAB_STATE/dplbd-lb2.log" "$DPLBD" -c "$conf" || return 1
	for ((i = 0; i < 300; i++)); do
		ctl lb2 port show >/dev/null 2>&1 && return 0
		lab_pid_alive dplbd-lb2 || break
		sleep 0.1
	done
	lab_err "dplbd in $P-lb2 did not start"
	tail -n 20 "$LAB_STATE/dplbd-lb2.log" >&2
	return 1
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	section "Tearing down lab '$P'"
	lab_down
	exit $rc
}

lab_check_env || exit 1
for b in "$DPLBD" "$DPLBCTL" "$KEEPALIVED"; do
	[ -x "$b" ] || { lab_err "$b is missing: build first (make)" && exit 1; }
done
printf '%sdplb HA demo%s: two dplbd + keepalived appliances, one VIP\n' "$C_B" "$C_0"
cat <<EOF

   $NS_C c0 $CLIENT_IP --- brc ---+--- lb0 [$P-lb:  dp0 $DP0_IP  dplbd+keepalived  dp1 $DP1_IP] lb1 ---+--- br0 --- rs1 $RS1_IP
                                  +--- lb0 [$P-lb2: dp0 $DP0_IP2  dplbd+keepalived  dp1 $DP1_IP2] lb1 ---+          rs2 $RS2_IP
   VIP $VIP (VRRP over the twins dp0, unicast)
EOF
lab_is_up && lab_down >/dev/null
trap cleanup EXIT
trap 'exit 130' INT TERM
free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
[ "${free:-0}" -ge 256 ] || echo $(($(cat /proc/sys/vm/nr_hugepages) + 256)) >/proc/sys/vm/nr_hugepages

section "Building the pair"
lab_up_ha || exit 1
lab_start_servers || exit 1
lab_start_dplbd "$(lab_config_ha lb)" || exit 1
start_dplbd2 "$(lab_config_ha lb2)" || exit 1
for role in master backup; do
	node=lb
	[ $role = backup ] && node=lb2
	sed "s|dplbd_socket /run/dplb/dplbd.sock|dplbd_socket $(sock $node)|" \
		"$LAB_REPO/config/keepalived-$role.conf" >"$LAB_STATE/keepalived-$role.conf"
	lab_start_keepalived "ka-$node" "$node" "$LAB_STATE/keepalived-$role.conf" || exit 1
	info "keepalived $role in $P-$node: config/keepalived-$role.conf, log $LAB_STATE/ka-$node.log"
done

section "Steady state"
for ((i = 0; i < 100; i++)); do [ "$(holder)" = lb ] && break; sleep 0.1; done
if [ "$(holder)" = lb ]; then ok "the VIP is in the master's dplbd only"; else bad "VIP holder: $(holder)"; fi
ctl lb call vip.list | sed 's/^/      /'
if served_by lb 5 >/dev/null; then ok "the client is served through the master"; else bad "no service through the master"; fi
info "real servers in each dplbd (pushed by each keepalived's checker):"
ctl lb service show | sed 's/^/      lb:  /'
ctl lb2 service show | tail -n +4 | sed 's/^/      lb2: /'

section "Reload of the master's keepalived (the file is checked first)"
conf=$LAB_STATE/keepalived-master.conf
cp "$conf" "$conf.good"
sed -i 's/lb_algo rr/lb_alog rr/' "$conf"
if lab_reload_keepalived ka-lb lb "$conf" 2>/dev/null; then
	bad "a broken file was accepted"
else
	ok "a broken file (lb_alog) is refused; keepalived was not signalled"
fi
cp "$conf.good" "$conf"
lost=0
for r in 1 2 3; do
	lab_reload_keepalived ka-lb lb "$conf" || bad "reload $r refused"
	for ((i = 0; i < 10; i++)); do [ "$(holder)" = lb ] || lost=$((lost + 1)); sleep 0.1; done
done
if [ $lost = 0 ]; then ok "3 reloads: the VIP never left the master (a lease of VI_1)"
else bad "the VIP was away in $lost samples during the reloads"; fi

section "kill -9 of the master's keepalived"
pids=$(lab_keepalived_pids ka-lb | cut -d= -f2 | tr '\n' ' ')
t0=$(date +%s%N)
# shellcheck disable=SC2086
kill -KILL $pids
if served_by lb2 8 >/dev/null; then
	ok "the backup serves the VIP $(ms $((($(date +%s%N) - t0) / 1000000))) after the kill (VIP holder: $(holder))"
else
	bad "the backup did not take over (holder: $(holder))"
fi
lab_kill ka-lb 1

section "The master returns (preemption)"
lab_start_keepalived ka-lb lb "$LAB_STATE/keepalived-master.conf" || exit 1
t0=$(date +%s%N)
for ((i = 0; i < 100; i++)); do [ "$(holder)" = lb ] && break; sleep 0.1; done
if [ "$(holder)" = lb ]; then
	ok "the master took the VIP back after $(ms $((($(date +%s%N) - t0) / 1000000)))"
else
	bad "VIP holder after the master's return: $(holder)"
fi
served_by lb 5 >/dev/null || bad "no service through the master"

section "Graceful stop of the master's keepalived (SIGTERM)"
t0=$(date +%s%N)
kill -TERM "$(lab_pid ka-lb)"
if served_by lb2 3 >/dev/null; then
	t=$((($(date +%s%N) - t0) / 1000000))
	if [ "$t" -lt 1000 ]; then ok "the backup serves the VIP $(ms "$t") after SIGTERM"
	else bad "the backup served only $(ms "$t") after SIGTERM"; fi
else
	bad "the backup did not take over"
fi
lab_kill ka-lb 5
lab_start_keepalived ka-lb lb "$LAB_STATE/keepalived-master.conf" || exit 1
for ((i = 0; i < 100; i++)); do [ "$(holder)" = lb ] && break; sleep 0.1; done
if [ "$(holder)" = lb ]; then ok "the master holds the VIP again"; else bad "VIP holder: $(holder)"; fi

section "Result"
if [ $FAIL = 0 ]; then
	printf '    %sall %d checks passed%s\n' "$C_G" "$PASS" "$C_0"
else
	printf '    %s%d of %d checks failed%s\n' "$C_R" "$FAIL" $((PASS + FAIL)) "$C_0"
fi
if [ "$HOLD" = 1 ]; then
	section "The pair stays up (HOLD=1) - press Ctrl-C to tear it down"
	cat <<EOF
    ip netns exec $NS_C curl http://$VIP/
    $DPLBCTL -S $(sock lb) call vip.list        # the master's dplbd
    $DPLBCTL -S $(sock lb2) call vip.list       # the backup's
    kill -9 \$(cat $LAB_STATE/ka-lb/vrrp.pid)   # crash the master's VRRP
    logs: $LAB_STATE/ka-lb.log $LAB_STATE/ka-lb2.log
EOF
	while :; do sleep 1; done
fi
[ $FAIL = 0 ]
