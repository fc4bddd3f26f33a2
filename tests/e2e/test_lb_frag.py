# SPDX-License-Identifier: GPL-2.0-or-later
"""Fragments through the load balancer, end to end, on net_af_xdp with
two workers (net_af_packet would not do: its fanout defrag flag makes the
kernel reassemble fragments before dplbd sees them, tests/lab/README.md).

4,000-byte UDP datagrams from the client's kernel (three fragments at MTU
1500) go to python3 echo servers in rs1 and rs2 through full NAT and NAT;
dplbd reassembles them on the worker that owns the datagram, hands the
whole one to the flow's owner, rewrites it and fragments it again toward
the server; the servers' 4,000-byte answers come back the same way.  Then
scapy in the client sends what a reassembler must refuse (overlapping,
short and oversized fragments) and a datagram with TTL 1."""

import json
import time

import pytest

from labtest import CLIENT_IP, wait_for
from labtest import UDP_FNAT_PORT as FNAT_PORT
from labtest import UDP_LIP as LIP
from labtest import UDP_NAT_PORT as NAT_PORT
from labtest import UDP_SERVERS as SERVERS
from labtest import UDP_VIP as VIP

LAB_PMD = "af_xdp"
LAB_WORKERS = 2

SIZE = 4000
N = 40
MODES = [pytest.param(FNAT_PORT, "fnat", id="fnat"),
         pytest.param(NAT_PORT, "nat", id="nat")]
FRAG_DROPS = ("frag_timeout", "frag_table_full", "frag_memory",
              "frag_overlap", "frag_invalid", "ipv4_fragment",
              "segmented_header", "too_big", "no_mbuf")


@pytest.fixture(scope="module")
def udp(lab):
    lab.udp_echo_services()
    return lab


# argv: VIP PORT N SIZE: N sockets on distinct source ports, one datagram
# of SIZE bytes each (the kernel fragments it), the echo checked byte for
# byte; one JSON object per datagram.
CLIENT = r"""
import json, os, socket, sys
vip, port, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    s.settimeout(3)
    socks.append(s)
    payload = os.urandom(size)
    s.sendto(payload, (vip, port))
    r = {"i": i, "sport": s.getsockname()[1]}
    try:
        data, peer = s.recvfrom(65535)
        head, _, rest = data.partition(b" ")
        seen, _, echo = rest.partition(b" ")
        r.update(peer=f"{peer[0]}:{peer[1]}", server=head.decode(),
                 seen=seen.decode(), ok=echo == payload, size=len(echo))
    except socket.timeout:
        r.update(timeout=True, ok=False)
    print(json.dumps(r), flush=True)
"""


def counters(lab):
    ws = lab.workers_stats()
    keys = ("frags_in", "reassembled", "frags_out", "steered_out")
    return {k: sum(w[k] for w in ws) for k in keys}


def frag_drops(lab):
    d = lab.drops()
    return {k: d.get(k, 0) for k in FRAG_DROPS}


@pytest.mark.parametrize("port,fwd", MODES)
def test_4000_byte_datagrams_both_ways(udp, port, fwd):
    c0, d0 = counters(udp), frag_drops(udp)
    r = udp.run("c", "/usr/bin/python3", "-c", CLIENT, VIP, str(port),
                str(N), str(SIZE), timeout=N * 4 + 30)
    assert r.returncode == 0, r.stderr
    results = [json.loads(line) for line in r.stdout.splitlines()]
    bad = [x for x in results if not x["ok"]]
    assert len(results) == N and not bad, (
        f"{len(bad)} of {N} datagrams without their echo, e.g. {bad[:3]}; "
        f"drops {udp.drops()}")
    assert {x["peer"] for x in results} == {f"{VIP}:{port}"}
    seen = {x["seen"].split(":")[0] for x in results}
    assert seen == ({LIP} if fwd == "fnat" else {CLIENT_IP}), seen
    assert {x["server"] for x in results} == {"rs1", "rs2"}
    c = {k: v - c0[k] for k, v in counters(udp).items()}
    # each way three fragments in, one datagram, three out
    assert c["reassembled"] >= 2 * N and c["frags_in"] >= 6 * N, c
    assert c["frags_out"] >= 6 * N, c
    assert frag_drops(udp) == d0


# argv: VIP PORT: what a reassembler must refuse, then a datagram with
# TTL 1 (expects time exceeded from the VIP); prints JSON.
ATTACKS = r"""
import json, sys
from scapy.all import IP, UDP, ICMP, Raw, send, sr1, conf
conf.verb = 0
vip, port = sys.argv[1], int(sys.argv[2])
def dgram(sport, ident, n=2000):
    return IP(dst=vip, id=ident) / UDP(sport=sport, dport=port) / Raw(bytes(n))
def cut(p, size=1480):
    raw = bytes(p)
    ihl = (raw[0] & 0x0f) * 4
    body = raw[ihl:]
    out = []
    for off in range(0, len(body), size):
        f = IP(raw[:ihl]); f.remove_payload()
        f.len = ihl + len(body[off:off + size]); f.frag = off // 8
        f.flags = "MF" if off + size < len(body) else 0; del f.chksum
        out.append(f / Raw(body[off:off + size]))
    return out
a = cut(dgram(51000, 0x5100))
over = a[1].copy(); over.frag -= 1; del over.chksum
short = cut(dgram(51001, 0x5101))[0]
short = IP(bytes(short)[:-3]); short.len -= 3; del short.chksum
death = cut(dgram(51002, 0x5102))[1]; death.frag = 8189; del death.chksum
send([a[0], over, short, death])
ans = sr1(IP(dst=vip, ttl=1) / UDP(sport=51003, dport=port) / Raw(b"ttl"), timeout=3)
print(json.dumps({"icmp": None if ans is None or not ans.haslayer(ICMP) else
                  [ans[IP].src, ans[ICMP].type, ans[ICMP].code]}))
"""


def test_fragment_attacks_and_ttl(udp):
    d0 = udp.drops()
    peers0 = sum(len(udp.udp_peers(f"{n}udp")) for n, _ in SERVERS)
    r = udp.run("c", "/usr/bin/python3", "-c", ATTACKS, VIP,
                str(FNAT_PORT), timeout=60)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["icmp"] == [VIP, 11, 0], out

    def risen():
        d = udp.drops()
        return {k: d[k] - d0.get(k, 0) for k in d if d[k] != d0.get(k, 0)}
    # the overlap kills both fragments of its datagram; short and beyond
    # 65,535 are invalid; TTL 1 dies with the error seen above
    assert wait_for(lambda: risen().get("frag_overlap", 0) >= 2 and
                    risen().get("frag_invalid", 0) >= 2), risen()
    assert risen().get("ttl_exceeded", 0) >= 1, risen()
    time.sleep(0.5)
    # nothing of them reached a server
    assert sum(len(udp.udp_peers(f"{n}udp")) for n, _ in SERVERS) == peers0
    assert udp.lcore_total("icmp_errors_sent") >= 1
