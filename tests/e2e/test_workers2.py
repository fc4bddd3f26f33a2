# SPDX-License-Identifier: GPL-2.0-or-later
"""Two workers on net_af_packet (no RSS): flows must still work, each on
one worker, and both workers get a share."""

import pytest

from labtest import CLIENT_IP, DP0_IP, RS1_IP, RS2_IP

LAB_WORKERS = 2


def test_two_workers_running(lab):
    ws = lab.workers_stats()
    assert len(ws) == 2, ws
    ports = lab.ports()
    for p in ("dp0", "dp1"):
        assert ports[p]["rxq"] == 2, ports[p]


@pytest.mark.parametrize("node,dst", [("c", DP0_IP), ("c", RS1_IP),
                                      ("c", RS2_IP), ("rs1", CLIENT_IP),
                                      ("rs2", CLIENT_IP)])
def test_ping(lab, node, dst):
    r = lab.ping(node, dst, count=3)
    assert lab.received(r) == 3, r.stdout + r.stderr


@pytest.mark.parametrize("node,url,body", [
    ("c", f"http://{RS1_IP}/", "rs1"),
    ("c", f"http://{RS2_IP}/", "rs2"),
    ("rs1", f"http://{CLIENT_IP}/", "client"),
])
def test_curl(lab, node, url, body):
    r = lab.curl(node, url)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == body


def test_200_sequential_curls(lab):
    w0 = lab.workers_stats()
    # one shell in the client namespace, 200 curl processes, each a new
    # TCP connection from a new source port; alternate the servers
    script = f"""
ok=0; bad=0
for i in $(seq 1 200); do
  if [ $((i % 2)) = 0 ]; then ip={RS1_IP}; want=rs1; else ip={RS2_IP}; want=rs2; fi
  body=$(curl -sS --max-time 3 http://$ip/ 2>&1)
  if [ "$body" = "$want" ]; then ok=$((ok+1)); else bad=$((bad+1)); echo "curl $i $ip: $body"; fi
done
echo "ok=$ok bad=$bad"
"""
    r = lab.run("c", "bash", "-c", script, timeout=240)
    assert "ok=200 bad=0" in r.stdout, r.stdout[-3000:] + r.stderr
    w1 = lab.workers_stats()
    rx = [b["rx_packets"] - a["rx_packets"] for a, b in zip(w0, w1)]
    # 200 connections of ~10 packets each way; the af_packet fanout
    # spreads them, so both workers must have had a real share
    assert sum(rx) >= 200 * 8, rx
    assert min(rx) >= 200, f"per-worker rx packets {rx}: one worker idle"
