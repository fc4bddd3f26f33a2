# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared fixtures of the package tests: the .debs and the source RPM
built once per session by make deb and make rpm (from a clean copy of
the tree), that source RPM rebuilt here against Debian's libraries to
test its spec (packaging/build-rpm.sh --localtest), and a fresh Debian
12 root per module (debroot.py).

Run as root: /usr/bin/python3 -m pytest -q tests/packaging
DPLB_PACKAGES_PREBUILT=1 uses build/packages/ as it is instead of
building (for iterating on the tests themselves)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))

from debroot import DebRoot  # noqa: E402

BUILD = Path(os.environ.get("BUILD", REPO / "build"))
PACKAGES = BUILD / "packages"
VERSION = (REPO / "VERSION").read_text().strip()
KEEPALIVED_BIN = BUILD / "keepalived" / "install" / "usr" / "sbin" / "keepalived"
LOCALTEST = ".localtest.debian12"
LOCALTEST_RPMS = BUILD / "rpm-localtest" / "RPMS" / "x86_64"


class Packages:
    def __init__(self, logs):
        self.logs = logs            # target -> make's output
        self.dir = PACKAGES

    def _one(self, pattern):
        found = sorted(self.dir.glob(pattern))
        assert len(found) == 1, f"{pattern} in {self.dir}: {found}"
        return found[0]

    @property
    def dplb_deb(self):
        return self._one(f"dplb_{VERSION}-*_amd64.deb")

    @property
    def keepalived_deb(self):
        found = sorted(self.dir.glob(f"dplb-keepalived_{VERSION}-*_amd64.deb"))
        return found[0] if found else None

    @property
    def srpm(self):
        """What make rpm ships: the source RPM, nothing binary."""
        return self._one(f"dplb-{VERSION}-1.src.rpm")

    # The source RPM rebuilt here against Debian's libraries, to test the
    # spec only (packaging/build-rpm.sh --localtest): never shipped.
    @property
    def dplb_rpm(self):
        return self._localtest(f"dplb-{VERSION}-1{LOCALTEST}.x86_64.rpm")

    @property
    def keepalived_rpm(self):
        found = sorted(LOCALTEST_RPMS.glob(
            f"dplb-keepalived-{VERSION}-1{LOCALTEST}.x86_64.rpm"))
        return found[0] if found else None

    def _localtest(self, name):
        found = sorted(LOCALTEST_RPMS.glob(name))
        assert len(found) == 1, f"{name} in {LOCALTEST_RPMS}: {found}"
        return found[0]

    @property
    def debs(self):
        """What an operator installs (no debug symbols)."""
        return [d for d in (self.dplb_deb, self.keepalived_deb) if d]

    @property
    def with_keepalived(self):
        return KEEPALIVED_BIN.exists()


@pytest.fixture(scope="session")
def packages():
    logs = {}
    if os.environ.get("DPLB_PACKAGES_PREBUILT") != "1":
        for target, cmd in (
                ("deb", ["make", "-s", "-C", str(REPO), "deb"]),
                ("rpm", ["make", "-s", "-C", str(REPO), "rpm"]),
                ("rpm-localtest", [str(REPO / "packaging" / "build-rpm.sh"),
                                   "--localtest"])):
            p = subprocess.run(cmd, capture_output=True, text=True,
                               timeout=1800)
            logs[target] = p.stdout + p.stderr
            if p.returncode != 0:
                pytest.fail(f"{target} failed:\n{logs[target][-4000:]}",
                            pytrace=False)
    return Packages(logs)


@pytest.fixture(scope="module")
def root():
    r = DebRoot()
    yield r
    r.remove()
