# SPDX-License-Identifier: GPL-2.0-or-later
"""Full NAT hides a UDP client too; the PROXY protocol v2 (DGRAM) tells
the server, in front of the first datagram of each connection.

A python3 server in rs1 parses the v2 header where a datagram starts with
its signature, remembers the client it names for the address and port
the datagram came from (dplbd's local address and port), and answers
every datagram with "CLIENT_IP:PORT FROM_IP:PORT PAYLOAD"; a datagram
without a header from a flow it does not know is answered "UNKNOWN".
dplbd (two workers on af_packet) serves one UDP FNAT service with
proxy-protocol-v2.  Every client socket must get its echoes, each
naming the client's real address and port; the server must have read
exactly one header per flow (the first datagram), and none on the
replies' way back."""

import json

import pytest

from labtest import CLIENT_IP, RS1_IP, wait_for

LAB_WORKERS = 2

VIP = "198.18.0.100"
LIP = "198.18.1.100"
VPORT = 5353
SRV_PORT = 5400
N_SOCKS = 40
PER = 5

# argv: ADDR PORT LOG.  One line of JSON per datagram in LOG: its source,
# whether it carried a header, and the client the server attributes it to.
SERVER = r"""
import json, socket, struct, sys
SIG = b"\r\n\r\n\x00\r\nQUIT\n"
addr, port, log = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "a")
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((addr, port))
print("ready", flush=True)
clients = {}
while True:
    data, peer = s.recvfrom(65535)
    hdr = data.startswith(SIG)
    if hdr:
        ver, fam, n = data[12], data[13], struct.unpack("!H", data[14:16])[0]
        if ver != 0x21 or fam != 0x12 or n != 12 or len(data) < 28:
            s.sendto(b"BAD " + data[12:16].hex().encode(), peer)
            continue
        src, dst = socket.inet_ntoa(data[16:20]), socket.inet_ntoa(data[20:24])
        sp, dp = struct.unpack("!HH", data[24:28])
        clients[peer] = (f"{src}:{sp}", f"{dst}:{dp}")
        data = data[28:]
    client = clients.get(peer, ("UNKNOWN", ""))
    log.write(json.dumps({"peer": f"{peer[0]}:{peer[1]}", "hdr": hdr,
                          "client": client[0], "vip": client[1],
                          "len": len(data)}) + "\n")
    log.flush()
    s.sendto(f"{client[0]} {peer[0]}:{peer[1]} ".encode() + data, peer)
"""

# argv: VIP PORT N PER.  N sockets on distinct source ports, PER
# datagrams each, one at a time; one JSON line per datagram.
CLIENT = r"""
import json, os, socket, sys
vip, port, n, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    s.settimeout(2)
    socks.append(s)
    for j in range(per):
        payload = os.urandom(8 + (i * 37 + j * 101) % 1200).hex().encode()
        payload = payload[:8 + (i * 37 + j * 101) % 1200]
        s.sendto(payload, (vip, port))
        r = {"i": i, "j": j, "sport": s.getsockname()[1]}
        try:
            data, peer = s.recvfrom(65535)
            seen, _, rest = data.partition(b" ")
            via, _, echo = rest.partition(b" ")
            r.update(peer=f"{peer[0]}:{peer[1]}", seen=seen.decode(),
                     via=via.decode(), ok=echo == payload)
        except socket.timeout:
            r.update(timeout=True, ok=False)
        print(json.dumps(r), flush=True)
"""


@pytest.fixture(scope="module")
def ppu(lab):
    log = f"{lab.state}/ppudp.log"
    srv = lab.spawn("rs1", "python3", "-c", SERVER, RS1_IP, str(SRV_PORT),
                    log)
    try:
        assert srv.stdout.readline().strip() == "ready", srv.stderr.read()
        lab.call("addr.add", {"addr": f"{VIP}/32", "dev": "dp0"})
        lab.call("addr.add", {"addr": f"{LIP}/32", "dev": "dp1"})
        lab.call("laddr.add", {"group": "lg1", "addr": LIP})
        r = lab.ctl_cli("service", "add", "-u", f"{VIP}:{VPORT}", "-s", "rr",
                        "-l", "lg1", "--proxy-protocol", "v2")
        assert r.returncode == 0, r.stderr
        lab.call("dest.add", {"proto": "udp", "vip": VIP, "port": VPORT,
                              "addr": RS1_IP, "dport": SRV_PORT,
                              "fwd": "fnat"})
        yield log
    finally:
        srv.kill()
        srv.wait(timeout=10)


def server_log(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_server_sees_each_clients_address_and_port(ppu, lab):
    drops0 = lab.drops()
    r = lab.run("c", "python3", "-c", CLIENT, VIP, str(VPORT), str(N_SOCKS),
                str(PER), timeout=N_SOCKS * PER * 2 + 30)
    assert r.returncode == 0, r.stderr
    res = [json.loads(line) for line in r.stdout.splitlines()]
    bad = [x for x in res if not x["ok"]]
    assert len(res) == N_SOCKS * PER and not bad, (bad[:3], lab.drops())
    assert {x["peer"] for x in res} == {f"{VIP}:{VPORT}"}
    # the server attributes every datagram to the client's real address
    # and port, not to the local address it came from
    wrong = [x for x in res if x["seen"] != f"{CLIENT_IP}:{x['sport']}"]
    assert not wrong, wrong[:3]
    assert {x["via"].split(":")[0] for x in res} == {LIP}
    print(f"\n[ppudp] {len(res)} echoes to {N_SOCKS} client ports, each "
          f"naming its client ({res[0]['seen']} via {res[0]['via']} ...)")

    # one header per flow, on its first datagram; the rest came bare
    assert wait_for(lambda: len(server_log(ppu)) >= N_SOCKS * PER, timeout=5)
    log = server_log(ppu)
    flows = {}
    for e in log:
        flows.setdefault(e["peer"], []).append(e)
    assert len(flows) == N_SOCKS, len(flows)
    for peer, es in flows.items():
        assert [e["hdr"] for e in es] == [True] + [False] * (PER - 1), es
        assert {e["vip"] for e in es} == {f"{VIP}:{VPORT}"}, es
        assert len({e["client"] for e in es}) == 1, es
    # dplbd's connections: one per client port, local = what the server saw
    conns = {c["client"]: c for c in lab.conns(vip=f"{VIP}:{VPORT}")}
    for x in res:
        assert conns[x["seen"]]["local"] == x["via"], (x, conns[x["seen"]])
    d = lab.drops()
    assert d.get("pp_too_big", 0) == drops0.get("pp_too_big", 0)


def test_too_big_first_datagram(ppu, lab):
    """1472 bytes of payload fill a 1500-byte MTU, so the header takes
    the first datagram past it.  With DF (IP_PMTUDISC_DO) it is dropped
    (pp_too_big), no connection stays, and the client hears
    fragmentation needed (1472): its next send of that size fails
    locally (EMSGSIZE) and a smaller one gets through with its header.
    Without DF it leaves in fragments, which the server's kernel
    reassembles: the whole datagram is answered, naming the client."""
    before = lab.drops().get("pp_too_big", 0)
    script = r"""
import socket, sys
vip, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 2)  # IP_MTU_DISCOVER = IP_PMTUDISC_DO
s.bind(("0.0.0.0", 0))
s.settimeout(1)
s.sendto(b"x" * 1472, (vip, port))
try:
    s.recvfrom(65535)
    print("answered")
except socket.timeout:
    print("none")
try:
    s.sendto(b"x" * 1472, (vip, port))
    print("sent")
except OSError as e:
    print("emsgsize" if e.errno == 90 else repr(e))
s.settimeout(3)
s.sendto(b"small", (vip, port))
data, _ = s.recvfrom(65535)
print(s.getsockname()[1], data.split()[0].decode())
t = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t.setsockopt(socket.IPPROTO_IP, 10, 0)  # IP_PMTUDISC_DONT: no DF
t.bind(("0.0.0.0", 0))
t.settimeout(3)
t.sendto(b"y" * 1472, (vip, port))
data, _ = t.recvfrom(65535)
seen, via, echo = data.split(b" ", 2)
print(t.getsockname()[1], seen.decode(), echo == b"y" * 1472)
"""
    r = lab.run("c", "python3", "-c", script, VIP, str(VPORT), timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:2] == ["none", "emsgsize"], r.stdout
    sport, seen = lines[2].split()
    assert seen == f"{CLIENT_IP}:{sport}", r.stdout
    sport, seen, whole = lines[3].split()
    assert (seen, whole) == (f"{CLIENT_IP}:{sport}", "True"), r.stdout
    assert lab.drops().get("pp_too_big", 0) == before + 1
