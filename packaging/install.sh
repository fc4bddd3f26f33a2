#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make install: put the built dplb into $DESTDIR in the layout of the
# packages (debian/rules and rpm/dplb.spec both call it).
#   DESTDIR     staging root ("" = this system)
#   PREFIX      /usr            SYSCONFDIR  /etc
#   UNITDIR     systemd's unit directory (/lib/systemd/system on Debian 12)
#   BUILD       where make put dplbd and dplbctl (./build)
#   KEEPALIVED_BIN  the patched keepalived (make keepalived); when it is
#               missing, dplb-keepalived's files are left out
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
: "${DESTDIR:=}" "${PREFIX:=/usr}" "${SYSCONFDIR:=/etc}"
: "${UNITDIR:=/lib/systemd/system}" "${BUILD:=$top/build}"
: "${KEEPALIVED_BIN:=$BUILD/keepalived/install/usr/sbin/keepalived}"
version=$(cat "$top/VERSION")

for f in "$BUILD/dplbd" "$BUILD/dplbctl"; do
	if [ ! -x "$f" ]; then
		echo "install: $f is not built (run make first)" >&2
		exit 1
	fi
done

# inst MODE SRC DST: copy with mode, creating directories.
inst() {
	install -D -m "$1" "$2" "$DESTDIR$3"
}

# Units and man pages name the binaries and the version.
subst() {
	sed -e "s|@VERSION@|$version|g" -e "s|/usr/sbin/|$PREFIX/sbin/|g" \
		"$2" >"$BUILD/.install.tmp"
	inst "$1" "$BUILD/.install.tmp" "$3"
	rm -f "$BUILD/.install.tmp"
}

inst 0755 "$BUILD/dplbd" "$PREFIX/sbin/dplbd"
inst 0755 "$BUILD/dplbctl" "$PREFIX/bin/dplbctl"
inst 0644 "$top/config/dplbd.conf" "$SYSCONFDIR/dplb/dplbd.conf"
# examples/NAME.conf and examples/SETUP/dplbd.conf; each SETUP's
# keepalived.conf belongs to dplb-keepalived (below)
for f in "$top"/config/examples/*.conf "$top"/config/examples/*/dplbd.conf; do
	inst 0644 "$f" "$SYSCONFDIR/dplb/examples/${f#"$top"/config/examples/}"
done
subst 0644 "$top/systemd/dplbd.service" "$UNITDIR/dplbd.service"
inst 0644 "$top/systemd/dplb.tmpfiles" "$PREFIX/lib/tmpfiles.d/dplb.conf"
inst 0644 "$top/systemd/dplb.sysusers" "$PREFIX/lib/sysusers.d/dplb.conf"
subst 0644 "$top/docs/man/dplbd.8" "$PREFIX/share/man/man8/dplbd.8"
subst 0644 "$top/docs/man/dplbctl.8" "$PREFIX/share/man/man8/dplbctl.8"
subst 0644 "$top/docs/man/dplbd.conf.5" "$PREFIX/share/man/man5/dplbd.conf.5"
inst 0644 "$top/packaging/bash-completion/dplbctl" \
	"$PREFIX/share/bash-completion/completions/dplbctl"
inst 0644 "$top/packaging/grafana/dplb-dashboard.json" \
	"$PREFIX/share/dplb/grafana/dplb-dashboard.json"

if [ ! -x "$KEEPALIVED_BIN" ]; then
	echo "install: $KEEPALIVED_BIN is not built: dplb-keepalived left out"
	exit 0
fi
inst 0755 "$KEEPALIVED_BIN" "$PREFIX/sbin/dplb-keepalived"
# the single appliance's example, as the starting point (it may come to
# hold VRRP passwords: root only)
inst 0640 "$top/config/examples/single/keepalived.conf" \
	"$SYSCONFDIR/dplb/keepalived.conf"
for f in "$top"/config/examples/*/keepalived.conf; do
	inst 0644 "$f" "$SYSCONFDIR/dplb/examples/${f#"$top"/config/examples/}"
done
subst 0644 "$top/systemd/dplb-keepalived.service" \
	"$UNITDIR/dplb-keepalived.service"
subst 0644 "$top/docs/man/dplb-keepalived.8" \
	"$PREFIX/share/man/man8/dplb-keepalived.8"
subst 0644 "$top/docs/man/dplb-keepalived.conf.5" \
	"$PREFIX/share/man/man5/dplb-keepalived.conf.5"
