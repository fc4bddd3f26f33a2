# SPDX-License-Identifier: GPL-2.0-or-later
"""IPv6 golden cases (net6/): what the stack answers (echo, a Neighbor
Solicitation for our address), what it routes (hop limit decremented),
the errors it sends (time exceeded, packet too big, no route), and
every validation drop reason of IPv6, one frame each.

  dp0 2001:2::1/64        client 2001:2::2        02:00:00:00:00:02 (static)
  dp1 2001:2:0:1::1/64    rs1    2001:2:0:1::11   02:00:00:00:01:11 (static)

At start dplbd announces each IPv6 address with an unsolicited Neighbor
Advertisement to all nodes (gen_golden.announcements()).
"""

from scapy.all import (UDP, Ether, ICMPv6DestUnreach, ICMPv6EchoReply,
                       ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                       ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr,
                       ICMPv6PacketTooBig, ICMPv6TimeExceeded, IPv6,
                       IPv6ExtHdrDestOpt, IPv6ExtHdrFragment,
                       IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw)

import gen_golden as g

DP0_IP6 = "2001:2::1"
DP1_IP6 = "2001:2:0:1::1"
CLIENT_IP6 = "2001:2::2"
RS1_IP6 = "2001:2:0:1::11"
ADDRS = {"dp0": [DP0_IP6 + "/64"], "dp1": [DP1_IP6 + "/64"]}
NEIGH = [(CLIENT_IP6, g.CLIENT_MAC, "dp0"), (RS1_IP6, g.RS1_MAC, "dp1")]
PAYLOAD = b"dplb golden ipv6 0123456789"


def case(name, doc, inp, out=None, drops=None, **kw):
    return g.Case(name, doc, {"dp0": inp}, out or {}, drops or {},
                  addrs=ADDRS, neigh=NEIGH, **kw)


def from_client(src=CLIENT_IP6, dst=DP0_IP6, **kw):
    return Ether(dst=g.DP0_MAC, src=g.CLIENT_MAC) / IPv6(src=src, dst=dst,
                                                          **kw)


def error(orig, icmp):
    """dplbd's ICMPv6 error about frame orig: from dp0's address, hop
    limit 64, quoting the packet up to 1280 bytes of error in all."""
    raw = bytes(orig)[14:]
    return g.build(Ether(dst=g.CLIENT_MAC, src=g.DP0_MAC) /
                   IPv6(src=DP0_IP6, dst=CLIENT_IP6, hlim=64) / icmp /
                   Raw(raw[:1280 - 48]))


def answers():
    cs = []
    ping = g.build(from_client() / ICMPv6EchoRequest(id=0x4242, seq=7,
                                                     data=PAYLOAD))
    pong = g.build(Ether(dst=g.CLIENT_MAC, src=g.DP0_MAC) /
                   IPv6(src=DP0_IP6, dst=CLIENT_IP6, hlim=64) /
                   ICMPv6EchoReply(id=0x4242, seq=7, data=PAYLOAD))
    cs.append(case("ipv6_echo", "echo request to 2001:2::1 -> echo reply, "
                   "hop limit 64, same id/seq/data", [ping], {"dp0": [pong]}))

    ns = g.build(Ether(dst="33:33:ff:00:00:01", src=g.CLIENT_MAC) /
                 IPv6(src=CLIENT_IP6, dst="ff02::1:ff00:1", hlim=255) /
                 ICMPv6ND_NS(tgt=DP0_IP6) /
                 ICMPv6NDOptSrcLLAddr(lladdr=g.CLIENT_MAC))
    na = g.build(Ether(dst=g.CLIENT_MAC, src=g.DP0_MAC) /
                 IPv6(src=DP0_IP6, dst=CLIENT_IP6, hlim=255) /
                 ICMPv6ND_NA(R=1, S=1, O=1, tgt=DP0_IP6) /
                 ICMPv6NDOptDstLLAddr(lladdr=g.DP0_MAC))
    cs.append(case("ipv6_ns_for_us", "Neighbor Solicitation for 2001:2::1 "
                   "-> solicited advertisement (R, S, O) with dp0's MAC",
                   [ns], {"dp0": [na]}))

    dad = g.build(Ether(dst="33:33:ff:00:00:01", src=g.CLIENT_MAC) /
                  IPv6(src="::", dst="ff02::1:ff00:1", hlim=255) /
                  ICMPv6ND_NS(tgt=DP0_IP6))
    defend = g.build(Ether(dst="33:33:00:00:00:01", src=g.DP0_MAC) /
                     IPv6(src=DP0_IP6, dst="ff02::1", hlim=255) /
                     ICMPv6ND_NA(R=1, S=0, O=1, tgt=DP0_IP6) /
                     ICMPv6NDOptDstLLAddr(lladdr=g.DP0_MAC))
    cs.append(case("ipv6_dad_defended", "duplicate address detection probe "
                   "(from ::) of 2001:2::1 -> advertisement to all nodes, "
                   "not solicited", [dad], {"dp0": [defend]}))

    fwd = g.build(from_client(dst=RS1_IP6, hlim=64) /
                  UDP(sport=40000, dport=9000) / Raw(PAYLOAD))
    out = Ether(bytes(fwd))
    out[Ether].src, out[Ether].dst = g.DP1_MAC, g.RS1_MAC
    out[IPv6].hlim = 63
    cs.append(case("ipv6_forward", "UDP to 2001:2:0:1::11 -> out of dp1, "
                   "hop limit 63, MACs rewritten", [fwd],
                   {"dp1": [g.build(out)]}))

    hl1 = g.build(from_client(dst=RS1_IP6, hlim=1) /
                  UDP(sport=40000, dport=9000) / Raw(PAYLOAD))
    cs.append(case("ipv6_hop_limit_exceeded", "transit packet with hop limit "
                   "1 -> time exceeded from 2001:2::1, dropped", [hl1],
                   {"dp0": [error(hl1, ICMPv6TimeExceeded(code=0))]},
                   {"ipv6_hop_limit": 1}))

    lims = [g.build(from_client(dst=RS1_IP6, hlim=1) /
                    UDP(sport=41000 + i, dport=9000) / Raw(PAYLOAD))
            for i in range(5)]
    cs.append(case("ipv6_icmp_ratelimit", "five transit packets with hop "
                   "limit 1 under ip.icmp_rate = 1, icmp_burst = 2: all "
                   "dropped, two time exceeded sent", lims,
                   {"dp0": [error(lims[i], ICMPv6TimeExceeded(code=0))
                            for i in range(2)]},
                   {"ipv6_hop_limit": 5},
                   ip_extra="icmp_rate = 1; icmp_burst = 2;"))

    big = g.build(from_client(dst=RS1_IP6) / UDP(sport=40000, dport=9000) /
                  Raw(b"b" * 1300))
    cs.append(case("ipv6_packet_too_big", "1348-byte packet toward dp1 of "
                   "MTU 1280 -> packet too big (MTU 1280) quoting 1232 bytes",
                   [big], {"dp0": [error(big, ICMPv6PacketTooBig(mtu=1280))]},
                   {"too_big": 1}, mtu={"dp1": 1280}))

    noroute = g.build(from_client(dst="2001:9::1") /
                      UDP(sport=40000, dport=9000) / Raw(PAYLOAD))
    cs.append(case("ipv6_no_route", "packet to 2001:9::1, no route -> "
                   "destination unreachable (no route)", [noroute],
                   {"dp0": [error(noroute, ICMPv6DestUnreach(code=0))]},
                   {"no_route": 1}))
    return cs


def drops():
    cs = []

    def drop(name, doc, frame, reason):
        cs.append(case(name, doc, [g.build(frame)], {}, {reason: 1}))

    udp = UDP(sport=40000, dport=9000) / Raw(PAYLOAD)
    drop("ipv6_version_4", "ethertype IPv6 carrying version 4",
         from_client(version=4) / udp, "ipv6_bad_header")
    drop("ipv6_payload_past_frame", "payload length 200 in a frame of 35",
         from_client(plen=200) / udp, "ipv6_bad_header")
    drop("ipv6_jumbo_length", "payload length 0 (a jumbogram)",
         from_client(plen=0) / udp, "ipv6_bad_header")
    drop("ipv6_src_multicast", "source ff02::1",
         from_client(src="ff02::1") / udp, "ipv6_src_multicast")
    drop("ipv6_src_loopback", "source ::1",
         from_client(src="::1") / udp, "ipv6_martian_source")
    drop("ipv6_src_unspecified", "UDP from :: (only ND may use it)",
         from_client(src="::") / udp, "ipv6_martian_source")
    drop("ipv6_forward_linklocal_src", "transit packet from fe80::2: a "
         "link-local source stays on its link",
         from_client(src="fe80::2", dst=RS1_IP6) / udp,
         "ipv6_martian_source")
    drop("ipv6_hbh_not_first", "Hop-by-Hop options after Destination "
         "options", from_client() / IPv6ExtHdrDestOpt() /
         IPv6ExtHdrHopByHop() / udp, "ipv6_bad_ext")
    drop("ipv6_ext_truncated", "Destination options of 32 bytes announced, "
         "8 present", from_client(nh=60) /
         Raw(bytes([17, 3]) + bytes(6)), "ipv6_bad_ext")
    drop("ipv6_routing_type0", "type 0 Routing header with a segment left "
         "(RFC 5095)", from_client() /
         IPv6ExtHdrRouting(type=0, segleft=1, addresses=["2001:2::9"]) /
         udp, "ipv6_bad_ext")
    many = from_client()
    for _ in range(9):
        many = many / IPv6ExtHdrDestOpt()
    drop("ipv6_ext_too_many", "9 extension headers (at most 8)",
         many / udp, "ipv6_ext_limit")
    drop("ipv6_ext_too_long", "2 x 264 bytes of options (at most 512)",
         from_client(nh=60) / Raw(bytes([60, 32]) + bytes(262) +
                             bytes([17, 32]) + bytes(262)) / udp,
         "ipv6_ext_limit")
    drop("ipv6_unknown_next_header", "next header 253 to 2001:2::1",
         from_client(nh=253) / Raw(bytes(8)), "ipv6_unknown_next_header")
    drop("ipv6_fragment_for_us", "a fragment to 2001:2::1 without a twin",
         from_client() / IPv6ExtHdrFragment(m=1, id=7) / udp,
         "ipv6_fragment")
    drop("ipv6_icmp_bad_checksum", "echo request with a wrong checksum",
         from_client() / ICMPv6EchoRequest(cksum=0x1234, data=PAYLOAD),
         "ipv6_icmp_bad_checksum")
    drop("ipv6_nd_hop_limit", "Neighbor Solicitation with hop limit 64",
         from_client(dst="ff02::1:ff00:1", hlim=64) /
         ICMPv6ND_NS(tgt=DP0_IP6) / ICMPv6NDOptSrcLLAddr(lladdr=g.CLIENT_MAC),
         "ipv6_nd_invalid")
    drop("ipv6_nd_zero_option", "Neighbor Solicitation with an option of "
         "length 0", from_client(dst="ff02::1:ff00:1", hlim=255) /
         ICMPv6ND_NS(tgt=DP0_IP6) / Raw(bytes([1, 0]) + bytes(6)),
         "ipv6_nd_invalid")
    drop("ipv6_nd_not_for_us", "Neighbor Solicitation for 2001:2::77 "
         "(no twin to ask)", from_client(dst="ff02::1:ff00:77", hlim=255) /
         ICMPv6ND_NS(tgt="2001:2::77"), "ipv6_nd_not_for_us")
    drop("ipv6_multicast_no_twin", "UDP to ff02::fb: the twin's, and there "
         "is none", from_client(dst="ff02::fb") / udp, "no_twin")
    return cs


def cases():
    return answers() + drops()
