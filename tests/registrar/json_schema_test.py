#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The JSON schema of automon-registrar(8), JSON OUTPUT, checked against the
output of hosts --json, show NAME --json and pending --json after real
registrations through `receive` (verified by the real nagios4), and their
exit statuses against the text commands'.

usage: json_schema_test.py --registrar PATH
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import regtest  # noqa: E402

STR, INT, NULL, LIST, BOOL = str, int, type(None), list, bool
HOST_KEYS = {"name": (STR,), "state": (STR,), "reason": (STR, NULL), "address": (STR, NULL),
             "generation": (INT, NULL), "last_seen": (STR, NULL), "removed_at": (STR, NULL),
             "lifecycle": (STR, NULL), "services": (LIST,)}
SERVICE_KEYS = {"name": (STR,), "type": (STR,), "description": (STR,), "state": (STR,)}
KEY_KEYS = {"host": (STR,), "fingerprint": (STR,), "peer": (STR,), "since": (STR,),
            "replaces_enrolled_key": (BOOL,)}
HOST_STATES = {"active", "quarantined", "removed", "unreadable"}
LIFECYCLE_STATES = {None, "active", "silent", "disabled"}


def check_object(what, obj, keys, failures):
    if not isinstance(obj, dict):
        failures.append("%s: not an object: %r" % (what, obj))
        return
    for key, types in keys.items():
        if key not in obj:
            failures.append("%s: missing key %r" % (what, key))
        elif type(obj[key]) not in types:  # bool is not an int here
            failures.append("%s: %r is %r" % (what, key, obj[key]))


def check_host(what, host, failures):
    check_object(what, host, HOST_KEYS, failures)
    if host.get("state") not in HOST_STATES:
        failures.append("%s: state %r" % (what, host.get("state")))
    if host.get("lifecycle") not in LIFECYCLE_STATES:
        failures.append("%s: lifecycle %r" % (what, host.get("lifecycle")))
    for s in host.get("services", []):
        check_object(what + " service", s, SERVICE_KEYS, failures)
        if s.get("state") not in ("active", "disabled"):
            failures.append("%s: service state %r" % (what, s.get("state")))


def document(env, failures, *args):
    code, out, err = env.run(*args)
    try:
        doc = json.loads(out)
    except ValueError as e:
        failures.append("%s: not JSON (%s): %r %r" % (" ".join(args), e, out, err))
        return code, {}
    if doc.get("version") != 1:
        failures.append("%s: version %r" % (" ".join(args), doc.get("version")))
    return code, doc


def main():
    args = regtest.parse_args("--registrar")
    env = regtest.NagiosEnv(args.registrar)
    failures = []
    try:
        web = regtest.make_snapshot("web01.example.org", [
            ("web", [("type", "http"), ("description", "Web server")]),
            ("ssh", [("type", "ssh")])], generation=4, address="127.0.0.1")
        gone = regtest.make_snapshot("gone.example.org", [("ssh", [("type", "ssh")])])
        for host, doc in (("web01.example.org", web), ("gone.example.org", gone)):
            code, out, err = env.receive(host, doc)
            if code != 0:
                failures.append("receive %s: exit %d %r %r" % (host, code, out, err))
        code, out, err = env.run("remove", "gone.example.org")
        if code != 0:
            failures.append("remove: exit %d %r" % (code, err))

        code, doc = document(env, failures, "hosts", "--json")
        text_code = env.run("hosts")[0]
        if code != 0 or code != text_code:
            failures.append("hosts --json: exit %d, text %d" % (code, text_code))
        hosts = doc.get("hosts", [])
        for h in hosts:
            check_host("hosts --json", h, failures)
        by_name = {h.get("name"): h for h in hosts}
        w = by_name.get("web01.example.org", {})
        if (w.get("state"), w.get("generation"), w.get("address")) != ("active", 4, "127.0.0.1"):
            failures.append("hosts --json: web01: %r" % w)
        if sorted((s["name"], s["type"], s["description"], s["state"]) for s in w.get("services", [])) \
                != [("ssh", "ssh", "ssh", "active"), ("web", "http", "Web server", "active")]:
            failures.append("hosts --json: web01 services: %r" % w.get("services"))
        g = by_name.get("gone.example.org", {})
        if g.get("state") != "removed" or not g.get("removed_at") or g.get("generation") != 1:
            failures.append("hosts --json: gone: %r" % g)

        for name in ("web01.example.org", "gone.example.org"):
            code, doc = document(env, failures, "show", name, "--json")
            if code != 0:
                failures.append("show %s --json: exit %d" % (name, code))
            check_host("show %s --json" % name, doc.get("host", {}), failures)
            if doc.get("host") != by_name.get(name):
                failures.append("show %s --json differs from hosts: %r" % (name, doc.get("host")))
        code, out, err = env.run("show", "nobody.example.org", "--json")
        if code != 2 or out != "" or "no host 'nobody.example.org'" not in err:
            failures.append("show nobody --json: exit %d %r %r" % (code, out, err))

        code, doc = document(env, failures, "pending", "--json")
        if code != 0 or not isinstance(doc.get("pending"), list):
            failures.append("pending --json: exit %d %r" % (code, doc))
        for k in doc.get("pending", []):
            check_object("pending --json", k, KEY_KEYS, failures)
        code, out, err = env.run("pending", "--json", "x")
        if code != 64 or out != "":
            failures.append("pending --json x: exit %d %r" % (code, out))
    finally:
        env.cleanup()
    for f in failures:
        print("FAIL:", f)
    if failures:
        return 1
    print("ok: hosts, show and pending --json match the schema")
    return 0


if __name__ == "__main__":
    sys.exit(main())
