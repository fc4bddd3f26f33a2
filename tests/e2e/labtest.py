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
# IPv6 on every link (tests/lab/lib.sh)
CLIENT_IP6 = "2001:2::2"
DP0_IP6 = "2001:2::1"
DP1_IP6 = "2001:2:0:1::1"
RS1_IP6 = "2001:2:0:1::11"
RS2_IP6 = "2001:2:0:1::12"
DR_CLIENT_IP = "198.18.1.2"  # the client's leg on the servers' side

# The UDP echo services of Lab.udp_echo_services() (test_lb_udp,
# test_lb_frag): full NAT on UDP_FNAT_PORT through UDP_LIP, NAT on
# UDP_NAT_PORT, both to the echo servers of UDP_SERVERS on UDP_ECHO_PORT.
UDP_VIP = "198.18.0.100"
UDP_LIP = "198.18.1.100"
UDP_FNAT_PORT = 53
UDP_NAT_PORT = 9000
UDP_ECHO_PORT = 5300
UDP_SERVERS = (("rs1", RS1_IP), ("rs2", RS2_IP))


class CurlCounts(dict):
    """curl_counts()'s answer: {body: count}, with the failures' reasons
    (curl's messages) in reasons and in its repr, so that an assertion
    shows why without counting a failure twice."""

    reasons = ()

    def __repr__(self):
        base = dict.__repr__(self)
        return f"{base} (failures: {list(self.reasons)})" if self.reasons \
            else base


class Lab:
    def __init__(self, prefix, workers=1, pmd="af_packet", forward=True,
                 conf_extra=""):
        self.prefix = prefix
        self.workers = workers
        self.pmd = pmd
        self.forward = forward
        self.conf_extra = conf_extra  # appended to the generated config
        self.client_addrs = []        # add_client_addrs()
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

    def in_ns(self, node, *cmd):
        """The argv that runs cmd in the node's network namespace.
        nsenter, not "ip netns exec": that gives every process a mount
        namespace of its own, whose teardown at exit waits for an RCU
        grace period, and on a loaded machine a client that had printed
        its result took over 10 s to exit."""
        return ["nsenter", f"--net=/run/netns/{self.ns(node)}", *cmd]

    def run(self, node, *cmd, timeout=30, check=False):
        """Run cmd in the node's namespace; CompletedProcess with text."""
        r = subprocess.run(self.in_ns(node, *cmd),
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
        {body: count}, failures counted once each under "FAIL", curl's
        messages about them in the result's reasons (shown with it)."""
        script = f"""
for i in $(seq 1 {n}); do
  curl -sS --max-time 3 {url} || echo FAIL
done | sort | uniq -c
"""
        r = self.run(node, "bash", "-c", script, timeout=n * 3 + 30)
        counts = CurlCounts()
        for line in r.stdout.splitlines():
            m = re.match(r"\s*(\d+) (.*)", line)
            if m:
                counts[m.group(2)] = int(m.group(1))
        counts.reasons = sorted(set(r.stderr.splitlines()))
        return counts

    def spawn(self, node, *cmd):
        """A process in the node's namespace with text pipes on stdin,
        stdout and stderr; the caller ends it (closing stdin, kill())."""
        return subprocess.Popen(self.in_ns(node, *cmd),
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)

    def send_until(self, node, cmd, pred, timeout=15):
        """Spawn cmd (a sender such as hping3) in the node's namespace and
        wait for pred (what dplbd did with its packets), then end it:
        a sender that waits for answers which never come (a dropped
        packet's) need not exit in time on a busy machine.  pred()'s
        last value."""
        p = self.spawn(node, *cmd)
        try:
            return wait_for(pred, timeout)
        finally:
            p.kill()
            p.communicate(timeout=10)

    def add_client_addrs(self, n):
        """n more addresses of the client on c0, from 198.18.0.10 up in
        its /24 (skipping .100, the tests' VIP); returns all added so far.
        The client's own traffic keeps 198.18.0.2 as its source."""
        free = [f"198.18.0.{i}" for i in range(10, 255) if i != 100]
        new = free[len(self.client_addrs):len(self.client_addrs) + n]
        if len(new) < n:
            raise ValueError(f"at most {len(free)} client addresses")
        batch = "".join(f"addr add {a}/24 dev c0\n" for a in new)
        r = subprocess.run(["ip", "-n", self.ns("c"), "-batch", "-"],
                           input=batch, text=True, capture_output=True)
        if r.returncode != 0:
            raise RuntimeError(f"adding client addresses: {r.stderr}")
        self.client_addrs += new
        return list(self.client_addrs)

    def http_gets(self, vip, port, sources=(CLIENT_IP,), rounds=1,
                  path="/", timeout=3):
        """rounds x len(sources) sequential HTTP/1.0 GETs from the client
        namespace, each a new TCP connection bound to its source address;
        returns {source: [body, ...]} in order, a failure as "FAIL why"."""
        r = self.run("c", "/usr/bin/python3", "-c", HTTP_GETS, vip,
                     str(port), str(rounds), path, str(timeout), *sources,
                     timeout=rounds * len(sources) * timeout + 30)
        if r.returncode != 0:
            raise AssertionError(f"http client failed: {r.stderr}")
        return json.loads(r.stdout)

    def start_web(self, name, node, addr, port, text):
        """`lab.sh start-web`: nginx in node on addr:port serving text."""
        self.sh("start-web", name, node, addr, str(port), text)

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
            text = f.read()
        return text + ("\n" + self.conf_extra if self.conf_extra else "")

    def _run_dplbd(self):
        """A dplbd on the lab's config, started, its pid recorded."""
        from dplbd import Dplbd  # tests/pylib

        d = Dplbd(self.config_text(), netns=self.ns("lb"))
        d.start()
        self.dplbd = d
        self._record_pid(d)
        return d

    def start_dplbd(self):
        d = self._run_dplbd()
        self.sh("start-mgmt")  # also waits for the twins' addresses
        return d

    def restart_dplbd(self):
        """Stop dplbd and start a new one (a new boot id) on the same lab
        (its twins and management up already); the old Dplbd, with its
        output."""
        old = self.dplbd
        self.stop_dplbd()
        self._run_dplbd()
        return old

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

    def steered(self, since=None):
        """(frames steered out, frames steered in), summed over the
        workers, since the workers_stats() since (None: ever)."""
        now = self.workers_stats()
        before = since or [{} for _ in now]
        return tuple(sum(b[k] - a.get(k, 0) for a, b in zip(before, now))
                     for k in ("steered_out", "steered_in"))

    def steering_drained(self, since=None, timeout=2.0):
        """Every frame a worker steered to another was taken in; a late
        one (a retransmission, a last ACK) may sit in the ring a moment
        after the traffic, so this waits for it."""
        return wait_for(lambda: len(set(self.steered(since))) == 1,
                        timeout=timeout)

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
        # some 30 ip(8) calls in namespaces: on a loaded machine whose
        # other tests create and delete namespaces (each holding the
        # rtnl lock), they once took over the default 60 s
        r = self.sh("direct-return", vip, timeout=180)
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

    def udp_echo_services(self, vip=UDP_VIP, lip=UDP_LIP,
                          fnat_port=UDP_FNAT_PORT, nat_port=UDP_NAT_PORT,
                          echo_port=UDP_ECHO_PORT, servers=UDP_SERVERS):
        """UDP services vip:fnat_port (full NAT through lip, group lg1)
        and vip:nat_port (NAT), rr over servers ((node, addr)...) at
        echo_port, where a UDP echo server named NODEudp answers."""
        self.call("addr.add", {"addr": f"{vip}/32", "dev": "dp0"})
        self.call("addr.add", {"addr": f"{lip}/32", "dev": "dp1"})
        self.call("laddr.add", {"group": "lg1", "addr": lip})
        for port, fwd, extra in ((fnat_port, "fnat", {"laddr_group": "lg1"}),
                                 (nat_port, "nat", {})):
            self.call("service.add", {"proto": "udp", "vip": vip,
                                      "port": port, "sched": "rr", **extra})
            for _, addr in servers:
                self.call("dest.add", {"proto": "udp", "vip": vip,
                                       "port": port, "addr": addr,
                                       "dport": echo_port, "fwd": fwd})
        for node, _ in servers:
            self.start_udp_echo(f"{node}udp", node, "0.0.0.0", echo_port,
                                node)

    def fnat_service(self, vip, lip, port=80, sched="rr", group="lg1"):
        """A full-NAT TCP service vip:port over rs1 and rs2 (port 80),
        with lip (on dp1) as its local address group `group`."""
        self.call("addr.add", {"addr": f"{vip}/32", "dev": "dp0"})
        self.call("addr.add", {"addr": f"{lip}/32", "dev": "dp1"})
        self.call("laddr.add", {"group": group, "addr": lip})
        self.call("service.add", {"proto": "tcp", "vip": vip, "port": port,
                                  "sched": sched, "laddr_group": group})
        for addr in (RS1_IP, RS2_IP):
            self.call("dest.add", {"proto": "tcp", "vip": vip, "port": port,
                                   "addr": addr, "dport": 80,
                                   "fwd": "fnat"})

    def up(self):
        self.sh("down")
        self.sh("up")
        self.sh("start-servers")
        self.sh("start-web", "client", "c", CLIENT_IP, "80", "client")


# argv: VIP PORT ROUNDS PATH TIMEOUT SRC...; prints {src: [body...]}
HTTP_GETS = r"""
import json, socket, sys
vip, port, rounds, path, tmo = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
out = {src: [] for src in sys.argv[6:]}
for _ in range(rounds):
    for src in out:
        try:
            with socket.create_connection((vip, port), timeout=tmo,
                                          source_address=(src, 0)) as s:
                s.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
                data = b""
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    data += b
            head, _, body = data.partition(b"\r\n\r\n")
            ok = head.split(b" ", 2)[1:2] == [b"200"]
            out[src].append(body.decode().strip() if ok else
                            "FAIL " + head.split(b"\r\n")[0].decode())
        except OSError as e:
            out[src].append(f"FAIL {e!r}")
print(json.dumps(out))
"""


# argv: VIP PORT N KEEPALIVE(0|1).  N connections, each with an unfinished
# request (so the server waits), held open.  Prints the local ports, then
# obeys stdin: "close K" closes the K oldest still open, "send I TEXT"
# sends a header line on the I-th; each answers one line.  EOF closes all.
HOLDER = r"""
import socket, sys
vip, port, n, ka = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
socks = []
for i in range(n):
    s = socket.socket()
    if ka:  # the probes keep an idle connection fresh in dplbd too
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    s.settimeout(5)
    s.connect((vip, port))
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks), flush=True)
for line in sys.stdin:
    cmd, *args = line.split(None, 2)
    if cmd == "close":
        for s in [s for s in socks if s.fileno() >= 0][:int(args[0])]:
            s.close()
        print("closed", flush=True)
    elif cmd == "send":
        socks[int(args[0])].sendall(args[1].strip().encode() + b"\r\n")
        print("sent", flush=True)
"""


class Holder:
    """N TCP connections from the client to vip:port held open (see
    HOLDER), as a context manager; .ports are their client ports."""

    def __init__(self, lab, vip, port, n, keepalive=False):
        self.p = lab.spawn("c", "/usr/bin/python3", "-c", HOLDER, vip,
                           str(port), str(n), "1" if keepalive else "0")
        line = self.p.stdout.readline()
        if not line:
            self.p.kill()
            raise AssertionError(f"holder failed: {self.p.stderr.read()}")
        self.ports = [int(x) for x in line.split()]

    def _do(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        return self.p.stdout.readline().strip()

    def close(self, k):
        """Close the k oldest connections still open."""
        assert self._do(f"close {k}") == "closed"

    def send(self, i, text):
        assert self._do(f"send {i} {text}") == "sent"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.p.stdin.close()
            self.p.wait(timeout=10)
        except Exception:
            self.p.kill()
            self.p.wait()


def wait_for(pred, timeout=5.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(interval)


# argv: VIP PORT SRC FIRST N PPS: N SYNs to VIP:PORT from SRC, source
# ports FIRST.., about PPS a second (raw IP socket, right checksums);
# prints the seconds it took.
SYN_FLOOD = r"""
import socket, struct, sys, time
vip, port, src, first, n, pps = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
sa, da = socket.inet_aton(src), socket.inet_aton(vip)
def csum(b):
    t = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
t0 = time.monotonic()
for i in range(n):
    sport = first + i
    tcp = struct.pack("!HHIIBBHHH", sport, port, 1000 + i, 0, 5 << 4, 0x02, 64240, 0, 0)
    ck = csum(sa + da + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack("!H", ck) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 64, 6, 0, sa, da)
    s.sendto(ip + tcp, (vip, 0))
    if i % 100 == 99:
        ahead = t0 + (i + 1) / pps - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
print(time.monotonic() - t0)
"""
