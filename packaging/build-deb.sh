#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make deb: build dplb (and dplb-keepalived when the patched keepalived
# is built) as .debs from a clean copy of the tree, with debhelper, into
# $BUILD/packages/.  The build log is $BUILD/deb-src/build.log.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
KEEPALIVED_BIN=${KEEPALIVED_BIN:-$BUILD/keepalived/install/usr/sbin/keepalived}
version=$(cat "$top/VERSION")
out=$BUILD/packages
work=$BUILD/deb-src
src=$work/dplb-$version

# One version for everything: the changelog must say VERSION.
deb_version=$(dpkg-parsechangelog -l "$top/packaging/debian/changelog" -S Version)
if [ "${deb_version%-*}" != "$version" ]; then
	echo "deb: VERSION is $version but packaging/debian/changelog is at" \
		"$deb_version: add an entry for $version-1" >&2
	exit 1
fi

rm -rf "$work"
mkdir -p "$out"
KEEPALIVED_BIN=$KEEPALIVED_BIN "$top/packaging/stage.sh" "$src"
cp -r "$top/packaging/debian" "$src/debian"
profiles=""
if [ ! -x "$KEEPALIVED_BIN" ]; then
	echo "deb: $KEEPALIVED_BIN is not built (make keepalived):" \
		"building dplb only"
	profiles=nokeepalived
fi

echo "deb: building in $src (log: $work/build.log)"
if ! (cd "$src" && DEB_BUILD_PROFILES=$profiles \
	dpkg-buildpackage -b -us -uc -J"$(nproc)") >"$work/build.log" 2>&1; then
	tail -40 "$work/build.log" >&2
	echo "deb: dpkg-buildpackage failed; full log: $work/build.log" >&2
	exit 1
fi
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
mv "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$out"/
for f in "$out"/*.deb; do
	printf '  %-50s %8s bytes\n' "$(basename "$f")" "$(stat -c %s "$f")"
done
