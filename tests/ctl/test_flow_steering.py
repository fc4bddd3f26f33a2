# SPDX-License-Identifier: GPL-2.0-or-later
"""Flow steering (rte_flow) probing and its fallback, on real PMDs.

Two workers on a port with a queue per worker make dplbd try rte_flow
rules for full-NAT replies.  No PMD in the test environment can hold
them: net_null has no rte_flow at all (validate fails), and net_tap
validates a rule with a partial port mask but refuses to create it
(its TC flower translation accepts exact ports only; the lab kernel
also lacks the multiq qdisc, flower and skbedit it would need).  dplbd
must start anyway, report software steering with the PMD's reason, and
follow laddr changes without trouble."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pylib"))

from dplbd import Dplbd  # noqa: E402

CONFIG = """
global = { log_level = "info"; control_socket = "@SOCKET@"; };
eal = { hugepages = false; memory_mb = 256; };
dataplane = { workers = 2; idle_sleep_max_us = 100; };
ports = ( { name = "dp0"; device = "%s"; twin = "";
            addresses = [ "198.18.5.1/24" ]; } );
laddr_groups = ( { name = "cfg"; addresses = [ "198.18.5.100" ]; } );
"""

NS = f"flowt{os.getpid() % 100000}"


def _start(device, netns=None):
    d = Dplbd(CONFIG % device, netns=netns)
    d.start()
    return d


def _stop(d):
    alive = d.alive()
    rc = d.stop()
    assert alive, f"dplbd died during the tests:\n{d.stderr}"
    assert rc == 0, f"dplbd exited with {rc}:\n{d.stderr}"


@pytest.fixture(scope="module")
def null_dplbd():
    d = _start("net_null0")
    yield d
    _stop(d)


@pytest.fixture(scope="module")
def tap_dplbd():
    if os.geteuid() != 0:
        pytest.fail("net_tap needs root (a network namespace)",
                    pytrace=False)
    subprocess.run(["ip", "netns", "add", NS], check=True)
    try:
        d = _start("net_tap0,iface=flowtap0", netns=NS)
        yield d
        _stop(d)
    finally:
        subprocess.run(["ip", "netns", "del", NS], check=False)


def test_no_rte_flow_at_all(null_dplbd):
    (p,) = null_dplbd.ctl.result("port.list")
    assert (p["rxq"], p["txq"]) == (2, 2), p
    assert p["steering"] == "software"
    assert p["steering_reason"] == \
        "rte_flow_validate: Function not implemented", p
    assert p["flow_rules"] == 0


def test_tap_validates_but_cannot_create(tap_dplbd):
    (p,) = tap_dplbd.ctl.result("port.list")
    assert p["driver"] == "net_tap"
    assert (p["rxq"], p["txq"]) == (2, 2), p
    assert p["steering"] == "software"
    assert p["steering_reason"] == "rte_flow_create: item not supported", p
    assert p["flow_rules"] == 0
    assert "no rte_flow steering (rte_flow_create: item not supported)" \
        in tap_dplbd.stderr


def test_a_queue_pair_per_worker(tap_dplbd):
    ws = [lc for lc in tap_dplbd.ctl.result("lcore.list")
          if lc["role"] == "worker"]
    for w in ws:
        (q,) = w["queues"]
        assert q["rxq"] == q["txq"] == w["worker"], w
        assert q["tx_via"] is None, w


@pytest.mark.parametrize("which", ["null", "tap"])
def test_laddr_changes_follow(which, request):
    d = request.getfixturevalue(f"{which}_dplbd")
    call = d.ctl.result
    call("laddr.add", {"group": "cfg", "addr": "198.18.5.101"})
    call("laddr.add", {"group": "g2"})
    call("laddr.add", {"group": "g2", "addr": "198.18.5.102"})
    call("laddr.del", {"group": "cfg", "addr": "198.18.5.100"})
    call("laddr.del", {"group": "g2"})
    groups = {g["group"]: g["addresses"] for g in call("laddr.list")}
    assert groups == {"cfg": ["198.18.5.101"]}, groups
    (p,) = call("port.list")
    assert p["steering"] == "software" and p["flow_rules"] == 0, p
    assert d.alive(), d.stderr


def test_dplbctl_port_show(tap_dplbd):
    r = subprocess.run([str(Path(__file__).resolve().parents[2] / "build" /
                            "dplbctl"), "-S", tap_dplbd.socket, "port",
                        "show"], text=True, capture_output=True, timeout=10)
    assert r.returncode == 0, r.stderr
    head, row = r.stdout.splitlines()[:2]
    assert head.split()[-1] == "STEERING", r.stdout
    assert row.split()[0] == "dp0" and row.split()[-1] == "software", r.stdout
