# SPDX-License-Identifier: GPL-2.0-or-later
"""An HA pair: two lb namespaces (lab.sh up-ha), each with dplbd and the
patched keepalived, VRRP between their twins dp0 on the client segment.
The VIP lives in the MASTER's dplbd as a lease of its keepalived; kill -9
of that keepalived withdraws it and the BACKUP serves it within 4 s; a
graceful stop moves it in under 1 s; the master's return takes it back
(preemption); lvs_sync_daemon reaches dplbd; a dplbd restart under a
MASTER gets its services and VIP back."""

import itertools
import os
import signal
import time

import pytest

from katest import KEEPALIVED, Keepalived
from labtest import REPO, Lab, wait_for

VIP = "198.18.0.100"
ADVERT = 0.5          # VRRPv3 centiseconds: master down after ~3.5 adverts
PEERS = {"lb": dict(prio=150, lip="198.18.1.100", src="198.18.0.1"),
         "lb2": dict(prio=100, lip="198.18.1.101", src="198.18.0.3")}

pytestmark = pytest.mark.skipif(not KEEPALIVED.exists(),
                                reason="make keepalived first")

_seq = itertools.count()


def ka_conf(node, sock):
    """The sample pair of config/ (docs/keepalived.md), on this lab's
    dplbd sockets."""
    role = "master" if node == "lb" else "backup"
    text = (REPO / "config" / f"keepalived-{role}.conf").read_text()
    assert "dplbd_socket /run/dplb/dplbd.sock" in text
    assert f"advert_int {ADVERT}" in text
    me = PEERS[node]
    assert f"{me['lip']} dp1" in text and f"priority {me['prio']}" in text
    return text.replace("dplbd_socket /run/dplb/dplbd.sock",
                        f"dplbd_socket {sock}")


class Pair:
    def __init__(self, lab):
        self.lab = lab
        self.d = {}
        self.ka = {}

    def start_dplbd(self, node):
        from dplbd import Dplbd  # tests/pylib

        out = self.lab.sh("config-ha", node).stdout.strip().splitlines()[-1]
        with open(out) as f:
            d = Dplbd(f.read(), netns=self.lab.ns(node))
        d.start()
        self.d[node] = d
        pid = d.pid
        with open(f"/proc/{pid}/stat") as f:
            st = f.read().rsplit(")", 1)[1].split()[19]
        name = "dplbd" if node == "lb" else "dplbd-lb2"
        with open(f"{self.lab.state}/pids/{name}.pid", "w") as f:
            f.write(f"{pid} {st} {node} dplbd (tests/e2e)\n")
        return d

    def stop_dplbd(self, node):
        d = self.d.pop(node, None)
        if d is not None:
            d.stop()

    def call(self, node, method, params=None):
        return self.d[node].ctl.result(method, params)

    def vips(self, node):
        try:
            return [v["addr"] for v in self.call(node, "vip.list")]
        except Exception:
            return None

    def holder(self):
        """The node whose dplbd holds the VIP, "both", or None."""
        have = [n for n in ("lb", "lb2") if VIP in (self.vips(n) or [])]
        return None if not have else have[0] if len(have) == 1 else "both"

    def conns(self, node):
        try:
            st = self.call(node, "stats.show", {"proto": "tcp", "vip": VIP,
                                                "port": 80})
            return st[0]["stats"]["conns"]
        except Exception:
            return 0

    def curl_ok(self):
        r = self.lab.run("c", "curl", "-s", "-m", "0.5", f"http://{VIP}/",
                         timeout=5)
        return r.returncode == 0 and r.stdout.strip() in ("rs1", "rs2")

    def served_by(self, node, timeout):
        """Seconds until a curl through the VIP succeeds through node's
        dplbd (None if not within timeout)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            before = self.conns(node)
            if self.curl_ok() and self.conns(node) > before:
                return time.monotonic() - t0
            time.sleep(0.05)
        return None


@pytest.fixture(scope="module")
def pair():
    prefix = f"ha{os.getpid() % 100000}x{next(_seq)}"
    lab = Lab(prefix)
    p = Pair(lab)
    try:
        lab.sh("down")
        lab.sh("up-ha")
        lab.sh("start-servers")
        for node in ("lb", "lb2"):
            p.start_dplbd(node)
        for node in ("lb", "lb2"):
            sock = p.d[node].socket
            p.ka[node] = Keepalived(lab, f"ka-{node}", node,
                                    ka_conf(node, sock)).start()
        assert wait_for(lambda: p.holder() == "lb", 15), \
            (p.ka["lb"].text()[-2000:], p.ka["lb2"].text()[-2000:])
        yield p
    finally:
        for node in list(p.d):
            try:
                p.stop_dplbd(node)
            except Exception:
                pass
        lab.sh("down", check=False)


def wait_master_again(p):
    assert wait_for(lambda: p.holder() == "lb", 15), \
        (p.ka["lb"].text()[-2000:], p.ka["lb2"].text()[-2000:])
    assert p.served_by("lb", 5) is not None


def test_master_holds_vip_and_serves(pair):
    p = pair
    v = p.call("lb", "vip.list")
    assert [(x["addr"], x["dev"], x["lease"]) for x in v] == [(VIP, "dp0", True)]
    assert p.vips("lb2") == []
    # both have the services (the checker runs on both)
    for node in ("lb", "lb2"):
        assert wait_for(lambda: len(p.call(node, "dest.list", {
            "proto": "tcp", "vip": VIP, "port": 80})) == 2, 10)
    assert p.served_by("lb", 5) is not None


def test_sync_daemon_roles(pair):
    p = pair
    assert wait_for(lambda: [s["state"] for s in p.call("lb", "sync.list")]
                    == ["master"], 5), p.call("lb", "sync.list")
    assert wait_for(lambda: [s["state"] for s in p.call("lb2", "sync.list")]
                    == ["backup"], 5), p.call("lb2", "sync.list")
    s = p.call("lb", "sync.list")[0]
    assert s["ifname"] == "dp0" and s["syncid"] == 7


def test_kill9_master_backup_serves_within_4s(pair):
    p = pair
    t0 = time.monotonic()
    p.ka["lb"].kill9()
    # the lease goes with the dead keepalived's connection
    assert wait_for(lambda: p.vips("lb") == [], 2, 0.02)
    t_withdrawn = time.monotonic() - t0
    t_served = p.served_by("lb2", 6)
    assert t_served is not None, p.ka["lb2"].text()[-2000:]
    t_served += t_withdrawn
    assert p.holder() == "lb2"
    assert t_served <= 4.0, t_served
    # the client's next requests succeed
    assert all(p.curl_ok() for _ in range(5))
    print(f"\nkill -9: VIP left the old master in {t_withdrawn:.2f} s, "
          f"served by the backup {t_served:.2f} s after the kill")
    # the master comes back and, preempting, takes the VIP back
    p.ka["lb"].start()
    t0 = time.monotonic()
    wait_master_again(p)
    print(f"preemption: VIP back on the master {time.monotonic() - t0:.2f} s "
          f"after its keepalived started")
    assert p.vips("lb2") == []


def test_graceful_stop_moves_vip_under_1s(pair):
    p = pair
    t0 = time.monotonic()
    os.kill(p.ka["lb"].pids()["keepalived"], signal.SIGTERM)  # as systemd
    t_served = p.served_by("lb2", 3)
    assert t_served is not None, p.ka["lb2"].text()[-2000:]
    assert p.vips("lb") == []
    # from the signal: the old master's VRRP sends priority 0 and deletes
    # its VIPs, the backup takes over at once
    assert t_served < 1.0, t_served
    assert wait_for(lambda: not p.ka["lb"].alive(), 10)
    t_exit = time.monotonic() - t0
    p.ka["lb"].stop()  # forget its pid
    print(f"\ngraceful stop: served by the backup {t_served:.2f} s after "
          f"SIGTERM (keepalived exited after {t_exit:.2f} s)")
    p.ka["lb"].start()
    wait_master_again(p)


def test_dplbd_restart_under_master(pair):
    p = pair
    t0 = time.monotonic()
    p.stop_dplbd("lb")
    # while lb's dplbd is away, the backup takes over (lb's twin is gone)
    assert wait_for(lambda: p.holder() == "lb2", 10), p.ka["lb"].text()[-2000:]
    p.start_dplbd("lb")
    # keepalived notices the new boot id and pushes services, LIPs and
    # (as MASTER again) the VIP
    ok = wait_for(lambda: p.holder() == "lb" and len(p.call(
        "lb", "dest.list", {"proto": "tcp", "vip": VIP, "port": 80})) == 2, 20)
    assert ok, (p.holder(), p.call("lb", "dest.list", {
        "proto": "tcp", "vip": VIP, "port": 80}), p.ka["lb"].text()[-3000:],
        p.ka["lb2"].text()[-1500:])
    assert p.call("lb", "laddr.list", {"group": "lg1"})[0]["addresses"] == \
        [PEERS["lb"]["lip"]]
    assert p.ka["lb"].alive()
    assert p.served_by("lb", 5) is not None
    print(f"\ndplbd restart: master serving again {time.monotonic() - t0:.1f} s "
          f"after the stop began")
