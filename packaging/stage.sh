#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# packaging/stage.sh DIR: copy the source tree into DIR as a clean tree
# for a package build: the files git knows (tracked, or new and not
# ignored), so no build output and no stray files; outside a git
# checkout, everything but build/ and .git/.  With KEEPALIVED_BIN set to
# a built keepalived, it is copied to DIR/build/keepalived/install/... so
# that the package build finds it where make keepalived puts it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dest=$1
mkdir -p "$dest"
cd "$top"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files --cached --others --exclude-standard |
		while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done |
		tar -cf - -T - | tar -C "$dest" -xf -
else
	tar --exclude=./build --exclude=./.git -cf - . | tar -C "$dest" -xf -
fi
if [ -n "${KEEPALIVED_BIN:-}" ] && [ -x "$KEEPALIVED_BIN" ]; then
	install -D -m 0755 "$KEEPALIVED_BIN" \
		"$dest/build/keepalived/install/usr/sbin/keepalived"
fi
