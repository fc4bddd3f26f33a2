# SPDX-License-Identifier: GPL-2.0-or-later
"""keepalived -t on IPv6 (issue 15, item 5): keepalived's own IPv6 sample
(doc/samples/keepalived.conf.IPv6 of the orig tarball) and a realistic
IPv6 site (an IPv6 full-NAT service, a NAT64 service, IPv6 persistence
granularity, a local_address_group with IPv6 and IPv4 addresses, a VRRPv3
instance with IPv6 VIPs on dataplane_interface, lvs_sync_daemon over an
IPv6 group) are accepted; what dplbd would refuse of IPv6 is named, with
the line."""

import pytest

from conftest import BUILD, DPLBD_CONF

SAMPLE = (BUILD / "keepalived" / "keepalived-2.2.7" / "doc" / "samples" /
          "keepalived.conf.IPv6")

LG6 = """local_address_group lg6 {
    2001:2:0:1::100 dp1
    198.18.1.100 dp1
}
"""
FNAT6 = """virtual_server 2001:2::100 80 {
    delay_loop 3
    lb_algo rr
    lb_kind FNAT
    laddr_group_name lg6
    protocol TCP
    persistence_timeout 300
    persistence_granularity 64
    real_server 2001:2:0:1::11 8080 {
        weight 1
        TCP_CHECK { connect_timeout 2 }
    }
    real_server 2001:2:0:1::12 8080 {
        weight 1
        HTTP_GET { url { path / status_code 200 } connect_timeout 2 }
    }
}
"""
NAT64 = """virtual_server 2001:2::100 81 {
    lb_algo wrr
    lb_kind FNAT
    laddr_group_name lg6
    protocol TCP
    real_server 198.18.1.11 80 {
        weight 1
        TCP_CHECK { connect_timeout 2 }
    }
}
"""
VRRP6 = """vrrp_instance VI_6 {
    state MASTER
    interface dp0
    dataplane_interface dp0
    version 3
    virtual_router_id 61
    priority 100
    virtual_ipaddress {
        2001:2::100/128
        2001:2:0:1::100/128 dev dp1
    }
}
"""


def test_keepalived_ipv6_sample_is_accepted(ka_test):
    """keepalived's sample (an IPv6 NAT service, a group with a range of
    IPv6 VIPs, persistence) as shipped in the tarball."""
    assert SAMPLE.is_file(), f"{SAMPLE}: make keepalived first"
    text = SAMPLE.read_text()
    assert "virtual_server ae00::1 80" in text
    rc, out = ka_test(text, DPLBD_CONF)
    assert rc == 0, out


def test_ipv6_site_is_accepted(ka_test):
    rc, out = ka_test(LG6 + FNAT6 + NAT64 + VRRP6, DPLBD_CONF)
    assert rc == 0, out


def test_tunnels_of_the_other_family_are_accepted(ka_test):
    """lb_kind TUN takes real servers of the other family, as IPVS does:
    an IPv4 virtual server with IPv6 real servers (IPv4 in IPv6) beside
    an IPv4 one, and an IPv6 one with IPv4 real servers (IPv6 in IPv4)."""
    text = (vs6(kind="TUN", vip="198.18.0.100") +
            vs6(kind="TUN", rs="198.18.1.11").replace(" 80 {", " 81 {"))
    text = text.replace("    real_server 2001:2:0:1::11 80 {",
                        "    real_server 198.18.1.12 80 {\n"
                        "        weight 1\n    }\n"
                        "    real_server 2001:2:0:1::11 80 {", 1)
    assert text.count("real_server") == 3, text
    rc, out = ka_test(text, DPLBD_CONF)
    assert rc == 0, out


def sync6(group):
    """lvs_sync_daemon of VRRP6's instance over an IPv6 group."""
    return (f"global_defs {{\n    lvs_sync_daemon dp0 VI_6 id 7 group "
            f"{group}\n}}\n")


@pytest.mark.parametrize("group", ["ff02::81", "ff05::1:3"])
def test_ipv6_sync_group_is_accepted(ka_test, group):
    """lvs_sync_daemon with an IPv6 group, as IPVS takes it (dplbd's
    connection sync runs over IPv6)."""
    rc, out = ka_test(sync6(group) + VRRP6, DPLBD_CONF)
    assert rc == 0, out


def vs6(kind="FNAT", rs="2001:2:0:1::11", vip="2001:2::100", extra=""):
    return (f"virtual_server {vip} 80 {{\n    lb_algo rr\n"
            f"    lb_kind {kind}\n    protocol TCP\n    {extra}\n"
            f"    real_server {rs} 80 {{\n        weight 1\n    }}\n}}\n")


LG4 = "local_address_group lg4 {\n    198.18.1.100\n}\n"

BAD = [
    # (text, message, the text of the line it names or None)
    (LG6.replace("2001:2:0:1::100 dp1", "2001:2:0:1::100-105"),
     "local_address_group lg6: '2001:2:0:1::100-105': IPv6 local "
     "addresses take no range", "::100-105"),
    (LG6.replace("2001:2:0:1::100 dp1", "fe80::1"),
     "local_address_group lg6: 'fe80::1': dplbd takes global unicast IPv6 "
     "local addresses only", "fe80::1"),
    (LG6.replace("2001:2:0:1::100 dp1", "::ffff:198.18.1.7"),
     "local_address_group lg6: '::ffff:198.18.1.7': dplbd takes global "
     "unicast IPv6", "::ffff:"),
    (LG6.replace("2001:2:0:1::100 dp1", "2001:2:0:1::100 dp9"),
     "local_address_group lg6: port dp9: dplbd has no port of that name",
     "dp9"),
    (LG6 + "local_address_group lg7 {\n    2001:2:0:1::100\n}\n",
     "local_address_group lg7: '2001:2:0:1::100' is in local_address_group "
     "lg6 already", "2001:2:0:1::100"),
    (LG6.replace("2001:2:0:1::100 dp1", "2001:2:0:1::zz"),
     "local_address_group lg6: '2001:2:0:1::zz' is not an IPv6 address",
     "::zz"),
    (vs6(kind="NAT", rs="198.18.1.11"),
     "Virtual server [2001:2::100]:tcp:80: real server [198.18.1.11]:tcp:80: "
     "IPv4 real servers of an IPv6 virtual server need lb_kind FNAT "
     "(NAT64) or TUN", None),
    (vs6(kind="DR", vip="198.18.0.100"),
     "real server [2001:2:0:1::11]:tcp:80: dplbd has no NAT46 (IPv6 real "
     "servers of an IPv4 virtual server; lb_kind TUN takes them)", None),
    (vs6(kind="NAT", vip="198.18.0.100"),
     "real server [2001:2:0:1::11]:tcp:80: dplbd has no NAT46", None),
    (LG6 + vs6(vip="198.18.0.100", extra="laddr_group_name lg6"),
     "real server [2001:2:0:1::11]:tcp:80: dplbd has no NAT46", None),
    (LG4 + vs6(extra="laddr_group_name lg4"),
     "real server [2001:2:0:1::11]:tcp:80: local_address_group lg4 has no "
     "IPv6 address to reach it from", None),
    (LG6 + vs6(extra="laddr_group_name lg6\n    toa"),
     "syn_proxy and toa apply to IPv4 virtual servers only", None),
    (vs6(kind="NAT", vip="fe80::100"),
     "Virtual server [fe80::100]:tcp:80: dplbd takes unicast VIPs only",
     None),
    (vs6(kind="NAT", rs="::1"),
     "real server [::1]:tcp:80: dplbd takes unicast real servers only",
     None),
    (sync6("ff01::81") + VRRP6,
     "lvs_sync_daemon group ff01::81: interface-local scope never leaves "
     "this node", "ff01::81"),
    (sync6("ff00::81") + VRRP6,
     "lvs_sync_daemon group ff00::81: a reserved scope never leaves",
     "ff00::81"),
    (VRRP6.replace("2001:2::100/128", "ff02::1/128"),
     "(VI_6) virtual_ipaddress ff02::1: dplbd takes unicast addresses only",
     None),
]


@pytest.mark.parametrize("text,msg,line", BAD)
def test_refused(ka_test, text, msg, line):
    rc, out = ka_test(text, DPLBD_CONF)
    assert rc != 0 and msg in out, out
    if line is not None:    # the parser names the entry's line (the last
        n = [i for i, ln in enumerate(ka_test.text.splitlines(), 1)
             if line in ln][-1]         # one: a repeat is the bad one)
        assert f"Line {n}) {msg}" in out, out
