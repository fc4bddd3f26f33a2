# SPDX-License-Identifier: GPL-2.0-or-later
"""UDP load balancing through FNAT and NAT with two workers on af_packet:
python3 echo servers in rs1 and rs2 (`lab.sh start-udp-echo`), a python3
client in the client namespace sending datagrams from distinct source
ports to the VIP and checking every reply: payload, server, and the source
address the server saw (FNAT: the LIP; NAT: the client)."""

import json

import pytest

from labtest import CLIENT_IP
from labtest import UDP_ECHO_PORT as ECHO_PORT
from labtest import UDP_FNAT_PORT as FNAT_PORT
from labtest import UDP_LIP as LIP
from labtest import UDP_NAT_PORT as NAT_PORT
from labtest import UDP_SERVERS as SERVERS
from labtest import UDP_VIP as VIP

LAB_WORKERS = 2

N = 200
MODES = [pytest.param(FNAT_PORT, "fnat", id="fnat"),
         pytest.param(NAT_PORT, "nat", id="nat")]
LB_DROPS = ("not_syn", "no_dest", "no_lport", "conn_table_full",
            "l4_bad_header", "steer_ring_full")


@pytest.fixture(scope="module")
def udp(lab):
    lab.udp_echo_services()
    # (service port, client port) of every flow sent: a later client may
    # get an ephemeral port again and then reuses that flow's connection
    lab.udp_flows = set()
    return lab


# argv: VIP PORT N PER_SOCKET NOCSUM.  N sockets, each on its own source
# port (all kept open, so the ports differ), PER_SOCKET datagrams each,
# one at a time; payload lengths vary (odd and even, up to 1400 bytes).
# Prints one JSON object per datagram.
CLIENT = r"""
import json, os, socket, sys
vip, port, n, per, nocsum = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "1"
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if nocsum:
        s.setsockopt(socket.SOL_SOCKET, 11, 1)  # SO_NO_CHECK: checksum 0
    s.bind(("0.0.0.0", 0))
    s.settimeout(2)
    socks.append(s)
    for j in range(per):
        size = 1 + (i * 7 + j * 131) % 1400
        payload = os.urandom(size).hex()[:size].encode()
        s.sendto(payload, (vip, port))
        r = {"i": i, "j": j, "sport": s.getsockname()[1]}
        try:
            data, peer = s.recvfrom(65535)
            head, _, rest = data.partition(b" ")
            seen, _, echo = rest.partition(b" ")
            r.update(peer=f"{peer[0]}:{peer[1]}", server=head.decode(),
                     seen=seen.decode(), ok=echo == payload)
        except socket.timeout:
            r.update(timeout=True, ok=False)
        print(json.dumps(r), flush=True)
"""


def send(lab, port, n, per=1, nocsum=False):
    """The results, and how many of their flows are new (a connection)."""
    r = lab.run("c", "python3", "-c", CLIENT, VIP, str(port), str(n),
                str(per), "1" if nocsum else "0", timeout=n * per * 2 + 30)
    assert r.returncode == 0, r.stderr
    results = [json.loads(line) for line in r.stdout.splitlines()]
    flows = {(port, r["sport"]) for r in results}
    new = len(flows - lab.udp_flows)
    lab.udp_flows |= flows
    return results, new


def svc_stats(lab, port):
    (s,) = lab.call("stats.show", {"proto": "udp", "vip": VIP, "port": port})
    return s["stats"]


def lb_drops(lab):
    d = lab.drops()
    return {k: d.get(k, 0) for k in LB_DROPS}


def check(lab, port, fwd, results, n):
    bad = [r for r in results if not r["ok"]]
    assert len(results) == n and not bad, (
        f"{len(bad)} of {n} datagrams without a correct reply, e.g. {bad[:3]}; "
        f"drops {lab.drops()}")
    assert {r["peer"] for r in results} == {f"{VIP}:{port}"}
    seen_ip = {r["seen"].split(":")[0] for r in results}
    if fwd == "fnat":
        assert seen_ip == {LIP}, seen_ip
    else:
        assert seen_ip == {CLIENT_IP}, seen_ip
        # NAT keeps the client's port
        assert all(r["seen"] == f"{CLIENT_IP}:{r['sport']}" for r in results)


@pytest.mark.parametrize("port,fwd", MODES)
def test_datagrams_from_distinct_ports_all_answered(udp, port, fwd):
    drops0, st0 = lb_drops(udp), svc_stats(udp, port)
    w0 = udp.workers_stats()
    results, new_flows = send(udp, port, N)
    check(udp, port, fwd, results, N)
    assert len({r["sport"] for r in results}) == N == new_flows

    # round robin, one cursor per worker: even up to one per worker
    per = {s: sum(r["server"] == s for r in results) for s, _ in SERVERS}
    assert sum(per.values()) == N, per
    assert abs(per["rs1"] - per["rs2"]) <= udp.workers, per

    st = {k: v - st0[k] for k, v in svc_stats(udp, port).items()}
    assert (st["conns"], st["inpkts"], st["outpkts"]) == (N, N, N), st
    # conn.list: one UDP connection per source port; full-NAT's local
    # address:port is what the server saw
    conns = {c["client"]: c for c in udp.conns(vip=f"{VIP}:{port}")}
    assert len(conns) == N
    for r in results:
        c = conns[f"{CLIENT_IP}:{r['sport']}"]
        assert (c["proto"], c["state"], c["fwd"]) == ("udp", "UDP", fwd), c
        assert c["dest"] == f"{dict(SERVERS)[r['server']]}:{ECHO_PORT}", c
        assert c["local"] == (r["seen"] if fwd == "fnat" else None), (c, r)
    assert lb_drops(udp) == drops0
    # both workers own connections (steered by the client's address:port)
    w1 = udp.workers_stats()
    new = [b["conns_new"] - a["conns_new"] for a, b in zip(w0, w1)]
    assert sum(new) == N and min(new) > 0, new


@pytest.mark.parametrize("port,fwd", MODES)
def test_servers_log_the_expected_source(udp, port, fwd):
    want = LIP if fwd == "fnat" else CLIENT_IP
    for node, _ in SERVERS:
        srcs = {a for a, _, _ in udp.udp_peers(f"{node}udp")}
        assert want in srcs, (node, srcs)
        assert srcs <= {LIP, CLIENT_IP}, (node, srcs)


@pytest.mark.parametrize("port,fwd", MODES)
def test_one_source_port_sticks_to_its_server(udp, port, fwd):
    st0 = svc_stats(udp, port)
    results, new_flows = send(udp, port, 4, per=10)
    check(udp, port, fwd, results, 40)
    for i in range(4):
        servers = {r["server"] for r in results if r["i"] == i}
        seen = {r["seen"] for r in results if r["i"] == i}
        assert len(servers) == 1 and len(seen) == 1, (i, servers, seen)
    st = {k: v - st0[k] for k, v in svc_stats(udp, port).items()}
    assert (st["conns"], st["inpkts"], st["outpkts"]) == (new_flows, 40, 40), st


@pytest.mark.parametrize("port,fwd", MODES)
def test_datagrams_without_checksum(udp, port, fwd):
    """UDP checksum 0 (SO_NO_CHECK) stays valid through the rewrite."""
    drops0 = lb_drops(udp)
    results, _ = send(udp, port, 20, nocsum=True)
    check(udp, port, fwd, results, 20)
    assert lb_drops(udp) == drops0


def test_udp_connections_tracked(udp):
    # UDP connections stay (300 s); every one counts as inactive
    ws = udp.workers_stats()
    assert sum(w["conns"] for w in ws) == len(udp.udp_flows), ws
    for port in (FNAT_PORT, NAT_PORT):
        ds = udp.call("dest.list", {"proto": "udp", "vip": VIP, "port": port})
        flows = sum(p == port for p, _ in udp.udp_flows)
        assert flows > N
        assert sum(x["inactive_conns"] for x in ds) == flows, ds
        assert sum(x["active_conns"] for x in ds) == 0, ds
