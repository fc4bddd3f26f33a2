# SPDX-License-Identifier: GPL-2.0-or-later
"""Load balancing through a VIP with two workers on af_packet (no RSS):
FNAT and NAT services set up over the control socket, real clients (curl,
wrk) and real servers (nginx in rs1 and rs2)."""

import re
import time

import pytest

from labtest import CLIENT_IP, RS1_IP, RS2_IP, wait_for

LAB_WORKERS = 2

VIP = "198.18.0.100"
LIP = "198.18.1.100"


def ok(result):
    """lab.call raises on an error reply; this only documents intent."""
    return result


@pytest.fixture(scope="module")
def lb(lab):
    ok(lab.call("addr.add", {"addr": f"{VIP}/32", "dev": "dp0"}))
    ok(lab.call("addr.add", {"addr": f"{LIP}/32", "dev": "dp1"}))
    ok(lab.call("laddr.add", {"group": "lg1", "addr": LIP}))
    for port, sched, fwd, extra in ((80, "rr", "fnat", {"laddr_group": "lg1"}),
                                    (81, "wrr", "nat", {})):
        ok(lab.call("service.add", {"proto": "tcp", "vip": VIP, "port": port,
                                    "sched": sched, **extra}))
        for addr, weight in ((RS1_IP, 3 if sched == "wrr" else 1),
                             (RS2_IP, 1)):
            ok(lab.call("dest.add", {"proto": "tcp", "vip": VIP,
                                     "port": port, "addr": addr, "dport": 80,
                                     "weight": weight, "fwd": fwd}))
    return lab


def near(counts, want, slack):
    """Each worker keeps its own rr/wrr cursor (no shared written line), so
    a split is exact per worker and may differ overall by up to `slack`."""
    return (set(counts) == set(want) and
            all(abs(counts[k] - want[k]) <= slack for k in want))


def access_sources(lab, server):
    """Client addresses in a server's nginx access log."""
    path = f"{lab.state}/{server}/access.log"
    with open(path) as f:
        return {line.split()[0] for line in f if line.strip()}


def test_fnat_1000_sequential_curls_round_robin(lb):
    counts = lb.curl_counts(f"http://{VIP}/", 1000)
    assert near(counts, {"rs1": 500, "rs2": 500}, LAB_WORKERS), counts


def test_fnat_server_sees_the_local_address(lb):
    assert LIP in access_sources(lb, "rs1")
    assert LIP in access_sources(lb, "rs2")


def test_nat_weighted_and_server_sees_the_client(lb):
    counts = lb.curl_counts(f"http://{VIP}:81/", 400)
    # one wrr cycle (4) per worker at most
    assert near(counts, {"rs1": 300, "rs2": 100}, 4 * LAB_WORKERS), counts
    assert CLIENT_IP in access_sources(lb, "rs1")


def test_both_workers_own_connections(lb):
    ws = lb.workers_stats()
    assert all(w["conns_new"] > 0 for w in ws), ws
    # without RSS some packets reach the wrong worker and are handed over
    assert lb.steering_drained(), lb.steered()


def test_ipvsadm_view_counts_connections(lb):
    out = lb.ctl_cli("service", "show").stdout
    assert re.search(rf"TCP  {VIP}:80 rr", out), out
    assert re.search(rf"-> {RS1_IP}:80\s+FullNat\s+1", out), out
    assert re.search(rf"-> {RS2_IP}:80\s+Masq\s+1", out), out


def test_wrk_30s_without_errors(lb):
    r = lb.run("c", "wrk", "-t2", "-c16", "-d30s", f"http://{VIP}/",
               timeout=90)
    assert r.returncode == 0, r.stderr
    assert "Socket errors" not in r.stdout, r.stdout
    assert "Non-2xx" not in r.stdout, r.stdout
    m = re.search(r"(\d+) requests in", r.stdout)
    assert m and int(m.group(1)) > 1000, r.stdout
    print(r.stdout)


def test_weight_zero_takes_no_new_connections(lb):
    lb.call("dest.edit", {"proto": "tcp", "vip": VIP, "port": 80,
                          "addr": RS1_IP, "dport": 80, "weight": 0})
    try:
        counts = lb.curl_counts(f"http://{VIP}/", 20)
        assert counts == {"rs2": 20}, counts
    finally:
        lb.call("dest.edit", {"proto": "tcp", "vip": VIP, "port": 80,
                              "addr": RS1_IP, "dport": 80, "weight": 1})
    counts = lb.curl_counts(f"http://{VIP}/", 20)
    assert near(counts, {"rs1": 10, "rs2": 10}, LAB_WORKERS), counts


def test_not_syn_without_connection_is_dropped(lb):
    before = lb.drops()["not_syn"]
    assert lb.send_until("c", ["hping3", "-c", "3", "-i", "u10000", "-A",
                               "-p", "80", VIP],
                         lambda: lb.drops()["not_syn"] >= before + 3)
    time.sleep(0.2)
    assert lb.drops()["not_syn"] == before + 3


def test_connections_expire(lb):
    # TIME_WAIT and CLOSE connections expire within their timeouts (7 s)
    assert wait_for(lambda: sum(w["conns"] for w in lb.workers_stats()) == 0,
                    timeout=20), lb.workers_stats()
    ws = lb.workers_stats()
    assert sum(w["conns_expired"] for w in ws) == sum(w["conns_new"] for w in ws)
    out = lb.ctl_cli("service", "show").stdout
    assert re.search(rf"-> {RS1_IP}:80\s+FullNat\s+1\s+0\s+0", out), out
