# SPDX-License-Identifier: GPL-2.0-or-later
"""Persistence (ipvsadm -p, -M) end to end, two workers on af_packet:
clients from several source addresses, real nginx servers, FNAT and NAT
services.  A client net sticks to the server its first connection got,
through a template that conn.list shows; a deleted server frees its
clients; with expire_quiescent a weight-0 server does too.  Also the rate
view (stats.show "rate", dplbctl service show --rate) under real load."""

import re
import time

import pytest

from labtest import RS1_IP, RS2_IP, wait_for

LAB_WORKERS = 2

VIP_FNAT = "198.18.0.110"      # persistent /32, full-NAT
VIP_NET = "198.18.0.111"       # persistent /24, full-NAT
VIP_NAT = "198.18.0.112"       # persistent /32, NAT
LIP = "198.18.1.110"
CLIENTS = [f"198.18.0.{i}" for i in range(20, 28)]
SERVERS = {"rs1": RS1_IP, "rs2": RS2_IP}


def svc(vip):
    return {"proto": "tcp", "vip": vip, "port": 80}


@pytest.fixture(scope="module")
def lb(lab):
    for ip in CLIENTS:
        lab.run("c", "ip", "addr", "add", f"{ip}/24", "dev", "c0",
                check=True)
    for vip in (VIP_FNAT, VIP_NET, VIP_NAT):
        lab.call("addr.add", {"addr": f"{vip}/32", "dev": "dp0"})
    lab.call("addr.add", {"addr": f"{LIP}/32", "dev": "dp1"})
    lab.call("laddr.add", {"group": "lgp", "addr": LIP})
    for vip, mask, fwd in ((VIP_FNAT, "255.255.255.255", "fnat"),
                           (VIP_NET, "255.255.255.0", "fnat"),
                           (VIP_NAT, "255.255.255.255", "nat")):
        extra = {"laddr_group": "lgp"} if fwd == "fnat" else {}
        lab.call("service.add", dict(svc(vip), sched="rr", persistent=60,
                                     netmask=mask, **extra))
        for addr in SERVERS.values():
            lab.call("dest.add", dict(svc(vip), addr=addr, dport=80,
                                      fwd=fwd))
    for ip in CLIENTS:      # ARP for every client address, both ways
        assert lab.ping("c", "198.18.0.1", count=1).returncode == 0
        r = lab.run("c", "ping", "-c1", "-W2", "-I", ip, "198.18.0.1")
        assert r.returncode == 0, r.stdout + r.stderr
    return lab


def curls_from(lab, vip, sources, n):
    """n sequential curls to vip from each source address: {source:
    {body: count}}, failures counted under "FAIL"."""
    script = "\n".join(
        f"for i in $(seq 1 {n}); do echo {ip} $(curl -sS --max-time 3 "
        f"--interface {ip} http://{vip}/ 2>&1 || echo FAIL); done"
        for ip in sources)
    r = lab.run("c", "bash", "-c", script, timeout=len(sources) * n * 3 + 30)
    out = {ip: {} for ip in sources}
    for line in r.stdout.splitlines():
        m = re.match(r"(\S+) (.*)", line)
        if m and m.group(1) in out:
            body = "FAIL" if "FAIL" in m.group(2) else m.group(2)
            out[m.group(1)][body] = out[m.group(1)].get(body, 0) + 1
    return out


def server_of(counts):
    """The one server a source reached, or fail with what it got."""
    assert len(counts) == 1 and "FAIL" not in counts, counts
    return next(iter(counts))


def templates(lab, vip):
    return [c for c in lab.conns(vip=vip) if c["template"]]


def dests(lab, vip):
    return {d["addr"]: d for d in lab.call("dest.list", svc(vip))}


def test_each_client_sticks_to_one_server(lb):
    got = curls_from(lb, VIP_FNAT, CLIENTS, 6)
    chosen = {ip: server_of(c) for ip, c in got.items()}
    # rr hands new clients to both servers; each keeps its own
    assert set(chosen.values()) == {"rs1", "rs2"}, chosen
    ts = templates(lb, VIP_FNAT)
    assert sorted(t["client"] for t in ts) == sorted(f"{ip}:0"
                                                     for ip in CLIENTS)
    for t in ts:
        ip = t["client"].split(":")[0]
        assert t["state"] == "NONE" and t["vip"] == f"{VIP_FNAT}:80", t
        assert t["dest"] == f"{SERVERS[chosen[ip]]}:80", (t, chosen[ip])
        assert 50000 < t["expire_ms"] <= 60000, t
    # the same client's connections all live on its template's worker
    for ip in CLIENTS:
        workers = {c["worker"] for c in lb.conns(vip=VIP_FNAT)
                   if c["client"].startswith(f"{ip}:")}
        assert len(workers) == 1, (ip, workers)
    per_dest = dests(lb, VIP_FNAT)
    assert sum(d["persistent_conns"] for d in per_dest.values()) == \
        len(CLIENTS)
    assert (per_dest[RS1_IP]["persistent_conns"] ==
            sum(1 for s in chosen.values() if s == "rs1"))
    # again later: nothing moved
    again = curls_from(lb, VIP_FNAT, CLIENTS, 2)
    assert {ip: server_of(c) for ip, c in again.items()} == chosen


def test_persistent_conn_view(lb):
    out = lb.ctl_cli("service", "show", "--persistent-conn", "-t",
                     f"{VIP_FNAT}:80").stdout
    assert "PersistConn" in out, out
    rows = {line.split()[1]: line.split()[3] for line in out.splitlines()
            if line.startswith("  -> ") and "RemoteAddress" not in line}
    per_dest = dests(lb, VIP_FNAT)
    assert rows == {f"{a}:80": str(d["persistent_conns"])
                    for a, d in per_dest.items()}, out
    assert "persistent 60" in out


def test_netmask_groups_a_whole_net(lb):
    got = curls_from(lb, VIP_NET, CLIENTS, 3)
    assert len({server_of(c) for c in got.values()}) == 1, got
    ts = templates(lb, VIP_NET)
    assert [t["client"] for t in ts] == ["198.18.0.0:0"], ts


def test_nat_persistence_with_two_workers(lb):
    """NAT replies come back to the client's worker: with persistence
    that is the owner of the client net, found by the reply detour."""
    got = curls_from(lb, VIP_NAT, CLIENTS, 5)
    chosen = {ip: server_of(c) for ip, c in got.items()}
    assert set(chosen.values()) == {"rs1", "rs2"}, chosen
    assert len(templates(lb, VIP_NAT)) == len(CLIENTS)


def test_deleted_server_frees_its_clients(lb):
    got = curls_from(lb, VIP_FNAT, CLIENTS, 1)
    on_rs1 = [ip for ip, c in got.items() if server_of(c) == "rs1"]
    assert on_rs1
    lb.call("dest.del", dict(svc(VIP_FNAT), addr=RS1_IP, dport=80))
    try:
        got = curls_from(lb, VIP_FNAT, on_rs1, 3)
        assert all(server_of(c) == "rs2" for c in got.values()), got
        ts = {t["client"].split(":")[0]: t for t in templates(lb, VIP_FNAT)}
        for ip in on_rs1:
            assert ts[ip]["dest"] == f"{RS2_IP}:80", ts[ip]
    finally:
        lb.call("dest.add", dict(svc(VIP_FNAT), addr=RS1_IP, dport=80,
                                 fwd="fnat"))


def test_quiescent_server_keeps_persistent_clients_unless_expired(lb):
    """IPVS: a weight-0 server keeps the clients its templates hold; with
    expire_quiescent (keepalived's expire_quiescent_template) they move."""
    got = curls_from(lb, VIP_NET, CLIENTS[:1], 1)
    held = server_of(got[CLIENTS[0]])
    lb.call("dest.edit", dict(svc(VIP_NET), addr=SERVERS[held], dport=80,
                              weight=0))
    got = curls_from(lb, VIP_NET, CLIENTS[:2], 2)
    assert {server_of(c) for c in got.values()} == {held}, got
    lb.call("service.edit", dict(svc(VIP_NET), flags=["expire-quiescent"]))
    got = curls_from(lb, VIP_NET, CLIENTS[:2], 2)
    other = ({"rs1", "rs2"} - {held}).pop()
    assert {server_of(c) for c in got.values()} == {other}, got


def test_template_outlives_its_timeout_while_it_controls_a_connection(lb):
    vip = VIP_FNAT
    lb.call("service.edit", dict(svc(vip), persistent=1))
    lb.call("conn.flush", {"vip": vip})
    got = curls_from(lb, vip, CLIENTS[:1], 1)
    server_of(got[CLIENTS[0]])
    # the curl's connection lingers in TIME_WAIT (7 s) and holds the
    # template past its 1 s timeout
    time.sleep(2.5)
    mine = [c for c in lb.conns(vip=vip)
            if c["client"].startswith(f"{CLIENTS[0]}:")]
    assert any(c["template"] for c in mine), mine
    assert any(not c["template"] for c in mine), mine
    # once the connection is gone the template follows
    assert wait_for(lambda: not [c for c in lb.conns(vip=vip)
                                 if c["client"].startswith(CLIENTS[0])],
                    timeout=15), lb.conns(vip=vip)
    lb.call("service.edit", dict(svc(vip), persistent=60))


def test_rates_under_load(lb):
    lb.call("service.edit", dict(svc(VIP_NET), flags=[]))
    lb.call("dest.edit", dict(svc(VIP_NET), addr=RS1_IP, dport=80, weight=1))
    lb.call("dest.edit", dict(svc(VIP_NET), addr=RS2_IP, dport=80, weight=1))
    # a new connection per request, so connections per second count too
    r = lb.run("c", "wrk", "-t1", "-c4", "-d6s", "-H", "Connection: close",
               f"http://{VIP_NET}/", timeout=30)
    assert r.returncode == 0, r.stderr
    rate = next(s for s in lb.call("stats.show", svc(VIP_NET)))["rate"]
    assert rate["cps"] > 10 and rate["inpps"] > rate["cps"], rate
    assert rate["outpps"] > 0 and rate["inbps"] > 0 and \
        rate["outbps"] > rate["inbps"], rate
    out = lb.ctl_cli("service", "show", "--rate", "-t",
                     f"{VIP_NET}:80").stdout
    assert re.search(r"CPS\s+InPPS\s+OutPPS\s+InBPS\s+OutBPS", out), out
    row = next(line for line in out.splitlines()
               if line.startswith(f"TCP  {VIP_NET}:80"))
    assert int(row.split()[2]) > 10, out
    workers = lb.call("lcore.list")
    busy = [w for w in workers if w.get("role") == "worker"]
    assert sum(w["rate"]["inpps"] for w in busy) > 0, busy
    assert all(w["conns_peak"] >= w["conns"] for w in busy), busy
    assert max(w["conns_peak"] for w in busy) > 0, busy
