# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared fixtures of the control-socket tests: each module runs one real
dplbd (on a net_null port) from its CONFIG and gets a fresh client per
test."""

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "pylib"))

from dplbd import Dplbd  # noqa: E402

DPLBD = Path(os.environ.get("DPLBD_BIN", REPO / "build" / "dplbd"))
DPLBCTL = Path(os.environ.get("DPLBCTL_BIN", REPO / "build" / "dplbctl"))

# A CONFIG's usual start: one net_null port without a twin, two workers.
NULL_PORT_2W = """
global = { log_level = "info"; control_socket = "@SOCKET@"; };
eal = { hugepages = false; memory_mb = 256; };
dataplane = { workers = 2; idle_sleep_max_us = 100; };
ports = ( { name = "dp0"; device = "net_null0"; twin = ""; } );
"""


@pytest.fixture(scope="module")
def dplbd(request):
    """dplbd running the module's CONFIG; it must survive the module's
    tests and exit 0 on SIGTERM."""
    if not os.access(DPLBD, os.X_OK):
        pytest.fail(f"{DPLBD} is not built: run make first", pytrace=False)
    d = Dplbd(request.module.CONFIG)
    d.start()
    yield d
    alive = d.alive()
    rc = d.stop()
    assert alive, f"dplbd died during the tests:\n{d.stderr}"
    assert rc == 0, f"dplbd exited with {rc} on SIGTERM:\n{d.stderr}"


@pytest.fixture
def ctl(dplbd):
    c = dplbd.connect()
    yield c
    c.close()
    assert dplbd.alive(), f"dplbd died:\n{dplbd.stderr}"
