# SPDX-License-Identifier: GPL-2.0-or-later
"""An IPv6 VRRP failover of the HA pair (issue 15, item 5): beside the
sample pair's IPv4 instance VI_1, a VRRPv3 instance for IPv6 (keepalived
needs one per family), VI_6, with dataplane_interface dp0 moves the IPv6
VIP and the IPv6 full-NAT local address (dev dp1) in and out of dplbd as
leases of VI_6; an IPv6 full-NAT virtual server with IPv6 real servers
answers curl -6 through the master; kill -9 of the master's keepalived
withdraws them there after dplbd's grace period, the backup takes them,
and curl -6 to the IPv6 VIP is answered again, through the backup.
lvs_sync_daemon runs over the IPv6 group ff02::81 (`group ff02::81`,
keepalived patch 0013): both nodes' sync roles on that group, the
backup's full dump received over it."""

import itertools
import os
import time

import pytest

from hatest import NODES, build_pair, ka_conf, teardown_pair
from katest import KEEPALIVED
from labtest import RS1_IP6, RS2_IP6, wait_for

pytestmark = pytest.mark.skipif(not KEEPALIVED.exists(),
                                reason="make keepalived first")

VIP6 = "2001:2::100"
LIP6 = "2001:2:0:1::100"
V6_PORT = 8080
SRC6 = {"lb": ("2001:2::1", "2001:2::3", 150),
        "lb2": ("2001:2::3", "2001:2::1", 100)}
_seq = itertools.count()
SYNC = "lvs_sync_daemon dp0 VI_1 id 7"
GROUP6 = "ff02::81"


def ka_text6(node, sock):
    src, peer, prio = SRC6[node]
    state = "MASTER" if node == "lb" else "BACKUP"
    text = ka_conf(node, sock, extra=f"""
local_address_group lg6 {{
    {LIP6}
}}
vrrp_instance VI_6 {{
    state {state}
    interface dp0
    dataplane_interface dp0
    virtual_router_id 61
    priority {prio}
    advert_int 0.5
    unicast_src_ip {src}
    unicast_peer {{
        {peer}
    }}
    virtual_ipaddress {{
        {VIP6}/128
        {LIP6}/128 dev dp1
    }}
}}
virtual_server {VIP6} 80 {{
    delay_loop 1
    lb_algo rr
    lb_kind FNAT
    laddr_group_name lg6
    protocol TCP
    real_server {RS1_IP6} {V6_PORT} {{
        weight 1
        TCP_CHECK {{ connect_timeout 1 }}
    }}
    real_server {RS2_IP6} {V6_PORT} {{
        weight 1
        TCP_CHECK {{ connect_timeout 1 }}
    }}
}}
""")
    assert text.count(SYNC) == 1
    return text.replace(SYNC, f"{SYNC} group {GROUP6}")


@pytest.fixture(scope="module")
def pair6():
    p = build_pair(f"ha6{os.getpid() % 100000}x{next(_seq)}", ka_text6)
    try:
        for name, node, addr in (("rs1v6", "rs1", RS1_IP6),
                                 ("rs2v6", "rs2", RS2_IP6)):
            p.lab.start_web(name, node, f"[{addr}]", V6_PORT, name)
        yield p
    finally:
        teardown_pair(p)


def curl6(p, timeout=1):
    r = p.lab.run("c", "curl", "-s", "-6", "-m", str(timeout),
                  f"http://[{VIP6}]/", timeout=10)
    return r.stdout.strip() if r.returncode == 0 else None


def dests6(p, node):
    try:
        return p.call(node, "dest.list", {"proto": "tcp", "vip": VIP6,
                                          "port": 80})
    except Exception:   # not pushed yet
        return []


def holders(p, addr):
    return [n for n in NODES if addr in (p.vips(n) or [])]


def test_master_holds_ipv6_vip_and_lip_and_serves(pair6):
    p = pair6
    assert wait_for(lambda: holders(p, VIP6) == ["lb"] and
                    holders(p, LIP6) == ["lb"], 15), \
        (p.ka["lb"].text()[-2000:], p.ka["lb2"].text()[-2000:])
    rows = {x["addr"]: (x["dev"], x["owner"], x["state"])
            for x in p.call("lb", "vip.list")}
    assert rows[VIP6] == ("dp0", "VI_6", "held")
    assert rows[LIP6] == ("dp1", "VI_6", "held")
    assert f"{VIP6}/128" in [a["addr"] for a in p.call("lb", "addr.list")]
    for node in NODES:      # the checkers run on both
        assert wait_for(lambda: len(dests6(p, node)) == 2, 10)
    got = {curl6(p, 3) for _ in range(6)}
    assert got == {"rs1v6", "rs2v6"}, got


def test_sync_daemon_over_the_ipv6_group(pair6):
    """keepalived's lvs_sync_daemon with an IPv6 group: dplbd's roles on
    ff02::81 (sockets up), and the backup's full dump arrives over it."""
    p = pair6
    for node, state in (("lb", "master"), ("lb2", "backup")):
        assert wait_for(lambda: [s["state"] for s in
                                 p.call(node, "sync.list")] == [state], 10)
        (s,) = p.call(node, "sync.list")
        assert s["mcast_group"] == GROUP6 and s["ifname"] == "dp0", s
        assert s["socket"]["up"] and s["socket"]["addr"] == GROUP6, s
    assert wait_for(lambda: p.call("lb2", "sync.stats")["backup"]
                    ["dump_complete"], 10), p.call("lb2", "sync.stats")


def test_kill9_master_moves_ipv6_vip_to_backup(pair6):
    p = pair6
    assert wait_for(lambda: holders(p, VIP6) == ["lb"], 15)
    assert wait_for(lambda: curl6(p) is not None, 10)
    t0 = time.monotonic()
    p.ka["lb"].kill9()
    # the master's dplbd withdraws the leases after its grace period
    assert wait_for(lambda: VIP6 not in (p.vips("lb") or []) and
                    LIP6 not in (p.vips("lb") or []), 10), p.dplbd_log("lb")
    assert wait_for(lambda: holders(p, VIP6) == ["lb2"] and
                    holders(p, LIP6) == ["lb2"], 15), \
        p.ka["lb2"].text()[-3000:]
    rows = {x["addr"]: x["owner"] for x in p.call("lb2", "vip.list")}
    assert rows[VIP6] == rows[LIP6] == "VI_6"
    # curl -6 to the IPv6 VIP is answered, through the backup's dplbd
    assert wait_for(lambda: curl6(p) in ("rs1v6", "rs2v6"), 15), \
        (p.ka["lb2"].text()[-2000:], p.dplbd_log("lb2")[-2000:])
    took = time.monotonic() - t0
    st = p.call("lb2", "stats.show", {"proto": "tcp", "vip": VIP6,
                                      "port": 80})
    assert st[0]["stats"]["conns"] > 0, st
    print(f"\nIPv6 VIP answered through lb2 {took:.2f} s after kill -9 of "
          f"lb's keepalived")
