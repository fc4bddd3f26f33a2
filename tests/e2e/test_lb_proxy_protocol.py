# SPDX-License-Identifier: GPL-2.0-or-later
"""Full NAT hides the client; the PROXY protocol tells the server again.

nginx in rs1 listens with `proxy_protocol` and logs $proxy_protocol_addr
and $proxy_protocol_port; dplbd (two workers on af_packet) serves one
FNAT service per version.  Each client's real address and port must be
in the log, for v1 and v2; wrk runs without errors; HTTP keep-alive, a
20 MB download (md5) and a large upload work across the sequence shift
the header leaves in every connection."""

import hashlib
import os
import re

import pytest

from labtest import CLIENT_IP, RS1_IP, wait_for

LAB_WORKERS = 2

VIP = "198.18.0.100"
LIP = "198.18.1.100"
PP_PORT = 8001  # nginx's proxy_protocol listener in rs1
VPORTS = {"v1": 81, "v2": 82}
BIG = 20 * 1024 * 1024

NGINX_CONF = """
daemon off;
master_process on;
worker_processes 1;
user root;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 512; }}
http {{
    log_format pp '$proxy_protocol_addr $proxy_protocol_port $remote_addr '
                  '$request_method $uri $status $request_length '
                  '$connection $connection_requests';
    access_log {d}/access.log pp;
    client_body_temp_path {d}/tmp/body;
    proxy_temp_path {d}/tmp/proxy;
    fastcgi_temp_path {d}/tmp/fastcgi;
    default_type application/octet-stream;
    keepalive_timeout 10;
    server {{
        listen {addr}:{port} proxy_protocol;
        root {d}/www;
        client_max_body_size 64m;
        location /up {{ client_body_buffer_size 1m;
                       return 200 "got $content_length\\n"; }}
        location / {{ index index.html; }}
    }}
}}
"""


@pytest.fixture(scope="module")
def pp(lab):
    d = f"{lab.state}/pp"
    os.makedirs(f"{d}/www", exist_ok=True)
    os.makedirs(f"{d}/tmp", exist_ok=True)
    with open(f"{d}/www/index.html", "w") as f:
        f.write("pp\n")
    with open(f"{d}/www/big", "wb") as f:
        f.write(os.urandom(BIG))
    with open(f"{d}/nginx.conf", "w") as f:
        f.write(NGINX_CONF.format(d=d, addr=RS1_IP, port=PP_PORT))
    nginx = lab.spawn("rs1", "nginx", "-p", d, "-e", f"{d}/error.log",
                      "-c", f"{d}/nginx.conf")
    try:
        assert wait_for(lambda: lab.run("rs1", "ss", "-Hltn",
                                        f"sport = :{PP_PORT}").stdout.strip(),
                        timeout=10), open(f"{d}/error.log").read()
        lab.call("addr.add", {"addr": f"{VIP}/32", "dev": "dp0"})
        lab.call("addr.add", {"addr": f"{LIP}/32", "dev": "dp1"})
        lab.call("laddr.add", {"group": "lg1", "addr": LIP})
        for ver, vport in VPORTS.items():
            r = lab.ctl_cli("service", "add", "-t", f"{VIP}:{vport}",
                            "-s", "rr", "-l", "lg1",
                            "--proxy-protocol", ver)
            assert r.returncode == 0, r.stderr
            lab.call("dest.add", {"proto": "tcp", "vip": VIP, "port": vport,
                                  "addr": RS1_IP, "dport": PP_PORT,
                                  "fwd": "fnat"})
        yield d
    finally:
        nginx.kill()
        nginx.wait(timeout=10)


def log_lines(d):
    with open(f"{d}/access.log") as f:
        return [line.split() for line in f if line.strip()]


CLIENT_PORTS = r"""
import socket, sys
vip, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for i in range(n):
    with socket.create_connection((vip, port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        ok = data.startswith(b"HTTP/1.1 200") and data.endswith(b"pp\n")
        print(s.getsockname()[1], "ok" if ok else "FAIL")
"""


@pytest.mark.parametrize("ver", ["v1", "v2"])
def test_server_logs_each_clients_address_and_port(pp, lab, ver):
    r = lab.run("c", "/usr/bin/python3", "-c", CLIENT_PORTS, VIP,
                str(VPORTS[ver]), "20", timeout=60)
    assert r.returncode == 0, r.stderr
    sent = [line.split() for line in r.stdout.splitlines()]
    assert len(sent) == 20 and all(s[1] == "ok" for s in sent), r.stdout
    want = {(CLIENT_IP, port) for port, _ in sent}
    assert wait_for(lambda: want <= {(l[0], l[1]) for l in log_lines(pp)}), \
        (want, log_lines(pp)[-25:])
    # the TCP peer nginx saw is dplbd's local address (full NAT)
    assert {l[2] for l in log_lines(pp)} == {LIP}


@pytest.mark.parametrize("ver", ["v1", "v2"])
def test_keepalive_requests_share_a_connection(pp, lab, ver):
    url = f"http://{VIP}:{VPORTS[ver]}/"
    r = lab.run("c", "curl", "-sS", "--max-time", "10",
                "-w", "%{local_port} %{num_connects}\\n",
                *(["-o", "/dev/null", url] * 3), timeout=30)
    assert r.returncode == 0, r.stderr
    ports = [line.split() for line in r.stdout.splitlines()]
    # one connection for three requests
    assert [p[1] for p in ports] == ["1", "0", "0"], r.stdout
    port = ports[0][0]
    reqs = [l for l in log_lines(pp) if l[:2] == [CLIENT_IP, port]]
    assert wait_for(lambda: len([l for l in log_lines(pp)
                                 if l[:2] == [CLIENT_IP, port]]) == 3), reqs
    reqs = [l for l in log_lines(pp) if l[:2] == [CLIENT_IP, port]]
    assert len({l[7] for l in reqs}) == 1 and \
        sorted(l[8] for l in reqs) == ["1", "2", "3"], reqs


@pytest.mark.parametrize("ver", ["v1", "v2"])
def test_download_20mb_md5(pp, lab, ver):
    with open(f"{pp}/www/big", "rb") as f:
        want = hashlib.md5(f.read()).hexdigest()
    r = lab.run("c", "bash", "-c",
                f"curl -sS --max-time 60 http://{VIP}:{VPORTS[ver]}/big "
                f"| md5sum", timeout=90)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split()[0] == want


@pytest.mark.parametrize("ver", ["v1", "v2"])
def test_large_upload_after_the_shift(pp, lab, ver):
    """8 MB up, then a GET on the same connection: nginx reads the whole
    body (to keep the connection) before it parses the next request."""
    size = 8 * 1024 * 1024
    url = f"http://{VIP}:{VPORTS[ver]}"
    r = lab.run("c", "bash", "-c",
                f"head -c {size} /dev/urandom >/tmp/dplb-up.$$ && "
                f"curl -sS --max-time 60 -H 'Expect:' "
                f"--data-binary @/tmp/dplb-up.$$ {url}/up "
                f"--next -sS --max-time 10 -w ' %{{num_connects}}\\n' "
                f"{url}/; rc=$?; rm -f /tmp/dplb-up.$$; exit $rc",
                timeout=90)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["got", str(size), "pp", "0"], r.stdout


@pytest.mark.parametrize("ver", ["v1", "v2"])
def test_wrk_without_errors(pp, lab, ver):
    r = lab.run("c", "wrk", "-t2", "-c16", "-d8s",
                f"http://{VIP}:{VPORTS[ver]}/", timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Socket errors" not in r.stdout, r.stdout
    assert "Non-2xx" not in r.stdout, r.stdout
    m = re.search(r"(\d+) requests in", r.stdout)
    assert m and int(m.group(1)) > 200, r.stdout
    print(r.stdout)


def test_no_header_was_refused(pp, lab):
    """nginx says "broken header" when a PROXY header is missing or
    wrong: none of that."""
    with open(f"{pp}/error.log") as f:
        err = f.read()
    assert "broken header" not in err, err[-2000:]
    assert all(l[0] == CLIENT_IP for l in log_lines(pp)), \
        [l for l in log_lines(pp) if l[0] != CLIENT_IP][:5]
