# SPDX-License-Identifier: GPL-2.0-or-later
"""IPv4 in IPv6 tunnels end to end (issue 15): an IPv4 VIP whose TUNNEL
real servers are the servers' IPv6 addresses, pushed by the patched
keepalived (an IPv4 virtual_server, lb_kind TUN, IPv6 real_servers),
two workers, net_af_packet.

dplbd sends the client's packets inside an outer IPv6 header from dp1's
address (next header 4).  Each server decapsulates them with the
kernel's ip6tnl (mode ipip6) when it has one, else (this lab's kernel has
no ip6_tunnel: `ip link add type ip6tnl` says "Unknown device type") with
a userspace decapsulator: a raw IPv6 socket of next header 4 whose data
(the inner IPv4 packet) goes into a tun device, as lab.sh direct-return
does for IPIP.  The VIP is on the servers' loopback and their answers
go DR-style straight to the client (`lab.sh direct-return`), so every
answered curl crossed the tunnel one way and the direct path the other.
"""

import pytest

from katest import KEEPALIVED, Keepalived
from labtest import DP1_IP6, RS1_IP6, RS2_IP6, wait_for

LAB_WORKERS = 2

VIP = "198.18.0.100"
PORT = 84
SERVERS = (("rs1", RS1_IP6), ("rs2", RS2_IP6))
DEV = "ip6d0"           # where the inner IPv4 packets come out

pytestmark = pytest.mark.skipif(not KEEPALIVED.exists(),
                                reason="make keepalived first")

DECAP = r"""
import fcntl, os, socket, struct, sys
TUNSETIFF, IFF_TUN, IFF_NO_PI = 0x400454CA, 0x0001, 0x1000
fd = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", sys.argv[1].encode(),
                                       IFF_TUN | IFF_NO_PI))
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, 4)  # IPv4 in IPv6
print("ready", flush=True)
while True:
    inner = s.recv(65535)  # a raw IPv6 socket gets the payload only
    if len(inner) >= 20 and inner[0] >> 4 == 4:
        os.write(fd, inner)
"""


def conf(sock):
    rs = "".join(f"    real_server {addr} {PORT} {{\n        weight 1\n"
                 f"    }}\n" for _, addr in SERVERS)
    return f"""
global_defs {{
    router_id e2e46
    dplbd_socket {sock}
}}
virtual_server {VIP} {PORT} {{
    lb_algo rr
    lb_kind TUN
    protocol TCP
{rs}}}
"""


def decapsulator(lab, node, addr):
    """The kernel's ip6tnl when it has one, else the userspace one (its
    Popen, for the teardown)."""
    r = lab.run(node, "ip", "link", "add", "name", DEV, "type", "ip6tnl",
                "mode", "ipip6", "local", addr, "remote", DP1_IP6)
    if r.returncode == 0:
        return None
    p = lab.spawn(node, "/usr/bin/python3", "-u", "-c", DECAP, DEV)
    assert p.stdout.readline().strip() == "ready", p.stderr.read()
    return p


@pytest.fixture(scope="module")
def tun46(lab):
    lab.direct_return(VIP)      # VIP on lo, answers from it to c1
    lab.call("addr.add", {"addr": f"{VIP}/32", "dev": "dp0"})
    procs = []
    for node, addr in SERVERS:
        procs.append(decapsulator(lab, node, addr))
        for cmd in (("ip", "link", "set", DEV, "up"),
                    ("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0",
                     f"net.ipv4.conf.{DEV}.rp_filter=0")):
            lab.run(node, *cmd, check=True)
        lab.start_web(f"{node}t46", node, "0.0.0.0", PORT, f"{node}t46")
    k = Keepalived(lab, "keepalived46", "lb", conf(lab.sock)).start()
    assert wait_for(lambda: {d["addr"] for d in dests(lab)} ==
                    {RS1_IP6, RS2_IP6}, 15), k.text()[-3000:]
    yield lab
    k.stop()
    for p in procs:
        if p is not None:
            p.kill()
            p.wait()


def dests(lab):
    try:
        (s,) = lab.call("service.list", {"proto": "tcp", "vip": VIP,
                                         "port": PORT})
    except Exception:  # not pushed yet
        return []
    return s["dests"]


def rx_packets(lab, node):
    return lab.link_stats(node, DEV)["rx_packets"]


def test_keepalived_pushes_ipv6_tunnel_dests(tun46):
    assert sorted((d["addr"], d["port"], d["fwd"]) for d in dests(tun46)) \
        == sorted((addr, PORT, "tunnel") for _, addr in SERVERS)


def test_curls_answered_through_ipv4_in_ipv6(tun46):
    before = {node: rx_packets(tun46, node) for node, _ in SERVERS}
    (s,) = tun46.call("stats.show", {"proto": "tcp", "vip": VIP,
                                     "port": PORT})
    in0 = s["stats"]["inpkts"]
    counts = tun46.curl_counts(f"http://{VIP}:{PORT}/", 40)
    # every curl answered, both servers (rr per worker)
    assert sum(counts.values()) == 40 and set(counts) == \
        {"rs1t46", "rs2t46"}, counts
    # the client's packets reached each server through the tunnel
    for node, _ in SERVERS:
        assert rx_packets(tun46, node) - before[node] >= 3 * counts[
            f"{node}t46"], node
    (s,) = tun46.call("stats.show", {"proto": "tcp", "vip": VIP,
                                     "port": PORT})
    assert s["stats"]["inpkts"] - in0 >= 40 * 3
    conns = [c for c in tun46.conns() if c["vip"] == f"{VIP}:{PORT}"]
    assert conns and {c["dest"] for c in conns} <= {
        f"[{RS1_IP6}]:{PORT}", f"[{RS2_IP6}]:{PORT}"}, conns


def test_upload_learns_the_tunnels_mtu(tun46):
    """A 20 kB upload: the client's full-size segments (1500 bytes) do not
    fit dp1's MTU with the 40-byte outer header and have DF, so dplbd
    answers fragmentation needed (1460) from the VIP; the client's kernel
    sends smaller segments and the upload completes (nginx answers a POST
    to a static file with 405: any HTTP status proves it arrived)."""
    before = tun46.drops().get("too_big", 0)
    r = tun46.run("c", "bash", "-c",
                  "head -c 20000 /dev/zero | tr '\\0' x | curl -sS "
                  "--max-time 15 -o /dev/null -w '%{http_code}' "
                  f"--data-binary @- http://{VIP}:{PORT}/", timeout=40)
    assert r.returncode == 0 and r.stdout in ("200", "405"), \
        (r.returncode, r.stdout, r.stderr)
    assert tun46.drops().get("too_big", 0) > before
    # the client's kernel learnt the path MTU to the VIP: 1460
    route = tun46.run("c", "ip", "route", "get", VIP).stdout
    assert "mtu 1460" in route, route
