# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers of the HA pair's end-to-end tests: two lb namespaces (lab.sh
up-ha), each with dplbd and the patched keepalived; the sample pair of
config/ (docs/keepalived.md) on the lab's sockets; who holds the VIP; a
sampler that records the VIP's holder every few milliseconds (double
ownership, gaps); the capability that says dplbd keeps flows across a
failover."""

import os
import signal
import socket
import subprocess
import threading
import time

from katest import Keepalived
from labtest import REPO, Lab, wait_for

VIP = "198.18.0.100"
LIP = "198.18.1.100"      # full-NAT local address: moves with VI_1
ADVERT = 0.5              # VRRPv3: master down after ~3.5 adverts
PEERS = {"lb": dict(prio=150, src="198.18.0.1", dp1="198.18.1.1"),
         "lb2": dict(prio=100, src="198.18.0.3", dp1="198.18.1.3")}
NODES = ("lb", "lb2")

# The capability in hello's list that says dplbd copies connections to
# its peer (issue 11, item 1), so that established flows survive a
# failover.  Today's "sync" only records lvs_sync_daemon's roles, so the
# flow-survival assertions wait for this one: when connection sync
# lands, dplbd advertises it (or this names what it advertises).
CONN_SYNC_CAP = os.environ.get("DPLB_CONN_SYNC_CAP", "conn-sync")

# After kill -9 of the master's keepalived, dplbd keeps its addresses
# for the lease's grace period, ended early by the backup's gratuitous
# ARPs (ha_vip_claimed()) when the backup's VRRP fires first: a master
# starved of CPU advertised last well before the kill.  Then both hold
# an address for one announcement's way through the lab and the main
# lcore's poll; what a HolderLog sees of that is a sample or two.
CLAIM_OVERLAP_MAX = 0.3
CLAIM_LOG = "within its grace period: {mac} announced it"


def withdrawn_by_claim(pair, node, by, since=0):
    """Whether node's dplbd withdrew an orphaned address because by's
    dplbd announced it (its dp0's or dp1's MAC), rather than at the end
    of the grace period, after the first since characters of its log."""
    log = pair.dplbd_log(node)[since:]
    return any(CLAIM_LOG.format(mac=pair.lab.mac(by, dev)) in log
               for dev in ("dp0", "dp1"))


def ka_conf(node, sock, extra_vips=(), extra=""):
    """The sample pair of config/ on this lab's dplbd socket; extra_vips
    go into VI_1's virtual_ipaddress, extra is appended."""
    role = "master" if node == "lb" else "backup"
    text = (REPO / "config" / f"keepalived-{role}.conf").read_text()
    assert "dplbd_socket /run/dplb/dplbd.sock" in text
    assert f"advert_int {ADVERT}" in text
    assert f"priority {PEERS[node]['prio']}" in text
    assert f"{LIP}/32 dev dp1" in text
    text = text.replace("dplbd_socket /run/dplb/dplbd.sock",
                        f"dplbd_socket {sock}")
    for v in extra_vips:
        text = text.replace(f"        {LIP}/32 dev dp1\n",
                            f"        {LIP}/32 dev dp1\n        {v}\n")
    return text + extra


def record_pid(lab, name, node, pid, what=None):
    """Let `lab.sh down` kill pid too, should the test die."""
    with open(f"/proc/{pid}/stat") as f:
        st = f.read().rsplit(")", 1)[1].split()[19]
    with open(f"{lab.state}/pids/{name}.pid", "w") as f:
        f.write(f"{pid} {st} {node} {what or name} (tests/e2e)\n")


def start_node_dplbd(lab, node):
    """node's dplbd on the HA lab's config (lab.sh config-ha), started,
    its pid recorded."""
    from dplbd import Dplbd  # tests/pylib

    out = lab.sh("config-ha", node).stdout.strip().splitlines()[-1]
    with open(out) as f:
        d = Dplbd(f.read(), netns=lab.ns(node))
    d.start()
    record_pid(lab, "dplbd" if node == "lb" else "dplbd-lb2", node, d.pid,
               "dplbd")
    return d


class Pair:
    def __init__(self, lab):
        self.lab = lab
        self.d = {}
        self.ka = {}
        self.logs = {n: "" for n in NODES}   # dplbd output of past runs

    # -- dplbd
    def start_dplbd(self, node):
        d = self.d[node] = start_node_dplbd(self.lab, node)
        return d

    def stop_dplbd(self, node):
        d = self.d.pop(node, None)
        if d is not None:
            d.stop()
            self.logs[node] += d.stderr

    def kill9_dplbd(self, node):
        d = self.d.pop(node)
        os.kill(d.pid, signal.SIGKILL)
        d.proc.wait()
        d.stop()
        self.logs[node] += d.stderr

    def dplbd_log(self, node):
        d = self.d.get(node)
        return self.logs[node] + (d.stderr if d is not None else "")

    def call(self, node, method, params=None):
        return self.d[node].ctl.result(method, params)

    def start_keepalived(self, node, text):
        self.ka[node] = Keepalived(self.lab, f"ka-{node}", node, text).start()
        return self.ka[node]

    # -- who holds what
    def vip_rows(self, node):
        try:
            return self.call(node, "vip.list")
        except Exception:
            return None

    def vips(self, node):
        rows = self.vip_rows(node)
        return None if rows is None else [v["addr"] for v in rows]

    def holder(self, addr=VIP):
        """The node whose dplbd holds addr, "both", or None."""
        have = [n for n in NODES if addr in (self.vips(n) or [])]
        return None if not have else have[0] if len(have) == 1 else "both"

    def dests(self, node, port=80, proto="tcp"):
        try:
            return self.call(node, "dest.list", {"proto": proto, "vip": VIP,
                                                 "port": port})
        except Exception:
            return []

    def conns(self, node):
        try:
            st = self.call(node, "stats.show", {"proto": "tcp", "vip": VIP,
                                                "port": 80})
            return st[0]["stats"]["conns"]
        except Exception:
            return 0

    def curl_ok(self, port=80, timeout=0.5):
        try:
            r = self.lab.run("c", "curl", "-s", "-m", str(timeout),
                             f"http://{VIP}:{port}/", timeout=10)
        except subprocess.TimeoutExpired:    # a busy machine
            return False
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

    def conn_rows(self, node, **params):
        """node's conn.list rows of the VIP with params' filters, every
        page."""
        rows, params = [], dict(params, vip=VIP)
        while True:
            r = self.call(node, "conn.list", params)
            rows += r["conns"]
            if r["cursor"] is None:
                return rows
            params["cursor"] = r["cursor"]

    def live_flows(self, node, synced=None):
        """(proto, client, dest, local) of node's ESTABLISHED TCP and UDP
        entries of the VIP (all pages); synced: only those from the
        peer."""
        out = set()
        for proto, state in (("tcp", "ESTABLISHED"), ("udp", "UDP")):
            params = {"proto": proto, "state": state}
            if synced is not None:
                params["synced"] = synced
            out |= {(proto, c["client"], c["dest"], c["local"])
                    for c in self.conn_rows(node, **params)}
        return out

    def wait_backup_holds(self, master, timeout=15):
        """Until the other node holds, synced, every flow that is live on
        master now and still live there: a sync lags its connections by
        a batch (more on a busy machine), and a flow opened just before a
        fault cannot be expected on the peer (IPVS's as well).  Nothing
        to wait for while the other node runs no backup role (its
        keepalived is down: it gets a full dump once it starts).  Returns
        how many were waited for."""
        backup = NODES[1 - NODES.index(master)]
        if "backup" not in [r["state"] for r in self.call(backup,
                                                          "sync.list")]:
            return 0    # not receiving yet: the fault itself starts it
        want = self.live_flows(master)

        def held():
            have = self.live_flows(backup, synced=True)
            return not (want - have) or \
                not (want - have) & self.live_flows(master)
        assert wait_for(held, timeout), (
            master, len(want), sorted(want - self.live_flows(backup, True))[:5],
            sorted(self.live_flows(backup, True) - want)[:5],
            self.call(backup, "sync.stats"), self.call(master, "sync.stats"))
        return len(want)

    def conn_sync(self):
        """Does the pair keep established flows across a failover?"""
        caps = [set(self.call(n, "hello")["capabilities"]) for n in self.d]
        return bool(caps) and all(CONN_SYNC_CAP in c for c in caps)


def build_pair(prefix, ka_text=ka_conf, holder_timeout=15):
    """The lab, both dplbd and both keepalived (ka_text(node, sock) gives
    each one's config); returns the Pair once the master holds the VIP.
    The caller tears it down with teardown_pair(pair)."""
    lab = Lab(prefix)
    p = Pair(lab)
    try:
        lab.sh("down", check=False)
        lab.sh("up-ha")
        lab.sh("start-servers")
        for node in NODES:
            p.start_dplbd(node)
        for node in NODES:
            p.start_keepalived(node, ka_text(node, p.d[node].socket))
        assert wait_for(lambda: p.holder() == "lb", holder_timeout), \
            (p.ka["lb"].text()[-2000:], p.ka["lb2"].text()[-2000:])
        return p
    except BaseException:
        teardown_pair(p)
        raise


def teardown_pair(p):
    for node in list(p.d):
        try:
            p.stop_dplbd(node)
        except Exception:
            pass
    p.lab.sh("down", check=False)


class HolderLog:
    """Samples who holds each address every interval seconds in a
    thread, over connections of its own: with .both() (samples where
    both dplbd held one) and .gaps(addr) (intervals where nobody did).
    A dplbd that is not there (stopped, restarting: its socket refuses)
    holds nothing; one that does not answer in time (a loaded machine)
    is unknown, and the sample is left out."""

    def __init__(self, pair, addrs=(VIP,), interval=0.02):
        self.pair, self.addrs, self.interval = pair, addrs, interval
        self.samples = []       # (t, {addr: holder})
        self._ctl = {}
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _vips(self, node):
        d = self.pair.d.get(node)
        c = self._ctl.get(node)
        try:
            if d is None:
                return []
            if c is None or c[0] is not d:
                if c is not None:
                    c[1].close()
                c = self._ctl[node] = (d, d.connect(timeout=2.0))
            return [v["addr"] for v in c[1].result("vip.list")]
        except Exception as e:
            if c is not None:
                c[1].close()
            self._ctl.pop(node, None)
            return None if isinstance(e, (socket.timeout, TimeoutError)) \
                else []

    def _sample(self):
        """One sample; False when a node did not answer in time."""
        rows = {n: self._vips(n) for n in NODES}
        if None in rows.values():
            return False        # unknown: no sample
        snap = {}
        for a in self.addrs:
            have = [n for n in NODES if a in (rows[n] or [])]
            snap[a] = (None if not have else have[0] if len(have) == 1
                       else "both")
        self.samples.append((time.monotonic(), snap))
        return True

    def _run(self):
        while not self._stop.is_set():
            if self._sample():
                self._stop.wait(self.interval)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        # the state the block ended in: the thread's last sample may be
        # older than what the block waited for (a busy machine)
        for _ in range(5):
            if self._sample():
                break
        for _, c in self._ctl.values():
            c.close()
        return False

    def both(self):
        return [(t, s) for t, s in self.samples if "both" in s.values()]

    def overlaps(self):
        """Durations (s) of the runs of samples where both dplbd held an
        address: from the first such sample to the next one without."""
        out, start = [], None
        for t, s in self.samples:
            if "both" in s.values() and start is None:
                start = t
            elif "both" not in s.values() and start is not None:
                out.append(t - start)
                start = None
        if start is not None:
            out.append(float("inf"))
        return out

    def holders(self, addr=VIP):
        """The sequence of distinct holders, in order."""
        out = []
        for _, s in self.samples:
            if not out or out[-1] != s[addr]:
                out.append(s[addr])
        return out

    def gaps(self, addr=VIP):
        """Durations (s) of the runs of samples where nobody held addr."""
        out, start = [], None
        for t, s in self.samples:
            if s[addr] is None and start is None:
                start = t
            elif s[addr] is not None and start is not None:
                out.append(t - start)
                start = None
        return out
