# SPDX-License-Identifier: GPL-2.0-or-later
"""conn.list and conn.flush with real connections: two workers on
af_packet, a full-NAT service over the control socket, a client holding
TCP connections open (a request header never finished, so nginx waits),
listed, filtered, paged and flushed."""

import json
import re
import subprocess
import time

import pytest

from labtest import CLIENT_IP, RS1_IP, RS2_IP, wait_for

LAB_WORKERS = 2

VIP = "198.18.0.100"
LIP = "198.18.1.100"
N_CONNS = 16
SLICES = {0: (1024, 33279), 1: (33280, 65535)}

HOLDER = f"""
import socket, sys
socks = []
for i in range({N_CONNS}):
    s = socket.create_connection(("{VIP}", 80), timeout=5)
    s.sendall(b"GET / HTTP/1.1\\r\\nHost: x\\r\\n")   # never finished
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks), flush=True)
sys.stdin.read()        # hold them until the test closes stdin
"""


@pytest.fixture(scope="module")
def lb(lab):
    lab.fnat_service(VIP, LIP)
    # one curl first, so that ARP is settled for both servers
    r = lab.curl("c", f"http://{VIP}/")
    assert r.returncode == 0, r.stderr
    return lab


@pytest.fixture(scope="module")
def held(lb):
    """The client ports of N_CONNS established connections, held open."""
    p = subprocess.Popen(lb.in_ns("c", "python3",
                          "-c", HOLDER), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        line = p.stdout.readline()
        assert line, p.stderr.read()
        ports = {int(x) for x in line.split()}
        assert len(ports) == N_CONNS
        # the curl's connection expires (TIME_WAIT, then gone)
        assert wait_for(lambda: len(ours(lb, lb.conns(), ports)) ==
                        N_CONNS and len(lb.conns()) == N_CONNS,
                        timeout=20), lb.conns()
        yield ports
    finally:
        p.stdin.close()
        p.wait(timeout=10)


def ours(lb, conns, ports):
    return [c for c in conns
            if int(c["client"].rsplit(":", 1)[1]) in ports]


def dest_load(lb, addr):
    for d in lb.call("dest.list", {"proto": "tcp", "vip": VIP, "port": 80}):
        if d["addr"] == addr:
            return d["active_conns"], d["inactive_conns"]
    raise AssertionError(addr)


def test_list_fields(lb, held):
    conns = lb.conns()
    assert len(conns) == N_CONNS
    for c in conns:
        assert set(c) == {"proto", "state", "expire_ms", "client", "vip",
                          "local", "dest", "fwd", "template", "worker",
                          "synced"}, c
        assert c["template"] is False and c["synced"] is False, c
        assert c["proto"] == "tcp" and c["fwd"] == "fnat", c
        assert c["state"] == "ESTABLISHED", c
        assert 60000 < c["expire_ms"] <= 90000, c
        ip, port = c["client"].rsplit(":", 1)
        assert ip == CLIENT_IP and int(port) in held, c
        assert c["vip"] == f"{VIP}:80", c
        assert c["dest"] in (f"{RS1_IP}:80", f"{RS2_IP}:80"), c
        lip, lport = c["local"].rsplit(":", 1)
        lo, hi = SLICES[c["worker"]]
        assert lip == LIP and lo <= int(lport) <= hi, c
    # each client port once; rr spread; both workers own some
    assert sorted(int(c["client"].rsplit(":", 1)[1]) for c in conns) == \
        sorted(held)
    dests = [c["dest"] for c in conns]
    assert dests.count(f"{RS1_IP}:80") >= 4 and \
        dests.count(f"{RS2_IP}:80") >= 4, dests
    assert {c["worker"] for c in conns} == {0, 1}, conns
    # matches the dests' ActiveConn
    n1 = dests.count(f"{RS1_IP}:80")
    assert dest_load(lb, RS1_IP) == (n1, 0)
    assert dest_load(lb, RS2_IP) == (N_CONNS - n1, 0)


def test_filters(lb, held):
    conns = lb.conns()
    one = conns[0]
    r = lb.conns(client=one["client"])
    assert len(r) == 1 and dict(r[0], expire_ms=0) == dict(one, expire_ms=0)
    assert len(lb.conns(client=CLIENT_IP)) == N_CONNS
    assert len(lb.conns(vip=f"{VIP}:80", proto="tcp")) == N_CONNS
    assert lb.conns(vip=f"{VIP}:81") == []
    assert lb.conns(proto="udp") == []
    assert len(lb.conns(state="established")) == N_CONNS
    assert lb.conns(state="TIME_WAIT") == []
    for rs in (RS1_IP, RS2_IP):
        want = sorted(c["client"] for c in conns if c["dest"] == f"{rs}:80")
        assert sorted(c["client"] for c in lb.conns(dest=rs)) == want
        assert sorted(c["client"] for c in
                      lb.conns(dest=f"{rs}:80")) == want
        assert lb.conns(dest=f"{rs}:8080") == []
    every = lb.conns(dest=RS1_IP, client=CLIENT_IP, vip=VIP,
                      state="ESTABLISHED", proto="tcp")
    assert sorted(c["client"] for c in every) == \
        sorted(c["client"] for c in conns if c["dest"] == f"{RS1_IP}:80")


def test_paging_one_by_one(lb, held):
    pages, cursor, seen = 0, None, []
    while True:
        params = {"max": 1}
        if cursor is not None:
            params["cursor"] = cursor
        r = lb.call("conn.list", params)
        assert len(r["conns"]) <= 1
        seen += [c["client"] for c in r["conns"]]
        cursor = r["cursor"]
        pages += 1
        assert pages < 100
        if cursor is None:
            break
        assert re.fullmatch(r"[01]:\d+", cursor), cursor
    assert len(seen) == N_CONNS and len(set(seen)) == N_CONNS
    assert sorted(seen) == sorted(c["client"] for c in lb.conns())


def test_dplbctl_conn_show(lb, held):
    p = lb.ctl_cli("conn", "show")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "IPVS connection entries"
    assert lines[1].split() == ["pro", "expire", "state", "source",
                                "virtual", "destination", "local"]
    assert len(lines) == 2 + N_CONNS, p.stdout
    print(p.stdout)
    for line in lines[2:]:
        assert re.match(rf"TCP (00|01):\d\d  ESTABLISHED {CLIENT_IP}:\d+ +"
                        rf"{VIP}:80 +198\.18\.1\.1[12]:80 +{LIP}:\d+$",
                        line), line
    p = lb.ctl_cli("conn", "show", "--max", "1", "--json")
    assert p.returncode == 0, p.stderr
    assert len(json.loads(p.stdout)) == N_CONNS
    p = lb.ctl_cli("conn", "show", "-d", f"{RS2_IP}:80")
    assert p.returncode == 0
    assert all(RS2_IP in x for x in p.stdout.splitlines()[2:]), p.stdout


def test_flush_by_dest(lb, held):
    before = lb.conns()
    n1 = sum(c["dest"] == f"{RS1_IP}:80" for c in before)
    exp0 = sum(w["conns_expired"] for w in lb.workers_stats())
    r = lb.call("conn.flush", {"dest": f"{RS1_IP}:80"})
    assert r == {"flushed": n1, "cursor": None}
    after = lb.conns()
    assert all(c["dest"] == f"{RS2_IP}:80" for c in after), after
    assert len(after) == N_CONNS - n1
    assert lb.conns(dest=RS1_IP) == []
    # released as expiry does: counts, reference, conns_expired
    assert dest_load(lb, RS1_IP) == (0, 0)
    assert dest_load(lb, RS2_IP) == (N_CONNS - n1, 0)
    ws = lb.workers_stats()
    assert sum(w["conns_expired"] for w in ws) == exp0 + n1
    assert sum(w["conns"] for w in ws) == N_CONNS - n1
    out = lb.ctl_cli("service", "show").stdout
    assert re.search(rf"-> {RS1_IP}:80\s+FullNat\s+1\s+0\s+0", out), out
    # a flushed flow is no longer tracked: its next segment is not a SYN
    assert lb.call("conn.flush", {"dest": RS1_IP})["flushed"] == 0


def test_flushed_flow_is_dropped(lb, held):
    flushed = [p for p in held if not lb.conns(client=f"{CLIENT_IP}:{p}")]
    assert flushed
    before = lb.drops()["not_syn"]
    assert lb.send_until("c", ["hping3", "-c", "1", "-A", "-s",
                               str(flushed[0]), "-p", "80", "-k", VIP],
                         lambda: lb.drops()["not_syn"] >= before + 1)


def test_flush_all(lb, held):
    left = len(lb.conns())
    assert left > 0
    p = lb.ctl_cli("--json", "conn", "flush", "--vip", f"{VIP}:80")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"flushed": left}
    assert lb.conns() == []
    assert dest_load(lb, RS2_IP) == (0, 0)
    assert sum(w["conns"] for w in lb.workers_stats()) == 0
    p = lb.ctl_cli("conn")
    assert p.stdout.count("\n") == 2, p.stdout
    # the load balancer still works afterwards
    time.sleep(0.1)
    r = lb.curl("c", f"http://{VIP}/")
    assert r.returncode == 0 and r.stdout.strip() in ("rs1", "rs2"), r
