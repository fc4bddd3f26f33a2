# SPDX-License-Identifier: GPL-2.0-or-later
"""The Prometheus endpoint of a real dplbd (net_null port, two workers):
off by default, `promtool check metrics` passes on what it serves, every
family of docs/metrics.md is there with its labels, values follow the
control socket's (services, dests, weight 0 as keepalived's inhibit,
VIPs, sync roles, drops), errors of the metrics keys, and the Grafana
dashboard in packaging/ queries only metrics that exist.
Run as root: /usr/bin/python3 -m pytest tests/ctl/test_metrics.py
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "pylib"))

from dplbd import Dplbd  # noqa: E402

DPLBD = Path(os.environ.get("DPLBD_BIN", REPO / "build" / "dplbd"))
DASHBOARD = REPO / "packaging" / "grafana" / "dplb-dashboard.json"
DOC = REPO / "docs" / "metrics.md"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PORT = free_port()

CONFIG = f"""
global = {{ log_level = "info"; control_socket = "@SOCKET@"; }};
eal = {{ hugepages = false; memory_mb = 256; }};
dataplane = {{ workers = 2; idle_sleep_max_us = 100; max_conns = 4096; }};
ports = ( {{ name = "dp0"; device = "net_null0"; twin = ""; }} );
metrics = {{ enabled = true; address = "127.0.0.1"; port = {PORT}; }};
"""

URL = f"http://127.0.0.1:{PORT}/metrics"


def scrape(url=URL):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.headers.get("Content-Type"), r.read().decode()


def parse(text):
    """{family: type} and [(name, {label: value}, value)]."""
    types, samples = {}, []
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split()
            types[name] = typ
        elif line and not line.startswith("#"):
            m = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
            assert m, line
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
            samples.append((m.group(1), labels, float(m.group(3))))
    return types, samples


def value(samples, name, **labels):
    got = [v for n, l, v in samples
           if n == name and all(l.get(k) == w for k, w in labels.items())]
    assert len(got) == 1, (name, labels, got)
    return got[0]


@pytest.fixture(scope="module")
def lb(dplbd):
    c = dplbd.connect()
    c.result("laddr.add", {"group": "lg1", "addr": "198.18.1.100"})
    c.result("service.add", {"proto": "tcp", "vip": "198.18.0.100",
                             "port": 80, "sched": "rr", "laddr_group": "lg1",
                             "persistent": 60})
    c.result("dest.add", {"proto": "tcp", "vip": "198.18.0.100", "port": 80,
                          "addr": "198.18.1.11", "weight": 3})
    c.result("dest.add", {"proto": "tcp", "vip": "198.18.0.100", "port": 80,
                          "addr": "198.18.1.12", "weight": 0,
                          "u_threshold": 5})
    c.result("service.add", {"proto": "udp", "vip": "198.18.0.100",
                             "port": 53, "sched": "sh"})
    c.result("dest.add", {"proto": "udp", "vip": "198.18.0.100", "port": 53,
                          "addr": "198.18.1.13", "fwd": "dr"})
    c.result("vip.add", {"addr": "198.18.0.100", "dev": "dp0"})
    c.result("sync.start", {"state": "backup", "ifname": "dp0", "syncid": 9})
    yield dplbd
    c.close()


def test_promtool_check_metrics_passes(lb):
    ctype, text = scrape()
    assert ctype == "text/plain; version=0.0.4; charset=utf-8"
    p = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout == "" and p.stderr == "", \
        (p.stdout, p.stderr)


def test_every_documented_family_is_served_with_its_type(lb):
    types, samples = parse(scrape()[1])
    doc = DOC.read_text()
    documented = dict(re.findall(r"^\| `(dplb_\w+)` \| (counter|gauge) \|",
                                 doc, re.M))
    assert len(documented) >= 40, documented
    assert documented == types, set(documented.items()) ^ set(types.items())
    for name, typ in types.items():
        assert name.startswith("dplb_")
        assert name.endswith("_total") == (typ == "counter"), name
    # every sample belongs to a declared family
    assert {n for n, _, _ in samples} == set(types)


def test_values_follow_the_control_socket(lb):
    _, samples = parse(scrape()[1])
    web = dict(vip="198.18.0.100", port="80", proto="tcp")
    assert value(samples, "dplb_services") == 2
    assert value(samples, "dplb_service_dests", **web) == 2
    assert value(samples, "dplb_service_persistence_timeout_seconds",
                 **web) == 60
    rs1 = dict(web, dest="198.18.1.11:80", fwd="fnat")
    rs2 = dict(web, dest="198.18.1.12:80", fwd="fnat")
    assert value(samples, "dplb_dest_weight", **rs1) == 3
    assert value(samples, "dplb_dest_inhibited", **rs1) == 0
    # keepalived's inhibit_on_failure: weight 0
    assert value(samples, "dplb_dest_weight", **rs2) == 0
    assert value(samples, "dplb_dest_inhibited", **rs2) == 1
    assert value(samples, "dplb_dest_packets_total", direction="in",
                 **rs1) == 0
    dr = dict(vip="198.18.0.100", port="53", proto="udp",
              dest="198.18.1.13:53", fwd="dr")
    assert value(samples, "dplb_dest_active_connections", **dr) == 0
    assert value(samples, "dplb_vips") == 1
    assert value(samples, "dplb_vip_owned", vip="198.18.0.100", port="dp0",
                 leased="false") == 1
    assert value(samples, "dplb_sync_running", role="backup") == 1
    assert value(samples, "dplb_sync_running", role="master") == 0
    assert value(samples, "dplb_workers") == 2
    for w in ("0", "1"):
        assert value(samples, "dplb_worker_connections_max", worker=w) == 4096
        assert 0 <= value(samples, "dplb_worker_idle_ratio", worker=w) <= 1
        assert value(samples, "dplb_worker_polls_total", worker=w) > 0
    assert value(samples, "dplb_port_link_up", port="dp0") == 1
    # net_null delivers endless frames for no one: counted by reason,
    # the same count the control socket reports
    drops = lb.ctl.result("drop.list")
    assert {l["reason"] for n, l, _ in samples if n == "dplb_drops_total"} \
        == set(drops)
    assert value(samples, "dplb_drops_total", reason="eth_not_for_us") > 0
    info = [l for n, l, _ in samples if n == "dplb_info"][0]
    assert info["boot_id"] == lb.hello["boot_id"]


def test_counters_grow_and_the_idle_ratio_moves(lb):
    _, a = parse(scrape()[1])
    time.sleep(2.5)
    _, b = parse(scrape()[1])
    for w in ("0", "1"):
        assert value(b, "dplb_worker_rx_packets_total", worker=w) > \
            value(a, "dplb_worker_rx_packets_total", worker=w)
    assert value(b, "dplb_port_rx_packets_total", port="dp0") > \
        value(a, "dplb_port_rx_packets_total", port="dp0")


def test_other_paths_and_methods(lb):
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"http://127.0.0.1:{PORT}/nope", timeout=10)
    assert e.value.code == 404
    req = urllib.request.Request(URL, data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 405
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/",
                                timeout=10) as r:
        assert b"/metrics" in r.read()
    # the control socket still answers between scrapes
    assert lb.ctl.result("hello")["boot_id"] == lb.hello["boot_id"]


def test_grafana_dashboard_queries_only_served_metrics(lb):
    dash = json.loads(DASHBOARD.read_text())
    exprs = []

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k in ("expr", "query") and isinstance(v, str):
                    exprs.append(v)
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(dash)
    assert dash["title"] and dash["panels"] and len(exprs) >= 10, exprs
    types, _ = parse(scrape()[1])
    used = {m for e in exprs for m in re.findall(r"\bdplb_\w+", e)}
    assert used and used <= set(types), used - set(types)
    # the labels it groups and filters by exist on those metrics (or are
    # the ones Prometheus adds to every target's series)
    _, samples = parse(scrape()[1])
    labels = {}
    for n, l, _ in samples:
        labels.setdefault(n, {"instance", "job"}).update(l)
    for e in exprs:
        names = re.findall(r"\bdplb_\w+", e)
        for group in re.findall(r"\b(?:by|without) \(([\w, ]+)\)", e):
            for name in (x.strip() for x in group.split(",")):
                assert any(name in labels[m] for m in names), (e, name)
        for m, sel in re.findall(r"\b(dplb_\w+)\{([^}]*)\}", e):
            for name in re.findall(r"(\w+)=~?\"", sel):
                assert name in labels[m], (e, name)


def test_off_by_default_and_bad_keys(tmp_path):
    port = free_port()
    cfg = CONFIG.replace("metrics = {", "# metrics = {")
    with Dplbd(cfg, start_timeout=60) as d:
        assert d.ctl.result("config.show")["metrics"] == {
            "enabled": False, "port": 9661, "address": "127.0.0.1"}
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0
    for text, msg in (
            ('metrics = { address = "localhost"; };',
             "metrics.address: invalid address 'localhost'"),
            ("metrics = { port = 0; };",
             "metrics.port: must be between 1 and 65535"),
            ("metrics = { enable = true; };", "metrics.enable: unknown key")):
        conf = tmp_path / "dplbd.conf"
        conf.write_text(text + "\n")
        r = subprocess.run([str(DPLBD), "-t", "-c", str(conf)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 1 and msg in r.stderr, (text, r.stderr)


def test_address_in_use_fails_the_start_naming_the_fix():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        cfg = CONFIG.replace(f"port = {PORT};", f"port = {port};")
        d = Dplbd(cfg, start_timeout=60)
        with pytest.raises(Exception):
            d.start()
    assert re.search(rf"err: metrics: cannot listen on 127\.0\.0\.1 port "
                     rf"{port}: Address already in use: change "
                     rf"metrics\.address or metrics\.port", d.stderr), d.stderr


def test_ipv6_loopback(lb):
    port = free_port()
    cfg = CONFIG.replace('address = "127.0.0.1"; port = ' + str(PORT),
                         f'address = "::1"; port = {port}')
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with Dplbd(cfg, start_timeout=60):
        _, text = scrape(f"http://[::1]:{port}/metrics")
        assert "dplb_workers 2" in text
