# SPDX-License-Identifier: GPL-2.0-or-later
"""IPv6 and NAT64 services through the control socket and dplbctl
against a real dplbd (issue 15): [addr]:port everywhere, IPv6 local
address groups, the IPv6 persistence netmask (a prefix length, /64 by
default), NAT64 services (an IPv6 VIP, IPv4 full-NAT dests and local
addresses), the config file's IPv6 services, and the precise refusals
of what mixes families where IPVS would not.
Run as root: /usr/bin/python3 -m pytest tests/ctl/test_services6.py
"""

import json
import subprocess

import pytest

from conftest import DPLBCTL, NULL_PORT_2W

CONFIG = NULL_PORT_2W + """laddr_groups = (
  { name = "v6"; addresses = [ "2001:db8:9::100", "2001:db8:9::101" ]; },
  { name = "n64"; addresses = [ "198.18.9.200" ]; }
);
services = (
  { proto = "tcp"; vip = "2001:db8:9::1"; port = 80; sched = "rr";
    laddr_group = "v6";
    dests = ( { addr = "2001:db8:9::11"; port = 8080; fwd = "fnat"; },
              { addr = "2001:db8:9::12"; fwd = "nat"; } ); },
  { proto = "udp"; vip = "2001:db8:9::2"; port = 53; sched = "sh";
    laddr_group = "n64"; persistent = 60; netmask = "/56";
    dests = ( { addr = "198.18.9.21"; fwd = "fnat"; } ); },
  { proto = "tcp"; vip = "198.18.9.1"; port = 80; sched = "rr";
    dests = ( { addr = "2001:db8:9::31"; fwd = "tunnel"; } ); }
);
"""

VIP6 = "2001:db8::100"
WEB6 = {"proto": "tcp", "vip": VIP6, "port": 80}
CFG_KEYS = [{"proto": "tcp", "vip": "2001:db8:9::1", "port": 80},
            {"proto": "udp", "vip": "2001:db8:9::2", "port": 53},
            {"proto": "tcp", "vip": "198.18.9.1", "port": 80}]


@pytest.fixture
def ctl(dplbd):
    c = dplbd.connect()
    yield c
    c.keep_only(CFG_KEYS, ["v6", "n64"])
    c.close()
    assert dplbd.alive(), f"dplbd died:\n{dplbd.stderr}"


def err(ctl, method, params, code, fragment):
    e = ctl.error(method, params)
    assert e["code"] == code, (method, params, e)
    assert fragment in e["message"], (fragment, e)
    return e


def dplbctl(dplbd, *args, check=0):
    p = subprocess.run([str(DPLBCTL), "-S", dplbd.socket, *args],
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == check, (args, p.returncode, p.stdout, p.stderr)
    return p


def test_config_ipv6_and_nat64_services(ctl):
    s = ctl.result("service.list", CFG_KEYS[0])[0]
    assert s["laddr_group"] == "v6" and s["netmask"] == "/64"
    assert [(d["addr"], d["port"], d["fwd"]) for d in s["dests"]] == [
        ("2001:db8:9::11", 8080, "fnat"), ("2001:db8:9::12", 80, "nat")]
    n64 = ctl.result("service.list", CFG_KEYS[1])[0]
    assert (n64["persistent"], n64["netmask"]) == (60, "/56")
    assert n64["dests"][0]["addr"] == "198.18.9.21"
    g = {x["group"]: x for x in ctl.result("laddr.list")}
    assert g["v6"]["addresses"] == ["2001:db8:9::100", "2001:db8:9::101"]
    assert g["n64"]["services"] == 1
    shown = ctl.result("config.show")
    assert [x["vip"] for x in shown["services"]] == ["2001:db8:9::1",
                                                     "2001:db8:9::2",
                                                     "198.18.9.1"]
    # an IPv4 service's IPv6 tunnel dest from the file (IPv4 in IPv6)
    t = ctl.result("service.list", CFG_KEYS[2])[0]["dests"]
    assert [(d["addr"], d["fwd"]) for d in t] == [("2001:db8:9::31",
                                                   "tunnel")]
    assert shown["services"][1]["netmask"] == "/56"


def test_ipv6_service_dest_laddr_life(ctl):
    ctl.result("laddr.add", {"group": "g6", "addr": "2001:db8:1::100"})
    ctl.result("laddr.add", {"group": "g6", "addr": "198.18.1.100"})
    r = ctl.result("service.add", dict(WEB6, sched="wlc", laddr_group="g6"))
    assert r["id"] > 0
    s = ctl.result("service.list", WEB6)[0]
    assert s["vip"] == VIP6 and s["netmask"] == "/64"
    ctl.result("dest.add", dict(WEB6, addr="2001:db8:1::11", weight=3))
    ctl.result("dest.add", dict(WEB6, addr="2001:db8:1::12", fwd="nat"))
    ctl.result("dest.add", dict(WEB6, addr="2001:db8:1::13", fwd="dr"))
    ctl.result("dest.add", dict(WEB6, addr="2001:db8:1::14", fwd="tunnel"))
    ctl.result("dest.add", dict(WEB6, addr="198.18.1.15", dport=8080))  # NAT64
    ctl.result("dest.add", dict(WEB6, addr="198.18.1.16", fwd="tunnel"))
    ds = ctl.result("dest.list", WEB6)
    assert [(d["addr"], d["port"], d["fwd"]) for d in ds] == [
        ("2001:db8:1::11", 80, "fnat"), ("2001:db8:1::12", 80, "nat"),
        ("2001:db8:1::13", 80, "dr"), ("2001:db8:1::14", 80, "tunnel"),
        ("198.18.1.15", 8080, "fnat"), ("198.18.1.16", 80, "tunnel")]
    e = ctl.error("dest.add", dict(WEB6, addr="2001:db8:1::11", dport=80))
    assert e["code"] == "EEXIST"
    assert f"[{VIP6}]" in e["message"] or VIP6 in e["message"], e
    ctl.result("dest.edit", dict(WEB6, addr="2001:db8:1::11", weight=0))
    assert ctl.result("dest.list", WEB6)[0]["weight"] == 0
    ctl.result("dest.del", dict(WEB6, addr="2001:db8:1::11"))
    assert len(ctl.result("dest.list", WEB6)) == 5
    # persistence: a prefix length of the VIP's family
    ctl.result("service.edit", dict(WEB6, persistent=300, netmask="/48"))
    s = ctl.result("service.list", WEB6)[0]
    assert (s["persistent"], s["netmask"]) == (300, "/48")
    ctl.result("service.edit", dict(WEB6, netmask="128"))
    assert ctl.result("service.list", WEB6)[0]["netmask"] == "/128"
    # persistence off forgets the granularity: back to /64
    ctl.result("service.edit", dict(WEB6, persistent=0))
    assert ctl.result("service.list", WEB6)[0]["netmask"] == "/64"
    # the IPv4 and IPv6 services of one address family never mix up
    ctl.result("service.add", {"proto": "tcp", "vip": "32.1.13.184",
                               "port": 80})
    keys = {(x["vip"], x["port"]) for x in ctl.result("service.list")}
    assert {(VIP6, 80), ("32.1.13.184", 80)} <= keys
    ctl.result("service.del", {"proto": "tcp", "vip": "32.1.13.184",
                               "port": 80})
    ctl.result("service.del", WEB6)
    e = ctl.error("service.list", WEB6)
    assert e["code"] == "ENOENT"


@pytest.mark.parametrize("params,code,fragment", [
    (dict(WEB6, vip="::1"), "EINVAL", "params.vip"),
    (dict(WEB6, vip="ff05::1"), "EINVAL", "params.vip"),
    (dict(WEB6, vip="fe80::1"), "EINVAL", "params.vip"),
    (dict(WEB6, vip="::ffff:198.18.0.1"), "EINVAL", "IPv4-mapped"),
    (dict(WEB6, persistent=60, netmask="/129"), "EINVAL", "params.netmask"),
    (dict(WEB6, netmask="/48"), "EINVAL", "only with persistent"),
    (dict(WEB6, flags=["toa"]), "EINVAL", "IPv4 services only"),
    (dict(WEB6, flags=["syn-proxy"]), "EINVAL", "IPv4 services only"),
    (dict(WEB6, half_open_max=10), "EINVAL", "IPv4 services only"),
    ({"proto": "tcp", "vip": "198.18.0.100", "port": 80, "persistent": 9,
      "netmask": "/33"}, "EINVAL", "/0 to /32 for an IPv4 service"),
])
def test_ipv6_service_refusals(ctl, params, code, fragment):
    err(ctl, "service.add", params, code, fragment)


def test_mixed_family_dests_refused_as_ipvs(ctl):
    ctl.result("laddr.add", {"group": "g6", "addr": "2001:db8:1::100"})
    ctl.result("service.add", dict(WEB6, laddr_group="g6"))
    # NAT and DR keep the client's packet: the VIP's family only
    for fwd in ("nat", "dr"):
        err(ctl, "dest.add", dict(WEB6, addr="198.18.1.11", fwd=fwd),
            "EINVAL", "params.addr: %s dests must have the VIP's address "
            "family (IPv6); mixed families are for fnat (NAT64: IPv6 VIP, "
            "IPv4 dests) and tunnel only" % fwd)
    v4 = {"proto": "tcp", "vip": "198.18.0.100", "port": 80}
    ctl.result("laddr.add", {"group": "g4", "addr": "198.18.1.100"})
    ctl.result("service.add", dict(v4, laddr_group="g4"))
    err(ctl, "dest.add", dict(v4, addr="2001:db8:1::11"), "EAFNOSUPPORT",
        "NAT46) is not supported")
    err(ctl, "dest.add", dict(v4, addr="2001:db8:1::11", fwd="nat"),
        "EINVAL", "(IPv4)")
    for fwd in ("nat", "dr"):
        err(ctl, "dest.add", dict(v4, addr="2001:db8:1::11", fwd=fwd),
            "EINVAL", "params.addr: %s dests must have the VIP's address "
            "family (IPv4)" % fwd)
    assert ctl.result("dest.list", v4) == []
    err(ctl, "dest.add", dict(WEB6, addr="fe80::5", fwd="nat"), "EINVAL",
        "params.addr")
    ctl.result("service.del", v4)


def test_ipv4_service_ipv6_tunnel_dest(dplbd, ctl):
    """IPv4 in IPv6 (IPVS's tunnels of the other family): an IPv4
    service takes an IPv6 tunnel dest by the socket and by dplbctl, beside
    IPv4 ones, and lists it; a NAT, DR or full-NAT IPv6 dest of the same
    service is still refused."""
    v4 = {"proto": "tcp", "vip": "198.18.0.100", "port": 80}
    ctl.result("service.add", v4)
    ctl.result("dest.add", dict(v4, addr="2001:db8:1::11", fwd="tunnel"))
    dplbctl(dplbd, "dest", "add", "-t", "198.18.0.100:80", "-r",
            "[2001:db8:1::12]", "-i")
    ctl.result("dest.add", dict(v4, addr="198.18.1.13", fwd="tunnel"))
    assert [(d["addr"], d["port"], d["fwd"])
            for d in ctl.result("dest.list", v4)] == [
        ("2001:db8:1::11", 80, "tunnel"), ("2001:db8:1::12", 80, "tunnel"),
        ("198.18.1.13", 80, "tunnel")]
    out = dplbctl(dplbd, "service", "show", "-t", "198.18.0.100:80").stdout
    assert ["->", "[2001:db8:1::11]:80", "Tunnel", "1", "0", "0"] in \
        [ln.split() for ln in out.splitlines()], out
    p = dplbctl(dplbd, "dest", "add", "-t", "198.18.0.100:80", "-r",
                "[2001:db8:1::14]", "-g", check=1)
    assert "VIP's address family (IPv4)" in p.stderr, p.stderr
    err(ctl, "dest.add", dict(v4, addr="2001:db8:1::15", fwd="tunnel",
                              dport=8080), "EINVAL", "keep the service's port")
    ctl.result("service.del", v4)


def test_ipv6_laddr_group(ctl):
    ctl.result("laddr.add", {"group": "g6", "addr": "2001:db8:1::100"})
    e = ctl.error("laddr.add", {"group": "g7", "addr": "2001:db8:1::100"})
    assert e["code"] == "EEXIST"
    assert e["message"] == "2001:db8:1::100 is in laddr group 'g6' already"
    e = ctl.error("laddr.add", {"group": "g6", "addr": "ff02::2"})
    assert e["code"] == "EINVAL" and "params.addr" in e["message"], e
    ctl.result("laddr.del", {"group": "g6", "addr": "2001:db8:1::100"})
    assert ctl.result("laddr.list", {"group": "g6"})[0]["addresses"] == []


def test_dplbctl_brackets_everywhere(dplbd, ctl):
    dplbctl(dplbd, "laddr", "add", "g6", "2001:db8:1::100")
    dplbctl(dplbd, "laddr", "add", "g6", "198.18.1.100")
    dplbctl(dplbd, "service", "add", "-t", f"[{VIP6}]:80", "-s", "rr",
            "-l", "g6", "-p", "120", "-M", "/48")
    dplbctl(dplbd, "dest", "add", "-t", f"[{VIP6}]:80", "-r",
            "[2001:db8:1::11]:8080", "-w", "2", "-b")
    dplbctl(dplbd, "dest", "add", "-t", f"[{VIP6}]:80", "-r",
            "[2001:db8:1::12]", "-m")
    dplbctl(dplbd, "dest", "add", "-t", f"[{VIP6}]:80", "-r",
            "198.18.1.13:8080", "-b")
    out = dplbctl(dplbd, "service", "show", "-t", f"[{VIP6}]:80").stdout
    lines = out.splitlines()
    assert lines[3] == f"TCP  [{VIP6}]:80 rr persistent 120 mask /48"
    assert lines[4].split() == ["->", "[2001:db8:1::11]:8080", "FullNat",
                                "2", "0", "0"]
    assert lines[5].split() == ["->", "[2001:db8:1::12]:80", "Masq", "1",
                                "0", "0"]
    assert lines[6].split() == ["->", "198.18.1.13:8080", "FullNat", "1",
                                "0", "0"]
    out = dplbctl(dplbd, "lb").stdout
    assert "TCP  [2001:db8:9::1]:80 rr" in out
    assert "UDP  [2001:db8:9::2]:53 sh persistent 60 mask /56" in out
    out = dplbctl(dplbd, "service", "show", "--stats", "-t",
                  f"[{VIP6}]:80").stdout
    assert f"TCP  [{VIP6}]:80" in out and "  -> [2001:db8:1::12]:80" in out
    j = json.loads(dplbctl(dplbd, "-j", "service", "show", "-t",
                           f"[{VIP6}]:80").stdout)
    assert j == ctl.result("service.list", WEB6)
    dplbctl(dplbd, "dest", "edit", "-t", f"[{VIP6}]:80", "-r",
            "[2001:db8:1::12]:80", "-w", "0")
    assert ctl.result("dest.list", WEB6)[1]["weight"] == 0
    dplbctl(dplbd, "dest", "del", "-t", f"[{VIP6}]:80", "-r",
            "[2001:db8:1::12]")
    assert len(ctl.result("dest.list", WEB6)) == 2
    p = dplbctl(dplbd, "dest", "add", "-t", f"[{VIP6}]:80", "-r",
                "198.18.1.14", "-g", check=1)
    assert "VIP's address family" in p.stderr and "(EINVAL)" in p.stderr
    # save, then restore into an empty dplbd state: the same services
    saved = dplbctl(dplbd, "save").stdout
    assert (f"dplbctl service add -t [{VIP6}]:80 -s rr -p 120 -M /48"
            in saved), saved
    assert "dplbctl laddr add g6 2001:db8:1::100" in saved, saved
    before = ctl.result("service.list", WEB6)
    ctl.result("service.del", WEB6)
    rest = subprocess.run([str(DPLBCTL), "-S", dplbd.socket, "restore"],
                          input="\n".join(
                              ln for ln in saved.splitlines()
                              if VIP6 in ln) + "\n",
                          capture_output=True, text=True, timeout=20)
    assert rest.returncode == 0, rest.stderr
    after = ctl.result("service.list", WEB6)
    assert [(d["addr"], d["port"], d["fwd"]) for d in after[0]["dests"]] == \
        [(d["addr"], d["port"], d["fwd"]) for d in before[0]["dests"]]
    assert after[0]["netmask"] == "/48"
    dplbctl(dplbd, "service", "add", "-t", f"[{VIP6}]", check=2)
    dplbctl(dplbd, "service", "del", "-t", f"[{VIP6}]:80")
    assert ctl.error("service.list", WEB6)["code"] == "ENOENT"
