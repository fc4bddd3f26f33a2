# SPDX-License-Identifier: GPL-2.0-or-later
"""IPv6 load-balancing golden cases (lb/lb6.c over xlat/): each mode's
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

from scapy.all import (ICMP, IP, TCP, UDP, Ether, ICMPv6PacketTooBig, IPv6,
                       IPv6ExtHdrDestOpt, Raw)

import gen_golden as g

CLIENT6 = "2001:2::2"
VIP6 = "2001:2::100"
RS6 = "2001:2:0:2::11"
LIP6 = "2001:2:0:2::100"
RS1_6 = "2001:2:0:1::11"
DP1_6 = "2001:2:0:1::1"
RS4 = "198.18.2.11"
LIP4 = "198.18.2.100"
RS_MAC = "02:00:00:00:02:11"
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
    inp = [f6(g.CLIENT_MAC, g.DP0_MAC, CLIENT6, VIP6,
              IPv6ExtHdrDestOpt() / syn)]
    out = [f6(g.DP0_MAC, RS_MAC, CLIENT6, RS6,
              IPv6ExtHdrDestOpt() / tcp(40001, 80, "S", 0x2000), hlim=63)]
    cs.append(case("lb6_nat_request",
                   "IPv6 NAT: a SYN behind a destination-options header "
                   "leaves for rs6 with the client's source, the header "
                   "kept", inp, out, conf([(RS6, "nat")], group=False)))

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


def persistence():
    """Two dests, rr, persistent 60 s with the IPv6 default /64: clients
    of one /64 stay on the first dest; one of another /64 gets the
    next."""
    rs6b = "2001:2:0:2::12"
    text = conf([(RS6, "fnat"), (rs6b, "fnat")]).replace(
        'sched = "rr";', 'sched = "rr"; persistent = 60;')
    inp, out = [], []
    for i, (src, dst) in enumerate((("2001:2::2", RS6), ("2001:2::3", RS6),
                                    ("2001:2::2", RS6),
                                    ("2001:3::5", rs6b))):
        syn = tcp(41000 + i, 80, "S", 0x5000 + i)
        inp.append(f6(g.CLIENT_MAC, g.DP0_MAC, src, VIP6, syn))
        out.append(f6(g.DP0_MAC, RS_MAC, LIP6, dst,
                      tcp(1024 + i, 80, "S", 0x5000 + i), hlim=63))
    c = case("lb6_persistence",
             "IPv6 persistence: 2001:2::2 and 2001:2::3 (one /64, the "
             "default netmask) both go to rs6 by the template; "
             "2001:3::5 (another /64) gets rr's next dest", inp, out, text)
    c.neigh = NEIGH + [(rs6b, RS_MAC, "dp0")]
    return [c]


def cases():
    return (fnat_nat() + dr_tunnel() + nat64() + nat64_icmp() +
            persistence())
