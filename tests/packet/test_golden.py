# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden packet tests: each case of gen_golden.py through dplbd on net_pcap.

dplbd reads every port's rx_pcap once; the test waits until the ports
have received all input frames and the output has stopped changing,
stops dplbd (SIGTERM, which closes the ports and flushes the pcaps), then
compares every output frame byte for byte with the expected ones
(timestamps ignored) and checks the drop counters exactly.  Cases that
name their connections (the load-balancing ones) have conn.list read
before the stop and compared entry by entry.
"""

import contextlib
import io
import time

import pytest
from scapy.all import Ether, rdpcap
from scapy.utils import hexdiff

import gen_golden as gen
from ctl import CtlError
from dplbd import Dplbd

CASES = gen.cases()

SETTLE_S = 0.3  # output unchanged for this long = stable
TIMEOUT_S = 10.0


def port_stats(ctl):
    return {p["name"]: p["stats"] for p in ctl.result("port.list")}


def drop_counts(ctl):
    return ctl.result("drop.list")


def wait_done(ctl, n_inputs):
    """Wait until all n_inputs frames were received and tx stays stable.
    Returns the last stats seen."""
    deadline = time.monotonic() + TIMEOUT_S
    last_tx, stable_since = None, None
    while True:
        st = port_stats(ctl)
        rx = sum(s["ipackets"] for s in st.values())
        tx = sum(s["opackets"] for s in st.values())
        now = time.monotonic()
        if rx >= n_inputs:
            if tx != last_tx:
                last_tx, stable_since = tx, now
            elif now - stable_since >= SETTLE_S:
                return st
        if now > deadline:
            pytest.fail(f"timeout: dplbd received {rx} of {n_inputs} input "
                        f"frames, port stats {st}")
        time.sleep(0.05)


def conn_page(ctl, params, tries=50):
    """One conn.list page.  dplbd answers ETIMEDOUT when the worker did
    not take the request within 100 ms (and withdraws it): on this
    shared, loaded machine a worker thread can be off the CPU that long,
    so ask again."""
    for _ in range(tries - 1):
        try:
            return ctl.result("conn.list", params)
        except CtlError as e:
            if e.code != "ETIMEDOUT":
                raise
            time.sleep(0.05)
    return ctl.result("conn.list", params)


def list_conns(ctl):
    """Every connection, through conn.list's pages."""
    out, cursor = [], None
    while True:
        params = {"max": 4096}
        if cursor is not None:
            params["cursor"] = cursor
        r = conn_page(ctl, params)
        out += r["conns"]
        cursor = r["cursor"]
        if cursor is None:
            return out


def check_conns(case, got):
    """conn.list after the run against the case's expected entries: the
    same clients, and per client every expected field (state, local
    port, real server...).  Lists every mismatch with what it tests."""
    by_client = {}
    for c in got:
        assert c["client"] not in by_client, f"client listed twice: {c}"
        by_client[c["client"]] = c
    bad = []
    for client, want in case.conns.items():
        why = case.conn_why.get(client, "")
        c = by_client.pop(client, None)
        if c is None:
            bad.append(f"{client}: missing (expected {want}) -- {why}")
            continue
        diff = {k: (v, c.get(k)) for k, v in want.items() if c.get(k) != v}
        if diff:
            bad.append(f"{client}: " + ", ".join(
                f"{k} expected {e!r}, actual {a!r}"
                for k, (e, a) in diff.items()) + f" -- {why}")
    bad += [f"{client}: unexpected connection {c}"
            for client, c in by_client.items()]
    if bad:
        pytest.fail(f"{len(bad)} of {len(case.conns)} connections wrong:\n"
                    + "\n".join(bad), pytrace=False)


def dump(p):
    with contextlib.redirect_stdout(io.StringIO()) as out:
        Ether(p).show2()
    return out.getvalue()


def field_diff(exp, got):
    """Fields that differ, layer by layer: ["IP.ttl: 63 != 64", ...]."""
    out = []
    a, b = Ether(exp), Ether(got)
    while a and b:
        if type(a) is not type(b):
            out.append(f"layer {a.name} != {b.name}")
            break
        for f in a.fields_desc:
            va, vb = a.getfieldval(f.name), b.getfieldval(f.name)
            if va != vb:
                out.append(f"{a.name}.{f.name}: expected {va!r}, "
                           f"actual {vb!r}")
        a, b = a.payload, b.payload
    if bool(a) != bool(b):
        out.append(f"extra layer: expected {a.summary() if a else '-'}, "
                   f"actual {b.summary() if b else '-'}")
    return out


def describe_mismatch(port, i, exp, got):
    """A readable diff of the first differing frame."""
    lines = [f"{port}: frame {i} differs",
             f"expected ({len(exp)} bytes): {Ether(exp).summary()}",
             f"actual   ({len(got)} bytes): {Ether(got).summary()}",
             "--- differing fields", *field_diff(exp, got),
             "--- expected", dump(exp), "--- actual", dump(got),
             "--- hexdiff (expected, actual)"]
    with contextlib.redirect_stdout(io.StringIO()) as out:
        hexdiff(exp, got)
    lines.append(out.getvalue())
    return "\n".join(lines)


def compare_port(port, expected_path, actual_path, n_announce):
    expected = [bytes(p) for p in rdpcap(expected_path)]
    actual = [bytes(p) for p in rdpcap(actual_path)]
    announce, want = expected[:n_announce], expected[n_announce:]

    # dplbd's gratuitous ARPs may come before or after the case's frames
    rest = list(actual)
    for a in announce:
        assert a in rest, (
            f"{port}: missing the address announcement "
            f"{Ether(a).summary()}; got {[Ether(x).summary() for x in actual]}")
        rest.remove(a)

    for i, (e, g) in enumerate(zip(want, rest)):
        if e != g:
            pytest.fail(describe_mismatch(port, i, e, g), pytrace=False)
    if len(rest) != len(want):
        extra = [Ether(x).summary() for x in rest[len(want):]]
        missing = [Ether(x).summary() for x in want[len(rest):]]
        pytest.fail(f"{port}: expected {len(want)} frames besides the "
                    f"announcements, got {len(rest)}; missing {missing}, "
                    f"unexpected {extra}", pytrace=False)


# dplbd bugs these cases found, each recognised by all of its strings in
# dplbd's output: a case that dies of one is an expected failure (xfail)
# with the reason; any other failure stays a failure.  Delete an entry
# when its bug is fixed.
KNOWN_BUGS = (
    # ((needle, ...), "reason"): a case whose dplbd output holds every
    # needle is an expected failure for that reason.  None known today.
)


def known_bug(output):
    for needles, reason in KNOWN_BUGS:
        if all(n in output for n in needles):
            return reason
    return None


def run_case(case, text):
    """dplbd on the case until its output settles.  Returns the exit
    status, the port stats, the drop counters and the connection list
    (None when the case does not check it)."""
    d = Dplbd(text)
    rc = None
    try:
        with d:
            st = wait_done(d.ctl, case.n_inputs)
            drops = drop_counts(d.ctl)
            conns = list_conns(d.ctl) if case.conns is not None else None
            rc = d.stop()
    except (Exception, pytest.fail.Exception):
        reason = known_bug(d.stderr)
        if reason:
            pytest.xfail(reason)
        raise
    finally:
        # shown by pytest when the test fails
        print("---- dplbd stderr ----\n" + d.stderr + d.stdout)
    if rc != 0 and known_bug(d.stderr):
        pytest.xfail(known_bug(d.stderr))
    return rc, st, drops, conns


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden(case, workdir):
    text, paths = gen.write_case(case, workdir)
    rc, st, drops, conns = run_case(case, text)
    assert rc == 0, f"dplbd exited with {rc} on SIGTERM"

    for port, _, _ in gen.PORTS:
        assert st[port]["ipackets"] == len(case.inputs(port)), st

    for port, _, _ in gen.PORTS:
        _, tx, exp = paths[port]
        compare_port(port, exp, tx, len(gen.announcements(port, case)))

    unexpected = {r: n for r, n in drops.items()
                  if n != case.drops.get(r, 0)}
    assert not unexpected, (
        f"drop counters {unexpected}, expected exactly {case.drops or 'none'}")

    if conns is not None:
        check_conns(case, conns)

