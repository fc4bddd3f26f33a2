# SPDX-License-Identifier: GPL-2.0-or-later
"""make deb and make rpm from a clean copy of the tree: what the packages
hold, their dependencies (computed, plus DPDK's plugins), scripts,
conffiles, one version everywhere, and lintian; for RPM, the source RPM
(its spec parses, names the RHEL build dependencies, passes rpmlint) and
its rebuild here against Debian's libraries (marked as a local test)."""

import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import BUILD, LOCALTEST, REPO, VERSION

SETUPS = ("single", "ha-master", "ha-backup", "nat", "dr", "snat",
          "ipv6-nat64")
DPLB_FILES = {
    **{f"./etc/dplb/examples/{s}/dplbd.conf": "-rw-r--r--"
       for s in SETUPS},
    # path: mode
    "./usr/sbin/dplbd": "-rwxr-xr-x",
    "./usr/bin/dplbctl": "-rwxr-xr-x",
    "./etc/dplb/dplbd.conf": "-rw-r--r--",
    "./etc/dplb/examples/two-port-router.conf": "-rw-r--r--",
    "./lib/systemd/system/dplbd.service": "-rw-r--r--",
    "./usr/lib/tmpfiles.d/dplb.conf": "-rw-r--r--",
    "./usr/lib/sysusers.d/dplb.conf": "-rw-r--r--",
    "./usr/share/man/man8/dplbd.8.gz": "-rw-r--r--",
    "./usr/share/man/man8/dplbctl.8.gz": "-rw-r--r--",
    "./usr/share/man/man5/dplbd.conf.5.gz": "-rw-r--r--",
    "./usr/share/bash-completion/completions/dplbctl": "-rw-r--r--",
    "./usr/share/dplb/grafana/dplb-dashboard.json": "-rw-r--r--",
    "./usr/share/doc/dplb/config.md": "-rw-r--r--",
    "./usr/share/doc/dplb/copyright": "-rw-r--r--",
}
KEEPALIVED_FILES = {
    "./usr/sbin/dplb-keepalived": "-rwxr-xr-x",
    "./etc/dplb/keepalived.conf": "-rw-r-----",
    "./lib/systemd/system/dplb-keepalived.service": "-rw-r--r--",
    "./usr/share/man/man8/dplb-keepalived.8.gz": "-rw-r--r--",
    "./usr/share/man/man5/dplb-keepalived.conf.5.gz": "-rw-r--r--",
    **{f"./etc/dplb/examples/{s}/keepalived.conf": "-rw-r--r--"
       for s in SETUPS},
}


def sh(*cmd):
    return subprocess.run(cmd, capture_output=True, text=True,
                          check=True).stdout


def deb_listing(deb):
    """{path: (mode, owner)} of a .deb's data."""
    out = {}
    for line in sh("dpkg-deb", "-c", str(deb)).splitlines():
        f = line.split()
        out[f[5]] = (f[0], f[1])
    return out


def deb_control(deb, member):
    with tempfile.TemporaryDirectory() as d:
        sh("dpkg-deb", "-e", str(deb), d)
        p = Path(d) / member
        return p.read_text() if p.exists() else ""


# ------------------------------------------------------------------ .deb

def test_built_from_a_clean_copy(packages):
    src = BUILD / "deb-src" / f"dplb-{VERSION}"
    assert (src / "debian" / "rules").exists()
    # no build output or ignored files came along: dplbd was compiled there
    assert not (src / "build" / "dplbd").exists()
    assert not list(src.rglob("__pycache__"))
    assert (src / "obj" / "dplbd").exists()


def test_one_version_everywhere(packages):
    assert sh("dpkg-deb", "-f", str(packages.dplb_deb), "Version").strip() \
        == f"{VERSION}-1"
    with tempfile.TemporaryDirectory() as d:
        sh("dpkg-deb", "-x", str(packages.dplb_deb), d)
        assert sh(f"{d}/usr/sbin/dplbd", "--version") == f"dplbd {VERSION}\n"
        assert sh(f"{d}/usr/bin/dplbctl", "--version") == \
            f"dplbctl {VERSION}\n"
        man = sh("zcat", f"{d}/usr/share/man/man8/dplbd.8.gz")
        assert f'"dplb {VERSION}"' in man
    assert sh("rpm", "-qp", "--qf", "%{VERSION}",
              str(packages.dplb_rpm)) == VERSION


def test_dplb_deb_files_and_modes(packages):
    have = deb_listing(packages.dplb_deb)
    for path, mode in DPLB_FILES.items():
        assert path in have, f"{path} missing from the .deb"
        assert have[path] == (mode, "root/root"), (path, have[path])
    # nothing of dplb-keepalived (its guide, docs/keepalived.md, is part
    # of the documentation set), nothing in /usr/local, no test files
    assert not [p for p in have
                if ("keepalived" in p and not p.startswith("./usr/share/doc/"))
                or "/local/" in p or "/tests/" in p]


def test_dplb_deb_dependencies(packages):
    depends = sh("dpkg-deb", "-f", str(packages.dplb_deb), "Depends")
    names = {d.strip().split()[0] for d in depends.split(",")}
    # computed by dpkg-shlibdeps from what dplbd and dplbctl link
    assert {"libc6", "libconfig9", "libjson-c5", "librte-eal23",
            "librte-ethdev23", "librte-mbuf23"} <= names, depends
    # DPDK's dlopen()ed drivers, which shlibs cannot see
    assert {"librte-mempool-ring23", "librte-net-tap23"} <= names, depends
    # dh_installsysusers: something that runs sysusers.d
    assert "systemd | systemd-standalone-sysusers | systemd-sysusers" \
        in depends
    recommends = sh("dpkg-deb", "-f", str(packages.dplb_deb), "Recommends")
    assert "librte-net-af-packet23" in recommends


def test_dplb_deb_conffiles_and_scripts(packages):
    conffiles = deb_control(packages.dplb_deb, "conffiles").split()
    assert sorted(conffiles) == sorted(
        ["/etc/dplb/dplbd.conf", "/etc/dplb/examples/two-port-router.conf"] +
        [f"/etc/dplb/examples/{s}/dplbd.conf" for s in SETUPS])
    postinst = deb_control(packages.dplb_deb, "postinst")
    assert "systemd-sysusers" in postinst and "dplb.conf" in postinst
    assert "systemd-tmpfiles" in postinst
    # the operator enables and starts it: no enable, no start on install,
    # but a restart on upgrade if it runs, and a stop on removal
    assert "deb-systemd-invoke start" not in postinst
    assert re.search(r'if \[ -n "\$2" \]; then\s+deb-systemd-invoke '
                     r"try-restart 'dplbd.service'", postinst), postinst
    assert re.search(r"was-enabled 'dplbd.service'", postinst)
    prerm = deb_control(packages.dplb_deb, "prerm")
    assert "deb-systemd-invoke stop dplbd.service" in prerm
    postrm = deb_control(packages.dplb_deb, "postrm")
    assert "groupdel dplb" in postrm and "rm -rf /run/dplb" in postrm


def test_keepalived_deb(packages):
    if not packages.with_keepalived:
        assert packages.keepalived_deb is None
        pytest.skip("make keepalived has not run: dplb-keepalived not built")
    have = deb_listing(packages.keepalived_deb)
    for path, mode in KEEPALIVED_FILES.items():
        assert have.get(path, (None,))[0] == mode, (path, have.get(path))
    # beside Debian's keepalived: none of its paths
    assert not [p for p in have if p.endswith("/keepalived")
                or "/etc/keepalived" in p or "keepalived.service" in p
                and "dplb-" not in p]
    depends = sh("dpkg-deb", "-f", str(packages.keepalived_deb), "Depends")
    assert f"dplb (= {VERSION}-1)" in depends
    assert sorted(deb_control(packages.keepalived_deb, "conffiles").split()) \
        == sorted(["/etc/dplb/keepalived.conf"] +
                  [f"/etc/dplb/examples/{s}/keepalived.conf" for s in SETUPS])


def test_lintian_reports_no_errors_or_warnings(packages):
    changes = sorted(packages.dir.glob("dplb_*_amd64.changes"))
    assert len(changes) == 1
    p = subprocess.run(["lintian", "--pedantic", "--display-info",
                        str(changes[0])], capture_output=True, text=True)
    tags = [x for x in p.stdout.splitlines() if re.match(r"[EWIP]: ", x)]
    print("\n".join(tags) or "lintian: no tags")
    assert not [t for t in tags if t.startswith(("E:", "W:"))], tags


# ------------------------------------------------------------------ .rpm

RHEL_BUILD_REQUIRES = {"gcc", "make", "dpdk-devel", "libconfig-devel",
                       "json-c-devel", "libmicrohttpd-devel", "systemd-devel",
                       "systemd-rpm-macros"}
KEEPALIVED_BUILD_REQUIRES = {"autoconf", "automake", "openssl-devel",
                             "libnl3-devel"}


def srpm_spec(packages, tmp_path):
    """The spec inside the source RPM, as rpmbuild --rebuild reads it."""
    subprocess.run(f"rpm2cpio {packages.srpm} | cpio -idm --quiet "
                   "dplb.spec", shell=True, cwd=tmp_path, check=True)
    return tmp_path / "dplb.spec"


def test_make_rpm_ships_a_source_rpm_only(packages):
    """No binary RPM linked against Debian's libraries is shipped."""
    rpms = sorted(p.name for p in packages.dir.glob("*.rpm"))
    assert rpms == [f"dplb-{VERSION}-1.src.rpm"], rpms
    sources = sh("rpm", "-qpl", str(packages.srpm)).split()
    want = {"dplb.spec", f"dplb-{VERSION}.tar.gz"}
    if packages.with_keepalived:
        want.add("keepalived-2.2.7.tar.gz")
    assert set(sources) == want, sources


def test_srpm_build_requires_name_the_rhel_packages(packages):
    req = {r.split()[0] for r in sh("rpm", "-qpR", str(packages.srpm))
           .splitlines() if not r.startswith("rpmlib(")}
    assert RHEL_BUILD_REQUIRES <= req, req
    if packages.with_keepalived:
        assert KEEPALIVED_BUILD_REQUIRES <= req, req
    # no Debian names, no pkgconfig() that would pull another provider
    assert not [r for r in req if r.startswith(("lib", "pkgconfig(")) and
                r.endswith("-dev")], req


def test_srpm_spec_stands_alone_and_parses(packages, tmp_path):
    spec = srpm_spec(packages, tmp_path)
    text = spec.read_text()
    assert f"%global dplb_version {VERSION}\n" in text
    # rpmspec parses it without make rpm's defines
    names = sh("rpmspec", "-q", "--qf", "%{NAME}-%{VERSION}\n",
               str(spec)).split()
    want = [f"dplb-{VERSION}"]
    if packages.with_keepalived:
        want.append(f"dplb-keepalived-{VERSION}")
    assert names == want, names
    runtime = sh("rpmspec", "-q", "--requires", str(spec))
    for name in ("dpdk", "libconfig", "json-c", "libmicrohttpd", "systemd"):
        assert re.search(rf"^{name}$", runtime, re.M), runtime


def test_rpmlint_on_spec_and_srpm(packages, tmp_path):
    spec = srpm_spec(packages, tmp_path)
    p = subprocess.run(["rpmlint", "-r",
                        str(REPO / "packaging" / "rpm" / "dplb.rpmlintrc"),
                        str(packages.srpm), str(spec)],
                       capture_output=True, text=True)
    print(p.stdout)
    assert p.returncode == 0, p.stdout + p.stderr
    assert re.search(r"\b0 errors, 0 warnings", p.stdout), p.stdout


def test_local_rebuild_is_marked_as_such(packages):
    """The source RPM rebuilt here (packaging/build-rpm.sh --localtest)
    says in its release what it is, and stays out of build/packages."""
    assert sh("rpm", "-qp", "--qf", "%{RELEASE}",
              str(packages.dplb_rpm)) == f"1{LOCALTEST}"
    assert packages.dplb_rpm.parent != packages.dir


def test_rpm_files(packages):
    files = sh("rpm", "-qpl", str(packages.dplb_rpm)).split()
    for f in ("/usr/sbin/dplbd", "/usr/bin/dplbctl", "/etc/dplb/dplbd.conf",
              "/etc/dplb/examples/two-port-router.conf",
              "/usr/lib/systemd/system/dplbd.service",
              "/usr/lib/tmpfiles.d/dplb.conf",
              "/usr/lib/sysusers.d/dplb.conf",
              "/usr/share/bash-completion/completions/dplbctl",
              "/usr/share/dplb/grafana/dplb-dashboard.json",
              "/usr/share/doc/dplb/config.md",
              "/usr/share/licenses/dplb/LICENSE"):
        assert f in files, f
    assert [f for f in files if "/man8/dplbd.8" in f]
    # upgrades keep the operator's edits: %config(noreplace)
    flags = sh("rpm", "-qp", "--qf", r"[%{FILEFLAGS:fflags}|%{FILENAMES}\n]",
               str(packages.dplb_rpm))
    config = {}
    for line in flags.splitlines():
        fl, _, name = line.partition("|")
        if name.startswith("/etc/dplb/") and name.endswith(".conf"):
            config[name] = fl
    assert config == {"/etc/dplb/dplbd.conf": "cn",
                      "/etc/dplb/examples/two-port-router.conf": "cn",
                      **{f"/etc/dplb/examples/{s}/dplbd.conf": "cn"
                         for s in SETUPS}}


def test_rpm_dependencies(packages):
    req = sh("rpm", "-qpR", str(packages.dplb_rpm)).split("\n")
    req = {r.strip() for r in req if r.strip()}
    # RHEL-family package names
    assert {"dpdk", "libconfig", "json-c", "libmicrohttpd", "systemd",
            "shadow-utils"} <= req
    # computed by rpmbuild from the binaries (here Debian's sonames: this
    # rebuild only tests the spec)
    assert {"librte_eal.so.23()(64bit)", "libconfig.so.9()(64bit)",
            "libjson-c.so.5()(64bit)", "libmicrohttpd.so.12()(64bit)"} <= req, req
    scripts = sh("rpm", "-qp", "--scripts", str(packages.dplb_rpm))
    assert "groupadd -r dplb" in scripts
    assert "systemd-tmpfiles --create" in scripts


def test_keepalived_rpm(packages):
    if not packages.with_keepalived:
        assert packages.keepalived_rpm is None
        pytest.skip("make keepalived has not run: dplb-keepalived not built")
    files = sh("rpm", "-qpl", str(packages.keepalived_rpm)).split()
    assert {"/usr/sbin/dplb-keepalived", "/etc/dplb/keepalived.conf",
            "/usr/lib/systemd/system/dplb-keepalived.service",
            "/etc/dplb/examples/single/keepalived.conf"} <= set(files)
    assert [f for f in files if "/man5/dplb-keepalived.conf.5" in f]
    req = sh("rpm", "-qpR", str(packages.keepalived_rpm))
    assert re.search(rf"^dplb\(x86-64\) = {VERSION}-1{re.escape(LOCALTEST)}$",
                     req, re.M), req
