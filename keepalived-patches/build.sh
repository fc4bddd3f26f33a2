#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Build keepalived 2.2.7 from Debian's source package with dplb's patch
# series (keepalived-patches/series) and install it into
# $BUILD/keepalived/install with prefix /usr, so that the binary is
# $BUILD/keepalived/install/usr/sbin/keepalived.
#
#   keepalived-patches/build.sh [--stock]    (--stock: no patches, no dataplane)
#
# Steps, each skipped when already done:
#  1. deb-src entries for the machine's Debian mirror (derived from its
#     deb entries) when apt has none;
#  2. `apt-get source --download-only keepalived` into the cache
#     ($DPLB_CACHE, default /var/cache/dplb/keepalived).  The mirror
#     lacks Debian's debian.tar.xz, so apt exits 100 although the orig
#     tarball arrived: the tarball is verified against the .dsc's
#     SHA-256, and the exit code is not relied upon;
#  3. the build dependencies (packaging/deps.sh installs them);
#  4. untar, apply the series with patch -p1, autoreconf, configure
#     --enable-dataplane, make, make install.
# A stamp of the tarball, the series and this script makes a rebuild
# with nothing changed a no-op.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
BUILD=${BUILD:-$REPO/build}
OUT=$BUILD/keepalived
CACHE=${DPLB_CACHE:-/var/cache/dplb/keepalived}
VERSION=2.2.7
ORIG=keepalived_$VERSION.orig.tar.gz
STOCK=0
[ "${1:-}" = "--stock" ] && STOCK=1

say() { echo "keepalived: $*"; }
die() { echo "keepalived: error: $*" >&2; exit 1; }

have_deb_src() {
	grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list ||
		grep -Eqs '^Types:.*deb-src' /etc/apt/sources.list.d/*.sources
}

add_deb_src() {
	have_deb_src && return 0
	[ "$(id -u)" = 0 ] || die "apt has no deb-src entries and adding them needs root"
	say "adding deb-src entries for the machine's Debian mirror"
	found=0
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		grep -q '^URIs:.*debian' "$f" || continue
		sed -e 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/' "$f" \
			>/etc/apt/sources.list.d/dplb-deb-src.sources
		found=1
		break
	done
	if [ $found = 0 ]; then
		grep -hE '^[[:space:]]*deb[[:space:]].*debian' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			sed -E 's/^[[:space:]]*deb[[:space:]]/deb-src /' >/etc/apt/sources.list.d/dplb-deb-src.list
		[ -s /etc/apt/sources.list.d/dplb-deb-src.list ] || die "no Debian deb entry in apt's sources to derive deb-src from"
	fi
	apt-get update -q >/dev/null
}

# The orig tarball's SHA-256 as the .dsc states it.
dsc_sha256() {
	awk -v f="$ORIG" '/^Checksums-Sha256:/ {s = 1; next} /^[^ ]/ {s = 0} s && $3 == f {print $1}' "$1"
}

verified() {
	dsc=$(ls "$CACHE"/keepalived_$VERSION-*.dsc 2>/dev/null | tail -n 1)
	[ -n "$dsc" ] && [ -f "$CACHE/$ORIG" ] || return 1
	want=$(dsc_sha256 "$dsc")
	[ -n "$want" ] || return 1
	[ "$(sha256sum "$CACHE/$ORIG" | cut -d' ' -f1)" = "$want" ]
}

fetch_source() {
	verified && return 0
	add_deb_src
	mkdir -p "$CACHE"
	say "downloading Debian's keepalived source into $CACHE"
	rc=0
	(cd "$CACHE" && apt-get source -q --download-only keepalived) >"$CACHE/apt-source.log" 2>&1 || rc=$?
	# 100: debian.tar.xz is missing on the mirror; the tarball may be fine
	case $rc in 0 | 100) ;; *) cat "$CACHE/apt-source.log" >&2; die "apt-get source failed ($rc)" ;; esac
	ls "$CACHE"/keepalived_$VERSION-*.dsc >/dev/null 2>&1 ||
		die "no keepalived $VERSION .dsc arrived (see $CACHE/apt-source.log); the mirror has: $(ls "$CACHE")"
	verified || die "$CACHE/$ORIG does not match the SHA-256 in the .dsc"
	say "$ORIG verified against the .dsc"
}

stamp() {
	{
		sha256sum "$CACHE/$ORIG"
		echo "stock=$STOCK"
		cat "$HERE/build.sh" "$HERE/series"
		[ $STOCK = 1 ] || sed -e 's/#.*//' "$HERE/series" | while read -r p; do
			[ -n "$p" ] && cat "$HERE/$p"
		done
	} | sha256sum | cut -d' ' -f1
}

fetch_source
"$REPO/packaging/deps.sh" --check >/dev/null 2>&1 || "$REPO/packaging/deps.sh"

want=$(stamp)
if [ -x "$OUT/install/usr/sbin/keepalived" ] && [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$want" ]; then
	say "up to date: $OUT/install/usr/sbin/keepalived"
	exit 0
fi

rm -rf "$OUT"
mkdir -p "$OUT"
tar -xzf "$CACHE/$ORIG" -C "$OUT"
SRC=$OUT/keepalived-$VERSION
[ -d "$SRC" ] || die "the tarball did not unpack into keepalived-$VERSION"
if [ $STOCK = 0 ]; then
	sed -e 's/#.*//' "$HERE/series" | while read -r p; do
		[ -n "$p" ] || continue
		say "applying $p"
		patch -d "$SRC" -p1 --forward --quiet <"$HERE/$p" || die "patch $p does not apply"
	done
	DP=--enable-dataplane
else
	DP=
fi
cd "$SRC"
say "configuring ($OUT/configure.log)"
{ autoreconf -fi && ./configure --prefix=/usr --sysconfdir=/etc $DP --enable-json \
	--disable-snmp --disable-dbus --disable-nftables --disable-iptables; } \
	>"$OUT/configure.log" 2>&1 || { tail -n 30 "$OUT/configure.log" >&2; die "configure failed"; }
say "building ($OUT/build.log)"
make -j"$(nproc)" >"$OUT/build.log" 2>&1 || { grep -E 'error|Error' "$OUT/build.log" | head -n 30 >&2; die "make failed"; }
make install DESTDIR="$OUT/install" >"$OUT/install.log" 2>&1 || die "make install failed"
[ -x "$OUT/install/usr/sbin/keepalived" ] || die "no $OUT/install/usr/sbin/keepalived after make install"
echo "$want" >"$OUT/stamp"
say "built $OUT/install/usr/sbin/keepalived ($("$OUT/install/usr/sbin/keepalived" --version 2>&1 | head -n 1))"
