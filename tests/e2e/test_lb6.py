# SPDX-License-Identifier: GPL-2.0-or-later
"""IPv6 load balancing and NAT64 in the lab (issue 15), two workers on
net_af_packet (packets steered to their owner as IPv4's): curl -6 through an IPv6 full-NAT service to nginx on the
servers' IPv6 addresses, and through a NAT64 service (IPv6 VIP, IPv4
local address) to nginx on their IPv4 addresses, 20 MB md5-checked; the
servers see the local addresses; the counters and the ipvsadm view
follow."""

import hashlib
import os

import pytest

from labtest import RS1_IP, RS1_IP6, RS2_IP, RS2_IP6

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
    assert sum(w["steered_out"] for w in after) == \
        sum(w["steered_in"] for w in after)


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
