# SPDX-License-Identifier: GPL-2.0-or-later
"""keepalived's DPVS-style SNAT (issue 13, item 3): `virtual_server match
NAME { lb_kind SNAT; src-range; dst-range; oif; real_server POOL 0 }`
in the real patched keepalived becomes dplbd SNAT rules (snat.list), a
server reaches the outside host through them (the lab of test_snat.py:
ip.forward off, the outside 198.19.9.2 behind the client namespace as a
router), a dplbd restart gets the rules pushed again, a reload that
removes a block removes its rules, and keepalived's stop removes the
rest, as it does services."""

import pytest

from katest import KEEPALIVED, Keepalived
from labtest import DP0_IP, RS1_IP, RS2_IP, wait_for
from test_keepalived import restart_dplbd

pytestmark = pytest.mark.skipif(not KEEPALIVED.exists(),
                                reason="make keepalived first")

LAB_FORWARD = False
LAB_CONF_EXTRA = """
routes = ( { dst = "198.19.9.0/24"; via = "198.18.0.2"; dev = "dp0"; } );
"""

OUT_IP = "198.19.9.2"

# ALL: the servers' net, one prefix; UDP: a range that is no prefix,
# 198.18.1.10-13 = 198.18.1.10/31 + 198.18.1.12/31, to the outside's net
ALL = f"""
virtual_server match ALL {{
    lb_algo rr
    lb_kind SNAT
    src-range 198.18.1.0-198.18.1.255
    oif dp0
    real_server {DP0_IP} 0 {{
        weight 1
    }}
}}
"""
UDP = f"""
virtual_server match UDP {{
    protocol UDP
    lb_kind SNAT
    src-range 198.18.1.10-198.18.1.13
    dst-range 198.19.9.0/24
    oif dp0
    ports_per_worker 100
    real_server {DP0_IP} 0 {{
        weight 1
    }}
}}
"""
WANT_ALL = {("any", "198.18.1.0/24", "0.0.0.0/0")}
WANT_UDP = {("udp", "198.18.1.10/31", "198.19.9.0/24"),
            ("udp", "198.18.1.12/31", "198.19.9.0/24")}


def conf(sock, *blocks):
    return f"""
global_defs {{
    router_id e2e-snat
    dplbd_socket {sock}
}}
{''.join(blocks)}"""


def rules(lab):
    try:
        return {(r["proto"], r["src"], r["dst"]): r
                for r in lab.call("snat.list")}
    except Exception:       # dplbd restarting
        return None


def has_rules(lab, want):
    return wait_for(lambda: set(rules(lab) or {}) == want, 15, 0.1)


@pytest.fixture(scope="module")
def outside(lab):
    lab.sh("outside-up")
    lab.start_web("outweb", "out", OUT_IP, 80, "outside")


@pytest.fixture(scope="module")
def ka(lab, outside):
    assert "snat" in lab.call("hello")["capabilities"]
    k = Keepalived(lab, "keepalived", "lb", conf(lab.sock, ALL, UDP)).start()
    assert has_rules(lab, WANT_ALL | WANT_UDP), \
        (rules(lab), k.text()[-3000:])
    yield k
    if k.alive():
        k.stop()


def outside_answers(lab, node="rs1"):
    r = lab.run(node, "curl", "-s", "-m", "3", f"http://{OUT_IP}/")
    return r.returncode == 0 and r.stdout.strip() == "outside"


def test_rules_in_snat_list(lab, ka):
    got = rules(lab)
    for r in got.values():
        assert r["addrs"] == [DP0_IP] and r["oif"] == "dp0", r
        assert r["iif"] == ""
    assert all(got[k]["ports_per_worker"] == 100 for k in WANT_UDP)
    assert got[next(iter(WANT_ALL))]["ports_per_worker"] == 0
    assert "3 SNAT rules from virtual_server match blocks" in ka.text()


def test_servers_reach_the_outside_through_the_rule(lab, ka):
    for node in ("rs1", "rs2"):
        assert outside_answers(lab, node), node
    with open(f"{lab.state}/outweb/access.log") as f:
        log = f.read()
    # the outside saw dplbd's SNAT address, never a server's
    assert DP0_IP in log and RS1_IP not in log and RS2_IP not in log
    tcp = [c for c in lab.conns() if c["fwd"] == "snat"]
    assert tcp and all(c["local"].startswith(DP0_IP + ":") for c in tcp)
    assert rules(lab)[next(iter(WANT_ALL))]["conns"] >= 2


def test_dplbd_restart_pushes_the_rules_again(lab, ka):
    restart_dplbd(lab)
    assert has_rules(lab, WANT_ALL | WANT_UDP), \
        (rules(lab), ka.text()[-3000:])
    assert ka.alive()
    assert wait_for(lambda: outside_answers(lab), 10, 0.5)


def test_reload_removing_a_block_removes_its_rules(lab, ka):
    r = ka.reload_checked(conf(lab.sock, ALL))
    assert r.returncode == 0, r.stdout + r.stderr
    assert has_rules(lab, WANT_ALL), (rules(lab), ka.text()[-3000:])
    assert outside_answers(lab)
    # the last block goes: no rule, and the outside is out of reach
    # (ip.forward is off); back again with the block
    r = ka.reload_checked(conf(lab.sock) + "virtual_server match X {\n"
                          "    lb_kind SNAT\n    src-range 198.18.1.0/24\n"
                          f"    real_server {DP0_IP} 0 {{ weight 0 }}\n}}\n")
    assert r.returncode != 0        # keepalived -t refuses a pool of none
    r = ka.reload_checked(conf(lab.sock, UDP))
    assert r.returncode == 0, r.stdout + r.stderr
    assert has_rules(lab, WANT_UDP), (rules(lab), ka.text()[-3000:])
    assert not outside_answers(lab)
    r = ka.reload_checked(conf(lab.sock, ALL, UDP))
    assert r.returncode == 0
    assert has_rules(lab, WANT_ALL | WANT_UDP)
    assert wait_for(lambda: outside_answers(lab), 10, 0.5)


def test_stop_removes_the_rules(lab, ka):
    ka.stop()
    assert has_rules(lab, set()), rules(lab)
