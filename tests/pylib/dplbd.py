# SPDX-License-Identifier: GPL-2.0-or-later
"""Run a dplbd for a test (stdlib only).

    with Dplbd(config_text) as d:      # starts, waits for hello
        d.ctl.call("port.list")
    print(d.stderr)                    # its output, also after stop

The config text names its control socket (global.control_socket); the
placeholder @SOCKET@ (and @TMPDIR@) are replaced with a path in the
helper's temporary directory.  netns="ns1" runs dplbd inside
`ip netns exec ns1`.  $DPLBD_BIN overrides the binary (an ASan build),
$DPLBD_WRAPPER prefixes a command (e.g. "valgrind -q").
"""

import ctypes
import os
import re
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from ctl import Ctl

REPO = Path(__file__).resolve().parents[2]
DPLBD_BIN = REPO / "build" / "dplbd"
# dplbd is ready in about 0.2 s; twice in fresh runs beside other builds
# one start took 20 s (the machine stalled, probably while another
# process reserved hugepages and the kernel compacted memory).  The
# figure is dplbd's own "ready in" line, printed on failure.
START_TIMEOUT = 60.0
# A net_tap port's close unregisters its netdev, which waits for the
# kernel's rtnl lock and RCU: over 10 s once while another make test
# created and removed namespaces beside it.
STOP_TIMEOUT = 30.0



_PR_SET_PDEATHSIG = 1


def die_with_parent():
    """In the child before exec: SIGTERM when the test process dies, so
    a test run killed by a timeout leaves no dplbd busy-polling a core
    (one left by a killed run took half a core for 35 minutes)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

class DplbdError(Exception):
    pass


class Dplbd:
    def __init__(self, config, netns=None, binary=None, args=(), env=None,
                 start_timeout=START_TIMEOUT, keep_tmpdir=False):
        self.tmpdir = tempfile.mkdtemp(prefix="dplbd-")
        self.socket = None
        config = config.replace("@TMPDIR@", self.tmpdir)
        if "@SOCKET@" in config:
            self.socket = os.path.join(self.tmpdir, "dplbd.sock")
            config = config.replace("@SOCKET@", self.socket)
        else:
            m = re.search(r'control_socket\s*[=:]\s*"([^"]*)"', config)
            self.socket = m.group(1) if m else "/run/dplb/dplbd.sock"
        self.config_text = config
        self.config_path = os.path.join(self.tmpdir, "dplbd.conf")
        with open(self.config_path, "w") as f:
            f.write(config)
        self.netns = netns
        self.binary = str(binary or os.environ.get("DPLBD_BIN") or DPLBD_BIN)
        self.args = list(args)
        self.env = env
        self.start_timeout = start_timeout
        self.keep_tmpdir = keep_tmpdir
        self.proc = None
        self.ctl = None
        self.hello = None
        self.returncode = None
        self._stderr_path = os.path.join(self.tmpdir, "stderr")
        self._stdout_path = os.path.join(self.tmpdir, "stdout")
        self._stderr_text = ""

    # -- lifecycle ------------------------------------------------------
    def command(self):
        cmd = shlex.split(os.environ.get("DPLBD_WRAPPER", ""))
        cmd += [self.binary, "-c", self.config_path] + self.args
        if self.netns:
            cmd = ["ip", "netns", "exec", self.netns] + cmd
        return cmd

    def start(self):
        if self.proc is not None:
            return self
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        if self.env:
            env.update(self.env)
        with open(self._stdout_path, "wb") as out, \
                open(self._stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, env=env,
                                         preexec_fn=die_with_parent)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self):
        deadline = time.monotonic() + self.start_timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DplbdError(
                    f"dplbd exited with {self.proc.returncode} during start:\n"
                    f"{self.stderr}")
            if os.path.exists(self.socket):
                try:
                    ctl = Ctl(self.socket, timeout=5.0)
                    reply = ctl.call("hello")
                    if reply.get("ok"):
                        self.ctl, self.hello = ctl, reply["result"]
                        return
                    ctl.close()
                    last = reply
                except OSError as e:
                    last = e
            time.sleep(0.05)
        raise DplbdError(f"dplbd did not answer hello on {self.socket} within "
                         f"{self.start_timeout:g} s (last: {last}):\n"
                         f"{self.stderr}")

    def stop(self):
        """SIGTERM, wait, SIGKILL.  Returns the exit status.  Idempotent."""
        if self.ctl is not None:
            self.ctl.close()
            self.ctl = None
        if self.proc is not None and self.returncode is None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.returncode = self.proc.returncode
        if os.path.exists(self._stderr_path):
            self._stderr_text = self._read(self._stderr_path)
        if not self.keep_tmpdir and os.path.isdir(self.tmpdir):
            shutil.rmtree(self.tmpdir, ignore_errors=True)
        return self.returncode

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- helpers --------------------------------------------------------
    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def boot_id(self):
        return self.hello["boot_id"] if self.hello else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def connect(self, timeout=10.0):
        """A new connection of its own (the caller closes it)."""
        return Ctl(self.socket, timeout=timeout)

    @staticmethod
    def _read(path):
        try:
            with open(path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    @property
    def stderr(self):
        """dplbd's stderr so far (kept after stop)."""
        if os.path.exists(self._stderr_path):
            return self._read(self._stderr_path)
        return self._stderr_text

    @property
    def stdout(self):
        return self._read(self._stdout_path)
