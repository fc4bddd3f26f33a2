# SPDX-License-Identifier: GPL-2.0-or-later
"""vip.* and sync.* against a real dplbd (one net_null port): a VIP
leased without an owner belongs to the control connection that added it
and goes when that connection closes, however it closes; a VIP leased by
an owner (keepalived's VRRP instance) outlives its connection by the
grace period (ha.lease_grace_ms), is claimed untouched by a connection
that adds it again as the same owner, and is withdrawn when nobody does;
a plain VIP stays; addr.del refuses a VIP; the sync daemon's roles are
recorded and reported with their sockets (here without an interface: the
role runs, says why it has no socket and retries), its tunables and
counters (sync.stats), and bad parameters are refused; hello announces
the verbs.  The sync itself, between two dplbd, is tests/e2e/test_sync.py's.
Run as root: /usr/bin/python3 -m pytest tests/ctl/test_ha.py
"""

import json
import os
import signal
import time

import pytest

CONFIG = """
global = { log_level = "info"; control_socket = "@SOCKET@"; };
eal = { hugepages = false; memory_mb = 256; };
dataplane = { workers = 1; idle_sleep_max_us = 100; };
ports = ( { name = "dp0"; device = "net_null0"; twin = "";
            addresses = [ "198.18.0.1/24" ]; } );
ha = { lease_grace_ms = 300; };
"""
GRACE = 0.3

VIP = "198.18.0.100"


def vips(ctl):
    return {v["addr"]: v for v in ctl.result("vip.list")}


def wait_gone(ctl, addr, timeout=2.0):
    end = time.monotonic() + timeout
    while addr in vips(ctl) and time.monotonic() < end:
        time.sleep(0.02)
    return addr not in vips(ctl)


def test_hello_announces_vip_and_sync(ctl):
    caps = ctl.result("hello")["capabilities"]
    assert {"vip", "lease", "lease-owner", "sync", "conn-sync"} <= set(caps)


def test_leased_vip_goes_with_its_connection(dplbd, ctl):
    owner = dplbd.connect()
    assert owner.result("vip.add", {"addr": VIP, "dev": "dp0",
                                    "lease": True}) == {}
    v = vips(ctl)[VIP]
    assert v["dev"] == "dp0" and v["lease"] is True and v["owner"] is None
    assert v["client"] > 0 and v["state"] == "held"
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
    assert v["client"] is None and v["state"] == "static"
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
    ({"addr": "bogus", "dev": "dp0"}, "EINVAL", "not an IP address"),
    ({"addr": "2001:db8::/64", "dev": "dp0"}, "EINVAL", "/128"),
    ({"addr": "fe80::1", "dev": "dp0"}, "EINVAL", "global unicast IPv6"),
    ({"addr": "ff02::1", "dev": "dp0"}, "EINVAL", "global unicast IPv6"),
    ({"addr": VIP, "dev": "dp0", "lease": 1}, "EINVAL", "true or false"),
    ({"addr": VIP, "dev": "dp0", "owner": 3}, "EINVAL", "owner"),
    ({"addr": VIP, "dev": "dp0", "owner": ""}, "EINVAL", "must not be empty"),
    ({"addr": VIP, "dev": "dp0", "owner": "x" * 64}, "EINVAL", "at most 63"),
    ({"addr": VIP, "dev": "dp0", "owner": "VI\n1"}, "EINVAL", "control"),
    ({"addr": VIP, "dev": "dp0", "owner": "VI_1", "lease": False}, "EINVAL",
     "contradicts"),
    ({"addr": "198.18.0.1", "dev": "dp0"}, "EEXIST", "not a VIP"),
])
def test_vip_add_errors(ctl, params, code, text):
    e = ctl.error("vip.add", params)
    assert e["code"] == code and text in e["message"], e


def test_ipv6_vip_leased_like_ipv4(dplbd, ctl):
    """An IPv6 VIP (keepalived's VRRPv3 instances for IPv6): a /128 of
    the port while held, withdrawn with its connection's lease."""
    v6 = "2001:db8::100"
    a = dplbd.connect()
    assert a.result("vip.add", {"addr": v6, "dev": "dp0",
                                "lease": True}) == {}
    v = vips(ctl)[v6]
    assert (v["dev"], v["lease"], v["state"]) == ("dp0", True, "held")
    assert {"dev": "dp0", "addr": f"{v6}/128"} in ctl.result("addr.list")
    e = ctl.error("addr.del", {"addr": f"{v6}/128", "dev": "dp0"})
    assert e["code"] == "EBUSY", e
    a.close()
    assert wait_gone(ctl, v6)
    assert {"dev": "dp0", "addr": f"{v6}/128"} not in ctl.result("addr.list")


# ------------------------------------------------------- owners' leases

def test_owner_lease_claimed_within_grace_keeps_the_vip(dplbd, ctl):
    a = dplbd.connect()
    assert a.result("vip.add", {"addr": VIP, "dev": "dp0",
                                "owner": "VI_1"}) == {}
    v = vips(ctl)[VIP]
    assert (v["lease"], v["owner"], v["state"]) == (True, "VI_1", "held")
    first_client = v["client"]
    a.close()
    # orphaned, still an address of the port, counting down
    time.sleep(0.05)
    v = vips(ctl)[VIP]
    assert v["state"] == "orphaned" and v["client"] is None, v
    assert 0 < v["expires_ms"] <= GRACE * 1000, v
    assert {"dev": "dp0", "addr": f"{VIP}/32"} in ctl.result("addr.list")
    # the owner reconnects and claims it: nothing changes on the wire
    b = dplbd.connect()
    assert b.result("vip.add", {"addr": VIP, "dev": "dp0",
                                "owner": "VI_1"}) == {"claimed": True}
    v = vips(ctl)[VIP]
    assert v["state"] == "held" and v["client"] not in (None, first_client)
    assert "expires_ms" not in v
    time.sleep(GRACE + 0.2)
    assert VIP in vips(ctl), "a claimed lease must not expire"
    assert "claimed by control client" in dplbd.stderr
    # its holder's connection counts now
    b.close()
    assert wait_gone(ctl, VIP, GRACE + 2)


def test_owner_lease_withdrawn_after_grace(dplbd, ctl):
    a = dplbd.connect()
    a.result("vip.add", {"addr": VIP, "dev": "dp0", "owner": "VI_1"})
    t0 = time.monotonic()
    a.close()
    # not before the grace period (how much after it is bounded by the
    # wait alone: a busy machine delays the main lcore's timer)
    assert wait_gone(ctl, VIP, GRACE + 2)
    took = time.monotonic() - t0
    assert took >= GRACE - 0.05, took
    assert {"dev": "dp0", "addr": f"{VIP}/32"} not in ctl.result("addr.list")
    assert "did not claim it within its grace period" in dplbd.stderr


def test_owner_lease_moves_to_a_new_connection_of_the_same_owner(dplbd, ctl):
    """A keepalived that reconnects before dplbd saw the old connection
    close: the lease follows the newest holder, the old close is moot."""
    a, b = dplbd.connect(), dplbd.connect()
    a.result("vip.add", {"addr": VIP, "dev": "dp0", "owner": "VI_1"})
    assert b.result("vip.add", {"addr": VIP, "dev": "dp0",
                                "owner": "VI_1"}) == {"claimed": True}
    a.close()
    time.sleep(GRACE + 0.2)
    assert vips(ctl)[VIP]["state"] == "held"
    # claiming again from the holder is a no-op, still "claimed"
    assert b.result("vip.add", {"addr": VIP, "dev": "dp0",
                                "owner": "VI_1"}) == {"claimed": True}
    assert b.result("vip.del", {"addr": VIP}) == {}
    b.close()


def test_other_owners_and_plain_adds_get_eexist(dplbd, ctl):
    a = dplbd.connect()
    a.result("vip.add", {"addr": VIP, "dev": "dp0", "owner": "VI_1"})
    for params in ({"owner": "VI_2"}, {"lease": True}, {}):
        e = ctl.error("vip.add", dict(params, addr=VIP, dev="dp0"))
        assert e["code"] == "EEXIST" and "VI_1" in e["message"], e
    # an owner cannot claim a VIP leased by a connection, or a plain one
    ctl.result("vip.add", {"addr": "198.18.0.101", "dev": "dp0",
                           "lease": True})
    e = a.error("vip.add", {"addr": "198.18.0.101", "dev": "dp0",
                            "owner": "VI_1"})
    assert e["code"] == "EEXIST", e
    # vip.del takes any VIP, whoever owns it
    assert ctl.result("vip.del", {"addr": VIP}) == {}
    assert ctl.result("vip.del", {"addr": "198.18.0.101"}) == {}
    a.close()


def test_grace_period_is_reloadable(dplbd, ctl):
    """ha.lease_grace_ms changes with a reload; 0 withdraws an owner's
    VIP with its connection, as a lease of the connection."""
    assert ctl.result("config.show")["ha"] == {"lease_grace_ms": 300}
    path = dplbd.config_path
    text = open(path).read()
    try:
        with open(path, "w") as f:
            f.write(text.replace("lease_grace_ms = 300", "lease_grace_ms = 0"))
        os.kill(dplbd.pid, signal.SIGHUP)
        end = time.monotonic() + 5
        while ctl.result("config.show")["ha"]["lease_grace_ms"] != 0:
            assert time.monotonic() < end, dplbd.stderr[-2000:]
            time.sleep(0.05)
        a = dplbd.connect()
        a.result("vip.add", {"addr": VIP, "dev": "dp0", "owner": "VI_1"})
        a.close()
        assert wait_gone(ctl, VIP, 0.2)
        assert "reload: changes to" not in dplbd.stderr
    finally:
        with open(path, "w") as f:
            f.write(text)
        os.kill(dplbd.pid, signal.SIGHUP)
        end = time.monotonic() + 5
        while ctl.result("config.show")["ha"]["lease_grace_ms"] != 300:
            assert time.monotonic() < end
            time.sleep(0.05)


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
    ({"state": "master", "mcast_group": "198.18.0.1"},
     "not an IPv4 multicast address"),
    ({"state": "master", "peer": "224.0.0.81"}, "not an IPv4 unicast"),
    ({"state": "master", "peer": "198.18.0.3",
      "mcast_group": "224.0.0.81"}, "exclude each other"),
    ({"state": "master", "sync_threshold": 50}, "below the period"),
    ({"state": "master", "sync_threshold": 3, "sync_period": 2},
     "below the period"),
    ({"state": "master", "sync_retries": 4}, "sync_retries"),
    ({"state": "master", "sync_refresh_period": 4000}, "at most 3600"),
    ({"state": "master", "sync_period": "x"}, "sync_period"),
    ({"state": "master", "dump_rate": 10}, "dump_rate"),
])
def test_sync_start_errors(ctl, params, text):
    e = ctl.error("sync.start", params)
    assert e["code"] == "EINVAL" and text in e["message"], e
    assert ctl.result("sync.list") == []


@pytest.mark.parametrize("params,text", [
    ({"mcast_group": "2001:db8::81"},
     "mcast_group 2001:db8::81: not an IPv6 multicast address"),
    ({"mcast_group": "ff01::81"},
     "mcast_group ff01::81: interface-local scope never leaves"),
    ({"mcast_group": "ff00::81"}, "a reserved scope never leaves"),
    ({"peer": "ff02::81"}, "peer ff02::81: not an IPv6 unicast address "
     "(a group is mcast_group)"),
    ({"peer": "::"}, "peer ::: not an IPv6 unicast address"),
    ({"peer": "::ffff:198.18.0.3"}, "an IPv4-mapped address: give the IPv4"),
    ({"peer": "fe80::3"}, "peer fe80::3: a link-local peer needs ifname"),
    ({"peer": "2001:db8::3", "mcast_group": "ff02::81"},
     "exclude each other"),
    ({"peer": "198.18.0.3", "mcast_group": "ff02::81"},
     "exclude each other"),
])
def test_sync_start_ipv6_errors(ctl, params, text):
    e = ctl.error("sync.start", dict(state="backup", **params))
    assert e["code"] == "EINVAL" and text in e["message"], e
    assert ctl.result("sync.list") == []


def test_sync_start_ipv6_group_and_peer(ctl):
    """An IPv6 group (as IPVS's mcast_group) and an IPv6 unicast peer:
    the socket's address, port and hop limit, messages of 1500 - 48
    bytes (IPv6 and UDP headers)."""
    ctl.result("sync.start", {"state": "backup", "ifname": "nosuchif0",
                              "mcast_group": "ff02::81", "syncid": 5})
    (b,) = ctl.result("sync.list")
    k = b["socket"]
    assert b["mcast_group"] == "ff02::81"
    assert (k["addr"], k["port"], k["ttl"], k["maxlen"]) == \
        ("ff02::81", 8848, 1, 1452), k
    assert k["up"] is False and "nosuchif0" in k["error"], k
    ctl.result("sync.start", {"state": "backup", "ifname": "nosuchif0",
                              "mcast_group": "ff05::1:3", "mcast_ttl": 4})
    (b,) = ctl.result("sync.list")
    assert (b["socket"]["addr"], b["socket"]["ttl"]) == ("ff05::1:3", 4)
    ctl.result("sync.start", {"state": "master", "peer": "2001:db8::3",
                              "mcast_port": 9000})
    m = {s["state"]: s for s in ctl.result("sync.list")}["master"]
    k = m["socket"]
    assert m["peer"] == "2001:db8::3"
    assert (k["addr"], k["port"], k["ttl"], k["maxlen"]) == \
        ("2001:db8::3", 9000, 64, 1452), k
    # no interface needed for a global unicast peer: the socket is up
    assert k["up"] is True, k
    # a link-local peer with its interface
    ctl.result("sync.start", {"state": "master", "peer": "fe80::3",
                              "ifname": "lo"})
    for st in ("master", "backup"):
        assert ctl.result("sync.stop", {"state": st}) == {}


def test_sync_socket_status(ctl):
    """No interface of that name here: the role runs without a socket,
    says why, and its defaults are IPVS's (224.0.0.81:8848, ttl 1,
    messages of 1500 - 28 bytes)."""
    ctl.result("sync.start", {"state": "master", "ifname": "nosuchif0",
                              "syncid": 3})
    (m,) = ctl.result("sync.list")
    k = m["socket"]
    assert k["up"] is False and "nosuchif0" in k["error"], k
    assert (k["addr"], k["port"], k["ttl"], k["maxlen"]) == \
        ("224.0.0.81", 8848, 1, 1472), k
    ctl.result("sync.start", {"state": "master", "peer": "198.18.0.3",
                              "mcast_port": 9000, "sync_maxlen": 60000})
    (m,) = ctl.result("sync.list")
    k = m["socket"]
    assert m["peer"] == "198.18.0.3"
    assert (k["addr"], k["port"], k["ttl"], k["maxlen"]) == \
        ("198.18.0.3", 9000, 64, 60000), k
    assert ctl.result("sync.stop", {"state": "master"}) == {}


def test_sync_stats_and_tunables(ctl):
    st = ctl.result("sync.stats")
    assert st["workers"] == 1
    assert st["tunables"] == {"sync_threshold": 3, "sync_period": 50,
                              "sync_refresh_period": 0, "sync_retries": 0,
                              "full_refresh": 0, "dump_rate": 500000}
    for side in ("master", "backup"):
        assert st[side]["running"] is False
    assert st["master"]["records"] == 0 and st["backup"]["installed"] == 0
    assert set(st["backup"]["drops"]) == {
        "short", "bad_size", "bad_version", "syncid", "wrong_peer",
        "bad_entry", "bad_record", "unknown_service", "workers",
        "mailbox_full", "unknown_dest", "table_full", "conflict"}
    assert st["backup"]["lag_ms"] == {"samples": 0, "avg": None, "max": 0}
    # sync.start sets IPVS's sysctls for the node, and they stay
    ctl.result("sync.start", {"state": "backup", "sync_threshold": 1,
                              "sync_period": 10, "sync_refresh_period": 5,
                              "sync_retries": 2, "full_refresh": 60,
                              "dump_rate": 1000})
    st = ctl.result("sync.stats")
    assert st["tunables"] == {"sync_threshold": 1, "sync_period": 10,
                              "sync_refresh_period": 5, "sync_retries": 2,
                              "full_refresh": 60, "dump_rate": 1000}
    assert st["backup"]["running"] is True
    assert st["backup"]["dump_complete"] is False
    ctl.result("sync.stop", {"state": "backup"})
    ctl.result("sync.start", {"state": "backup", "sync_period": 50,
                              "sync_threshold": 3, "sync_refresh_period": 0,
                              "sync_retries": 0, "full_refresh": 0,
                              "dump_rate": 500000})
    ctl.result("sync.stop", {"state": "backup"})
    assert ctl.result("sync.stats")["tunables"]["sync_period"] == 50


def test_conn_list_synced_filter(ctl):
    assert ctl.result("conn.list", {"synced": True}) == {"conns": [],
                                                          "cursor": None}
    e = ctl.error("conn.list", {"synced": "yes"})
    assert e["code"] == "EINVAL" and "synced" in e["message"], e


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
    assert out[0].split() == ["VIP", "DEV", "LEASE", "OWNER", "STATE",
                              "AGE-S"]
    assert out[1].split()[:5] == ["198.18.0.101", "dp0", "no", "-",
                                  "static"], out
    # an owner's lease, then orphaned
    owner = dplbd.connect()
    owner.result("vip.add", {"addr": VIP, "dev": "dp0", "owner": "VI_1"})
    rows = {line.split()[0]: line for line in
            dplbctl(dplbd, "vip", "show").stdout.splitlines()[1:]}
    assert rows[VIP].split()[:5] == [VIP, "dp0", "yes", "VI_1", "held"]
    owner.close()
    time.sleep(0.05)
    rows = {line.split()[0]: line for line in
            dplbctl(dplbd, "vip", "show").stdout.splitlines()[1:]}
    assert "orphaned (" in rows[VIP] and "ms left)" in rows[VIP], rows
    assert wait_gone(ctl, VIP)
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
                     (["start", "master", "period", "x"], "invalid period"),
                     (["start", "master", "frob", "1"], "unexpected"),
                     (["stop", "master", "ifname", "x"], "unexpected")):
        r = dplbctl(dplbd, "sync", *bad)
        assert r.returncode == 2 and msg in r.stderr, (bad, r.stderr)


def test_dplbctl_sync_options_and_stats(dplbd, ctl):
    r = dplbctl(dplbd, "sync", "start", "master", "ifname", "nosuchif1",
                "syncid", "4", "group", "224.0.0.82", "port", "8850",
                "ttl", "2", "maxlen", "9000", "threshold", "2", "period",
                "20")
    assert r.returncode == 0, r.stderr
    (m,) = ctl.result("sync.list")
    assert (m["mcast_group"], m["mcast_port"], m["mcast_ttl"],
            m["sync_maxlen"]) == ("224.0.0.82", 8850, 2, 9000)
    out = dplbctl(dplbd, "sync", "show").stdout.splitlines()
    assert out[0].split() == ["STATE", "IFNAME", "SYNCID", "DEST", "MAXLEN",
                              "SOCKET", "AGE-S"], out
    assert out[1].split()[:5] == ["master", "nosuchif1", "4",
                                  "224.0.0.82:8850", "9000"], out
    assert out[2].startswith("master: 0 records"), out
    assert out[3].startswith("backup: 0 messages"), out
    assert out[4].startswith("sync_threshold 2 20,") and \
        out[4].endswith("dump_rate 500000"), out
    r = dplbctl(dplbd, "sync", "stats")
    assert r.returncode == 0 and r.stdout.startswith("master:"), r
    r = dplbctl(dplbd, "--json", "sync", "stats")
    assert json.loads(r.stdout)["stats"]["tunables"]["sync_period"] == 20
    # IPv6: the group as [addr]:port
    r = dplbctl(dplbd, "sync", "start", "master", "ifname", "nosuchif1",
                "group", "ff02::81", "port", "8851")
    assert r.returncode == 0, r.stderr
    out = dplbctl(dplbd, "sync", "show").stdout.splitlines()
    assert out[1].split()[3] == "[ff02::81]:8851", out
    r = dplbctl(dplbd, "sync", "start", "master", "peer", "fe80::3")
    assert r.returncode == 1 and "link-local peer needs ifname" in r.stderr
    r = dplbctl(dplbd, "sync", "start", "master", "threshold", "3",
                "period", "50")
    assert r.returncode == 0, r.stderr
    assert dplbctl(dplbd, "sync", "stop", "master").returncode == 0
