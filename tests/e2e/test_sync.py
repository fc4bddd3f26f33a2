# SPDX-License-Identifier: GPL-2.0-or-later
"""Connection sync between two real dplbd (lab.sh up-ha), driven over
their control sockets as keepalived would drive them (sync.start,
vip.add/vip.del), without keepalived itself (tests/e2e/test_keepalived_ha.py
is the VRRP-driven pair).

Both nodes run the same services: full NAT (TCP and UDP, local address
198.18.1.100), NAT and DR, over TCP and UDP echo servers in rs1 and rs2.
The master holds the floating addresses: the VIP on the client side, the
LIP and the servers' gateway 198.18.1.254 on the servers' side (the
servers route to it, so that NAT and DR replies follow the master).

- a sync message captured on the wire decodes with tshark's "ipvs"
  dissector, fields and extension entry as sent;
- the backup holds every flow of the master, flagged synced, with its
  local address and port;
- with 30 % of the sync messages lost (tc netem, or nftables where the
  kernel has no netem), a refresh period later the backup still holds
  every live connection;
- failover: long-lived flows (50 full-NAT, NAT, DR, UDP; a byte every
  100 ms each) while the addresses move to the backup and the master's
  dplbd is killed -9: every flow survives, no reset, no stall of 3 s;
- a restarted backup gets a full dump (flows the master would not
  report again for minutes), then failback to it keeps every flow, and
  the old master keeps its entries when it turns backup.
"""

import re
import subprocess
import time

import pytest

from labtest import CLIENT_IP, DPLBCTL, RS1_IP, RS2_IP, wait_for
from synctest import SYNCID, TCP_ECHO, Client, Pair, assert_all_kept, \
    capture_sync, check_new_master_follows, entries, held, key, live, \
    live_when, start_echo, sync_lab

VIP = "198.18.0.100"
LIP = "198.18.1.100"
GW = "198.18.1.254"          # the servers' gateway, floating
FNAT, NAT, DR, UDP = 9000, 9001, 9002, 9003
FLOATING = ((VIP, "dp0"), (LIP, "dp1"), (GW, "dp1"))
SERVERS = (("rs1", RS1_IP), ("rs2", RS2_IP))


class Pair4(Pair):
    """The pair with full-NAT, NAT and DR services over IPv4."""

    def services(self, node):
        c = lambda m, p: self.call(node, m, p)  # noqa: E731
        c("laddr.add", {"group": "lg1", "addr": LIP})
        for proto, port, fwd, dport in (("tcp", FNAT, "fnat", 9000),
                                        ("tcp", NAT, "nat", 9000),
                                        ("tcp", DR, "dr", DR),
                                        ("udp", UDP, "fnat", UDP)):
            p = {"proto": proto, "vip": VIP, "port": port, "sched": "rr"}
            if fwd == "fnat":
                p["laddr_group"] = "lg1"
            c("service.add", p)
            for _, addr in SERVERS:
                c("dest.add", {"proto": proto, "vip": VIP, "port": port,
                               "addr": addr, "dport": dport, "fwd": fwd})

    def take(self, node):
        """node takes the floating addresses (VRRP's MASTER)."""
        for addr, dev in FLOATING:
            self.call(node, "vip.add", {"addr": addr, "dev": dev})

    def check_servers(self, node):
        """What keepalived's health checks do from a backup's twin: talk
        to the real servers (and here to the client, the one next hop
        on the other side), so that its dplbd has learnt their MACs
        from the ARP replies before it takes over: a cold neighbour
        cache costs the first packets of every flow a resolution."""
        for addr in [a for _, a in SERVERS] + [CLIENT_IP]:
            self.lab.run(node, "ping", "-c", "1", "-W", "1", addr)

    def release(self, node):
        for addr, dev in FLOATING:
            self.call(node, "vip.del", {"addr": addr, "dev": dev})


def start_servers(lab, pair):
    procs = []
    for node, addr in SERVERS:
        procs.append(start_echo(lab, pair, "tcp-echo", node, TCP_ECHO,
                                9000, DR))
        lab.start_udp_echo(f"udp-echo-{node}", node, "0.0.0.0", UDP, node)
        # the gateway floats with the master; DR: the VIP on lo
        lab.run(node, "ip", "route", "replace", "default", "via", GW,
                "dev", "eth0", "onlink", check=True)
        lab.run(node, "ip", "addr", "add", f"{VIP}/32", "dev", "lo",
                check=True)
        for k in ("all", "eth0"):
            lab.run(node, "sysctl", "-qw",
                    f"net.ipv4.conf.{k}.arp_ignore=1",
                    f"net.ipv4.conf.{k}.arp_announce=2", check=True)
    return procs


@pytest.fixture(scope="module")
def pair():
    with sync_lab("sy", Pair4, start_servers) as p:
        yield p


# ---------------------------------------------------------------- tests

def test_sync_message_decodes_with_tshark(pair):
    """A message captured on the backup's twin: tshark's ipvs dissector
    reads its header and every entry, ours and the extension."""
    packets, flows = capture_sync(pair.lab, "lb2", lambda: Client(
        pair.lab, {"tcp": [[VIP, FNAT, 3]], "duration": 2}).report())
    sent = []
    for layers in packets:
        m = layers["ipvs"]
        assert m["ipvs.syncid"] == str(SYNCID)
        assert int(m["ipvs.size"]) == 8 + 36 * len(entries(m))
        sent += entries(m)
    ports = {f["local"] for f in flows}
    ours = [e for e in sent if e["ipvs.proto"] == "0x06"
            and int(e["ipvs.cport"]) in ports]
    assert ours, sent[:4]
    for e in ours:
        assert e["ipvs.caddr"] == CLIENT_IP and e["ipvs.vaddr"] == VIP
        assert int(e["ipvs.vport"]) == FNAT and int(e["ipvs.dport"]) == 9000
        assert e["ipvs.daddr"] in (RS1_IP, RS2_IP)
        assert e["ipvs.timeout"] != "0"
    # each connection entry has its extension (kind 0 in the top byte
    # of the flags) right after it: the local address and port
    for a, b in zip(sent, sent[1:]):
        if a["ipvs.proto"] != "0x06":
            continue
        assert b["ipvs.proto"] == "0xfd", (a, b)
        assert int(b["ipvs.flags.v1"], 16) >> 24 == 0
        assert b["ipvs.caddr"] == LIP and int(b["ipvs.cport"]) >= 1024


def test_backup_holds_the_masters_flows(pair):
    c = Client(pair.lab, {"tcp": [[VIP, FNAT, 10], [VIP, NAT, 5],
                                  [VIP, DR, 5]],
                          "udp": [[VIP, UDP, 5]], "duration": 3})
    master = live_when(pair, "lb", c, 25)
    assert len(master) == 25, master
    assert wait_for(lambda: master <= held(pair, "lb2"), 5), \
        (master - held(pair, "lb2"))
    synced = {key(x) for x in pair.conns("lb2", synced=True)}
    assert master <= synced
    fnat = [k for k in master if k[1] == f"{VIP}:{FNAT}"]
    assert all(k[3].startswith(f"{LIP}:") for k in fnat)
    assert_all_kept(c.report(), 2.5)
    st = pair.stats("lb2")["backup"]
    assert st["installed"] >= 25 and st["dropped"] == 0, st
    assert st["peer_workers"] == 1 and st["dump_complete"] is True
    assert 0 <= st["lag_ms"]["avg"] < 1000 and st["lag_ms"]["samples"] > 0
    m = pair.stats("lb")["master"]
    assert m["records"] >= 25 and m["records_lost"] == 0, m
    assert m["messages"] > 0 and m["send_errors"] == 0, m
    out = subprocess.run([str(DPLBCTL), "-S", pair.d["lb2"].socket, "conn",
                          "show", "--synced"], capture_output=True,
                         text=True, timeout=10)
    assert out.returncode == 0, out
    rows = out.stdout.splitlines()[2:]
    assert len(rows) >= 25 and all(r.endswith("  synced") for r in rows)


class Loss:
    """Drop pct % of what node sends to the sync port: tc netem on its
    twin, or where the kernel has no netem (some VM kernels) an nftables
    rule with a random number, as netem would, on the way out."""

    NFT = """table inet dplb_sync_loss {
	chain out {
		type filter hook output priority 0;
		udp dport 8848 %s counter drop
	}
}
"""

    def __init__(self, lab, node):
        self.lab, self.node, self.how = lab, node, None
        self.before = 0

    def set(self, pct):
        if self.how is None:
            r = self.lab.run(self.node, "tc", "qdisc", "add", "dev", "dp0",
                             "root", "netem", "loss", f"{pct}%")
            self.how = "netem" if r.returncode == 0 else "nft"
        elif self.how == "netem":
            self.lab.run(self.node, "tc", "qdisc", "change", "dev", "dp0",
                         "root", "netem", "loss", f"{pct}%", check=True)
        if self.how == "nft":
            self.before = self.dropped()
            self.lab.run(self.node, "nft", "delete", "table", "inet",
                         "dplb_sync_loss")
            rule = ("" if pct >= 100 else
                    f"numgen random mod 100 < {pct}")
            r = subprocess.run(self.lab.in_ns(self.node,
                                "nft", "-f", "-"), input=self.NFT % rule,
                               text=True, capture_output=True, timeout=30)
            assert r.returncode == 0, f"no netem, and nftables: {r.stderr}"

    def dropped(self):
        if self.how == "netem":
            out = self.lab.run(self.node, "tc", "-s", "qdisc", "show", "dev",
                               "dp0").stdout
        else:
            out = self.lab.run(self.node, "nft", "list", "table", "inet",
                               "dplb_sync_loss").stdout
        m = re.search(r"(?:dropped|packets) (\d+)", out)
        return self.before + (int(m.group(1)) if m else 0)

    def close(self):
        if self.how == "netem":
            self.lab.run(self.node, "tc", "qdisc", "del", "dev", "dp0",
                         "root")
        elif self.how == "nft":
            self.lab.run(self.node, "nft", "delete", "table", "inet",
                         "dplb_sync_loss")


def test_loss_repaired_by_refresh(pair):
    """The flows start while every sync message is lost, then 30 % are:
    within a few refresh periods (2 s: sync_refresh_period with
    sync_period 0) the backup holds every live connection."""
    lab = pair.lab
    pair.role("lb", "master", sync_period=0, sync_refresh_period=2)
    loss = Loss(lab, "lb")
    try:
        loss.set(100)
        c = Client(lab, {"tcp": [[VIP, FNAT, 30], [VIP, NAT, 10]],
                         "udp": [[VIP, UDP, 10]], "duration": 30})
        time.sleep(2)
        master = live(pair, "lb", c)
        assert len(master) == 50
        assert not master & held(pair, "lb2")   # nothing got through
        lost = loss.dropped()
        assert lost > 0, loss.how
        loss.set(30)
        t0 = time.monotonic()
        got = wait_for(lambda: master <= held(pair, "lb2"), 24)
        missing = master - held(pair, "lb2")
        assert got, (f"{len(missing)} missing", pair.stats("lb"))
        print(f"{loss.how}: the backup held all 50 flows "
              f"{time.monotonic() - t0:.1f} s after the loss fell to 30 %, "
              f"{loss.dropped() - lost} more messages lost meanwhile")
        assert_all_kept(c.report(), 25)
    finally:
        loss.close()
        pair.role("lb", "master", sync_period=50, sync_refresh_period=0)


def test_failover_keeps_every_flow(pair):
    """kill -9 of the master's dplbd once the addresses moved: 50 of 50
    full-NAT flows, and the NAT, DR and UDP ones, go on."""
    c = Client(pair.lab, {"tcp": [[VIP, FNAT, 50], [VIP, NAT, 10],
                                  [VIP, DR, 10]],
                          "udp": [[VIP, UDP, 10]], "duration": 14})
    master = live_when(pair, "lb", c, 80)
    assert len(master) == 80
    assert wait_for(lambda: master <= held(pair, "lb2"), 10), \
        master - held(pair, "lb2")
    pair.check_servers("lb2")
    t_fail = c.since()
    pair.release("lb")
    pair.take("lb2")
    pair.role("lb2", "master")
    pair.kill9("lb")
    flows = c.report()
    assert len(flows) == 80
    drops = {k: v for k, v in pair.call("lb2", "drop.list").items() if v}
    print(f"lb2 drops after the failover: {drops}")
    assert_all_kept(flows, t_fail + 3, "kill -9 of the master's dplbd")
    # lb2 forwarded them on the entries it had from lb
    assert master <= held(pair, "lb2")
    # and its new connections do not reuse lb's recent tuples
    check_new_master_follows(pair, master, {"tcp": [[VIP, FNAT, 8]],
                                            "duration": 2})


def test_backup_restart_gets_full_dump_then_failback(pair):
    """The old master comes back as a fresh backup: the master (lb2)
    reports its flows only every 1000 packets, so only a full dump can
    give them to lb; then failback to lb keeps them all, and lb2, now
    backup, keeps its entries."""
    pair.role("lb2", "master", sync_period=1000)
    c = Client(pair.lab, {"tcp": [[VIP, FNAT, 30], [VIP, NAT, 5],
                                  [VIP, DR, 5]],
                          "udp": [[VIP, UDP, 5]], "duration": 16})
    master = live_when(pair, "lb2", c, 45)
    assert len(master) == 45
    t0 = time.monotonic()
    pair.start_dplbd("lb")
    pair.role("lb", "backup")
    assert wait_for(lambda: master <= held(pair, "lb"), 8), \
        master - held(pair, "lb")
    full = time.monotonic() - t0
    st = pair.stats("lb")["backup"]
    assert st["dump_complete"] and st["dumps"] == 1, st
    assert pair.stats("lb2")["master"]["dumps"] >= 1
    print(f"full backup {full:.2f} s after the backup's start")
    pair.check_servers("lb")
    # failback
    t_back = c.since()
    pair.release("lb2")
    pair.take("lb")
    pair.role("lb", "master")
    pair.role("lb2", "backup")
    flows = c.report()
    assert_all_kept(flows, t_back + 3, "failback")
    # the role switch lost nothing on lb2
    assert master <= held(pair, "lb2")
    pair.role("lb2", "backup", sync_period=50)
