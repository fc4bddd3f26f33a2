# SPDX-License-Identifier: GPL-2.0-or-later
"""Control-socket tests against a real dplbd (one net_null port, no
twin, no hugepages).  Run as root: /usr/bin/python3 -m pytest tests/ctl

Every verb of docs/control-protocol.md with its documented shape and
errors, malformed input of each kind, many and misbehaving clients, and
dplbctl (output, --json, exit codes).
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "pylib"))


DPLBD = Path(os.environ.get("DPLBD_BIN", REPO / "build" / "dplbd"))
DPLBCTL = Path(os.environ.get("DPLBCTL_BIN", REPO / "build" / "dplbctl"))
VERSION = (REPO / "VERSION").read_text().strip()
MAX_LINE = 64 * 1024

CONFIG = """
global = {
  log_level = "info";
  control_socket = "@SOCKET@";
  socket_mode = "0660";
};
eal = { hugepages = false; memory_mb = 256; };
dataplane = { workers = 1; idle_sleep_max_us = 100; };
ports = (
  { name = "dp0"; device = "net_null0"; twin = ""; }
);
"""

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                     r"[0-9a-f]{12}$")
NEIGH_STATES = {"reachable", "incomplete", "stale", "probe", "failed",
                "permanent"}


def err(ctl, method, params=None, code=None):
    """Call expecting an error with code; returns the error object."""
    e = ctl.error(method, params)
    assert set(e) >= {"code", "errno", "message"}, e
    assert isinstance(e["errno"], int) and isinstance(e["message"], str)
    if code is not None:
        assert e["code"] == code, (method, params, e)
    return e


# ---------------------------------------------------------------- verbs

def test_hello(dplbd, ctl):
    r = ctl.result("hello")
    assert r["protocol"] == 1
    assert r["version"] == VERSION
    assert UUID_RE.match(r["boot_id"]), r
    assert isinstance(r["pid"], int) and r["pid"] > 0
    if not os.environ.get("DPLBD_WRAPPER"):
        assert r["pid"] == dplbd.pid
    assert set(r["capabilities"]) >= {"port", "addr", "route", "neigh",
                                      "lcore", "drop", "config", "log"}
    # the boot id is stable within a run, on every connection
    assert ctl.result("hello")["boot_id"] == r["boot_id"]
    with dplbd.connect() as c2:
        assert c2.result("hello")["boot_id"] == r["boot_id"]
    assert dplbd.boot_id == r["boot_id"]


def test_hello_ids_echoed(ctl):
    for i in (0, -1, 12345678901234, "abc", "", 2**64 - 2, -(2**63 - 1)):
        assert ctl.call("hello", id=i)["id"] == i
    # a fraction is no id: refused, id null (test_hardening.py: the rest)
    ctl.send_raw(b'{"id":1.5,"method":"hello"}\n')
    r = ctl.recv_reply()
    assert r["id"] is None and r["error"]["code"] == "EINVAL", r
    ctl.send_raw(b'{"method":"hello"}\n{"id":null,"method":"hello"}\n')
    a, b = ctl.recv_replies(2)
    assert a["id"] is None and a["ok"] and b["id"] is None and b["ok"]


def test_port_list(ctl):
    ports = ctl.result("port.list")
    assert isinstance(ports, list) and len(ports) == 1
    p = ports[0]
    assert set(p) >= {"name", "port_id", "device", "driver", "mac", "mtu",
                      "link", "twin", "twin_port_id", "rxq", "txq", "promisc",
                      "offloads", "stats"}, p
    assert p["name"] == "dp0"
    assert p["device"] == "net_null0"
    assert p["driver"] == "net_null"
    assert isinstance(p["port_id"], int)
    assert re.match(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$", p["mac"]), p["mac"]
    assert p["mtu"] == 1500
    assert p["twin"] is None and p["twin_port_id"] is None
    assert p["rxq"] >= 1 and p["txq"] >= 1
    # one worker: no flow steering to set up
    assert p["steering"] == "software"
    assert p["steering_reason"] == "one worker: nothing to steer"
    assert p["flow_rules"] == 0
    assert isinstance(p["promisc"], bool)
    assert set(p["link"]) >= {"up", "speed_mbps", "duplex"}
    assert isinstance(p["link"]["up"], bool)
    assert p["link"]["duplex"] in ("full", "half")
    assert set(p["offloads"]) >= {"ipv4_cksum", "tcp_cksum", "udp_cksum"}
    st = p["stats"]
    for k in ("ipackets", "opackets", "ibytes", "obytes", "imissed",
              "ierrors", "oerrors", "rx_nombuf"):
        assert isinstance(st[k], int) and st[k] >= 0, (k, st)
    assert len(st["queues"]) >= p["rxq"]
    for q in st["queues"]:
        assert set(q) >= {"queue", "ipackets", "opackets", "ibytes",
                          "obytes", "errors"}, q

    one = ctl.result("port.list", {"name": "dp0"})
    assert [x["name"] for x in one] == ["dp0"]
    err(ctl, "port.list", {"name": "nope0"}, "ENODEV")
    err(ctl, "port.list", {"name": 5}, "EINVAL")
    err(ctl, "port.list", {"nme": "dp0"}, "EINVAL")


def addr_list(ctl, dev=None):
    return ctl.result("addr.list", {"dev": dev} if dev else None)


def routes(ctl):
    return ctl.result("route.list")


def route_of(ctl, dst):
    found = [r for r in routes(ctl) if r["dst"] == dst]
    return found[0] if found else None


def test_addr_add_list_del(ctl):
    a = {"addr": "198.18.0.1/24", "dev": "dp0"}
    assert {"dev": "dp0", "addr": "198.18.0.1/24"} not in addr_list(ctl)
    assert ctl.result("addr.add", a) == {}
    try:
        assert {"dev": "dp0", "addr": "198.18.0.1/24"} in addr_list(ctl)
        assert {"dev": "dp0", "addr": "198.18.0.1/24"} in addr_list(ctl, "dp0")
        err(ctl, "addr.list", {"dev": "nope0"}, "ENODEV")
        err(ctl, "addr.add", a, "EEXIST")

        # the connected and the local route came with the address
        conn = route_of(ctl, "198.18.0.0/24")
        assert conn == {"dst": "198.18.0.0/24", "via": None, "dev": "dp0",
                        "type": "connected"}, conn
        local = route_of(ctl, "198.18.0.1/32")
        assert local == {"dst": "198.18.0.1/32", "via": None, "dev": "dp0",
                         "type": "local"}, local
    finally:
        assert ctl.result("addr.del", a) == {}
    assert {"dev": "dp0", "addr": "198.18.0.1/24"} not in addr_list(ctl)
    assert route_of(ctl, "198.18.0.0/24") is None
    assert route_of(ctl, "198.18.0.1/32") is None
    err(ctl, "addr.del", a, "ENOENT")


@pytest.mark.parametrize("params,code", [
    ({"addr": "198.18.0.1/24", "dev": "nope0"}, "ENODEV"),
    ({"addr": "198.18.0.300/24", "dev": "dp0"}, "EINVAL"),
    ({"addr": "198.18.0.1/33", "dev": "dp0"}, "EINVAL"),
    ({"addr": "banana", "dev": "dp0"}, "EINVAL"),
    ({"addr": "198.18.0.1/24"}, "EINVAL"),
    ({"dev": "dp0"}, "EINVAL"),
    ({"addr": 5, "dev": "dp0"}, "EINVAL"),
    ({"addr": "198.18.0.1/24", "dev": ["dp0"]}, "EINVAL"),
    ({"addr": "198.18.0.1/24", "dev": "dp0", "extra": 1}, "EINVAL"),
])
def test_addr_add_errors(ctl, params, code):
    err(ctl, "addr.add", params, code)
    assert {"dev": "dp0", "addr": "198.18.0.1/24"} not in addr_list(ctl)


@pytest.fixture
def with_addr(ctl):
    a = {"addr": "198.18.0.1/24", "dev": "dp0"}
    ctl.result("addr.add", a)
    yield a
    ctl.result("addr.del", a)


def test_route_add_list_del(ctl, with_addr):
    r = {"dst": "198.19.0.0/24", "via": "198.18.0.254", "dev": "dp0"}
    assert ctl.result("route.add", r) == {}
    try:
        got = route_of(ctl, "198.19.0.0/24")
        assert got == {"dst": "198.19.0.0/24", "via": "198.18.0.254",
                       "dev": "dp0", "type": "gateway"}, got
        err(ctl, "route.add", r, "EEXIST")
        for x in routes(ctl):
            assert set(x) >= {"dst", "via", "dev", "type"}, x
            assert x["type"] in ("connected", "local", "gateway"), x
            assert (x["via"] is None) == (x["type"] != "gateway"), x
    finally:
        assert ctl.result("route.del", {"dst": "198.19.0.0/24"}) == {}
    assert route_of(ctl, "198.19.0.0/24") is None
    err(ctl, "route.del", {"dst": "198.19.0.0/24"}, "ENOENT")

    # dev alone (directly connected), and via alone (dev from the subnet)
    assert ctl.result("route.add", {"dst": "198.20.0.0/16", "dev": "dp0"}) == {}
    assert route_of(ctl, "198.20.0.0/16")["dev"] == "dp0"
    ctl.result("route.del", {"dst": "198.20.0.0/16"})
    assert ctl.result("route.add", {"dst": "198.21.0.0/16",
                                    "via": "198.18.0.254"}) == {}
    assert route_of(ctl, "198.21.0.0/16")["dev"] == "dp0"
    ctl.result("route.del", {"dst": "198.21.0.0/16"})


@pytest.mark.parametrize("params,code", [
    ({"dst": "198.19.0.1/24", "via": "198.18.0.254"}, "EINVAL"),  # host bits
    ({"dst": "198.19.0.0/24", "via": "198.18.0.254", "dev": "nope0"},
     "ENODEV"),
    ({"dst": "198.19.0.0/24", "via": "not-an-ip"}, "EINVAL"),
    ({"dst": "198.19.0.0/40", "dev": "dp0"}, "EINVAL"),
    ({"via": "198.18.0.254"}, "EINVAL"),
    ({"dst": 7, "dev": "dp0"}, "EINVAL"),
    ({"dst": "198.19.0.0/24", "dev": "dp0", "metric": 1}, "EINVAL"),
    ({"dst": "198.19.0.0/24"}, "EINVAL"),          # neither via nor dev
    ({"dst": "198.19.0.0/24", "via": "10.0.0.1"}, "ENETUNREACH"),
])
def test_route_add_errors(ctl, with_addr, params, code):
    err(ctl, "route.add", params, code)
    assert route_of(ctl, "198.19.0.0/24") is None


def test_route_del_errors(ctl):
    err(ctl, "route.del", {}, "EINVAL")
    err(ctl, "route.del", {"dst": "bad"}, "EINVAL")
    err(ctl, "route.del", {"dst": "203.0.113.0/24"}, "ENOENT")


def neighs(ctl, dev=None):
    return ctl.result("neigh.list", {"dev": dev} if dev else None)


def test_neigh_add_list_del(ctl, with_addr):
    n = {"ip": "198.18.0.2", "mac": "02:00:00:00:00:02", "dev": "dp0"}
    assert ctl.result("neigh.add", n) == {}
    try:
        found = [x for x in neighs(ctl) if x["ip"] == "198.18.0.2"]
        assert len(found) == 1, found
        e = found[0]
        assert set(e) >= {"ip", "dev", "mac", "state", "age_ms", "queued"}, e
        assert e["dev"] == "dp0" and e["mac"] == "02:00:00:00:00:02"
        assert e["state"] == "permanent"
        assert isinstance(e["queued"], int)
        assert [x["ip"] for x in neighs(ctl, "dp0")].count("198.18.0.2") == 1
        for x in neighs(ctl):
            assert x["state"] in NEIGH_STATES, x
    finally:
        assert ctl.result("neigh.del", {"ip": "198.18.0.2", "dev": "dp0"}) == {}
    assert "198.18.0.2" not in [x["ip"] for x in neighs(ctl)]
    err(ctl, "neigh.del", {"ip": "198.18.0.2", "dev": "dp0"}, "ENOENT")


@pytest.mark.parametrize("method,params,code", [
    ("neigh.add", {"ip": "198.18.0.2", "mac": "02:00:00:00:00", "dev": "dp0"},
     "EINVAL"),
    ("neigh.add", {"ip": "198.18.0.2", "mac": "zz:00:00:00:00:02",
                   "dev": "dp0"}, "EINVAL"),
    ("neigh.add", {"ip": "198.18.0.2", "mac": "02:00:00:00:00:02",
                   "dev": "nope0"}, "ENODEV"),
    ("neigh.add", {"ip": "198.18.0.999", "mac": "02:00:00:00:00:02",
                   "dev": "dp0"}, "EINVAL"),
    ("neigh.add", {"ip": "198.18.0.2", "dev": "dp0"}, "EINVAL"),
    ("neigh.add", {"ip": "198.18.0.2", "mac": 2, "dev": "dp0"}, "EINVAL"),
    ("neigh.del", {"ip": "198.18.0.2"}, "EINVAL"),
    ("neigh.del", {"ip": "198.18.0.2", "dev": "nope0"}, "ENODEV"),
    ("neigh.list", {"dev": "nope0"}, "ENODEV"),
    ("neigh.list", {"dev": True}, "EINVAL"),
    ("neigh.flush", {"dev": "nope0"}, "ENODEV"),
])
def test_neigh_errors(ctl, method, params, code):
    err(ctl, method, params, code)


def test_neigh_flush(ctl, with_addr):
    n = {"ip": "198.18.0.3", "mac": "02:00:00:00:00:03", "dev": "dp0"}
    ctl.result("neigh.add", n)
    try:
        for params in (None, {"dev": "dp0"}):
            r = ctl.result("neigh.flush", params)
            assert isinstance(r, dict) and isinstance(r.get("flushed"), int), r
            # permanent entries survive a flush
            assert "198.18.0.3" in [x["ip"] for x in neighs(ctl)]
    finally:
        ctl.result("neigh.del", {"ip": "198.18.0.3", "dev": "dp0"})


def test_lcore_list(ctl):
    lc = ctl.result("lcore.list")
    mains = [x for x in lc if x["role"] == "main"]
    workers = [x for x in lc if x["role"] == "worker"]
    assert len(mains) == 1 and len(workers) == 1, lc
    assert isinstance(mains[0]["lcore"], int) and isinstance(mains[0]["cpu"], int)
    w = workers[0]
    assert set(w) >= {"lcore", "role", "worker", "cpu", "rx_packets",
                      "tx_packets", "rx_bursts", "empty_polls", "sleeps",
                      "drops", "queues"}, w
    assert w["worker"] == 0
    assert w["lcore"] != mains[0]["lcore"]
    assert isinstance(w["drops"], dict)
    assert all(isinstance(v, int) and v >= 0 for v in w["drops"].values())
    assert {"port": "dp0", "rxq": 0, "txq": 0}.items() <= w["queues"][0].items(), w
    err(ctl, "lcore.list", {"x": 1}, "EINVAL")


def test_drop_list(ctl):
    d = ctl.result("drop.list")
    assert isinstance(d, dict) and d, d
    assert all(isinstance(k, str) and isinstance(v, int) and v >= 0
               for k, v in d.items()), d
    documented = {"eth_not_for_us", "arp_invalid", "ipv4_bad_header",
                  "ipv4_bad_checksum", "ipv4_fragment", "ttl_exceeded",
                  "no_route", "no_neighbor", "neigh_queue_full",
                  "forward_disabled", "no_twin", "tx_full", "unsupported_l3"}
    missing = documented - set(d)
    assert not missing, f"documented drop reasons missing: {missing}"
    # drop.list is the sum over the lcores' drops
    lc = ctl.result("lcore.list")
    d2 = ctl.result("drop.list")
    for reason in d:
        s = sum(x.get("drops", {}).get(reason, 0) for x in lc)
        assert d[reason] <= s <= d2[reason], (reason, d[reason], s, d2[reason])


def test_config_show(dplbd, ctl):
    c = ctl.result("config.show")
    assert isinstance(c, dict)
    assert c["global"]["control_socket"] == dplbd.socket
    assert c["dataplane"]["workers"] == 1
    assert c["dataplane"]["idle_sleep_max_us"] == 100
    assert c["eal"]["hugepages"] is False
    assert [p["name"] for p in c["ports"]] == ["dp0"]
    assert c["ports"][0]["device"] == "net_null0"


def test_log_set(ctl):
    assert ctl.result("log.set", {"level": "debug"}) == {}
    assert ctl.result("log.set", {"level": "info"}) == {}
    err(ctl, "log.set", {"level": "loud"}, "EINVAL")
    err(ctl, "log.set", {}, "EINVAL")
    err(ctl, "log.set", {"level": 7}, "EINVAL")
    err(ctl, "log.set", {"level": "info", "x": 1}, "EINVAL")


# ------------------------------------------------------- malformed input

@pytest.mark.parametrize("line,code,rid", [
    (b"not json", "EBADMSG", None),
    (b"{", "EBADMSG", None),
    (b'{"id":1,"method":"hello",}', "EBADMSG", None),
    (b"{'id':1,'method':'hello'}", "EBADMSG", None),
    (b'{"id":1,"method":"hello"} trailing', "EBADMSG", None),
    (b'{"id":1,"method":"hello"}{"id":2}', "EBADMSG", None),
    (b"\x00\x01\x02\xff\xfe\xfd", "EBADMSG", None),
    (b'{"id":1,"method":"hel\xfflo"}', "EBADMSG", None),
    (b'{"id":1,"method":"hello","params":' + b"[" * 100 + b"]" * 100 + b"}",
     "EBADMSG", None),
    (b"[1,2,3]", "EINVAL", None),
    (b'"hello"', "EINVAL", None),
    (b"42", "EINVAL", None),
    (b"null", "EINVAL", None),
    (b'{"id":2}', "EINVAL", 2),
    (b'{"id":3,"method":7}', "EINVAL", 3),
    (b'{"id":4,"method":""}', "EINVAL", 4),
    (b'{"id":5,"method":null}', "EINVAL", 5),
    (b'{"id":6,"method":"hello","params":[1]}', "EINVAL", 6),
    (b'{"id":7,"method":"hello","params":"x"}', "EINVAL", 7),
    (b'{"id":[8],"method":"hello"}', "EINVAL", None),
    (b'{"id":9,"method":"no.such"}', "ENOSYS", 9),
    (b'{"id":"s","method":"HELLO"}', "ENOSYS", "s"),
])
def test_malformed(ctl, line, code, rid):
    ctl.send_raw(line + b"\n")
    r = ctl.recv_reply()
    assert r is not None, "connection closed"
    assert r["ok"] is False and r["id"] == rid, r
    assert r["error"]["code"] == code, r
    # the connection stays usable
    assert ctl.call("hello")["ok"]


def test_unknown_method_message(ctl):
    e = err(ctl, "no.such", None, "ENOSYS")
    assert e["errno"] == 38
    assert e["message"] == "unknown method 'no.such'"


@pytest.mark.parametrize("method,params", [
    ("port.list", {"name": []}),
    ("port.list", {"name": {}}),
    ("addr.list", {"dev": 0}),
    ("addr.add", {"addr": None, "dev": "dp0"}),
    ("addr.del", {"addr": True, "dev": "dp0"}),
    ("route.add", {"dst": ["198.19.0.0/24"], "dev": "dp0"}),
    ("neigh.list", {"dev": 1.5}),
    ("log.set", {"level": ["info"]}),
])
def test_wrong_param_types(ctl, method, params):
    err(ctl, method, params, "EINVAL")


ALL_VERBS = ["hello", "port.list", "addr.list", "addr.add", "addr.del",
             "route.list", "route.add", "route.del", "neigh.list",
             "neigh.add", "neigh.del", "neigh.flush", "lcore.list",
             "drop.list", "config.show", "log.set"]


@pytest.mark.parametrize("method", ALL_VERBS)
def test_unknown_param_rejected(ctl, method):
    """docs: unknown keys inside params are EINVAL, for every verb."""
    e = err(ctl, method, {"bogus_key": 1}, "EINVAL")
    assert "bogus_key" in e["message"], e


def test_crlf_and_blank_lines(ctl):
    ctl.send_raw(b'\r\n\n{"id":1,"method":"hello"}\r\n\n\n{"id":2,"method":"hello"}\n')
    a, b = ctl.recv_replies(2)
    assert (a["id"], b["id"]) == (1, 2) and a["ok"] and b["ok"]


def test_oversized_line(dplbd, ctl):
    ctl.send_raw(b'{"id":1,"method":"hello"}\n')
    big = b'{"id":2,"method":"hello","params":{"x":"' + b"a" * MAX_LINE + b'"}}\n'
    try:
        ctl.send_raw(big)
    except (BrokenPipeError, ConnectionResetError):
        pass    # the server may close before we finish writing
    replies = ctl.recv_all(timeout=10)
    assert replies[0]["id"] == 1 and replies[0]["ok"], replies
    assert len(replies) == 2, replies
    assert replies[1]["id"] is None
    assert replies[1]["error"]["code"] == "EMSGSIZE", replies
    # others are unaffected
    with dplbd.connect() as c:
        assert c.call("hello")["ok"]


def test_max_line_accepted(ctl):
    head = b'{"id":1,"method":"nosuch","params":{"x":"'
    tail = b'"}}'
    line = head + b"a" * (MAX_LINE - len(head) - len(tail)) + tail
    assert len(line) == MAX_LINE
    ctl.send_raw(line + b"\n")
    r = ctl.recv_reply()
    # accepted as a line: the method is looked up (and unknown)
    assert r["id"] == 1 and r["error"]["code"] == "ENOSYS", r


def test_pipelined(ctl):
    methods = ["hello", "port.list", "addr.list", "route.list", "neigh.list",
               "lcore.list", "drop.list", "no.such"]
    n = 1000
    data = b"".join(ctl.request_line(methods[i % len(methods)], id=i)
                    for i in range(n))
    ctl.send_raw(data)
    replies = ctl.recv_replies(n, timeout=30)
    assert [r["id"] for r in replies] == list(range(n))
    for i, r in enumerate(replies):
        assert r["ok"] == (methods[i % len(methods)] != "no.such"), r


def test_half_close(dplbd):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(dplbd.socket)
    # the last request has no newline: end of input terminates it
    s.sendall(b'{"id":1,"method":"hello"}\n{"id":2,"method":"hello"}')
    s.shutdown(socket.SHUT_WR)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    lines = [json.loads(x) for x in data.splitlines()]
    assert [r["id"] for r in lines] == [1, 2]


# ------------------------------------------------------------ clients

def test_100_concurrent_clients(dplbd):
    clients = [dplbd.connect() for _ in range(100)]
    try:
        for i, c in enumerate(clients):
            c.send_raw(c.request_line("port.list", id=i))
        for i, c in reversed(list(enumerate(clients))):
            r = c.recv_reply()
            assert r["id"] == i and r["ok"], r
        # and a second round on the same connections
        for i, c in enumerate(clients):
            assert c.call("hello", id=1000 + i)["ok"]
    finally:
        for c in clients:
            c.close()


def test_disconnect_mid_request(dplbd, ctl):
    for i in range(20):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(dplbd.socket)
        if i % 2:
            s.sendall(b'{"id":1,"method":"port.li')
        else:   # requests whose replies are never read
            s.sendall(b'{"id":1,"method":"port.list"}\n' * 50)
        s.close()
        assert ctl.call("hello")["ok"]
    assert dplbd.alive()


def test_client_never_reads(dplbd, ctl):
    """A client floods requests and reads nothing: dplbd keeps answering
    others quickly and eventually drops the flooder."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(dplbd.socket)
    s.setblocking(False)
    req = b'{"id":1,"method":"port.list"}\n' * 64
    deadline = time.monotonic() + 60
    dropped, sent, worst = False, 0, 0.0
    while not dropped and time.monotonic() < deadline:
        try:
            sent += s.send(req)
        except BlockingIOError:
            time.sleep(0.002)
        except (BrokenPipeError, ConnectionResetError):
            dropped = True
        if sent // len(req) % 20 == 0:
            t0 = time.monotonic()
            assert ctl.call("hello")["ok"]
            worst = max(worst, time.monotonic() - t0)
    s.close()
    assert dropped, f"a client that never reads was not dropped ({sent} bytes sent)"
    assert worst < 2.0, f"hello took {worst:.2f} s during the flood"
    assert ctl.call("hello")["ok"]
    assert dplbd.alive()


def test_many_sequential_connections(dplbd):
    for _ in range(300):
        with dplbd.connect() as c:
            assert c.call("hello")["ok"]


# ------------------------------------------------------------ dplbctl

def run_ctl(dplbd, *args, env=None, socket_path=None):
    cmd = [str(DPLBCTL)]
    if socket_path is not False:
        cmd += ["-S", socket_path or dplbd.socket]
    e = dict(os.environ)
    e.pop("DPLB_SOCKET", None)
    if env:
        e.update(env)
    return subprocess.run(cmd + list(args), capture_output=True, text=True,
                          timeout=30, env=e)


@pytest.fixture(scope="module")
def dplbctl_built():
    if not os.access(DPLBCTL, os.X_OK):
        pytest.fail(f"{DPLBCTL} is not built", pytrace=False)


def test_dplbctl_hello(dplbd, dplbctl_built):
    p = run_ctl(dplbd, "hello")
    assert p.returncode == 0, p.stderr
    assert re.search(r"^protocol\s+1$", p.stdout, re.M), p.stdout
    assert re.search(rf"^boot_id\s+{dplbd.boot_id}$", p.stdout, re.M)
    p = run_ctl(dplbd, "-j", "hello")
    assert json.loads(p.stdout)["boot_id"] == dplbd.boot_id
    # DPLB_SOCKET names the socket when -S is absent
    p = run_ctl(dplbd, "hello", socket_path=False,
                env={"DPLB_SOCKET": dplbd.socket})
    assert p.returncode == 0, p.stderr


def test_dplbctl_port(dplbd, dplbctl_built):
    p = run_ctl(dplbd, "port", "show")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split() == ["NAME", "DRIVER", "MAC", "MTU", "LINK", "TWIN",
                                "RXQ", "TXQ", "STEERING"], p.stdout
    row = lines[1].split()
    assert row[0] == "dp0" and row[1] == "net_null" and row[3] == "1500", row
    assert row[5] == "-"
    assert row[8] == "software", row
    p = run_ctl(dplbd, "port", "show", "dp0", "-s")
    assert p.returncode == 0, p.stderr
    assert "RX-PACKETS" in p.stdout
    assert re.search(r"^dp0\s+total\s+\d+", p.stdout, re.M), p.stdout
    assert re.search(r"^dp0\s+0\s+\d+", p.stdout, re.M), p.stdout
    p = run_ctl(dplbd, "--json", "port", "show")
    assert json.loads(p.stdout)[0]["name"] == "dp0"
    p = run_ctl(dplbd, "port", "show", "nope0")
    assert p.returncode == 1
    assert p.stderr.startswith("dplbctl: ") and p.stderr.rstrip().endswith(
        "(ENODEV)"), p.stderr


def test_dplbctl_addr_route(dplbd, dplbctl_built):
    p = run_ctl(dplbd, "addr", "add", "198.18.7.1/24", "dev", "dp0")
    assert (p.returncode, p.stdout) == (0, ""), p.stderr
    try:
        p = run_ctl(dplbd, "addr", "show")
        assert p.stdout.splitlines()[0].split() == ["DEV", "ADDRESS"]
        assert re.search(r"^dp0\s+198\.18\.7\.1/24$", p.stdout, re.M), p.stdout
        p = run_ctl(dplbd, "addr", "show", "dev", "dp0")
        assert "198.18.7.1/24" in p.stdout
        p = run_ctl(dplbd, "addr", "add", "198.18.7.1/24", "dev", "dp0")
        assert p.returncode == 1
        assert re.match(r"^dplbctl: .+ \(EEXIST\)$", p.stderr.strip()), p.stderr

        p = run_ctl(dplbd, "route", "add", "198.19.7.0/24", "via",
                    "198.18.7.254", "dev", "dp0")
        assert p.returncode == 0, p.stderr
        p = run_ctl(dplbd, "route", "show")
        out = p.stdout.splitlines()
        assert "198.19.7.0/24 via 198.18.7.254 dev dp0" in out, out
        assert "198.18.7.0/24 dev dp0 scope link" in out, out
        assert "local 198.18.7.1/32 dev dp0 scope host" in out, out
        j = json.loads(run_ctl(dplbd, "-j", "route", "show").stdout)
        assert {"dst": "198.19.7.0/24", "via": "198.18.7.254", "dev": "dp0",
                "type": "gateway"} in j
        p = run_ctl(dplbd, "route", "del", "198.19.7.0/24")
        assert p.returncode == 0, p.stderr
        p = run_ctl(dplbd, "route", "del", "198.19.7.0/24")
        assert p.returncode == 1 and "(ENOENT)" in p.stderr
    finally:
        p = run_ctl(dplbd, "addr", "del", "198.18.7.1/24", "dev", "dp0")
    assert p.returncode == 0, p.stderr
    p = run_ctl(dplbd, "addr", "del", "198.18.7.1/24", "dev", "dp0")
    assert p.returncode == 1 and "(ENOENT)" in p.stderr


def test_dplbctl_neigh(dplbd, dplbctl_built):
    run_ctl(dplbd, "addr", "add", "198.18.8.1/24", "dev", "dp0")
    try:
        p = run_ctl(dplbd, "neigh", "add", "198.18.8.2", "lladdr",
                    "02:00:00:00:08:02", "dev", "dp0")
        assert p.returncode == 0, p.stderr
        p = run_ctl(dplbd, "neigh", "show", "dev", "dp0")
        assert ("198.18.8.2 dev dp0 lladdr 02:00:00:00:08:02 PERMANENT"
                in p.stdout.splitlines()), p.stdout
        p = run_ctl(dplbd, "neigh", "del", "198.18.8.2", "dev", "dp0")
        assert p.returncode == 0, p.stderr
        assert "198.18.8.2" not in run_ctl(dplbd, "neigh").stdout
        p = run_ctl(dplbd, "neigh", "flush", "dev", "dp0")
        assert p.returncode == 0, p.stderr
    finally:
        run_ctl(dplbd, "addr", "del", "198.18.8.1/24", "dev", "dp0")


def test_dplbctl_lcore_drop_config_log(dplbd, dplbctl_built):
    p = run_ctl(dplbd, "lcore", "show")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[:2] == ["LCORE", "ROLE"]
    assert re.search(r"\bworker\b.*dp0:rxq0:txq0", p.stdout), p.stdout
    p = run_ctl(dplbd, "drop", "show")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[:2] == ["REASON", "PACKETS"]
    assert re.search(r"^no_route\s+\d+$", p.stdout, re.M), p.stdout
    p = run_ctl(dplbd, "config", "show")
    assert json.loads(p.stdout)["ports"][0]["name"] == "dp0"
    assert run_ctl(dplbd, "log", "set", "info").returncode == 0
    p = run_ctl(dplbd, "log", "set", "loud")
    assert p.returncode == 1 and "(EINVAL)" in p.stderr, p.stderr


def test_dplbctl_call(dplbd, dplbctl_built):
    p = run_ctl(dplbd, "call", "addr.list", '{"dev":"dp0"}')
    assert p.returncode == 0 and isinstance(json.loads(p.stdout), list)
    p = run_ctl(dplbd, "call", "no.such")
    assert p.returncode == 1
    assert p.stderr == "dplbctl: unknown method 'no.such' (ENOSYS)\n"
    assert run_ctl(dplbd, "call", "hello", "{bad").returncode == 2
    assert run_ctl(dplbd, "call", "hello", "[1]").returncode == 2


@pytest.mark.parametrize("args", [
    [], ["bogus"], ["--bogus", "hello"], ["addr", "add"],
    ["addr", "add", "198.18.0.1/24"], ["addr", "add", "1.2.3/24", "dev", "dp0"],
    ["addr", "frob"], ["route", "add", "198.19.0.0/24"],
    ["route", "add", "198.19.0.0/24", "via"], ["route", "del"],
    ["neigh", "add", "198.18.0.2", "dev", "dp0"],
    ["neigh", "add", "198.18.0.2", "lladdr", "xx", "dev", "dp0"],
    ["log"], ["log", "set"], ["call"], ["hello", "extra"],
    ["-t", "zero", "hello"], ["port", "show", "-x"],
])
def test_dplbctl_usage_errors(dplbd, dplbctl_built, args):
    p = run_ctl(dplbd, *args)
    assert p.returncode == 2, (args, p.stdout, p.stderr)
    assert p.stderr.startswith("dplbctl: ") or p.stderr.startswith("Usage"), \
        p.stderr


@pytest.mark.parametrize("cmd", ["hello", "port", "addr", "route", "neigh",
                                 "lcore", "drop", "config", "log", "call"])
def test_dplbctl_help(dplbd, dplbctl_built, cmd):
    p = run_ctl(dplbd, cmd, "--help")
    assert p.returncode == 0 and p.stdout.startswith("Usage: dplbctl " + cmd)


def test_dplbctl_version_and_unreachable(dplbd, dplbctl_built):
    p = run_ctl(dplbd, "--version")
    assert (p.returncode, p.stdout) == (0, f"dplbctl {VERSION}\n")
    p = run_ctl(dplbd, "hello", socket_path="/nonexistent/dplbd.sock")
    assert p.returncode == 3
    assert p.stderr == ("dplbctl: cannot connect to /nonexistent/dplbd.sock: "
                        "No such file or directory\n")
    p = run_ctl(dplbd, "hello", socket_path=False,
                env={"DPLB_SOCKET": "/nonexistent/x.sock"})
    assert p.returncode == 3 and "/nonexistent/x.sock" in p.stderr


def test_dplbctl_timeout(dplbd, dplbctl_built, tmp_path):
    # a listener that accepts and never answers
    path = str(tmp_path / "mute.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    try:
        t0 = time.monotonic()
        p = run_ctl(dplbd, "-t", "0.5", "hello", socket_path=path)
        assert p.returncode == 3 and "no reply within 0.5 s" in p.stderr
        assert time.monotonic() - t0 < 5
    finally:
        srv.close()


def test_still_alive_at_end(dplbd):
    with dplbd.connect() as c:
        assert c.result("hello")["boot_id"] == dplbd.boot_id
    assert "Sanitizer" not in dplbd.stderr, dplbd.stderr


def test_unknown_socket_group_says_how_to_fix_it(tmp_path):
    conf = tmp_path / "dplbd.conf"
    conf.write_text(f"""
global = {{ control_socket = "{tmp_path}/g.sock";
           socket_group = "dplb-no-such-group"; }};
eal = {{ hugepages = false; memory_mb = 256; args = [ "--no-shconf" ]; }};
dataplane = {{ workers = 1; idle_sleep_max_us = 100; }};
ports = ( {{ name = "dp0"; device = "net_null0"; twin = ""; }} );
""")
    r = subprocess.run([str(DPLBD), "-c", str(conf)], text=True,
                       capture_output=True, timeout=60)
    assert r.returncode != 0
    assert ("socket_group: there is no group 'dplb-no-such-group' "
            "(groupadd -r dplb-no-such-group, or socket_group = \"\")"
            in r.stderr), r.stderr
