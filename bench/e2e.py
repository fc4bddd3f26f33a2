#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The end-to-end benchmark: dplbd in full NAT between the veths of the
namespace lab (tests/lab/lab.sh), against dpdk-testpmd forwarding over the
same veths with the same EAL devices, in the same run, rounds alternating.
Method and figures: docs/performance.md, "End to end over veths".

    bench/e2e.py                  af_xdp and af_packet, 3 rounds (~100 s)
    bench/e2e.py --pmd af_xdp --rounds 5 --seconds 3
    bench/e2e.py --smoke          one short round on af_xdp: both forwarders
                                  deliver, the counters agree (seconds)

Traffic, per round and forwarder:
  UDP   build/e2e-udp floods 64-byte frames over --flows flows from the
        client (raw AF_PACKET, qdisc bypassed) to the UDP VIP; a sink on
        rs1 counts the datagrams that arrive.
  TCP   wrk -t1 -c32 for HTTP requests per second to nginx on rs1 through
        the VIP (keep-alive connections), unless --no-tcp or no wrk.
dplbd: VIP 198.18.0.100 (udp 9000, tcp 80), one real server rs1, full NAT
through LIP 198.18.1.100, one worker, idle_sleep_max_us = 0 (pure
polling: dplbd's built-in default and the production example of
docs/config.md; --idle-sleep changes it).  testpmd: --forward-mode=mac
with rs1's and the client's MACs as peers; rs1 carries the VIP on lo so
that it accepts what testpmd forwards unchanged; static neighbours, since
testpmd answers no ARP.  Both use the same EAL devices, descriptors
(1024), burst (32) and lcore layout: main lcore on one cpu with the
traffic tools (sender, sink, wrk), the forwarding lcore alone on the
other (--cpus).

Every window records the CPU time of the forwarding thread (user and
system), of the tools, of the whole machine and what the rest of the
machine took; --perf adds a cpu-clock profile of the forwarding thread
(its own code, the PMD, the kernel).

Output: a table, $OUT/e2e.csv (one row per round, forwarder, PMD and
traffic), $OUT/e2e.log.  Needs root (namespaces); exits 0 when every
measurement ran, 1 otherwise.
"""

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LAB_SH = REPO / "tests" / "lab" / "lab.sh"
BUILD = Path(os.environ.get("BUILD", REPO / "build"))
DPLBCTL = BUILD / "dplbctl"
E2E_UDP = BUILD / "e2e-udp"
TESTPMD = os.environ.get("TESTPMD", "dpdk-testpmd")

VIP = "198.18.0.100"
LIP = "198.18.1.100"
CLIENT_IP = "198.18.0.2"
DP1_IP = "198.18.1.1"
RS1_IP = "198.18.1.11"
UDP_PORT = 9000
TCP_PORT = 80
CLK_TCK = os.sysconf("SC_CLK_TCK")

LOG = None


def log(msg):
    print(msg, file=sys.stderr, flush=True)
    if LOG:
        LOG.write(msg + "\n")
        LOG.flush()


class BenchError(Exception):
    pass


# ------------------------------------------------------------ the lab

class Lab:
    """tests/lab/lab.sh with one prefix: up, down, commands in nodes."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.state = f"/run/dplb-lab/{prefix}"
        self.env = dict(os.environ, LAB_PREFIX=prefix, WORKERS="1",
                        DPDK_PMD="af_xdp")
        self.children = []  # every spawn(), ended by kill_children()

    def sh(self, *args, pmd=None, check=True):
        env = dict(self.env, DPDK_PMD=pmd) if pmd else self.env
        r = subprocess.run([str(LAB_SH), *args], env=env, text=True,
                           capture_output=True, timeout=60)
        if check and r.returncode != 0:
            raise BenchError(f"lab.sh {' '.join(args)}: {r.stdout}{r.stderr}")
        return r

    def ns(self, node):
        return f"{self.prefix}-{node}"

    def run(self, node, *cmd, check=True, timeout=30):
        r = subprocess.run(["ip", "netns", "exec", self.ns(node), *cmd],
                           text=True, capture_output=True, timeout=timeout)
        if check and r.returncode != 0:
            raise BenchError(f"{node}: {' '.join(cmd)}: {r.stderr.strip()}")
        return r

    def spawn(self, node, *cmd, stdin=subprocess.DEVNULL, stdout=None):
        """A process in node; `ip netns exec` execs it, so the Popen's pid
        is the command's (wait4 then gives its CPU time)."""
        p = subprocess.Popen(["ip", "netns", "exec", self.ns(node), *cmd],
                             stdin=stdin, stdout=stdout or subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True)
        self.children.append(p)
        return p

    def kill_children(self):
        """SIGKILL what spawn() started and is still running (after an
        error or SIGTERM); a tool left alone would outlive its netns."""
        for p in self.children:
            if p.returncode is None and p.poll() is None:
                p.kill()
                p.wait()
        self.children = []

    def record_pid(self, name, pid, what):
        """Let `lab.sh down` kill it too if this script dies first."""
        try:
            with open(f"/proc/{pid}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()[19]
            with open(f"{self.state}/pids/{name}.pid", "w") as f:
                f.write(f"{pid} {st} lb {what}\n")
        except OSError:
            pass

    def forget_pid(self, name):
        try:
            os.unlink(f"{self.state}/pids/{name}.pid")
        except OSError:
            pass

    def mac(self, node, ifname):
        out = self.run(node, "ip", "-j", "link", "show", ifname).stdout
        return json.loads(out)[0]["address"]

    def link(self, node, ifname):
        out = self.run(node, "ip", "-j", "-s", "link", "show", ifname).stdout
        st = json.loads(out)[0]["stats64"]
        return {f"{d}_{k}": v for d in ("rx", "tx") for k, v in st[d].items()}

    def ctl(self, method, params=None):
        cmd = [str(DPLBCTL), "-S", f"{self.state}/dplbd.sock", "call", method]
        if params is not None:
            cmd.append(json.dumps(params))
        r = subprocess.run(cmd, text=True, capture_output=True, timeout=10)
        if r.returncode != 0:
            raise BenchError(f"dplbctl call {method}: {r.stderr.strip()}")
        return json.loads(r.stdout) if r.stdout.strip() else None


# ------------------------------------------------------------ CPU time

def cpu_stat():
    """/proc/stat's aggregate line: seconds of user (with nice), system,
    softirq (with irq), idle (with iowait) and steal over all cpus."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    t = lambda *i: sum(v[j] for j in i) / CLK_TCK
    return {"user": t(0, 1), "system": t(2), "softirq": t(5, 6),
            "idle": t(3, 4), "steal": t(7)}


def thread_times(pid):
    """{tid: (name, on-cpu s (schedstat), user s, system s (ticks),
    voluntary and involuntary context switches)} of pid's threads."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        d = f"/proc/{pid}/task/{tid}"
        try:
            with open(f"{d}/comm") as f:
                name = f.read().strip()
            with open(f"{d}/schedstat") as f:
                run = int(f.read().split()[0]) / 1e9
            with open(f"{d}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()
            with open(f"{d}/status") as f:
                sw = dict(re.findall(r"(\w+)_ctxt_switches:\s*(\d+)", f.read()))
            out[tid] = (name, run, int(st[11]) / CLK_TCK, int(st[12]) / CLK_TCK,
                        int(sw.get("voluntary", 0)), int(sw.get("nonvoluntary", 0)))
        except (OSError, IndexError, ValueError):
            continue
    return out


def softnet_drops():
    """Frames the kernel dropped because a cpu's backlog was full (all
    cpus, all namespaces: /proc/net/softnet_stat's second column)."""
    with open("/proc/net/softnet_stat") as f:
        return sum(int(line.split()[1], 16) for line in f if line.strip())


def ksoftirqd_pids():
    pids = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/comm") as f:
                    if f.read().startswith("ksoftirqd/"):
                        pids.append(int(p))
            except OSError:
                pass
    return pids


class CpuWindow:
    """CPU time spent between start() and stop(): the machine's (all
    cpus, by kind), the forwarder's threads (its polling lcore apart),
    ksoftirqd's; the tools add theirs from wait4()."""

    def __init__(self, fwd_pid, worker_re):
        self.fwd_pid = fwd_pid
        self.worker_re = re.compile(worker_re)
        self.kso = ksoftirqd_pids()

    def _snap(self):
        kso = sum(t[1] for p in self.kso for t in thread_times(p).values())
        return time.monotonic(), cpu_stat(), thread_times(self.fwd_pid), kso

    def start(self):
        self.a = self._snap()

    def stop(self):
        t0, s0, th0, k0 = self.a
        t1, s1, th1, k1 = self._snap()
        r = {"wall": t1 - t0, "ksoftirqd": k1 - k0}
        for k in s0:
            r["cpu_" + k] = s1[k] - s0[k]
        r["cpu_busy"] = sum(r["cpu_" + k] for k in
                            ("user", "system", "softirq", "steal"))
        w = {"run": 0.0, "user": 0.0, "sys": 0.0, "vol": 0, "invol": 0}
        rest = 0.0
        for tid, (name, run, usr, sy, vol, inv) in th1.items():
            name0, run0, usr0, sy0, vol0, inv0 = th0.get(
                tid, (name, 0.0, 0.0, 0.0, 0, 0))
            if self.worker_re.search(name):
                w["run"] += run - run0
                w["user"] += usr - usr0
                w["sys"] += sy - sy0
                w["vol"] += vol - vol0
                w["invol"] += inv - inv0
            else:
                rest += run - run0
        r["fwd_worker"] = w["run"]
        r["fwd_worker_user"] = w["user"]
        r["fwd_worker_sys"] = w["sys"]
        r["fwd_worker_switches"] = [w["vol"], w["invol"]]
        r["fwd_other_threads"] = rest
        return r


def tree_cpu(pid):
    """CPU seconds (user + system) of pid and its descendants so far."""
    total, pending = 0.0, [pid]
    while pending:
        p = pending.pop()
        try:
            with open(f"/proc/{p}/stat") as f:
                st = f.read().rsplit(")", 1)[1].split()
            total += (int(st[11]) + int(st[12])) / CLK_TCK
            for tid in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{tid}/children") as f:
                    pending += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return total


def wait_rusage(proc, timeout):
    """Wait for proc like Popen.wait(), returning its output and CPU
    seconds (user + system) from wait4()."""
    deadline = time.monotonic() + timeout
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, ru = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            break
        time.sleep(0.02)
    out = proc.stdout.read() if proc.stdout else ""
    return out, ru.ru_utime + ru.ru_stime


class Profile:
    """perf's cpu-clock samples of the forwarder's polling thread during
    the window (no PMU needed): where its time goes, by object (the
    kernel, the PMD, the forwarder's own code) and by function."""

    def __init__(self, fwd, args, tag):
        tids = [t for t, v in thread_times(fwd.pid).items()
                if re.search(fwd.worker_re, v[0])]
        self.data = os.path.join(args.out, f"e2e-{tag}.perf")
        self.proc = subprocess.Popen(
            ["perf", "record", "-q", "-e", "cpu-clock", "-F", "1999",
             "-o", self.data, "-t", ",".join(tids), "--", "sleep",
             str(args.seconds)], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)

    def _report(self, sort):
        r = subprocess.run(["perf", "report", "-i", self.data, "--stdio",
                            "-q", "--no-children", "-g", "none",
                            "--sort", sort], text=True,
                           capture_output=True, timeout=60)
        out = []
        for line in r.stdout.splitlines():
            m = re.match(r"\s*([\d.]+)%\s+(.*\S)", line)
            if m:
                out.append((float(m.group(1)), m.group(2)))
        return out

    def finish(self):
        self.proc.wait(timeout=30)
        return {"dso": self._report("dso"), "sym": self._report("dso,sym")[:25]}


# ------------------------------------------------------------ forwarders

class DplbdFwd:
    name = "dplbd"
    worker_re = r"^rte-worker"

    def __init__(self, lab, pmd, args, cpus):
        self.lab, self.pmd, self.args, self.cpus = lab, pmd, args, cpus
        self.pid = None

    def start(self):
        conf = f"{self.lab.state}/e2e-{self.pmd}.conf"
        self.lab.sh("config", conf, pmd=self.pmd)
        with open(conf) as f:
            text = f.read()
        text, n = re.subn(r"idle_sleep_max_us\s*=\s*\d+",
                          f"idle_sleep_max_us = {self.args.idle_sleep}", text)
        # the lcores where testpmd's go: main, then the worker
        text, m = re.subn(r"^eal = \{", 'eal = {\n  cpus = "%d,%d";' % self.cpus,
                          text, flags=re.M)
        if n != 1 or m != 1:
            raise BenchError("config/lab.conf: no idle_sleep_max_us or eal "
                             "section to set")
        with open(conf, "w") as f:
            f.write(text)
        self.lab.sh("start-dplbd", conf)
        with open(f"{self.lab.state}/pids/dplbd.pid") as f:
            self.pid = int(f.read().split()[0])
        c = self.lab.ctl
        c("addr.add", {"addr": f"{VIP}/32", "dev": "dp0"})
        c("addr.add", {"addr": f"{LIP}/32", "dev": "dp1"})
        c("laddr.add", {"group": "lg1", "addr": LIP})
        for proto, port in (("udp", UDP_PORT), ("tcp", TCP_PORT)):
            c("service.add", {"proto": proto, "vip": VIP, "port": port,
                              "sched": "rr", "laddr_group": "lg1"})
            c("dest.add", {"proto": proto, "vip": VIP, "port": port,
                           "addr": RS1_IP, "dport": port, "fwd": "fnat"})

    def counters(self):
        lc = [x for x in self.lab.ctl("lcore.list") if x["role"] == "worker"]
        keys = ("rx_packets", "tx_packets", "rx_bursts", "empty_polls",
                "sleeps", "conns_new")
        out = {k: sum(x[k] for x in lc) for k in keys}
        out["drops"] = sum(sum(x["drops"].values()) for x in lc)
        for x in lc:
            for why, n in x["drops"].items():
                out["drop_" + why] = out.get("drop_" + why, 0) + n
        out["imissed"] = sum(p["stats"]["imissed"]
                             for p in self.lab.ctl("port.list"))
        return out

    def stop(self):
        self.lab.sh("stop-dplbd", check=False)
        self.pid = None
        return ""


class TestpmdFwd:
    name = "testpmd"
    worker_re = r"^rte-worker"

    def __init__(self, lab, pmd, args, macs, cpus):
        self.lab, self.pmd, self.args = lab, pmd, args
        self.macs, self.cpus = macs, cpus
        self.proc = None
        self.pid = None

    def vdevs(self):
        if self.pmd == "af_xdp":
            return ["net_af_xdp0,iface=lb0", "net_af_xdp1,iface=lb1"]
        # what dplbd makes of the lab's device string (qpairs = workers)
        return ["net_af_packet0,iface=lb0,qpairs=1",
                "net_af_packet1,iface=lb1,qpairs=1"]

    def command(self):
        c0, c1 = self.cpus
        # line-buffered: "Press enter to exit" says it is forwarding
        cmd = ["stdbuf", "-oL", TESTPMD, "--lcores", f"0@{c0},1@{c1}",
               "--main-lcore", "0", "--in-memory", "--no-pci",
               "--log-level", "6"]
        for v in self.vdevs():
            cmd += ["--vdev", v]
        return cmd + ["--", "--forward-mode=mac",
                      f"--eth-peer=0,{self.macs['c0']}",
                      f"--eth-peer=1,{self.macs['rs1']}",
                      "--nb-cores=1", "--rxq=1", "--txq=1", "--rxd=1024",
                      "--txd=1024", "--burst=32", "--auto-start"]

    def start(self):
        # rs1 accepts the frames testpmd forwards unchanged: the VIP on lo
        self.lab.run("rs1", "ip", "addr", "replace", f"{VIP}/32", "dev", "lo")
        self.logf = open(f"{self.lab.state}/testpmd-{self.pmd}.log", "w+")
        self.cmd = self.command()
        self.proc = self.lab.spawn("lb", *self.cmd, stdin=subprocess.PIPE,
                                   stdout=self.logf)
        self.pid = self.proc.pid
        self.lab.record_pid("testpmd", self.pid, "dpdk-testpmd (bench/e2e.py)")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with open(self.logf.name) as f:
                text = f.read()
            if "Press enter to exit" in text:
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        rc = self.proc.poll()
        self.stop()
        why = f"exit status {rc}" if rc is not None else "not forwarding in 30 s"
        raise BenchError(f"testpmd did not start ({why}):\n" + "\n".join(
            text.splitlines()[-15:]))

    def counters(self):
        return {}

    def stop(self):
        out = ""
        if self.proc is not None:
            try:
                self.proc.stdin.close()  # "Press enter to exit"
                self.proc.wait(timeout=15)
            except (subprocess.TimeoutExpired, BrokenPipeError):
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.logf.seek(0)
            out = self.logf.read()
            self.logf.close()
            self.lab.forget_pid("testpmd")
            self.proc = None
            self.pid = None
        self.lab.run("rs1", "ip", "addr", "del", f"{VIP}/32", "dev", "lo",
                     check=False)
        return out


# ------------------------------------------------------------ traffic

def udp_send_cmd(args, macs, cpu, seconds):
    return ["taskset", "-c", str(cpu), str(E2E_UDP), "send", "--iface", "c0",
            "--src-mac", macs["c0"], "--dst-mac", macs["lb0"],
            "--src", CLIENT_IP, "--dst", VIP, "--dport", str(UDP_PORT),
            "--flows", str(args.flows), "--seconds", str(seconds)]


def kv(line):
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}


def settle_rx(lab, key, quiet=0.3, limit=10):
    """Until interface key's rx counter stops moving (a forwarder that a
    busy machine descheduled still empties its tx ring after the flood:
    1,023 frames were in flight at a load of 20)."""
    prev, deadline = None, time.monotonic() + limit
    while time.monotonic() < deadline:
        n = lab.link(*LINKS[key])["rx_packets"]
        if n == prev:
            return
        prev = n
        time.sleep(quiet)


def udp_window(lab, fwd, args, macs, cpus, tag):
    """One UDP flood of args.seconds; returns the measurements."""
    sink = lab.spawn("rs1", "taskset", "-c", str(cpus[0]), str(E2E_UDP),
                     "sink", "--port", str(UDP_PORT))
    if "listening" not in sink.stdout.readline():
        sink.kill()
        raise BenchError("the UDP sink did not start")
    links0 = {k: lab.link(n, i) for k, (n, i) in LINKS.items()}
    ctr0 = fwd.counters()
    sn0 = softnet_drops()
    prof = Profile(fwd, args, tag) if args.perf else None
    win = CpuWindow(fwd.pid, fwd.worker_re)
    win.start()
    sender = lab.spawn("c", *udp_send_cmd(args, macs, cpus[0], args.seconds))
    sout, s_cpu = wait_rusage(sender, args.seconds + 20)
    cpu = win.stop()
    settle_rx(lab, "rs1")  # what is still in flight reaches the sink
    links1 = {k: lab.link(n, i) for k, (n, i) in LINKS.items()}
    ctr1 = fwd.counters()
    sn1 = softnet_drops()
    sink.send_signal(signal.SIGTERM)
    kout, k_cpu = wait_rusage(sink, 10)
    if sender.returncode != 0 or sink.returncode != 0:
        raise BenchError(f"UDP tools failed: {sout.strip()} / {kout.strip()}")
    s, k = kv(sout), kv(kout.splitlines()[-1])
    d = lambda key, f: links1[key][f] - links0[key][f]
    r = {"secs": s["seconds"], "sent": s["sent"], "send_errors": s["errors"],
         "received": k["received"],
         "offered_pps": s["sent"] / s["seconds"],
         "pps": k["received"] / s["seconds"],
         "rs_rx": d("rs1", "rx_packets"),
         "lb0_rx": d("lb0", "rx_packets"), "lb0_drop": d("lb0", "rx_dropped"),
         "lb1_tx": d("lb1", "tx_packets"), "backlog_drops": sn1 - sn0,
         "sender_cpu": s_cpu, "sink_cpu": k_cpu}
    r.update(cpu)
    if prof:
        r["profile"] = prof.finish()
    for key in ctr1:
        if not key.startswith("drop_"):
            r["fwd_" + key] = ctr1[key] - ctr0[key]
    r["fwd_drop_reasons"] = {key[5:]: ctr1[key] - ctr0[key] for key in ctr1
                             if key.startswith("drop_") and
                             ctr1[key] != ctr0[key]}
    return r


LINKS = {"lb0": ("lb", "lb0"), "lb1": ("lb", "lb1"), "rs1": ("rs1", "eth0")}


def tcp_window(lab, fwd, args, cpus):
    with open(f"{lab.state}/pids/rs1.pid") as f:
        nginx = int(f.read().split()[0])
    n0 = tree_cpu(nginx)
    win = CpuWindow(fwd.pid, fwd.worker_re)
    win.start()
    secs = max(1, round(args.seconds))  # wrk takes whole seconds
    wrk = lab.spawn("c", "taskset", "-c", str(cpus[0]), "wrk", "-t1",
                    "-c32", f"-d{secs}s", f"http://{VIP}/")
    out, w_cpu = wait_rusage(wrk, secs + 30)
    cpu = win.stop()
    server = tree_cpu(nginx) - n0
    m = re.search(r"Requests/sec:\s*([\d.]+)", out)
    n = re.search(r"(\d+) requests in", out)
    if wrk.returncode != 0 or not m:
        raise BenchError(f"wrk failed: {out.strip()}")
    errs = re.search(r"Socket errors: (.*)", out)
    r = {"rps": float(m.group(1)), "requests": int(n.group(1)),
         "errors": errs.group(1) if errs else "", "wrk_cpu": w_cpu,
         "server_cpu": server,
         "non2xx": "Non-2xx" in out}
    r.update(cpu)
    return r


# ------------------------------------------------------------ the run

def lab_setup(lab):
    lab.sh("down", check=False)
    lab.sh("up")
    lab.sh("start-web", "rs1", "rs1", "0.0.0.0", str(TCP_PORT), "rs1")
    macs = {"c0": lab.mac("c", "c0"), "lb0": lab.mac("lb", "lb0"),
            "lb1": lab.mac("lb", "lb1"), "rs1": lab.mac("rs1", "eth0")}
    # Static neighbours and bridge entry, the same for both forwarders:
    # testpmd answers no ARP, and dplbd's ports carry the veths' MACs.
    lab.run("c", "ip", "neigh", "replace", VIP, "lladdr", macs["lb0"],
            "dev", "c0", "nud", "permanent")
    for addr in (DP1_IP, LIP):
        lab.run("rs1", "ip", "neigh", "replace", addr, "lladdr",
                macs["lb1"], "dev", "eth0", "nud", "permanent")
    lab.run("sw", "bridge", "fdb", "replace", macs["rs1"], "dev", "s-rs1",
            "master", "static")
    return macs


def lcore_cpus(spec):
    """(cpu of the main lcores and the tools, cpu of the forwarding
    lcore): --cpus, else where dplbd's lcores 0 and 1 land by default
    (core/eal.c's lcore_map over the affinity)."""
    if spec:
        m = re.fullmatch(r"(\d+),(\d+)", spec)
        if not m:
            raise BenchError(f"--cpus '{spec}': want MAIN,FORWARDING")
        return int(m.group(1)), int(m.group(2))
    cpus = sorted(os.sched_getaffinity(0))
    return cpus[0], cpus[1 % len(cpus)]


def measure(lab, fwd, args, macs, cpus, rnd):
    fwd.start()
    try:
        # warm-up: dplbd resolves rs1 and makes the flows' connections;
        # both forwarders get the same
        w = lab.spawn("c", *udp_send_cmd(args, macs, cpus[0], args.warmup))
        wait_rusage(w, args.warmup + 20)
        time.sleep(0.2)
        tag = f"{fwd.pmd}-{fwd.name}-{rnd}"
        res = {"udp": udp_window(lab, fwd, args, macs, cpus, tag)}
        if args.tcp:
            res["tcp"] = tcp_window(lab, fwd, args, cpus)
    finally:
        tail = fwd.stop()
    if tail:
        m = re.search(r"Accumulated forward statistics.*?RX-packets:\s*(\d+)"
                      r"\s+RX-dropped:\s*(\d+).*?TX-packets:\s*(\d+)\s+"
                      r"TX-dropped:\s*(\d+)", tail, re.S)
        if m:
            res["udp"]["testpmd_total"] = [int(x) for x in m.groups()]
    return res


CSV_COLS = ["pmd", "forwarder", "round", "traffic", "seconds", "offered_pps",
            "rate", "rate_per_fwd_cpu_s", "fwd_us_per_pkt", "ratio_wall",
            "ratio_per_cpu",
            "lost_pct", "lost_at_rx_ring", "fwd_cores", "fwd_user_cores",
            "fwd_sys_cores", "client_cores", "server_cores", "softirq_cores",
            "busy_cores", "others_cores", "fwd_own_pct", "fwd_pmd_pct",
            "fwd_kernel_pct", "fwd_avg_burst", "fwd_drops"]


def profile_shares(prof, fwdname):
    """perf's shares of the forwarding thread: its own binary, the PMD
    (and libc, libbpf, libxdp it calls), the kernel."""
    own = pmd = kern = 0.0
    for pct, dso in prof["dso"]:
        if dso.startswith("[kernel"):
            kern += pct
        elif dso in ("dplbd", "dpdk-testpmd"):
            own += pct
        else:
            pmd += pct
    return own, pmd, kern


def row_of(pmd, fwdname, rnd, traffic, r):
    """One CSV row; CPU figures in cores (CPU seconds per second)."""
    wall = r["wall"]
    client = r.get("sender_cpu", r.get("wrk_cpu", 0.0))
    server = r.get("sink_cpu", r.get("server_cpu", 0.0))
    ours = r["fwd_worker"] + r["fwd_other_threads"] + client + server + \
        r["ksoftirqd"]
    row = {"pmd": pmd, "forwarder": fwdname, "round": rnd,
           "traffic": traffic, "seconds": wall,
           "fwd_cores": r["fwd_worker"] / wall,
           "fwd_user_cores": r["fwd_worker_user"] / wall,
           "fwd_sys_cores": r["fwd_worker_sys"] / wall,
           "client_cores": client / wall, "server_cores": server / wall,
           "softirq_cores": r["cpu_softirq"] / wall,
           "busy_cores": r["cpu_busy"] / wall,
           "others_cores": max(0.0, r["cpu_busy"] - ours) / wall}
    cpu_s = max(r["fwd_worker"], 1e-9)
    if traffic == "udp":
        row.update(offered_pps=r["offered_pps"], rate=r["pps"],
                   rate_per_fwd_cpu_s=r["received"] / cpu_s,
                   fwd_us_per_pkt=1e6 * cpu_s / max(r["received"], 1),
                   lost_pct=100.0 * (r["sent"] - r["received"]) / max(r["sent"], 1),
                   lost_at_rx_ring=r["lb0_drop"])
        if r.get("fwd_rx_bursts"):
            row["fwd_avg_burst"] = r["fwd_rx_packets"] / r["fwd_rx_bursts"]
            row["fwd_drops"] = r["fwd_drops"]
        if "profile" in r:
            row["fwd_own_pct"], row["fwd_pmd_pct"], row["fwd_kernel_pct"] = \
                profile_shares(r["profile"], fwdname)
    else:
        row.update(rate=r["rps"], rate_per_fwd_cpu_s=r["requests"] / cpu_s)
    return row


def add_ratios(rows):
    """dplbd's rate over testpmd's of the same PMD, round and traffic."""
    for r in rows:
        if r["forwarder"] != "dplbd":
            continue
        mate = [x for x in rows if x["forwarder"] == "testpmd" and
                (x["pmd"], x["round"], x["traffic"]) ==
                (r["pmd"], r["round"], r["traffic"])]
        if mate and mate[0]["rate"] and mate[0]["rate_per_fwd_cpu_s"]:
            r["ratio_wall"] = r["rate"] / mate[0]["rate"]
            r["ratio_per_cpu"] = r["rate_per_fwd_cpu_s"] / \
                mate[0]["rate_per_fwd_cpu_s"]


def fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def median_of(rows, key, **match):
    v = [r[key] for r in rows if all(r[k] == m for k, m in match.items())
         and isinstance(r.get(key), (int, float))]
    return statistics.median(v) if v else float("nan")


def summarize(rows, pmds, traffics, perf):
    """The table (medians over the rounds) and one line per PMD and
    traffic with the median of the per-round ratios."""
    cols = [("offered", "pps", "offered_pps", 9, 0),
            ("delivered", "pps|req/s", "rate", 10, 0),
            ("fwd", "cores", "fwd_cores", 6, 2),
            ("per fwd", "cpu-s", "rate_per_fwd_cpu_s", 9, 0),
            ("fwd us", "/pkt", "fwd_us_per_pkt", 6, 2),
            ("lost", "%", "lost_pct", 5, 1),
            ("client", "cores", "client_cores", 6, 2),
            ("server", "cores", "server_cores", 6, 2),
            ("others", "cores", "others_cores", 6, 2)]
    if perf:
        cols += [("own", "%", "fwd_own_pct", 5, 1),
                 ("pmd", "%", "fwd_pmd_pct", 5, 1),
                 ("kernel", "%", "fwd_kernel_pct", 6, 1)]
    head = [f"{'pmd':9} {'traffic':7} {'forwarder':9}",
            f"{'':9} {'':7} {'':9}"]
    for a, b, _, w, _ in cols:
        head[0] += f" {a:>{w}}"
        head[1] += f" {b:>{w}}"
    lines, ratios = head, []
    for pmd in pmds:
        for traffic in traffics:
            for fw in ("dplbd", "testpmd"):
                line = f"{pmd:9} {traffic:7} {fw:9}"
                for _, _, key, w, d in cols:
                    v = median_of(rows, key, pmd=pmd, forwarder=fw,
                                  traffic=traffic)
                    line += f" {v:{w}.{d}f}" if v == v else f" {'-':>{w}}"
                lines.append(line)
            m = dict(pmd=pmd, forwarder="dplbd", traffic=traffic)
            ratios.append(
                f"e2e: {pmd} {traffic}: dplbd / testpmd = "
                f"{median_of(rows, 'ratio_per_cpu', **m):.3f} per CPU second "
                f"of the forwarding thread, {median_of(rows, 'ratio_wall', **m):.3f}"
                f" on the wall clock (medians of the per-round ratios)")
    return lines + [""] + ratios


def parse_args():
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Environment: E2E_PMD, E2E_ROUNDS, E2E_SECONDS, E2E_CPUS set "
               "the defaults of --pmd, --rounds, --seconds, --cpus; BENCH_OUT "
               "of --out; BUILD the build directory; TESTPMD the testpmd "
               "binary.")
    ap.add_argument("--pmd", default=os.environ.get("E2E_PMD", "af_xdp,af_packet"),
                    help="comma list of af_xdp, af_packet (default both)")
    ap.add_argument("--rounds", type=int,
                    default=int(os.environ.get("E2E_ROUNDS", "3")),
                    help="rounds per PMD, each measuring both forwarders "
                         "in turn (default 3)")
    ap.add_argument("--seconds", type=float,
                    default=float(os.environ.get("E2E_SECONDS", "2")),
                    help="length of each UDP and TCP window (default 2)")
    ap.add_argument("--warmup", type=float, default=0.5,
                    help="seconds of flood before measuring (default 0.5)")
    ap.add_argument("--flows", type=int, default=10000,
                    help="UDP flows (source ports) of the flood")
    ap.add_argument("--idle-sleep", type=int, default=0,
                    help="dplbd's idle_sleep_max_us (default 0: polling)")
    ap.add_argument("--no-tcp", dest="tcp", action="store_false",
                    help="skip the wrk figure")
    ap.add_argument("--cpus", default=os.environ.get("E2E_CPUS"),
                    help="MAIN,FORWARDING: cpu of the main lcores, sender, "
                         "sink and wrk, and cpu of the forwarding lcore "
                         "(default: dplbd's own choice, the first two of "
                         "the affinity)")
    ap.add_argument("--perf", action="store_true",
                    help="profile the forwarding thread (perf, cpu-clock)")
    ap.add_argument("--smoke", action="store_true",
                    help="one short round on af_xdp, checked")
    ap.add_argument("--out", default=os.environ.get("BENCH_OUT",
                                                    str(BUILD / "bench")),
                    help="directory of e2e.csv and e2e.log (build/bench)")
    ap.add_argument("--prefix", default=f"e2eb{os.getpid() % 100000}",
                    help="lab namespace prefix")
    a = ap.parse_args()
    a.pmd = [p for p in a.pmd.split(",") if p]
    for p in a.pmd:
        if p not in ("af_xdp", "af_packet"):
            ap.error(f"--pmd: '{p}' is not af_xdp or af_packet")
    if a.rounds < 1 or a.seconds <= 0 or not 1 <= a.flows <= 64512:
        ap.error("--rounds >= 1, --seconds > 0, --flows 1..64512")
    if a.smoke:
        a.pmd, a.rounds, a.seconds, a.warmup, a.tcp = \
            ["af_xdp"], 1, 0.5, 0.3, False
    return a


def preflight(args):
    if os.geteuid() != 0:
        raise BenchError("needs root (network namespaces)")
    for b in (DPLBCTL, BUILD / "dplbd", E2E_UDP):
        if not os.access(b, os.X_OK):
            raise BenchError(f"{b} is missing: run make first")
    if subprocess.run(["sh", "-c", f"command -v {TESTPMD}"],
                      capture_output=True).returncode != 0:
        raise BenchError(f"{TESTPMD} is missing (dpdk package)")
    if args.perf and subprocess.run(["sh", "-c", "command -v perf"],
                                    capture_output=True).returncode != 0:
        raise BenchError("--perf: no perf (linux-perf package)")
    if args.tcp and subprocess.run(["sh", "-c", "command -v wrk"],
                                   capture_output=True).returncode != 0:
        log("e2e: no wrk, no TCP figure")
        args.tcp = False


def smoke_check(raw):
    """Both forwarders delivered the flood: at least 1000 datagrams
    arrived, the sink's count is what rs1's interface received, and (on
    af_xdp, whose veth counts the frames its ring refused) every frame
    the forwarder took off its ring reached rs1."""
    bad = []
    fws = sorted(r["forwarder"] for r in raw)
    if fws != ["dplbd", "testpmd"]:
        bad.append(f"measured {fws}, not dplbd and testpmd")
    for r in raw:
        u = r["udp"]
        if u["received"] < 1000:
            bad.append(f"{r['forwarder']}: {u['received']:.0f} datagrams arrived")
        # the sink's tally and the interface's counter are read at
        # different moments: 1 % on a quiet machine, 7.6 % seen at a
        # load of 11
        if abs(u["rs_rx"] - u["received"]) > 0.1 * u["rs_rx"] + 10:
            bad.append(f"{r['forwarder']}: sink {u['received']:.0f} but rs1 "
                       f"received {u['rs_rx']} frames")
        # af_xdp: what the forwarder took off its ring all reached rs1
        taken = u["lb0_rx"] - u["lb0_drop"]
        if r["pmd"] == "af_xdp" and abs(taken - u["rs_rx"]) > 0.01 * taken + 10:
            bad.append(f"{r['forwarder']}: took {taken} frames off lb0, rs1 "
                       f"received {u['rs_rx']}")
    return bad


def main():
    global LOG
    args = parse_args()
    preflight(args)
    os.makedirs(args.out, exist_ok=True)
    LOG = open(os.path.join(args.out, "e2e.log"), "w")
    cpus = lcore_cpus(args.cpus)
    lab = Lab(args.prefix)
    t0 = time.monotonic()
    rows, raw, failed = [], [], 0
    log(f"e2e: lab {args.prefix}, pmd {','.join(args.pmd)}, {args.rounds} "
        f"rounds of {args.seconds} s, {args.flows} flows, lcores on cpus "
        f"{cpus[0]} (main, tools) and {cpus[1]} (forwarding)")
    try:
        macs = lab_setup(lab)
        for pmd in args.pmd:
            for rnd in range(args.rounds):
                order = [DplbdFwd(lab, pmd, args, cpus),
                         TestpmdFwd(lab, pmd, args, macs, cpus)]
                if rnd % 2:
                    order.reverse()  # drift hits both the same
                for fwd in order:
                    try:
                        res = measure(lab, fwd, args, macs, cpus, rnd)
                    except (BenchError, subprocess.TimeoutExpired) as e:
                        log(f"e2e: {pmd} {fwd.name} round {rnd}: {e}")
                        failed += 1
                        continue
                    raw.append({"pmd": pmd, "forwarder": fwd.name,
                                "round": rnd, **res})
                    rows += [row_of(pmd, fwd.name, rnd, t, r)
                             for t, r in res.items()]
                    u = res["udp"]
                    log(f"e2e: {pmd} {fwd.name:7} round {rnd}: "
                        f"udp {u['pps']:.0f} pps of {u['offered_pps']:.0f} "
                        f"offered, forwarding thread "
                        f"{u['fwd_worker'] / u['wall']:.2f} cores, "
                        f"{u['received'] / max(u['fwd_worker'], 1e-9):.0f} "
                        f"pps per its CPU second"
                        + (f"; tcp {res['tcp']['rps']:.0f} req/s"
                           if "tcp" in res else "")
                        + (f" (wrk: {res['tcp']['errors']})"
                           if res.get("tcp", {}).get("errors") else ""))
    except BenchError as e:
        log(f"e2e: {e}")
        failed += 1
    finally:
        if LOG:
            LOG.write(json.dumps(raw, indent=1) + "\n")
        lab.kill_children()
        lab.sh("down", check=False)
    add_ratios(rows)
    traffics = ("udp", "tcp") if args.tcp else ("udp",)
    lines = summarize(rows, args.pmd, traffics, args.perf)
    csv = os.path.join(args.out, "e2e.csv")
    with open(csv, "w") as f:
        f.write(",".join(CSV_COLS) + "\n")
        for r in rows:
            f.write(",".join(fmt(r.get(c, "")) for c in CSV_COLS) + "\n")
    print("\n".join(lines))
    print(f"e2e: CSV in {csv}, details in {LOG.name}; "
          f"{time.monotonic() - t0:.0f} s")
    if args.smoke:
        bad = smoke_check(raw) + (["a measurement failed"] if failed else [])
        print(f"e2e-smoke: {'ok' if not bad else 'FAIL: ' + '; '.join(bad)}")
        return 1 if bad else 0
    return 1 if failed else 0


if __name__ == "__main__":
    # SIGTERM unwinds like Ctrl-C: the lab comes down
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"e2e: {e}", file=sys.stderr)
        sys.exit(1)
