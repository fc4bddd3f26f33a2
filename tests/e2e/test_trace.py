# SPDX-License-Identifier: GPL-2.0-or-later
"""dplbctl trace in the lab: a curl through an FNAT VIP traced stage by
stage (the service, the connection created then found by the reply, the
dest, the rewrites, the tx ports) with two workers on af_packet (so some
packets are steered to their owner and traced again there), a packet the
load balancer drops (a TCP ACK without a connection: not_syn), one it
passes to the twin (a VIP port without a service), and --pcap read back
by tshark."""

import json
import signal
import subprocess
import time

import pytest

from labtest import CLIENT_IP, DPLBCTL, RS1_IP, RS2_IP

LAB_WORKERS = 2

VIP = "198.18.0.100"
LIP = "198.18.1.100"

# In the client's namespace, argv: VIP DPORT FLAGS SPORT: one TCP segment.
SEND_TCP = r"""
import sys
from scapy.all import IP, TCP, send
vip, dport, flags, sport = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
send(IP(dst=vip) / TCP(sport=sport, dport=dport, flags=flags, seq=1000,
                       ack=2000), verbose=False)
"""

# In the client's namespace, argv: MAC VIP: an IPv4 packet with a wrong
# header checksum, sent as a frame (the kernel fixes it in raw IP sends).
SEND_BAD_CSUM = r"""
import sys
from scapy.all import Ether, IP, TCP, sendp
sendp(Ether(dst=sys.argv[1]) / IP(dst=sys.argv[2], chksum=0xdead) /
      TCP(sport=33335, dport=80, flags="S"), iface="c0", verbose=False)
"""


@pytest.fixture(scope="module")
def lb(lab):
    lab.fnat_service(VIP, LIP)
    # both servers' and the client's MACs known: no packet of the traced
    # flows waits for ARP on the main lcore
    for _ in range(2):
        r = lab.curl("c", f"http://{VIP}/")
        assert r.returncode == 0, r
    return lab


class Trace:
    """dplbctl trace running in the background (--json), started and
    armed when the constructor returns."""

    def __init__(self, lab, *args, pcap=None):
        cmd = [str(DPLBCTL), "-S", lab.sock, "--json", "trace", *args]
        if pcap is not None:
            cmd += ["--pcap", str(pcap)]
        self.p = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        self.lab = lab
        self.wait_armed()

    def wait_armed(self, timeout=10):
        """Until dplbctl armed the trace (trace.read with max 0 reads
        the state only, ENOENT before)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.lab.call("trace.read", {"max": 0})
                return
            except Exception as e:
                if "ENOENT" not in str(e):
                    raise
            assert self.p.poll() is None, self.p.communicate()
            time.sleep(0.05)
        raise AssertionError("dplbctl trace did not arm a trace")

    def records(self, timeout=30, interrupt=True):
        """The records, once dplbctl is done; with interrupt, after a
        second's grace for the last packets, dplbctl is stopped as
        Ctrl-C would (it disarms the trace and prints what is left)."""
        if interrupt:
            time.sleep(1)
            self.p.send_signal(signal.SIGINT)
        out, errs = self.p.communicate(timeout=timeout)
        assert self.p.returncode == 0, (self.p.returncode, out, errs)
        return [json.loads(line) for line in out.splitlines()]


def stages(rec):
    return {s["stage"]: s for s in rec["stages"]}


def final(recs, packet):
    """The records of packet where it ended (not handed to its owner)."""
    return [r for r in recs if r["packet"] == packet and
            "to_worker" not in stages(r)]


def test_curl_through_fnat_stage_by_stage(lb, tmp_path):
    pcap = tmp_path / "curl.pcapng"
    t = Trace(lb, "--port", "80", "--count", "200", "--wait", "60",
              pcap=pcap)
    r = lb.curl("c", f"http://{VIP}/")
    assert r.returncode == 0 and r.stdout.strip() in ("rs1", "rs2"), r
    server = RS1_IP if r.stdout.strip() == "rs1" else RS2_IP
    recs = t.records()
    assert recs, "nothing traced"

    # the client's SYN: service, connection created, dest, rewrite, dp1
    syns = [r for r in recs
            if r["packet"].startswith(f"TCP {CLIENT_IP}:") and
            r["packet"].endswith(f" > {VIP}:80 [S]") and
            "conn" in stages(r)]
    assert syns, recs  # more than one if the client retransmitted
    syn = syns[0]
    st = stages(syn)
    assert [s["stage"] for s in syn["stages"]] == [
        "rx", "net", "lb", "service", "conn", "dest", "rewrite", "tx"], syn
    assert st["rx"]["port"] == "dp0", syn
    assert st["net"]["verdict"] == "local", syn
    assert st["lb"]["verdict"] == "consumed", syn
    assert st["service"] == {"stage": "service", "proto": "TCP",
                             "vip": VIP, "vport": 80}, syn
    conn = st["conn"]
    assert conn["result"] == "created" and conn["side"] == "in", syn
    assert conn["fwd"] == "fnat" and conn["state"] == "SYN_RECV", syn
    assert conn["vip"] == f"{VIP}:80", syn
    assert conn["local"].startswith(f"{LIP}:"), syn
    lport = conn["local"].split(":")[1]
    client_port = conn["client"].split(":")[1]
    assert st["dest"] == {"stage": "dest", "addr": server, "port": 80}, syn
    assert st["rewrite"]["to"] == \
        f"TCP {LIP}:{lport} > {server}:80 [S]", syn
    assert st["tx"]["port"] == "dp1", syn
    # the frames: as received, and as sent with the new addresses
    fin, fout = syn["frames"]
    assert (fin["dir"], fin["port"], fout["dir"], fout["port"]) == \
        ("in", "dp0", "out", "dp1"), syn

    # the server's SYN-ACK finds it by its out key, leaves on dp0
    synacks = [r for r in recs
               if r["packet"] == f"TCP {server}:80 > {LIP}:{lport} [SA]"
               and "conn" in stages(r)]
    assert synacks, recs
    st = stages(synacks[0])
    assert st["conn"]["result"] == "found" and st["conn"]["side"] == "out"
    assert st["conn"]["client"] == f"{CLIENT_IP}:{client_port}", st
    assert st["rewrite"]["to"] == \
        f"TCP {VIP}:80 > {CLIENT_IP}:{client_port} [SA]", st
    assert st["tx"]["port"] == "dp0", st

    # every packet of the flow ended somewhere: sent, or handed to the
    # worker that owns it (and traced there again, steered).  Only this
    # flow's: a late packet of an earlier test handed over before the
    # trace was armed is traced steered alone.
    ends = (f"{CLIENT_IP}:{client_port} ", f"{LIP}:{lport} ")
    recs = [r for r in recs
            if any(e in r["packet"] + " " for e in ends)]
    for r in recs:
        st = stages(r)
        assert "tx" in st or "to_worker" in st, r
        if "to_worker" in st:
            assert "conn" not in st or st["conn"]["result"] == "found", r
    steered = [r for r in recs if stages(r)["rx"]["steered"]]
    handed = [r for r in recs if "to_worker" in stages(r)]
    assert len(steered) <= len(handed), recs

    # tshark reads the pcapng: the SYN in on dp0 and out on dp1, with
    # the path as the comment
    out = subprocess.run(
        ["tshark", "-r", str(pcap), "-Y", "tcp.flags == 0x002", "-T",
         "fields", "-e", "frame.interface_name", "-e", "ip.src", "-e",
         "ip.dst", "-e", "tcp.dstport", "-e", "frame.comment"],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    rows = [line.split("\t") for line in out.stdout.splitlines()]
    got = {(row[0], row[1], row[2], row[3]) for row in rows}
    assert ("dp0", CLIENT_IP, VIP, "80") in got, rows
    assert ("dp1", LIP, server, "80") in got, rows
    assert any("conn created" in row[4] and "tx port=dp1" in row[4]
               for row in rows), rows
    n = subprocess.run(["tshark", "-r", str(pcap)], capture_output=True,
                       text=True, timeout=60)
    frames = sum(len(r["frames"]) for r in recs)
    assert len(n.stdout.splitlines()) == frames, (n.stdout, frames)


def test_drop_reason_and_twin(lb):
    t = Trace(lb, "--addr", VIP, "--proto", "tcp", "--count", "10",
              "--wait", "60")
    # an ACK without a connection, then a SYN to a port with no service
    for dport, flags in ((80, "A"), (9999, "S")):
        r = lb.run("c", "/usr/bin/python3", "-c", SEND_TCP, VIP, str(dport),
                   flags, "33333", timeout=60)
        assert r.returncode == 0, r.stderr
    recs = t.records()
    (ack,) = final(recs, f"TCP {CLIENT_IP}:33333 > {VIP}:80 [A]")
    st = stages(ack)
    assert st["lb"]["verdict"] == "consumed", ack
    assert st["service"]["vport"] == 80, ack
    assert "conn" not in st and "tx" not in st, ack
    assert st["drop"]["reason"] == "not_syn", ack
    (syn,) = final(recs, f"TCP {CLIENT_IP}:33333 > {VIP}:9999 [S]")
    st = stages(syn)
    assert st["net"]["verdict"] == "local", syn
    assert st["lb"]["verdict"] == "pass", syn
    assert "service" not in st and "drop" not in st, syn
    assert st["twin"]["port"] == "dp0", syn


# In the client's namespace, argv: VIP PORT: one keep-alive HTTP
# connection; a GET at start and one for each line on stdin, its
# status printed.
KEEPALIVE = r"""
import http.client, sys
c = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=5)

def get():
    c.request("GET", "/")
    r = c.getresponse()
    r.read()
    print(r.status, flush=True)

get()
for line in sys.stdin:
    get()
"""


def test_deleted_service_traced_as_retired(lb):
    """A connection that outlives its service (deleted, draining as in
    IPVS) is traced with the service's ghost, said to be retired."""
    svc = {"proto": "tcp", "vip": VIP, "port": 81}
    lb.call("service.add", dict(svc, sched="rr", laddr_group="lg1"))
    for addr in (RS1_IP, RS2_IP):
        lb.call("dest.add", dict(svc, addr=addr, dport=80, fwd="fnat"))
    p = lb.spawn("c", "/usr/bin/python3", "-c", KEEPALIVE, VIP, "81")
    try:
        assert p.stdout.readline().strip() == "200", p.stderr.read()
        lb.call("service.del", svc)
        t = Trace(lb, "--addr", VIP, "--port", "81", "--count", "20",
                  "--wait", "60")
        p.stdin.write("again\n")
        p.stdin.flush()
        assert p.stdout.readline().strip() == "200"
        recs = t.records()
    finally:
        p.stdin.close()
        p.wait(timeout=10)
    found = [stages(r) for r in recs if "conn" in stages(r)]
    assert found, recs
    for st in found:
        assert st["conn"]["result"] == "found", st
        assert st["service"] == {"stage": "service", "proto": "TCP",
                                 "vip": VIP, "vport": 81,
                                 "retired": True}, st


def test_drop_by_the_network_stack(lb):
    mac = lb.ports()["dp0"]["mac"]
    t = Trace(lb, "--addr", VIP, "--port", "33335", "--count", "1",
              "--wait", "60")
    r = lb.run("c", "/usr/bin/python3", "-c", SEND_BAD_CSUM, mac, VIP,
               timeout=60)
    assert r.returncode == 0, r.stderr
    (rec,) = t.records(interrupt=False)  # done at its count
    st = stages(rec)
    assert [s["stage"] for s in rec["stages"]] == ["rx", "net", "drop"], rec
    assert st["net"]["verdict"] == "consumed", rec
    assert st["drop"]["reason"] == "ipv4_bad_checksum", rec


def test_text_output(lb):
    p = subprocess.Popen([str(DPLBCTL), "-S", lb.sock, "trace", "--addr",
                          VIP, "--port", "80", "--count", "5", "--wait",
                          "60"], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    assert line.startswith("tracing 5 packets on 2 workers"), line
    lb.run("c", "/usr/bin/python3", "-c", SEND_TCP, VIP, "80", "A", "33334",
           timeout=60)
    time.sleep(1)
    p.send_signal(signal.SIGINT)
    out = p.stdout.read()
    assert p.wait(timeout=30) == 0, out
    assert f"TCP {CLIENT_IP}:33334 > {VIP}:80 [A]" in out, out
    assert "  drop         not_syn\n" in out, out
    assert "  service      proto=TCP vip=198.18.0.100 vport=80\n" in out, out
    assert " packets traced, " in out and " 0 lost" in out, out
