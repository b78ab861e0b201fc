#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The Checkmk backend and extension, end to end without a Checkmk site
(Checkmk is not packaged by Debian):

- MkFiles: automon-registrar with backend = checkmk registers the shipped
  definitions (monitoring-info.d, snapshot by automon-agent); every .mk file
  is executed by Python with the variables a site predefines, and the hosts
  and rules are checked field by field.
- HostileCorpus: the registrar-core hostile corpus goes through the Checkmk
  renderer; every document is refused, has its bad service rejected, or is
  rendered inert; executing every generated file only extends the site's
  variables with literal values that carry each value verbatim, and does
  nothing else (no import, no call, no file access: audited).
- Extension: the ruleset and server-side call modules imported against a
  stand-in of the documented cmk.* v1 API (tests/checkmk/standin); names,
  parameter types and defaults; the exact argv for sample rules; the
  launcher resolves Checkmk's `--password-id ID:FILE` for a stored and an
  explicit password with a fake cmk.utils.password_store that follows the
  site module's lookup() contract, and the password is in no process's
  argv (/proc/*/cmdline), also end to end with the built probe against
  the fake Guacamole server.
- SetupHosts: a host that the site's Setup has in conf.d/wato/ (hosts.mk
  as Setup writes it) is refused with a reason that says how to hand it
  over; deleted there, it registers; a hosts.mk the registrar cannot read
  refuses every registration.
- Mkp: the MKP the build made: documented layout, info == info.json, the
  built probe inside, reproducible.

usage: checkmk_test.py --registrar PATH --agent PATH --probe PATH --mkp PATH [--strip STRIP]
"""

import argparse
import ast
import copy
import glob
import gzip
import importlib
import importlib.machinery
import importlib.util
import inspect
import io
import json
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.dirname(os.path.dirname(HERE))
EXTENSION = os.path.join(SOURCE_DIR, "checkmk", "guacamole")
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "registrar"))
import regtest  # noqa: E402
import hostile_corpus_test as corpus  # noqa: E402

ARGS = None
SITE = "mysite"
PLUGINS = "/omd/sites/mysite/lib/nagios/plugins"
PROBES = "/usr/lib/nagios/plugins"
LITERAL_TYPES = (str, int, float, bool, type(None))
# Setup's dict-keyed rulesets (attribute -> rules): a file may put rules
# ahead of the site's, never change or drop them.
RULESET_TABLES = ("extra_host_conf", "extra_service_conf")


def site_variables():
    """What a Checkmk site predefines before it reads conf.d, with entries of
    a host the site already has."""
    other = "existing.example.org"
    return {
        "all_hosts": [other],
        "host_tags": {other: {"agent": "cmk-agent"}},
        "host_labels": {other: {"os": "linux"}},
        "ipaddresses": {other: "192.0.2.1"},
        "ipv6addresses": {},
        "explicit_host_conf": {"alias": {other: "Existing"}},
        "extra_host_conf": {},
        "extra_service_conf": {},
        "custom_checks": [{"id": "admin", "value": {"service_description": "x"},
                           "condition": {"host_name": [other]}}],
        "active_checks": {},
    }


def only_literals(value):
    if isinstance(value, LITERAL_TYPES):
        return True
    if isinstance(value, (list, tuple)):
        return all(only_literals(v) for v in value)
    if isinstance(value, dict):
        return all(only_literals(k) and only_literals(v) for k, v in value.items())
    return False


AUDITED = []
_AUDITING = [False]


# Events that mean a file did more than build literals: file, process,
# network, import, interpreter and FFI access. (Not every event: a garbage
# collection during exec may finalize an object of the test itself.)
WATCHED = ("open", "os.", "subprocess.", "import", "socket.", "shutil.", "ctypes.",
           "sys.", "builtins.", "urllib.", "http.", "pty.", "signal.", "fcntl.")


def _audit(event, args):
    if _AUDITING[0] and event.startswith(WATCHED):
        AUDITED.append(event)


sys.addaudithook(_audit)


def execute_mk(path, restricted=True, before=None):
    """Executes a .mk file as a site does (exec with the predefined
    variables, `before` or site_variables()). Returns (namespace after,
    namespace before, audited events)."""
    with open(path, "rb") as f:
        data = f.read()
    text = data.decode("ascii")  # the encoder writes ASCII only
    before = site_variables() if before is None else before
    ns = copy.deepcopy(before)
    ns["__builtins__"] = {} if restricted else __builtins__
    code = compile(text, path, "exec")
    del AUDITED[:]
    _AUDITING[0] = True
    try:
        exec(code, ns)  # noqa: S102 - the point of the test
    finally:
        _AUDITING[0] = False
    del ns["__builtins__"]
    return ns, before, list(AUDITED)


def additions(ns, before):
    """{variable: what the file added}, after checking it only added."""
    added = {}
    assert set(ns) == set(before), "new names: %r" % (set(ns) - set(before))
    for name, old in before.items():
        new = ns[name]
        assert type(new) is type(old), name
        if isinstance(old, list):
            assert new[:len(old)] == old, "%s was changed, not extended" % name
            added[name] = new[len(old):]
        elif name in RULESET_TABLES:
            added[name] = {}
            for k, rules in new.items():
                kept = old.get(k, [])
                assert type(rules) is list and len(rules) >= len(kept), "%s[%r]" % (name, k)
                assert rules[len(rules) - len(kept):] == kept, \
                    "%s[%r]: the site's rules were not kept after the file's" % (name, k)
                if len(rules) > len(kept):
                    added[name][k] = rules[:len(rules) - len(kept)]
            assert set(old) <= set(new), "%s lost rulesets" % name
        else:
            for k, v in old.items():
                if name == "explicit_host_conf":
                    assert all(new[k].get(h) == hv for h, hv in v.items()), "alias changed"
                else:
                    assert new.get(k) == v, "%s[%r] was changed" % (name, k)
            added[name] = {k: v for k, v in new.items() if k not in old}
        assert only_literals(new), "%s holds something that is not a literal" % name
    added["alias"] = {h: a for h, a in ns["explicit_host_conf"]["alias"].items()
                      if h not in before["explicit_host_conf"]["alias"]}
    return added


class CheckmkEnv:
    def __init__(self, stub_programs=False):
        self.dir = tempfile.mkdtemp(prefix="automon-checkmk-")
        plugins, extra = PLUGINS, ""
        if stub_programs:  # plugins and probes that print their argv
            plugins = os.path.join(self.dir, "plugins")
            self.probes = os.path.join(self.dir, "probes")
            os.makedirs(plugins)
            os.makedirs(self.probes)
            extra = "probes_dir = %s\n" % self.probes
        self.plugins = plugins
        self.conf_dir = os.path.join(self.dir, "site", "etc", "check_mk", "conf.d", "automon")
        os.makedirs(os.path.dirname(self.conf_dir))
        self.state_dir = os.path.join(self.dir, "state")
        self.log = os.path.join(self.dir, "activations")
        self.config = os.path.join(self.dir, "registrar.conf")
        with open(self.config, "w") as f:
            f.write("[registrar]\nstate_dir = %s\nbackend = checkmk\nquiet_period = 0\n"
                    "[checkmk]\nsite = %s\nconf_dir = %s\nplugins_dir = %s\n"
                    "activate_command = /bin/sh -c 'echo {site} >> %s'\n%s"
                    % (self.state_dir, SITE, self.conf_dir, plugins, self.log, extra))

    def run(self, *args, stdin=b""):
        p = subprocess.run([ARGS.registrar, "--config", self.config] + list(args), input=stdin,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

    def mk(self, host):
        return os.path.join(self.conf_dir, host + ".mk")

    def activations(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return f.read().split()

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class MkFilesTest(unittest.TestCase):
    HOST = "web01.example.org"

    def setUp(self):
        self.env = CheckmkEnv()
        self.addCleanup(self.env.cleanup)

    def snapshot(self):
        definitions = os.path.join(SOURCE_DIR, "monitoring-info.d")
        packages = set()
        for path in glob.glob(os.path.join(definitions, "*")):
            with open(path) as f:
                packages.update(re.findall(r"^package\s*=\s*(\S+)", f.read(), re.M))
        admindir = os.path.join(self.env.dir, "dpkg")
        os.makedirs(admindir)
        with open(os.path.join(admindir, "status"), "w") as f:
            for p in sorted(packages):
                f.write("Package: %s\nStatus: install ok installed\nVersion: 1.0\n"
                        "Architecture: all\n\n" % p)
        p = subprocess.run([ARGS.agent, "snapshot", definitions, "--name", self.HOST,
                            "--address", "192.0.2.10", "--generation", "1",
                            "--dpkg-admindir", admindir],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return p.stdout

    def test_shipped_definitions_become_site_configuration(self):
        code, out, err = self.env.run("receive", "--host", self.HOST, stdin=self.snapshot())
        self.assertIn(code, (0, 1), out + err)  # guacamole without a password warns only
        active = [l.split(":")[0] for l in out.splitlines() if l.endswith(": active")]
        self.assertGreaterEqual(len(active), 8, out)
        self.assertEqual(self.env.activations(), [SITE])
        ns, before, events = execute_mk(self.env.mk(self.HOST), restricted=False)
        self.assertEqual(events, [])
        added = additions(ns, before)
        self.assertEqual(added["all_hosts"], [self.HOST])
        self.assertEqual(added["host_tags"], {self.HOST: {
            "site": SITE, "address_family": "ip-v4-only", "ip-v4": "ip-v4", "agent": "no-agent",
            "piggyback": "no-piggyback", "snmp_ds": "no-snmp"}})
        self.assertEqual(added["host_labels"], {self.HOST: {"automon": "registered"}})
        self.assertEqual(added["ipaddresses"], {self.HOST: "192.0.2.10"})
        self.assertEqual(added["alias"], {self.HOST: self.HOST})
        rules = added["custom_checks"]
        self.assertEqual(sorted(r["value"]["service_description"] for r in rules), sorted(
            self.descriptions(active)))
        for rule in rules:
            self.assertEqual(set(rule), {"id", "value", "condition", "options"})
            self.assertEqual(rule["condition"], {"host_name": [self.HOST]})
            self.assertRegex(rule["id"], r"\Aautomon/%s/[^/]+\Z" % re.escape(self.HOST))
            self.assertEqual(set(rule["value"]), {"service_description", "command_line"})
            argv = shlex.split(rule["value"]["command_line"])
            self.assertTrue(argv[0].startswith((PLUGINS + "/", PROBES + "/")), argv)
            self.assertNotIn("$", rule["value"]["command_line"])
        by_program = {os.path.basename(shlex.split(r["value"]["command_line"])[0]): r
                      for r in rules}
        # The probes of issues #7 and #9, with the Nagios renderer's options.
        self.assertIn("check_haproxy_sessions", by_program)
        self.assertTrue(shlex.split(by_program["check_haproxy_sessions"]["value"]["command_line"])[0]
                        .startswith(PROBES + "/"))
        ssh = [r for r in rules if os.path.basename(shlex.split(r["value"]["command_line"])[0])
               == "check_ssh"]
        self.assertEqual(shlex.split(ssh[0]["value"]["command_line"]),
                         [PLUGINS + "/check_ssh", "-H", "192.0.2.10", "-p", "22"])

    def descriptions(self, names):
        code, out, _ = self.env.run("show", self.HOST)
        self.assertEqual(code, 0)
        found = {}
        name = None
        for line in out.splitlines():
            m = re.match(r"^\[(.+)\]$", line)
            if m:
                name = m.group(1)
            m = re.match(r"^description = (.*)$", line)
            if m and name:
                found[name] = m.group(1)
        return [found.get(n, n) for n in names]

    def test_golden_file_executes_to_the_expected_rules(self):
        golden = os.path.join(SOURCE_DIR, "backends", "testdata", "web01.example.org.mk")
        ns, before, events = execute_mk(golden, restricted=True)
        added = additions(ns, before)
        self.assertEqual(added["all_hosts"], ["web01.example.org"])
        rules = {r["value"]["service_description"]: r for r in added["custom_checks"]}
        self.assertEqual(len(rules), 12)
        guac = shlex.split(rules["guac"]["value"]["command_line"])
        self.assertEqual(guac, [
            PROBES + "/check_guacamole", "--host", "192.0.2.10", "--port", "8080",
            "--protocol", "http", "--uri", "/guacamole", "--data-source", "mysql",
            "--username", "guacadmin", "--password-file",
            "/var/lib/automon/secrets/1a/web01.example.org@guac.7.password", "-w", "10", "-c", "20"])
        self.assertIn("/it's", shlex.split(rules["quote"]["value"]["command_line"]))

    def test_passive_golden_executes_to_rules_without_command_lines(self):
        """Issue #15: a custom check without command_line is passive; the
        freshness dict is what Checkmk's Nagios config generator reads."""
        golden = os.path.join(SOURCE_DIR, "backends", "testdata", "passive.example.org.mk")
        ns, before, events = execute_mk(golden, restricted=True)
        added = additions(ns, before)
        rules = {r["value"]["service_description"]: r["value"] for r in added["custom_checks"]}
        self.assertEqual(sorted(rules), ["Backup", "automon agent", "lbsock", "ssh"])
        for name in ("Backup", "automon agent", "lbsock"):
            self.assertNotIn("command_line", rules[name])
            self.assertEqual(rules[name]["freshness"]["state"], 3)
            self.assertRegex(rules[name]["freshness"]["output"],
                             r"^No result from web01.example.org for \d+ s \(agent silent\?\)$")
        self.assertEqual(rules["lbsock"]["freshness"]["interval"], 11)
        self.assertIn("command_line", rules["ssh"])


    def test_disabled_golden_switches_only_this_host_off_ahead_of_the_site(self):
        """Issue #17: the lifecycle's disabled host, as a site executes it
        with rules of its own in the same rulesets: the file only adds,
        only for this host, and the site's rules stay, after automon's."""
        host = "web01.example.org"
        golden = os.path.join(SOURCE_DIR, "backends", "testdata", "disabled.example.org.mk")
        before = site_variables()
        admin = {"id": "admin-notify", "value": "1",
                 "condition": {"host_name": ["existing.example.org"]}}
        before["extra_host_conf"] = {"notifications_enabled": [admin],
                                     "check_interval": [dict(admin, value=5.0)]}
        before["extra_service_conf"] = {"active_checks_enabled": [dict(admin, id="admin-svc")]}
        ns, before, events = execute_mk(golden, restricted=True, before=before)
        self.assertEqual(events, [])
        added = additions(ns, before)
        self.assertEqual(added["all_hosts"], [host])
        for table, kind in (("extra_host_conf", "host"), ("extra_service_conf", "service")):
            self.assertEqual(sorted(added[table]),
                             ["active_checks_enabled", "notifications_enabled"], table)
            for attribute, rules in added[table].items():
                self.assertEqual(rules, [{
                    "id": "automon/%s/disabled/%s:%s" % (host, table, attribute),
                    "value": "0",
                    "condition": {"host_name": [host]},
                    "options": {"description": "automon: host %s disabled by the registrar's "
                                "lifecycle (%s %s off)" % (host, kind, attribute)}}])
                # First match wins: automon's rule comes before the site's.
                self.assertEqual(ns[table][attribute][1:],
                                 before[table].get(attribute, []))
        self.assertEqual(ns["extra_host_conf"]["check_interval"],
                         before["extra_host_conf"]["check_interval"])
        self.assertEqual(ns["extra_host_conf"]["notifications_enabled"][1]["id"], "admin-notify")
        rules = {r["value"]["service_description"]: r["value"] for r in added["custom_checks"]}
        # The passive service is never stale; the active one keeps its command.
        self.assertEqual(rules["Backup"], {"service_description": "Backup"})
        self.assertIn("command_line", rules["ssh"])
        # With the predefined variables alone, the rulesets are created.
        ns, before, _ = execute_mk(golden, restricted=True)
        self.assertEqual(len(additions(ns, before)["extra_service_conf"]["notifications_enabled"]), 1)


def nagios_values(check):
    """The unescaped $ARGn$ values of a Nagios check_command."""
    parts = re.split(r"(?<!\\)!", check)
    return [p.replace("\\!", "!").replace("\\;", ";").replace("$$", "$") for p in parts[1:]]


# Stands in for every plugin and probe: writes its arguments, each followed by
# a NUL, to the file named by AUTOMON_ARGV_OUT.
ARGV_STUB = """#!/usr/bin/python3 -I
import os, sys
with open(os.environ["AUTOMON_ARGV_OUT"], "wb") as f:
    f.write(b"".join(os.fsencode(a) + b"\\0" for a in sys.argv))
"""


def shell_argv(env, command_line):
    """Runs a rule's command_line as a core does (/bin/sh -c) against the stub
    programs; returns the argv the program received, or None if none ran."""
    out = os.path.join(env.dir, "argv.out")
    if os.path.exists(out):
        os.unlink(out)
    try:
        program = shlex.split(command_line)[0]
    except ValueError:
        program = ""
    if os.path.dirname(program) in (env.plugins, env.probes) and not os.path.exists(program):
        with open(program, "w") as f:
            f.write(ARGV_STUB)
        os.chmod(program, 0o755)
    subprocess.run(["/bin/sh", "-c", command_line], cwd=env.dir, timeout=30,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env={"PATH": "/usr/bin:/bin", "AUTOMON_ARGV_OUT": out})
    if not os.path.exists(out):
        return None
    with open(out, "rb") as f:
        data = f.read()
    return [os.fsdecode(a) for a in data.split(b"\0")[:-1]]


class HostileCorpusTest(unittest.TestCase):
    def test_corpus_through_the_checkmk_renderer(self):
        env = CheckmkEnv(stub_programs=True)
        # A marker of this run only, which the corpus' payloads try to create.
        marker = os.path.join(env.dir, "automon-pwned")
        if os.path.exists(marker):
            os.unlink(marker)
        saved_secret = corpus.SECRET
        corpus.SECRET = saved_secret.replace("/tmp/automon-pwned", marker)
        self.addCleanup(setattr, corpus, "SECRET", saved_secret)
        self.assertIn(marker, corpus.SECRET)
        failures = []
        cases = corpus.cases()
        ran = 0
        for i, (label, maker, expect, detail) in enumerate(cases):
            host = "c%03d.example.org" % i
            code, out, err = env.run("receive", "--host", host, stdin=maker(host))
            problem = None
            path = env.mk(host)
            if expect == "refused":
                if code != 2 or not out.startswith("refused: ") or detail not in out:
                    problem = "expected refusal mentioning %r" % detail
                elif os.path.exists(path):
                    problem = "a refused host has a .mk file"
            elif expect == "rejected" or "\\!" in detail or "\\;" in detail:
                name, why = detail if expect == "rejected" else (
                    "bad", "'!', ';' or '$', which Checkmk's cores do not read alike")
                line = [l for l in out.splitlines() if l.startswith(name + ": rejected: ")]
                if code != 1 or not line or why not in line[0] or "ok: active" not in out:
                    problem = "expected %s rejected mentioning %r" % (name, why)
                else:
                    ns, before, _ = execute_mk(path)
                    if any(r["id"] == "automon/%s/%s" % (host, name)
                           for r in additions(ns, before)["custom_checks"]):
                        problem = "the rejected service reached the .mk file"
            else:
                values = [v.format(host=host, secret=regtest.secret_path(os.path.join(env.state_dir, "secrets"), host, "bad", 1),
                                   mailflow=os.path.join(env.state_dir, "mailflow"))
                          for v in nagios_values(detail)]
                if code != 0 or not os.path.exists(path):
                    problem = "expected active"
                else:
                    ns, before, _ = execute_mk(path)
                    rules = [r for r in additions(ns, before)["custom_checks"]
                             if r["id"] == "automon/%s/bad" % host]
                    command_line = rules[0]["value"]["command_line"] if rules else ""
                    argv = shell_argv(env, command_line) if rules else None
                    ran += argv is not None
                    missing = [v for v in values if v not in (argv or [])]
                    if not rules or argv is None or missing:
                        problem = "values not verbatim in %r: %r" % (argv, missing)
                    elif argv != shlex.split(command_line):
                        problem = "/bin/sh -c runs %r, not %r" % (argv, shlex.split(command_line))
            print("%-4s %3d %-9s %-40s exit %d" % ("FAIL" if problem else "ok", i, expect, label, code))
            if problem:
                failures.append("%d %s: %s\n  stdout: %s\n  stderr: %s" % (i, label, problem, out, err))
        # Every generated file: ASCII, and executing it (builtins and all,
        # audited) only adds literal entries about its own host.
        paths = sorted(glob.glob(os.path.join(env.conf_dir, "*.mk")))
        if len(paths) < 20:
            failures.append("only %d .mk files were generated" % len(paths))
        for path in paths:
            host = os.path.basename(path)[:-3]
            try:
                ns, before, events = execute_mk(path, restricted=False)
                added = additions(ns, before)
                assert events == [], "audited events %r" % events
                assert added["all_hosts"] == [host], added["all_hosts"]
                for name in ("host_tags", "host_labels", "ipaddresses", "alias"):
                    assert set(added[name]) <= {host}, (name, added[name])
                for rule in added["custom_checks"]:
                    assert rule["condition"] == {"host_name": [host]}, rule
                    # Every rule, run as the core runs it, gives its
                    # program exactly the words the renderer meant.
                    line = rule["value"]["command_line"]
                    argv = shell_argv(env, line)
                    ran += argv is not None
                    assert argv == shlex.split(line), "/bin/sh -c %r runs %r" % (line, argv)
                with open(path, "rb") as f:
                    data = f.read()
                assert corpus.SECRET.encode() not in data and b"w0rd" not in data, "secret in file"
            except (AssertionError, UnicodeDecodeError, SyntaxError) as e:
                failures.append("%s: %s" % (path, e))
        found = []
        for root, _, files in os.walk(os.path.join(env.state_dir, "secrets")):
            for f in files:
                p = os.path.join(root, f)
                with open(p) as fh:
                    if fh.read() == corpus.SECRET + "\n":
                        found.append(oct(os.stat(p).st_mode & 0o777))
        if not found or any(m != "0o640" for m in found):
            failures.append("secret file missing or not 0640: %r" % found)
        if ran < 40:
            failures.append("only %d command lines ran a stub program" % ran)
        if os.path.exists(marker):
            failures.append("%s exists: something ran a command" % marker)
        if failures:
            print("kept", env.dir)
        else:
            env.cleanup()
        self.assertEqual(failures, [], "\n".join(failures))


def argv_holding(needle):
    """The pids of the processes whose argv (/proc/PID/cmdline) holds
    `needle` (bytes)."""
    pids = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmdline = f.read()
        except OSError:  # gone, or not ours to read
            continue
        if needle in cmdline:
            pids.append(int(pid))
    return pids


# Stands in for check_guacamole.bin: records its argv, its password and the
# processes whose argv holds the password while it runs (the launcher has
# exec'd it; its parent is the test), and whether the same scan finds its
# own argv (so a scan that sees nothing cannot pass for a clean one).
RECORDING_PROBE = """#!/usr/bin/python3 -I
import json, os, sys
%s
pw = os.environ.get("GUACAMOLE_PASSWORD")
with open(os.environ["AUTOMON_RECORD"], "w") as f:
    json.dump({"argv": sys.argv[1:], "pw": pw,
               "argv_with_password": argv_holding(pw.encode()) if pw else [],
               "scan_works": os.getpid() in argv_holding(sys.argv[0].encode())}, f)
print("Apache Guacamole Active Sessions: 3")
""" % inspect.getsource(argv_holding)


class ExtensionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(HERE, "standin"))
        cls.fs = importlib.import_module("cmk.rulesets.v1.form_specs")
        cls.rs = importlib.import_module("cmk.rulesets.v1.rule_specs")
        cls.ssc = importlib.import_module("cmk.server_side_calls.v1")
        cls.pwstore = importlib.import_module("cmk.utils.password_store")
        cls.ruleset = cls.load("rulesets/guacamole.py", "automon_guacamole_rulesets")
        cls.calls = cls.load("server_side_calls/guacamole.py", "automon_guacamole_ssc")

    @staticmethod
    def load(rel, name):
        spec = importlib.util.spec_from_file_location(name, os.path.join(EXTENSION, rel))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def test_discovery_names(self):
        specs = [n for n in vars(self.ruleset) if n.startswith("rule_spec_")]
        calls = [n for n in vars(self.calls) if n.startswith("active_check_")]
        self.assertEqual(specs, ["rule_spec_guacamole"])
        self.assertEqual(calls, ["active_check_guacamole"])
        spec = self.ruleset.rule_spec_guacamole
        self.assertIsInstance(spec, self.rs.ActiveCheck)
        self.assertEqual(spec.name, "guacamole")
        self.assertEqual(spec.title, "Apache Guacamole active sessions")
        self.assertEqual(spec.topic, self.rs.Topic.NETWORKING)
        self.assertIsInstance(self.calls.active_check_guacamole, self.ssc.ActiveCheckConfig)
        self.assertEqual(self.calls.active_check_guacamole.name, spec.name)
        self.assertTrue(os.access(os.path.join(EXTENSION, "libexec", "check_" + spec.name), os.X_OK))

    def test_fields_types_and_defaults(self):
        fs = self.fs
        form = self.ruleset.rule_spec_guacamole.parameter_form()
        self.assertIsInstance(form, fs.Dictionary)
        e = form.elements
        self.assertEqual(list(e), ["username", "password", "host", "port", "protocol",
                                   "data_source", "uri", "levels", "timeout"])
        expect = {
            "username": (fs.String, True, "guacadmin"),
            "password": (fs.Password, True, None),
            "host": (fs.String, False, None),
            "port": (fs.Integer, True, 8080),
            "protocol": (fs.SingleChoice, True, "http"),
            "data_source": (fs.String, True, "mysql"),
            "uri": (fs.String, True, "/guacamole"),
            "levels": (fs.SimpleLevels, False, None),
            "timeout": (fs.TimeSpan, False, 10.0),
        }
        for key, (kind, required, default) in expect.items():
            self.assertIsInstance(e[key], fs.DictElement, key)
            self.assertIsInstance(e[key].parameter_form, kind, key)
            self.assertEqual(e[key].required, required, key)
            if default is not None:
                self.assertEqual(e[key].parameter_form.prefill, fs.DefaultValue(default), key)
        self.assertTrue(e["host"].parameter_form.macro_support)
        self.assertEqual([c.name for c in e["protocol"].parameter_form.elements], ["http", "https"])
        levels = e["levels"].parameter_form
        self.assertEqual(levels.level_direction, fs.LevelDirection.UPPER)
        self.assertIsInstance(levels.form_spec_template, fs.Integer)
        self.assertEqual(e["timeout"].parameter_form.displayed_magnitudes, [fs.TimeMagnitude.SECOND])

    def host(self, address="192.0.2.20"):
        return self.ssc.HostConfig(name="guac.example.org", ipv4_config=self.ssc.IPv4Config(address=address),
                                   macros={"$HOSTNAME$": "guac.example.org"})

    def test_server_side_call_argv(self):
        secret = self.ssc.Secret(7)
        minimal = {"username": "guacadmin", "password": secret, "port": 8080, "protocol": "http",
                   "data_source": "mysql", "uri": "/guacamole"}
        commands = list(self.calls.active_check_guacamole(minimal, self.host()))
        self.assertEqual(len(commands), 1)
        self.assertEqual(commands[0].service_description, "Guacamole sessions")
        self.assertEqual(list(commands[0].command_arguments), [
            "--host", "192.0.2.20", "--port", "8080", "--protocol", "http", "--uri", "/guacamole",
            "--data-source", "mysql", "--username", "guacadmin", "--password-id", secret])
        full = dict(minimal, host="$HOSTNAME$", port=8443, protocol="https", data_source="auto",
                    uri="/", levels=("fixed", (10, 20)), timeout=12.0, username="monitor")
        args = list(next(iter(self.calls.active_check_guacamole(full, self.host()))).command_arguments)
        self.assertEqual(args, [
            "--host", "guac.example.org", "--port", "8443", "--protocol", "https", "--uri", "/",
            "--data-source", "auto", "--username", "monitor", "--password-id", secret,
            "-w", "10", "-c", "20", "-t", "12"])
        self.assertTrue(args[13].pass_safely)  # never .unsafe(): not in the process list
        no_levels = dict(minimal, levels=("no_levels", None))
        self.assertNotIn("-w", list(next(iter(self.calls.active_check_guacamole(
            no_levels, self.host()))).command_arguments))

    def test_server_side_call_refuses_bad_values(self):
        base = {"username": "u", "password": self.ssc.Secret(1), "port": 8080, "protocol": "http",
                "data_source": "mysql", "uri": "/guacamole"}
        for change in ({"password": "plain"}, {"port": 0}, {"port": "80"}, {"protocol": "ftp"},
                       {"levels": ("fixed", (1,))}, {"username": ""}):
            with self.assertRaises((TypeError, ValueError), msg=repr(change)):
                list(self.calls.active_check_guacamole(dict(base, **change), self.host()))

    def rule_args(self, **change):
        """The command_arguments of the server-side call for a rule."""
        rule = {"username": "guacadmin", "password": self.ssc.Secret(0), "port": 8080,
                "protocol": "http", "data_source": "mysql", "uri": "/guacamole"}
        rule.update(change)
        return list(next(iter(self.calls.active_check_guacamole(rule, self.host())))
                    .command_arguments)

    def checkmk_argv(self, args, pw_id, store):
        """What Checkmk puts on the command line of a third-party active
        check: a Secret passed as is becomes the single argument
        `<id>:<store file>` (replace_passwords; Checkmk's own test expects
        `--password-id uuid1234:/pw/store`). Explicit passwords get a
        generated id ("uuid" + a UUID), stored passwords the store's id."""
        argv = []
        for arg in args:
            if isinstance(arg, self.ssc.Secret):
                self.assertTrue(arg.pass_safely)
                self.assertEqual(arg.format, "%s")
                argv.append("%s:%s" % (pw_id, store))
            else:
                argv.append(arg)
        return argv

    def launcher_dir(self, probe_source=None, probe_binary=None):
        """A libexec with the launcher and a probe: a stand-in that records
        its argv, its GUACAMOLE_PASSWORD and every process whose argv holds
        that password (read from /proc/*/cmdline while it runs), or the
        built probe."""
        tmp = tempfile.mkdtemp(prefix="automon-launcher-")
        self.addCleanup(shutil.rmtree, tmp, True)
        libexec = os.path.join(tmp, "libexec")
        os.makedirs(libexec)
        launcher = os.path.join(libexec, "check_guacamole")
        shutil.copy(os.path.join(EXTENSION, "libexec", "check_guacamole"), launcher)
        probe = os.path.join(libexec, "check_guacamole.bin")
        if probe_binary:
            shutil.copy(probe_binary, probe)
        else:
            with open(probe, "w") as f:
                f.write(probe_source or RECORDING_PROBE)
        os.chmod(probe, 0o755)
        return tmp, launcher

    def run_launcher(self, launcher, argv, tmp, pythonpath=True):
        env = {"PATH": "/usr/bin:/bin", "PYTHONDONTWRITEBYTECODE": "1",
               "AUTOMON_RECORD": os.path.join(tmp, "record.json"),
               "AUTOMON_FAKE_LOOKUP_LOG": os.path.join(tmp, "lookups")}
        if pythonpath:
            env["PYTHONPATH"] = os.path.join(HERE, "standin")
        return subprocess.run([launcher] + argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env=env, timeout=30)

    def lookups(self, tmp):
        path = os.path.join(tmp, "lookups")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f]

    def test_launcher_resolves_stored_and_explicit_passwords(self):
        """What a site runs: Checkmk's command line for the rule's Secret
        (`--password-id ID:FILE`), the launcher, the probe. The password
        reaches the probe in its environment and is in no process's argv."""
        password = "s3cr3t 'x' $(id) :colon"
        cases = [("stored", "guac_pw", "stored_passwords"),
                 # A generated id, and a store file with ':' in its name:
                 # the reference is split at the first ':'.
                 ("explicit", "uuid0b3f2f6e-8a34-4d4e-9a61-0c8f0e6a1d2b", "core:passwords")]
        for kind, pw_id, name in cases:
            with self.subTest(kind):
                tmp, launcher = self.launcher_dir()
                store = os.path.join(tmp, name)
                self.pwstore.save({"other": "not this one", pw_id: password}, store)
                with open(store, "rb") as f:
                    self.assertNotIn(password.encode(), f.read())
                argv = self.checkmk_argv(self.rule_args(), pw_id, store)
                self.assertIn("--password-id", argv)
                self.assertNotIn(password, " ".join(argv))
                p = self.run_launcher(launcher, argv, tmp)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertEqual(p.stdout, b"Apache Guacamole Active Sessions: 3\n")
                with open(os.path.join(tmp, "record.json")) as f:
                    seen = json.load(f)
                self.assertEqual(seen["pw"], password)
                self.assertEqual(seen["argv"], [
                    "--host", "192.0.2.20", "--port", "8080", "--protocol", "http", "--uri",
                    "/guacamole", "--data-source", "mysql", "--username", "guacadmin"])
                self.assertTrue(seen["scan_works"], "the /proc scan found not even the probe")
                self.assertEqual(seen["argv_with_password"], [])
                self.assertEqual(self.lookups(tmp), [{"file": store, "id": pw_id}])

    def test_launcher_points_the_static_probe_at_the_distributions_ca_store(self):
        """The MKP's probe carries Debian's OpenSSL, whose default CA store
        is /usr/lib/ssl: elsewhere the launcher names the distribution's
        bundle in SSL_CERT_FILE, and never overrides the environment."""
        loader = importlib.machinery.SourceFileLoader(
            "automon_guacamole_launcher", os.path.join(EXTENSION, "libexec", "check_guacamole"))
        launcher = importlib.util.module_from_spec(
            importlib.util.spec_from_loader(loader.name, loader))
        loader.exec_module(launcher)
        rhel = {"/etc/pki/tls/certs/ca-bundle.crt"}.__contains__
        suse = {"/etc/ssl/ca-bundle.pem"}.__contains__
        debian = {"/usr/lib/ssl/certs", "/etc/ssl/certs/ca-certificates.crt"}.__contains__
        base = {"PATH": "/usr/bin:/bin"}
        self.assertEqual(launcher.with_ca_store(base, rhel),
                         dict(base, SSL_CERT_FILE="/etc/pki/tls/certs/ca-bundle.crt"))
        self.assertEqual(launcher.with_ca_store(base, suse),
                         dict(base, SSL_CERT_FILE="/etc/ssl/ca-bundle.pem"))
        self.assertEqual(launcher.with_ca_store(base, debian), base)
        self.assertEqual(launcher.with_ca_store(base, lambda path: False), base)
        for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
            mine = dict(base, **{name: "/site/ca.pem"})
            self.assertEqual(launcher.with_ca_store(mine, rhel), mine)
        self.assertNotIn("SSL_CERT_FILE", base)

    def test_launcher_passes_a_literal_password_in_the_environment(self):
        """--password VALUE (a run by hand) still works, and the probe gets
        the value in its environment, not in argv."""
        tmp, launcher = self.launcher_dir()
        p = self.run_launcher(launcher, ["--host", "h", "--password=pw:not-a-reference"], tmp)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        with open(os.path.join(tmp, "record.json")) as f:
            seen = json.load(f)
        self.assertEqual(seen["pw"], "pw:not-a-reference")
        self.assertEqual(seen["argv"], ["--host", "h"])
        self.assertEqual(self.lookups(tmp), [])

    def test_launcher_refuses_unusable_references(self):
        tmp, launcher = self.launcher_dir()
        store = os.path.join(tmp, "store")
        self.pwstore.save({"guac_pw": "pw"}, store)
        with open(os.path.join(tmp, "garbage"), "w") as f:
            f.write("guac_pw:pw\n")
        base = self.checkmk_argv(self.rule_args(), "guac_pw", store)
        at = base.index("--password-id") + 1
        cases = [
            ("no colon", "guac_pw", True,
             "Error: --password-id expects ID:FILE, the reference to the password that "
             "Checkmk passes for the rule's password\n"),
            ("empty id", ":" + store, True, "Error: --password-id expects ID:FILE"),
            ("unknown id", "nope:" + store, True,
             "Error: password not found: Password 'nope' not found in %s\n" % store),
            ("no store file", "guac_pw:" + store + ".missing", True,
             "Error: password not found: Password 'guac_pw' not found in %s.missing\n" % store),
            ("not a store", "guac_pw:" + os.path.join(tmp, "garbage"), True,
             "Error: cannot read password 'guac_pw' from the password store %s: RuntimeError\n"
             % os.path.join(tmp, "garbage")),
            ("outside a site", "guac_pw:" + store, False,
             "Error: cannot read the password store: no module cmk.utils.password_store (this "
             "check runs inside a Checkmk site, 2.3 or later)\n"),
        ]
        for label, reference, site, output in cases:
            with self.subTest(label):
                argv = list(base)
                argv[at] = reference
                p = self.run_launcher(launcher, argv, tmp, pythonpath=site)
                self.assertEqual(p.returncode, 3, label)
                self.assertTrue(p.stdout.decode().startswith(output), p.stdout)
                self.assertNotIn(b"pw\n", p.stdout)
                self.assertFalse(os.path.exists(os.path.join(tmp, "record.json")), label)
        for argv in (["--password-id"], ["--password", "a", "--password-id", "guac_pw:" + store]):
            p = self.run_launcher(launcher, argv, tmp)
            self.assertEqual(p.returncode, 3, argv)
            self.assertTrue(p.stdout.startswith(b"Error: "), p.stdout)

    def test_launcher_and_built_probe_log_in_with_the_stored_password(self):
        """End to end with the built probe against the fake Guacamole
        server: the login succeeds with the password from the store, and
        while the probe logs in no process has the password in its argv."""
        sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "guacamole"))
        from fake_guacamole import FakeGuacamole, User  # pylint: disable=import-outside-toplevel
        password = "Guac-P\u00e4ss w0rd:&="
        sessions = [{"username": "u%d" % i, "remoteHost": "10.0.0.%d" % i,
                     "connectionIdentifier": str(i), "startDate": 1717100000000}
                    for i in range(3)]
        fake = FakeGuacamole(users={"guacadmin": User(password)}, sessions=sessions).start()
        self.addCleanup(fake.stop)
        scans = []
        handler = fake.httpd.RequestHandlerClass
        login = handler.login

        def scanning_login(self_, body):
            scans.append((argv_holding(password.encode()), argv_holding(b"--data-source")))
            return login(self_, body)

        handler.login = scanning_login
        tmp, launcher = self.launcher_dir(probe_binary=ARGS.probe)
        store = os.path.join(tmp, "stored_passwords")
        self.pwstore.save({"guac": password}, store)
        argv = self.checkmk_argv(self.rule_args(host="127.0.0.1", port=fake.port), "guac", store)
        p = self.run_launcher(launcher, argv, tmp)
        self.assertEqual(p.stdout.decode(),
                         "Apache Guacamole Active Sessions: 3 | active_sessions=3;;;0;\n")
        self.assertEqual(p.returncode, 0)
        self.assertEqual(len(scans), 1)
        with_password, with_marker = scans[0]
        self.assertEqual(with_password, [])
        self.assertNotEqual(with_marker, [], "the /proc scan found not even the probe")
        self.assertEqual(fake.live_tokens(), 0)
        # The same with a password the store does not hold: the login fails.
        self.pwstore.save({"guac": "wrong"}, store)
        p = self.run_launcher(launcher, argv, tmp)
        self.assertEqual(p.returncode, 2, p.stdout)

    def test_launcher_without_the_probe_is_unknown(self):
        tmp = tempfile.mkdtemp(prefix="automon-launcher-")
        self.addCleanup(shutil.rmtree, tmp, True)
        launcher = os.path.join(tmp, "check_guacamole")
        shutil.copy(os.path.join(EXTENSION, "libexec", "check_guacamole"), launcher)
        p = subprocess.run([launcher, "--host", "x"], stdout=subprocess.PIPE, timeout=30)
        self.assertEqual(p.returncode, 3)
        self.assertTrue(p.stdout.startswith(b"Error: cannot run "), p.stdout)


# A folder's hosts.mk as Checkmk's Setup writes it (host_storage.py).
SETUP_HOSTS_MK = """# Created by HostStorage

all_hosts += ['setup01.example.org',
 'Setup02.example.org']

clusters.update({'cluster.example.org': ['setup01.example.org']})

host_tags.update({'setup01.example.org': {'address_family': 'ip-v4-only',
                         'agent': 'cmk-agent',
                         'site': 'mysite'}})

# Explicit IPv4 addresses
ipaddresses.update({'setup01.example.org': '192.0.2.1'})

# Host attributes (needed for WATO)
host_attributes.update({'setup01.example.org': {'ipaddress': '192.0.2.1',
                         'parents': ['free.example.org']}})

folder_attributes.update({})
"""


def setup_hosts(path):
    """The hosts a site reads from a hosts.mk: executed as Checkmk does."""
    ns = {"FOLDER_PATH": "", "all_hosts": [], "clusters": {}, "host_tags": {},
          "ipaddresses": {}, "host_attributes": {}, "folder_attributes": {}}
    with open(path) as f:
        exec(compile(f.read(), path, "exec"), ns)  # noqa: S102 - the test's own file
    return ns["all_hosts"] + list(ns["clusters"])


class SetupHostsTest(unittest.TestCase):
    """Hosts that the site's Setup (conf.d/wato/) manages are never
    registered: automon would define them a second time."""

    def setUp(self):
        self.env = CheckmkEnv()
        self.addCleanup(self.env.cleanup)
        wato = os.path.join(os.path.dirname(self.env.conf_dir), "wato")
        os.makedirs(os.path.join(wato, "servers", "linux"))
        with open(os.path.join(wato, ".wato"), "w") as f:
            f.write("{'title': 'Main'}\n")
        self.hosts_mk = os.path.join(wato, "servers", "linux", "hosts.mk")
        self.write_setup(SETUP_HOSTS_MK)
        self.generation = 0

    def write_setup(self, text):
        with open(self.hosts_mk, "w") as f:
            f.write(text)

    def receive(self, host):
        definitions = os.path.join(self.env.dir, "definitions")
        admindir = os.path.join(self.env.dir, "dpkg")
        if not os.path.exists(definitions):
            os.makedirs(definitions)
            os.makedirs(admindir)
            with open(os.path.join(definitions, "ssh"), "w") as f:
                f.write("[ssh]\ntype = ssh\n")
            open(os.path.join(admindir, "status"), "w").close()
        self.generation += 1
        p = subprocess.run([ARGS.agent, "snapshot", definitions, "--name", host,
                            "--address", "192.0.2.30", "--generation", str(self.generation),
                            "--dpkg-admindir", admindir],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return self.env.run("receive", "--host", host, stdin=p.stdout)

    def test_setup_hosts_are_refused_with_how_to_hand_them_over(self):
        self.assertEqual(setup_hosts(self.hosts_mk), [
            "setup01.example.org", "Setup02.example.org", "cluster.example.org"])
        for host, alias in (("setup01.example.org", ""),
                            ("setup02.example.org", ", as 'Setup02.example.org'"),
                            ("cluster.example.org", "")):
            code, out, err = self.receive(host)
            self.assertEqual(code, 2, out + err)
            self.assertTrue(out.startswith("refused: "), out)
            self.assertIn(
                "host '%s' is managed by Checkmk's Setup (folder 'servers/linux'%s), and "
                "automon never overrides a host of Setup: to let automon manage it, delete it "
                "in Setup, activate the changes and push again; to keep it in Setup, run "
                "'automon-registrar remove %s' on the registrar\n" % (host, alias, host), out)
            self.assertFalse(os.path.exists(self.env.mk(host)), host)
        self.assertEqual(self.env.activations(), [])
        code, out, _ = self.env.run("hosts")
        self.assertIn("setup01.example.org", out)
        # Named in Setup only as another host's parent: not Setup's host.
        code, out, err = self.receive("free.example.org")
        self.assertEqual(code, 0, out + err)
        self.assertTrue(os.path.exists(self.env.mk("free.example.org")))
        self.assertEqual(self.env.activations(), [SITE])
        # Deleted in Setup: automon may take it over.
        self.write_setup(SETUP_HOSTS_MK.replace("'setup01.example.org',\n ", ""))
        self.assertNotIn("setup01.example.org", setup_hosts(self.hosts_mk)[:2])
        code, out, err = self.receive("setup01.example.org")
        self.assertEqual(code, 0, out + err)
        self.assertEqual(out, "ssh: active\n")
        ns, before, _ = execute_mk(self.env.mk("setup01.example.org"))
        self.assertEqual(additions(ns, before)["all_hosts"], ["setup01.example.org"])
        # Back in Setup (added there later): the next push is refused, and
        # the render of every host keeps it out as well.
        self.write_setup(SETUP_HOSTS_MK)
        code, out, err = self.receive("setup01.example.org")
        self.assertEqual(code, 2, out + err)
        self.assertIn("is managed by Checkmk's Setup", out)
        code, out, err = self.env.run("render")
        self.assertIn("setup01.example.org: quarantined: host 'setup01.example.org' is managed "
                      "by Checkmk's Setup", out + err)

    def test_a_setup_file_it_cannot_read_refuses_every_registration(self):
        self.write_setup("all_hosts += hosts_from_somewhere()\n")
        code, out, err = self.receive("new.example.org")
        self.assertEqual(code, 2, out + err)
        self.assertEqual(
            out, "refused: not activated: cannot tell which hosts Checkmk's Setup manages, and "
            "automon never overrides a host of Setup: %s:1: cannot tell which hosts this names: "
            "expected 'all_hosts += [...]' (the registrar must be able to read %s)\n"
            % (self.hosts_mk, os.path.dirname(os.path.dirname(os.path.dirname(self.hosts_mk)))))
        self.assertFalse(os.path.exists(self.env.mk("new.example.org")))
        self.assertEqual(self.env.activations(), [])


class MkpTest(unittest.TestCase):
    def members(self, path):
        with tarfile.open(path, "r:gz") as tar:
            return {m.name: (m, tar.extractfile(m).read()) for m in tar.getmembers()}

    def test_layout_and_contents(self):
        top = self.members(ARGS.mkp)
        self.assertEqual(sorted(top), ["cmk_addons_plugins.tar", "info", "info.json"])
        info = ast.literal_eval(top["info"][1].decode())
        self.assertEqual(info, json.loads(top["info.json"][1]))
        self.assertEqual(info["name"], "automon_guacamole")
        self.assertEqual(info["version.min_required"], "2.3.0")
        for key in ("title", "version", "author", "description", "download_url",
                    "version.packaged", "version.usable_until"):
            self.assertIn(key, info)
        with tarfile.open(fileobj=io.BytesIO(top["cmk_addons_plugins.tar"][1])) as tar:
            files = {m.name: (m.mode, tar.extractfile(m).read()) for m in tar.getmembers()}
        self.assertEqual(sorted(files), info["files"]["cmk_addons_plugins"])
        self.assertEqual(sorted(files), [
            "guacamole/checkman/check_guacamole", "guacamole/libexec/check_guacamole",
            "guacamole/libexec/check_guacamole.bin", "guacamole/rulesets/guacamole.py",
            "guacamole/server_side_calls/guacamole.py"])
        mode, probe = files["guacamole/libexec/check_guacamole.bin"]
        self.assertEqual(mode, 0o755)
        with open(ARGS.probe, "rb") as f:
            built = f.read()
        if ARGS.strip:
            self.assertLessEqual(len(probe), len(built))
        else:
            self.assertEqual(probe, built)
        # It is self-contained: statically linked, so it runs on a site of
        # any distribution (no ELF interpreter, hence no shared library).
        self.assertEqual(probe[:4], b"\x7fELF")
        self.assertEqual(program_header_types(probe).count(PT_INTERP), 0,
                         "the MKP's probe is dynamically linked")
        self.assertIn(PT_LOAD, program_header_types(probe))
        # The packaged probe is the built one, and runs.
        tmp = tempfile.mkdtemp(prefix="automon-mkp-probe-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "check_guacamole.bin")
        with open(path, "wb") as f:
            f.write(probe)
        os.chmod(path, 0o755)
        p = subprocess.run([path, "--version"], stdout=subprocess.PIPE, timeout=30)
        self.assertIn(p.returncode, (0, 3))  # the plugin guidelines' --version exits UNKNOWN
        self.assertTrue(p.stdout.startswith(b"check_guacamole v"), p.stdout[:80])
        self.assertEqual(files["guacamole/libexec/check_guacamole"][0], 0o755)
        for rel in ("rulesets/guacamole.py", "server_side_calls/guacamole.py",
                    "checkman/check_guacamole", "libexec/check_guacamole"):
            with open(os.path.join(EXTENSION, rel), "rb") as f:
                self.assertEqual(files["guacamole/" + rel][1], f.read(), rel)
        checkman = files["guacamole/checkman/check_guacamole"][1].decode()
        for key in ("title:", "agents: active", "catalog:", "license:", "distribution:",
                    "description:"):
            self.assertIn("\n" + key if key != "title:" else key, checkman)

    def test_reproducible(self):
        out = os.path.join(tempfile.mkdtemp(prefix="automon-mkp-"), "again.mkp")
        self.addCleanup(shutil.rmtree, os.path.dirname(out), True)
        subprocess.run([sys.executable, os.path.join(SOURCE_DIR, "checkmk", "build_mkp.py"),
                        "--source", EXTENSION, "--probe", ARGS.probe, "--version",
                        json.loads(self.members(ARGS.mkp)["info.json"][1])["version"],
                        "--output", out] + (["--strip", ARGS.strip] if ARGS.strip else []),
                       check=True, timeout=60)
        with open(out, "rb") as a, open(ARGS.mkp, "rb") as b:
            self.assertEqual(a.read(), b.read())
        with gzip.open(out) as g:
            g.read()


PT_LOAD, PT_INTERP = 1, 3


def program_header_types(elf):
    """The p_type of every program header of a little-endian ELF64 file."""
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    return [struct.unpack_from("<I", elf, phoff + i * phentsize)[0] for i in range(phnum)]


def main():
    global ARGS
    parser = argparse.ArgumentParser()
    parser.add_argument("--registrar", required=True)
    parser.add_argument("--agent", required=True)
    parser.add_argument("--probe", required=True)
    parser.add_argument("--mkp", required=True)
    parser.add_argument("--strip", default="", help="the strip(1) the build used, if any")
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
