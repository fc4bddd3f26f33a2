# SPDX-License-Identifier: GPL-2.0-or-later
"""conn.list and conn.flush against a real dplbd (one net_null port, two
workers, no traffic): shapes of empty results, every parameter error,
cursors, and dplbctl conn.  Listings with connections are tested in
tests/e2e/test_lb_conns.py.
Run as root: /usr/bin/python3 -m pytest tests/ctl/test_conns.py
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "pylib"))


DPLBD = Path(os.environ.get("DPLBD_BIN", REPO / "build" / "dplbd"))
from conftest import DPLBCTL, NULL_PORT_2W  # noqa: E402

CONFIG = NULL_PORT_2W

HEADER = ("IPVS connection entries\n"
          "pro expire state       source             virtual            "
          "destination        local\n")


def err(ctl, method, params=None, code="EINVAL"):
    e = ctl.error(method, params)
    assert set(e) >= {"code", "errno", "message"}, e
    assert e["code"] == code, (method, params, e)
    return e


def dplbctl(dplbd, *args):
    return subprocess.run([str(DPLBCTL), "-S", dplbd.socket, *args],
                          capture_output=True, text=True, timeout=20)


def list_all(ctl, params=None):
    """Every page of a listing: a call stops when its time budget is
    spent (on a busy machine even before the last worker answered) and
    hands back a cursor; a client follows it until it is null."""
    params, conns = dict(params or {}), []
    while True:
        r = ctl.result("conn.list", params)
        assert set(r) == {"conns", "cursor"}, r
        conns += r["conns"]
        if r["cursor"] is None:
            return conns
        assert isinstance(r["cursor"], str), r
        params["cursor"] = r["cursor"]


def test_list_empty(ctl):
    assert list_all(ctl) == []


def test_list_filters_accepted(ctl):
    params = {"proto": "tcp", "client": "198.18.0.2:40000",
              "vip": "198.18.0.100:80", "dest": "198.18.1.11",
              "state": "ESTABLISHED", "max": 1}
    assert list_all(ctl, params) == []
    for state in ("established", "SYN_RECV", "time_wait", "CLOSE", "NONE",
                  "UDP", "udp", "fin_wait", "Close_Wait", "LAST_ACK"):
        assert list_all(ctl, {"state": state}) == []
    for key in ("client", "vip", "dest"):
        for v in ("198.18.0.1", "198.18.0.1:0", "198.18.0.1:65535"):
            assert list_all(ctl, {key: v}) == []
    # null is the same as missing
    assert list_all(ctl, {"proto": None, "cursor": None, "max": None}) == []


def test_list_cursor_of_each_worker(ctl):
    for cur in ("0:0", "1:0", "0:12345", "1:4294967294"):
        assert list_all(ctl, {"cursor": cur}) == []


@pytest.mark.parametrize("params", [
    {"proto": "icmp"}, {"proto": "TCPX"}, {"proto": 6},
    {"state": "BOGUS"}, {"state": ""}, {"state": 1},
    {"client": "198.18.0"}, {"client": "198.18.0.2:"},
    {"client": "198.18.0.2:x"}, {"client": "198.18.0.2:65536"},
    {"client": ":80"}, {"client": "host:80"}, {"client": 5},
    {"vip": "198.18.0.100:-1"}, {"vip": "198.18.0.100:80:1"},
    {"vip": "198.18.0.300"}, {"dest": "1.2.3.4/24"}, {"dest": ""},
    {"cursor": "x"}, {"cursor": "0"}, {"cursor": "0:"}, {"cursor": ":1"},
    {"cursor": "2:0"}, {"cursor": "99:5"}, {"cursor": "0:1x"},
    {"cursor": "0:4294967295"}, {"cursor": "-1:0"}, {"cursor": 0},
    {"max": 0}, {"max": 4097}, {"max": -1}, {"max": "10"}, {"max": 1.5},
    {"bogus": 1}, {"filter": {}},
])
def test_list_bad_params(ctl, params):
    e = err(ctl, "conn.list", params)
    assert e["message"].startswith("params."), e


@pytest.mark.parametrize("params", [
    {"proto": "sctp"}, {"state": "nope"}, {"client": "1.2.3"},
    {"dest": "198.18.1.11:99999"}, {"cursor": "5:5"}, {"max": 10},
    {"vip": "198.18.0.100:"},
])
def test_flush_bad_params(ctl, params):
    err(ctl, "conn.flush", params)


def test_ipv6_filters(ctl):
    """IPv6 addresses filter like IPv4 ones (matching is tested with
    connections in tests/e2e/test_lb6_modes.py)."""
    for v in ("2001:db8::1", "[2001:db8::1]:80", "[2001:db8::1]"):
        for key in ("client", "vip", "dest"):
            assert ctl.result("conn.list", {key: v})["conns"] == []
        assert ctl.result("conn.flush", {"dest": v})["flushed"] == 0


@pytest.mark.parametrize("v", [
    "[2001:db8::1", "[2001:db8::1]80", "[198.18.0.1]:80", "2001:db8::1]",
    "[2001:db8::1]:", "[2001:db8::1]:99999", "2001:db8::g",
])
def test_bad_ipv6_filters(ctl, v):
    e = err(ctl, "conn.list", {"client": v})
    assert e["message"].startswith("params.client: "), e


def test_flush_empty(ctl):
    assert ctl.result("conn.flush") == {"flushed": 0, "cursor": None}
    assert ctl.result("conn.flush", {"dest": "198.18.1.11:80",
                                     "proto": "udp"}) == \
        {"flushed": 0, "cursor": None}
    assert ctl.result("conn.flush", {"cursor": "1:0"})["flushed"] == 0


def test_many_calls_never_stall(ctl):
    # every call is one round trip to each worker's mailbox
    for i in range(200):
        assert list_all(ctl, {"max": 1 + i % 7}) == []
    hello = ctl.result("hello")
    assert hello["conn_table_size"] > 0


def test_dplbctl_conn_show(dplbd):
    p = dplbctl(dplbd, "conn")
    assert p.returncode == 0, p.stderr
    assert p.stdout == HEADER
    p = dplbctl(dplbd, "conn", "show", "-t", "--vip", "198.18.0.100:80",
                "--dest", "198.18.1.11", "--state", "established",
                "--max", "3")
    assert p.returncode == 0 and p.stdout == HEADER, p.stderr
    p = dplbctl(dplbd, "conn", "list", "--json")
    assert p.returncode == 0 and json.loads(p.stdout) == []
    p = dplbctl(dplbd, "--json", "conn", "flush", "-c", "198.18.0.2")
    assert p.returncode == 0 and json.loads(p.stdout) == {"flushed": 0}
    p = dplbctl(dplbd, "conn", "flush")
    assert p.returncode == 0 and p.stdout == "", p.stderr


@pytest.mark.parametrize("args,code", [
    (["conn", "frob"], 2), (["conn", "show", "--max", "0"], 2),
    (["conn", "show", "--proto", "icmp"], 2), (["conn", "show", "extra"], 2),
    (["conn", "flush", "--max", "5"], 2), (["conn", "--bogus"], 2),
    (["conn", "show", "--state", "bogus"], 1),
    (["conn", "show", "--client", "1.2.3"], 1),
    (["conn", "flush", "--dest", "1.2.3.4:x"], 1),
])
def test_dplbctl_conn_errors(dplbd, args, code):
    p = dplbctl(dplbd, *args)
    assert p.returncode == code, (args, p.stdout, p.stderr)
    if code == 1:
        assert "(EINVAL)" in p.stderr, p.stderr


def test_dplbctl_conn_help(dplbd):
    p = dplbctl(dplbd, "conn", "--help")
    assert p.returncode == 0 and "dplbctl conn show" in p.stdout
    p = dplbctl(dplbd, "--help")
    assert "conn" in p.stdout
