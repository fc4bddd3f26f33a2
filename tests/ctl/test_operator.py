# SPDX-License-Identifier: GPL-2.0-or-later
"""What an operator meets at the edges, with a real dplbd: --check-config
resolving interfaces and PCI addresses, start failures logged at err
with the cause first, the start's warnings about an af_packet port's
kernel settings (a real veth in a network namespace), net_tap's noise
kept out of the log, and dplbctl's permission error naming the group.
Run as root: /usr/bin/python3 -m pytest tests/ctl/test_operator.py
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "pylib"))

from dplbd import Dplbd  # noqa: E402

DPLBD = Path(os.environ.get("DPLBD_BIN", REPO / "build" / "dplbd"))
DPLBCTL = Path(os.environ.get("DPLBCTL_BIN", REPO / "build" / "dplbctl"))
NS = f"dplbop{os.getpid()}"

BASE = """
global = {{ log_level = "{level}"; control_socket = "@SOCKET@"; {extra} }};
eal = {{ hugepages = false; memory_mb = 256; }};
dataplane = {{ workers = 1; idle_sleep_max_us = 100; }};
ports = (
  {{ name = "dp0";
    device = "{device}"; twin = "{twin}"; }}
);
"""


def config(device="net_null0", twin="", level="info", extra=""):
    return BASE.format(device=device, twin=twin, level=level, extra=extra)


def check(tmp_path, text, *args):
    conf = tmp_path / "dplbd.conf"
    conf.write_text(text.replace("@SOCKET@", str(tmp_path / "s.sock")))
    return subprocess.run([str(DPLBD), "--check-config", *args, "-c",
                           str(conf)], capture_output=True, text=True,
                          timeout=30), conf


def sh(*cmd, ns=NS):
    subprocess.run(["ip", "netns", "exec", ns, *cmd], check=True,
                   capture_output=True, timeout=30)


@pytest.fixture
def netns():
    subprocess.run(["ip", "netns", "add", NS], check=True, timeout=30)
    try:
        sh("ip", "link", "set", "lo", "up")
        yield NS
    finally:
        subprocess.run(["ip", "netns", "del", NS], timeout=30)


def journal_run(d):
    """Run d with stderr as "the journal" (priority prefixes)."""
    Path(d._stderr_path).touch()
    st = os.stat(d._stderr_path)
    d.env = {"JOURNAL_STREAM": f"{st.st_dev}:{st.st_ino}"}


# ------------------------------------------------------------ --check-config

def test_check_config_names_a_missing_interface(tmp_path):
    r, conf = check(tmp_path, config("net_af_packet0,iface=dplbnosuch0"))
    assert r.returncode == 1, r
    assert r.stderr == (
        f"dplbd: {conf}:7: ports.[0].device: no network interface "
        "'dplbnosuch0' on this host (net_af_packet reads an existing kernel "
        "interface: create it or name another; ip link lists them)\n")
    r, _ = check(tmp_path, config("net_af_xdp0,iface=dplbnosuch1,"
                                  "start_queue=0"))
    assert r.returncode == 1 and "'dplbnosuch1'" in r.stderr \
        and "net_af_xdp" in r.stderr, r.stderr
    # the file alone is fine, and so is an interface that exists
    r, _ = check(tmp_path, config("net_af_packet0,iface=dplbnosuch0"),
                 "--file-only")
    assert r.returncode == 0 and "configuration is valid" in r.stdout
    r, _ = check(tmp_path, config("net_af_packet0,iface=lo"))
    assert r.returncode == 0, r.stderr


def test_check_config_names_a_missing_pci_device(tmp_path):
    r, conf = check(tmp_path, config("0000:7e:1f.7"))
    assert r.returncode == 1
    assert r.stderr == (f"dplbd: {conf}:7: ports.[0].device: no PCI device "
                        "0000:7e:1f.7 on this host (lspci -D lists them)\n")
    # a function that exists but is bound to a kernel network driver
    for dev in sorted(Path("/sys/bus/pci/devices").iterdir()):
        drv = dev / "driver"
        if drv.exists() and os.path.basename(os.readlink(drv)) not in (
                "vfio-pci", "uio_pci_generic", "igb_uio", "mlx5_core",
                "mlx4_core"):
            r, _ = check(tmp_path, config(dev.name))
            assert r.returncode == 1
            assert f"is bound to the kernel driver " \
                   f"{os.path.basename(os.readlink(drv))}" in r.stderr
            assert "dpdk-devbind.py -b vfio-pci" in r.stderr
            break


def test_check_config_names_a_driver_that_is_not_installed(tmp_path):
    """A vdev whose DPDK plugin is missing (an af_packet port with
    librte-net-af-packet23, a Recommends, left out) is named with its
    package, by --check-config and so at start, instead of DPDK's
    "failed to parse device" and EFAULT."""
    r, conf = check(tmp_path, config("net_dplbnosuch0,iface=lo"))
    assert r.returncode == 1, r
    assert re.fullmatch(
        rf"dplbd: {re.escape(str(conf))}:7: ports.\[0\].device: DPDK's "
        r"net_dplbnosuch driver is not installed \(no \S+/librte_"
        r"net_dplbnosuch\.so\*\): install it \(Debian: apt install "
        r"librte-net-dplbnosuch23\)\n", r.stderr), r.stderr
    # the drivers the tests use are there; -d (plugins from elsewhere)
    # skips the check
    for dev in ("net_null0", "net_tap0,iface=dplbchk0",
                "net_af_packet0,iface=lo"):
        r, _ = check(tmp_path, config(dev))
        assert r.returncode == 0, (dev, r.stderr)
    r, _ = check(tmp_path, config("net_dplbnosuch0",
                                  extra="").replace(
        "eal = {", 'eal = { args = [ "-d", "/nonexistent" ];'))
    assert "not installed" not in r.stderr, r.stderr


def test_start_with_a_missing_interface_fails_at_err_cause_first():
    d = Dplbd(config("net_af_packet0,iface=dplbnosuch2"))
    journal_run(d)
    with pytest.raises(Exception):
        d.start()
    lines = d.stderr.splitlines()
    assert lines[0].startswith("<3>") and "no network interface " \
        "'dplbnosuch2'" in lines[0], lines
    assert re.match(r"<3>not started: fix .*dplbd\.conf \(dplbd "
                    r"--check-config -c .* checks it\)$", lines[1]), lines
    assert d.returncode == 1 or d.proc.returncode == 1


def test_config_error_is_the_start_s_not_the_hugepage_step_s(tmp_path):
    """dplbd.service runs `dplbd --reserve-hugepages` first: a broken
    file must fail the start (at err), not the hugepage step (at info)."""
    conf = tmp_path / "dplbd.conf"
    conf.write_text("dataplane = { workers = 0; };\n")
    log = tmp_path / "log"
    log.touch()
    st = os.stat(log)
    env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    with open(log, "w") as f:
        r = subprocess.run([str(DPLBD), "--reserve-hugepages", "-c",
                            str(conf)], stderr=f, env=env, timeout=30)
    assert r.returncode == 0
    assert log.read_text().startswith("<5>hugepages: ")
    with open(log, "w") as f:
        r = subprocess.run([str(DPLBD), "-c", str(conf)], stderr=f, env=env,
                           timeout=30)
    assert r.returncode == 1
    assert log.read_text().splitlines() == [
        f"<3>{conf}:1: dataplane.workers: must be between 1 and 64",
        f"<3>not started: fix {conf} (dplbd --check-config -c {conf} "
        "checks it)"]


# ------------------------------------------------- an af_packet port's kernel

WARNINGS = [
    r"port dp0: interface opv0 is down: ip link set opv0 up",
    r"port dp0: interface opv0 has the address 198\.18\.77\.1: .*\(ip "
    r"addr flush dev opv0\)",
    r"port dp0: IPv6 is on for interface opv0: .* sysctl -w "
    r"net\.ipv6\.conf\.opv0\.disable_ipv6=1",
    r"port dp0: rp_filter on opv0 is 0: .* sysctl -w "
    r"net\.ipv4\.conf\.opv0\.rp_filter=1",
    r"port dp0: arp_ignore on opv0 is 0: .* sysctl -w "
    r"net\.ipv4\.conf\.opv0\.arp_ignore=8",
    r"port dp0: opv0's veth peer opv1 has tx checksum offload on: .* "
    r"ethtool -K opv1 tx off",
    r"6 kernel setting\(s\) of af_packet/af_xdp ports to fix",
]


def test_start_warns_about_the_interface_s_kernel_settings(netns):
    sh("ip", "link", "add", "opv0", "type", "veth", "peer", "name", "opv1")
    sh("ip", "link", "set", "opv1", "up")
    sh("ip", "addr", "add", "198.18.77.1/24", "dev", "opv0")
    sh("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0",
       "net.ipv4.conf.opv0.rp_filter=0", "net.ipv4.conf.all.arp_ignore=0",
       "net.ipv4.conf.opv0.arp_ignore=0", "net.ipv6.conf.opv0.disable_ipv6=0")
    sh("ethtool", "-K", "opv1", "tx", "on")
    cfg = config("net_af_packet0,iface=opv0")
    with Dplbd(cfg, netns=netns, start_timeout=60) as d:
        pass
    warnings = [l[len("dplbd: warning: "):] for l in d.stderr.splitlines()
                if l.startswith("dplbd: warning: ")]
    assert len(warnings) == len(WARNINGS), d.stderr
    for pattern, line in zip(WARNINGS, warnings):
        assert re.match(pattern, line), (pattern, line)

    # as the docs say to set it up: not a word
    sh("ip", "addr", "flush", "dev", "opv0")
    sh("ip", "link", "set", "opv0", "up")
    sh("sysctl", "-qw", "net.ipv6.conf.opv0.disable_ipv6=1",
       "net.ipv4.conf.opv0.rp_filter=1", "net.ipv4.conf.opv0.arp_ignore=8")
    sh("ethtool", "-K", "opv1", "tx", "off")
    with Dplbd(cfg, netns=netns, start_timeout=60) as d:
        pass
    assert "warning" not in d.stderr, d.stderr
    # conf.all wins when larger: loose rp_filter there defeats the port's
    sh("sysctl", "-qw", "net.ipv4.conf.all.rp_filter=2")
    with Dplbd(cfg, netns=netns, start_timeout=60) as d:
        pass
    assert re.search(r"rp_filter on opv0 is 2: .*rp_filter=1 \(and "
                     r"net\.ipv4\.conf\.all\.rp_filter at most 1\)",
                     d.stderr), d.stderr
    # a peer in another namespace (a client's) cannot be seen: no word,
    # whatever index it has there (deleting that namespace ends the pair)
    other = NS + "b"
    subprocess.run(["ip", "netns", "add", other], check=True, timeout=30)
    try:
        sh("ip", "link", "set", "opv1", "netns", other)
        sh("ethtool", "-K", "opv1", "tx", "on", ns=other)
        sh("ip", "link", "set", "opv1", "up", ns=other)
        with Dplbd(cfg, netns=netns, start_timeout=60) as d:
            pass
        assert "veth peer" not in d.stderr, d.stderr
    finally:
        subprocess.run(["ip", "netns", "del", other], timeout=30)


# ------------------------------------------------------------- net_tap noise

def test_tap_twin_noise_is_debug_only(netns):
    with Dplbd(config(twin="optw0"), netns=netns, start_timeout=60) as d:
        assert d.ctl.result("port.list")[0]["twin"] == "optw0"
    assert not re.search(r"qdisc|secondary|rte flow", d.stderr), d.stderr
    d = Dplbd(config(twin="optw0", level="debug"), netns=netns,
              start_timeout=60)
    journal_run(d)
    with d:
        pass
    noise = [l for l in d.stderr.splitlines()
             if re.search(r"multiq qdisc|Disabling rte flow", l)]
    # kernels without sch_multiq (most) say it; then only at debug
    assert all(l.startswith("<7>") for l in noise), noise


# ---------------------------------------------------------- socket permission

def test_permission_error_names_the_group(tmp_path):
    d = Dplbd(config(extra='socket_group = "daemon"; socket_mode = "0660";'))
    d.start()
    try:
        os.chmod(d.tmpdir, 0o711)
        cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup",
               "--clear-groups", str(DPLBCTL), "-S", d.socket, "hello"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        assert r.returncode == 3
        assert r.stderr == (
            f"dplbctl: cannot connect to {d.socket}: Permission denied\n"
            f"dplbctl: {d.socket} is mode 0660, group 'daemon': join the "
            "group (sudo usermod -aG daemon $USER, then log in again) or "
            "run dplbctl as root\n")
        # a directory on the way that keeps us out names its own group
        os.chmod(d.tmpdir, 0o750)
        os.chown(d.tmpdir, 0, 1)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        assert f"dplbctl: {d.tmpdir} is mode 0750, group 'daemon'" in r.stderr
    finally:
        os.chmod(d.tmpdir, 0o700)
        d.stop()
