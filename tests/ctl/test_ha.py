# SPDX-License-Identifier: GPL-2.0-or-later
"""vip.* and sync.* against a real dplbd (one net_null port): a leased VIP
belongs to the control connection that added it and goes when that
connection closes, however it closes; a plain VIP stays; addr.del refuses
a VIP; the sync daemon's roles are recorded and reported; hello announces
the verbs.  Run as root: /usr/bin/python3 -m pytest tests/ctl/test_ha.py
"""

import pytest

CONFIG = """
global = { log_level = "info"; control_socket = "@SOCKET@"; };
eal = { hugepages = false; memory_mb = 256; };
dataplane = { workers = 1; idle_sleep_max_us = 100; };
ports = ( { name = "dp0"; device = "net_null0"; twin = "";
            addresses = [ "198.18.0.1/24" ]; } );
"""

VIP = "198.18.0.100"


def vips(ctl):
    return {v["addr"]: v for v in ctl.result("vip.list")}


def wait_gone(ctl, addr, timeout=2.0):
    import time
    end = time.monotonic() + timeout
    while addr in vips(ctl) and time.monotonic() < end:
        time.sleep(0.02)
    return addr not in vips(ctl)


def test_hello_announces_vip_and_sync(ctl):
    caps = ctl.result("hello")["capabilities"]
    assert {"vip", "lease", "sync"} <= set(caps)


def test_leased_vip_goes_with_its_connection(dplbd, ctl):
    owner = dplbd.connect()
    assert owner.result("vip.add", {"addr": VIP, "dev": "dp0",
                                    "lease": True}) == {}
    v = vips(ctl)[VIP]
    assert v["dev"] == "dp0" and v["lease"] is True and v["owner"] > 0
    # an address of the port: local route and ARP replies
    assert {"dev": "dp0", "addr": f"{VIP}/32"} in ctl.result("addr.list")
    assert {"dst": f"{VIP}/32", "via": None, "dev": "dp0",
            "type": "local"} in ctl.result("route.list")
    # another client sees it, adding it again is EEXIST
    assert ctl.error("vip.add", {"addr": VIP, "dev": "dp0"})["code"] == "EEXIST"
    owner.close()
    assert wait_gone(ctl, VIP)
    assert {"dev": "dp0", "addr": f"{VIP}/32"} not in ctl.result("addr.list")


def test_lease_dies_with_a_reset_connection(dplbd, ctl):
    owner = dplbd.connect()
    owner.result("vip.add", {"addr": f"{VIP}/32", "dev": "dp0", "lease": True})
    owner.sock.setsockopt(__import__("socket").SOL_SOCKET,
                          __import__("socket").SO_LINGER,
                          b"\x01\x00\x00\x00\x00\x00\x00\x00")
    owner.close()
    assert wait_gone(ctl, VIP)


def test_plain_vip_stays_and_is_deleted_by_anyone(dplbd, ctl):
    c = dplbd.connect()
    c.result("vip.add", {"addr": VIP, "dev": "dp0"})
    c.close()
    v = vips(ctl)[VIP]
    assert v["lease"] is False and v["owner"] is None
    # addr.del must not take a VIP away behind vip's back
    e = ctl.error("addr.del", {"addr": f"{VIP}/32", "dev": "dp0"})
    assert e["code"] == "EBUSY" and "vip.del" in e["message"]
    assert ctl.result("vip.del", {"addr": VIP}) == {}
    assert VIP not in vips(ctl)
    assert ctl.error("vip.del", {"addr": VIP})["code"] == "ENOENT"


@pytest.mark.parametrize("params,code,text", [
    ({"addr": VIP}, "EINVAL", "dev"),
    ({"addr": VIP, "dev": "dp9"}, "ENODEV", "no port named 'dp9'"),
    ({"addr": "198.18.0.0/24", "dev": "dp0"}, "EINVAL", "/32"),
    ({"addr": "bogus", "dev": "dp0"}, "EINVAL", "not an IPv4 address"),
    ({"addr": "2001:db8::1", "dev": "dp0"}, "EAFNOSUPPORT", "IPv4"),
    ({"addr": VIP, "dev": "dp0", "lease": 1}, "EINVAL", "true or false"),
    ({"addr": VIP, "dev": "dp0", "owner": 3}, "EINVAL", "owner"),
    ({"addr": "198.18.0.1", "dev": "dp0"}, "EEXIST", "not a VIP"),
])
def test_vip_add_errors(ctl, params, code, text):
    e = ctl.error("vip.add", params)
    assert e["code"] == code and text in e["message"], e


def test_sync_roles(ctl):
    assert ctl.result("sync.list") == []
    assert ctl.error("sync.stop", {"state": "master"})["code"] == "ESRCH"
    ctl.result("sync.start", {"state": "master", "ifname": "dp0",
                              "syncid": 7})
    ctl.result("sync.start", {"state": "backup", "ifname": "dp0",
                              "syncid": 7, "mcast_group": "224.0.0.81",
                              "mcast_port": 8848, "mcast_ttl": 1,
                              "sync_maxlen": 1472})
    got = {s["state"]: s for s in ctl.result("sync.list")}
    assert set(got) == {"master", "backup"}
    assert got["master"]["ifname"] == "dp0" and got["master"]["syncid"] == 7
    assert got["backup"]["mcast_group"] == "224.0.0.81"
    # starting a running role again replaces its parameters
    ctl.result("sync.start", {"state": "master", "ifname": "dp0",
                              "syncid": 9})
    got = {s["state"]: s for s in ctl.result("sync.list")}
    assert got["master"]["syncid"] == 9
    for st in ("master", "backup"):
        assert ctl.result("sync.stop", {"state": st}) == {}
    assert ctl.result("sync.list") == []


@pytest.mark.parametrize("params,text", [
    ({"state": "primary"}, "'master' or 'backup'"),
    ({}, "state"),
    ({"state": "master", "syncid": 256}, "syncid"),
    ({"state": "master", "mcast_group": "x"}, "not an address"),
    ({"state": "master", "ifname": "a" * 16}, "too long"),
])
def test_sync_start_errors(ctl, params, text):
    e = ctl.error("sync.start", params)
    assert e["code"] == "EINVAL" and text in e["message"], e


# ---------------------------------------------------------------- dplbctl

def dplbctl(dplbd, *args):
    import os
    import subprocess
    from pathlib import Path
    binary = os.environ.get("DPLBCTL_BIN",
                            Path(__file__).resolve().parents[2] / "build" /
                            "dplbctl")
    return subprocess.run([str(binary), "-S", dplbd.socket, *args],
                          text=True, capture_output=True, timeout=10)


def test_dplbctl_vip_add_show_del(dplbd, ctl):
    r = dplbctl(dplbd, "vip", "add", "198.18.0.101", "dev", "dp0")
    assert r.returncode == 0, r.stderr
    v = vips(ctl)["198.18.0.101"]
    assert v["lease"] is False     # dplbctl's own VIPs outlive it
    out = dplbctl(dplbd, "vip", "show").stdout.splitlines()
    assert out[0].split() == ["VIP", "DEV", "LEASE", "OWNER", "AGE-S"]
    assert out[1].split()[:4] == ["198.18.0.101", "dp0", "no", "-"], out
    r = dplbctl(dplbd, "vip", "add", "198.18.0.101", "dev", "dp0")
    assert r.returncode == 1 and "EEXIST" in r.stderr, r
    assert dplbctl(dplbd, "vip", "del", "198.18.0.101").returncode == 0
    assert "198.18.0.101" not in vips(ctl)
    for bad, msg in ((["add", "198.18.0.101"], "'dev NAME' is required"),
                     (["add", "nope", "dev", "dp0"], "invalid address"),
                     (["frob"], "unknown vip command")):
        r = dplbctl(dplbd, "vip", *bad)
        assert r.returncode == 2 and msg in r.stderr, (bad, r.stderr)


def test_dplbctl_sync_start_show_stop(dplbd, ctl):
    r = dplbctl(dplbd, "sync", "start", "backup", "ifname", "dp0",
                "syncid", "9")
    assert r.returncode == 0, r.stderr
    out = dplbctl(dplbd, "sync", "show").stdout.splitlines()
    assert out[1].split()[:3] == ["backup", "dp0", "9"], out
    r = dplbctl(dplbd, "--json", "sync", "show")
    assert '"syncid": 9' in r.stdout, r.stdout
    assert dplbctl(dplbd, "sync", "stop", "backup").returncode == 0
    r = dplbctl(dplbd, "sync", "stop", "backup")
    assert r.returncode == 1 and "ESRCH" in r.stderr, r
    for bad, msg in ((["start"], "'master' or 'backup'"),
                     (["start", "master", "syncid", "300"], "invalid syncid"),
                     (["stop", "master", "ifname", "x"], "unexpected")):
        r = dplbctl(dplbd, "sync", *bad)
        assert r.returncode == 2 and msg in r.stderr, (bad, r.stderr)
