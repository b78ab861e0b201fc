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

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "registrar"))
import hostile_corpus_test as corpus  # noqa: E402

PROMTOOL = "/usr/bin/promtool"
LABELS = {"__param_module", "__param_target", "automon_host", "automon_service", "automon_type",
          "__automon_guacamole_endpoint", "__automon_guacamole_username",
          "__automon_guacamole_data_source", "__automon_guacamole_password_file",
          "__automon_guacamole_insecure"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrar", required=True)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="automon-prometheus-corpus-")
    state = os.path.join(root, "state")
    sd_dir = os.path.join(root, "sd")
    config = os.path.join(root, "registrar.conf")
    with open(config, "w") as f:
        f.write("[registrar]\nstate_dir = %s\nquiet_period = 0\nbackend = prometheus\n"
                "[prometheus]\nsd_dir = %s\nverify_command = %s check config {config}\n"
                % (state, sd_dir, PROMTOOL))

    def receive(host, document):
        p = subprocess.run([args.registrar, "--config", config, "receive", "--host", host],
                           input=document, capture_output=True, timeout=240)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

    def host_groups(host):
        path = os.path.join(sd_dir, host + ".json")
        if not os.path.exists(path):
            return None
        with open(path, "rb") as f:
            return json.loads(f.read().decode("ascii"))

    failures = []
    pwned_before = os.path.exists("/tmp/automon-pwned")
    cases = corpus.cases()
    for i, (label, maker, expect, detail) in enumerate(cases):
        host = "c%03d.example.org" % i
        code, out, err = receive(host, maker(host))
        problem = None
        if expect == "refused":
            if code != 2 or not out.startswith("refused: ") or detail not in out:
                problem = "expected refusal mentioning %r" % detail
        elif expect == "rejected":
            name, why = detail
            line = [l for l in out.splitlines() if l.startswith(name + ": rejected: ")]
            groups = host_groups(host)
            if code != 1 or not line or why not in line[0] or "ok: active" not in out:
                problem = "expected %s rejected mentioning %r" % (name, why)
            elif groups is None or any(g["labels"]["automon_service"] == name for g in groups):
                problem = "the rejected service reached the file"
        elif code != 0 or "bad: active" not in out:
            problem = "expected active with the service bad"
        status = "FAIL" if problem else "ok"
        print("%-4s %3d %-9s %-40s exit %d: %s" % (status, i, expect, label, code,
                                                (out.strip().splitlines() or [err.strip()])[-1][:150]))
        if problem:
            failures.append("%d %s: %s\n  stdout: %s\n  stderr: %s" % (i, label, problem, out, err))
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
    print("%d documents, %d files, %d failures" % (len(cases), files, len(failures)))
    for f in failures:
        print("FAILURE:", f)
    if failures:
        print("kept", root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
