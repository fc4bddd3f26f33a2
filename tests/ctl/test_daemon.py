# SPDX-License-Identifier: GPL-2.0-or-later
"""dplbd as a service: the notification protocol systemd speaks
(READY=1, STATUS=, WATCHDOG=1, RELOADING=1, STOPPING=1) over a real
$NOTIFY_SOCKET, reload on SIGHUP, priority prefixes for the journal, and
--version.  Each test runs its own dplbd on a net_null port.
Run as root: /usr/bin/python3 -m pytest -q tests/ctl/test_daemon.py
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "pylib"))

from dplbd import Dplbd  # noqa: E402

DPLBD = Path(os.environ.get("DPLBD_BIN", REPO / "build" / "dplbd"))
DPLBCTL = Path(os.environ.get("DPLBCTL_BIN", REPO / "build" / "dplbctl"))
VERSION = (REPO / "VERSION").read_text().strip()

BASE = """
global = {{ log_level = "{level}"; control_socket = "@SOCKET@"; }};
eal = {{ hugepages = false; memory_mb = 256; }};
dataplane = {{ workers = {workers}; idle_sleep_max_us = 100; burst = {burst}; }};
neigh = {{ retrans_ms = {retrans}; static = ( {neighs} ); }};
ports = (
  {{ name = "dp0"; device = "net_null0"; addresses = [ {addrs} ]; }}
);
routes = ( {routes} );
"""


def config(level="info", workers=1, burst=32, retrans=1000,
           addrs='"198.18.0.1/24"',
           routes='{ dst = "198.19.0.0/24"; via = "198.18.0.2"; }',
           neighs='{ ip = "198.18.0.7"; mac = "02:00:00:00:00:07"; '
                  'dev = "dp0"; }'):
    return BASE.format(level=level, workers=workers, burst=burst,
                       retrans=retrans, addrs=addrs, routes=routes,
                       neighs=neighs)


class Manager:
    """The service manager's end of $NOTIFY_SOCKET."""

    def __init__(self, abstract=False):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            name = f"dplb-test-notify-{os.getpid()}-{time.monotonic_ns()}"
            self.sock.bind("\0" + name)
            self.env_name = "@" + name
            self.path = None
        else:
            self.dir = tempfile.mkdtemp(prefix="dplb-notify-")
            self.path = os.path.join(self.dir, "notify")
            self.sock.bind(self.path)
            self.env_name = self.path
        self.messages = []      # (monotonic time, {key: value})
        self.cursor = 0         # wait_for() looks from here on

    def env(self, watchdog_usec=None, watchdog_pid=None):
        e = {"NOTIFY_SOCKET": self.env_name}
        if watchdog_usec is not None:
            e["WATCHDOG_USEC"] = str(watchdog_usec)
        if watchdog_pid is not None:
            e["WATCHDOG_PID"] = str(watchdog_pid)
        return e

    def receive(self, timeout):
        """Collect messages for timeout seconds."""
        end = time.monotonic() + timeout
        while (left := end - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                break
            fields = dict(line.split("=", 1) for line in data.split("\n")
                          if line)
            self.messages.append((time.monotonic(), fields))

    def wait_for(self, key, value=None, timeout=10.0):
        """The next message with key (= value) after the one the last
        wait_for() returned."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for i in range(self.cursor, len(self.messages)):
                m = self.messages[i][1]
                if key in m and (value is None or m[key] == value):
                    self.cursor = i + 1
                    return m
            self.receive(min(0.2, end - time.monotonic()))
        raise AssertionError(f"no {key}={value} within {timeout} s; got "
                             f"{[m for _, m in self.messages]}")

    def close(self):
        self.sock.close()
        if self.path:
            os.unlink(self.path)
            os.rmdir(self.dir)


@pytest.fixture
def manager():
    m = Manager()
    yield m
    m.close()


def stop_clean(d):
    rc = d.stop()
    assert rc == 0, f"dplbd exited with {rc}:\n{d.stderr}"


def wait_log(d, pattern, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        m = re.search(pattern, d.stderr)
        if m:
            return m
        time.sleep(0.05)
    raise AssertionError(f"no /{pattern}/ in dplbd's log:\n{d.stderr}")


# ------------------------------------------------------------ notifications

def test_ready_after_the_dataplane_and_status(manager):
    """READY=1 comes once, with a STATUS= summary, when the control socket
    answers; then STOPPING=1 on SIGTERM and the socket is left alone."""
    d = Dplbd(config(workers=2), env=manager.env())
    d.start()
    try:
        ready = manager.wait_for("READY", "1")
        assert ready["STATUS"] == \
            "1 port (1 up), 2 workers, 0 services, 0 connections"
        # the dataplane answers as soon as READY=1 was sent
        assert d.ctl.call("port.list")["ok"]
        manager.receive(1.5)
        readies = [m for _, m in manager.messages if "READY" in m]
        assert len(readies) == 1, manager.messages
        # no watchdog was asked for: no pings
        assert not [m for _, m in manager.messages if "WATCHDOG" in m]
        # a new service shows in the summary within a second or so
        r = d.ctl.call("service.add", {"proto": "tcp", "vip": "198.18.0.100",
                                       "port": 80, "sched": "rr"})
        assert r["ok"], r
        m = manager.wait_for("STATUS", timeout=3.0)
        assert "1 service," in m["STATUS"], m
    finally:
        stop_clean(d)
    manager.wait_for("STOPPING", "1", timeout=2.0)


def test_abstract_socket_name():
    """$NOTIFY_SOCKET may name an abstract socket ("@name")."""
    m = Manager(abstract=True)
    try:
        with Dplbd(config(), env=m.env()) as d:
            m.wait_for("READY", "1")
            stop_clean(d)
    finally:
        m.close()


def test_watchdog_pings_at_half_the_interval(manager):
    d = Dplbd(config(), env=manager.env(watchdog_usec=400000))
    d.start()
    try:
        manager.wait_for("READY", "1")
        t0 = time.monotonic()
        manager.receive(3.0)
        pings = [t for t, m in manager.messages
                 if m.get("WATCHDOG") == "1" and t >= t0]
        # every 200 ms; the median gap, as this machine may be loaded
        assert 6 <= len(pings) <= 16, pings
        gaps = sorted(b - a for a, b in zip(pings, pings[1:]))
        assert 0.15 <= gaps[len(gaps) // 2] <= 0.3, gaps
    finally:
        stop_clean(d)


def test_watchdog_for_another_pid_is_ignored(manager):
    """WATCHDOG_PID names the process the watchdog is meant for."""
    d = Dplbd(config(), env=manager.env(watchdog_usec=200000,
                                        watchdog_pid=1))
    d.start()
    try:
        manager.wait_for("READY", "1")
        manager.receive(1.0)
        assert not [m for _, m in manager.messages if "WATCHDOG" in m]
    finally:
        stop_clean(d)


def test_unusable_notify_socket_is_reported_not_fatal():
    with Dplbd(config(), env={"NOTIFY_SOCKET": "relative/path"}) as d:
        assert d.ctl.call("hello")["ok"]
        assert "NOTIFY_SOCKET is unusable (Invalid argument)" in d.stderr
        stop_clean(d)


# ------------------------------------------------------------------ reload

def routes(d):
    r = d.ctl.call("route.list")["result"]
    return {(x["dst"], x["via"]) for x in r if x["type"] == "gateway"}


def addrs(d):
    return {x["addr"] for x in d.ctl.call("addr.list")["result"]}


def neighs(d):
    return {(x["ip"], x["mac"]) for x in d.ctl.call("neigh.list")["result"]
            if x["state"] == "permanent"}


def rewrite(d, text):
    text = text.replace("@SOCKET@", d.socket)
    with open(d.config_path, "w") as f:
        f.write(text)


def test_sighup_applies_live_keys_and_reports_the_rest(manager):
    d = Dplbd(config(), env=manager.env())
    d.start()
    try:
        manager.wait_for("READY", "1")
        assert addrs(d) == {"198.18.0.1/24"}
        assert routes(d) == {("198.19.0.0/24", "198.18.0.2")}
        assert neighs(d) == {("198.18.0.7", "02:00:00:00:00:07")}
        # a route added through the socket is not the file's to delete
        assert d.ctl.call("route.add", {"dst": "198.21.0.0/24",
                                        "via": "198.18.0.2"})["ok"]
        rewrite(d, config(
            level="debug", burst=64, retrans=500,
            addrs='"198.18.0.1/24", "198.18.5.1/24"',
            routes='{ dst = "198.20.0.0/24"; via = "198.18.5.2"; }',
            neighs='{ ip = "198.18.0.7"; mac = "02:00:00:00:00:77"; '
                   'dev = "dp0"; }, { ip = "198.18.5.9"; '
                   'mac = "02:00:00:00:05:09"; dev = "dp0"; }'))
        os.kill(d.pid, signal.SIGHUP)
        manager.wait_for("RELOADING", "1")
        m = manager.wait_for("READY", "1")
        assert not m["STATUS"].startswith("last reload failed"), m
        wait_log(d, r"notice: reloaded ")
        assert addrs(d) == {"198.18.0.1/24", "198.18.5.1/24"}
        assert routes(d) == {("198.20.0.0/24", "198.18.5.2"),
                             ("198.21.0.0/24", "198.18.0.2")}
        assert neighs(d) == {("198.18.0.7", "02:00:00:00:00:77"),
                             ("198.18.5.9", "02:00:00:00:05:09")}
        cfg = d.ctl.call("config.show")["result"]
        assert cfg["global"]["log_level"] == "debug"
        assert cfg["neigh"]["retrans_ms"] == 500
        assert [r["dst"] for r in cfg["routes"]] == ["198.20.0.0/24"]
        # burst needs a restart: kept, and said so
        assert cfg["dataplane"]["burst"] == 32
        assert "warning: reload: changes to dataplane need a restart" \
            in d.stderr
        assert "log_level info -> debug" in d.stderr
        assert "route 198.19.0.0/24 deleted" in d.stderr
        assert "static neighbour 198.18.0.7 dev dp0 changed" in d.stderr

        # dropping the address again takes its subnet with it
        rewrite(d, config(routes=""))
        os.kill(d.pid, signal.SIGHUP)
        wait_log(d, r"(?s)reloaded .*reloaded ")
        assert addrs(d) == {"198.18.0.1/24"}
        assert routes(d) == {("198.21.0.0/24", "198.18.0.2")}
    finally:
        stop_clean(d)


def test_sighup_with_a_broken_file_changes_nothing(manager):
    d = Dplbd(config(), env=manager.env())
    d.start()
    try:
        manager.wait_for("READY", "1")
        with open(d.config_path, "a") as f:
            f.write("routes = ( );\n")     # a duplicate setting
        os.kill(d.pid, signal.SIGHUP)
        m = manager.wait_for("READY", "1")
        assert m["STATUS"].startswith("last reload failed (see the log); "
                                      "1 port"), m
        line = wait_log(d, r"err: reload: .*\n").group(0)
        assert "syntax error: duplicate setting name; the running " \
               "configuration is unchanged" in line, line
        assert routes(d) == {("198.19.0.0/24", "198.18.0.2")}
        assert d.alive()
    finally:
        stop_clean(d)


# ---------------------------------------------------------------- @include
# libconfig 1.5's scanner calls exit(2) when an included name is a
# directory; dplbd expands @include itself and names the line instead.

BAD_INCLUDES = [(".", "{dir}/. is a directory"), ("", "no file name"),
                ("missing.conf", "cannot read {dir}/missing.conf: No such "
                                 "file or directory")]


@pytest.mark.parametrize("name, why", BAD_INCLUDES)
def test_check_config_names_a_bad_include(tmp_path, name, why):
    conf = tmp_path / "dplbd.conf"
    conf.write_text(f'ip = {{ forward = true; }};\n@include "{name}"\n')
    r = subprocess.run([str(DPLBD), "--check-config", "-c", str(conf)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r
    want = f'{conf}:2: @include "{name}": ' + why.format(dir=tmp_path)
    assert want in r.stderr, r.stderr
    assert "flex" not in r.stderr


def test_check_config_follows_an_include(tmp_path):
    (tmp_path / "ip.conf").write_text("ip = { forward = true; };\n")
    conf = tmp_path / "dplbd.conf"
    conf.write_text('@include "ip.conf"\n')
    r = subprocess.run([str(DPLBD), "--check-config", "-c", str(conf)],
                       capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout) == \
        (0, f"{conf}: configuration is valid\n"), r


def test_sighup_with_a_bad_include_keeps_running(manager):
    """A reload that meets '@include "."' fails like any broken file:
    dplbd keeps running on what it had, then reloads a good include."""
    d = Dplbd(config(), env=manager.env())
    d.start()
    try:
        manager.wait_for("READY", "1")
        text = config(routes="").replace("routes = (  );", "")
        rewrite(d, text + '@include "."\n')
        line_no = text.count("\n") + 1
        os.kill(d.pid, signal.SIGHUP)
        m = manager.wait_for("READY", "1")
        assert m["STATUS"].startswith("last reload failed (see the log); "
                                      "1 port"), m
        line = wait_log(d, r"err: reload: .*\n").group(0)
        assert f'{d.config_path}:{line_no}: @include ".": ' \
               f'{os.path.dirname(d.config_path)}/. is a directory' \
               in line, line
        assert d.alive()
        assert d.ctl.call("hello")["ok"]
        assert routes(d) == {("198.19.0.0/24", "198.18.0.2")}

        # the same file with a good include is applied
        with open(os.path.join(d.tmpdir, "routes.conf"), "w") as f:
            f.write('routes = ( { dst = "198.20.0.0/24"; '
                    'via = "198.18.0.2"; } );\n')
        rewrite(d, text + '@include "routes.conf"\n')
        os.kill(d.pid, signal.SIGHUP)
        wait_log(d, r"notice: reloaded ")
        assert routes(d) == {("198.20.0.0/24", "198.18.0.2")}
    finally:
        stop_clean(d)


# ----------------------------------------------------------- journal, misc

def test_journal_priorities_on_every_line(tmp_path):
    """With stderr being the journal stream ($JOURNAL_STREAM names its
    device and inode) every line, DPDK's too, starts with "<N>"."""
    d = Dplbd(config(level="debug"))
    Path(d._stderr_path).touch()
    st = os.stat(d._stderr_path)
    d.env = {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}
    d.start()
    stop_clean(d)
    lines = d.stderr.splitlines()
    assert lines
    bad = [x for x in lines if not re.match(r"<[0-7]>", x)]
    assert not bad, bad
    assert "<5>dplbd 0.1.0 ready" .replace("0.1.0", VERSION) in d.stderr
    assert "<7>" in d.stderr                     # dplbd's debug lines
    assert re.search(r"<6>EAL: ", d.stderr), d.stderr   # DPDK's, once
    assert len(re.findall(r"EAL: Detected CPU lcores", d.stderr)) <= 1


def test_no_prefixes_when_stderr_is_not_the_journal():
    """A $JOURNAL_STREAM inherited by a process whose stderr goes
    elsewhere is ignored."""
    with Dplbd(config(), env={"JOURNAL_STREAM": "1:1"}) as d:
        stop_clean(d)
    assert re.search(r"(?m)^dplbd: notice: dplbd .* ready", d.stderr)
    assert not re.search(r"(?m)^<\d>", d.stderr)


@pytest.mark.parametrize("binary", [DPLBD, DPLBCTL])
def test_version(binary):
    out = subprocess.run([str(binary), "--version"], capture_output=True,
                         text=True, check=True).stdout
    assert out == f"{binary.name} {VERSION}\n"
