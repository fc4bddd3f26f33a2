# SPDX-License-Identifier: GPL-2.0-or-later
"""The TCP state table of issue 3, as the packet tests expect it.

ISSUE_TABLE is a verbatim copy of the table in the issue (the spec), parsed
here; nothing is taken from dataplane/dplbd/conn/conn_state.c, so a golden case
that agrees with dplbd checks the C table against the spec, not against
itself.  On top of the table, the issue's rules:

- a packet takes the row of its first flag among rst, syn, fin, ack;
  a packet with none of them keeps its state;
- only a TCP SYN without ACK, FIN or RST creates a connection; any other
  TCP packet to the VIP without one is dropped (not_syn);
- a SYN that hits a connection in TIME_WAIT or CLOSE is rescheduled at
  once: a new connection (here: a pure SYN from the client, as only such
  a SYN could create one).

reachable() and walk() say which cells packets can reach and how.
"""

from collections import deque

ISSUE_TABLE = """
            NONE ESTAB SYN_SENT SYN_RECV FIN_WAIT TIME_WAIT CLOSE CLOSE_WAIT LAST_ACK LISTEN SYNACK
INPUT  syn  SR   ES    ES       SR       SR       SR        SR    SR         SR       SR     SR
       fin  CL   CW    SS       TW       TW       TW        CL    CW         LA       LI     TW
       ack  CL   ES    SS       ES       FW       TW        CL    CW         CL       LI     ES
       rst  CL   CL    CL       SR       CL       CL        CL    CL         LA       LI     SR
OUTPUT syn  SS   ES    SS       SR       SS       SS        SS    SS         SS       LI     SR
       fin  TW   FW    SS       TW       FW       TW        CL    TW         LA       LI     TW
       ack  ES   ES    SS       ES       FW       TW        CL    CW         LA       ES     ES
       rst  CL   CL    SS       CL       CL       TW        CL    CL         CL       CL     CL
IN-ONLY syn SR   ES    ES       SR       SR       SR        SR    SR         SR       SR     SR
       fin  CL   FW    SS       TW       FW       TW        CL    CW         LA       LI     TW
       ack  CL   ES    SS       ES       FW       TW        CL    CW         CL       LI     ES
       rst  CL   CL    CL       SR       CL       CL        CL    CL         LA       LI     CL
"""

# The issue's column headings and cell abbreviations; NO is NONE.
COLUMN_ABBREV = {
    "NONE": "NO", "ESTAB": "ES", "SYN_SENT": "SS", "SYN_RECV": "SR",
    "FIN_WAIT": "FW", "TIME_WAIT": "TW", "CLOSE": "CL", "CLOSE_WAIT": "CW",
    "LAST_ACK": "LA", "LISTEN": "LI", "SYNACK": "SA",
}
# What conn.list says (ipvsadm -c's names, docs/control-protocol.md).
IPVS_NAME = {
    "NO": "NONE", "ES": "ESTABLISHED", "SS": "SYN_SENT", "SR": "SYN_RECV",
    "FW": "FIN_WAIT", "TW": "TIME_WAIT", "CL": "CLOSE", "CW": "CLOSE_WAIT",
    "LA": "LAST_ACK", "LI": "LISTEN", "SA": "SYNACK",
}
DIRS = ("INPUT", "OUTPUT", "IN-ONLY")
ROWS = ("syn", "fin", "ack", "rst")
ROW_ORDER = (("rst", "R"), ("syn", "S"), ("fin", "F"), ("ack", "A"))


def parse(text):
    lines = [ln.split() for ln in text.strip("\n").splitlines()]
    states = [COLUMN_ABBREV[h] for h in lines[0]]
    table, direction = {}, None
    for toks in lines[1:]:
        if toks[0] in DIRS:
            direction, toks = toks[0], toks[1:]
        row, cells = toks[0], toks[1:]
        assert row in ROWS and len(cells) == len(states), toks
        assert all(c in IPVS_NAME for c in cells), toks
        table[direction, row] = dict(zip(states, cells))
    assert len(table) == len(DIRS) * len(ROWS)
    return states, table


STATES, TABLE = parse(ISSUE_TABLE)


def row_of(flags):
    """The row a packet with scapy TCP flags ("FA", "RA", "") takes."""
    for row, letter in ROW_ORDER:
        if letter in flags:
            return row
    return None


def creates(flags):
    """Only a SYN without ACK, FIN and RST creates a connection."""
    return "S" in flags and not set("AFR") & set(flags)


def reschedules(state, flags):
    """A new connection's SYN on a TIME_WAIT or CLOSE entry."""
    return creates(flags) and state in ("TW", "CL")


def next_state(state, direction, flags):
    row = row_of(flags)
    return state if row is None else TABLE[direction, row][state]


# Which table a mode's packets use, by who sends them.
MODE_DIRS = {
    "fnat": {"client": "INPUT", "server": "OUTPUT"},
    "nat": {"client": "INPUT", "server": "OUTPUT"},
    "dr": {"client": "IN-ONLY"},
    "tunnel": {"client": "IN-ONLY"},
}

# The flags a walk uses for each row, as real peers send them.
WALK_FLAGS = {
    "client": {"syn": "S", "fin": "FA", "ack": "A", "rst": "R"},
    "server": {"syn": "SA", "fin": "FA", "ack": "A", "rst": "R"},
}


def step(state, direction, flags):
    """A connection's state after a packet, rescheduling included (the
    new connection starts in NONE and takes the SYN)."""
    if reschedules(state, flags) and direction != "OUTPUT":
        state = "NO"
    return next_state(state, direction, flags)


def walks(mode):
    """{state: [(sender, flags), ...]}: the shortest packet sequence that
    takes a new connection of mode to each state packets can reach,
    starting with the client's SYN (NONE -> SYN_RECV).  NONE itself is
    not a state a listed connection can be in (its creating SYN leaves
    it), so it is not in the result."""
    senders = MODE_DIRS[mode]
    first = [("client", "S")]
    out = {step("NO", senders["client"], "S"): first}
    todo = deque(out)
    while todo:
        s = todo.popleft()
        for sender in ("client", "server"):
            if sender not in senders:
                continue
            for row in ("ack", "fin", "syn", "rst"):
                flags = WALK_FLAGS[sender][row]
                t = step(s, senders[sender], flags)
                if t not in out:
                    out[t] = out[s] + [(sender, flags)]
                    todo.append(t)
    return out


def reachable_cells(mode):
    """{direction: set of (row, column)} the packets of mode can reach:
    every row on every state a walk reaches, plus the creating SYN on
    NONE."""
    cols = set(walks(mode))
    cells = {}
    for sender, direction in MODE_DIRS[mode].items():
        cells[direction] = {(r, c) for r in ROWS for c in cols}
        if sender == "client":
            cells[direction].add(("syn", "NO"))
    return cells


def unreachable_cells(mode):
    """{direction: sorted [(row, column)]} of the table's cells for mode's
    directions that no packet sequence reaches."""
    out = {}
    for direction, cells in reachable_cells(mode).items():
        every = {(r, c) for r in ROWS for c in STATES}
        out[direction] = sorted(every - cells,
                                key=lambda rc: (STATES.index(rc[1]),
                                                ROWS.index(rc[0])))
    return out
