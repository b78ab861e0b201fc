#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A faithful fake Apache Guacamole REST API for check_guacamole's tests.

It follows the emulator section (4) of
/work/shared/reference/guacamole-rest-api.md; section numbers below refer to
that reference. Python 3 standard library only.

Version modes (``version``):
  "1.3"  tokens only from ?token= (the Guacamole-Token header is ignored);
         APIError bodies without "patches"; DELETE /api/session absent.
  "1.5"  header first, then ?token=; no "patches"; no ban.
  "1.6"  as 1.5, plus "patches": null in errors, HEAD /api/session, and the
         ban extension on by default (5 failures -> 300 s, 429).

Faults (``faults``: a dict from request kind to fault name). Request kinds:
  "login" (POST /api/tokens), "active" (.../activeConnections), "users",
  "history", "delete" (DELETE /api/tokens/...), "any" (every request).
Fault names:
  "html502"  reverse-proxy HTML 502 page      "html504"  HTML 504 page
  "html200"  an HTML page with status 200     "garbage"  non-JSON bytes
             labelled application/json        "truncated" cut-off JSON
  "array"    a JSON array instead of an object
  "internal" 500 INTERNAL_ERROR APIError      "hang"     never answer
  "redirect" 302 to an https:// URL           "echo_password" a 400 whose
             message quotes the submitted password (a hostile server)
  "disabled" 400 BAD_REQUEST "User account is no longer valid."

The server listens only on 127.0.0.1 with an ephemeral port. Tests that run
it in-process read its state directly (``live_tokens()``, ``logins``,
``requests``); a separate process (the benchmark) can read
``GET /_fake/state`` which answers {"live_tokens": n, "logins": n, ...}.
This control path lies outside the base path and is not part of Guacamole.
"""

import argparse
import base64
import json
import secrets
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

JDBC_SOURCES = ("mysql", "postgresql", "sqlserver")


class User:
    def __init__(self, password, admin=True, mfa=False, readable=None):
        self.password = password
        self.admin = admin          # system permission ADMINISTER
        self.mfa = mfa              # TOTP: 403 INSUFFICIENT_CREDENTIALS
        self.readable = readable    # connection ids a non-admin may READ


class Session:
    def __init__(self, token, username, sources):
        self.token = token
        self.username = username
        self.sources = sources
        self.last_access = time.monotonic()


class FakeGuacamole:
    """State and behaviour of one fake server. Thread-safe (one lock)."""

    def __init__(self, version="1.6", base="/guacamole", users=None,
                 sources=("mysql", "mysql-shared"), sessions=None,
                 expiry_seconds=3600, dead_tokens=0, ban=None,
                 ban_attempts=5, ban_seconds=300, faults=None,
                 history=0, tls=None):
        assert version in ("1.3", "1.5", "1.6"), version
        self.version = version
        self.base = base.rstrip("/")
        self.users = users if users is not None else {
            "guacadmin": User("guacadmin")}
        self.sources = list(sources)
        # Active connections of the JDBC source(s): dicts with username,
        # remoteHost, connectionIdentifier, startDate.
        self.sessions = sessions if sessions is not None else []
        self.expiry_seconds = expiry_seconds
        self.dead_tokens = dead_tokens
        self.ban = (version == "1.6") if ban is None else ban
        self.ban_attempts = ban_attempts
        self.ban_seconds = ban_seconds
        self.faults = dict(faults or {})
        self.history = history
        self.tls = tls              # (certfile, keyfile) or None

        self.lock = threading.Lock()
        self.tokens = {}            # token -> Session
        self.failures = {}          # client ip -> [count, banned_until]
        self.logins = 0             # POST /api/tokens requests
        self.issued = 0             # tokens issued
        self.requests = []          # (method, path, query, token header)
        self.stop_event = threading.Event()
        self.httpd = None
        self.thread = None

    # --- lifecycle -------------------------------------------------------

    def start(self):
        fake = self

        class Handler(GuacamoleHandler):
            server_fake = fake

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if self.tls:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(*self.tls)
            self.httpd.socket = context.wrap_socket(self.httpd.socket,
                                                    server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        return self

    @property
    def port(self):
        return self.httpd.server_address[1]

    def stop(self):
        self.stop_event.set()       # releases hanging handlers
        if self.httpd:
            self.httpd.shutdown()
            self.httpd.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- state for tests ------------------------------------------------

    def live_tokens(self):
        with self.lock:
            self._expire_locked()
            return len(self.tokens)

    def revoke_all(self):
        """The hook of §4.4: invalidate every token server-side."""
        with self.lock:
            self.tokens.clear()

    def state(self):
        with self.lock:
            self._expire_locked()
            return {"live_tokens": len(self.tokens), "logins": self.logins,
                    "issued": self.issued,
                    "requests": len(self.requests)}

    def _expire_locked(self):
        now = time.monotonic()
        for token in [t for t, s in self.tokens.items()
                      if now - s.last_access > self.expiry_seconds]:
            del self.tokens[token]

    # --- bodies ----------------------------------------------------------

    def api_error(self, message, type_, expected=None, key=None):
        body = {
            "message": message,
            "translatableMessage": {
                "key": key or "APP.TEXT_UNTRANSLATED",
                "variables": None if key else {"MESSAGE": message}},
            "statusCode": None,
            "expected": expected,
        }
        if self.version == "1.6":
            body["patches"] = None
        body["type"] = type_
        return body


class GuacamoleHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY,
    # Nagle plus the client's delayed ACK stalls every keep-alive reply by
    # 40 ms, which real servers (Tomcat) do not do.
    disable_nagle_algorithm = True
    server_fake = None  # set by FakeGuacamole.start()

    def log_message(self, *args):  # quiet
        pass

    # --- plumbing --------------------------------------------------------

    def send_body(self, status, body, content_type, extra_headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in extra_headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_json(self, status, value):
        self.send_body(status, json.dumps(value), "application/json")

    def send_empty(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def send_html(self, status, title):
        self.send_body(status,
                       "<!doctype html><html><head><title>%s</title></head>"
                       "<body><h1>%s</h1></body></html>" % (title, title),
                       "text/html;charset=utf-8")

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def apply_fault(self, kind, password=None):
        """Answers with the configured fault for `kind`; True if it did."""
        fake = self.server_fake
        fault = fake.faults.get(kind) or fake.faults.get("any")
        if not fault:
            return False
        if fault == "hang":
            fake.stop_event.wait()
            self.close_connection = True
            return True
        if fault == "html502":
            self.send_html(502, "502 Bad Gateway")
        elif fault == "html504":
            self.send_html(504, "504 Gateway Time-out")
        elif fault == "html200":
            self.send_html(200, "Welcome to nginx!")
        elif fault == "garbage":
            self.send_body(200, b"\x00\x01garbage\xff", "application/json")
        elif fault == "truncated":
            self.send_body(200, '{"a":{"identifier":"a","username":"al',
                           "application/json")
        elif fault == "array":
            self.send_json(200, [])
        elif fault == "internal":
            self.send_json(500, fake.api_error("Unexpected internal error",
                                               "INTERNAL_ERROR"))
        elif fault == "redirect":
            self.send_body(302, "", "text/html", [
                ("Location", "https://127.0.0.1/guacamole/api/tokens")])
        elif fault == "echo_password":
            self.send_json(400, fake.api_error(
                "Password %s is not allowed" % password, "BAD_REQUEST"))
        elif fault == "disabled":
            self.send_json(400, fake.api_error(
                "User account is no longer valid.", "BAD_REQUEST"))
        else:
            raise ValueError("unknown fault " + fault)
        return True

    def record(self, path, query):
        fake = self.server_fake
        with fake.lock:
            fake.requests.append({
                "method": self.command, "path": path, "query": query,
                "header_token": self.headers.get("Guacamole-Token"),
                "content_type": self.headers.get("Content-Type"),
            })

    # --- dispatch --------------------------------------------------------

    def do_GET(self):
        self.dispatch()

    def do_POST(self):
        self.dispatch()

    def do_DELETE(self):
        self.dispatch()

    def do_HEAD(self):
        self.dispatch()

    def dispatch(self):
        fake = self.server_fake
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        body = self.read_body() if self.command in ("POST", "DELETE") else b""
        if path == "/_fake/state" and self.command == "GET":
            return self.send_json(200, fake.state())
        self.record(path, url.query)
        if not path.startswith(fake.base + "/"):
            return self.send_html(404, "HTTP Status 404 - Not Found")
        rest = path[len(fake.base):]
        if rest == "/api/tokens":
            if self.command != "POST":
                return self.send_html(405, "HTTP Status 405 - Method Not Allowed")
            return self.login(body)
        if rest.startswith("/api/tokens/") and self.command == "DELETE":
            if self.apply_fault("delete"):
                return None
            return self.logout(urllib.parse.unquote(rest[len("/api/tokens/"):]))
        if rest == "/api/session" and fake.version != "1.3":
            if self.command == "DELETE":
                return self.session_delete(query)
            if self.command == "HEAD" and fake.version == "1.6":
                return self.session_head(query)
        if rest.startswith("/api/session/data/") and self.command == "GET":
            return self.session_data(rest[len("/api/session/data/"):], query)
        if rest == "/api/patches" and self.command == "GET":
            return self.send_json(200, [])
        if rest == "/api/languages" and self.command == "GET":
            return self.send_json(200, {"en": "English"})
        if rest == "/translations/en.json" and self.command == "GET":
            return self.send_json(200, {"NAME": "English", "APP": {
                "NAME": "Apache Guacamole",
                "VERSION": {"1.3": "1.3.0", "1.5": "1.5.5",
                            "1.6": "1.6.0"}[fake.version]}})
        return self.send_html(404, "HTTP Status 404 - Not Found")

    # --- §4.1 login ------------------------------------------------------

    def login(self, body):
        fake = self.server_fake
        form = {}
        if (self.headers.get("Content-Type") or "").startswith(
                "application/x-www-form-urlencoded"):
            form = {k: v[0] for k, v in urllib.parse.parse_qs(
                body.decode("utf-8", "replace"),
                keep_blank_values=True).items()}
        username = form.get("username")
        password = form.get("password")
        if username is None and password is None:
            auth = self.headers.get("Authorization") or ""
            if auth.startswith("Basic "):
                try:
                    decoded = base64.b64decode(auth[6:]).decode()
                    username, _, password = decoded.partition(":")
                except ValueError:
                    pass
        with fake.lock:
            fake.logins += 1
        if self.apply_fault("login", password):
            return None
        ip = self.client_address[0]
        has_credentials = bool(username) or bool(password)
        with fake.lock:
            if fake.ban:
                count, until = fake.failures.get(ip, [0, 0])
                if until > time.monotonic():
                    return self.send_json(429, fake.api_error(
                        "Too many failed authentication attempts.",
                        "BAD_REQUEST", key="LOGIN.ERROR_TOO_MANY_ATTEMPTS"))
            # Re-authentication with a live token returns the same token.
            old = form.get("token")
            if old and old in fake.tokens:
                fake.tokens[old].last_access = time.monotonic()
                return self.send_login(fake.tokens[old])
            user = fake.users.get(username or "")
            if user is None or user.password != password:
                if fake.ban and has_credentials:
                    entry = fake.failures.setdefault(ip, [0, 0])
                    entry[0] += 1
                    if entry[0] >= fake.ban_attempts:
                        entry[1] = time.monotonic() + fake.ban_seconds
                if user is None and not has_credentials:
                    message = "Permission Denied."
                else:
                    message = "Invalid login"
                return self.send_json(403, fake.api_error(
                    message, "INVALID_CREDENTIALS",
                    expected=[{"name": "username", "type": "USERNAME"},
                              {"name": "password", "type": "PASSWORD"}]))
            if user.mfa and not form.get("guac-totp"):
                return self.send_json(403, fake.api_error(
                    "Verification using TOTP is required before "
                    "authentication can continue.",
                    "INSUFFICIENT_CREDENTIALS",
                    expected=[{"name": "guac-totp",
                               "type": "GUAC_TOTP_CODE"}],
                    key="TOTP.INFO_CODE_REQUIRED"))
            if fake.ban:
                fake.failures.pop(ip, None)
            token = secrets.token_hex(32).upper()
            fake.issued += 1
            session = Session(token, username, list(fake.sources))
            if fake.issued > fake.dead_tokens:
                fake.tokens[token] = session
        return self.send_login(session)

    def send_login(self, session):
        self.send_json(200, {
            "authToken": session.token,
            "username": session.username,
            "dataSource": session.sources[0],
            "availableDataSources": session.sources,
        })

    # --- §4.2 token extraction --------------------------------------------

    def extract_token(self, query):
        fake = self.server_fake
        if fake.version != "1.3":
            header = self.headers.get("Guacamole-Token")
            if header:
                return header
        values = query.get("token")
        return values[0] if values and values[0] else None

    def authenticated(self, query):
        """The live session of the request's token, or None after sending
        403 PERMISSION_DENIED (and dropping the token, as the real mapper
        does)."""
        fake = self.server_fake
        token = self.extract_token(query)
        with fake.lock:
            fake._expire_locked()
            session = fake.tokens.get(token) if token else None
            if session is None:
                if token:
                    fake.tokens.pop(token, None)
            else:
                session.last_access = time.monotonic()
        if session is None:
            self.send_json(403, fake.api_error("Permission Denied.",
                                               "PERMISSION_DENIED"))
        return session

    # --- §4.3 activeConnections and friends --------------------------------

    def session_data(self, rest, query):
        fake = self.server_fake
        session = self.authenticated(query)
        if session is None:
            return None
        source, _, what = rest.partition("/")
        if source not in session.sources:
            return self.send_json(404, fake.api_error(
                'Session not associated with authentication provider "%s".'
                % source, "NOT_FOUND"))
        jdbc = source in JDBC_SOURCES
        user = fake.users.get(session.username)
        if what == "activeConnections":
            if self.apply_fault("active"):
                return None
            return self.send_json(200, self.active_connections(jdbc, session,
                                                               user))
        if what == "users":
            if self.apply_fault("users"):
                return None
            names = sorted(fake.users) if jdbc and user.admin else (
                [session.username] if jdbc else [])
            return self.send_json(200, {n: {"username": n, "disabled": False,
                                            "attributes": {},
                                            "lastActive": None}
                                        for n in names})
        if what == "history/connections":
            if self.apply_fault("history"):
                return None
            count = min(fake.history, 1000) if jdbc else 0
            return self.send_json(200, [{"startDate": 1700000000000 + i,
                                         "endDate": None, "username": "x",
                                         "remoteHost": "10.0.0.1",
                                         "active": False}
                                        for i in range(count)])
        if what == "self/effectivePermissions":
            return self.send_json(200, {
                "systemPermissions": ["ADMINISTER"] if user.admin else [],
                "connectionPermissions": {}})
        return self.send_html(404, "HTTP Status 404 - Not Found")

    def active_connections(self, jdbc, session, user):
        fake = self.server_fake
        if not jdbc:
            return {}                       # AbstractUserContext: always {}
        result = {}
        for i, s in enumerate(fake.sessions):
            identifier = s.get("identifier") or "%08x-0000-5000-8000-%012x" % (
                i + 1, i + 1)
            entry = {
                "identifier": identifier,
                "connectionIdentifier": s.get("connectionIdentifier", "1"),
                "startDate": s.get("startDate", 1717171717171 + i),
                "remoteHost": s.get("remoteHost", "10.0.0.%d" % (i + 1)),
                "username": s.get("username", "user%d" % (i + 1)),
                "connectable": True,
            }
            if not user.admin:
                readable = user.readable or []
                if entry["connectionIdentifier"] not in readable:
                    continue
                if entry["username"] != session.username:
                    entry["username"] = None
                    entry["remoteHost"] = None
                    entry["connectable"] = False
            result[identifier] = entry
        return result

    # --- §4.5 logout -------------------------------------------------------

    def logout(self, token):
        fake = self.server_fake
        with fake.lock:
            existed = fake.tokens.pop(token, None) is not None
        if not existed:
            return self.send_json(404, fake.api_error("No such token.",
                                                      "NOT_FOUND"))
        return self.send_empty(204)

    def session_delete(self, query):
        fake = self.server_fake
        session = self.authenticated(query)
        if session is None:
            return None
        with fake.lock:
            fake.tokens.pop(session.token, None)
        return self.send_empty(204)

    def session_head(self, query):
        fake = self.server_fake
        token = self.extract_token(query)
        with fake.lock:
            fake._expire_locked()
            valid = token in fake.tokens
        return self.send_empty(204 if valid else 403)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="1.6", choices=["1.3", "1.5", "1.6"])
    parser.add_argument("--base", default="/guacamole")
    parser.add_argument("--user", default="guacadmin")
    parser.add_argument("--password", default="guacadmin")
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--port-file", help="write the port here once listening")
    args = parser.parse_args(argv)
    fake = FakeGuacamole(
        version=args.version, base=args.base,
        users={args.user: User(args.password)},
        sessions=[{"username": "user%d" % i} for i in range(args.sessions)])
    fake.start()
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write("%d\n" % fake.port)
        import os
        os.replace(args.port_file + ".tmp", args.port_file)
    else:
        print(fake.port, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
