#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The MKP's probe runs on a site older than the build machine (issue #19).

A Checkmk site runs on the site's distribution, not on the Debian 12 the
MKP is built on. This test builds a minimal Debian 11 root with mmdebstrap
from the configured Debian mirror (glibc 2.31, OpenSSL 1.1, no libfmt 9,
libnss-myhostname and libnss-mdns on its "hosts:" line, no python3), takes
check_guacamole.bin out of the built MKP, and runs it chrooted into that
root against the fake Guacamole server (tests/guacamole/fake_guacamole.py):
over http to 127.0.0.1, by a name from the root's /etc/hosts, over https
trusted through the root's own CA store and openssl.cnf, and with a name no
source knows (an error, not an abort in an NSS module). The Debian
package's dynamic probe must fail to start in the same root, or the root
would prove nothing.

The root's tarball is cached between runs (--cache-dir, default
/var/cache/automon-tests; its name carries a hash of everything that goes
into it); the first run builds it and prints how long that took. Then the
test re-executes itself in a new network namespace (unshare --net): the
server and the probe see only that namespace's loopback, and nothing
leaves the machine. Needs root (mmdebstrap, chroot, unshare); exits 77
(skipped) otherwise.

usage: old_site_test.py --mkp FILE.mkp --dynamic-probe FILE [--cache-dir DIR]
       old_site_test.py --prepare [--cache-dir DIR]   (only build or find the
                                                      cached root; scripts/test)
"""

import argparse
import fcntl
import glob
import gzip
import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "guacamole"))
from fake_guacamole import FakeGuacamole, User  # noqa: E402

SKIPPED = 77
SUITE = "bullseye"
# The site's own OpenSSL 1.1 with its openssl.cnf and CA store, and two NSS
# modules a static glibc cannot load (see checkmk/static/resolver.cc).
INCLUDE = "libssl1.1,openssl,ca-certificates,libnss-myhostname,libnss-mdns"
# Documentation and translations are not needed to run a binary.
DPKG_OPTIONS = ["path-exclude=/usr/share/doc/*", "path-exclude=/usr/share/man/*",
                "path-exclude=/usr/share/locale/*", "path-exclude=/usr/share/info/*"]
PROBE_IN_MKP = "guacamole/libexec/check_guacamole.bin"
EXPECTED = "Apache Guacamole Active Sessions: 3"
ARGS = None
ROOT_TAR = None


def configured_mirror():
    """The Debian mirror apt is configured with (the URI serving the main
    archive, not debian-security), from /etc/apt/sources.list*."""
    files = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*"))
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError:
            continue
        uris = re.findall(r"^URIs:\s*(.+)$", text, re.M)
        uris = [u for line in uris for u in line.split()]
        uris += re.findall(r"^deb\s+(?:\[[^]]*\]\s+)?(\S+)", text, re.M)
        for uri in uris:
            if re.match(r"https?://", uri) and uri.rstrip("/").endswith("/debian"):
                return uri.rstrip("/")
    raise SystemExit("no Debian mirror (a URI ending in /debian) in /etc/apt/sources.list*")


def root_tarball(cache_dir):
    """The cached Debian 11 root, built first if it is not there."""
    mirror = configured_mirror()
    command = (["mmdebstrap", "--quiet", "--mode=root", "--variant=minbase",
                "--include=" + INCLUDE]
               + ["--dpkgopt=" + o for o in DPKG_OPTIONS]
               + [SUITE, None, "deb %s %s main" % (mirror, SUITE)])
    key = hashlib.sha256(repr(command).encode()).hexdigest()[:16]
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, "debian11-%s.tar" % key)
    with open(os.path.join(cache_dir, "debian11.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run may be building it
        if os.path.exists(path):
            print("Debian 11 root: cached %s" % path, flush=True)
            return path
        partial = path + ".partial.tar"
        command[command.index(None)] = partial
        start = time.monotonic()
        try:
            subprocess.run(command, check=True, stdin=subprocess.DEVNULL)
        except BaseException:
            if os.path.exists(partial):
                os.unlink(partial)
            raise
        os.replace(partial, path)
        print("Debian 11 root: built from %s in %.0f s (once per cache; this counts against "
              "the CI budget), cached as %s" % (mirror, time.monotonic() - start, path),
              flush=True)
        return path


def probe_from_mkp(mkp):
    """The bytes of check_guacamole.bin inside the MKP."""
    with gzip.open(mkp) as g, tarfile.open(fileobj=g) as outer:
        inner = outer.extractfile("cmk_addons_plugins.tar").read()
    with tarfile.open(fileobj=io.BytesIO(inner)) as tar:
        return tar.extractfile(PROBE_IN_MKP).read()


class OldSiteTest(unittest.TestCase):
    """check_guacamole.bin from the MKP, chrooted into Debian 11."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="automon-old-site.")
        cls.root = os.path.join(cls.tmp, "root")
        os.mkdir(cls.root)
        subprocess.run(["tar", "-C", cls.root, "--numeric-owner", "-xf", ROOT_TAR], check=True)
        with open(os.path.join(cls.root, "check_guacamole.bin"), "wb") as f:
            f.write(probe_from_mkp(ARGS.mkp))
        os.chmod(os.path.join(cls.root, "check_guacamole.bin"), 0o755)
        shutil.copy(ARGS.dynamic_probe, os.path.join(cls.root, "check_guacamole.dynamic"))
        with open(os.path.join(cls.root, "etc", "hosts"), "w") as f:
            f.write("127.0.0.1 localhost\n127.0.0.1 guacamole.example.test\n")
        cls.make_certificates()
        # The site's administrator trusts our test CA the Debian way, with
        # the root's own update-ca-certificates (OpenSSL 1.1's rehash): a
        # verified https run proves the probe found the root's store.
        shutil.copy(os.path.join(cls.tmp, "ca.pem"),
                    os.path.join(cls.root, "usr/local/share/ca-certificates/automon-test.crt"))
        subprocess.run(["chroot", cls.root, "update-ca-certificates"], check=True,
                       stdout=subprocess.DEVNULL, env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def make_certificates(cls):
        def openssl(*args):
            subprocess.run(["openssl"] + list(args), check=True, capture_output=True,
                           cwd=cls.tmp)

        curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl("req", "-x509", *curve, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=automon test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        openssl("req", *curve, "-keyout", "server.key", "-out", "server.csr", "-subj",
                "/CN=guacamole.example.test")
        with open(os.path.join(cls.tmp, "server.ext"), "w") as f:
            f.write("subjectAltName=DNS:guacamole.example.test\nbasicConstraints=CA:FALSE\n"
                    "extendedKeyUsage=serverAuth\n")
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.pem")

    def server(self, **kwargs):
        fake = FakeGuacamole(users={"guacadmin": User("guacadmin")},
                             sessions=[{"username": "user%d" % i} for i in range(3)], **kwargs)
        fake.start()
        self.addCleanup(fake.stop)
        return fake

    def chroot(self, program, *args):
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "GUACAMOLE_PASSWORD": "guacadmin"}
        return subprocess.run(["chroot", self.root, program] + list(args), env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=60)

    def probe(self, fake, host, *args, program="/check_guacamole.bin"):
        return self.chroot(program, "-H", host, "-p", str(fake.port), "--username", "guacadmin",
                           *args)

    def assertSessions(self, result):
        self.assertEqual((result.returncode, result.stderr), (0, ""), result.stdout)
        self.assertTrue(result.stdout.startswith(EXPECTED + " |"), result.stdout)

    def test_root_is_debian_11(self):
        with open(os.path.join(self.root, "etc", "debian_version")) as f:
            self.assertTrue(f.read().startswith("11."))
        libc = self.chroot("/lib/x86_64-linux-gnu/libc.so.6")
        self.assertIn("release version 2.31", libc.stdout)
        self.assertTrue(os.path.exists(
            os.path.join(self.root, "usr/lib/x86_64-linux-gnu/libssl.so.1.1")))
        self.assertEqual(glob.glob(os.path.join(self.root, "usr/lib/x86_64-linux-gnu/libfmt*")),
                         [])
        with open(os.path.join(self.root, "etc", "nsswitch.conf")) as f:
            hosts = [line for line in f if line.startswith("hosts:")]
        self.assertIn("myhostname", hosts[0])
        self.assertIn("mdns4_minimal", hosts[0])

    def test_dynamic_probe_does_not_start(self):
        # Without this the root would prove nothing about the MKP's probe.
        result = self.probe(self.server(), "127.0.0.1", program="/check_guacamole.dynamic")
        self.assertEqual(result.returncode, 127, result)
        self.assertIn("error while loading shared libraries", result.stderr)

    def test_sessions_by_address(self):
        fake = self.server()
        self.assertSessions(self.probe(fake, "127.0.0.1"))
        self.assertEqual(fake.live_tokens(), 0)

    def test_sessions_by_name_from_etc_hosts(self):
        self.assertSessions(self.probe(self.server(), "guacamole.example.test"))

    def test_sessions_over_https_trusting_the_sites_ca_store(self):
        # The probe's own OpenSSL 3 reads the root's OpenSSL 1.1
        # openssl.cnf and CA store (/usr/lib/ssl -> /etc/ssl/certs).
        fake = self.server(tls=(os.path.join(self.tmp, "server.pem"),
                                os.path.join(self.tmp, "server.key")))
        self.assertSessions(self.probe(fake, "guacamole.example.test", "--protocol", "https"))

    def test_unknown_name_is_an_error_not_an_abort(self):
        # The name is in no /etc/hosts; the namespace has no DNS server.
        # The root's "hosts:" line names myhostname and mdns4_minimal,
        # whose modules would abort a static glibc if it loaded them.
        result = self.probe(self.server(), "nowhere.example.test")
        self.assertEqual((result.returncode, result.stderr), (3, ""), result.stdout)
        self.assertEqual(result.stdout,
                         "Error: cannot resolve host name 'nowhere.example.test': check --host "
                         "and the DNS configuration\n")


def main():
    global ARGS, ROOT_TAR
    parser = argparse.ArgumentParser()
    parser.add_argument("--prepare", action="store_true",
                        help="build (or find) the cached root, and run no test")
    parser.add_argument("--mkp")
    parser.add_argument("--dynamic-probe")
    parser.add_argument("--cache-dir", default="/var/cache/automon-tests")
    parser.add_argument("--root-tar", help=argparse.SUPPRESS)  # set by the re-execution
    ARGS, rest = parser.parse_known_args()
    if not ARGS.prepare and not (ARGS.mkp and ARGS.dynamic_probe):
        parser.error("--mkp and --dynamic-probe are required")
    if ARGS.root_tar is None:
        if os.geteuid() != 0:
            print("skipped: needs root (mmdebstrap, chroot, unshare)")
            sys.exit(SKIPPED)
        tar = root_tarball(ARGS.cache_dir)
        if ARGS.prepare:
            return
        # Everything else in a private network namespace: only its loopback.
        os.execvp("unshare", ["unshare", "--net", "--", sys.executable, os.path.abspath(__file__),
                              "--root-tar", tar] + sys.argv[1:])
    ROOT_TAR = ARGS.root_tar
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
