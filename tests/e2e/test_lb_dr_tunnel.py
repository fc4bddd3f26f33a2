# SPDX-License-Identifier: GPL-2.0-or-later
"""DR and TUNNEL end to end with two workers on af_packet: dplbd forwards
the client's packets only (DR: new destination MAC; TUNNEL: IPIP), the
real servers answer the client straight over the lab's direct-return path
(`lab.sh direct-return`: a second client leg c1 in the servers' switch,
the VIP on the servers' loopback and tunnel device, a policy route from
the VIP to c1).  dplbd never sees a reply, so its connections follow the
INPUT-ONLY table and expire from the client's packets alone."""

import json
import subprocess

import pytest

from labtest import CLIENT_IP, DR_CLIENT_IP, RS1_IP, RS2_IP, wait_for

LAB_WORKERS = 2

VIP = "198.18.0.100"
N = 200
MODES = [pytest.param(82, "dr", id="dr"),
         pytest.param(83, "tunnel", id="tunnel")]
SERVERS = (("rs1", RS1_IP), ("rs2", RS2_IP))


@pytest.fixture(scope="module")
def dr(lab):
    info = lab.direct_return(VIP)
    lab.call("addr.add", {"addr": f"{VIP}/32", "dev": "dp0"})
    for port, fwd in ((82, "dr"), (83, "tunnel")):
        lab.call("service.add", {"proto": "tcp", "vip": VIP, "port": port,
                                 "sched": "rr"})
        for node, addr in SERVERS:
            # nginx on 0.0.0.0:port answers for the VIP on lo / the tunnel
            lab.sh("start-web", f"{node}p{port}", node, "0.0.0.0", str(port),
                   node)
            lab.call("dest.add", {"proto": "tcp", "vip": VIP, "port": port,
                                  "addr": addr, "fwd": fwd})
    lab.dr_info = info
    return lab


def need_mode(lab, fwd):
    if fwd == "tunnel" and lab.dr_info.get("tunnel") == "none":
        pytest.skip(f"TUNNEL: {lab.dr_info.get('tunnel_reason')}")


def tunnel_dev(lab):
    return {"kernel": "tunl0", "userspace": "ipipd0"}.get(
        lab.dr_info.get("tunnel"))


def svc_stats(lab, port):
    (s,) = lab.call("stats.show", {"proto": "tcp", "vip": VIP, "port": port})
    return s["stats"]


def dests(lab, port):
    return lab.call("dest.list", {"proto": "tcp", "vip": VIP, "port": port})


def access_log(lab, name):
    with open(f"{lab.state}/{name}/access.log") as f:
        return [line.split()[0] for line in f if line.strip()]


def snapshot(lab, port):
    ports = lab.ports()
    snap = {"dp1_rx": ports["dp1"]["stats"]["ipackets"],
            "dp0_tx": ports["dp0"]["stats"]["opackets"],
            "c1_rx": lab.link_stats("c", "c1")["rx_packets"],
            "svc": svc_stats(lab, port)}
    dev = tunnel_dev(lab)
    for node, _ in SERVERS:
        snap[f"{node}_tun_rx"] = (lab.link_stats(node, dev)["rx_packets"]
                                  if dev else 0)
    return snap


ARP_PROBE = r"""
import socket, struct, sys, time
ifname, sip, tips = sys.argv[1], sys.argv[2], sys.argv[3:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
s.bind((ifname, 0))
mac = s.getsockname()[4]
res = {}
for tip in tips:
    req = (b"\xff" * 6 + mac + b"\x08\x06" +
           struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac +
           socket.inet_aton(sip) + b"\x00" * 6 + socket.inet_aton(tip))
    s.send(req)
    res[tip] = []
    s.settimeout(0.2)
    end = time.monotonic() + 1.0
    while time.monotonic() < end:
        try:
            f = s.recv(2048)
        except socket.timeout:
            continue
        op = struct.unpack("!H", f[20:22])[0]
        if op == 2 and f[28:32] == socket.inet_aton(tip):
            res[tip].append(f[22:28].hex(":"))
print(__import__("json").dumps(res))
"""


def test_servers_never_answer_arp_for_the_vip(dr):
    # from the client's leg in the servers' switch: rs1 answers for its own
    # address (the probe works), nobody for the VIP
    r = dr.run("c", "python3", "-c", ARP_PROBE, "c1", DR_CLIENT_IP, RS1_IP,
               VIP, check=True)
    res = json.loads(r.stdout)
    assert res[RS1_IP] == [dr.mac("rs1", "eth0")], res
    assert res[VIP] == [], res


def conns_new(lab):
    return [w["conns_new"] for w in lab.workers_stats()]


@pytest.mark.parametrize("port,fwd", MODES)
def test_200_curls_answered_directly(dr, port, fwd):
    """What must hold whatever the machine's load: every curl answered,
    by both servers, through connections both workers scheduled; no
    reply through dplbd.  No count that timing changes: FIN_WAIT entries
    expire after 7 s (this mode's first ones on a slow run, the other
    mode's at any time), and the workers' counters are not per VIP."""
    need_mode(dr, fwd)
    before = snapshot(dr, port)
    new0 = conns_new(dr)
    counts = dr.curl_counts(f"http://{VIP}:{port}/", N)
    after = snapshot(dr, port)
    new = [b - a for a, b in zip(new0, conns_new(dr))]
    d = {k: after[k] - before[k] for k in before if k != "svc"}
    svc = {k: after["svc"][k] - before["svc"][k] for k in after["svc"]}
    info = f"{fwd}: counts {counts} deltas {d} service {svc} new {new}"
    print(info)

    assert sum(counts.values()) == N and set(counts) == {"rs1", "rs2"}, info
    # each worker scheduled some of them (only this test makes new ones)
    assert all(n > 0 for n in new) and sum(new) >= N, info
    # two workers, each with its own rr cursor: even up to one per worker
    assert abs(counts["rs1"] - counts["rs2"]) <= dr.workers, info
    # dplbd scheduled every connection and saw its client packets only
    assert svc["conns"] == N, info
    assert svc["inpkts"] >= 5 * N, info
    assert svc["outpkts"] == 0, info
    # the replies (>= 4 per connection: SYN+ACK, data, FIN, ACK) came in
    # on c1 and not through dplbd: dp1 got no reply, dp0 sent none
    assert d["c1_rx"] >= 4 * N, info
    assert d["dp1_rx"] < N // 4, info
    assert d["dp0_tx"] < N // 4, info
    # what is still tracked was tracked from the client's packets only
    # (INPUT-ONLY): after the client's FIN, FIN_WAIT (the INPUT table
    # would say CLOSE_WAIT); how many are left depends on the run's speed
    conns = dr.conns(vip=f"{VIP}:{port}")
    assert len(conns) <= N, info
    assert {(c["state"], c["fwd"], c["local"]) for c in conns} <= {
        ("FIN_WAIT", fwd, None)}, conns[:3]
    assert {c["client"].split(":")[0] for c in conns} <= {CLIENT_IP}
    assert {c["dest"] for c in conns} <= {f"{a}:{port}" for _, a in SERVERS}
    # TUNNEL: every client packet went through the servers' decapsulation
    tun = d["rs1_tun_rx"] + d["rs2_tun_rx"]
    if fwd == "tunnel":
        assert tun >= svc["inpkts"] and min(d["rs1_tun_rx"],
                                            d["rs2_tun_rx"]) > 0, info
    else:
        assert tun == 0, info


@pytest.mark.parametrize("port,fwd", MODES)
def test_server_sees_the_client(dr, port, fwd):
    need_mode(dr, fwd)
    for node, _ in SERVERS:
        srcs = access_log(dr, f"{node}p{port}")
        assert srcs and set(srcs) == {CLIENT_IP}, (node, set(srcs))


HOLD = r"""
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
print(s.getsockname()[1], flush=True)
sys.stdin.read()
s.close()
"""


@pytest.mark.parametrize("port,fwd", MODES)
def test_connection_tracked_from_client_packets_only(dr, port, fwd):
    """INPUT-ONLY: the handshake's last ACK makes the connection
    ESTABLISHED (ActiveConn) without any reply seen; the client's FIN
    moves it to FIN_WAIT (InActConn; INPUT would give CLOSE_WAIT)."""
    need_mode(dr, fwd)
    active0 = sum(x["active_conns"] for x in dests(dr, port))
    p = subprocess.Popen(dr.in_ns("c", "python3", "-c",
                          HOLD, VIP, str(port)), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    try:
        sport = p.stdout.readline().strip()
        assert sport, "could not connect"
        assert wait_for(lambda: sum(x["active_conns"]
                                    for x in dests(dr, port)) == active0 + 1,
                        timeout=3), dests(dr, port)
        # the client port may have served the other mode's VIP port
        # (an entry of it still in FIN_WAIT): this VIP's only
        (c,) = dr.conns(client=f"{CLIENT_IP}:{sport}", vip=f"{VIP}:{port}")
        assert (c["state"], c["fwd"], c["vip"]) == (
            "ESTABLISHED", fwd, f"{VIP}:{port}"), c
        assert 80000 < c["expire_ms"] <= 90000, c
    finally:
        p.stdin.close()
        p.wait(timeout=10)
    assert wait_for(lambda: sum(x["active_conns"]
                                for x in dests(dr, port)) == active0,
                    timeout=3), dests(dr, port)
    (c,) = dr.conns(client=f"{CLIENT_IP}:{sport}", vip=f"{VIP}:{port}")
    assert c["state"] == "FIN_WAIT" and c["expire_ms"] <= 7000, c
    assert svc_stats(dr, port)["outpkts"] == 0


def test_connections_expire(dr):
    # FIN_WAIT (INPUT-ONLY after the client's FIN) expires after 7 s
    def conns():
        return sum(w["conns"] for w in dr.workers_stats())

    assert wait_for(lambda: conns() == 0, timeout=25), dr.workers_stats()
    ws = dr.workers_stats()
    new = sum(w["conns_new"] for w in ws)
    assert new > 0 and all(w["conns_new"] > 0 for w in ws), ws
    assert sum(w["conns_expired"] for w in ws) == new, ws
    for port in (82, 83):
        for x in dests(dr, port):
            assert (x["active_conns"], x["inactive_conns"]) == (0, 0), x
