# SPDX-License-Identifier: GPL-2.0-or-later
"""IPv6 NAT, DR, wrk and UDP through dplbd with two workers (issue 15),
net_af_packet:

  NAT6  curl -6 to VIP6:82, nginx on the servers' IPv6 addresses; the
        servers' IPv6 default route is dplbd (the lab's), so their
        answers are transit for dplbd's IPv6 stack and the load balancer
        takes them back from the VIP (lb_input_transit6());
  DR6   VIP6 on the servers' loopback, nginx on [::]:83; their answers
        from the VIP go back through dplbd's IPv6 forwarding (no
        direct-return leg for IPv6 in the lab);
  wrk   over IPv6 full NAT, NAT and DR, every request answered;
  UDP   datagrams from distinct ports through IPv6 full NAT and NAT to
        echo servers on [::] (the servers seeing LIP6, or the client),
        and through DR to echo servers bound to the VIP on their
        loopback (an echo on [::] would answer from its own address);
        every one answered by the VIP.
"""

import json
import re

import pytest

from labtest import CLIENT_IP6, RS1_IP6, RS2_IP6

LAB_WORKERS = 2

VIP6 = "2001:2::100"
LIP6 = "2001:2:0:1::100"
WEB_PORT = 8080
FNAT_PORT, NAT_PORT, DR_PORT, UDP_PORT, ECHO_PORT = 80, 82, 83, 53, 5353
UDP_NAT_PORT, UDP_DR_PORT = 54, 5354
PNAT_PORT = 84      # NAT, persistent (the client's /64)
UDP_PNAT_PORT, CLOSED_PORT = 55, 5355   # no server listens on 5355
SERVERS = (("rs1", RS1_IP6), ("rs2", RS2_IP6))


def add_service(lab, proto, port, fwd, dport, group=None, **conf):
    extra = {"laddr_group": group} if group else {}
    lab.call("service.add", {"proto": proto, "vip": VIP6, "port": port,
                             "sched": "rr", **extra, **conf})
    for _, addr in SERVERS:
        lab.call("dest.add", {"proto": proto, "vip": VIP6, "port": port,
                              "addr": addr, "dport": dport, "fwd": fwd})


@pytest.fixture(scope="module")
def lb6(lab):
    lab.call("addr.add", {"addr": f"{VIP6}/128", "dev": "dp0"})
    lab.call("addr.add", {"addr": f"{LIP6}/128", "dev": "dp1"})
    lab.call("laddr.add", {"group": "lg6", "addr": LIP6})
    for node, addr in SERVERS:
        lab.start_web(f"{node}v6", node, f"[{addr}]", WEB_PORT, f"{node}v6")
        lab.start_web(f"{node}dr6", node, "[::]", DR_PORT, f"{node}dr6")
        lab.start_udp_echo(f"{node}udp6", node, "::", ECHO_PORT, node)
        # DR: the VIP on lo (no duplicate address detection there)
        lab.run(node, "ip", "-6", "addr", "add", f"{VIP6}/128", "dev", "lo",
                check=True)
        lab.start_udp_echo(f"{node}udpdr6", node, VIP6, UDP_DR_PORT, node)
    add_service(lab, "tcp", FNAT_PORT, "fnat", WEB_PORT, "lg6")
    add_service(lab, "tcp", NAT_PORT, "nat", WEB_PORT)
    add_service(lab, "tcp", DR_PORT, "dr", DR_PORT)
    add_service(lab, "tcp", PNAT_PORT, "nat", WEB_PORT, persistent=60)
    add_service(lab, "udp", UDP_PORT, "fnat", ECHO_PORT, "lg6")
    add_service(lab, "udp", UDP_NAT_PORT, "nat", ECHO_PORT)
    add_service(lab, "udp", UDP_DR_PORT, "dr", UDP_DR_PORT)
    add_service(lab, "udp", UDP_PNAT_PORT, "nat", CLOSED_PORT,
                persistent=60)
    return lab


def sources(lab, server):
    with open(f"{lab.state}/{server}/access.log") as f:
        return {line.split()[0] for line in f if line.strip()}


def svc_stats(lab, proto, port):
    (s,) = lab.call("stats.show", {"proto": proto, "vip": VIP6,
                                   "port": port})
    return s["stats"]


def test_nat6_answers_come_back_from_the_vip(lb6):
    out0 = svc_stats(lb6, "tcp", NAT_PORT)["outpkts"]
    counts = lb6.curl_counts(f"-6 http://[{VIP6}]:{NAT_PORT}/", 40)
    # every curl answered (by the VIP: curl would not take another
    # source), both servers used (rr per worker)
    assert sum(counts.values()) == 40 and set(counts) == \
        {"rs1v6", "rs2v6"}, counts
    # NAT: the servers saw the client itself
    assert CLIENT_IP6 in sources(lb6, "rs1v6")
    # the answers went through the load balancer (un-NATed), not around
    assert svc_stats(lb6, "tcp", NAT_PORT)["outpkts"] - out0 >= 40 * 3


def test_nat6_conns_listed_with_the_client(lb6):
    lb6.curl_counts(f"-6 http://[{VIP6}]:{NAT_PORT}/", 4)
    mine = [c for c in lb6.conns() if c["vip"] == f"[{VIP6}]:{NAT_PORT}"]
    assert mine and all(c["fwd"] == "nat" and
                        c["client"].startswith(f"[{CLIENT_IP6}]:")
                        for c in mine), mine


def test_persistent_nat6_answers_found_on_the_nets_worker(lb6):
    """The connections of a persistent service live with the owner of
    the client's net, its answers first reach the owner of the client's
    address and port: each candidate looks in turn (two workers)."""
    out0 = svc_stats(lb6, "tcp", PNAT_PORT)["outpkts"]
    counts = lb6.curl_counts(f"-6 http://[{VIP6}]:{PNAT_PORT}/", 30)
    # every curl answered by the VIP, all by the net's one server
    assert sum(counts.values()) == 30 and len(counts) == 1, counts
    assert svc_stats(lb6, "tcp", PNAT_PORT)["outpkts"] - out0 >= 30 * 3


def test_dr6_curls_round_robin(lb6):
    in0 = svc_stats(lb6, "tcp", DR_PORT)["inpkts"]
    counts = lb6.curl_counts(f"-6 http://[{VIP6}]:{DR_PORT}/", 40)
    assert sum(counts.values()) == 40 and set(counts) == \
        {"rs1dr6", "rs2dr6"}, counts
    assert CLIENT_IP6 in sources(lb6, "rs1dr6")
    assert svc_stats(lb6, "tcp", DR_PORT)["inpkts"] - in0 >= 40 * 3


@pytest.mark.parametrize("port", (FNAT_PORT, NAT_PORT, DR_PORT),
                         ids=("fnat", "nat", "dr"))
def test_wrk_over_ipv6_without_errors(lb6, port):
    r = lb6.run("c", "wrk", "-t2", "-c16", "-d15s",
                f"http://[{VIP6}]:{port}/", timeout=75)
    assert r.returncode == 0, r.stderr
    # every request answered: no connect/read/write/timeout errors
    assert "Socket errors" not in r.stdout, r.stdout
    assert "Non-2xx" not in r.stdout, r.stdout
    m = re.search(r"(\d+) requests in", r.stdout)
    assert m and int(m.group(1)) > 0, r.stdout
    print(r.stdout)


# argv: VIP PORT N BASE.  N sockets on their own source ports, one
# datagram each (BASE + up to 1400 bytes); one JSON object per datagram.
UDP_CLIENT = r"""
import json, os, socket, sys
vip, port, n, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
socks = []
for i in range(n):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.bind(("::", 0))
    s.settimeout(2)
    socks.append(s)
    size = base + 1 + (i * 131) % 1400
    payload = os.urandom(size).hex()[:size].encode()
    s.sendto(payload, (vip, port))
    r = {"i": i, "sport": s.getsockname()[1]}
    try:
        data, peer = s.recvfrom(65535)
        head, _, rest = data.partition(b" ")
        seen, _, echo = rest.partition(b" ")
        r.update(peer=f"[{peer[0]}]:{peer[1]}", server=head.decode(),
                 seen=seen.decode(), ok=echo == payload)
    except socket.timeout:
        r.update(timeout=True, ok=False)
    print(json.dumps(r), flush=True)
"""


def udp_echo(lb6, n, base, port=UDP_PORT):
    r = lb6.run("c", "/usr/bin/python3", "-c", UDP_CLIENT, VIP6,
                str(port), str(n), str(base), timeout=n * 2 + 30)
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.splitlines()]


def test_fragmented_udp_echo_over_ipv6_fnat(lb6):
    """Datagrams of 2 to 3.4 kB leave the client in fragments: dplbd
    reassembles them, sends them to the server in fragments again, and
    the same for the server's echo (both ways through frag6)."""
    # the neighbours resolved first (a fragment waiting for its next
    # hop's address may be dropped, as any packet)
    udp_echo(lb6, 4, 0)
    before = sum(w["reassembled"] for w in lb6.workers_stats())
    results = udp_echo(lb6, 20, 2000)
    bad = [x for x in results if not x["ok"]]
    assert len(results) == 20 and not bad, (bad[:3], lb6.drops())
    after = lb6.workers_stats()
    assert sum(w["reassembled"] for w in after) - before >= 40
    assert sum(w["frags_out"] for w in after) >= 40


# the source each mode's servers see: LIP6 for full NAT, else the client
@pytest.mark.parametrize("port,seen", ((UDP_PORT, LIP6),
                                       (UDP_NAT_PORT, CLIENT_IP6),
                                       (UDP_DR_PORT, CLIENT_IP6)),
                         ids=("fnat", "nat", "dr"))
def test_udp_echo_over_ipv6(lb6, port, seen):
    n = 100
    results = udp_echo(lb6, n, 0, port)
    bad = [x for x in results if not x["ok"]]
    assert len(results) == n and not bad, (bad[:3], lb6.drops())
    # every answer came from the VIP (NAT: un-NATed by dplbd)
    assert {x["peer"] for x in results} == {f"[{VIP6}]:{port}"}
    assert {x["server"] for x in results} == {"rs1", "rs2"}
    # the echo's "addr:port" is the source the server saw
    assert {x["seen"].rsplit(":", 1)[0] for x in results} == {seen}
    conns = [c for c in lb6.conns() if c["vip"] == f"[{VIP6}]:{port}"]
    assert len(conns) >= n and all(c["proto"] == "udp" for c in conns)


def test_conn_filters_by_ipv6_address(lb6):
    lb6.curl_counts(f"-6 http://[{VIP6}]:{NAT_PORT}/", 6)
    by_vip = lb6.conns(vip=f"[{VIP6}]:{NAT_PORT}")
    assert by_vip and all(c["vip"] == f"[{VIP6}]:{NAT_PORT}"
                          for c in by_vip), by_vip
    by_dest = lb6.conns(dest=RS1_IP6, proto="tcp")
    assert by_dest and all(c["dest"].startswith(f"[{RS1_IP6}]:")
                           for c in by_dest), by_dest
    by_client = lb6.conns(client=CLIENT_IP6)
    assert len(by_client) >= len(by_vip) and all(
        c["client"].startswith(f"[{CLIENT_IP6}]:") for c in by_client)
    # an IPv4 address never matches an IPv6 connection
    assert all(not c["client"].startswith("[")
               for c in lb6.conns(client="198.18.0.2"))
    # dplbctl conn -c [ADDR]:PORT shows one connection
    port = by_vip[0]["client"].rsplit(":", 1)[1]
    r = lb6.ctl_cli("conn", "show", "-c", f"[{CLIENT_IP6}]:{port}")
    assert r.returncode == 0, r.stderr
    assert f"[{CLIENT_IP6}]:{port}" in r.stdout, r.stdout
    # and flushes by IPv6 dest
    r = lb6.ctl_cli("conn", "flush", "-d", f"[{RS2_IP6}]:{WEB_PORT}")
    assert r.returncode == 0, r.stderr
    assert lb6.conns(dest=f"[{RS2_IP6}]:{WEB_PORT}") == []
    assert lb6.conns(dest=RS1_IP6, proto="tcp")


# argv: VIP PORT N.  N connected sockets on their own source ports, one
# datagram each; how each ended: "refused" (an ICMPv6 port unreachable
# that matched the socket), "answer" or "timeout".
UDP_REFUSED = r"""
import socket, sys
vip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.connect((vip, port))
    s.send(b"anyone there?")
    try:
        s.recv(100)
        print("answer", flush=True)
    except ConnectionRefusedError:
        print("refused", flush=True)
    except socket.timeout:
        print("timeout", flush=True)
    s.close()
"""


def test_persistent_nat6_port_unreachable_reaches_the_client(lb6):
    """No server listens on the persistent NAT service's port: each
    server's kernel answers the client's datagram with an ICMPv6 port
    unreachable to the client, transit for dplbd, about what the server
    received.  dplbd must find the connection (it lives with the owner of
    the client's /64, the error first reaches the owner of the client's
    address and port: each candidate looks in turn, two workers) and
    send the error from the VIP quoting the datagram to the VIP: only
    then does the client's connected socket see ECONNREFUSED."""
    for node, _ in SERVERS:     # one error per datagram, not rate-limited
        lb6.run(node, "sysctl", "-qw", "net.ipv6.icmp.ratelimit=0",
                check=True)
    related0 = lb6.lcore_total("icmp_related")
    n = 24
    r = lb6.run("c", "/usr/bin/python3", "-c", UDP_REFUSED, VIP6,
                str(UDP_PNAT_PORT), str(n), timeout=n * 2 + 30)
    assert r.returncode == 0, r.stderr
    ends = r.stdout.split()
    assert ends == ["refused"] * n, ends
    assert lb6.lcore_total("icmp_related") - related0 >= n
