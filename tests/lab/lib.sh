# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034,SC2119,SC2120,SC2015
#
# The dplb namespace lab: functions shared by lab.sh (CLI), demo.sh and the
# e2e tests (which call lab.sh).  Source it; it defines functions and
# variables only.
#
#   ${P}-c    client  c0   198.18.0.2/24, default via 198.18.0.1
#                          2001:2::2/64, default via 2001:2::1
#   ${P}-lb   dplbd   lb0 (to the client), lb1 (to the switch); no IPs, no IPv6;
#                     dplbd's twins dp0 198.18.0.1/24 2001:2::1/64 and
#                     dp1 198.18.1.1/24 2001:2:0:1::1/64 (kernel IPv6 on
#                     for the twins only)
#   ${P}-sw   bridge  br0 joining s-lb (peer of lb1), s-rs1, s-rs2 (no IPv6)
#   ${P}-rs1  server  eth0 198.18.1.11/24, default via 198.18.1.1
#                          2001:2:0:1::11/64, default via 2001:2:0:1::1
#   ${P}-rs2  server  eth0 198.18.1.12/24, default via 198.18.1.1
#                          2001:2:0:1::12/64, default via 2001:2:0:1::1
# IPv6 addresses come from 2001:2::/48, the benchmarking range (RFC 5180).
#
# Everything the lab creates is recorded under $LAB_STATE
# (/run/dplb-lab/$P): the namespaces in "netns", one file per started
# process in "pids/" (pid and kernel start time, so that a recycled pid is
# never killed).  lab_down removes exactly that and nothing else.
#
# Environment:
#   LAB_PREFIX      namespace prefix (default dplb); [A-Za-z0-9_-], <= 24 chars
#   LAB_STATE_ROOT  state root (default /run/dplb-lab)
#   WORKERS         dplbd workers, also the veth queue count with af_packet
#                   (default 1; af_xdp veths get one queue)
#   DPDK_PMD        af_packet (default) or af_xdp
#   IP_FORWARD      true (default) / false, for the generated config
#   HUGEPAGES       true (default) / false, for the generated config
#   LOG_LEVEL       dplbd log level in the generated config (default info)
#   DPLBD, DPLBCTL  binaries (default build/dplbd, build/dplbctl)

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB_REPO=$(cd "$LAB_DIR/../.." && pwd)

P=${LAB_PREFIX:-dplb}
LAB_STATE_ROOT=${LAB_STATE_ROOT:-/run/dplb-lab}
LAB_STATE=$LAB_STATE_ROOT/$P
LAB_SOCK=$LAB_STATE/dplbd.sock
LAB_CONF=$LAB_STATE/dplbd.conf
DPLBD=${DPLBD:-$LAB_REPO/build/dplbd}
DPLBCTL=${DPLBCTL:-$LAB_REPO/build/dplbctl}
WORKERS=${WORKERS:-1}
DPDK_PMD=${DPDK_PMD:-af_packet}

NS_C=$P-c
NS_LB=$P-lb
NS_SW=$P-sw
NS_RS1=$P-rs1
NS_RS2=$P-rs2
LAB_NODES="c lb sw rs1 rs2"

CLIENT_IP=198.18.0.2
DP0_IP=198.18.0.1
DP1_IP=198.18.1.1
RS1_IP=198.18.1.11
RS2_IP=198.18.1.12
MGMT_PORT=8080
CLIENT_IP6=2001:2::2
DP0_IP6=2001:2::1
DP1_IP6=2001:2:0:1::1
RS1_IP6=2001:2:0:1::11
RS2_IP6=2001:2:0:1::12

# Colours only on a terminal.
if [ -t 1 ]; then
	C_B=$'\e[1m' C_G=$'\e[32m' C_R=$'\e[31m' C_Y=$'\e[33m' C_C=$'\e[36m' C_0=$'\e[0m'
else
	C_B='' C_G='' C_R='' C_Y='' C_C='' C_0=''
fi

lab_log() { printf '%s[lab %s]%s %s\n' "$C_C" "$P" "$C_0" "$*"; }
lab_warn() { printf '%s[lab %s] warning:%s %s\n' "$C_Y" "$P" "$C_0" "$*" >&2; }
lab_err() { printf '%s[lab %s] error:%s %s\n' "$C_R" "$P" "$C_0" "$*" >&2; }

lab_check_env() {
	if ! [[ $P =~ ^[A-Za-z0-9][A-Za-z0-9_-]{0,23}$ ]]; then
		lab_err "LAB_PREFIX '$P' must match [A-Za-z0-9][A-Za-z0-9_-]{0,23}"
		return 1
	fi
	if ! [[ $WORKERS =~ ^[1-9][0-9]?$ ]]; then
		lab_err "WORKERS '$WORKERS' must be 1..64"
		return 1
	fi
	case $DPDK_PMD in
	af_packet | af_xdp) ;;
	*)
		lab_err "DPDK_PMD '$DPDK_PMD' must be af_packet or af_xdp"
		return 1
		;;
	esac
	if [ "$(id -u)" != 0 ]; then
		lab_err "the lab needs root (network namespaces)"
		return 1
	fi
}

# ns NODE -> namespace name
lab_ns() { echo "$P-$1"; }

# in NODE CMD... : run in the node's namespace
lab_in() {
	local node=$1
	shift
	ip netns exec "$P-$node" "$@"
}

lab_is_up() { [ -s "$LAB_STATE/netns" ]; }

# ---------------------------------------------------------------- state

_lab_starttime() {
	# field 22 of /proc/PID/stat, counted after the ")" that ends comm
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	# $1 is the state: a zombie or dead process counts as gone
	case $1 in Z | X) echo Z ;; *) echo "${20}" ;; esac
}

_lab_ns_add() {
	local ns=$1
	if ip netns list | awk '{print $1}' | grep -qx -- "$ns"; then
		lab_err "namespace $ns already exists and is not ours (another lab with prefix '$P'?)"
		return 1
	fi
	ip netns add "$ns" || return 1
	echo "$ns" >>"$LAB_STATE/netns"
}

# lab_spawn NAME NODE LOG CMD... : start CMD in the background in NODE's
# namespace, output to LOG, and record its pid.
lab_spawn() {
	local name=$1 node=$2 log=$3
	shift 3
	mkdir -p "$LAB_STATE/pids"
	if lab_pid_alive "$name"; then
		lab_err "$name is already running (pid $(lab_pid "$name"))"
		return 1
	fi
	# ip netns exec execs the command, so $! is the command's pid.
	ip netns exec "$P-$node" "$@" </dev/null >"$log" 2>&1 &
	local pid=$!
	local st
	st=$(_lab_starttime "$pid") || st=0
	echo "$pid $st $node $*" >"$LAB_STATE/pids/$name.pid"
}

lab_pid() { [ -f "$LAB_STATE/pids/$1.pid" ] && awk '{print $1; exit}' "$LAB_STATE/pids/$1.pid"; }

# true if the recorded process NAME still runs (same pid, same start
# time, not a zombie)
lab_pid_alive() {
	local f=$LAB_STATE/pids/$1.pid pid st cur
	[ -f "$f" ] || return 1
	read -r pid st _ <"$f" || return 1
	cur=$(_lab_starttime "$pid") || return 1
	[ "$cur" != Z ] || return 1
	[ "$st" = 0 ] || [ "$cur" = "$st" ]
}

# The pid in FILE, read once (a process may rewrite it: truncated, then
# written); fails unless it is a number.
lab_read_pid() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 1
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	echo "$pid"
}

# true if PID runs a command of this lab (named with its state dir)
_lab_runs_here() { grep -qaF "$LAB_STATE/" "/proc/$1/cmdline" 2>/dev/null; }

# The live pids in NAME's own pid files ($LAB_STATE/NAME/*.pid, such as
# keepalived's checker and VRRP children), still running a command of
# this lab: a SIGKILL of NAME would leave them behind.
_lab_children() {
	local f pid
	for f in "$LAB_STATE/$1"/*.pid; do
		pid=$(lab_read_pid "$f") && _lab_runs_here "$pid" && echo "$pid"
	done
}

# lab_kill NAME [TIMEOUT_S]: SIGTERM, wait, SIGKILL; forget the pid.
# Children it recorded that outlive it get SIGKILL too.
lab_kill() {
	local name=$1 timeout=${2:-5} f=$LAB_STATE/pids/$1.pid pid i kids
	[ -f "$f" ] || return 0
	kids=$(_lab_children "$name")
	if lab_pid_alive "$name"; then
		pid=$(lab_pid "$name")
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < timeout * 10; i++)); do
			lab_pid_alive "$name" || break
			sleep 0.1
		done
		if lab_pid_alive "$name"; then
			lab_warn "$name (pid $pid) ignored SIGTERM for ${timeout}s, sending SIGKILL"
			kill -KILL "$pid" 2>/dev/null
			for ((i = 0; i < 30; i++)); do
				lab_pid_alive "$name" || break
				sleep 0.1
			done
		fi
		# reap it if it is our own child
		wait "$pid" 2>/dev/null
	fi
	for pid in $kids; do
		_lab_runs_here "$pid" && kill -KILL "$pid" 2>/dev/null
	done
	rm -f "$f"
}

# ---------------------------------------------------------------- up / down

_lab_sysctl() {
	local node=$1
	shift
	lab_in "$node" sysctl -qw "$@" >/dev/null
}

_lab_host_iface() {
	# _lab_host_iface NODE IFACE ADDR/LEN GW [ADDR6/LEN GW6]
	local node=$1 ifc=$2 addr=$3 gw=$4 addr6=${5:-} gw6=${6:-}
	lab_in "$node" ethtool -K "$ifc" tx off >/dev/null 2>&1 ||
		lab_warn "ethtool -K $ifc tx off failed in $P-$node"
	lab_in "$node" ip addr add "$addr" dev "$ifc"
	[ -z "$addr6" ] || lab_in "$node" ip addr add "$addr6" dev "$ifc" nodad
	lab_in "$node" ip link set "$ifc" up
	lab_in "$node" ip route add default via "$gw"
	[ -z "$gw6" ] || lab_in "$node" ip -6 route add default via "$gw6"
}

# IPv6 on in the hosts and, for dplbd's twins, in the lb namespace;
# no duplicate address detection (addresses usable at once) and no
# router solicitations (the lab has no router advertisements).
_lab_ipv6_on() {
	_lab_sysctl "$1" net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 \
		net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0
}

lab_up() {
	lab_check_env || return 1
	if lab_is_up; then
		lab_err "lab '$P' is already up (state in $LAB_STATE); run: LAB_PREFIX=$P $LAB_DIR/lab.sh down"
		return 1
	fi
	mkdir -p "$LAB_STATE/pids" || return 1
	LAB_CREATED=1
	: >"$LAB_STATE/netns"
	{
		echo "prefix=$P"
		echo "workers=$WORKERS"
		echo "pmd=$DPDK_PMD"
		echo "created=$(date -Is)"
	} >"$LAB_STATE/lab.env"

	local node q=$WORKERS
	# af_xdp binds queue 0 only (see lab_config): frames the veth put on
	# another rx queue would miss its socket, so one queue.
	[ "$DPDK_PMD" = af_xdp ] && q=1
	for node in $LAB_NODES; do
		_lab_ns_add "$P-$node" || return 1
		lab_in "$node" ip link set lo up || return 1
		case $node in
		sw) # a switch: no IPv6 of its own (no MLD noise)
			_lab_sysctl "$node" net.ipv6.conf.all.disable_ipv6=1 \
				net.ipv6.conf.default.disable_ipv6=1 || return 1 ;;
		*) _lab_ipv6_on "$node" || return 1 ;;
		esac
	done

	# veth pairs, created directly inside the namespaces (no name clash in
	# the root namespace between parallel labs).  Queues = WORKERS for
	# af_packet (one qpair per worker), 1 for af_xdp.
	ip link add name c0 netns "$NS_C" numtxqueues "$q" numrxqueues "$q" type veth \
		peer name lb0 netns "$NS_LB" numtxqueues "$q" numrxqueues "$q" || return 1
	ip link add name lb1 netns "$NS_LB" numtxqueues "$q" numrxqueues "$q" type veth \
		peer name s-lb netns "$NS_SW" numtxqueues "$q" numrxqueues "$q" || return 1
	ip link add name eth0 netns "$NS_RS1" type veth peer name s-rs1 netns "$NS_SW" || return 1
	ip link add name eth0 netns "$NS_RS2" type veth peer name s-rs2 netns "$NS_SW" || return 1

	# switch
	lab_in sw ip link add br0 type bridge stp_state 0 forward_delay 0 || return 1
	local p
	for p in s-lb s-rs1 s-rs2; do
		lab_in sw ip link set "$p" master br0 || return 1
		lab_in sw ip link set "$p" up || return 1
	done
	lab_in sw ip link set br0 up || return 1

	# lb: dplbd's ports.  No addresses and no IPv6 on lb0/lb1; the kernel
	# also sees the frames that af_packet reads, so make it drop them:
	# strict rp_filter on an address-less interface fails every source
	# check (no IP input, no ARP reply), arp_ignore=8 as a second guard.
	for p in lb0 lb1; do
		_lab_sysctl lb "net.ipv6.conf.$p.disable_ipv6=1" \
			"net.ipv4.conf.$p.rp_filter=1" "net.ipv4.conf.$p.arp_ignore=8" \
			"net.ipv4.conf.$p.arp_announce=2" || return 1
		lab_in lb ethtool -K "$p" gro off >/dev/null 2>&1 || true
		lab_in lb ip link set "$p" up || return 1
	done

	# hosts
	_lab_host_iface c c0 "$CLIENT_IP/24" "$DP0_IP" "$CLIENT_IP6/64" "$DP0_IP6" || return 1
	_lab_host_iface rs1 eth0 "$RS1_IP/24" "$DP1_IP" "$RS1_IP6/64" "$DP1_IP6" || return 1
	_lab_host_iface rs2 eth0 "$RS2_IP/24" "$DP1_IP" "$RS2_IP6/64" "$DP1_IP6" || return 1

	lab_log "up: namespaces $(tr '\n' ' ' <"$LAB_STATE/netns")"
}

# lab_outside_up: an "outside" host for SNAT, beyond dplbd's first port
# with the client namespace as the router between them (forwarding on),
# so that TTL and unreachable errors come from a third party:
#   ${P}-out  eth0 198.19.9.2/24, default via 198.19.9.1 (the router)
#   ${P}-c    c-out 198.19.9.1/24, forwarding
# The outside knows no route to the servers' net: it reaches them only
# as dplbd's SNAT addresses.  dplbd needs a route to 198.19.9.0/24 via
# 198.18.0.2 (the e2e test's config has it).
OUT_IP=198.19.9.2
ROUTER_OUT_IP=198.19.9.1
lab_outside_up() {
	lab_is_up || { lab_err "lab '$P' is not up" && return 1; }
	_lab_ns_add "$P-out" || return 1
	lab_in out ip link set lo up || return 1
	_lab_sysctl out net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 ||
		return 1
	ip link add name c-out netns "$NS_C" type veth peer name eth0 netns "$P-out" || return 1
	_lab_sysctl c net.ipv4.ip_forward=1 || return 1
	lab_in c ip addr add "$ROUTER_OUT_IP/24" dev c-out || return 1
	lab_in c ethtool -K c-out tx off >/dev/null 2>&1 || true
	lab_in c ip link set c-out up || return 1
	_lab_host_iface out eth0 "$OUT_IP/24" "$ROUTER_OUT_IP" || return 1
	lab_log "outside: $P-out $OUT_IP via router $P-c"
}

lab_down() {
	local f name ns
	if [ ! -d "$LAB_STATE" ]; then
		return 0
	fi
	# processes first (dplbd last, so that servers never talk to a dead lb)
	for f in "$LAB_STATE"/pids/*.pid; do
		[ -e "$f" ] || continue
		name=$(basename "$f" .pid)
		[ "$name" = dplbd ] && continue
		lab_kill "$name" 3
	done
	lab_kill dplbd 10
	if [ -f "$LAB_STATE/netns" ]; then
		# reverse order of creation
		tac "$LAB_STATE/netns" | while read -r ns; do
			[ -n "$ns" ] || continue
			case $ns in
			"$P"-*) ;;
			*)
				lab_warn "not deleting '$ns': not under prefix '$P'"
				continue
				;;
			esac
			if ip netns list | awk '{print $1}' | grep -qx -- "$ns"; then
				# what outlived the process the lab recorded (an
				# nginx worker whose master was killed) would keep
				# the deleted namespace alive
				ip netns pids "$ns" 2>/dev/null |
					xargs -r kill -KILL 2>/dev/null
				ip netns del "$ns" || lab_warn "could not delete namespace $ns"
			fi
		done
	fi
	rm -rf "$LAB_STATE"
	rmdir "$LAB_STATE_ROOT" 2>/dev/null || true
	lab_log "down"
}

lab_status() {
	local f name ns
	if ! lab_is_up; then
		echo "lab '$P': down"
		return 1
	fi
	echo "${C_B}lab '$P'${C_0} state $LAB_STATE"
	sed 's/^/  /' "$LAB_STATE/lab.env"
	echo "${C_B}namespaces${C_0}"
	while read -r ns; do
		if ip netns list | awk '{print $1}' | grep -qx -- "$ns"; then
			echo "  $ns"
			ip -n "$ns" -br addr show | grep -v '^lo ' | sed 's/^/      /'
		else
			echo "  $ns (missing)"
		fi
	done <"$LAB_STATE/netns"
	echo "${C_B}processes${C_0}"
	for f in "$LAB_STATE"/pids/*.pid; do
		[ -e "$f" ] || continue
		name=$(basename "$f" .pid)
		if lab_pid_alive "$name"; then
			echo "  $name: running, pid $(lab_pid "$name")"
		else
			echo "  $name: dead (pid $(lab_pid "$name")), log ${LAB_STATE}/$name.log"
		fi
	done
	if [ -S "$LAB_SOCK" ]; then
		echo "${C_B}dplbd${C_0} socket $LAB_SOCK"
	fi
}

# ---------------------------------------------------------------- config

# lab_config [OUT]: write the dplbd config for this lab (default $LAB_CONF)
# from config/lab.conf; prints the path.
lab_config() {
	local out=${1:-$LAB_CONF} tmpl=$LAB_REPO/config/lab.conf
	local fwd=${IP_FORWARD:-true} huge=${HUGEPAGES:-true} lvl=${LOG_LEVEL:-info}
	local pmd_sed='s/@@nothing@@//'
	lab_check_env || return 1
	case $fwd in true | false) ;; *) lab_err "IP_FORWARD must be true or false" && return 1 ;; esac
	case $huge in true | false) ;; *) lab_err "HUGEPAGES must be true or false" && return 1 ;; esac
	# af_xdp takes its queue count at probe time and dplbd adds qpairs for
	# af_packet only.  DPDK 22.11's af_xdp caps queue_count at the
	# interface's combined channels, and a veth has none (= 1 queue): with
	# several workers dplbd spreads the one queue pair and steers in
	# software (docs/load-balancing.md).
	if [ "$DPDK_PMD" = af_xdp ]; then
		pmd_sed="s/\"net_af_packet([0-9]+),iface=([A-Za-z0-9_.-]+)\"/\"net_af_xdp\\1,iface=\\2\"/"
	fi
	mkdir -p "$(dirname "$out")" || return 1
	sed -E \
		-e "s|^([[:space:]]*control_socket[[:space:]]*=[[:space:]]*)\"[^\"]*\"|\1\"$LAB_SOCK\"|" \
		-e "s|^([[:space:]]*workers[[:space:]]*=[[:space:]]*)[0-9]+|\1$WORKERS|" \
		-e "s|(forward[[:space:]]*=[[:space:]]*)(true\|false)|\1$fwd|" \
		-e "s|(hugepages[[:space:]]*=[[:space:]]*)(true\|false)|\1$huge|" \
		-e "s|(log_level[[:space:]]*=[[:space:]]*)\"[a-z]*\"|\1\"$lvl\"|" \
		-e "$pmd_sed" \
		"$tmpl" >"$out.tmp" || return 1
	# every rewrite must have matched
	grep -q "control_socket = \"$LAB_SOCK\"" "$out.tmp" &&
		grep -q "workers = $WORKERS;" "$out.tmp" &&
		grep -q "forward = $fwd;" "$out.tmp" &&
		grep -q "hugepages = $huge;" "$out.tmp" &&
		grep -q "\"net_$DPDK_PMD""0,iface=lb0[,\"]" "$out.tmp" &&
		grep -q "\"net_$DPDK_PMD""1,iface=lb1[,\"]" "$out.tmp" || {
		lab_err "config/lab.conf no longer matches the generator's patterns"
		rm -f "$out.tmp"
		return 1
	}
	mv "$out.tmp" "$out" && echo "$out"
}

# ---------------------------------------------------------------- dplbd

lab_ctl() { "$DPLBCTL" -S "$LAB_SOCK" "$@"; }

# lab_start_dplbd [CONF]: start dplbd in the lb namespace and wait until
# its control socket answers and its twins carry their addresses.
lab_start_dplbd() {
	local conf=${1:-$LAB_CONF} i
	lab_is_up || { lab_err "lab '$P' is not up" && return 1; }
	[ -x "$DPLBD" ] || { lab_err "$DPLBD not built (make)" && return 1; }
	[ -f "$conf" ] || lab_config >/dev/null || return 1
	rm -f "$LAB_SOCK"
	lab_spawn dplbd lb "$LAB_STATE/dplbd.log" "$DPLBD" -c "$conf" || return 1
	for ((i = 0; i < 300; i++)); do
		if ! lab_pid_alive dplbd; then
			lab_err "dplbd exited during startup; last lines of $LAB_STATE/dplbd.log:"
			tail -n 30 "$LAB_STATE/dplbd.log" >&2
			rm -f "$LAB_STATE/pids/dplbd.pid"
			return 1
		fi
		if [ -S "$LAB_SOCK" ] && lab_ctl port show >/dev/null 2>&1; then
			break
		fi
		sleep 0.1
	done
	if ((i >= 300)); then
		lab_err "dplbd's control socket did not answer within 30 s"
		tail -n 30 "$LAB_STATE/dplbd.log" >&2
		return 1
	fi
	lab_wait_twins 10 || return 1
	lab_log "dplbd running (pid $(lab_pid dplbd), socket $LAB_SOCK, log $LAB_STATE/dplbd.log)"
}

# the twins exist and carry dplbd's addresses
lab_wait_twins() {
	local timeout=${1:-10} i
	for ((i = 0; i < timeout * 10; i++)); do
		if lab_in lb ip -4 -o addr show dev dp0 2>/dev/null | grep -q " $DP0_IP/" &&
			lab_in lb ip -4 -o addr show dev dp1 2>/dev/null | grep -q " $DP1_IP/"; then
			return 0
		fi
		sleep 0.1
	done
	lab_err "twin interfaces dp0/dp1 with $DP0_IP/$DP1_IP did not appear in $NS_LB"
	lab_in lb ip -br addr >&2
	return 1
}

lab_stop_dplbd() { lab_kill dplbd 10; }

# ---------------------------------------------------------------- servers

# lab_start_web NAME NODE ADDR PORT TEXT: nginx (or python3 http.server
# when nginx is missing or fails) in NODE on ADDR:PORT serving TEXT at /.
lab_start_web() {
	local name=$1 node=$2 addr=$3 port=$4 text=$5
	local d=$LAB_STATE/$name i
	mkdir -p "$d/www" "$d/tmp" || return 1
	printf '%s\n' "$text" >"$d/www/index.html"
	chmod -R a+rX "$d"
	if [ -z "${LAB_NO_NGINX:-}" ] && command -v nginx >/dev/null 2>&1; then
		cat >"$d/nginx.conf" <<-EOF
			# generated by tests/lab/lib.sh for lab '$P', instance $name
			daemon off;
			master_process on;
			worker_processes 1;
			user root;
			pid $d/nginx.pid;
			error_log $d/error.log warn;
			events { worker_connections 512; }
			http {
			    access_log $d/access.log;
			    client_body_temp_path $d/tmp/body;
			    proxy_temp_path $d/tmp/proxy;
			    fastcgi_temp_path $d/tmp/fastcgi;
			    default_type text/plain;
			    keepalive_timeout 5;
			    server {
			        listen $addr:$port default_server;
			        root $d/www;
			        location / { index index.html; }
			    }
			}
		EOF
		lab_spawn "$name" "$node" "$LAB_STATE/$name.log" \
			nginx -p "$d" -e "$d/error.log" -c "$d/nginx.conf" || return 1
	else
		lab_spawn "$name" "$node" "$LAB_STATE/$name.log" \
			/usr/bin/python3 -m http.server --bind "$addr" --directory "$d/www" "$port" || return 1
	fi
	# wait until it listens
	for ((i = 0; i < 50; i++)); do
		if lab_in "$node" ss -Hltn "sport = :$port" 2>/dev/null | grep -q .; then
			return 0
		fi
		if ! lab_pid_alive "$name"; then
			break
		fi
		sleep 0.1
	done
	if [ -z "${LAB_NO_NGINX:-}" ] && grep -q nginx "$LAB_STATE/pids/$name.pid" 2>/dev/null; then
		lab_warn "nginx for $name did not start ($(tail -n 2 "$d/error.log" "$LAB_STATE/$name.log" 2>/dev/null | tr '\n' ' ')); falling back to python3 http.server"
		lab_kill "$name" 2
		LAB_NO_NGINX=1 lab_start_web "$@"
		return
	fi
	lab_err "web server $name did not start; see $LAB_STATE/$name.log"
	return 1
}

lab_start_servers() {
	lab_is_up || { lab_err "lab '$P' is not up" && return 1; }
	lab_start_web rs1 rs1 0.0.0.0 80 rs1 || return 1
	lab_start_web rs2 rs2 0.0.0.0 80 rs2 || return 1
	lab_log "web servers: rs1 http://$RS1_IP/ (pid $(lab_pid rs1)), rs2 http://$RS2_IP/ (pid $(lab_pid rs2))"
}

lab_stop_servers() {
	lab_kill rs1
	lab_kill rs2
}

# a TCP service on dplbd's own address, reachable only through the twin
lab_start_mgmt() {
	lab_is_up || { lab_err "lab '$P' is not up" && return 1; }
	lab_wait_twins 10 || return 1
	LAB_NO_NGINX=1 lab_start_web mgmt lb "$DP0_IP" "$MGMT_PORT" "dplb management ($P-lb twin)" ||
		return 1
	lab_log "management server http://$DP0_IP:$MGMT_PORT/ in $NS_LB (pid $(lab_pid mgmt))"
}

lab_stop_mgmt() { lab_kill mgmt; }

# ---------------------------------------------------------------- direct return

# The path of DR and TUNNEL replies: the real servers answer the client
# straight, not through dplbd.  `lab_direct_return VIP` adds
#
#   ${P}-c   c1 198.18.1.2/32 (no prefix route: the client still reaches
#            every other address through dplbd), rp_filter 0, arp_ignore 1
#   ${P}-sw  s-c1, the peer of c1, in br0 (static fdb entry for c1's MAC)
#   rs1 rs2  VIP/32 on lo, arp_ignore 1 / arp_announce 2 (never answer ARP
#            for the VIP), and a policy route: packets from the VIP go
#            via 198.18.1.2 (c1); everything else still via dplbd
#
# and, for TUNNEL, an IPIP (RFC 2003) decapsulator on each server with the
# VIP on it: the kernel's tunl0 when the ipip module is there, else (no
# module loading in the lab) a userspace one, ipip-decap-rsN, that reads
# protocol-4 packets on a raw socket and writes the inner packet into a
# tun device ipipd0; else none.  The choice and its reason go to
# $LAB_STATE/direct-return ("tunnel=kernel|userspace|none" and
# "tunnel_reason=..."), and are printed.
DR_CLIENT_IP=198.18.1.2
DR_TABLE=100

_lab_ipip_decap_py() {
	cat <<-'PYEOF'
		# generated by tests/lab/lib.sh: userspace IPIP decapsulation
		import fcntl, os, socket, struct, sys
		name = sys.argv[1]
		TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454CA, 0x0001, 0x1000
		fd = os.open("/dev/net/tun", os.O_RDWR)
		fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
		s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 4)  # IPPROTO_IPIP
		print(f"decapsulating IPIP into {name}", flush=True)
		n = 0
		while True:
		    pkt = s.recv(65535)  # raw IPv4: with the outer header
		    inner = pkt[(pkt[0] & 15) * 4:]
		    if len(inner) >= 20 and inner[0] >> 4 == 4:
		        os.write(fd, inner)
		        n += 1
		        if n & (n - 1) == 0:
		            print(f"{n} packets", flush=True)
	PYEOF
}

lab_direct_return() {
	local vip=${1:-} node mode=none reason="" i
	lab_is_up || { lab_err "lab '$P' is not up" && return 1; }
	[[ $vip =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || { lab_err "usage: direct-return VIP" && return 1; }
	if [ -f "$LAB_STATE/direct-return" ]; then
		lab_err "direct return is set up already ($(tr '\n' ' ' <"$LAB_STATE/direct-return"))"
		return 1
	fi

	# the client's second leg, into the switch
	ip link add name c1 netns "$NS_C" type veth peer name s-c1 netns "$NS_SW" || return 1
	lab_in sw ip link set s-c1 master br0 || return 1
	lab_in sw ip link set s-c1 up || return 1
	_lab_sysctl c net.ipv4.conf.c1.rp_filter=0 net.ipv4.conf.c1.arp_ignore=1 \
		net.ipv4.conf.c1.arp_announce=2 || return 1
	lab_in c ip addr add "$DR_CLIENT_IP/32" dev c1 || return 1
	lab_in c ip link set c1 up || return 1
	# c1 never sends after its ARP replies: keep its MAC learnt, so that
	# the replies are never flooded to dplbd's lb1
	lab_in sw bridge fdb replace "$(lab_in c cat /sys/class/net/c1/address)" \
		dev s-c1 master static || return 1

	for node in rs1 rs2; do
		_lab_sysctl "$node" net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2 \
			net.ipv4.conf.eth0.arp_ignore=1 net.ipv4.conf.eth0.arp_announce=2 || return 1
		lab_in "$node" ip addr add "$vip/32" dev lo || return 1
		lab_in "$node" ip route add default via "$DR_CLIENT_IP" dev eth0 onlink table "$DR_TABLE" ||
			return 1
		lab_in "$node" ip rule add from "$vip" lookup "$DR_TABLE" || return 1
	done

	# TUNNEL: kernel ipip (tunl0 exists in every netns once the module is
	# in; creating one loads it where modules may load)
	# (loading the module creates tunl0 in every netns: then the add
	# itself fails with EEXIST, so look again)
	lab_in rs1 ip link show tunl0 >/dev/null 2>&1 ||
		lab_in rs1 ip link add name tunl0 type ipip >/dev/null 2>&1
	if lab_in rs1 ip link show tunl0 >/dev/null 2>&1; then
		mode=kernel reason="kernel ipip (tunl0)"
		for node in rs1 rs2; do
			lab_in "$node" ip link show tunl0 >/dev/null 2>&1 ||
				lab_in "$node" ip link add name tunl0 type ipip || return 1
			_lab_sysctl "$node" net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.tunl0.rp_filter=0 ||
				return 1
			lab_in "$node" ip addr add "$vip/32" dev tunl0 || return 1
			lab_in "$node" ip link set tunl0 up || return 1
		done
	elif [ -c /dev/net/tun ] && lab_in rs1 ip tuntap add dev ipipd0 mode tun >/dev/null 2>&1 &&
		lab_in rs1 ip tuntap del dev ipipd0 mode tun >/dev/null 2>&1; then
		mode=userspace
		reason="no ipip in this kernel (ip link add type ipip: Unknown device type); userspace IPIP decapsulation (raw socket -> tun ipipd0)"
		_lab_ipip_decap_py >"$LAB_STATE/ipip-decap.py" || return 1
		for node in rs1 rs2; do
			_lab_sysctl "$node" net.ipv4.conf.all.rp_filter=0 || return 1
			lab_spawn "ipip-decap-$node" "$node" "$LAB_STATE/ipip-decap-$node.log" \
				/usr/bin/python3 -u "$LAB_STATE/ipip-decap.py" ipipd0 || return 1
			for ((i = 0; i < 50; i++)); do
				lab_in "$node" ip link show ipipd0 >/dev/null 2>&1 && break
				lab_pid_alive "ipip-decap-$node" || break
				sleep 0.1
			done
			lab_in "$node" ip link show ipipd0 >/dev/null 2>&1 || {
				lab_err "ipip-decap-$node did not start: $(cat "$LAB_STATE/ipip-decap-$node.log")"
				return 1
			}
			_lab_sysctl "$node" net.ipv4.conf.ipipd0.rp_filter=0 || return 1
			lab_in "$node" ip link set ipipd0 up || return 1
		done
	else
		reason="no ipip in this kernel (ip link add type ipip: Unknown device type) and no tun device for a userspace decapsulator"
	fi
	{
		echo "vip=$vip"
		echo "client_ip=$DR_CLIENT_IP"
		echo "tunnel=$mode"
		echo "tunnel_reason=$reason"
	} >"$LAB_STATE/direct-return"
	cat "$LAB_STATE/direct-return"
}

# ---------------------------------------------------------------- UDP echo

_lab_udp_echo_py() {
	cat <<-'PYEOF'
		# generated by tests/lab/lib.sh: UDP echo server
		# reply: "TEXT SRC_IP:SRC_PORT PAYLOAD"; one log line per datagram
		import socket, sys
		addr, port, text, log = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]
		s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
		s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		s.bind((addr, port))
		with open(log, "a", buffering=1) as f:
		    while True:
		        data, peer = s.recvfrom(65535)
		        f.write(f"{peer[0]} {peer[1]} {len(data)}\n")
		        s.sendto(text + f" {peer[0]}:{peer[1]} ".encode() + data, peer)
	PYEOF
}

# lab_start_udp_echo NAME NODE ADDR PORT TEXT: a UDP echo server in NODE
# (IPv6 when ADDR has a colon, e.g. ::);
# it logs "SRC_IP SRC_PORT LEN" per datagram to $LAB_STATE/NAME/peers.log
lab_start_udp_echo() {
	local name=$1 node=$2 addr=$3 port=$4 text=$5 d=$LAB_STATE/$1 i
	lab_is_up || { lab_err "lab '$P' is not up" && return 1; }
	mkdir -p "$d" || return 1
	[ -f "$LAB_STATE/udp-echo.py" ] || _lab_udp_echo_py >"$LAB_STATE/udp-echo.py" || return 1
	: >"$d/peers.log"
	lab_spawn "$name" "$node" "$LAB_STATE/$name.log" \
		/usr/bin/python3 -u "$LAB_STATE/udp-echo.py" "$addr" "$port" "$text" "$d/peers.log" || return 1
	for ((i = 0; i < 50; i++)); do
		if lab_in "$node" ss -Hlun "sport = :$port" 2>/dev/null | grep -q .; then
			return 0
		fi
		lab_pid_alive "$name" || break
		sleep 0.1
	done
	lab_err "UDP echo server $name did not start; see $LAB_STATE/$name.log"
	return 1
}
