#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Prometheus backend against Debian's prometheus (2.42) and
prometheus-blackbox-exporter (0.23), each started by the test with a
private configuration and data directory on 127.0.0.1 ports of its own;
nothing outside a temporary directory is written.

  DaemonTest  a host registers through `automon-registrar receive`
              (backend = prometheus): Prometheus's query API shows
              probe_success 1 for its tcp service (and 0 for a closed
              port: the probe can fail); the udp service is accepted and
              noted as not checked; `promtool check config` accepts the
              live configuration; after the definition is deleted the
              target disappears from /api/v1/targets.
  ListTest    backend = nagios, prometheus with Debian's nagios4 -v and
              promtool: a host goes live in both; when Prometheus's check
              refuses its next snapshot, Nagios takes it and Prometheus
              keeps the last good file (quarantined there only).
  ExporterTest  a Guacamole service, scraped through the Guacamole
              exporter (check_guacamole --serve, branch `exporter`)
              reading the targets file the registrar writes: Prometheus
              shows guacamole_number_of_active_connections 3, and a
              second host's target after the registrar reloaded the
              running exporter. Skipped, saying so, when check_guacamole
              has no --serve.

usage: real_engine_test.py --registrar PATH --guacamole PATH [unittest args]
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "registrar"))
sys.path.insert(0, os.path.join(HERE, "..", "guacamole"))
import regtest  # noqa: E402

REGISTRAR = GUACAMOLE = None
PROMETHEUS = "/usr/bin/prometheus"
BLACKBOX = "/usr/bin/prometheus-blackbox-exporter"
PROMTOOL = "/usr/bin/promtool"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Listener:
    """A TCP server on 127.0.0.1 that accepts and closes connections."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.close()

    def close(self):
        self.sock.close()


class Stack:
    """blackbox + prometheus + a registrar.conf, all in one temporary directory."""

    def __init__(self, exporter_port=None):
        self.root = tempfile.mkdtemp(prefix="automon-prometheus-")
        self.procs = []
        self.sd_dir = self.path("sd")
        self.state = self.path("state")
        self.blackbox_port = free_port()
        self.prom_port = free_port()
        self.exporter_port = exporter_port or free_port()
        self.targets_file = self.path("guacamole-targets.conf")
        self.conf = self.path("registrar.conf")
        with open(self.conf, "w") as f:
            f.write("[registrar]\nstate_dir = %s\nquiet_period = 0\nbackend = prometheus\n"
                    "[prometheus]\nsd_dir = %s\nblackbox = 127.0.0.1:%d\nexporter = 127.0.0.1:%d\n"
                    "verify_command = %s check config {config}\nexporter_targets = %s\n"
                    % (self.state, self.sd_dir, self.blackbox_port, self.exporter_port, PROMTOOL,
                       self.targets_file))
        os.makedirs(self.sd_dir)
        example = self.registrar("render", "--backend", "prometheus", "--example")
        assert example.returncode == 0, example.stderr
        job, modules = example.stdout.split("\n\n", 1)
        with open(self.path("blackbox.yml"), "w") as f:
            f.write("modules:\n  tcp_connect:\n    prober: tcp\n  ssh_banner:\n    prober: tcp\n"
                    "    tcp:\n      query_response:\n        - expect: \"^SSH-2.0-\"\n"
                    "  http_2xx:\n    prober: http\n" + modules)
        with open(self.path("prometheus.yml"), "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n"
                    + job.replace("scrape_interval: 60s", "scrape_interval: 1s"))

    def path(self, rel):
        return os.path.join(self.root, rel)

    def registrar(self, *args, stdin=b""):
        p = subprocess.run([REGISTRAR, "--config", self.conf] + list(args), input=stdin,
                           capture_output=True, timeout=120)
        p.stdout, p.stderr = p.stdout.decode(), p.stderr.decode()
        return p

    def receive(self, host, document):
        p = self.registrar("receive", "--host", host, stdin=document)
        return p.returncode, p.stdout, p.stderr

    def spawn(self, name, argv):
        with open(self.path(name + ".log"), "wb") as log:
            proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def start(self):
        self.spawn("blackbox", [BLACKBOX, "--config.file", self.path("blackbox.yml"),
                                "--web.listen-address", "127.0.0.1:%d" % self.blackbox_port])
        self.prometheus = self.spawn("prometheus", [
            PROMETHEUS, "--config.file", self.path("prometheus.yml"),
            "--storage.tsdb.path", self.path("data"),
            "--web.listen-address", "127.0.0.1:%d" % self.prom_port])
        regtest.wait_for("prometheus to be ready", lambda: self.get("/-/ready") is not None, 30)

    def get(self, path):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.prom_port, path),
                                        timeout=5) as r:
                return r.read().decode()
        except OSError:
            return None

    def query(self, expr):
        """{automon_service: value} of an instant query."""
        text = self.get("/api/v1/query?query=" + urllib.parse.quote(expr))
        if text is None:
            return {}
        result = json.loads(text)["data"]["result"]
        return {r["metric"].get("automon_service"): r["value"][1] for r in result}

    def active_targets(self):
        text = self.get("/api/v1/targets?state=active")
        if text is None:
            return None
        return [t["labels"] for t in json.loads(text)["data"]["activeTargets"]]

    def close(self, keep=False):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if keep:
            print("kept", self.root)
        else:
            shutil.rmtree(self.root, ignore_errors=True)


class DaemonTest(unittest.TestCase):
    def test_registered_tcp_service_is_probed_then_removed(self):
        stack = Stack()
        listener = Listener()
        closed = free_port()
        ok = False
        try:
            stack.start()
            code, out, err = stack.receive("web01.example.org", regtest.make_snapshot(
                "web01.example.org", [
                    ("web", [("type", "tcp"), ("port", str(listener.port))]),
                    ("closed", [("type", "tcp"), ("port", str(closed))]),
                    ("echo", [("type", "udp"), ("port", "7"), ("send", "a"), ("expect", "b")]),
                ], address="127.0.0.1"))
            self.assertEqual(code, 0, out + err)
            self.assertIn("web: active\n", out)
            self.assertIn("echo: active (not checked by Prometheus: Prometheus has no probe for "
                          "udp services", out)
            live = os.path.join(stack.sd_dir, "web01.example.org.json")
            groups = json.load(open(live))
            self.assertEqual(len(groups), 2, groups)
            values = regtest.wait_for(
                "probe_success of web and closed",
                lambda: (lambda v: v if {"web", "closed"} <= set(v) else None)(
                    stack.query('probe_success{automon_host="web01.example.org"}')), 30)
            # The first probe may predate the listener's port: wait for 1.
            regtest.wait_for("probe_success 1 for web", lambda: stack.query(
                'probe_success{automon_service="web"}').get("web") == "1", 20)
            self.assertEqual(values["closed"], "0", values)
            types = stack.query('probe_success{automon_type="tcp"}')
            self.assertEqual(set(types), {"web", "closed"})
            # The live configuration, with the registrar's file, passes promtool.
            p = subprocess.run([PROMTOOL, "check", "config", stack.path("prometheus.yml")],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)

            # The definition is deleted on the host: its target goes.
            code, out, err = stack.receive("web01.example.org", regtest.make_snapshot(
                "web01.example.org", [
                    ("closed", [("type", "tcp"), ("port", str(closed))]),
                    ("echo", [("type", "udp"), ("port", "7"), ("send", "a"), ("expect", "b")]),
                ], generation=2, address="127.0.0.1", removed=[("web", "deleted")]))
            self.assertEqual(code, 0, out + err)
            self.assertIn("web: removed (deleted)", out)
            regtest.wait_for("the web target to disappear", lambda: (
                lambda t: t is not None and
                not any(x.get("automon_service") == "web" for x in t) and
                any(x.get("automon_service") == "closed" for x in t))(stack.active_targets()), 30)
            # The host goes: its file goes, and so do its targets.
            p = stack.registrar("remove", "web01.example.org")
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertFalse(os.path.exists(live))
            regtest.wait_for("no automon targets", lambda: stack.active_targets() == [], 30)
            ok = True
        finally:
            listener.close()
            stack.close(keep=not ok)


class ListTest(unittest.TestCase):
    def test_a_host_prometheus_refuses_stays_live_in_nagios(self):
        env = regtest.NagiosEnv(REGISTRAR, registrar_settings="backend = nagios, prometheus\n")
        ok = False
        try:
            sd_dir = os.path.join(env.dir, "sd")
            # promtool, except that the test's check refuses port 5433.
            verify = os.path.join(env.dir, "verify-prometheus")
            with open(verify, "w") as f:
                f.write("#!/bin/sh\nif grep -qs :5433 \"$(dirname \"$3\")\"/sd/*.json; then\n"
                        "  echo 'FAILED: checking SD file: port 5433 refused by the test'; exit 1\n"
                        "fi\nexec %s \"$@\"\n" % PROMTOOL)
            os.chmod(verify, 0o755)
            with open(env.config, "a") as f:
                f.write("[prometheus]\nsd_dir = %s\nverify_command = %s check config {config}\n"
                        % (sd_dir, verify))
            host = "web01.example.org"
            live = os.path.join(sd_dir, host + ".json")

            def snapshot(generation, port):
                return regtest.make_snapshot(host, [
                    ("db", [("type", "tcp"), ("port", port)]),
                    ("echo", [("type", "udp"), ("port", "7"), ("send", "a"), ("expect", "b")]),
                ], generation=generation, address="127.0.0.1")
            code, out, err = env.receive(host, snapshot(1, "5432"))
            self.assertEqual(code, 0, out + err)
            self.assertIn("echo: active (not checked by Prometheus:", out)
            self.assertIn("automon_tcp!127.0.0.1!5432", env.host_file(host))
            self.assertIn(":5432", open(live).read())

            code, out, err = env.receive(host, snapshot(2, "5433"))
            self.assertEqual(code, 1, out + err)
            self.assertIn("quarantined for some backends (their last accepted configuration stays "
                          "active): Prometheus: FAILED: checking SD file: port 5433 refused", out)
            self.assertIn("automon_tcp!127.0.0.1!5433", env.host_file(host))
            self.assertIn(":5432", open(live).read())
            verified, output = env.verify_live()
            self.assertTrue(verified, output)
            code, out, err = env.run("hosts")
            self.assertEqual(code, 0, err)
            self.assertIn("active (nagios active, prometheus quarantined)", out)
            code, out, err = env.run("show", host)
            self.assertIn("state for Prometheus quarantined: FAILED", out)

            # Fixed on the host: both backends take it, the quarantine ends.
            code, out, err = env.receive(host, snapshot(3, "5434"))
            self.assertEqual(code, 0, out + err)
            self.assertIn(":5434", open(live).read())
            code, out, err = env.run("hosts")
            self.assertNotIn("quarantined", out)
            ok = True
        finally:
            env.finish(ok)


class ExporterTest(unittest.TestCase):
    def test_guacamole_sessions_reach_prometheus(self):
        help_text = subprocess.run([GUACAMOLE, "--help"], capture_output=True, text=True).stdout
        if "--serve" not in help_text:
            self.skipTest("check_guacamole has no --serve: the Guacamole exporter (branch "
                          "`exporter`) is not merged, so guacamole_number_of_active_connections "
                          "cannot be scraped")
        from fake_guacamole import FakeGuacamole, User  # noqa: E402
        stack = Stack()
        ok = False
        try:
            with FakeGuacamole(users={"monitor": User("s3cr3t")}) as fake:
                fake.sessions = [{"username": "u%d" % i} for i in range(3)]
                stack.start()
                code, out, err = stack.receive("guac01.example.org", regtest.make_snapshot(
                    "guac01.example.org", [
                        ("guac", [("type", "guacamole"), ("port", str(fake.port)),
                                  ("username", "monitor"), ("password", "s3cr3t")]),
                    ], address="127.0.0.1"))
                self.assertEqual(code, 0, out + err)
                with open(stack.targets_file) as f:
                    targets = f.read()
                self.assertIn("[guac01.example.org_guac]\n", targets)
                self.assertNotIn("s3cr3t", targets)
                exporter = stack.spawn("exporter", [
                    GUACAMOLE, "--serve", "127.0.0.1:%d" % stack.exporter_port,
                    "--config", stack.targets_file])
                value = regtest.wait_for("guacamole_number_of_active_connections", lambda: stack.query(
                    'guacamole_number_of_active_connections{automon_host="guac01.example.org"}'
                ).get("guac"), 40)
                self.assertEqual(value, "3")
                # A second host: the registrar rewrites the targets file and
                # reloads the running exporter (SIGHUP) through
                # exporter_reload_command.
                with open(stack.conf, "a") as f:
                    f.write("exporter_reload_command = /bin/kill -HUP %d\n" % exporter.pid)
                code, out, err = stack.receive("guac02.example.org", regtest.make_snapshot(
                    "guac02.example.org", [
                        ("remote", [("type", "guacamole"), ("port", str(fake.port)),
                                    ("username", "monitor"), ("password", "s3cr3t")]),
                    ], address="127.0.0.1"))
                self.assertEqual(code, 0, out + err)
                with open(stack.targets_file) as f:
                    self.assertIn("[guac02.example.org_remote]\n", f.read())
                value = regtest.wait_for("the second host's sessions", lambda: stack.query(
                    'guacamole_number_of_active_connections{automon_host="guac02.example.org"}'
                ).get("remote"), 40)
                self.assertEqual(value, "3")
                self.assertIsNone(exporter.poll(), "the exporter exited on SIGHUP")
                ok = True
        finally:
            stack.close(keep=not ok)


def main():
    global REGISTRAR, GUACAMOLE
    args = sys.argv[1:]
    REGISTRAR = args[args.index("--registrar") + 1]
    GUACAMOLE = args[args.index("--guacamole") + 1]
    for flag in ("--registrar", "--guacamole"):
        i = args.index(flag)
        del args[i:i + 2]
    unittest.main(argv=[sys.argv[0]] + args, verbosity=2)


if __name__ == "__main__":
    main()
