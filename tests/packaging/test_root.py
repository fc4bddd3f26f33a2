# SPDX-License-Identifier: GPL-2.0-or-later
"""The packages in a clean Debian 12 root (debootstrap, cached): apt
installs them with their dependencies, files, group and permissions are
checked and every unit passes systemd-analyze verify; an upgrade keeps
an edited config; then the same root boots with systemd-nspawn, dpkg
installs the packages there and dplbd.service runs on the shipped
configuration (a TAP port in the container's private network): READY
notification, status, watchdog, the control socket's group, reload,
journal priorities, restart on failure, hugepages, stop, and a purge
that leaves nothing behind.

The tests of this module run in order on one root."""

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from conftest import VERSION

STATUS_RE = r"^1 port \(1 up\), 1 worker, 0 services, 0 connections$"


def stat_lines(run, paths):
    out = run("stat -c '%A %U %G %n' " + " ".join(paths)).stdout
    return {line.split()[3]: " ".join(line.split()[:3])
            for line in out.splitlines()}


def leftovers(run, files):
    """Which of a package's files (not directories) are still there."""
    script = "for f in " + " ".join(f"'{f}'" for f in files) + \
             "; do [ -e \"$f\" ] && [ ! -d \"$f\" ] && echo \"$f\"; done; true"
    return run(script).stdout.split()


def package_files(run, names):
    out = run("dpkg -L " + " ".join(names)).stdout.split()
    return [f for f in out if f.startswith("/")]


@pytest.fixture(scope="module")
def installed(root, packages):
    """The .debs copied into the root (paths inside it)."""
    return root.copy_in(packages.debs)


def names(packages):
    return ["dplb-keepalived", "dplb"] if packages.with_keepalived else ["dplb"]


# ------------------------------------------------- clean root, not booted

def test_apt_installs_into_a_clean_root(root, packages, installed):
    run = root.run
    t0 = time.monotonic()
    root.apt_install(installed)
    print(f"apt install: {time.monotonic() - t0:.1f} s")
    # binaries run: every library they need came with the dependencies
    assert run("dplbd --version; dplbctl --version").stdout == \
        f"dplbd {VERSION}\ndplbctl {VERSION}\n"
    assert run("dplbd --check-config").stdout == \
        "/etc/dplb/dplbd.conf: configuration is valid\n"
    st = stat_lines(run, ["/usr/sbin/dplbd", "/usr/bin/dplbctl", "/etc/dplb",
                          "/etc/dplb/dplbd.conf", "/lib/systemd/system/"
                          "dplbd.service"])
    assert st == {"/usr/sbin/dplbd": "-rwxr-xr-x root root",
                  "/usr/bin/dplbctl": "-rwxr-xr-x root root",
                  "/etc/dplb": "drwxr-xr-x root root",
                  "/etc/dplb/dplbd.conf": "-rw-r--r-- root root",
                  "/lib/systemd/system/dplbd.service":
                      "-rw-r--r-- root root"}
    # the group, a system group made by sysusers.d
    group = run("getent group dplb").stdout.strip().split(":")
    assert group[0] == "dplb" and int(group[2]) < 1000 and group[3] == ""
    # the socket directory, made by tmpfiles.d (here: a fresh /run)
    assert run("systemd-tmpfiles --create dplb.conf; "
               "stat -c '%A %U %G' /run/dplb").stdout == \
        "drwxr-x--- root dplb\n"
    assert "socket_group = \"dplb\"" in run("cat /etc/dplb/dplbd.conf").stdout
    # not enabled: the operator enables it
    assert run("systemctl is-enabled dplbd.service",
               check=False).stdout.strip() == "disabled"
    if packages.with_keepalived:
        st = stat_lines(run, ["/usr/sbin/dplb-keepalived",
                              "/etc/dplb/keepalived.conf"])
        assert st["/etc/dplb/keepalived.conf"] == "-rw-r----- root root"
        assert not run("ls /usr/sbin/keepalived /etc/keepalived 2>/dev/null"
                       " || true").stdout


def test_units_verify(root, packages):
    units = ["dplbd.service"]
    if packages.with_keepalived:
        units.append("dplb-keepalived.service")
    for unit in units:
        p = root.run(f"systemd-analyze verify --man=no "
                     f"/lib/systemd/system/{unit} 2>&1", check=False)
        assert p.returncode == 0 and p.stdout == "", (unit, p.stdout)


def test_purge_leaves_nothing(root, packages):
    files = package_files(root.run, names(packages))
    root.run("apt-get -q -y purge " + " ".join(names(packages)))
    assert leftovers(root.run, files) == []
    assert root.run("ls -d /etc/dplb /usr/share/doc/dplb 2>/dev/null || "
                    "true; getent group dplb || true").stdout == ""


def repack(deb, workdir, revision, conffile_note):
    """The same package as version VERSION-<revision> (and depending on
    that version of its siblings), whose shipped dplbd.conf, if it has
    one, changed upstream (so dpkg has to choose)."""
    d = Path(workdir) / f"repack-{revision}-{deb.name}"
    subprocess.run(["dpkg-deb", "-R", str(deb), str(d)], check=True)
    control = d / "DEBIAN" / "control"
    control.write_text(control.read_text().replace(
        f"{VERSION}-1", f"{VERSION}-{revision}"))
    conf = d / "etc" / "dplb" / "dplbd.conf"
    if conf.exists():
        conf.write_text(conf.read_text() + f"# {conffile_note}\n")
    name = deb.name.replace(f"{VERSION}-1", f"{VERSION}-{revision}")
    out = Path(workdir) / name
    subprocess.run(["dpkg-deb", "--root-owner-group", "-b", str(d), str(out)],
                   check=True, capture_output=True)
    return out


def test_upgrade_keeps_the_edited_config(root, packages, installed):
    v2 = root.copy_in([repack(packages.dplb_deb, root.work, 2,
                              "new upstream default")])[0]
    v1 = [p for p in installed if "/dplb_" in p][0]
    run = root.run
    run(f"dpkg -i {v1}")
    run("sed -i 's/log_level = \"info\"/log_level = \"notice\"/' "
        "/etc/dplb/dplbd.conf")
    # unattended upgrade: keep the operator's file, ship the new as .dpkg-dist
    run(f"dpkg -i --force-confdef --force-confold {v2}")
    assert run("dpkg-query -W -f '${Version}' dplb").stdout == f"{VERSION}-2"
    conf = run("cat /etc/dplb/dplbd.conf").stdout
    assert 'log_level = "notice"' in conf
    assert "new upstream default" not in conf
    assert "new upstream default" in \
        run("cat /etc/dplb/dplbd.conf.dpkg-dist").stdout
    run("dpkg --purge dplb")
    assert run("ls -a /etc/dplb 2>/dev/null || true").stdout == ""


# --------------------------------------------------------------- booted

def journal(c, unit="dplbd"):
    out = c.sh(f"journalctl -u {unit} -o json --no-pager").stdout
    return [json.loads(line) for line in out.splitlines() if line]


def wait_journal(c, pattern, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        for e in journal(c):
            if re.search(pattern, str(e.get("MESSAGE", ""))):
                return e
        time.sleep(0.3)
    raise AssertionError(f"no /{pattern}/ in journalctl -u dplbd:\n" +
                         c.sh("journalctl -u dplbd --no-pager").stdout)


def show(c, prop, unit="dplbd"):
    return c.sh(f"systemctl show -p {prop} --value {unit}").stdout.strip()


def wait_active(c, unit="dplbd", timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if show(c, "ActiveState", unit) == "active":
            return
        time.sleep(0.2)
    raise AssertionError(f"{unit} is {show(c, 'ActiveState', unit)}")


def systemctl(c, verb, unit="dplbd"):
    """systemctl VERB UNIT; on failure the unit's log says why."""
    p = c.sh(f"systemctl {verb} {unit}", check=False)
    if p.returncode != 0:
        raise AssertionError(
            f"systemctl {verb} {unit}: {p.stderr}\n" +
            c.sh(f"systemctl status --no-pager {unit}; journalctl -u {unit} "
                 "--no-pager -n 60", check=False).stdout)


def wait_restarted(c, old_pid, unit="dplbd", timeout=60.0):
    """Active again with another main PID (after a kill)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        pid = show(c, "MainPID", unit)
        if pid not in ("0", old_pid) and \
                show(c, "ActiveState", unit) == "active":
            return pid
        time.sleep(0.2)
    raise AssertionError(f"{unit} not restarted: "
                         f"{c.sh(f'systemctl status {unit}', check=False).stdout}")


def exposure(c, unit):
    """systemd-analyze security's overall exposure (0 safe .. 10 unsafe)."""
    out = c.sh(f"systemd-analyze security --no-pager {unit}").stdout
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", out)
    assert m, out[-2000:]
    return float(m.group(1))


def sandbox_holds(c, pid, unit="dplbd", writable="/run/dplb"):
    status = c.sh(f"cat /proc/{pid}/status").stdout
    assert re.search(r"^NoNewPrivs:\s+1$", status, re.M), status
    assert re.search(r"^Seccomp:\s+2$", status, re.M), status
    # in the service's own mount namespace
    ns = f"nsenter -t {pid} -m"
    p = c.sh(f"{ns} touch /etc/dplb/probe", check=False)
    assert p.returncode != 0 and "Read-only file system" in p.stderr, p
    c.sh(f"{ns} touch {writable}/probe && {ns} rm {writable}/probe")
    figure = exposure(c, unit)
    print(f"systemd-analyze security {unit}: {figure}")
    assert figure <= 4.5, figure


KEEPALIVED_CONF = """
global_defs {
    router_id boot-test
}
vrrp_instance VI_1 {
    state MASTER
    interface dplb-ext
    dataplane_interface dp0
    virtual_router_id 51
    priority 150
    advert_int 1
    virtual_ipaddress {
        198.18.0.100/32
    }
}
virtual_server 198.18.0.100 80 {
    delay_loop 2
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.18.0.3 80 {
        weight 1
        TCP_CHECK {
            connect_timeout 1
        }
    }
}
"""


# A virtual server whose real server has no checker (always alive), so
# that "services back" needs no server in the container.
KA_CONF = """global_defs {
    router_id nspawn
}
virtual_server 198.18.0.100 80 {
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.18.0.2 80 {
        weight %d
    }
}
"""


def keepalived_in_its_sandbox(c):
    """dplb-keepalived under its unit's sandbox: VRRP (raw sockets) on
    the TAP port's kernel side becomes MASTER and leases its VIP in
    dplbd, and the checker pushes its virtual server (the control
    socket), with nothing refused."""
    c.sh("cp /etc/dplb/keepalived.conf /var/tmp/shipped-keepalived.conf")
    c.sh("cat > /etc/dplb/keepalived.conf <<'EOF'\n" + KEEPALIVED_CONF +
         "EOF\n")
    # VRRP needs an IPv4 address on its interface before it starts (it
    # stays in FAULT otherwise); the minimal root has no ip(8), but it
    # has systemd-networkd
    c.sh("printf '[Match]\\nName=dplb-ext\\n[Network]\\n"
         "Address=198.18.0.2/24\\nLinkLocalAddressing=no\\n"
         "ConfigureWithoutCarrier=yes\\n' "
         ">/etc/systemd/network/50-dplb-ext.network; "
         "systemctl start systemd-networkd")
    end = time.monotonic() + 30
    while "198.18.0.2" not in c.sh("cat /proc/net/fib_trie").stdout:
        assert time.monotonic() < end, "networkd gave dplb-ext no address"
        time.sleep(0.2)
    systemctl(c, "start", "dplb-keepalived")
    wait_active(c, "dplb-keepalived")
    end = time.monotonic() + 30
    vips = services = []
    while time.monotonic() < end:
        vips = json.loads(c.sh("dplbctl -j vip show").stdout)
        services = json.loads(c.sh("dplbctl -j service show").stdout)
        if vips and services:
            break
        time.sleep(0.5)
    log = c.sh("journalctl -u dplb-keepalived --no-pager -o cat").stdout
    if not (vips and services):
        print("---- journalctl -u dplb-keepalived ----\n" + log)
    assert [(v["addr"], v["dev"], v["lease"]) for v in vips] == \
        [("198.18.0.100", "dp0", True)], (vips, log)
    assert [(x["vip"], x["port"], x["proto"]) for x in services] == \
        [("198.18.0.100", 80, "tcp")], (services, log)
    assert "Entering MASTER STATE" in log, log[-3000:]
    for bad in ("Operation not permitted", "Address family not supported",
                "Permission denied", "Read-only file system"):
        assert bad not in log, (bad, log[-3000:])
    main = show(c, "MainPID", "dplb-keepalived")
    sandbox_holds(c, main, "dplb-keepalived")


def dests(c):
    p = c.sh("dplbctl -j call dest.list '{\"proto\":\"tcp\","
             "\"vip\":\"198.18.0.100\",\"port\":80}'", check=False)
    if p.returncode != 0:
        return None
    return [(d["addr"], d["weight"]) for d in json.loads(p.stdout)]


def wait_dests(c, want, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if dests(c) == want:
            return time.monotonic()
        time.sleep(0.2)
    raise AssertionError(f"dests {dests(c)}, not {want}:\n" + c.sh(
        "journalctl -u dplb-keepalived -u dplbd --no-pager | tail -n 40").stdout)


def keepalived_under_systemd(c):
    """dplb-keepalived enabled with dplbd: started with it, back after
    kill -9 of dplbd (systemd restarts dplbd and keepalived with it, and
    the service is back within 10 s), started again after a failed start
    of dplbd is fixed, stopped with an explicit stop of dplbd; its reload
    checks the file first."""
    c.sh("cat > /etc/dplb/keepalived.conf <<'EOF'\n" + KA_CONF % 1 + "EOF")
    c.sh("systemctl enable dplbd dplb-keepalived 2>&1")
    assert "dplb-keepalived.service" in c.sh(
        "ls /etc/systemd/system/dplbd.service.wants/").stdout
    c.sh("systemctl restart dplbd")    # an enabled keepalived comes along
    wait_active(c, "dplb-keepalived")
    wait_dests(c, [("198.18.0.2", 1)], 15)

    # kill -9 of dplbd: both active again and the service back in 10 s
    restarts = int(show(c, "NRestarts"))
    pid = show(c, "MainPID")
    t0 = time.monotonic()
    c.sh(f"kill -9 {pid}")
    wait_restarted(c, pid, timeout=10)
    t1 = wait_dests(c, [("198.18.0.2", 1)], 10)
    assert t1 - t0 <= 10, t1 - t0
    assert int(show(c, "NRestarts")) == restarts + 1
    wait_active(c, "dplb-keepalived", timeout=1)
    print(f"kill -9 of dplbd: service back {t1 - t0:.1f} s after the kill "
          f"(systemd's RestartSec=2s included)")

    # a failed start of dplbd, then fixed: keepalived comes back with it
    c.sh("systemctl reset-failed dplbd; cp /etc/dplb/dplbd.conf /var/tmp/good.conf; "
         "echo 'bogus = 1;' >> /etc/dplb/dplbd.conf")
    assert c.sh("systemctl restart dplbd", check=False).returncode != 0
    assert show(c, "ActiveState", "dplb-keepalived") != "active"
    c.sh("cp /var/tmp/good.conf /etc/dplb/dplbd.conf")
    t0 = time.monotonic()
    wait_active(c, timeout=15)          # Restart=on-failure, 2 s later
    wait_active(c, "dplb-keepalived", timeout=10)
    t1 = wait_dests(c, [("198.18.0.2", 1)], 10)
    print(f"failed start fixed: service back {t1 - t0:.1f} s after the fix")

    # reload: a broken file is refused and changes nothing; a good one
    # applies
    ka_pid = show(c, "MainPID", "dplb-keepalived")
    c.sh("cp /etc/dplb/keepalived.conf /var/tmp/ka-good.conf; "
         "sed -i 's/lb_algo rr/lb_alog rr/; s/weight 1/weight 3/' "
         "/etc/dplb/keepalived.conf")
    p = c.sh("systemctl reload dplb-keepalived", check=False)
    assert p.returncode != 0, p
    assert "Unknown keyword 'lb_alog'" in c.sh(
        "journalctl -u dplb-keepalived --no-pager").stdout
    time.sleep(1.5)
    assert dests(c) == [("198.18.0.2", 1)]
    assert show(c, "MainPID", "dplb-keepalived") == ka_pid
    assert show(c, "ActiveState", "dplb-keepalived") == "active"
    c.sh("cat > /etc/dplb/keepalived.conf <<'EOF'\n" + KA_CONF % 2 + "EOF")
    c.sh("systemctl reload dplb-keepalived")
    wait_dests(c, [("198.18.0.2", 2)], 10)

    # an explicit stop of dplbd stops keepalived too; a start brings both
    # (the test started dplbd more often than StartLimitBurst allows in
    # StartLimitIntervalSec: forget that)
    c.sh("systemctl stop dplbd")
    assert show(c, "ActiveState", "dplb-keepalived") == "inactive"
    c.sh("systemctl reset-failed dplbd")
    c.sh("systemctl start dplbd")
    wait_active(c, "dplb-keepalived")
    c.sh("systemctl disable dplbd dplb-keepalived 2>&1")


def test_boot_start_reload_stop_purge(root, packages, installed):
    upgrade = " ".join(root.copy_in(
        [repack(deb, root.work, 3, "another upstream default")
         for deb in packages.debs], dest="/var/tmp/dplb-upgrade"))
    t0 = time.monotonic()
    with root.boot() as c:
        print(f"boot: {time.monotonic() - t0:.1f} s")
        c.sh("dpkg -i " + " ".join(installed))
        files = package_files(c.sh, names(packages))
        c.sh("useradd -M -G dplb alice; useradd -M bob")
        # a short watchdog, to see the pings within the test
        c.sh("mkdir -p /etc/systemd/system/dplbd.service.d; printf "
             "'[Service]\\nWatchdogSec=2s\\n' >"
             "/etc/systemd/system/dplbd.service.d/test.conf; "
             "systemctl daemon-reload")

        # start: systemctl returns once dplbd sent READY=1
        t1 = time.monotonic()
        systemctl(c, "start")
        print(f"systemctl start dplbd: {time.monotonic() - t1:.1f} s")
        assert show(c, "ActiveState") == "active"
        assert show(c, "Type") == "notify"
        assert re.match(STATUS_RE, show(c, "StatusText")), \
            show(c, "StatusText")
        # the shipped config's TAP port exists in the container's network
        assert c.sh("cat /sys/class/net/dplb-ext/operstate").stdout.strip() \
            in ("up", "unknown")

        # the control socket: group dplb only
        st = stat_lines(c.sh, ["/run/dplb", "/run/dplb/dplbd.sock"])
        assert st == {"/run/dplb": "drwxr-x--- root dplb",
                      "/run/dplb/dplbd.sock": "srw-rw---- root dplb"}
        hello = json.loads(c.sh("runuser -u alice -- dplbctl -j hello").stdout)
        assert hello["version"] == VERSION, hello
        p = c.sh("runuser -u bob -- dplbctl hello", check=False)
        assert p.returncode == 3 and "Permission denied" in p.stderr, p

        # watchdog pings arrive (every second with WatchdogSec=2s)
        w1 = int(show(c, "WatchdogTimestampMonotonic"))
        time.sleep(2.5)
        w2 = int(show(c, "WatchdogTimestampMonotonic"))
        assert w1 > 0 and w2 > w1, (w1, w2)

        # the journal, with priorities: notice, info, and DPDK's lines
        ready = wait_journal(c, rf"^dplbd {re.escape(VERSION)} ready in ")
        assert ready["PRIORITY"] == "5"
        added = wait_journal(c, r"^port dp0: address 198\.18\.0\.1/24 added")
        assert added["PRIORITY"] == "6"
        assert not [e for e in journal(c)
                    if str(e.get("MESSAGE", "")).startswith("<")]
        assert "ready in" not in c.sh("journalctl -u dplbd -p warning "
                                      "--no-pager -o cat").stdout

        # reload: a route and the log level change live
        c.sh("sed -i -e 's|^routes = ( );|routes = ( { dst = "
             "\"198.19.0.0/24\"; via = \"198.18.0.2\"; } );|' "
             "-e 's/log_level = \"info\"/log_level = \"debug\"/' "
             "/etc/dplb/dplbd.conf")
        pid = show(c, "MainPID")
        c.sh("systemctl reload dplbd")
        wait_journal(c, r"^reloaded /etc/dplb/dplbd\.conf$")
        assert "198.19.0.0/24" in c.sh("dplbctl route show").stdout
        cfg = json.loads(c.sh("dplbctl -j config show").stdout)
        assert cfg["global"]["log_level"] == "debug"
        assert show(c, "MainPID") == pid
        # a broken file fails the reload and disturbs nothing
        c.sh("cp /etc/dplb/dplbd.conf /var/tmp/good.conf; "
             "echo 'bogus = 1;' >> /etc/dplb/dplbd.conf")
        p = c.sh("systemctl reload dplbd", check=False)
        assert p.returncode != 0
        assert show(c, "ActiveState") == "active" and show(c, "MainPID") == pid
        c.sh("cp /var/tmp/good.conf /etc/dplb/dplbd.conf")

        # killed: restarted (Restart=on-failure).  SIGKILL to the main
        # PID itself: "systemctl kill" signals the whole cgroup, and on a
        # loaded machine systemd once answered it with "Input/output
        # error" for processes that were going away
        c.sh(f"kill -9 {pid}")
        wait_restarted(c, pid)
        assert show(c, "NRestarts") == "1"
        pid = show(c, "MainPID")

        # the sandbox holds: no new privileges, a seccomp filter, a
        # read-only /etc but a writable socket directory, and a figure
        sandbox_holds(c, pid)

        # hugepages from the config; the host reserved them already
        c.sh("sed -i -e 's/hugepages = false;/hugepages = true;/' "
             "-e 's/nr_hugepages = 0;/nr_hugepages = 128;/' "
             "/etc/dplb/dplbd.conf")
        systemctl(c, "restart")
        assert show(c, "ActiveState") == "active"
        wait_journal(c, r"^hugepages: \d+ hugepages of 2 MiB reserved, 128 "
                        r"wanted: nothing to do$")
        assert re.match(STATUS_RE, show(c, "StatusText"))

        if packages.with_keepalived:
            keepalived_in_its_sandbox(c)
            c.sh("systemctl stop dplbd")   # Requires: keepalived goes too
            assert show(c, "ActiveState", "dplb-keepalived") == "inactive"
            c.sh("cp /var/tmp/shipped-keepalived.conf "
                 "/etc/dplb/keepalived.conf; systemctl stop systemd-networkd; "
                 "rm /etc/systemd/network/50-dplb-ext.network")
            systemctl(c, "start")
            keepalived_under_systemd(c)

        # upgrade while running: restarted on the new package
        pid = show(c, "MainPID")
        c.sh(f"dpkg -i --force-confdef --force-confold {upgrade}")
        wait_active(c)
        assert show(c, "MainPID") != pid
        assert c.sh("dpkg-query -W -f '${Version}' dplb").stdout == \
            f"{VERSION}-3"
        assert "hugepages = true;" in c.sh("cat /etc/dplb/dplbd.conf").stdout

        # stop: clean exit
        c.sh("systemctl stop dplbd")
        assert show(c, "ActiveState") == "inactive"
        assert show(c, "Result") == "success"
        wait_journal(c, r"^shutting down$")

        # purge while running: stopped, and nothing behind (the drop-in
        # and the users are ours)
        systemctl(c, "start")
        c.sh("rm -r /etc/systemd/system/dplbd.service.d; userdel alice; "
             "userdel bob; dpkg --purge " + " ".join(names(packages)))
        assert c.sh("pgrep -x dplbd || true").stdout == ""
        assert leftovers(c.sh, files) == []
        assert c.sh("ls -d /etc/dplb /run/dplb /usr/share/doc/dplb "
                    "2>/dev/null || true").stdout == ""
        assert c.sh("systemctl list-unit-files 'dplb*' --no-legend || true; "
                    "getent group dplb || true").stdout == ""
    print(f"boot test: {time.monotonic() - t0:.1f} s")
