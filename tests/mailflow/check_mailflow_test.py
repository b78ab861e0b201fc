#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Black-box tests of check_mailflow against a real Postfix and Dovecot.

Usage: check_mailflow_test.py --probe PATH [unittest arguments, e.g. a class]
ctest runs one class per test (label "integration").

Each class starts Debian's Postfix and Dovecot with private configurations
in a temporary directory, on 127.0.0.1 only (mail_servers.py), and stops
them again whatever happens (tearDownClass, and a SIGTERM/SIGINT handler).
Postfix delivers to a Maildir that Dovecot serves over IMAP and POP3, with
and without TLS (a self-signed certificate made with openssl for
mail.automon.test).

Every run of the probe is checked for: the exit code, the output the test
expects, an empty stderr, and the password never appearing in the output.
Exit 77 (skipped) when the servers are not installed or we are not root.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mail_servers  # noqa: E402

PROBE = None
USER = "flow"
PASSWORD = "S3cret pw#%-\u00e4"
TLS_NAME = "mail.automon.test"
TO = f"{USER}@{mail_servers.MAIL_DOMAIN}"
BLOCKED_TO = f"{USER}@{mail_servers.BLOCKED_DOMAIN}"

# Every MailServers running, so a signal can still stop them.
RUNNING = []


def stop_all_and_exit(signum, _frame):
    for servers in list(RUNNING):
        servers.stop()
        shutil.rmtree(servers.root, ignore_errors=True)
    os._exit(128 + signum)


class Run:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def __repr__(self):
        return f"exit {self.code}, stdout {self.out!r}, stderr {self.err!r}"


class MailTestCase(unittest.TestCase):
    """Starts the servers once per class; helpers to run the probe."""

    cert_days = 365

    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="automon-mailflow-")
        cls.servers = mail_servers.MailServers(cls.root, cert_days=cls.cert_days)
        cls.servers.add_user(USER, PASSWORD)
        RUNNING.append(cls.servers)
        cls.addClassCleanup(cls._cleanup)
        cls.servers.start()
        cls.password_file = os.path.join(cls.root, "password")
        with open(cls.password_file, "w") as f:
            f.write(PASSWORD + "\n")
        os.chmod(cls.password_file, 0o600)

    @classmethod
    def _cleanup(cls):
        cls.servers.stop()
        RUNNING.remove(cls.servers)
        shutil.rmtree(cls.root, ignore_errors=True)

    def state_dir(self, flow):
        return os.path.join(self.root, "state", flow)

    def probe(self, *args, env=None):
        os.makedirs(os.path.join(self.root, "state"), exist_ok=True)
        full_env = {"PATH": "/usr/bin:/bin"}
        full_env.update(env or {})
        proc = subprocess.run([PROBE, *args], capture_output=True, text=True, timeout=60,
                              env=full_env)
        run = Run(proc)
        self.assertEqual(run.err, "", run)
        self.assertNotIn(PASSWORD, run.out)
        self.assertNotIn("S3cret", run.out)
        return run

    def send(self, flow, *extra, to=TO, port=None):
        return self.probe("--mode", "send", "--mailflowid", flow, "-H", "127.0.0.1",
                          "-p", str(port or self.servers.smtp_port), "--to", to,
                          "--state-dir", self.state_dir(flow), *extra)

    def receive(self, flow, protocol, *extra, port=None, password_file=None, env=None):
        if port is None:
            port = self.servers.imap_port if protocol == "imap" else self.servers.pop3_port
        auth = ["--password-file", password_file or self.password_file]
        if env is not None:
            auth = []
        return self.probe("--mode", "receive", "--protocol", protocol, "--mailflowid", flow,
                          "-H", "127.0.0.1", "-p", str(port), "--username", USER, *auth,
                          "--state-dir", self.state_dir(flow), *extra, env=env)

    def age(self, flow, seconds):
        return self.probe("--mode", "age", "--mailflowid", flow, "--seconds", str(seconds),
                          "--state-dir", self.state_dir(flow), "-v")

    def outstanding(self, flow):
        try:
            with open(os.path.join(self.state_dir(flow), "state")) as f:
                return [line.split()[2] for line in f if line.startswith("token ")]
        except FileNotFoundError:
            return []

    def mails_with(self, token):
        found = []
        for path in self.servers.mailbox_files(USER):
            with open(path, errors="replace") as f:
                if token in f.read():
                    found.append(path)
        return found

    def wait_for_token(self, token, seconds=20.0):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.mails_with(token):
                return
            time.sleep(0.05)
        self.fail(f"token {token} not delivered; postfix log:\n{self.servers.postfix_log()}")

    def send_and_wait(self, flow, *extra, **kwargs):
        run = self.send(flow, *extra, **kwargs)
        self.assertEqual(run.code, 0, run)
        tokens = self.outstanding(flow)
        self.assertTrue(tokens, run)
        self.wait_for_token(tokens[-1])
        return run, tokens[-1]


class RoundTripTest(MailTestCase):
    """A token sent through Postfix is collected from Dovecot, and age is OK."""

    def round_trip(self, flow, protocol, send_args=(), receive_args=(), receive_port=None):
        run, token = self.send_and_wait(flow, *send_args)
        self.assertRegex(run.out, rf"^SMTP OK - token mail of flow '{flow}' sent to {TO} via ")
        self.assertRegex(run.out, r"\| time=[0-9.]+s;;;0;")

        in_transit = self.age(flow, 60)
        self.assertEqual(in_transit.code, 0, in_transit)
        self.assertRegex(in_transit.out,
                         rf"^MAILFLOW OK - flow '{flow}': 1 token mail in transit, oldest \d+ s "
                         r"\(limit 60 s\) \| age=\d+s;;60;0; outstanding=1;;;0;\n")

        got = self.receive(flow, protocol, *receive_args, port=receive_port)
        self.assertEqual(got.code, 0, got)
        self.assertRegex(got.out, rf"^{protocol.upper()} OK - 1 token mail of flow '{flow}' "
                                  rf"collected from {USER}@")
        self.assertRegex(got.out, r"collected=1;;;0; outstanding=0;;;0; delivery=\d+s;;;0;")
        self.assertEqual(self.outstanding(flow), [])
        self.assertEqual(self.mails_with(token), [], "the token mail was not deleted")

        done = self.age(flow, 60)
        self.assertEqual(done.code, 0, done)
        self.assertRegex(done.out, rf"^MAILFLOW OK - flow '{flow}': every token mail arrived "
                                   r"\| age=0s;;60;0; outstanding=0;;;0;\n"
                                   r"Last token sent \d+ s ago\nLast token received \d+ s ago\n$")

        again = self.receive(flow, protocol, *receive_args, port=receive_port)
        self.assertEqual(again.code, 0, again)
        self.assertRegex(again.out, rf"^{protocol.upper()} OK - 0 token mails ")

    def test_imap(self):
        self.round_trip("imap-plain", "imap")

    def test_pop3(self):
        self.round_trip("pop3-plain", "pop3")

    def test_tls_everywhere_with_the_test_ca(self):
        tls = ["--ca-file", self.servers.cert, "--tls-hostname", TLS_NAME, "-D", "30"]
        run, token = self.send_and_wait("tls", "--tls", "starttls", *tls)
        self.assertRegex(run.out, rf"via {TLS_NAME}:{self.servers.smtp_port}, STARTTLS, "
                                  r"certificate valid for 36[45] days \|")
        self.assertRegex(run.out, r"certificate_days=36[45];30:;0:;;")
        got = self.receive("tls", "imap", "--tls", "implicit", *tls,
                           port=self.servers.imaps_port)
        self.assertEqual(got.code, 0, got)
        self.assertRegex(got.out, rf"^IMAP OK - 1 token mail of flow 'tls' collected from "
                                  rf"{USER}@{TLS_NAME}:{self.servers.imaps_port}, TLS, "
                                  r"certificate valid for 36[45] days")
        self.assertEqual(self.mails_with(token), [])

        run, token = self.send_and_wait("tls", "--tls", "implicit", *tls,
                                        port=self.servers.smtps_port)
        self.assertRegex(run.out, rf", TLS, certificate valid for")
        got = self.receive("tls", "pop3", "--tls", "implicit", *tls,
                           port=self.servers.pop3s_port)
        self.assertEqual(got.code, 0, got)
        self.assertRegex(got.out, r"^POP3 OK - 1 token mail of flow 'tls' collected")
        self.assertEqual(self.mails_with(token), [])

        run, token = self.send_and_wait("tls", "--tls", "starttls", *tls)
        got = self.receive("tls", "pop3", "--tls", "starttls", *tls)
        self.assertEqual(got.code, 0, got)
        self.assertRegex(got.out, r"^POP3 OK - 1 token mail of flow 'tls' collected from "
                                  rf"{USER}@{TLS_NAME}:{self.servers.pop3_port}, STARTTLS, ")
        self.assertEqual(self.mails_with(token), [])

    def test_a_certificate_ending_within_expire_days_warns(self):
        run = self.send("warn", "--tls", "starttls", "--ca-file", self.servers.cert,
                        "--tls-hostname", TLS_NAME, "-D", "400")
        self.assertEqual(run.code, 1, run)
        self.assertRegex(run.out, r"^SMTP WARNING - token mail of flow 'warn' sent .* "
                                  r"certificate expires in 36[45] days \(warning below 400\) \|")
        # The mail went out all the same, and is collected.
        self.wait_for_token(self.outstanding("warn")[0])
        self.assertEqual(self.receive("warn", "imap").code, 0)

    def test_another_flows_mail_is_left_alone(self):
        _, mine = self.send_and_wait("shared")
        _, theirs = self.send_and_wait("shared-b")
        got = self.receive("shared", "imap")
        self.assertRegex(got.out, r"^IMAP OK - 1 token mail of flow 'shared' collected")
        self.assertEqual(self.mails_with(mine), [])
        self.assertEqual(len(self.mails_with(theirs)), 1)
        self.assertEqual(self.outstanding("shared-b"), [theirs])
        got = self.receive("shared-b", "pop3")
        self.assertRegex(got.out, r"^POP3 OK - 1 token mail of flow 'shared-b' collected")
        self.assertEqual(self.mails_with(theirs), [])

    def test_concurrent_sends_and_receives_lose_no_token(self):
        flow = "busy"
        results = []

        def send():
            results.append(self.send(flow))

        threads = [threading.Thread(target=send) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual([r.code for r in results], [0] * 6, results)
        tokens = self.outstanding(flow)
        self.assertEqual(len(set(tokens)), 6, tokens)
        for token in tokens:
            self.wait_for_token(token)
        # Two mailbox checks at once: each token is collected exactly once
        # (IMAP and POP3 see the same Maildir).
        got = []
        threads = [threading.Thread(target=lambda p=p: got.append(self.receive(flow, p)))
                   for p in ("imap", "pop3")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertTrue(all(r.code in (0, 2) for r in got), got)
        # Whatever a loser of the race left is collected by a later run.
        self.receive(flow, "imap")
        self.assertEqual(self.outstanding(flow), [])
        for token in tokens:
            self.assertEqual(self.mails_with(token), [])
        self.assertEqual(self.age(flow, 60).code, 0)


class BlockedDeliveryTest(MailTestCase):
    """Mail held in Postfix's queue turns the age check CRITICAL after --seconds."""

    def test_a_blocked_delivery_turns_age_critical_and_recovers(self):
        flow = "blocked"
        limit = 2
        run = self.send(flow, to=BLOCKED_TO)
        self.assertEqual(run.code, 0, run)
        [token] = self.outstanding(flow)
        sent = time.monotonic()

        deadline = time.monotonic() + 10
        while self.servers.deferred_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.servers.deferred_count(), 1, self.servers.postfix_log())

        early = self.age(flow, limit)
        if time.monotonic() - sent < limit:  # asserted only when surely early
            self.assertEqual(early.code, 0, early)
        got = self.receive(flow, "imap")
        self.assertRegex(got.out, r"^IMAP OK - 0 token mails of flow 'blocked' collected")
        self.assertEqual(self.mails_with(token), [])

        time.sleep(max(0.0, limit + 1.2 - (time.monotonic() - sent)))
        late = self.age(flow, limit)
        self.assertEqual(late.code, 2, late)
        self.assertRegex(late.out,
                         r"^MAILFLOW CRITICAL - flow 'blocked': a token mail sent (\d+) s ago "
                         rf"has not arrived \(limit {limit} s, 1 outstanding\) "
                         rf"\| age=(\d+)s;;{limit};0; outstanding=1;;;0;\n")
        age = int(re.search(r"age=(\d+)s", late.out).group(1))
        self.assertGreater(age, limit)

        # Unblocked, the mail arrives, is collected, and the flow is OK again.
        self.servers.release_blocked()
        self.wait_for_token(token)
        got = self.receive(flow, "pop3")
        self.assertRegex(got.out, r"^POP3 OK - 1 token mail of flow 'blocked' collected")
        again = self.age(flow, limit)
        self.assertEqual(again.code, 0, again)


class ErrorTest(MailTestCase):
    """Wrong credentials, a refused connection and TLS failures: clear Error: lines."""

    def assert_error(self, run, code, pattern):
        self.assertEqual(run.code, code, run)
        self.assertRegex(run.out, r"^Error: " + pattern)
        self.assertEqual(run.out.count("\n"), 1, run)  # one line

    def test_wrong_credentials(self):
        # The right password from the environment works. First: after a
        # failed login Dovecot's anvil delays the next logins from the same
        # address (2 s, 4 s, ... up to 15 s).
        ok = self.receive("creds", "pop3", env={"MAILFLOW_PASSWORD": PASSWORD})
        self.assertEqual(ok.code, 0, ok)
        wrong = os.path.join(self.root, "wrong-password")
        with open(wrong, "w") as f:
            f.write("not " + PASSWORD + "\n")
        imap = self.receive("creds", "imap", password_file=wrong)
        self.assert_error(imap, 2, rf"the IMAP server 127\.0\.0\.1:{self.servers.imap_port} "
                                   rf"refused the login as '{USER}' \(server said: .*"
                                   r"AUTHENTICATIONFAILED")
        pop3 = self.receive("creds", "pop3", env={"MAILFLOW_PASSWORD": "wrong"})
        self.assert_error(pop3, 2, rf"the POP3 server 127\.0\.0\.1:{self.servers.pop3_port} "
                                   rf"refused the login as '{USER}' \(server said: -ERR")

    def test_a_refused_connection(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # closed again: nothing listens there
        run = self.send("refused", port=port)
        self.assert_error(run, 2, rf"cannot connect to the SMTP server 127\.0\.0\.1:{port}: "
                                  r"connection refused$")
        # The token that never left is not outstanding.
        self.assertEqual(self.outstanding("refused"), [])
        run = self.receive("refused", "imap", port=port)
        self.assert_error(run, 2, rf"cannot connect to the IMAP server 127\.0\.0\.1:{port}: "
                                  r"connection refused$")

    def test_tls_failures(self):
        # TLS spoken to a plain-text port.
        run = self.send("tls-fail", "--tls", "implicit", "--ca-file", self.servers.cert)
        self.assert_error(run, 2, rf"TLS handshake with the SMTP server 127\.0\.0\.1:"
                                  rf"{self.servers.smtp_port} failed: .*")
        self.assertEqual(self.outstanding("tls-fail"), [])
        # A certificate no trusted CA signed.
        run = self.receive("tls-fail", "imap", "--tls", "implicit",
                           port=self.servers.imaps_port)
        self.assert_error(run, 2, rf"the TLS certificate of the IMAP server 127\.0\.0\.1:"
                                  rf"{self.servers.imaps_port} does not verify: .*self-signed")
        # The right CA, but the wrong name.
        run = self.send("tls-fail", "--tls", "starttls", "--ca-file", self.servers.cert,
                        "--tls-hostname", "other.automon.test")
        self.assert_error(run, 2, r"the TLS certificate of the SMTP server .* does not verify")
        # --insecure accepts it.
        run = self.send("tls-fail", "--tls", "starttls", "--insecure")
        self.assertEqual(run.code, 0, run)

    def test_a_rejected_recipient(self):
        run = self.send("rejected", to="someone@elsewhere.example")
        self.assert_error(run, 2, r"the SMTP server .* failed: RCPT failed: 550 \(server said: "
                                  r"550 5\.1\.1 <someone@elsewhere\.example>")
        self.assertEqual(self.outstanding("rejected"), [])

    def test_an_unusable_state_directory(self):
        run = self.probe("--mode", "send", "--mailflowid", "x", "-H", "127.0.0.1", "-p",
                         str(self.servers.smtp_port), "--to", TO, "--state-dir",
                         os.path.join(self.root, "no", "such", "dir"))
        self.assert_error(run, 3, r"mail flow state: mkdir\(.*/no/such\): "
                                  r"No such file or directory$")


class CommandLineTest(unittest.TestCase):
    """No servers needed: help, version and usage errors."""

    def run_probe(self, *args):
        return Run(subprocess.run([PROBE, *args], capture_output=True, text=True, timeout=30))

    def test_help_and_version_exit_unknown(self):
        run = self.run_probe("--help")
        self.assertEqual(run.code, 3)
        self.assertIn("--mode send|receive|age", run.out)
        run = self.run_probe("-V")
        self.assertEqual(run.code, 3)
        self.assertRegex(run.out, r"^check_mailflow v")

    def test_usage_errors_are_unknown_with_one_error_line(self):
        run = self.run_probe("--mode", "age", "--mailflowid", "x")
        self.assertEqual(run.code, 3, run)
        self.assertEqual(run.out, "Error: --mode age needs --seconds (the longest delivery "
                                  "time)\n")
        self.assertEqual(run.err, "")

    def test_a_password_on_the_command_line_is_refused_unquoted(self):
        run = self.run_probe("--mode", "receive", "--protocol", "imap", "--mailflowid", "x",
                             "-H", "127.0.0.1", "--username", "u", "--password", "Sup3rSecret")
        self.assertEqual(run.code, 3, run)
        self.assertEqual(run.out, "Error: unknown option '--password' (see --help)\n")

    def test_age_of_a_flow_that_never_sent_is_unknown(self):
        with tempfile.TemporaryDirectory() as d:
            run = self.run_probe("--mode", "age", "--mailflowid", "new", "--seconds", "60",
                                 "--state-dir", os.path.join(d, "new"))
        self.assertEqual(run.code, 3, run)
        self.assertRegex(run.out, r"^MAILFLOW UNKNOWN - flow 'new' has not sent a token mail")


def main():
    global PROBE
    parser = argparse.ArgumentParser()
    parser.add_argument("--probe", required=True)
    args, rest = parser.parse_known_args()
    PROBE = os.path.abspath(args.probe)
    signal.signal(signal.SIGTERM, stop_all_and_exit)
    signal.signal(signal.SIGINT, stop_all_and_exit)
    needs_servers = not (rest and all(name.startswith("CommandLineTest") for name in rest))
    if needs_servers:
        missing = mail_servers.have_servers()
        if missing:
            print(f"SKIP: {missing}")
            sys.exit(77)
    unittest.main(argv=[sys.argv[0], "-v", *rest])


if __name__ == "__main__":
    main()
