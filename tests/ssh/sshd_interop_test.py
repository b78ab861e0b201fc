#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The agent pushing to a plain OpenSSH sshd (Debian's openssh-server) whose
authorized_keys line forces `automon-registrar receive --host NAME`
(reference §3.5), on 127.0.0.1 with a private sshd_config: the snapshot
is received, the host registered, and the live configuration verifies with
nagios4 -v. The forced command binds the key to one host: the same key
cannot register another name.

The test logs in as root with `PermitRootLogin forced-commands-only`, which
exists for exactly this (no account is created on the test machine); the
agent's `user = root` in agent.conf selects it.

usage: sshd_interop_test.py --registrar PATH --agent PATH
"""

import os
import shutil
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ssh_e2e_test as e2e  # noqa: E402

SSHD = "/usr/sbin/sshd"


class SshdInteropTest(unittest.TestCase):
    def setUp(self):
        if os.geteuid() != 0 or not os.path.exists(SSHD):
            self.skipTest("needs root and openssh-server")
        self.env = e2e.regtest.NagiosEnv(e2e.ARGS.registrar)
        self.addCleanup(self.env.cleanup)
        self.port = e2e.free_port()
        d = self.env.dir
        host_key = os.path.join(d, "ssh_host_ed25519_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", host_key], check=True)
        self.agent_key = os.path.join(d, "agent_key")
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", self.agent_key],
                       check=True)
        with open(self.agent_key + ".pub") as f:
            public = f.read().strip()
        self.authorized = os.path.join(d, "authorized_keys")
        command = "%s --config %s receive --host web01.example.org" % (os.path.abspath(e2e.ARGS.registrar),
                                                                       self.env.config)
        with open(self.authorized, "w") as f:
            f.write('restrict,command="%s" %s\n' % (command, public))
        config = os.path.join(d, "sshd_config")
        with open(config, "w") as f:
            f.write("Port %d\nListenAddress 127.0.0.1\nHostKey %s\nPidFile %s/sshd.pid\n"
                    "AuthorizedKeysFile %s\nPermitRootLogin forced-commands-only\n"
                    "AllowUsers root\nPasswordAuthentication no\n"
                    "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n"
                    % (self.port, host_key, d, self.authorized))
        os.makedirs("/run/sshd", exist_ok=True)  # privilege-separation directory
        with open(os.path.join(d, "sshd.log"), "wb") as log:
            self.sshd = subprocess.Popen([SSHD, "-D", "-e", "-f", config],
                                         stdout=subprocess.DEVNULL, stderr=log)
        self.addCleanup(self.stop_sshd)
        deadline = time.time() + 20
        while not e2e._banner(self.port) and time.time() < deadline:
            time.sleep(0.1)

    def stop_sshd(self):
        if self.sshd.poll() is None:
            self.sshd.terminate()
            self.sshd.wait(timeout=20)

    def agent(self, name):
        class Registrar:  # what e2e.Agent needs of a registrar
            port = self.port
        a = e2e.Agent(Registrar(), name=name)
        self.addCleanup(a.cleanup)
        shutil.copy(self.agent_key, a.key)  # the key authorized_keys names
        a.write_config(Registrar(), extra="user = root\n")
        return a

    def test_agent_pushes_through_a_forced_command(self):
        a = self.agent("web01.example.org")
        code, out, err = a.run("push")
        self.assertEqual(code, 0, out + err)
        self.assertIn("db: active", out)
        self.assertIn("trusting registrar 127.0.0.1:%d on first use" % self.port, err)
        # Standard error goes back to the agent under sshd: the audit trail,
        # which names every host of the batch, goes to the system log.
        self.assertNotIn("audit:", out + err)
        code, out, _ = self.env.run("hosts")
        self.assertIn("web01.example.org", out)
        ok, output = self.env.verify_live()
        self.assertTrue(ok, output)

    def test_forced_command_binds_the_key_to_its_host(self):
        a = self.agent("db01.example.org")
        code, out, err = a.run("push")
        self.assertNotEqual(code, 0)
        self.assertIn("the snapshot is for host 'db01.example.org', but this connection "
                      "registers 'web01.example.org'", out + err)
        code, out, _ = self.env.run("hosts")
        self.assertNotIn("db01.example.org", out)


def main():
    e2e.main()


if __name__ == "__main__":
    main()
