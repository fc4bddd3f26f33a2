#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make rpm: build dplb (and dplb-keepalived when the patched keepalived
# is built) as RPMs with rpmbuild from a tarball of a clean copy of the
# tree, into $BUILD/packages/.  On Debian the RHEL build dependencies
# are not in rpm's database, so they are not checked (--nodeps); the
# binaries' soname dependencies are computed as usual.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
KEEPALIVED_BIN=${KEEPALIVED_BIN:-$BUILD/keepalived/install/usr/sbin/keepalived}
version=$(cat "$top/VERSION")
out=$BUILD/packages
rpmtop=$BUILD/rpmbuild

rm -rf "$rpmtop"
mkdir -p "$out" "$rpmtop/SOURCES" "$rpmtop/stage"
KEEPALIVED_BIN=$KEEPALIVED_BIN "$top/packaging/stage.sh" \
	"$rpmtop/stage/dplb-$version"
tar -C "$rpmtop/stage" -czf "$rpmtop/SOURCES/dplb-$version.tar.gz" \
	"dplb-$version"
without=""
if [ ! -x "$KEEPALIVED_BIN" ]; then
	echo "rpm: $KEEPALIVED_BIN is not built (make keepalived):" \
		"building dplb only"
	without="--without keepalived"
fi

echo "rpm: building (log: $rpmtop/build.log)"
# shellcheck disable=SC2086
if ! rpmbuild -bb --nodeps --define "_topdir $rpmtop" \
	--define "dplb_version $version" $without \
	"$top/packaging/rpm/dplb.spec" >"$rpmtop/build.log" 2>&1; then
	tail -40 "$rpmtop/build.log" >&2
	echo "rpm: rpmbuild failed; full log: $rpmtop/build.log" >&2
	exit 1
fi
rm -f "$out"/*.rpm
find "$rpmtop/RPMS" -name '*.rpm' -exec mv {} "$out"/ \;
for f in "$out"/*.rpm; do
	printf '  %-50s %8s bytes\n' "$(basename "$f")" "$(stat -c %s "$f")"
done
