#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Black-box tests of check_guacamole against the fake Guacamole server.

Usage: check_guacamole_test.py --probe PATH [unittest arguments, e.g. a
test class name]. ctest runs one class per test (label "integration").

Every run of the probe is checked for: the exact output and exit code the
test expects, an empty stderr (probes write stdout only), the password
never appearing in any output, and - where a server is involved - no token
left alive on the server afterwards.

All traffic stays on 127.0.0.1; the DNS-failure test runs the probe in a
fresh network namespace that has only a downed loopback interface, so no
packet can leave the host.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request
import json

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_guacamole import FakeGuacamole, User  # noqa: E402

PROBE = None  # set from --probe
PASSWORD = "S3cr3t-P\u00e4ss w\u00f6rd&=%"
ADMIN = "guacadmin"


def three_sessions():
    return [
        {"username": "alice", "remoteHost": "10.0.0.5", "connectionIdentifier": "3",
         "startDate": 1717100000000},
        {"username": "bob", "remoteHost": "10.0.0.9", "connectionIdentifier": "7",
         "startDate": 1717171717171},
        {"username": "carol", "remoteHost": "192.168.1.20", "connectionIdentifier": "3",
         "startDate": 1717200000000},
    ]


def success_line(n, warn="", crit=""):
    return "Apache Guacamole Active Sessions: %d | active_sessions=%d;%s;%s;0;\n" % (
        n, n, warn, crit)


class ProbeTestCase(unittest.TestCase):
    """Runs the probe and checks the invariants every run must keep."""

    def server(self, **kwargs):
        kwargs.setdefault("users", {ADMIN: User(PASSWORD)})
        kwargs.setdefault("sessions", three_sessions())
        fake = FakeGuacamole(**kwargs).start()
        self.addCleanup(fake.stop)
        return fake

    def run_probe(self, *args, password=PASSWORD, env=None, prefix=(), timeout=60):
        environment = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
        if password is not None:
            environment["GUACAMOLE_PASSWORD"] = password
        environment.update(env or {})
        started = time.monotonic()
        result = subprocess.run(
            list(prefix) + [PROBE] + list(args), env=environment, capture_output=True,
            timeout=timeout)
        result.elapsed = time.monotonic() - started
        result.out = result.stdout.decode("utf-8", "replace")
        err = result.stderr.decode("utf-8", "replace")
        self.assertEqual(err, "", "probes write to stdout only")
        for secret in (PASSWORD, PASSWORD.encode("utf-8").decode("latin-1")):
            self.assertNotIn(secret, result.out, "the password leaked")
        return result

    def probe(self, fake, *args, **kwargs):
        """Runs against `fake` and checks no token stays alive."""
        result = self.run_probe("-H", "127.0.0.1", "-p", str(fake.port), "--username",
                                ADMIN, *args, **kwargs)
        self.assertEqual(fake.live_tokens(), 0, "a token was left behind:\n" + result.out)
        return result

    def assertOutput(self, result, text, code):
        self.assertEqual(result.out, text)
        self.assertEqual(result.returncode, code, result.out)

    def url(self, fake, path=""):
        return "http://127.0.0.1:%d/guacamole%s" % (fake.port, path)


class VersionTest(ProbeTestCase):
    """The right count and the exact line against every version mode."""

    def test_counts_sessions_in_every_version(self):
        for version in ("1.3", "1.5", "1.6"):
            with self.subTest(version=version):
                fake = self.server(version=version)
                self.assertOutput(self.probe(fake), success_line(3), 0)
                self.assertEqual(fake.logins, 1)

    def test_modern_servers_never_see_the_token_in_the_url(self):
        for version in ("1.5", "1.6"):
            with self.subTest(version=version):
                fake = self.server(version=version)
                self.assertOutput(self.probe(fake), success_line(3), 0)
                for request in fake.requests:
                    self.assertNotIn("token=", request["query"], request)
                gets = [r for r in fake.requests if r["method"] == "GET"]
                self.assertEqual(len(gets), 1)
                self.assertEqual(len(gets[0]["header_token"]), 64)

    def test_version_1_3_gets_the_token_in_the_query(self):
        fake = self.server(version="1.3")
        self.assertOutput(self.probe(fake, "-vv"),
                          success_line(3) +
                          "user alice, remote host 10.0.0.5, connection 3, started 2024-05-30 "
                          "20:13:20 UTC\n"
                          "user bob, remote host 10.0.0.9, connection 7, started 2024-05-31 "
                          "16:08:37 UTC\n"
                          "user carol, remote host 192.168.1.20, connection 3, started "
                          "2024-06-01 00:00:00 UTC\n"
                          "data source: mysql\n"
                          "the server ignores the Guacamole-Token header (Guacamole < 1.4); the "
                          "token was sent as ?token=\n", 0)
        gets = [r for r in fake.requests if r["method"] == "GET"]
        self.assertEqual([("token=" in r["query"]) for r in gets], [False, True])

    def test_login_is_form_data(self):
        fake = self.server()
        self.probe(fake)
        login = fake.requests[0]
        self.assertEqual((login["method"], login["path"]), ("POST", "/guacamole/api/tokens"))
        self.assertEqual(login["content_type"], "application/x-www-form-urlencoded")
        methods = [(r["method"], r["path"].split("/api/")[1][:7]) for r in fake.requests]
        self.assertEqual(methods, [("POST", "tokens"), ("GET", "session"),
                                   ("DELETE", "tokens/")])

    def test_no_sessions(self):
        fake = self.server(sessions=[])
        self.assertOutput(self.probe(fake), success_line(0), 0)

    def test_thresholds(self):
        cases = [
            (3, ["-w", "5", "-c", "10"], 0, "5", "10"),
            (3, ["-w", "2", "-c", "10"], 1, "2", "10"),
            (3, ["-w", "1", "-c", "2"], 2, "1", "2"),
            (3, ["-c", "@3:5"], 2, "", "@3:5"),
            (0, ["-c", "1:"], 2, "", "1:"),
            (3, ["-w", "~:2"], 1, "~:2", ""),
        ]
        for n, args, code, warn, crit in cases:
            with self.subTest(args=args):
                fake = self.server(sessions=three_sessions()[:n])
                self.assertOutput(self.probe(fake, *args), success_line(n, warn, crit), code)

    def test_verbose_lists_sessions_oldest_first(self):
        fake = self.server()
        self.assertOutput(self.probe(fake, "-v"),
                          success_line(3) +
                          "user alice, remote host 10.0.0.5, connection 3, started 2024-05-30 "
                          "20:13:20 UTC\n"
                          "user bob, remote host 10.0.0.9, connection 7, started 2024-05-31 "
                          "16:08:37 UTC\n"
                          "user carol, remote host 192.168.1.20, connection 3, started "
                          "2024-06-01 00:00:00 UTC\n", 0)

    def test_non_admin_view(self):
        fake = FakeGuacamole(users={"monitor": User(PASSWORD, admin=False, readable=["3"])},
                             sessions=three_sessions() + [
                                 {"username": "monitor", "remoteHost": "10.9.9.9",
                                  "connectionIdentifier": "3", "startDate": 1717000000000}]
                             ).start()
        self.addCleanup(fake.stop)
        result = self.run_probe("-H", "127.0.0.1", "-p", str(fake.port), "--username",
                                "monitor", "-v")
        self.assertOutput(result,
                          success_line(3) +
                          "user monitor, remote host 10.9.9.9, connection 3, started "
                          "2024-05-29 16:26:40 UTC\n"
                          "user (hidden), remote host (hidden), connection 3, started "
                          "2024-05-30 20:13:20 UTC\n"
                          "user (hidden), remote host (hidden), connection 3, started "
                          "2024-06-01 00:00:00 UTC\n"
                          "2 session(s) show no user: 'monitor' lacks the ADMINISTER "
                          "permission, so only sessions on connections it may READ are "
                          "visible and counted\n", 0)
        self.assertEqual(fake.live_tokens(), 0)

    def test_auto_picks_first_database_source(self):
        fake = self.server(sources=("ldap", "postgresql", "postgresql-shared"))
        self.assertOutput(self.probe(fake, "--data-source", "auto", "-vv"),
                          success_line(3) +
                          "user alice, remote host 10.0.0.5, connection 3, started 2024-05-30 "
                          "20:13:20 UTC\n"
                          "user bob, remote host 10.0.0.9, connection 7, started 2024-05-31 "
                          "16:08:37 UTC\n"
                          "user carol, remote host 192.168.1.20, connection 3, started "
                          "2024-06-01 00:00:00 UTC\n"
                          "data source: postgresql\n", 0)

    def test_uri_forms(self):
        cases = [("/guacamole", "guacamole/"), ("/guacamole", "/guacamole/"),
                 ("", "/"), ("/remote/guac", "remote/guac")]
        for base, uri in cases:
            with self.subTest(base=base, uri=uri):
                fake = self.server(base=base)
                self.assertOutput(self.probe(fake, "--uri", uri), success_line(3), 0)

    def test_basic_auth_fallback_of_the_fake_is_not_used(self):
        # The probe sends form fields, so the server never needs the
        # Authorization: Basic fallback; a wrong form password is refused even
        # though nothing else is sent.
        fake = self.server()
        result = self.probe(fake, password="wrong")
        self.assertEqual(result.returncode, 2)

    def test_repeated_runs_leave_nothing_behind(self):
        fake = self.server()
        for _ in range(10):
            self.assertOutput(self.probe(fake), success_line(3), 0)
        self.assertEqual(fake.issued, 10)


class TokenTest(ProbeTestCase):
    """Expiry, revocation and the one re-login."""

    def test_expired_token_logs_in_again_once(self):
        for version in ("1.3", "1.5", "1.6"):
            with self.subTest(version=version):
                fake = self.server(version=version, dead_tokens=1)
                self.assertOutput(self.probe(fake), success_line(3), 0)
                self.assertEqual(fake.logins, 2)

    def test_fresh_token_rejected_stops_after_one_relogin(self):
        fake = self.server(dead_tokens=2)
        self.assertOutput(self.probe(fake),
                          "Error: Guacamole rejected a freshly issued token while listing "
                          "active connections (HTTP 403 PERMISSION_DENIED) even after a new "
                          "login; are several Guacamole nodes behind a load balancer without "
                          "sticky sessions?\n", 3)
        self.assertEqual(fake.logins, 2)

    def test_zero_idle_timeout_expires_every_token(self):
        fake = self.server(expiry_seconds=0)
        result = self.probe(fake)
        self.assertEqual(result.returncode, 3)
        self.assertTrue(result.out.startswith("Error: Guacamole rejected a freshly issued token"))
        self.assertEqual(fake.logins, 2)

    def test_failed_logout_is_reported(self):
        fake = self.server(faults={"delete": "internal"})
        result = self.run_probe("-H", "127.0.0.1", "-p", str(fake.port), "--username", ADMIN)
        self.assertOutput(result,
                          success_line(3) +
                          "could not release the session token: DELETE %s/api/tokens/... "
                          "answered HTTP 500; it stays valid on the server until its idle "
                          "timeout (api-session-timeout, 60 minutes by default)\n"
                          % self.url(fake), 0)
        self.assertEqual(fake.live_tokens(), 1)  # honestly reported above


class ErrorTest(ProbeTestCase):
    """Every error class: its own line and exit code; no token left."""

    def test_connection_refused(self):
        # Bound but not listening: connecting is refused, and no other
        # process can take the port meanwhile.
        sock = socket.socket()
        self.addCleanup(sock.close)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        result = self.run_probe("-H", "127.0.0.1", "-p", str(port), "--username", ADMIN)
        self.assertOutput(result,
                          "Error: connection refused by 127.0.0.1 port %d: is Guacamole (its "
                          "servlet container) running and listening there?\n" % port, 2)

    def test_dns_failure(self):
        if os.geteuid() != 0 or not shutil.which("unshare"):
            self.skipTest("needs root and unshare(1) for a network namespace")
        # A new network namespace has only a downed loopback interface: the
        # resolver cannot send anything, so no packet leaves the host. The
        # shell checks that before starting the probe.
        prefix = ["unshare", "--net", "sh", "-c",
                  'test "$(ip -o link | wc -l)" = 1 || exit 99; exec "$@"', "sh"]
        result = self.run_probe("-H", "guacamole.automon-test.invalid", "--username", ADMIN,
                                prefix=prefix)
        self.assertOutput(result,
                          "Error: cannot resolve host name 'guacamole.automon-test.invalid': "
                          "check --host and the DNS configuration\n", 3)

    def test_bad_credentials_are_not_retried(self):
        fake = self.server()
        result = self.probe(fake, password="wrong")
        self.assertOutput(result,
                          "Error: Guacamole rejected the login of user 'guacadmin': invalid "
                          "username or password (HTTP 403 INVALID_CREDENTIALS); not retried, as "
                          "Guacamole 1.6 bans an address after 5 failed logins\n", 2)
        self.assertEqual(fake.logins, 1)

    def test_ban_after_five_failures(self):
        fake = self.server(version="1.6")
        for _ in range(5):
            self.assertEqual(self.probe(fake, password="wrong").returncode, 2)
        self.assertEqual(fake.logins, 5)
        # Now even the right password is refused.
        self.assertOutput(self.probe(fake),
                          "Error: Guacamole refuses logins from this address after too many "
                          "failed attempts (HTTP 429: \"Too many failed authentication "
                          "attempts.\"); fix the password, then wait until the ban ends (5 "
                          "minutes by default); users behind the same address are locked out "
                          "too\n", 2)
        self.assertEqual(fake.logins, 6)

    def test_no_ban_before_1_6(self):
        fake = self.server(version="1.5")
        for _ in range(6):
            self.probe(fake, password="wrong")
        self.assertOutput(self.probe(fake), success_line(3), 0)

    def test_mfa_required(self):
        fake = self.server(users={ADMIN: User(PASSWORD, mfa=True)})
        self.assertOutput(self.probe(fake),
                          "Error: the login of user 'guacadmin' needs more than a password "
                          "(HTTP 403 INSUFFICIENT_CREDENTIALS, TOTP.INFO_CODE_REQUIRED): "
                          "multi-factor authentication such as TOTP, or an expired password; "
                          "use a monitoring account without MFA\n", 3)
        self.assertEqual(fake.logins, 1)

    def test_disabled_account(self):
        fake = self.server(faults={"login": "disabled"})
        self.assertOutput(self.probe(fake),
                          "Error: Guacamole refused the login of user 'guacadmin' (HTTP 400 "
                          "BAD_REQUEST: \"User account is no longer valid.\")\n", 2)

    def test_unknown_data_source(self):
        fake = self.server()
        self.assertOutput(self.probe(fake, "--data-source", "postgresql"),
                          "Error: data source 'postgresql' does not exist for user 'guacadmin' "
                          "(HTTP 404 NOT_FOUND); the login offers: mysql, mysql-shared; use "
                          "--data-source auto or one of those\n", 3)
        self.assertEqual(fake.issued, 1)

    def test_source_that_never_reports_sessions(self):
        fake = self.server(sources=("ldap", "mysql"))
        self.assertOutput(self.probe(fake, "--data-source", "ldap"),
                          "Error: data source 'ldap' never reports active sessions: Guacamole "
                          "tracks them only in its database modules (mysql, postgresql, "
                          "sqlserver); use --data-source auto or a database data source\n", 3)
        self.assertEqual(fake.logins, 0)

    def test_auto_without_database_source(self):
        fake = self.server(sources=("default", "quickconnect"))
        self.assertOutput(self.probe(fake, "--data-source", "auto"),
                          "Error: none of the data sources of user 'guacadmin' (default, "
                          "quickconnect) reports active sessions: Guacamole tracks them only in "
                          "its database modules (mysql, postgresql, sqlserver); give the account "
                          "a database data source\n", 3)
        self.assertEqual(fake.issued, 1)

    def test_html_from_a_proxy(self):
        cases = [("login", "html502", "/api/tokens", 502, "logging in"),
                 ("active", "html502", "/api/session/data/mysql/activeConnections", 502,
                  "listing active connections"),
                 ("active", "html504", "/api/session/data/mysql/activeConnections", 504,
                  "listing active connections")]
        for kind, fault, path, status, phase in cases:
            with self.subTest(kind=kind, fault=fault):
                fake = self.server(faults={kind: fault})
                self.assertOutput(self.probe(fake),
                                  "Error: %s answered HTTP %d with text/html instead of JSON "
                                  "while %s: a proxy in front of Guacamole reports an error; is "
                                  "the Guacamole web application running?\n"
                                  % (self.url(fake, path), status, phase), 2)

    def test_html_page_where_the_api_should_be(self):
        fake = self.server(faults={"login": "html200"})
        self.assertOutput(self.probe(fake),
                          "Error: %s answered HTTP 200 with text/html instead of JSON while "
                          "logging in: is Guacamole really at this address? check --uri (now "
                          "'/guacamole') and --port\n" % self.url(fake, "/api/tokens"), 3)

    def test_wrong_uri(self):
        fake = self.server()
        self.assertOutput(self.probe(fake, "--uri", "/guac"),
                          "Error: http://127.0.0.1:%d/guac/api/tokens answered HTTP 404 with "
                          "text/html instead of JSON while logging in: is Guacamole really at "
                          "this address? check --uri (now '/guac') and --port\n" % fake.port, 3)

    def test_malformed_json(self):
        for fault in ("garbage", "truncated"):
            with self.subTest(fault=fault):
                fake = self.server(faults={"active": fault})
                result = self.probe(fake)
                self.assertEqual(result.returncode, 3, result.out)
                self.assertTrue(result.out.startswith("Error: malformed JSON: parse error at "),
                                result.out)
                self.assertTrue(result.out.endswith(
                    " from %s (HTTP 200)\n"
                    % self.url(fake, "/api/session/data/mysql/activeConnections")), result.out)
                self.assertEqual(result.out.count("\n"), 1)

    def test_wrong_json_shape(self):
        fake = self.server(faults={"active": "array"})
        self.assertOutput(self.probe(fake),
                          "Error: unexpected JSON: expected an object of active connections, got "
                          "an array from %s (HTTP 200)\n"
                          % self.url(fake, "/api/session/data/mysql/activeConnections"), 3)

    def test_internal_error(self):
        fake = self.server(faults={"login": "internal"})
        self.assertOutput(self.probe(fake),
                          "Error: Guacamole failed while logging in (HTTP 500 INTERNAL_ERROR: "
                          "\"Unexpected internal error\"); see the Guacamole server log "
                          "(database down?)\n", 2)

    def test_redirect(self):
        fake = self.server(faults={"login": "redirect"})
        self.assertOutput(self.probe(fake),
                          "Error: %s redirects to https://127.0.0.1/guacamole/api/tokens (HTTP "
                          "302) while logging in: point --protocol, --port and --uri at "
                          "Guacamole itself\n" % self.url(fake, "/api/tokens"), 3)

    def test_server_quoting_the_password_is_redacted(self):
        fake = self.server(faults={"login": "echo_password"})
        result = self.probe(fake)  # probe() asserts the password is absent
        self.assertOutput(result,
                          "Error: Guacamole refused the login of user 'guacadmin' (HTTP 400 "
                          "BAD_REQUEST: \"Password ******** is not allowed\")\n", 2)


class TimeoutTest(ProbeTestCase):
    """-t ends the probe with a clear message, and tokens are still released."""

    def test_hanging_login(self):
        fake = self.server(faults={"login": "hang"})
        result = self.probe(fake, "-t", "2")
        self.assertOutput(result,
                          "Error: no complete reply from %s within 2 seconds (-t 2) while "
                          "logging in: the server or a proxy in front of it hangs\n"
                          % self.url(fake, "/api/tokens"), 2)
        self.assertLess(result.elapsed, 2.5)

    def test_hanging_list_still_releases_the_token(self):
        fake = self.server(faults={"active": "hang"})
        result = self.probe(fake, "-t", "3")  # probe() checks no token is left
        self.assertOutput(result,
                          "Error: no complete reply from %s within 3 seconds (-t 3) while "
                          "listing active connections: the server or a proxy in front of it "
                          "hangs\n" % self.url(fake, "/api/session/data/mysql/activeConnections"),
                          2)
        self.assertEqual(fake.issued, 1)
        self.assertLess(result.elapsed, 3.5)

    def test_timeout_state_is_configurable(self):
        fake = self.server(faults={"login": "hang"})
        result = self.probe(fake, "-t", "1:UNKNOWN")
        self.assertEqual(result.returncode, 3)
        self.assertTrue(result.out.startswith("Error: no complete reply from "), result.out)

    def test_hanging_logout_is_bounded_too(self):
        fake = self.server(faults={"delete": "hang"})
        result = self.run_probe("-H", "127.0.0.1", "-p", str(fake.port), "--username", ADMIN,
                                "-t", "2")
        self.assertLess(result.elapsed, 2.5)
        self.assertEqual(result.returncode, 0, result.out)
        lines = result.out.splitlines()
        self.assertEqual(lines[0] + "\n", success_line(3))
        self.assertTrue(lines[1].startswith("could not release the session token: "), lines)
        self.assertTrue(lines[1].endswith("it stays valid on the server until its idle timeout "
                                          "(api-session-timeout, 60 minutes by default)"), lines)

    def test_hanging_server_everywhere_is_bounded(self):
        fake = self.server(faults={"any": "hang"})
        result = self.probe(fake, "-t", "1")
        self.assertEqual(result.returncode, 2, result.out)
        self.assertLess(result.elapsed, 1.5)


class TlsTest(ProbeTestCase):
    """Certificate verification, --ca-file, --insecure, protocol mix-ups."""

    @classmethod
    def setUpClass(cls):
        if not shutil.which("openssl"):
            raise unittest.SkipTest("openssl(1) is needed to make test certificates")
        cls.dir = tempfile.mkdtemp(prefix="check_guacamole_tls.")
        d = cls.dir

        def openssl(*args):
            subprocess.run(["openssl"] + list(args), check=True, capture_output=True, cwd=d)

        curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl("req", "-x509", *curve, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=automon test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        for name, san in (("good", "IP:127.0.0.1,DNS:localhost"),
                          ("wrong", "DNS:other.automon-test.invalid")):
            openssl("req", *curve, "-keyout", name + ".key", "-out", name + ".csr",
                    "-subj", "/CN=" + name)
            with open(os.path.join(d, name + ".ext"), "w") as f:
                f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
                        "extendedKeyUsage=serverAuth\n" % san)
            openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                    "-CAcreateserial", "-days", "2", "-extfile", name + ".ext",
                    "-out", name + ".pem")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def tls_server(self, name="good", **kwargs):
        return self.server(tls=(os.path.join(self.dir, name + ".pem"),
                                os.path.join(self.dir, name + ".key")), **kwargs)

    def test_verified_with_ca_file(self):
        fake = self.tls_server()
        self.assertOutput(self.probe(fake, "--protocol", "https", "--ca-file",
                                     os.path.join(self.dir, "ca.pem")), success_line(3), 0)

    def test_untrusted_certificate(self):
        fake = self.tls_server()
        result = self.probe(fake, "--protocol", "https")
        self.assertEqual(result.returncode, 2, result.out)
        self.assertRegex(result.out,
                         r"^Error: TLS certificate of 127\.0\.0\.1 port %d failed verification "
                         r"\(SSL certificate problem: [^)]*\); trust its CA with --ca-file FILE, "
                         r"or skip verification with --insecure\n$" % fake.port)
        self.assertEqual(fake.logins, 0)

    def test_insecure_skips_verification(self):
        fake = self.tls_server()
        self.assertOutput(self.probe(fake, "--protocol", "https", "--insecure"),
                          success_line(3), 0)

    def test_wrong_host_name(self):
        fake = self.tls_server("wrong")
        result = self.probe(fake, "--protocol", "https", "--ca-file",
                            os.path.join(self.dir, "ca.pem"))
        self.assertEqual(result.returncode, 2, result.out)
        self.assertRegex(result.out,
                         r"^Error: TLS certificate of 127\.0\.0\.1 port %d failed verification "
                         r"\(.*127\.0\.0\.1.*\); trust its CA with --ca-file FILE, or skip "
                         r"verification with --insecure\n$" % fake.port)

    def test_https_to_a_plain_http_server(self):
        fake = self.server()
        result = self.probe(fake, "--protocol", "https")
        self.assertEqual(result.returncode, 2, result.out)
        self.assertRegex(result.out,
                         r"^Error: TLS handshake with 127\.0\.0\.1 port %d failed \(.+\): does "
                         r"the server speak HTTPS on that port\? check --protocol and --port\n$"
                         % fake.port)

    def test_http_to_a_tls_server(self):
        fake = self.tls_server()
        result = self.probe(fake)
        self.assertEqual(result.returncode, 2, result.out)
        self.assertTrue(result.out.startswith(
            "Error: request to %s failed while logging in: " % self.url(fake, "/api/tokens")),
            result.out)

    def test_unusable_ca_file(self):
        fake = self.tls_server()
        result = self.probe(fake, "--protocol", "https", "--ca-file",
                            os.path.join(self.dir, "missing.pem"))
        self.assertEqual(result.returncode, 3, result.out)
        self.assertTrue(result.out.startswith(
            "Error: cannot use --ca-file '%s': " % os.path.join(self.dir, "missing.pem")),
            result.out)


class OutputTest(ProbeTestCase):
    """Formats, standard options, password sources and usage errors."""

    def test_checkmk(self):
        fake = self.server()
        self.assertOutput(self.probe(fake, "--format", "checkmk", "-w", "2", "-c", "5"),
                          "1 \"Guacamole Active Sessions\" active_sessions=3;2;5;0; Apache "
                          "Guacamole Active Sessions: 3\n", 1)

    def test_checkmk_error(self):
        fake = self.server()
        self.assertOutput(self.probe(fake, "--format", "checkmk", password="wrong"),
                          "2 \"Guacamole Active Sessions\" - Error: Guacamole rejected the login "
                          "of user 'guacadmin': invalid username or password (HTTP 403 "
                          "INVALID_CREDENTIALS); not retried, as Guacamole 1.6 bans an address "
                          "after 5 failed logins\n", 2)

    def test_prometheus(self):
        fake = self.server(history=1500)
        result = self.probe(fake, "--format", "prometheus")
        # The duration varies; the rest is exact.
        lines = result.out.splitlines(keepends=True)
        self.assertRegex(lines[-1], r"^guacamole_scrape_duration_seconds 0\.\d{6}\n$")
        result.out = "".join(lines[:-3])
        self.assertOutput(result,
                          "# HELP guacamole_up Was the last Guacamole query successful.\n"
                          "# TYPE guacamole_up gauge\n"
                          "guacamole_up 1\n"
                          "# HELP guacamole_connection_history_total The total number of "
                          "established connections\n"
                          "# TYPE guacamole_connection_history_total counter\n"
                          "guacamole_connection_history_total 1000\n"
                          "# HELP guacamole_number_of_users The current number of registered "
                          "users\n"
                          "# TYPE guacamole_number_of_users gauge\n"
                          "guacamole_number_of_users 1\n"
                          "# HELP guacamole_number_of_active_connections The current number of "
                          "active connections\n"
                          "# TYPE guacamole_number_of_active_connections gauge\n"
                          "guacamole_number_of_active_connections 3\n", 0)

    def test_prometheus_error(self):
        fake = self.server(faults={"login": "internal"})
        result = self.probe(fake, "--format", "prometheus")
        result.out = "".join(line for line in result.out.splitlines(keepends=True)
                             if "guacamole_scrape_duration_seconds" not in line)
        self.assertOutput(result,
                          "# HELP guacamole_up Was the last Guacamole query successful.\n"
                          "# TYPE guacamole_up gauge\n"
                          "guacamole_up 0\n"
                          "# Error: Guacamole failed while logging in (HTTP 500 INTERNAL_ERROR: "
                          "\"Unexpected internal error\"); see the Guacamole server log "
                          "(database down?)\n", 2)

    def test_help_and_version_exit_unknown(self):
        result = self.run_probe("-h")
        self.assertEqual(result.returncode, 3)
        self.assertTrue(result.out.startswith("check_guacamole - count the active sessions"))
        result = self.run_probe("--version")
        self.assertOutput(result, "check_guacamole v0.1.0 (automon 0.1.0)\n", 3)

    def test_usage_errors_exit_unknown(self):
        cases = [
            ([], "Error: --host is required (see --help)\n"),
            (["-H", "h", "--username", "u", "-w", "x"],
             "Error: invalid -w range 'x': 'x' is not a number\n"),
            (["-H", "h", "--username", "u", "--bogus"],
             "Error: unknown option '--bogus' (see --help)\n"),
            (["-H", "h", "--username", "u", "positional"],
             "Error: unexpected argument 'positional' (see --help)\n"),
        ]
        for args, text in cases:
            with self.subTest(args=args):
                self.assertOutput(self.run_probe(*args), text, 3)

    def test_missing_password(self):
        self.assertOutput(self.run_probe("-H", "127.0.0.1", "--username", ADMIN, password=None),
                          "Error: no password: use --password-file FILE, the environment "
                          "variable GUACAMOLE_PASSWORD, or --password\n", 3)

    def test_password_sources(self):
        fake = self.server()
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", delete=False) as f:
            f.write(PASSWORD + "\n")
        self.addCleanup(os.unlink, f.name)
        self.assertOutput(self.probe(fake, "--password-file", f.name, password=None),
                          success_line(3), 0)
        self.assertOutput(self.probe(fake, "--password", PASSWORD, password=None),
                          success_line(3), 0)
        # --password-file wins over the environment.
        self.assertOutput(self.probe(fake, "--password-file", f.name, password="wrong"),
                          success_line(3), 0)
        self.assertEqual(fake.logins, 3)

    def test_environment_proxy_is_ignored(self):
        fake = self.server()
        self.assertOutput(self.probe(fake, env={"http_proxy": "http://127.0.0.1:9",
                                                "HTTPS_PROXY": "http://127.0.0.1:9",
                                                "ALL_PROXY": "http://127.0.0.1:9"}),
                          success_line(3), 0)


class FakeServerTest(unittest.TestCase):
    """The fake follows the reference (§4), so the tests above mean something."""

    def setUp(self):
        self.fakes = []

    def tearDown(self):
        for fake in self.fakes:
            fake.stop()

    def start(self, **kwargs):
        kwargs.setdefault("users", {ADMIN: User("pw")})
        fake = FakeGuacamole(**kwargs).start()
        self.fakes.append(fake)
        return fake

    def call(self, fake, method, path, data=None, headers=None):
        request = urllib.request.Request("http://127.0.0.1:%d%s" % (fake.port, path),
                                         method=method, data=data, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.headers.get("Content-Type"), response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers.get("Content-Type"), e.read()

    def login(self, fake, password="pw"):
        return self.call(fake, "POST", "/guacamole/api/tokens",
                         ("username=%s&password=%s" % (ADMIN, password)).encode(),
                         {"Content-Type": "application/x-www-form-urlencoded"})

    def test_listens_on_loopback_only(self):
        fake = self.start()
        self.assertEqual(fake.httpd.server_address[0], "127.0.0.1")

    def test_login_reply_shape(self):
        fake = self.start(sources=("postgresql", "postgresql-shared"))
        status, ctype, body = self.login(fake)
        self.assertEqual((status, ctype), (200, "application/json"))
        reply = json.loads(body)
        self.assertRegex(reply["authToken"], r"^[0-9A-F]{64}$")
        self.assertEqual(reply["dataSource"], "postgresql")
        self.assertEqual(reply["availableDataSources"], ["postgresql", "postgresql-shared"])

    def test_error_bodies_per_version(self):
        for version, has_patches in (("1.3", False), ("1.5", False), ("1.6", True)):
            fake = self.start(version=version)
            status, ctype, body = self.login(fake, "wrong")
            self.assertEqual((status, ctype), (403, "application/json"))
            error = json.loads(body)
            keys = ["message", "translatableMessage", "statusCode", "expected"] + (
                ["patches"] if has_patches else []) + ["type"]
            self.assertEqual(list(error), keys, version)
            self.assertEqual(error["type"], "INVALID_CREDENTIALS")
            self.assertEqual(error["message"], "Invalid login")
            self.assertEqual(error["expected"], [{"name": "username", "type": "USERNAME"},
                                                 {"name": "password", "type": "PASSWORD"}])

    def test_token_transport_per_version(self):
        for version, header_works in (("1.3", False), ("1.5", True), ("1.6", True)):
            fake = self.start(version=version)
            token = json.loads(self.login(fake)[2])["authToken"]
            path = "/guacamole/api/session/data/mysql/activeConnections"
            status = self.call(fake, "GET", path, headers={"Guacamole-Token": token})[0]
            self.assertEqual(status, 200 if header_works else 403, version)
            self.assertEqual(self.call(fake, "GET", path + "?token=" + token)[0], 200, version)
            # Header wins over the query on >= 1.4.
            if header_works:
                status, _, body = self.call(fake, "GET", path + "?token=" + token,
                                            headers={"Guacamole-Token": "BAD"})
                self.assertEqual(status, 403)
                self.assertEqual(json.loads(body)["type"], "PERMISSION_DENIED")

    def test_logout(self):
        fake = self.start()
        token = json.loads(self.login(fake)[2])["authToken"]
        self.assertEqual(self.call(fake, "DELETE", "/guacamole/api/tokens/" + token)[:2],
                         (204, None))
        status, _, body = self.call(fake, "DELETE", "/guacamole/api/tokens/" + token)
        self.assertEqual((status, json.loads(body)["message"]), (404, "No such token."))
        self.assertEqual(fake.live_tokens(), 0)

    def test_head_session_only_in_1_6(self):
        fake = self.start(version="1.6")
        token = json.loads(self.login(fake)[2])["authToken"]
        self.assertEqual(self.call(fake, "HEAD", "/guacamole/api/session",
                                   headers={"Guacamole-Token": token})[0], 204)
        self.assertEqual(self.call(fake, "HEAD", "/guacamole/api/session",
                                   headers={"Guacamole-Token": "X"})[0], 403)
        old = self.start(version="1.5")
        self.assertEqual(self.call(old, "HEAD", "/guacamole/api/session")[0], 404)

    def test_unknown_and_non_database_sources(self):
        fake = self.start(sources=("ldap", "mysql"), sessions=three_sessions())
        token = json.loads(self.login(fake)[2])["authToken"]
        h = {"Guacamole-Token": token}
        status, _, body = self.call(fake, "GET", "/guacamole/api/session/data/xyz/"
                                    "activeConnections", headers=h)
        self.assertEqual((status, json.loads(body)["message"]),
                         (404, 'Session not associated with authentication provider "xyz".'))
        status, _, body = self.call(fake, "GET", "/guacamole/api/session/data/ldap/"
                                    "activeConnections", headers=h)
        self.assertEqual((status, json.loads(body)), (200, {}))
        status, _, body = self.call(fake, "GET", "/guacamole/api/session/data/mysql/"
                                    "activeConnections", headers=h)
        self.assertEqual(len(json.loads(body)), 3)

    def test_ban(self):
        fake = self.start(version="1.6")
        for _ in range(5):
            self.assertEqual(self.login(fake, "wrong")[0], 403)
        status, _, body = self.login(fake)  # the right password
        self.assertEqual(status, 429)
        self.assertEqual(json.loads(body)["message"], "Too many failed authentication attempts.")

    def test_unmatched_paths_are_html(self):
        fake = self.start()
        status, ctype, _ = self.call(fake, "GET", "/guacamole/nope")
        self.assertEqual((status, ctype), (404, "text/html;charset=utf-8"))
        self.assertEqual(self.call(fake, "GET", "/guacamole/api/tokens")[0], 405)

    def test_unauthenticated_extras(self):
        fake = self.start(version="1.5")
        self.assertEqual(self.call(fake, "GET", "/guacamole/api/patches")[2], b"[]")
        self.assertEqual(json.loads(self.call(fake, "GET", "/guacamole/api/languages")[2]),
                         {"en": "English"})
        version = json.loads(self.call(fake, "GET", "/guacamole/translations/en.json")[2])
        self.assertEqual(version["APP"]["VERSION"], "1.5.5")

    def test_control_endpoint(self):
        fake = self.start()
        self.login(fake)
        state = json.loads(self.call(fake, "GET", "/_fake/state")[2])
        self.assertEqual((state["live_tokens"], state["logins"]), (1, 1))


def main():
    global PROBE
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "--probe":
        PROBE = os.path.abspath(args[1])
        args = args[2:]
    else:
        PROBE = os.environ.get("CHECK_GUACAMOLE")
    if not PROBE or not os.access(PROBE, os.X_OK):
        sys.exit("usage: check_guacamole_test.py --probe PATH [unittest args]")
    unittest.main(argv=[sys.argv[0]] + args, verbosity=2)


if __name__ == "__main__":
    main()
