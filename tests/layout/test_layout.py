# SPDX-License-Identifier: GPL-2.0-or-later
"""The source layout's rules (docs/DESIGN-NOTES.md, "Folders"), checked
on the tree itself: sizes, which folder may include which, private
headers kept private, main.c only wiring, and the packet path's one
direction (net/ never names the load balancer)."""
import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DP = ROOT / "dataplane"
DPLBD = DP / "dplbd"
FOLDERS = ["core", "net", "net6", "lb", "lb6", "conn", "sched", "tcp", "xlat", "ctl",
           "ha", "config", "ops"]
MAX_LINES = 1200
MAX_FILES = 20

# Headers of core/ and config/ that every layer may include: the
# context's types, how a packet ends (tx), counters, the devices, the
# EAL's log level, and the config's data.
BASE = {"core/dp.h", "core/tx.h", "core/stats.h", "core/port.h",
        "core/eal.h", "config/config.h"}
# The load balancer's value types, which the config reader fills
# (scheduler names and flags are the schedulers').
LB_TYPES = {"lb/lb_conf.h", "conn/conn_state.h", "sched/scheduler.h"}
ALLOWED = {
    "config": lambda h: h.startswith("config/") or h in LB_TYPES,
    "net": lambda h: h.startswith("net/") or h in BASE,
    # the IPv6 stack: on net/'s neighbour table, slow path, twin and
    # checksums; never the load balancer
    "net6": lambda h: h.split("/")[0] in ("net6", "net") or h in BASE,
    "lb": lambda h: h.split("/")[0] in ("lb", "conn", "net", "net6", "sched",
                                        "tcp", "xlat") or
    h in BASE,
    # the IPv6 load balancer: lb/'s other half (lb/ is full)
    "lb6": lambda h: h.split("/")[0] in ("lb", "lb6", "conn", "net", "net6",
                                         "sched", "tcp", "xlat") or
    h in BASE,
    # the connection table and the state table: knows no service
    "conn": lambda h: h.startswith("conn/") or h in BASE,
    "sched": lambda h: h.startswith("sched/"),
    # TCP mechanics (options, sequence edits, SYN cookies, PROXY
    # headers): a pure library on packets, with net/'s checksums
    "tcp": lambda h: h.startswith("tcp/") or h == "net/csum.h",
    # IPv6 rewrites, tunnels and NAT64 (RFC 7915): a pure library on
    # packets as tcp/ is
    "xlat": lambda h: h.startswith("xlat/") or h == "net/csum.h",
    "ha": lambda h: h.split("/")[0] in ("ha", "lb", "conn", "net", "net6",
                                        "sched") or
    h in BASE,
    "ctl": lambda h: True,
    # what an operator meets beside the control socket (metrics, host
    # checks): it reads every layer, but never the control socket's code
    "ops": lambda h: h.split("/")[0] != "ctl",
    "core": lambda h: True,
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources(top):
    return sorted(p for p in top.rglob("*") if p.suffix in (".c", ".h"))


def includes(path):
    return INCLUDE.findall(path.read_text())


def code(path):
    """The file without its comments."""
    text = re.sub(r"/\*.*?\*/", " ", path.read_text(), flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def folder_of(path):
    rel = path.relative_to(DPLBD)
    return rel.parts[0] if len(rel.parts) > 1 else None


@pytest.mark.parametrize("path", sources(DP), ids=lambda p: str(p.relative_to(DP)))
def test_no_file_over_max_lines(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_LINES, f"{path.relative_to(ROOT)}: {n} lines (at most {MAX_LINES})"


def test_dplbd_has_only_the_layer_folders_and_main():
    entries = {p.name for p in DPLBD.iterdir()}
    assert entries == set(FOLDERS) | {"main.c"}, sorted(entries)


@pytest.mark.parametrize("folder", FOLDERS)
def test_folder_size(folder):
    files = [p for p in (DPLBD / folder).iterdir() if p.suffix in (".c", ".h")]
    assert 0 < len(files) <= MAX_FILES, f"{folder}/: {len(files)} source files"


@pytest.mark.parametrize("folder", FOLDERS)
def test_includes_follow_the_layers(folder):
    bad = []
    for path in sources(DPLBD / folder):
        for h in includes(path):
            if "/" not in h:
                # same folder (a private header) or common/
                if not ((path.parent / h).exists() or (DP / "common" / h).exists()):
                    bad.append(f"{path.name}: \"{h}\" is neither private nor common/")
                continue
            if not (DPLBD / h).exists():
                bad.append(f"{path.name}: \"{h}\" does not exist")
            elif not ALLOWED[folder](h):
                bad.append(f"{path.name}: includes {h}")
    assert not bad, f"{folder}/ may not include these:\n" + "\n".join(bad)


# lb6/ is the other half of the load balancer (lb/ is full): it shares
# lb/'s private contract, and no other folder does.
SHARED_PRIVATE = {("lb6", "lb/lb_priv.h")}


def test_private_headers_stay_in_their_folder():
    bad = []
    for path in sources(ROOT / "dataplane") + sources(ROOT / "tests") + sources(ROOT / "bench"):
        for h in includes(path):
            name = h.split("/")[-1]
            if not name.endswith("_priv.h"):
                continue
            if (path.parent.name, h) in SHARED_PRIVATE:
                continue
            if "/" in h or not (path.parent / name).exists():
                bad.append(f"{path.relative_to(ROOT)}: {h}")
    assert not bad, "private headers included from outside their folder:\n" + "\n".join(bad)


def test_net_never_names_the_load_balancer():
    """The packet path runs one way: net/ returns verdicts and calls
    nothing of lb/ (nor the pipeline above it)."""
    lb_api = re.compile(r"\b(lb_[a-z_]+|pipeline_[a-z_]+|conn_lookup\w*)\s*\(")
    bad = []
    for path in sources(DPLBD / "net") + sources(DPLBD / "net6"):
        for m in lb_api.finditer(code(path)):
            bad.append(f"{path.name}: {m.group(1)}()")
    assert not bad, "\n".join(bad)


def test_lower_layers_never_call_the_pipeline():
    call = re.compile(r"\b(pipeline_input|pipeline_rx_burst|l2_input)\s*\(")
    bad = []
    for folder in ("lb", "ha", "ctl", "config", "ops"):
        for path in sources(DPLBD / folder):
            for m in call.finditer(code(path)):
                bad.append(f"{folder}/{path.name}: {m.group(1)}()")
    assert not bad, "\n".join(bad)


def test_main_c_only_wires():
    """No function of main.c is called from another file: main() is its
    only external symbol."""
    build = Path(os.environ.get("BUILD", ROOT / "build"))
    obj = build / "obj" / "dplbd" / "main.o"
    if not obj.exists():
        pytest.fail(f"{obj} is missing: run make first")
    out = subprocess.run(["nm", "--defined-only", "-g", str(obj)],
                         capture_output=True, text=True, check=True).stdout
    globals_ = [l.split()[-1] for l in out.splitlines() if l.strip()]
    assert globals_ == ["main"], globals_


def test_design_notes_name_every_folder():
    notes = (ROOT / "docs" / "DESIGN-NOTES.md").read_text()
    for folder in FOLDERS:
        assert f"`{folder}/`" in notes, f"docs/DESIGN-NOTES.md does not describe {folder}/"
