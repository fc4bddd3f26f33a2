#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Install every build and test dependency of dplb from Debian's packages.
# Idempotent and fast: it asks dpkg first and calls apt-get only for what
# is missing.  Usage: packaging/deps.sh [--check]  (--check: exit 1 if
# something is missing, install nothing).
set -eu

BUILD_DEPS="build-essential pkg-config dpdk-dev libdpdk-dev libconfig-dev
libjson-c-dev libcmocka-dev libpcap-dev libmicrohttpd-dev"
# keepalived 2.2.7 with dplb's patches (keepalived-patches/build.sh): the
# part of Debian's Build-Depends that its configure options use
KEEPALIVED_DEPS="autoconf automake patch libssl-dev libnl-3-dev
libnl-genl-3-dev"
TEST_DEPS="python3 python3-scapy python3-pytest nginx-light iproute2 ethtool
curl hping3 wrk iputils-ping tcpdump socat jq procps psmisc tshark nftables
traceroute"
# the metrics endpoint's tests: promtool check metrics, and a real
# Prometheus server scraping dplbd in the lab (Debian ships promtool in
# the prometheus package)
METRICS_DEPS="prometheus"
# make bench-callgrind, the plot of make bench, bench/e2e.py --perf
BENCH_DEPS="valgrind gnuplot-nox linux-perf"
# make fuzz and the fuzzing part of make test: clang with libFuzzer
# (Debian 12's clang is clang 14; its libFuzzer is in libclang-rt-14-dev)
FUZZ_DEPS="clang libclang-rt-14-dev"
# make deb, make rpm, and their tests: lintian, a debootstrapped Debian
# root (cached as a zstd tarball) booted with systemd-nspawn.
PKG_DEPS="debhelper dpkg-dev lintian rpm rpm2cpio cpio rpmlint debootstrap
systemd-container zstd"

missing=""
for p in $BUILD_DEPS $KEEPALIVED_DEPS $TEST_DEPS $METRICS_DEPS $BENCH_DEPS $FUZZ_DEPS $PKG_DEPS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0
if [ "${1:-}" = "--check" ]; then
	echo "missing packages:$missing" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: these packages are missing and installing them needs root:$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# tshark's wireshark-common asks whether non-root users may capture: no
echo "wireshark-common wireshark-common/install-setuid boolean false" |
	debconf-set-selections
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
# nginx-light and prometheus start system services on install, nftables
# may load a ruleset at boot; the tests run their own.
if command -v systemctl >/dev/null 2>&1; then
	systemctl disable --now nginx prometheus >/dev/null 2>&1 || true
	systemctl disable --now nftables >/dev/null 2>&1 || true
fi
