# SPDX-License-Identifier: GPL-2.0-or-later
"""DPVS's SNAT syntax (issue 13, item 3): `virtual_server match NAME`
blocks with lb_kind SNAT, src-range/dst-range/iif/oif pass keepalived -t
(the shipped examples/snat and a DPVS-style sample), and what cannot
become a dplbd SNAT rule fails the test with the keyword, and its line
where the parser knows it.  tests/e2e/test_keepalived_snat.py shows the
rules reaching dplbd."""

import re
from pathlib import Path

import pytest

from conftest import DPLBD_CONF, EXAMPLES, line_of

HERE = Path(__file__).resolve().parent


def test_dpvs_snat_sample_is_accepted(ka_test):
    text = (HERE / "dpvs" / "snat.conf").read_text()
    rc, out = ka_test(text, DPLBD_CONF)
    assert rc == 0, out
    assert "match" not in out and "Unknown" not in out, out


def test_shipped_snat_example_is_accepted(ka_test):
    text = (EXAMPLES / "snat" / "keepalived.conf").read_text()
    assert "virtual_server match SNAT_SERVERS" in text
    rc, out = ka_test(text, EXAMPLES / "snat" / "dplbd.conf")
    assert rc == 0, out
    assert "match" not in out, out


def block(body, name="S1"):
    return f"""global_defs {{
    router_id kasnat
}}
virtual_server match {name} {{
{body}
}}
"""


GOOD = """    lb_kind SNAT
    src-range 198.18.1.0-198.18.1.255
    oif dp0
    real_server 198.18.0.1 0 {
        weight 1
    }"""


def test_good_block_alone_is_accepted(ka_test):
    rc, out = ka_test(block(GOOD), DPLBD_CONF)
    assert rc == 0, out


# (replace, by, message, the line the message names or None)
LINE_CASES = [
    ("src-range 198.18.1.0-198.18.1.255", "src-range 198.18.1.9-198.18.1.1",
     "virtual_server match S1: src-range needs one IPv4 range A-B"),
    ("src-range 198.18.1.0-198.18.1.255", "src-range 198.18.1.0/33",
     "virtual_server match S1: src-range needs one IPv4 range A-B"),
    ("oif dp0", "oif dp0\n    dst-range 10.0.0.1-10.0.0",
     "virtual_server match S1: dst-range needs one IPv4 range A-B"),
    ("oif dp0", "oif dp9",
     "virtual_server match S1: oif"),
    ("oif dp0", "iif dpX",
     "virtual_server match S1: iif"),
    ("oif dp0", "oif dp0\n    hash_target 5",
     "DPVS's keyword 'hash_target' is not supported"),
]


@pytest.mark.parametrize("old,new,msg", LINE_CASES,
                         ids=[c[1].split()[-1] for c in LINE_CASES])
def test_bad_keyword_refused_with_its_line(ka_test, old, new, msg):
    rc, out = ka_test(block(GOOD.replace(old, new)), DPLBD_CONF)
    assert rc != 0, out
    n = line_of(ka_test.text, new.splitlines()[-1].strip())
    assert re.search(rf"Line {n}\) [^\n]*{re.escape(msg)}", out), out


BLOCK_CASES = [
    ("lb_kind SNAT", "lb_kind FNAT", "lb_kind must be SNAT"),
    ("    src-range 198.18.1.0-198.18.1.255\n", "",
     "src-range is required"),
    ("lb_kind SNAT", "lb_kind SNAT\n    protocol SCTP",
     "protocol is TCP, UDP or ICMP"),
    ("lb_kind SNAT", "lb_kind SNAT\n    laddr_group_name lg1",
     "belong to services, not SNAT rules"),
    ("weight 1", "weight 0", "no real_server of weight > 0"),
    ("weight 1", "weight 1\n        TCP_CHECK {\n            connect_timeout 1\n        }",
     "SNAT pool addresses have no health checks"),
    ("real_server 198.18.0.1 0", "real_server 127.0.0.1 0",
     "SNAT addresses are unicast IPv4"),
    ("src-range 198.18.1.0-198.18.1.255",
     "src-range 198.18.1.1-198.18.1.254\n    dst-range 10.0.0.1-10.0.0.254",
     "src-range x dst-range make 196 prefixes"),
]


@pytest.mark.parametrize("old,new,msg", BLOCK_CASES,
                         ids=[c[2].split()[0] + str(i) for i, c in
                              enumerate(BLOCK_CASES)])
def test_bad_block_refused(ka_test, old, new, msg):
    text = block(GOOD.replace(old, new))
    assert text != block(GOOD)
    rc, out = ka_test(text, DPLBD_CONF)
    assert rc != 0, out
    assert re.search(rf"virtual_server match S1: [^\n]*{re.escape(msg)}",
                     out), out


def test_no_real_server_refused(ka_test):
    rc, out = ka_test(block("    lb_kind SNAT\n    src-range 198.18.1.1"),
                      DPLBD_CONF)
    assert rc != 0 and "has no real servers" in out, out


def test_match_needs_a_name(ka_test):
    rc, out = ka_test(block(GOOD, name="").replace("match  {", "match {"),
                      DPLBD_CONF)
    assert rc != 0 and "virtual_server match needs a name" in out, out


def test_snat_keywords_outside_match_stay_refused(ka_test):
    """src-range, oif and protocol ICMP in an ordinary virtual server."""
    text = f"""global_defs {{
    router_id kasnat
}}
virtual_server 198.18.0.100 80 {{
    lb_kind NAT
    protocol TCP
    src-range 198.18.1.0-198.18.1.255
    oif dp0
    real_server 198.18.1.11 80 {{
        weight 1
    }}
}}
virtual_server 198.18.0.100 81 {{
    lb_kind NAT
    protocol ICMP
    real_server 198.18.1.11 80 {{
        weight 1
    }}
}}
"""
    rc, out = ka_test(text, DPLBD_CONF)
    assert rc != 0, out
    t = ka_test.text
    for kw in ("src-range", "oif"):
        n = line_of(t, f"    {kw} ")
        assert f"Line {n}) virtual server [198.18.0.100]:tcp:80: DPVS's " \
            f"keyword '{kw}' is not supported" in out, (kw, out)
    n = line_of(t, "protocol ICMP")
    assert f"Line {n}) Unknown protocol ICMP" in out, out


def test_snat_in_a_service_is_refused(ka_test):
    """lb_kind SNAT in a virtual server with a VIP: dplbd's SNAT is a
    rule, the message says how to write it."""
    text = """global_defs {
    router_id kasnat
}
virtual_server 198.18.0.100 80 {
    lb_kind SNAT
    protocol TCP
    real_server 198.18.1.11 80 {
        weight 1
    }
}
"""
    rc, out = ka_test(text, DPLBD_CONF)
    assert rc != 0, out
    assert "Virtual server [198.18.0.100]:tcp:80: lb_kind SNAT: dplbd's " \
        "SNAT is a rule, not a forwarding mode of a service: write it as " \
        "virtual_server match NAME" in out, out
