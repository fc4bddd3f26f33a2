# SPDX-License-Identifier: GPL-2.0-or-later
"""The shipped examples (/etc/dplb/examples/SETUP/ and the installed
/etc/dplb/keepalived.conf) pass both checks: dplbd --check-config on the
dplbd.conf, keepalived -t on the keepalived.conf checked against that
dplbd.conf's ports; and an edit that breaks the pairing is caught."""

import re
import subprocess

import pytest

from conftest import DPLBD, EXAMPLES, REPO

SETUPS = ["single", "ha-master", "ha-backup", "nat", "dr", "snat",
          "ipv6-nat64"]


def test_every_setup_is_shipped():
    assert sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir()) == \
        sorted(SETUPS)
    for s in SETUPS:
        assert (EXAMPLES / s / "dplbd.conf").is_file()
        assert (EXAMPLES / s / "keepalived.conf").is_file()


def test_installed_keepalived_conf_is_the_single_example():
    """packaging/install.sh installs examples/single/keepalived.conf as
    /etc/dplb/keepalived.conf."""
    text = (REPO / "packaging" / "install.sh").read_text()
    assert re.search(r'config/examples/single/keepalived\.conf" \\\n\s*'
                     r'"\$SYSCONFDIR/dplb/keepalived\.conf"', text), text


@pytest.mark.parametrize("setup", SETUPS)
def test_dplbd_check_config(setup):
    conf = EXAMPLES / setup / "dplbd.conf"
    r = subprocess.run([str(DPLBD), "--check-config", "--file-only", "-c",
                        str(conf)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "configuration is valid" in r.stdout + r.stderr


@pytest.mark.parametrize("setup", SETUPS)
def test_keepalived_config_test(ka_test, setup):
    text = (EXAMPLES / setup / "keepalived.conf").read_text()
    # as shipped it names /etc/dplb/dplbd.conf, where the operator
    # copies the example's
    assert "dplbd_config /etc/dplb/dplbd.conf" in text
    rc, out = ka_test(text, EXAMPLES / setup / "dplbd.conf")
    assert rc == 0, out


@pytest.mark.parametrize("setup", SETUPS)
def test_examples_carry_the_required_parts(setup):
    """What issue 16 asks of each: VRRP with dataplane_interface, HTTP
    checks, FNAT with its local address group where it applies, sync in
    the pair."""
    text = (EXAMPLES / setup / "keepalived.conf").read_text()
    assert "dataplane_interface dp0" in text
    assert "HTTP_GET" in text
    kind = {"nat": "NAT", "dr": "DR"}.get(setup, "FNAT")
    assert f"lb_kind {kind}\n" in text
    if kind == "FNAT":
        assert "laddr_group_name lg1" in text
        assert "local_address_group lg1" in text
    if setup.startswith("ha-"):
        assert "lvs_sync_daemon dp0 VI_1" in text
        assert "198.18.1.100/32 dev dp1" in text


def test_a_port_missing_from_dplbd_conf_fails(ka_test, tmp_path):
    """The single example against a dplbd.conf without dp1: the local
    address group names a port dplbd does not have."""
    conf = (EXAMPLES / "single" / "dplbd.conf").read_text()
    start = conf.index("  {\n    # server side")
    end = conf.index("  }\n", start) + 4
    one_port = tmp_path / "dplbd.conf"
    one_port.write_text(conf[:start].rstrip().rstrip(",") + "\n" + conf[end:])
    r = subprocess.run([str(DPLBD), "--check-config", "--file-only", "-c",
                        str(one_port)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr     # a valid dplbd.conf by itself
    text = (EXAMPLES / "single" / "keepalived.conf").read_text()
    rc, out = ka_test(text, one_port)
    assert rc != 0, out
    assert re.search(r"Line \d+\) local_address_group lg1: port dp1: dplbd "
                     r"has no port of that name", out), out


def test_ipv6_example_serves_ipv6_and_nat64():
    """The IPv6 site: an IPv6 VIP by VRRPv3, its local address group of
    both families, one virtual server of IPv4 real servers (NAT64) and
    one of IPv6 real servers."""
    text = (EXAMPLES / "ipv6-nat64" / "keepalived.conf").read_text()
    assert "version 3" in text and "2001:db8::100/128" in text
    assert re.search(r"local_address_group lg1 \{\n\s+2001:db8:0:1::100 "
                     r"dp1\n\s+198\.18\.1\.100 dp1", text), text
    vs = dict(re.findall(r"virtual_server 2001:db8::100 (\d+) \{(.*?)\n\}",
                         text, re.S))
    assert set(vs) == {"80", "443"}, vs
    assert re.findall(r"real_server (\S+)", vs["80"]) == ["198.18.1.21",
                                                         "198.18.1.22"]
    assert re.findall(r"real_server (\S+)", vs["443"]) == [
        "2001:db8:0:1::11", "2001:db8:0:1::12"]
    conf = (EXAMPLES / "ipv6-nat64" / "dplbd.conf").read_text()
    assert '"2001:db8::1/64"' in conf and '"2001:db8:0:1::1/64"' in conf
