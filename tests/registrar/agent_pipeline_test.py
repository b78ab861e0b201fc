#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The issue's end-to-end promise: a snapshot from
`automon-agent snapshot monitoring-info.d` becomes a live, verified Nagios
configuration. Every package the shipped definitions name is made to look
installed (a private dpkg status file), the agent's snapshot is piped into
`automon-registrar receive`, and the real nagios4 -v accepts the result,
which holds every service. Then the agent's next snapshot with one package
removed takes that package's services away again.

usage: agent_pipeline_test.py --registrar PATH --agent PATH
"""

import glob
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import regtest  # noqa: E402

DEFINITIONS = os.path.join(regtest.SOURCE_DIR, "monitoring-info.d")
HOST = "web01.example.org"


def dpkg_status(directory, packages):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "status"), "w") as f:
        for p in sorted(packages):
            f.write("Package: %s\nStatus: install ok installed\nVersion: 1.0\nArchitecture: all\n\n" % p)


def snapshot(agent, admindir, generation):
    p = subprocess.run([agent, "snapshot", DEFINITIONS, "--name", HOST, "--address", "127.0.0.1",
                        "--generation", str(generation), "--dpkg-admindir", admindir],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    assert p.returncode == 0, p.stderr.decode()
    return p.stdout


def main():
    args = regtest.parse_args("--registrar", "--agent")
    env = regtest.NagiosEnv(args.registrar)
    ok = False
    try:
        packages = set()
        sections = []
        for path in sorted(glob.glob(os.path.join(DEFINITIONS, "*"))):
            with open(path) as f:
                text = f.read()
            packages.update(re.findall(r"^package\s*=\s*(\S+)", text, re.M))
            sections.extend(re.findall(r"^\[([^\]]+)\]", text, re.M))
        admindir = os.path.join(env.dir, "dpkg")
        dpkg_status(admindir, packages)

        code, out, err = env.receive(HOST, snapshot(args.agent, admindir, 1))
        print("receive exit %d:\n%s%s" % (code, out, err))
        assert code == 0, "every shipped definition must be accepted"
        active = [l.split(":")[0] for l in out.splitlines() if l.endswith(": active")]
        assert sorted(active) == sorted(sections), (active, sections)
        verified, output = env.verify_live()
        assert verified, output[-1500:]
        text = env.host_file(HOST)
        assert text.count("define service {") == len(sections), text

        # The package of the first definition goes away: its services go too.
        gone = sorted(packages)[0]
        dpkg_status(admindir, packages - {gone})
        code, out, err = env.receive(HOST, snapshot(args.agent, admindir, 2))
        print("after removing %s: exit %d:\n%s%s" % (gone, code, out, err))
        assert code == 0 and "removed (package-removed)" in out, out
        verified, output = env.verify_live()
        assert verified, output[-1500:]
        assert env.host_file(HOST).count("define service {") < len(sections)
        ok = True
    finally:
        env.finish(ok)
    print("agent pipeline test %s" % ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
