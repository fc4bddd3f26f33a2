# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end tests in the namespace lab (tests/lab/lab.sh).

Each test module gets its own lab with a unique prefix ("e2e<pid>x<n>"), so
that runs never clash, and the lab is always torn down, also when a test
or the setup fails.  A module tunes its lab and dplbd with attributes:

    LAB_WORKERS = 2          # dplbd workers (and veth queues)
    LAB_PMD = "af_xdp"       # DPDK_PMD
    LAB_FORWARD = False      # ip.forward
    LAB_CONF_EXTRA = "timeouts = { tcp = { time_wait = 1; }; };"
                             # appended to the generated dplbd.conf

Fixture `lab`: a labtest.Lab with nginx in rs1, rs2 and the client, dplbd
running in ${P}-lb and a management http.server behind its twin.
"""

import itertools
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from labtest import DPLBCTL, DPLBD, Lab  # noqa: E402

_seq = itertools.count()


def _lab_options(module):
    return dict(workers=getattr(module, "LAB_WORKERS", 1),
                pmd=getattr(module, "LAB_PMD", "af_packet"),
                forward=getattr(module, "LAB_FORWARD", True),
                conf_extra=getattr(module, "LAB_CONF_EXTRA", ""))


@pytest.fixture(scope="session", autouse=True)
def _prerequisites():
    missing = [str(p) for p in (DPLBD, DPLBCTL) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(f"not built: {', '.join(missing)} (run make)",
                    pytrace=False)
    if os.geteuid() != 0:
        pytest.fail("the e2e tests need root (network namespaces)",
                    pytrace=False)
    # hugepages: the lab's config uses them; reserve a few if there are none
    free = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("HugePages_Free:"):
                free = int(line.split()[1])
    if free < 128:
        with open("/proc/sys/vm/nr_hugepages") as f:
            total = int(f.read())
        with open("/proc/sys/vm/nr_hugepages", "w") as f:
            f.write(str(total + 128 - free))


@pytest.fixture(scope="module")
def lab(request):
    opts = _lab_options(request.module)
    prefix = f"e2e{os.getpid() % 100000}x{next(_seq)}"
    lb = Lab(prefix, **opts)
    try:
        lb.up()
        lb.start_dplbd()
        yield lb
    finally:
        out = ""
        try:
            out = lb.dplbd_output() if lb.dplbd else ""
            lb.stop_dplbd()
        finally:
            lb.sh("down", check=False)
        failed = getattr(request.node, "_e2e_failed", False)
        if failed and out:
            sys.stderr.write(f"\n---- dplbd output ({prefix}) ----\n"
                             f"{out[-6000:]}\n")


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        # mark the module so the lab fixture prints dplbd's output at the
        # end, and attach it to this test's report right away
        mod = item.getparent(pytest.Module)
        if mod is not None:
            mod._e2e_failed = True
        lb = getattr(item, "funcargs", {}).get("lab")
        if isinstance(lb, Lab) and lb.dplbd is not None:
            out = lb.dplbd_output()
            if out:
                rep.sections.append(("dplbd output", out[-6000:]))

