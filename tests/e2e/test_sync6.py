# SPDX-License-Identifier: GPL-2.0-or-later
"""Connection sync of IPv6 and NAT64 connections between two real dplbd
of the HA lab (lab.sh up-ha, IPv6 on the client and server links),
driven over their control sockets as tests/e2e/test_sync.py drives the
IPv4 pair (whose Pair and Client it uses).

Both nodes run an IPv6 full-NAT service (VIP6:80, IPv6 local address,
IPv6 echo servers in rs1 and rs2) and a NAT64 one (VIP6:81, IPv4 local
address, the same servers on IPv4).  The master holds the floating
addresses: VIP6 on the client side, LIP6 and LIP4 on the servers' side.

- a sync message captured on the wire decodes with tshark's "ipvs"
  dissector: IPVS's IPv6 entries (the client, VIP and server as sent,
  NAT64's IPv4 server IPv4-mapped) and dplb's IPv6 extension (version 2)
  with the local address;
- the backup holds every IPv6 and NAT64 flow of the master (conn.list),
  flagged synced, with its local address and port, nothing dropped;
- failover: long-lived TCP flows over IPv6 full NAT and NAT64 (a byte
  every 100 ms each) while the addresses move to the backup and the
  master's dplbd is killed -9: every flow survives, no reset, no stall
  of 3 s, and the new master met no mid-flow packet without its entry.
"""

import ipaddress
import json
import os
import subprocess
import time

import pytest

import test_sync as base
from labtest import CLIENT_IP6, RS1_IP, RS1_IP6, RS2_IP, RS2_IP6, Lab, \
    wait_for

VIP6 = "2001:2::100"
LIP6 = "2001:2:0:1::100"
LIP4 = "198.18.1.100"
FNAT6, NAT64 = 80, 81
ECHO_PORT = 9000
SERVERS = (("rs1", RS1_IP6, RS1_IP), ("rs2", RS2_IP6, RS2_IP))
NODES = ("lb", "lb2")
# the nodes' own addresses on dp0 and dp1 (config/lab.conf, lab.sh
# config-ha)
TWIN6 = {"lb": ("2001:2::1", "2001:2:0:1::1"),
         "lb2": ("2001:2::3", "2001:2:0:1::3")}

# the IPv4 test's echo server, on a dual-stack socket (IPv6 and, for
# NAT64, IPv4 clients)
TCP_ECHO6 = base.TCP_ECHO.replace(
    "ls = socket.socket()", "ls = socket.socket(socket.AF_INET6)").replace(
    'ls.bind(("0.0.0.0", port))', 'ls.bind(("::", port))')


class Pair6(base.Pair):
    """The pair with IPv6 services; floating addresses by addr.add (IPv6:
    an unsolicited Neighbor Advertisement) and vip.add (IPv4: ARP)."""

    def services(self, node):
        c = lambda m, p: self.call(node, m, p)  # noqa: E731
        c("laddr.add", {"group": "lg6", "addr": LIP6})
        c("laddr.add", {"group": "lg64", "addr": LIP4})
        for port, group, fam in ((FNAT6, "lg6", 1), (NAT64, "lg64", 2)):
            c("service.add", {"proto": "tcp", "vip": VIP6, "port": port,
                              "sched": "rr", "laddr_group": group})
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

    def backup(self, node):
        return self.stats(node)["backup"]


@pytest.fixture(scope="module")
def pair6():
    lab = Lab(f"s6{os.getpid() % 100000}")
    p = Pair6(lab)
    procs = []
    try:
        lab.sh("down", check=False)
        lab.sh("up-ha")
        script = f"{lab.state}/tcp-echo6.py"
        with open(script, "w") as f:
            f.write(TCP_ECHO6)
        for node, _, _ in SERVERS:
            pr = lab.spawn(node, "/usr/bin/python3", "-u", script,
                           str(ECHO_PORT))
            assert pr.stdout.readline().strip() == "listening", \
                pr.stderr.read()
            procs.append(pr)
            p.record_pid(f"tcp-echo6-{node}", node, pr.pid)
        for node in NODES:
            p.start_dplbd(node)
        p.take("lb")
        p.role("lb", "master")
        p.role("lb2", "backup")
        assert wait_for(lambda: p.backup("lb2")["dump_complete"], 10), \
            p.stats("lb2")
        yield p
    finally:
        bad = []
        for node in list(p.d):
            d = p.d.pop(node)
            try:
                rc = d.stop()
            except Exception as e:
                rc = e
            if rc != 0 or "Sanitizer" in d.stderr:
                bad.append((node, rc, d.stderr[-3000:]))
        for pr in procs:
            pr.kill()
            pr.wait()
        lab.sh("down", check=False)
    assert not bad, bad


def flows(lab, n6, n64, duration):
    return base.Client(lab, {"tcp": [[VIP6, FNAT6, n6], [VIP6, NAT64, n64]],
                             "duration": duration})


def test_ipv6_sync_message_decodes_with_tshark(pair6):
    """IPVS's IPv6 entry for the connection, dplb's IPv6 extension after
    it: tshark's ipvs dissector reads both, addresses as sent."""
    lab = pair6.lab
    cap = f"{lab.state}/sync6.pcap"
    dump = lab.spawn("lb2", "tcpdump", "-i", "dp0", "-U", "-c", "20", "-w",
                     cap, "udp", "port", "8848")
    time.sleep(1)
    c = flows(lab, 3, 3, 2)
    c.report()
    time.sleep(0.5)
    dump.terminate()
    dump.wait(10)
    r = subprocess.run(["tshark", "-r", cap, "-d", "udp.port==8848,ipvs",
                        "-T", "json", "-V"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Malformed" not in r.stdout and "Exception" not in r.stdout
    entries = []
    for p in json.loads(r.stdout):
        m = p["_source"]["layers"]["ipvs"]
        assert m["ipvs.version"] == "1"
        conns = [v for k, v in m.items() if k.startswith("Connection #")]
        assert len(conns) == int(m["ipvs.conncount"]) > 0
        entries += conns
    v6 = [(a, b) for a, b in zip(entries, entries[1:])
          if a["ipvs.proto"] == "0x06" and a["ipvs.type"] == "1"]
    assert v6, entries[:4]
    mapped = {str(ipaddress.IPv6Address(f"::ffff:{a}")) for a in
              (RS1_IP, RS2_IP)}
    seen = set()
    addr = lambda e, k: ipaddress.ip_address(e[k])  # noqa: E731
    for e, x in v6:
        assert int(e["ipvs.size.v1"]) == 72 and x["ipvs.type"] == "1"
        assert int(x["ipvs.size.v1"]) == 72
        assert addr(e, "ipvs.caddr6") == ipaddress.ip_address(CLIENT_IP6)
        assert addr(e, "ipvs.vaddr6") == ipaddress.ip_address(VIP6)
        assert int(e["ipvs.dport"]) == ECHO_PORT
        assert x["ipvs.proto"] == "0xfd" and int(x["ipvs.vport"]) == 2
        port = int(e["ipvs.vport"])
        seen.add(port)
        daddr = str(addr(e, "ipvs.daddr6"))
        if port == FNAT6:
            assert daddr in {str(ipaddress.ip_address(a))
                             for _, a, _ in SERVERS}
            assert addr(x, "ipvs.caddr6") == ipaddress.ip_address(LIP6)
        else:
            # NAT64: the IPv4 server IPv4-mapped in the entry, the IPv4
            # local address in the extension's first 4 bytes
            assert port == NAT64 and daddr in mapped, daddr
            assert addr(x, "ipvs.caddr6").packed[:4] == \
                ipaddress.ip_address(LIP4).packed
        assert int(x["ipvs.cport"]) >= 1024     # the local port
    assert seen == {FNAT6, NAT64}, seen


def addr_port(s):
    """conn.list's "addr:port" or "[addr6]:port"."""
    a, p = s.rsplit(":", 1)
    return ipaddress.ip_address(a.strip("[]")), int(p)


def test_backup_holds_the_masters_ipv6_and_nat64_flows(pair6):
    """conn.list on the backup: every live flow of the master, flagged
    synced, with the master's real server and local address and port
    (IPv6 for full NAT, IPv4 for NAT64)."""
    before = pair6.backup("lb2")
    c = flows(pair6.lab, 10, 10, 4)
    time.sleep(1.5)
    master = base.live(pair6, "lb", c)
    assert len(master) == 20, master
    assert wait_for(lambda: master <= base.held(pair6, "lb2"), 5), \
        master - base.held(pair6, "lb2")
    synced = {base.key(x) for x in pair6.conns("lb2", synced=True)}
    assert master <= synced
    for k in master:
        vip, vport = addr_port(k[1])
        assert vip == ipaddress.ip_address(VIP6)
        lip, lport = addr_port(k[3])
        assert lip == ipaddress.ip_address(LIP6 if vport == FNAT6 else LIP4)
        assert lport >= 1024
    assert pair6.backup("lb2")["installed"] - before["installed"] >= 20
    base.assert_all_kept(c.report(), 3.5)
    st = pair6.backup("lb2")
    assert st["dropped"] == 0, st
    m = pair6.stats("lb")["master"]
    assert m["records_lost"] == 0 and m["send_errors"] == 0, m


def test_failover_keeps_ipv6_and_nat64_flows(pair6):
    """kill -9 of the master's dplbd once the addresses moved: every
    IPv6 full-NAT and NAT64 flow goes on through the backup."""
    before = pair6.backup("lb2")["installed"]
    c = flows(pair6.lab, 20, 20, 14)
    assert wait_for(lambda: pair6.backup("lb2")["installed"] - before
                    >= 40, 10), pair6.stats("lb2")
    pair6.check_servers("lb2")
    neigh = json.dumps(pair6.call("lb2", "neigh.list"))
    print("lb2 neighbours before the failover:", neigh[:600])
    drops0 = pair6.call("lb2", "drop.list")
    t_fail = c.since()
    pair6.release("lb")
    pair6.take("lb2")
    pair6.role("lb2", "master")
    pair6.kill9("lb")
    report = c.report()
    assert len(report) == 40
    drops = {k: v - drops0.get(k, 0)
             for k, v in pair6.call("lb2", "drop.list").items()}
    print(f"lb2 drops after the failover: "
          f"{ {k: v for k, v in drops.items() if v} }")
    base.assert_all_kept(report, t_fail + 3,
                         "kill -9 of the master's dplbd (IPv6, NAT64)")
    # lb2 forwarded them on the entries it had from lb: a mid-flow
    # segment without one would have been dropped as not a SYN
    assert drops.get("not_syn", 0) == 0, drops


def test_restarted_backup_gets_ipv6_flows_by_full_dump(pair6):
    """The old master comes back as a fresh backup while the master (lb2)
    reports its flows only every 1000 packets: the full dump it asks for
    walks the IPv6 table too and gives it every IPv6 and NAT64 flow."""
    pair6.role("lb2", "master", sync_period=1000)
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
    base.assert_all_kept(c.report(), 7)
    pair6.role("lb2", "master", sync_period=50)
