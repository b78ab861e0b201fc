#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Passive checks from the agent's side (issue #15), against automon-registrar
serve on 127.0.0.1: the daemon runs a command service and its results reach
the registrar (status counts them), the snapshot carries the heartbeat, a
registrar that is away leaves one result per service queued and gets it
when it is back, and `automon-agent send` refuses hostile lines clearly.
The real-engine end-to-end tests (status.dat, staleness) are in
tests/passive/.

usage: passive_test.py --registrar PATH --agent PATH
"""

import functools
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ssh"))
import ssh_e2e_test as e2e  # noqa: E402

wait_for = functools.partial(e2e.regtest.wait_for, timeout=60, interval=0.1)


class PassiveTest(e2e.DaemonTestCase):
    def setUp(self):
        super().setUp()
        with open(os.path.join(self.agent.defs, "local"), "w") as f:
            # /bin/sh is owned by root and not writable by others.
            f.write("[load]\ntype = command\ncommand = /bin/sh -c 'echo \"LOAD OK|load=0.1\"'\n"
                    "interval = 10\n")

    def counts(self):
        _, out, _ = self.agent.run("status")
        m = re.search(r"passive results: (\d+) queued, (\d+) sent, (\d+) dropped", out)
        return tuple(int(x) for x in m.groups()) if m else None

    def test_check_accepts_the_service(self):
        code, out, err = self.agent.run("check")
        self.assertEqual(code, 0, out + err)
        self.assertIn("load  command", out)

    def test_daemon_runs_the_check_and_delivers(self):
        self.start()
        # The command result and the heartbeat, both delivered.
        wait_for("two results sent", lambda: (self.counts() or (0, 0, 0))[1] >= 2,
                 timeout=90)
        self.assertNotIn("results not delivered", self.output())
        # The daemon's snapshot announces the heartbeat the registrar expects.
        stored = []
        for d, _, files in os.walk(self.registrar.env.dir):
            for name in files:
                if name == "web01.example.org.snapshot":
                    with open(os.path.join(d, name), errors="replace") as f:
                        stored.append(f.read())
        self.assertTrue(stored)
        self.assertIn("heartbeat = 60\n", stored[0])

    def test_in_process_daemon_delivers_too(self):
        # Without automon-agent-run the same loop runs inside automon-agent.
        self.start("--in-process", "1")
        wait_for("two results sent", lambda: (self.counts() or (0, 0, 0))[1] >= 2,
                 timeout=90)
        self.assertNotIn("results not delivered", self.output())

    def test_registrar_away_then_back(self):
        self.start()
        wait_for("first delivery", lambda: (self.counts() or (0, 0, 0))[1] >= 1, timeout=90)
        self.registrar.stop()
        # Several runs while it is away: one result per service stays queued.
        time.sleep(25)
        queued, sent_before, dropped = self.counts()
        self.assertGreaterEqual(queued, 1, self.output())
        self.assertLessEqual(queued, 2)  # "load" and "automon agent"
        self.assertGreaterEqual(dropped, 1, self.output())  # replaced by newer results
        self.assertIn("results not delivered", self.output())
        self.registrar.start()
        wait_for("delivery after the registrar is back",
                 lambda: self.counts()[1] > sent_before and self.counts()[0] == 0, timeout=120)

    def test_send_refuses_hostile_lines(self):
        lines = ("other.example.org\tload\t0\tOK\n"
                 "web01.example.org\t0\thost up\n"
                 "web01.example.org\tload\t7\tbad code\n"
                 "web01.example.org\tdb\t0\tactive service\n"
                 "web01.example.org\tnope\t0\tunknown service\n")
        self.assertEqual(self.agent.run("push")[0], 0)
        p = subprocess.run([e2e.ARGS.agent, "--config", self.agent.config, "send"],
                           input=lines.encode(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=60)
        err = p.stderr.decode(errors="replace")
        self.assertEqual(p.returncode, 1, err)
        self.assertIn("line 1: result for host 'other.example.org'", err)
        self.assertIn("line 2: 'web01.example.org\t0\thost up' is a host result"
                      .replace("\t", "?"), err)
        self.assertIn("line 3:", err)
        self.assertIn("line 4:", err)
        self.assertIn("line 5:", err)


if __name__ == "__main__":
    e2e.main()
