# SPDX-License-Identifier: GPL-2.0-or-later
"""dplbctl save and restore (ipvsadm-save/-restore) between two real
dplbd (net_null ports, two workers): `dplbctl save | dplbctl restore`
into a fresh dplbd gives the same `service show` in every view, byte for
byte, with persistence, flags, thresholds, laddr groups and every
forwarding mode; restore's errors name the line; show --sort and
--thresholds.
Run as root: /usr/bin/python3 -m pytest tests/ctl/test_save.py
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "pylib"))

from dplbd import Dplbd  # noqa: E402

from conftest import DPLBCTL, NULL_PORT_2W  # noqa: E402

CONFIG = NULL_PORT_2W

# One of everything a service can carry, in the order a user typed it.
SETUP = [
    "laddr add lg1 198.18.1.100",
    "laddr add lg1 198.18.1.101",
    "laddr add lg2 198.18.1.102",
    "laddr add spare",
    "service add -t 198.18.0.100:80 -s wrr -p 300 -M 255.255.255.0 "
    "-b sh-port,sh-fallback --expire-quiescent -l lg1",
    "dest add -t 198.18.0.100:80 -r 198.18.1.11:8080 -w 3 -b -x 100 -y 50",
    "dest add -t 198.18.0.100:80 -r 198.18.1.12 -w 0 -m",
    "dest add -t 198.18.0.100:80 -r 198.18.1.10:80 -w 7 --fwd fnat",
    "service add -u 198.18.0.100:53 -s sh -o -p 60",
    "dest add -u 198.18.0.100:53 -r 198.18.1.13 -g",
    "service add -t 198.18.0.101:0 -s mh -b mh-port -l lg2",
    "dest add -t 198.18.0.101:0 -r 198.18.1.14 -i -w 5",
    "dest add -t 198.18.0.101:0 -r 198.18.1.15 -b -x 10",
    "service add -t 198.18.0.99:443 -s lc",
]

VIEWS = [[], ["--thresholds"], ["--persistent-conn"], ["--stats"],
         ["--rate"], ["--sort"], ["--sort", "--thresholds"]]


def dplbctl(d, *args, check=0, stdin=None):
    p = subprocess.run([str(DPLBCTL), "-S", d.socket, *args], input=stdin,
                       capture_output=True, text=True, timeout=30)
    if check is not None:
        assert p.returncode == check, (args, p.returncode, p.stdout, p.stderr)
    return p


@pytest.fixture(scope="module")
def pair():
    a, b = Dplbd(CONFIG, start_timeout=60), Dplbd(CONFIG, start_timeout=60)
    a.start()
    try:
        b.start()
        yield a, b
    finally:
        for d in (a, b):
            alive = d.alive()
            rc = d.stop()
            assert alive and rc == 0, d.stderr


@pytest.fixture
def loaded(pair):
    a, b = pair
    for d in (a, b):
        dplbctl(d, "service", "flush")
        for g in json.loads(dplbctl(d, "-j", "laddr", "show").stdout):
            dplbctl(d, "laddr", "del", g["group"])
    for line in SETUP:
        dplbctl(a, *line.split())
    return a, b


def no_ids(services):
    for s in services:
        s.pop("id")
    return services


def test_save_restore_gives_the_same_services(loaded):
    a, b = loaded
    saved = dplbctl(a, "save").stdout
    assert saved.startswith("# dplbctl save")
    lines = [l for l in saved.splitlines() if not l.startswith("#")]
    assert all(l.startswith("dplbctl ") for l in lines), saved
    # laddr groups come before the services that name them
    first_service = next(i for i, l in enumerate(lines) if " service " in l)
    assert all(" laddr " in l for l in lines[:first_service])

    r = dplbctl(b, "restore", stdin=saved)
    assert r.stdout == "" and r.stderr == ""
    for view in VIEWS:
        want = dplbctl(a, "service", "show", *view).stdout
        assert dplbctl(b, "service", "show", *view).stdout == want, view
    assert dplbctl(b, "laddr", "show").stdout == \
        dplbctl(a, "laddr", "show").stdout
    ja = no_ids(json.loads(dplbctl(a, "-j", "service", "show").stdout))
    jb = no_ids(json.loads(dplbctl(b, "-j", "service", "show").stdout))
    assert ja == jb
    # every forwarding mode, the thresholds, persistence and flags went over
    dests = {d["addr"]: d for s in jb for d in s["dests"]}
    assert {d["fwd"] for d in dests.values()} == {"fnat", "nat", "dr", "tunnel"}
    assert (dests["198.18.1.11"]["u_threshold"],
            dests["198.18.1.11"]["l_threshold"]) == (100, 50)
    assert dests["198.18.1.12"]["weight"] == 0
    web = next(s for s in jb if s["port"] == 80)
    assert (web["persistent"], web["netmask"], web["laddr_group"]) == \
        (300, "255.255.255.0", "lg1")
    assert set(web["flags"]) == {"sh-port", "sh-fallback", "expire-quiescent"}
    # and saving the copy prints the same commands
    assert dplbctl(b, "save").stdout == saved


def test_saved_file_restores_from_a_file_and_as_a_shell_script(loaded, tmp_path):
    a, b = loaded
    saved = tmp_path / "lb.saved"
    saved.write_text(dplbctl(a, "save").stdout)
    dplbctl(b, "restore", str(saved))
    want = dplbctl(a, "service", "show").stdout
    assert dplbctl(b, "service", "show").stdout == want
    # the same lines run by a shell, with dplbctl on the PATH
    dplbctl(b, "service", "flush")
    for g in ("lg1", "lg2", "spare"):
        dplbctl(b, "laddr", "del", g)
    env = dict(os.environ, PATH=f"{DPLBCTL.parent}:{os.environ['PATH']}",
               DPLB_SOCKET=b.socket)
    subprocess.run(["sh", "-e", str(saved)], env=env, check=True, timeout=60)
    assert dplbctl(b, "service", "show").stdout == want


def test_restore_names_the_failing_line_and_stops(loaded, tmp_path):
    a, b = loaded
    text = ("# a comment\n\n"
            "laddr add lgx 198.18.1.200\n"
            "dplbctl service add -t 198.18.0.200:80 -s rr\n"
            "service add -t 198.18.0.200:80 -s rr\n"
            "service add -t 198.18.0.201:80 -s rr\n")
    r = dplbctl(b, "restore", stdin=text, check=1)
    assert r.stderr.startswith("dplbctl: restore: stdin:5: service tcp "
                               "198.18.0.200:80 exists already (EEXIST)"), r.stderr
    keys = {(s["vip"], s["port"]) for s in
            json.loads(dplbctl(b, "-j", "service", "show").stdout)}
    assert ("198.18.0.200", 80) in keys and ("198.18.0.201", 80) not in keys

    bad = tmp_path / "bad"
    bad.write_text("dest add -t 198.18.0.200:80 -r 198.18.1.1 --bogus\n")
    r = dplbctl(b, "restore", str(bad), check=2)
    assert r.stderr == f"dplbctl: restore: {bad}:1: invalid option '--bogus'\n"
    bad.write_text("\nvip add 198.18.0.9 dev dp0\n")
    r = dplbctl(b, "restore", str(bad), check=2)
    assert r.stderr.startswith(f"dplbctl: restore: {bad}:2: 'vip' cannot be "
                               "restored"), r.stderr
    r = dplbctl(b, "restore", str(tmp_path / "missing"), check=2)
    assert "cannot read" in r.stderr


def test_sort_orders_services_and_dests(loaded):
    a, _ = loaded
    out = dplbctl(a, "service", "show", "--sort", "-n").stdout.splitlines()
    services = [l.split()[1] for l in out[3:] if not l.startswith("  ->")]
    assert services == ["198.18.0.99:443", "198.18.0.100:80",
                        "198.18.0.101:0", "198.18.0.100:53"], out
    web = out.index(next(l for l in out if "198.18.0.100:80" in l))
    assert [l.split()[1] for l in out[web + 1:web + 4]] == \
        ["198.18.1.10:80", "198.18.1.11:8080", "198.18.1.12:80"]
    # unsorted: creation order
    out = dplbctl(a, "service", "show").stdout.splitlines()
    assert [l.split()[1] for l in out[3:] if not l.startswith("  ->")][0] == \
        "198.18.0.100:80"


def test_thresholds_view(loaded):
    a, _ = loaded
    out = dplbctl(a, "service", "show", "--thresholds", "-t",
                  "198.18.0.100:80").stdout.splitlines()
    assert out[2].split() == ["->", "RemoteAddress:Port", "Uthreshold",
                              "Lthreshold", "ActiveConn", "InActConn"]
    assert out[4].split() == ["->", "198.18.1.11:8080", "100", "50", "0", "0"]
