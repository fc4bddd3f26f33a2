# SPDX-License-Identifier: GPL-2.0-or-later
"""SNAT in the lab: the real servers (rs1, rs2, inside, behind dp1) reach
an outside host (198.19.9.2, behind the client namespace acting as a
router on dp0's side) only through dplbd's SNAT: ip.forward is off, and
the outside has no route to the servers' net.  Two workers on
af_packet veths (no RSS, no rte_flow): replies to 198.18.0.1:port reach
the owner by the software redirect of net/steer.h.

Covers: a 20 MB download with its md5, 200 parallel connections from two
hosts spread over both workers, UDP payload integrity, ping (one
connection per echo id), traceroute -I and -U through the router (ICMP
time exceeded translated back), a port unreachable translated back, and
port exhaustion with a few ports per worker (counted drops, recovery).
"""

import hashlib
import json
import os
import re
import time

import pytest

from labtest import DP0_IP, RS1_IP, RS2_IP, wait_for

LAB_WORKERS = 2
LAB_FORWARD = False
# the outside's net through the router; short UDP timeouts so that the
# exhaustion test sees ports free again (ICMP echo sessions take them too)
LAB_CONF_EXTRA = """
routes = ( { dst = "198.19.9.0/24"; via = "198.18.0.2"; dev = "dp0"; } );
timeouts = { udp = { oneway = 3; normal = 3; }; };
"""

OUT_IP = "198.19.9.2"
ROUTER_IP = "198.18.0.2"
INSIDE = "198.18.1.0/24"
BIG = 20 * 1024 * 1024


@pytest.fixture(scope="module")
def outside(lab):
    lab.sh("outside-up")
    lab.start_web("outweb", "out", OUT_IP, 80, "outside")
    data = os.urandom(BIG)
    with open(f"{lab.state}/outweb/www/big.bin", "wb") as f:
        f.write(data)
    lab.start_udp_echo("outecho", "out", OUT_IP, 7000, "echo")
    return hashlib.md5(data).hexdigest()


def snat_rules(lab):
    return lab.call("snat.list")


def test_outside_unreachable_without_snat(lab, outside):
    # curl gives up after 3 s; the subprocess bound is for a loaded
    # machine (once, beside two CPU hogs, curl took over 30 s to exit)
    r = lab.run("rs1", "curl", "-s", "-m", "3", f"http://{OUT_IP}/",
                timeout=90)
    assert r.returncode != 0, "the outside answered without SNAT"
    assert lab.drops().get("forward_disabled", 0) > 0


def test_snat_add_show(lab, outside):
    r = lab.ctl_cli("snat", "add", "src", INSIDE, "oif", "dp0",
                    "to", DP0_IP)
    assert r.returncode == 0, r.stderr
    # the same match again is refused
    r = lab.ctl_cli("snat", "add", "src", INSIDE, "oif", "dp0",
                    "to", DP0_IP)
    assert r.returncode != 0 and "exists" in r.stderr
    r = lab.ctl_cli("snat", "add", "src", INSIDE, "oif", "dp9",
                    "to", DP0_IP)
    assert r.returncode != 0 and "no port 'dp9'" in r.stderr
    show = lab.ctl_cli("snat", "show")
    assert show.returncode == 0
    assert re.search(r"any\s+198\.18\.1\.0/24\s+0\.0\.0\.0/0\s+\*\s+dp0\s+"
                     r"198\.18\.0\.1\s+all", show.stdout), show.stdout
    [rule] = snat_rules(lab)
    assert rule["src"] == INSIDE and rule["addrs"] == [DP0_IP]


def test_curl_20mb_md5(lab, outside):
    r = lab.run("rs1", "sh", "-c",
                f"curl -sf -m 60 http://{OUT_IP}/big.bin | md5sum",
                timeout=90)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == outside
    # the outside saw dplbd's address, never the server's
    with open(f"{lab.state}/outweb/access.log") as f:
        log = f.read()
    assert "big.bin" in log
    assert RS1_IP not in log and DP0_IP in log


PARALLEL = r"""
import json, socket, sys, threading
dst, n = sys.argv[1], int(sys.argv[2])
ok = []
def one():
    try:
        with socket.create_connection((dst, 80), timeout=10) as s:
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            data = b""
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        ok.append(data.split(b"\r\n\r\n", 1)[1].strip() == b"outside")
    except OSError:
        ok.append(False)
ts = [threading.Thread(target=one) for _ in range(n)]
for t in ts: t.start()
for t in ts: t.join()
print(json.dumps(sum(ok)))
"""


def test_parallel_two_hosts_two_workers(lab, outside):
    before = [w.get("conns_new", 0) for w in lab.workers_stats()]
    procs = [lab.spawn(node, "/usr/bin/python3", "-c", PARALLEL, OUT_IP,
                       "100") for node in ("rs1", "rs2")]
    good = [int(p.communicate(timeout=120)[0]) for p in procs]
    assert good == [100, 100]
    after = [w.get("conns_new", 0) for w in lab.workers_stats()]
    # each worker made SNAT connections of its own (its port slice)
    assert all(a - b >= 20 for a, b in zip(after, before)), (before, after)
    conns = lab.conns()
    snat = [c for c in conns if c["fwd"] == "snat" and c["proto"] == "tcp"]
    assert {c["worker"] for c in snat} == {0, 1}
    lo = {0: (1024, 33279), 1: (33280, 65535)}
    for c in snat:
        port = int(c["local"].rsplit(":", 1)[1])
        assert lo[c["worker"]][0] <= port <= lo[c["worker"]][1], c
    # conn show lists them: inside source, outside as virtual and
    # destination, the SNAT address:port as local
    r = lab.ctl_cli("conn", "show")
    assert r.returncode == 0
    assert re.search(rf"{RS2_IP}:\d+\s+{OUT_IP}:80\s+{OUT_IP}:80\s+"
                     rf"{DP0_IP}:\d+", r.stdout), r.stdout


UDP_CLIENT = r"""
import json, os, socket, sys
dst, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
good = 0
peers = set()
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    payload = os.urandom(16).hex() + "-" + "x" * (i * 37 % 1200)
    s.sendto(payload.encode(), (dst, port))
    try:
        data = s.recv(4096).decode()
    except OSError:
        continue
    text, peer, echoed = data.split(" ", 2)
    peers.add(peer.rsplit(":", 1)[0])
    good += echoed == payload
    s.close()
print(json.dumps({"good": good, "peers": sorted(peers)}))
"""


def test_udp_integrity(lab, outside):
    for node in ("rs1", "rs2"):
        r = lab.run(node, "/usr/bin/python3", "-c", UDP_CLIENT, OUT_IP,
                    "7000", "30", timeout=90)
        assert r.returncode == 0, r.stderr
        res = json.loads(r.stdout)
        assert res == {"good": 30, "peers": [DP0_IP]}, res


def icmp_conns_of(lab, hosts, not_before):
    """Each host's ICMP connections, listed once all hosts have one and
    not before the monotonic time not_before."""
    deadline = time.monotonic() + 30
    while True:
        time.sleep(max(0.2, not_before - time.monotonic()))
        icmp = [c for c in lab.conns() if c["proto"] == "icmp"]
        mine = {h: [c for c in icmp if c["client"].startswith(h + ":")]
                for h in hosts}
        if all(mine.values()) or time.monotonic() > deadline:
            return mine, icmp


def test_ping_one_conn_per_echo_id(lab, outside):
    # 20 echoes, 0.2 s apart: the connections are listed after about
    # ten, while both pings run (they expire 3 s after the last echo,
    # which a loaded machine may take to list them once pings are done)
    start = time.monotonic()
    procs = [lab.spawn(node, "ping", "-n", "-c", "20", "-i", "0.2", "-W", "2",
                       OUT_IP) for node in ("rs1", "rs2")]
    mine, icmp = icmp_conns_of(lab, (RS1_IP, RS2_IP), start + 2)
    outs = [p.communicate(timeout=60)[0] for p in procs]
    for out in outs:
        assert re.search(r"20 received", out), out
    for host in (RS1_IP, RS2_IP):
        # ping uses one echo id: one connection, whatever the replies
        assert len(mine[host]) == 1, icmp
        assert mine[host][0]["fwd"] == "snat"
        assert mine[host][0]["local"].startswith(DP0_IP + ":")


@pytest.mark.parametrize("mode", ["-I", "-U"])
def test_traceroute_shows_router(lab, outside, mode):
    r = lab.run("rs1", "traceroute", "-n", mode, "-q", "1", "-w", "1",
                "-m", "5", OUT_IP, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    hops = {}
    for line in r.stdout.splitlines()[1:]:
        f = line.split()
        if f and f[0].isdigit() and len(f) > 1:
            hops[int(f[0])] = f[1]
    # hop 1 is dplbd (it sends no time exceeded), 2 the router, 3 the host
    assert ROUTER_IP in hops.values(), r.stdout
    assert OUT_IP in hops.values(), r.stdout


PORT_UNREACH = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
s.connect((sys.argv[1], 7999))
s.send(b"anyone?")
try:
    s.recv(100)
    print("answer")
except ConnectionRefusedError:
    print("refused")
except OSError as e:
    print("error", e)
"""


def test_port_unreachable_translated(lab, outside):
    related = lab.lcore_total("icmp_related")
    r = lab.run("rs2", "/usr/bin/python3", "-c", PORT_UNREACH, OUT_IP)
    assert r.stdout.strip() == "refused", r.stdout + r.stderr
    assert lab.lcore_total("icmp_related") > related


EXHAUST = r"""
import json, socket, sys
dst, n = sys.argv[1], int(sys.argv[2])
socks, good = [], 0
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    s.sendto(b"flow %d" % i, (dst, 7000))
    socks.append(s)
for s in socks:
    try:
        s.recv(4096)
        good += 1
    except OSError:
        pass
print(json.dumps(good))
"""


def test_port_exhaustion(lab, outside):
    # only rs2's UDP, from 4 ports per worker: 8 flows at a time
    r = lab.ctl_cli("snat", "flush")
    assert r.returncode == 0, r.stderr
    r = lab.ctl_cli("snat", "add", "src", f"{RS2_IP}/32", "proto", "udp",
                    "to", DP0_IP, "ports-per-worker", "4")
    assert r.returncode == 0, r.stderr
    # the earlier tests' UDP flows expire first (3 s)
    wait_for(lambda: not [c for c in lab.conns() if c["proto"] == "udp"],
             timeout=15)
    drops = lab.drops().get("snat_no_port", 0)
    r = lab.run("rs2", "/usr/bin/python3", "-c", EXHAUST, OUT_IP, "40",
                timeout=60)
    good = json.loads(r.stdout)
    assert 1 <= good <= 8, good
    assert lab.drops().get("snat_no_port", 0) > drops
    [rule] = snat_rules(lab)
    assert rule["no_port"] > 0 and rule["ports_per_worker"] == 4
    assert lab.dplbd.proc.poll() is None
    # the ports free up with the flows' timeout: new flows go through
    wait_for(lambda: not [c for c in lab.conns() if c["proto"] == "udp"],
             timeout=15)
    r = lab.run("rs2", "/usr/bin/python3", "-c", EXHAUST, OUT_IP, "4",
                timeout=60)
    assert json.loads(r.stdout) == 4
    r = lab.ctl_cli("snat", "del", "src", f"{RS2_IP}/32", "proto", "udp")
    assert r.returncode == 0, r.stderr
    assert snat_rules(lab) == []
