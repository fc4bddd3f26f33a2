# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden cases of the SYN proxy (lb/lb_synproxy.c): the cookie SYN-ACK,
the server's handshake made from a valid ACK, the sequence, timestamp and
window translation for the connection's life, data held until the server
answers, and ACKs with a bad cookie dropped.

Cookies depend on a key and on time: the cases set syn_proxy.seed (a
key derived from it) and period 0 (one generation), and this file
computes the same cookies (SipHash-2-4, tcp/syncookie.h's layout).
"""

import socket

from scapy.all import IP, TCP, Ether, Raw

import gen_golden as g
import gen_lb as lb
import gen_tcpx as tx

SEED = 1
MASK64 = (1 << 64) - 1
MSS_TABLE = (536, 1200, 1360, 1400, 1440, 1452, 1460, 8960)
SP_CONF = "syn_proxy = { period = 0; seed = %d; mss = 1460; wscale = 7; };\n"


def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & MASK64


def siphash(k, a, b, c):
    v0 = k[0] ^ 0x736f6d6570736575
    v1 = k[1] ^ 0x646f72616e646f6d
    v2 = k[0] ^ 0x6c7967656e657261
    v3 = k[1] ^ 0x7465646279746573

    def rnd():
        nonlocal v0, v1, v2, v3
        v0 = (v0 + v1) & MASK64; v1 = _rotl(v1, 13); v1 ^= v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & MASK64; v3 = _rotl(v3, 16); v3 ^= v2
        v0 = (v0 + v3) & MASK64; v3 = _rotl(v3, 21); v3 ^= v0
        v2 = (v2 + v1) & MASK64; v1 = _rotl(v1, 17); v1 ^= v2
        v2 = _rotl(v2, 32)
    for m in (a, b, c, 24 << 56):
        v3 ^= m
        rnd(); rnd()
        v0 ^= m
    v2 ^= 0xff
    for _ in range(4):
        rnd()
    return v0 ^ v1 ^ v2 ^ v3


def _le32(ip):
    """An address as dplbd's rte_be32_t reads on a little-endian host."""
    return int.from_bytes(socket.inet_aton(ip), "little")


def _le16(port):
    return int.from_bytes(port.to_bytes(2, "big"), "little")


def cookie(src, sport, dst, dport, isn, mss, ws, sack, ts, seed=SEED):
    key = (siphash((0, 0), seed, 0, 0), siphash((0, 0), seed, 1, 0))
    secret = (siphash(key, 0, 0, 0), siphash(key, 0, 1, 0))  # generation 0
    i = max(j for j, m in enumerate(MSS_TABLE) if m <= mss or j == 0)
    bits = (i << 28 | (15 if ws is None else ws) << 24 | int(sack) << 23 |
            int(ts) << 22)
    a = _le32(src) << 32 | _le32(dst)
    b = _le16(sport) << 48 | _le16(dport) << 32 | isn
    return bits | (siphash(secret, a, b, bits) & ((1 << 22) - 1))


C_ISN, S_ISN = tx.C_ISN, tx.S_ISN
GET, OK = tx.GET, tx.OK


class SpRun(tx.TcpxRun):
    """Frames of SYN-proxied connections: what the client and the server
    send, and what dplbd must send each (by hand: nothing of it is the
    plain full-NAT rewrite until the handshakes are done)."""

    def __init__(self):
        super().__init__()
        self.ipid = 0x200

    def c_in(self, cport, flags, seq, ack=0, payload=b"", opts=()):
        self.ipid += 1
        f = Ether(src=g.CLIENT_MAC, dst=g.DP0_MAC) / IP(
            src=g.CLIENT_IP, dst=lb.VIP, id=self.ipid) / TCP(
            sport=cport, dport=lb.VPORT, flags=flags, seq=seq, ack=ack,
            window=8192, options=list(opts)) / Raw(payload)
        self.inp.append(bytes(f))
        return self.ipid

    def s_in(self, lport, flags, seq, ack, payload=b"", opts=(), win=8192):
        self.ipid += 1
        f = Ether(src=lb.RS_MAC, dst=g.DP0_MAC) / IP(
            src=lb.RS_IP, dst=lb.LIP, id=self.ipid) / TCP(
            sport=lb.VPORT, dport=lport, flags=flags, seq=seq, ack=ack,
            window=win, options=list(opts)) / Raw(payload)
        self.inp.append(bytes(f))
        return self.ipid

    # What goes through a connection's forwarding path is routed: one hop
    # less (issue 12), dplbd's own segments to the server included (they
    # take that path); the cookie SYN-ACK leaves from dplbd with TTL 64.
    def to_client(self, cport, flags, seq, ack, payload=b"", opts=(),
                  win=8192, ipid=0, df=False, ttl=63):
        self.out.append(bytes(Ether(src=g.DP0_MAC, dst=g.CLIENT_MAC) / IP(
            src=lb.VIP, dst=g.CLIENT_IP, id=ipid, ttl=ttl,
            flags="DF" if df else 0) / TCP(
            sport=lb.VPORT, dport=cport, flags=flags, seq=seq, ack=ack,
            window=win, options=list(opts)) / Raw(payload)))

    def to_server(self, lport, flags, seq, ack, payload=b"", opts=(),
                  win=8192, ipid=0, df=False, ttl=63):
        self.out.append(bytes(Ether(src=g.DP0_MAC, dst=lb.RS_MAC) / IP(
            src=lb.LIP, dst=lb.RS_IP, id=ipid, ttl=ttl,
            flags="DF" if df else 0) / TCP(
            sport=lport, dport=lb.VPORT, flags=flags, seq=seq, ack=ack,
            window=win, options=list(opts)) / Raw(payload)))


def syn_opts(ts=100):
    return [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (ts, 0)),
            ("NOP", None), ("WScale", 7)]


def ts(val, ecr):
    return [("NOP", None), ("NOP", None), ("Timestamp", (val, ecr))]


def synack_to_client(r, cport, ck, tsecr=100):
    """dplbd's cookie SYN-ACK: MSS 1460, SACK, timestamps (TSval the
    cookie), wscale 7; window two segments; DF, TTL 64, id 0."""
    r.to_client(cport, "SA", ck, C_ISN + 1, win=2 * 1460, df=True, ttl=64,
                opts=[("MSS", 1460), ("SAckOK", b""),
                      ("Timestamp", (ck, tsecr)), ("NOP", None),
                      ("WScale", 7)])


def handshake_case():
    r = SpRun()
    cport, lport = tx.CPORT, lb.LPORT0
    ck = cookie(g.CLIENT_IP, cport, lb.VIP, lb.VPORT, C_ISN, 1460, 7, True,
                True)
    r.c_in(cport, "S", C_ISN, opts=syn_opts())
    synack_to_client(r, cport, ck)
    # the cookie returns: dplbd's SYN to the server, the client's ISN
    # and options, its window unscaled (8192 << 7, at most 65535)
    i = r.c_in(cport, "A", C_ISN + 1, ck + 1, opts=ts(101, ck))
    r.to_server(lport, "S", C_ISN, 0, win=65535, ipid=i, df=True,
                opts=[("MSS", 1460), ("SAckOK", b""),
                      ("Timestamp", (101, 0)), ("NOP", None),
                      ("WScale", 7)])
    # the server's SYN-ACK (wscale 6) is not the client's business:
    # dplbd acknowledges it for the client
    i = r.s_in(lport, "SA", S_ISN, C_ISN + 1,
               opts=[("MSS", 1400), ("SAckOK", b""),
                     ("Timestamp", (7000, 101)), ("NOP", None),
                     ("WScale", 6)])
    r.to_server(lport, "A", C_ISN + 1, S_ISN + 1, ipid=i, df=True,
                opts=ts(101, 7000))
    # the conversation, translated: the client's ACK and TSecr gain the
    # server's offsets, the server's sequence and TSval lose them; its
    # window (scale 6) is given in the client's scale (7)
    i = r.c_in(cport, "PA", C_ISN + 1, ck + 1, GET, opts=ts(102, ck + 3))
    r.to_server(lport, "PA", C_ISN + 1, S_ISN + 1, GET, ipid=i,
                opts=ts(102, 7003))
    i = r.s_in(lport, "PA", S_ISN + 1, C_ISN + 1 + len(GET), OK,
               opts=ts(7010, 102))
    r.to_client(cport, "PA", ck + 1, C_ISN + 1 + len(GET), OK, ipid=i,
                win=4096, opts=ts(ck + 10, 102))
    # SACK edges from the client move into the server's space
    i = r.c_in(cport, "A", C_ISN + 1 + len(GET), ck + 1,
               opts=[("NOP", None), ("NOP", None),
                     ("SAck", (ck + 5, ck + 9))])
    r.to_server(lport, "A", C_ISN + 1 + len(GET), S_ISN + 1, ipid=i,
                opts=[("NOP", None), ("NOP", None),
                      ("SAck", (S_ISN + 5, S_ISN + 9))])
    return r


def data_in_ack_case():
    """A client whose ACK carries its request: held until the server's
    SYN-ACK, then sent (and it completes the server's handshake)."""
    r = SpRun()
    cport, lport = tx.CPORT + 2, lb.LPORT0
    ck = cookie(g.CLIENT_IP, cport, lb.VIP, lb.VPORT, C_ISN, 1460, None,
                False, False)
    r.c_in(cport, "S", C_ISN, opts=[("MSS", 1460)])
    r.to_client(cport, "SA", ck, C_ISN + 1, win=2 * 1460, df=True, ttl=64,
                opts=[("MSS", 1460)])
    i = r.c_in(cport, "PA", C_ISN + 1, ck + 1, GET)
    r.to_server(lport, "S", C_ISN, 0, win=8192, ipid=i, df=True,
                opts=[("MSS", 1460)])
    r.s_in(lport, "SA", S_ISN, C_ISN + 1, opts=[("MSS", 1460)])
    r.to_server(lport, "PA", C_ISN + 1, S_ISN + 1, GET, ipid=i)
    i = r.s_in(lport, "PA", S_ISN + 1, C_ISN + 1 + len(GET), OK)
    r.to_client(cport, "PA", ck + 1, C_ISN + 1 + len(GET), OK, ipid=i)
    return r


def bad_cookie_case():
    """ACKs whose cookie is wrong, or that never had one: dropped, no
    connection, no SYN to the server."""
    r = SpRun()
    ck = cookie(g.CLIENT_IP, tx.CPORT, lb.VIP, lb.VPORT, C_ISN, 1460, 7,
                True, True)
    r.c_in(tx.CPORT, "A", C_ISN + 1, (ck ^ 0x40) + 1, opts=ts(1, ck))
    r.c_in(tx.CPORT + 1, "A", 77, 12345)
    r.c_in(tx.CPORT + 3, "PA", C_ISN + 1, ck + 1, GET)  # another tuple's
    # not a SYN nor an ACK: as without the proxy
    r.c_in(tx.CPORT + 4, "F", C_ISN + 1)
    return r


def sp_case(name, doc, r, drops=None, flags=("syn-proxy",)):
    return g.Case(name, doc, {"dp0": r.inp}, {"dp0": r.out},
                  drops=drops or {},
                  addrs={"dp0": [lb.SRV_NET_ADDR, f"{lb.VIP}/32",
                                 f"{lb.LIP}/32"]},
                  neigh=[(lb.RS_IP, lb.RS_MAC, "dp0")],
                  extra_conf=lb.lb_conf("fnat", flags=flags) +
                  SP_CONF % SEED)


def cases():
    return [
        sp_case("lb_syn_proxy_handshake",
                "SYN proxy: the client's SYN answered with a cookie "
                "(options kept), its ACK makes the connection and dplbd's "
                "SYN to the server; the server's SYN-ACK acknowledged by "
                "dplbd; then sequence, TSval/TSecr, window scale and SACK "
                "edges translated both ways",
                handshake_case()),
        sp_case("lb_syn_proxy_data_in_ack",
                "SYN proxy without options: the request in the client's "
                "ACK is held until the server's SYN-ACK, then sent",
                data_in_ack_case()),
        sp_case("lb_syn_proxy_bad_cookie",
                "SYN proxy: ACKs with a wrong cookie, or another tuple's, "
                "are dropped (syn_cookie_bad); a FIN is not_syn",
                bad_cookie_case(),
                drops={"syn_cookie_bad": 3, "not_syn": 1}),
    ]
