#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The hostile-snapshot corpus: every document is refused with a clear
reason, has its bad service rejected with a clear reason, or is rendered
inert; and after every single one, the real `nagios4 -v` accepts the live
configuration.

usage: hostile_corpus_test.py --registrar PATH
"""

import hashlib
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import regtest  # noqa: E402

SECRET = "pa$$w0rd'$(touch /tmp/automon-pwned)`id`;!"
BIDI_AND_SEPARATORS = ["\u202e", "\u202a", "\u2066", "\u200f", "\u2028", "\u2029", "\u0085"]
ALLOWED_DIRECTIVES = {"use", "host_name", "alias", "address", "hostgroups", "_AUTOMON_GENERATION",
                      "service_description", "check_command", "_AUTOMON_SERVICE"}


def svc(name, *pairs, type_="tcp", port="80"):
    keys = [("type", type_)]
    if port is not None:
        keys.append(("port", port))
    keys.extend(pairs)
    return (name, keys)


def rehash(document):
    """The document with its sha256 line recomputed over the body."""
    m = re.search(rb"\nsha256 ?= ?[0-9a-f]*\n", document)
    body = document[m.end():]
    return document[:m.start()] + b"\nsha256 = " + hashlib.sha256(body).hexdigest().encode() + \
        b"\n" + body


def stored_form_over_the_limit(host):
    """Just under 4 MiB on the wire, over it once the registrar fills in
    each service's defaults (issue 18 item 5): 1000 compact services with
    long sources and passwords."""
    services = [("s%03d" % i, [("type", "imap"), ("username", "u"), ("password", "p" * 300)])
                for i in range(1000)]
    compact = regtest.make_snapshot(host, services, address="127.0.0.1").replace(b" = ", b"=")

    def with_source(length):
        return rehash(compact.replace(b"source=/etc/monitoring-info/corpus:1",
                                      b"source=/" + b"a" * length + b":1"))
    # 15,000 bytes under the limit; the defaults add more than 60 per service.
    return with_source((4194304 - 15000 - len(with_source(0))) // 1000)


def cases():
    """(label, document-maker(host), expectation, detail). A document maker
    takes the host name so each case registers its own host."""
    def S(host, services, **kw):
        kw.setdefault("address", "127.0.0.1")
        return regtest.make_snapshot(host, services, **kw)
    good = svc("ok", type_="ssh", port="22")
    out = []

    def refused(label, maker, detail):
        out.append((label, maker, "refused", detail))

    def rejected(label, service, detail, name="bad"):
        out.append((label, lambda h, s=service: S(h, [good, s]), "rejected", (name, detail)))

    def inert(label, service, expected_check):
        out.append((label, lambda h, s=service: S(h, [good, s]), "inert", expected_check))

    # --- the document as a whole ------------------------------------------
    refused("empty input", lambda h: b"", "does not start with a [automon:snapshot] section")
    refused("garbage", lambda h: b"\x00\x01\x02garbage", "NUL byte")
    refused("plain text", lambda h: b"hello\nworld\n", "expected 'key = value'")

    def tampered(h):
        d = S(h, [good, svc("web", port="80")])
        return d.replace(b"port = 80", b"port = 81")
    refused("body altered after hashing", tampered, "content hash mismatch")

    def truncated(h):
        d = S(h, [good, svc("web", port="80")])
        return d[: len(d) - 20]
    refused("truncated in transit", truncated, "content hash mismatch")
    refused("service count too high", lambda h: S(h, [good], count=2), "announces 2 services but 1")
    refused("service count too low", lambda h: S(h, [good, svc("x")], count=1), "announces 1 services but 2")
    refused("future format", lambda h: S(h, [good]).replace(b"format = 1", b"format = 2"), "format '2' is not supported")
    refused("snapshot for another host", lambda h: S("victim.example.org", [good]), "is for host 'victim.example.org'")
    refused("host with semicolon", lambda h: S(h + ";x", [good]), "invalid value")
    refused("host with $USER1$", lambda h: S("$USER1$", [good]), "invalid value '$USER1$'")
    refused("host with embedded newline", lambda h: S(h + "\ndefine command {", [good]), "")
    refused("address with macro", lambda h: S(h, [good], address="$HOSTADDRESS$"), "invalid value '$HOSTADDRESS$'")
    refused("address with shell", lambda h: S(h, [good], address="1.2.3.4'; touch /tmp/x; '"), "invalid value")
    refused("address with option", lambda h: S(h, [good], address="-oProxyCommand=x"), "invalid value")
    refused("NUL byte in a value", lambda h: S(h, [good, svc("x", ("description", b"a\x00b"))]), "NUL byte")
    refused("carriage return in a value", lambda h: S(h, [good, svc("x", ("description", b"a\rdefine"))]), "")
    refused("escape sequence", lambda h: S(h, [good, svc("x", ("description", b"\x1b[31mred"))]), "control character 0x1b")
    refused("invalid UTF-8", lambda h: S(h, [good, svc("x", ("description", b"caf\xe9"))]), "invalid UTF-8")
    refused("overlong line", lambda h: S(h, [good, svc("x", ("description", "a" * 5000))]), "the limit is 4096")
    refused("oversized document", lambda h: S(h, [good]) + b"#" * (5 << 20), "over the limit of 4194304")
    refused("duplicate service names", lambda h: S(h, [good, svc("dup"), svc("dup", port="81")]), "")
    refused("duplicate descriptions", lambda h: S(h, [good, svc("a", ("description", "same")),
                                                      svc("b", ("description", "same"), port="81")]), "")
    refused("unknown automon section", lambda h: S(h, [good, ("automon:evil", [("x", "y")])]), "unknown section")
    refused("removal with bad reason", lambda h: S(h, [good], removed=[("x", "because; rm")]), "invalid removal")
    refused("service present and removed", lambda h: S(h, [good], removed=[("ok", "deleted")]), "both present and removed")
    refused("generation not a number", lambda h: S(h, [good]).replace(b"generation = 1", b"generation = 1; x"), "invalid generation")
    refused("header key reordered", lambda h: S(h, [good]).replace(b"format = 1\nhost", b"host").replace(
        b"generation", b"format = 1\ngeneration"), "expected 'format'")
    refused("too many services", lambda h: S(h, [svc("s%d" % i, port=str(i + 1)) for i in range(1001)]), "at most 1000")
    refused("host name with unicode look-alike", lambda h: S("w\u0435b.example.org", [good]), "invalid value")
    # Bidirectional and line separators: refused, and never echoed as such
    # (main() checks every answer for them).
    refused("host name with U+202E", lambda h: S("evil\u202egro.elpmaxe", [good]), "invalid value")
    refused("host name with U+2028", lambda h: S(h + "\u2028forged: active", [good]), "invalid value")
    refused("generation with U+2029", lambda h: S(h, [good]).replace(b"generation = 1", "generation = 1\u2029x".encode()),
            "invalid generation")
    # Valid (RFC 1123) host names too long for the registrar's file names.
    for n in (231, 235, 253):
        name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * (n - 192)])
        refused("host name of %d bytes" % n, lambda h, name=name: S(name, [good]),
                "is %d bytes long; a registered host name is at most 230 bytes" % n)
    refused("stored form over the size limit", stored_form_over_the_limit,
            "stored form (defaults filled in) is")

    # --- one service at a time: rejected, the rest of the host stays ------
    for label, value in [("semicolon", "a;b"), ("bang", "a!b"), ("macro", "$USER1$"),
                         ("quote", "it's"), ("backtick", "`id`"), ("trailing backslash", "web\\"),
                         ("Cyrillic look-alike", "w\u0435b"), ("fullwidth semicolon", "a\uff1bb"),
                         ("over 128 bytes", "d" * 129), ("double quote", 'a"b'),
                         ("equals", "a=b"), ("parenthesis", "a(b)"), ("percent", "100%")]:
        rejected("description with " + label, svc("bad", ("description", value)),
                 "for 'description'")
    rejected("service name with $", ("bad$x", [("type", "tcp"), ("port", "1")]), "", name="bad$x")
    for label, value in [("$(...)", "/$(id)"), ("backtick", "/`id`"), ("quote", "/'x"),
                         ("space", "/a b"), ("trailing backslash", "/a\\"), ("$USER1$", "/$USER1$"),
                         ("$HOSTADDRESS$", "/?h=$HOSTADDRESS$"), ("semicolon", "/a;b"),
                         ("bang", "/a!b"), ("no leading slash", "http://evil"),
                         ("over 1024 bytes", "/" + "a" * 1100)]:
        rejected("http uri with " + label, svc("bad", ("uri", value), type_="http", port=None),
                 "for 'uri'")
    for label, value in [("semicolon", "a.example;x"), ("bang", "a!b"), ("macro", "$HOSTNAME$"),
                         ("quote", "a'b"), ("option", "-x")]:
        rejected("http hostname with " + label, svc("bad", ("hostname", value), type_="http", port=None),
                 "for 'hostname'")
    for value in ["80; rm -rf /", "0", "65536", "$ARG1$", "80 81", "0x50"]:
        rejected("port " + repr(value), svc("bad", port=value), "for 'port'")
    for label, value in [("$USER3$", "x$USER3$"), ("quote breakout", "x' && touch /tmp/x && echo '"),
                         ("backtick", "`id`"), ("backslash", "a\\nb"), ("double quote", 'a"b'),
                         ("over 256 bytes", "s" * 300), ("tab", "a\tb"), ("non-ASCII", "\u00e9")]:
        rejected("udp send with " + label, svc("bad", ("send", value), ("expect", "x"), type_="udp", port="7"),
                 "for 'send'")
    rejected("description with U+202E", svc("bad", ("description", "a\u202eb")), "for 'description'")
    rejected("description with U+2028", svc("bad", ("description", "a\u2028b: active")), "for 'description'")
    rejected("ldap base with quote", svc("bad", ("base", "dc=x'"), type_="ldap", port=None), "for 'base'")
    rejected("ldap bind DN with macro", svc("bad", ("username", "cn=$USER1$"), type_="ldap", port=None),
             "for 'username'")
    for label, value in [("$(...)", "http://lb/$(id)"), ("quote", "http://lb/'x"),
                         ("ftp scheme", "ftp://lb/x"), ("relative socket", "run/haproxy.sock")]:
        rejected("haproxy stats " + label, svc("bad", ("stats", value), type_="haproxy", port=None),
                 "for 'stats'")
    rejected("haproxy proxies with semicolon", svc("bad", ("stats", "/run/h.sock"), ("proxies", "a;b"),
                                                   type_="haproxy", port=None), "for 'proxies'")
    rejected("haproxy proxies with macro", svc("bad", ("stats", "/run/h.sock"), ("proxies", "$USER1$"),
                                               type_="haproxy", port=None), "for 'proxies'")
    rejected("guacamole uri with ..", svc("bad", ("uri", "/../../etc"), type_="guacamole", port=None), "for 'uri'")
    rejected("guacamole data source with bang", svc("bad", ("data_source", "a!b"), type_="guacamole", port=None),
             "for 'data_source'")
    rejected("guacamole username with quote", svc("bad", ("username", "a'b"), type_="guacamole", port=None),
             "for 'username'")
    rejected("threshold with semicolon", svc("bad", ("warning", "10;"), type_="guacamole", port=None),
             "for 'warning'")
    rejected("unknown key of 4000 bytes", svc("bad", ("k" * 4000, "x")), "... (4000 bytes)' for type tcp")
    rejected("60 unknown keys of 4000 bytes", svc("bad", *[("k" * 3997 + "%03d" % i, "x") for i in range(60)]),
             "and 55 more errors")
    rejected("port of 3000 bytes", svc("bad", port="9" * 3000), "... (3000 bytes)' for 'port'")
    rejected("unknown key command_line", svc("bad", ("command_line", "$USER1$/evil")), "unknown key 'command_line'")
    rejected("unknown key check_command", svc("bad", ("check_command", "evil!x")), "unknown key 'check_command'")
    rejected("type with injection", svc("bad", type_="tcp; define command"), "")
    rejected("host key with option", svc("bad", ("host", "127.0.0.1 -oProxyCommand=x")), "for 'host'")
    rejected("ssl_hostname with macro", svc("bad", ("ssl", "true"), ("ssl_hostname", "$USER1$")), "for 'ssl_hostname'")
    rejected("smtp email with quote", svc("bad", ("email", "a'b@example.org"), type_="smtp", port=None), "for 'email'")
    rejected("package with shell", svc("bad", ("package", "apache2;id")), "for 'package'")

    # --- valid but nasty: active, and inert --------------------------------
    inert("udp send with ; and !", svc("bad", ("send", "a;b!c #d"), ("expect", "ok; fine!"), type_="udp", port="7"),
          r"automon_udp!127.0.0.1!7!a\;b\!c #d!ok\; fine\!")
    inert("uri with query characters", svc("bad", ("uri", "/a?b=c&d=e+f:g@h,i~j%20"), type_="http", port=None),
          "automon_http!127.0.0.1!{host}!80!/a?b=c&d=e+f:g@h,i~j%20!sticky")
    inert("description with # and :", svc("bad", ("description", "#1 web:8080/x @y +z")),
          "automon_tcp!127.0.0.1!80")
    inert("secret with every metacharacter", svc("bad", ("password", SECRET), ("username", "admin"),
                                                  type_="guacamole", port=None),
          "automon_guacamole!127.0.0.1!8080!http!/guacamole!mysql!admin!{secret}")
    inert("IPv6 service host", svc("bad", ("host", "::1")), "automon_tcp!::1!80")
    inert("ldap DN with spaces and commas", svc("bad", ("base", "ou=My Unit,dc=example,dc=org"), type_="ldap",
                                                port=None),
          "automon_ldap!127.0.0.1!389!ou=My Unit,dc=example,dc=org")
    # A stats URL: a stats socket is checked on the host, passively (#15).
    inert("haproxy glob proxies", svc("bad", ("stats", "http://:8404/stats"), ("proxies", "web*,api?"),
                                      ("warning", "80%"), ("critical", "95%"), type_="haproxy", port=None),
          "automon_haproxy_url_proxies!http://127.0.0.1:8404/stats!80%!95%!web*,api?")
    # Issue #18 item 11: 64 proxies are one argument, never past $ARG32$.
    many = ",".join("p%02d" % i for i in range(64))
    inert("haproxy with 64 proxies", svc("bad", ("stats", "http://:8404/stats"), ("proxies", many),
                                         type_="haproxy", port=None),
          "automon_haproxy_url_proxies!http://127.0.0.1:8404/stats!80%!90%!" + many)
    # Issue #18 item 12: naming a mail flow another host may use joins
    # nothing: the state is under this host's own directory.
    inert("mailflowid of another host", svc("bad", ("id", "shared"), ("seconds", "60"), type_="mailflow",
                                            port=None),
          "automon_mailflow_age!shared!{mailflow}/{host}/shared!60")
    return out


def state_attacks(env):
    """Attacks on the registrar's own files (issue 18 items 4 and 8)."""
    problems = []
    good = [svc("ok", type_="ssh", port="22"),
            svc("guac", ("password", "pw"), type_="guacamole", port=None)]

    def doc(host, generation):
        return regtest.make_snapshot(host, good, generation=generation, address="127.0.0.1")

    # A stored snapshot replaced by a link to another file: not followed,
    # and no line of that file in the answer.
    host = "state-link.example.org"
    code, out, err = env.receive(host, doc(host, 1))
    if code != 0:
        problems.append("state-link: first registration failed: " + out + err)
    target = os.path.join(env.dir, "shadow")
    with open(target, "w") as f:
        f.write("[x\nroot:$6$TOPSECRET:19000::::::\n")
    stored = os.path.join(env.state_dir, "hosts", host + ".snapshot")
    os.unlink(stored)
    os.symlink(target, stored)
    code, out, err = env.receive(host, doc(host, 2))
    print("state-link: exit %d: %s" % (code, out.strip()))
    if code != 2 or "symbolic link" not in out or "TOPSECRET" in out + err:
        problems.append("state-link: expected a refusal naming the link only: " + out + err)
    os.unlink(stored)

    # A symlink at out/hosts/<bucket>: the swap fails, and the host is
    # left exactly as it was (nothing stored, no secrets, not listed).
    for i in range(1000):
        host = "state-bucket%d.example.org" % i
        bucket = hashlib.sha256(host.encode()).hexdigest()[:2]
        bucket_dir = os.path.join(env.output_dir, "hosts", bucket)
        if not os.path.lexists(bucket_dir):
            break
    elsewhere = os.path.join(env.dir, "elsewhere")
    os.mkdir(elsewhere)
    os.symlink(elsewhere, bucket_dir)
    code, out, err = env.receive(host, doc(host, 1))
    print("state-bucket: exit %d: %s" % (code, out.strip()))
    _, listing, _ = env.run("hosts")
    if code != 2 or "not activated" not in out:
        problems.append("state-bucket: expected 'not activated': " + out + err)
    if host in listing or os.path.exists(regtest.secret_path(os.path.join(env.state_dir, "secrets"), host, "guac", 1)) or \
            os.path.exists(os.path.join(env.state_dir, "hosts", host + ".snapshot")) or os.listdir(elsewhere):
        problems.append("state-bucket: the host was stored though nothing went live: " + listing)
    os.unlink(bucket_dir)
    code, out, err = env.receive(host, doc(host, 1))
    if code != 0:
        problems.append("state-bucket: registration after the repair failed: " + out + err)
    return problems


def check_generated_files(env):
    """Static checks of every generated host file: only known directives, no
    lone '$' (every macro escaped), every backslash escapes ! ; or ', and no
    secret anywhere."""
    problems = []
    hosts_dir = os.path.join(env.output_dir, "hosts")
    paths = sorted(os.path.join(root, f) for root, _, files in os.walk(hosts_dir) for f in files)
    if len(paths) < 50:
        problems.append("only %d host files were generated" % len(paths))
    for path in paths:
        name = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        if SECRET in text or "w0rd" in text:
            problems.append("%s: contains the secret" % name)
        for n, line in enumerate(text.split("\n"), 1):
            s = line.strip()
            if not s or s.startswith("#") or s in ("define host {", "define service {", "}"):
                continue
            key, _, value = s.partition(" ")
            if key not in ALLOWED_DIRECTIVES:
                problems.append("%s:%d: unexpected line %r" % (name, n, line))
            if re.search(r"(?<!\$)\$(\$\$)*(?!\$)", value.replace("$$", "")) or \
                    value.replace("$$", "").count("$"):
                problems.append("%s:%d: unescaped $ in %r" % (name, n, line))
            if re.search(r"\\(?![!;'])", value):
                problems.append("%s:%d: stray backslash in %r" % (name, n, line))
            if re.search(r"(?<!\\);", value):
                problems.append("%s:%d: unescaped ; in %r" % (name, n, line))
    return problems


def answer_problem(code, out, expect, detail, reached, active_problem):
    """What is wrong with the registrar's answer (exit code, stdout) to a
    document of cases(), or None; the same for every backend. reached(name):
    whether the rejected service `name` is in the backend's output anyway;
    active_problem(): what is wrong with a document that goes live, or None."""
    if expect == "refused":
        if code != 2 or not out.startswith("refused: ") or detail not in out:
            return "expected refusal mentioning %r" % detail
        return None
    if expect == "rejected":
        name, why = detail
        line = [l for l in out.splitlines() if l.startswith(name + ": rejected: ")]
        if code != 1 or not line or why not in line[0] or "ok: active" not in out:
            return "expected %s rejected mentioning %r" % (name, why)
        if reached(name):
            return "the rejected service reached the configuration"
        return None
    return active_problem()


def run_cases(receive, reached, active_problem, extra=None):
    """Sends each document of cases(), for the hosts c000.example.org and
    on, through receive(host, document) -> (exit code, stdout, stderr) and
    judges each answer with answer_problem(), given reached(host, name) and
    active_problem(host, code, out, detail); extra(host, out, err), if
    given, adds what else is wrong after any document. Prints a line a
    document; returns (number of documents, failures)."""
    failures = []
    corpus = cases()
    for i, (label, maker, expect, detail) in enumerate(corpus):
        host = "c%03d.example.org" % i
        code, out, err = receive(host, maker(host))
        problem = answer_problem(code, out, expect, detail, lambda name: reached(host, name),
                                 lambda: active_problem(host, code, out, detail))
        more = extra(host, out, err) if extra else None
        if more:
            problem = (problem or "") + more
        status = "FAIL" if problem else "ok"
        print("%-4s %3d %-9s %-40s exit %d: %s" % (
            status, i, expect, label, code, (out.strip().splitlines() or [err.strip()])[-1][:150]))
        if problem:
            failures.append("%d %s: %s\n  stdout: %s\n  stderr: %s" % (i, label, problem, out, err))
    return len(corpus), failures


def main():
    args = regtest.parse_args("--registrar")
    env = regtest.NagiosEnv(args.registrar)
    failures = []
    # A configuration without any host does not verify ("no hosts defined"),
    # so one ordinary host goes first.
    code, out, err = env.receive("baseline.example.org", regtest.make_snapshot(
        "baseline.example.org", [svc("ssh", type_="ssh", port="22")], address="127.0.0.1"))
    if code != 0:
        print("baseline registration failed:", out, err)
        return 1

    def reached(host, name):
        text = env.host_file(host)
        return text is None or "_AUTOMON_SERVICE        %s\n" % name in text

    def active_problem(host, code, out, detail):
        want = "check_command           " + detail.format(
            host=host, secret=regtest.secret_path(os.path.join(env.state_dir, "secrets"), host, "bad", 1),
            mailflow=os.path.join(env.state_dir, "mailflow"))
        if code != 0 or want not in (env.host_file(host) or ""):
            return "expected active with %r" % want
        return None

    def extra(host, out, err):
        problem = ""
        if len(out) + len(err) > 64 * 1024:
            problem += " the answer is %d bytes" % (len(out) + len(err))
        for mark in BIDI_AND_SEPARATORS:
            if mark in out or mark in err:
                problem += " the answer holds U+%04X unmasked" % ord(mark)
        ok, verify_output = env.verify_live()
        if not ok:
            problem += " nagios4 -v fails: " + verify_output[-800:]
        return problem

    try:
        documents, found = run_cases(env.receive, reached, active_problem, extra)
        failures.extend(found)
        failures.extend(state_attacks(env))
        problems = check_generated_files(env)
        failures.extend(problems)
        secret_file = os.path.join(env.state_dir, "secrets")
        found = []
        for root, _, files in os.walk(secret_file):
            for f in files:
                p = os.path.join(root, f)
                st = os.stat(p)
                with open(p) as fh:
                    if fh.read() == SECRET + "\n":
                        found.append((p, oct(st.st_mode & 0o777)))
        if not found or any(mode != "0o640" for _, mode in found):
            failures.append("secret file missing or not 0640: %r" % found)
        if os.path.exists("/tmp/automon-pwned"):
            failures.append("/tmp/automon-pwned exists: something ran a command")
    finally:
        env.finish(not failures)
    print("%d documents, %d failures" % (documents, len(failures)))
    for f in failures:
        print("FAILURE:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
