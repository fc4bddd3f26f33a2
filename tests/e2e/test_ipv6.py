# SPDX-License-Identifier: GPL-2.0-or-later
"""The IPv6 stack (net6/) in the lab, one worker on net_af_packet: ping6
to dplbd's addresses, Neighbor Discovery both ways and the expiry of a
neighbour that stops answering, transit forwarding, hop limit 1, the
kernel twin's share (its link-local address, UDP to an address of
dplbd's that no service takes), and packet too big on a smaller MTU.
The lb namespace's kernel keeps IPv6 off on lb0/lb1: every answer here
is dplbd's or its twin's."""

import json
import subprocess
import time

from labtest import (CLIENT_IP6, DP0_IP6, DP1_IP6, RS1_IP6, RS2_IP6,
                     wait_for)

LAB_WORKERS = 1
# short neighbour timers so that an expiry fits a test
LAB_CONF_EXTRA = ("neigh = { reachable_ms = 1500; retrans_ms = 300; "
                  "probes = 2; };")


def ping6(lab, node, dst, **kw):
    return lab.ping(node, dst, **kw)


def neigh6(lab):
    return {n["ip"]: n for n in lab.neighbours() if ":" in n["ip"]}


def test_ping6_to_dplbd(lab):
    before = lab.lcore_total("icmp_echo_replies")
    r = ping6(lab, "c", DP0_IP6, count=5)
    assert lab.received(r) == 5, r.stdout + r.stderr
    r = ping6(lab, "rs1", DP1_IP6, count=3)
    assert lab.received(r) == 3, r.stdout + r.stderr
    # dplbd answered (the kernel has no IPv6 on lb0/lb1)
    assert lab.lcore_total("icmp_echo_replies") - before >= 8


def test_hosts_resolve_dplbd(lab):
    ports = lab.ports()
    assert lab.received(ping6(lab, "c", DP0_IP6, count=1)) == 1
    out = lab.run("c", "ip", "-j", "-6", "neigh", "show", DP0_IP6,
                  check=True).stdout
    entries = [e for e in json.loads(out) if e.get("dst") == DP0_IP6]
    assert entries and entries[0].get("lladdr") == ports["dp0"]["mac"], \
        entries
    # dplbd answered the solicitations itself
    assert lab.lcore_total("nd_adverts") >= 1


def test_ping6_transit_both_ways(lab):
    for node, dst in (("c", RS1_IP6), ("c", RS2_IP6), ("rs1", CLIENT_IP6)):
        r = ping6(lab, node, dst, count=3)
        assert lab.received(r) == 3, (node, dst, r.stdout + r.stderr)


def test_dplbd_resolves_hosts(lab):
    want = {CLIENT_IP6: ("dp0", lab.mac("c", "c0")),
            RS1_IP6: ("dp1", lab.mac("rs1", "eth0"))}
    assert lab.received(ping6(lab, "c", RS1_IP6, count=2)) == 2
    n = neigh6(lab)
    for ip, (dev, mac) in want.items():
        assert ip in n, f"dplbd has no neighbour {ip}: {n}"
        assert (n[ip]["dev"], n[ip]["mac"]) == (dev, mac), n[ip]
        assert n[ip]["state"] in ("reachable", "stale", "probe"), n[ip]
    r = lab.ctl_cli("neigh", "show")
    assert r.returncode == 0, r.stderr
    assert any(RS1_IP6 in l.split() and want[RS1_IP6][1] in l
               for l in r.stdout.splitlines()), r.stdout


def test_neighbour_expires_when_it_stops_answering(lab):
    assert lab.received(ping6(lab, "c", RS2_IP6, count=2)) == 2
    assert RS2_IP6 in neigh6(lab)
    # keep the address over the link's down and up
    lab.run("rs2", "sysctl", "-qw", "net.ipv6.conf.eth0.keep_addr_on_down=1",
            check=True)
    lab.run("rs2", "ip", "link", "set", "eth0", "down", check=True)
    try:
        # reachable 1.5 s, then 2 unanswered solicitations 0.3 s apart,
        # then failed for 0.6 s: gone
        assert wait_for(lambda: RS2_IP6 not in neigh6(lab), timeout=30), \
            neigh6(lab)
    finally:
        lab.run("rs2", "ip", "link", "set", "eth0", "up", check=True)
        lab.run("rs2", "ip", "-6", "route", "replace", "default", "via",
                DP1_IP6)
    # and it is learnt again
    assert wait_for(lambda: lab.received(ping6(lab, "c", RS2_IP6,
                                               count=1)) == 1, timeout=20)
    assert RS2_IP6 in neigh6(lab)


def test_hop_limit_one_is_time_exceeded(lab):
    before = lab.drops()["ipv6_hop_limit"]
    r = ping6(lab, "c", RS1_IP6, count=2, ttl=1, wait=1)
    assert lab.received(r) == 0, r.stdout
    assert "Time exceeded" in r.stdout and f"From {DP0_IP6}" in r.stdout, \
        r.stdout
    assert wait_for(lambda: lab.drops()["ipv6_hop_limit"] - before >= 2)
    r = ping6(lab, "c", RS1_IP6, count=2, ttl=2)
    assert lab.received(r) == 2, r.stdout + r.stderr


def twin_linklocal(lab):
    out = lab.run("lb", "ip", "-j", "-6", "addr", "show", "dev", "dp0",
                  "scope", "link", check=True).stdout
    return [a["local"] for i in json.loads(out)
            for a in i.get("addr_info", []) if "local" in a][0]


def test_twin_answers_its_link_local_address(lab):
    """Neighbor Discovery and echo for the kernel's own address go
    through dplbd to the twin and back."""
    ll = twin_linklocal(lab)
    to_twin = lab.lcore_total("to_twin")
    r = ping6(lab, "c", f"{ll}%c0", count=3)
    assert lab.received(r) == 3, r.stdout + r.stderr
    assert lab.lcore_total("to_twin") - to_twin >= 4  # NS and 3 echoes


UDP_ECHO6 = r"""
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 9999))
s.settimeout(20)
data, peer = s.recvfrom(2048)
s.sendto(b"twin:" + data, peer)
"""

UDP_ASK6 = r"""
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(2)
for _ in range(5):
    s.sendto(b"hello", (sys.argv[1], 9999))
    try:
        print(s.recvfrom(2048)[0].decode())
        break
    except socket.timeout:
        pass
"""


def test_udp_for_dplbd_reaches_the_kernel_twin(lab):
    """An IPv6 packet to dplbd's address that no service takes is the
    kernel's: UDP to [2001:2::1]:9999 reaches a socket behind the twin,
    and its answer leaves through dplbd."""
    srv = subprocess.Popen(lab.in_ns("lb",
                            "/usr/bin/python3", "-c", UDP_ECHO6, DP0_IP6),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True)
    try:
        time.sleep(0.5)
        to_twin = lab.lcore_total("to_twin")
        r = lab.run("c", "/usr/bin/python3", "-c", UDP_ASK6, DP0_IP6,
                    timeout=20)
        assert r.stdout.strip() == "twin:hello", (r.stdout, r.stderr)
        assert lab.lcore_total("to_twin") > to_twin
        assert lab.lcore_total("from_twin") > 0
    finally:
        srv.kill()
        srv.wait()


def restart_with_dp1_mtu(lab, mtu):
    from dplbd import Dplbd  # tests/pylib

    text = lab.config_text().replace('twin = "dp1";',
                                     f'twin = "dp1";\n    mtu = {mtu};')
    assert f"mtu = {mtu};" in text
    lab.stop_dplbd()
    d = Dplbd(text, netns=lab.ns("lb"))
    d.start()
    lab.dplbd = d
    lab._record_pid(d)


def test_packet_too_big_on_a_smaller_mtu(lab):
    """Last in the module: dplbd restarts with dp1's MTU at 1400.  A
    1500-byte packet toward rs1 draws a packet too big of MTU 1400; the
    client then sends fragments that fit, which dplbd routes."""
    restart_with_dp1_mtu(lab, 1400)
    # the veth of dp1 now takes 1400 bytes at most: rs1's replies too
    lab.run("rs1", "ip", "link", "set", "eth0", "mtu", "1400", check=True)
    # iputils' ping6 of 1452 data bytes
    r = lab.run("c", "ping", "-n", "-c", "4", "-i", "0.5", "-W", "2", "-s",
                "1452", RS1_IP6, timeout=40)
    assert "Packet too big: mtu=1400" in r.stdout, r.stdout + r.stderr
    assert lab.drops()["too_big"] >= 1
    assert lab.received(r) >= 2, r.stdout
