#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Black-box tests of check_haproxy_sessions against a real HAProxy.

Usage: check_haproxy_sessions_test.py --probe PATH [--haproxy PATH]
       [unittest arguments, e.g. a test class name]
ctest runs one class per test (label "integration").

Each class starts Debian's /usr/sbin/haproxy with a configuration of its
own in a temporary directory. Every listening socket is created here, bound
to 127.0.0.1 port 0 (an ephemeral port), and handed to HAProxy as an
inherited file descriptor ("bind fd@N"), so there is no race for ports and
nothing listens beyond loopback. The backend servers are HoldServer: a
Python TCP server on 127.0.0.1 that accepts connections and holds them
open, so exactly the connections this test opens stay established through
HAProxy (mode tcp) and show up in its scur counters.

Every run of the probe is checked for: the exit code, the output the test
expects, an empty stderr, and the password never appearing in the output.
"""

import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

PROBE = None
HAPROXY = "/usr/sbin/haproxy"
USER = "monitor"
PASSWORD = "Pw-\u00e4 with spaces:and#colon"

FRONTEND_MAXCONN = 10  # fe_app's limit: its slim
BACKEND_FULLCONN = 8   # be_app's fullconn: HAProxy reports it as the backend's slim
DOWN_FULLCONN = 4      # be_down's


def loopback_listener(listen=True):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    if listen:
        sock.listen(128)
    return sock


class HoldServer:
    """Accepts TCP connections on 127.0.0.1 and holds them until stopped."""

    def __init__(self):
        self.listener = loopback_listener()
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.open = []
        self.stopping = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.listener.settimeout(0.05)
        while not self.stopping:
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                self._reap()
                continue
            except OSError:
                return
            conn.setblocking(False)
            with self.lock:
                self.open.append(conn)
            self._reap()

    def _reap(self):
        """Drops connections the peer (HAProxy) has closed."""
        with self.lock:
            alive = []
            for conn in self.open:
                try:
                    data = conn.recv(4096)
                    if data == b"":
                        conn.close()
                        continue
                except BlockingIOError:
                    pass
                except OSError:
                    conn.close()
                    continue
                alive.append(conn)
            self.open = alive

    def count(self):
        self._reap()
        with self.lock:
            return len(self.open)

    def stop(self):
        self.stopping = True
        self.thread.join()
        self.listener.close()
        for conn in self.open:
            conn.close()


def wait_until(predicate, what, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting until " + what)


def show_stat(path):
    """`show stat` over the socket, as {(pxname, svname): row dict}."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(path)
        sock.sendall(b"show stat\n")
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    lines = [l for l in data.decode().split("\n") if l]
    header = lines[0].lstrip("# ").split(",")
    rows = {}
    for line in lines[1:]:
        row = dict(zip(header, line.split(",")))
        rows[(row["pxname"], row["svname"])] = row
    return rows


class Haproxy:
    """A private HAProxy: TCP frontends and backends, stats page and socket."""

    def __init__(self, tmp, backend_port, refused_port):
        self.tmp = tmp
        self.socket_path = os.path.join(tmp, "stats.sock")
        self.listeners = {name: loopback_listener() for name in ("app", "idle", "stats")}
        self.ports = {name: s.getsockname()[1] for name, s in self.listeners.items()}
        fds = {name: s.fileno() for name, s in self.listeners.items()}
        config = f"""
global
    stats socket {self.socket_path} level user
defaults
    mode tcp
    timeout connect 2s
    timeout client 60s
    timeout server 60s
frontend fe_app
    bind fd@{fds['app']}
    maxconn {FRONTEND_MAXCONN}
    default_backend be_app
frontend fe_idle
    bind fd@{fds['idle']}
    maxconn 50
    default_backend be_down
backend be_app
    fullconn {BACKEND_FULLCONN}
    server hold 127.0.0.1:{backend_port}
backend be_down
    fullconn {DOWN_FULLCONN}
    server gone 127.0.0.1:{refused_port} check inter 100ms fall 1 rise 1
listen stats
    mode http
    bind fd@{fds['stats']}
    stats enable
    stats uri /stats
    stats auth "{USER}:{PASSWORD}"
"""
        self.config_path = os.path.join(tmp, "haproxy.cfg")
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(config)
        check = subprocess.run([HAPROXY, "-c", "-q", "-f", self.config_path],
                               pass_fds=list(fds.values()), capture_output=True, text=True)
        if check.returncode != 0:
            raise AssertionError("haproxy -c failed:\n" + check.stdout + check.stderr)
        with open(os.path.join(tmp, "haproxy.log"), "w", encoding="utf-8") as log:
            self.process = subprocess.Popen(
                [HAPROXY, "-db", "-f", self.config_path], pass_fds=list(fds.values()),
                stdout=subprocess.DEVNULL, stderr=log)
        wait_until(self._ready, "HAProxy answers on its stats socket")
        self.url = f"http://127.0.0.1:{self.ports['stats']}/stats"

    def _ready(self):
        if self.process.poll() is not None:
            with open(os.path.join(self.tmp, "haproxy.log")) as f:
                raise AssertionError("haproxy exited: " + f.read())
        try:
            return ("fe_app", "FRONTEND") in show_stat(self.socket_path)
        except OSError:
            return False

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        for s in self.listeners.values():
            s.close()


class HaproxyTestCase(unittest.TestCase):
    """One HAProxy per class; helpers to run the probe and hold connections."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="check_haproxy_sessions.")
        cls.password_file = os.path.join(cls.tmp, "password")
        with open(cls.password_file, "w", encoding="utf-8") as f:
            f.write(PASSWORD + "\n")
        os.chmod(cls.password_file, 0o600)
        cls.hold = HoldServer()
        # Bound, never listening: connections to it are refused, and no
        # other process can take the port while the test runs.
        cls.refused = loopback_listener(listen=False)
        cls.refused_port = cls.refused.getsockname()[1]
        cls.haproxy = Haproxy(cls.tmp, cls.hold.port, cls.refused_port)
        cls.clients = []

    @classmethod
    def tearDownClass(cls):
        for c in cls.clients:
            c.close()
        cls.haproxy.stop()
        cls.hold.stop()
        cls.refused.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def hold_connections(self, n):
        """Opens or closes client connections to fe_app until n are held
        through HAProxy to the backend server."""
        while len(self.clients) < n:
            self.clients.append(socket.create_connection(("127.0.0.1",
                                                          self.haproxy.ports["app"])))
        while len(self.clients) > n:
            self.clients.pop().close()
        wait_until(lambda: self.hold.count() == n, f"the backend server holds {n} connections")

    def run_probe(self, *args, env_password=None, expect_exit=None):
        env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
        if env_password is not None:
            env["HAPROXY_PASSWORD"] = env_password
        started = time.monotonic()
        proc = subprocess.run([PROBE, *args], capture_output=True, text=True, env=env,
                              timeout=30)
        self.elapsed = time.monotonic() - started
        where = " ".join(args) + "\n" + proc.stdout
        self.assertEqual(proc.stderr, "", where)
        self.assertNotIn(PASSWORD, proc.stdout, where)
        self.assertNotIn(PASSWORD.split()[0], proc.stdout, where)
        if expect_exit is not None:
            self.assertEqual(proc.returncode, expect_exit, where)
        return proc

    def http_args(self):
        return ["--url", self.haproxy.url, "--username", USER,
                "--password-file", self.password_file]

    def socket_args(self):
        return ["--socket", self.haproxy.socket_path]

    def transports(self):
        return {"http": self.http_args(), "socket": self.socket_args()}


def perfdata(stdout):
    """{label: [value, warn, crit, min, max]} from the first output line."""
    first = stdout.split("\n", 1)[0]
    if "|" not in first:
        return {}
    items = {}
    for item in first.split("|", 1)[1].split():
        label, _, values = item.rpartition("=")
        items[label.strip("'")] = values.split(";")
    return items


class SessionCountTest(HaproxyTestCase):
    """The probe reports exactly the sessions held open, over both transports."""

    def assert_counts(self, n):
        for name, transport in self.transports().items():
            with self.subTest(transport=name, held=n):
                proc = self.run_probe(*transport, "--proxy", "fe_app", "--proxy", "be_app",
                                      expect_exit=0)
                self.assertRegex(proc.stdout, r"^HAPROXY SESSIONS OK - 2 proxies OK; busiest ")
                perf = perfdata(proc.stdout)
                self.assertEqual(sorted(perf), ["be_app/BACKEND", "fe_app/FRONTEND"])
                self.assertEqual(perf["fe_app/FRONTEND"],
                                 [str(n), "", "", "0", str(FRONTEND_MAXCONN)])
                self.assertEqual(perf["be_app/BACKEND"],
                                 [str(n), "", "", "0", str(BACKEND_FULLCONN)])
                self.assertIn(f"OK (frontend): fe_app/FRONTEND {n} of {FRONTEND_MAXCONN} "
                              f"sessions", proc.stdout)
                self.assertIn(f"OK (backend): be_app/BACKEND {n} of {BACKEND_FULLCONN} "
                              f"sessions", proc.stdout)

    def test_reports_exactly_the_held_connections_as_they_change(self):
        for n in (3, 5, 1, 0):
            self.hold_connections(n)
            self.assert_counts(n)

    def test_server_rows_and_slash_patterns(self):
        self.hold_connections(2)
        for name, transport in self.transports().items():
            with self.subTest(transport=name):
                proc = self.run_probe(*transport, "--kind", "server", "--proxy", "be_app/*",
                                      expect_exit=0)
                self.assertEqual(perfdata(proc.stdout), {"be_app/hold": ["2", "", "", "0", ""]})

    def test_default_selects_every_frontend_and_backend(self):
        self.hold_connections(2)
        proc = self.run_probe(*self.socket_args(), expect_exit=0)
        self.assertEqual(sorted(perfdata(proc.stdout)),
                         ["be_app/BACKEND", "be_down/BACKEND", "fe_app/FRONTEND",
                          "fe_idle/FRONTEND", "stats/BACKEND", "stats/FRONTEND"])

    def test_stats_url_may_already_end_in_csv(self):
        self.hold_connections(2)
        proc = self.run_probe("--url", self.haproxy.url + ";csv", "--username", USER,
                              "--proxy", "fe_app", env_password=PASSWORD, expect_exit=0)
        self.assertEqual(perfdata(proc.stdout)["fe_app/FRONTEND"][0], "2")


class ThresholdTest(HaproxyTestCase):
    """States follow absolute and percent thresholds, over both transports.
    With 3 connections held: fe_app 3 of 10 (30%), be_app 3 of 8 (37.5%)."""

    HELD = 3

    def setUp(self):
        self.hold_connections(self.HELD)

    def check_states(self, cases):
        for name, transport in self.transports().items():
            for warning, critical, state, exit_code in cases:
                with self.subTest(transport=name, w=warning, c=critical):
                    proc = self.run_probe(*transport, "--proxy", "fe_app", "--proxy", "be_app",
                                          "-w", warning, "-c", critical, expect_exit=exit_code)
                    self.assertTrue(proc.stdout.startswith(f"HAPROXY SESSIONS {state} - "),
                                    proc.stdout)

    def test_absolute_thresholds(self):
        n = self.HELD
        self.check_states([
            (str(n), str(n + 1), "OK", 0),          # n is inside 0:n
            (str(n - 1), str(n + 1), "WARNING", 1),
            (str(n - 2), str(n - 1), "CRITICAL", 2),
            (f"@{n}:{n}", str(n + 5), "WARNING", 1),
        ])

    def test_percent_thresholds_use_each_limit(self):
        self.check_states([
            ("40%", "50%", "OK", 0),
            ("35%", "50%", "WARNING", 1),           # only be_app (37.5%) is above 35%
            ("20%", "35%", "CRITICAL", 2),
            ("29%", "31%", "CRITICAL", 2),          # fe_app 30% warns, be_app 37.5% is critical
        ])

    def test_percent_perfdata_is_in_sessions(self):
        proc = self.run_probe(*self.socket_args(), "--proxy", "fe_app", "--proxy", "be_app",
                              "-w", "50%", "-c", "75%", expect_exit=0)
        perf = perfdata(proc.stdout)
        self.assertEqual(perf["fe_app/FRONTEND"], ["3", "5", "7.5", "0", "10"])
        self.assertEqual(perf["be_app/BACKEND"], ["3", "4", "6", "0", "8"])

    def test_percent_on_a_server_without_limit_is_unknown(self):
        proc = self.run_probe(*self.socket_args(), "--kind", "server", "--proxy", "be_app",
                              "-w", "80%", expect_exit=3)
        self.assertIn("UNKNOWN (server): be_app/hold 3 sessions, no limit, status no check - "
                      "no session limit, so the warning threshold '80%' cannot apply",
                      proc.stdout)

    def test_down_backend_is_critical_only_when_asked(self):
        wait_until(lambda: show_stat(self.haproxy.socket_path)[("be_down", "BACKEND")]["status"]
                   == "DOWN", "be_down is DOWN")
        for name, transport in self.transports().items():
            with self.subTest(transport=name):
                self.run_probe(*transport, "--proxy", "be_down", expect_exit=0)
                proc = self.run_probe(*transport, "--proxy", "be_down", "--down-critical",
                                      expect_exit=2)
                self.assertTrue(proc.stdout.startswith(
                    f"HAPROXY SESSIONS CRITICAL - be_down/BACKEND 0 of {DOWN_FULLCONN} sessions "
                    "(0%) CRITICAL (DOWN); 0 of 1 OK"), proc.stdout)
                proc = self.run_probe(*transport, "--proxy", "be_down", "--kind", "server",
                                      "--down-critical", expect_exit=2)
                self.assertIn("CRITICAL (server): be_down/gone 0 sessions, no limit, status DOWN",
                              proc.stdout)


class ErrorTest(HaproxyTestCase):
    """Each failure is one clear Error: line with the right exit code."""

    def test_wrong_password_is_critical(self):
        proc = self.run_probe("--url", self.haproxy.url, "--username", USER,
                              env_password="not-" + PASSWORD, expect_exit=2)
        self.assertEqual(proc.stdout,
                         f"Error: HAProxy refused the credentials of user '{USER}' at "
                         f"{self.haproxy.url};csv (HTTP 401): check 'stats auth' and the "
                         f"password file\n")

    def test_missing_credentials_is_unknown(self):
        proc = self.run_probe("--url", self.haproxy.url, expect_exit=3)
        self.assertRegex(proc.stdout, r"^Error: \S+ needs authentication \(HTTP 401\)")

    def test_password_from_environment_works(self):
        proc = self.run_probe("--url", self.haproxy.url, "--username", USER,
                              "--proxy", "fe_app", env_password=PASSWORD, expect_exit=0)
        self.assertIn("fe_app/FRONTEND=", proc.stdout)

    def test_refused_port_is_critical(self):
        url = f"http://127.0.0.1:{self.refused_port}/stats"
        proc = self.run_probe("--url", url, expect_exit=2)
        self.assertEqual(proc.stdout, f"Error: connection to {url};csv refused: is HAProxy "
                                      "running, with its stats page listening there?\n")

    def test_wrong_path_is_not_the_stats_page(self):
        # HAProxy answers a URI other than 'stats uri' from the stats
        # backend, which has no server: 503.
        url = f"http://127.0.0.1:{self.haproxy.ports['stats']}/nostats"
        proc = self.run_probe("--url", url, "--username", USER,
                              "--password-file", self.password_file, expect_exit=2)
        self.assertRegex(proc.stdout, r"^Error: \S+ answered HTTP 503")

    def test_missing_proxy_is_unknown(self):
        for name, transport in self.transports().items():
            with self.subTest(transport=name):
                proc = self.run_probe(*transport, "--proxy", "fe_app", "--proxy", "fe_nope*",
                                      expect_exit=3)
                self.assertEqual(proc.stdout,
                                 "Error: no frontend/backend matches --proxy 'fe_nope*' (HAProxy "
                                 "lists: be_app, be_down, fe_app, fe_idle, stats)\n")

    def test_stale_and_missing_socket_are_critical(self):
        stale = os.path.join(self.tmp, "stale.sock")
        bound = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        bound.bind(stale)  # exists, nobody listens: what HAProxy leaves when it stops
        self.addCleanup(bound.close)
        proc = self.run_probe("--socket", stale, expect_exit=2)
        self.assertRegex(proc.stdout, r"^Error: stats socket '.*' refuses connections")
        proc = self.run_probe("--socket", os.path.join(self.tmp, "absent.sock"), expect_exit=2)
        self.assertRegex(proc.stdout, r"^Error: no stats socket at '.*absent.sock'")


class FakeEndpointTest(HaproxyTestCase):
    """Replies that are not HAProxy stats, and endpoints that hang."""

    def serve_unix(self, reply, hang=False):
        path = os.path.join(self.tmp, f"fake{len(os.listdir(self.tmp))}.sock")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(path)
        server.listen(4)
        release = threading.Event()

        def run():
            conn, _ = server.accept()
            conn.recv(100)
            if hang:
                release.wait(10)
            else:
                conn.sendall(reply)
            conn.close()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()

        def cleanup():
            release.set()
            thread.join()
            server.close()
        self.addCleanup(cleanup)
        return path

    def serve_http(self, status, body, hang=False):
        server = loopback_listener()
        port = server.getsockname()[1]
        release = threading.Event()

        def run():
            conn, _ = server.accept()
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                request += chunk
            if hang:
                release.wait(10)
            else:
                conn.sendall(b"HTTP/1.1 %d X\r\nContent-Type: text/html\r\n"
                             b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
                             % (status, len(body), body))
            conn.close()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()

        def cleanup():
            release.set()
            thread.join()
            server.close()
        self.addCleanup(cleanup)
        return f"http://127.0.0.1:{port}/stats"

    def test_hanging_stats_page_ends_with_the_timeout_state(self):
        url = self.serve_http(200, b"", hang=True)
        proc = self.run_probe("--url", url, "-t", "1", expect_exit=2)
        self.assertEqual(proc.stdout,
                         f"Error: no complete reply from {url};csv within 1 seconds (-t 1)\n")
        self.assertLess(self.elapsed, 1.5)

    def test_html_instead_of_csv_is_unknown(self):
        url = self.serve_http(200, b"<html><body>Statistics Report</body></html>\n")
        proc = self.run_probe("--url", url, expect_exit=3)
        self.assertEqual(proc.stdout, "Error: unparsable stats: reply is not HAProxy stats CSV: "
                                      "the first line is '<html><body>Statistics Report</body>"
                                      "</html>'\n")

    def test_truncated_csv_is_unknown(self):
        header = "# pxname,svname,qcur,qmax,scur,smax,slim,status,type,\n"
        path = self.serve_unix((header + "fe,FRONTEND,,,3,3,10,OPEN,0,\nbe,BACK").encode())
        proc = self.run_probe("--socket", path, expect_exit=3)
        self.assertEqual(proc.stdout, "Error: unparsable stats: line 3: 2 fields where the "
                                      "header has 9 (truncated reply?)\n")

    def test_refusal_text_on_the_socket_is_unknown(self):
        path = self.serve_unix(b"Permission denied\n\n")
        proc = self.run_probe("--socket", path, expect_exit=3)
        self.assertEqual(proc.stdout, "Error: unparsable stats: reply is not HAProxy stats CSV: "
                                      "the first line is 'Permission denied'\n")

    def test_hanging_socket_ends_with_the_timeout_state(self):
        for option, exit_code in (("1", 2), ("1:UNKNOWN", 3)):
            with self.subTest(timeout=option):
                path = self.serve_unix(b"", hang=True)
                proc = self.run_probe("--socket", path, "-t", option, expect_exit=exit_code)
                self.assertRegex(proc.stdout, r"^Error: stats socket '.*' did not finish its "
                                              r"reply within 1 seconds \(-t 1\)\n$")
                self.assertLess(self.elapsed, 1.5)


class CommandLineTest(unittest.TestCase):
    def run_probe(self, *args):
        return subprocess.run([PROBE, *args], capture_output=True, text=True, timeout=30,
                              env={"PATH": "/usr/bin:/bin"})

    def test_help_and_version_exit_unknown(self):
        proc = self.run_probe("--help")
        self.assertEqual(proc.returncode, 3)
        self.assertIn("--down-critical", proc.stdout)
        proc = self.run_probe("-V")
        self.assertEqual(proc.returncode, 3)
        self.assertRegex(proc.stdout, r"^check_haproxy_sessions v\d+\.\d+\.\d+ \(automon ")

    def test_usage_error_is_unknown_and_does_not_echo_a_password(self):
        proc = self.run_probe("--socket", "/x", "--password=hunter2")
        self.assertEqual(proc.returncode, 3)
        self.assertEqual(proc.stdout, "Error: unknown option '--password' (see --help)\n")
        self.assertEqual(proc.stderr, "")


def main():
    global PROBE, HAPROXY
    parser = argparse.ArgumentParser()
    parser.add_argument("--probe", required=True)
    parser.add_argument("--haproxy", default=HAPROXY)
    args, rest = parser.parse_known_args()
    PROBE = os.path.abspath(args.probe)
    HAPROXY = args.haproxy
    if not os.access(HAPROXY, os.X_OK):
        print(f"SKIP: {HAPROXY} not installed (scripts/install-deps installs haproxy)")
        sys.exit(77)
    unittest.main(argv=[sys.argv[0], *rest], verbosity=2)


if __name__ == "__main__":
    main()
