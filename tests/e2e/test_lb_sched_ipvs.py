# SPDX-License-Identifier: GPL-2.0-or-later
"""The schedulers dh, lblc, lblcr, sed and nq end to end, two workers on
af_packet: real TCP connections through full-NAT services to the lab's
nginx servers (ports 80, 81, 82 of rs1 and rs2, each answering its own
name), and the patched keepalived configuring them from lb_algo.

Each worker schedules from its own connection counts (docs/schedulers.md),
so the tests that depend on load open connections one at a time and hold
them, learn from conn.list which worker owns each, and replay each
worker's connections, in order, through a model of the IPVS scheduler
(schedtest.py): every connection must have reached the server the model
picks.  dh does not depend on load: the VIP's bucket, computed as IPVS
computes it, names the server of every connection."""

import collections
import contextlib

import pytest

from katest import KEEPALIVED, Keepalived
from labtest import CLIENT_IP, RS1_IP, RS2_IP, wait_for
from schedtest import (VIP, dest, hold_and_check, lb,  # noqa: F401
                       load, no_failures, per_worker, service)

LAB_WORKERS = 2


# ---- dh ---------------------------------------------------------------

def dh_bucket(addr):
    """IPVS's dh: the top 8 bits of the address times 2^32 / phi."""
    a, b, c, d = (int(x) for x in addr.split("."))
    return (((a << 24 | b << 16 | c << 8 | d) * 0x61C88647) & 0xFFFFFFFF) >> 24


def test_dh_sends_the_vip_to_its_bucket(lb):
    """dh hashes the destination address, here the VIP: every client
    reaches the server of the VIP's bucket, dealt out as IPVS deals them
    (in turn from the newest dest).  Quiescent, that server takes
    nothing and dh has no fallback: the connections fail (no_dest);
    deleted, the buckets are dealt again."""
    names = ["rs1", "rs2", "rs1:81"]
    service(lb, 80, "dh", [("rs1", 1), ("rs2", 1), ("rs1:81", 5)])
    newest_first = names[::-1]
    owner = newest_first[dh_bucket(VIP) % 3]
    r = lb.http_gets(VIP, 80, lb.client_addrs[:50], rounds=2)
    no_failures(r)
    assert collections.Counter(b for bs in r.values() for b in bs) == \
        {owner: 100}

    dest(lb, 80, owner, "dest.edit", weight=0)
    before = lb.drops()["no_dest"]
    r = lb.http_gets(VIP, 80, lb.client_addrs[:3], timeout=1)
    assert all(b.startswith("FAIL") for bs in r.values() for b in bs), r
    assert wait_for(lambda: lb.drops()["no_dest"] - before >= 3)

    dest(lb, 80, owner, "dest.del")
    names.remove(owner)
    owner = names[::-1][dh_bucket(VIP) % 2]
    r = lb.http_gets(VIP, 80, lb.client_addrs[:50])
    no_failures(r)
    assert collections.Counter(b for bs in r.values() for b in bs) == \
        {owner: 50}


# ---- sed, nq ----------------------------------------------------------

@pytest.mark.parametrize("sched,port", [("sed", 81), ("nq", 82)])
def test_sed_nq_follow_each_workers_active_connections(lb, sched, port):
    """A slow (weight 1) and a fast (10) server, 12 held connections: sed
    sends a worker's first ten to the fast one (it counts the new
    connection: (0 + 1) / 1 > (k + 1) / 10 until k = 10), nq gives each
    worker's second one to the idle slow server.  Every connection
    where the model of IPVS says."""
    dests = [("rs1", 1), ("rs2", 10)]
    service(lb, port, sched, dests)
    with contextlib.ExitStack() as stack:
        seen = per_worker(hold_and_check(lb, stack, port, sched, dests, 12,
                                         {}))
    slow = sum(s.count("rs1") for s in seen.values())
    if sched == "sed":
        assert slow == sum(len(s) > 10 for s in seen.values()), seen
    else:
        assert slow == sum(len(s) > 1 for s in seen.values()), seen


# ---- lblc, lblcr ------------------------------------------------------

def test_lblc_short_connections_stay_on_one_server(lb):
    """lblc remembers the VIP's server: 30 short connections, never more
    active at once than its weight, all go to it (the newest of the
    idle servers, as IPVS's wlc picks among equals)."""
    service(lb, 83, "lblc", [("rs1", 2), ("rs2", 2), ("rs1:81", 2)])
    r = lb.http_gets(VIP, 83, rounds=30)
    no_failures(r)
    assert collections.Counter(r[CLIENT_IP]) == {"rs1:81": 30}


@pytest.mark.parametrize("sched,port", [("lblc", 84), ("lblcr", 85)])
def test_lblc_lblcr_move_on_when_overloaded(lb, sched, port):
    """Weights 2, 2, 2 and 16 held connections: a worker keeps the VIP on
    its server until it has more active connections than its weight
    while another has fewer than half its own; lblc then moves the VIP
    to the least loaded server, lblcr adds that server to the VIP's set
    and serves the set's least loaded.  Then the first server's
    connections close: lblcr's set still holds it, and it is now the
    set's least loaded; lblc has moved on.  Every connection where the
    model of IPVS says."""
    dests = [("rs1", 2), ("rs2", 2), ("rs1:81", 2)]
    service(lb, port, sched, dests)
    models = {}
    with contextlib.ExitStack() as stack:
        held = hold_and_check(lb, stack, port, sched, dests, 16, models)
        assert len({s for _, _, s in held}) >= 2, per_worker(held)
        for h, w, server in held:
            if server == "rs1:81":
                h.close(1)
                models[w].close(server)
        assert wait_for(lambda: load(lb, port)["rs1:81"][0] == 0, 5)
        hold_and_check(lb, stack, port, sched, dests, 8, models)


# ---- keepalived's lb_algo ---------------------------------------------

KA_LIP = "198.18.1.101"
KA_PORTS = {"dh": 90, "lblc": 91, "lblcr": 92, "sed": 93, "nq": 94}


def ka_conf(sock):
    vs = "".join(f"""
virtual_server {VIP} {port} {{
    delay_loop 1
    lb_algo {sched}
    lb_kind FNAT
    laddr_group_name kg
    protocol TCP
    real_server {RS1_IP} 80 {{
        weight 1
        TCP_CHECK {{ connect_timeout 1 retry 0 }}
    }}
    real_server {RS2_IP} 80 {{
        weight 3
        TCP_CHECK {{ connect_timeout 1 retry 0 }}
    }}
}}""" for sched, port in KA_PORTS.items())
    return f"""
global_defs {{
    router_id e2e
    dplbd_socket {sock}
}}
local_address_group kg {{
    {KA_LIP} dp1
}}
{vs}
"""


@pytest.mark.skipif(not KEEPALIVED.exists(), reason="make keepalived first")
def test_keepalived_lb_algo(lb):
    """keepalived's lb_algo dh, lblc, lblcr, sed and nq reach dplbd as
    they are, and the services serve."""
    k = Keepalived(lb, "keepalived", "lb", ka_conf(lb.sock)).start()
    try:
        def scheds():
            out = {}
            for s in lb.call("service.list"):
                if s["port"] in KA_PORTS.values() and len(s["dests"]) == 2:
                    out[s["port"]] = s["sched"]
            return out

        want = {port: sched for sched, port in KA_PORTS.items()}
        assert wait_for(lambda: scheds() == want, 15), \
            (scheds(), k.text()[-3000:])
        for sched, port in KA_PORTS.items():
            r = lb.http_gets(VIP, port, rounds=4)
            no_failures(r)
            assert set(r[CLIENT_IP]) <= {"rs1", "rs2"}, (sched, r)
    finally:
        k.stop()
