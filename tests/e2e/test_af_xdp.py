# SPDX-License-Identifier: GPL-2.0-or-later
"""The lab on net_af_xdp instead of net_af_packet (DPDK_PMD=af_xdp), with
two workers.  A veth gives af_xdp one queue pair (DPDK 22.11 caps the
queue count at the combined channels, a veth has none), so each port's
queues belong to one worker: the other gets its flows by software
steering and sends through the queue owner's tx_ring."""

import re

import pytest

from labtest import CLIENT_IP, DP0_IP, RS1_IP, RS2_IP

LAB_PMD = "af_xdp"
LAB_WORKERS = 2

VIP = "198.18.0.100"
LIP = "198.18.1.100"


def test_driver_one_queue_pair_software_steering(lab):
    ports = lab.ports()
    for p in ("dp0", "dp1"):
        assert "af_xdp" in ports[p]["driver"], ports[p]
        assert (ports[p]["rxq"], ports[p]["txq"]) == (1, 1), ports[p]
        assert ports[p]["steering"] == "software", ports[p]
        assert ports[p]["steering_reason"] == "1 rx queues for 2 workers"
        assert ports[p]["flow_rules"] == 0


def test_queues_spread_over_the_workers(lab):
    # queue q of port i belongs to worker (q + i) % 2: dp0's to worker 0,
    # dp1's to worker 1; the other worker sends through the owner
    ws = {w["worker"]: w for w in lab.workers_stats()}
    for wid, own, other in ((0, "dp0", "dp1"), (1, "dp1", "dp0")):
        qs = {q["port"]: q for q in ws[wid]["queues"] if not q["twin"]}
        assert qs[own]["rxq"] == 0 and qs[own]["txq"] == 0, qs
        assert qs[other]["rxq"] is None and qs[other]["txq"] is None, qs
        assert qs[other]["tx_via"] == 1 - wid, qs
        # every worker still has its own twin queue pair
        twins = [q for q in ws[wid]["queues"] if q["twin"]]
        assert [q["rxq"] for q in twins] == [wid, wid], twins
    out = lab.ctl_cli("lcore", "show").stdout
    assert "dp1:rxq-:txq>w1" in out and "dp0:rxq-:txq>w0" in out, out
    out = lab.ctl_cli("port", "show").stdout
    assert re.search(r"dp0 .*\s1\s+1\s+software", out), out


@pytest.mark.parametrize("node,dst", [("c", DP0_IP), ("c", RS1_IP),
                                      ("rs2", CLIENT_IP)])
def test_ping(lab, node, dst):
    r = lab.ping(node, dst, count=3)
    assert lab.received(r) == 3, r.stdout + r.stderr


@pytest.mark.parametrize("dst,body", [(RS1_IP, "rs1"), (RS2_IP, "rs2")])
def test_curl(lab, dst, body):
    r = lab.curl("c", f"http://{dst}/")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == body


@pytest.fixture(scope="module")
def fnat(lab):
    lab.fnat_service(VIP, LIP)
    return lab


def test_fnat_200_curls_on_both_workers(fnat):
    w0 = fnat.workers_stats()
    counts = fnat.curl_counts(f"http://{VIP}/", 200)
    assert set(counts) == {"rs1", "rs2"}, counts
    assert sum(counts.values()) == 200, counts
    assert abs(counts["rs1"] - counts["rs2"]) <= 2, counts  # rr per worker
    w1 = fnat.workers_stats()
    new = [b["conns_new"] - a["conns_new"] for a, b in zip(w0, w1)]
    assert sum(new) == 200 and min(new) > 0, new
    # each worker sent frames on the port whose tx queue the other owns
    handoff = [b["tx_handoff"] - a["tx_handoff"] for a, b in zip(w0, w1)]
    assert min(handoff) > 0, handoff
    assert fnat.steering_drained(w0), fnat.steered(w0)
    assert fnat.steered(w0)[0] > 0
    drops = fnat.drops()
    assert drops["tx_handoff_full"] == 0 and drops["steer_ring_full"] == 0


def test_fnat_wrk_without_errors(fnat):
    r = fnat.run("c", "wrk", "-t2", "-c16", "-d5s", f"http://{VIP}/",
                 timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Socket errors" not in r.stdout, r.stdout
    assert "Non-2xx" not in r.stdout, r.stdout
    m = re.search(r"(\d+) requests in", r.stdout)
    assert m and int(m.group(1)) > 500, r.stdout
    assert fnat.drops()["tx_handoff_full"] == 0
    print(r.stdout)
