# SPDX-License-Identifier: GPL-2.0-or-later
"""keepalived -t fails on what dplbd would refuse when keepalived pushes
it (issue 16, item 3): addresses that are not unicast, a local
address twice, a port name that dplbd.conf does not have, firewall-mark
and SCTP services.  dplbd.conf is global_defs' dplbd_config, else
/etc/dplb/dplbd.conf for the default socket."""

import pytest

from conftest import EXAMPLES

DPLBD_CONF = EXAMPLES / "single" / "dplbd.conf"     # ports dp0, dp1

VS = """virtual_server {vip} 80 {{
    lb_algo rr
    lb_kind {kind}
    protocol {proto}
    {extra}
    real_server {rs} 80 {{
        weight 1
    }}
}}
"""
LG = "local_address_group lg1 {\n    198.18.1.100 dp1\n}\n"
VRRP = """vrrp_instance VI_1 {{
    state MASTER
    interface dp0
    dataplane_interface {port}
    virtual_router_id 51
    priority 100
    virtual_ipaddress {{
        {vips}
    }}
}}
"""


def vs(vip="198.18.0.100", rs="198.18.1.11", kind="NAT", proto="TCP",
       extra=""):
    return VS.format(vip=vip, rs=rs, kind=kind, proto=proto, extra=extra)


BAD = [
    # local address groups
    ("local_address_group lg1 {\n    198.18.1.100 dp7\n}\n",
     "local_address_group lg1: port dp7: dplbd has no port of that "
     "name"),
    ("local_address_group lg1 {\n    127.0.0.5\n}\n",
     "local_address_group lg1: '127.0.0.5': dplbd takes unicast "
     "IPv4 local addresses only"),
    ("local_address_group lg1 {\n    239.1.1.1-3\n}\n",
     "'239.1.1.1-3': dplbd takes unicast IPv4 local addresses only"),
    ("local_address_group lg1 {\n    198.18.1.100-110\n}\n"
     "local_address_group lg2 {\n    198.18.1.105\n}\n",
     "local_address_group lg2: '198.18.1.105' is in "
     "local_address_group lg1 already"),
    ("local_address_group lg1 {\n    198.18.1.0-63\n    198.18.2.1\n}\n",
     "'198.18.2.1': dplbd takes at most 64 addresses per group"),
    # virtual and real servers
    (vs(vip="ff05::1", rs="2001:db8::2"),
     "Virtual server [ff05::1]:tcp:80: dplbd takes unicast VIPs only"),
    (vs(vip="0.0.0.0"), "dplbd takes unicast VIPs only"),
    (vs(rs="224.0.0.5"), "real server [224.0.0.5]:tcp:80: dplbd takes "
     "unicast real servers only"),
    (vs(proto="SCTP"), "dplbd's services are TCP or UDP"),
    ("virtual_server fwmark 7 {\n    lb_algo rr\n    lb_kind NAT\n"
     "    real_server 198.18.1.11 80 {\n        weight 1\n    }\n}\n",
     "Virtual server FWM 7: dplbd has no firewall-mark services"),
    # VRRP instances with dataplane_interface
    (VRRP.format(port="dp5", vips="198.18.0.100/32"),
     "dataplane_interface dp5: dplbd has no port of that name"),
    (VRRP.format(port="dp0", vips="198.18.1.100/32 dev dp0\n        "
                 "255.255.255.255/32"),
     "(VI_1) virtual_ipaddress 255.255.255.255: dplbd takes unicast "
     "addresses only"),
]


@pytest.mark.parametrize("text,msg", BAD)
def test_refused(ka_test, text, msg):
    rc, out = ka_test(text, DPLBD_CONF)
    assert rc != 0 and msg in out, out
    # the parser's errors name the line of the offending entry
    first = msg.split(":")[0].split()[0]
    if first in ("local_address_group", "dataplane_interface"):
        bad = [n for n, ln in enumerate(ka_test.text.splitlines(), 1)
               if ("dp7" in ln or "127.0.0.5" in ln or "239.1" in ln or
                   "198.18.1.105" in ln or "198.18.2.1" in ln or
                   "dataplane_interface dp5" in ln)]
        assert f"Line {bad[0]}) {msg}" in out, out


def test_good(ka_test):
    text = (LG + vs(kind="FNAT", extra="laddr_group_name lg1") +
            VRRP.format(port="dp0", vips="198.18.0.100/32\n        "
                        "198.18.1.100/32 dev dp1"))
    rc, out = ka_test(text, DPLBD_CONF)
    assert rc == 0, out


def test_unreadable_dplbd_config_is_an_error(ka_test, tmp_path):
    rc, out = ka_test(LG, tmp_path / "nosuch.conf")
    assert rc != 0
    assert f"dplbd_config {tmp_path}/nosuch.conf cannot be read" in out, out


def test_broken_dplbd_config_is_an_error(ka_test, tmp_path):
    bad = tmp_path / "bad.conf"
    bad.write_text("ports = ( { name = \"dp1\"; \n")
    rc, out = ka_test(LG, bad)
    assert rc != 0 and f"{bad}:" in out, out


def test_relative_dplbd_config_is_an_error(ka_test):
    rc, out = ka_test("global_defs {\n    dplbd_config dplbd.conf\n}\n" + LG)
    assert rc != 0 and "dplbd_config 'dplbd.conf': an absolute path" in out


def test_another_socket_without_dplbd_config_checks_no_ports(ka_test):
    """A keepalived for another dplbd (its own socket) does not assume
    /etc/dplb/dplbd.conf is that dplbd's: port names go unchecked."""
    text = ("global_defs {\n    dplbd_socket /run/other/dplbd.sock\n}\n"
            "local_address_group lg1 {\n    198.18.1.100 dp7\n}\n")
    rc, out = ka_test(text)
    assert rc == 0, out
