# SPDX-License-Identifier: GPL-2.0-or-later
"""The patched keepalived drives dplbd for IPv6 (issue 15, item 5), one
lb, one worker (a full-NAT IPv6 answer is not steered to another worker
yet, see test_lb6.py): an IPv6 full-NAT virtual server with IPv6 real
servers and persistence_granularity, a NAT64 one (IPv6 VIP, IPv4 real
servers, lb_kind FNAT) and an IPv6 local_address_group are pushed; curl
-6 goes through both; HTTP_GET and TCP_CHECK against IPv6 real servers
(run from keepalived's namespace, through dplbd's twin as for IPv4) take
a stopped server out and put it back; keepalived's own IPv6 sample
(doc/samples/keepalived.conf.IPv6) loads into dplbd."""

import time

import pytest

from katest import KEEPALIVED, Keepalived
from labtest import (REPO, RS1_IP, RS1_IP6, RS2_IP, RS2_IP6, wait_for)
from test_keepalived import CurlLoop

LAB_WORKERS = 1

VIP6 = "2001:2::100"
LIP6 = "2001:2:0:1::100"
LIP4 = "198.18.1.100"
V6_PORT = 8080
SAMPLE = (REPO / "build" / "keepalived" / "keepalived-2.2.7" / "doc" /
          "samples" / "keepalived.conf.IPv6")

pytestmark = pytest.mark.skipif(not KEEPALIVED.exists(),
                                reason="make keepalived first")


def sample_services():
    """keepalived's IPv6 sample without its global_defs block."""
    text = SAMPLE.read_text()
    start = text.index("virtual_server_group")
    return text[start:]


def conf(sock):
    return f"""
global_defs {{
    router_id e2e6
    dplbd_socket {sock}
}}
local_address_group lg6 {{
    {LIP6} dp1
    {LIP4} dp1
}}
virtual_server {VIP6} 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind FNAT
    laddr_group_name lg6
    protocol TCP
    real_server {RS1_IP6} {V6_PORT} {{
        weight 1
        HTTP_GET {{
            url {{ path / status_code 200 }}
            connect_timeout 1
            retry 0
        }}
    }}
    real_server {RS2_IP6} {V6_PORT} {{
        weight 1
        TCP_CHECK {{ connect_timeout 1 retry 0 }}
    }}
}}
virtual_server {VIP6} 81 {{
    delay_loop 1
    lb_algo rr
    lb_kind FNAT
    laddr_group_name lg6
    protocol TCP
    persistence_timeout 30
    persistence_granularity 48
    real_server {RS1_IP} 80 {{
        TCP_CHECK {{ connect_timeout 1 retry 0 }}
    }}
    real_server {RS2_IP} 80 {{
        TCP_CHECK {{ connect_timeout 1 retry 0 }}
    }}
}}
{sample_services()}
"""


def svc(lab, port, vip=VIP6):
    try:
        return lab.call("service.list", {"proto": "tcp", "vip": vip,
                                         "port": port})[0]
    except Exception:  # not there (yet)
        return None


def dests(lab, port):
    s = svc(lab, port)
    return None if s is None else {d["addr"]: d for d in s["dests"]}


@pytest.fixture(scope="module")
def ka6(lab):
    assert SAMPLE.is_file(), f"{SAMPLE}: make keepalived first"
    lab.call("addr.add", {"addr": f"{VIP6}/128", "dev": "dp0"})
    for name, node, addr in (("rs1v6", "rs1", RS1_IP6),
                             ("rs2v6", "rs2", RS2_IP6)):
        lab.start_web(name, node, f"[{addr}]", V6_PORT, name)
    k = Keepalived(lab, "keepalived6", "lb", conf(lab.sock)).start()
    assert wait_for(lambda: (dests(lab, 80) or {}).keys() ==
                    {RS1_IP6, RS2_IP6} and
                    (dests(lab, 81) or {}).keys() == {RS1_IP, RS2_IP}, 15), \
        k.text()[-3000:]
    yield k
    k.stop()


def test_ipv6_and_nat64_services_pushed(lab, ka6):
    s = svc(lab, 80)
    assert (s["sched"], s["laddr_group"]) == ("rr", "lg6")
    assert {(d["port"], d["fwd"]) for d in s["dests"]} == {(V6_PORT, "fnat")}
    n64 = svc(lab, 81)
    assert (n64["persistent"], n64["netmask"]) == (30, "/48")
    assert {d["fwd"] for d in n64["dests"]} == {"fnat"}
    g = lab.call("laddr.list", {"group": "lg6"})[0]
    assert g["addresses"] == [LIP6, LIP4]
    addrs = lab.call("addr.list")
    assert {"dev": "dp1", "addr": f"{LIP6}/128"} in addrs
    assert {"dev": "dp1", "addr": f"{LIP4}/32"} in addrs


def test_curl6_through_fnat6_and_nat64(lab, ka6):
    counts = lab.curl_counts(f"-6 http://[{VIP6}]/", 20)
    assert counts == {"rs1v6": 10, "rs2v6": 10}, counts
    # persistence per /48: one client, one server
    counts = lab.curl_counts(f"-6 http://[{VIP6}]:81/", 10)
    assert len(counts) == 1 and set(counts) <= {"rs1", "rs2"}, counts


def test_keepalived_ipv6_sample_loaded(lab, ka6):
    """The sample's NAT service (persistence 50 s, IPv6 netmask /128 by
    default) is in dplbd; its SMTP_CHECK finds no mail server on ae00::10
    and takes the real server out."""
    s = svc(lab, 80, vip="ae00::1")
    assert s is not None, ka6.text()[-3000:]
    assert (s["sched"], s["persistent"], s["netmask"]) == ("rr", 50, "/128")
    assert wait_for(lambda: (svc(lab, 80, vip="ae00::1") or
                             {"dests": [1]})["dests"] == [], 30), \
        ka6.text()[-3000:]


@pytest.mark.parametrize("server,check", [("rs1v6", "HTTP_GET"),
                                          ("rs2v6", "TCP_CHECK")])
def test_checker_removes_and_restores_ipv6(lab, ka6, server, check):
    ip = RS1_IP6 if server == "rs1v6" else RS2_IP6
    node = server[:3]
    other = "rs2v6" if server == "rs1v6" else "rs1v6"
    with CurlLoop(lab, f"http://[{VIP6}]/") as loop:   # IPv6 literal
        time.sleep(0.5)
        t_stop = time.monotonic()
        lab.sh("stop", server)
        t_stopped = time.monotonic()
        assert wait_for(lambda: ip not in (dests(lab, 80) or {ip: 0}), 15,
                        0.05), ka6.text()[-2000:]
        t_gone = time.monotonic() - t_stop
        time.sleep(1.0)
        lab.start_web(server, node, f"[{ip}]", V6_PORT, server)
        t_start = time.monotonic()
        assert wait_for(lambda: ip in (dests(lab, 80) or {}), 15, 0.05), \
            ka6.text()[-2000:]
        time.sleep(1.0)
    res = loop.results
    assert len(res) >= 10, res
    failed, cut = loop.failed(t_stop, t_stopped)
    assert not failed, (failed, t_stop, ka6.text()[-2000:])
    during = {r[2] for r in res if t_stop + t_gone + 0.2 < r[0] < t_start}
    assert during == {other}, during
    print(f"\n{check}: {server} out {t_gone:.2f} s after its stop; "
          f"{len(res)} curls -6, 0 failed, {len(cut)} cut by the server's stop")
