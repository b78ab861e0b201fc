#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""End to end over SSH on 127.0.0.1: automon-registrar serve, automon-agent
enroll/push, OpenSSH's ssh, and a private Nagios configuration verified
with the real nagios4 -v (tests/registrar/regtest.py).

Each enrollment policy, pinning of the registrar's key, a key that tries
to register another host, and the OpenSSH client as a plain transport.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "registrar"))
import regtest  # noqa: E402

ARGS = None
# `automon-agent run` timings that let a test see a change within a second.
FAST = ["--start-jitter", "0", "--debounce", "300", "--retry-base", "500"]


def _banner(port):
    """True once something on 127.0.0.1:port speaks SSH."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            return s.recv(4).startswith(b"SSH-")
    except OSError:
        return False


free_port = regtest.free_port


class Registrar:
    """automon-registrar serve on 127.0.0.1 with a private Nagios config."""

    def __init__(self, policy, extra="", quiet_period=0, keep_localhost=False):
        self.env = regtest.NagiosEnv(ARGS.registrar, quiet_period=quiet_period,
                                     keep_localhost=keep_localhost)
        self.port = free_port()
        # The [registrar] section is the first one of registrar.conf; add our keys to it.
        with open(self.env.config) as f:
            text = f.read()
        text = text.replace("[registrar]\n", "[registrar]\nlisten = 127.0.0.1:%d\nenrollment = %s\n%s"
                            % (self.port, policy, extra), 1)
        with open(self.env.config, "w") as f:
            f.write(text)
        self.process = None
        self.log = os.path.join(self.env.dir, "serve.log")

    def start(self):
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [ARGS.registrar, "--config", self.env.config, "serve"],
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(4).startswith(b"SSH-"):
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("registrar did not start:\n" + self.read_log())

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=20)

    def read_log(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def admin(self, *args):
        return self.env.run(*args)

    def cleanup(self):
        self.stop()
        self.env.cleanup()


class Agent:
    """automon-agent with its own key, state and definitions."""

    def __init__(self, registrar, name="web01.example.org", tcp_port=9):
        self.dir = tempfile.mkdtemp(prefix="automon-agent-")
        self.name = name
        self.defs = os.path.join(self.dir, "monitoring-info")
        os.makedirs(self.defs)
        with open(os.path.join(self.defs, "db"), "w") as f:
            f.write("[db]\ntype = tcp\nport = %d\n" % tcp_port)
        with open(os.path.join(self.dir, "dpkg-status"), "w") as f:
            f.write("")
        os.makedirs(os.path.join(self.dir, "dpkg"))
        shutil.move(os.path.join(self.dir, "dpkg-status"), os.path.join(self.dir, "dpkg", "status"))
        self.key = os.path.join(self.dir, "agent_key")
        self.config = os.path.join(self.dir, "agent.conf")
        self.write_config(registrar)

    def write_config(self, registrar, extra=""):
        with open(self.config, "w") as f:
            f.write("[agent]\nregistrar = 127.0.0.1:%d\nname = %s\naddress = 127.0.0.1\n"
                    "directory = %s\nkey = %s\nstate_dir = %s/state\n%s"
                    % (registrar.port, self.name, self.defs, self.key, self.dir, extra))

    def run(self, *args):
        argv = [ARGS.agent, "--config", self.config] + list(args)
        if args and args[0] == "push":
            argv += ["--dpkg-admindir", os.path.join(self.dir, "dpkg")]
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Daemon:
    """automon-agent run for `agent` with `fast` timings, its output in a file."""

    def __init__(self, agent, extra=(), env=None, fast=FAST):
        self.out = os.path.join(agent.dir, "daemon.out")
        with open(self.out, "wb") as out:
            self.process = subprocess.Popen(
                [ARGS.agent, "--config", agent.config, "run", "--dpkg-admindir",
                 os.path.join(agent.dir, "dpkg")] + list(fast) + list(extra),
                stdout=out, stderr=subprocess.STDOUT, env=env)

    def output(self):
        with open(self.out, errors="replace") as f:
            return f.read()

    def stop(self):
        regtest.stop(self.process)


class DaemonTestCase(unittest.TestCase):
    """A registrar with open enrollment and an agent enrolled with it; start()
    runs the agent's daemon (self.daemon), stopped when the test ends."""

    def setUp(self):
        self.registrar = Registrar("open")
        self.addCleanup(self.registrar.cleanup)
        self.registrar.start()
        self.agent = Agent(self.registrar)
        self.addCleanup(self.agent.cleanup)
        self.assertEqual(self.agent.run("enroll")[0], 0)
        self.daemon = None

    def start(self, *extra):
        run = Daemon(self.agent, extra)
        self.addCleanup(run.stop)
        self.out = run.out
        self.daemon = run.process

    def output(self):
        with open(self.out, errors="replace") as f:
            return f.read()


class SshTest(unittest.TestCase):
    def setUp(self):
        self.cleanups = []

    def tearDown(self):
        for c in reversed(self.cleanups):
            c()

    def registrar(self, policy, extra="", keep_localhost=False):
        r = Registrar(policy, extra, keep_localhost=keep_localhost)
        self.cleanups.append(r.cleanup)
        r.start()
        return r

    def agent(self, registrar, **kw):
        a = Agent(registrar, **kw)
        self.cleanups.append(a.cleanup)
        return a

    def assert_registered(self, registrar, host):
        code, out, err = registrar.admin("hosts")
        self.assertEqual(code, 0, err)
        self.assertIn(host, out)
        ok, output = registrar.env.verify_live()
        self.assertTrue(ok, output)
        self.assertIn("define host", registrar.env.host_file(host) or "")

    def test_open_enrollment_then_push(self):
        r = self.registrar("open")
        a = self.agent(r)
        code, out, err = a.run("hello")
        self.assertEqual(code, 0, err)
        self.assertIn("enrolled as: (not enrolled)", out)
        self.assertIn("trusting registrar 127.0.0.1:%d on first use" % r.port, err)
        code, out, err = a.run("enroll")
        self.assertEqual(code, 0, out + err)
        self.assertIn("web01.example.org enrolled (open enrollment)", out)
        code, out, err = a.run("push")
        self.assertEqual(code, 0, out + err)
        self.assertIn("db", out)
        self.assert_registered(r, "web01.example.org")
        code, out, _ = a.run("status")
        self.assertIn("(trusted on first use)", out)
        self.assertIn("exit = 0", out)
        self.assertIn("audit: event=enroll-accepted host=web01.example.org", r.read_log())

    def test_deregister_then_register_again(self):
        # Nagios refuses a configuration without any host, so keep Debian's
        # localhost, as on a real server.
        r = self.registrar("open", keep_localhost=True)
        a = self.agent(r)
        self.assertEqual(a.run("enroll")[0], 0)
        self.assertEqual(a.run("push")[0], 0)
        code, out, err = a.run("deregister")
        self.assertEqual(code, 0, out + err)
        code, out, _ = r.admin("hosts")
        self.assertNotIn("web01.example.org", out)
        self.assertIsNone(r.env.host_file("web01.example.org"))
        # The host left on its own: no tombstone, it may come back.
        code, out, err = a.run("push")
        self.assertEqual(code, 0, out + err)
        self.assert_registered(r, "web01.example.org")

    def test_ticket_enrollment(self):
        r = self.registrar("ticket")
        a = self.agent(r)
        code, out, err = a.run("enroll")
        self.assertNotEqual(code, 0)
        self.assertIn("enrollment needs a ticket", err)
        code, ticket, err = r.admin("ticket", "web01.example.org", "--valid", "1h")
        self.assertEqual(code, 0, err)
        ticket = ticket.strip()
        code, _, err = r.admin("ticket", "db01.example.org")
        self.assertEqual(code, 0, err)
        code, out, err = a.run("enroll", "--ticket", "not-the-ticket")
        self.assertNotEqual(code, 0)
        self.assertIn("the ticket is not the one issued for web01.example.org", err)
        code, out, err = a.run("enroll", "--ticket", ticket)
        self.assertEqual(code, 0, out + err)
        code, out, err = a.run("push")
        self.assertEqual(code, 0, out + err)
        self.assert_registered(r, "web01.example.org")

    def pending_json(self, out):
        """(host, replaces_enrolled_key) of `pending --json`, after checking
        every key of the schema in automon-registrar(8), JSON OUTPUT."""
        doc = json.loads(out)
        self.assertEqual(doc["version"], 1)
        for k in doc["pending"]:
            self.assertEqual(sorted(k), ["fingerprint", "host", "peer", "replaces_enrolled_key",
                                         "since"])
            self.assertTrue(k["fingerprint"].startswith("SHA256:"), k)
            self.assertTrue(k["peer"].startswith("127.0.0.1"), k)
            self.assertIsInstance(k["since"], str)
            self.assertIsInstance(k["replaces_enrolled_key"], bool)
        return [(k["host"], k["replaces_enrolled_key"]) for k in doc["pending"]]

    def test_manual_enrollment(self):
        r = self.registrar("manual")
        a = self.agent(r)
        code, out, err = a.run("enroll")
        self.assertEqual(code, 1, out + err)
        self.assertIn("waits for an administrator", out)
        code, out, err = a.run("push")
        self.assertNotEqual(code, 0)
        self.assertIn("not enrolled", err)
        code, out, err = r.admin("pending")
        self.assertEqual(code, 0, err)
        self.assertIn("web01.example.org", out)
        code, out, err = r.admin("pending", "--json")
        self.assertEqual(code, 0, err)
        self.assertEqual(self.pending_json(out), [("web01.example.org", False)])
        code, out, err = r.admin("accept", "web01.example.org")
        self.assertEqual(code, 0, out + err)
        code, out, err = a.run("push")
        self.assertEqual(code, 0, out + err)
        self.assert_registered(r, "web01.example.org")
        # A second machine claiming the same name waits for --replace.
        b = self.agent(r)
        code, out, err = b.run("enroll")
        self.assertEqual(code, 1, out + err)
        self.assertIn("--replace", out)
        code, out, err = r.admin("pending", "--json")
        self.assertEqual(code, 0, err)
        self.assertEqual(self.pending_json(out), [("web01.example.org", True)])
        code, out, err = r.admin("reject", "web01.example.org")
        self.assertEqual(code, 0, out + err)

    def test_key_cannot_register_another_host(self):
        r = self.registrar("open")
        a = self.agent(r, name="web01.example.org")
        self.assertEqual(a.run("enroll")[0], 0)
        # The same key, now claiming to be db01: the snapshot names db01,
        # the key speaks for web01 only.
        a.name = "db01.example.org"
        a.write_config(r)
        code, out, err = a.run("push")
        self.assertNotEqual(code, 0)
        self.assertIn("refused", out + err)
        code, out, _ = r.admin("hosts")
        self.assertNotIn("db01.example.org", out)

    def test_swapped_registrar_key_is_refused(self):
        r = self.registrar("open")
        a = self.agent(r)
        self.assertEqual(a.run("enroll")[0], 0)
        r.stop()
        os.unlink(os.path.join(r.env.state_dir, "ssh_host_ed25519_key"))
        r.start()  # a new host key, as an impostor would have
        code, out, err = a.run("push")
        self.assertNotEqual(code, 0)
        self.assertIn("WARNING: THE IDENTIFICATION OF REGISTRAR 127.0.0.1:%d HAS CHANGED!" % r.port,
                      err)
        self.assertIn("/state/known/127.0.0.1_%d" % r.port, err)
        code, out, _ = r.admin("hosts")
        self.assertNotIn("web01.example.org", out)

    def test_openssh_client_registers(self):
        r = self.registrar("open")
        a = self.agent(r)
        self.assertEqual(a.run("enroll")[0], 0)
        snapshot = subprocess.run(
            [ARGS.agent, "--config", a.config, "snapshot", "--dpkg-admindir",
             os.path.join(a.dir, "dpkg")], stdout=subprocess.PIPE, check=True).stdout
        p = subprocess.run(
            ["ssh", "-F", "none", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
             "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o",
             "IdentitiesOnly=yes", "-i", a.key, "-p", str(r.port), "automon@127.0.0.1",
             "register"], input=snapshot, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assert_registered(r, "web01.example.org")

    def test_hostile_clients_leave_the_registrar_serving(self):
        r = self.registrar("open")
        a = self.agent(r)
        # Garbage instead of SSH, and a client that never speaks.
        with socket.create_connection(("127.0.0.1", r.port)) as s:
            s.sendall(b"\x00\xffGET / HTTP/1.0\r\n\r\n" * 10)
        silent = socket.create_connection(("127.0.0.1", r.port))
        self.cleanups.append(silent.close)
        # A shell, a pty, a password.
        base = ["ssh", "-F", "none", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-p", str(r.port)]
        self.assertEqual(a.run("enroll")[0], 0)
        for extra in (["-i", a.key, "-T", "automon@127.0.0.1"],
                      ["-i", a.key, "-tt", "automon@127.0.0.1"],
                      ["-i", a.key, "automon@127.0.0.1", "sh", "-c", "id"],
                      ["-o", "PubkeyAuthentication=no", "-o",
                       "PreferredAuthentications=password", "automon@127.0.0.1", "hello"]):
            p = subprocess.run(base + extra, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=60)
            self.assertNotEqual(p.returncode, 0, extra)
        code, out, err = a.run("push")
        self.assertEqual(code, 0, out + err)
        self.assert_registered(r, "web01.example.org")


def main():
    """Reads --registrar and --agent into ARGS and runs the unittest classes
    of the calling script (the suites that import this module call it too)."""
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrar", required=True)
    parser.add_argument("--agent", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(module="__main__", argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
