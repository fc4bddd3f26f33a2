# SPDX-License-Identifier: GPL-2.0-or-later
"""Full-NAT local ports across a restart of dplbd (dataplane.lport_keep,
docs/load-balancing.md, "Local ports"): dplbd stopped and started again
within lport_guard goes on with each (local address, server) pair's walk
where it stopped, so that its SYNs meet none of the tuples the servers
still hold in TIME_WAIT from the run before (a new random point would
land among them after a busy run, and a Linux server refuses about half
of those SYNs).  With lport_random on, as shipped: the next ports follow
the last ones only because the walks were kept."""

from synctest import key, lport_runs_end, lports_not_following

VIP = "198.18.0.100"
LIP = "198.18.1.100"


def fnat_rows(lab):
    return [c for c in lab.conns() if c["fwd"] == "fnat"]


def curls(lab, n):
    counts = lab.curl_counts(f"http://{VIP}/", n)
    assert sum(counts.values()) == n, counts


def test_walks_go_on_after_a_restart(lab):
    lab.fnat_service(VIP, LIP)
    curls(lab, 30)
    rows = fnat_rows(lab)
    assert len(rows) >= 30, rows
    ends = lport_runs_end(key(c) for c in rows)
    old = lab.restart_dplbd()
    out = old.stdout + old.stderr
    assert "the walks kept in" in out, out[-2000:]
    log = lab.dplbd_output()
    assert "goes on where the run before left it" in log, log[-2000:]
    lab.fnat_service(VIP, LIP)
    curls(lab, 20)
    mine, bad = lports_not_following(ends, fnat_rows(lab))
    assert len(mine) >= 20 and not bad, (bad[:5], ends)
    print(f"\nafter the restart: {len(mine)} connections, each after the "
          f"last local port of its pair before it")
