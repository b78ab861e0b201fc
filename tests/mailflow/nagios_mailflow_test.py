#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The mail flow as the registrar renders it, run by a real Nagios 4 core.

usage: nagios_mailflow_test.py --registrar PATH --probe PATH

A private Postfix and Dovecot (mail_servers.py) and a private Nagios 4
configuration and core (tests/registrar/regtest.py), all on 127.0.0.1. The
registrar receives one host with an smtp service (mailflowid + email), an
imap and a pop3 mailbox of the same flow, and a mailflow service; a second
flow sends to a domain whose delivery Postfix holds. Nagios's $USER1$ points
at a private plugin directory holding Debian's plugins and the built
check_mailflow, so the command lines run are exactly the rendered ones:
the password reaches the probe by its secret file, the tokens live in
<state_dir>/mailflow/<id>, and every check runs as the nagios user.

Checked in Nagios's own status.dat: the send check is OK and leaves a token,
the mailbox checks collect it (OK, and the token is gone from the state),
the age check is OK; the blocked flow's age check turns CRITICAL once its
token is older than `seconds`.
"""

import grp
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "registrar"))
import mail_servers  # noqa: E402
import regtest  # noqa: E402

HOST = "mail.example.org"
USER = "flow"
PASSWORD = "flow-pw_42"
BLOCKED_SECONDS = 3


def outstanding(state_dir, flow):
    try:
        with open(os.path.join(state_dir, "mailflow", HOST, flow, "state")) as f:
            return [line.split()[2] for line in f if line.startswith("token ")]
    except FileNotFoundError:
        return []


class Core:
    """The Nagios core of `env`, with forced checks and status.dat reading."""

    def __init__(self, env):
        self.env = env
        self.status = os.path.join(env.dir, regtest.RUNTIME_KEYS["status_file"])
        self.command_file = os.path.join(env.dir, regtest.RUNTIME_KEYS["command_file"])
        self.proc = subprocess.Popen([regtest.NAGIOS, env.nagios_cfg],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def service(self, name):
        for kind, fields in regtest.status_blocks(self.status):
            if (kind == "servicestatus" and fields.get("host_name") == HOST and
                    fields.get("service_description") == name):
                return fields
        return None

    def check(self, name, expect_state, expect_prefix, timeout=60):
        """Forces a check of `name` until status.dat shows a result of it
        newer than the request with the expected state; returns the output."""
        requested = int(time.time())
        with open(self.command_file, "w") as f:
            f.write("[%d] SCHEDULE_FORCED_SVC_CHECK;%s;%s;%d\n" % (requested, HOST, name, requested))
        seen = {}

        def done():
            assert self.proc.poll() is None, "the Nagios core exited"
            fields = self.service(name)
            if not fields or int(fields.get("last_check", "0")) < requested:
                return None
            seen.update(fields)
            return fields
        try:
            fields = regtest.wait_for("a fresh result of " + name, done, timeout=timeout)
        except AssertionError:
            raise AssertionError("%s: no fresh result; last seen %s" % (name, seen or self.service(name)))
        output = fields.get("plugin_output", "")
        print("status.dat: %-10s current_state=%s plugin_output=%s" %
              (name, fields.get("current_state"), output))
        assert fields.get("current_state") == expect_state, (name, fields)
        assert output.startswith(expect_prefix), (name, output)
        assert PASSWORD not in output + fields.get("long_plugin_output", ""), name
        return output

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def main():
    args = regtest.parse_args("--registrar", "--probe")
    if os.geteuid() != 0:
        print("skipped: needs root (Postfix, Dovecot and Nagios drop privileges)")
        return 77

    root = tempfile.mkdtemp(prefix="automon-nagios-mailflow-")
    servers = mail_servers.MailServers(root)
    servers.add_user(USER, PASSWORD)
    env = core = None
    ok = False
    try:
        servers.start()
        env = regtest.NagiosEnv(args.registrar, reload_command="/bin/true")
        env.use_plugins({"check_mailflow": args.probe})
        # Only the checks this test forces run (forced checks ignore this),
        # so no scheduled run can send or collect a token behind its back.
        env.set_nagios_option("execute_service_checks", "0")
        # What the Debian package does for /var/lib/automon/mailflow.
        mailflow_root = os.path.join(env.state_dir, "mailflow")
        os.makedirs(mailflow_root)
        os.chown(mailflow_root, pwd.getpwnam("nagios").pw_uid, grp.getgrnam("nagios").gr_gid)
        os.chmod(env.state_dir, 0o755)

        to = "%s@%s" % (USER, mail_servers.MAIL_DOMAIN)
        blocked_to = "%s@%s" % (USER, mail_servers.BLOCKED_DOMAIN)
        mailbox = [("username", USER), ("password", PASSWORD), ("mailflowid", "main")]
        document = regtest.make_snapshot(HOST, [
            ("mx", [("type", "smtp"), ("port", str(servers.smtp_port)), ("email", to),
                    ("mailflowid", "main")]),
            ("box", [("type", "imap"), ("port", str(servers.imap_port))] + mailbox),
            ("pop", [("type", "pop3"), ("port", str(servers.pop3_port))] + mailbox),
            ("flow", [("type", "mailflow"), ("id", "main"), ("seconds", "120")]),
            ("mx-held", [("type", "smtp"), ("port", str(servers.smtp_port)), ("email", blocked_to),
                         ("mailflowid", "held")]),
            ("flow-held", [("type", "mailflow"), ("id", "held"),
                           ("seconds", str(BLOCKED_SECONDS))]),
        ], address="127.0.0.1")
        code, out, err = env.receive(HOST, document)
        print("receive:", code, out.strip().replace("\n", " | "), err.strip())
        assert code == 0, (out, err)
        host_file = env.host_file(HOST)
        assert PASSWORD not in host_file
        assert "!%s/%s/main!" % (mailflow_root, HOST) in host_file, host_file

        core = Core(env)
        regtest.wait_for("the core to know " + HOST, lambda: core.service("flow"))

        # Over IMAP: send, deliver, collect; the state is shared by path.
        core.check("mx", "0", "SMTP OK - token mail of flow 'main' sent")
        tokens = outstanding(env.state_dir, "main")
        assert len(tokens) == 1, tokens
        servers.wait_for_delivery(USER, count=1)
        core.check("flow", "0", "MAILFLOW OK - flow 'main': 1 token mail in transit")
        core.check("box", "0", "IMAP OK - 1 token mail of flow 'main' collected")
        assert outstanding(env.state_dir, "main") == [], "the imap check left the token"
        assert servers.mailbox_files(USER) == [], "the imap check left the mail"

        # Over POP3, the same flow.
        core.check("mx", "0", "SMTP OK - token mail of flow 'main' sent")
        servers.wait_for_delivery(USER, count=1)
        core.check("pop", "0", "POP3 OK - 1 token mail of flow 'main' collected")
        assert outstanding(env.state_dir, "main") == [], "the pop3 check left the token"
        core.check("flow", "0", "MAILFLOW OK - flow 'main': every token mail arrived")

        # A held delivery: the age check turns CRITICAL after `seconds`.
        core.check("mx-held", "0", "SMTP OK - token mail of flow 'held' sent")
        assert len(outstanding(env.state_dir, "held")) == 1
        time.sleep(BLOCKED_SECONDS + 1)
        core.check("flow-held", "2", "MAILFLOW CRITICAL")
        # Every file the checks wrote belongs to nagios: they ran as Debian's would.
        nagios_uid = pwd.getpwnam("nagios").pw_uid
        for flow in ("main", "held"):
            st = os.stat(os.path.join(mailflow_root, HOST, flow, "state"))
            assert st.st_uid == nagios_uid, (flow, st.st_uid)
        ok = True
        print("nagios mail-flow test passed")
    finally:
        if core is not None:
            core.stop()
        servers.stop()
        if env is not None:
            env.finish(ok)
        shutil.rmtree(root, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
