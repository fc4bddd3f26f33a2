# SPDX-License-Identifier: GPL-2.0-or-later
"""DPVS configurations carry over (issue 16, item 4): DPVS's keywords
that dplb implements are accepted with the same meaning (dpdk_interface
as dataplane_interface's alias, local_address_group with a port,
FNAT, syn_proxy, expire_quiescent_conn, proxy_protocol in DPVS's case),
the others are refused naming the keyword and the line.  The samples in
dpvs/ were written for these tests in DPVS's documented style."""

import re
from pathlib import Path

from conftest import DPLBD_CONF, line_of

HERE = Path(__file__).resolve().parent


def test_dpvs_fnat_sample_is_accepted(ka_test):
    text = (HERE / "dpvs" / "fnat.conf").read_text()
    rc, out = ka_test(text, DPLBD_CONF)
    assert rc == 0, out
    assert "DPVS" not in out and "Unknown keyword" not in out, out


def test_dpdk_interface_is_checked_as_dataplane_interface(ka_test):
    text = (HERE / "dpvs" / "fnat.conf").read_text().replace(
        "dpdk_interface dp0", "dpdk_interface dpdk0")
    rc, out = ka_test(text, DPLBD_CONF)
    assert rc != 0
    n = line_of(ka_test.text, "dpdk_interface dpdk0")
    assert f"Line {n}) dpdk_interface dpdk0: dplbd has no port of that " \
        "name" in out, out


UNSUPPORTED_TOP = ["deny_address_group", "allow_address_group",
                   "tunnel_group"]
UNSUPPORTED_VS = ["daddr_group_name", "waddr_group_name",
                  "establish_timeout", "bps", "limit_proportion",
                  "hash_target", "quic", "vip_bind_dev"]


def test_unsupported_dpvs_keywords_are_refused_by_name_and_line(ka_test):
    text = (HERE / "dpvs" / "unsupported.conf").read_text()
    rc, out = ka_test(text, DPLBD_CONF)
    assert rc != 0, out
    text = ka_test.text
    for kw in UNSUPPORTED_TOP:
        n = line_of(text, kw + " ")
        assert f"Line {n}) top level: DPVS's keyword '{kw}' is not " \
            "supported by dplb" in out, (kw, out)
    for kw in UNSUPPORTED_VS:
        n = line_of(text, "    " + kw)
        assert re.search(rf"Line {n}\) virtual server \S+: DPVS's keyword "
                         rf"'{kw}' is not supported by dplb", out), (kw, out)
    n = line_of(text, "proxy_protocol v2-insecure")
    assert f"Line {n}) virtual server [198.18.0.100]:tcp:80: " \
        "proxy_protocol 'v2-insecure' (DPVS's) is not supported" in out, out
    # the blocks were skipped whole: nothing inside them was read as a
    # keyword of its own
    for inner in ("tunnel_entry", "kind", "remote", "10.0.0.1"):
        assert f"'{inner}'" not in out, (inner, out)
    assert "Unknown keyword" not in out, out


def test_a_refused_keyword_alone_fails_the_test(ka_test):
    """One DPVS-only keyword in an otherwise good file is enough."""
    text = (HERE / "dpvs" / "fnat.conf").read_text().replace(
        "    syn_proxy\n", "    syn_proxy\n    quic\n")
    rc, out = ka_test(text, DPLBD_CONF)
    assert rc != 0 and "DPVS's keyword 'quic'" in out, out
