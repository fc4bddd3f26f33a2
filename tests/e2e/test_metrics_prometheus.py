# SPDX-License-Identifier: GPL-2.0-or-later
"""A real Prometheus (Debian's prometheus package) scrapes dplbd in the
lab and answers PromQL about it through its HTTP API.

dplbd serves its metrics on its port dp0's address (198.18.0.1), which
lives on the kernel twin: Prometheus runs in the client namespace and
scrapes across dplbd's port, the path a management network would take.
While curl requests go through a full-NAT VIP, the query
rate(dplb_service_packets_total{vip=...}[...]) must come back positive,
and per-dest, per-worker and per-port series must be there too."""

import json
import os
import signal
import subprocess
import time
import urllib.parse

import pytest

from labtest import DP0_IP, wait_for

LAB_WORKERS = 2
METRICS_PORT = 9661
PROM = "127.0.0.1:19090"
LAB_CONF_EXTRA = (f'metrics = {{ enabled = true; address = "{DP0_IP}"; '
                  f'port = {METRICS_PORT}; }};')

VIP = "198.18.0.100"
LIP = "198.18.1.100"


@pytest.fixture(scope="module")
def prometheus(lab):
    """Prometheus in the client namespace, scraping dplbd every second."""
    d = f"{lab.state}/prometheus"
    os.makedirs(f"{d}/data", exist_ok=True)
    with open(f"{d}/prometheus.yml", "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: dplb
    static_configs:
      - targets: ["{DP0_IP}:{METRICS_PORT}"]
""")
    log = open(f"{d}/prometheus.log", "w")
    p = subprocess.Popen(lab.in_ns("c", "prometheus",
                          f"--config.file={d}/prometheus.yml",
                          f"--storage.tsdb.path={d}/data",
                          f"--web.listen-address={PROM}",
                          "--log.level=warn"),
                         stdout=log, stderr=subprocess.STDOUT)
    try:
        assert wait_for(lambda: lab.curl("c", f"http://{PROM}/-/ready")
                        .returncode == 0, timeout=60, interval=0.5), \
            open(f"{d}/prometheus.log").read()
        yield lambda q: query(lab, q)
    finally:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        log.close()


def query(lab, q):
    """The result vector of an instant query, [(labels, value)]."""
    url = f"http://{PROM}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    r = lab.curl("c", url, timeout=10)
    assert r.returncode == 0, r.stderr
    body = json.loads(r.stdout)
    assert body["status"] == "success", body
    return [(s["metric"], float(s["value"][1]))
            for s in body["data"]["result"]]


def test_the_lab_s_ports_pass_the_start_checks(lab):
    """tests/lab sets what docs/config.md asks of af_packet interfaces:
    dplbd's start checks find nothing to warn about."""
    out = lab.dplbd_output()
    assert "ready in" in out, out
    assert "warning" not in out, out


def test_target_is_up_through_the_twin(lab, prometheus):
    up = wait_for(lambda: prometheus('up{job="dplb"} == 1'), timeout=30,
                  interval=0.5)
    assert up and up[0][0]["instance"] == f"{DP0_IP}:{METRICS_PORT}", up
    # the scrape came in on dp0 and left through the twin: not dropped
    assert prometheus("dplb_workers") == [
        ({"__name__": "dplb_workers", "instance": f"{DP0_IP}:{METRICS_PORT}",
          "job": "dplb"}, float(LAB_WORKERS))]


def test_requests_through_a_vip_show_in_promql(lab, prometheus):
    lab.fnat_service(VIP, LIP)
    q = (f'sum(rate(dplb_service_packets_total{{vip="{VIP}",port="80",'
         f'direction="in"}}[5s]))')
    # requests for a few seconds, Prometheus scraping every second
    deadline = time.monotonic() + 60
    seen = []
    while time.monotonic() < deadline:
        counts = lab.curl_counts(f"http://{VIP}/", 20)
        assert counts.get("FAIL", 0) == 0, counts
        seen = prometheus(q)
        if seen and seen[0][1] > 0:
            break
    assert seen and seen[0][1] > 0, seen
    # the real servers' share, per dest, and the workers and port moved
    dests = prometheus(f'sum by (dest) (increase(dplb_dest_connections_total'
                       f'{{vip="{VIP}"}}[1m]))')
    assert {m["dest"] for m, _ in dests} == {"198.18.1.11:80",
                                             "198.18.1.12:80"}, dests
    assert all(v > 0 for _, v in dests), dests
    assert prometheus('sum(rate(dplb_port_rx_packets_total{port="dp0"}[10s]))'
                      )[0][1] > 0
    assert len(prometheus("dplb_worker_idle_ratio")) == LAB_WORKERS
    active = prometheus(f'sum(dplb_dest_weight{{vip="{VIP}"}})')
    assert active[0][1] == 2
