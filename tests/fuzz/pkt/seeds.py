#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Seed inputs of the packet-path harness (fuzz.c): one control byte and a
frame, for its topology (ext 02:..:00:01 198.18.0.1, VIP 198.18.0.100;
int 02:..:01:01 198.18.1.1, LIP 198.18.1.100; client 198.18.0.2, server
198.18.1.11; full NAT tcp/80 udp/53, NAT tcp/81 udp/54).

    tests/fuzz/pkt/seeds.py tests/fuzz/pkt/corpus

writes each seed as a file named by its SHA-1, as libFuzzer names the
inputs it keeps.  The frames are valid, nearly valid, or what issue 12
found: TTL 0 and 1, martian sources, bad checksums and UDP lengths, ICMP
errors with or without a connection, oversized and chained frames,
fragments (in order, out of order, overlapping)."""

import hashlib
import os
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw, fragment

EXT, INT = "02:00:00:00:00:01", "02:00:00:00:01:01"
CLIENT_MAC, RS_MAC = "02:00:00:00:00:02", "02:00:00:00:01:11"
VIP, LIP, CLIENT, RS = "198.18.0.100", "198.18.1.100", "198.18.0.2", "198.18.1.11"

# control byte: bit 0 port (1 = int), bits 1-3 segments, bit 4 IP flags,
# bit 5 L4 flags
PORT_INT, SEG16, SEG60, SEG128, IPF, L4F = 1, 1 << 1, 3 << 1, 4 << 1, 0x10, 0x20


def c(pkt, **ip):
    return Ether(dst=EXT, src=CLIENT_MAC) / IP(src=CLIENT, dst=VIP, **ip) / pkt


def s(pkt, dst=LIP, **ip):
    return Ether(dst=INT, src=RS_MAC) / IP(src=RS, dst=dst, **ip) / pkt


def seeds():
    out = []

    def add(ctl, frame):
        out.append(bytes([ctl]) + bytes(frame))

    syn = c(TCP(sport=40000, dport=80, flags="S", seq=1))
    add(0, syn)
    add(L4F | IPF, syn)
    add(SEG16, syn)
    add(0, c(TCP(sport=40000, dport=80, flags="A", seq=2, ack=1) /
             Raw(b"GET / HTTP/1.0\r\n\r\n")))
    add(PORT_INT, s(TCP(sport=80, dport=1024, flags="SA", seq=9, ack=2)))
    add(0, c(TCP(sport=40001, dport=81, flags="S")))
    add(PORT_INT, s(TCP(sport=81, dport=40001, flags="SA"), dst=CLIENT))
    add(0, c(UDP(sport=40002, dport=53) / Raw(b"query")))
    add(PORT_INT, s(UDP(sport=53, dport=1024) / Raw(b"answer")))
    add(0, c(UDP(sport=40003, dport=54) / Raw(b"nat query")))
    add(PORT_INT, s(UDP(sport=54, dport=40003) / Raw(b"nat answer"),
                    dst=CLIENT))
    # issue 12's findings
    add(0, c(TCP(sport=40010, dport=80, flags="S"), ttl=1))
    add(0, c(TCP(sport=40011, dport=80, flags="S"), ttl=0))
    add(0, Ether(dst=EXT, src=CLIENT_MAC) /
        IP(src="127.0.0.1", dst=VIP) / TCP(sport=40012, dport=80, flags="S"))
    add(0, c(TCP(sport=40013, dport=80, flags="S", chksum=0xbad)))
    add(L4F, c(UDP(sport=40014, dport=53, chksum=0xbad) / Raw(b"x")))
    add(0, c(UDP(sport=40015, dport=53, len=40) / Raw(b"short")))
    syn_rs = IP(src=LIP, dst=RS, ttl=63) / TCP(sport=1024, dport=80, flags="S")
    add(PORT_INT, s(ICMP(type=3, code=4, nexthopmtu=1400) /
                    Raw(bytes(syn_rs)[:28])))
    add(PORT_INT | SEG60, s(ICMP(type=11, code=0) /
                            Raw(bytes(syn_rs) + bytes(2900))))
    nat_rs = IP(src=CLIENT, dst=RS, ttl=63) / TCP(sport=40001, dport=81)
    add(PORT_INT, s(ICMP(type=3, code=3) / Raw(bytes(nat_rs)[:28]),
                    dst=CLIENT))
    add(0, c(ICMP(type=8, id=1, seq=1) / Raw(b"ping")))
    add(0, c(ICMP(type=8) / Raw(bytes(3000))))
    add(0, c(TCP(sport=40016, dport=80, flags="A") / Raw(bytes(1960)),
             flags="DF"))
    add(0, Ether(dst="ff:ff:ff:ff:ff:ff", src=CLIENT_MAC) /
        ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT, pdst="198.18.0.1"))
    add(0, Ether(dst=EXT, src=CLIENT_MAC) / IP(src=CLIENT, dst=RS, ttl=1) /
        UDP(sport=40017, dport=9))
    add(0, Ether(dst=EXT, src=CLIENT_MAC) / IP(src=CLIENT, dst="203.0.113.9") /
        UDP(sport=40018, dport=9))
    # fragments: a 4,000-byte datagram, each fragment an input
    big = IP(src=CLIENT, dst=VIP, id=0x4242) / UDP(sport=40020, dport=53) / \
        Raw(bytes(range(256)) * 15 + bytes(160))
    for f in fragment(big, fragsize=1480):
        add(0, Ether(dst=EXT, src=CLIENT_MAC) / f)
    over = fragment(big, fragsize=1480)[1]
    over.frag -= 1
    add(0, Ether(dst=EXT, src=CLIENT_MAC) / over)
    add(SEG128, Ether(dst=EXT, src=CLIENT_MAC) / big)
    ipv6_seeds(add)
    return out


def ipv6_seeds(add):
    """IPv6 (net6/): ext 2001:2::1, int 2001:2:0:1::1, client 2001:2::2,
    server 2001:2:0:1::11: echo, Neighbor Discovery, transit, hop limit
    1, packet too big, extension headers, a fragment."""
    from scapy.all import (ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                           ICMPv6NDOptSrcLLAddr, IPv6, IPv6ExtHdrDestOpt,
                           IPv6ExtHdrFragment, IPv6ExtHdrHopByHop)

    def c6(pkt, dst="2001:2::1", **ip):
        return Ether(dst=EXT, src=CLIENT_MAC) / \
            IPv6(src="2001:2::2", dst=dst, **ip) / pkt
    add(0, c6(ICMPv6EchoRequest(id=1, seq=1, data=b"ping6")))
    add(0, Ether(dst="33:33:ff:00:00:01", src=CLIENT_MAC) /
        IPv6(src="2001:2::2", dst="ff02::1:ff00:1", hlim=255) /
        ICMPv6ND_NS(tgt="2001:2::1") /
        ICMPv6NDOptSrcLLAddr(lladdr=CLIENT_MAC))
    add(PORT_INT, Ether(dst=INT, src=RS_MAC) /
        IPv6(src="2001:2:0:1::11", dst="2001:2:0:1::1", hlim=255) /
        ICMPv6ND_NA(tgt="2001:2:0:1::11", S=1, O=1))
    add(0, c6(UDP(sport=40030, dport=9) / Raw(b"x" * 64),
              dst="2001:2:0:1::11"))
    add(0, c6(UDP(sport=40031, dport=9), dst="2001:2:0:1::11", hlim=1))
    add(0, c6(UDP(sport=40032, dport=9) / Raw(bytes(1500)),
              dst="2001:2:0:1::11"))
    add(0, c6(IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() /
              UDP(sport=40033, dport=53) / Raw(b"dns")))
    add(0, c6(IPv6ExtHdrFragment(m=1, id=9) / UDP(sport=40034, dport=53)))


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} CORPUS_DIR", file=sys.stderr)
        return 2
    os.makedirs(argv[1], exist_ok=True)
    for data in seeds():
        with open(os.path.join(argv[1], hashlib.sha1(data).hexdigest()),
                  "wb") as f:
            f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
