# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers of the end-to-end tests: the Lab object around tests/lab/lab.sh
(a lab with a prefix, commands in its namespaces, its dplbd through
tests/pylib's Dplbd and Ctl) and the lab's addresses.  The fixtures are in
conftest.py."""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
LAB_SH = REPO / "tests" / "lab" / "lab.sh"
DPLBD = REPO / "build" / "dplbd"
DPLBCTL = REPO / "build" / "dplbctl"
STATE_ROOT = "/run/dplb-lab"

sys.path.insert(0, str(REPO / "tests" / "pylib"))

CLIENT_IP = "198.18.0.2"
DP0_IP = "198.18.0.1"
DP1_IP = "198.18.1.1"
RS1_IP = "198.18.1.11"
RS2_IP = "198.18.1.12"
MGMT_PORT = 8080
DR_CLIENT_IP = "198.18.1.2"  # the client's leg on the servers' side

class Lab:
    def __init__(self, prefix, workers=1, pmd="af_packet", forward=True):
        self.prefix = prefix
        self.workers = workers
        self.pmd = pmd
        self.forward = forward
        self.state = f"{STATE_ROOT}/{prefix}"
        self.sock = f"{self.state}/dplbd.sock"
        self.dplbd = None
        self.env = dict(os.environ, LAB_PREFIX=prefix, WORKERS=str(workers),
                        DPDK_PMD=pmd,
                        IP_FORWARD="true" if forward else "false")

    # -- plumbing
    def ns(self, node):
        return f"{self.prefix}-{node}"

    def sh(self, *args, check=True, timeout=60):
        r = subprocess.run([str(LAB_SH), *args], env=self.env, text=True,
                           capture_output=True, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError(f"lab.sh {' '.join(args)} failed "
                               f"({r.returncode}):\n{r.stdout}{r.stderr}")
        return r

    def run(self, node, *cmd, timeout=30, check=False):
        """Run cmd in the node's namespace; CompletedProcess with text."""
        r = subprocess.run(["ip", "netns", "exec", self.ns(node), *cmd],
                           text=True, capture_output=True, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"{node}: {' '.join(cmd)} -> "
                                 f"{r.returncode}\n{r.stdout}{r.stderr}")
        return r

    def ping(self, node, dst, count=3, ttl=None, wait=2, interval=0.2):
        cmd = ["ping", "-n", "-c", str(count), "-i", str(interval),
               "-W", str(wait)]
        if ttl is not None:
            cmd += ["-t", str(ttl)]
        return self.run(node, *cmd, dst, timeout=count * (wait + 1) + 10)

    @staticmethod
    def received(ping_result):
        m = re.search(r"(\d+) received", ping_result.stdout)
        return int(m.group(1)) if m else 0

    def curl_counts(self, url, n, node="c"):
        """n sequential curls (each a new connection) from node; returns
        {body: count}, failures counted under "FAIL"."""
        script = f"""
for i in $(seq 1 {n}); do
  curl -sS --max-time 3 {url} 2>&1 || echo FAIL
done | sort | uniq -c
"""
        r = self.run(node, "bash", "-c", script, timeout=n * 3 + 30)
        counts = {}
        for line in r.stdout.splitlines():
            m = re.match(r"\s*(\d+) (.*)", line)
            if m:
                counts[m.group(2)] = int(m.group(1))
        return counts

    def curl(self, node, url, timeout=5):
        return self.run(node, "curl", "-sS", "--max-time", str(timeout), url,
                        timeout=timeout + 10)

    def mac(self, node, ifname):
        out = self.run(node, "ip", "-j", "link", "show", ifname,
                       check=True).stdout
        return json.loads(out)[0]["address"]

    # -- dplbd
    def config_text(self):
        out = f"{self.state}/dplbd.conf"
        self.sh("config", out)
        with open(out) as f:
            return f.read()

    def start_dplbd(self):
        from dplbd import Dplbd  # tests/pylib

        d = Dplbd(self.config_text(), netns=self.ns("lb"))
        d.start()
        self.dplbd = d
        self._record_pid(d)
        self.sh("start-mgmt")  # also waits for the twins' addresses
        return d

    def _record_pid(self, d):
        """Let `lab.sh down` kill dplbd too if this process dies."""
        pid = d.pid
        if not pid:
            return
        try:
            with open(f"/proc/{pid}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()[19]
        except OSError:
            return
        with open(f"{self.state}/pids/dplbd.pid", "w") as f:
            f.write(f"{pid} {st} lb dplbd (tests/e2e)\n")

    def stop_dplbd(self):
        if self.dplbd is not None:
            d, self.dplbd = self.dplbd, None
            try:
                d.stop()
            finally:
                try:
                    os.unlink(f"{self.state}/pids/dplbd.pid")
                except OSError:
                    pass

    def dplbd_output(self):
        d = self.dplbd
        return (d.stdout + d.stderr) if d is not None else ""

    def call(self, method, params=None):
        """The result of a control call (CtlError on an error reply)."""
        return self.dplbd.ctl.result(method, params)

    def ctl_cli(self, *args):
        return subprocess.run([str(DPLBCTL), "-S", self.sock, *args],
                              text=True, capture_output=True, timeout=10)

    # -- counters
    def drops(self):
        return self.call("drop.list")

    def ports(self):
        return {p["name"]: p for p in self.call("port.list")}

    def workers_stats(self):
        return [lc for lc in self.call("lcore.list")
                if lc.get("role") == "worker"]

    def lcore_total(self, key):
        return sum(lc.get(key, 0) for lc in self.call("lcore.list"))

    def neighbours(self):
        return self.call("neigh.list")

    def conns(self, max=4096, **filters):
        """Every connection matching conn.list's filters (all pages of
        up to max entries)."""
        out, cursor = [], None
        while True:
            params = dict(filters, max=max)
            if cursor is not None:
                params["cursor"] = cursor
            r = self.call("conn.list", params)
            out += r["conns"]
            cursor = r["cursor"]
            if cursor is None:
                return out

    def link_stats(self, node, ifname):
        """The kernel's counters of an interface in a node (rx_packets...)."""
        out = self.run(node, "ip", "-j", "-s", "link", "show", ifname,
                       check=True).stdout
        st = json.loads(out)[0]["stats64"]
        return {f"{d}_{k}": v for d in ("rx", "tx")
                for k, v in st[d].items()}

    def direct_return(self, vip):
        """`lab.sh direct-return VIP`: the DR/TUNNEL reply path that
        bypasses dplbd.  Returns its description, e.g. {"tunnel":
        "kernel"|"userspace"|"none", "tunnel_reason": ...}."""
        r = self.sh("direct-return", vip)
        return dict(line.split("=", 1) for line in r.stdout.splitlines()
                    if "=" in line and not line.startswith("["))

    def start_udp_echo(self, name, node, addr, port, text):
        """A UDP echo server; it answers "TEXT SRC_IP:SRC_PORT PAYLOAD"."""
        self.sh("start-udp-echo", name, node, addr, str(port), text)

    def udp_peers(self, name):
        """(src_ip, src_port, length) of every datagram the echo server
        NAME received."""
        with open(f"{self.state}/{name}/peers.log") as f:
            return [(a, int(p), int(n)) for a, p, n in
                    (line.split() for line in f if line.strip())]

    def up(self):
        self.sh("down")
        self.sh("up")
        self.sh("start-servers")
        self.sh("start-web", "client", "c", CLIENT_IP, "80", "client")


def wait_for(pred, timeout=5.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(interval)
