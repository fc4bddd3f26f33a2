# SPDX-License-Identifier: GPL-2.0-or-later
"""A service deleted under established connections (two workers,
af_packet): as in IPVS, which looks connections up before services, its
connections live on until they end, each on its worker, while a new
connection to the deleted service meets what no service would (the
kernel behind the twin refuses it).  keepalived deletes its services on
a graceful stop while the VIP still answers here for a moment: a flow
cut then was reset by the twin (test_keepalived_ha_flows in CI).

The ghost that keeps them (lb_svc.h, LB_SVC_F_RETIRED) goes once no
connection holds its dests; a service added again under its key serves
new connections at once."""

import pytest

from labtest import RS1_IP, RS2_IP, wait_for

LAB_WORKERS = 2

VIP = "198.18.0.100"
LIP = "198.18.1.100"
VIP6 = "2001:2::100"    # NAT64 to the same servers, from LIP
N = 16

# N keep-alive HTTP connections to VIP:80; each line on stdin asks one
# more GET on every one of them and prints the statuses (or the errors)
CLIENT = f"""
import http.client, sys
conns = [http.client.HTTPConnection(sys.argv[1], 80, timeout=5)
         for _ in range({N})]

def round_():
    out = []
    for c in conns:
        try:
            c.request("GET", "/")
            r = c.getresponse()
            r.read()
            out.append(str(r.status))
        except Exception as e:
            out.append(type(e).__name__)
    print(" ".join(out), flush=True)

round_()
for line in sys.stdin:
    round_()
"""


def add_service(lab, vip):
    lab.call("service.add", {"proto": "tcp", "vip": vip, "port": 80,
                             "sched": "rr", "laddr_group": "lg1"})
    for addr in (RS1_IP, RS2_IP):
        lab.call("dest.add", {"proto": "tcp", "vip": vip, "port": 80,
                              "addr": addr, "dport": 80, "fwd": "fnat"})


@pytest.fixture(scope="module")
def lb(lab):
    lab.call("addr.add", {"addr": f"{VIP}/32", "dev": "dp0"})
    lab.call("addr.add", {"addr": f"{VIP6}/128", "dev": "dp0"})
    lab.call("addr.add", {"addr": f"{LIP}/32", "dev": "dp1"})
    lab.call("laddr.add", {"group": "lg1", "addr": LIP})
    return lab


def gets(p):
    p.stdin.write("again\n")
    p.stdin.flush()
    return p.stdout.readline().split()


@pytest.mark.parametrize("vip", [VIP, VIP6])
def test_deleted_service_keeps_its_connections(lb, vip):
    url = f"http://[{vip}]/" if ":" in vip else f"http://{vip}/"
    add_service(lb, vip)
    assert wait_for(lambda: lb.curl("c", url).returncode == 0, 10)
    p = lb.spawn("c", "/usr/bin/python3", "-c", CLIENT, vip)
    try:
        first = p.stdout.readline().split()
        assert first == ["200"] * N, (first, p.stderr.read())
        workers = {c["worker"] for c in lb.conns()}
        lb.call("service.del", {"proto": "tcp", "vip": vip, "port": 80})
        assert lb.call("service.list") == []
        # the established ones go on, on both workers, in both directions
        for _ in range(3):
            assert gets(p) == ["200"] * N
        assert workers == {0, 1}, workers
        # a new one to the deleted service is not served
        r = lb.curl("c", url, timeout=3)
        assert r.returncode != 0, r.stdout
        assert gets(p) == ["200"] * N
    finally:
        p.stdin.close()
        p.wait(timeout=10)
    # the ended connections go (flushed rather than waited out): the
    # ghost with them; the service added again serves new ones
    lb.call("conn.flush")
    assert wait_for(lambda: lb.conns() == [], 5), lb.conns()
    add_service(lb, vip)
    for _ in range(4):
        r = lb.curl("c", url)
        assert r.returncode == 0, r.stderr
    lb.call("service.del", {"proto": "tcp", "vip": vip, "port": 80})
