#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""`automon-agent show --render nagios` against the real registrar and the
real nagios4: for the fixed definitions of tests/agent/render/, the output
is what `automon-registrar receive` writes for the snapshot `automon-agent
snapshot` sends (apart from the paths the private registrar.conf moves and
the header), and nagios4 -v accepts it in place of the registrar's file,
beside the registrar's automon.cfg and local-templates.cfg. The bind
password is never in the output.

usage: render_test.py --registrar PATH --agent PATH
"""

import argparse
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "registrar"))
import regtest  # noqa: E402

DEFINITIONS = os.path.join(HERE, "render")
ADMINDIR = os.path.join(HERE, "render-dpkg")
HOST = "web01.example.org"
PASSWORD = "GoldenS3cret"
ARGS = [DEFINITIONS, "--name", HOST, "--address", "127.0.0.1", "--generation", "7",
        "--dpkg-admindir", ADMINDIR]
AGENT = None
REGISTRAR = None


def agent(*args, epoch="1795000000"):
    env = dict(os.environ)
    env.pop("SOURCE_DATE_EPOCH", None)
    if epoch is not None:
        env["SOURCE_DATE_EPOCH"] = epoch
    p = subprocess.run([AGENT, "--config", "/dev/null"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=60)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8")


def body(text):
    """The file without its leading block of '#' lines (the renderers'
    WithoutHeader(), plus the agent's own comments, which join that block)."""
    lines = text.splitlines(keepends=True)
    i = 0
    while i < len(lines) and lines[i].startswith("#"):
        i += 1
    return "".join(lines[i:])


class RenderTest(unittest.TestCase):
    def setUp(self):
        self.env = regtest.NagiosEnv(REGISTRAR)
        self.addCleanup(self.env.cleanup)

    def test_output_is_what_the_registrar_writes_and_nagios_accepts_it(self):
        code, rendered, err = agent("show", "--render", "nagios", *ARGS)
        self.assertEqual(code, 0, err)
        self.assertEqual(err, "")
        self.assertNotIn(PASSWORD, rendered)

        code, snapshot, err = agent("snapshot", *ARGS, epoch=None)
        self.assertEqual(code, 0, err)
        self.assertIn(PASSWORD, snapshot, "the wire document carries the password")
        code, out, err = self.env.receive(HOST, snapshot.encode())
        self.assertEqual(code, 0, out + err)
        written = self.env.host_file(HOST)
        self.assertIsNotNone(written)

        # The private registrar.conf moves the state directory; with that
        # path put back, the objects are the same bytes.
        state = self.env.state_dir
        self.assertEqual(body(written).replace(state + "/", "/var/lib/automon/"), body(rendered))
        self.assertIn("/var/lib/automon/secrets/1a/%s@directory.7.password" % HOST, rendered)
        self.assertIn("(generation 7) at 2026-11-18T11:06:40Z.\n", rendered)

        # nagios4 -v on the agent's output in place of the registrar's.
        bucket_file = os.path.join(self.env.output_dir, "hosts",
                                   regtest.hashlib.sha256(HOST.encode()).hexdigest()[:2],
                                   HOST + ".cfg")
        with open(bucket_file, "w") as f:
            f.write(rendered)
        ok, output = self.env.verify_live()
        self.assertTrue(ok, output)
        self.assertIn("Checked 3 services.", output)

    def test_same_time_same_bytes(self):
        first = agent("show", "--render", "nagios", *ARGS)
        second = agent("show", "--render", "nagios", *ARGS)
        self.assertEqual(first[0], 0, first[2])
        self.assertEqual(first, second)
        later = agent("show", "--render", "nagios", *ARGS, epoch="1795000060")
        self.assertNotEqual(first[1], later[1])
        self.assertEqual(body(first[1]), body(later[1]), "only the header follows the clock")


def main():
    global AGENT, REGISTRAR
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrar", required=True)
    parser.add_argument("--agent", required=True)
    args, rest = parser.parse_known_args()
    AGENT, REGISTRAR = args.agent, args.registrar
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
