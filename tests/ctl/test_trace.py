# SPDX-License-Identifier: GPL-2.0-or-later
"""trace.start, trace.read and trace.stop against a real dplbd (one
net_null port, two workers): every parameter error, one session at a
time, and records of the frames net_null's rx makes up (zero-filled,
so not for us: dropped by Ethernet).  A trace through a real FNAT VIP is
tests/e2e/test_trace.py.
Run as root: /usr/bin/python3 -m pytest tests/ctl/test_trace.py
"""

import subprocess
import time

import pytest

from conftest import DPLBCTL, NULL_PORT_2W

CONFIG = NULL_PORT_2W


def err(ctl, method, params=None, code="EINVAL"):
    e = ctl.error(method, params)
    assert set(e) >= {"code", "errno", "message"}, e
    assert e["code"] == code, (method, params, e)
    return e


@pytest.fixture
def stopped(ctl):
    """No trace armed before and after the test."""
    ctl.call("trace.stop")
    yield ctl
    ctl.call("trace.stop")


def test_hello_advertises_trace(ctl):
    assert "trace" in ctl.result("hello")["capabilities"]


def test_read_and_stop_without_a_trace(stopped):
    e = err(stopped, "trace.read", code="ENOENT")
    assert "trace.start" in e["message"], e
    err(stopped, "trace.stop", code="ENOENT")


@pytest.mark.parametrize("params,code,words", [
    ({"count": 0}, "EINVAL", "count"),
    ({"count": 100001}, "EINVAL", "count"),
    ({"count": "ten"}, "EINVAL", "count"),
    ({"dev": "dp9"}, "ENODEV", "dp9"),
    ({"dev": 3}, "EINVAL", "dev"),
    ({"addr": "198.18.0.300"}, "EINVAL", "addr"),
    ({"addr": "2001:db8::1"}, "EAFNOSUPPORT", "IPv6"),
    ({"l4port": 65536}, "EINVAL", "l4port"),
    ({"l4port": -1}, "EINVAL", "l4port"),
    ({"proto": "sctp"}, "EINVAL", "tcp, udp or icmp"),
    ({"port": 80}, "EINVAL", "port"),
])
def test_start_errors(stopped, params, code, words):
    e = err(stopped, "trace.start", params, code)
    assert words in e["message"], e
    # nothing was armed
    err(stopped, "trace.read", code="ENOENT")


def test_read_errors(stopped):
    stopped.result("trace.start", {"count": 1, "addr": "198.18.9.9"})
    err(stopped, "trace.read", {"max": 1001})
    err(stopped, "trace.read", {"what": 1})
    err(stopped, "trace.stop", {"now": True})


def test_one_trace_at_a_time(stopped):
    r = stopped.result("trace.start", {"count": 5, "proto": "udp",
                                       "l4port": 53})
    assert r == {"count": 5, "workers": 2}, r
    e = err(stopped, "trace.start", {"count": 1}, "EBUSY")
    assert "trace.stop" in e["message"], e
    r = stopped.result("trace.read", {"max": 0})
    assert r["records"] == [] and r["count"] == 5, r
    r = stopped.result("trace.read")
    # net_null's frames are zero-filled: no UDP, nothing matches
    assert r["records"] == [] and r["matched"] == 0, r
    assert r["done"] is False and r["count"] == 5, r
    stopped.result("trace.stop")
    stopped.result("trace.start", {"count": 1})


def read_until_done(ctl, timeout=10):
    recs, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = ctl.result("trace.read", {"max": 2})
        recs += r["records"]
        if r["done"]:
            return recs, r
        time.sleep(0.05)
    pytest.fail(f"trace not done in {timeout} s: {recs}")


def test_records_of_frames_not_for_us(stopped):
    stopped.result("trace.start", {"count": 6, "dev": "dp0"})
    recs, last = read_until_done(stopped)
    assert len(recs) == 6 and last["matched"] == 6, last
    # every worker's records in order, and seq numbers unique
    assert sorted(r["seq"] for r in recs) == list(range(6)), recs
    for r in recs:
        stages = [s["stage"] for s in r["stages"]]
        assert stages == ["rx", "net", "drop"], r
        assert r["stages"][0]["port"] == "dp0", r
        assert r["stages"][1]["verdict"] == "consumed", r
        assert r["stages"][2]["reason"] == "eth_not_for_us", r
        assert r["packet"] == "ethertype 0x0000", r
        (f,) = r["frames"]
        assert f["dir"] == "in" and f["port"] == "dp0", f
        assert len(f["data"]) == 2 * min(f["len"], 256), f
        assert abs(r["time_ns"] / 1e9 - time.time()) < 60, r
    r = stopped.result("trace.stop")
    assert r["records"] == [] and r["done"] is True, r


def test_stop_returns_records_not_read(stopped):
    stopped.result("trace.start", {"count": 3})
    time.sleep(0.5)
    r = stopped.result("trace.stop")
    assert len(r["records"]) == 3 and r["matched"] == 3, r
    err(stopped, "trace.read", code="ENOENT")


def dplbctl(dplbd, *args, timeout=30):
    return subprocess.run([str(DPLBCTL), "-S", dplbd.socket, *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("args,words", [
    (["--count"], "--count needs a value"),
    (["--count", "x"], "not a number"),
    (["--wait", "-1"], "not seconds"),
    (["--bogus", "1"], "unknown option '--bogus'"),
    (["--dev", "dp0", "--dev", "dp0"], "given twice"),
])
def test_dplbctl_trace_usage(dplbd, args, words):
    p = dplbctl(dplbd, "trace", *args)
    assert p.returncode == 2, p
    assert words in p.stderr, p.stderr


def test_dplbctl_trace_server_errors(dplbd, stopped):
    p = dplbctl(dplbd, "trace", "--dev", "dp7")
    assert p.returncode == 1 and "no port named 'dp7'" in p.stderr, p
    stopped.result("trace.start", {"count": 1, "addr": "198.18.9.9"})
    p = dplbctl(dplbd, "trace", "--count", "1")
    assert p.returncode == 1 and "armed already" in p.stderr, p


def test_dplbctl_trace_prints_the_stages(dplbd, stopped, tmp_path):
    pcap = tmp_path / "t.pcapng"
    p = dplbctl(dplbd, "trace", "--count", "2", "--dev", "dp0",
                "--pcap", str(pcap))
    assert p.returncode == 0, p
    out = p.stdout
    assert out.count("ethertype 0x0000") == 2, out
    assert "  drop         eth_not_for_us" in out, out
    assert "2 packets traced, 2 matched, 0 lost" in out, out
    t = subprocess.run(["tshark", "-r", str(pcap), "-T", "fields",
                        "-e", "frame.interface_name", "-e", "frame.comment"],
                       capture_output=True, text=True, timeout=60)
    assert t.returncode == 0, t.stderr
    lines = t.stdout.splitlines()
    assert len(lines) == 2, t.stdout
    for line in lines:
        name, comment = line.split("\t")
        assert name == "dp0", line
        assert "drop eth_not_for_us" in comment, line
    # dplbd disarmed: a new trace starts
    stopped.result("trace.start", {"count": 1})
