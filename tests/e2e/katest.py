# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers of the keepalived end-to-end tests: the patched keepalived
(build/keepalived/install/usr/sbin/keepalived) started in a lab namespace
through `lab.sh start-keepalived`, so that `lab.sh down` stops it too."""

import os
import signal
import subprocess
from pathlib import Path

from labtest import REPO, wait_for

KEEPALIVED = REPO / "build" / "keepalived" / "install" / "usr" / "sbin" / "keepalived"


class Keepalived:
    def __init__(self, lab, name, node, conf_text):
        self.lab, self.name, self.node = lab, name, node
        self.conf = f"{lab.state}/{name}.conf"
        self.log = f"{lab.state}/{name}.log"
        self.write(conf_text)

    def write(self, text):
        with open(self.conf, "w") as f:
            f.write(text)

    def start(self):
        self.lab.sh("start-keepalived", self.name, self.node, self.conf)
        return self

    def pids(self):
        out = self.lab.sh("keepalived-pids", self.name).stdout
        return {k: int(v) for k, v in
                (line.split("=", 1) for line in out.split() if "=" in line)}

    def pid(self, kind="keepalived"):
        """kind's pid once its pid file holds one (keepalived writes
        them after it forks)."""
        got = {}
        assert wait_for(lambda: got.update(self.pids()) or kind in got, 10), \
            (self.name, kind, self.text()[-800:])
        return got[kind]

    def alive(self):
        pid = self.pids().get("keepalived")
        if pid is None:
            return False
        try:
            with open(f"/proc/{pid}/stat") as f:
                return f.read().rsplit(")", 1)[1].split()[0] not in "ZX"
        except OSError:
            return False

    def reload(self):
        os.kill(self.pid(), signal.SIGHUP)

    def reload_checked(self, text=None):
        """Write text (if given) as the config, then `lab.sh
        reload-keepalived`: keepalived -t first, SIGHUP only if it
        passes.  Returns lab.sh's CompletedProcess."""
        if text is not None:
            self.write(text)
        return self.lab.sh("reload-keepalived", self.name, self.node,
                           self.conf, check=False)

    def stop(self):
        """Graceful: SIGTERM to the parent, as systemd does."""
        self.lab.sh("stop", self.name)

    def kill9(self):
        """A crash: SIGKILL to every process of this keepalived at once
        (the VRRP child first: it holds the VIP leases)."""
        pids = self.pids()
        for k in ("vrrp", "checkers", "keepalived"):
            if k in pids:
                try:
                    os.kill(pids[k], signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.lab.sh("stop", self.name, check=False)

    def text(self):
        try:
            with open(self.log) as f:
                return f.read()
        except OSError:
            return ""

    def wait_log(self, needle, timeout=10.0):
        return wait_for(lambda: needle in self.text(), timeout)


def config_test(conf_text, tmpdir):
    """keepalived -t on a config: (exit code, output)."""
    path = Path(tmpdir) / "keepalived.conf"
    path.write_text(conf_text)
    r = subprocess.run([str(KEEPALIVED), "-t", "-l", "-D", "-f", str(path)],
                       text=True, capture_output=True, timeout=30)
    return r.returncode, r.stdout + r.stderr
