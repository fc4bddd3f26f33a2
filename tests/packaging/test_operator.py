# SPDX-License-Identifier: GPL-2.0-or-later
"""An operator's path (issue 16): in a clean Debian 12 root, apt installs
both .debs; the root boots with systemd-nspawn; the operator copies the
single-appliance example (/etc/dplb/examples/single/) over the installed
configuration, tells the kernel to keep out of the two interfaces as
dplbd.conf(5) says, and starts both units; a client reaches the real
servers through the VIP (full-NAT, HTTP health checks), /metrics shows
the traffic, and `dplbctl save | dplbctl restore` into a fresh dplbd
gives the same `service show`.

The example is used verbatim: its interfaces (eth1, eth2) are veths in
the container's network namespace, whose peers are the client's and the
servers' namespaces, made from the host with the host's tools (the
minimal root has no ip(8), curl or web server)."""

import json
import os
import re
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

NS_CLIENT = f"dplbop{os.getpid() % 100000}c"
NS_SERVERS = f"dplbop{os.getpid() % 100000}s"
VIP = "198.18.0.100"
SERVERS = ("198.18.1.11", "198.18.1.12")


@pytest.fixture(scope="module")
def installed(root, packages):
    if not packages.with_keepalived:
        pytest.skip("make keepalived has not run: dplb-keepalived not built")
    debs = root.copy_in(packages.debs)
    root.apt_install(debs)
    # apt here leaves Recommends out: the af_packet driver the example
    # needs is one, and the check names its package
    p = root.run("dplbd --check-config -c "
                 "/etc/dplb/examples/single/dplbd.conf", check=False)
    out = p.stdout + p.stderr       # nspawn may pass both as one
    assert p.returncode == 1 and "DPDK's net_af_packet driver is not " \
        "installed" in out and "apt install librte-net-af-packet23" in out, out
    root.apt_install(["librte-net-af-packet23"])
    return debs


def host(*cmd, check=True, timeout=30):
    p = subprocess.run(list(cmd), capture_output=True, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)}: {p.returncode}\n"
                             f"{p.stdout}{p.stderr}")
    return p


def in_container_net(c, *cmd, check=True, timeout=30):
    """A host tool in the container's network namespace only."""
    return host("nsenter", "-t", str(c.pid1), "-n", *cmd, check=check,
                timeout=timeout)


def in_ns(ns, *cmd, check=True, timeout=30):
    return host("ip", "netns", "exec", ns, *cmd, check=check,
                timeout=timeout)


class Wire:
    """eth1 <-> the client (198.18.0.2), eth2 <-> the servers (.11, .12
    on one veth, one web server), as the example's diagram has them."""

    def __init__(self, c):
        self.c, self.web, self.docroot = c, None, None

    def __enter__(self):
        c = self.c
        for ns in (NS_CLIENT, NS_SERVERS):
            host("ip", "netns", "add", ns)
        for ifname, peer, ns in (("eth1", "cl0", NS_CLIENT),
                                 ("eth2", "rs0", NS_SERVERS)):
            in_container_net(c, "ip", "link", "add", ifname, "type", "veth",
                             "peer", "name", peer, "netns", ns)
            # what dplbd.conf(5) tells an operator to set on a port's
            # interface ("Ports on kernel interfaces")
            for k, v in (("ipv6.conf.%s.disable_ipv6", 1),
                         ("ipv4.conf.%s.rp_filter", 1),
                         ("ipv4.conf.%s.arp_ignore", 8)):
                in_container_net(c, "sysctl", "-qw",
                                 f"net.{k % ifname}={v}")
            in_container_net(c, "ethtool", "-K", ifname, "gro", "off")
            in_container_net(c, "ip", "link", "set", ifname, "up")
            in_ns(ns, "ethtool", "-K", peer, "tx", "off")
            in_ns(ns, "ip", "link", "set", peer, "up")
            in_ns(ns, "ip", "link", "set", "lo", "up")
        in_ns(NS_CLIENT, "ip", "addr", "add", "198.18.0.2/24", "dev", "cl0")
        for a in SERVERS:
            in_ns(NS_SERVERS, "ip", "addr", "add", f"{a}/24", "dev", "rs0")
        self.docroot = tempfile.mkdtemp(prefix="dplbop-web-")
        Path(self.docroot, "index.html").write_text("served through dplb\n")
        self.web = subprocess.Popen(
            ["ip", "netns", "exec", NS_SERVERS, "/usr/bin/python3", "-m",
             "http.server", "80", "--bind", "0.0.0.0", "--directory",
             self.docroot], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        return self

    def __exit__(self, *exc):
        if self.web is not None:
            os.killpg(self.web.pid, signal.SIGTERM)
            self.web.wait(10)
        for ns in (NS_CLIENT, NS_SERVERS):
            host("ip", "netns", "del", ns, check=False)
        if self.docroot:
            for f in Path(self.docroot).iterdir():
                f.unlink()
            os.rmdir(self.docroot)
        return False

    def curl(self, path="/", timeout=5):
        return in_ns(NS_CLIENT, "curl", "-s", "-m", str(timeout),
                     f"http://{VIP}{path}", check=False, timeout=timeout + 5)


def wait(pred, timeout, what, dump=lambda: ""):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.3)
    raise AssertionError(f"{what} not within {timeout} s\n{dump()}")


FRESH_CONF = """global = { control_socket = "/run/dplb/fresh.sock"; };
eal = { hugepages = false; memory_mb = 256; };
ports = ( { name = "dp0"; device = "net_tap1,iface=fresh0"; } );
"""


def metric(text, name, **labels):
    """The sum of a metric's samples whose labels include labels."""
    total, seen = 0.0, False
    for line in text.splitlines():
        m = re.match(rf"^{name}\{{([^}}]*)\}} (\S+)$", line)
        if not m:
            continue
        have = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(m.group(2))
            seen = True
    return total if seen else None


def test_operator_path(root, packages, installed):
    t0 = time.monotonic()
    with root.boot() as c:
        journal = lambda: c.sh("journalctl -u dplbd -u dplb-keepalived "  # noqa: E731
                               "--no-pager -o cat | tail -n 60").stdout
        # the example, verbatim
        c.sh("cp /etc/dplb/examples/single/dplbd.conf /etc/dplb/dplbd.conf;"
             "cp /etc/dplb/examples/single/keepalived.conf "
             "/etc/dplb/keepalived.conf")
        with Wire(c) as w:
            c.sh("dplbd --check-config -c /etc/dplb/dplbd.conf")
            p = c.sh("systemctl start dplbd dplb-keepalived", check=False)
            assert p.returncode == 0, p.stderr + journal()
            t1 = time.monotonic()
            # the checked reload's test passes on the running pair
            c.sh("dplb-keepalived -t -f /etc/dplb/keepalived.conf")

            def dests():
                p = c.sh("dplbctl -j call dest.list '{\"proto\":\"tcp\","
                         f"\"vip\":\"{VIP}\",\"port\":80}}'", check=False)
                return p.returncode == 0 and sorted(
                    d["addr"] for d in json.loads(p.stdout)) == \
                    sorted(SERVERS)
            wait(dests, 60, "both real servers in service", journal)
            # VRRP's MASTER puts the VIP into dp0
            wait(lambda: [(v["addr"], v["dev"]) for v in json.loads(
                c.sh("dplbctl -j vip show").stdout)] == [(VIP, "dp0")], 30,
                "the VIP leased on dp0", journal)
            wait(lambda: w.curl().stdout == "served through dplb\n", 30,
                 "curl through the VIP", journal)
            ok = sum(w.curl().stdout == "served through dplb\n"
                     for _ in range(10))
            assert ok == 10, journal()
            print(f"operator: services up {time.monotonic() - t1:.1f} s "
                  "after systemctl start")
            # no warning of dplbd about the interfaces: the kernel was
            # told as dplbd.conf(5) says
            assert c.sh("journalctl -u dplbd -p warning --no-pager -o cat"
                        ).stdout.strip() == "", journal()

            # Prometheus metrics on the example's address
            text = in_container_net(c, "curl", "-s", "-m", "5",
                                    "http://127.0.0.1:9661/metrics").stdout
            pk = metric(text, "dplb_service_packets_total", vip=VIP,
                        port="80", proto="tcp")
            assert pk is not None and pk >= 10 * 4, text[:3000]

            # save | restore into a fresh dplbd: the same service show,
            # once the curls' connections are gone from the live one
            saved = c.sh("dplbctl save").stdout
            assert "laddr" in saved and VIP in saved, saved
            c.sh("cat > /var/tmp/fresh.conf <<'EOF'\n" + FRESH_CONF + "EOF\n"
                 "systemd-run -q --unit=dplbd-fresh -p Type=notify "
                 "/usr/sbin/dplbd -c /var/tmp/fresh.conf")
            try:
                c.sh("dplbctl save > /var/tmp/saved; "
                     "dplbctl -S /run/dplb/fresh.sock restore /var/tmp/saved")
                def same():
                    a = c.sh("dplbctl service show").stdout
                    b = c.sh("dplbctl -S /run/dplb/fresh.sock service show"
                             ).stdout
                    return a == b and a
                shown = wait(same, 60, "the same service show", lambda: (
                    c.sh("dplbctl service show; dplbctl -S "
                         "/run/dplb/fresh.sock service show").stdout))
                assert VIP in shown and all(s in shown for s in SERVERS)
                # the groups as configured; their live counters (conns,
                # addresses_needed, early reuses) are the traffic's
                a, b = ([(g["group"], g["addresses"]) for g in json.loads(
                    c.sh(f"dplbctl {sock}-j laddr show").stdout)]
                    for sock in ("", "-S /run/dplb/fresh.sock "))
                assert a == b and a, (a, b)
            finally:
                c.sh("systemctl stop dplbd-fresh", check=False)
            c.sh("systemctl stop dplbd")
            assert c.sh("systemctl is-active dplb-keepalived",
                        check=False).stdout.strip() == "inactive"
    print(f"operator path: {time.monotonic() - t0:.1f} s")
