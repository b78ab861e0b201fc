# SPDX-License-Identifier: GPL-2.0-or-later
"""Booted machines for the system test (issue #19): each one a real
systemd in `systemd-nspawn --boot`, on an overlay of a read-only bind of
this machine's root (so it has every package this machine has, and writes
nothing to it), in a network namespace of its own joined to the others by a
veth pair on a private /24. See ../../doc/decisions.md (2026-12-07) and
/work/shared/reference/systemd-in-tests.md for the recipe.

The overlay's upper layer is a directory of the test, not nspawn's
--volatile tmpfs, so that a machine keeps its disk over a stop + boot.
"""

import os
import shutil
import subprocess
import time

# Services this machine may have enabled that the machines must not start:
# they would only cost time, and some listen on the ports tests use.
MASKED = ["postgresql.service", "postfix.service", "dovecot.service", "haproxy.service",
          "ssh.service", "ssh.socket", "e2scrub_reap.service", "systemd-networkd.service",
          "systemd-resolved.service", "systemd-timesyncd.service", "apt-daily.timer",
          "apt-daily-upgrade.timer", "man-db.timer", "logrotate.timer",
          "e2scrub_all.timer", "fstrim.timer"]


class Failure(Exception):
    pass


def sh(argv, check=True, timeout=120, input=None):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout,
                       input=input)
    out = p.stdout.decode(errors="replace")
    if check and p.returncode != 0:
        raise Failure("%s exited %d:\n%s" % (" ".join(argv), p.returncode, out[-3000:]))
    return p.returncode, out


class Network:
    """Network namespaces joined pairwise by one veth pair (two machines)."""

    def __init__(self, tag, names, prefix="10.79.0"):
        self.netns = {n: "%s-%s" % (tag, n) for n in names}
        self.address = {n: "%s.%d" % (prefix, i + 1) for i, n in enumerate(names)}
        self.created = []
        for n in names:
            sh(["ip", "netns", "add", self.netns[n]])
            self.created.append(self.netns[n])
            sh(["ip", "-n", self.netns[n], "link", "set", "lo", "up"])
        a, b = names
        sh(["ip", "link", "add", "sysv%d" % os.getpid(), "netns", self.netns[a], "type", "veth",
            "peer", "name", "sysp%d" % os.getpid(), "netns", self.netns[b]])
        for n, dev in ((a, "sysv%d" % os.getpid()), (b, "sysp%d" % os.getpid())):
            sh(["ip", "-n", self.netns[n], "link", "set", dev, "name", "eth0"])
            sh(["ip", "-n", self.netns[n], "addr", "add", self.address[n] + "/24", "dev", "eth0"])
            sh(["ip", "-n", self.netns[n], "link", "set", "eth0", "multicast", "on", "up"])

    def path(self, name):
        return "/run/netns/" + self.netns[name]

    def hosts_file(self):
        return "127.0.0.1 localhost\n" + "".join(
            "%s %s\n" % (addr, n) for n, addr in self.address.items())

    def close(self):
        for ns in self.created:
            sh(["ip", "netns", "del", ns], check=False)


class Machine:
    def __init__(self, name, work, network, binds=(), masks=()):
        self.name = name
        self.dir = os.path.join(work, name)
        self.lower = os.path.join(self.dir, "lower")
        self.state = os.path.join(self.dir, "state")
        self.root = os.path.join(self.dir, "root")
        for d in (self.lower, self.state, self.root):
            os.makedirs(d)
        self.network = network
        self.binds = list(binds)
        self.masks = MASKED + list(masks)
        self.machine = "am%s%d" % (name[:3], os.getpid())
        self.nspawn = None
        self.leader = None
        self.mounted = []
        self.boots = 0
        with open(os.path.join(self.dir, "hostname"), "w") as f:
            f.write(name + "\n")
        with open(os.path.join(self.dir, "hosts"), "w") as f:
            f.write(network.hosts_file())
        # lower: this machine's root, read-only, not recursive; upper: a
        # tmpfs of the test that outlives the container.
        sh(["mount", "--bind", "/", self.lower])
        self.mounted.append(self.lower)
        sh(["mount", "-o", "remount,bind,ro", self.lower])
        sh(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", self.state])
        self.mounted.append(self.state)
        os.makedirs(os.path.join(self.state, "upper"))
        os.makedirs(os.path.join(self.state, "work"))

    def boot(self, timeout=60):
        t0 = time.monotonic()
        sh(["mount", "-t", "overlay", "overlay", "-o",
            "lowerdir=%s,upperdir=%s/upper,workdir=%s/work" % (self.lower, self.state, self.state),
            self.root])
        self.mounted.append(self.root)
        argv = ["systemd-nspawn", "-D", self.root, "--register=no", "--keep-unit",
                "--link-journal=no", "--uuid=" + _uuid(), "-M", self.machine,
                "--hostname=" + self.name, "--network-namespace-path=" + self.network.path(self.name),
                "--console=pipe",
                "--bind-ro=%s:/etc/hostname" % os.path.join(self.dir, "hostname"),
                "--bind-ro=%s:/etc/hosts" % os.path.join(self.dir, "hosts")]
        argv += ["--bind-ro=%s:%s" % (src, dst) for src, dst in self.binds]
        argv += ["-b", "systemd.unit=multi-user.target"]
        argv += ["systemd.mask=" + m for m in self.masks]
        self.boots += 1
        self.console = open(os.path.join(self.dir, "console-%d.log" % self.boots), "wb")
        self.nspawn = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.console,
                                       stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        self.leader = None
        while self.leader is None:
            if self.nspawn.poll() is not None:
                raise Failure("%s: systemd-nspawn exited %d, see %s" % (
                    self.name, self.nspawn.returncode, self.console.name))
            p = subprocess.run(["pgrep", "-P", str(self.nspawn.pid), "-x", "systemd"],
                               stdout=subprocess.PIPE)
            if p.returncode == 0:
                self.leader = p.stdout.decode().split()[0]
            elif time.monotonic() > deadline:
                raise Failure("%s: no systemd in the container" % self.name)
            else:
                time.sleep(0.05)
        return t0

    def wait_running(self, t0, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            code, out = self.run(["systemctl", "is-system-running", "--wait"], check=False)
            state = out.strip().splitlines()[-1] if out.strip() else ""
            if state in ("running", "degraded"):
                break
            if time.monotonic() > deadline:
                raise Failure("%s: system state %r after %ds" % (self.name, state, timeout))
            time.sleep(0.1)
        # This machine is a container image that forbids maintainer scripts
        # to start services (policy-rc.d exits 101); a real machine has none.
        self.run(["rm", "-f", "/usr/sbin/policy-rc.d"])
        return state, time.monotonic() - t0

    def run(self, argv, check=True, timeout=300, input=None):
        """A command in all of the machine's namespaces (outside any unit)."""
        return sh(["nsenter", "-t", self.leader, "-a"] + list(argv), check=check,
                  timeout=timeout, input=input)

    def path(self, path):
        return "/proc/%s/root%s" % (self.leader, path)

    def read(self, path):
        try:
            with open(self.path(path), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, timeout=60):
        if self.nspawn is None:
            return
        if self.nspawn.poll() is None:
            self.nspawn.terminate()  # SIGTERM: nspawn halts the container cleanly
            try:
                self.nspawn.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.nspawn.kill()
                self.nspawn.wait()
        self.nspawn = None
        self.console.close()
        shutil.rmtree("/run/systemd/nspawn/propagate/" + self.machine, ignore_errors=True)
        sh(["umount", self.root], check=False)
        self.mounted.remove(self.root)

    def close(self):
        try:
            self.stop()
        finally:
            for m in reversed(self.mounted):
                sh(["umount", "-l", m], check=False)
            self.mounted = []


def _uuid():
    with open("/proc/sys/kernel/random/uuid") as f:
        return f.read().strip().replace("-", "")
