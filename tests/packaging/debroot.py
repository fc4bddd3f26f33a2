# SPDX-License-Identifier: GPL-2.0-or-later
"""A clean Debian 12 root for the package tests, and systemd-nspawn.

    root = DebRoot()               # fresh copy of the cached root
    root.run("dpkg -l")            # a command in it (not booted)
    with root.boot() as c:         # systemd as PID 1, private network
        c.sh("systemctl start dplbd")
    root.remove()

The root is debootstrap's minbase of bookworm with systemd, systemd-sysv
and dbus, plus apt's package lists; it is made once (about a minute and
240 MB, network needed) and kept as a zstd tarball under
$DPLB_ROOT_CACHE (/var/cache/dplb/debian-root).  Packages apt downloads
into a root are kept there too, so later runs need no network.  Copies
live under /var/tmp (not /tmp: the booted system mounts its own /tmp).

Facts of these machines: the host runs no systemd, D-Bus or machined,
so nspawn needs --register=no --keep-unit and the container is entered
with nsenter on its PID 1, not machinectl; DPDK in it needs
CAP_NET_ADMIN, CAP_IPC_LOCK and CAP_SYS_RAWIO and the hugepages the host
reserved (the container cannot change nr_hugepages).  With
--private-network nspawn shows no /sys/module, where DPDK's EAL looks
for vfio and without which it refuses to start ("Cannot init VFIO"): it
is bound read-only from the host.
"""

import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

CACHE = Path(os.environ.get("DPLB_ROOT_CACHE", "/var/cache/dplb/debian-root"))
TARBALL = CACHE / "bookworm-systemd.tar.zst"
ARCHIVES = CACHE / "apt-archives"
MIRROR = os.environ.get("DPLB_DEBIAN_MIRROR", "http://deb.debian.org/debian")
NSPAWN = ["systemd-nspawn", "-q", "--register=no", "--keep-unit"]
PATH_ENV = "PATH=/usr/sbin:/usr/bin:/sbin:/bin"


class RootError(Exception):
    pass


def _run(cmd, timeout=600, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       **kw)
    if p.returncode != 0:
        raise RootError(f"{cmd} exited with {p.returncode}:\n"
                        f"{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
    return p


def ensure_tarball():
    """Make the cached root unless it exists (one maker at a time)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    (ARCHIVES / "partial").mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if TARBALL.exists():
            return
        work = Path(tempfile.mkdtemp(dir="/var/tmp", prefix="dplb-debootstrap-"))
        try:
            root = work / "root"
            _run(["debootstrap", "--variant=minbase",
                  "--include=systemd,systemd-sysv,dbus", "bookworm",
                  str(root), MIRROR], timeout=900)
            _run(NSPAWN + ["-D", str(root), "--", "apt-get", "-q", "update"])
            _run(NSPAWN + ["-D", str(root), "--", "apt-get", "clean"])
            tmp = TARBALL.with_suffix(".tmp")
            _run(f"tar -C {root} -cf - . | zstd -q -T0 -o {tmp} -f",
                 shell=True)
            tmp.rename(TARBALL)
        finally:
            shutil.rmtree(work, ignore_errors=True)


class DebRoot:
    def __init__(self):
        ensure_tarball()
        self.work = Path(tempfile.mkdtemp(dir="/var/tmp", prefix="dplb-pkgroot-"))
        self.path = self.work / "root"
        self.path.mkdir()
        _run(f"zstd -q -d -c {TARBALL} | tar -C {self.path} -xf -",
             shell=True)

    def copy_in(self, files, dest="/var/tmp/dplb-pkgs"):
        """Copy host files into the root; returns their paths inside."""
        d = self.path / dest.lstrip("/")
        d.mkdir(parents=True, exist_ok=True)
        out = []
        for f in files:
            shutil.copy(f, d / Path(f).name)
            out.append(f"{dest}/{Path(f).name}")
        return out

    def run(self, script, check=True, timeout=300):
        """Run a shell script in the root (not booted), with the host's
        network and the shared apt archive cache.  One root at a time
        uses the cache: apt in another test run's root holds its lock
        ("Could not get lock /var/cache/apt/archives/lock")."""
        cmd = NSPAWN + ["-D", str(self.path), "--as-pid2",
                        f"--bind={ARCHIVES}:/var/cache/apt/archives",
                        "-E", "DEBIAN_FRONTEND=noninteractive",
                        "--", "/bin/sh", "-ec", script]
        with open(CACHE / ".archives-lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            p = subprocess.run(cmd, capture_output=True, text=True,
                               timeout=timeout)
        if check and p.returncode != 0:
            raise RootError(f"in the root: {script}\nexit {p.returncode}\n"
                            f"{p.stdout[-4000:]}\n{p.stderr[-4000:]}")
        return p

    def apt_install(self, debs):
        """apt-get install local .debs with their dependencies; the lists
        are refreshed once if the mirror moved on since the cache."""
        apt = ("apt-get -q -y --no-install-recommends "
               "-o APT::Sandbox::User=root install " + " ".join(debs))
        p = self.run(apt, check=False)
        if p.returncode != 0:
            self.run("apt-get -q -o APT::Sandbox::User=root update")
            p = self.run(apt)
        return p

    def boot(self, capabilities="CAP_NET_ADMIN,CAP_IPC_LOCK,CAP_SYS_RAWIO"):
        return Container(self, capabilities)

    def remove(self):
        shutil.rmtree(self.work, ignore_errors=True)


class Container:
    """The root booted with systemd-nspawn on a private network."""

    def __init__(self, root, capabilities):
        self.root = root
        self.log_path = root.work / "boot.log"
        self.capabilities = capabilities
        self.proc = None
        self.pid1 = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # Booting takes a few seconds alone, but over a minute has been seen
    # on a 2-core machine that other builds and tests keep busy.
    def start(self, timeout=300):
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                NSPAWN + ["-D", str(self.root.path), "--private-network",
                          "--bind-ro=/sys/module",
                          f"--capability={self.capabilities}", "-b"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RootError(f"nspawn exited with {self.proc.returncode}:"
                                f"\n{self.log_path.read_text()[-3000:]}")
            if self.pid1 is None:
                self.pid1 = self._child()
            elif self.state() in ("running", "degraded"):
                return
            time.sleep(0.2)
        raise RootError(f"the container did not boot in {timeout} s "
                        f"(state {self.state()}):\n"
                        f"{self.log_path.read_text()[-3000:]}")

    def _child(self):
        """The container's init: nspawn's child that runs systemd.  Not
        just its first child: that may be the helper that forks init and
        exits, and nsenter into it then fails for good (a fresh make test
        saw the container at its login prompt, its state unread for
        300 s)."""
        try:
            kids = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/"
                        "children").read_text().split()
        except OSError:
            return None
        for k in kids:
            try:
                if Path(f"/proc/{k}/comm").read_text().strip() == "systemd":
                    return int(k)
            except OSError:
                continue
        return None

    def state(self):
        p = self.sh("systemctl is-system-running", check=False)
        return p.stdout.strip()

    def sh(self, script, check=True, timeout=120):
        """Run a shell script inside the booted container."""
        cmd = ["nsenter", "-t", str(self.pid1), "-a", "env", "-i", PATH_ENV,
               "LANG=C.UTF-8", "/bin/sh", "-ec", script]
        p = subprocess.run(cmd, capture_output=True, text=True,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise RootError(f"in the container: {script}\nexit "
                            f"{p.returncode}\n{p.stdout[-4000:]}\n"
                            f"{p.stderr[-4000:]}")
        return p

    def stop(self, timeout=20):
        """Power off (SIGTERM to nspawn), then kill if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
