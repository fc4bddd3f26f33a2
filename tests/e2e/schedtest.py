# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers of the scheduler end-to-end tests (test_lb_sched*.py): the
six nginx servers (ports 80, 81 and 82 of rs1 and rs2, each answering its
own name) and the `lb` fixture that starts them, services and dests by
server name, and a model of IPVS's load-following schedulers to replay
each worker's connections through.

Each dplbd worker schedules from its own connection counts
(docs/schedulers.md), so a test that depends on load opens connections
one at a time (each handshake done and counted before the next SYN),
learns from conn.list which worker owns each, and checks every worker's
connections, in order, against its own model."""

import collections

import pytest

from labtest import Holder, RS1_IP, RS2_IP, wait_for

VIP = "198.18.0.100"
LIP = "198.18.1.100"
N_CLIENTS = 200
# (address, port) -> the body its nginx answers
SERVERS = {(RS1_IP, 80): "rs1", (RS2_IP, 80): "rs2",
           (RS1_IP, 81): "rs1:81", (RS2_IP, 81): "rs2:81",
           (RS1_IP, 82): "rs1:82", (RS2_IP, 82): "rs2:82"}
NAME = {v: k for k, v in SERVERS.items()}


@pytest.fixture(scope="module")
def lb(lab):
    lab.call("addr.add", {"addr": f"{VIP}/32", "dev": "dp0"})
    lab.call("addr.add", {"addr": f"{LIP}/32", "dev": "dp1"})
    lab.call("laddr.add", {"group": "lg1", "addr": LIP})
    for (addr, port), text in SERVERS.items():
        if port != 80:
            node = "rs1" if addr == RS1_IP else "rs2"
            lab.start_web(f"{node}-{port}", node, "0.0.0.0", port, text)
    lab.add_client_addrs(N_CLIENTS)
    return lab


def service(lab, port, sched, dests, fwd="fnat", **extra):
    """A service on VIP:port; dests are (body, weight) pairs."""
    if fwd == "fnat":
        extra["laddr_group"] = "lg1"
    lab.call("service.add", {"proto": "tcp", "vip": VIP, "port": port,
                             "sched": sched, **extra})
    for name, weight in dests:
        dest(lab, port, name, "dest.add", weight=weight, fwd=fwd)


def dest(lab, port, name, verb, **attrs):
    addr, dport = NAME[name]
    return lab.call(verb, {"proto": "tcp", "vip": VIP, "port": port,
                           "addr": addr, "dport": dport, **attrs})


def load(lab, port):
    """{body: (active, inactive)} of the service's dests (all workers)."""
    return {SERVERS[(d["addr"], d["port"])]:
            (d["active_conns"], d["inactive_conns"])
            for d in lab.call("dest.list", {"proto": "tcp", "vip": VIP,
                                            "port": port})}


def no_failures(result):
    bad = [(src, b) for src, bodies in result.items() for b in bodies
           if b.startswith("FAIL")]
    assert not bad, bad[:10]


def owners(lab, port):
    """{client port: (worker, server name)} of VIP:port's connections."""
    out = {}
    for c in lab.conns(vip=f"{VIP}:{port}"):
        addr, dport = c["dest"].rsplit(":", 1)
        out[int(c["client"].rsplit(":", 1)[1])] = \
            (c["worker"], SERVERS[(addr, int(dport))])
    return out


# ---- the model: IPVS's schedulers over one worker's counts -------------

def least(kind, order, weights, active, inactive):
    """lc, wlc, sed, nq as IPVS writes them: its list has the newest dest
    first, and the first strictly better one wins."""
    best = None
    for d in reversed(order):
        w, a = weights[d], active[d]
        if w == 0:
            continue
        if kind == "nq" and a == 0:
            return d
        num = a * 256 + inactive[d] if kind in ("lc", "wlc") else a + 1
        den = 1 if kind == "lc" else w
        if best is None or best[1] * den > num * best[2]:
            best = (d, num, den)
    return best[0] if best else None


class WorkerModel:
    """One worker's scheduler for one service: its connections per dest
    and, for lblc/lblcr, its entry for the VIP."""

    def __init__(self, sched, dests):
        self.sched = sched
        self.order = [n for n, _ in dests]
        self.weights = dict(dests)
        self.active = {n: 0 for n in self.order}
        self.inactive = {n: 0 for n in self.order}
        self.entry = []		# lblc: [dest]; lblcr: the set, oldest first

    def _overloaded(self, d):
        """lblc/lblcr's rule: more active than its weight while some dest
        has fewer than half its weight."""
        return self.active[d] > self.weights[d] and any(
            2 * self.active[x] < self.weights[x] for x in self.order)

    def _wlc(self):
        return least("wlc", self.order, self.weights, self.active,
                     self.inactive)

    def _set_min(self):
        best = None
        for d in reversed(self.entry):
            w = self.weights[d]
            oh = self.active[d] * 256 + self.inactive[d]
            if w > 0 and (best is None or best[1] * w > oh * best[2]):
                best = (d, oh, w)
        return best[0] if best else None

    def pick(self):
        if self.sched in ("lc", "wlc", "sed", "nq"):
            return least(self.sched, self.order, self.weights, self.active,
                         self.inactive)
        if not self.entry:
            self.entry = [self._wlc()]
            return self.entry[0]
        if self.sched == "lblc":
            d = self.entry[-1]
            if self.weights[d] > 0 and not self._overloaded(d):
                return d
            self.entry = [self._wlc()]
            return self.entry[0]
        d = self._set_min()
        if d is not None and not self._overloaded(d):
            return d
        d = self._wlc()
        if d not in self.entry:
            self.entry.append(d)
        return d

    def commit(self, d):
        self.active[d] += 1

    def close(self, d):
        """The client closed a connection: inactive until it expires."""
        self.active[d] -= 1
        self.inactive[d] += 1


def hold_and_check(lab, stack, port, sched, dests, n, models):
    """Hold n more connections to VIP:port, opened one after the other
    (each by its own process, so that each handshake is done and counted
    before the next SYN) and held until stack closes; each worker's must
    go where its model (models: {worker: WorkerModel}, kept up to date)
    says.  Returns [(holder, worker, server)] in the order they opened."""
    holders = [stack.enter_context(Holder(lab, VIP, port, 1))
               for _ in range(n)]
    ports = [h.ports[0] for h in holders]
    assert wait_for(lambda: set(ports) <= set(owners(lab, port)), 5)
    own = owners(lab, port)
    held = [(h, *own[p]) for h, p in zip(holders, ports)]
    for i, (_, w, server) in enumerate(held):
        model = models.setdefault(w, WorkerModel(sched, dests))
        want = model.pick()
        assert server == want, \
            f"{sched}: connection {i} (worker {w}) went to {server}, IPVS " \
            f"picks {want}; all: {[(w, s) for _, w, s in held]}"
        model.commit(server)
    print(sched, [(w, s) for _, w, s in held])
    return held


def per_worker(held):
    """{worker: [server, ...]} in order."""
    out = collections.defaultdict(list)
    for _, w, server in held:
        out[w].append(server)
    return dict(out)
