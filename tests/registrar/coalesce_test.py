#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Registrations that arrive together are activated together: eight
concurrent `receive` commands with a quiet period of 1.5 s all succeed, and
nagios4 -v runs far fewer than eight times (each run verifies every host,
so verifying once per registration would cost O(n) per host).

usage: coalesce_test.py --registrar PATH
"""

import os
import subprocess
import time
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import regtest  # noqa: E402

HOSTS = ["burst%d.example.org" % i for i in range(8)]


def main():
    args = regtest.parse_args("--registrar")
    env = regtest.NagiosEnv(args.registrar, quiet_period=1500, verify_command="PLACEHOLDER")
    counter = os.path.join(env.dir, "verifications")
    wrapper = os.path.join(env.dir, "verify.sh")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\necho run >> %s\nexec %s -v \"$1\"\n" % (counter, regtest.NAGIOS))
    os.chmod(wrapper, 0o755)
    with open(env.config) as f:
        conf = f.read().replace("PLACEHOLDER", wrapper + " {config}")
    with open(env.config, "w") as f:
        f.write(conf)
    ok = False
    try:
        procs = []
        for h in HOSTS:
            p = subprocess.Popen([env.registrar, "--config", env.config, "receive", "--host", h],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            procs.append((h, p))
        # All registrations are arriving (each holds the arrivals lock while
        # it reads its snapshot) before the first one is complete, as when
        # agents push at once; on a loaded machine, starting a process can
        # take longer than another's whole registration.
        time.sleep(1)
        for h, p in procs:
            p.stdin.write(regtest.make_snapshot(h, [("ssh", [("type", "ssh")])], address="127.0.0.1"))
            p.stdin.close()
        failures = []
        for h, p in procs:
            out = p.stdout.read().decode()
            err = p.stderr.read().decode()
            p.wait(timeout=120)
            if p.returncode != 0 or out != "ssh: active\n":
                failures.append("%s: exit %d: %s %s" % (h, p.returncode, out, err))
            if env.host_file(h) is None:
                failures.append("%s: no live file" % h)
        with open(counter) as f:
            runs = len(f.read().splitlines())
        print("%d concurrent registrations, %d nagios4 -v runs" % (len(HOSTS), runs))
        if runs > 2:
            failures.append("%d verifications for %d registrations: not coalesced" % (runs, len(HOSTS)))
        verified, output = env.verify_live()
        if not verified:
            failures.append("nagios4 -v fails: " + output[-800:])
        if os.listdir(os.path.join(env.state_dir, "pending")):
            failures.append("pending snapshots left: %s" % os.listdir(os.path.join(env.state_dir, "pending")))
        for f in failures:
            print("FAILURE:", f)
        ok = not failures
    finally:
        env.finish(ok)
    print("coalesce test %s" % ("passed" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
