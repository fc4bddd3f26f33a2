# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The HA lab and keepalived, sourced by lab.sh after lib.sh.
#
# `lab.sh up-ha` builds the pair instead of `up`'s single lb:
#
#   ${P}-c    c0 198.18.0.2/24 and 2001:2::2/64 -- on the client segment
#             (no gateway: the VIPs are on 198.18.0.0/24 and 2001:2::/64,
#             whoever holds one answers ARP or Neighbor Solicitations)
#   ${P}-lb   lb0 (client segment), lb1 (server segment), both without
#             kernel IPv6; dplbd's twins dp0 198.18.0.1/24 2001:2::1/64,
#             dp1 198.18.1.1/24 2001:2:0:1::1/64 (config/lab.conf)
#   ${P}-lb2  the same, dp0 198.18.0.3/24 2001:2::3/64, dp1 198.18.1.3/24
#             2001:2:0:1::3/64
#   ${P}-sw   brc: the client segment (s-c, s-lb0, s-lb20), carrying VRRP
#             between the twins dp0; br0: the servers' segment (s-lb,
#             s-lb2, s-rs1, s-rs2)
#   rs1, rs2  as in `up`, IPv6 too (their replies go to the LIPs, on-link)
#
#   lab.sh config-ha NODE [OUT]    dplbd config for lb or lb2
#   lab.sh start-keepalived NAME NODE CONF [ARGS...]
#             keepalived -n in NODE, logs to $LAB_STATE/NAME.log, pid
#             files in $LAB_STATE/NAME/ (keepalived.pid, checkers.pid,
#             vrrp.pid); the binary is $KEEPALIVED (default
#             build/keepalived/install/usr/sbin/keepalived).  CONF is
#             checked first (keepalived -t in NODE, where its twins
#             exist); a broken one is refused
#   lab.sh reload-keepalived NAME NODE CONF
#             the same check, then SIGHUP; a broken CONF is refused and
#             the running keepalived is left alone (as ExecReload= of
#             dplb-keepalived.service)
#   lab.sh keepalived-pids NAME    the pids of its three processes

KEEPALIVED=${KEEPALIVED:-$LAB_REPO/build/keepalived/install/usr/sbin/keepalived}
DP0_IP2=198.18.0.3
DP1_IP2=198.18.1.3
DP0_IP6_2=2001:2::3
DP1_IP6_2=2001:2:0:1::3

_lab_ha_port() {
	# _lab_ha_port NODE IFNAME PEER BRIDGE
	local node=$1 ifc=$2 peer=$3 br=$4
	ip link add name "$ifc" netns "$P-$node" type veth peer name "$peer" netns "$NS_SW" || return 1
	lab_in sw ip link set "$peer" master "$br" || return 1
	lab_in sw ip link set "$peer" up || return 1
	_lab_sysctl "$node" "net.ipv6.conf.$ifc.disable_ipv6=1" \
		"net.ipv4.conf.$ifc.rp_filter=1" "net.ipv4.conf.$ifc.arp_ignore=8" \
		"net.ipv4.conf.$ifc.arp_announce=2" || return 1
	lab_in "$node" ethtool -K "$ifc" gro off >/dev/null 2>&1 || true
	lab_in "$node" ip link set "$ifc" up
}

lab_up_ha() {
	local node p
	lab_check_env || return 1
	[ "$WORKERS" = 1 ] || { lab_err "up-ha: one worker (WORKERS=1) only" && return 1; }
	if lab_is_up; then
		lab_err "lab '$P' is already up (state in $LAB_STATE)"
		return 1
	fi
	mkdir -p "$LAB_STATE/pids" || return 1
	LAB_CREATED=1
	: >"$LAB_STATE/netns"
	printf 'prefix=%s\ntopology=ha\nworkers=1\npmd=%s\ncreated=%s\n' "$P" "$DPDK_PMD" "$(date -Is)" \
		>"$LAB_STATE/lab.env"
	for node in c lb lb2 sw rs1 rs2; do
		_lab_ns_add "$P-$node" || return 1
		lab_in "$node" ip link set lo up || return 1
		case $node in
		sw) # a switch: no IPv6 of its own (no MLD noise)
			_lab_sysctl "$node" net.ipv6.conf.all.disable_ipv6=1 \
				net.ipv6.conf.default.disable_ipv6=1 || return 1 ;;
		*) # the twins' and hosts' IPv6; dplbd's veths turn it off
			_lab_ipv6_on "$node" || return 1 ;;
		esac
	done
	lab_in sw ip link add br0 type bridge stp_state 0 forward_delay 0 || return 1
	lab_in sw ip link add brc type bridge stp_state 0 forward_delay 0 || return 1
	ip link add name c0 netns "$NS_C" type veth peer name s-c netns "$NS_SW" || return 1
	ip link add name eth0 netns "$NS_RS1" type veth peer name s-rs1 netns "$NS_SW" || return 1
	ip link add name eth0 netns "$NS_RS2" type veth peer name s-rs2 netns "$NS_SW" || return 1
	for p in s-c:brc s-rs1:br0 s-rs2:br0; do
		lab_in sw ip link set "${p%:*}" master "${p#*:}" || return 1
		lab_in sw ip link set "${p%:*}" up || return 1
	done
	_lab_ha_port lb lb0 s-lb0 brc || return 1
	_lab_ha_port lb lb1 s-lb br0 || return 1
	_lab_ha_port lb2 lb0 s-lb20 brc || return 1
	_lab_ha_port lb2 lb1 s-lb2 br0 || return 1
	lab_in sw ip link set br0 up || return 1
	lab_in sw ip link set brc up || return 1
	lab_in c ethtool -K c0 tx off >/dev/null 2>&1 || true
	lab_in c ip addr add "$CLIENT_IP/24" dev c0 || return 1
	lab_in c ip addr add "$CLIENT_IP6/64" dev c0 nodad || return 1
	lab_in c ip link set c0 up || return 1
	_lab_host_iface rs1 eth0 "$RS1_IP/24" "$DP1_IP" "$RS1_IP6/64" "$DP1_IP6" || return 1
	_lab_host_iface rs2 eth0 "$RS2_IP/24" "$DP1_IP" "$RS2_IP6/64" "$DP1_IP6" || return 1
	lab_log "up (HA pair): namespaces $(tr '\n' ' ' <"$LAB_STATE/netns")"
}

# lab_config_ha NODE [OUT]: lab.conf for lb (as is) or lb2 (its own
# socket and addresses)
lab_config_ha() {
	local node=$1 out=${2:-$LAB_STATE/dplbd-$1.conf}
	lab_config "$out.base" >/dev/null || return 1
	case $node in
	lb) mv "$out.base" "$out" ;;
	lb2)
		sed -e "s|\"$LAB_SOCK\"|\"$LAB_STATE/dplbd-lb2.sock\"|" \
			-e "s|\"$DP0_IP/24\"|\"$DP0_IP2/24\"|" -e "s|\"$DP1_IP/24\"|\"$DP1_IP2/24\"|" \
			-e "s|\"$DP0_IP6/64\"|\"$DP0_IP6_2/64\"|" -e "s|\"$DP1_IP6/64\"|\"$DP1_IP6_2/64\"|" \
			"$out.base" >"$out" && rm -f "$out.base"
		grep -q "\"$DP0_IP2/24\"" "$out" && grep -q "\"$DP1_IP2/24\"" "$out" &&
			grep -q "\"$DP0_IP6_2/64\"" "$out" && grep -q "\"$DP1_IP6_2/64\"" "$out" || {
			lab_err "config/lab.conf no longer matches config-ha's patterns"
			return 1
		}
		;;
	*) lab_err "config-ha: NODE is lb or lb2" && return 1 ;;
	esac
	echo "$out"
}

# lab_keepalived_check NODE CONF: keepalived's own config test, in NODE
# (interfaces are checked: its twins must exist)
lab_keepalived_check() {
	local node=$1 conf=$2 out
	[ -x "$KEEPALIVED" ] || { lab_err "$KEEPALIVED not built (make keepalived)" && return 1; }
	if ! out=$(lab_in "$node" "$KEEPALIVED" -t -f "$conf" 2>&1); then
		lab_err "$conf: keepalived's config test failed; not used:"
		printf '%s\n' "$out" | sed 's/^/    /' >&2
		return 1
	fi
}

lab_start_keepalived() {
	local name=$1 node=$2 conf=$3 d=$LAB_STATE/$1 i
	shift 3
	lab_is_up || { lab_err "lab '$P' is not up" && return 1; }
	lab_keepalived_check "$node" "$conf" || return 1
	mkdir -p "$d" || return 1
	rm -f "$d"/*.pid
	lab_spawn "$name" "$node" "$LAB_STATE/$name.log" "$KEEPALIVED" -n -l -D \
		-f "$conf" -p "$d/keepalived.pid" -c "$d/checkers.pid" -r "$d/vrrp.pid" "$@" || return 1
	for ((i = 0; i < 50; i++)); do
		[ -s "$d/keepalived.pid" ] && return 0
		lab_pid_alive "$name" || break
		sleep 0.1
	done
	lab_err "keepalived $name did not start; see $LAB_STATE/$name.log"
	tail -n 20 "$LAB_STATE/$name.log" >&2
	return 1
}

# lab_reload_keepalived NAME NODE CONF: check CONF, then SIGHUP (keepalived
# re-reads the file it was started with: CONF is that file)
lab_reload_keepalived() {
	local name=$1 node=$2 conf=$3
	lab_pid_alive "$name" || { lab_err "keepalived $name does not run" && return 1; }
	lab_keepalived_check "$node" "$conf" || return 1
	kill -HUP "$(lab_pid "$name")"
}

lab_keepalived_pids() {
	local d=$LAB_STATE/$1 f pid
	for f in keepalived checkers vrrp; do
		# keepalived rewrites a child's file when it starts it again
		pid=$(lab_read_pid "$d/$f.pid") && printf '%s=%s\n' "$f" "$pid"
	done
	return 0
}
