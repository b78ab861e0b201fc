#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Many agents registering at once through automon-registrar serve on
127.0.0.1 (issue 5, "Load"): every registration succeeds, the store holds
every host, the live configuration verifies with nagios4 -v, and Nagios is
reloaded a handful of times, not once per agent.

With --report it also prints registrations per second and the registrar's
peak memory (VmHWM), with the real nagios4 -v (bench/ssh/run measures the
SSH path alone, 1,000 agents, verify_command true).

usage: load_test.py --registrar PATH --agent PATH [--agents N] [--report]
"""

import argparse
import concurrent.futures
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ssh_e2e_test as e2e  # noqa: E402


def peak_memory_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def direct_receive(agents, registrar_bin):
    """Seconds for every agent's snapshot to go through `receive` on stdin,
    all at once, into a fresh registrar with the same settings: the
    registrar's own work, without the SSH transport."""
    env = e2e.regtest.NagiosEnv(registrar_bin, quiet_period=500)
    try:
        documents = []
        for a in agents:
            documents.append(subprocess.run(
                [e2e.ARGS.agent, "--config", a.config, "snapshot", "--dpkg-admindir",
                 os.path.join(a.dir, "dpkg")], stdout=subprocess.PIPE, check=True).stdout)
        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(agents)) as pool:
            results = list(pool.map(lambda ad: env.receive(ad[0].name, ad[1]),
                                    zip(agents, documents)))
        elapsed = time.time() - start
        assert all(code == 0 for code, _, _ in results), results[:2]
        return elapsed
    finally:
        env.cleanup()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrar", required=True)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--agents", type=int, default=100)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    e2e.ARGS = args

    # Registrations arriving within half a second share one verify and reload.
    registrar = e2e.Registrar("open", quiet_period=500)
    counter = os.path.join(registrar.env.dir, "reloads")
    with open(registrar.env.config) as f:
        text = f.read()
    text = text.replace("reload_command = /bin/true",
                        "reload_command = /bin/sh -c 'echo reload >> %s'" % counter)
    with open(registrar.env.config, "w") as f:
        f.write(text)
    agents = []
    try:
        registrar.start()
        agents = [e2e.Agent(registrar, name="host%03d.example.org" % i, tcp_port=1000 + i)
                  for i in range(args.agents)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.agents) as pool:
            enrolled = list(pool.map(lambda a: a.run("enroll"), agents))
        failed = [(a.name, r) for a, r in zip(agents, enrolled) if r[0] != 0]
        assert not failed, "enroll failed: %r" % failed[:3]
        if os.path.exists(counter):
            os.unlink(counter)

        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(max_workers=args.agents) as pool:
            pushed = list(pool.map(lambda a: a.run("push"), agents))
        elapsed = time.time() - start
        failed = [(a.name, r) for a, r in zip(agents, pushed) if r[0] != 0]
        assert not failed, "%d of %d pushes failed, first: %r" % (len(failed), len(agents),
                                                                  failed[:2])
        for a, (_, out, _) in zip(agents, pushed):
            assert "db: active" in out, (a.name, out)

        code, out, err = registrar.admin("hosts")
        assert code == 0, err
        for a in agents:
            assert a.name in out, a.name
        ok, output = registrar.env.verify_live()
        assert ok, output
        with open(counter) as f:
            reloads = len(f.read().splitlines())
        print("%d agents pushed in %.2f s (%.1f registrations/s); Nagios reloaded %d times"
              % (len(agents), elapsed, len(agents) / elapsed, reloads))
        assert 1 <= reloads <= 10, "expected a handful of reloads, got %d" % reloads
        if args.report:
            print("registrar peak memory (VmHWM): %d KiB" % peak_memory_kib(registrar.process.pid))
            reference = direct_receive(agents, args.registrar)
            print("reference, the same snapshots piped into %d concurrent 'automon-registrar "
                  "receive' without SSH: %.2f s; SSH/reference time ratio %.2f"
                  % (len(agents), reference, elapsed / reference))
        print("load test passed")
    finally:
        for a in agents:
            a.cleanup()
        registrar.cleanup()


if __name__ == "__main__":
    main()
