# SPDX-License-Identifier: GPL-2.0-or-later
"""SNAT rules over the control socket and in dplbd.conf: snat.add, del,
list and flush with their errors, dplbctl snat, the config file's snat
list (applied at start, shown by config.show, errors by file:line)."""

import subprocess

import pytest

from conftest import DPLBD, REPO

DPLBCTL = REPO / "build" / "dplbctl"

CONFIG = """
global = { log_level = "info"; control_socket = "@SOCKET@"; };
eal = { hugepages = false; memory_mb = 256; };
dataplane = { workers = 2; idle_sleep_max_us = 100; };
ports = ( { name = "dp0"; device = "net_null0"; twin = ""; },
          { name = "dp1"; device = "net_null1"; twin = ""; } );
snat = (
  { src = "198.18.1.0/24"; oif = "dp0"; addresses = [ "198.18.0.1" ]; },
  { src = "198.18.2.0/24"; dst = "198.19.0.0/16"; proto = "udp";
    iif = "dp1"; addresses = [ "198.18.0.1", "198.18.0.2" ];
    ports_per_worker = 100; }
);
"""

CFG_RULES = [
    {"proto": "any", "src": "198.18.1.0/24", "dst": "0.0.0.0/0", "iif": "",
     "oif": "dp0", "addrs": ["198.18.0.1"], "ports_per_worker": 0},
    {"proto": "udp", "src": "198.18.2.0/24", "dst": "198.19.0.0/16",
     "iif": "dp1", "oif": "", "addrs": ["198.18.0.1", "198.18.0.2"],
     "ports_per_worker": 100},
]


def rules(ctl):
    out = ctl.result("snat.list")
    for r in out:
        assert r.pop("conns") == 0 and r.pop("no_port") == 0
        assert r.pop("id") > 0
    return out


def err(ctl, method, params, code):
    e = ctl.error(method, params)
    assert e["code"] == code, e
    return e["message"]


def test_config_rules_applied(ctl):
    assert rules(ctl) == CFG_RULES
    shown = ctl.result("config.show")["snat"]
    assert [r["src"] for r in shown] == ["198.18.1.0/24", "198.18.2.0/24"]
    assert shown[1]["addresses"] == ["198.18.0.1", "198.18.0.2"]


def test_add_del_errors(ctl):
    rule = {"src": "10.1.2.0/23", "proto": "tcp", "addrs": ["198.18.0.9"]}
    assert ctl.result("snat.add", rule) == {}
    got = rules(ctl)[-1]
    # host bits cleared, any destination
    assert (got["src"], got["dst"], got["proto"]) == \
        ("10.1.2.0/23", "0.0.0.0/0", "tcp")
    assert "exists" in err(ctl, "snat.add", rule, "EEXIST")
    match = {"src": "10.1.2.0/23", "proto": "tcp"}
    assert ctl.result("snat.del", match) == {}
    assert "no SNAT rule" in err(ctl, "snat.del", match, "ENOENT")
    assert "params.addrs" in err(ctl, "snat.add", {"src": "10.0.0.0/8"},
                                 "EINVAL")
    assert "params.proto" in err(ctl, "snat.add", dict(rule, proto="sctp"),
                                 "EINVAL")
    assert "params.src" in err(ctl, "snat.add", dict(rule, src="10.0.0.0/33"),
                               "EINVAL")
    assert "no port 'dp7'" in err(ctl, "snat.add", dict(rule, oif="dp7"),
                                  "ENODEV")
    assert "unicast" in err(ctl, "snat.add", dict(rule, addrs=["224.0.0.1"]),
                            "EINVAL")
    assert rules(ctl) == CFG_RULES


def test_dplbctl_snat(dplbd, ctl):
    def cli(*args):
        return subprocess.run([str(DPLBCTL), "-S", dplbd.socket, "snat",
                               *args], text=True, capture_output=True,
                              timeout=10)

    r = cli("add", "src", "10.9.0.0/16", "proto", "icmp", "to",
            "198.18.0.5,198.18.0.6", "ports-per-worker", "8")
    assert r.returncode == 0, r.stderr
    r = cli("show")
    assert r.returncode == 0
    lines = r.stdout.splitlines()
    assert lines[0].split()[:6] == ["Prot", "FromNet", "ToNet", "InPort",
                                    "OutPort", "SNAT"]
    assert lines[-1].split() == ["icmp", "10.9.0.0/16", "0.0.0.0/0", "*",
                                 "*", "198.18.0.5,198.18.0.6", "8", "0", "0"]
    r = cli("add", "src", "10.9.0.0/16")
    assert r.returncode != 0 and "'to ADDR" in r.stderr
    r = cli("del", "src", "10.9.0.0/16", "proto", "icmp")
    assert r.returncode == 0, r.stderr
    assert len(ctl.result("snat.list")) == 2


@pytest.mark.parametrize("rule,why", [
    ('{ addresses = [ "198.18.0.1" ]; }', 'snat.[0].src: is required'),
    ('{ src = "198.18.1.0/24"; }', 'snat.[0].addresses: is required'),
    ('{ src = "198.18.1.0/24"; oif = "dp9"; addresses = [ "198.18.0.1" ]; }',
     "no port named 'dp9'"),
    ('{ src = "198.18.1.0/24"; proto = "gre"; addresses = [ "198.18.0.1" ]; }',
     'must be "tcp", "udp", "icmp" or "any"'),
])
def test_config_errors(tmp_path, rule, why):
    conf = tmp_path / "dplbd.conf"
    conf.write_text('ports = ( { name = "dp0"; device = "net_null0"; '
                    'twin = ""; } );\n'
                    f'snat = ( {rule} );\n')
    r = subprocess.run([str(DPLBD), "--check-config", "-c", str(conf)],
                       text=True, capture_output=True, timeout=30)
    assert r.returncode != 0
    assert f"{conf}:2" in r.stderr and why in r.stderr, r.stderr
