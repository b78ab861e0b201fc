#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Black-box tests of check_guacamole --serve (the Prometheus exporter).

Usage: exporter_test.py --probe PATH [--promtool PATH] [--prometheus PATH]
[unittest arguments,
e.g. a test class name]. ctest runs one class per test (label
"integration").

Each test starts the fake Guacamole server (fake_guacamole.py, 3 sessions)
and the exporter on 127.0.0.1 (port 0: the exporter reports the port it
got on stderr), scrapes it over HTTP, and counts the requests the fake
received. Debian's promtool lints the exposition text, and Debian's
prometheus (private configuration and storage, 127.0.0.1) scrapes both paths
in PrometheusTest. The password never appears in any output.
"""

import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_guacamole import FakeGuacamole, User  # noqa: E402

PROBE = None     # set from --probe
PROMTOOL = "/usr/bin/promtool"
PROMETHEUS = "/usr/bin/prometheus"
PASSWORD = "Exp0rter-P\u00e4ss&=%"
ADMIN = "guacadmin"

HELP_TYPE = [
    "# HELP guacamole_up Was the last Guacamole query successful.",
    "# TYPE guacamole_up gauge",
    "# HELP guacamole_connection_history_total The total number of established connections",
    "# TYPE guacamole_connection_history_total counter",
    "# HELP guacamole_number_of_users The current number of registered users",
    "# TYPE guacamole_number_of_users gauge",
    "# HELP guacamole_number_of_active_connections The current number of active connections",
    "# TYPE guacamole_number_of_active_connections gauge",
    "# HELP guacamole_scrape_duration_seconds How long the queries to Guacamole took, in "
    "seconds.",
    "# TYPE guacamole_scrape_duration_seconds gauge",
]


def samples(text):
    """{name: value} of the sample lines of an exposition text."""
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.split(" ")
            values[name] = float(value)
    return values


class Exporter:
    """A running check_guacamole --serve."""

    def __init__(self, test, args=(), env=None):
        environment = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        environment.update(env or {})
        self.test = test
        self.process = subprocess.Popen(
            [PROBE, "--serve", "127.0.0.1:0"] + list(args), env=environment,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.stderr = b""
        self.stopped = None
        line = self._read_line(10)
        test.assertIn("serving on", line, "the exporter did not start: " + line)
        self.port = int(line.split("(port ")[1].split(")")[0])
        test.addCleanup(self.stop)

    def _read_line(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.stderr and time.monotonic() < deadline:
            ready, _, _ = select.select([self.process.stderr], [], [], 0.1)
            if ready:
                chunk = os.read(self.process.stderr.fileno(), 4096)
                if not chunk:
                    break
                self.stderr += chunk
        line, _, self.stderr = self.stderr.partition(b"\n")
        return line.decode("utf-8", "replace")

    def log_until(self, text, timeout=10):
        """Reads stderr lines until one contains `text`; returns that line."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            line = self._read_line(max(0.1, deadline - time.monotonic()))
            if text in line:
                return line
            if line:
                seen.append(line)
        self.test.fail("no log line with %r; saw %r" % (text, seen))

    def get(self, path):
        """(status, body) of GET path."""
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.port, path),
                                        timeout=30) as reply:
                status, body = reply.status, reply.read().decode()
                content_type = reply.headers["Content-Type"]
        except urllib.error.HTTPError as error:
            status, body = error.code, error.read().decode()
            content_type = error.headers["Content-Type"]
        self.test.assertNotIn(PASSWORD, body)
        if status == 200:
            self.test.assertEqual(content_type, "text/plain; version=0.0.4; charset=utf-8")
        return status, body

    def metrics(self, path="/metrics"):
        status, body = self.get(path)
        self.test.assertEqual(status, 200, body)
        return body

    def stop(self):
        """SIGTERM; returns (exit code, rest of stderr). Idempotent."""
        if self.stopped is not None:
            return self.stopped
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        rest = self.stderr + self.process.stderr.read()
        self.process.stderr.close()
        self.process.stdout.close()
        text = rest.decode("utf-8", "replace")
        self.test.assertNotIn(PASSWORD, text)
        self.stopped = (self.process.returncode, text)
        return self.stopped


class ExporterTestCase(unittest.TestCase):
    def server(self, **kwargs):
        kwargs.setdefault("users", {ADMIN: User(PASSWORD)})
        kwargs.setdefault("sessions", [{"username": "u%d" % i} for i in range(3)])
        kwargs.setdefault("history", 42)
        fake = FakeGuacamole(**kwargs).start()
        self.addCleanup(fake.stop)
        return fake

    def env_for(self, fake, password=PASSWORD):
        return {"GUACAMOLE_ENDPOINT": "http://127.0.0.1:%d/guacamole" % fake.port,
                "GUACAMOLE_USERNAME": ADMIN, "GUACAMOLE_PASSWORD": password,
                "GUACAMOLE_DATASOURCE": "mysql"}

    def exporter(self, fake, args=(), **kwargs):
        return Exporter(self, args, self.env_for(fake, **kwargs))

    def promtool(self, text):
        result = subprocess.run([PROMTOOL, "check", "metrics"], input=text.encode(),
                                capture_output=True, timeout=60)
        self.assertEqual(result.returncode, 0,
                         "promtool check metrics: %s%s\n%s" % (
                             result.stdout.decode(), result.stderr.decode(), text))

    def queries(self, fake):
        return [r for r in fake.requests if r["method"] == "GET"]


class MetricsTest(ExporterTestCase):
    """/metrics: values, names, promtool, the drop-in variables."""

    def test_values_help_and_type(self):
        fake = self.server()
        exporter = self.exporter(fake)
        text = exporter.metrics()
        for line in HELP_TYPE:
            self.assertIn(line + "\n", text)
        values = samples(text)
        self.assertEqual(values["guacamole_up"], 1)
        self.assertEqual(values["guacamole_number_of_active_connections"], 3)
        self.assertEqual(values["guacamole_number_of_users"], 1)
        self.assertEqual(values["guacamole_connection_history_total"], 42)
        self.assertLess(values["guacamole_scrape_duration_seconds"], 5)
        self.promtool(text)

    def test_password_file_and_auto_data_source(self):
        fake = self.server(sources=("ldap", "postgresql"))
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "password")
            with open(path, "w") as f:
                f.write(PASSWORD + "\n")
            exporter = Exporter(self, (), {
                "GUACAMOLE_ENDPOINT": "http://127.0.0.1:%d/guacamole/" % fake.port,
                "GUACAMOLE_USERNAME": ADMIN, "GUACAMOLE_PASSWORD_FILE": path})
            values = samples(exporter.metrics())
        self.assertEqual(values["guacamole_up"], 1)
        self.assertEqual(values["guacamole_number_of_active_connections"], 3)
        self.assertTrue(all("/postgresql/" in r["path"] for r in self.queries(fake)))

    def test_format_prometheus_passes_promtool(self):
        fake = self.server()
        result = subprocess.run(
            [PROBE, "-H", "127.0.0.1", "-p", str(fake.port), "--username", ADMIN,
             "--format", "prometheus"], env={"GUACAMOLE_PASSWORD": PASSWORD},
            capture_output=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stdout)
        names = [line.split(" ")[0] for line in result.stdout.decode().splitlines()
                 if not line.startswith("#")]
        self.assertEqual(names, ["guacamole_up", "guacamole_connection_history_total",
                                 "guacamole_number_of_users",
                                 "guacamole_number_of_active_connections",
                                 "guacamole_scrape_duration_seconds"])
        self.promtool(result.stdout.decode())

    def test_failed_query_is_up_zero_without_bogus_values(self):
        fake = self.server(faults={"users": "html502"})
        exporter = self.exporter(fake)
        text = exporter.metrics()
        values = samples(text)
        self.assertEqual(values["guacamole_up"], 0)
        self.assertNotIn("guacamole_number_of_users", values)
        self.assertEqual(values["guacamole_number_of_active_connections"], 3)
        self.promtool(text)

    def test_guacamole_down_is_up_zero(self):
        fake = self.server()
        exporter = self.exporter(fake)
        fake.stop()
        text = exporter.metrics()
        self.assertEqual(samples(text), {"guacamole_up": 0,
                                         "guacamole_scrape_duration_seconds":
                                             samples(text)["guacamole_scrape_duration_seconds"]})
        self.promtool(text)

    def test_hanging_guacamole_answers_before_prometheus_gives_up(self):
        fake = self.server(faults={"active": "hang"})
        exporter = self.exporter(fake)
        request = urllib.request.Request("http://127.0.0.1:%d/metrics" % exporter.port,
                                         headers={"X-Prometheus-Scrape-Timeout-Seconds": "2"})
        started = time.monotonic()
        with urllib.request.urlopen(request, timeout=30) as reply:
            text = reply.read().decode()
        elapsed = time.monotonic() - started
        self.assertEqual(samples(text)["guacamole_up"], 0)
        self.assertNotIn("guacamole_number_of_active_connections", text)
        self.assertGreater(elapsed, 1.2)
        self.assertLess(elapsed, 2.0)

    def test_usage_errors_exit_1(self):
        for args, env in (([], {}),
                          (["--bogus"], {"GUACAMOLE_ENDPOINT": "http://x/",
                                         "GUACAMOLE_USERNAME": "u",
                                         "GUACAMOLE_PASSWORD": "p"}),
                          ([], {"GUACAMOLE_ENDPOINT": "x"})):
            result = subprocess.run([PROBE, "--serve", "127.0.0.1:0"] + args, env=env,
                                    capture_output=True, timeout=30)
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertTrue(result.stderr.startswith(b"check_guacamole: "), result.stderr)


class TokenTest(ExporterTestCase):
    """The token is kept; logins only when needed; logout at exit."""

    def test_steady_state_is_the_queries_only(self):
        fake = self.server()
        exporter = self.exporter(fake, ["--totals-interval", "0"])
        for _ in range(10):
            self.assertEqual(samples(exporter.metrics())["guacamole_up"], 1)
        self.assertEqual(fake.logins, 1)
        # 3 queries per scrape, nothing else (no login, no logout).
        self.assertEqual(len(fake.requests), 1 + 30)
        self.assertEqual(len(self.queries(fake)), 30)
        code, _ = exporter.stop()
        self.assertEqual(code, 0)
        self.assertEqual(fake.live_tokens(), 0)
        self.assertEqual(fake.requests[-1]["method"], "DELETE")

    def test_totals_are_read_every_interval(self):
        fake = self.server()
        exporter = self.exporter(fake)  # default: users and history every 60 s
        for _ in range(5):
            values = samples(exporter.metrics())
            self.assertEqual(values["guacamole_number_of_users"], 1)
            self.assertEqual(values["guacamole_connection_history_total"], 42)
        paths = [r["path"].rsplit("/mysql/", 1)[1] for r in self.queries(fake)]
        self.assertEqual(paths, ["activeConnections", "users", "history/connections"]
                         + ["activeConnections"] * 4)

    def test_expired_token_means_one_new_login(self):
        fake = self.server()
        exporter = self.exporter(fake)
        exporter.metrics()
        fake.revoke_all()
        for _ in range(3):
            self.assertEqual(samples(exporter.metrics())["guacamole_up"], 1)
        self.assertEqual(fake.logins, 2)
        self.assertEqual(exporter.stop()[0], 0)
        self.assertEqual(fake.live_tokens(), 0)

    def test_idle_timeout_on_the_server(self):
        fake = self.server(expiry_seconds=0.3)
        exporter = self.exporter(fake)
        exporter.metrics()
        time.sleep(0.5)
        self.assertEqual(samples(exporter.metrics())["guacamole_up"], 1)
        self.assertEqual(fake.logins, 2)

    def test_bad_credentials_no_login_storm(self):
        fake = self.server(version="1.6")
        exporter = self.exporter(fake, password="wrong")
        for _ in range(20):
            text = exporter.metrics()
            self.assertEqual(samples(text).get("guacamole_up"), 0)
            self.assertNotIn("guacamole_number_of_active_connections", text)
            self.assertNotIn("guacamole_number_of_users", text)
            self.promtool(text)
        self.assertIn("no new login for", text)
        # One login in 20 scrapes: far from the ban (5 failures).
        self.assertEqual(fake.logins, 1)
        self.assertEqual(len(fake.requests), 1)
        code, log = exporter.stop()
        self.assertEqual(code, 0)
        # The journal gets one line for the change of state, not one per scrape.
        self.assertEqual(log.count("target metrics: down: Error: Guacamole rejected the login "
                                   "of user 'guacadmin'"), 1, log)

    def test_login_per_scrape_is_guacamole_exporters_way(self):
        fake = self.server()
        exporter = self.exporter(fake, ["--login-per-scrape"])
        for _ in range(4):
            self.assertEqual(samples(exporter.metrics())["guacamole_up"], 1)
        self.assertEqual(fake.logins, 4)
        self.assertEqual(len(fake.requests), 4 * 5)
        self.assertEqual(fake.live_tokens(), 0)


class ProbeTest(ExporterTestCase):
    """/probe?target=NAME with a targets file."""

    def setUp(self):
        self.directory = tempfile.TemporaryDirectory()
        self.addCleanup(self.directory.cleanup)

    def write(self, name, text):
        path = os.path.join(self.directory.name, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def test_two_targets(self):
        one = self.server()
        two = self.server(sessions=[{}] * 5, users={"mon": User("other-secret")})
        config = self.write("targets.ini", (
            "[one]\nendpoint = http://127.0.0.1:%d/guacamole\nusername = %s\n"
            "password_file = %s\n\n"
            "[two]\nendpoint = http://127.0.0.1:%d/guacamole\nusername = mon\n"
            "password_file = %s\ndata_source = mysql\n") % (
                one.port, ADMIN, self.write("one.pw", PASSWORD + "\n"),
                two.port, self.write("two.pw", "other-secret")))
        exporter = Exporter(self, ["--config", config])
        text = exporter.metrics("/probe?target=one")
        self.assertEqual(samples(text)["guacamole_number_of_active_connections"], 3)
        self.promtool(text)
        text = exporter.metrics("/probe?target=two")
        self.assertEqual(samples(text)["guacamole_number_of_active_connections"], 5)
        self.assertNotIn("other-secret", text)
        exporter.metrics("/probe?target=two")
        self.assertEqual((one.logins, two.logins), (1, 1))

        status, body = exporter.get("/probe?target=three")
        self.assertEqual(status, 404)
        self.assertEqual(body, "unknown target 'three': not in the --config file\n")
        status, body = exporter.get("/probe")
        self.assertEqual(status, 400)
        self.assertEqual(body, "missing ?target=NAME; configured targets: one, two\n")
        status, body = exporter.get("/metrics")
        self.assertEqual(status, 404)
        self.assertIn("GUACAMOLE_ENDPOINT", body)
        code, _ = exporter.stop()
        self.assertEqual(code, 0)
        self.assertEqual((one.live_tokens(), two.live_tokens()), (0, 0))

    def test_sighup_reloads_the_targets(self):
        one = self.server()
        two = self.server(sessions=[{}] * 2)
        pw = self.write("pw", PASSWORD)
        section = "[%s]\nendpoint = http://127.0.0.1:%d/guacamole\nusername = %s\n" \
                  "password_file = %s\n"
        config = self.write("targets.ini", section % ("one", one.port, ADMIN, pw))
        exporter = Exporter(self, ["--config", config])
        exporter.metrics("/probe?target=one")
        self.assertEqual(exporter.get("/probe?target=two")[0], 404)

        # two added, one unchanged: one keeps its token.
        self.write("targets.ini", section % ("one", one.port, ADMIN, pw)
                   + section % ("two", two.port, ADMIN, pw))
        exporter.process.send_signal(signal.SIGHUP)
        exporter.log_until("check_guacamole: target two: added")
        exporter.log_until("check_guacamole: reloaded")
        text = exporter.metrics("/probe?target=two")
        self.assertEqual(samples(text)["guacamole_number_of_active_connections"], 2)
        exporter.metrics("/probe?target=one")
        self.assertEqual((one.logins, two.logins), (1, 1))

        # A broken file changes nothing.
        self.write("targets.ini", "[one]\npassword = x\n")
        exporter.process.send_signal(signal.SIGHUP)
        exporter.log_until("reload failed, the configuration stays as it was")
        exporter.metrics("/probe?target=two")

        # one removed: logged out at once.
        self.write("targets.ini", section % ("two", two.port, ADMIN, pw))
        exporter.process.send_signal(signal.SIGHUP)
        exporter.log_until("check_guacamole: target one: removed, logged out")
        exporter.log_until("check_guacamole: reloaded")
        self.assertEqual(one.live_tokens(), 0)
        self.assertEqual(exporter.get("/probe?target=one")[0], 404)
        self.assertEqual(exporter.stop()[0], 0)
        self.assertEqual(two.live_tokens(), 0)

    def test_password_in_the_file_is_refused(self):
        config = self.write("targets.ini",
                            "[a]\nendpoint = http://127.0.0.1:1/\npassword = %s\n" % PASSWORD)
        result = subprocess.run([PROBE, "--serve", "127.0.0.1:0", "--config", config],
                                env={}, capture_output=True, timeout=30)
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"targets.ini:3: passwords do not go in this file", result.stderr)
        self.assertNotIn(PASSWORD.encode(), result.stderr)


class HostileClientTest(ExporterTestCase):
    """Hostile clients cannot stop the exporter from answering Prometheus."""

    def raw(self, port, data, timeout=15):
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            try:
                s.sendall(data)
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass  # the server answered and closed before reading it all
            reply = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return reply
                reply += chunk

    def assertServes(self, exporter):
        started = time.monotonic()
        self.assertEqual(samples(exporter.metrics())["guacamole_up"], 1)
        self.assertLess(time.monotonic() - started, 5)

    def test_refusals(self):
        fake = self.server()
        exporter = self.exporter(fake)
        cases = [
            (b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", b"HTTP/1.1 405 "),
            (b"HEAD /metrics HTTP/1.1\r\n\r\n", b"HTTP/1.1 405 "),
            (b"GET /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", b"HTTP/1.1 400 "),
            (b"GET /metrics HTTP/2.0\r\n\r\n", b"HTTP/1.1 505 "),
            (b"GET http://x/metrics HTTP/1.1\r\n\r\n", b"HTTP/1.1 400 "),
            (b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03", b"HTTP/1.1 400 "),
            (b"GET /metrics HTTP/1.1\r\n" + b"X: y\r\n" * 200 + b"\r\n", b"HTTP/1.1 431 "),
            (b"GET /metrics HTTP/1.1\r\nX: " + b"a" * 9000 + b"\r\n\r\n", b"HTTP/1.1 431 "),
            (b"GET /admin HTTP/1.1\r\n\r\n", b"HTTP/1.1 404 "),
            (b"GET /probe?target=%zz HTTP/1.1\r\n\r\n", b"HTTP/1.1 400 "),
        ]
        for data, expected in cases:
            with self.subTest(data=data[:40]):
                reply = self.raw(exporter.port, data)
                self.assertTrue(reply.startswith(expected), reply[:200])
        # None of them reached Guacamole.
        self.assertEqual(fake.requests, [])
        self.assertServes(exporter)

    def test_slow_and_idle_clients(self):
        fake = self.server()
        exporter = self.exporter(fake)
        idle = [socket.create_connection(("127.0.0.1", exporter.port)) for _ in range(100)]
        slow = socket.create_connection(("127.0.0.1", exporter.port))
        slow.sendall(b"GET /metr")
        self.assertServes(exporter)
        for s in idle + [slow]:
            s.close()
        self.assertServes(exporter)

    def test_flood_of_garbage(self):
        fake = self.server()
        exporter = self.exporter(fake)
        for i in range(300):
            with socket.create_connection(("127.0.0.1", exporter.port)) as s:
                try:
                    s.sendall(os.urandom(512) if i % 2 else b"GET /" + b"a" * 20000)
                except (BrokenPipeError, ConnectionResetError):
                    pass
        self.assertServes(exporter)
        self.assertEqual(exporter.process.poll(), None)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrometheusTest(ExporterTestCase):
    """Debian's Prometheus scrapes /metrics and /probe (the relabelling of
    check_guacamole(1)); its query API shows the values."""

    def test_prometheus_scrapes_both_paths(self):
        fake = self.server()
        with tempfile.TemporaryDirectory() as directory:
            pw = os.path.join(directory, "office.pw")
            with open(pw, "w") as f:
                f.write(PASSWORD)
            targets = os.path.join(directory, "targets.ini")
            with open(targets, "w") as f:
                f.write("[office]\nendpoint = http://127.0.0.1:%d/guacamole\nusername = %s\n"
                        "password_file = %s\n" % (fake.port, ADMIN, pw))
            exporter = self.exporter(fake, ["--config", targets])
            web = free_port()
            config = os.path.join(directory, "prometheus.yml")
            with open(config, "w") as f:
                f.write("""global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: guacamole
    static_configs:
      - targets: ['127.0.0.1:%d']
  - job_name: guacamole_probe
    metrics_path: /probe
    static_configs:
      - targets: [office]
    relabel_configs:
      - source_labels: [__address__]
        target_label: __param_target
      - source_labels: [__param_target]
        target_label: instance
      - target_label: __address__
        replacement: 127.0.0.1:%d
""" % (exporter.port, exporter.port))
            check = subprocess.run([PROMTOOL, "check", "config", config],
                                   capture_output=True, timeout=60)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
            log = open(os.path.join(directory, "prometheus.log"), "wb")
            prometheus = subprocess.Popen(
                [PROMETHEUS, "--config.file=" + config,
                 "--storage.tsdb.path=" + os.path.join(directory, "data"),
                 "--web.listen-address=127.0.0.1:%d" % web],
                stdout=log, stderr=subprocess.STDOUT)
            try:
                values = self.wait_for(web, "guacamole_number_of_active_connections", 2)
                self.assertEqual(values, {"guacamole": 3.0, "guacamole_probe": 3.0})
                self.assertEqual(self.wait_for(web, "guacamole_up", 2),
                                 {"guacamole": 1.0, "guacamole_probe": 1.0})
                self.assertEqual(self.wait_for(web, "up", 2),
                                 {"guacamole": 1.0, "guacamole_probe": 1.0})
            finally:
                prometheus.terminate()
                prometheus.wait(timeout=30)
                log.close()
        # Many scrapes, one login per target.
        self.assertEqual(fake.logins, 2)

    def wait_for(self, web, query, count, timeout=60):
        """{job: value} of `query` once it has `count` series."""
        import json
        deadline = time.monotonic() + timeout
        result = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                        "http://127.0.0.1:%d/api/v1/query?query=%s" % (web, query),
                        timeout=10) as reply:
                    result = json.load(reply)["data"]["result"]
            except (urllib.error.URLError, ConnectionError):
                result = None
            if result and len(result) >= count:
                return {r["metric"]["job"]: float(r["value"][1]) for r in result}
            time.sleep(0.5)
        self.fail("Prometheus never had %d series of %s: %r" % (count, query, result))


def main():
    global PROBE, PROMTOOL, PROMETHEUS
    argv = list(sys.argv)
    if "--probe" in argv:
        i = argv.index("--probe")
        PROBE = os.path.abspath(argv[i + 1])
        del argv[i:i + 2]
    if "--promtool" in argv:
        i = argv.index("--promtool")
        PROMTOOL = argv[i + 1]
        del argv[i:i + 2]
    if "--prometheus" in argv:
        i = argv.index("--prometheus")
        PROMETHEUS = argv[i + 1]
        del argv[i:i + 2]
    if not PROBE:
        sys.exit("usage: exporter_test.py --probe PATH [--promtool PATH] [unittest args]")
    unittest.main(argv=argv, verbosity=2)


if __name__ == "__main__":
    main()
