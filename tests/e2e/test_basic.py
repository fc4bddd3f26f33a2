# SPDX-License-Identifier: GPL-2.0-or-later
"""One worker on net_af_packet, forwarding on: ping, ARP, HTTP both ways,
the twin, TTL handling and counters."""

import json

import pytest

from labtest import (CLIENT_IP, DP0_IP, DP1_IP, MGMT_PORT, RS1_IP, RS2_IP,
                      wait_for)

LAB_WORKERS = 1


def test_icmp_echo_to_dplbd(lab):
    before = lab.lcore_total("icmp_echo_replies")
    r = lab.ping("c", DP0_IP, count=5)
    assert lab.received(r) == 5, r.stdout + r.stderr
    r = lab.ping("rs1", DP1_IP, count=3)
    assert lab.received(r) == 3, r.stdout + r.stderr
    # dplbd answered itself (not the twin's kernel)
    assert lab.lcore_total("icmp_echo_replies") - before >= 8


@pytest.mark.parametrize("dst", [RS1_IP, RS2_IP])
def test_ping_client_to_server(lab, dst):
    r = lab.ping("c", dst, count=3)
    assert lab.received(r) == 3, r.stdout + r.stderr


@pytest.mark.parametrize("node", ["rs1", "rs2"])
def test_ping_server_to_client(lab, node):
    r = lab.ping(node, CLIENT_IP, count=3)
    assert lab.received(r) == 3, r.stdout + r.stderr


@pytest.mark.parametrize("dst,name", [(RS1_IP, "rs1"), (RS2_IP, "rs2")])
def test_curl_client_to_server(lab, dst, name):
    r = lab.curl("c", f"http://{dst}/")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == name


@pytest.mark.parametrize("node", ["rs1", "rs2"])
def test_curl_server_to_client(lab, node):
    r = lab.curl(node, f"http://{CLIENT_IP}/")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "client"


def test_arp_hosts_learn_dplbd_mac(lab):
    ports = lab.ports()
    # dplbd's ports carry the veths' MACs (net_af_packet)
    assert ports["dp0"]["mac"] == lab.mac("lb", "lb0")
    assert ports["dp1"]["mac"] == lab.mac("lb", "lb1")
    lab.ping("c", DP0_IP, count=1)
    lab.ping("rs1", DP1_IP, count=1)
    for node, ip, port in (("c", DP0_IP, "dp0"), ("rs1", DP1_IP, "dp1")):
        out = lab.run(node, "ip", "-j", "neigh", "show", ip,
                      check=True).stdout
        entries = [e for e in json.loads(out) if e.get("dst") == ip]
        assert entries, f"{node} has no neighbour entry for {ip}"
        assert entries[0].get("lladdr") == ports[port]["mac"], entries
        assert not {"FAILED", "INCOMPLETE"} & set(entries[0].get("state", []))


def test_arp_dplbd_learns_hosts(lab):
    # traffic from and to every host
    for node, dst in (("c", RS1_IP), ("c", RS2_IP)):
        assert lab.received(lab.ping(node, dst, count=2)) == 2
    want = {
        CLIENT_IP: ("dp0", lab.mac("c", "c0")),
        RS1_IP: ("dp1", lab.mac("rs1", "eth0")),
        RS2_IP: ("dp1", lab.mac("rs2", "eth0")),
    }
    neigh = {n["ip"]: n for n in lab.neighbours()}
    for ip, (dev, mac) in want.items():
        assert ip in neigh, f"dplbd has no neighbour {ip}: {neigh}"
        n = neigh[ip]
        assert n["dev"] == dev and n["mac"] == mac, n
        assert n["state"] in ("reachable", "stale", "probe",
                              "permanent"), n
    # the freshly used ones are reachable
    assert neigh[RS1_IP]["state"] == "reachable", neigh[RS1_IP]
    # dplbctl shows the same
    r = lab.ctl_cli("neigh", "show")
    assert r.returncode == 0, r.stderr
    for ip, (_, mac) in want.items():
        line = [l for l in r.stdout.splitlines() if ip in l.split()]
        assert line and mac in line[0], r.stdout
        assert "reachable" in line[0].lower(), r.stdout


def passive_opens(lab):
    """The lb namespace kernel's count of accepted TCP connections."""
    lines = [l.split() for l in lab.run("lb", "cat", "/proc/net/snmp")
             .stdout.splitlines() if l.startswith("Tcp:")]
    return int(lines[1][lines[0].index("PassiveOpens")])


def test_tcp_to_management_address_reaches_twin(lab):
    opens = passive_opens(lab)
    before_to = lab.lcore_total("to_twin")
    before_from = lab.lcore_total("from_twin")
    r = lab.curl("c", f"http://{DP0_IP}:{MGMT_PORT}/")
    assert r.returncode == 0, r.stderr
    assert "dplb management" in r.stdout
    # the kernel got the SYN through dplbd's twin and answered through it
    assert lab.lcore_total("to_twin") - before_to >= 3
    assert lab.lcore_total("from_twin") - before_from >= 3
    # and the kernel behind the twin accepted the connection (which side
    # closes first varies, so its socket may already be gone)
    assert passive_opens(lab) > opens


def test_ttl_one_does_not_cross(lab):
    before = lab.drops()["ttl_exceeded"]
    r = lab.ping("c", RS1_IP, count=2, ttl=1, wait=1)
    assert lab.received(r) == 0, r.stdout
    assert wait_for(lambda: lab.drops()["ttl_exceeded"] - before >= 2), \
        lab.drops()
    # TTL 2 is decremented to 1 and still delivered
    r = lab.ping("c", RS1_IP, count=2, ttl=2)
    assert lab.received(r) == 2, r.stdout + r.stderr


def test_counters_rise_with_traffic(lab):
    p0 = lab.ports()
    w0 = lab.workers_stats()
    n = 20
    r = lab.ping("c", RS1_IP, count=n, interval=0.01)
    assert lab.received(r) == n, r.stdout
    p1 = lab.ports()
    w1 = lab.workers_stats()
    for port in ("dp0", "dp1"):
        for k in ("ipackets", "opackets"):
            d = p1[port]["stats"][k] - p0[port]["stats"][k]
            assert d >= n, f"{port} {k} rose by {d}, want >= {n}"
        d = p1[port]["stats"]["ibytes"] - p0[port]["stats"]["ibytes"]
        assert d >= n * 98, f"{port} ibytes rose by {d}"

    def total(ws, key):
        return sum(w[key] for w in ws)

    # n requests in on dp0 out on dp1, n replies in on dp1 out on dp0
    assert total(w1, "rx_packets") - total(w0, "rx_packets") >= 2 * n
    assert total(w1, "tx_packets") - total(w0, "tx_packets") >= 2 * n
    assert total(w1, "forwarded") - total(w0, "forwarded") >= 2 * n


@pytest.mark.parametrize("view,expect", [
    (("port", "show", "-s"), ["dp0", "dp1"]),
    (("addr", "show"), ["198.18.0.1/24", "198.18.1.1/24"]),
    (("route", "show"), ["198.18.0.0/24", "198.18.1.0/24"]),
    (("neigh", "show"), [CLIENT_IP]),
    (("lcore", "show"), ["worker"]),
    (("drop", "show"), ["ttl_exceeded"]),
])
def test_dplbctl_views(lab, view, expect):
    lab.ping("c", RS1_IP, count=1)
    r = lab.ctl_cli(*view)
    assert r.returncode == 0, r.stderr
    for e in expect:
        assert e in r.stdout, f"'{e}' not in dplbctl {' '.join(view)}:\n{r.stdout}"
