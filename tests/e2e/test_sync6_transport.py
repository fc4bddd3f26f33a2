# SPDX-License-Identifier: GPL-2.0-or-later
"""The connection sync over IPv6 only: the HA lab's pair (test_sync6.py's
IPv6 full-NAT and NAT64 services) syncs on the IPv6 group ff02::81 on
its twins, as IPVS's `mcast_group` and keepalived's `lvs_sync_daemon ...
group ff02::81` set it, or to an IPv6 unicast peer (dplb's `peer`); an
nftables rule in both lb namespaces drops (and counts) any sync datagram
over IPv4, so that nothing could have gone that way.

- the messages leave from the twin's link-local address to ff02::81 and
  decode with tshark's "ipvs" dissector (IPVS's v1 format, unchanged);
- with unicast IPv6 peers (the twins' 2001:2::1 and 2001:2::3) the
  backup gets a full dump and every live flow;
- kill -9 of the master's dplbd after the addresses moved: every IPv6
  full-NAT and NAT64 flow survives; no sync datagram went over IPv4.
"""

import ipaddress
import re
import subprocess

import pytest

from labtest import wait_for
from synctest import Client, capture_sync, entries, held, live_when, sync_lab
from test_sync6 import FNAT6, NAT64, TWIN6, VIP6, Pair6, check_failover, \
    flows, start_servers6

GROUP6 = "ff02::81"
NODES = ("lb", "lb2")
# IPv4 sync datagrams, counted and dropped on the way out
NFT = """table inet dplb_sync4 {
	chain out {
		type filter hook output priority 0;
		meta nfproto ipv4 udp dport 8848 counter drop
	}
}
"""


class Pair6Over6(Pair6):
    """Test_sync6's pair, its sync sockets on the IPv6 group."""

    transport = {"ifname": "dp0", "mcast_group": GROUP6}


def start_servers(lab, pair):
    for node in NODES:
        r = subprocess.run(lab.in_ns(node, "nft", "-f",
                            "-"), input=NFT, text=True, capture_output=True,
                           timeout=30)
        assert r.returncode == 0, r.stderr
    return start_servers6(lab, pair)


@pytest.fixture(scope="module")
def pair():
    with sync_lab("s6t", Pair6Over6, start_servers) as p:
        yield p


def ipv4_sync_datagrams(lab, node):
    out = lab.run(node, "nft", "list", "table", "inet", "dplb_sync4",
                  check=True).stdout
    return int(re.search(r"counter packets (\d+)", out).group(1))


def test_sync_over_ipv6_group_decodes_with_tshark(pair):
    """The backup's twin sees IPv6 datagrams from the master's twin's
    link-local address to ff02::81, port 8848, hop limit 1, each a
    well-formed IPVS v1 message with the flows' IPv6 entries."""
    for node in NODES:
        (r,) = pair.call(node, "sync.list")
        assert r["mcast_group"] == GROUP6, r
        k = r["socket"]
        assert k["up"] and (k["addr"], k["ttl"], k["maxlen"]) == \
            (GROUP6, 1, 1452), k
    packets, _ = capture_sync(pair.lab, "lb2", lambda: Client(
        pair.lab, {"tcp": [[VIP6, FNAT6, 3], [VIP6, NAT64, 3]],
                   "duration": 2}).report(), name="sync-over6")
    sent = []
    for layers in packets:
        ip6 = layers["ipv6"]
        assert ip6["ipv6.dst"] == GROUP6, ip6
        assert ipaddress.ip_address(ip6["ipv6.src"]).is_link_local, ip6
        assert ip6["ipv6.hlim"] == "1", ip6
        assert "ip" not in layers
        sent += entries(layers["ipvs"])
    ports = {int(e["ipvs.vport"]) for e in sent
             if e["ipvs.type"] == "1" and e["ipvs.proto"] == "0x06"}
    assert ports == {FNAT6, NAT64}, ports
    assert ipv4_sync_datagrams(pair.lab, "lb") == 0


def test_sync_to_an_ipv6_unicast_peer(pair):
    """Each node's peer is the other's twin address (2001:2::1,
    2001:2::3): the backup asks for and gets a full dump, then holds
    every live flow of the master; the datagrams are unicast IPv6."""
    peers = {"lb": TWIN6["lb2"][0], "lb2": TWIN6["lb"][0]}
    try:
        for node, state in (("lb2", "backup"), ("lb", "master")):
            pair.transport = {"peer": peers[node], "ifname": "dp0"}
            pair.role(node, state)
        assert wait_for(lambda: pair.backup("lb2")["dump_complete"], 10), \
            pair.stats("lb2")["backup"]
        packets, c = capture_sync(pair.lab, "lb2",
                                  lambda: flows(pair.lab, 10, 10, 5),
                                  name="sync-peer6")
        for layers in packets:
            assert layers["ipv6"]["ipv6.dst"] in (peers["lb"],
                                                  peers["lb2"]), layers
        master = live_when(pair, "lb", c, 20)
        assert len(master) == 20, master
        assert wait_for(lambda: master <= held(pair, "lb2"), 5), \
            master - held(pair, "lb2")
        st = pair.backup("lb2")
        assert st["dropped"] == 0 and st["drops"]["wrong_peer"] == 0, st
        c.report()
    finally:
        del pair.transport     # the class's: the group
        pair.role("lb2", "backup")
        pair.role("lb", "master")
    assert wait_for(lambda: pair.backup("lb2")["dump_complete"], 10)


def test_failover_over_ipv6_sync(pair):
    """kill -9 of the master's dplbd once the addresses moved: every
    IPv6 full-NAT and NAT64 flow, synced over IPv6, goes on; nothing
    was sent over IPv4."""
    assert ipv4_sync_datagrams(pair.lab, "lb") == 0
    check_failover(pair)
    assert ipv4_sync_datagrams(pair.lab, "lb2") == 0
    st = pair.backup("lb2")
    assert st["dropped"] == 0, st
