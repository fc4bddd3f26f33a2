# SPDX-License-Identifier: GPL-2.0-or-later
"""IPv6 load-balancing golden cases (lb6/lb6.c over xlat/): each mode's
rewrite of an IPv6 connection, and NAT64 both ways.  One worker (local
ports from 1024), client and servers behind dp0 (one pcap, one order)
but DR and TUNNEL, whose server rs1 sits behind dp1.

  dp0  2001:2::1/64         client 2001:2::2       02:00:00:00:00:02
       2001:2:0:2::1/64     rs6    2001:2:0:2::11  02:00:00:00:02:11
       198.18.2.1/24        rs4    198.18.2.11     02:00:00:00:02:11
       VIP 2001:2::100, LIP6 2001:2:0:2::100, LIP4 198.18.2.100
  dp1  2001:2:0:1::1/64     rs1    2001:2:0:1::11  02:00:00:00:01:11

Expected frames are scapy's, checksums computed in full by scapy: the
incremental updates of dplbd must come out the same.
"""

from scapy.all import (ICMP, IP, TCP, UDP, Ether, ICMPv6DestUnreach,
                       ICMPv6PacketTooBig, IPv6, IPv6ExtHdrDestOpt,
                       IPv6ExtHdrFragment, Raw, fragment6)

import gen_golden as g
import gen_lb
import tcp_table as tt

CLIENT6 = "2001:2::2"
VIP6 = "2001:2::100"
RS6 = "2001:2:0:2::11"
LIP6 = "2001:2:0:2::100"
RS1_6 = "2001:2:0:1::11"
DP1_6 = "2001:2:0:1::1"
RS4 = "198.18.2.11"
LIP4 = "198.18.2.100"
RS_MAC = "02:00:00:00:02:11"
ROUTER6 = "2001:2:0:2::fe"  # a router on the servers' side
ADDRS = {"dp0": ["2001:2::1/64", "2001:2:0:2::1/64", VIP6 + "/128",
                 LIP6 + "/128", "198.18.2.1/24", LIP4 + "/32"],
         "dp1": [DP1_6 + "/64"]}
NEIGH = [(CLIENT6, g.CLIENT_MAC, "dp0"), (RS6, RS_MAC, "dp0"),
         (RS4, RS_MAC, "dp0"), (RS1_6, g.RS1_MAC, "dp1")]
GET = b"GET / HTTP/1.0\r\n\r\n"
TIMEOUTS = """timeouts = { tcp = { none = 3600; established = 3600;
  syn_sent = 3600; syn_recv = 3600; fin_wait = 3600; time_wait = 3600;
  close = 3600; close_wait = 3600; last_ack = 3600; listen = 3600;
  synack = 3600; }; udp = { oneway = 3600; normal = 3600; }; };
"""


def conf(dests, group=True, proto="tcp", port=80):
    lg = (f'laddr_groups = ( {{ name = "lg6"; addresses = [ "{LIP6}", '
          f'"{LIP4}" ]; }} );\n' if group else "")
    ds = ", ".join(f'{{ addr = "{a}"; fwd = "{m}"; }}' for a, m in dests)
    return (lg + f'services = ( {{ proto = "{proto}"; vip = "{VIP6}"; '
            f'port = {port}; sched = "rr";'
            + (' laddr_group = "lg6";' if group else "") +
            f"\n  dests = ( {ds} ); }} );\n" + TIMEOUTS)


def f6(esrc, edst, src, dst, l4, hlim=64, tc=0):
    return bytes(Ether(src=esrc, dst=edst) /
                 IPv6(src=src, dst=dst, hlim=hlim, tc=tc) / l4)


def tcp(sport, dport, flags, seq, ack=0, payload=b"", opts=()):
    return (TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack,
                window=8192, options=list(opts)) / Raw(payload))


def client(l4, **kw):
    return f6(g.CLIENT_MAC, g.DP0_MAC, CLIENT6, VIP6, l4, **kw)


def client_ext(l4):
    """The client's packet with a destination-options header before l4."""
    return f6(g.CLIENT_MAC, g.DP0_MAC, CLIENT6, VIP6, IPv6ExtHdrDestOpt() / l4)


def to_rs6_ext(l4):
    """What NAT sends rs6 of client_ext(l4)."""
    return f6(g.DP0_MAC, RS_MAC, CLIENT6, RS6, IPv6ExtHdrDestOpt() / l4,
              hlim=63)


def to_client(l4, hlim=63, tc=0):
    return f6(g.DP0_MAC, g.CLIENT_MAC, VIP6, CLIENT6, l4, hlim=hlim, tc=tc)


def case(name, doc, inp, out, conf_text, drops=None, out_port="dp0",
         conns=None):
    return g.Case(name, doc, {"dp0": inp}, {out_port: out}, drops or {},
                  addrs=ADDRS, neigh=NEIGH, extra_conf=conf_text,
                  conns=conns)


def listed(cport, state, dest, local, fwd, proto="tcp", vport=80):
    """conn.list's entry of the client's connection from port cport."""
    return {f"[{CLIENT6}]:{cport}": {
        "proto": proto, "state": state, "vip": f"[{VIP6}]:{vport}",
        "dest": dest, "local": local, "fwd": fwd}}


def fnat_nat():
    cs = []
    # FNAT: LIP6:1024 -> rs6 both ways
    syn = tcp(40000, 80, "S", 0x1000, opts=[("MSS", 1440)])
    sa = tcp(80, 1024, "SA", 0x9000, 0x1001, opts=[("MSS", 1440)])
    ack = tcp(40000, 80, "A", 0x1001, 0x9001)
    req = tcp(40000, 80, "PA", 0x1001, 0x9001, GET)
    inp = [client(syn), f6(RS_MAC, g.DP0_MAC, RS6, LIP6,
                           sa.copy()), client(ack), client(req, tc=0x28)]
    out = [f6(g.DP0_MAC, RS_MAC, LIP6, RS6, tcp(1024, 80, "S", 0x1000,
                                                 opts=[("MSS", 1440)]),
              hlim=63),
           to_client(tcp(80, 40000, "SA", 0x9000, 0x1001,
                         opts=[("MSS", 1440)])),
           f6(g.DP0_MAC, RS_MAC, LIP6, RS6, tcp(1024, 80, "A", 0x1001,
                                                 0x9001), hlim=63),
           f6(g.DP0_MAC, RS_MAC, LIP6, RS6, tcp(1024, 80, "PA", 0x1001,
                                                 0x9001, GET), hlim=63,
              tc=0x28)]
    cs.append(case("lb6_fnat_conversation",
                   "IPv6 FNAT: the client's SYN, ACK and request leave from "
                   "LIP6:1024 to rs6 (traffic class kept), the server's "
                   "SYN-ACK from VIP6:80 to the client; hop limit one less "
                   "both ways; TCP checksums updated over the 128-bit "
                   "pseudo header; conn.list shows it with [addr]:port",
                   inp, out, conf([(RS6, "fnat")]),
                   conns=listed(40000, "ESTABLISHED", f"[{RS6}]:80",
                                f"[{LIP6}]:1024", "fnat")))

    # NAT: the destination only; an extension header stays in place
    syn = tcp(40001, 80, "S", 0x2000)
    inp = [client_ext(syn)]
    out = [to_rs6_ext(tcp(40001, 80, "S", 0x2000))]
    cs.append(case("lb6_nat_request",
                   "IPv6 NAT: a SYN behind a destination-options header "
                   "leaves for rs6 with the client's source, the header "
                   "kept", inp, out, conf([(RS6, "nat")], group=False)))

    # a SYN with a wrong TCP checksum makes no connection, behind an
    # extension header too (its pseudo header: the TCP length and
    # protocol, not the payload length and the first next header)
    bad = tcp(40006, 80, "S", 0x2200)
    bad.chksum = 0x1234
    ext_bad = tcp(40007, 80, "S", 0x2300)
    ext_bad.chksum = 0x4321
    ext_good = tcp(40008, 80, "S", 0x2400)
    inp = [client(bad), client_ext(ext_bad), client_ext(ext_good)]
    out = [to_rs6_ext(tcp(40008, 80, "S", 0x2400))]
    cs.append(case("lb6_bad_l4_checksum",
                   "IPv6 NAT: SYNs with a wrong TCP checksum, one behind a "
                   "destination-options header, dropped (l4_bad_checksum) "
                   "with no connection; the right one behind the header "
                   "goes to rs6", inp, out, conf([(RS6, "nat")], group=False),
                   drops={"l4_bad_checksum": 2},
                   conns=listed(40008, "SYN_RECV", f"[{RS6}]:80", None,
                                "nat")))

    # NAT answers: transit for net6, un-NATed by lb_input_transit6()
    syn = tcp(40005, 80, "S", 0x2100)
    sa = tcp(80, 40005, "SA", 0x9100, 0x2101)
    inp = [client(syn), f6(RS_MAC, g.DP0_MAC, RS6, CLIENT6, sa.copy())]
    out = [f6(g.DP0_MAC, RS_MAC, CLIENT6, RS6, tcp(40005, 80, "S", 0x2100),
              hlim=63),
           to_client(tcp(80, 40005, "SA", 0x9100, 0x2101))]
    cs.append(case("lb6_nat_reply",
                   "IPv6 NAT: the server's SYN-ACK to the client (transit "
                   "for net6, the lb its gateway) leaves from VIP6:80, hop "
                   "limit one less, checksum updated; conn.list shows the "
                   "connection in SYN_RECV", inp, out,
                   conf([(RS6, "nat")], group=False),
                   conns=listed(40005, "SYN_RECV", f"[{RS6}]:80", None,
                                "nat")))

    # UDP FNAT, and a zero checksum refused (RFC 8200 8.1)
    q = UDP(sport=5353, dport=53) / Raw(b"dplb udp6 query")
    bad = bytes(Ether(src=g.CLIENT_MAC, dst=g.DP0_MAC) /
                IPv6(src=CLIENT6, dst=VIP6) /
                UDP(sport=5354, dport=53, chksum=0) / Raw(b"no sum"))
    inp = [client(q), bad]
    out = [f6(g.DP0_MAC, RS_MAC, LIP6, RS6,
              UDP(sport=1024, dport=53) / Raw(b"dplb udp6 query"), hlim=63)]
    cs.append(case("lb6_udp_fnat",
                   "IPv6 UDP FNAT: a query from LIP6:1024 to rs6:53; a "
                   "datagram with checksum 0 dropped as IPv6 forbids it",
                   inp, out, conf([(RS6, "fnat")], proto="udp", port=53),
                   drops={"ipv6_udp_zero_checksum": 1}))
    return cs


def dr_tunnel():
    cs = []
    syn = tcp(40002, 80, "S", 0x3000)
    inner = IPv6(src=CLIENT6, dst=VIP6, hlim=63) / tcp(40002, 80, "S",
                                                       0x3000)
    cs.append(case("lb6_dr_forward",
                   "IPv6 DR: the frame to rs1's MAC from dp1, the packet "
                   "untouched but its hop limit", [client(syn)],
                   [bytes(Ether(src=g.DP1_MAC, dst=g.RS1_MAC) / inner)],
                   conf([(RS1_6, "dr")], group=False), out_port="dp1",
                   conns=listed(40002, "SYN_RECV", f"[{RS1_6}]:80", None,
                                "dr")))
    cs.append(case("lb6_tunnel_forward",
                   "IPv6 TUNNEL (ip6ip6, RFC 2473): an outer IPv6 header "
                   "from dp1's address to rs1, next header 41, hop limit "
                   "64; the inner packet untouched but its hop limit",
                   [client(syn)],
                   [bytes(Ether(src=g.DP1_MAC, dst=g.RS1_MAC) /
                          IPv6(src=DP1_6, dst=RS1_6, hlim=64, nh=41) /
                          inner)],
                   conf([(RS1_6, "tunnel")], group=False), out_port="dp1"))
    cs.append(case("lb6_tunnel_6in4",
                   "IPv6 service, IPv4 TUNNEL dest (IPv6 in IPv4, RFC 4213): "
                   "an outer IPv4 header from dp1's address to rs1, protocol "
                   "41, DF, TTL 64, id 0; the inner packet untouched but its "
                   "hop limit", [client(syn)],
                   [bytes(Ether(src=g.DP1_MAC, dst=g.RS1_MAC) /
                          IP(src=g.DP1_IP, dst=g.RS1_IP, ttl=64, id=0,
                             flags="DF", proto=41) / inner)],
                   conf([(g.RS1_IP, "tunnel")], group=False),
                   out_port="dp1"))
    return cs


VIP4 = "198.18.0.100"


def conf4(dests):
    """An IPv4 service at VIP4:80 with dests [(addr, fwd)]."""
    ds = ", ".join(f'{{ addr = "{a}"; fwd = "{m}"; }}' for a, m in dests)
    return (f'services = ( {{ proto = "tcp"; vip = "{VIP4}"; port = 80; '
            f'sched = "rr";\n  dests = ( {ds} ); }} );\n' + TIMEOUTS)


def client4(l4, **ipkw):
    return bytes(Ether(src=g.CLIENT_MAC, dst=g.DP0_MAC) /
                 IP(src=g.CLIENT_IP, dst=VIP4, **ipkw) / l4)


def case4(name, doc, inp, out, drops=None, conns=None):
    """A case of VIP4 (on dp0) with rs1's IPv6 address its TUNNEL dest;
    out: port -> frames."""
    return g.Case(name, doc, {"dp0": inp}, out, drops or {},
                  addrs=dict(ADDRS, dp0=ADDRS["dp0"] + [VIP4 + "/32"]),
                  neigh=NEIGH,
                  extra_conf=conf4([(RS1_6, "tunnel")]), conns=conns)


def tunnelled(frame, tc=0, frag=None):
    """frame's IPv4 packet inside IPv4 in IPv6 to rs1, its TTL one less
    (frag: with a Fragment header of that identification)."""
    inner = IP(frame[14:])
    inner.ttl -= 1
    del inner.chksum
    outer = IPv6(src=DP1_6, dst=RS1_6, hlim=64, tc=tc)
    if frag is not None:
        outer = outer / IPv6ExtHdrFragment(id=frag)
    return outer / inner


def tunnel_4in6():
    """IPv4 in IPv6 (RFC 2473): an IPv4 service's TUNNEL dest is rs1's
    IPv6 address, as IPVS's tunnels of the other family."""
    to_rs1 = Ether(src=g.DP1_MAC, dst=g.RS1_MAC)
    payload = bytes(range(240)) * 6  # IPv4: 1480 bytes
    syn = client4(tcp(40020, 80, "S", 0x8000), id=0x77, tos=0x28)
    big = client4(tcp(40020, 80, "PA", 0x8001, 0x1, payload), id=0x99,
                  tos=0x28)  # DF clear
    out = ([bytes(to_rs1 / tunnelled(syn, tc=0x28))] +
           [bytes(to_rs1 / f)
            for f in fragment6(tunnelled(big, tc=0x28, frag=1), 1500)])
    conns = {f"{g.CLIENT_IP}:40020": {
        "proto": "tcp", "state": "ESTABLISHED", "vip": f"{VIP4}:80",
        "dest": f"[{RS1_6}]:80", "local": None, "fwd": "tunnel"}}
    cs = [case4("lb6_tunnel_4in6",
                "IPv4 service, IPv6 TUNNEL dest (IPv4 in IPv6, RFC 2473): "
                "the client's SYN leaves inside an outer IPv6 header from "
                "dp1's address to rs1, next header 4, hop limit 64, traffic "
                "class the inner TOS; the inner packet untouched but its TTL "
                "(checksum updated).  A 1480-byte segment without DF, 1520 "
                "bytes once encapsulated, leaves in IPv6 fragments of at "
                "most 1500 bytes (RFC 2473 7.2 b), identification 1; "
                "conn.list names the IPv6 dest",
                [syn, big], {"dp1": out}, conns=conns)]
    # DF set: too big for the tunnel, fragmentation needed with 1460
    syn = client4(tcp(40021, 80, "S", 0x8100), id=0x78)
    df = client4(tcp(40021, 80, "PA", 0x8101, 0x1, payload), id=0x9a,
                 flags="DF")
    cs.append(case4(
        "lb6_tunnel_4in6_frag_needed",
        "IPv4 in IPv6: a 1480-byte segment with DF does not fit dp1's MTU "
        "with the 40-byte outer header: ICMP fragmentation needed, MTU "
        "1460, from the VIP to the client (RFC 2473 7.2 a), dropped as "
        "too_big; the SYN before it went through the tunnel",
        [syn, df], {"dp1": [bytes(to_rs1 / tunnelled(syn))],
                    "dp0": [bytes(g.icmp_error(df, 3, 4, VIP4, mtu=1460))]},
        drops={"too_big": 1}))
    return cs


def nat64():
    syn = tcp(40003, 80, "S", 0x4000, opts=[("MSS", 1440)])
    sa = tcp(80, 1024, "SA", 0xa000, 0x4001, opts=[("MSS", 1460)])
    req = tcp(40003, 80, "PA", 0x4001, 0xa001, GET)
    inp = [client(syn, tc=0x20),
           bytes(Ether(src=RS_MAC, dst=g.DP0_MAC) /
                 IP(src=RS4, dst=LIP4, ttl=64, id=7, tos=0x10) / sa),
           client(req)]
    out = [bytes(Ether(src=g.DP0_MAC, dst=RS_MAC) /
                 IP(src=LIP4, dst=RS4, ttl=63, id=0, tos=0x20, flags=0) /
                 tcp(1024, 80, "S", 0x4000, opts=[("MSS", 1440)])),
           to_client(tcp(80, 40003, "SA", 0xa000, 0x4001,
                         opts=[("MSS", 1440)]), tc=0x10),
           bytes(Ether(src=g.DP0_MAC, dst=RS_MAC) /
                 IP(src=LIP4, dst=RS4, ttl=63, id=1, flags=0) /
                 tcp(1024, 80, "PA", 0x4001, 0xa001, GET))]
    return [case("lb6_nat64_conversation",
                 "NAT64 (RFC 7915): the client's IPv6 SYN and request leave "
                 "as IPv4 from LIP4:1024 to rs4 (TOS from the traffic class, "
                 "TTL the hop limit less one, DF clear at this size, ids "
                 "0, 1); the server's IPv4 SYN-ACK comes back as IPv6 from "
                 "VIP6:80 with its MSS lowered by 20 (1460 -> 1440) and its "
                 "TOS as the traffic class; conn.list shows the IPv4 local "
                 "address and server", inp, out,
                 conf([(RS4, "fnat")]),
                 conns=listed(40003, "ESTABLISHED", f"{RS4}:80",
                              f"{LIP4}:1024", "fnat"))]


def nat64_icmp():
    """A router on the servers' side says fragmentation needed (MTU 1000)
    about the SYN dplbd sent as IPv4, quoting it whole: the client gets
    a packet too big from the VIP, MTU 1280 (1000 + 20 is below IPv6's
    minimum), quoting its own SYN as it sent it."""
    syn = tcp(40004, 80, "S", 0x6000, opts=[("MSS", 1440)])
    sent4 = (IP(src=LIP4, dst=RS4, ttl=63, id=0, tos=0x20, flags=0) /
             tcp(1024, 80, "S", 0x6000, opts=[("MSS", 1440)]))
    err4 = bytes(Ether(src=RS_MAC, dst=g.DP0_MAC) /
                 IP(src="198.18.2.254", dst=LIP4, ttl=64, id=9) /
                 ICMP(type=3, code=4, nexthopmtu=1000) / bytes(sent4))
    quoted6 = bytes(IPv6(src=CLIENT6, dst=VIP6, hlim=63, tc=0x20) /
                    tcp(40004, 80, "S", 0x6000, opts=[("MSS", 1440)]))
    ptb = bytes(Ether(src=g.DP0_MAC, dst=g.CLIENT_MAC) /
                IPv6(src=VIP6, dst=CLIENT6, hlim=63) /
                ICMPv6PacketTooBig(mtu=1280) / Raw(quoted6))
    return [case("lb6_nat64_frag_needed",
                 "NAT64, RFC 7915 4.2: an ICMPv4 fragmentation needed (MTU "
                 "1000) about a NAT64 connection's IPv4 SYN becomes an "
                 "ICMPv6 packet too big from the VIP to the client, MTU "
                 "1280 (IPv6's minimum), hop limit the TTL less one, the "
                 "quoted SYN translated back to what the client sent "
                 "(addresses, ports, traffic class, checksum)",
                 [client(syn, tc=0x20), err4],
                 [bytes(Ether(src=g.DP0_MAC, dst=RS_MAC) / sent4), ptb],
                 conf([(RS4, "fnat")]))]


def err6(esrc, edst, src, dst, icmp, quoted, hlim=64):
    """An ICMPv6 error frame quoting the bytes of the packet quoted."""
    return f6(esrc, edst, src, dst, icmp / Raw(bytes(quoted)), hlim=hlim)


def icmp6_errors():
    """ICMPv6 errors about IPv6 and NAT64 connections go to the other
    side, the quoted packet rewritten to what that side sent."""
    cs = []
    # FNAT: a packet too big from a router about the SYN sent to rs6
    syn = tcp(40010, 80, "S", 0x7000)
    sent = IPv6(src=LIP6, dst=RS6, hlim=63) / tcp(1024, 80, "S", 0x7000)
    as_sent = IPv6(src=CLIENT6, dst=VIP6, hlim=63) / tcp(40010, 80, "S",
                                                         0x7000)
    cs.append(case(
        "lb6_fnat_packet_too_big",
        "IPv6 FNAT: a router's packet too big (MTU 1400) to LIP6 about the "
        "SYN sent to rs6 goes to the client from the VIP, hop limit one "
        "less, quoting the SYN as the client sent it (addresses, ports, "
        "TCP checksum), ICMPv6 checksum recomputed",
        [client(syn), err6(RS_MAC, g.DP0_MAC, ROUTER6, LIP6,
                           ICMPv6PacketTooBig(mtu=1400), sent)],
        [bytes(Ether(src=g.DP0_MAC, dst=RS_MAC) / sent),
         err6(g.DP0_MAC, g.CLIENT_MAC, VIP6, CLIENT6,
              ICMPv6PacketTooBig(mtu=1400), as_sent, hlim=63)],
        conf([(RS6, "fnat")])))

    # NAT: a router's destination unreachable to the client (transit)
    syn = tcp(40011, 80, "S", 0x7100)
    sent = IPv6(src=CLIENT6, dst=RS6, hlim=63) / tcp(40011, 80, "S", 0x7100)
    as_sent = IPv6(src=CLIENT6, dst=VIP6, hlim=63) / tcp(40011, 80, "S",
                                                         0x7100)
    cs.append(case(
        "lb6_nat_dest_unreachable",
        "IPv6 NAT: a router's destination unreachable (address) to the "
        "client about the SYN sent to rs6, transit for net6, reaches the "
        "client from the VIP quoting the SYN to the VIP",
        [client(syn), err6(RS_MAC, g.DP0_MAC, ROUTER6, CLIENT6,
                           ICMPv6DestUnreach(code=3), sent)],
        [bytes(Ether(src=g.DP0_MAC, dst=RS_MAC) / sent),
         err6(g.DP0_MAC, g.CLIENT_MAC, VIP6, CLIENT6,
              ICMPv6DestUnreach(code=3), as_sent, hlim=63)],
        conf([(RS6, "nat")], group=False)))

    # FNAT: the client refuses the server's SYN-ACK (port unreachable)
    syn = tcp(40012, 80, "S", 0x7200)
    sa = tcp(80, 1024, "SA", 0x9200, 0x7201)
    got = IPv6(src=VIP6, dst=CLIENT6, hlim=63) / tcp(80, 40012, "SA",
                                                     0x9200, 0x7201)
    # quoted as the client got it: hop limit 63
    server_sent = IPv6(src=RS6, dst=LIP6, hlim=63) / tcp(80, 1024, "SA",
                                                         0x9200, 0x7201)
    cs.append(case(
        "lb6_fnat_client_unreachable",
        "IPv6 FNAT: the client's port unreachable about the SYN-ACK it got "
        "from the VIP goes to rs6 from LIP6, hop limit one less, quoting "
        "the SYN-ACK as rs6 sent it (but the hop limit the client saw)",
        [client(syn), f6(RS_MAC, g.DP0_MAC, RS6, LIP6, sa.copy()),
         err6(g.CLIENT_MAC, g.DP0_MAC, CLIENT6, VIP6,
              ICMPv6DestUnreach(code=4), got)],
        [bytes(Ether(src=g.DP0_MAC, dst=RS_MAC) /
               IPv6(src=LIP6, dst=RS6, hlim=63) /
               tcp(1024, 80, "S", 0x7200)),
         bytes(Ether(src=g.DP0_MAC, dst=g.CLIENT_MAC) / got),
         err6(g.DP0_MAC, RS_MAC, LIP6, RS6, ICMPv6DestUnreach(code=4),
              server_sent, hlim=63)],
        conf([(RS6, "fnat")])))

    # NAT64: the client refuses the server's SYN-ACK: ICMPv4 to rs4
    syn = tcp(40013, 80, "S", 0x7300)
    sa = tcp(80, 1024, "SA", 0xa300, 0x7301)
    got = IPv6(src=VIP6, dst=CLIENT6, hlim=63) / tcp(80, 40013, "SA",
                                                     0xa300, 0x7301)
    server_sent = (IP(src=RS4, dst=LIP4, ttl=63, id=0, flags=0) /
                   tcp(80, 1024, "SA", 0xa300, 0x7301))
    cs.append(case(
        "lb6_nat64_client_unreachable",
        "NAT64, RFC 7915 5.2: the client's ICMPv6 port unreachable about "
        "the SYN-ACK it got becomes an ICMPv4 port unreachable from LIP4 "
        "to rs4, TTL the hop limit less one, quoting the SYN-ACK as rs4 "
        "sent it (IPv4 addresses and ports, TCP checksum)",
        [client(syn), bytes(Ether(src=RS_MAC, dst=g.DP0_MAC) /
                            IP(src=RS4, dst=LIP4, ttl=64, id=5) / sa),
         err6(g.CLIENT_MAC, g.DP0_MAC, CLIENT6, VIP6,
              ICMPv6DestUnreach(code=4), got)],
        [bytes(Ether(src=g.DP0_MAC, dst=RS_MAC) /
               IP(src=LIP4, dst=RS4, ttl=63, id=0, flags=0) /
               tcp(1024, 80, "S", 0x7300)),
         bytes(Ether(src=g.DP0_MAC, dst=g.CLIENT_MAC) / got),
         bytes(Ether(src=g.DP0_MAC, dst=RS_MAC) /
               IP(src=LIP4, dst=RS4, ttl=63, id=1) /
               ICMP(type=3, code=3) / Raw(bytes(server_sent)))],
        conf([(RS4, "fnat")])))
    return cs


def icmp6_errors_ext():
    """ICMPv6 errors with extension headers, before the ICMPv6 header or
    in the quoted packet (walked with net6's limits): the headers stay,
    addresses, ports and checksums are rewritten as without them."""
    cs = []
    # NAT: the quoted SYN carries the client's destination options
    syn = IPv6ExtHdrDestOpt() / tcp(40014, 80, "S", 0x7400)
    sent = IPv6(src=CLIENT6, dst=RS6, hlim=63) / syn.copy()
    as_sent = IPv6(src=CLIENT6, dst=VIP6, hlim=63) / syn.copy()
    cs.append(case(
        "lb6_nat_dest_unreachable_quoted_ext",
        "IPv6 NAT: a router's destination unreachable (transit, to the "
        "client) about a SYN that carried a destination-options header "
        "reaches the client from the VIP, the quoted SYN's addresses and "
        "TCP checksum rewritten behind its kept header",
        [f6(g.CLIENT_MAC, g.DP0_MAC, CLIENT6, VIP6, syn),
         err6(RS_MAC, g.DP0_MAC, ROUTER6, CLIENT6,
              ICMPv6DestUnreach(code=3), sent)],
        [bytes(Ether(src=g.DP0_MAC, dst=RS_MAC) / sent),
         err6(g.DP0_MAC, g.CLIENT_MAC, VIP6, CLIENT6,
              ICMPv6DestUnreach(code=3), as_sent, hlim=63)],
        conf([(RS6, "nat")], group=False)))

    # FNAT: a packet too big with destination options before its ICMPv6
    # header, quoting the first fragment dplbd sent of a datagram it
    # fragmented again (a Fragment header in the quote)
    payload = bytes(range(250)) * 12  # 3000 bytes
    dgram = (IPv6(src=CLIENT6, dst=VIP6) / IPv6ExtHdrFragment(id=0x4444) /
             UDP(sport=5362, dport=53) / Raw(payload))
    inp = [bytes(Ether(src=g.CLIENT_MAC, dst=g.DP0_MAC) / f)
           for f in fragment6(dgram, 1280)]
    out = [bytes(Ether(src=g.DP0_MAC, dst=RS_MAC) / f)
           for f in fragment6(IPv6(src=LIP6, dst=RS6, hlim=63) /
                              IPv6ExtHdrFragment(id=1) /
                              UDP(sport=1024, dport=53) / Raw(payload),
                              1500)]
    quote = bytearray(out[0][14:14 + 1280 - 56])  # a 1280-byte error
    err = (Ether(src=RS_MAC, dst=g.DP0_MAC) /
           IPv6(src=ROUTER6, dst=LIP6) / IPv6ExtHdrDestOpt() /
           ICMPv6PacketTooBig(mtu=1400) / Raw(bytes(quote)))
    # the client's view: its addresses, port and its datagram's checksum
    client_sum = IPv6(bytes(dgram))[UDP].chksum
    back = IPv6(src=VIP6, dst=CLIENT6)
    quote[8:40] = bytes(back)[24:40] + bytes(back)[8:24]
    quote[48:50] = (5362).to_bytes(2, "big")
    quote[54:56] = client_sum.to_bytes(2, "big")
    fwd = (Ether(src=g.DP0_MAC, dst=g.CLIENT_MAC) /
           IPv6(src=VIP6, dst=CLIENT6, hlim=63) / IPv6ExtHdrDestOpt() /
           ICMPv6PacketTooBig(mtu=1400) / Raw(bytes(quote)))
    cs.append(case(
        "lb6_fnat_packet_too_big_ext_and_fragment",
        "IPv6 UDP FNAT: a router's packet too big to LIP6 with a "
        "destination-options header before its ICMPv6 header, quoting "
        "the first fragment dplbd sent of a 3000-byte datagram (a Fragment "
        "header in the quote), reaches the client from the VIP: both "
        "headers kept, the quote's addresses, port and UDP checksum the "
        "client's, ICMPv6 checksum recomputed past the outer header",
        inp + [bytes(err)], out + [bytes(fwd)],
        conf([(RS6, "fnat")], proto="udp", port=53)))
    return cs


def fragments():
    """IPv6 fragments to a VIP are reassembled (net6/frag6.c) before the
    load balancer sees the datagram: its ports are in the first fragment
    only, its checksum covers all of them."""
    payload = bytes(range(256)) * 4  # 1024 bytes
    dgram = (IPv6(src=CLIENT6, dst=VIP6) / IPv6ExtHdrFragment(id=0x1234) /
             UDP(sport=5360, dport=53) / Raw(payload))
    frags = fragment6(dgram, 600)
    assert len(frags) == 2
    inp = [bytes(Ether(src=g.CLIENT_MAC, dst=g.DP0_MAC) / f)
           for f in reversed(frags)]  # the last one first
    out = [f6(g.DP0_MAC, RS_MAC, LIP6, RS6,
              UDP(sport=1024, dport=53) / Raw(payload), hlim=63)]
    return [case("lb6_udp_fragments_reassembled",
                 "IPv6 UDP FNAT: a 1032-byte datagram in two fragments "
                 "(the last one first) is reassembled and leaves whole "
                 "from LIP6:1024 to rs6:53, hop limit one less, checksum "
                 "updated over the whole datagram",
                 inp, out, conf([(RS6, "fnat")], proto="udp", port=53)),
            big_fragments()]


def big_fragments():
    """A reassembled datagram larger than the egress MTU (1500) leaves
    in fragments again, dplbd being its sender's proxy: 1448 bytes of
    payload per fragment, a new identification (1, the worker's
    first)."""
    payload = bytes(range(250)) * 12  # 3000 bytes
    sent = (IPv6(src=CLIENT6, dst=VIP6) / IPv6ExtHdrFragment(id=0x4321) /
            UDP(sport=5361, dport=53) / Raw(payload))
    out = (IPv6(src=LIP6, dst=RS6, hlim=63) / IPv6ExtHdrFragment(id=1) /
           UDP(sport=1024, dport=53) / Raw(payload))
    return case("lb6_udp_fragments_refragmented",
                "IPv6 UDP FNAT: a 3048-byte datagram sent in three "
                "fragments of 1280 bytes is reassembled, rewritten, and "
                "leaves for rs6 in fragments of at most 1500 bytes (1448 "
                "bytes of payload each) with identification 1",
                [bytes(Ether(src=g.CLIENT_MAC, dst=g.DP0_MAC) / f)
                 for f in fragment6(sent, 1280)],
                [bytes(Ether(src=g.DP0_MAC, dst=RS_MAC) / f)
                 for f in fragment6(out, 1500)],
                conf([(RS6, "fnat")], proto="udp", port=53))


def persistence():
    """Two dests, rr, persistent 60 s with the IPv6 default /64: clients
    of one /64 stay on the first dest; one of another /64 gets the
    next."""
    rs6b = "2001:2:0:2::12"
    text = conf([(RS6, "fnat"), (rs6b, "fnat")]).replace(
        'sched = "rr";', 'sched = "rr"; persistent = 60;')
    inp, out, dests = [], [], []
    for i, (src, dst) in enumerate((("2001:2::2", RS6), ("2001:2::3", RS6),
                                    ("2001:2::2", RS6),
                                    ("2001:3::5", rs6b))):
        syn = tcp(41000 + i, 80, "S", 0x5000 + i)
        inp.append(f6(g.CLIENT_MAC, g.DP0_MAC, src, VIP6, syn))
        # each (LIP, server, port) walks the slice from its own start
        # (lport_random = false: the bottom)
        lport = 1024 + dests.count(dst)
        dests.append(dst)
        out.append(f6(g.DP0_MAC, RS_MAC, LIP6, dst,
                      tcp(lport, 80, "S", 0x5000 + i), hlim=63))
    c = case("lb6_persistence",
             "IPv6 persistence: 2001:2::2 and 2001:2::3 (one /64, the "
             "default netmask) both go to rs6 by the template; "
             "2001:3::5 (another /64) gets rr's next dest", inp, out, text)
    c.neigh = NEIGH + [(rs6b, RS_MAC, "dp0")]
    return [c]


# ---- the TCP state table over IPv6 (gen_lb.py's state cases) -----------

DP0_6 = "2001:2::1"  # dp0's first IPv6 address: TUNNEL's outer source


class LbRun6(gen_lb.LbRun):
    """gen_lb.LbRun over IPv6: client, VIP, LIP6 and rs6 (on dp0) as in
    the cases above; the same packets, walks and expected states."""

    def __init__(self, mode):
        super().__init__(mode)
        self.rs, self.rs_mac = RS6, RS_MAC

    def client(self, cport, flags="", payload=b"", tos=0, ttl=64, df=False,
               udp_cksum=None):
        l4 = self._l4(cport, self.vport, flags, payload)
        self.inp.append(f6(g.CLIENT_MAC, g.DP0_MAC, CLIENT6, VIP6, l4,
                           hlim=ttl, tc=tos))
        c = self._client_state(cport, flags)
        if c is None:
            return None
        l4 = l4.copy()
        src, dst = {"fnat": (LIP6, RS6), "nat": (CLIENT6, RS6)}.get(
            self.mode, (CLIENT6, VIP6))
        if self.mode == "fnat":
            l4.sport = c.lport
        pkt = IPv6(src=src, dst=dst, hlim=ttl - 1, tc=tos) / l4
        if self.mode == "tunnel":  # ip6ip6 from dp0's address
            pkt = IPv6(src=DP0_6, dst=RS6, hlim=64, nh=41) / pkt
        self.out.append(bytes(Ether(src=g.DP0_MAC, dst=RS_MAC) / pkt))
        return c

    def server(self, cport, flags="", payload=b"", udp_cksum=None):
        c = self.conns[cport]
        dst, dport = ((LIP6, c.lport) if self.mode == "fnat"
                      else (CLIENT6, cport))
        l4 = self._l4(self.vport, dport, flags, payload)
        self.inp.append(f6(RS_MAC, g.DP0_MAC, RS6, dst, l4))
        c.state = tt.next_state(c.state, "OUTPUT", flags)
        l4 = l4.copy()
        l4.dport = cport
        self.out.append(to_client(l4))
        return c

    @staticmethod
    def client_key(cport):
        return f"[{CLIENT6}]:{cport}"

    def listing(self):
        return {self.client_key(p): {
            "proto": "tcp", "state": tt.IPVS_NAME[c.state],
            "vip": f"[{VIP6}]:80", "dest": f"[{RS6}]:80",
            "local": f"[{LIP6}]:{c.lport}" if self.mode == "fnat" else None,
            "fwd": self.mode} for p, c in self.conns.items()}


def state_case6(name, doc, run):
    lg = ('laddr_groups = ( { name = "lg6"; addresses = [ "%s" ]; } );\n'
          % LIP6 if run.mode == "fnat" else "")
    text = lg + conf([(RS6, run.mode)], group=False).replace(
        'sched = "rr";', 'sched = "rr";' + (' laddr_group = "lg6";'
                                           if run.mode == "fnat" else ""))
    return g.Case(name, "IPv6 " + doc, {"dp0": run.inp}, {"dp0": run.out},
                  drops=({"not_syn": run.not_syn} if run.not_syn else {}),
                  addrs=ADDRS, neigh=NEIGH, extra_conf=text,
                  conns=run.listing(), conn_why=dict(run.why))


def state_cases6():
    """tcp_table's walks and cells over IPv6, every mode and direction
    (tcp6_states_MODE_DIRECTION)."""
    return [gen_lb.state_case(mode, sender, LbRun6, state_case6, "tcp6")
            for mode, senders in tt.MODE_DIRS.items() for sender in senders]


def cases():
    return (fnat_nat() + dr_tunnel() + tunnel_4in6() + nat64() +
            nat64_icmp() +
            icmp6_errors() + icmp6_errors_ext() + fragments() +
            persistence() +
            state_cases6())
