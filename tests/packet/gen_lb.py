# SPDX-License-Identifier: GPL-2.0-or-later
"""Load-balancing golden cases: every reachable cell of the TCP state
table through real packets, and each forwarding mode's rewrite.

Ordering.  net_pcap reads each port's rx pcap on its own, so frames of
two ports interleave as the worker happens to poll them.  Every case
here whose server answers puts client and real server behind dp0 (the
server on a second subnet of dp0, with a static neighbour): one pcap,
one total order.

  dp0 02:00:00:00:00:01  198.18.0.1/24  client 198.18.0.2   02:00:00:00:00:02
                         198.18.2.1/24  rs     198.18.2.11  02:00:00:00:02:11
                         VIP 198.18.0.100/32, LIP 198.18.2.100/32 (FNAT)
  dp1 02:00:00:00:01:01  198.18.1.1/24  rs1    198.18.1.11  02:00:00:00:01:11
                                        (DR and TUNNEL rewrite cases only)

State cases (tcp_states_MODE_DIRECTION).  One dplbd run per mode and
direction, one connection (client source port) per check.  Each
connection is walked by a known packet sequence (tcp_table.walks()) to
a state, then the row's flag is sent in the case's direction; after the
run the case's expected connection listing (state, local port, server)
is compared with conn.list.  Every packet in and out is checked byte for
byte as in every golden case.  Expected states come from tcp_table
(the issue's table and rules), not from dplbd's C table.
"""

from dataclasses import dataclass

from scapy.all import IP, TCP, UDP, Ether, Raw

import gen_golden as g
import tcp_table as tt

VIP = "198.18.0.100"
VPORT = 80
LIP = "198.18.2.100"
SRV_NET_ADDR = "198.18.2.1/24"
RS_IP = "198.18.2.11"
RS_MAC = "02:00:00:00:02:11"
LPORT0 = 1024  # worker 0 of 1 owns 1024..65535 and starts at the lowest
CPORT0 = 20000  # the first client source port of a state case
UDP_VPORT = 9000  # a port scapy does not dissect further

# Long timeouts: nothing may expire while a case runs (ASan is slow).
TIMEOUTS = """timeouts = { tcp = { none = 3600; established = 3600;
  syn_sent = 3600; syn_recv = 3600; fin_wait = 3600; time_wait = 3600;
  close = 3600; close_wait = 3600; last_ack = 3600; listen = 3600;
  synack = 3600; }; udp = { oneway = 3600; normal = 3600; }; };
"""

# The flags each cell is tried with: the row's flag alone, and with the
# lower-priority flags a real peer adds (SYN+ACK, FIN+ACK, PSH+ACK,
# RST+ACK).  On TIME_WAIT and CLOSE the pure SYN reschedules, the SYN+ACK
# takes the table's cell itself.
ROW_FLAGS = {"syn": ("S", "SA"), "fin": ("F", "FA"), "ack": ("A", "PA"),
             "rst": ("R", "RA")}
# Packets with none of rst, syn, fin, ack keep the state.
KEEP_FLAGS = ("", "PU")
# On NONE (no connection yet) also: an ECN SYN creates, a SYN+FIN does not.
NONE_EXTRA = ("SEC", "SF")


def lb_conf(mode, proto="tcp", port=VPORT, dest=RS_IP, flags=()):
    """One service on VIP:port with one real server in mode."""
    lg = ""
    if mode == "fnat":
        lg = (f'laddr_groups = ( {{ name = "lg1"; addresses = '
              f'[ "{LIP}" ]; }} );\n')
    return (lg + f'services = ( {{ proto = "{proto}"; vip = "{VIP}"; '
            f'port = {port}; sched = "rr";'
            + (' laddr_group = "lg1";' if mode == "fnat" else "") +
            (" flags = [ " + ", ".join(f'"{f}"' for f in flags) + " ];"
             if flags else "") +
            f'\n  dests = ( {{ addr = "{dest}"; fwd = "{mode}"; }} ); }} );\n'
            + TIMEOUTS)


def one_port_case(name, doc, run, flags=()):
    """A Case on the one-port topology from a finished LbRun."""
    addrs = [SRV_NET_ADDR, f"{VIP}/32"] + ([f"{LIP}/32"]
                                           if run.mode == "fnat" else [])
    return g.Case(name, doc, {"dp0": run.inp}, {"dp0": run.out},
                  drops=({"not_syn": run.not_syn} if run.not_syn else {}),
                  addrs={"dp0": addrs},
                  neigh=[(RS_IP, RS_MAC, "dp0")],
                  extra_conf=lb_conf(run.mode, run.proto, run.vport,
                                     flags=flags),
                  conns=run.listing(), conn_why=dict(run.why))


@dataclass
class Conn:
    state: str  # tcp_table abbreviation; "UDP" for UDP
    lport: int  # FNAT local port, 0 otherwise


class LbRun:
    """Frames in and expected frames out of one dplbd run with a single
    service (VIP:vport, one real server in mode), and the connections the
    issue's rules leave behind.

    The server may sit on dp0 (one_port, default) or on dp1 (rs1)."""

    def __init__(self, mode, proto="tcp", vport=VPORT, one_port=True):
        self.mode, self.proto, self.vport = mode, proto, vport
        if one_port:
            self.rs, self.rs_mac = RS_IP, RS_MAC
            self.out_mac, self.out_ip = g.DP0_MAC, g.DP0_IP
        else:
            self.rs, self.rs_mac = g.RS1_IP, g.RS1_MAC
            self.out_mac, self.out_ip = g.DP1_MAC, g.DP1_IP
        self.inp, self.out = [], []
        self.conns, self.why = {}, {}
        self.not_syn = 0
        self.next_lport = LPORT0
        self.ipid = 0x100
        self.seq = 0x1000

    # -- frames ---------------------------------------------------------
    def _l4(self, sport, dport, flags, payload):
        self.seq += 0x100
        if self.proto == "udp":
            return UDP(sport=sport, dport=dport) / Raw(payload)
        return (TCP(sport=sport, dport=dport, flags=flags, seq=self.seq,
                    ack=self.seq + 0x80000000 if "A" in flags else 0,
                    window=8192) / Raw(payload))

    @staticmethod
    def _frame(esrc, edst, pkt):
        """Frames are kept as bytes: scapy builds each one once."""
        return bytes(Ether(src=esrc, dst=edst) / pkt)

    def client(self, cport, flags="", payload=b"", tos=0, ttl=64, df=False,
               udp_cksum=None):
        """The client sends to VIP:vport from cport; dplbd must forward it
        to the server as the mode says (or drop it: not_syn).  udp_cksum=0:
        a datagram without checksum."""
        self.ipid += 1
        ipkw = dict(id=self.ipid, tos=tos, ttl=ttl, flags="DF" if df else 0)
        l4 = self._l4(cport, self.vport, flags, payload)
        if udp_cksum is not None:
            l4.chksum = udp_cksum
        self.inp.append(self._frame(g.CLIENT_MAC, g.DP0_MAC,
                                    IP(src=g.CLIENT_IP, dst=VIP, **ipkw) /
                                    l4))
        c = self._client_state(cport, flags)
        if c is None:
            return None
        # every mode routes the packet on: one hop less (as IPVS)
        ipkw["ttl"] = ttl - 1
        l4 = l4.copy()
        if self.mode == "fnat":
            l4.sport = c.lport
            ip = IP(src=LIP, dst=self.rs, **ipkw)
        elif self.mode == "nat":
            ip = IP(src=g.CLIENT_IP, dst=self.rs, **ipkw)
        else:
            ip = IP(src=g.CLIENT_IP, dst=VIP, **ipkw)
        inner = ip / l4
        if self.mode == "tunnel":
            # RFC 2003: outer TOS and DF from the inner header, TTL 64,
            # from the first address of the port toward the server; the
            # id is the inner one (RFC 6864: ids vary when DF is clear)
            inner = (IP(version=4, ihl=5, tos=tos, id=self.ipid,
                        flags="DF" if df else 0, frag=0, ttl=64, proto=4,
                        src=self.out_ip, dst=self.rs) / inner)
        self.out.append(self._frame(self.out_mac, self.rs_mac, inner))
        return c

    def _client_state(self, cport, flags):
        c = self.conns.get(cport)
        if self.proto == "udp":
            if c is None:
                c = self.conns[cport] = Conn("UDP", self._lport())
            return c
        if c is not None and tt.reschedules(c.state, flags):
            del self.conns[cport]  # a new connection on the same tuple
            c = None
        if c is None:
            if not tt.creates(flags):
                self.not_syn += 1
                return None
            c = self.conns[cport] = Conn("NO", self._lport())
        c.state = tt.next_state(c.state, tt.MODE_DIRS[self.mode]["client"],
                                flags)
        return c

    def _lport(self):
        if self.mode != "fnat":
            return 0
        self.next_lport += 1
        return self.next_lport - 1

    def server(self, cport, flags="", payload=b"", udp_cksum=None):
        """The server answers the connection of client port cport; dplbd
        must send it to the client from VIP:vport."""
        c = self.conns[cport]
        assert self.mode in ("fnat", "nat"), "only NAT modes see replies"
        self.ipid += 1
        dst, dport = ((LIP, c.lport) if self.mode == "fnat"
                      else (g.CLIENT_IP, cport))
        l4 = self._l4(self.vport, dport, flags, payload)
        if udp_cksum is not None:
            l4.chksum = udp_cksum
        self.inp.append(self._frame(self.rs_mac, g.DP0_MAC,
                                    IP(src=self.rs, dst=dst, id=self.ipid) /
                                    l4))
        if self.proto == "tcp":
            c.state = tt.next_state(c.state, "OUTPUT", flags)
        l4 = l4.copy()
        l4.dport = cport
        # a reply is routed through dplbd: one hop less
        self.out.append(self._frame(g.DP0_MAC, g.CLIENT_MAC,
                                    IP(src=VIP, dst=g.CLIENT_IP,
                                       id=self.ipid, ttl=63) / l4))
        return c

    def send(self, cport, sender, flags):
        return (self.client if sender == "client" else self.server)(
            cport, flags)

    # -- expectations ---------------------------------------------------
    @staticmethod
    def client_key(cport):
        """conn.list's client of the connection from cport."""
        return f"{g.CLIENT_IP}:{cport}"

    def listing(self):
        """conn.list's entries the run must leave, keyed by client."""
        out = {}
        for cport, c in self.conns.items():
            out[f"{g.CLIENT_IP}:{cport}"] = {
                "proto": self.proto,
                "state": "UDP" if c.state == "UDP" else tt.IPVS_NAME[c.state],
                "vip": f"{VIP}:{self.vport}",
                "dest": f"{self.rs}:{self.vport}",
                "local": f"{LIP}:{c.lport}" if self.mode == "fnat" else None,
                "fwd": self.mode,
            }
        return out


def fmt(steps):
    return ", ".join(f"{s} {f or '(none)'}" for s, f in steps) or "nothing"


def state_case(mode, sender, run_cls=None, make_case=None, prefix="tcp"):
    """Every reachable cell of mode's table for sender's packets, plus
    the packets that keep the state and, for the client, the first
    packets of a connection (NONE).  run_cls and make_case: another
    family's LbRun and Case maker (gen_lb6.py), prefix its name's."""
    direction = tt.MODE_DIRS[mode][sender]
    walks = tt.walks(mode)
    run = (run_cls or LbRun)(mode)
    covered = set()
    cport = CPORT0

    def check(col, walk, last):
        nonlocal cport
        for s, f in walk:
            run.send(cport, s, f)
        assert col == "NO" or run.conns[cport].state == col, (col, walk)
        why = f"{mode} {direction} "
        if last is None:
            why += f"walk to {tt.IPVS_NAME[col]}: {fmt(walk)}"
        else:
            flags = last[1]
            row = tt.row_of(flags)
            c = run.send(cport, *last)
            exp = tt.next_state(col, direction, flags)
            if c is None:
                why += f"{flags or '(none)'} with no connection: not_syn drop"
            else:
                assert c.state == exp, (mode, col, last, c.state, exp)
                if row is not None and (col != "NO" or tt.creates(flags)):
                    covered.add((row, col))
                rs = (" (the SYN reschedules: a new connection)"
                      if col in ("TW", "CL") and tt.creates(flags) else "")
                why += (f"{row or 'no-flag'} on {tt.IPVS_NAME[col]} -> "
                        f"{tt.IPVS_NAME[exp]}{rs}: walk {fmt(walk)}, then "
                        f"{sender} {flags or '(none)'}")
        run.why[run.client_key(cport)] = why
        cport += 1

    if sender == "client":
        for flags in (sum(ROW_FLAGS.values(), ()) + NONE_EXTRA + KEEP_FLAGS):
            check("NO", [], (sender, flags))
    for col in tt.STATES:
        if col not in walks:
            continue
        check(col, walks[col], None)
        for row in tt.ROWS:
            for flags in ROW_FLAGS[row]:
                check(col, walks[col], (sender, flags))
        for flags in KEEP_FLAGS:
            check(col, walks[col], (sender, flags))
    want = tt.reachable_cells(mode)[direction]
    assert covered == want, (mode, direction, want ^ covered)
    return (make_case or one_port_case)(
        f"{prefix}_states_{mode}_{direction.lower().replace('-', '_')}",
        f"{mode.upper()} {direction}: each of the {len(covered)} reachable "
        f"cells, walked to by packets, with the row's flag alone and with "
        f"ACK; flagless packets keep the state; conn.list checked",
        run)


def state_cases():
    return [state_case(mode, sender)
            for mode, senders in tt.MODE_DIRS.items() for sender in senders]


def udp_payload_for_ffff(frame):
    """A 2-byte payload that, in place of frame's 2-byte payload, makes the
    UDP checksum 0xffff: its ones' complement sum must become 0xffff
    (-0), whose complement 0 is sent as 0xffff.  With a zero payload the
    sum is ~c0 (c0 the checksum), so the payload word c0 completes it."""
    q = Ether(frame)
    assert len(bytes(q[UDP].payload)) == 2
    q[UDP].remove_payload()
    q[UDP].add_payload(Raw(b"\0\0"))
    del q[UDP].chksum
    return g.build(q)[UDP].chksum.to_bytes(2, "big")


def mode_cases():
    cs = []
    get = b"GET / HTTP/1.0\r\n\r\n"
    ok = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"

    run = LbRun("nat")
    run.client(40000, "S")
    run.server(40000, "SA")
    run.client(40000, "A")
    run.client(40000, "PA", get)
    run.server(40000, "PA", ok)
    cs.append(one_port_case(
        "lb_nat_conversation",
        "NAT: the client's SYN, ACK and request leave with the server as "
        "destination (source kept); the server's SYN-ACK and answer leave "
        "from VIP:80; TTL one less both ways; the connection is ESTABLISHED",
        run))

    for mode in ("dr", "tunnel"):
        run = LbRun(mode, one_port=False)
        run.client(40000, "S", tos=0x10, ttl=50, df=True)
        run.client(40000, "A")
        run.client(40000, "PA", get, tos=0x28, df=True)
        if mode == "tunnel":
            # the outer header written out by hand, RFC 2003: 45, TOS 0x10
            # as the inner, length 60, id 0x101 as the inner, DF as the inner,
            # TTL 64, protocol 4, checksum, 198.18.1.1 (dp1) -> 198.18.1.11
            assert run.out[0][14:34] == bytes.fromhex(
                "4510003c01014000" "4004ab7c" "c6120101" "c612010b")
        cs.append(g.Case(
            f"lb_{mode}_forward",
            ("DR: frames to rs1's MAC from dp1, IP header and TCP untouched "
             "but the TTL, one less (IPVS too)" if mode == "dr" else
             "TUNNEL: IPIP to rs1 from dp1's address, outer TOS and DF "
             "copied from the inner header, id as the inner, TTL 64; inner packet "
             "untouched but its TTL, one less") + "; the connection is ESTABLISHED",
            {"dp0": run.inp}, {"dp1": run.out},
            addrs={"dp0": [f"{VIP}/32"]},
            extra_conf=lb_conf(mode, dest=g.RS1_IP),
            conns=run.listing()))

    for mode in ("fnat", "nat"):
        run = LbRun(mode, proto="udp", vport=UDP_VPORT)
        run.client(40000, payload=b"dplb udp query")
        run.server(40000, payload=b"dplb udp answer")
        # a datagram without a checksum keeps none (0) both ways
        run.client(40001, payload=b"no checksum", udp_cksum=0)
        run.server(40001, payload=b"none here either", udp_cksum=0)
        # an updated checksum of 0 goes out as 0xffff (0 means none)
        run.client(40002, payload=b"ck")
        ck = udp_payload_for_ffff(run.out[-1])
        run.inp.pop(), run.out.pop()
        run.ipid -= 1
        run.client(40002, payload=ck)
        assert Ether(run.out[-1])[UDP].chksum == 0xffff
        cs.append(one_port_case(
            f"lb_udp_{mode}",
            f"UDP through {mode.upper()}: a query and its answer rewritten "
            f"both ways, one hop less; a datagram without checksum keeps 0; one whose "
            f"updated checksum is 0 leaves with 0xffff",
            run))
    return cs


def cases():
    return mode_cases() + state_cases()
