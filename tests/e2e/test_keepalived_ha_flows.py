# SPDX-License-Identifier: GPL-2.0-or-later
"""Faults of the HA pair with real long-lived flows (issue 11's list):
50 TCP flows through each of FNAT, NAT and DR and 50 UDP flows through
FNAT, each sending a byte every 100 ms and expecting it back (haflows.py),
and a prober opening a new connection every 100 ms, while the master's
keepalived is killed (-9), stopped (SIGTERM), or its dplbd is killed
(-9, then started again as systemd would); each fault is followed by the
failback (preemption) with flows opened on the backup.  Then the rolling
upgrade (docs/keepalived.md): the backup restarted, a failover, the old
master restarted.

What holds today is asserted: the VIP where it belongs, never on both
nodes at once (but for the handover of a preemption: the returning
master adds its addresses before the old one, hearing its advert, drops
them; up to OVERLAP_MAX), the service back for new connections within a
bound, and
the flows that never leave their node (the master's during the backup's
upgrade).  That established flows survive a move between the nodes needs
connection sync (issue 11, item 1): those assertions run when both dplbd
advertise hatest.CONN_SYNC_CAP in hello, once the backup holds every
live flow (as docs/keepalived.md's rolling upgrade asks: a flow opened a
moment before a crash cannot be on the peer yet); otherwise the
survivors are counted and printed only.

DPLB_HA_ROUNDS=N repeats each fault N times (default 1) and prints the
service gap's min/median/max over the rounds (docs/keepalived.md's
figures come from 5 rounds)."""

import itertools
import json
import os
import signal
import statistics
import time
from pathlib import Path

import pytest

from hatest import (CLAIM_OVERLAP_MAX, LIP, NODES, VIP, HolderLog,
                    build_pair, ka_conf, teardown_pair, withdrawn_by_claim)
from katest import KEEPALIVED
from labtest import RS1_IP, RS2_IP, wait_for

pytestmark = pytest.mark.skipif(not KEEPALIVED.exists(),
                                reason="make keepalived first")

HERE = Path(__file__).resolve().parent
ROUNDS = int(os.environ.get("DPLB_HA_ROUNDS", "1"))
N = 50
GW = "198.18.1.254"     # the servers' gateway for NAT replies: moves too
FLOWS = [f"tcp:9000:{N}:fnat", f"tcp:9001:{N}:nat", f"tcp:9002:{N}:dr",
         f"udp:9000:{N}:udp-fnat"]
STALL_MAX = 3.0         # with sync: no flow silent for longer
# a preemption's handover: one advert's way on a quiet machine (0.3 s at
# most there: docs/keepalived.md); a loaded one delays the old master's
# VRRP process (2.6 s seen at a load of 11), so the bound is what must
# hold: the handover ends, while the flows survive it
OVERLAP_MAX = 3.0
_seq = itertools.count()


def vs(port, kind, rport, proto="TCP", check=True):
    laddr = "    laddr_group_name lg1\n" if kind == "FNAT" else ""
    rs = ""
    for ip in (RS1_IP, RS2_IP):
        chk = ("        TCP_CHECK {\n            connect_timeout 1\n"
               "        }\n") if check else ""
        rs += f"    real_server {ip} {rport} {{\n        weight 1\n{chk}    }}\n"
    return (f"\nvirtual_server {VIP} {port} {{\n    delay_loop 1\n"
            f"    lb_algo rr\n    lb_kind {kind}\n{laddr}"
            f"    protocol {proto}\n{rs}}}\n")


def flows_conf(node, sock):
    """The sample pair plus the flows' services, and the servers' gateway
    for NAT as an address of VI_1 on dp1."""
    extra = (vs(9000, "FNAT", 9000) + vs(9001, "NAT", 9000) +
             vs(9002, "DR", 9002) + vs(9000, "FNAT", 9000, "UDP", False))
    return ka_conf(node, sock, extra_vips=[f"{GW}/32 dev dp1"], extra=extra)


@pytest.fixture(scope="module")
def pair():
    p = build_pair(f"hf{os.getpid() % 100000}x{next(_seq)}", flows_conf)
    servers = []
    try:
        p.lab.sh("direct-return", VIP)
        for rs in ("rs1", "rs2"):
            p.lab.run(rs, "ip", "route", "replace", "default", "via", GW,
                      check=True)
            servers.append(p.lab.spawn(rs, "/usr/bin/python3",
                                       str(HERE / "haflows.py"), "server",
                                       "9000,9002", "9000"))
        for s in servers:
            assert s.stdout.readline().strip() == "serving"
        for port, proto in ((9000, "tcp"), (9001, "tcp"), (9002, "tcp"),
                            (9000, "udp")):
            assert wait_for(lambda: len(p.dests("lb", port, proto)) == 2, 15), \
                (port, proto, p.dests("lb", port, proto))
        assert GW in p.vips("lb")
        yield p
    finally:
        for s in servers:
            s.kill()
            s.wait()
        teardown_pair(p)


class Flows:
    """haflows.py client in the client namespace."""

    def __init__(self, p):
        self.proc = p.lab.spawn("c", "/usr/bin/python3",
                                str(HERE / "haflows.py"), "client", VIP,
                                *FLOWS, "--probe", "9000")
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read()
        ready = json.loads(line)
        assert not ready["waiting"], ready

    def result(self):
        out, err = self.proc.communicate(input="", timeout=60)
        assert self.proc.returncode == 0, err
        return json.loads(out.strip().splitlines()[-1])


def service_gap(res, t0, t1):
    """Longest time in [t0, t1] without a successful new connection."""
    ok = sorted(t for t in res["probe_ok"] if t0 - 1 <= t <= t1)
    before = [t for t in ok if t < t0]
    after = [t for t in ok if t >= t0]
    if not after:
        return float("inf")
    times = ([before[-1]] if before else [t0]) + after
    return max(b - a for a, b in zip(times, times[1:])) if len(times) > 1 \
        else 0.0


def survivors(res, tf):
    """Per label: (flows alive at the end that spoke after tf, their
    longest silence around tf, errors seen)."""
    out = {}
    end = max(f["last_rx"] or 0 for f in res["flows"])
    for f in res["flows"]:
        n, stall, errs = out.get(f["label"], (0, 0.0, []))
        alive = (f["error"] is None and f["last_rx"] is not None and
                 f["last_rx"] > max(tf, end - 1.0))
        around = [g[1] for g in f["gaps"] if g[0] + g[1] >= tf - 0.5]
        if alive:
            n += 1
            stall = max([stall] + around)
        elif f["error"]:
            errs = errs + [f["error"]]
        out[f["label"]] = (n, stall, errs)
    return out


def settle(p, holder, timeout):
    """Wait until holder holds the VIP and the LIP and serves."""
    assert wait_for(lambda: p.holder() == holder and p.holder(LIP) == holder,
                    timeout), (p.holder(), p.holder(LIP),
                               p.ka["lb"].text()[-1500:])
    assert p.served_by(holder, 10) is not None
    time.sleep(2)   # flows that survive speak again


def measure(p, name, fault, holder, gap_max, stats, preempts=False):
    """Flows, then fault(); asserts and records what the fault did.
    preempts: the fault ends in a preemption, whose handover may show
    an address on both nodes for up to OVERLAP_MAX.  After a kill -9 of
    keepalived, the old master's dplbd may give its addresses up on the
    new master's announcement, within the grace period (a starved
    master's last advert came early): then for up to CLAIM_OVERLAP_MAX."""
    log0 = len(p.dplbd_log("lb"))
    flows = Flows(p)
    if p.conn_sync():
        p.wait_backup_holds(p.holder())
    with HolderLog(p, (VIP, LIP, GW)) as hl:
        tf = time.monotonic()
        fault()
        settle(p, holder, 20)
        res = flows.result()
    t1 = time.monotonic()
    over = hl.overlaps()
    claimed = withdrawn_by_claim(p, "lb", "lb2", since=log0)
    if preempts:
        assert max(over, default=0) <= OVERLAP_MAX, (name, over)
    elif claimed:
        assert max(over, default=0) <= CLAIM_OVERLAP_MAX, (name, over)
        print(f"\n{name}: lb gave its addresses up on lb2's announcement "
              f"(overlap {max(over, default=0):.3f} s as sampled)")
    else:
        assert not over, (name, hl.both()[:3])
    gap = service_gap(res, tf, t1)
    surv = survivors(res, tf)
    stats.setdefault(name, []).append(gap)
    line = ", ".join(f"{lab} {n}/{N}" for lab, (n, _, _) in surv.items())
    print(f"\n{name}: service gap {gap:.2f} s; flows kept: {line}")
    assert gap <= gap_max, (name, gap)
    if p.conn_sync():
        # a flow silent through an outage retransmits on TCP's backoff
        # (RTO doubling from 0.2 s): its first retransmission after the
        # outage may come up to twice the gap after it began, plus the
        # first RTO and a loaded machine's delays (3.2 s allowed after a
        # 1.6 s gap failed once under load)
        stall_max = max(STALL_MAX, 2 * gap + 1.0)
        for lab, (n, stall, errs) in surv.items():
            assert n == N, (name, lab, n, errs[:3])
            assert stall <= stall_max, (name, lab, stall, gap)
            assert not [e for e in errs if "reset" in e.lower()], errs[:3]
    return surv


def report(stats):
    for name, gaps in stats.items():
        print(f"{name}: service gap over {len(gaps)} rounds: min "
              f"{min(gaps):.2f} s, median {statistics.median(gaps):.2f} s, "
              f"max {max(gaps):.2f} s")


def restart_master_keepalived(p):
    p.ka["lb"].start()


def test_kill9_of_masters_keepalived_then_failback(pair):
    p, stats = pair, {}
    for _ in range(ROUNDS):
        measure(p, "kill -9 keepalived", p.ka["lb"].kill9, "lb2", 4.0, stats)
        measure(p, "failback", lambda: restart_master_keepalived(p), "lb",
                6.0, stats, preempts=True)
    report(stats)


def test_sigterm_of_masters_keepalived_then_failback(pair):
    p, stats = pair, {}

    def stop():
        os.kill(p.ka["lb"].pid(), signal.SIGTERM)
        assert wait_for(lambda: not p.ka["lb"].alive(), 10)
        p.ka["lb"].stop()

    for _ in range(ROUNDS):
        measure(p, "SIGTERM keepalived", stop, "lb2", 2.0, stats)
        measure(p, "failback", lambda: restart_master_keepalived(p), "lb",
                6.0, stats, preempts=True)
    report(stats)


def test_kill9_of_masters_dplbd(pair):
    """kill -9 of the master's dplbd, started again 2 s later (systemd's
    RestartSec): the backup serves meanwhile, then the master's keepalived
    pushes its state to the new dplbd and takes the VIP back."""
    p, stats = pair, {}

    def crash():
        t0 = time.monotonic()
        p.kill9_dplbd("lb")
        time.sleep(max(0.0, 2.0 - (time.monotonic() - t0)))
        p.start_dplbd("lb")

    for _ in range(ROUNDS):
        measure(p, "kill -9 dplbd (and its restart)", crash, "lb", 4.0,
                stats, preempts=True)
    report(stats)


def restart_node(p, node, graceful=True):
    """An upgrade of node with the same build: keepalived stopped
    (SIGTERM), dplbd stopped and started, keepalived started."""
    if graceful:
        p.ka[node].stop()
    p.stop_dplbd(node)
    p.start_dplbd(node)
    p.start_keepalived(node, flows_conf(node, p.d[node].socket))


def rolling_upgrade(p, stats):
    with HolderLog(p, (VIP, LIP, GW)) as hl:
        # 1. the backup: the master's flows never leave it
        flows = Flows(p)
        tf = time.monotonic()
        restart_node(p, "lb2")
        assert wait_for(lambda: len(p.dests("lb2", 9000)) == 2, 15)
        assert wait_for(lambda: [s["state"] for s in
                                 p.call("lb2", "sync.list")] == ["backup"], 10)
        settle(p, "lb", 5)
        res = flows.result()
        surv = survivors(res, tf)
        assert hl.holders(VIP) == ["lb"], hl.holders(VIP)
        for lab, (n, stall, errs) in surv.items():
            assert n == N, ("backup upgrade", lab, n, errs[:3])
            assert stall <= STALL_MAX, ("backup upgrade", lab, stall)
        gap = service_gap(res, tf, time.monotonic())
        stats.setdefault("rolling upgrade: the backup", []).append(gap)
        print(f"\nupgrade of the backup: all {4 * N} flows kept, service gap "
              f"{gap:.2f} s")
        # 2. fail over to the upgraded backup
        measure(p, "rolling upgrade: failover", p.ka["lb"].stop, "lb2", 2.0,
                stats)
        # 3. the old master, upgraded, takes the VIP back
        measure(p, "rolling upgrade: old master back",
                lambda: restart_node(p, "lb", graceful=False), "lb", 8.0,
                stats, preempts=True)
    assert max(hl.overlaps(), default=0) <= OVERLAP_MAX, hl.overlaps()
    seq = [h for h in hl.holders(VIP) if h in NODES]
    seq = [h for i, h in enumerate(seq) if i == 0 or seq[i - 1] != h]
    assert seq == ["lb", "lb2", "lb"], hl.holders(VIP)
    for node, role in (("lb", "master"), ("lb2", "backup")):
        assert wait_for(lambda: [s["state"] for s in p.call(node, "sync.list")]
                        == [role], 5), (node, p.call(node, "sync.list"))


def test_rolling_upgrade(pair):
    """docs/keepalived.md's procedure: upgrade the backup, fail over,
    upgrade the old master (which takes the VIP back)."""
    p, stats = pair, {}
    for _ in range(ROUNDS):
        rolling_upgrade(p, stats)
    report(stats)
    if not p.conn_sync():
        print("connection sync: not advertised by dplbd; flows across a "
              "failover are counted, not asserted")
