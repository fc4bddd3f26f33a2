# SPDX-License-Identifier: GPL-2.0-or-later
"""The packet suite's model of the TCP state table (tcp_table.py): it is
the issue's table, and the cells it calls reachable are those that
docs/testing.md lists (the golden cases assert they cover all of them)."""

import re
from pathlib import Path

import tcp_table as tt

REPO = Path(__file__).resolve().parents[2]


def test_transcription_matches_docs():
    """docs/conn-states.md holds the same table as the issue."""
    text = (REPO / "docs" / "conn-states.md").read_text()
    block = re.search(r"```\n( +NONE ESTAB.*?)```", text, re.S).group(1)
    assert tt.parse(block) == (tt.STATES, tt.TABLE)
    assert len(tt.STATES) * len(tt.TABLE) == 132


def test_reachable_columns():
    for mode in ("fnat", "nat"):
        assert set(tt.walks(mode)) == {"SR", "ES", "SS", "FW", "TW", "CL",
                                       "CW"}
    for mode in ("dr", "tunnel"):
        assert set(tt.walks(mode)) == {"SR", "ES", "FW", "TW", "CL"}


def test_walks_end_in_their_state():
    for mode, senders in tt.MODE_DIRS.items():
        for state, walk in tt.walks(mode).items():
            s = "NO"
            for sender, flags in walk:
                s = tt.step(s, senders[sender], flags)
            assert s == state, (mode, walk)


def test_unreachable_cells():
    """What docs/testing.md lists, cell by cell."""
    rows = list(tt.ROWS)
    dead = [(r, c) for c in ("LA", "LI", "SA") for r in rows]
    not_syn = [("fin", "NO"), ("ack", "NO"), ("rst", "NO")]
    for mode in ("fnat", "nat"):
        u = tt.unreachable_cells(mode)
        assert u["INPUT"] == not_syn + dead
        assert u["OUTPUT"] == [(r, "NO") for r in rows] + dead
        c = tt.reachable_cells(mode)
        assert (len(c["INPUT"]), len(c["OUTPUT"])) == (29, 28)
    for mode in ("dr", "tunnel"):
        u = tt.unreachable_cells(mode)
        assert u["IN-ONLY"] == (not_syn + [(r, c) for c in ("SS", "CW")
                                           for r in rows] + dead)
        assert len(tt.reachable_cells(mode)["IN-ONLY"]) == 21
