# SPDX-License-Identifier: GPL-2.0-or-later
"""The load balancer's control verbs against a real dplbd (one net_null
port, two workers, no hugepages): service.*, dest.*, laddr.*, stats.*
with the shapes and errors of docs/control-protocol.md, services from
the config file, and dplbctl's ipvsadm-style views and exit codes.
Run as root: /usr/bin/python3 -m pytest tests/ctl/test_services.py
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
VERSION = (REPO / "VERSION").read_text().strip()

CONFIG = NULL_PORT_2W + """laddr_groups = ( { name = "cfg"; addresses = [ "198.18.9.100" ]; } );
services = (
  { proto = "tcp"; vip = "198.18.9.1"; port = 80; sched = "rr";
    laddr_group = "cfg";
    dests = ( { addr = "198.18.9.11"; port = 8080; weight = 2; fwd = "fnat"; } ); }
);
"""

VIP = "198.18.0.100"
WEB = {"proto": "tcp", "vip": VIP, "port": 80}
CFG_SVC = {"proto": "tcp", "vip": "198.18.9.1", "port": 80}


@pytest.fixture
def ctl(dplbd):
    c = dplbd.connect()
    yield c
    # each test starts from the config's state: only its service stays
    c.keep_only([CFG_SVC], ["cfg"])
    c.close()
    assert dplbd.alive(), f"dplbd died:\n{dplbd.stderr}"


def err(ctl, method, params=None, code=None):
    e = ctl.error(method, params)
    assert set(e) >= {"code", "errno", "message"}, e
    if code is not None:
        assert e["code"] == code, (method, params, e)
    return e


def svc(ctl, key):
    r = ctl.result("service.list", key)
    assert len(r) == 1
    return r[0]


def web(ctl, **attrs):
    ctl.result("laddr.add", {"group": "lg1", "addr": "198.18.1.100"})
    r = ctl.result("service.add", dict(WEB, sched="rr", laddr_group="lg1",
                                       **attrs))
    assert isinstance(r["id"], int) and r["id"] > 0
    return r["id"]


def dplbctl(dplbd, *args, check=None):
    p = subprocess.run([str(DPLBCTL), "-S", dplbd.socket, *args],
                       capture_output=True, text=True, timeout=20)
    if check is not None:
        assert p.returncode == check, (args, p.returncode, p.stdout,
                                       p.stderr)
    return p


# ---------------------------------------------------------------- config

def test_config_services_applied(ctl):
    s = svc(ctl, CFG_SVC)
    assert s["sched"] == "rr" and s["laddr_group"] == "cfg"
    assert [(d["addr"], d["port"], d["weight"], d["fwd"])
            for d in s["dests"]] == [("198.18.9.11", 8080, 2, "fnat")]
    g = ctl.result("laddr.list", {"group": "cfg"})
    assert g[0]["addresses"] == ["198.18.9.100"] and g[0]["services"] == 1
    c = ctl.result("config.show")
    assert c["laddr_groups"] == [{"name": "cfg",
                                  "addresses": ["198.18.9.100"]}]
    assert c["services"][0]["vip"] == "198.18.9.1"
    assert c["services"][0]["dests"][0]["port"] == 8080


# ---------------------------------------------------------------- services

def test_service_add_list_edit_del(ctl):
    sid = web(ctl, flags=["sh-port"], persistent=300,
              netmask="255.255.255.0")
    s = svc(ctl, WEB)
    assert s == {"id": sid, "proto": "tcp", "vip": VIP, "port": 80,
                 "sched": "rr", "flags": ["sh-port"], "persistent": 300,
                 "netmask": "255.255.255.0", "laddr_group": "lg1",
                 "half_open_max": 0, "conn_rate": 0, "conn_rate_prefix": 24,
                 "dests": []}
    # the errno contract keepalived relies on
    e = err(ctl, "service.add", dict(WEB, sched="wrr"), "EEXIST")
    assert e["errno"] == 17
    assert e["message"] == f"service tcp {VIP}:80 exists already"
    # edit changes what it is given, keeps the rest and the id
    assert ctl.result("service.edit", dict(WEB, sched="wlc")) == {}
    s = svc(ctl, WEB)
    assert (s["id"], s["sched"], s["persistent"], s["flags"]) == \
        (sid, "wlc", 300, ["sh-port"])
    ctl.result("service.edit", dict(WEB, persistent=0, flags=[]))
    s = svc(ctl, WEB)
    assert (s["persistent"], s["netmask"], s["flags"]) == \
        (0, "255.255.255.255", [])
    assert ctl.result("service.del", WEB) == {}
    e = err(ctl, "service.del", WEB, "ENOENT")
    assert e["errno"] == 2 and e["message"] == f"no service tcp {VIP}:80"
    err(ctl, "service.edit", dict(WEB, sched="rr"), "ENOENT")
    err(ctl, "service.list", WEB, "ENOENT")
    # a new service, a new id; udp is another service
    assert ctl.result("service.add", WEB)["id"] != sid
    ctl.result("service.add", dict(WEB, proto="udp",
                                   flags=["one-packet"]))
    assert svc(ctl, dict(WEB, proto="udp"))["sched"] == "wlc"


def test_service_port0_and_flush(ctl):
    ctl.result("service.add", {"proto": "tcp", "vip": VIP, "port": 0})
    ctl.result("service.add", WEB)
    keys = {(s["vip"], s["port"]) for s in ctl.result("service.list")}
    assert {(VIP, 0), (VIP, 80)} <= keys
    n = len(ctl.result("service.list"))
    assert ctl.result("service.flush") == {"flushed": n}
    assert ctl.result("service.list") == []
    # bring the config's service back for the other tests
    ctl.result("service.add", dict(CFG_SVC, sched="rr", laddr_group="cfg"))
    ctl.result("dest.add", dict(CFG_SVC, addr="198.18.9.11", dport=8080,
                                weight=2))


@pytest.mark.parametrize("params,code,fragment", [
    (dict(WEB, proto="sctp"), "EINVAL", "params.proto"),
    (dict(WEB, vip="nope"), "EINVAL", "params.vip"),
    (dict(WEB, vip="ff02::1"), "EINVAL", "params.vip"),
    (dict(WEB, vip="224.0.0.1"), "EINVAL", "params.vip"),
    (dict(WEB, port=65536), "EINVAL", "params.port"),
    ({"proto": "tcp", "vip": VIP}, "EINVAL", "params.port"),
    (dict(WEB, sched="fastest"), "EINVAL", "params.sched"),
    (dict(WEB, flags="sh-port"), "EINVAL", "params.flags"),
    (dict(WEB, flags=["sh-prt"]), "EINVAL", "params.flags"),
    (dict(WEB, flags=["one-packet"]), "EINVAL", "params.flags"),
    (dict(WEB, netmask="255.255.255.0"), "EINVAL", "params.netmask"),
    (dict(WEB, persistent=300, netmask="255.0.255.0"), "EINVAL",
     "params.netmask"),
    (dict(WEB, persistent=-1), "EINVAL", "params.persistent"),
    (dict(WEB, laddr_group="nope"), "ENOENT", "params.laddr_group"),
    (dict(WEB, bogus=1), "EINVAL", "bogus"),
])
def test_service_add_invalid(ctl, params, code, fragment):
    e = err(ctl, "service.add", params, code)
    assert fragment in e["message"], e
    err(ctl, "service.list", WEB, "ENOENT")


# ---------------------------------------------------------------- dests

def test_dest_add_list_edit_del(ctl):
    web(ctl)
    d = dict(WEB, addr="198.18.1.11")
    assert ctl.result("dest.add", d) == {}
    # dport 0 (or absent) is the service's port: the same dest
    e = err(ctl, "dest.add", dict(d, dport=80), "EEXIST")
    assert e["message"] == (f"dest 198.18.1.11:80 of service tcp {VIP}:80 "
                            "exists already")
    ctl.result("dest.add", dict(WEB, addr="198.18.1.12", dport=8080,
                                weight=5, u_threshold=100, l_threshold=50))
    ds = ctl.result("dest.list", WEB)
    assert ds == [
        {"addr": "198.18.1.11", "port": 80, "weight": 1, "fwd": "fnat",
         "u_threshold": 0, "l_threshold": 0, "active_conns": 0,
         "inactive_conns": 0, "persistent_conns": 0, "overloaded": False},
        {"addr": "198.18.1.12", "port": 8080, "weight": 5, "fwd": "fnat",
         "u_threshold": 100, "l_threshold": 50, "active_conns": 0,
         "inactive_conns": 0, "persistent_conns": 0, "overloaded": False}]
    assert svc(ctl, WEB)["dests"] == ds
    # edit: weight 0 is quiescent, the rest stays
    ctl.result("dest.edit", dict(WEB, addr="198.18.1.12", dport=8080,
                                 weight=0))
    d2 = ctl.result("dest.list", WEB)[1]
    assert (d2["weight"], d2["u_threshold"]) == (0, 100)
    err(ctl, "dest.edit", dict(WEB, addr="198.18.1.12", weight=1), "ENOENT")
    assert ctl.result("dest.del", dict(WEB, addr="198.18.1.12",
                                       dport=8080)) == {}
    e = err(ctl, "dest.del", dict(WEB, addr="198.18.1.12", dport=8080),
            "ENOENT")
    assert e["message"] == (f"no dest 198.18.1.12:8080 in service tcp "
                            f"{VIP}:80")
    err(ctl, "dest.add", dict(WEB, port=81, addr="198.18.1.11"), "ENOENT")
    err(ctl, "dest.list", dict(WEB, port=81), "ENOENT")


def test_dest_invalid(ctl):
    ctl.result("service.add", WEB)      # no laddr group
    e = err(ctl, "dest.add", dict(WEB, addr="198.18.1.11"), "EINVAL")
    assert "full-NAT" in e["message"] and "laddr_group" in e["message"]
    ctl.result("dest.add", dict(WEB, addr="198.18.1.11", fwd="nat"))
    e = err(ctl, "dest.add", dict(WEB, addr="198.18.1.12", dport=8080,
                                  fwd="dr"), "EINVAL")
    assert "params.dport" in e["message"]
    ctl.result("dest.add", dict(WEB, addr="198.18.1.12", fwd="dr"))
    ctl.result("dest.add", dict(WEB, addr="198.18.1.13", fwd="tunnel"))
    err(ctl, "dest.add", dict(WEB, addr="198.18.1.14", fwd="masq"), "EINVAL")
    err(ctl, "dest.add", dict(WEB, addr="198.18.1.14", fwd="nat",
                              weight=65536), "EINVAL")
    err(ctl, "dest.add", dict(WEB, addr="198.18.1.14", fwd="nat",
                              u_threshold=1, l_threshold=2), "EINVAL")
    e = err(ctl, "dest.add", dict(WEB, addr="2001:db8::1", fwd="nat"),
            "EINVAL")
    assert "VIP's address family" in e["message"], e
    err(ctl, "dest.add", dict(WEB, addr="198.18.1.14", wieght=1), "EINVAL")
    assert [d["fwd"] for d in ctl.result("dest.list", WEB)] == \
        ["nat", "dr", "tunnel"]


# ---------------------------------------------------------------- laddr

def test_laddr(ctl):
    assert ctl.result("laddr.add", {"group": "lg1",
                                    "addr": "198.18.1.100"}) == {}
    ctl.result("laddr.add", {"group": "lg1", "addr": "198.18.1.101"})
    e = err(ctl, "laddr.add", {"group": "lg2", "addr": "198.18.1.100"},
            "EEXIST")
    assert e["message"] == "198.18.1.100 is in laddr group 'lg1' already"
    err(ctl, "laddr.add", {"group": "lg1"}, "EEXIST")
    err(ctl, "laddr.add", {"group": "a b"}, "EINVAL")
    g = ctl.result("laddr.list", {"group": "lg1"})
    assert len(g) == 1
    assert g[0]["addresses"] == ["198.18.1.100", "198.18.1.101"]
    assert g[0]["services"] == 0
    # two workers: each owns half of 1024-65535
    assert g[0]["ports"] == [{"worker": 0, "lo": 1024, "hi": 33279},
                             {"worker": 1, "lo": 33280, "hi": 65535}]
    ctl.result("service.add", dict(WEB, laddr_group="lg1"))
    e = err(ctl, "laddr.del", {"group": "lg1"}, "EBUSY")
    assert e["message"] == "laddr group 'lg1' is used by 1 service(s)"
    assert ctl.result("laddr.del", {"group": "lg1",
                                    "addr": "198.18.1.100"}) == {}
    err(ctl, "laddr.del", {"group": "lg1", "addr": "198.18.1.100"}, "ENOENT")
    err(ctl, "laddr.del", {"group": "nope"}, "ENOENT")
    err(ctl, "laddr.list", {"group": "nope"}, "ENOENT")
    ctl.result("service.del", WEB)
    assert ctl.result("laddr.del", {"group": "lg1"}) == {}
    assert [g["group"] for g in ctl.result("laddr.list")] == ["cfg"]


# ---------------------------------------------------------------- stats

ZERO = {"conns": 0, "inpkts": 0, "outpkts": 0, "inbytes": 0, "outbytes": 0}
NO_RATE = {"cps": 0, "inpps": 0, "outpps": 0, "inbps": 0, "outbps": 0}


def test_stats(ctl):
    web(ctl)
    ctl.result("dest.add", dict(WEB, addr="198.18.1.11"))
    r = ctl.result("stats.show", WEB)
    assert r == [{"id": svc(ctl, WEB)["id"], "proto": "tcp", "vip": VIP,
                  "port": 80, "stats": ZERO, "rate": NO_RATE,
                  "dests": [{"addr": "198.18.1.11", "port": 80,
                             "stats": ZERO, "rate": NO_RATE}]}]
    everything = ctl.result("stats.show")
    assert {(s["vip"], s["port"]) for s in everything} >= \
        {(VIP, 80), ("198.18.9.1", 80)}
    assert ctl.result("stats.zero", WEB) == {}
    assert ctl.result("stats.zero") == {}
    err(ctl, "stats.show", dict(WEB, port=81), "ENOENT")
    err(ctl, "stats.zero", dict(WEB, port=81), "ENOENT")
    err(ctl, "stats.show", {"proto": "tcp"}, "EINVAL")


LB_VERBS = ["service.add", "service.edit", "service.del", "service.list",
            "service.flush", "dest.add", "dest.edit", "dest.del",
            "dest.list", "laddr.add", "laddr.del", "laddr.list",
            "stats.show", "stats.zero"]


@pytest.mark.parametrize("method", LB_VERBS)
def test_unknown_param_rejected(ctl, method):
    e = err(ctl, method, {"bogus_key": 1}, "EINVAL")
    assert "bogus_key" in e["message"], e


# ---------------------------------------------------------------- dplbctl

def test_dplbctl_ipvsadm_view(dplbd, ctl):
    dplbctl(dplbd, "laddr", "add", "lg1", "198.18.1.100", check=0)
    dplbctl(dplbd, "service", "add", "-t", f"{VIP}:80", "-s", "rr",
            "-l", "lg1", check=0)
    dplbctl(dplbd, "dest", "add", "-t", f"{VIP}:80", "-r", "198.18.1.11:80",
            "-w", "1", "-b", check=0)
    dplbctl(dplbd, "dest", "add", "-t", f"{VIP}:80", "-r", "198.18.1.12",
            "-w", "3", "-m", check=0)
    dplbctl(dplbd, "service", "add", "-u", f"{VIP}:53", "-s", "sh",
            "-b", "sh-port,sh-fallback", "-o", "-p", "60", "-M",
            "255.255.255.0", check=0)
    dplbctl(dplbd, "dest", "add", "-u", f"{VIP}:53", "-r", "198.18.1.13",
            "-g", check=0)
    size = ctl.call("hello")["result"]["conn_table_size"]
    assert size > 0
    out = dplbctl(dplbd, "service", "show", "-t", f"{VIP}:80",
                  check=0).stdout
    assert out == (
        f"IP Virtual Server version dplb {VERSION} (size={size})\n"
        "Prot LocalAddress:Port Scheduler Flags\n"
        "  -> RemoteAddress:Port           Forward Weight ActiveConn "
        "InActConn\n"
        f"TCP  {VIP}:80 rr\n"
        "  -> 198.18.1.11:80               FullNat 1      0          0"
        "         \n"
        "  -> 198.18.1.12:80               Masq    3      0          0"
        "         \n")
    out = dplbctl(dplbd, "lb", check=0).stdout
    assert (f"UDP  {VIP}:53 sh persistent 60 mask 255.255.255.0 ops "
            "(sh-fallback,sh-port)\n"
            "  -> 198.18.1.13:53               Route   1      0          0"
            ) in out
    assert "TCP  198.18.9.1:80 rr\n" in out
    out = dplbctl(dplbd, "service", "show", "--stats", "-t", f"{VIP}:80",
                  check=0).stdout
    assert out == (
        f"IP Virtual Server version dplb {VERSION} (size={size})\n"
        "Prot LocalAddress:Port               Conns   InPkts  OutPkts  "
        "InBytes OutBytes\n"
        "  -> RemoteAddress:Port\n"
        f"TCP  {VIP}:80                     0        0        0        0"
        "        0\n"
        "  -> 198.18.1.11:80                      0        0        0"
        "        0        0\n"
        "  -> 198.18.1.12:80                      0        0        0"
        "        0        0\n")
    # --json anywhere after the command, or globally
    j = json.loads(dplbctl(dplbd, "service", "show", "-t", f"{VIP}:80",
                           "--json", check=0).stdout)
    assert j == ctl.result("service.list", WEB)
    j = json.loads(dplbctl(dplbd, "-j", "laddr", "show", "lg1",
                           check=0).stdout)
    assert j[0]["addresses"] == ["198.18.1.100"]
    out = dplbctl(dplbd, "laddr", check=0).stdout
    assert out.splitlines()[0].split() == ["GROUP", "SERVICES", "ADDRESSES",
                                           "CONNS", "EARLY-REUSE", "NEEDED",
                                           "PORTS", "PER", "WORKER"]
    assert "lg1" in out and "0:1024-33279 1:33280-65535" in out
    out = dplbctl(dplbd, "dest", "show", "-t", f"{VIP}:80", check=0).stdout
    assert "198.18.1.12:80               Masq    3" in out

    # edit and delete
    dplbctl(dplbd, "dest", "edit", "-t", f"{VIP}:80", "-r", "198.18.1.12",
            "-w", "0", check=0)
    assert ctl.result("dest.list", WEB)[1]["weight"] == 0
    assert ctl.result("dest.list", WEB)[1]["fwd"] == "nat"
    dplbctl(dplbd, "service", "edit", "-t", f"{VIP}:80", "-s", "wrr",
            check=0)
    assert svc(ctl, WEB)["sched"] == "wrr"
    dplbctl(dplbd, "dest", "del", "-t", f"{VIP}:80", "-r", "198.18.1.12",
            check=0)
    dplbctl(dplbd, "service", "zero", check=0)
    dplbctl(dplbd, "service", "del", "-u", f"{VIP}:53", check=0)
    err(ctl, "service.list", dict(WEB, proto="udp", port=53), "ENOENT")


def test_dplbctl_errors(dplbd, ctl):
    dplbctl(dplbd, "service", "add", "-t", f"{VIP}:80", check=0)
    p = dplbctl(dplbd, "service", "add", "-t", f"{VIP}:80", check=1)
    assert p.stderr == (f"dplbctl: service tcp {VIP}:80 exists already "
                        "(EEXIST)\n")
    p = dplbctl(dplbd, "service", "del", "-t", f"{VIP}:81", check=1)
    assert "(ENOENT)" in p.stderr
    # usage errors: exit 2, nothing sent
    dplbctl(dplbd, "service", "add", "-t", VIP, check=2)
    dplbctl(dplbd, "service", "add", "-s", "rr", check=2)
    dplbctl(dplbd, "service", "add", "-t", f"{VIP}:80", "-u", f"{VIP}:80",
            check=2)
    dplbctl(dplbd, "service", "bogus", check=2)
    dplbctl(dplbd, "dest", "add", "-t", f"{VIP}:80", check=2)
    dplbctl(dplbd, "dest", "add", "-t", f"{VIP}:80", "-r", "x", check=2)
    dplbctl(dplbd, "dest", "add", "-t", f"{VIP}:80", "-r", "198.18.1.1",
            "-m", "-g", check=2)
    dplbctl(dplbd, "dest", "del", "-t", f"{VIP}:80", "-r", "198.18.1.1",
            "-w", "2", check=2)
    dplbctl(dplbd, "laddr", "add", check=2)
    dplbctl(dplbd, "laddr", "add", "lg1", "nope", check=2)
    for cmd in ("service", "lb", "dest", "laddr"):
        p = dplbctl(dplbd, cmd, "--help", check=0)
        assert p.stdout.startswith("Usage: dplbctl " + cmd), p.stdout


def test_tcp_proxy_flags_and_limits(ctl):
    """The flags of docs/tcp-proxy.md by name and by keepalived's params,
    the limits, and what is refused."""
    assert {"synproxy", "proxy-protocol", "toa", "syn-limits"} <= \
        set(ctl.result("hello")["capabilities"])
    web(ctl, flags=["syn-proxy", "toa"], half_open_max=100, conn_rate=50,
        conn_rate_prefix=16)
    s = svc(ctl, WEB)
    assert s["flags"] == ["toa", "syn-proxy"], s
    assert (s["half_open_max"], s["conn_rate"], s["conn_rate_prefix"]) == \
        (100, 50, 16)
    # keepalived sends flags, then syn_proxy / proxy_protocol / toa
    ctl.result("service.edit", dict(WEB, flags=["sh-port"], syn_proxy=True,
                                    proxy_protocol="v2", toa=False))
    assert svc(ctl, WEB)["flags"] == ["sh-port", "proxy-protocol-v2",
                                      "syn-proxy"]
    ctl.result("service.edit", dict(WEB, proxy_protocol="v1"))
    assert "proxy-protocol-v1" in svc(ctl, WEB)["flags"]
    ctl.result("service.edit", dict(WEB, proxy_protocol="none",
                                    syn_proxy=False))
    assert svc(ctl, WEB)["flags"] == ["sh-port"]
    err(ctl, "service.edit", dict(WEB, proxy_protocol="v3"), "EINVAL")
    err(ctl, "service.edit", dict(WEB, syn_proxy="yes"), "EINVAL")
    err(ctl, "service.edit", dict(WEB, conn_rate_prefix=33), "EINVAL")
    err(ctl, "service.edit", dict(WEB, flags=["proxy-protocol-v1",
                                              "proxy-protocol-v2"]),
        "EINVAL")
    e = err(ctl, "service.add", {"proto": "udp", "vip": VIP, "port": 53,
                                 "flags": ["syn-proxy"]}, "EINVAL")
    assert "TCP services only" in e["message"], e
    ctl.result("service.del", WEB)


def test_udp_proxy_protocol_v2_only(dplbd, ctl, tmp_path):
    """UDP services take the PROXY protocol v2 (the header in front of a
    connection's first datagram) by flag, keepalived's param and dplbctl;
    v1 (TCP-only by its spec) is refused by each with the reason, and by
    dplbd.conf with its file and line."""
    dns = {"proto": "udp", "vip": VIP, "port": 53}
    ctl.result("laddr.add", {"group": "lg1", "addr": "198.18.1.100"})
    ctl.result("service.add", dict(dns, laddr_group="lg1",
                                   flags=["proxy-protocol-v2"]))
    assert svc(ctl, dns)["flags"] == ["proxy-protocol-v2"]
    ctl.result("service.edit", dict(dns, proxy_protocol="none"))
    assert svc(ctl, dns)["flags"] == []
    ctl.result("service.edit", dict(dns, proxy_protocol="v2"))
    assert svc(ctl, dns)["flags"] == ["proxy-protocol-v2"]
    for params in (dict(dns, proxy_protocol="v1"),
                   dict(dns, flags=["proxy-protocol-v1"])):
        e = err(ctl, "service.edit", params, "EINVAL")
        assert "proxy-protocol-v1 is for TCP services only" in \
            e["message"] and "proxy-protocol-v2" in e["message"], e
    assert svc(ctl, dns)["flags"] == ["proxy-protocol-v2"]  # unchanged
    e = err(ctl, "service.add", dict(dns, port=54, proxy_protocol="v1"),
            "EINVAL")
    assert "proxy-protocol-v1 is for TCP services only" in e["message"], e
    e = err(ctl, "service.add", dict(dns, port=54, toa=True), "EINVAL")
    assert "toa and syn-proxy are for TCP services only" in e["message"], e
    # dplbctl: v2 accepted, v1 refused with dplbd's reason
    dplbctl(dplbd, "service", "add", "-u", f"{VIP}:55", "-l", "lg1",
            "--proxy-protocol", "v2", check=0)
    assert svc(ctl, dict(dns, port=55))["flags"] == ["proxy-protocol-v2"]
    p = dplbctl(dplbd, "service", "add", "-u", f"{VIP}:56", "-l", "lg1",
                "--proxy-protocol", "v1")
    assert p.returncode != 0 and "proxy-protocol-v1 is for TCP services " \
        "only" in p.stderr, p
    ctl.result("service.del", dns)
    ctl.result("service.del", dict(dns, port=55))
    # dplbd.conf
    conf = tmp_path / "dplbd.conf"
    conf.write_text('services = (\n  { proto = "udp"; vip = "198.18.0.100";'
                    ' port = 53;\n    flags = [ "proxy-protocol-v1" ]; }\n'
                    ');\n')
    r = subprocess.run([str(DPLBD), "--check-config", "-c", str(conf)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r
    assert f"{conf}:3: services.[0].flags: proxy-protocol-v1 is for TCP " \
        "services only" in r.stderr, r.stderr
