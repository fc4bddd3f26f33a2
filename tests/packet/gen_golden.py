#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden packet cases for dplbd on net_pcap.

Each case is a dplbd configuration (two net_pcap ports, fixed MACs,
static neighbours), the frames fed into each port (rx_pcap) and the frames
dplbd must send on each port (compared byte for byte with tx_pcap), plus
the drop counters that must have risen.

Topology of every case:

  dp0 02:00:00:00:00:01  198.18.0.1/24   client 198.18.0.2  02:00:00:00:00:02 (static)
  dp1 02:00:00:00:01:01  198.18.1.1/24   rs1    198.18.1.11 02:00:00:00:01:11 (static)
                                         rs2    198.18.1.12 (no neighbour entry)

The load-balancing cases (gen_lb.py) add a server subnet on dp0 so that
client and server frames share one pcap, and their expected connection
listing (conn.list, checked before dplbd stops).

At start dplbd announces each of its addresses with a gratuitous ARP
(who-has ADDR tell ADDR, to broadcast), so every expected output holds
those first; the test matches them regardless of their position.

`python3 gen_golden.py OUTDIR` writes every case's pcaps and config for a look
with tcpdump/wireshark; the tests generate them at run time.
"""

import os
import sys
from dataclasses import dataclass, field

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw
from scapy.utils import PcapWriter

DP0_MAC = "02:00:00:00:00:01"
DP1_MAC = "02:00:00:00:01:01"
DP0_IP = "198.18.0.1"
DP1_IP = "198.18.1.1"
CLIENT_MAC = "02:00:00:00:00:02"
CLIENT_IP = "198.18.0.2"
RS1_MAC = "02:00:00:00:01:11"
RS1_IP = "198.18.1.11"
RS2_IP = "198.18.1.12"  # no neighbour entry
OTHER_MAC = "02:00:00:00:00:99"
BCAST = "ff:ff:ff:ff:ff:ff"

PORTS = (("dp0", DP0_MAC, DP0_IP), ("dp1", DP1_MAC, DP1_IP))

DROP_REASONS = (
    "eth_truncated", "eth_not_for_us", "unsupported_l3", "arp_invalid",
    "arp_not_for_us", "ipv4_bad_header", "ipv4_bad_checksum",
    "ipv4_fragment", "ttl_exceeded", "no_route", "forward_disabled",
    "too_big", "no_twin", "slow_ring_full", "no_neighbor",
    "neigh_queue_full", "tx_full", "no_mbuf",
)


@dataclass
class Case:
    name: str
    doc: str
    inp: dict  # port -> [frames]
    out: dict = field(default_factory=dict)  # port -> [frames], in order
    drops: dict = field(default_factory=dict)  # reason -> exact count
    forward: bool = True
    addrs: dict = field(default_factory=dict)  # port -> extra "a.b.c.d/len"
    extra_conf: str = ""  # appended to dplbd.conf (services...)
    neigh: list = field(default_factory=list)  # extra static (ip, mac, dev)
    mtu: dict = field(default_factory=dict)  # port -> MTU (default 1500)
    ip_extra: str = ""  # more keys of the ip group ("icmp_rate = 1;")
    # conn.list after the run, keyed by client "addr:port": every entry's
    # expected fields; None = not checked.  conn_why: what each
    # connection tests, for failure messages.
    conns: dict = None
    conn_why: dict = field(default_factory=dict)

    def inputs(self, port):
        return self.inp.get(port, [])

    def outputs(self, port):
        return self.out.get(port, [])

    @property
    def n_inputs(self):
        return sum(len(v) for v in self.inp.values())


def garp(port_mac, ip):
    """dplbd's announcement of one of its addresses."""
    return (Ether(dst=BCAST, src=port_mac) /
            ARP(op=1, hwsrc=port_mac, psrc=ip, hwdst="00:00:00:00:00:00",
                pdst=ip))


def unsolicited_na(port_mac, ip, router):
    """dplbd's announcement of one of its IPv6 addresses (net6/nd.c)."""
    from scapy.all import ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6
    return build(Ether(dst="33:33:00:00:00:01", src=port_mac) /
                 IPv6(src=ip, dst="ff02::1", hlim=255) /
                 ICMPv6ND_NA(R=int(router), S=0, O=1, tgt=ip) /
                 ICMPv6NDOptDstLLAddr(lladdr=port_mac))


def announcements(port, case=None):
    """The gratuitous ARPs (IPv6: unsolicited advertisements) dplbd sends
    at start on port."""
    for name, mac, ip in PORTS:
        if name == port:
            extra = case.addrs.get(port, []) if case else []
            router = case.forward if case else True
            return [unsolicited_na(mac, a.split("/")[0], router) if ":" in a
                    else garp(mac, a.split("/")[0]) for a in [ip] + extra]
    return []


def from_client(dst_mac=DP0_MAC):
    return Ether(dst=dst_mac, src=CLIENT_MAC)


def echo_request(dst, **ipkw):
    return (from_client() /
            IP(src=CLIENT_IP, dst=dst, id=0x1234, ttl=ipkw.pop("ttl", 64),
               **ipkw) /
            ICMP(type=8, id=0x4242, seq=7) / Raw(b"dplb golden ping 0123456789"))


def udp_to(dst, ttl=64, sport=40000, dport=9000, payload=b"dplb routed"):
    return (from_client() /
            IP(src=CLIENT_IP, dst=dst, id=0x2345, ttl=ttl) /
            UDP(sport=sport, dport=dport) / Raw(payload))


def build(p):
    """Freeze a packet: compute lengths and checksums once."""
    return Ether(bytes(p))


def routed(pkt, out_src, out_dst):
    """pkt as it must leave after routing: new MACs, TTL-1, new checksum."""
    q = Ether(bytes(pkt))
    q[Ether].src = out_src
    q[Ether].dst = out_dst
    q[IP].ttl -= 1
    del q[IP].chksum
    return build(q)


def icmp_error(orig, typ, code, src, mtu=0, ipid=0, eth_dst=CLIENT_MAC,
               eth_src=DP0_MAC):
    """dplbd's own ICMP error about frame orig as it was received: TOS
    0xc0 (RFC 1812 4.3.2.5), TTL 64, DF clear, ids counted from 0 per
    worker, quoting the IP packet up to 576 bytes of error in all."""
    raw = bytes(orig)
    o = Ether(raw)[IP]
    quote = raw[14:14 + min(o.len, 576 - 28)]
    icmp = (ICMP(type=typ, code=code, nexthopmtu=mtu) if typ == 3
            else ICMP(type=typ, code=code))
    return build(Ether(dst=eth_dst, src=eth_src) /
                 IP(src=src, dst=o.src, tos=0xc0, id=ipid, ttl=64) /
                 icmp / Raw(quote))


def cases():
    cs = []

    # --- ARP
    req = build(Ether(dst=BCAST, src=CLIENT_MAC) /
                ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_IP,
                    hwdst="00:00:00:00:00:00", pdst=DP0_IP))
    rep = build(Ether(dst=CLIENT_MAC, src=DP0_MAC) /
                ARP(op=2, hwsrc=DP0_MAC, psrc=DP0_IP, hwdst=CLIENT_MAC,
                    pdst=CLIENT_IP))
    cs.append(Case("arp_request_for_us",
                   "ARP request for 198.18.0.1 -> ARP reply from dp0's MAC",
                   {"dp0": [req]}, {"dp0": [rep]}))

    padded = build(Ether(bytes(req) + bytes(18)))
    cs.append(Case("arp_request_padded",
                   "ARP request padded to 60 bytes -> the reply is made in "
                   "place and keeps the 60 bytes",
                   {"dp0": [padded]}, {"dp0": [build(Ether(bytes(rep) +
                                                           bytes(18)))]}))

    other = build(Ether(dst=BCAST, src=CLIENT_MAC) /
                  ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_IP,
                      hwdst="00:00:00:00:00:00", pdst="198.18.0.77"))
    cs.append(Case("arp_request_other",
                   "ARP request for an address dplbd does not own -> nothing",
                   {"dp0": [other]}, {}, {"arp_not_for_us": 1}))

    # --- ICMP echo to dplbd
    ping = build(echo_request(DP0_IP))
    pong = Ether(bytes(ping))
    pong[Ether].src, pong[Ether].dst = DP0_MAC, CLIENT_MAC
    pong[IP].src, pong[IP].dst = DP0_IP, CLIENT_IP
    pong[IP].ttl = 64
    del pong[IP].chksum
    pong[ICMP].type = 0
    del pong[ICMP].chksum
    cs.append(Case("icmp_echo",
                   "ICMP echo request to 198.18.0.1 -> echo reply, TTL 64, "
                   "same id/seq/payload",
                   {"dp0": [ping]}, {"dp0": [build(pong)]}))
    ping_ttl = build(echo_request(DP0_IP, ttl=3))
    pong_ttl = Ether(bytes(pong))
    cs.append(Case("icmp_echo_low_ttl",
                   "echo request with TTL 3 to dplbd is local, not routed: "
                   "reply with TTL 64",
                   {"dp0": [ping_ttl]}, {"dp0": [build(pong_ttl)]}))

    # --- routing
    fwd = build(udp_to(RS1_IP))
    cs.append(Case("route_forward",
                   "UDP to 198.18.1.11 (static neighbour) -> out of dp1 with "
                   "dp1's MAC, rs1's MAC, TTL-1 and a fixed IP checksum",
                   {"dp0": [fwd]}, {"dp1": [routed(fwd, DP1_MAC, RS1_MAC)]}))
    fwd2 = build(udp_to(RS1_IP, ttl=2, sport=40001))
    cs.append(Case("route_forward_ttl2",
                   "TTL 2 is still forwarded (leaves with TTL 1)",
                   {"dp0": [fwd2]}, {"dp1": [routed(fwd2, DP1_MAC, RS1_MAC)]}))

    fwd_pad = build(udp_to(RS1_IP, sport=40002))
    cs.append(Case("route_forward_padded",
                   "routed UDP padded to 60 bytes leaves without the "
                   "Ethernet padding",
                   {"dp0": [build(Ether(bytes(fwd_pad) + bytes(7)))]},
                   {"dp1": [routed(fwd_pad, DP1_MAC, RS1_MAC)]}))

    unres = build(udp_to(RS2_IP))
    who = build(Ether(dst=BCAST, src=DP1_MAC) /
                ARP(op=1, hwsrc=DP1_MAC, psrc=DP1_IP,
                    hwdst="00:00:00:00:00:00", pdst=RS2_IP))
    cs.append(Case("route_no_neighbour",
                   "UDP to 198.18.1.12 (no neighbour) -> ARP who-has "
                   "198.18.1.12 tell 198.18.1.1 from dp1",
                   {"dp0": [unres]}, {"dp1": [who]}))


    # --- load balancing: full-NAT, and an ICMP error about the connection
    vip, lip = "198.18.0.100", "198.18.1.100"
    lb_conf = f"""laddr_groups = ( {{ name = "lg1"; addresses = [ "{lip}" ]; }} );
services = ( {{ proto = "tcp"; vip = "{vip}"; port = 80; sched = "rr";
  laddr_group = "lg1";
  dests = ( {{ addr = "{RS1_IP}"; port = 80; fwd = "fnat"; }} ); }} );
"""
    syn = build(from_client() / IP(src=CLIENT_IP, dst=vip, id=0x3456) /
                TCP(sport=40000, dport=80, flags="S", seq=1000,
                    window=64240))
    # worker 0 of 1 owns 1024..65535; its first choice is the lowest port
    syn_out = build(Ether(dst=RS1_MAC, src=DP1_MAC) /
                    IP(src=lip, dst=RS1_IP, id=0x3456, ttl=63) /
                    TCP(sport=1024, dport=80, flags="S", seq=1000,
                        window=64240))
    synack = build(Ether(dst=DP1_MAC, src=RS1_MAC) /
                   IP(src=RS1_IP, dst=lip, id=0x1111) /
                   TCP(sport=80, dport=1024, flags="SA", seq=5000, ack=1001,
                       window=65160))
    synack_out = build(Ether(dst=CLIENT_MAC, src=DP0_MAC) /
                       IP(src=vip, dst=CLIENT_IP, id=0x1111, ttl=63) /
                       TCP(sport=80, dport=40000, flags="SA", seq=5000,
                           ack=1001, window=65160))

    def quoted(pkt):
        """The IP header and first 8 bytes of L4 an ICMP error quotes."""
        raw = bytes(pkt[IP])
        return raw[:(raw[0] & 0x0f) * 4 + 8]

    unreach = build(Ether(dst=DP1_MAC, src=RS1_MAC) /
                    IP(src=RS1_IP, dst=lip, id=0x2222) /
                    ICMP(type=3, code=4, nexthopmtu=1400) /
                    Raw(quoted(syn_out)))
    # the quote is the client's SYN as rs1 got it but for the addresses
    # and ports: one hop less
    syn_hop = Ether(bytes(syn))
    syn_hop[IP].ttl -= 1
    del syn_hop[IP].chksum
    unreach_out = build(Ether(dst=CLIENT_MAC, src=DP0_MAC) /
                        IP(src=vip, dst=CLIENT_IP, id=0x2222, ttl=63) /
                        ICMP(type=3, code=4, nexthopmtu=1400) /
                        Raw(quoted(build(syn_hop))))
    cs.append(Case("lb_fnat_handshake_and_icmp",
                   "SYN to a full-NAT VIP leaves from LIP:1024 to rs1, the "
                   "SYN-ACK returns from the VIP, and rs1's 'fragmentation "
                   "needed' about our SYN reaches the client quoting its own "
                   "SYN; everything routed on leaves one hop less",
                   {"dp0": [syn], "dp1": [synack, unreach]},
                   {"dp1": [syn_out], "dp0": [synack_out, unreach_out]},
                   addrs={"dp0": [f"{vip}/32"], "dp1": [f"{lip}/32"]},
                   extra_conf=lb_conf))
    cs.append(Case("drop_not_syn",
                   "an ACK to the VIP with no connection",
                   {"dp0": [build(from_client() /
                                  IP(src=CLIENT_IP, dst=vip) /
                                  TCP(sport=40001, dport=80, flags="A"))]},
                   {}, {"not_syn": 1},
                   addrs={"dp0": [f"{vip}/32"], "dp1": [f"{lip}/32"]},
                   extra_conf=lb_conf))

    # --- one case per drop reason
    def drop(name, doc, pkt, reason, forward=True):
        frame = Ether(pkt) if isinstance(pkt, bytes) else build(pkt)
        cs.append(Case("drop_" + name, doc, {"dp0": [frame]}, {},
                       {reason: 1}, forward))

    not_us = Ether(bytes(echo_request(DP0_IP)))
    not_us[Ether].dst = OTHER_MAC
    drop("eth_not_for_us", "ICMP echo to 198.18.0.1 in a frame to another "
         "unicast MAC", not_us, "eth_not_for_us")

    trunc_ip = bytes(from_client() / IP(src=CLIENT_IP, dst=DP0_IP) / ICMP())
    drop("ipv4_bad_header", "IPv4 header cut after 12 bytes",
         trunc_ip[:14 + 12], "ipv4_bad_header")

    drop("ipv4_bad_checksum", "echo request with a wrong IPv4 checksum",
         echo_request(DP0_IP, chksum=0xbad0), "ipv4_bad_checksum")

    ttl1 = build(udp_to(RS1_IP, ttl=1))
    cs.append(Case("drop_ttl_exceeded",
                   "routed UDP with TTL 1: dropped, and time exceeded goes "
                   "back from dp0's address",
                   {"dp0": [ttl1]},
                   {"dp0": [icmp_error(ttl1, 11, 0, DP0_IP)]},
                   {"ttl_exceeded": 1}))

    lost = build(udp_to("198.19.5.5"))
    cs.append(Case("drop_no_route",
                   "UDP to 198.19.5.5, outside every route: dropped, and "
                   "net unreachable goes back from dp0's address",
                   {"dp0": [lost]},
                   {"dp0": [icmp_error(lost, 3, 0, DP0_IP)]},
                   {"no_route": 1}))

    # The burst path's destination memo starts empty (address 0): a
    # packet to 0.0.0.0 must not take the empty slot for a route.
    zero = build(udp_to("0.0.0.0"))
    fwd0 = build(udp_to(RS1_IP))
    cs.append(Case("drop_no_route_zero_dst",
                   "UDP to 0.0.0.0 between routed UDP in one burst: "
                   "no_route and net unreachable as any unrouted "
                   "address; the others forwarded",
                   {"dp0": [fwd0, zero, fwd0]},
                   {"dp0": [icmp_error(zero, 3, 0, DP0_IP)],
                    "dp1": [routed(fwd0, DP1_MAC, RS1_MAC)] * 2},
                   {"no_route": 1}))

    drop("forward_disabled", "routed UDP while ip.forward = false",
         udp_to(RS1_IP), "forward_disabled", forward=False)

    drop("no_twin", "TCP SYN to 198.18.0.1:22 with no twin configured",
         from_client() / IP(src=CLIENT_IP, dst=DP0_IP) /
         TCP(sport=41000, dport=22, flags="S", seq=1000),
         "no_twin")

    arp_full = bytes(Ether(dst=BCAST, src=CLIENT_MAC) /
                     ARP(op=1, hwsrc=CLIENT_MAC, psrc=CLIENT_IP,
                         pdst=DP0_IP))
    drop("arp_invalid", "ARP request cut after 20 of its 28 bytes",
         arp_full[:14 + 20], "arp_invalid")

    drop("unsupported_l3", "ethertype 0x88b5 (local experimental)",
         Ether(dst=DP0_MAC, src=CLIENT_MAC, type=0x88b5) / Raw(b"x" * 46),
         "unsupported_l3")

    # --- load balancing: each mode's rewrite, every TCP state-table cell
    import gen_lb
    # --- what a router drops, fragments and mbuf chains (issue 12)
    import gen_conform
    cs += gen_conform.cases()
    import gen_snat
    import gen_synproxy
    import gen_tcpx
    # --- the IPv6 stack (issue 15)
    import gen_ipv6
    cs += gen_ipv6.cases()
    import gen_lb6
    cs += gen_lb6.cases()
    cs += gen_lb.cases() + gen_tcpx.cases() + gen_synproxy.cases()
    cs += gen_snat.cases()
    return cs


def config(case, sock, paths):
    """dplbd.conf for a case; paths: port -> (rx_pcap, tx_pcap)."""
    ports = []
    for name, mac, ip in PORTS:
        rx, tx = paths[name]
        ports.append(f"""  {{ name = "{name}";
    device = "net_pcap{name[-1]},rx_pcap={rx},tx_pcap={tx}";
    twin = "";
    mac = "{mac}";
    mtu = {case.mtu.get(name, 1500)};
    addresses = [ {", ".join(f'"{a}"' for a in [ip + "/24"] + case.addrs.get(name, []))} ]; }}""")
    return f"""# golden packet case {case.name}: {case.doc}
global = {{ log_level = "info"; control_socket = "{sock}"; }};
eal = {{ hugepages = false; memory_mb = 256; }};
dataplane = {{ workers = 1; idle_sleep_max_us = 100; mbufs = 4095;
  lport_random = false; }};
ip = {{ forward = {"true" if case.forward else "false"}; {case.ip_extra} }};
neigh = {{
  retrans_ms = 60000;
  static = (
    {{ ip = "{CLIENT_IP}"; mac = "{CLIENT_MAC}"; dev = "dp0"; }},
    {{ ip = "{RS1_IP}"; mac = "{RS1_MAC}"; dev = "dp1"; }}{"".join(
        f',{chr(10)}    {{ ip = "{ip}"; mac = "{mac}"; dev = "{dev}"; }}'
        for ip, mac, dev in case.neigh)}
  );
}};
ports = (
{(","+chr(10)).join(ports)}
);
{case.extra_conf}"""


def write_pcap(path, pkts):
    """A pcap with the Ethernet link type, also when empty."""
    w = PcapWriter(path, linktype=1, sync=True)
    w._write_header(None)
    for p in pkts:
        w.write(p)
    w.close()


def write_case(case, d, sock=None):
    """Write the case's input and expected pcaps and its config into d.
    Returns (config_text, paths) with paths[port] = (rx, tx, expected)."""
    os.makedirs(d, exist_ok=True)
    paths = {}
    for name, _, _ in PORTS:
        rx = os.path.join(d, f"in_{name}.pcap")
        tx = os.path.join(d, f"out_{name}.pcap")
        exp = os.path.join(d, f"expected_{name}.pcap")
        write_pcap(rx, case.inputs(name))
        write_pcap(exp, announcements(name, case) + case.outputs(name))
        paths[name] = (rx, tx, exp)
    text = config(case, sock or os.path.join(d, "dplbd.sock"),
                  {k: v[:2] for k, v in paths.items()})
    with open(os.path.join(d, "dplbd.conf"), "w") as f:
        f.write(text)
    return text, paths


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} OUTDIR", file=sys.stderr)
        return 2
    for c in cases():
        write_case(c, os.path.join(argv[1], c.name))
        print(f"{c.name:28} {c.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
