# SPDX-License-Identifier: GPL-2.0-or-later
"""Connection sync of IPv6 and NAT64 connections between two real dplbd
of the HA lab (lab.sh up-ha, IPv6 on the client and server links),
driven over their control sockets as tests/e2e/test_sync.py drives the
IPv4 pair (synctest.py's Pair and Client).

Both nodes run an IPv6 full-NAT service (VIP6:80, IPv6 local address,
IPv6 echo servers in rs1 and rs2) and a NAT64 one (VIP6:81, IPv4 local
address, the same servers on IPv4), and the same two persistent (VIP6:82
and :83, 300 s, /64, wrr).  The master holds the floating addresses:
VIP6 on the client side, LIP6 and LIP4 on the servers' side.

- a sync message captured on the wire decodes with tshark's "ipvs"
  dissector: IPVS's IPv6 entries (the client, VIP and server as sent,
  NAT64's IPv4 server IPv4-mapped) and dplb's IPv6 extension (version 2)
  with the local address; IPVS's IPv6 template entries (the client's
  /64, cport 0, the persistence timeout);
- the backup holds every IPv6 and NAT64 flow of the master (conn.list),
  flagged synced, with its local address and port, nothing dropped;
- failover: long-lived TCP flows over IPv6 full NAT and NAT64 (a byte
  every 100 ms each) while the addresses move to the backup and the
  master's dplbd is killed -9: every flow survives, no reset, no stall
  of 3 s, and the new master met no mid-flow packet without its entry;
- persistence across a failover: ten clients of one /64 pinned to one
  server of each persistent service; the weights then change on both
  nodes so that scheduling would send new connections elsewhere (1 to
  100); after kill -9 of the master every new connection from that /64
  goes to the pinned server on the new master, by the synced template.
"""

import ipaddress
import json
import time

import pytest

import synctest
from labtest import CLIENT_IP6, RS1_IP, RS1_IP6, RS2_IP, RS2_IP6, wait_for
from synctest import TCP_ECHO, Client, Pair, assert_all_kept, \
    client_flow, capture_sync, entries, held, live_when, start_echo, sync_lab

VIP6 = "2001:2::100"
LIP6 = "2001:2:0:1::100"
LIP4 = "198.18.1.100"
FNAT6, NAT64, PERS6, PERS64 = 80, 81, 82, 83
PERSISTENT = 300
ECHO_PORT = 9000
SERVERS = (("rs1", RS1_IP6, RS1_IP), ("rs2", RS2_IP6, RS2_IP))
# the nodes' own addresses on dp0 and dp1 (config/lab.conf, lab.sh
# config-ha)
TWIN6 = {"lb": ("2001:2::1", "2001:2:0:1::1"),
         "lb2": ("2001:2::3", "2001:2:0:1::3")}
# ten clients of the client's /64 (beside CLIENT_IP6)
NET64 = "2001:2::"
CLIENTS = [f"2001:2::{0x20 + i:x}" for i in range(10)]

# the IPv4 test's echo server, on a dual-stack socket (IPv6 and, for
# NAT64, IPv4 clients)
TCP_ECHO6 = TCP_ECHO.replace(
    "ls = socket.socket()", "ls = socket.socket(socket.AF_INET6)").replace(
    'ls.bind(("0.0.0.0", port))', 'ls.bind(("::", port))')


class Pair6(Pair):
    """The pair with IPv6 services; floating addresses by addr.add (IPv6:
    an unsolicited Neighbor Advertisement) and vip.add (IPv4: ARP)."""

    def services(self, node):
        c = lambda m, p: self.call(node, m, p)  # noqa: E731
        c("laddr.add", {"group": "lg6", "addr": LIP6})
        c("laddr.add", {"group": "lg64", "addr": LIP4})
        for port, group, fam in ((FNAT6, "lg6", 1), (NAT64, "lg64", 2),
                                 (PERS6, "lg6", 1), (PERS64, "lg64", 2)):
            p = {"proto": "tcp", "vip": VIP6, "port": port, "sched": "rr",
                 "laddr_group": group}
            if port in (PERS6, PERS64):
                p.update(sched="wrr", persistent=PERSISTENT, netmask="/64")
            c("service.add", p)
            for srv in SERVERS:
                c("dest.add", {"proto": "tcp", "vip": VIP6, "port": port,
                               "addr": srv[fam], "dport": ECHO_PORT,
                               "fwd": "fnat"})

    def take(self, node):
        self.call(node, "addr.add", {"addr": f"{VIP6}/128", "dev": "dp0"})
        self.call(node, "addr.add", {"addr": f"{LIP6}/128", "dev": "dp1"})
        self.call(node, "vip.add", {"addr": LIP4, "dev": "dp1"})

    def release(self, node):
        self.call(node, "addr.del", {"addr": f"{VIP6}/128", "dev": "dp0"})
        self.call(node, "addr.del", {"addr": f"{LIP6}/128", "dev": "dp1"})
        self.call(node, "vip.del", {"addr": LIP4, "dev": "dp1"})

    def check_servers(self, node):
        """test_sync.py's warm-up (keepalived's checks) for both
        families.  dplbd learns an IPv6 neighbour from a solicitation or
        from an advertisement it asked for (RFC 4861 7.2.5), not from the
        answers to its twin's own pings: so the servers and the client
        ping the node's addresses, whose answers dplbd resolves."""
        for srv, _, a4 in SERVERS:
            self.lab.run(node, "ping", "-c", "1", "-W", "1", a4)
            self.lab.run(srv, "ping", "-6", "-c", "1", "-W", "1",
                         TWIN6[node][1])
        self.lab.run("c", "ping", "-6", "-c", "1", "-W", "1", TWIN6[node][0])

    def failover(self):
        """The addresses move to lb2, which turns master; lb's dplbd is
        killed -9."""
        self.release("lb")
        self.take("lb2")
        self.role("lb2", "master")
        self.kill9("lb")


def start_servers6(lab, pair):
    return [start_echo(lab, pair, "tcp-echo6", node, TCP_ECHO6, ECHO_PORT)
            for node, _, _ in SERVERS]


@pytest.fixture(scope="module")
def pair6():
    with sync_lab("s6", Pair6, start_servers6) as p:
        yield p


def flows(lab, n6, n64, duration):
    return Client(lab, {"tcp": [[VIP6, FNAT6, n6], [VIP6, NAT64, n64]],
                        "duration": duration})


def ip_(s):
    return ipaddress.ip_address(s.strip("[]"))


def check_template_entries(sent):
    """IPVS's IPv6 template entries of the persistent services: the
    client's /64 (its net, as IPVS masks it), cport 0, TEMPLATE, the
    persistence timeout, the real server (NAT64's IPv4-mapped), and the
    IPv6 extension after each (NAT64: SERVER4, the IPv4 server)."""
    servers6 = {ip_(a) for _, a, _ in SERVERS}
    servers4 = {ip_(a) for _, _, a in SERVERS}
    seen = set()
    for e, x in zip(sent, sent[1:]):
        if e["ipvs.type"] != "1" or e["ipvs.proto"] != "0x06" or \
                not int(e["ipvs.flags.v1"], 16) & 0x1000:
            continue
        port = int(e["ipvs.vport"])
        seen.add(port)
        assert port in (PERS6, PERS64), e
        assert ip_(e["ipvs.caddr6"]) == ip_(NET64), e
        assert int(e["ipvs.cport"]) == 0 and int(e["ipvs.timeout"]) == \
            PERSISTENT, e
        assert x["ipvs.proto"] == "0xfd" and int(x["ipvs.vport"]) == 2, x
        d = ip_(e["ipvs.daddr6"])
        if port == PERS6:
            assert d in servers6, d
        else:
            assert d.ipv4_mapped in servers4, d
            assert int(x["ipvs.flags.v1"], 16) & 0x08, x       # SERVER4
            assert ipaddress.ip_address(
                ip_(x["ipvs.vaddr6"]).packed[:4]) == d.ipv4_mapped
    assert seen == {PERS6, PERS64}, seen


def test_ipv6_sync_message_decodes_with_tshark(pair6):
    """IPVS's IPv6 entry for the connection, dplb's IPv6 extension after
    it: tshark's ipvs dissector reads both, addresses as sent; the
    persistent services' templates go as IPVS's IPv6 template entries."""
    lab = pair6.lab
    packets, _ = capture_sync(lab, "lb2", lambda: Client(lab, {
        "tcp": [[VIP6, FNAT6, 3], [VIP6, NAT64, 3], [VIP6, PERS6, 2],
                [VIP6, PERS64, 2]], "duration": 2}).report(), count=30,
        name="sync6")
    sent = [e for layers in packets for e in entries(layers["ipvs"])]
    v6 = [(a, b) for a, b in zip(sent, sent[1:])
          if a["ipvs.proto"] == "0x06" and a["ipvs.type"] == "1" and
          not int(a["ipvs.flags.v1"], 16) & 0x1000]
    assert v6, sent[:4]
    mapped = {str(ipaddress.IPv6Address(f"::ffff:{a}")) for a in
              (RS1_IP, RS2_IP)}
    seen = set()
    for e, x in v6:
        assert int(e["ipvs.size.v1"]) == 72 and x["ipvs.type"] == "1"
        assert int(x["ipvs.size.v1"]) == 72
        assert ip_(e["ipvs.caddr6"]) == ip_(CLIENT_IP6)
        assert ip_(e["ipvs.vaddr6"]) == ip_(VIP6)
        assert int(e["ipvs.dport"]) == ECHO_PORT
        assert x["ipvs.proto"] == "0xfd" and int(x["ipvs.vport"]) == 2
        port = int(e["ipvs.vport"])
        seen.add(port)
        daddr = str(ip_(e["ipvs.daddr6"]))
        if port in (FNAT6, PERS6):
            assert daddr in {str(ip_(a)) for _, a, _ in SERVERS}
            assert ip_(x["ipvs.caddr6"]) == ip_(LIP6)
        else:
            # NAT64: the IPv4 server IPv4-mapped in the entry, the IPv4
            # local address in the extension's first 4 bytes
            assert port in (NAT64, PERS64) and daddr in mapped, daddr
            assert ip_(x["ipvs.caddr6"]).packed[:4] == ip_(LIP4).packed
        assert int(x["ipvs.cport"]) >= 1024     # the local port
    assert seen == {FNAT6, NAT64, PERS6, PERS64}, seen
    check_template_entries(sent)


def addr_port(s):
    """conn.list's "addr:port" or "[addr6]:port", the address parsed."""
    a, p = synctest.addr_port(s)
    return ip_(a), p


def test_backup_holds_the_masters_ipv6_and_nat64_flows(pair6):
    """conn.list on the backup: every live flow of the master, flagged
    synced, with the master's real server and local address and port
    (IPv6 for full NAT, IPv4 for NAT64)."""
    before = pair6.backup("lb2")
    c = flows(pair6.lab, 10, 10, 4)
    master = live_when(pair6, "lb", c, 20)
    assert len(master) == 20, master
    assert wait_for(lambda: master <= held(pair6, "lb2"), 5), \
        master - held(pair6, "lb2")
    synced = {(x["client"], x["vip"], x["dest"], x["local"], x["fwd"])
              for x in pair6.conns("lb2", synced=True)}
    assert master <= synced
    for k in master:
        vip, vport = addr_port(k[1])
        assert vip == ip_(VIP6)
        lip, lport = addr_port(k[3])
        assert lip == ip_(LIP6 if vport == FNAT6 else LIP4)
        assert lport >= 1024
    assert pair6.backup("lb2")["installed"] - before["installed"] >= 20
    assert_all_kept(c.report(), 3.5)
    st = pair6.backup("lb2")
    assert st["dropped"] == 0, st
    m = pair6.stats("lb")["master"]
    assert m["records_lost"] == 0 and m["send_errors"] == 0, m


def check_failover(pair, n6=20, n64=20):
    """Long-lived IPv6 full-NAT and NAT64 flows, synced; the addresses
    move and the master's dplbd is killed -9: every flow goes on through
    the backup, which met no mid-flow segment without its entry."""
    before = pair.backup("lb2")["installed"]
    c = flows(pair.lab, n6, n64, 14)
    assert wait_for(lambda: pair.backup("lb2")["installed"] - before
                    >= n6 + n64, 10), pair.stats("lb2")
    master_keys = held(pair, "lb")
    pair.check_servers("lb2")
    neigh = json.dumps(pair.call("lb2", "neigh.list"))
    print("lb2 neighbours before the failover:", neigh[:600])
    drops0 = pair.call("lb2", "drop.list")
    t_fail = c.since()
    pair.failover()
    report = c.report()
    assert len(report) == n6 + n64
    drops = {k: v - drops0.get(k, 0)
             for k, v in pair.call("lb2", "drop.list").items()}
    print(f"lb2 drops after the failover: "
          f"{ {k: v for k, v in drops.items() if v} }")
    assert_all_kept(report, t_fail + 3,
                    "kill -9 of the master's dplbd (IPv6, NAT64)")
    # lb2 forwarded them on the entries it had from lb: a mid-flow
    # segment without one would have been dropped as not a SYN
    assert drops.get("not_syn", 0) == 0, drops
    return master_keys


def test_failover_keeps_ipv6_and_nat64_flows(pair6):
    """kill -9 of the master's dplbd once the addresses moved: every
    IPv6 full-NAT and NAT64 flow goes on through the backup, and the new
    master's new IPv6 and NAT64 connections take local ports after the
    old master's (it followed them from the sync records)."""
    master_keys = check_failover(pair6)
    synctest.check_new_master_follows(
        pair6, master_keys, {"tcp": [[VIP6, FNAT6, 4], [VIP6, NAT64, 4]],
                             "duration": 2})


def test_restarted_backup_gets_ipv6_flows_by_full_dump(pair6):
    """The old master comes back as a fresh backup while the master (lb2)
    reports its flows only every 1000 packets: the full dump it asks for
    walks the IPv6 table too and gives it every IPv6 and NAT64 flow."""
    from ctl import CtlError  # tests/pylib

    pair6.role("lb2", "master", sync_period=1000)
    try:
        c = flows(pair6.lab, 10, 10, 8)
        time.sleep(1.5)
        pair6.start_dplbd("lb")
        pair6.role("lb", "backup")
        assert wait_for(lambda: pair6.backup("lb")["dump_complete"], 8), \
            pair6.stats("lb")
        st = pair6.backup("lb")
        assert st["dumps"] == 1 and st["installed"] >= 20, st
        assert st["dropped"] == 0, st
        assert pair6.stats("lb2")["master"]["dumps"] >= 1
        assert_all_kept(c.report(), 7)
    finally:
        # back to the start for the next test: lb master with the
        # addresses, lb2 backup
        pair6.role("lb2", "master", sync_period=50)
        if "lb" not in pair6.d:
            pair6.start_dplbd("lb")
        for move in (lambda: pair6.release("lb2"), lambda: pair6.take("lb")):
            try:        # (a failed test may have left them elsewhere)
                move()
            except CtlError as e:
                assert e.code in ("ENOENT", "EEXIST"), e
        pair6.role("lb", "master")
        pair6.role("lb2", "backup")


def templates(pair, node, port):
    """node's persistence templates of VIP6:port: {client net: dest}."""
    r = pair.call(node, "conn.list", {"max": 4096,
                                      "vip": f"[{VIP6}]:{port}"})
    return {x["client"]: x["dest"] for x in r["conns"] if x["template"]}


def dests_of(pair, node, port, clients, ports=None):
    """The dests of node's connections to VIP6:port from clients (and
    those flows: client_flow())."""
    want = {ip_(a) for a in clients}
    return [x["dest"] for x in pair.conns(node)
            if addr_port(x["vip"]) == (ip_(VIP6), port) and
            addr_port(x["client"])[0] in want and
            (ports is None or client_flow(x) in ports)]


def set_weights(pair, port, pinned, weight_other):
    """On both nodes: weight 1 for pinned, weight_other for the other."""
    for node in list(pair.d):
        for srv in SERVERS:
            addr = srv[1] if port == PERS6 else srv[2]
            w = 1 if ip_(addr) == pinned else weight_other
            pair.call(node, "dest.edit", {"proto": "tcp", "vip": VIP6,
                                          "port": port, "addr": addr,
                                          "dport": ECHO_PORT, "weight": w})


def test_failover_keeps_persistence_of_ipv6_and_nat64_nets(pair6):
    """Ten clients of one /64 on each persistent service: one server
    each (the template).  The templates reach the backup; then the
    weights change on both nodes, 1 for the pinned server and 100 for
    the other, so that scheduling would send about 99 % of new
    connections elsewhere.  kill -9 of the master: the clients' live
    connections go on, and every new connection from the /64 goes to
    the pinned server on the new master (by its synced template)."""
    lab = pair6.lab
    lab.run("c", "sh", "-c", "".join(
        f"ip -6 addr add {a}/64 dev c0 nodad; " for a in CLIENTS),
        check=True)
    spec = {"tcp": [[VIP6, p, 1, a] for a in CLIENTS
                    for p in (PERS6, PERS64)], "duration": 16}
    c = Client(lab, spec)
    time.sleep(1)
    pinned = {}
    for port in (PERS6, PERS64):
        dests = set(dests_of(pair6, "lb", port, CLIENTS))
        assert len(dests) == 1, (port, dests)   # one /64, one server
        pinned[port] = dests.pop()
        net = f"[{NET64}]:0"
        assert wait_for(lambda: templates(pair6, "lb2", port).get(net) ==
                        pinned[port], 10), \
            (port, templates(pair6, "lb2", port), pinned)
        set_weights(pair6, port, addr_port(pinned[port])[0], 100)
    pair6.check_servers("lb2")
    t_fail = c.since()
    pair6.failover()
    # new connections from the /64 on the new master: the template's
    # server, whatever the weights say
    after = Client(lab, {"tcp": [[VIP6, p, 2, a] for a in CLIENTS
                                 for p in (PERS6, PERS64)],
                         "duration": 2})
    time.sleep(0.5)
    for port in (PERS6, PERS64):
        got = dests_of(pair6, "lb2", port, CLIENTS, after.ports)
        # the twenty new ones, all to the pinned server (scheduling
        # would have sent about 99 % elsewhere)
        assert len(got) == 2 * len(CLIENTS), (port, got)
        assert set(got) == {pinned[port]}, (port, pinned[port], got)
        # and the live ones (synced) too
        assert set(dests_of(pair6, "lb2", port, CLIENTS)) == \
            {pinned[port]}
    assert_all_kept(after.report(), 1)
    assert_all_kept(c.report(), t_fail + 3, "persistent flows")
