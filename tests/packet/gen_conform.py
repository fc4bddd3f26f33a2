# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden cases of what dplbd drops or answers as a router does, on the
load-balancing path (issue 12, packet path items 1-8): TTL, martian
sources, L4 checksums, UDP lengths, ICMP errors (NAT outer source, about
no connection, in mbuf chains), frames larger than the egress MTU, and
fragments (reassembly, its limits and attacks).

Topology: gen_golden's two ports, the VIP 198.18.0.100 on dp0 and the LIP
198.18.1.100 on dp1, with four services toward rs1 (198.18.1.11, on dp1):

  tcp VIP:80   full NAT   rs1:80      udp VIP:9000  full NAT  rs1:9000
  tcp VIP:81   NAT        rs1:81      udp VIP:9001  NAT       rs1:9001

Local ports start at 1024 for each (LIP, server port) pair
(dataplane.lport_random = false).  dplbd's own ICMP errors carry ids
0, 1, ... in the order the worker sends them (gen_golden.icmp_error()).
"""

from scapy.all import ICMP, IP, TCP, UDP, Ether, Raw

import gen_golden as g
from gen_lb import TIMEOUTS

VIP = "198.18.0.100"
LIP = "198.18.1.100"
RS = g.RS1_IP
LPORT0 = 1024

CONF = f"""laddr_groups = ( {{ name = "lg1"; addresses = [ "{LIP}" ]; }} );
services = (
  {{ proto = "tcp"; vip = "{VIP}"; port = 80; sched = "rr"; laddr_group = "lg1";
    dests = ( {{ addr = "{RS}"; port = 80; fwd = "fnat"; }} ); }},
  {{ proto = "tcp"; vip = "{VIP}"; port = 81; sched = "rr";
    dests = ( {{ addr = "{RS}"; port = 81; fwd = "nat"; }} ); }},
  {{ proto = "udp"; vip = "{VIP}"; port = 9000; sched = "rr"; laddr_group = "lg1";
    dests = ( {{ addr = "{RS}"; port = 9000; fwd = "fnat"; }} ); }},
  {{ proto = "udp"; vip = "{VIP}"; port = 9001; sched = "rr";
    dests = ( {{ addr = "{RS}"; port = 9001; fwd = "nat"; }} ); }}
);
{TIMEOUTS}"""

ADDRS = {"dp0": [f"{VIP}/32"], "dp1": [f"{LIP}/32"]}
FNAT = {80: True, 81: False, 9000: True, 9001: False}


def case(name, doc, inp, out=None, drops=None, conns=None, **kw):
    """A case on this topology; conns: expected listing (None: not
    checked, {}: no connection may exist)."""
    return g.Case(name, doc, inp, out or {}, drops or {}, addrs=ADDRS,
                  extra_conf=CONF, conns=conns, **kw)


# ---- frames ---------------------------------------------------------------

def l4(proto, sport, dport, flags="S", payload=b"", seq=1000, **kw):
    if proto == "udp":
        return UDP(sport=sport, dport=dport, **kw) / Raw(payload)
    return (TCP(sport=sport, dport=dport, flags=flags, seq=seq,
                ack=seq + 1 if "A" in flags else 0, window=8192, **kw) /
            Raw(payload))


def from_client(dport, sport=40000, proto=None, ttl=64, ipid=0x100,
                src=g.CLIENT_IP, df=False, **kw):
    proto = proto or ("udp" if dport >= 9000 else "tcp")
    return g.build(g.from_client() /
                   IP(src=src, dst=VIP, id=ipid, ttl=ttl,
                      flags="DF" if df else 0) /
                   l4(proto, sport, dport, **kw))


def from_server(dst, dport, sport, proto="tcp", ttl=64, ipid=0x200,
                df=False, **kw):
    return g.build(Ether(dst=g.DP1_MAC, src=g.RS1_MAC) /
                   IP(src=RS, dst=dst, id=ipid, ttl=ttl,
                      flags="DF" if df else 0) /
                   l4(proto, sport, dport, **kw))


def rewrite(frame, esrc, edst, src, dst, sport=None, dport=None, hop=True):
    """frame as dplbd sends it on: new MACs, addresses and ports, one hop
    less, checksums computed afresh (what an incremental update of right
    checksums gives)."""
    q = Ether(bytes(frame))
    q[Ether].src, q[Ether].dst = esrc, edst
    q[IP].src, q[IP].dst = src, dst
    if hop:
        q[IP].ttl -= 1
    del q[IP].chksum
    t = q[IP].payload
    if sport is not None:
        t.sport = sport
    if dport is not None:
        t.dport = dport
    if isinstance(t, (TCP, UDP)):
        del t.chksum
    return g.build(q)


def to_server(frame, lport=None):
    """A client's frame forwarded to rs1: full NAT from LIP:lport, NAT
    with the client's address kept."""
    q = Ether(bytes(frame))
    if FNAT[q[IP].payload.dport]:
        return rewrite(frame, g.DP1_MAC, g.RS1_MAC, LIP, RS, sport=lport)
    return rewrite(frame, g.DP1_MAC, g.RS1_MAC, q[IP].src, RS)


def to_client(frame, cport, vport):
    """A server's frame sent on to the client from VIP:vport."""
    return rewrite(frame, g.DP0_MAC, g.CLIENT_MAC, VIP, g.CLIENT_IP,
                   sport=vport, dport=cport)


def conn(cport, proto, vport, state, lport=None):
    fnat = FNAT[vport]
    return {f"{g.CLIENT_IP}:{cport}": {
        "proto": proto, "state": state, "vip": f"{VIP}:{vport}",
        "dest": f"{RS}:{vport}",
        "local": f"{LIP}:{lport}" if fnat else None,
        "fwd": "fnat" if fnat else "nat"}}


def add16(a, b):
    s = a + b
    return (s & 0xffff) + (s >> 16)


def ip_frags(frame, size, esrc, edst):
    """frame's IP packet cut into fragments of at most size bytes of IP
    (RFC 791, no options), each in a new Ethernet frame."""
    ip = Ether(bytes(frame))[IP]
    raw = bytes(ip)
    ihl = (raw[0] & 0x0f) * 4
    payload = raw[ihl:ip.len]
    step = (size - ihl) & ~7
    out = []
    for off in range(0, len(payload), step):
        part = payload[off:off + step]
        more = off + step < len(payload)
        f = IP(raw[:ihl])
        f.remove_payload()
        f.len = ihl + len(part)
        f.frag = off // 8
        f.flags = "MF" if more else 0
        del f.chksum
        out.append(g.build(Ether(src=esrc, dst=edst) / f / Raw(part)))
    return out


def frags_in(frame, size, order=None):
    """A client's or server's frame cut into fragments as they arrive."""
    e = Ether(bytes(frame))
    fr = ip_frags(frame, size, e.src, e.dst)
    return [fr[i] for i in (order or range(len(fr)))]


def quote(frame, extra=None):
    """What an ICMP error quotes of frame: the IP header and 8 bytes of
    L4 (RFC 792); with extra, the whole packet and extra after it (an RFC
    1812 router quotes as much as it can)."""
    raw = bytes(Ether(bytes(frame))[IP])
    if extra is None:
        return raw[:(raw[0] & 0x0f) * 4 + 8]
    return raw + extra


def icmp_from_server(dst, about, typ=3, code=3, extra=None, ipid=0x300,
                     chksum=None):
    e = Ether(dst=g.DP1_MAC, src=g.RS1_MAC) / IP(src=RS, dst=dst, id=ipid)
    i = ICMP(type=typ, code=code)
    if chksum is not None:
        i.chksum = chksum
    return g.build(e / i / Raw(quote(about, extra)))


def hop_copy(frame):
    """frame with its TTL one less (what a server quotes back of it)."""
    q = Ether(bytes(frame))
    q[IP].ttl -= 1
    del q[IP].chksum
    return g.build(q)


# ---- the cases ------------------------------------------------------------

def ttl_cases():
    cs = []
    t1 = from_client(80, 40001, ttl=1)
    t0 = from_client(80, 40002, ttl=0, ipid=0x101)
    t2 = from_client(80, 40003, ttl=2, ipid=0x102)
    cs.append(case(
        "lb_ttl",
        "SYNs to the full-NAT VIP with TTL 1 and 0 die with ICMP time "
        "exceeded from the VIP and make no connection; TTL 2 leaves with 1",
        {"dp0": [t1, t0, t2]},
        {"dp0": [g.icmp_error(t1, 11, 0, VIP, ipid=0),
                 g.icmp_error(t0, 11, 0, VIP, ipid=1)],
         "dp1": [to_server(t2, LPORT0)]},
        {"ttl_exceeded": 2},
        conns=conn(40003, "tcp", 80, "SYN_RECV", LPORT0)))

    # replies with TTL 1: full NAT (to the LIP), NAT (passing through)
    syn = from_client(80, 40010)
    synack = from_server(LIP, LPORT0, 80, flags="SA", ttl=1)
    nsyn = from_client(81, 40011, ipid=0x103)
    nsynack = from_server(g.CLIENT_IP, 40011, 81, flags="SA", ttl=1,
                          ipid=0x201)
    cs.append(case(
        "lb_ttl_replies",
        "server replies with TTL 1: full NAT's gets time exceeded from "
        "the LIP, NAT's (routed through) from dp1's address; both dropped",
        {"dp0": [syn, nsyn], "dp1": [synack, nsynack]},
        {"dp1": [to_server(syn, LPORT0), to_server(nsyn),
                 g.icmp_error(synack, 11, 0, LIP, ipid=0,
                              eth_dst=g.RS1_MAC, eth_src=g.DP1_MAC),
                 g.icmp_error(nsynack, 11, 0, g.DP1_IP, ipid=1,
                              eth_dst=g.RS1_MAC, eth_src=g.DP1_MAC)]},
        {"ttl_exceeded": 2},
        conns={**conn(40010, "tcp", 80, "SYN_RECV", LPORT0),
               **conn(40011, "tcp", 81, "SYN_RECV")}))

    # the rate limit: one error a second, two at once
    lims = [g.build(g.udp_to(g.RS1_IP, ttl=1, sport=41000 + i))
            for i in range(5)]
    cs.append(g.Case(
        "icmp_ratelimit",
        "five routed packets with TTL 1 under ip.icmp_rate = 1, "
        "icmp_burst = 2: all dropped, two time exceeded sent",
        {"dp0": lims},
        {"dp0": [g.icmp_error(lims[i], 11, 0, g.DP0_IP, ipid=i)
                 for i in range(2)]},
        {"ttl_exceeded": 5}, ip_extra="icmp_rate = 1; icmp_burst = 2;"))
    return cs


def martian_cases():
    srcs = ["127.0.0.1", "0.1.2.3", "255.255.255.255", "224.0.0.5",
            "240.0.0.1", VIP, LIP, g.DP0_IP]
    syns = [from_client(80, 42000 + i, src=s, ipid=0x110 + i)
            for i, s in enumerate(srcs)]
    udp = from_client(9000, 42100, src="127.0.0.2", payload=b"martian")
    routed = g.build(g.from_client() /
                     IP(src="127.1.1.1", dst=g.RS1_IP, id=0x2345) /
                     UDP(sport=40000, dport=9000) / Raw(b"routed martian"))
    dr_reply = g.build(Ether(dst=g.DP1_MAC, src=g.RS1_MAC) /
                       IP(src=VIP, dst=g.CLIENT_IP, id=0x2346) /
                       TCP(sport=80, dport=42200, flags="SA"))
    dr_out = g.routed(dr_reply, g.DP0_MAC, g.CLIENT_MAC)
    return [case(
        "lb_martian_sources",
        "SYNs to the VIP from 127/8, 0/8, the broadcast, multicast, class E, "
        "the VIP, the LIP and dp0's own address, a datagram from 127/8 and a "
        "routed packet from 127/8: all martian_source, no connection",
        {"dp0": syns + [udp, routed]}, {}, {"martian_source": len(srcs) + 2},
        conns={}),
        case(
        "route_from_vip",
        "a direct-routing server's reply from the VIP, routed through "
        "dplbd (its gateway): forwarded to the client one hop less, no "
        "connection",
        {"dp1": [dr_reply]}, {"dp0": [dr_out]}, {}, conns={})]


def checksum_cases():
    bad_syn = from_client(80, 43000, chksum=0x1234)
    bad_udp = from_client(9000, 43001, payload=b"bad sum", chksum=0x4321)
    # an established flow's segment with a wrong checksum goes on,
    # exactly as wrong: the server drops it as it would without us
    syn = from_client(80, 43002, ipid=0x120)
    ack = from_client(80, 43002, ipid=0x121, flags="A", payload=b"data")
    good = Ether(bytes(ack))[TCP].chksum
    ack_bad = Ether(bytes(ack))
    ack_bad[TCP].chksum = add16(good, 0x0101)
    ack_bad = g.build(ack_bad)
    out = Ether(bytes(to_server(ack, LPORT0)))
    out[TCP].chksum = add16(out[TCP].chksum, 0x0101)
    return [case(
        "lb_bad_l4_checksum",
        "a SYN and a first datagram with wrong checksums make no connection "
        "(l4_bad_checksum); on an established flow a wrong checksum leaves "
        "wrong by the same amount (incremental update)",
        {"dp0": [bad_syn, bad_udp, syn, ack_bad]},
        {"dp1": [to_server(syn, LPORT0), g.build(out)]},
        {"l4_bad_checksum": 2},
        conns=conn(43002, "tcp", 80, "ESTABLISHED", LPORT0))]


def udp_length_cases():
    longer = from_client(9000, 44000, payload=b"twelve bytes", len=30)
    shorter = from_client(9000, 44001, payload=b"twelve bytes", len=10)
    ok = from_client(9001, 44002, payload=b"just right")
    return [case(
        "lb_udp_bad_length",
        "UDP length beyond the packet, or short of the IP payload: "
        "udp_bad_length, no connection; the right one is forwarded (NAT)",
        {"dp0": [longer, shorter, ok]}, {"dp1": [to_server(ok)]},
        {"udp_bad_length": 2}, conns=conn(44002, "udp", 9001, "UDP"))]


def icmp_cases():
    cs = []
    # NAT: rs1's port unreachable about the client's SYN leaves from the VIP
    syn = from_client(81, 45000)
    syn_rs = to_server(syn)
    unreach = icmp_from_server(g.CLIENT_IP, syn_rs)
    unreach_out = g.build(Ether(src=g.DP0_MAC, dst=g.CLIENT_MAC) /
                          IP(src=VIP, dst=g.CLIENT_IP, id=0x300, ttl=63) /
                          ICMP(type=3, code=3) /
                          Raw(quote(hop_copy(syn))))
    # an error with a wrong checksum about the same connection
    bad = icmp_from_server(g.CLIENT_IP, syn_rs, ipid=0x301, chksum=0xbeef)
    cs.append(case(
        "lb_nat_icmp_from_server",
        "NAT: rs1's port unreachable about the client's SYN reaches the "
        "client from the VIP (not rs1), quoting its SYN as sent but one hop "
        "less; the same with a wrong ICMP checksum is icmp_bad_checksum",
        {"dp0": [syn], "dp1": [unreach, bad]},
        {"dp1": [syn_rs], "dp0": [unreach_out]},
        {"icmp_bad_checksum": 1},
        conns=conn(45000, "tcp", 81, "SYN_RECV")))

    # errors about no connection of ours
    ghost_fnat = to_server(from_client(80, 46000), 2000)
    ghost_nat = to_server(from_client(81, 46001))
    ghost_vip = g.build(Ether(src=g.DP0_MAC, dst=g.CLIENT_MAC) /
                        IP(src=VIP, dst=g.CLIENT_IP) /
                        TCP(sport=80, dport=46002, flags="SA"))
    twin = g.build(Ether(src=g.DP0_MAC, dst=g.CLIENT_MAC) /
                   IP(src=g.DP0_IP, dst=g.CLIENT_IP) /
                   TCP(sport=40000, dport=22, flags="S"))
    from_client_icmp = [
        g.build(g.from_client() / IP(src=g.CLIENT_IP, dst=dst) /
                ICMP(type=3, code=3) / Raw(quote(about)))
        for dst, about in ((VIP, ghost_vip), (g.DP0_IP, twin))]
    cs.append(case(
        "lb_icmp_unrelated",
        "ICMP errors about no connection quoting a LIP's port (full NAT), "
        "a NAT dest, the VIP's service: icmp_unrelated; one quoting "
        "dplbd's own address and a port that is no service goes to the "
        "twin as before (none here: no_twin)",
        {"dp1": [icmp_from_server(LIP, ghost_fnat),
                 icmp_from_server(g.CLIENT_IP, ghost_nat, ipid=0x302)],
         "dp0": from_client_icmp},
        {}, {"icmp_unrelated": 3, "no_twin": 1}, conns={}))

    # errors larger than one mbuf: in chains of two and four segments
    fsyn = from_client(80, 47000)
    fsyn_rs = to_server(fsyn, LPORT0)
    big = [icmp_from_server(LIP, fsyn_rs, typ=11, code=0, ipid=0x310 + i,
                            extra=bytes(range(256)) * (n // 256) +
                            bytes(n % 256))
           for i, n in enumerate((2952, 7952))]

    def sent_on(e):
        q = Ether(bytes(e))
        raw = bytes(q[ICMP].payload)
        mine = quote(hop_copy(fsyn), b"")    # its whole SYN, TCP sum too
        return g.build(Ether(src=g.DP0_MAC, dst=g.CLIENT_MAC) /
                       IP(src=VIP, dst=g.CLIENT_IP, id=q[IP].id, ttl=63) /
                       ICMP(type=11, code=0) / Raw(mine + raw[len(mine):]))

    # net_pcap sends no mbuf chains: on a port of MTU 9000 a packet
    # larger than one mbuf (2,048 bytes) leaves in fragments that fit one
    room = 2048 - 14
    cs.append(case(
        "lb_icmp_multiseg",
        "time exceeded errors of 3,000 and 8,000 bytes about a full-NAT SYN "
        "(split by net_pcap over 2 and 4 mbufs) reach the client with the "
        "quote and every checksum right over all segments; dp0 has MTU "
        "9000 but sends no chains, so they leave in fragments of one mbuf",
        {"dp0": [fsyn], "dp1": big},
        {"dp1": [fsyn_rs],
         "dp0": [f for e in big
                 for f in ip_frags(sent_on(e), room, g.DP0_MAC,
                                   g.CLIENT_MAC)]},
        conns=conn(47000, "tcp", 80, "SYN_RECV", LPORT0),
        mtu={"dp0": 9000}))
    cs.append(case(
        "lb_icmp_multiseg_fragmented",
        "the 3,000-byte error again, toward a port of MTU 1500: it leaves "
        "in fragments (DF clear), checksum right",
        {"dp0": [fsyn], "dp1": big[:1]},
        {"dp1": [fsyn_rs],
         "dp0": ip_frags(sent_on(big[0]), 1500, g.DP0_MAC, g.CLIENT_MAC)},
        conns=conn(47000, "tcp", 80, "SYN_RECV", LPORT0)))
    return cs


def mtu_cases():
    syn = from_client(80, 48000, df=True)
    ack = from_client(80, 48000, df=True, flags="A", ipid=0x130,
                      payload=b"x" * 1960)
    dgram = from_client(9000, 48001, payload=bytes(1972), ipid=0x131)
    routed = g.build(g.from_client() /
                     IP(src=g.CLIENT_IP, dst=g.RS1_IP, id=0x132, flags="DF") /
                     UDP(sport=48002, dport=9000) / Raw(bytes(1972)))
    return [case(
        "lb_too_big",
        "2,000-byte packets toward the MTU 1500 of dp1: a full-NAT segment "
        "with DF gets fragmentation needed (1500) from the VIP, too_big; a "
        "datagram without DF leaves in two fragments; a routed one with DF "
        "gets fragmentation needed from dp0's address",
        {"dp0": [syn, ack, dgram, routed]},
        {"dp1": [to_server(syn, LPORT0)] +
         ip_frags(to_server(dgram, LPORT0), 1500, g.DP1_MAC, g.RS1_MAC),
         "dp0": [g.icmp_error(ack, 3, 4, VIP, mtu=1500, ipid=0),
                 g.icmp_error(routed, 3, 4, g.DP0_IP, mtu=1500, ipid=1)]},
        {"too_big": 2},
        # the ACK moved the state before it was found too big, as in IPVS
        conns={**conn(48000, "tcp", 80, "ESTABLISHED", LPORT0),
               **conn(48001, "udp", 9000, "UDP", LPORT0)})]


def frag_cases():
    cs = []
    payload = bytes((i * 7) & 0xff for i in range(4000))
    for vport, cport in ((9000, 49000), (9001, 49001)):
        mode = "fnat" if FNAT[vport] else "nat"
        q = from_client(vport, cport, payload=payload, ipid=0x140)
        out = to_server(q, LPORT0)
        # rs1's answer of 4,000 bytes, to the LIP or (NAT) to the client
        a = from_server(LIP if FNAT[vport] else g.CLIENT_IP,
                        LPORT0 if FNAT[vport] else cport, vport, proto="udp",
                        payload=payload[::-1], ipid=0x240)
        back = to_client(a, cport, vport)
        cs.append(case(
            f"frag_udp_{mode}",
            f"a 4,000-byte UDP datagram to the {mode.upper()} VIP in three "
            f"fragments, the last first, is reassembled, rewritten and "
            f"leaves in three fragments; rs1's 4,000-byte answer the same "
            f"way back",
            {"dp0": frags_in(q, 1500, order=(2, 0, 1)),
             "dp1": frags_in(a, 1500)},
            {"dp1": ip_frags(out, 1500, g.DP1_MAC, g.RS1_MAC),
             "dp0": ip_frags(back, 1500, g.DP0_MAC, g.CLIENT_MAC)},
            conns=conn(cport, "udp", vport, "UDP",
                       LPORT0 if FNAT[vport] else None)))

    # attacks: overlap, duplicate, short and oversized fragments
    def d(cport, ipid, n=2000):
        return from_client(9000, cport, payload=bytes(n), ipid=ipid)

    a = frags_in(d(49100, 0x150), 1500)
    over = Ether(bytes(a[1]))
    over[IP].frag -= 1                   # starts 8 bytes into the first
    del over[IP].chksum
    b_whole = d(49101, 0x151)
    b = frags_in(b_whole, 1500)
    short = Ether(bytes(frags_in(d(49102, 0x152), 1500)[0]))
    short[IP].len -= 3                   # not a multiple of 8, MF set
    del short[IP].chksum
    short = Ether(bytes(g.build(short))[:-3])
    death = Ether(bytes(frags_in(d(49103, 0x153), 1500)[1]))
    death[IP].frag = 8189                # 65512 + 528 bytes > 65535
    del death[IP].chksum
    cs.append(case(
        "frag_attacks",
        "a fragment overlapping the one before drops the whole datagram "
        "(frag_overlap 2); an exact duplicate is dropped alone (frag_overlap "
        "1) and its datagram still goes through; a non-last fragment whose "
        "length is no multiple of 8 and one that would end beyond 65,535 "
        "bytes are frag_invalid",
        {"dp0": [a[0], g.build(over), b[0], b[0], b[1], g.build(short),
                 g.build(death)]},
        {"dp1": ip_frags(to_server(b_whole, LPORT0), 1500, g.DP1_MAC,
                         g.RS1_MAC)},
        {"frag_overlap": 3, "frag_invalid": 2},
        conns=conn(49101, "udp", 9000, "UDP", LPORT0)))

    lone = frags_in(d(49200, 0x160), 1500)
    cs.append(case(
        "frag_limits",
        "ip.frag_max = 1: a second datagram's fragment finds the table full "
        "(frag_table_full); ip.frag_timeout_ms = 100: the first waits for its "
        "last fragment in vain (frag_timeout)",
        {"dp0": [lone[0], frags_in(d(49201, 0x161), 1500)[0]]}, {},
        {"frag_table_full": 1, "frag_timeout": 1},
        ip_extra="frag_max = 1; frag_timeout_ms = 100;"))
    many = [frags_in(d(49300 + i, 0x170 + i, 200), 60)[0]
            for i in range(40)]
    cs.append(case(
        "frag_memory",
        "ip.frag_mem_kb = 64 holds 30 fragments' buffers: of 40 first "
        "fragments the last 10 are frag_memory",
        {"dp0": many}, {}, {"frag_memory": 10},
        ip_extra="frag_mem_kb = 64; frag_timeout_ms = 60000;"))
    return cs


def cases():
    return (ttl_cases() + martian_cases() + checksum_cases() +
            udp_length_cases() + icmp_cases() + mtu_cases() + frag_cases())
