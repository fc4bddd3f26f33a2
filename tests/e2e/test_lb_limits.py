# SPDX-License-Identifier: GPL-2.0-or-later
"""Limits on real servers and connections end to end, two workers on
af_packet, full-NAT, timeouts shortened in dplbd.conf:

- connection thresholds (dest u_threshold / l_threshold);
- drain: weight 0 and dest.del keep an established transfer going, and
  with the service flag expire-quiescent end it at its next packet;
- timeouts: idle connections expire on time, and 72000 connections from
  a SYN flood expire and give back their local ports, so that each
  worker's slice of the LIP's ports wraps around without a failure;
- an ICMP fragmentation-needed from a real server reaches the client
  from the VIP, quoting the client's own segment, every checksum valid,
  and the client's kernel takes it (its path MTU to the VIP drops)."""

import time

import pytest

from labtest import CLIENT_IP, RS1_IP, RS2_IP, SYN_FLOOD, Holder, wait_for

LAB_WORKERS = 2
ESTABLISHED_S = 3
LAB_CONF_EXTRA = f"""
timeouts = {{
  tcp = {{ established = {ESTABLISHED_S}; syn_recv = 2; close = 1;
          time_wait = 1; fin_wait = 1; close_wait = 1; last_ack = 1; }};
}};
"""

VIP = "198.18.0.100"
LIP = "198.18.1.100"
BIG = 16 << 20          # bytes of /big.bin on both servers
LPORT_SLICE = (65535 - 1024 + 1) // LAB_WORKERS   # ports per worker


@pytest.fixture(scope="module")
def lb(lab):
    lab.call("addr.add", {"addr": f"{VIP}/32", "dev": "dp0"})
    lab.call("addr.add", {"addr": f"{LIP}/32", "dev": "dp1"})
    lab.call("laddr.add", {"group": "lg1", "addr": LIP})
    for node in ("rs1", "rs2"):
        with open(f"{lab.state}/{node}/www/big.bin", "wb") as f:
            f.truncate(BIG)
    return lab


def service(lab, port, sched="rr", dests=((RS1_IP, {}), (RS2_IP, {})),
            dport=80, **extra):
    lab.call("service.add", {"proto": "tcp", "vip": VIP, "port": port,
                             "sched": sched, "laddr_group": "lg1", **extra})
    for addr, attrs in dests:
        lab.call("dest.add", {**key(port, addr, dport), **attrs})


def plain_service(lab, port=92):
    """The rr service on port 92 to both servers' port 80, made once."""
    if port not in {x["port"] for x in lab.call("service.list")}:
        service(lab, port)
    return port


def key(port, addr, dport=80):
    return {"proto": "tcp", "vip": VIP, "port": port, "addr": addr,
            "dport": dport}


def dests(lab, port):
    return {d["addr"]: d for d in
            lab.call("dest.list", {"proto": "tcp", "vip": VIP, "port": port})}


def conn_of(lab, cport):
    """The tracked connection of client port cport, or None."""
    cs = lab.conns(client=f"{CLIENT_IP}:{cport}")
    assert len(cs) <= 1, cs
    return cs[0] if cs else None


def gets(lab, port, n):
    """Bodies of n sequential GETs, in order."""
    return lab.http_gets(VIP, port, rounds=n)[CLIENT_IP]


def total_conns(lab):
    return sum(w["conns"] for w in lab.workers_stats())


# -------------------------------------------------------------- thresholds

def rs1_conns(lab):
    d = dests(lab, 80)[RS1_IP]
    return d["active_conns"] + d["inactive_conns"]


def test_upper_and_lower_connection_thresholds(lb):
    """fo prefers rs1 (weight 2) over rs2; rs1 takes at most 4
    connections (u_threshold) and new ones again below 2 (l_threshold);
    every connection counts, established or not."""
    service(lb, 80, "fo", ((RS1_IP, {"weight": 2, "u_threshold": 4,
                                     "l_threshold": 2}),
                           (RS2_IP, {"weight": 1})))
    with Holder(lb, VIP, 80, 4, keepalive=True) as h:
        assert {conn_of(lb, p)["dest"] for p in h.ports} == {f"{RS1_IP}:80"}
        d = dests(lb, 80)
        assert d[RS1_IP]["active_conns"] == 4 and d[RS1_IP]["overloaded"], d
        # at the upper threshold: nothing new for rs1
        assert gets(lb, 80, 10) == ["rs2"] * 10
        # 3 left (once the closed one has expired): still not below the
        # lower threshold
        h.close(1)
        assert wait_for(lambda: rs1_conns(lb) == 3, timeout=5), dests(lb, 80)
        assert dests(lb, 80)[RS1_IP]["overloaded"]
        assert gets(lb, 80, 5) == ["rs2"] * 5
        # 2 left: not below it yet either
        h.close(1)
        assert wait_for(lambda: rs1_conns(lb) == 2, timeout=5), dests(lb, 80)
        assert dests(lb, 80)[RS1_IP]["overloaded"]
        assert gets(lb, 80, 5) == ["rs2"] * 5
        # 1 left: below it, so rs1 takes connections again, until it
        # has 4 again
        h.close(1)
        assert wait_for(lambda: not dests(lb, 80)[RS1_IP]["overloaded"],
                        timeout=5), dests(lb, 80)
        with Holder(lb, VIP, 80, 4, keepalive=True) as h2:
            assert [conn_of(lb, p)["dest"] for p in h2.ports] == \
                [f"{RS1_IP}:80"] * 3 + [f"{RS2_IP}:80"]
            assert dests(lb, 80)[RS1_IP]["overloaded"]


# -------------------------------------------------------------- drain

# argv: VIP PORT.  GET /big.bin with a small receive buffer; after the
# first 256 KiB prints "started CLIENT_PORT", stops reading (the window
# closes, the server keeps data queued) until a line on stdin, then reads
# on with a 3 s idle timeout and prints "done|timeout|error:X BYTES".
SLOW_READER = r"""
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
s.settimeout(5)
s.connect((sys.argv[1], int(sys.argv[2])))
s.sendall(b"GET /big.bin HTTP/1.0\r\n\r\n")
got = 0
while got < 262144:
    b = s.recv(65536)
    if not b:
        break
    got += len(b)
print("started", s.getsockname()[1], flush=True)
sys.stdin.readline()
s.settimeout(3)
res = "done"
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        got += len(b)
except socket.timeout:
    res = "timeout"
except OSError as e:
    res = "error:" + type(e).__name__
print(res, got, flush=True)
"""


@pytest.fixture(scope="module")
def drain_services(lb):
    service(lb, 90)
    service(lb, 91, flags=["expire-quiescent"])
    return lb


def transfer_around(lab, port, action):
    """Start a big download through VIP:port, apply action to its dest
    (weight 0 or delete) while it is under way, let it finish; returns
    (result line, the connection before, after the change, after the
    end, dest_quiescent drops during it)."""
    p = lab.spawn("c", "/usr/bin/python3", "-c", SLOW_READER, VIP, str(port))
    addr = None
    try:
        line = p.stdout.readline().split()
        assert line and line[0] == "started", p.stderr.read()
        cport = int(line[1])
        before = conn_of(lab, cport)
        assert before and before["state"] == "ESTABLISHED", before
        addr = before["dest"].split(":")[0]
        drops0 = lab.drops()["dest_quiescent"]
        if action == "weight0":
            lab.call("dest.edit", dict(key(port, addr), weight=0))
        else:
            lab.call("dest.del", key(port, addr))
        changed = conn_of(lab, cport)
        p.stdin.write("go\n")
        p.stdin.flush()
        res = p.stdout.readline().split()
        p.wait(timeout=10)
        end = conn_of(lab, cport)
        drops = lab.drops()["dest_quiescent"] - drops0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        # put the dest back as it was
        if addr is None:
            pass
        elif action == "weight0":
            lab.call("dest.edit", dict(key(port, addr), weight=1))
        else:
            lab.call("dest.add", key(port, addr))
    return res, before, changed, end, drops


def server_side(lab, conn):
    """The state of the server's socket of a full-NAT connection (its
    peer is LIP:lport), None when it has none."""
    node = "rs1" if conn["dest"].startswith(RS1_IP + ":") else "rs2"
    lport = conn["local"].split(":")[1]
    r = lab.run(node, "ss", "-Htn", "state", "all", "dport", "=",
                f":{lport}", check=True)
    return r.stdout.split()[0] if r.stdout.strip() else None


@pytest.mark.parametrize("action", ["weight0", "delete"])
def test_drain_keeps_the_transfer_going(drain_services, action):
    lb = drain_services
    res, before, changed, end, drops = transfer_around(lb, 90, action)
    # the whole file (and the response header) arrived
    assert res[0] == "done" and int(res[1]) > BIG, res
    assert changed is not None and changed["dest"] == before["dest"]
    # the connection ran to its end through dplbd: closed, not dropped;
    # nginx closed first, so its socket waits in TIME-WAIT
    assert end is None or end["state"] in ("TIME_WAIT", "CLOSE"), end
    assert drops == 0
    assert server_side(lb, before) == "TIME-WAIT"


@pytest.mark.parametrize("action", ["weight0", "delete"])
def test_expire_quiescent_ends_the_transfer(drain_services, action):
    """With expire-quiescent the connection is removed at its next
    packet (the client's window update or the server's window probe),
    which is dropped.  The client's further segments are not SYNs and
    are dropped too, so its download stalls where it was; the server's
    next segment to LIP:lport finds no connection and goes to the twin,
    whose kernel answers with a reset: the server's socket is gone (no
    TIME-WAIT) by the time the client gives up."""
    lb = drain_services
    not_syn0 = lb.drops()["not_syn"]
    res, before, changed, end, drops = transfer_around(lb, 91, action)
    assert res[0] == "timeout" and int(res[1]) < BIG // 2, res
    assert end is None
    assert drops == 1
    assert lb.drops()["not_syn"] > not_syn0
    assert server_side(lb, before) is None
    # with the dest back, the service serves both servers again
    assert sorted(set(gets(lb, 91, 4))) == ["rs1", "rs2"]


# -------------------------------------------------------------- timeouts

def test_idle_established_connections_expire(lb):
    """tcp.established = 3 s: idle held connections are gone after
    3 s (plus the wheel's 256 ms slot), their counts released; a late
    segment of one is then dropped as not a SYN."""
    plain_service(lb)
    with Holder(lb, VIP, 92, 4) as h:
        t0 = time.monotonic()
        cs = [conn_of(lb, p) for p in h.ports]
        assert all(c and c["state"] == "ESTABLISHED" and
                   c["expire_ms"] <= ESTABLISHED_S * 1000 for c in cs), cs
        assert sum(d["active_conns"] for d in dests(lb, 92).values()) == 4
        time.sleep(ESTABLISHED_S - 1)
        assert all(conn_of(lb, p) for p in h.ports), "expired too early"
        assert wait_for(lambda: not any(conn_of(lb, p) for p in h.ports),
                        timeout=4, interval=0.05)
        took = time.monotonic() - t0
        print(f"idle connections expired after {took:.2f} s")
        assert took <= ESTABLISHED_S + 1.5
        assert all(d["active_conns"] == 0 and d["inactive_conns"] == 0
                   for d in dests(lb, 92).values())
        before = lb.drops()["not_syn"]
        h.send(0, "X-Late: 1")
        assert wait_for(lambda: lb.drops()["not_syn"] > before, timeout=3)


# argv: VIP PORT SRC FIRST_SPORT N PPS.  N TCP SYNs from SRC, source ports
# FIRST_SPORT.., through a raw socket, paced at PPS.


def test_expired_connections_give_their_local_ports_back(lb):
    """Waves of 36000 SYNs, each from a new client address, to a closed
    port of the servers (they answer RST): the connections expire within
    the close / syn_recv timeouts, and the waves go on (2, or more if
    steering drops under load left a worker short) until every worker has
    made more connections than its slice of 32256 local ports, so that
    its lport sequence has wrapped onto ports of expired connections,
    which must all be free again (no no_lport drop).  Every connection
    is released: counts back to 0."""
    service(lb, 93, dport=9)
    ws0 = lb.workers_stats()
    drops0 = lb.drops()
    peak, waves = 0, 0
    while waves < 4:
        new = [b["conns_new"] - a["conns_new"]
               for a, b in zip(ws0, lb.workers_stats())]
        if min(new) > LPORT_SLICE:
            break
        addr = lb.add_client_addrs(1)[-1]
        p = lb.spawn("c", "/usr/bin/python3", "-c", SYN_FLOOD, VIP, "93",
                     addr, "20000", "36000", "30000")
        while p.poll() is None:
            peak = max(peak, total_conns(lb))
            time.sleep(0.2)
        assert p.returncode == 0, p.stderr.read()
        assert wait_for(lambda: total_conns(lb) == 0, timeout=8), \
            lb.workers_stats()
        waves += 1
    ws1 = lb.workers_stats()
    new = [b["conns_new"] - a["conns_new"] for a, b in zip(ws0, ws1)]
    expired = [b["conns_expired"] - a["conns_expired"]
               for a, b in zip(ws0, ws1)]
    drops = {k: v - drops0[k] for k, v in lb.drops().items() if v != drops0[k]}
    print(f"SYN flood: {waves} waves, new per worker {new}, peak {peak} "
          f"tracked, drops {drops}")
    assert expired == new
    assert all(n > LPORT_SLICE for n in new), (new, drops)
    assert drops.get("no_lport", 0) == 0 and \
        drops.get("conn_table_full", 0) == 0, drops
    assert peak > 1000
    assert all(d["active_conns"] == 0 and d["inactive_conns"] == 0
               for d in dests(lb, 93).values())
    assert lb.conns() == []
    out = lb.ctl_cli("conn").stdout
    assert out.count("\n") == 2, out
    # ports handed out again after the wrap still work end to end
    assert sorted(set(gets(lb, plain_service(lb), 10))) == ["rs1", "rs2"]


# -------------------------------------------------------------- ICMP

# In a server's namespace, argv: LIP LPORT RS MTU.  Waits for the next
# data segment from LIP:LPORT, then sends LIP an ICMP fragmentation
# needed quoting it whole (as RFC 1812 routers may), with its sequence
# number moved past its data: the client's next segment, which its kernel
# takes as in window.  Prints the quoted packet in hex.
SERVER_ICMP = r"""
import sys, json
from scapy.all import AsyncSniffer, IP, TCP, ICMP, raw, send
lip, lport, rs, mtu = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
sn = AsyncSniffer(iface="eth0", count=1, timeout=10,
                  filter=f"tcp and src host {lip} and src port {lport}",
                  lfilter=lambda p: TCP in p and len(p[TCP].payload) > 0,
                  started_callback=lambda: print("ready", flush=True))
sn.start()
sn.join()
if not sn.results:
    sys.exit("no segment from the LIP")
q = IP(raw(sn.results[0][IP]))
q[TCP].seq = (q[TCP].seq + len(q[TCP].payload)) & 0xffffffff
del q[TCP].chksum
q = IP(raw(q))
send(IP(src=rs, dst=lip) / ICMP(type=3, code=4, nexthopmtu=mtu) / raw(q),
     verbose=False)
print(raw(q).hex(), flush=True)
"""

# In the client's namespace: the first ICMP packet on c0, in hex.
CLIENT_SNIFF = r"""
from scapy.all import AsyncSniffer, raw
sn = AsyncSniffer(iface="c0", filter="icmp", count=1, timeout=10,
                  started_callback=lambda: print("ready", flush=True))
sn.start()
sn.join()
print(raw(sn.results[0]).hex() if sn.results else "", flush=True)
"""


def checksum_ok(pkt, layer):
    """Whether the layer's checksum is what scapy computes anew."""
    from scapy.all import raw

    p = pkt.copy()
    want = p[layer].chksum
    del p[layer].chksum
    return type(p)(raw(p))[layer].chksum == want


def test_icmp_frag_needed_reaches_the_client(lb):
    from scapy.all import ICMP, IP, TCP, Ether, IPerror, TCPerror, raw

    plain_service(lb)
    mtu = 1000
    related0 = lb.lcore_total("icmp_related")
    with Holder(lb, VIP, 92, 1, keepalive=True) as h:
        c = conn_of(lb, h.ports[0])
        lip, lport = c["local"].split(":")
        rs = c["dest"].split(":")[0]
        node = "rs1" if rs == RS1_IP else "rs2"
        sniff = lb.spawn("c", "/usr/bin/python3", "-c", CLIENT_SNIFF)
        icmp = lb.spawn(node, "/usr/bin/python3", "-c", SERVER_ICMP,
                        lip, lport, rs, str(mtu))
        try:
            assert sniff.stdout.readline().strip() == "ready", \
                sniff.stderr.read()
            assert icmp.stdout.readline().strip() == "ready", \
                icmp.stderr.read()
            h.send(0, "X-Probe: 1")
            quoted = IP(bytes.fromhex(icmp.stdout.readline().strip()))
            got = sniff.stdout.readline().strip()
            assert got, sniff.stderr.read()
        finally:
            for p in (sniff, icmp):
                if p.poll() is None:
                    p.kill()
                p.wait()
        pkt = Ether(bytes.fromhex(got))
        pkt.show()
        # the server quoted what dplbd sent it
        assert (quoted.src, quoted.dst) == (lip, rs)
        assert (quoted[TCP].sport, quoted[TCP].dport) == (int(lport), 80)
        # the client gets it from the VIP, about its own segment
        assert (pkt[IP].src, pkt[IP].dst) == (VIP, CLIENT_IP)
        assert (pkt[ICMP].type, pkt[ICMP].code,
                pkt[ICMP].nexthopmtu) == (3, 4, mtu)
        inner = pkt[IPerror]
        assert (inner.src, inner.dst) == (CLIENT_IP, VIP)
        assert (inner[TCPerror].sport, inner[TCPerror].dport) == \
            (h.ports[0], 92)
        # everything but the addresses and ports as the server quoted it
        assert (inner[TCPerror].seq, inner[TCPerror].ack,
                bytes(inner[TCPerror].payload)) == \
            (quoted[TCP].seq, quoted[TCP].ack, bytes(quoted[TCP].payload))
        assert bytes(inner[TCPerror].payload) == b"X-Probe: 1\r\n"
        # every checksum valid: outer IP, ICMP, inner IP and inner TCP
        # (the whole segment is quoted, so its checksum is checkable)
        assert checksum_ok(pkt, IP)
        assert checksum_ok(pkt, ICMP)
        inner_ip = IP(raw(inner))
        assert checksum_ok(inner_ip, IP)
        assert checksum_ok(inner_ip, TCP)
        assert lb.lcore_total("icmp_related") == related0 + 1
        # the client's kernel matched it to its socket (in window) and
        # lowered its path MTU to the VIP
        r = lb.run("c", "ip", "route", "get", VIP, check=True)
        assert f"mtu {mtu}" in r.stdout, r.stdout
