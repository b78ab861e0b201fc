#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Two machines simulated by network namespaces (issue 8, item 3): nothing
but discovery tells the agent where the registrar is.

  monitor  (netns monitor-PID, veth 10.77.0.1): a private D-Bus system bus,
           avahi-daemon, `automon-registrar serve` (ticket enrollment, the
           default listen address) and a real Nagios 4 core on a private
           configuration (tests/registrar/regtest.py);
  host     (netns host-PID, veth 10.77.0.2): a private D-Bus system bus,
           avahi-daemon, the fake Guacamole server (tests/guacamole) with 3
           active sessions, and `automon-agent run` with `registrar = auto`
           and a `guacamole` definition.

The agent discovers the registrar over mDNS, enrolls with a ticket
(`automon-agent enroll --ticket`, also through discovery), registers, and
Nagios runs check_guacamole against the host: status.dat must end up with
`Apache Guacamole Active Sessions: 3` for that service. No registrar
address is configured anywhere; the monitor resolves the host's name
through an /etc/hosts of its own (bind-mounted in its mount namespace),
which stands in for the site's DNS.

The whole test runs in a PID and a mount namespace that die with it, even
on a SIGKILL (a ctest timeout); stale namespaces of an earlier, killed run
(an older version) are removed first.
Each machine is a holder process in its own network and mount namespaces
(a tmpfs over /run, so avahi-daemon's fixed paths are private); commands
run in it through nsenter. Namespaces, veth and every process are removed
at the end, pass or fail. Built binaries, not packages.

usage: twohost_test.py --registrar PATH --agent PATH --check-guacamole PATH
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "avahi"))
sys.path.insert(0, os.path.join(HERE, "..", "registrar"))
import mdns  # noqa: E402
import regtest  # noqa: E402

HOST_NAME = "guachost.example.org"
SERVICE = "Guacamole sessions"
EXPECTED = "Apache Guacamole Active Sessions: 3"


def run(*argv, check=True, **kw):
    return subprocess.run(list(argv), check=check, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60, **kw)


class Machine:
    """A network namespace with one end of the veth pair, and a holder
    process whose mount namespace has a private /run (and, optionally, a
    private /etc/hosts)."""

    def __init__(self, name, workdir, hosts_file=None):
        self.name = name
        self.dir = os.path.join(workdir, name)
        os.makedirs(self.dir)
        run("ip", "netns", "add", name)
        self.holder = None
        self.hosts_file = hosts_file
        self.processes = []

    def start_holder(self):
        script = "mount -t tmpfs -o mode=755 tmpfs /run && mkdir -p /run/dbus /run/avahi-daemon"
        if self.hosts_file:
            script += " && mount --bind %s /etc/hosts" % self.hosts_file
        script += " && echo ready && exec sleep 100000"
        self.holder = subprocess.Popen(
            ["ip", "netns", "exec", self.name, "unshare", "--mount", "--propagation", "private",
             "sh", "-c", script], stdout=subprocess.PIPE)
        line = self.holder.stdout.readline()
        if line.strip() != b"ready":
            raise RuntimeError("the %s namespace did not come up" % self.name)

    def argv(self, *argv):
        return ["nsenter", "-t", str(self.holder.pid), "-n", "-m", "--"] + list(argv)

    def run(self, *argv, **kw):
        return run(*self.argv(*argv), **kw)

    def spawn(self, *argv, log=None, env=None):
        out = open(log, "ab") if log else subprocess.DEVNULL
        p = subprocess.Popen(self.argv(*argv), stdout=out, stderr=subprocess.STDOUT, env=env)
        if log:
            out.close()
        self.processes.append(p)
        return p

    def start_mdns(self, interface):
        conf = os.path.join(self.dir, "avahi-daemon.conf")
        with open(conf, "w") as f:
            f.write(mdns.AVAHI_CONF % {"host": self.name.split("-")[0], "interfaces": interface})
        self.bus = self.spawn(mdns.DBUS_DAEMON, "--system",
                              "--address=unix:path=/run/dbus/system_bus_socket", "--nofork",
                              "--nopidfile")
        mdns.wait_for("the %s D-Bus" % self.name, lambda: self.run(
            "test", "-S", "/run/dbus/system_bus_socket", check=False).returncode == 0)
        self.avahi_log = os.path.join(self.dir, "avahi.log")
        self.spawn(mdns.AVAHI_DAEMON, "-f", conf, "--no-rlimits", "--no-drop-root", "--no-chroot",
                   "--no-proc-title", log=self.avahi_log)
        mdns.wait_for("the %s avahi-daemon" % self.name,
                      lambda: "Server startup complete" in read(self.avahi_log))

    def cleanup(self):
        for p in reversed(self.processes):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if self.holder and self.holder.poll() is None:
            self.holder.kill()
            self.holder.wait()
        run("ip", "netns", "del", self.name, check=False)


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except FileNotFoundError:
        return ""


GUAC_SERVER = """
import sys
sys.path.insert(0, %(dir)r)
import fake_guacamole
from http.server import ThreadingHTTPServer

class AnyAddress(ThreadingHTTPServer):
    # The fake binds 127.0.0.1; this one is reached from the monitor over
    # the veth pair, inside a namespace that has nothing else.
    def __init__(self, address, handler):
        super().__init__(("0.0.0.0", address[1]), handler)

fake_guacamole.ThreadingHTTPServer = AnyAddress
fake_guacamole.main(sys.argv[1:])
"""


INSIDE = "AUTOMON_TWOHOST_ID"


def remove_stale_namespaces():
    """Deletes the monitor-PID/host-PID network namespaces that an earlier
    run killed before its cleanup left behind (its PID is gone)."""
    try:
        names = os.listdir("/run/netns")
    except FileNotFoundError:
        return
    for name in names:
        kind, _, pid = name.partition("-")
        if kind in ("monitor", "host") and pid.isdigit() and not os.path.exists(
                "/proc/" + pid):
            print("removing the stale network namespace " + name)
            run("ip", "netns", "del", name, check=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrar", required=True)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--check-guacamole", required=True)
    args = parser.parse_args()
    # nsenter's mount namespace change leaves no working directory behind.
    args.registrar, args.agent = os.path.abspath(args.registrar), os.path.abspath(args.agent)
    if os.environ.get(INSIDE) is None:
        remove_stale_namespaces()
        probe = run(*(mdns.UNSHARE + ["-n", "true"]), check=False)
        if probe.returncode != 0:
            print("SKIP: the kernel refuses namespaces: " + probe.stderr.decode().strip())
            return 77
        # Everything below runs in a PID namespace that dies with unshare
        # (a ctest timeout SIGKILL included), and in a mount namespace of
        # its own, so the named network namespaces (bind mounts under
        # /run/netns) vanish with it too.
        os.environ[INSIDE] = str(os.getpid())
        sys.stdout.flush()
        os.execvp("unshare", mdns.UNSHARE + [sys.executable] + sys.argv)

    suffix = os.environ[INSIDE]
    work = tempfile.mkdtemp(prefix="automon-twohost-")
    os.chmod(work, 0o755)
    machines = []
    env = None
    ok = False
    try:
        hosts = os.path.join(work, "monitor-hosts")
        with open("/etc/hosts") as f, open(hosts, "w") as out:
            out.write(f.read() + "\n10.77.0.2 %s\n" % HOST_NAME)
        monitor = Machine("monitor-" + suffix, work, hosts_file=hosts)
        machines.append(monitor)
        host = Machine("host-" + suffix, work)
        machines.append(host)
        veth_m, veth_h = "am%s" % suffix[-8:], "ah%s" % suffix[-8:]
        run("ip", "link", "add", veth_m, "netns", monitor.name, "type", "veth", "peer", "name",
            veth_h, "netns", host.name)
        for m, dev, addr in ((monitor, veth_m, "10.77.0.1/24"), (host, veth_h, "10.77.0.2/24")):
            run("ip", "-n", m.name, "addr", "add", addr, "dev", dev)
            run("ip", "-n", m.name, "link", "set", dev, "up")
            run("ip", "-n", m.name, "link", "set", "lo", "up")
            m.start_holder()
            m.start_mdns(dev)

        # --- monitor: Nagios core and the registrar -----------------------
        # Debian's localhost stays, so that the core starts before any agent
        # registers (Nagios refuses a configuration without hosts).
        env = regtest.NagiosEnv(args.registrar, reload_core=True, keep_localhost=True,
                                registrar_settings="enrollment = ticket\n")
        lock = env.core_pidfile
        env.use_plugins({"check_guacamole": args.check_guacamole})
        status = os.path.join(env.dir, regtest.RUNTIME_KEYS["status_file"])
        command_file = os.path.join(env.dir, regtest.RUNTIME_KEYS["command_file"])
        # nsenter execs the core in place: its pid is the core's.
        core = monitor.spawn(regtest.NAGIOS, env.nagios_cfg)
        with open(lock, "w") as f:
            f.write(str(core.pid))
        mdns.wait_for("the Nagios core", lambda: any(
            k == "hoststatus" and f.get("host_name") == "localhost"
            for k, f in regtest.status_blocks(status)), timeout=60)
        serve_log = os.path.join(env.dir, "serve.log")
        monitor.spawn(args.registrar, "--config", env.config, "serve", log=serve_log)
        mdns.wait_for("the announcement", lambda: "announced '" in read(serve_log), timeout=30)
        ticket = monitor.run(args.registrar, "--config", env.config, "ticket", HOST_NAME)
        ticket = ticket.stdout.decode().strip()

        # --- host: Guacamole and the agent ---------------------------------
        guac_script = os.path.join(work, "guacamole_server.py")
        with open(guac_script, "w") as f:
            f.write(GUAC_SERVER % {"dir": os.path.join(HERE, "..", "guacamole")})
        port_file = os.path.join(work, "guacamole.port")
        host.spawn(sys.executable, guac_script, "--sessions", "3", "--password", "s3cret",
                   "--port-file", port_file)
        mdns.wait_for("the Guacamole server", lambda: os.path.exists(port_file))
        guac_port = int(read(port_file))
        agent_dir = os.path.join(work, "agent")
        defs = os.path.join(agent_dir, "monitoring-info")
        os.makedirs(os.path.join(agent_dir, "dpkg"))
        os.makedirs(defs)
        with open(os.path.join(agent_dir, "dpkg", "status"), "w") as f:
            f.write("")
        with open(os.path.join(defs, "guacamole"), "w") as f:
            f.write("[guacamole]\ntype = guacamole\ndescription = %s\nport = %d\n"
                    "password = s3cret\n" % (SERVICE, guac_port))
        agent_conf = os.path.join(agent_dir, "agent.conf")
        with open(agent_conf, "w") as f:
            f.write("[agent]\nregistrar = auto\nname = %s\ndirectory = %s\nkey = %s/agent_key\n"
                    "state_dir = %s/state\n" % (HOST_NAME, defs, agent_dir, agent_dir))
        enroll = host.run(args.agent, "--config", agent_conf, "enroll", "--ticket", ticket,
                          check=False)
        print("enroll:", enroll.returncode, enroll.stdout.decode().strip(),
              enroll.stderr.decode().strip())
        assert enroll.returncode == 0, enroll
        assert b"found 10.77.0.1:2222" in enroll.stdout, enroll.stdout
        agent_log = os.path.join(agent_dir, "daemon.out")
        start = time.time()
        host.spawn(args.agent, "--config", agent_conf, "run", "--dpkg-admindir",
                   os.path.join(agent_dir, "dpkg"), "--start-jitter", "0", "--debounce", "200",
                   log=agent_log)
        mdns.wait_for("the registration", lambda: env.host_file(HOST_NAME) is not None,
                      timeout=60)
        print("registered %.2f s after the agent started" % (time.time() - start))

        # --- Nagios runs check_guacamole against the host -------------------
        def force():
            now = int(time.time())
            with open(command_file, "w") as f:
                f.write("[%d] SCHEDULE_FORCED_SVC_CHECK;%s;%s;%d\n" % (now, HOST_NAME, SERVICE, now))

        def result():
            for k, f in regtest.status_blocks(status):
                if (k == "servicestatus" and f.get("host_name") == HOST_NAME and
                        f.get("service_description") == SERVICE and
                        f.get("has_been_checked") == "1"):
                    return f.get("current_state"), f.get("plugin_output", "")
            return None

        def done():
            r = result()
            if r and r[1] == EXPECTED:
                return True
            if os.path.exists(command_file):
                force()
            return False
        try:
            mdns.wait_for("status.dat to show " + EXPECTED, done, timeout=90, interval=1)
        finally:
            print("status.dat:", result())
        assert result() == ("0", EXPECTED), result()
        ok = True
        print("two-host test passed")
    except Exception:
        traceback.print_exc()
        for m in machines:
            print("--- %s avahi log ---\n%s" % (m.name, read(os.path.join(m.dir, "avahi.log"))))
        if env:
            print("--- serve log ---\n" + read(os.path.join(env.dir, "serve.log")))
            print("--- nagios log (tail) ---\n" + read(os.path.join(
                env.dir, regtest.RUNTIME_KEYS["log_file"]))[-3000:])
        print("--- agent log ---\n" + read(os.path.join(work, "agent", "daemon.out")))
    finally:
        for m in reversed(machines):
            m.cleanup()
        if env:
            env.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
