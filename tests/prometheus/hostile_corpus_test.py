#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The hostile-snapshot corpus (tests/registrar/hostile_corpus_test.py)
through `automon-registrar receive` with backend = prometheus: every
document is refused with the same reason as for Nagios, has its bad
service rejected with the same reason, or goes live; after all of them
Debian's `promtool check config` accepts a prometheus.yml reading every
live file, each file's targets carry only their own host's automon_host
and only automon's label names, no file holds the secret, and nothing ran
a command.

usage: hostile_corpus_test.py --registrar PATH
"""

import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "registrar"))
import hostile_corpus_test as corpus  # noqa: E402
import regtest  # noqa: E402

PROMTOOL = "/usr/bin/promtool"
LABELS = {"__param_module", "__param_target", "automon_host", "automon_service", "automon_type",
          "__automon_guacamole_endpoint", "__automon_guacamole_username",
          "__automon_guacamole_data_source", "__automon_guacamole_password_file",
          "__automon_guacamole_insecure"}


def main():
    args = regtest.parse_args("--registrar")
    root = tempfile.mkdtemp(prefix="automon-prometheus-corpus-")
    state = os.path.join(root, "state")
    sd_dir = os.path.join(root, "sd")
    config = os.path.join(root, "registrar.conf")
    with open(config, "w") as f:
        f.write("[registrar]\nstate_dir = %s\nquiet_period = 0\nbackend = prometheus\n"
                "[prometheus]\nsd_dir = %s\nverify_command = %s check config {config}\n"
                % (state, sd_dir, PROMTOOL))

    def host_groups(host):
        path = os.path.join(sd_dir, host + ".json")
        if not os.path.exists(path):
            return None
        with open(path, "rb") as f:
            return json.loads(f.read().decode("ascii"))

    def receive(host, document):
        return regtest.run(args.registrar, config, "receive", "--host", host, stdin=document,
                           timeout=240)

    def reached(host, name):
        groups = host_groups(host)
        return groups is None or any(g["labels"]["automon_service"] == name for g in groups)

    def active_problem(host, code, out, detail):
        if code != 0 or "bad: active" not in out:
            return "expected active with the service bad"
        return None

    pwned_before = os.path.exists("/tmp/automon-pwned")
    documents, failures = corpus.run_cases(receive, reached, active_problem)
    files = 0
    for name in sorted(os.listdir(sd_dir)):
        if not name.endswith(".json"):
            continue
        files += 1
        host = name[:-5]
        with open(os.path.join(sd_dir, name), "rb") as f:
            raw = f.read()
        if corpus.SECRET.encode() in raw or b"w0rd" in raw:
            failures.append("%s holds the secret" % name)
        for group in json.loads(raw.decode("ascii")):
            labels = group["labels"]
            if set(labels) - LABELS or labels["automon_host"] != host or len(group["targets"]) != 1:
                failures.append("%s: a group reaches beyond its own labels: %r" % (name, group))
    with open(os.path.join(root, "prometheus.yml"), "w") as f:
        f.write("scrape_configs:\n  - job_name: automon\n    metrics_path: /probe\n"
                "    file_sd_configs:\n      - files: ['%s/*.json']\n" % sd_dir)
    p = subprocess.run([PROMTOOL, "check", "config", os.path.join(root, "prometheus.yml")],
                       capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        failures.append("promtool refuses the live files: " + (p.stdout + p.stderr)[-2000:])
    if files < 50:
        failures.append("only %d files were generated" % files)
    if os.path.exists("/tmp/automon-pwned") and not pwned_before:
        failures.append("/tmp/automon-pwned exists: something ran a command")
    print("%d documents, %d files, %d failures" % (documents, files, len(failures)))
    for f in failures:
        print("FAILURE:", f)
    return regtest.finish(root, not failures)


if __name__ == "__main__":
    sys.exit(main())
