# SPDX-License-Identifier: GPL-2.0-or-later
# dplb: a DPDK Layer-4 load balancer.
#   make          build dplbd, dplbctl and keepalived (installs missing dependencies)
#   make keepalived  keepalived 2.2.7 with keepalived-patches/ (build/keepalived/install)
#   make test     all tests (unit, ASan, packet, control, end-to-end)
#   make demo     dplbd forwarding real traffic in a namespace lab
#   make bench    packets and connections per second, then dplbd against
#                 testpmd over the lab's veths (docs/performance.md);
#                 BENCH_E2E=0 skips the latter
#   make bench-callgrind  instructions per packet under callgrind
#   make bench-stages  cycles a packet by stage of the burst path as the
#                 connection table grows (bench/stages.sh)
#   make fuzz     every libFuzzer harness (tests/fuzz/) FUZZ_SECONDS each
#                 (default 300); make fuzz-build only builds them
#   make deps     install build and test dependencies from Debian
#   make deb      .debs of dplb and dplb-keepalived in build/packages/
#   make rpm      the source RPM (build/packages/dplb-VERSION-1.src.rpm), to
#                 rebuild on a RHEL-family system (docs/packaging.md)
#   make install  install into $(DESTDIR) (the packages' layout)

BUILD ?= $(CURDIR)/build
HOLD ?= 0
export BUILD

all: deps-check
	$(MAKE) -C dataplane
	$(MAKE) -C bench
	@keepalived-patches/build.sh

keepalived: deps-check
	@keepalived-patches/build.sh

deps:
	@packaging/deps.sh

# Cheap when everything is present; installs what is missing.
deps-check:
	@packaging/deps.sh --check 2>/dev/null || packaging/deps.sh

unit: all
	$(MAKE) -C dataplane unit

asan: deps-check
	$(MAKE) -C dataplane SAN=1 all unit

# clang, libFuzzer, ASan and UBSan: $(BUILD)/fuzz/<harness>
fuzz-build: deps-check
	$(MAKE) -C dataplane FUZZ=1 fuzz

FUZZ_SECONDS ?= 300
fuzz: fuzz-build
	FUZZ_SECONDS=$(FUZZ_SECONDS) tests/fuzz/run.sh

test: all unit asan fuzz-build
	tests/run.sh

test-asan: asan
	tests/run.sh --asan-only

demo: all
	HOLD=$(HOLD) tests/lab/demo.sh

bench: all
	bench/run.sh

bench-callgrind: all
	bench/callgrind.sh

bench-stages: all
	$(MAKE) -C bench stages
	bench/stages.sh

demo-ha: all
	HOLD=$(HOLD) tests/lab/demo-ha.sh

# Installation layout; the packages set these (packaging/install.sh).
PREFIX ?= /usr
SYSCONFDIR ?= /etc
UNITDIR ?= $(shell pkg-config --variable=systemdsystemunitdir systemd \
	2>/dev/null || echo /lib/systemd/system)
# Where "make keepalived" installs the patched keepalived; packaged as
# dplb-keepalived when it exists (until then deb and rpm build dplb only).
KEEPALIVED_BIN ?= $(BUILD)/keepalived/install/usr/sbin/keepalived
export PREFIX SYSCONFDIR UNITDIR KEEPALIVED_BIN DESTDIR

install:
	@packaging/install.sh

# Built from a clean copy of the tree (packaging/stage.sh).
deb: deps-check keepalived
	@packaging/build-deb.sh

rpm: deps-check keepalived
	@packaging/build-rpm.sh

clean:
	$(MAKE) -C dataplane clean

.PHONY: all deps deps-check keepalived unit asan fuzz fuzz-build test test-asan demo demo-ha bench \
	bench-callgrind bench-stages clean install deb rpm
