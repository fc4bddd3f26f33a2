# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden cases of full-NAT connections whose segments dplbd edits
(lb/lb_tcpx.c): the PROXY protocol v1 and v2 header in front of the
client's stream and the sequence shift it leaves, TOA on the first
client segments and its absence afterwards.

The one-port topology of gen_lb.py (client and server behind dp0).
Every expected frame is the plain full-NAT rewrite of its input (gen_lb's
LbRun) with the edits this feature makes written out by hand here.
"""

from scapy.all import IP, TCP, UDP, Ether, Raw

import gen_golden as g
import gen_lb as lb
from gen_conform import ip_frags

CPORT = 40000
C_ISN = 1000
S_ISN = 5000
GET = b"GET / HTTP/1.0\r\n\r\n"
OK = b"HTTP/1.0 200 OK\r\n\r\nok"
SYN_OPTS = [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (100, 0)),
            ("NOP", None), ("WScale", 7)]
TS = [("NOP", None), ("NOP", None), ("Timestamp", (101, 200))]


def pp_v1(cport=CPORT):
    return (f"PROXY TCP4 {g.CLIENT_IP} {lb.VIP} {cport} {lb.VPORT}\r\n"
            .encode())


def pp_v2(cport=CPORT, fam=0x11, vport=lb.VPORT):
    """fam 0x11: TCP over IPv4, 0x12: UDP over IPv4."""
    import socket
    import struct
    return (b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, fam]) +
            struct.pack("!H", 12) + socket.inet_aton(g.CLIENT_IP) +
            socket.inet_aton(lb.VIP) + struct.pack("!HH", cport, vport))


def toa(cport=CPORT):
    import socket
    import struct
    return bytes([254, 8]) + struct.pack("!H", cport) + \
        socket.inet_aton(g.CLIENT_IP)


class TcpxRun(lb.LbRun):
    """An LbRun whose TCP segments carry given numbers and options."""

    def __init__(self):
        super().__init__("fnat")
        self.nxt = {}

    def _l4(self, sport, dport, flags, payload):
        n = self.nxt
        return (TCP(sport=sport, dport=dport, flags=flags, seq=n["seq"],
                    ack=n.get("ack", 0), window=8192,
                    options=n.get("opts", [])) / Raw(payload))

    def seg(self, side, flags, seq, ack=0, payload=b"", opts=()):
        self.nxt = {"seq": seq, "ack": ack, "opts": list(opts)}
        (self.client if side == "c" else self.server)(CPORT, flags,
                                                      payload=payload)

    def edit_out(self, fn):
        """Rewrite the last expected frame with fn(TCP layer) -> payload
        (None: keep it); lengths and checksums follow."""
        q = Ether(self.out[-1])
        t = q[TCP]
        pay = fn(t)
        if isinstance(pay, bytes):
            t.remove_payload()
            t.add_payload(Raw(pay))
        del q[IP].len, q[IP].chksum, t.chksum, t.dataofs
        self.out[-1] = bytes(q)


def set_opt(kind, value):
    def fn(t):
        t.options = [(k, value if k == kind else v) for k, v in t.options]
    return fn


def pp_case(ver):
    hdr = pp_v1() if ver == 1 else pp_v2()
    n = len(hdr)
    r = TcpxRun()
    r.seg("c", "S", C_ISN, opts=SYN_OPTS)
    r.seg("s", "SA", S_ISN, C_ISN + 1, opts=[("MSS", 1460)])
    r.edit_out(lambda t: set_opt("MSS", 1460 - n)(t))
    # the handshake's ACK carries the header
    r.seg("c", "A", C_ISN + 1, S_ISN + 1, opts=TS)
    r.edit_out(lambda t: hdr)
    # the first data, still at ISN + 1 and unacknowledged: the header again
    r.seg("c", "PA", C_ISN + 1, S_ISN + 1, GET, opts=TS)
    r.edit_out(lambda t: hdr + GET)
    # the server acknowledges part of the header only: ISN + 1 for the
    # client, and SACKs the request's tail (both edges shift back)
    r.seg("s", "A", S_ISN + 1, C_ISN + 1 + n - 4,
          opts=[("NOP", None), ("NOP", None),
                ("SAck", (C_ISN + 1 + n + 4, C_ISN + 1 + n + len(GET)))])
    r.edit_out(lambda t: (setattr(t, "ack", C_ISN + 1),
                          setattr(t, "options", [
                              ("NOP", None), ("NOP", None),
                              ("SAck", (C_ISN + 5, C_ISN + 1 + len(GET)))])))
    # then all of it
    r.seg("s", "PA", S_ISN + 1, C_ISN + 1 + n + len(GET), OK)
    r.edit_out(lambda t: setattr(t, "ack", C_ISN + 1 + len(GET)))
    # a retransmission at ISN + 1 now the header is there: shifted only
    r.seg("c", "PA", C_ISN + 1, S_ISN + 1 + len(OK), GET)
    r.edit_out(lambda t: setattr(t, "seq", C_ISN + 1 + n))
    r.seg("c", "FA", C_ISN + 1 + len(GET), S_ISN + 1 + len(OK))
    r.edit_out(lambda t: setattr(t, "seq", C_ISN + 1 + len(GET) + n))
    r.seg("s", "FA", S_ISN + 1 + len(OK), C_ISN + 2 + n + len(GET))
    r.edit_out(lambda t: setattr(t, "ack", C_ISN + 2 + len(GET)))
    flag = f"proxy-protocol-v{ver}"
    return lb.one_port_case(
        f"lb_fnat_proxy_protocol_v{ver}",
        f"FNAT with {flag}: the SYN-ACK's MSS shrinks by the header "
        f"({n} bytes); the header rides on the handshake's ACK and again "
        f"on the unacknowledged first data; server ACKs and SACK edges "
        f"lose it, client sequences past ISN+1 gain it",
        r, flags=[flag])


def toa_case():
    r = TcpxRun()
    r.seg("c", "S", C_ISN, opts=SYN_OPTS)
    r.seg("s", "SA", S_ISN, C_ISN + 1, opts=[("MSS", 1460), ("NOP", None),
                                              ("WScale", 7)])
    r.edit_out(set_opt("MSS", 1452))

    def add_toa(t):
        t.options = t.options + [(254, toa()[2:])]
    r.seg("c", "A", C_ISN + 1, S_ISN + 1, opts=TS)
    r.edit_out(add_toa)
    r.seg("c", "PA", C_ISN + 1, S_ISN + 1, GET, opts=TS)
    r.edit_out(add_toa)
    # the server's segments pass unedited but for the rewrite
    r.seg("s", "PA", S_ISN + 1, C_ISN + 1 + len(GET), OK)
    # later client segments: no TOA
    r.seg("c", "A", C_ISN + 1 + len(GET), S_ISN + 1 + len(OK), opts=TS)
    r.seg("c", "FA", C_ISN + 1 + len(GET), S_ISN + 1 + len(OK))
    # a segment whose options leave no room (header of 60 bytes) goes as is
    full = [("NOP", None)] * 40
    r.seg("c", "A", C_ISN + 2 + len(GET), S_ISN + 1 + len(OK), opts=full)
    return lb.one_port_case(
        "lb_fnat_toa",
        "FNAT with toa: the SYN-ACK's MSS shrinks by 8; the handshake's "
        "ACK and the first data (sequence ISN+1) carry the TOA option "
        "(kind 254: client port and address) after their own options; "
        "later segments and the server's carry none",
        r, flags=["toa"])


def udp_prefix(run, hdr):
    """The last expected datagram with hdr before its payload; its
    length and checksum computed again (scapy's, checked by bytes)."""
    q = Ether(run.out[-1])
    u = q[UDP]
    pay = hdr + bytes(u.payload)
    u.remove_payload()
    u.add_payload(Raw(pay))
    del q[IP].len, q[IP].chksum, u.len, u.chksum
    q = Ether(bytes(q))
    # the checksum scapy computed is the true one: check it anyway
    ck = q[UDP].chksum
    q[UDP].chksum = None
    assert Ether(bytes(q))[UDP].chksum == ck
    run.out[-1] = bytes(Ether(bytes(q)))


def pp_udp_case():
    vp = lb.UDP_VPORT
    r = lb.LbRun("fnat", proto="udp", vport=vp)
    # the first datagram of a connection carries the header
    r.client(CPORT, payload=b"first")
    udp_prefix(r, pp_v2(CPORT, 0x12, vp))
    # later datagrams and the replies pass as plain full-NAT
    r.client(CPORT, payload=b"second")
    r.server(CPORT, payload=b"echo")
    # a first datagram without checksum (0) leaves with one
    r.client(CPORT + 1, payload=b"no checksum", udp_cksum=0)
    udp_prefix(r, pp_v2(CPORT + 1, 0x12, vp))
    # a first datagram with DF that fits the MTU (1500) only without the
    # header: dropped and counted, its connection gone, fragmentation
    # needed from the VIP with the MTU less the header (28)
    big = b"x" * (1500 - 28 - 20)
    r.client(CPORT + 2, payload=big, df=True)
    r.out[-1] = g.icmp_error(r.inp[-1], 3, 4, lb.VIP, mtu=1500 - 28)
    del r.conns[CPORT + 2]
    # the client's next datagram is a new connection, with the header
    r.client(CPORT + 2, payload=b"smaller", df=True)
    udp_prefix(r, pp_v2(CPORT + 2, 0x12, vp))
    # without DF, the prefixed datagram leaves in two fragments
    r.client(CPORT + 3, payload=big)
    udp_prefix(r, pp_v2(CPORT + 3, 0x12, vp))
    e = Ether(r.out[-1])
    r.out[-1:] = ip_frags(r.out[-1], 1500, e.src, e.dst)
    case = lb.one_port_case(
        "lb_fnat_udp_proxy_protocol_v2",
        "UDP FNAT with proxy-protocol-v2: the datagram that creates a "
        "connection gets the 28-byte v2 header (DGRAM, client and VIP) "
        "before its payload, UDP/IP lengths and checksum fixed (a "
        "datagram without checksum gets one); later datagrams and replies "
        "are plain full-NAT; a first datagram that the header takes past "
        "the MTU: with DF dropped (pp_too_big) with its connection, "
        "fragmentation needed (1472) sent; without DF in fragments",
        r, flags=["proxy-protocol-v2"])
    case.drops = {"pp_too_big": 1}
    return case


def cases():
    return [pp_case(1), pp_case(2), toa_case(), pp_udp_case()]
