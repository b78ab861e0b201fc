#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The hostile-snapshot corpus (tests/registrar/hostile_corpus_test.py)
through `automon-registrar receive` with backend = icinga2: every document
is refused with the same reason as for Nagios, has its bad service rejected
with the same reason, or goes live; after all of them the real
`icinga2 daemon -C` accepts the live configuration, no file holds the
secret, and nothing ran a command.

usage: hostile_corpus_test.py --registrar PATH --verify PATH
"""

import hashlib
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "registrar"))
import hostile_corpus_test as corpus  # noqa: E402
import regtest  # noqa: E402


def main():
    args = regtest.parse_args("--registrar", "--verify")
    root = tempfile.mkdtemp(prefix="automon-icinga2-corpus-")
    etc = os.path.join(root, "etc")
    os.makedirs(os.path.join(etc, "conf.d"))
    os.makedirs(os.path.join(etc, "zones.d"))
    with open(os.path.join(etc, "icinga2.conf"), "w") as f:
        f.write('const PluginDir = "/usr/lib/nagios/plugins"\nconst NodeName = "automon-test"\n'
                'const ZoneName = NodeName\ninclude <itl>\ninclude <plugins>\n'
                'object Endpoint NodeName { }\nobject Zone ZoneName { endpoints = [ NodeName ] }\n'
                'include_recursive "conf.d"\n')
    state = os.path.join(root, "state")
    output_dir = os.path.join(etc, "conf.d", "automon")
    config = os.path.join(root, "registrar.conf")
    with open(config, "w") as f:
        f.write("[registrar]\nstate_dir = %s\nquiet_period = 0\nbackend = icinga2\n"
                "[icinga2]\nconfig = %s/icinga2.conf\noutput_dir = %s\n"
                "verify_command = %s {config} {zonesdir} {cachedir}\nreload_command = /bin/true\n"
                % (state, etc, output_dir, args.verify))

    def verify_live():
        cache = os.path.join(root, "verify-cache")
        os.makedirs(cache, exist_ok=True)
        p = subprocess.run([args.verify, os.path.join(etc, "icinga2.conf"),
                            os.path.join(etc, "zones.d"), cache], capture_output=True, text=True,
                           timeout=240)
        return p.returncode == 0, p.stdout

    def host_file(host):
        bucket = hashlib.sha256(host.encode()).hexdigest()[:2]
        path = os.path.join(output_dir, "hosts", bucket, host + ".conf")
        if not os.path.exists(path):
            return None
        with open(path, "rb") as f:
            return f.read().decode("utf-8")

    def receive(host, document):
        return regtest.run(args.registrar, config, "receive", "--host", host, stdin=document,
                           timeout=240)

    def reached(host, name):
        text = host_file(host)
        return text is None or 'object Service "%s"' % name in text

    def active_problem(host, code, out, detail):
        if code != 0 or 'object Service "bad"' not in (host_file(host) or ""):
            return "expected active with the service bad"
        return None

    pwned_before = os.path.exists("/tmp/automon-pwned")
    documents, failures = corpus.run_cases(receive, reached, active_problem)
    ok, output = verify_live()
    if not ok:
        failures.append("icinga2 daemon -C refuses the live configuration: " + output[-2000:])
    files = 0
    for base, _, names in os.walk(output_dir):
        for name in names:
            files += 1
            with open(os.path.join(base, name), encoding="utf-8") as f:
                text = f.read()
            if corpus.SECRET in text or "w0rd" in text:
                failures.append("%s holds the secret" % name)
    if files < 50:
        failures.append("only %d files were generated" % files)
    if os.path.exists("/tmp/automon-pwned") and not pwned_before:
        failures.append("/tmp/automon-pwned exists: something ran a command")
    print("%d documents, %d failures" % (documents, len(failures)))
    for f in failures:
        print("FAILURE:", f)
    return regtest.finish(root, not failures)


if __name__ == "__main__":
    sys.exit(main())
