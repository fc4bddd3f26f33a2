# SPDX-License-Identifier: GPL-2.0-or-later
"""ip.forward = false: dplbd still answers for itself, transit is dropped
and counted as forward_disabled."""

from labtest import DP0_IP, MGMT_PORT, RS1_IP, wait_for

LAB_FORWARD = False


def test_local_still_works(lab):
    r = lab.ping("c", DP0_IP, count=3)
    assert lab.received(r) == 3, r.stdout + r.stderr
    r = lab.curl("c", f"http://{DP0_IP}:{MGMT_PORT}/")
    assert r.returncode == 0 and "dplb management" in r.stdout, r.stderr


def test_transit_dropped(lab):
    before = lab.drops()["forward_disabled"]
    r = lab.curl("c", f"http://{RS1_IP}/", timeout=2)
    assert r.returncode != 0, f"curl got through: {r.stdout}"
    r = lab.ping("c", RS1_IP, count=2, wait=1)
    assert lab.received(r) == 0, r.stdout
    # at least the SYN (and its retransmission) and two echo requests
    assert wait_for(lambda: lab.drops()["forward_disabled"] - before >= 3), \
        lab.drops()
    # nothing reached the server
    log = lab.run("rs1", "cat", f"{lab.state}/rs1/access.log").stdout
    assert log.strip() == "", log
