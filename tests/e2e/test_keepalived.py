# SPDX-License-Identifier: GPL-2.0-or-later
"""The patched keepalived drives dplbd (one lb): services, real servers and
local addresses from keepalived.conf, HTTP_GET and TCP_CHECK taking a
stopped server out and putting it back while curl through the VIP goes on,
inhibit_on_failure, a reload that applies only the difference, a dplbd
restart with resync, and keepalived.conf's dataplane keywords with bad
values."""

import threading
import time

import pytest

from katest import KEEPALIVED, Keepalived, config_test
from labtest import RS1_IP, RS2_IP, wait_for

VIP = "198.18.0.100"
LIP = "198.18.1.100"
DELAY_LOOP = 1
CHECK_TIMEOUT = 1

pytestmark = pytest.mark.skipif(not KEEPALIVED.exists(),
                                reason="make keepalived first")


def conf(sock, rs80=(RS1_IP, RS2_IP), weight2=1, extra="", lips=(LIP,)):
    def rs_block(addr):
        if addr == RS1_IP:
            check = f"""HTTP_GET {{
                url {{ path / status_code 200 }}
                connect_timeout {CHECK_TIMEOUT}
                retry 0
            }}"""
        else:
            check = f"TCP_CHECK {{ connect_timeout {CHECK_TIMEOUT} retry 0 }}"
        w = weight2 if addr == RS2_IP else 1
        return f"""
    real_server {addr} 80 {{
        weight {w}
        {check}
    }}"""

    group = "".join(f"    {a} dp1\n" for a in lips)
    return f"""
global_defs {{
    router_id e2e
    dplbd_socket {sock}
}}
local_address_group lg1 {{
{group}}}
virtual_server {VIP} 80 {{
    delay_loop {DELAY_LOOP}
    lb_algo rr
    lb_kind FNAT
    laddr_group_name lg1
    protocol TCP
    {''.join(rs_block(a) for a in rs80)}
}}
virtual_server {VIP} 81 {{
    delay_loop {DELAY_LOOP}
    lb_algo wrr
    lb_kind FNAT
    laddr_group_name lg1
    protocol TCP
    inhibit_on_failure
    real_server {RS1_IP} 80 {{
        TCP_CHECK {{ connect_timeout {CHECK_TIMEOUT} retry 0 }}
    }}
    real_server {RS2_IP} 80 {{
        TCP_CHECK {{ connect_timeout {CHECK_TIMEOUT} retry 0 }}
    }}
}}
{extra}"""


def dests(lab, port=80):
    try:
        return {d["addr"]: d for d in
                lab.call("dest.list", {"proto": "tcp", "vip": VIP,
                                       "port": port})}
    except Exception:  # the service is not there (yet)
        return None


def svc_id(lab, port=80):
    return lab.call("service.list", {"proto": "tcp", "vip": VIP,
                                     "port": port})[0]["id"]


@pytest.fixture(scope="module")
def ka(lab):
    lab.call("addr.add", {"addr": f"{VIP}/32", "dev": "dp0"})
    k = Keepalived(lab, "keepalived", "lb", conf(lab.sock)).start()
    assert wait_for(lambda: (dests(lab) or {}).keys() == {RS1_IP, RS2_IP},
                    10), k.text()[-3000:]
    yield k
    k.stop()


class CurlLoop:
    """curl through the VIP in a loop, each result with its start time."""

    def __init__(self, lab, url):
        self.lab, self.url = lab, url
        self.results = []
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            t0 = time.monotonic()
            # a refused try (the stopped server, before its check fails)
            # is retried at once; -m 5 lets a SYN lost on a loaded
            # machine be sent again twice (one curl of a fresh make
            # test timed out at -m 2); curl's exit code kept for the
            # report
            r = self.lab.run("c", "curl", "-s", "-m", "5",
                             "--retry", "2", "--retry-connrefused",
                             "--retry-delay", "0", self.url, timeout=20)
            self.results.append((t0, r.returncode == 0, r.stdout.strip(),
                                 r.returncode, time.monotonic()))
            time.sleep(0.05)

    def __enter__(self):
        self.t.start()
        return self

    def __exit__(self, *a):
        self.stop.set()
        self.t.join(15)

    def failed(self, t_stop, t_stopped):
        """(failed curls, curls cut by the server's stop). A server killed
        while a curl talks to it resets that connection (nginx's fast
        shutdown closes the connections it accepted, and the kernel resets
        those still in the listen queue): curl exits 52 or 56. Such a curl
        was in flight between the stop's start and its end. Every other
        failure is dplbd's or the checker's."""
        cut = [r for r in self.results if not r[1] and r[3] in (52, 56)
               and r[4] >= t_stop and r[0] <= t_stopped]
        return [r for r in self.results if not r[1] and r not in cut], cut


def test_services_pushed(lab, ka):
    svc = lab.call("service.list", {"proto": "tcp", "vip": VIP, "port": 80})[0]
    assert svc["sched"] == "rr" and svc["laddr_group"] == "lg1"
    assert {d["fwd"] for d in svc["dests"]} == {"fnat"}
    assert [g["addresses"] for g in lab.call("laddr.list", {"group": "lg1"})] == [[LIP]]
    assert {"dev": "dp1", "addr": f"{LIP}/32"} in lab.call("addr.list")
    counts = lab.curl_counts(f"http://{VIP}/", 20)
    assert counts == {"rs1": 10, "rs2": 10}, counts


@pytest.mark.parametrize("server,check", [("rs1", "HTTP_GET"),
                                          ("rs2", "TCP_CHECK")])
def test_checker_removes_and_restores(lab, ka, server, check):
    ip = RS1_IP if server == "rs1" else RS2_IP
    other = "rs2" if server == "rs1" else "rs1"
    with CurlLoop(lab, f"http://{VIP}/") as loop:
        time.sleep(0.5)
        t_stop = time.monotonic()
        lab.sh("stop", server)
        t_stopped = time.monotonic()
        gone = wait_for(lambda: ip not in (dests(lab) or {ip: 0}), 10, 0.05)
        t_gone = time.monotonic() - t_stop
        assert gone, ka.text()[-2000:]
        # removed within delay_loop + the check's timeout on a quiet
        # machine (docs/keepalived.md); a loaded one adds the time the
        # checker needs to be scheduled: the figure is printed, and only
        # the 10 s of wait_for bound it
        print(f"{server}: removed {t_gone:.2f} s after its stop (quiet "
              f"machine: <= {DELAY_LOOP + CHECK_TIMEOUT + 1.0} s)")
        time.sleep(1.0)
        lab.sh("start-web", server, server, "0.0.0.0", "80", server)
        t_start = time.monotonic()
        back = wait_for(lambda: ip in (dests(lab) or {}), 10, 0.05)
        t_back = time.monotonic() - t_start
        assert back, ka.text()[-2000:]
        # a failed checker retries every delay_loop; its next probe may
        # start just before the server listens
        print(f"{server}: back {t_back:.2f} s after its start (quiet "
              f"machine: <= {2 * DELAY_LOOP + CHECK_TIMEOUT + 1.0} s)")
        time.sleep(1.0)
    res = loop.results
    assert len(res) >= 20, res
    failed, cut = loop.failed(t_stop, t_stopped)
    assert not failed, (failed, t_stop, t_gone, ka.text()[-2000:])
    # while it was out, only the other server answered; afterwards both
    during = {r[2] for r in res if t_stop + t_gone + 0.2 < r[0] < t_start}
    assert during == {other}, during
    print(f"\n{check}: {server} out of dplbd {t_gone:.2f} s after its stop, "
          f"back {t_back:.2f} s after its start; {len(res)} curls, 0 failed, "
          f"{len(cut)} cut by the server's stop")


def test_inhibit_on_failure_sets_weight_zero(lab, ka):
    assert dests(lab, 81)[RS1_IP]["weight"] == 1
    lab.sh("stop", "rs1")
    try:
        assert wait_for(lambda: (dests(lab, 81) or {}).get(RS1_IP, {})
                        .get("weight") == 0, 10, 0.05), dests(lab, 81)
        # inhibited, not removed
        assert set(dests(lab, 81)) == {RS1_IP, RS2_IP}
        counts = lab.curl_counts(f"http://{VIP}:81/", 10)
        assert counts == {"rs2": 10}, counts
    finally:
        lab.sh("start-web", "rs1", "rs1", "0.0.0.0", "80", "rs1")
    assert wait_for(lambda: (dests(lab, 81) or {}).get(RS1_IP, {})
                    .get("weight") == 1, 10, 0.05), dests(lab, 81)


def test_reload_applies_the_difference(lab, ka):
    before = svc_id(lab)
    ka.write(conf(lab.sock, rs80=(RS2_IP,), weight2=3))
    ka.reload()
    assert wait_for(lambda: set(dests(lab) or {}) == {RS2_IP}, 10, 0.05), \
        ka.text()[-2000:]
    assert wait_for(lambda: dests(lab)[RS2_IP]["weight"] == 3, 5, 0.05)
    # the service was edited in place, not deleted and added
    assert svc_id(lab) == before
    assert set(dests(lab, 81)) == {RS1_IP, RS2_IP}
    counts = lab.curl_counts(f"http://{VIP}/", 6)
    assert counts == {"rs2": 6}, counts
    ka.write(conf(lab.sock))
    ka.reload()
    assert wait_for(lambda: set(dests(lab) or {}) == {RS1_IP, RS2_IP}, 10,
                    0.05), ka.text()[-2000:]
    assert svc_id(lab) == before


def test_reload_applies_the_groups_members(lab, ka):
    """An address added to a local_address_group that the services keep
    reaches dplbd's group and its port on a reload (keepalived-patches/
    0014), new connections take it, and a reload without it removes it;
    the services are not touched."""
    lip2 = "198.18.1.101"
    before = svc_id(lab)

    def group():
        return lab.call("laddr.list", {"group": "lg1"})[0]["addresses"]

    ka.write(conf(lab.sock, lips=(LIP, lip2)))
    ka.reload()
    assert wait_for(lambda: group() == [LIP, lip2], 10, 0.05), \
        (group(), ka.text()[-2000:])
    assert {"dev": "dp1", "addr": f"{lip2}/32"} in lab.call("addr.list")
    counts = lab.curl_counts(f"http://{VIP}/", 8)
    assert sum(counts.values()) == 8, counts
    assert svc_id(lab) == before
    ka.write(conf(lab.sock))
    ka.reload()
    assert wait_for(lambda: group() == [LIP], 10, 0.05), \
        (group(), ka.text()[-2000:])
    assert {"dev": "dp1", "addr": f"{lip2}/32"} not in lab.call("addr.list")
    assert svc_id(lab) == before
    counts = lab.curl_counts(f"http://{VIP}/", 4)
    assert sum(counts.values()) == 4, counts


UNSUPPORTED = f"""
virtual_server {VIP} 82 {{
    delay_loop 1
    lb_algo rr
    lb_kind SNAT
    laddr_group_name lg1
    protocol TCP
    real_server {RS1_IP} 80 {{
        TCP_CHECK {{ connect_timeout 1 }}
    }}
}}
virtual_server {VIP} 83 {{
    delay_loop 1
    lb_algo rr
    lb_kind FNAT
    laddr_group_name lg1
    protocol TCP
    syn_proxy
    real_server {RS1_IP} 80 {{
        TCP_CHECK {{ connect_timeout 1 }}
    }}
}}
"""


def test_snat_service_refused_syn_proxy_pushed(lab, ka):
    """lb_kind SNAT in a virtual server with a VIP is refused by name
    (dplbd's SNAT is a rule: virtual_server match, see
    test_keepalived_snat.py); syn_proxy is pushed."""
    caps = lab.call("hello")["capabilities"]
    assert "snat" in caps and "synproxy" in caps
    ka.write(conf(lab.sock, extra=UNSUPPORTED))
    ka.reload()
    try:
        assert ka.wait_log("lb_kind SNAT: dplbd's SNAT is a rule, not a "
                           "forwarding mode"), ka.text()[-2000:]
        assert wait_for(lambda: dests(lab, 83) is not None, 10)
        assert dests(lab, 82) is None           # no such service
        # the others are untouched
        assert set(dests(lab)) == {RS1_IP, RS2_IP}
    finally:
        ka.write(conf(lab.sock))
        ka.reload()
    assert wait_for(lambda: dests(lab, 83) is None, 10), ka.text()[-2000:]


TCPX = f"""
virtual_server {VIP} 84 {{
    delay_loop 1
    lb_algo rr
    lb_kind FNAT
    laddr_group_name lg1
    protocol TCP
    syn_proxy
    proxy_protocol v2
    toa
    real_server {RS1_IP} 80 {{
        TCP_CHECK {{ connect_timeout 1 }}
    }}
}}
"""


def svc_flags(lab, port):
    return set(lab.call("service.list", {"proto": "tcp", "vip": VIP,
                                         "port": port})[0]["flags"])


def test_syn_proxy_proxy_protocol_toa_keywords(lab, ka):
    """keepalived's syn_proxy, proxy_protocol and toa become the
    service's flags in dplbd; a reload that drops them clears them."""
    caps = lab.call("hello")["capabilities"]
    assert {"synproxy", "proxy-protocol", "toa"} <= set(caps), caps
    ka.write(conf(lab.sock, extra=TCPX))
    ka.reload()
    try:
        assert wait_for(lambda: (dests(lab, 84) or {}).keys() == {RS1_IP},
                        10), ka.text()[-2000:]
        assert svc_flags(lab, 84) == {"syn-proxy", "proxy-protocol-v2",
                                      "toa"}
        ka.write(conf(lab.sock, extra=TCPX.replace("    syn_proxy\n", "")
                      .replace("proxy_protocol v2", "proxy_protocol v1")
                      .replace("    toa\n", "")))
        ka.reload()
        assert wait_for(lambda: svc_flags(lab, 84) == {"proxy-protocol-v1"},
                        10), (svc_flags(lab, 84), ka.text()[-2000:])
    finally:
        ka.write(conf(lab.sock))
        ka.reload()
    assert wait_for(lambda: dests(lab, 84) is None, 10), ka.text()[-2000:]


GROUP = f"""
virtual_server_group vsg1 {{
    198.18.0.101-102 80
}}
virtual_server group vsg1 {{
    delay_loop 1
    lb_algo wrr
    lb_kind FNAT
    laddr_group_name lg1
    protocol TCP
    persistence_timeout 60
    quorum 2
    sorry_server {RS2_IP} 80
    real_server {RS1_IP} 80 {{
        weight 2
        TCP_CHECK {{ connect_timeout 1 retry 0 }}
    }}
}}
"""


def test_group_persistence_quorum_sorry_server(lab, ka):
    """Stock keywords through the dplbd backend: a virtual_server_group
    range becomes one service per address, with persistence; losing the
    quorum puts the sorry server in, regaining it takes it out."""
    def group_dests():
        return [{d["addr"]: d for d in lab.call("dest.list", {
                    "proto": "tcp", "vip": v, "port": 80})}
                for v in ("198.18.0.101", "198.18.0.102")]

    ka.write(conf(lab.sock, extra=GROUP))
    ka.reload()
    stopped = False
    try:
        def ready():
            try:
                return all(set(d) == {RS1_IP} for d in group_dests())
            except Exception:
                return False
        assert wait_for(ready, 10), ka.text()[-2000:]
        for v in ("198.18.0.101", "198.18.0.102"):
            svc = lab.call("service.list", {"proto": "tcp", "vip": v,
                                            "port": 80})[0]
            assert (svc["sched"], svc["persistent"],
                    svc["laddr_group"]) == ("wrr", 60, "lg1")
            assert svc["dests"][0]["weight"] == 2
        lab.sh("stop", "rs1")
        stopped = True
        assert wait_for(lambda: all(set(d) == {RS2_IP}
                                    for d in group_dests()), 10), \
            (group_dests(), ka.text()[-2000:])
        assert ka.wait_log("Lost quorum")
    finally:
        if stopped:
            lab.sh("start-web", "rs1", "rs1", "0.0.0.0", "80", "rs1")
    assert wait_for(lambda: all(set(d) == {RS1_IP} for d in group_dests()),
                    10), (group_dests(), ka.text()[-2000:])
    ka.write(conf(lab.sock))
    ka.reload()
    assert wait_for(lambda: not any(
        s["vip"] in ("198.18.0.101", "198.18.0.102")
        for s in lab.call("service.list")), 10), ka.text()[-2000:]
    assert wait_for(lambda: set(dests(lab)) == {RS1_IP, RS2_IP}, 10)


def restart_dplbd(lab):
    """Stop dplbd and start a new one (a new boot id) on the same lab."""
    lab.restart_dplbd()


def test_dplbd_restart_resync(lab, ka):
    t0 = time.monotonic()
    restart_dplbd(lab)
    lab.call("addr.add", {"addr": f"{VIP}/32", "dev": "dp0"})
    ok = wait_for(lambda: set(dests(lab) or {}) == {RS1_IP, RS2_IP} and
                  set(dests(lab, 81) or {}) == {RS1_IP, RS2_IP}, 10, 0.1)
    t = time.monotonic() - t0
    assert ok, ka.text()[-3000:]
    assert lab.call("laddr.list", {"group": "lg1"})[0]["addresses"] == [LIP]
    assert ka.alive()
    assert "restarted" in ka.text()
    counts = lab.curl_counts(f"http://{VIP}/", 10)
    assert counts == {"rs1": 5, "rs2": 5}, counts
    print(f"\nresync: services back {t:.1f} s after dplbd's restart began")


BAD = [
    ("global_defs {\n dplbd_socket relative\n}\n",
     "dplbd_socket 'relative': an absolute path"),
    ("local_address_group bad/name {\n 198.18.1.100\n}\n",
     "local_address_group 'bad/name': a name is"),
    ("local_address_group lg1 {\n 198.18.1.300\n}\n",
     "'198.18.1.300' is not an IPv4 or IPv6 address"),
    ("local_address_group lg1 {\n 198.18.1.100-50\n}\n",
     "range '198.18.1.100-50' ends before it starts"),
    ("local_address_group lg1 {\n 198.18.1.100 dp1 x\n}\n",
     "expected ADDR[-LAST] [IFNAME]"),
]
VS = """virtual_server 198.18.0.100 80 {{
    lb_algo rr
    lb_kind {kind}
    protocol {proto}
    {extra}
    real_server 198.18.1.11 80 {{
        TCP_CHECK {{ connect_timeout 1 }}
    }}
}}
"""
LG = "local_address_group lg1 {\n 198.18.1.100\n}\n"
BAD_VS = [
    (dict(kind="FNAT", proto="TCP", extra="proxy_protocol v3"),
     "proxy_protocol 'v3' is not one of disable, v1, v2"),
    (dict(kind="FNAT", proto="TCP", extra="laddr_group_name lg1\n syn_proxy yes"),
     "syn_proxy takes no value ('yes')"),
    (dict(kind="FNAT", proto="TCP", extra="expire_quiescent_conn 1\n laddr_group_name lg1"),
     "expire_quiescent_conn takes no value ('1')"),
    (dict(kind="FNAT", proto="TCP", extra="laddr_group_name nosuch"),
     "laddr_group_name nosuch: no local_address_group of that name"),
    (dict(kind="FNAT", proto="TCP", extra=""),
     "lb_kind FNAT/SNAT needs laddr_group_name"),
    (dict(kind="FNAT", proto="UDP", extra="laddr_group_name lg1\n syn_proxy"),
     "syn_proxy applies to TCP only"),
    (dict(kind="FNAT", proto="UDP", extra="laddr_group_name lg1\n toa"),
     "toa and proxy_protocol apply to TCP only"),
    (dict(kind="FNAT", proto="TCP", extra="laddr_group_name lg1\n toa on"),
     "toa takes no value ('on')"),
    (dict(kind="FNAT", proto="TCP", extra="laddr_group_name a-name-of-more-than-31-characters"),
     "laddr_group_name needs one group name of 1..31 characters"),
    (dict(kind="XNAT", proto="TCP", extra=""),
     "unknown [XNAT] routing method"),
]


@pytest.mark.parametrize("text,msg", BAD)
def test_bad_values_global(tmp_path, text, msg):
    rc, out = config_test(text, tmp_path)
    assert rc != 0 and msg in out, out


@pytest.mark.parametrize("vs,msg", BAD_VS)
def test_bad_values_vs(tmp_path, vs, msg):
    rc, out = config_test(LG + VS.format(**vs), tmp_path)
    assert rc != 0 and msg in out, out


def test_good_values(tmp_path):
    good = LG + VS.format(kind="FNAT", proto="TCP", extra=(
        "laddr_group_name lg1\n syn_proxy\n expire_quiescent_conn\n"
        " proxy_protocol v2\n toa"))
    rc, out = config_test(good, tmp_path)
    assert rc == 0, out
