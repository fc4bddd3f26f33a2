# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers of the connection-sync tests (test_sync*.py): two real dplbd
of the HA lab (lab.sh up-ha) driven over their control sockets as
keepalived would drive them (sync.start, vip.add/vip.del), echo servers,
long-lived client flows and what they report, and a capture of the sync
messages decoded by tshark's "ipvs" dissector.

- Pair: the two dplbd, their calls, roles, floating addresses, what they
  hold (a test module subclasses it for its services and addresses);
- sync_lab(): the module's lab, servers and pair, torn down after;
- Client, assert_all_kept(): flows of a byte every 100 ms, and the check
  that every one survived;
- capture_sync(): sync messages captured on a node's twin while flows
  start, decoded by tshark (every message's header and entries checked).
"""

import contextlib
import ipaddress
import json
import os
import signal
import subprocess
import time

from hatest import record_pid, start_node_dplbd
from labtest import Lab, wait_for

NODES = ("lb", "lb2")

SYNCID = 11
PCAP_HDR = 24       # a pcap file's header: what tcpdump writes first

TCP_ECHO = r"""
import selectors, socket, sys
sel = selectors.DefaultSelector()
for port in map(int, sys.argv[1:]):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", port))
    ls.listen(512)
    ls.setblocking(False)
    sel.register(ls, selectors.EVENT_READ, None)
print("listening", flush=True)
while True:
    for key, _ in sel.select():
        if key.data is None:
            c, _ = key.fileobj.accept()
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ, 1)
            continue
        try:
            b = key.fileobj.recv(4096)
        except OSError:
            b = b""
        if not b:
            sel.unregister(key.fileobj)
            key.fileobj.close()
            continue
        try:
            key.fileobj.sendall(b)
        except OSError:
            pass
"""

# Long-lived flows: spec {"tcp": [[vip, port, n(, source address)]...],
# "udp": [...], "duration": s}; a byte (a datagram) every 100 ms per
# flow, echoes timed.  Prints "ready [[proto, local address, local port,
# VIP port]...]" once connected, then one JSON report.
CLIENT = r"""
import json, selectors, socket, sys, time
spec = json.loads(sys.argv[1])
sel = selectors.DefaultSelector()
flows = []
for proto in ("tcp", "udp"):
    for vip, port, n, *src in spec.get(proto, []):
        for i in range(n):
            if proto == "tcp":
                # 15 s: a loaded machine may lose a SYN or two (the
                # retries go at 1, 3 and 7 s)
                s = socket.create_connection(
                    (vip, port), timeout=15,
                    source_address=(src[0], 0) if src else None)
            else:
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.connect((vip, port))
            s.setblocking(False)
            f = {"proto": proto, "port": port, "local": s.getsockname()[1],
                 "addr": s.getsockname()[0],
                 "sent": 0, "echoes": 0, "error": None, "max_gap": 0.0,
                 "last": None, "sock": s}
            flows.append(f)
            sel.register(s, selectors.EVENT_READ, f)
t0 = time.monotonic()
for f in flows:
    f["last"] = t0
print("ready", json.dumps([[f["proto"], f["addr"], f["local"], f["port"]]
                          for f in flows]), flush=True)
tick = t0
end = t0 + spec["duration"]
while time.monotonic() < end:
    now = time.monotonic()
    if now >= tick:
        tick += 0.1
        for f in flows:
            if f["error"] is None:
                try:
                    f["sock"].send(b"x")
                    f["sent"] += 1
                except OSError as e:
                    f["error"] = f"send: {e}"
    for key, _ in sel.select(max(0.0, min(tick, end) - time.monotonic())):
        f = key.data
        try:
            b = f["sock"].recv(65536)
        except BlockingIOError:
            continue
        except OSError as e:
            f["error"] = f"recv: {e}"
            sel.unregister(f["sock"])
            continue
        if not b and f["proto"] == "tcp":
            f["error"] = "closed by the peer"
            sel.unregister(f["sock"])
            continue
        now = time.monotonic()
        f["max_gap"] = max(f["max_gap"], now - f["last"])
        f["last"] = now
        f["echoes"] += 1
now = time.monotonic()
for f in flows:
    f["max_gap"] = round(max(f["max_gap"], now - f["last"]), 3)
    f["last"] = round(f["last"] - t0, 3)
    del f["sock"]
print(json.dumps(flows), flush=True)
"""


class Pair:
    """Two dplbd of the HA lab, their control sockets, what they hold."""

    # sync.start's socket parameters: IPVS's default group on the twin
    transport = {"ifname": "dp0"}

    def __init__(self, lab):
        self.lab = lab
        self.d = {}

    def record_pid(self, name, node, pid):
        """Let `lab.sh down` kill it too, should this test die."""
        record_pid(self.lab, name, node, pid)

    def start_dplbd(self, node):
        d = self.d[node] = start_node_dplbd(self.lab, node)
        self.services(node)
        return d

    def kill9(self, node):
        d = self.d.pop(node)
        os.kill(d.pid, signal.SIGKILL)
        d.proc.wait(10)
        d.stop()

    def call(self, node, method, params=None):
        from ctl import CtlError  # tests/pylib

        for attempt in range(5):
            try:
                return self.d[node].ctl.result(method, params)
            except CtlError as e:
                # a worker that a busy machine did not schedule in time
                # (conn.list waits 500 ms): ask again
                if e.code != "ETIMEDOUT" or attempt == 4:
                    raise
                time.sleep(0.2)

    # a test module's subclass: its services, floating addresses, warm-up
    def services(self, node):
        raise NotImplementedError

    def take(self, node):
        """node takes the floating addresses (VRRP's MASTER)."""
        raise NotImplementedError

    def release(self, node):
        raise NotImplementedError

    def check_servers(self, node):
        """What keepalived's health checks do from a backup's twin,
        before it takes over: the neighbours learnt."""
        raise NotImplementedError

    def role(self, node, state, **params):
        """keepalived's lvs_sync_daemon at a VRRP transition: the other
        role stops, this one starts."""
        other = "backup" if state == "master" else "master"
        try:
            self.call(node, "sync.stop", {"state": other})
        except Exception:
            pass
        self.call(node, "sync.start", dict(state=state, syncid=SYNCID,
                                           **self.transport, **params))

    def stats(self, node):
        return self.call(node, "sync.stats")

    def backup(self, node):
        return self.stats(node)["backup"]

    def stop_all(self):
        """Stop every dplbd: those that did not stop cleanly (or an ASan
        build that found something)."""
        bad = []
        for node in list(self.d):
            d = self.d.pop(node)
            try:
                rc = d.stop()
            except Exception as e:
                rc = e
            if rc != 0 or "Sanitizer" in d.stderr:
                bad.append((node, rc, d.stderr[-3000:]))
        return bad

    def conns(self, node, **filters):
        out, cursor = [], None
        while True:
            p = dict(filters, max=4096)
            if cursor:
                p["cursor"] = cursor
            r = self.call(node, "conn.list", p)
            out += r["conns"]
            cursor = r["cursor"]
            if cursor is None:
                return [c for c in out if not c["template"]]


def key(c):
    return (c["client"], c["vip"], c["dest"], c["local"], c["fwd"])


def flow_key(proto, addr, port, vport):
    """What tells the sync client's flows apart: the kernel may give two
    flows to different VIP ports the same local port (79 of 80 in a
    fresh make test), and two flows from different source addresses
    (test_sync6's clients of one /64) too (21 of 20 in a fresh make
    test)."""
    return (proto, ipaddress.ip_address(addr).compressed, int(port),
            int(vport))


def client_flow(c):
    """A connection's flow_key(), as Client.ports holds them."""
    addr, port = c["client"].rsplit(":", 1)
    return flow_key(c["proto"], addr.strip("[]"), port,
                    c["vip"].rsplit(":", 1)[1])


def live(pair, node, client):
    """node's connections of client's flows carrying traffic.  A client
    port the kernel gave out again may still have an idle entry of an
    earlier test's flow (a DR one stays ESTABLISHED): per client tuple,
    the entry that expires last is the one carrying traffic."""
    latest = {}
    for c in pair.conns(node):
        if (c["state"] in ("ESTABLISHED", "UDP") and
                client_flow(c) in client.ports):
            t = (c["client"], client_flow(c))
            if t not in latest or c["expire_ms"] > latest[t]["expire_ms"]:
                latest[t] = c
    return {key(c) for c in latest.values()}


def live_when(pair, node, client, n, timeout=10):
    """live() once it has n flows, or what it has at the timeout: on a
    busy machine a flow's handshake may still be under way after the
    client said ready (77 of 80 at 1.5 s in a fresh make test)."""
    deadline = time.monotonic() + timeout
    while True:
        got = live(pair, node, client)
        if len(got) >= n or time.monotonic() > deadline:
            return got
        time.sleep(0.25)


def held(pair, node):
    return {key(c) for c in pair.conns(node)}


LPORT_LO, LPORT_HI = 1024, 65535    # one worker's local ports (steer.h)


def addr_port(s):
    """conn.list's "addr:port" or "[addr6]:port"."""
    a, p = s.rsplit(":", 1)
    return a.strip("[]"), int(p)


def lport_runs_end(keys):
    """Where the master's walk of each (server, local address) pair
    stands: of the full-NAT keys (key()) it had, the local port its
    run of them ends at.  The walk is circular (the slice's last port is
    followed by its first): the run ends before its widest gap."""
    span = LPORT_HI - LPORT_LO + 1
    runs = {}
    for k in keys:
        if k[4] == "fnat":
            lip, port = addr_port(k[3])
            runs.setdefault((k[2], lip), set()).add(port)
    ends = {}
    for pair, ports in runs.items():
        s = sorted(ports)
        gaps = [((s[(i + 1) % len(s)] - s[i]) % span or span, s[i])
                for i in range(len(s))]
        ends[pair] = max(gaps)[1]
    return ends


def lports_not_following(ends, rows, most=256):
    """The full-NAT entries (conn.list rows) a new master made whose local
    port does not follow its old master's walk of the pair: within most
    ports after the run's end (lb_lport_follow()); a restart at a random
    point would be there once in 250.  (rows of pairs the master had,
    rows not following)."""
    span = LPORT_HI - LPORT_LO + 1
    mine, bad = [], []
    for r in rows:
        if r["fwd"] != "fnat":
            continue
        lip, port = addr_port(r["local"])
        end = ends.get((r["dest"], lip))
        if end is None:
            continue
        mine.append(r)
        if not 1 <= (port - end) % span <= most:
            bad.append((r["dest"], r["local"], end))
    return mine, bad


def check_new_master_follows(pair, master_keys, spec, node="lb2"):
    """New connections (spec: Client's, short) through node, which has
    just taken over: every one answered, and each full-NAT one takes a
    local port after those its old master had made for the pair, not
    tuples the servers may still hold in TIME_WAIT."""
    ends = lport_runs_end(master_keys)
    c = Client(pair.lab, spec)
    rows = pair.conns(node, synced=False)
    assert_all_kept(c.report(), 0)
    mine, bad = lports_not_following(ends, rows)
    assert mine, (ends, rows[:5])
    assert not bad, (bad[:5], ends)
    print(f"{node}'s new full-NAT connections: {len(mine)}, each after "
          f"its old master's local ports of the pair")


class Client:
    """Long-lived flows from the client namespace."""

    def __init__(self, lab, spec):
        self.path = f"{lab.state}/sync-client.py"
        with open(self.path, "w") as f:
            f.write(CLIENT)
        self.proc = lab.spawn("c", "/usr/bin/python3", "-u", self.path,
                              json.dumps(spec))
        line = self.proc.stdout.readline().strip()
        assert line.startswith("ready "), (line, self.proc.stderr.read())
        # flow_key()s: TCP and UDP ports are separate sets (a UDP
        # flow's port was an earlier TCP flow's: 81 of 80 in CI), one
        # local port may serve flows to two VIP ports or from two
        # source addresses
        self.ports = {flow_key(p, a, n, v)
                      for p, a, n, v in json.loads(line[6:])}
        self.t0 = time.monotonic()

    def since(self):
        return time.monotonic() - self.t0

    def report(self, timeout=120):
        out, err = self.proc.communicate(timeout=timeout)
        assert self.proc.returncode == 0, err
        return json.loads(out.strip().splitlines()[-1])


def assert_all_kept(flows, after, what=""):
    """Every flow alive to the end, echoed after `after` s, no stall."""
    bad = [f for f in flows if f["error"] is not None or
           f["max_gap"] >= 3.0 or f["last"] <= after or f["echoes"] == 0]
    if what:
        gaps = sorted(f["max_gap"] for f in flows)
        print(f"{what}: {len(flows) - len(bad)} of {len(flows)} flows kept; "
              f"longest pause per flow min {gaps[0]:.2f} s, median "
              f"{gaps[len(gaps) // 2]:.2f} s, max {gaps[-1]:.2f} s")
    assert not bad, (f"{len(bad)} of {len(flows)} flows broken",
                     bad[:5])


def start_echo(lab, pair, name, node, script, *args):
    """A server of script (TCP_ECHO...) in node, listening when this
    returns; `lab.sh down` kills it should the test die."""
    path = f"{lab.state}/{name}.py"
    with open(path, "w") as f:
        f.write(script)
    pr = lab.spawn(node, "/usr/bin/python3", "-u", path, *map(str, args))
    assert pr.stdout.readline().strip() == "listening", pr.stderr.read()
    pair.record_pid(f"{name}-{node}", node, pr.pid)
    return pr


@contextlib.contextmanager
def sync_lab(prefix, pair_cls, start_servers):
    """The HA lab with its servers (start_servers(lab, pair) returns
    their processes) and a pair_cls pair: lb master holding the floating
    addresses, lb2 backup with its first full dump.  A dplbd that did not
    stop cleanly fails the module's last test."""
    lab = Lab(f"{prefix}{os.getpid() % 100000}")
    p = pair_cls(lab)
    procs = []
    try:
        lab.sh("down", check=False)
        lab.sh("up-ha")
        procs += start_servers(lab, p)
        for node in NODES:
            p.start_dplbd(node)
        p.take("lb")
        p.role("lb", "master")
        p.role("lb2", "backup")
        assert wait_for(lambda: p.backup("lb2")["dump_complete"], 10), \
            p.stats("lb2")
        yield p
    finally:
        bad = p.stop_all()
        for pr in procs:
            pr.kill()
            pr.wait()
        lab.sh("down", check=False)
    assert not bad, bad


def capture_sync(lab, node, start_flows, count=20, name="sync"):
    """The sync messages node's twin sees while start_flows() runs (it
    returns what the test wants back), decoded by tshark's ipvs
    dissector: (packets' layers, start_flows()'s value).  Every message
    decodes, is version 1, and has as many entries as its count says."""
    cap = f"{lab.state}/{name}.pcap"
    dump = lab.spawn(node, "tcpdump", "-i", "dp0", "-U", "-c", str(count),
                     "-w", cap, "udp", "port", "8848")
    # "listening on dp0" once it captures (a busy machine may take a
    # while to get there)
    assert "listening on" in dump.stderr.readline()
    got = start_flows()
    # the first message (a busy machine may delay it), then the others
    # of the moment
    wait_for(lambda: os.path.getsize(cap) > PCAP_HDR, 5)
    time.sleep(1)
    dump.terminate()
    dump.wait(10)
    r = subprocess.run(["tshark", "-r", cap, "-d", "udp.port==8848,ipvs",
                        "-T", "json", "-V"], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Malformed" not in r.stdout and "Exception" not in r.stdout
    packets = [p["_source"]["layers"] for p in json.loads(r.stdout)]
    assert packets, "no sync message captured"
    for layers in packets:
        m = layers["ipvs"]
        assert m["ipvs.version"] == "1"
        assert len(entries(m)) == int(m["ipvs.conncount"]) > 0
    return packets, got


def entries(msg):
    """The entries of a decoded message, in order."""
    return [v for k, v in msg.items() if k.startswith("Connection #")]
