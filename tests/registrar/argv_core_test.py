#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The exact argv a plugin receives through a real Nagios 4 core (issue
#14, issue #18 item 11): an haproxy service with the schema's maximum
number of proxies, each as long as a definition line allows, and a stats
URL without a host. An argv-logging stub stands in for
check_haproxy_sessions in the private $USER1$; the core runs the rendered
command and the stub records what it got. Nagios expands only $ARG1$ to
$ARG32$: before the plan, proxies 30 and up arrived as the literal text
'$ARG33$'... and were never checked.

usage: argv_core_test.py --registrar PATH
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import regtest  # noqa: E402

HOST = "argv.example.org"
STUB = """#!/usr/bin/python3
import json, sys
with open(%r, "a") as f:
    f.write(json.dumps(sys.argv) + "\\n")
print("STUB OK - argv recorded")
"""


def main():
    args = regtest.parse_args("--registrar")
    with regtest.NagiosEnv(args.registrar, reload_core=True) as env:
        status = os.path.join(env.dir, regtest.RUNTIME_KEYS["status_file"])
        argv_log = os.path.join(env.dir, "var", "argv.log")  # the nagios user may write there
        stub = os.path.join(env.dir, "stub.py")
        with open(stub, "w") as f:
            f.write(STUB % argv_log)
        plugins = env.use_plugins({"check_haproxy_sessions": stub})

        # 64 proxies (the schema's maximum), 62 bytes each: the longest list
        # a 4,096-byte definition line holds.
        proxies = ",".join("%02d-%s" % (i, "p" * 59) for i in range(64))
        assert len("proxies = " + proxies) <= 4096
        document = regtest.make_snapshot(HOST, [
            ("lb", [("type", "haproxy"), ("stats", "http://:8404/stats"), ("username", "mon"),
                    ("password", "s3cr3t-lb"), ("proxies", proxies), ("warning", "80%"),
                    ("critical", "95%")]),
        ], address="127.0.0.1", generation=1)
        code, out, err = env.receive(HOST, document)
        print("receive:", code, out.strip(), err.strip())
        assert code == 0 and out == "lb: active\n", (out, err)

        env.start_core()
        regtest.wait_for("the core to start", lambda: any(
            k == "servicestatus" and f.get("host_name") == HOST
            for k, f in regtest.status_blocks(status)))

        def recorded():
            if not os.path.exists(argv_log):
                env.force_checks(HOST, ["lb"])
                return None
            with open(argv_log) as f:
                lines = f.read().splitlines()
            return json.loads(lines[0]) if lines else None
        argv = regtest.wait_for("the core to run the stub", recorded, timeout=90)
        secret = regtest.secret_path(os.path.join(env.state_dir, "secrets"), HOST, "lb", 1)
        expected = [os.path.join(plugins, "check_haproxy_sessions"),
                    "--url", "http://127.0.0.1:8404/stats",
                    "--username", "mon", "--password-file", secret,
                    "-w", "80%", "-c", "95%", "--proxies", proxies]
        if argv != expected:
            for i, (a, b) in enumerate(zip(argv, expected)):
                if a != b:
                    print("argv[%d]: got %r, expected %r" % (i, a[:120], b[:120]))
            print("got %d arguments, expected %d" % (len(argv), len(expected)))
        assert argv == expected, "the plugin's argv differs"
        assert not any("$ARG" in a for a in argv)
        assert not any("s3cr3t" in a for a in argv), "a secret reached argv"
        print("argv as expected: %d arguments, --proxies of %d bytes" % (len(argv), len(proxies)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
