#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# make rpm: the source RPM of dplb (packaging/rpm/dplb.spec) in
# $BUILD/packages/, to be rebuilt on a RHEL-family system against its own
# libraries (rpmbuild --rebuild; see the spec's header).  Its sources: a
# tarball of a clean copy of the tree (packaging/stage.sh) and, when
# make keepalived has fetched it, keepalived's release tarball (the one
# Debian's source package carries, verified there), which the spec
# patches and builds as dplb-keepalived.
#
# No binary RPM comes out of make rpm: built here they would link
# Debian's libraries (libconfig.so.9, DPDK 22.11 as Debian builds it)
# and install on no RHEL-family system.
#
# packaging/build-rpm.sh --localtest: rebuild that source RPM here with
# Debian's libraries, only to test the spec (tests/packaging), into
# $BUILD/rpm-localtest/; those packages carry the release suffix
# ".localtest.debian12" and are never copied to $BUILD/packages.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$top/build}
CACHE=${DPLB_CACHE:-/var/cache/dplb/keepalived}
KA_VERSION=2.2.7
KA_ORIG=$CACHE/keepalived_$KA_VERSION.orig.tar.gz
version=$(cat "$top/VERSION")
out=$BUILD/packages
srpm=$out/dplb-$version-1.src.rpm

localtest() {
	t=$BUILD/rpm-localtest
	if [ ! -f "$srpm" ]; then
		echo "rpm: $srpm is not built (make rpm)" >&2
		exit 1
	fi
	rm -rf "$t"
	mkdir -p "$t"
	echo "rpm: rebuilding $(basename "$srpm") with Debian's libraries," \
		"as a test only (log: $t/build.log)"
	# --nodeps: RHEL's -devel package names mean nothing to Debian's rpm
	if ! rpmbuild --rebuild --nodeps --define "_topdir $t" \
		--define "dist .localtest.debian12" "$srpm" >"$t/build.log" 2>&1; then
		tail -40 "$t/build.log" >&2
		echo "rpm: rpmbuild --rebuild failed; full log: $t/build.log" >&2
		exit 1
	fi
	find "$t/RPMS" -name '*.rpm' | sort
}

if [ "${1:-}" = "--localtest" ]; then
	localtest
	exit 0
fi

rpmtop=$BUILD/rpmbuild
rm -rf "$rpmtop"
mkdir -p "$out" "$rpmtop/SOURCES" "$rpmtop/stage"
KEEPALIVED_BIN="" "$top/packaging/stage.sh" "$rpmtop/stage/dplb-$version"
tar -C "$rpmtop/stage" -czf "$rpmtop/SOURCES/dplb-$version.tar.gz" \
	"dplb-$version"
# The source RPM's spec stands alone: the version written in, and
# keepalived off by default when its tarball is not there.
ka='s/^%bcond_without keepalived$/&/'
if [ -f "$KA_ORIG" ]; then
	cp "$KA_ORIG" "$rpmtop/SOURCES/keepalived-$KA_VERSION.tar.gz"
else
	echo "rpm: $KA_ORIG is missing (make keepalived fetches it):" \
		"the source RPM builds dplb only"
	ka='s/^%bcond_without keepalived$/%bcond_with keepalived/'
fi
mkdir -p "$rpmtop/SPECS"
spec=$rpmtop/SPECS/dplb.spec
sed -e "s/^%{!?dplb_version:.*}\$/%global dplb_version $version/" -e "$ka" \
	"$top/packaging/rpm/dplb.spec" >"$spec"
grep -q "^%global dplb_version $version\$" "$spec" || {
	echo "rpm: the spec's dplb_version line no longer matches" >&2
	exit 1
}

echo "rpm: building the source RPM (log: $rpmtop/build.log)"
if ! rpmbuild -bs --define "_topdir $rpmtop" --define "dist %{nil}" \
	"$spec" >"$rpmtop/build.log" 2>&1; then
	tail -40 "$rpmtop/build.log" >&2
	echo "rpm: rpmbuild -bs failed; full log: $rpmtop/build.log" >&2
	exit 1
fi
rm -f "$out"/*.rpm
mv "$rpmtop"/SRPMS/*.src.rpm "$out"/
for f in "$out"/*.rpm; do
	printf '  %-50s %8s bytes\n' "$(basename "$f")" "$(stat -c %s "$f")"
done
