# SPDX-License-Identifier: GPL-2.0-or-later
"""The SYN proxy in the lab: a full-NAT service over rs1 and rs2 (nginx)
with syn-proxy, dplbd on two workers (af_packet).

Real clients through it (curl, wrk, a 20 MB download), the options the
client's kernel offered seen by the server in dplbd's SYN, and an
hping3 flood of spoofed SYNs during which no flood SYN reaches a server,
the connection table stays near empty and 200 real curls succeed; the
same flood without the proxy fills the table (printed as comparison)."""

import hashlib
import os
import re
import time

import pytest


LAB_WORKERS = 2
# a plain service's half-open entries (the comparison) must not outlive
# the module by much
LAB_CONF_EXTRA = "timeouts = { tcp = { syn_recv = 5; }; };"

VIP = "198.18.0.100"
LIP = "198.18.1.100"
SP_PORT = 80     # syn-proxy
PLAIN_PORT = 81  # the same without the proxy
BIG = 20 * 1024 * 1024
FLOOD_S = 20


@pytest.fixture(scope="module")
def sp(lab):
    lab.call("addr.add", {"addr": f"{VIP}/32", "dev": "dp0"})
    lab.call("addr.add", {"addr": f"{LIP}/32", "dev": "dp1"})
    lab.call("laddr.add", {"group": "lg1", "addr": LIP})
    for port, extra in ((SP_PORT, ["--syn-proxy"]), (PLAIN_PORT, [])):
        r = lab.ctl_cli("service", "add", "-t", f"{VIP}:{port}", "-s", "rr",
                        "-l", "lg1", *extra)
        assert r.returncode == 0, r.stderr
        for rs in ("198.18.1.11", "198.18.1.12"):
            r = lab.ctl_cli("dest", "add", "-t", f"{VIP}:{port}", "-r",
                            f"{rs}:80", "-b")
            assert r.returncode == 0, r.stderr
    data = os.urandom(BIG)
    for rs in ("rs1", "rs2"):
        with open(f"{lab.state}/{rs}/www/big", "wb") as f:
            f.write(data)
    lab.md5 = hashlib.md5(data).hexdigest()
    return lab


def conns_total(lab):
    return sum(w["conns"] for w in lab.workers_stats())


def wstat(lab, key):
    return sum(w[key] for w in lab.workers_stats())


def test_service_shows_the_flag(sp):
    out = sp.ctl_cli("service", "show").stdout
    assert re.search(rf"TCP  {VIP}:{SP_PORT} rr.*syn-proxy", out), out


def test_curls_through_the_proxy(sp):
    before = wstat(sp, "syn_proxied")
    counts = sp.curl_counts(f"http://{VIP}/", 50)
    assert counts == {"rs1": 25, "rs2": 25} or \
        sum(counts.get(k, 0) for k in ("rs1", "rs2")) == 50, counts
    assert wstat(sp, "syn_proxied") - before >= 50


def test_server_sees_the_clients_options(sp):
    """dplbd's SYN to the server carries what the client's kernel
    offered: MSS, SACK, timestamps, window scale (the same values)."""
    dumps = {
        "server": sp.spawn("rs1", "tcpdump", "-i", "eth0", "-nn", "-l",
                           "-c", "1",
                           f"src {LIP} and tcp[tcpflags] & tcp-syn != 0"),
        "client": sp.spawn("c", "tcpdump", "-i", "c0", "-nn", "-l", "-c", "1",
                           f"dst {VIP} and tcp[tcpflags] == tcp-syn"),
    }
    time.sleep(1.0)
    out = {}
    try:
        sp.curl_counts(f"http://{VIP}/", 4)
        for k, d in dumps.items():
            out[k] = d.communicate(timeout=20)[0]
    finally:
        for d in dumps.values():
            d.kill()
    opts = {}
    for k, o in out.items():
        m = re.search(r"options \[([^\]]*)\]", o)
        assert m, (k, o)
        opts[k] = m.group(1)
    srv, cli = opts["server"], opts["client"]
    assert "sackOK" in srv and "TS val" in srv, srv
    for pat in (r"mss (\d+)", r"wscale (\d+)"):
        assert re.search(pat, srv) and re.search(pat, cli), (srv, cli)
        want = int(re.search(pat, cli).group(1))
        got = int(re.search(pat, srv).group(1))
        # the cookie keeps the MSS rounded down to a table entry
        assert got == want if "wscale" in pat else want - 100 < got <= want, \
            (srv, cli)


def test_download_20mb_md5(sp):
    r = sp.run("c", "bash", "-c", f"curl -sS --max-time 60 http://{VIP}/big"
               " | md5sum", timeout=90)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == sp.md5


def test_wrk_without_errors(sp):
    r = sp.run("c", "wrk", "-t2", "-c16", "-d8s", f"http://{VIP}/",
               timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Socket errors" not in r.stdout, r.stdout
    assert "Non-2xx" not in r.stdout, r.stdout
    m = re.search(r"(\d+) requests in", r.stdout)
    assert m and int(m.group(1)) > 200, r.stdout
    print(r.stdout)


def test_data_in_the_ack(sp):
    """A client that sends its request with the handshake's ACK (TCP
    Fast Open's client side without a cookie sends it right after;
    scapy-free: a raw socket would fight the kernel, so the data rides
    on the first segment after connect() with TCP_NODELAY, and the
    golden case lb_syn_proxy_data_in_ack checks the ACK itself)."""
    r = sp.run("c", "/usr/bin/python3", "-c", r"""
import socket
s = socket.create_connection(("%s", %d), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
data = b""
while True:
    b = s.recv(4096)
    if not b:
        break
    data += b
print(data.split(b"\r\n\r\n", 1)[1].decode().strip())
""" % (VIP, SP_PORT), timeout=30)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() in ("rs1", "rs2"), r.stdout


def count_syns(pcap):
    r = os.popen(f"tcpdump -nn -r {pcap} 2>/dev/null | wc -l").read()
    return int(r.strip() or 0)


def flood(lab, port, seconds):
    """hping3 --flood of spoofed SYNs to VIP:port for `seconds`; returns
    (the running process, its start time)."""
    p = lab.spawn("c", "timeout", "-s", "INT", str(seconds), "hping3",
                  "--flood", "-S", "--rand-source", "-p", str(port), VIP)
    return p, time.monotonic()


def hping_sent(out):
    m = re.search(r"(\d+) packets transmitted", out)
    return int(m.group(1)) if m else 0


def test_flood_reaches_no_server_and_real_clients_get_through(sp):
    pcaps = {}
    dumps = []
    for rs in ("rs1", "rs2"):
        pcaps[rs] = f"{sp.state}/{rs}-syns.pcap"
        dumps.append(sp.spawn(rs, "tcpdump", "-i", "eth0", "-nn", "-U",
                              "-w", pcaps[rs],
                              "tcp[tcpflags] & tcp-syn != 0 and "
                              "tcp[tcpflags] & tcp-ack == 0"))
    time.sleep(1.0)
    cookies0 = wstat(sp, "syn_cookies")
    peak = 0
    p, t0 = flood(sp, SP_PORT, FLOOD_S)
    try:
        time.sleep(1.0)
        curls = sp.spawn("c", "bash", "-c", """
ok=0; fail=0
for i in $(seq 1 200); do
  if curl -sS --connect-timeout 8 --max-time 10 -o /dev/null http://%s/; then
    ok=$((ok+1)); else fail=$((fail+1)); fi
done
echo "ok=$ok fail=$fail"
""" % VIP)
        while p.poll() is None or curls.poll() is None:
            peak = max(peak, conns_total(sp))
            time.sleep(0.5)
        out = "".join(p.communicate(timeout=30))
        res = "".join(curls.communicate(timeout=30))
    finally:
        for q in (p, curls):
            if q.poll() is None:
                q.kill()
    time.sleep(1.0)
    for d in dumps:
        d.terminate()
        d.wait(timeout=10)
    sent = hping_sent(out)
    cookies = wstat(sp, "syn_cookies") - cookies0
    syns = {rs: count_syns(f) for rs, f in pcaps.items()}
    elapsed = time.monotonic() - t0
    print(f"\nflood: {sent} spoofed SYNs in {FLOOD_S} s "
          f"({sent / FLOOD_S:.0f}/s); cookies answered {cookies}; "
          f"SYNs at the servers {syns} (curls: {res.strip()}); "
          f"peak connections {peak}; {elapsed:.0f} s")
    assert "ok=200 fail=0" in res, res
    # every SYN a server saw is a real client's (200 curls, each may
    # have retransmitted its SYN once or twice through a busy lab)
    assert sum(syns.values()) <= 200 * 3, syns
    assert sent > 1000, out
    assert cookies > sent // 10, (cookies, sent)
    # the table holds real connections only (TIME_WAIT of the curls)
    assert peak <= 400, peak


def test_without_the_proxy_the_flood_fills_the_table(sp):
    """The comparison: the same flood at the plain service leaves a
    SYN_RECV entry per spoofed SYN."""
    p, _ = flood(sp, PLAIN_PORT, 5)
    peak = 0
    while p.poll() is None:
        peak = max(peak, conns_total(sp))
        time.sleep(0.5)
    out = "".join(p.communicate(timeout=30))
    peak = max(peak, conns_total(sp))
    print(f"\nwithout syn-proxy: {hping_sent(out)} spoofed SYNs in 5 s, "
          f"table peak {peak} connections")
    assert peak > 1000, peak
    sp.ctl_cli("conn", "flush")


RATE_PORT = 82   # conn-rate 10/s per /24
HALF_PORT = 83   # half-open-max 20


def svc_conns(lab, port):
    return sum(1 for c in lab.conns() if c["vip"] == f"{VIP}:{port}")


def test_limits_set_shown_and_saved(sp):
    for port, opts in ((RATE_PORT, ["--conn-rate", "10"]),
                       (HALF_PORT, ["--half-open-max", "20"])):
        r = sp.ctl_cli("service", "add", "-t", f"{VIP}:{port}", "-s", "rr",
                       "-l", "lg1", *opts)
        assert r.returncode == 0, r.stderr
        r = sp.ctl_cli("dest", "add", "-t", f"{VIP}:{port}", "-r",
                       "198.18.1.11:80", "-b")
        assert r.returncode == 0, r.stderr
    out = sp.ctl_cli("service", "show").stdout
    assert re.search(rf"{VIP}:{RATE_PORT} rr.*conn-rate 10/24", out), out
    assert re.search(rf"{VIP}:{HALF_PORT} rr.*half-open-max 20", out), out
    saved = sp.ctl_cli("save").stdout
    assert "--conn-rate 10 --conn-rate-prefix 24" in saved, saved
    assert "--half-open-max 20" in saved, saved


def test_conn_rate_per_source_network(sp):
    """1000 SYNs a second from one address: about 10 a second pass
    (each worker 5, a second's worth at start), the rest are dropped as
    conn_rate_limit."""
    new0, drop0 = wstat(sp, "conns_new"), sp.drops()["conn_rate_limit"]
    sp.run("c", "hping3", "-q", "-S", "-c", "2000", "-i", "u1000", "-p",
           str(RATE_PORT), VIP, timeout=60)
    made = wstat(sp, "conns_new") - new0
    dropped = sp.drops()["conn_rate_limit"] - drop0
    print(f"\nconn-rate 10/s: {made} connections, {dropped} dropped")
    assert dropped > 1000, (made, dropped)
    assert 0 < made <= 10 * 10, made


def test_half_open_limit(sp):
    """Spoofed SYNs at a service without the proxy but with
    half-open-max 20: at most 20 SYN_RECV entries, the rest dropped."""
    all0 = sp.drops()
    sp.run("c", "hping3", "-q", "-S", "--rand-source", "-c", "500", "-i",
           "u2000", "-p", str(HALF_PORT), VIP, timeout=60)
    # a busy machine leaves SYNs in the worker's rx ring after hping3
    # is done: read until the counts settle (no change for 2 s)
    seen, still, deadline = None, time.monotonic(), time.monotonic() + 30
    while time.monotonic() < deadline:
        n = svc_conns(sp, HALF_PORT)
        drops = {k: v - all0.get(k, 0) for k, v in sp.drops().items()}
        now = (n, drops["half_open_limit"], drops["martian_source"])
        if now != seen:
            seen, still = now, time.monotonic()
        elif time.monotonic() - still >= 2:
            break
        time.sleep(0.5)
    dropped = drops["half_open_limit"]
    # about 1 in 8 random sources is martian (0/8, 127/8, multicast,
    # class E): those make no connection and never count against the
    # limit (issue 12)
    martian = drops["martian_source"]
    print(f"\nhalf-open-max 20: {n} entries, {dropped} dropped, "
          f"{martian} martian sources")
    assert n <= 20, n
    assert dropped >= 300 and dropped + martian + n >= 400, drops
