#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The dplb namespace lab.  See lib.sh for the topology and the environment.
#
#   lab.sh up | down | status
#   lab.sh config [OUT]          write the lab's dplbd config (prints its path)
#   lab.sh start-dplbd [CONF]    start dplbd in ${P}-lb (generates the config if needed)
#   lab.sh stop-dplbd
#   lab.sh start-servers         nginx (or python3 http.server) in rs1 and rs2
#   lab.sh stop-servers
#   lab.sh start-web NAME NODE ADDR PORT TEXT
#   lab.sh start-mgmt            http server on 198.18.0.1:8080 in ${P}-lb (via the twin)
#   lab.sh stop NAME             stop a process the lab started (rs1, mgmt, ...)
#   lab.sh exec NODE CMD...      run CMD in ${P}-NODE (c lb sw rs1 rs2)
#   lab.sh ctl ARGS...           dplbctl against this lab's dplbd
#   lab.sh env                   print shell variables describing the lab
#   lab.sh direct-return VIP     DR/TUNNEL reply path: client leg c1 in the switch,
#                                VIP on the servers (lo, ipip), replies bypass dplbd
#   lab.sh start-udp-echo NAME NODE ADDR PORT TEXT   python3 UDP echo server
#   lab.sh outside-up            SNAT: ${P}-out 198.19.9.2 behind the client ns as router
#   lab.sh up-ha | config-ha NODE [OUT] | start-keepalived NAME NODE CONF [ARGS]
#          | reload-keepalived NAME NODE CONF | keepalived-pids NAME
#                                the HA pair and keepalived (ha.sh)
#
# Every namespace is named ${LAB_PREFIX:-dplb}-*.  `down` is idempotent and
# removes only what `up` and the start-* commands recorded.

set -u
# shellcheck source=tests/lab/lib.sh
. "$(dirname "$(readlink -f "$0")")/lib.sh"
# shellcheck shell=bash source=tests/lab/ha.sh
. "$(dirname "$(readlink -f "$0")")/ha.sh"

usage() {
	sed -n '4,26p' "$0" | sed 's/^# \{0,1\}//'
	exit 2
}

cmd=${1:-}
[ -n "$cmd" ] || usage
shift

case $cmd in
up)
	# a failed `up` leaves nothing behind; Ctrl-C during `up` neither
	_up_ok=0
	LAB_CREATED=0
	trap '[ $_up_ok = 1 ] || [ $LAB_CREATED = 0 ] || { lab_err "up failed, tearing down"; lab_down; }' EXIT
	trap 'exit 130' INT TERM
	lab_up || exit 1
	_up_ok=1
	;;
up-ha)
	_up_ok=0
	LAB_CREATED=0
	trap '[ $_up_ok = 1 ] || [ $LAB_CREATED = 0 ] || { lab_err "up-ha failed, tearing down"; lab_down; }' EXIT
	trap 'exit 130' INT TERM
	lab_up_ha || exit 1
	_up_ok=1
	;;
config-ha) [ $# -ge 1 ] || usage; lab_config_ha "$@" ;;
start-keepalived) [ $# -ge 3 ] || usage; lab_start_keepalived "$@" ;;
reload-keepalived) [ $# = 3 ] || usage; lab_reload_keepalived "$@" ;;
keepalived-pids) [ $# = 1 ] || usage; lab_keepalived_pids "$1" ;;
down) lab_down ;;
status) lab_status ;;
config) lab_config "$@" ;;
start-dplbd) lab_start_dplbd "$@" ;;
stop-dplbd) lab_stop_dplbd ;;
start-servers) lab_start_servers ;;
stop-servers) lab_stop_servers ;;
start-web) [ $# = 5 ] || usage; lab_start_web "$@" ;;
start-mgmt) lab_start_mgmt ;;
stop-mgmt) lab_stop_mgmt ;;
stop) [ $# = 1 ] || usage; lab_kill "$1" ;;
outside-up) lab_outside_up ;;
direct-return) [ $# = 1 ] || usage; lab_direct_return "$1" ;;
start-udp-echo) [ $# = 5 ] || usage; lab_start_udp_echo "$@" ;;
exec)
	[ $# -ge 2 ] || usage
	node=$1
	shift
	exec ip netns exec "$P-$node" "$@"
	;;
ctl) exec "$DPLBCTL" -S "$LAB_SOCK" "$@" ;;
env)
	echo "LAB_PREFIX=$P"
	echo "LAB_STATE=$LAB_STATE"
	echo "LAB_SOCK=$LAB_SOCK"
	echo "LAB_CONF=$LAB_CONF"
	for n in $LAB_NODES; do echo "NS_$(echo "$n" | tr "[:lower:]" "[:upper:]")=$P-$n"; done
	;;
-h | --help | help) usage ;;
*) usage ;;
esac
