#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""How many full-NAT local addresses a connection rate needs, measured:
the curve of docs/load-balancing.md, "Local ports".

For each number of local addresses N and each rate R, a SYN flood from
the lab's client (raw socket, right checksums, a new client tuple per
SYN) opens R connections a second for --seconds to one real server's
closed port (it answers RST, so every connection ends at once, as a
short HTTP request would), through a laddr group of N fresh LIPs; dplbd
counts the connections whose (LIP, lport, server) tuple came back less
than 60 s (timeouts.lport_guard) after its previous use: those a server
would meet in its TIME_WAIT.  Theory for a constant rate over a run
shorter than the guard: max(0, R*D - N*64512) / (R*D).

    bench/lports.py                         N 1 2 4, R 1000 2000 4000 8000, 40 s
    bench/lports.py --addrs 1 2 --rates 2000 --seconds 20

Needs root (namespaces).  Prints a table and writes $OUT/lports.csv
(BENCH_OUT, default build/bench).
"""

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))

from labtest import RS1_IP, SYN_FLOOD, Lab  # noqa: E402

VIP = "198.18.0.100"
PER_ADDR = 64512
CONF = """
timeouts = { tcp = { syn_recv = 2; close = 1; }; lport_guard = 60; };
"""


def group(lab, name):
    (g,) = lab.call("laddr.list", {"group": name})
    return g


def one_point(lab, n, rate, seconds, lips, port):
    """A fresh group of n LIPs and a service on port; the flood; the
    group's counters."""
    name = f"n{n}r{rate}"
    for a in lips:
        lab.call("addr.add", {"addr": f"{a}/32", "dev": "dp1"})
        lab.call("laddr.add", {"group": name, "addr": a})
    lab.call("service.add", {"proto": "tcp", "vip": VIP, "port": port,
                             "sched": "rr", "laddr_group": name})
    lab.call("dest.add", {"proto": "tcp", "vip": VIP, "port": port,
                          "addr": RS1_IP, "dport": 9, "fwd": "fnat"})
    total = rate * seconds
    t0 = time.monotonic()
    while total > 0:
        wave = min(total, 60000)
        addr = lab.add_client_addrs(1)[-1]
        p = lab.spawn("c", "/usr/bin/python3", "-c", SYN_FLOOD, VIP,
                      str(port), addr, "2000", str(wave), str(rate))
        if p.wait(timeout=wave / rate * 4 + 60) != 0:
            raise RuntimeError(p.stderr.read())
        total -= wave
    elapsed = time.monotonic() - t0
    time.sleep(1)
    g = group(lab, name)
    conns = g["conns"]
    theory = max(0, conns - n * PER_ADDR) / conns if conns else 0
    return {"addrs": n, "rate": rate, "achieved": conns / elapsed,
            "seconds": elapsed, "conns": conns,
            "early": g["lport_reuse_early"],
            "share": g["lport_reuse_early"] / conns if conns else 0,
            "theory": theory, "needed": g["addresses_needed"],
            "too_small": g["too_small"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--addrs", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--rates", type=int, nargs="+",
                    default=[1000, 2000, 4000, 8000])
    ap.add_argument("--seconds", type=int, default=40)
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/lports.py: needs root (namespaces)")
    out = Path(os.environ.get("BENCH_OUT", REPO / "build" / "bench"))
    out.mkdir(parents=True, exist_ok=True)
    lab = Lab(f"lp{os.getpid() % 100000}", workers=1, conf_extra=CONF)
    rows = []
    try:
        lab.up()
        lab.start_dplbd()
        lab.call("addr.add", {"addr": f"{VIP}/32", "dev": "dp0"})
        nxt, port = 100, 1000
        print(f"{'LIPs':>4} {'rate/s':>7} {'achieved':>8} {'conns':>7} "
              f"{'early':>7} {'early %':>7} {'theory %':>8} {'needed':>6}")
        for n in a.addrs:
            for rate in a.rates:
                lips = [f"198.18.1.{i}" for i in range(nxt, nxt + n)]
                nxt += n
                port += 1
                r = one_point(lab, n, rate, a.seconds, lips, port)
                rows.append(r)
                print(f"{n:>4} {rate:>7} {r['achieved']:>8.0f} "
                      f"{r['conns']:>7} {r['early']:>7} "
                      f"{100 * r['share']:>7.1f} {100 * r['theory']:>8.1f} "
                      f"{r['needed']:>6}", flush=True)
    finally:
        lab.stop_dplbd()
        lab.sh("down", check=False)
    with open(out / "lports.csv", "w") as f:
        keys = list(rows[0]) if rows else []
        f.write(",".join(keys) + "\n")
        for r in rows:
            f.write(",".join(str(r[k]) for k in keys) + "\n")
    print(f"bench: {out / 'lports.csv'}")


if __name__ == "__main__":
    main()
