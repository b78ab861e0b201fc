#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""automon-agent run against automon-registrar serve on 127.0.0.1: the
daemon registers at start, a new file under the watched directory reaches
the registrar within seconds (the latency is printed), a deleted file opts
out, a burst of files gives one push, a registrar that is down for a while
is registered with once it comes back, SIGHUP re-reads agent.conf, SIGTERM
stops it, and a host with no registrar stays idle.

usage: daemon_test.py --registrar PATH --agent PATH
"""

import functools
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ssh"))
import ssh_e2e_test as e2e  # noqa: E402

wait_for = functools.partial(e2e.regtest.wait_for, timeout=30, interval=0.05)


class DaemonTest(e2e.DaemonTestCase):
    def registered(self, service):
        text = self.registrar.env.host_file("web01.example.org") or ""
        return ("_AUTOMON_SERVICE        %s\n" % service) in text

    def pushes(self):
        return self.output().count("127.0.0.1:%d: " % self.registrar.port)

    def write(self, name, port):
        path = os.path.join(self.agent.defs, name)
        with open(path + ".tmp", "w") as f:
            f.write("[%s]\ntype = tcp\nport = %d\n" % (name, port))
        os.rename(path + ".tmp", path)  # as dpkg does: never a half-written file
        return path

    def test_registers_follows_changes_and_stops(self):
        self.start()
        wait_for("the initial registration", lambda: self.registered("db"))
        start = time.time()
        path = self.write("web", 8080)
        wait_for("the new file to reach the registrar", lambda: self.registered("web"))
        print("latency from a new file to the registrar: %.2f s" % (time.time() - start))
        os.unlink(path)
        wait_for("the deleted file to opt out", lambda: not self.registered("web"))
        wait_for("the agent's report of it", lambda: "web: removed (deleted)" in self.output())
        # A burst of files, as one apt transaction drops them: one push.
        before = self.pushes()
        for i in range(10):
            self.write("svc%d" % i, 9000 + i)
        wait_for("the burst", lambda: self.registered("svc9"))
        time.sleep(1)
        self.assertEqual(self.pushes() - before, 1, self.output())
        # SIGHUP re-reads agent.conf: exclude the burst.
        self.agent.write_config(self.registrar, extra="exclude = svc*\n")
        self.daemon.send_signal(signal.SIGHUP)
        wait_for("the excluded services to go", lambda: not self.registered("svc0"))
        self.assertTrue(self.registered("db"))
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(timeout=10), 0)
        self.assertIn("automon-agent: stopping", self.output())

    def test_registrar_down_then_back(self):
        self.start()
        wait_for("the initial registration", lambda: self.registered("db"))
        self.registrar.stop()
        self.write("late", 7000)
        wait_for("a failed push", lambda: "push failed; retry 2" in self.output(), timeout=30)
        self.registrar.start()
        back = time.time()
        wait_for("the registration once the registrar is back", lambda: self.registered("late"),
                 timeout=30)
        # The backoff at this point is a few seconds, never minutes.
        self.assertLess(time.time() - back, 10, self.output())

    def test_without_a_registrar_it_stays_idle(self):
        with open(self.agent.config, "w") as f:
            f.write("[agent]\ndirectory = %s\nstate_dir = %s/state\n"
                    % (self.agent.defs, self.agent.dir))
        self.start()
        wait_for("the idle notice", lambda: "idle until SIGHUP" in self.output())
        self.write("web", 8080)
        time.sleep(1)
        self.assertNotIn("127.0.0.1:", self.output())
        self.assertIsNone(self.daemon.poll())
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(timeout=10), 0)

    def test_a_mistyped_timing_is_a_usage_error(self):
        # Checked by automon-agent before it hands over to automon-agent-run,
        # and by automon-agent-run itself; never silently a default.
        for extra in (["--debounce", "abc"], ["--rescan", "0"], ["--start-jitter", "-1"],
                      ["--in-process", "1", "--retry-base", "5s"]):
            self.start(*extra)
            self.assertEqual(self.daemon.wait(timeout=10), 2, extra)
            self.assertIn("invalid --%s '%s'" % (extra[-2][2:], extra[-1]), self.output())
            self.assertNotIn("127.0.0.1:", self.output())
        watcher = os.path.join(os.path.dirname(e2e.ARGS.agent), "automon-agent-run")
        p = subprocess.run([watcher, "--agent", e2e.ARGS.agent, "--debounce", "1e3"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=10)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"invalid --debounce '1e3'", p.stderr)


def main():
    e2e.main()


if __name__ == "__main__":
    main()
