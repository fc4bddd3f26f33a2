# SPDX-License-Identifier: GPL-2.0-or-later
"""IPv6 load balancing and NAT64 in the lab (issue 15), two workers on
net_af_packet (packets steered to their owner as IPv4's): curl -6 through an IPv6 full-NAT service to nginx on the
servers' IPv6 addresses, and through a NAT64 service (IPv6 VIP, IPv4
local address) to nginx on their IPv4 addresses, 20 MB md5-checked; the
servers see the local addresses; the counters and the ipvsadm view
follow."""

import hashlib
import os
import subprocess

import pytest

from labtest import RS1_IP, RS1_IP6, RS2_IP, RS2_IP6, wait_for

LAB_WORKERS = 2

VIP6 = "2001:2::100"
LIP6 = "2001:2:0:1::100"
LIP4 = "198.18.1.100"
V6_PORT = 8080
BIG = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def lb6(lab):
    lab.call("addr.add", {"addr": f"{VIP6}/128", "dev": "dp0"})
    lab.call("addr.add", {"addr": f"{LIP6}/128", "dev": "dp1"})
    lab.call("addr.add", {"addr": f"{LIP4}/32", "dev": "dp1"})
    lab.call("laddr.add", {"group": "lg6", "addr": LIP6})
    lab.call("laddr.add", {"group": "lg6", "addr": LIP4})
    for name, node, addr in (("rs1v6", "rs1", RS1_IP6),
                             ("rs2v6", "rs2", RS2_IP6)):
        lab.start_web(name, node, f"[{addr}]", V6_PORT, name)
    for port, dests in ((80, ((RS1_IP6, V6_PORT), (RS2_IP6, V6_PORT))),
                        (81, ((RS1_IP, 80), (RS2_IP, 80)))):
        lab.call("service.add", {"proto": "tcp", "vip": VIP6, "port": port,
                                 "sched": "rr", "laddr_group": "lg6"})
        for addr, dport in dests:
            lab.call("dest.add", {"proto": "tcp", "vip": VIP6, "port": port,
                                  "addr": addr, "dport": dport,
                                  "fwd": "fnat"})
    return lab


def sources(lab, server):
    with open(f"{lab.state}/{server}/access.log") as f:
        return {line.split()[0] for line in f if line.strip()}


def near(counts, want, slack):
    """Each worker keeps its own rr cursor: a split may differ overall by
    up to slack (test_lb.py)."""
    return (set(counts) == set(want) and
            all(abs(counts[k] - want[k]) <= slack for k in want))


def test_fnat6_curls_round_robin(lb6):
    counts = lb6.curl_counts(f"-6 http://[{VIP6}]/", 100)
    assert near(counts, {"rs1v6": 50, "rs2v6": 50}, 2), counts
    # the servers saw the IPv6 local address, not the client
    assert sources(lb6, "rs1v6") == {LIP6}


def test_nat64_curls_round_robin(lb6):
    counts = lb6.curl_counts(f"-6 http://[{VIP6}]:81/", 100)
    assert near(counts, {"rs1": 50, "rs2": 50}, 2), counts
    assert LIP4 in sources(lb6, "rs1")


def test_nat64_20mb_md5(lb6):
    data = os.urandom(BIG)
    for rs in ("rs1", "rs2"):
        with open(f"{lb6.state}/{rs}/www/big.bin", "wb") as f:
            f.write(data)
    want = hashlib.md5(data).hexdigest()
    for _ in range(4):      # rr per worker: both servers in 4
        r = lb6.run("c", "bash", "-c",
                    f"curl -sS -6 --max-time 60 http://[{VIP6}]:81/big.bin "
                    "| md5sum", timeout=90)
        assert r.stdout.split()[0] == want, r.stdout + r.stderr


def test_both_workers_own_ipv6_connections(lb6):
    before = lb6.workers_stats()
    counts = lb6.curl_counts(f"-6 http://[{VIP6}]/", 40)
    assert sum(counts.get(k, 0) for k in ("rs1v6", "rs2v6")) == 40, counts
    after = lb6.workers_stats()
    new = [a["conns_new"] - b["conns_new"] for a, b in zip(after, before)]
    assert all(n > 0 for n in new) and sum(new) == 40, new
    # the answers to LIP6:lport reach the worker whose slice it is
    assert lb6.steering_drained(), lb6.steered()


def test_ipvsadm_view_counts_ipv6_connections(lb6):
    r = lb6.ctl_cli("lb", "--stats")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    svc = [i for i, l in enumerate(lines)
           if l.startswith(f"TCP  [{VIP6}]:81")]
    assert svc, r.stdout
    conns = int(lines[svc[0]].split()[2])
    assert conns >= 100, lines[svc[0]]
    r = lb6.ctl_cli("service", "show", "-t", f"[{VIP6}]:80")
    assert f"[{RS1_IP6}]:{V6_PORT}" in r.stdout, r.stdout


def test_conn_list_and_flush_ipv6_connections(lb6):
    lb6.curl_counts(f"-6 http://[{VIP6}]/", 6)
    lb6.curl_counts(f"-6 http://[{VIP6}]:81/", 6)
    mine = [c for c in lb6.conns() if c["vip"].startswith(f"[{VIP6}]:")]
    fnat6 = [c for c in mine if c["vip"] == f"[{VIP6}]:80"]
    nat64 = [c for c in mine if c["vip"] == f"[{VIP6}]:81"]
    assert len(fnat6) >= 6 and len(nat64) >= 6, mine
    assert all(c["local"].startswith(f"[{LIP6}]:") and
               c["client"].startswith("[2001:2::") for c in fnat6), fnat6
    assert all(c["local"].startswith(f"{LIP4}:") and
               c["dest"] in (f"{RS1_IP}:80", f"{RS2_IP}:80")
               for c in nat64), nat64
    out = lb6.ctl_cli("conn", "show").stdout
    assert f"[{VIP6}]:81" in out and f"{LIP4}:" in out, out
    # flushed as on expiry: gone from the listing, the dests' counts back
    r = lb6.ctl_cli("conn", "flush", "--proto", "tcp")
    assert r.returncode == 0, r.stderr
    left = [c for c in lb6.conns() if c["vip"].startswith(f"[{VIP6}]:")]
    assert left == [], left
    for port in (80, 81):
        for d in lb6.call("dest.list", {"proto": "tcp", "vip": VIP6,
                                        "port": port}):
            assert d["active_conns"] == 0 and d["inactive_conns"] == 0, d


# A NAT64 server behind rs1 over a 1400-byte link: rs1 routes to it
FAR_PORT = 5400
FAR_LINK = ("10.99.0.1", "10.99.0.2")     # rs1's end, the far server's
FAR_ECHO = r"""
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 5400))
while True:
    data, peer = s.recvfrom(65535)
    s.sendto(data, peer)
"""
# argv: VIP PORT SIZE; prints the echo's length, or "timeout"
UDP6_ONCE = r"""
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(b"x" * int(sys.argv[3]), (sys.argv[1], int(sys.argv[2])))
try:
    print(len(s.recv(65535)))
except socket.timeout:
    print("timeout")
"""


@pytest.fixture
def far_server(lb6):
    far = lb6.ns("far")
    subprocess.run(["ip", "netns", "add", far], check=True)
    echo = None
    try:
        lb6.run("rs1", "ip", "link", "add", "fx0", "mtu", "1400", "type",
                "veth", "peer", "name", "fx1", "mtu", "1400", "netns", far,
                check=True)
        for node, dev, addr in (("rs1", "fx0", FAR_LINK[0]),
                                ("far", "fx1", FAR_LINK[1])):
            lb6.run(node, "ip", "addr", "add", f"{addr}/30", "dev", dev,
                    check=True)
            lb6.run(node, "ip", "link", "set", dev, "up", check=True)
        lb6.run("far", "ip", "link", "set", "lo", "up", check=True)
        lb6.run("far", "ip", "route", "add", "default", "via", FAR_LINK[0],
                check=True)
        lb6.run("rs1", "sysctl", "-qw", "net.ipv4.ip_forward=1", check=True)
        echo = subprocess.Popen(lb6.in_ns("far", "/usr/bin/python3", "-c",
                                          FAR_ECHO))
        lb6.call("route.add", {"dst": f"{FAR_LINK[1]}/32", "via": RS1_IP,
                               "dev": "dp1"})
        lb6.call("service.add", {"proto": "udp", "vip": VIP6,
                                 "port": FAR_PORT, "sched": "rr",
                                 "laddr_group": "lg6"})
        lb6.call("dest.add", {"proto": "udp", "vip": VIP6, "port": FAR_PORT,
                              "addr": FAR_LINK[1], "dport": FAR_PORT,
                              "fwd": "fnat"})
        yield lb6
    finally:
        if echo is not None:
            echo.kill()
            echo.wait()
        lb6.run("rs1", "ip", "link", "del", "fx0")
        subprocess.run(["ip", "netns", "del", far])


def udp6_once(lab, size):
    r = lab.run("c", "/usr/bin/python3", "-c", UDP6_ONCE, VIP6,
                str(FAR_PORT), str(size), timeout=20)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_nat64_packet_too_big_from_a_small_mtu_link(far_server):
    """A 1500-byte IPv6 datagram through NAT64 leaves dplbd as 1480 bytes
    of IPv4 with DF; rs1 cannot forward it over its 1400-byte link and
    answers LIP4 a fragmentation needed of MTU 1400, which dplbd sends
    the client as a packet too big from the VIP of MTU 1420, the quoted
    packet translated back: the client's kernel takes it (its path MTU
    to the VIP drops to 1420)."""
    lab = far_server
    # the path works for what fits, once every neighbour on it is
    # resolved (the first datagram may go while one is not: retried)
    assert wait_for(lambda: udp6_once(lab, 100) == "100", 20), lab.drops()
    related0 = sum(w["icmp_related"] for w in lab.workers_stats())
    udp6_once(lab, 1452)
    r = lab.run("c", "ip", "-6", "route", "get", VIP6, check=True)
    assert "mtu 1420" in r.stdout, (r.stdout, lab.drops())
    assert sum(w["icmp_related"] for w in lab.workers_stats()) > related0
