# SPDX-License-Identifier: GPL-2.0-or-later
"""IPv6 addresses, routes and neighbours through the control socket and
dplbctl (net6/netcfg6.c), with the precise errors of bad ones, and IPv6
in dplbd.conf (--check-config names file:line:key)."""

import os
import re
import signal
import subprocess
import time

import pytest

from conftest import DPLBCTL, DPLBD, NULL_PORT_2W
from dplbd import Dplbd

# the IPv6 FIB's two copies take about 80 MB (net6/route6.h)
CONFIG = NULL_PORT_2W.replace("memory_mb = 256", "memory_mb = 512")
assert CONFIG != NULL_PORT_2W


def err(ctl, method, params, code, words=()):
    e = ctl.error(method, params)
    assert e["code"] == code, (method, params, e)
    for w in words:
        assert w in e["message"], (w, e)
    return e


def routes(ctl):
    return {r["dst"]: r for r in ctl.result("route.list")}


def addrs(ctl):
    return ctl.result("addr.list")


@pytest.fixture
def with_addr6(ctl):
    a = {"addr": "2001:db8::1/64", "dev": "dp0"}
    assert ctl.result("addr.add", a) == {}
    yield a
    ctl.result("addr.del", a)


def test_addr6_add_list_del(ctl):
    a = {"addr": "2001:db8::1/64", "dev": "dp0"}
    assert ctl.result("addr.add", a) == {}
    try:
        assert {"dev": "dp0", "addr": "2001:db8::1/64"} in addrs(ctl)
        r = routes(ctl)
        assert r["2001:db8::1/128"] == {"dst": "2001:db8::1/128",
                                        "via": None, "dev": "dp0",
                                        "type": "local"}, r
        assert r["2001:db8::/64"]["type"] == "connected", r
        err(ctl, "addr.add", a, "EEXIST", ["2001:db8::1/64"])
        # a second address in the same subnet shares its connected route
        b = {"addr": "2001:db8::2/64", "dev": "dp0"}
        assert ctl.result("addr.add", b) == {}
        assert ctl.result("addr.del", b) == {}
        assert "2001:db8::/64" in routes(ctl)
    finally:
        assert ctl.result("addr.del", a) == {}
    r = routes(ctl)
    assert "2001:db8::1/128" not in r and "2001:db8::/64" not in r, r
    err(ctl, "addr.del", a, "ENOENT", ["no such address"])


@pytest.mark.parametrize("addr,code,words", [
    ("2001:db8::1/129", "EINVAL", ["params.addr"]),
    ("2001:db8::zz/64", "EINVAL", ["params.addr"]),
    ("ff02::1/64", "EINVAL", ["multicast"]),
    ("::/64", "EINVAL", ["unspecified"]),
    ("::1/128", "EINVAL", ["loopback"]),
    ("::ffff:198.18.0.1/96", "EINVAL", ["IPv4-mapped"]),
    ("2001:db8::1/0", "EINVAL", ["prefix length 0"]),
])
def test_addr6_add_errors(ctl, addr, code, words):
    err(ctl, "addr.add", {"addr": addr, "dev": "dp0"}, code, words)
    assert all(":" not in a["addr"] for a in addrs(ctl))


def test_route6_add_list_del(ctl, with_addr6):
    r = {"dst": "2001:db8:5::/48", "via": "2001:db8::fe"}
    assert ctl.result("route.add", r) == {}
    try:
        got = routes(ctl)["2001:db8:5::/48"]
        assert got == {"dst": "2001:db8:5::/48", "via": "2001:db8::fe",
                       "dev": "dp0", "type": "gateway"}, got
        err(ctl, "route.add", r, "EEXIST", ["exists already"])
    finally:
        assert ctl.result("route.del", {"dst": "2001:db8:5::/48"}) == {}
    assert "2001:db8:5::/48" not in routes(ctl)
    err(ctl, "route.del", {"dst": "2001:db8:5::/48"}, "ENOENT",
        ["no such route"])
    # a default route via a link-local router, which needs its device
    d = {"dst": "::/0", "via": "fe80::1", "dev": "dp0"}
    assert ctl.result("route.add", d) == {}
    assert routes(ctl)["::/0"]["via"] == "fe80::1"
    assert ctl.result("route.del", {"dst": "::/0"}) == {}
    # on the device alone
    assert ctl.result("route.add", {"dst": "2001:db8:7::/48",
                                    "dev": "dp0"}) == {}
    assert routes(ctl)["2001:db8:7::/48"]["via"] is None
    assert ctl.result("route.del", {"dst": "2001:db8:7::/48"}) == {}


@pytest.mark.parametrize("params,code,words", [
    ({"dst": "2001:db8:5::1/48", "via": "2001:db8::fe"}, "EINVAL",
     ["host bits"]),
    ({"dst": "2001:db8:5::/129", "dev": "dp0"}, "EINVAL", ["params.dst"]),
    ({"dst": "2001:db8:5::/48", "via": "198.18.0.254", "dev": "dp0"},
     "EINVAL", ["must be IPv6"]),
    ({"dst": "2001:db8:5::/48", "via": "fe80::1"}, "EINVAL",
     ["link-local gateway needs a device"]),
    ({"dst": "2001:db8:5::/48", "via": "ff02::2", "dev": "dp0"}, "EINVAL",
     ["unicast"]),
    ({"dst": "2001:db8:5::/48", "via": "2001:db9::1"}, "ENETUNREACH",
     ["not on a connected subnet"]),
    ({"dst": "2001:db8:5::/48"}, "EINVAL", ["gateway or a device"]),
])
def test_route6_add_errors(ctl, with_addr6, params, code, words):
    err(ctl, "route.add", params, code, words)
    assert "2001:db8:5::/48" not in routes(ctl)


def test_route6_of_an_address_is_not_deleted(ctl, with_addr6):
    err(ctl, "route.del", {"dst": "2001:db8::/64"}, "EPERM",
        ["belongs to an address"])
    err(ctl, "route.del", {"dst": "2001:db8::1/128"}, "EPERM")


def test_neigh6_static(ctl, with_addr6):
    n = {"ip": "2001:db8::2", "mac": "02:00:00:00:00:02", "dev": "dp0"}
    assert ctl.result("neigh.add", n) == {}
    try:
        got = [x for x in ctl.result("neigh.list") if x["ip"] == n["ip"]]
        assert got and got[0]["mac"] == n["mac"], got
        assert got[0]["state"] == "permanent", got
    finally:
        ctl.result("neigh.del", {"ip": n["ip"], "dev": "dp0"})
    assert not [x for x in ctl.result("neigh.list") if x["ip"] == n["ip"]]


def run_ctl(dplbd, *args):
    return subprocess.run([str(DPLBCTL), "-S", dplbd.socket, *args],
                          capture_output=True, text=True, timeout=30)


def test_dplbctl_addr_and_route6(dplbd):
    r = run_ctl(dplbd, "addr", "add", "2001:db8:1::1/64", "dev", "dp0")
    assert r.returncode == 0, r.stderr
    try:
        r = run_ctl(dplbd, "addr", "show")
        assert any(l.split() == ["dp0", "2001:db8:1::1/64"]
                   for l in r.stdout.splitlines()), r.stdout
        r = run_ctl(dplbd, "route", "add", "2001:db8:9::/48", "via",
                    "2001:db8:1::fe")
        assert r.returncode == 0, r.stderr
        r = run_ctl(dplbd, "route", "show")
        lines = r.stdout.splitlines()
        assert any("2001:db8:9::/48" in l and "via 2001:db8:1::fe" in l
                   and "dp0" in l for l in lines), r.stdout
        assert any(l.startswith("local 2001:db8:1::1/128") for l in lines), \
            r.stdout
        r = run_ctl(dplbd, "route", "del", "2001:db8:9::/48")
        assert r.returncode == 0, r.stderr
        # the socket's precise error reaches the operator
        r = run_ctl(dplbd, "addr", "add", "ff05::1/64", "dev", "dp0")
        assert r.returncode != 0 and "multicast" in r.stderr, r
        r = run_ctl(dplbd, "addr", "add", "2001:db8::1/200", "dev", "dp0")
        assert r.returncode != 0 and "invalid prefix" in r.stderr, r
    finally:
        run_ctl(dplbd, "addr", "del", "2001:db8:1::1/64", "dev", "dp0")


CONF6 = """global = { control_socket = "/tmp/ip6-check.sock"; };
eal = { hugepages = false; };
ports = ( { name = "dp0"; device = "net_null0"; twin = "";
    addresses = [ "198.18.0.1/24", "%s" ]; } );
routes = ( { dst = "%s"; via = "%s"; } );
"""


def check_config(tmp_path, addr, dst, via):
    conf = tmp_path / "dplbd.conf"
    conf.write_text(CONF6 % (addr, dst, via))
    return conf, subprocess.run([str(DPLBD), "--check-config", "-c",
                                 str(conf)], capture_output=True, text=True,
                                timeout=60)


def test_config_takes_ipv6(tmp_path):
    conf, r = check_config(tmp_path, "2001:db8::1/64", "2001:db8:5::/48",
                           "2001:db8::fe")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("addr,dst,via,want", [
    ("ff02::1/64", "2001:db8:5::/48", "2001:db8::fe",
     ":4: ports.[0].addresses.[1]: 'ff02::1/64' is not a unicast address"),
    ("2001:db8::1/0", "2001:db8:5::/48", "2001:db8::fe",
     ":4: ports.[0].addresses.[1]: prefix length of '2001:db8::1/0' must be "
     "1 to 128"),
    ("2001:db8::1/64", "2001:db8:5::1/48", "2001:db8::fe",
     ":5: routes.[0].dst: host bits set in 2001:db8:5::1/48"),
    ("2001:db8::1/64", "2001:db8:5::/48", "198.18.0.254",
     ":5: routes.[0].via: must be of the same family as dst"),
])
def test_config_names_bad_ipv6(tmp_path, addr, dst, via, want):
    conf, r = check_config(tmp_path, addr, dst, via)
    assert r.returncode == 1, r
    assert f"{conf}{want}" in r.stderr, r.stderr


RELOAD_CONF = """global = { log_level = "info"; control_socket = "@SOCKET@"; };
eal = { hugepages = false; memory_mb = 512; };
dataplane = { workers = 1; idle_sleep_max_us = 100; };
ports = ( { name = "dp0"; device = "net_null0"; twin = "";
    addresses = [ %s ]; } );
routes = ( %s );
"""


def test_sighup_adds_and_removes_ipv6(tmp_path):
    """SIGHUP applies the file's IPv6 addresses and routes as it does
    IPv4's (ctl/reload.c through net6/netcfg6.c)."""
    def wait_reloaded(d, n):
        end = time.monotonic() + 15
        while time.monotonic() < end:
            if len(re.findall(r"notice: reloaded ", d.stderr)) >= n:
                return
            time.sleep(0.05)
        raise AssertionError(d.stderr)

    def gateways(d):
        return {(r["dst"], r["via"]) for r in d.ctl.result("route.list")
                if r["type"] == "gateway"}

    d = Dplbd(RELOAD_CONF % ('"198.18.0.1/24"', ""))
    d.start()
    try:
        with open(d.config_path, "w") as f:
            f.write((RELOAD_CONF % (
                '"198.18.0.1/24", "2001:db8::1/64"',
                '{ dst = "2001:db8:5::/48"; via = "2001:db8::fe"; }')
            ).replace("@SOCKET@", d.socket))
        os.kill(d.pid, signal.SIGHUP)
        wait_reloaded(d, 1)
        assert "2001:db8::1/64" in {a["addr"] for a in
                                    d.ctl.result("addr.list")}
        assert gateways(d) == {("2001:db8:5::/48", "2001:db8::fe")}
        with open(d.config_path, "w") as f:
            f.write((RELOAD_CONF % ('"198.18.0.1/24"', "")).replace(
                "@SOCKET@", d.socket))
        os.kill(d.pid, signal.SIGHUP)
        wait_reloaded(d, 2)
        assert {a["addr"] for a in d.ctl.result("addr.list")} == \
            {"198.18.0.1/24"}
        assert gateways(d) == set()
        assert "2001:db8::/64" not in {r["dst"] for r in
                                       d.ctl.result("route.list")}
    finally:
        assert d.stop() == 0, d.stderr
