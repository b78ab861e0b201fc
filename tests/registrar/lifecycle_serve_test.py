#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The lifecycle's timer in `automon-registrar serve`: a host registered
before the daemon starts gets its full silent_after from the start (the
registrar's downtime silences nobody), then goes silent with one audit
line in the daemon's log; `check` says so; a push makes it active again.

usage: lifecycle_serve_test.py --registrar PATH
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import regtest  # noqa: E402

HOST = "quiet.example.org"
SILENT_AFTER = 3


def main():
    args = regtest.parse_args("--registrar")
    with regtest.NagiosEnv(args.registrar, registrar_settings=(
            "listen = 127.0.0.1:%d\nself_check_host = none\n" % regtest.free_port())) as env:
        with open(env.config, "a") as f:
            f.write("[lifecycle]\nsilent_after = %ds\ngrace_after_start = 1s\n" % SILENT_AFTER)
        document = regtest.make_snapshot(HOST, [("ssh", [("type", "ssh")])], address="127.0.0.1")
        code, out, err = env.receive(HOST, document)
        assert code == 0, (out, err)
        assert "audit: event=registered host=%s" % HOST in err, err
        # The registrar is down for longer than silent_after.
        time.sleep(SILENT_AFTER + 1)

        log_path = os.path.join(env.dir, "serve.log")
        log = open(log_path, "w")
        started = time.time()
        serve = env.stop_on_exit(subprocess.Popen(
            [args.registrar, "--config", env.config, "serve", "--no-announce"],
            stdout=log, stderr=subprocess.STDOUT))

        def read_log():
            with open(log_path) as f:
                return f.read()

        def silent_line():
            for line in read_log().splitlines():
                if "audit: event=state host=%s" % HOST in line and "active -> silent" in line:
                    return line
            return None
        line = regtest.wait_for("the host to go silent", silent_line, timeout=30)
        took = time.time() - started
        print("after %.1fs: %s" % (took, line))
        assert took >= SILENT_AFTER - 0.5, "silenced %.1fs after the start" % took
        assert "reason=\"active -> silent: no push for %ds" % SILENT_AFTER in line, line

        code, out, _ = env.run("check")
        print("check:", code, out.strip())
        assert code == 1 and out.startswith("AUTOMON REGISTRAR WARNING - 1 silent |"), out
        assert "silent=1" in out, out

        # A push: active at once, and the check is OK again.
        code, out, err = env.receive(HOST, document)
        assert code == 0, (out, err)
        assert "reason=\"silent -> active: pushed again\"" in err, err
        code, out, _ = env.run("check")
        print("check:", code, out.strip())
        assert code == 0 and "silent=0" in out, out
        code, out, _ = env.run("hosts")
        assert out.split()[-1] == "active", out
        assert serve.poll() is None, read_log()
    print("lifecycle serve test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
