# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for tests that need a real avahi-daemon (reference:
libraries-and-protocols.md §1.7 and the Appendix).

Nothing here touches the machine's own D-Bus or avahi-daemon, and no mDNS
packet leaves the machine: the suites run in network and mount namespaces
of their own (enter_private_namespaces), with only a loopback interface
(or a veth pair between two namespaces, twohost), a tmpfs over /run so
that avahi-daemon's fixed pid file and D-Bus socket paths are private,
and a private D-Bus system bus.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DBUS_DAEMON = "/usr/bin/dbus-daemon"
AVAHI_DAEMON = "/usr/sbin/avahi-daemon"
MARK = "AUTOMON_PRIVATE_NAMESPACES"


# A mount and a PID namespace whose first process is killed when unshare
# dies; everything else in it dies with that process. /proc shows the
# namespace's own processes (nsenter -t PID must find them there).
UNSHARE = ["unshare", "--mount", "--propagation", "private", "--pid", "--fork", "--kill-child",
           "--mount-proc"]


def enter_private_namespaces():
    """Re-executes this script in new network, mount and PID namespaces (root
    needed). Inside: a tmpfs over /run, loopback up. Exits with the child's
    status; returns only in the child. If the kernel refuses namespaces,
    exits 77 after saying why (ctest SKIP_RETURN_CODE)."""
    if os.environ.get(MARK) == "inside":
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=755", "tmpfs", "/run"], check=True)
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        return
    probe = subprocess.run(UNSHARE + ["-n", "true"], stderr=subprocess.PIPE)
    if probe.returncode != 0:
        print("SKIP: the kernel refuses network/mount/PID namespaces: %s"
              % probe.stderr.decode(errors="replace").strip())
        sys.exit(77)
    os.environ[MARK] = "inside"
    # exec, not a child: a ctest timeout SIGKILLs unshare itself, which
    # takes the script inside with it (--kill-child), and with it, as PID
    # 1 of the namespace, every daemon it started.
    sys.stdout.flush()
    os.execvp("unshare", UNSHARE + ["-n", sys.executable] + sys.argv)


def wait_for(what, predicate, timeout=30, interval=0.05):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError("timed out after %ds waiting for %s" % (timeout, what))


AVAHI_CONF = """[server]
host-name=%(host)s
use-ipv4=yes
use-ipv6=no
allow-interfaces=%(interfaces)s
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
publish-aaaa-on-ipv4=no
[reflector]
[rlimits]
"""


class Mdns:
    """A private D-Bus system bus at /run/dbus/system_bus_socket (inside the
    private /run) and an avahi-daemon on it, restricted to `interfaces`."""

    def __init__(self, host="montest", interfaces="lo"):
        self.dir = tempfile.mkdtemp(prefix="automon-mdns-")
        self.host = host
        self.conf = os.path.join(self.dir, "avahi-daemon.conf")
        with open(self.conf, "w") as f:
            f.write(AVAHI_CONF % {"host": host, "interfaces": interfaces})
        self.bus_pid = None
        self.avahi = None
        self.log_path = os.path.join(self.dir, "avahi.log")
        self.socket = "/run/dbus/system_bus_socket"

    def start_bus(self):
        os.makedirs("/run/dbus", exist_ok=True)
        out = subprocess.run([DBUS_DAEMON, "--system", "--address=unix:path=" + self.socket,
                              "--nopidfile", "--fork", "--print-pid"],
                             stdout=subprocess.PIPE, check=True, timeout=30)
        self.bus_pid = int(out.stdout.split()[0])
        wait_for("the D-Bus socket", lambda: os.path.exists(self.socket))

    def start_avahi(self):
        os.makedirs("/run/avahi-daemon", exist_ok=True)
        log = open(self.log_path, "ab")
        self.avahi = subprocess.Popen(
            [AVAHI_DAEMON, "-f", self.conf, "--no-rlimits", "--no-drop-root", "--no-chroot",
             "--no-proc-title"], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        # Running once the host name is established on the interface.
        wait_for("avahi-daemon to run", lambda: "Server startup complete" in self.log()
                 and self.avahi.poll() is None, timeout=30)

    def stop_avahi(self):
        if self.avahi and self.avahi.poll() is None:
            self.avahi.send_signal(signal.SIGTERM)
            self.avahi.wait(timeout=20)
        self.avahi = None

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def cleanup(self):
        self.stop_avahi()
        if self.bus_pid:
            try:
                os.kill(self.bus_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            self.bus_pid = None
            try:
                os.unlink(self.socket)
            except FileNotFoundError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)
