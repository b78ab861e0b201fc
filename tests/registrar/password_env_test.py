#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""automon_password_env, the wrapper the generated LDAP commands use: the
password reaches the plugin in LDAP_PASSWORD, read from the secret file,
never on any command line; nothing else can be set; a missing file is
UNKNOWN (exit 3) with a reason.

usage: password_env_test.py --wrapper PATH
"""

import argparse
import os
import subprocess
import sys
import tempfile

SECRET = "s3cr3t 'quoted' $(id) `x` ;!"


def run(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    return p.returncode, p.stdout.decode()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--wrapper", required=True)
    args = parser.parse_args()
    failures = []
    with tempfile.TemporaryDirectory() as d:
        secret_file = os.path.join(d, "ldap.1.password")
        with open(secret_file, "w") as f:
            f.write(SECRET + "\n")
        # The child prints its environment variable and its own argv.
        probe = ["/bin/sh", "-c", 'printf "%s\\n" "$LDAP_PASSWORD"; cat /proc/$$/cmdline | tr "\\0" " "']
        code, out = run([args.wrapper, "LDAP_PASSWORD", secret_file] + probe)
        lines = out.split("\n", 1)
        if code != 0 or lines[0] != SECRET:
            failures.append("password not passed: exit %d, %r" % (code, out))
        if len(lines) > 1 and SECRET in lines[1]:
            failures.append("password visible in argv: %r" % lines[1])
        code, out = run([args.wrapper, "PATH", secret_file, "/bin/true"])
        if code != 3 or "refusing to set 'PATH'" not in out:
            failures.append("other variable accepted: exit %d, %r" % (code, out))
        code, out = run([args.wrapper, "LDAP_PASSWORD", os.path.join(d, "missing"), "/bin/true"])
        if code != 3 or "cannot read the password file" not in out:
            failures.append("missing file: exit %d, %r" % (code, out))
        code, out = run([args.wrapper, "LDAP_PASSWORD"])
        if code != 3 or "usage" not in out:
            failures.append("usage: exit %d, %r" % (code, out))
    for f in failures:
        print("FAILURE:", f)
    print("password env test %s" % ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
