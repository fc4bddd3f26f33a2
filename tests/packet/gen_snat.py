# SPDX-License-Identifier: GPL-2.0-or-later
"""SNAT golden cases: the rewrites of TCP, UDP and ICMP echo in each
direction, ICMP errors about SNAT connections translated back (time
exceeded and unreachable quoting TCP, UDP and an echo request, and
fragmentation needed), and port exhaustion.

One port, one pcap (ordering, see gen_lb.py): the inside host sits on a
second subnet of dp0, the outside host is the client, a router
198.18.0.3 sends the errors.

  dp0 198.18.0.1/24 (also the SNAT address)  outside 198.18.0.2
      198.18.2.1/24                          inside  198.18.2.11  02:00:00:00:02:11
                                             router  198.18.0.3   02:00:00:00:00:03

With one worker the pool port sequence starts at 1024 and takes the
next port for each new flow.  Every checksum of the expected frames is
computed by scapy from scratch (inner ones too), so the byte-for-byte
comparison checks dplbd's incremental updates.
"""

from scapy.all import ICMP, IP, TCP, UDP, Ether, Raw

import gen_golden as g

INSIDE = "198.18.2.11"
INSIDE_MAC = "02:00:00:00:02:11"
ROUTER = "198.18.0.3"
ROUTER_MAC = "02:00:00:00:00:03"
OUT = g.CLIENT_IP
OUT_MAC = g.CLIENT_MAC
SNAT_IP = g.DP0_IP
LONG = """timeouts = { tcp = { none = 3600; established = 3600;
  syn_sent = 3600; syn_recv = 3600; time_wait = 3600; };
  udp = { oneway = 3600; normal = 3600; }; };
"""


def conf(ports_per_worker=0):
    return (f'snat = ( {{ src = "198.18.2.0/24"; addresses = '
            f'[ "{SNAT_IP}" ]; ports_per_worker = {ports_per_worker}; }} );\n'
            + LONG)


def frame(src_mac, dst_mac, pkt):
    return bytes(Ether(src=src_mac, dst=dst_mac) / pkt)


class SnatRun:
    def __init__(self):
        self.inp, self.out, self.conns = [], [], {}
        self.ipid = 0x200

    def _id(self):
        self.ipid += 1
        return self.ipid

    def outbound(self, l4, lport, ttl=64):
        """The inside sends l4 to the outside; it leaves from SNAT_IP:lport
        (an echo: id lport), one hop less."""
        i = self._id()
        self.inp.append(frame(INSIDE_MAC, g.DP0_MAC,
                              IP(src=INSIDE, dst=OUT, id=i, ttl=ttl) / l4))
        o = l4.copy()
        if isinstance(o, ICMP):
            o.id = lport
        else:
            o.sport = lport
        self.out.append(frame(g.DP0_MAC, OUT_MAC,
                              IP(src=SNAT_IP, dst=OUT, id=i, ttl=ttl - 1)
                              / o))

    def inbound(self, l4, to_port):
        """The outside answers to SNAT_IP; it reaches the inside host's
        port (echo id) to_port, one hop less."""
        i = self._id()
        self.inp.append(frame(OUT_MAC, g.DP0_MAC,
                              IP(src=OUT, dst=SNAT_IP, id=i) / l4))
        o = l4.copy()
        if isinstance(o, ICMP):
            o.id = to_port
        else:
            o.dport = to_port
        self.out.append(frame(g.DP0_MAC, INSIDE_MAC,
                              IP(src=OUT, dst=INSIDE, id=i, ttl=63) / o))

    def error(self, icmp, quoted_out, quoted_in, n=28):
        """The router reports about quoted_out (what left dplbd): the
        inside host gets the same error about quoted_in (what it sent),
        n bytes of it quoted; the outer source stays the router's."""
        i = self._id()
        self.inp.append(frame(ROUTER_MAC, g.DP0_MAC,
                              IP(src=ROUTER, dst=SNAT_IP, id=i) / icmp /
                              Raw(bytes(quoted_out)[:n])))
        self.out.append(frame(g.DP0_MAC, INSIDE_MAC,
                              IP(src=ROUTER, dst=INSIDE, id=i) / icmp /
                              Raw(bytes(quoted_in)[:n])))

    def conn(self, proto, cport, vport, lport, state):
        self.conns[f"{INSIDE}:{cport}"] = {
            "proto": proto, "state": state, "vip": f"{OUT}:{vport}",
            "dest": f"{OUT}:{vport}", "local": f"{SNAT_IP}:{lport}",
            "fwd": "snat"}


def quoted(src, sport, proto_l4, ttl):
    """The datagram as sent from src:sport (or echo id) to the outside."""
    return IP(src=src, dst=OUT, id=0x777, ttl=ttl) / proto_l4(sport)


def case(name, doc, run, drops=None):
    return g.Case(name, doc, {"dp0": run.inp}, {"dp0": run.out},
                  drops=drops or {},
                  addrs={"dp0": ["198.18.2.1/24"]},
                  neigh=[(INSIDE, INSIDE_MAC, "dp0")],
                  extra_conf=conf(), conns=run.conns)


def cases():
    cs = []
    # --- TCP, UDP, ICMP echo both ways
    run = SnatRun()
    run.outbound(TCP(sport=40000, dport=80, flags="S", seq=1000), 1024)
    run.inbound(TCP(sport=80, dport=1024, flags="SA", seq=5000, ack=1001),
                40000)
    run.outbound(TCP(sport=40000, dport=80, flags="A", seq=1001, ack=5001)
                 / Raw(b"GET / HTTP/1.0\r\n\r\n"), 1024)
    run.conn("tcp", 40000, 80, 1024, "ESTABLISHED")
    run.outbound(UDP(sport=40001, dport=9000) / Raw(b"snat udp query"), 1025)
    run.inbound(UDP(sport=9000, dport=1025) / Raw(b"snat udp answer"), 40001)
    run.conn("udp", 40001, 9000, 1025, "UDP")
    run.outbound(ICMP(type=8, id=0x1234, seq=1) / Raw(b"ping payload"), 1026)
    run.inbound(ICMP(type=0, id=1026, seq=1) / Raw(b"ping payload"), 0x1234)
    run.outbound(ICMP(type=8, id=0x1234, seq=2) / Raw(b"ping payload"), 1026)
    run.inbound(ICMP(type=0, id=1026, seq=2) / Raw(b"ping payload"), 0x1234)
    run.conn("icmp", 0x1234, 0, 1026, "ICMP")
    cs.append(case(
        "snat_rewrites",
        "SNAT: the inside's TCP handshake, UDP query and two pings leave "
        "from 198.18.0.1 with ports (echo id) 1024, 1025, 1026, TTL-1; the "
        "answers reach the inside host's ports and echo id; one "
        "connection per flow, the echo id's one found from both sides",
        run))

    # --- ICMP errors about SNAT connections
    run = SnatRun()
    run.outbound(TCP(sport=40000, dport=80, flags="S", seq=1000), 1024)
    run.outbound(UDP(sport=40001, dport=33434) / Raw(b"probe"), 1025)
    run.outbound(ICMP(type=8, id=0x4321, seq=7) / Raw(b"trace"), 1026)

    def tcp(sp):
        return TCP(sport=sp, dport=80, flags="S", seq=1000)

    def udp(sp):
        return UDP(sport=sp, dport=33434) / Raw(b"probe")

    def echo(i):
        return ICMP(type=8, id=i, seq=7) / Raw(b"trace")

    # time exceeded about the TCP SYN, RFC 1812 style (whole header quoted)
    run.error(ICMP(type=11, code=0), quoted(SNAT_IP, 1024, tcp, 1),
              quoted(INSIDE, 40000, tcp, 1), n=40)
    # port unreachable about the UDP probe (8 bytes: the UDP checksum too)
    run.error(ICMP(type=3, code=3), quoted(SNAT_IP, 1025, udp, 1),
              quoted(INSIDE, 40001, udp, 1))
    # time exceeded about the echo request (traceroute -I)
    run.error(ICMP(type=11, code=0), quoted(SNAT_IP, 1026, echo, 1),
              quoted(INSIDE, 0x4321, echo, 1))
    # fragmentation needed (next-hop MTU 1400) about the TCP SYN
    run.error(ICMP(type=3, code=4, nexthopmtu=1400),
              quoted(SNAT_IP, 1024, tcp, 5), quoted(INSIDE, 40000, tcp, 5))
    run.conn("tcp", 40000, 80, 1024, "SYN_SENT")
    run.conn("udp", 40001, 33434, 1025, "UDP")
    run.conn("icmp", 0x4321, 0, 1026, "ICMP")
    cs.append(case(
        "snat_icmp_errors",
        "ICMP errors from a router about SNAT connections reach the inside "
        "host with the quoted datagram made what it sent (addresses, ports, "
        "echo id, inner checksums) and the outer source kept: time "
        "exceeded about TCP (40 bytes quoted) and an echo request, port "
        "unreachable about UDP, fragmentation needed about TCP",
        run))

    # --- exhaustion: one port per worker, two flows to one endpoint
    run = SnatRun()
    run.outbound(UDP(sport=41000, dport=9000) / Raw(b"first"), 1024)
    run.conn("udp", 41000, 9000, 1024, "UDP")
    run.inp.append(frame(INSIDE_MAC, g.DP0_MAC,
                         IP(src=INSIDE, dst=OUT, id=0x300) /
                         UDP(sport=41001, dport=9000) / Raw(b"second")))
    # to another endpoint the one port is free again
    run.outbound(UDP(sport=41002, dport=9001) / Raw(b"third"), 1024)
    run.conn("udp", 41002, 9001, 1024, "UDP")
    c = case("snat_port_exhaustion",
             "SNAT with ports_per_worker = 1: a second flow to the same "
             "outside endpoint finds no port (dropped, snat_no_port); a "
             "flow to another endpoint takes the same port",
             run, drops={"snat_no_port": 1})
    c.extra_conf = conf(ports_per_worker=1)
    cs.append(c)
    return cs
