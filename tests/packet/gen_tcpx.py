# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden cases of full-NAT connections whose segments dplbd edits
(lb/lb_tcpx.c): the PROXY protocol v1 and v2 header in front of the
client's stream and the sequence shift it leaves, TOA on the first
client segments and its absence afterwards.

The one-port topology of gen_lb.py (client and server behind dp0).
Every expected frame is the plain full-NAT rewrite of its input (gen_lb's
LbRun) with the edits this feature makes written out by hand here.
"""

from scapy.all import IP, TCP, Ether, Raw

import gen_golden as g
import gen_lb as lb

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


def pp_v2(cport=CPORT):
    import socket
    import struct
    return (b"\r\n\r\n\x00\r\nQUIT\n" + bytes([0x21, 0x11]) +
            struct.pack("!H", 12) + socket.inet_aton(g.CLIENT_IP) +
            socket.inet_aton(lb.VIP) + struct.pack("!HH", cport, lb.VPORT))


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


def cases():
    return [pp_case(1), pp_case(2), toa_case()]
