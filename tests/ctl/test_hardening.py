# SPDX-License-Identifier: GPL-2.0-or-later
"""The control socket against hostile or careless clients, on a real
dplbd (one net_null port): idle clients without a lease are closed,
one user cannot take every connection and root always gets in (1,024
idle connections no longer lock keepalived out); request ids that JSON
does not have, or that would lose digits, are refused; every reply is
JSON and UTF-8 whatever the client sent and wherever a message is cut; a
client string cannot forge a log line; the socket file is never reached
through a symlink.  Non-root clients run as uid 65534 in a child.
Run as root: /usr/bin/python3 -m pytest tests/ctl/test_hardening.py
"""

import json
import os
import resource
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "pylib"))

from dplbd import Dplbd  # noqa: E402

NOBODY = 65534
IDLE_S = 2
PER_UID = 8
ROOT_SLOTS = 16
MAX_CLIENTS = 1024

BASE = """
eal = { hugepages = false; memory_mb = 256; };
dataplane = { workers = 1; idle_sleep_max_us = 100; };
ports = ( { name = "dp0"; device = "net_null0"; twin = "";
            addresses = [ "198.18.0.1/24" ]; } );
"""

CONFIG = """
global = { log_level = "info"; control_socket = "@SOCKET@";
           socket_mode = "0666"; control_idle_timeout = %d;
           control_max_per_uid = %d; control_root_slots = %d; };
""" % (IDLE_S, PER_UID, ROOT_SLOTS) + BASE

# A client as another user: opens N connections, and prints what each
# got from the server (its text, "<EOF>" at the close; null if nothing)
# once nothing has changed for a second; then, when told on stdin, again
# once every connection is closed (or after 15 s).
CHILD = r"""
import json, resource, socket, sys, time
path, n = sys.argv[1], int(sys.argv[2])
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
socks = []
for i in range(n):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    for attempt in range(1000):
        try:
            s.connect(path)
            break
        except BlockingIOError:     # a full listen backlog
            time.sleep(0.01)
    s.setblocking(False)
    socks.append(s)
got = [None] * n

def closed(i):
    return got[i] is not None and got[i].endswith("<EOF>")

def collect():
    changed = False
    for i, s in enumerate(socks):
        if closed(i):
            continue
        try:
            data = s.recv(65536)
        except BlockingIOError:
            continue
        except OSError:
            data = b""
        got[i] = (got[i] or "") + (data.decode() if data else "<EOF>")
        changed = True
    return changed

start = last = time.monotonic()
while time.monotonic() - start < 15 and time.monotonic() - last < 1.0:
    if collect():
        last = time.monotonic()
    time.sleep(0.1)
print(json.dumps(got), flush=True)
sys.stdin.readline()
end = time.monotonic() + 15
while time.monotonic() < end and not all(closed(i) for i in range(n)):
    collect()
    time.sleep(0.1)
print(json.dumps(got), flush=True)
"""


def strict_json(line):
    """line (bytes) as RFC 8259 JSON in strict UTF-8, or an exception."""
    def no_constant(name):
        raise ValueError(f"not JSON: {name}")
    return json.loads(line.decode("utf-8", errors="strict"),
                      parse_constant=no_constant)


def raise_nofile():
    """dplbd inherits this: room for MAX_CLIENTS connections and more."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))


def reachable_by_others(d):
    """The child (another uid) must get through dplbd's temp dir."""
    os.chmod(d.tmpdir, 0o711)


class Others:
    """n connections made by uid 65534 in a child process: .refused (the
    EUSERS lines), .open (how many dplbd kept)."""

    def __init__(self, sock, n):
        self.n = n
        self.p = subprocess.Popen(
            [sys.executable, "-c", CHILD, sock, str(n)], user=NOBODY,
            group=NOBODY, extra_groups=[], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        assert line, f"the uid {NOBODY} child failed"
        got = json.loads(line)
        self.refused = [g for g in got if g and "EUSERS" in g]
        self.open = n - len(self.refused)

    def closed_idle(self):
        """Release the child once its connections are closed: how many
        dplbd closed as idle (an ETIMEDOUT line, then EOF)."""
        self.p.stdin.write("\n")
        self.p.stdin.flush()
        got = json.loads(self.p.stdout.readline())
        self.p.wait(10)
        return sum(1 for g in got if g and "ETIMEDOUT" in g and
                   g.endswith("<EOF>"))

    def close(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


@pytest.fixture(scope="module")
def dplbd(request):
    raise_nofile()
    d = Dplbd(CONFIG)
    d.start()
    reachable_by_others(d)
    yield d
    alive = d.alive()
    rc = d.stop()
    assert alive, f"dplbd died during the tests:\n{d.stderr}"
    assert rc == 0, f"dplbd exited with {rc} on SIGTERM:\n{d.stderr}"
    assert "Sanitizer" not in d.stderr, d.stderr


def wait_eof(c, timeout):
    """The lines c gets until dplbd closes it (within timeout)."""
    lines = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            line = c.recv_line(timeout=max(0.05, end - time.monotonic()))
        except socket.timeout:
            break
        if line is None:
            return lines
        lines.append(line)
    raise AssertionError(f"not closed within {timeout} s (got {lines})")


# ------------------------------------------------------------ idle clients

def test_idle_client_without_lease_is_closed(dplbd):
    with dplbd.connect() as idle, dplbd.connect() as busy:
        t0 = time.monotonic()
        busy_ok = 0
        while time.monotonic() - t0 < IDLE_S + 1.5:
            busy_ok += busy.call("hello")["ok"]
            time.sleep(0.3)
        lines = wait_eof(idle, IDLE_S + 3)
        assert len(lines) == 1, lines
        r = strict_json(lines[0])
        assert r["id"] is None and r["ok"] is False, r
        assert r["error"]["code"] == "ETIMEDOUT", r
        assert "control_idle_timeout" in r["error"]["message"], r
        # the one that kept asking is still served
        assert busy.call("hello")["ok"] and busy_ok >= 5


def test_leaseholder_is_never_idle(dplbd):
    owner = dplbd.connect()
    try:
        owner.result("vip.add", {"addr": "198.18.0.77", "dev": "dp0",
                                 "lease": True})
        time.sleep(IDLE_S * 2 + 1)
        assert owner.result("hello")
        with dplbd.connect() as c:
            assert "198.18.0.77" in {v["addr"] for v in c.result("vip.list")}
    finally:
        owner.close()


# --------------------------------------------------- who may connect

def test_one_user_gets_its_cap_and_no_more(dplbd, ctl):
    others = Others(dplbd.socket, 40)
    try:
        assert others.open == PER_UID, others.refused[:2]
        r = strict_json(others.refused[0].splitlines()[0].encode())
        assert r["id"] is None and r["error"]["code"] == "EUSERS", r
        assert r["error"]["message"] == (
            f"uid {NOBODY} has {PER_UID} control connections, the most one "
            "user may have (control_max_per_uid)")
        # root is not held back
        with dplbd.connect() as c:
            assert c.result("hello")
    finally:
        others.close()
    assert "connection of uid 65534 refused" in dplbd.stderr


def test_1024_idle_connections_do_not_lock_root_out():
    """Without a cap per uid, one user fills every slot but root's; root
    still gets in, and idle connections go after the timeout."""
    raise_nofile()
    idle = 6
    conf = CONFIG.replace(f"control_max_per_uid = {PER_UID}",
                          "control_max_per_uid = 0").replace(
        f"control_idle_timeout = {IDLE_S}", f"control_idle_timeout = {idle}")
    with Dplbd(conf) as d:
        reachable_by_others(d)
        d.ctl.close()
        d.ctl = None
        others = Others(d.socket, MAX_CLIENTS + 40)
        try:
            assert others.open == MAX_CLIENTS - ROOT_SLOTS, \
                (others.open, others.refused[:1])
            assert "kept for root (control_root_slots)" in others.refused[0]
            roots = [d.connect() for _ in range(ROOT_SLOTS)]
            for c in roots:
                assert c.result("hello")
            # now every slot is taken, root's too
            with d.connect() as extra:
                r = strict_json(extra.recv_line(timeout=5))
                assert r["error"]["code"] == "EUSERS", r
                assert r["error"]["message"] == \
                    "all 1024 control connections are taken"
            for c in roots:
                c.close()
            # idle: every one of the others' connections is closed
            assert others.closed_idle() == MAX_CLIENTS - ROOT_SLOTS
        finally:
            others.close()
        with d.connect() as c:
            assert c.result("hello")
        assert "idle clients closed" in d.stderr


# ------------------------------------------------------------------ ids

@pytest.mark.parametrize("raw,code", [
    (b"NaN", "EBADMSG"), (b"Infinity", "EBADMSG"), (b"-Infinity", "EBADMSG"),
    (b"1.", "EBADMSG"), (b"1.e5", "EBADMSG"),
    (b"1.5", "EINVAL"), (b"1e5", "EINVAL"), (b"true", "EINVAL"),
    (b"{}", "EINVAL"),
    (b"18446744073709551615", "EINVAL"), (b"-9223372036854775808", "EINVAL"),
    (b"123456789012345678901234567890", "EINVAL"),
])
def test_id_that_cannot_be_echoed_is_refused(ctl, raw, code):
    ctl.send_raw(b'{"id":' + raw + b',"method":"hello"}\n')
    r = strict_json(ctl.recv_line())
    assert r["id"] is None and r["ok"] is False, r
    assert r["error"]["code"] == code, r
    assert ctl.call("hello")["ok"]


def test_non_json_number_in_params_is_malformed(ctl):
    ctl.send_raw(b'{"id":5,"method":"hello","params":{"x":[NaN]}}\n')
    r = strict_json(ctl.recv_line())
    assert r["error"]["code"] == "EBADMSG", r
    assert r["error"]["message"] == \
        "malformed JSON: 'NaN' is not a JSON number"


@pytest.mark.parametrize("rid", [2**64 - 2, 2**63, 2**63 - 1, -(2**63 - 1),
                                 0, "x" * 300, "\u00e9\U0001f600"])
def test_id_echoed_exactly(ctl, rid):
    line = json.dumps({"id": rid, "method": "hello"}).encode() + b"\n"
    ctl.send_raw(line)
    raw = ctl.recv_line()
    assert strict_json(raw)["id"] == rid
    if isinstance(rid, int):
        assert raw.startswith(b'{"id":%d,' % rid)


# ---------------------------------------------------------- UTF-8 replies

CHARS = ["\u00e9", "\u20ac", "\U0001f600"]     # 2, 3 and 4 bytes


@pytest.mark.parametrize("ch", CHARS)
def test_messages_cut_on_a_character(ctl, ch):
    """Client strings in error messages, long enough to be cut, at every
    alignment of a multibyte character against the cut."""
    for pad in range(4):
        name = "a" * pad + ch * 200
        for method, params in (
                (name, None),
                ("vip.add", {"addr": name, "dev": "dp0"}),
                ("route.add", {"dst": "198.19.0.0/24", "via": name})):
            line = json.dumps({"id": 1, "method": method,
                               "params": params or {}},
                              ensure_ascii=False).encode() + b"\n"
            ctl.send_raw(line)
            raw = ctl.recv_line()
            r = strict_json(raw)     # strict UTF-8 and JSON
            msg = r["error"]["message"]
            assert msg.endswith("..."), msg
            assert "\ufffd" not in msg, msg
            assert ("a" * pad + ch * 5) in msg, msg


@pytest.mark.parametrize("raw", [
    b'{"id":1,"method":"\xff"}',
    b'{"id":1,"method":"ab\xc3"}',
    b'{"id":1,"method":"\xc0\xaf"}',
    b'{"id":1,"method":"\xed\xa0\x80"}',
    b'{"id":1,"method":"\xf4\x90\x80\x80"}',
    b'{"id":"\xe2\x82","method":"hello"}',
])
def test_invalid_utf8_input(ctl, raw):
    ctl.send_raw(raw + b"\n")
    r = strict_json(ctl.recv_line())
    assert r["id"] is None and r["error"]["code"] == "EBADMSG", r
    assert ctl.call("hello")["ok"]


def test_escaped_lone_surrogate(ctl):
    ctl.send_raw(b'{"id":1,"method":"x\\ud800y"}\n')
    r = strict_json(ctl.recv_line())
    assert r["error"]["code"] == "ENOSYS", r
    assert r["error"]["message"] == "unknown method 'x\ufffdy'"


# ------------------------------------------------------------------ logs

def test_client_string_cannot_forge_a_log_line(dplbd, ctl):
    ctl.result("sync.start", {"state": "backup",
                              "ifname": "e\ndplbd: err: x"})
    ctl.result("sync.stop", {"state": "backup"})
    deadline = time.monotonic() + 5
    while "e\\ndplbd: err: x" not in dplbd.stderr and \
            time.monotonic() < deadline:
        time.sleep(0.1)
    lines = dplbd.stderr.splitlines()
    assert not [ln for ln in lines if ln.startswith("dplbd: err: x")], lines
    assert [ln for ln in lines if "interface e\\ndplbd: err: x" in ln]


# ---------------------------------------------------------- socket file

def test_wide_socket_mode_warned(dplbd):
    assert "socket_mode 0666 is wider than 0660: every local user may " \
           "control dplbd" in dplbd.stderr
    st = os.lstat(dplbd.socket)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o666


def one_shot(tmp, global_keys, timeout=60):
    conf = Path(tmp) / "dplbd.conf"
    conf.write_text("global = { %s };\n" % global_keys + BASE.replace(
        "memory_mb = 256;", 'memory_mb = 256; args = [ "--no-shconf" ];'))
    return subprocess.run([os.environ.get("DPLBD_BIN",
                                          str(REPO / "build" / "dplbd")),
                           "-c", str(conf)], text=True, capture_output=True,
                          timeout=timeout)


def test_symlink_at_the_socket_path_is_refused(tmp_path):
    victim = tmp_path / "victim"
    victim.write_text("secret\n")
    os.chmod(victim, 0o600)
    link = tmp_path / "dplbd.sock"
    link.symlink_to(victim)
    r = one_shot(tmp_path, f'control_socket = "{link}"; socket_mode = "0666";'
                           ' socket_group = "daemon";')
    assert r.returncode != 0
    assert f"control socket {link}: removing a stale socket: File exists" \
        in r.stderr, r.stderr
    st = os.stat(victim)
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_gid == 0
    assert os.path.islink(link)


def test_socket_group_set_without_following_links():
    """With a group, the socket is made in a private directory and moved
    into place: mode and group right, nothing left beside it."""
    raise_nofile()
    d = Dplbd(CONFIG.replace('socket_mode = "0666";',
                             'socket_mode = "0640"; socket_group = "daemon";'))
    with d:
        st = os.lstat(d.socket)
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o640
        assert st.st_gid == __import__("grp").getgrnam("daemon").gr_gid
        assert sorted(os.listdir(d.tmpdir)) == \
            ["dplbd.conf", "dplbd.sock", "stderr", "stdout"]
        assert "wider than 0660" not in d.stderr
        sock = d.socket
    assert not os.path.exists(sock)


@pytest.mark.parametrize("key,value,text", [
    ("control_idle_timeout", "86401", "must be between 0 and 86400"),
    ("control_max_per_uid", "-1", "must be between 0 and 1024"),
    ("control_root_slots", "1024", "must be between 0 and 1023"),
])
def test_limit_keys_checked(tmp_path, key, value, text):
    conf = tmp_path / "dplbd.conf"
    conf.write_text(f"global = {{\n  {key} = {value};\n}};\n" + BASE)
    r = subprocess.run([os.environ.get("DPLBD_BIN",
                                       str(REPO / "build" / "dplbd")),
                        "--check-config", "-c", str(conf)],
                       text=True, capture_output=True, timeout=30)
    assert r.returncode != 0
    assert f"{conf}:2: global.{key}: {text}" in r.stderr, r.stderr


def test_limit_keys_shown(ctl):
    g = ctl.result("config.show")["global"]
    assert (g["control_idle_timeout"], g["control_max_per_uid"],
            g["control_root_slots"]) == (IDLE_S, PER_UID, ROOT_SLOTS)
