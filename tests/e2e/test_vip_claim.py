# SPDX-License-Identifier: GPL-2.0-or-later
"""An HA peer's announcement ends an orphaned VIP's grace period
(ha/vip.h, ha_vip_claimed()): a VIP leased by an owner whose control
connection closed is withdrawn as soon as another node announces the
address on the port (a gratuitous ARP as a request or a reply, an
unsolicited Neighbor Advertisement), long before its grace period ends.
A held VIP stays and counts the conflict, and goes with its holder's
connection without a grace period while the conflict is fresh; dplbd's
own MAC is no claim; none of these frames becomes a neighbour entry.

The frames are sent by scapy from the client's namespace onto the link
of dplbd's dp0 (net_af_packet), as the peer appliance's dplbd would
send them after its keepalived took over."""

import time

import pytest

from labtest import wait_for

GRACE_MS = 30000        # the test must not wait for it
LAB_CONF_EXTRA = f"ha = {{ lease_grace_ms = {GRACE_MS}; }};"
VIP = "198.18.0.200"
VIP6 = "2001:2::200"
PEER_MAC = "02:00:5e:00:01:99"   # the peer appliance's port

SEND = r"""
import sys
from scapy.all import (ARP, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, IPv6, Ether,
                       sendp)
kind, addr, mac = sys.argv[1:4]
if kind == "na":
    f = (Ether(src=mac, dst="33:33:00:00:00:01") /
         IPv6(src="fe80::5eff:fe00:199", dst="ff02::1", hlim=255) /
         ICMPv6ND_NA(tgt=addr, R=0, S=0, O=1) /
         ICMPv6NDOptDstLLAddr(lladdr=mac))
else:
    op = 1 if kind == "garp-request" else 2
    f = (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") /
         ARP(op=op, hwsrc=mac, psrc=addr, hwdst="ff:ff:ff:ff:ff:ff",
             pdst=addr))
sendp(f, iface="c0", verbose=False)
"""


def announce(lab, kind, addr, mac=PEER_MAC):
    r = lab.run("c", "/usr/bin/python3", "-c", SEND, kind, addr, mac)
    assert r.returncode == 0, r.stderr


def vip_row(lab, addr):
    rows = [v for v in lab.call("vip.list") if v["addr"] == addr]
    return rows[0] if rows else None


def orphan(lab, addr):
    """addr as a VIP of owner VI_1 on dp0 whose connection closed."""
    c = lab.dplbd.connect()
    assert c.result("vip.add", {"addr": addr, "dev": "dp0",
                                "owner": "VI_1"}) == {}
    c.close()
    assert wait_for(lambda: vip_row(lab, addr)["state"] == "orphaned", 5)


def no_neighbour(lab, addr):
    return all(n["ip"] != addr for n in lab.neighbours())


@pytest.mark.parametrize("kind,addr", [("garp-request", VIP),
                                       ("garp-reply", VIP), ("na", VIP6)])
def test_orphaned_vip_goes_when_another_node_announces_it(lab, kind, addr):
    orphan(lab, addr)
    plen = 32 if ":" not in addr else 128
    assert {"dev": "dp0", "addr": f"{addr}/{plen}"} in lab.call("addr.list")
    t0 = time.monotonic()
    announce(lab, kind, addr)
    assert wait_for(lambda: vip_row(lab, addr) is None, 5, 0.02), \
        vip_row(lab, addr)
    took = time.monotonic() - t0
    assert took < GRACE_MS / 1000 / 2, took
    assert {"dev": "dp0", "addr": f"{addr}/{plen}"} \
        not in lab.call("addr.list")
    assert (f"VIP {addr} withdrawn from dp0 within its grace period: "
            f"{PEER_MAC} announced it") in lab.dplbd_output()
    assert no_neighbour(lab, addr)
    print(f"\n{kind}: orphaned {addr} withdrawn {took * 1000:.0f} ms after "
          f"the peer's announcement (grace {GRACE_MS} ms)")


@pytest.mark.parametrize("kind,addr", [("garp-request", VIP), ("na", VIP6)])
def test_held_vip_stays_and_counts_the_conflict(lab, kind, addr):
    c = lab.dplbd.connect()
    try:
        assert c.result("vip.add", {"addr": addr, "dev": "dp0",
                                    "owner": "VI_1"}) == {}
        assert vip_row(lab, addr)["conflicts"] == 0
        announce(lab, kind, addr)
        assert wait_for(lambda: vip_row(lab, addr)["conflicts"] >= 1, 5), \
            vip_row(lab, addr)
        v = vip_row(lab, addr)
        assert v["state"] == "held" and v["conflict_mac"] == PEER_MAC, v
        assert (f"VIP {addr} on dp0 (held) is announced by {PEER_MAC} too"
                in lab.dplbd_output())
        assert no_neighbour(lab, addr)
        show = lab.ctl_cli("vip", "show")
        assert f"held (also at {PEER_MAC})" in show.stdout, show
        # the warning is not repeated for every frame
        announce(lab, kind, addr)
        assert wait_for(lambda: vip_row(lab, addr)["conflicts"] >= 2, 5)
        assert lab.dplbd_output().count(f"VIP {addr} on dp0 (held)") == 1
    finally:
        c.close()
    # its holder gone moments after another node announced it: the
    # peer holds it, so no grace period
    assert wait_for(lambda: vip_row(lab, addr) is None, 5, 0.02)
    assert (f"VIP {addr} withdrawn: its owner, control client"
            in lab.dplbd_output())
    assert "and another node announced it lately" in lab.dplbd_output()


@pytest.mark.parametrize("kind,addr", [("garp-request", VIP), ("na", VIP6)])
def test_own_mac_is_no_claim(lab, kind, addr):
    """dplbd's own announcements (its port's MAC) leave an orphaned
    lease to its grace period.  The peer's frame, sent after on the same
    link and queue, is read after it and withdraws the VIP: the log
    names the peer's MAC, not dplbd's."""
    orphan(lab, addr)
    own = lab.ports()["dp0"]["mac"]
    announce(lab, kind, addr, own)
    announce(lab, kind, addr)
    assert wait_for(lambda: vip_row(lab, addr) is None, 5, 0.02)
    out = lab.dplbd_output()
    assert f"{PEER_MAC} announced it" in out
    assert f"{own} announced it" not in out
    assert f"announced by {own}" not in out
