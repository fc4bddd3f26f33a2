# SPDX-License-Identifier: GPL-2.0-or-later
"""The lab on net_af_xdp instead of net_af_packet (DPDK_PMD=af_xdp)."""

import pytest

from labtest import CLIENT_IP, DP0_IP, RS1_IP, RS2_IP

LAB_PMD = "af_xdp"


def test_driver(lab):
    ports = lab.ports()
    for p in ("dp0", "dp1"):
        assert "af_xdp" in ports[p]["driver"], ports[p]


@pytest.mark.parametrize("node,dst", [("c", DP0_IP), ("c", RS1_IP),
                                      ("rs2", CLIENT_IP)])
def test_ping(lab, node, dst):
    r = lab.ping(node, dst, count=3)
    assert lab.received(r) == 3, r.stdout + r.stderr


@pytest.mark.parametrize("dst,body", [(RS1_IP, "rs1"), (RS2_IP, "rs2")])
def test_curl(lab, dst, body):
    r = lab.curl("c", f"http://{dst}/")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == body
