#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Discovery against a real avahi-daemon: automon-registrar serve announces
_automon._tcp, automon-agent with `registrar = auto` finds it and pushes.

Runs in network and mount namespaces of its own (only loopback, a private
/run, a private D-Bus system bus and avahi-daemon; tests/avahi/mdns.py), so
no mDNS packet leaves the test. Covered: discovery end to end with the
daemon (a new file becomes active, a deleted one goes, the latency is
printed), an avahi-daemon restart (the registrar announces again and is
found again), a registrar restart, two registrars both receiving the
pushes (their second name chosen on collision), a registrar down for a
while then back, a registrar that boots after the agent, a forged announcement whose TXT fingerprint does not
match the key (refused), a registrar with its own key announced after the
agent pinned the real one (gets nothing, no ticket either), D-Bus without avahi-daemon (serve warns once and
announces when the daemon comes), and no D-Bus at all (serve warns once
and serves; the agent says so once and stays quiet).

usage: discovery_test.py --registrar PATH --agent PATH
"""

import os
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "ssh"))
import mdns  # noqa: E402
import ssh_e2e_test as e2e  # noqa: E402

wait_for = mdns.wait_for
FAST = ["--start-jitter", "0", "--debounce", "200", "--retry-base", "500"]


class Registrar(e2e.Registrar):
    """e2e.Registrar with extra serve arguments and environment."""

    def __init__(self, policy="open", serve_args=(), env=None):
        super().__init__(policy)
        self.serve_args = list(serve_args)
        self.run_env = env

    def start(self):
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [e2e.ARGS.registrar, "--config", self.env.config, "serve"] + self.serve_args,
                stdout=log, stderr=subprocess.STDOUT, env=self.run_env)
        wait_for("the registrar to listen", lambda: e2e._banner(self.port)
                 or self.process.poll() is not None, timeout=20)
        if self.process.poll() is not None:
            raise RuntimeError("registrar did not start:\n" + self.read_log())

    def announced(self, times=1):
        return self.read_log().count("announced '") >= times

    def registered(self, host, service):
        text = self.env.host_file(host) or ""
        return ("_AUTOMON_SERVICE        %s\n" % service) in text


class Agent(e2e.Agent):
    """e2e.Agent whose agent.conf says `registrar = auto`."""

    def write_config(self, registrar=None, extra=""):
        with open(self.config, "w") as f:
            f.write("[agent]\nregistrar = auto\ndiscovery_timeout = 5\nname = %s\n"
                    "address = 127.0.0.1\ndirectory = %s\nkey = %s\nstate_dir = %s/state\n%s"
                    % (self.name, self.defs, self.key, self.dir, extra))

    def write(self, name, port):
        path = os.path.join(self.defs, name)
        with open(path + ".tmp", "w") as f:
            f.write("[%s]\ntype = tcp\nport = %d\n" % (name, port))
        os.rename(path + ".tmp", path)
        return path


class DiscoveryTest(unittest.TestCase):
    def setUp(self):
        self.mdns = mdns.Mdns()
        self.addCleanup(self.mdns.cleanup)
        self.mdns.start_bus()
        self.mdns.start_avahi()

    def registrar(self, **kw):
        r = Registrar(**kw)
        self.addCleanup(r.cleanup)
        r.start()
        return r

    def agent(self):
        a = Agent(None)
        self.addCleanup(a.cleanup)
        return a

    def daemon(self, agent, env=None, extra=()):
        d = e2e.Daemon(agent, extra, env=env, fast=FAST)
        self.addCleanup(d.stop)
        return d

    def test_discovery_end_to_end_with_the_daemon(self):
        r = self.registrar()
        wait_for("the announcement", r.announced)
        self.assertIn("_automon._tcp port %d" % r.port, r.read_log())
        a = self.agent()
        code, out, err = a.run("enroll")
        self.assertEqual(code, 0, out + err)
        self.assertIn("registrar = auto: found 127.0.0.1:%d ('automon registrar on montest')"
                      % r.port, out)
        self.assertIn("(as its mDNS announcement advertises)", err)
        d = self.daemon(a)
        wait_for("the first registration", lambda: r.registered("web01.example.org", "db"))
        # Idling in the small helper, which maps no libssh, OpenSSL or Avahi.
        exe = os.readlink("/proc/%d/exe" % d.process.pid)
        self.assertTrue(exe.endswith("/automon-agent-run"), exe)
        with open("/proc/%d/maps" % d.process.pid) as f:
            maps = f.read()
        for lib in ("libssh", "libcrypto", "libavahi", "libdbus"):
            self.assertNotIn(lib, maps)
        start = time.time()
        path = a.write("web", 8080)
        wait_for("the new file to be active", lambda: r.registered("web01.example.org", "web"))
        print("latency from a new file to active on the registrar (auto): %.2f s"
              % (time.time() - start))
        os.unlink(path)
        wait_for("the deleted file to be gone",
                 lambda: not r.registered("web01.example.org", "web"))
        self.assertTrue(r.registered("web01.example.org", "db"))
        ok, output = r.env.verify_live()
        self.assertTrue(ok, output)
        d.stop()
        self.assertEqual(d.process.returncode, 0, d.output())

    def test_in_process_daemon_when_the_helper_is_not_used(self):
        r = self.registrar()
        wait_for("the announcement", r.announced)
        a = self.agent()
        self.assertEqual(a.run("enroll")[0], 0)
        d = self.daemon(a, extra=["--in-process", "1"])
        wait_for("the first registration", lambda: r.registered("web01.example.org", "db"))
        self.assertTrue(os.readlink("/proc/%d/exe" % d.process.pid).endswith("/automon-agent"))
        a.write("web", 8080)
        wait_for("the new file", lambda: r.registered("web01.example.org", "web"))
        d.process.send_signal(signal.SIGHUP)
        wait_for("the reload", lambda: "reading " + a.config in d.output())
        d.stop()
        self.assertEqual(d.process.returncode, 0, d.output())

    def test_avahi_daemon_restart(self):
        r = self.registrar()
        wait_for("the announcement", r.announced)
        self.mdns.stop_avahi()
        wait_for("the registrar to notice", lambda: "avahi-daemon connection lost" in r.read_log())
        self.mdns.start_avahi()
        wait_for("the announcement again", lambda: r.announced(2))
        self.assertIn("avahi-daemon is reachable now", r.read_log())
        a = self.agent()  # fresh state: nothing remembered, only mDNS
        code, out, err = a.run("enroll")
        self.assertEqual(code, 0, out + err)
        code, out, err = a.run("push")
        self.assertEqual(code, 0, out + err)
        self.assertIn("found 127.0.0.1:%d" % r.port, out)
        self.assertTrue(r.registered("web01.example.org", "db"))
        self.assertEqual(r.read_log().count("warning:"), 0, r.read_log())

    def test_registrar_restart(self):
        r = self.registrar()
        wait_for("the announcement", r.announced)
        a = self.agent()
        self.assertEqual(a.run("enroll")[0], 0)
        d = self.daemon(a)
        wait_for("the first registration", lambda: r.registered("web01.example.org", "db"))
        r.stop()
        r.start()
        wait_for("the announcement after the restart", lambda: r.announced(2))
        a.write("after", 8081)
        wait_for("the file added after the restart",
                 lambda: r.registered("web01.example.org", "after"), timeout=30)
        self.assertNotIn("WARNING", d.output())

    def test_two_registrars_both_receive_pushes(self):
        r1 = self.registrar()
        wait_for("the first announcement", r1.announced)
        r2 = self.registrar()
        wait_for("the second announcement", r2.announced)
        # Same host, same default name: the second one takes "#2".
        self.assertIn("'automon registrar on montest #2'", r2.read_log())
        a = self.agent()
        code, out, err = a.run("enroll")
        self.assertEqual(code, 0, out + err)
        d = self.daemon(a)
        for r in (r1, r2):
            wait_for("registration on both", lambda: r.registered("web01.example.org", "db"))
        a.write("web", 8080)
        for r in (r1, r2):
            wait_for("the new file on both", lambda: r.registered("web01.example.org", "web"))
        self.assertIn("127.0.0.1:%d: " % r1.port, d.output())
        self.assertIn("127.0.0.1:%d: " % r2.port, d.output())

    def test_registrar_down_for_a_while_then_back(self):
        r = self.registrar()
        wait_for("the announcement", r.announced)
        a = self.agent()
        self.assertEqual(a.run("enroll")[0], 0)
        d = self.daemon(a)
        wait_for("the first registration", lambda: r.registered("web01.example.org", "db"))
        r.stop()
        a.write("late", 8082)
        wait_for("a failed attempt", lambda: "retry" in d.output(), timeout=30)
        time.sleep(3)
        back = time.time()
        r.start()
        wait_for("the registration once the registrar is back",
                 lambda: r.registered("web01.example.org", "late"), timeout=30)
        # Within one backoff period: a few seconds at this point, not minutes.
        self.assertLess(time.time() - back, 12, d.output())

    def test_registrar_that_boots_after_the_agent(self):
        r = self.registrar()
        wait_for("the announcement", r.announced)
        a = self.agent()
        self.assertEqual(a.run("enroll")[0], 0)  # enrolls, pushes nothing
        r.stop()
        d = self.daemon(a)
        wait_for("the notice", lambda: "no registrar announced" in d.output())
        time.sleep(2)
        self.assertEqual(d.output().count("no registrar announced"), 1, d.output())
        back = time.time()
        r.start()
        wait_for("the registration once the registrar is announced",
                 lambda: r.registered("web01.example.org", "db"), timeout=30)
        # Looked for again with the push backoff: seconds at this point.
        self.assertLess(time.time() - back, 12, d.output())

    def test_forged_fingerprint_is_refused(self):
        # A real registrar, not announcing itself; a forged announcement for
        # its port with another key's fingerprint.
        r = self.registrar(serve_args=["--no-announce"])
        forged = "SHA256:" + "A" * 43
        pub = subprocess.Popen(["avahi-publish", "-s", "forged registrar", "_automon._tcp",
                                str(r.port), "version=1", "fingerprint=" + forged,
                                "backend=nagios"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(lambda: (pub.kill(), pub.wait()))
        a = self.agent()
        wait_for("the forged service", lambda: "forged" in subprocess.run(
            ["avahi-browse", "-tp", "_automon._tcp"], stdout=subprocess.PIPE,
            timeout=20).stdout.decode(errors="replace"), timeout=20)
        code, out, err = a.run("enroll")
        self.assertNotEqual(code, 0)
        self.assertIn("but its mDNS announcement advertises " + forged, err)
        self.assertIn("Refusing to trust the key on first use", err)
        self.assertFalse(os.path.exists(os.path.join(a.dir, "state", "known",
                                                     "127.0.0.1_%d" % r.port)))
        code, out, _ = r.admin("pending")
        self.assertNotIn("web01.example.org", out)

    def test_rogue_registrar_announced_after_pinning_gets_nothing(self):
        real = self.registrar()
        wait_for("the announcement", real.announced)
        a = self.agent()
        self.assertEqual(a.run("enroll")[0], 0)
        code, out, err = a.run("push")
        self.assertEqual(code, 0, out + err)
        self.assertTrue(real.registered("web01.example.org", "db"), out + err)
        # Another registrar with a key of its own announces itself on the
        # LAN (an open policy: it would take anything it is sent).
        rogue = self.registrar()
        wait_for("the rogue announcement", rogue.announced)
        self.assertNotEqual(rogue.port, real.port)
        a.write("web", 8080)
        code, out, err = a.run("push")
        self.assertEqual(code, 0, out + err)
        self.assertIn("not using 127.0.0.1:%d" % rogue.port, out)
        self.assertIn("not pinned", out)
        self.assertTrue(real.registered("web01.example.org", "web"), out + err)
        self.assertIsNone(rogue.env.host_file("web01.example.org"))
        self.assertFalse(os.path.exists(os.path.join(a.dir, "state", "known",
                                                     "127.0.0.1_%d" % rogue.port)))
        code, pending, _ = rogue.admin("pending")
        self.assertNotIn("web01.example.org", pending)
        # Nor a ticket.
        code, out, err = a.run("enroll", "--ticket", "T-secret")
        self.assertNotIn("127.0.0.1:%d" % rogue.port, err)
        self.assertNotIn("T-secret", rogue.read_log())

    def test_dbus_without_avahi_daemon_then_it_comes(self):
        self.mdns.stop_avahi()
        r = self.registrar()
        wait_for("the warning", lambda: "warning:" in r.read_log())
        self.assertIn("avahi-daemon is not running; serving without the mDNS announcement",
                      r.read_log())
        self.mdns.start_avahi()
        wait_for("the announcement once avahi-daemon runs", r.announced)
        self.assertEqual(r.read_log().count("warning:"), 1, r.read_log())

    def test_no_dbus_at_all(self):
        self.mdns.cleanup()  # no avahi-daemon, no system bus
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/run/automon-no-such-bus")
        r = self.registrar(env=env)
        wait_for("the warning", lambda: "warning:" in r.read_log())
        time.sleep(0.5)
        log = r.read_log()
        self.assertEqual(log.count("warning:"), 1, log)
        self.assertIn("warning: cannot reach avahi-daemon over D-Bus", log)
        # It serves: a configured agent needs no Avahi at all.
        configured = e2e.Agent(r)
        self.addCleanup(configured.cleanup)
        code, out, err = configured.run("hello")
        self.assertEqual(code, 0, out + err)
        # An agent with `registrar = auto` says why it does nothing, once.
        a = self.agent()
        p = subprocess.run([e2e.ARGS.agent, "--config", a.config, "push", "--dpkg-admindir",
                            os.path.join(a.dir, "dpkg")], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 0, out + p.stderr.decode())
        self.assertIn("registrar = auto: avahi-daemon is not reachable", out)
        self.assertEqual(p.stderr.decode(), "")
        d = self.daemon(a, env=env)
        wait_for("the notice", lambda: "avahi-daemon is not reachable" in d.output())
        a.write("web", 8080)
        a.write("web2", 8081)
        time.sleep(1.5)
        self.assertIsNone(d.process.poll())
        self.assertEqual(d.output().count("avahi-daemon is not reachable"), 1, d.output())
        self.assertNotIn("retry", d.output())
        d.stop()
        self.assertEqual(d.process.returncode, 0)


def main():
    mdns.enter_private_namespaces()
    e2e.main()


if __name__ == "__main__":
    main()
