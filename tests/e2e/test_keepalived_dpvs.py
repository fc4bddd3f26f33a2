# SPDX-License-Identifier: GPL-2.0-or-later
"""A DPVS-style keepalived.conf drives dplbd (issue 16, item 4): VRRP's
dpdk_interface puts the VIP into dplbd's port as dataplane_interface
does, the local address group with a port name puts its addresses on
that port, DPVS's proxy_protocol spelling is read, and clients reach the
real servers through the VIP.  tests/kaconf/test_dpvs.py has the
configuration tests."""

import pytest

from katest import KEEPALIVED, Keepalived
from labtest import RS1_IP, RS2_IP, wait_for

VIP = "198.18.0.100"
LIP = "198.18.1.100"

pytestmark = pytest.mark.skipif(not KEEPALIVED.exists(),
                                reason="make keepalived first")


def dpvs_conf(lab):
    return f"""
! DPVS's documented form, with dplb's port names
global_defs {{
    router_id DPVS_DEVEL
    dplbd_socket {lab.sock}
    dplbd_config {lab.state}/dplbd.conf
}}

local_address_group laddr_g1 {{
    {LIP} dp1
}}

vrrp_instance VI_1 {{
    state MASTER
    interface dp0
    dpdk_interface dp0
    virtual_router_id 123
    priority 100
    advert_int 1
    virtual_ipaddress {{
        {VIP}
    }}
}}

virtual_server_group {VIP}-80 {{
    {VIP} 80
}}

virtual_server group {VIP}-80 {{
    delay_loop 1
    lb_algo rr
    lb_kind FNAT
    protocol TCP
    laddr_group_name laddr_g1
    expire_quiescent_conn
    proxy_protocol Disable

    real_server {RS1_IP} 80 {{
        weight 100
        inhibit_on_failure
        TCP_CHECK {{
            nb_sock_retry 1
            connect_timeout 1
            connect_port 80
        }}
    }}
    real_server {RS2_IP} 80 {{
        weight 100
        inhibit_on_failure
        TCP_CHECK {{
            nb_sock_retry 1
            connect_timeout 1
            connect_port 80
        }}
    }}
}}
"""


def test_dpvs_style_config_serves(lab, tmp_path):
    text = dpvs_conf(lab)
    # keepalived -t beside dplbd (its twins exist there), the port names
    # checked against the lab's dplbd.conf
    path = tmp_path / "dpvs.conf"
    path.write_text(text)
    r = lab.run("lb", str(KEEPALIVED), "-t", "-l", "-D", "-f", str(path))
    assert r.returncode == 0, r.stdout + r.stderr
    k = Keepalived(lab, "ka-dpvs", "lb", text).start()
    try:
        def vips():
            return [(v["addr"], v["dev"], v.get("owner"))
                    for v in lab.call("vip.list")]
        assert wait_for(lambda: vips() == [(VIP, "dp0", "VI_1")], 15), \
            (vips(), k.text()[-3000:])
        assert wait_for(lambda: [g["addresses"] for g in
                                 lab.call("laddr.list", {})] == [[LIP]], 10), \
            k.text()[-3000:]
        assert any(a["addr"].startswith(LIP) for a in lab.call(
            "addr.list", {"dev": "dp1"})), lab.call("addr.list", {})

        def dests():
            try:
                return sorted(d["addr"] for d in lab.call(
                    "dest.list", {"proto": "tcp", "vip": VIP, "port": 80}))
            except Exception:
                return None
        assert wait_for(lambda: dests() == sorted([RS1_IP, RS2_IP]), 15), \
            k.text()[-3000:]
        svc = lab.call("service.list", {"proto": "tcp", "vip": VIP,
                                        "port": 80})[0]
        assert svc["laddr_group"] == "laddr_g1", svc
        counts = lab.curl_counts(f"http://{VIP}/", 10)
        assert counts == {"rs1": 5, "rs2": 5}, counts
        assert "DPVS" not in k.text() and "Unknown keyword" not in k.text()
    finally:
        k.stop()
