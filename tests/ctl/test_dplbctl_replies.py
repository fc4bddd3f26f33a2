# SPDX-License-Identifier: GPL-2.0-or-later
"""dplbctl against a fake dplbd that answers with odd shapes: every
command that prints a result, fed results of the wrong type, lists of
things that are not objects, members of the wrong type, replies that
are not replies and errors without their fields.  dplbctl (the ASan and
UBSan build, build/asan/dplbctl, when it exists) must never crash or
trip a sanitizer: a result it cannot read is "dplbctl: unexpected reply
to METHOD: ..." and exit 1, with nothing on stdout; what is not a reply
at all is "malformed reply" and exit 3 (docs/control-protocol.md).
Missing members are not an error: they print as "-".
Run: /usr/bin/python3 -m pytest tests/ctl/test_dplbctl_replies.py
"""

import json
import os
import re
import socket
import subprocess
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "dataplane" / "dplbctl"


def dplbctl_bin():
    if os.environ.get("DPLBCTL_BIN"):
        return Path(os.environ["DPLBCTL_BIN"])
    asan = REPO / "build" / "asan" / "dplbctl"
    return asan if asan.exists() else REPO / "build" / "dplbctl"


DPLBCTL = dplbctl_bin()
SAN_ENV = {"ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=99",
           "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=98",
           "LSAN_OPTIONS": "exitcode=97"}

# (argv, method whose result is odd, what the printer expects:
#  "array", "object" or "any" for the JSON printers and commands that
#  print nothing)
COMMANDS = [
    (["hello"], "hello", "object"),
    (["port", "show"], "port.list", "array"),
    (["port", "show", "-s"], "port.list", "array"),
    (["addr", "show"], "addr.list", "array"),
    (["route", "show"], "route.list", "array"),
    (["neigh", "show"], "neigh.list", "array"),
    (["lcore", "show"], "lcore.list", "array"),
    (["drop", "show"], "drop.list", "object"),
    (["service", "show"], "service.list", "array"),
    (["service", "show", "--stats"], "stats.show", "array"),
    (["service", "show", "--rate"], "stats.show", "array"),
    (["service", "show", "--persistent-conn"], "service.list", "array"),
    (["service", "show"], "hello", "object"),
    (["dest", "show", "-t", "198.18.0.10:80"], "dest.list", "array"),
    (["laddr", "show"], "laddr.list", "array"),
    (["snat", "show"], "snat.list", "array"),
    (["conn", "show"], "conn.list", "object"),
    (["vip", "show"], "vip.list", "array"),
    (["sync", "show"], "sync.list", "array"),
    (["sync", "show"], "sync.stats", "object"),
    (["save"], "laddr.list", "array"),
    (["save"], "service.list", "array"),
    (["service", "show", "--sort"], "service.list", "array"),
    (["config", "show"], "config.show", "any"),
    (["log", "set", "info"], "log.set", "any"),
    (["addr", "add", "198.18.0.1/24", "dev", "dp0"], "addr.add", "any"),
    (["service", "flush"], "service.flush", "any"),
    (["conn", "flush"], "conn.flush", "object"),
    (["call", "hello"], "hello", "any"),
    (["-j", "port", "show"], "port.list", "any"),
]


def reader_keys():
    """Every member name a printer reads (jstr, jint, jarr...): poisoned
    objects give each of them a value of the wrong type."""
    keys = set()
    for f in SRC.glob("cmd_*.c"):
        keys |= set(re.findall(r'\bj(?:str|int|bool|arr|obj|get)\([^,()]+,'
                               r'\s*"([a-z_]+)"', f.read_text()))
    return sorted(keys)


KEYS = reader_keys()
# [[]] is the wrong type for every reader: a scalar where a string or a
# number belongs, an array of arrays where a list of objects or strings
# belongs, an array where an object belongs.
POISON = {k: [[]] for k in KEYS}


def result_cases(expects):
    """(name, result, exit code) for a printer expecting expects."""
    bad = 0 if expects == "any" else 1
    cases = [("string", "oops", bad), ("integer", 42, bad),
             ("fraction", 1.5, bad), ("boolean", True, bad)]
    if expects == "array":
        cases += [("object", {"a": 1}, 1), ("null", None, 1),
                  ("scalars", [1, "x", True], 1), ("nulls", [None], 1),
                  ("arrays", [[]], 1), ("poisoned", [POISON], 1),
                  ("missing", [{}, {}], 0), ("empty", [], 0)]
    elif expects == "object":
        cases += [("array", [{"a": 1}], 1), ("poisoned", POISON, 1),
                  ("missing", {}, 0), ("null", None, 0)]
    else:
        cases += [("array", [{"a": 1}], 0), ("poisoned", POISON, 0),
                  ("missing", {}, 0), ("null", None, 0)]
    return cases


SANE = {
    "hello": {"protocol": 1, "version": "9.9.9", "boot_id": "b", "pid": 1,
              "capabilities": ["port"]},
    "conn.list": {"conns": [], "cursor": None},
    "conn.flush": {"flushed": 0, "cursor": None},
    "sync.stats": {},
}


class FakeDplbd:
    """A unix socket answering one request per connection: answer(req)
    gives the raw reply bytes."""

    def __init__(self, path, answer):
        self.path = str(path)
        self.answer = answer
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(16)
        self.stop = False
        self.requests = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with c:
                buf = b""
                while b"\n" not in buf:
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
                if b"\n" not in buf:
                    continue
                req = json.loads(buf.split(b"\n")[0])
                self.requests.append(req)
                try:
                    c.sendall(self.answer(req))
                except OSError:
                    pass

    def close(self):
        self.stop = True
        try:
            self.sock.shutdown(socket.SHUT_RDWR)    # wakes accept()
        except OSError:
            pass
        self.sock.close()
        self.thread.join(5)


def reply(result, rid=1):
    return json.dumps({"id": rid, "ok": True, "result": result}).encode() \
        + b"\n"


def run(sock, argv):
    env = dict(os.environ, **SAN_ENV)
    return subprocess.run([str(DPLBCTL), "-S", str(sock), "-t", "5"] + argv,
                          capture_output=True, text=True, timeout=60,
                          env=env)


def no_sanitizer(p):
    assert p.returncode >= 0, f"killed by signal {-p.returncode}: {p.stderr}"
    assert p.returncode not in (97, 98, 99), p.stderr
    assert "Sanitizer" not in p.stderr and "runtime error" not in p.stderr, \
        p.stderr


@pytest.fixture
def fake(tmp_path):
    servers = []

    def start(answer):
        path = tmp_path / f"fake{len(servers)}.sock"
        servers.append(FakeDplbd(path, answer))
        return path
    yield start
    for s in servers:
        s.close()


def test_binary_exists():
    assert DPLBCTL.exists(), f"{DPLBCTL}: run make (and make asan)"
    assert len(KEYS) > 40, KEYS


@pytest.mark.parametrize("argv,method,expects", COMMANDS,
                         ids=[" ".join(c[0]) + ":" + c[1] for c in COMMANDS])
def test_odd_results(fake, argv, method, expects):
    cases = result_cases(expects)
    if method in SANE:
        cases.append(("sane", SANE[method], 0))
    for name, result, want in cases:
        def answer(req, result=result):
            if req["method"] == method:
                return reply(result)
            return reply(SANE.get(req["method"], []))
        sock = fake(answer)
        p = run(sock, argv)
        no_sanitizer(p)
        assert p.returncode == want, (name, result, p.returncode, p.stderr)
        if want == 1:
            # a command that prints two replies names both
            m = re.match(r"^dplbctl: unexpected reply to (\S+(?: and \S+)?)"
                         r": \S", p.stderr)
            assert m and method in m.group(1).split(" and "), \
                (name, p.stderr)
            assert p.stdout == "" or argv[0] == "conn", (name, p.stdout)


ENVELOPES = [
    ("not JSON", b"this is not json\n", 3, "malformed reply"),
    ("empty line", b"\n", 3, "malformed reply"),
    ("array", b"[1,2]\n", 3, "malformed reply"),
    ("no ok", b'{"id":1,"result":[]}\n', 3, "malformed reply"),
    ("ok not boolean", b'{"id":1,"ok":"yes","result":[]}\n', 3,
     "malformed reply"),
    ("string id", b'{"id":"1","ok":true,"result":[]}\n', 3,
     "malformed reply"),
    ("other id", b'{"id":2,"ok":true,"result":[]}\n', 3, "malformed reply"),
    ("no newline, then close", b'{"id":1,"ok":true,"result":[]}', 3,
     "connection closed by dplbd"),
    ("nothing", b"", 3, "connection closed by dplbd"),
    ("deep", b"[" * 5000 + b"]" * 5000 + b"\n", 3, "malformed reply"),
    ("error without error", b'{"id":1,"ok":false}\n', 1,
     "dplbctl: dplbd answered an error without a message (EIO)"),
    ("error a string", b'{"id":1,"ok":false,"error":"boom"}\n', 1,
     "dplbctl: dplbd answered an error without a message (EIO)"),
    ("error fields of odd types",
     b'{"id":1,"ok":false,"error":{"message":[1],"code":7}}\n', 1,
     "dplbctl: dplbd answered an error without a message (EIO)"),
    ("error", b'{"id":1,"ok":false,"error":{"message":"no","code":"ENOENT",'
              b'"errno":2}}\n', 1, "dplbctl: no (ENOENT)"),
]


@pytest.mark.parametrize("name,raw,want,text", ENVELOPES,
                         ids=[e[0] for e in ENVELOPES])
def test_odd_envelopes(fake, name, raw, want, text):
    for argv in (["route", "show"], ["hello"], ["conn", "show"]):
        sock = fake(lambda req: raw)
        p = run(sock, argv)
        no_sanitizer(p)
        assert p.returncode == want, (argv, p.returncode, p.stderr)
        assert text in p.stderr, (argv, p.stderr)


def test_conn_pages_then_an_odd_one(fake):
    """Paged listings print as they go: a bad page after a good one ends
    with the error and exit 1."""
    pages = iter([{"conns": [{"proto": "tcp", "state": "ESTABLISHED"}],
                   "cursor": "c1"},
                  {"conns": "nope", "cursor": None}])

    def answer(req):
        return reply(next(pages))
    p = run(fake(answer), ["conn", "show"])
    no_sanitizer(p)
    assert p.returncode == 1, p.stderr
    assert "ESTABLISHED" in p.stdout
    assert p.stderr == "dplbctl: unexpected reply to conn.list: " \
                       "\"conns\" is a string, not an array\n"


def test_sane_replies_print(fake):
    """The fake's sane answers print normally: the harness itself works."""
    sock = fake(lambda req: reply(
        [{"dst": "198.19.0.0/24", "via": "198.18.0.2", "dev": "dp0",
          "type": "gateway"}] if req["method"] == "route.list"
        else SANE.get(req["method"], [])))
    p = run(sock, ["route", "show"])
    no_sanitizer(p)
    assert p.returncode == 0 and \
        p.stdout == "198.19.0.0/24 via 198.18.0.2 dev dp0\n", p
