# SPDX-License-Identifier: GPL-2.0-or-later
"""Golden packet tests: dplbd on net_pcap, no network, no root needed
beyond what DPDK wants (run as root like the rest of the suite)."""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
for p in (HERE, REPO / "tests" / "pylib"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

DPLBD = REPO / "build" / "dplbd"


@pytest.fixture(scope="session", autouse=True)
def _need_dplbd():
    if not os.access(DPLBD, os.X_OK):
        pytest.fail(f"{DPLBD} is not built: run make first", pytrace=False)


@pytest.fixture
def workdir(request):
    """A short directory (net_pcap devargs and the socket path have length
    limits); kept on failure for a look with tcpdump."""
    d = tempfile.mkdtemp(prefix="dplbg-")
    yield d
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        print(f"\n[golden] case files kept in {d}")
    else:
        shutil.rmtree(d, ignore_errors=True)


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
