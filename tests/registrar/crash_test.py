#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Durability: SIGKILL automon-registrar at random instants during many
registrations, then prove that every host is old or new, never torn: its
stored snapshot parses and is a generation that was sent, its live Nagios
file is complete and is exactly the rendering of a sent generation, and
nagios4 -v accepts the whole configuration. Afterwards every host can
register again normally.

usage: crash_test.py --registrar PATH [--iterations N] [--seed S]
"""

import argparse
import os
import random
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import regtest  # noqa: E402

HOSTS = ["crash%d.example.org" % i for i in range(6)]
UNIVERSE = ["svc%d" % i for i in range(6)]


def services_for(generation):
    """A different, non-empty set of services per generation."""
    chosen = [s for i, s in enumerate(UNIVERSE) if (generation >> (i % 3)) & 1 or i == 0]
    return chosen


def document(host, generation):
    names = services_for(generation)
    services = [(n, [("type", "tcp"), ("port", str(1000 + generation)),
                     ("description", "%s g%d" % (n, generation))]) for n in names]
    removed = [(n, "deleted") for n in UNIVERSE if n not in names]
    return regtest.make_snapshot(host, services, generation=generation, address="127.0.0.1",
                                 removed=removed)


def stored_generation(env, host):
    path = os.path.join(env.state_dir, "hosts", host + ".snapshot")
    if not os.path.exists(path):
        return None
    with open(path, "rb") as f:
        m = re.search(rb"\ngeneration = (\d+)\n", f.read())
    return int(m.group(1)) if m else "unparsable"


def live_generation(env, host):
    """The generation of the live file, after checking it is whole and
    exactly what that generation renders to."""
    text = env.host_file(host)
    if text is None:
        return None
    m = re.search(r"_AUTOMON_GENERATION\s+(\d+)\n", text)
    if not m or not text.endswith("}\n"):
        return "torn"
    generation = int(m.group(1))
    descriptions = re.findall(r"service_description\s+(.*)\n", text)
    want = ["%s g%d" % (n, generation) for n in services_for(generation)]
    if descriptions != want or text.count("define service {") != len(want):
        return "torn"
    return generation


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrar", required=True)
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print("seed", args.seed)
    env = regtest.NagiosEnv(args.registrar)
    failures = []
    # Per host: the generation known to be accepted, and the ones attempted since.
    accepted = {}
    attempted = {h: set() for h in HOSTS}
    next_generation = {h: 1 for h in HOSTS}
    try:
        # Every host registers once cleanly; this also measures a receive.
        start = time.time()
        for h in HOSTS:
            code, out, err = env.receive(h, document(h, 1))
            if code != 0:
                print("initial registration failed", h, out, err)
                return 1
            accepted[h] = 1
            next_generation[h] = 2
        span = (time.time() - start) / len(HOSTS)
        print("one receive takes about %.0f ms" % (span * 1000))
        killed = completed = 0
        for _ in range(args.iterations):
            batch = rng.sample(HOSTS, rng.choice([1, 1, 2, 3]))
            procs = []
            for h in batch:
                g = next_generation[h]
                next_generation[h] += 1
                attempted[h].add(g)
                p = subprocess.Popen([env.registrar, "--config", env.config, "receive", "--host", h],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
                p.stdin.write(document(h, g))
                p.stdin.close()
                procs.append((h, g, p))
            time.sleep(rng.uniform(0, span * 2 * len(batch)))
            for h, g, p in procs:
                if p.poll() is None:
                    os.kill(p.pid, signal.SIGKILL)
                    killed += 1
                p.wait()
                out = p.stdout.read().decode()
                p.stdout.close()
                p.stderr.close()
                if p.returncode == 0:
                    completed += 1
                    accepted[h] = g
                    attempted[h] = set()
                elif p.returncode != -signal.SIGKILL:
                    failures.append("%s generation %d: exit %d: %s" % (h, g, p.returncode, out))
        print("%d registrations: %d killed, %d completed" % (args.iterations, killed, completed))

        # Old or new, never torn.
        for h in HOSTS:
            allowed = {accepted[h]} | attempted[h]
            s = stored_generation(env, h)
            live = live_generation(env, h)
            print("%s: accepted %d, attempted since %s, stored %s, live %s"
                  % (h, accepted[h], sorted(attempted[h]), s, live))
            if s not in allowed:
                failures.append("%s: stored generation %s not in %s" % (h, s, sorted(allowed)))
            if live not in allowed:
                failures.append("%s: live file generation %s not in %s" % (h, live, sorted(allowed)))
        ok, output = env.verify_live()
        if not ok:
            failures.append("nagios4 -v fails after the crashes: " + output[-1500:])
        code, out, err = env.run("hosts")
        if code != 0 or any(h not in out for h in HOSTS):
            failures.append("hosts: exit %d: %s %s" % (code, out, err))

        # Recovery: every host registers normally again, and store and live
        # files agree.
        for h in HOSTS:
            g = next_generation[h]
            code, out, err = env.receive(h, document(h, g))
            if code != 0:
                failures.append("%s: registration after the crashes failed: %s %s" % (h, out, err))
            elif stored_generation(env, h) != g or live_generation(env, h) != g:
                failures.append("%s: after recovery stored %s live %s, want %d"
                                % (h, stored_generation(env, h), live_generation(env, h), g))
        if os.path.exists(os.path.join(env.state_dir, "reload-pending")):
            failures.append("a reload is still pending after recovery")
        ok, output = env.verify_live()
        if not ok:
            failures.append("nagios4 -v fails after recovery: " + output[-1500:])
    finally:
        if failures:
            print("kept", env.dir)
        else:
            env.cleanup()
    for f in failures:
        print("FAILURE:", f)
    print("crash test %s" % ("FAILED" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
