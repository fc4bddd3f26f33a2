# SPDX-License-Identifier: GPL-2.0-or-later
"""Queues for more workers than the twin has: six workers on a port with
a kernel twin.  The port (net_null) has a queue pair per worker; the twin
(net_tap) has four, because DPDK 22.11's net_tap overflows a fixed array
of 8 fds with more (dplbd used to die of stack smashing with 5 workers
and a twin), so workers 4 and 5 poll no twin queue and send what they
have for the kernel through workers 0 and 1."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pylib"))

from dplbd import Dplbd  # noqa: E402

WORKERS = 6
CONFIG = f"""
global = {{ log_level = "info"; control_socket = "@SOCKET@"; }};
eal = {{ hugepages = false; memory_mb = 512; }};
dataplane = {{ workers = {WORKERS}; idle_sleep_max_us = 1000;
               max_conns = 1024; }};
ports = ( {{ name = "dp0"; device = "net_null0"; twin = "qtwin0";
             addresses = [ "198.18.6.1/24" ]; }} );
"""
NS = f"qtest{os.getpid() % 100000}"


@pytest.fixture(scope="module")
def dplbd():
    if os.geteuid() != 0:
        pytest.fail("the twin (net_tap) needs root (a network namespace)",
                    pytrace=False)
    subprocess.run(["ip", "netns", "add", NS], check=True)
    try:
        d = Dplbd(CONFIG, netns=NS, start_timeout=60)
        d.start()
        yield d
        alive = d.alive()
        rc = d.stop()
        assert alive, f"dplbd died during the tests:\n{d.stderr}"
        assert rc == 0, f"dplbd exited with {rc}:\n{d.stderr}"
    finally:
        subprocess.run(["ip", "netns", "del", NS], check=False)


def workers(d):
    return sorted((lc for lc in d.ctl.result("lcore.list")
                   if lc["role"] == "worker"), key=lambda w: w["worker"])


def test_a_port_queue_pair_per_worker(dplbd):
    (p,) = dplbd.ctl.result("port.list")
    assert (p["rxq"], p["txq"]) == (WORKERS, WORKERS), p
    for w in workers(dplbd):
        (q,) = [q for q in w["queues"] if not q["twin"]]
        assert q["rxq"] == q["txq"] == w["worker"], w
        assert q["tx_via"] is None


def test_twin_has_four_queue_pairs(dplbd):
    for w in workers(dplbd):
        (t,) = [q for q in w["queues"] if q["twin"]]
        assert t["port"] == "qtwin0"
        if w["worker"] < 4:
            assert t["rxq"] == t["txq"] == w["worker"], t
            assert t["tx_via"] is None, t
        else:
            assert t["rxq"] is None and t["txq"] is None, t
            assert t["tx_via"] == w["worker"] % 4, t
    # the kernel sees four queues on the twin
    r = subprocess.run(["ip", "netns", "exec", NS, "ls",
                        "/sys/class/net/qtwin0/queues"], text=True,
                       capture_output=True, check=True)
    assert sorted(r.stdout.split()) == [f"{d}-{i}" for d in ("rx", "tx")
                                        for i in range(4)], r.stdout


def test_twin_reaches_the_kernel(dplbd):
    # the twin is up with the port's address: the kernel took it
    r = subprocess.run(["ip", "-n", NS, "-br", "addr", "show", "qtwin0"],
                       text=True, capture_output=True, check=True)
    assert "198.18.6.1/24" in r.stdout, r.stdout
    assert dplbd.alive()
