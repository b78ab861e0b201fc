#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Passive results end to end with a real Nagios (issue #15):
automon-registrar serve on 127.0.0.1, a key enrolled by automon-agent,
OpenSSH's ssh as the transport of the `results` command, and a private
nagios4 core started by the test (tests/registrar/regtest.py).

- a result is in status.dat within 2 s;
- a service without results turns UNKNOWN with the stale text after its
  freshness;
- a plugin output holding a newline and `[0] DISABLE_NOTIFICATIONS`
  changes nothing in the core;
- hostile batches (another host, unknown or active service, future time,
  10 MB, 100,000 results, malformed) are each refused clearly, nothing
  reaches the core, and the registrar keeps serving;
- with the core down, results wait in the registrar's queue and the newest
  per service arrives when it is back, never an older one after it;
- the real agent daemon (AgentDaemonTest): a `command` service's result is
  in status.dat within interval + 2 s, the heartbeat and its dependency
  are rendered, a registrar away for two runs gets only the newest result
  when back, and the stopped agent's service turns UNKNOWN after its
  freshness.

usage: passive_nagios_test.py --registrar PATH --agent PATH [unittest args]
"""

import os
import re
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "registrar"))
sys.path.insert(0, os.path.join(HERE, "..", "ssh"))
import regtest  # noqa: E402
import ssh_e2e_test as sshtest  # noqa: E402

HOST = "web01.example.org"
FRESHNESS = 11  # the shortest the format allows: interval 10 < freshness
STALE_TEXT = "No result from %s for %d s (agent silent?)" % (HOST, FRESHNESS)


def escape(text):
    out = []
    for ch in text:
        o = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif o < 0x20 or o == 0x7f:
            out.append("\\x%02x" % o)
        else:
            out.append(ch)
    return "".join(out)


def results_document(results, host=HOST):
    """formats/results.h's document; results: (seq, time, state, service,
    output, long_output, perfdata)."""
    lines = ["automon-results 1 %s %d" % (host, len(results))]
    for seq, t, state, service, output, long_output, perf in results:
        lines.append("\t".join([str(seq), str(t), str(state), escape(service), escape(output),
                                escape(long_output), escape(perf)]))
    lines.append("end %d" % len(results))
    return ("\n".join(lines) + "\n").encode("utf-8")


def snapshot_with_heartbeat(services, heartbeat=10):
    document = regtest.make_snapshot(HOST, services, address="127.0.0.1")
    return document.replace(b"generation = 1\n", b"generation = 1\nheartbeat = %d\n" % heartbeat)


class PassiveRegistrar(sshtest.Registrar):
    """Registrar serve whose registrations reload the core the test starts."""

    def __init__(self):
        self.env = regtest.NagiosEnv(sshtest.ARGS.registrar, reload_core=True)
        self.port = sshtest.free_port()
        with open(self.env.config) as f:
            text = f.read()
        text = text.replace("[registrar]\n", "[registrar]\nlisten = 127.0.0.1:%d\n"
                            "enrollment = open\n" % self.port, 1)
        with open(self.env.config, "w") as f:
            f.write(text)
        self.process = None
        self.log = os.path.join(self.env.dir, "serve.log")
        # Freshness within seconds, not minutes (Debian: 60 s and +15 s).
        self.env.set_nagios_option("service_freshness_check_interval", "1")
        self.env.set_nagios_option("additional_freshness_latency", "0")


class PassiveNagiosTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.core = None
        cls.registrar = PassiveRegistrar()
        cls.agent = sshtest.Agent(cls.registrar, name=HOST)
        try:
            cls.set_up()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def set_up(cls):
        cls.registrar.start()
        code, out, err = cls.agent.run("enroll")
        assert code == 0, out + err
        env = cls.registrar.env
        cls.status = os.path.join(env.dir, regtest.RUNTIME_KEYS["status_file"])
        cls.nagios_log = os.path.join(env.dir, regtest.RUNTIME_KEYS["log_file"])
        services = [
            ("backup", [("type", "command"), ("command", "/usr/lib/nagios/plugins/check_dummy 0"),
                        ("interval", "10"), ("freshness", str(FRESHNESS))]),
            ("raid", [("type", "command"), ("command", "/usr/lib/nagios/plugins/check_dummy 0"),
                      ("interval", "10"), ("freshness", "60")]),
            ("lbsock", [("type", "haproxy"), ("stats", "/run/haproxy/admin.sock")]),
            ("ssh", [("type", "ssh"), ("port", "9")]),
        ]
        p = cls.ssh("register", snapshot_with_heartbeat(services))
        assert p.returncode == 0, p.stdout + p.stderr
        cls.start_core()
        regtest.wait_for("the registration in status.dat", lambda: cls.service("raid"))

    @classmethod
    def tearDownClass(cls):
        try:
            cls.stop_core()
        except Exception:  # noqa: BLE001 - cleaning up whatever happened
            pass
        cls.registrar.cleanup()
        cls.agent.cleanup()

    @classmethod
    def start_core(cls):
        cls.core = cls.registrar.env.start_core()
        regtest.wait_for("the core's status.dat", lambda: any(
            k == "programstatus" and f.get("nagios_pid") == str(cls.core.pid)
            for k, f in regtest.status_blocks(cls.status)))

    @classmethod
    def stop_core(cls):
        regtest.stop(cls.core, timeout=30)
        with open(cls.registrar.env.core_pidfile, "w") as f:
            f.write("")

    @classmethod
    def ssh(cls, command, data):
        return subprocess.run(
            ["ssh", "-F", "none", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
             "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o",
             "IdentitiesOnly=yes", "-i", cls.agent.key, "-p", str(cls.registrar.port),
             "automon@127.0.0.1", command], input=data, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, timeout=120)

    @classmethod
    def service(cls, description):
        for k, f in regtest.status_blocks(cls.status):
            if (k == "servicestatus" and f.get("host_name") == HOST
                    and f.get("service_description") == description):
                return f
        return None

    def replies(self, p):
        """[(sequence, status, detail)] of a results reply."""
        lines = p.stdout.decode().splitlines()
        self.assertTrue(lines and lines[0].startswith("automon-replies 1 "), p.stdout + p.stderr)
        return [tuple(line.split("\t", 2)) for line in lines[1:-1]]

    def passive_log_lines(self):
        with open(self.nagios_log, errors="replace") as f:
            return [l for l in f if "PASSIVE SERVICE CHECK" in l or "EXTERNAL COMMAND" in l]

    def lifecycle_record(self):
        path = os.path.join(self.registrar.env.state_dir, "lifecycle", HOST)
        with open(path) as f:
            return dict(l.split(" = ", 1) for l in f.read().splitlines() if " = " in l)

    def test_0_results_are_a_sign_of_life(self):
        # The snapshot announced the heartbeat: the lifecycle waits 10 min,
        # not 3 rescans; results move last_seen on (at most once a minute).
        before = self.lifecycle_record()
        self.assertEqual(before["heartbeat"], "true")
        time.sleep(1.1)
        now = int(time.time())
        self.assertLess(int(before["last_seen"]), now)
        p = self.ssh("results", results_document([
            (1, now, 0, "automon agent", "automon-agent alive", "", "")]))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertGreaterEqual(int(self.lifecycle_record()["last_seen"]), now)

    def test_1_result_reaches_status_dat_within_two_seconds(self):
        now = int(time.time())
        sent = time.time()
        p = self.ssh("results", results_document([
            (1, now, 1, "raid", "RAID WARNING - 1 disk rebuilding", "disk 1: ok\ndisk 2: rebuild",
             "disks=2;;;0"),
            (2, now, 0, "automon agent", "automon-agent alive", "", "")]))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(self.replies(p), [("1", "accepted", ""), ("2", "accepted", "")])
        f = regtest.wait_for("the result in status.dat", lambda: (
            lambda s: s if s and s.get("plugin_output") == "RAID WARNING - 1 disk rebuilding"
            else None)(self.service("raid")), timeout=10)
        elapsed = time.time() - sent
        print("result in status.dat after %.2f s" % elapsed)
        self.assertLess(elapsed, 2.0 + 1.0)  # + status_update_interval
        self.assertEqual(f["current_state"], "1")
        self.assertEqual(f["long_plugin_output"], "disk 1: ok\\ndisk 2: rebuild")
        self.assertEqual(f["performance_data"], "disks=2;;;0")
        self.assertEqual(self.service("automon agent")["current_state"], "0")

    def test_2_injection_changes_nothing_in_the_core(self):
        before = len(self.passive_log_lines())
        now = int(time.time())
        evil = "OK\n[%d] DISABLE_NOTIFICATIONS\n[0] DISABLE_NOTIFICATIONS" % now
        p = self.ssh("results", results_document([
            (3, now, 0, "raid", "RAID OK [0] DISABLE_NOTIFICATIONS;x", evil, ""),
            (4, now, 0, "lbsock", "[%d] DISABLE_NOTIFICATIONS" % now,
             "\r\n[%d] DISABLE_NOTIFICATIONS\r\n" % now, "a=1\n[0] DISABLE_NOTIFICATIONS")]))
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        regtest.wait_for("both results in the log", lambda: len(self.passive_log_lines()) >= before + 2)
        time.sleep(1.5)
        with open(self.nagios_log, errors="replace") as f:
            log = f.read()
        self.assertNotIn("EXTERNAL COMMAND: DISABLE_NOTIFICATIONS", log)
        self.assertNotIn("Warning: External command", log)
        program = [f for k, f in regtest.status_blocks(self.status) if k == "programstatus"][0]
        self.assertEqual(program["enable_notifications"], "1")
        raid = regtest.wait_for("the injected result", lambda: (
            lambda s: s if s and s.get("plugin_output", "").startswith("RAID OK") else None)(
                self.service("raid")))
        # Nagios itself shows ';' as ':' in status.dat.
        self.assertEqual(raid["plugin_output"], "RAID OK [0] DISABLE_NOTIFICATIONS:x")
        self.assertIn("[%d] DISABLE_NOTIFICATIONS" % now, raid["long_plugin_output"])

    def test_3_hostile_batches_are_refused_and_reach_nothing(self):
        now = int(time.time())
        cases = [
            ("another host", results_document([(10, now, 2, "raid", "HOSTILE", "", "")],
                                              host="db01.example.org"),
             "unknown-service", "this key speaks for web01.example.org, not for db01.example.org"),
            ("unknown service", results_document([(11, now, 2, "nosuch", "HOSTILE", "", "")]),
             "unknown-service", "no service 'nosuch' is registered for web01.example.org"),
            ("active service", results_document([(12, now, 2, "ssh", "HOSTILE", "", "")]),
             "not-passive", "service 'ssh' is checked actively by the server"),
            ("future time", results_document([(13, now + 3600, 2, "raid", "HOSTILE", "", "")]),
             "future", "s ahead of the registrar's clock"),
            ("malformed", b"automon-results 1 web01.example.org 1\nnot a result\nend 1\n",
             "malformed", "expected 7 TAB-separated fields"),
            ("100,000 results", results_document(
                [(i, now, 2, "raid", "HOSTILE", "", "") for i in range(100000)]),
             "malformed", "invalid count '100000' (at most 1000)"),
        ]
        for name, document, status, detail in cases:
            p = self.ssh("results", document)
            self.assertNotEqual(p.returncode, 0, name)
            replies = self.replies(p)
            self.assertTrue(replies, name)
            for reply in replies:
                self.assertEqual(reply[1], status, (name, reply))
                self.assertIn(detail, reply[2], name)
        # 10 MB: refused while reading, before the registrar holds it.
        p = self.ssh("results", results_document([(14, now, 2, "raid", "HOSTILE" * (2 << 20), "", "")]))
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"at most 8388608 bytes", p.stderr)
        # Still serving, and nothing refused reached the core.
        p = self.ssh("results", results_document([(15, now, 0, "raid", "RAID OK again", "", "")]))
        self.assertEqual(self.replies(p), [("15", "accepted", "")])
        try:
            regtest.wait_for("the good result", lambda: (self.service("raid") or {}).get(
                "plugin_output") == "RAID OK again", timeout=10)
        except AssertionError:
            with open(self.nagios_log, errors="replace") as f:
                raise AssertionError("%s\n%s" % (self.service("raid"), f.read()[-3000:]))
        with open(self.nagios_log, errors="replace") as f:
            self.assertNotIn("HOSTILE", f.read())

    def test_4_silence_turns_the_service_unknown_after_its_freshness(self):
        p = self.ssh("results", results_document(
            [(20, int(time.time()), 0, "backup", "BACKUP OK", "", "")]))
        self.assertEqual(self.replies(p), [("20", "accepted", "")])
        sent = time.time()
        regtest.wait_for("backup OK", lambda: (self.service("backup") or {}).get("plugin_output")
                         == "BACKUP OK", timeout=10)
        stale = regtest.wait_for("the stale result", lambda: (
            lambda s: s if s and s.get("current_state") == "3" else None)(self.service("backup")),
            timeout=FRESHNESS + 20)
        print("stale after %.1f s (freshness %d s)" % (time.time() - sent, FRESHNESS))
        self.assertEqual(stale["plugin_output"], "UNKNOWN: " + STALE_TEXT)
        self.assertGreaterEqual(time.time() - sent, FRESHNESS)

    def test_5_core_down_queues_and_the_newest_arrives_alone(self):
        self.stop_core()
        now = int(time.time())
        p = self.ssh("results", results_document([(30, now - 5, 2, "raid", "OLD CRIT", "", "")]))
        self.assertEqual([r[1] for r in self.replies(p)], ["queued"], p.stdout)
        p = self.ssh("results", results_document([(31, now, 0, "raid", "NEW OK", "", "")]))
        self.assertEqual([r[1] for r in self.replies(p)], ["queued"], p.stdout)
        self.assertIn("is not reading", self.replies(p)[0][2])
        self.start_core()
        regtest.wait_for("the newest result after the restart", lambda: (
            self.service("raid") or {}).get("plugin_output") == "NEW OK", timeout=15)
        time.sleep(2)
        with open(self.nagios_log, errors="replace") as f:
            log = f.read()
        self.assertNotIn("OLD CRIT", log)
        self.assertEqual(self.service("raid")["plugin_output"], "NEW OK")


PLUGIN = """#!/bin/sh
printf 'AGENT OK - from the host at %s | n=1\nsecond line\n[0] DISABLE_NOTIFICATIONS\n' "$(date +%s)"
"""


class AgentDaemonTest(unittest.TestCase):
    """The agent daemon runs a `command` service and sends its result."""

    def setUp(self):
        self.core = None
        self.daemon = None
        self.registrar = PassiveRegistrar()
        self.addCleanup(self.registrar.cleanup)
        self.agent = sshtest.Agent(self.registrar, name=HOST)
        self.addCleanup(self.agent.cleanup)
        self.addCleanup(self.stop_core)
        self.addCleanup(self.stop_agent)
        self.registrar.start()
        self.assertEqual(self.agent.run("enroll")[0], 0)
        env = self.registrar.env
        self.status = os.path.join(env.dir, regtest.RUNTIME_KEYS["status_file"])
        self.nagios_log = os.path.join(env.dir, regtest.RUNTIME_KEYS["log_file"])
        # A plugin the agent accepts: a regular file of root's, not writable
        # by others (the test runs as root, as the agent daemon does).
        self.plugin = os.path.join(self.agent.dir, "check_local")
        with open(self.plugin, "w") as f:
            f.write(PLUGIN)
        os.chmod(self.plugin, 0o755)
        os.chmod(self.agent.dir, 0o755)
        with open(os.path.join(self.agent.defs, "local"), "w") as f:
            f.write("[local]\ntype = command\ncommand = %s\ninterval = 10\nfreshness = %d\n"
                    % (self.plugin, FRESHNESS))

    def start_core(self):
        self.core = self.registrar.env.start_core()

    def stop_core(self):
        regtest.stop(self.core, timeout=30)

    def stop_agent(self):
        regtest.stop(self.daemon)

    def service(self, description):
        return PassiveNagiosTest.service.__func__(self, description)

    def test_command_result_then_staleness_when_the_agent_stops(self):
        self.daemon = sshtest.Daemon(self.agent).process
        regtest.wait_for("the registration", lambda: "_AUTOMON_SERVICE        local\n" in (
            self.registrar.env.host_file(HOST) or ""), timeout=30)
        host_file = self.registrar.env.host_file(HOST)
        self.assertIn("service_description     automon agent", host_file)
        self.assertIn("define servicedependency", host_file)
        self.start_core()
        regtest.wait_for("the core's services", lambda: self.service("local"), timeout=30)
        started = time.time()
        # The first run is spread over [0, interval); the result waits at
        # most 2 s for its batch.
        result = regtest.wait_for("the agent's result", lambda: (
            lambda s: s if s and s.get("plugin_output", "").startswith("AGENT OK") else None)(
                self.service("local")), timeout=10 + 2 + 5)
        print("agent result in status.dat %.1f s after the core started" % (time.time() - started))
        self.assertEqual(result["current_state"], "0")
        self.assertRegex(result["plugin_output"], r"^AGENT OK - from the host at \d+$")
        self.assertEqual(result["performance_data"], "n=1")
        self.assertEqual(result["long_plugin_output"],
                         "second line\\n[0] DISABLE_NOTIFICATIONS")
        regtest.wait_for("the heartbeat", lambda: (self.service("automon agent") or {}).get(
            "current_state") == "0" and self.service("automon agent").get("has_been_checked") == "1",
            timeout=20)
        # The registrar is away for two runs: the agent's spool keeps the
        # newest result, which arrives alone when the registrar is back.
        self.registrar.stop()
        away = int(time.time())
        time.sleep(22)  # two runs at least
        restarted = int(time.time())
        self.registrar.start()
        # (Meanwhile the service went stale, as it should.) The spool goes
        # out at the flusher's next retry, which backs off from the
        # daemon's --retry-base (500 ms here), or with the next result.
        back = regtest.wait_for("the spooled result", lambda: (
            lambda s: s if s and s["plugin_output"].startswith("AGENT OK")
            and int(s["plugin_output"].rsplit(" ", 1)[1]) > away + 10 else None)(
                self.service("local")), timeout=20)
        print("after the registrar's absence: %s" % back["plugin_output"])
        with open(self.nagios_log, errors="replace") as f:
            times = [int(m) for m in re.findall(
                r"EXTERNAL COMMAND: PROCESS_SERVICE_CHECK_RESULT;web01\.example\.org;local;0;"
                r"AGENT OK - from the host at (\d+)", f.read())]
        self.assertEqual(times, sorted(times), "an older result came after a newer one")
        # The agent ran at least twice while the registrar was away; the
        # first result delivered after it is the newest of them, not the oldest.
        after = [t for t in times if t > away]
        self.assertTrue(after, times)
        self.assertGreaterEqual(after[0], restarted - 11, times)
        # The agent stops: after its freshness the service says so.
        self.stop_agent()
        stopped = time.time()
        stale = regtest.wait_for("the stale result", lambda: (
            lambda s: s if s and s.get("current_state") == "3" else None)(self.service("local")),
            timeout=FRESHNESS + 25)
        print("stale %.1f s after the agent stopped" % (time.time() - stopped))
        self.assertEqual(stale["plugin_output"], "UNKNOWN: " + STALE_TEXT)
        with open(self.nagios_log, errors="replace") as f:
            self.assertNotIn("EXTERNAL COMMAND: DISABLE_NOTIFICATIONS", f.read())
        program = [f for k, f in regtest.status_blocks(self.status) if k == "programstatus"][0]
        self.assertEqual(program["enable_notifications"], "1")


if __name__ == "__main__":
    sshtest.main()
