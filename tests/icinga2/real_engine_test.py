#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Icinga 2 backend against Debian's real icinga2 (2.13.6), with a
private configuration, data, cache, log and run directory in a temporary
directory (icinga2 takes them as -DConfiguration.* constants; it runs as
the calling user through automon-icinga2-verify's ICINGA2_USER trick):

  ValidationTest  every service shape and the hostile corpus's values
                  render into files `icinga2 daemon -C` accepts, in
                  conf.d and in a zone; the staging never touches
                  /var/cache/icinga2;
  QuarantineTest  a host whose objects break validation is quarantined
                  alone (its last good file stays live) while the others
                  go live, for both kinds of error icinga2 reports;
  DaemonTest      a running icinga2 runs the rendered checks: the
                  Guacamole check against the fake Guacamole server
                  reports "Apache Guacamole Active Sessions: 3" (read from
                  icinga2's state file); argv-logging stub plugins prove
                  every hostile value arrives as one unchanged word, that
                  nothing injected runs and that no secret reaches argv.

The plans are given to tests/icinga2/icinga2_driver as JSON; they mirror
what the plan table produces for each service type.

  RegistrarDaemonTest  the same end to end: a snapshot with a Guacamole
                  service through `automon-registrar receive` (backend =
                  icinga2), then the running daemon reports 3 sessions.

  ShippedDefinitionsTest  monitoring-info.d/ through `automon-agent
                  snapshot` and `automon-registrar receive`: icinga2 daemon -C
                  accepts the result.

usage: real_engine_test.py --driver PATH --verify PATH --guacamole PATH --registrar PATH
       --agent PATH [unittest args]
"""

import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "guacamole"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "registrar"))
from fake_guacamole import FakeGuacamole, User  # noqa: E402
import regtest  # noqa: E402

DRIVER = VERIFY = GUACAMOLE = REGISTRAR = AGENT = None
HERE = os.path.dirname(os.path.abspath(__file__))
ICINGA2 = "/usr/sbin/icinga2"
WRAPPER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "registrar",
                       "libexec", "automon_password_env")

# Values from the hostile-snapshot corpus (tests/registrar/hostile_corpus_test.py)
# and the DSL's own metacharacters: each must reach the program unchanged.
SECRET = "pa$$w0rd'$(touch PWNED)`id`;!\"\\ {{{ }}} $host.name$"
HOSTILE = [
    "a;b!c #d",
    "/a?b=c&d=e+f:g@h,i~j%20",
    "$USER1$",
    "$host.vars.automon_generation$",
    "$$",
    "x\"; } object Host \"pwned\" { address = \"1",
    "\\\" \\\\ \\n",
    "line1\nline2\r\t\x01\x7f",
    "{{{ raw }}} // not a comment /* nor this */",
    "$(touch PWNED)`touch PWNED`;touch PWNED|&><*?'",
    "ou=My Unit,dc=example,dc=org",
    "web*,api?",
    "caf\u00e9 \u2603",
    "--insecure",
    "",
]


def arg(kind, option="", value="", joined=False):
    return {"option": option, "kind": kind, "value": value, "joined": joined}


def every_type(host, address, secret_dir, values=None, guacamole_port=8080):
    """One service of every shape family; `values` replaces each
    host-supplied value (kind value) in turn, cycling."""
    pool = list(values or [])
    counter = [0]

    def v(default):
        if not pool:
            return default
        counter[0] += 1
        return pool[(counter[0] - 1) % len(pool)]

    def svc(name, command, program, arguments, source="plugins", **extra):
        s = {"name": name, "description": name, "command": command, "program": program,
             "source": source, "arguments": arguments}
        s.update(extra)
        return s

    secret = lambda name: regtest.secret_path(secret_dir, host, name, 1)  # noqa: E731
    services = [
        svc("web", "http", "check_http",
            [arg("address", "-I", address), arg("value", "-H", v(host)), arg("value", "-p", "80"),
             arg("value", "-u", v("/")), arg("fixed", "-f", "sticky")]),
        svc("shop", "https_verify_cert", "check_curl",
            [arg("address", "-I", address), arg("value", "-H", v("shop.example.org")),
             arg("value", "-p", "443"), arg("value", "-u", v("/health")),
             arg("fixed", "-f", "critical"), arg("flag", "--ssl"), arg("flag", "-D"),
             arg("value", "-C", "30"), arg("flag", "--continue-after-certificate")],
            timeout=20, interval=120),
        svc("imaps", "imap_tls", "check_simap",
            [arg("address", "-H", address), arg("value", "-p", "993"),
             arg("value", "--sni", v(host), joined=True)]),
        svc("echo", "udp", "check_udp",
            [arg("address", "-H", address), arg("value", "-p", "7"), arg("value", "-s", v("ping")),
             arg("value", "-e", v("pong"))]),
        svc("ldap", "ldaps_auth", "check_ldap",
            [arg("flag", "-S"), arg("address", "-H", address), arg("value", "-p", "636"),
             arg("value", "-b", v("dc=example,dc=org")), arg("flag", "-3"),
             arg("value", "-D", v("cn=monitor,dc=example,dc=org"))],
            env={"variable": "LDAP_PASSWORD", "file": secret("ldap")}),
        svc("ssh", "ssh", "check_ssh", [arg("address", "-H", address), arg("value", "-p", "22")]),
        svc("guacamole", "guacamole", "check_guacamole",
            [arg("address", "--host", "127.0.0.1"), arg("value", "--port", str(guacamole_port)),
             arg("value", "--protocol", "http"), arg("value", "--uri", "/guacamole"),
             arg("value", "--data-source", "mysql"), arg("value", "--username", "monitor"),
             arg("secret", "--password-file", secret("guacamole"))], source="probes"),
        svc("haproxy", "haproxy_url_auth_p2", "check_haproxy_sessions",
            [arg("value", "--url", v("http://127.0.0.1:8404/stats;csv")),
             arg("value", "--username", v("stats")),
             arg("secret", "--password-file", secret("haproxy")), arg("value", "-w", "80%"),
             arg("value", "-c", "90%"), arg("value", "--proxy", v("www")),
             arg("value", "--proxy", v("api"))], source="probes"),
        svc("smtp", "mailflow_send_tls", "check_mailflow",
            [arg("fixed", "--mode", "send"), arg("value", "--mailflowid", "flow1"),
             arg("value", "--state-dir", "/var/lib/automon/mailflow/flow1"),
             arg("address", "-H", address), arg("value", "-p", "465"),
             arg("value", "--to", v("probe@example.org")), arg("fixed", "--tls", "implicit"),
             arg("value", "--tls-hostname", v(host))], source="probes"),
        svc("dns", "unknown", "check_dummy",
            [arg("fixed", "", "3"), arg("value", "", v("udp service dns cannot be checked"))]),
    ]
    return {"host": host, "address": address, "generation": 1, "services": services,
            "secrets": [{"path": secret(n), "content": SECRET + "\n"}
                        for n in ("ldap", "guacamole", "haproxy")]}


STUB = """#!/usr/bin/python3
import json, os, sys
with open(%(log)r, "a") as f:
    f.write(json.dumps({"program": os.path.basename(sys.argv[0]), "argv": sys.argv[1:],
                        "ldap_password": os.environ.get("LDAP_PASSWORD")}) + "\\n")
print("STUB OK - %%s" %% os.path.basename(sys.argv[0]))
"""


class Engine:
    """A private Icinga 2 tree: etc/ (icinga2.conf, conf.d, zones.d), the
    registrar's state and secrets, stub plugin and probe directories."""

    def __init__(self, test, zone=None, reload_command="/bin/true", check_interval=None):
        self.root = tempfile.mkdtemp(prefix="automon-icinga2-")
        test.addCleanup(shutil.rmtree, self.root, True)
        self.test = test
        self.etc = self.path("etc")
        self.plugins = self.path("plugins")
        self.probes = self.path("probes")
        self.argv_log = self.path("argv.log")
        for d in ("etc/conf.d", "etc/zones.d", "state", "secrets", "plugins", "probes", "lib",
                  "log", "cache", "spool", "run/icinga2"):
            os.makedirs(self.path(d), exist_ok=True)
        for name in ("check_http", "check_curl", "check_simap", "check_udp", "check_ldap",
                     "check_ssh", "check_dummy"):
            self.write_exec(os.path.join(self.plugins, name), STUB % {"log": self.argv_log})
        for name in ("check_haproxy_sessions", "check_mailflow"):
            self.write_exec(os.path.join(self.probes, name), STUB % {"log": self.argv_log})
        shutil.copy(GUACAMOLE, os.path.join(self.probes, "check_guacamole"))
        shutil.copy(WRAPPER, os.path.join(self.probes, "automon_password_env"))
        zones = ""
        if zone:
            zones = ('object Endpoint "sat-endpoint" { }\n'
                     'object Zone "%s" { endpoints = [ "sat-endpoint" ]; parent = ZoneName }\n'
                     % zone)
        self.write("etc/icinga2.conf", """const PluginDir = "%(plugins)s"
const NodeName = "automon-test"
const ZoneName = "automon-test"
include "features.conf"
include <itl>
include <plugins>
object Endpoint NodeName { }
object Zone ZoneName { endpoints = [ NodeName ] }
%(zones)s
include_recursive "conf.d"
""" % {"plugins": self.plugins, "zones": zones})
        self.write("etc/features.conf", """object IcingaApplication "app" { }
object CheckerComponent "checker" { }
object FileLogger "main" { path = "%s"; severity = "information" }
""" % self.path("log/icinga2.log"))
        self.write("etc/conf.d/admin.conf", 'object Host "clash.example.org" { check_command = "dummy" }\n')
        templates = ""
        if check_interval:
            self.write("templates.conf", """template Host "automon-host" {
  check_command = "dummy"
  enable_active_checks = false
}
template Service "automon-service" {
  max_check_attempts = 1
  check_interval = %ds
  retry_interval = %ds
}
""" % (check_interval, check_interval))
            templates = "templates_file = %s\n" % self.path("templates.conf")
        self.conf = self.path("registrar.conf")
        self.write("registrar.conf", """[registrar]
backend = icinga2
[icinga2]
config = %(etc)s/icinga2.conf
%(zone)sverify_command = %(verify)s {config} {zonesdir} {cachedir}
reload_command = %(reload)s
probes_dir = %(probes)s
%(templates)s""" % {"etc": self.etc, "verify": VERIFY, "reload": reload_command,
                    "probes": self.probes, "templates": templates,
                    "zone": "zone = %s\n" % zone if zone else ""})

    def path(self, rel):
        return os.path.join(self.root, rel)

    def write(self, rel, content):
        with open(self.path(rel), "w") as f:
            f.write(content)

    @staticmethod
    def write_exec(path, content):
        with open(path, "w") as f:
            f.write(content)
        os.chmod(path, 0o755)

    def activate(self, hosts, skip_shapes=()):
        proc = subprocess.run([DRIVER, "activate", self.conf, self.path("state")],
                              input=json.dumps({"hosts": hosts, "skip_shapes": list(skip_shapes)}),
                              capture_output=True, text=True, timeout=240)
        self.test.assertIn(proc.returncode, (0, 1), proc.stderr)
        return json.loads(proc.stdout)

    def verify_live(self):
        cache = self.path("verify-cache")
        os.makedirs(cache, exist_ok=True)
        return subprocess.run([VERIFY, self.path("etc/icinga2.conf"), self.path("etc/zones.d"),
                               cache], capture_output=True, text=True, timeout=240)

    def output_dir(self, zone=None):
        return self.path("etc/zones.d/%s/automon" % zone if zone else "etc/conf.d/automon")

    def live_files(self, zone=None):
        out = {}
        for d, _, files in os.walk(self.output_dir(zone)):
            for name in files:
                with open(os.path.join(d, name)) as f:
                    out[os.path.relpath(os.path.join(d, name), self.output_dir(zone))] = f.read()
        return out

    def argv_records(self):
        if not os.path.exists(self.argv_log):
            return []
        with open(self.argv_log) as f:
            return [json.loads(line) for line in f if line.strip()]


def system_cache_state():
    """The machine's own icinga2 directories, which no test may touch."""
    state = []
    for d in ("/var/cache/icinga2", "/var/lib/icinga2", "/var/log/icinga2", "/run/icinga2"):
        if os.path.isdir(d):
            for base, _, files in os.walk(d):
                for n in files:
                    p = os.path.join(base, n)
                    state.append((p, os.lstat(p).st_mtime_ns))
    return sorted(state)


class ValidationTest(unittest.TestCase):
    def test_every_shape_and_hostile_values_pass_icinga2(self):
        engine = Engine(self)
        before = system_cache_state()
        hosts = [every_type("web01.example.org", "192.0.2.10", engine.path("secrets"))]
        for i in range(len(HOSTILE)):
            rotated = HOSTILE[i:] + HOSTILE[:i]
            hosts.append(every_type("hostile%d.example.org" % i, "127.0.0.1",
                                    engine.path("secrets"), values=rotated))
        outcome = engine.activate(hosts)
        self.assertNotIn("error", outcome, outcome)
        self.assertEqual(outcome["quarantined"], {})
        self.assertEqual(outcome["rejected"], {})
        self.assertEqual(sorted(outcome["activated"]), sorted(h["host"] for h in hosts))
        verified = engine.verify_live()
        self.assertEqual(verified.returncode, 0, verified.stdout[-3000:])
        self.assertIn("Instantiated %d Services." % (10 * len(hosts)), verified.stdout)
        files = engine.live_files()
        self.assertEqual(len(files), len(hosts) + 1)
        for rel, content in files.items():
            self.assertNotIn("w0rd", content, rel)
            # No object the values tried to inject exists.
            self.assertNotRegex(content, r'(?m)^object Host "pwned"', rel)
        # The secret files were written for the hosts that went live.
        with open(regtest.secret_path(engine.path("secrets"), "web01.example.org", "guacamole", 1)) as f:
            self.assertEqual(f.read(), SECRET + "\n")
        self.assertEqual(system_cache_state(), before,
                         "icinga2 daemon -C touched /var/cache/icinga2")
        self.assertTrue(os.listdir(engine.path("state/staging/cache")))

    def test_the_goldens_of_every_shape_and_type_pass(self):
        """backends/testdata/icinga2: automon.conf with every shape the plan
        table produces (AllCommandShapes) and the host of every service type
        planned by PlanHost; the unit tests keep them current."""
        engine = Engine(self)
        goldens = os.path.join(HERE, "..", "..", "backends", "testdata", "icinga2")
        target = engine.output_dir()
        os.makedirs(os.path.join(target, "hosts"))
        shutil.copy(os.path.join(goldens, "automon.conf"), target)
        shutil.copy(os.path.join(goldens, "web01.example.org.conf"), os.path.join(target, "hosts"))
        # Passive services, the heartbeat and its Dependency objects (#15).
        shutil.copy(os.path.join(goldens, "passive.example.org.conf"),
                    os.path.join(target, "hosts"))
        verified = engine.verify_live()
        self.assertEqual(verified.returncode, 0, verified.stdout[-3000:])
        self.assertIn("Instantiated 26 Services.", verified.stdout)
        self.assertIn("Instantiated 2 Dependencies.", verified.stdout)

    def test_zone_files_carry_the_zone_and_pass(self):
        engine = Engine(self, zone="satellite")
        outcome = engine.activate([every_type("sat01.example.org", "192.0.2.20",
                                              engine.path("secrets"))])
        self.assertEqual(outcome.get("activated"), ["sat01.example.org"], outcome)
        files = engine.live_files("satellite")
        self.assertIn("automon.conf", files)
        host_file = [c for r, c in files.items() if r.startswith("hosts/")][0]
        self.assertEqual(host_file.count('  zone = "satellite"\n'), 11)
        verified = engine.verify_live()
        self.assertEqual(verified.returncode, 0, verified.stdout[-3000:])

    def test_the_verify_helper_fails_on_a_broken_configuration(self):
        engine = Engine(self)
        engine.write("etc/conf.d/broken.conf", 'object Host "x" { nosuchattr = 1 }\n')
        verified = engine.verify_live()
        self.assertEqual(verified.returncode, 1)
        self.assertIn("Attribute 'nosuchattr' does not exist.", verified.stdout)
        outcome = engine.activate([every_type("web01.example.org", "192.0.2.10",
                                              engine.path("secrets"))])
        self.assertIn("does not verify even without the hosts' changes", outcome["error"])
        self.assertEqual(engine.live_files(), {})


class ShippedDefinitionsTest(unittest.TestCase):
    """monitoring-info.d/ (automon-definitions), every package installed:
    `automon-agent snapshot` -> `automon-registrar receive` with backend =
    icinga2 -> the real icinga2 daemon -C accepts the result."""

    def test_shipped_definitions_pass_icinga2(self):
        engine = Engine(self)
        definitions = os.path.join(HERE, "..", "..", "monitoring-info.d")
        packages = set()
        for name in os.listdir(definitions):
            with open(os.path.join(definitions, name)) as f:
                for line in f:
                    key, _, value = line.partition("=")
                    if key.strip() == "package":
                        packages.add(value.strip())
        self.assertGreaterEqual(len(packages), 9)
        admindir = engine.path("dpkg")
        os.makedirs(admindir)
        with open(os.path.join(admindir, "status"), "w") as f:
            for package in sorted(packages):
                f.write("Package: %s\nStatus: install ok installed\n\n" % package)
        snapshot = subprocess.run([AGENT, "--config", "/dev/null", "snapshot", definitions,
                                   "--name", "web01.example.org", "--address", "127.0.0.1",
                                   "--dpkg-admindir", admindir], capture_output=True, timeout=60)
        self.assertEqual(snapshot.returncode, 0, snapshot.stderr)
        config = engine.path("registrar-real.conf")
        with open(engine.conf) as f:
            text = f.read()
        with open(config, "w") as f:
            f.write(text.replace("[registrar]\n", "[registrar]\nstate_dir = %s\nquiet_period = 0\n"
                                 % engine.path("registrar-state"), 1))
        p = subprocess.run([REGISTRAR, "--config", config, "receive", "--host",
                            "web01.example.org"], input=snapshot.stdout, capture_output=True,
                           timeout=240)
        out = p.stdout.decode()
        self.assertEqual(p.returncode, 0, out + p.stderr.decode())
        self.assertEqual(out.count(": active\n"), out.count("\n"), out)
        self.assertGreaterEqual(out.count(": active\n"), 9, out)
        verified = engine.verify_live()
        self.assertEqual(verified.returncode, 0, verified.stdout[-3000:])


class QuarantineTest(unittest.TestCase):
    def test_the_breaking_hosts_are_quarantined_alone(self):
        engine = Engine(self)
        secrets = engine.path("secrets")
        first = engine.activate([every_type("a.example.org", "192.0.2.1", secrets),
                                 every_type("b.example.org", "192.0.2.2", secrets)])
        self.assertEqual(sorted(first["activated"]), ["a.example.org", "b.example.org"], first)
        good_b = engine.live_files()
        # b now uses a check command nobody defines (Location: in b's file),
        # clash.example.org is defined by the administrator (re-defined: in
        # its file), c and a's change are fine.
        b = every_type("b.example.org", "192.0.2.2", secrets)
        b["services"][0]["command"] = "undefined_shape"
        a = every_type("a.example.org", "192.0.2.11", secrets)
        c = every_type("c.example.org", "192.0.2.3", secrets)
        clash = every_type("clash.example.org", "192.0.2.4", secrets)
        outcome = engine.activate([a, b, c, clash], skip_shapes=["undefined_shape"])
        self.assertNotIn("error", outcome, outcome)
        self.assertEqual(sorted(outcome["activated"]), ["a.example.org", "c.example.org"])
        self.assertEqual(sorted(outcome["quarantined"]), ["b.example.org", "clash.example.org"])
        why_b = outcome["quarantined"]["b.example.org"]
        self.assertIn("Object 'automon_undefined_shape' of type 'CheckCommand' does not exist",
                      why_b)
        self.assertIn("Location: in %s/hosts/" % engine.output_dir(), why_b)
        self.assertNotIn("state/staging", why_b)
        why_clash = outcome["quarantined"]["clash.example.org"]
        self.assertIn("Object 'clash.example.org' of type 'Host' re-defined", why_clash)
        # b's last good file stays live, clash has none, a's change is live.
        files = engine.live_files()
        b_rel = [r for r in good_b if r.endswith("/b.example.org.conf")][0]
        self.assertEqual(files[b_rel], good_b[b_rel])
        self.assertFalse([r for r in files if "clash" in r])
        a_rel = [r for r in files if r.endswith("/a.example.org.conf")][0]
        self.assertIn('address = "192.0.2.11"', files[a_rel])
        verified = engine.verify_live()
        self.assertEqual(verified.returncode, 0, verified.stdout[-3000:])


class DaemonBase(unittest.TestCase):
    """Starts and stops a private icinga2 daemon and reads its state."""

    def start_daemon(self, engine):
        args = [ICINGA2, "daemon", "-c", engine.path("etc/icinga2.conf")]
        for const, rel in (("DataDir", "lib"), ("LogDir", "log"), ("CacheDir", "cache"),
                           ("SpoolDir", "spool"), ("InitRunDir", "run"),
                           ("ZonesDir", "etc/zones.d")):
            args.append("-DConfiguration.%s=%s" % (const, engine.path(rel)))
        env = dict(os.environ)
        import grp
        import pwd
        env["ICINGA2_USER"] = pwd.getpwuid(os.getuid()).pw_name
        env["ICINGA2_GROUP"] = grp.getgrgid(os.getgid()).gr_name
        with open(engine.path("daemon.out"), "w") as log:
            proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT,
                                    cwd=engine.root, start_new_session=True)
        self.addCleanup(self.stop_daemon, proc)
        return proc

    @staticmethod
    def stop_daemon(proc):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                # icinga2 writes icinga2.state while it stops; on a loaded
                # machine that can take a while, and a kill loses it.
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def state_outputs(self, engine):
        """service name -> output of its last check, from icinga2.state
        (written when the daemon stops)."""
        outputs = {}
        with open(engine.path("lib/icinga2.state"), "rb") as f:
            data = f.read()
        # Netstrings "LEN:{json},".
        pos = 0
        while pos < len(data):
            colon = data.index(b":", pos)
            length = int(data[pos:colon])
            record = json.loads(data[colon + 1:colon + 1 + length])
            pos = colon + 1 + length + 1
            if record.get("type") == "Service":
                result = record.get("update", {}).get("last_check_result") or {}
                outputs[record["name"]] = result.get("output")
        return outputs


class DaemonTest(DaemonBase):
    def test_running_icinga2_runs_the_rendered_checks(self):
        engine = Engine(self, check_interval=2)
        before = system_cache_state()
        secrets = engine.path("secrets")
        pwned = engine.path("PWNED")
        hostile = [h.replace("PWNED", pwned) for h in HOSTILE]
        with FakeGuacamole(users={"monitor": User(SECRET)}) as fake:
            fake.sessions = [{"username": "u%d" % i} for i in range(3)]
            hosts = [every_type("web01.example.org", "127.0.0.1", secrets,
                                guacamole_port=fake.port),
                     every_type("hostile.example.org", "127.0.0.1", secrets, values=hostile)]
            for h in hosts:  # every check within the templates' 2 s
                for svc in h["services"]:
                    svc.pop("interval", None)
            outcome = engine.activate(hosts)
            self.assertEqual(sorted(outcome.get("activated", [])),
                             ["hostile.example.org", "web01.example.org"], outcome)
            proc = self.start_daemon(engine)
            deadline = time.time() + 60
            wanted = {"check_http", "check_curl", "check_simap", "check_udp", "check_ldap",
                      "check_ssh", "check_dummy", "check_haproxy_sessions", "check_mailflow"}
            while time.time() < deadline:
                self.assertIsNone(proc.poll(), "icinga2 exited: see %s" % engine.path("daemon.out"))
                runs = [r["program"] for r in engine.argv_records()]
                # Both hosts' services ran (haproxy has two of each).
                if all(runs.count(p) >= 2 for p in wanted) and fake.logins > 0:
                    break
                time.sleep(0.5)
            time.sleep(3)  # let the Guacamole check finish and be processed
            self.stop_daemon(proc)
        self.assertLessEqual(wanted, {r["program"] for r in engine.argv_records()})
        outputs = self.state_outputs(engine)
        self.assertEqual(outputs.get("web01.example.org!guacamole", "").strip(),
                         "Apache Guacamole Active Sessions: 3", outputs)

        records = engine.argv_records()
        for r in records:
            for word in r["argv"]:
                self.assertNotIn("w0rd", word, r)
        ldap = [r for r in records if r["program"] == "check_ldap"]
        self.assertTrue(ldap)
        for r in ldap:
            self.assertEqual(r["ldap_password"], SECRET, r)
        self.assertFalse(os.path.exists(pwned), "something ran an injected command")
        self.assertEqual(system_cache_state(), before, "the daemon wrote outside its temp dir")
        # Each hostile value arrived as one word, unchanged.
        plan = hosts[1]
        for s in plan["services"]:
            if s["program"] == "check_guacamole":  # the real probe, not a stub
                continue
            expected = []
            for a in s["arguments"]:
                value = a["value"]
                if a["kind"] == "flag":
                    expected.append(a["option"])
                elif a["option"] == "":
                    expected.append(value)
                elif a["joined"]:
                    expected.append("%s=%s" % (a["option"], value))
                else:
                    expected += [a["option"], value]
            hostile_argv = [r["argv"] for r in records if r["program"] == s["program"]]
            self.assertIn(expected, hostile_argv, s["name"])


class RegistrarDaemonTest(DaemonBase):
    """The same, from a snapshot through `automon-registrar receive`
    (backend = icinga2): the real plan table, renderer and activator."""

    def test_registered_guacamole_service_reports_its_sessions(self):
        engine = Engine(self, check_interval=2)
        state = engine.path("registrar-state")
        config = engine.path("registrar-real.conf")
        with open(engine.conf) as f:
            text = f.read()
        with open(config, "w") as f:
            f.write(text.replace("[registrar]\n", "[registrar]\nstate_dir = %s\nquiet_period = 0\n"
                                 % state, 1))
        pwned = engine.path("PWNED")
        password = "pa$$w0rd'$(touch %s)`id`;!" % pwned
        with FakeGuacamole(users={"monitor": User(password)}) as fake:
            fake.sessions = [{"username": "u%d" % i} for i in range(3)]
            snapshot = regtest.make_snapshot("web01.example.org", [
                ("guac", [("type", "guacamole"), ("port", str(fake.port)),
                          ("username", "monitor"), ("password", password)]),
                ("echo", [("type", "udp"), ("port", "7"), ("send", "ping; it! #x & | > < * ?"),
                          ("expect", "pong; it!")]),
            ], address="127.0.0.1")
            p = subprocess.run([REGISTRAR, "--config", config, "receive", "--host",
                                "web01.example.org"], input=snapshot, capture_output=True,
                               timeout=240)
            out = p.stdout.decode()
            self.assertEqual(p.returncode, 0, out + p.stderr.decode())
            self.assertEqual(out, "guac: active\necho: active\n")
            proc = self.start_daemon(engine)
            deadline = time.time() + 60
            while time.time() < deadline:
                self.assertIsNone(proc.poll(), "icinga2 exited: see %s" % engine.path("daemon.out"))
                if fake.logins > 0 and any(r["program"] == "check_udp"
                                           for r in engine.argv_records()):
                    break
                time.sleep(0.5)
            time.sleep(3)
            self.stop_daemon(proc)
        outputs = self.state_outputs(engine)
        self.assertEqual(outputs.get("web01.example.org!guac", "").strip(),
                         "Apache Guacamole Active Sessions: 3", outputs)
        udp = [r["argv"] for r in engine.argv_records() if r["program"] == "check_udp"]
        self.assertTrue(udp)
        self.assertIn(["-H", "127.0.0.1", "-p", "7", "-s", "ping; it! #x & | > < * ?",
                       "-e", "pong; it!"], udp)
        for r in engine.argv_records():
            self.assertFalse(any("w0rd" in w for w in r["argv"]), r)
        for base, _, names in os.walk(engine.output_dir()):
            for name in names:
                with open(os.path.join(base, name)) as f:
                    self.assertNotIn("w0rd", f.read(), name)
        self.assertFalse(os.path.exists(pwned), "something ran an injected command")


class PassiveApiTest(DaemonBase):
    """Issue #15: passive results through the REST API of a running Icinga 2,
    as an ApiUser allowed only actions/process-check-result, with the
    writer the registrar makes from registrar.conf (icinga2_driver results)."""

    def results(self, engine, results):
        proc = subprocess.run([DRIVER, "results", engine.conf, "-"],
                              input=json.dumps({"results": results}), capture_output=True,
                              text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return json.loads(proc.stdout)

    def test_results_reach_icinga2_through_the_api(self):
        engine = Engine(self)
        certs = engine.path("lib/certs")
        os.makedirs(certs)

        def openssl(*args):
            subprocess.run(["openssl"] + list(args), cwd=certs, check=True, timeout=120,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out",
                "ca.crt", "-subj", "/CN=automon test CA", "-days", "2")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "automon-test.key", "-out",
                "node.csr", "-subj", "/CN=automon-test")
        openssl("x509", "-req", "-in", "node.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "automon-test.crt", "-days", "2")
        port = regtest_free_port()
        with open(engine.path("etc/features.conf"), "a") as f:
            f.write('object ApiListener "api" { bind_host = "127.0.0.1"; bind_port = %d }\n' % port)
        engine.write("etc/conf.d/api-users.conf",
                     'object ApiUser "automon" {\n  password = "s3cr3t-api"\n'
                     '  permissions = [ "actions/process-check-result" ]\n}\n')
        goldens = os.path.join(HERE, "..", "..", "backends", "testdata", "icinga2")
        target = engine.output_dir()
        os.makedirs(os.path.join(target, "hosts"))
        shutil.copy(os.path.join(goldens, "automon.conf"), target)
        shutil.copy(os.path.join(goldens, "passive.example.org.conf"),
                    os.path.join(target, "hosts"))
        engine.write("api-password", "s3cr3t-api\n")
        engine.write("wrong-password", "guess\n")
        with open(engine.conf, "a") as f:
            f.write("api_address = 127.0.0.1:%d\napi_password_file = %s\napi_ca_file = %s\n"
                    % (port, engine.path("api-password"), os.path.join(certs, "ca.crt")))
        proc = self.start_daemon(engine)
        deadline = time.time() + 60
        while time.time() < deadline:
            self.assertIsNone(proc.poll(), "icinga2 exited: see %s" % engine.path("daemon.out"))
            try:
                import socket
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        now = int(time.time())

        def result(service, output):
            return {"host": "passive.example.org", "service": service, "description": service,
                    "state": 1, "output": output, "long_output": "line two\nline three",
                    "perfdata": "files=3;;;0", "time": now}
        outcome = self.results(engine, [result("backup", "BACKUP WARNING from the API"),
                                        result("automon agent", "alive"),
                                        result("nosuch", "X")])
        self.assertEqual(outcome[0], ["accepted", ""], outcome)
        self.assertEqual(outcome[1], ["accepted", ""], outcome)
        self.assertEqual(outcome[2][0], "refused-by-core", outcome)
        self.assertIn("Icinga 2 API answered 404", outcome[2][1])
        # Another password: the API refuses, and the reply says so.
        with open(engine.conf) as f:
            conf = f.read()
        with open(engine.conf, "w") as f:
            f.write(conf.replace(engine.path("api-password"), engine.path("wrong-password")))
        refused = self.results(engine, [result("backup", "WRONG PASSWORD")])
        self.assertEqual(refused[0][0], "refused-by-core", refused)
        self.assertIn("Icinga 2 API answered 401", refused[0][1])
        time.sleep(2)
        self.stop_daemon(proc)
        outputs = self.state_outputs(engine)
        self.assertEqual(outputs.get("passive.example.org!backup"),
                         "BACKUP WARNING from the API\nline two\nline three", outputs)
        self.assertEqual(outputs.get("passive.example.org!automon agent", "").split("\n")[0],
                         "alive", outputs)


def regtest_free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    global DRIVER, VERIFY, GUACAMOLE, REGISTRAR, AGENT
    args = sys.argv[1:]
    while len(args) >= 2 and args[0] in ("--driver", "--verify", "--guacamole", "--registrar",
                                         "--agent"):
        value = os.path.abspath(args[1])
        if args[0] == "--agent":
            AGENT = value
        elif args[0] == "--registrar":
            REGISTRAR = value
        elif args[0] == "--driver":
            DRIVER = value
        elif args[0] == "--verify":
            VERIFY = value
        else:
            GUACAMOLE = value
        args = args[2:]
    if not (DRIVER and VERIFY and GUACAMOLE and REGISTRAR and AGENT):
        sys.exit("usage: real_engine_test.py --driver PATH --verify PATH --guacamole PATH "
                 "--registrar PATH --agent PATH [unittest args]")
    if not os.access(ICINGA2, os.X_OK):
        sys.exit("%s is missing: install icinga2-bin (scripts/install-deps)" % ICINGA2)
    unittest.main(argv=[sys.argv[0]] + args, verbosity=2)


if __name__ == "__main__":
    main()
