# SPDX-License-Identifier: GPL-2.0-or-later
"""Configuration tests of keepalived.conf files: the patched keepalived's
`keepalived -t` (it needs no dplbd: what it checks of dplbd it reads from
dplbd.conf) and `dplbd --check-config`.  keepalived -t also requires the
interfaces its VRRP instances name: they run in a network namespace
holding veths named after dplbd's kernel twins, as a running dplbd would
make them."""

import os
import subprocess
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BUILD", REPO / "build"))
DPLBD = Path(os.environ.get("DPLBD_BIN", BUILD / "dplbd"))
KEEPALIVED = BUILD / "keepalived" / "install" / "usr" / "sbin" / "keepalived"
EXAMPLES = REPO / "config" / "examples"
DPLBD_CONF = EXAMPLES / "single" / "dplbd.conf"     # ports dp0, dp1


def line_of(text, needle):
    """The number of the first line of text holding needle."""
    for n, ln in enumerate(text.splitlines(), 1):
        if needle in ln:
            return n
    raise AssertionError(needle)

# the twins the examples' dplbd.conf make, with their ports' addresses
TWINS = {"dp0": "198.18.0.1/24", "dp1": "198.18.1.1/24"}


def ip(*args):
    subprocess.run(["ip", *args], check=True, capture_output=True)


@pytest.fixture(scope="session")
def netns():
    """A namespace with the twins dp0 and dp1 up and addressed."""
    if not os.access(KEEPALIVED, os.X_OK):
        pytest.fail(f"{KEEPALIVED} is not built: run make first",
                    pytrace=False)
    name = f"dplb-kaconf-{uuid.uuid4().hex[:8]}"
    ip("netns", "add", name)
    try:
        for twin, addr in TWINS.items():
            ip("-n", name, "link", "add", twin, "type", "veth", "peer",
               "name", twin + "p")
            ip("-n", name, "addr", "add", addr, "dev", twin)
            ip("-n", name, "link", "set", twin, "up")
        yield name
    finally:
        ip("netns", "del", name)


class ConfigTest:
    def __init__(self, netns, tmp_path):
        self.netns, self.dir = netns, tmp_path

    def __call__(self, text, dplbd_conf=None, name="keepalived.conf"):
        """keepalived -t on text (checked against dplbd_conf, a path,
        when given): (exit code, output)."""
        if dplbd_conf is not None:
            text = with_dplbd_config(text, dplbd_conf)
        self.text = text            # as tested: its line numbers
        path = self.dir / name
        path.write_text(text)
        r = subprocess.run(["ip", "netns", "exec", self.netns,
                            str(KEEPALIVED), "-t", "-l", "-D", "-f",
                            str(path)],
                           text=True, capture_output=True, timeout=30)
        return r.returncode, r.stdout + r.stderr


def with_dplbd_config(text, path):
    """text with global_defs' dplbd_config set to path (a global_defs
    block put first if there is none: the lines move)."""
    lines = [ln for ln in text.splitlines()
             if not ln.strip().startswith("dplbd_config")]
    out, done = [], False
    for ln in lines:
        out.append(ln)
        if not done and ln.strip().startswith("global_defs"):
            out.append(f"    dplbd_config {path}")
            done = True
    if not done:
        out = ["global_defs {", f"    dplbd_config {path}", "}"] + out
    return "\n".join(out) + "\n"


@pytest.fixture
def ka_test(netns, tmp_path):
    return ConfigTest(netns, tmp_path)
