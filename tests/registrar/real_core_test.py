#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""automon-registrar against a running Nagios 4 core with a private
configuration: after `receive`, the core has reloaded, knows the new host
and its services, and a tcp service pointed at a loopback listener ends up
OK in Nagios's own status.dat. A host whose configuration Nagios refuses
is quarantined while the core keeps running with everything else.

usage: real_core_test.py --registrar PATH
"""

import os
import re
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import regtest  # noqa: E402

HOST = "core-test.example.org"


def listener():
    """A TCP server on 127.0.0.1 that accepts and closes; returns its port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    s.listen(16)

    def serve():
        while True:
            try:
                c, _ = s.accept()
                c.close()
            except OSError:
                return
    threading.Thread(target=serve, daemon=True).start()
    return s, s.getsockname()[1]


def http_server(tls_dir=None):
    """An HTTP (or, with tls_dir, HTTPS with a fresh self-signed certificate)
    server on 127.0.0.1 answering 200 to every GET; returns (server, port)."""
    import http.server
    import ssl

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = b"automon ok\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls_dir:
        key = os.path.join(tls_dir, "key.pem")
        cert = os.path.join(tls_dir, "cert.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "2", "-subj", "/CN=" + HOST,
                        "-addext", "subjectAltName=DNS:" + HOST],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def udp_echo():
    """A UDP echo server on 127.0.0.1; returns (socket, port)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))

    def serve():
        while True:
            try:
                data, peer = s.recvfrom(4096)
                s.sendto(data, peer)
            except OSError:
                return
    threading.Thread(target=serve, daemon=True).start()
    return s, s.getsockname()[1]


def main():
    args = regtest.parse_args("--registrar")
    # Registrations reload the core this test starts with SIGHUP.
    with regtest.NagiosEnv(args.registrar, reload_core=True) as env:
        status = os.path.join(env.dir, regtest.RUNTIME_KEYS["status_file"])
        log = os.path.join(env.dir, regtest.RUNTIME_KEYS["log_file"])
        # An administrator's own host, which a registration may not replace.
        with open(os.path.join(env.dir, "conf.d", "admin.cfg"), "w") as f:
            f.write("define host {\n    use automon-host\n    host_name taken.example.org\n"
                    "    address 127.0.0.1\n}\n")

        sock, port = listener()
        web, web_port = http_server()
        tls, tls_port = http_server(tls_dir=env.dir)
        echo, echo_port = udp_echo()
        code, out, err = env.receive("first.example.org", regtest.make_snapshot(
            "first.example.org", [("ssh", [("type", "ssh")])], address="127.0.0.1"))
        assert code == 0, (out, err)

        core = env.start_core()
        regtest.wait_for("the core to start", lambda: any(
            k == "hoststatus" and f.get("host_name") == "first.example.org"
            for k, f in regtest.status_blocks(status)))
        print("core running, pid", core.pid)

        document = regtest.make_snapshot(HOST, [
            ("listener", [("type", "tcp"), ("port", str(port)), ("description", "Loopback listener")]),
            ("ssh", [("type", "ssh"), ("port", "22")]),
            ("web", [("type", "http"), ("port", str(web_port)), ("uri", "/health?a=1&b=2")]),
            # Self-signed: verified (check_curl -D) it must fail, unverified pass.
            ("tls-verified", [("type", "http"), ("ssl", "true"), ("port", str(tls_port))]),
            ("tls-unverified", [("type", "http"), ("ssl", "true"), ("port", str(tls_port)),
                                ("ignore_invalid_ssl", "true")]),
            # ';' and '!' must reach check_udp intact through Nagios.
            ("echo", [("type", "udp"), ("port", str(echo_port)), ("send", "ping;x!y #1"),
                      ("expect", "ping;x!y #1")]),
        ], address="127.0.0.1", generation=1)
        code, out, err = env.receive(HOST, document)
        print("receive:", code, out.strip().replace("\n", " | "), err.strip())
        assert code == 0, (out, err)
        assert out == ("listener: active\nssh: active\nweb: active\ntls-verified: active\n"
                       "tls-unverified: active\necho: active\n"), out

        regtest.wait_for("the reload (new host in status.dat)", lambda: any(
            k == "servicestatus" and f.get("host_name") == HOST and
            f.get("service_description") == "Loopback listener" for k, f in regtest.status_blocks(status)))
        assert core.poll() is None, "the core exited"
        with open(log) as f:
            assert "Caught SIGHUP" in f.read(), "no reload in nagios.log"

        # Each service with the state and output start Nagios must report.
        expected = {
            "Loopback listener": ("0", "TCP OK"),
            "web": ("0", "HTTP OK"),
            "tls-verified": ("2", "HTTP CRITICAL"),
            "tls-unverified": ("0", "HTTP OK"),
            "echo": ("0", "UDP OK"),
        }

        def results():
            found = {}
            for k, f in regtest.status_blocks(status):
                if (k == "servicestatus" and f.get("host_name") == HOST and
                        f.get("service_description") in expected and
                        f.get("has_been_checked") == "1"):
                    found[f["service_description"]] = (f.get("current_state"), f.get("plugin_output", ""))
            return found

        def all_as_expected():
            found = results()
            if all(name in found and found[name][0] == state and found[name][1].startswith(prefix)
                   for name, (state, prefix) in expected.items()):
                return found
            env.force_checks(HOST, expected)
            return None
        env.force_checks(HOST, expected)
        try:
            found = regtest.wait_for("the forced checks to come back as expected", all_as_expected, timeout=90)
        finally:
            for name, (state, output) in sorted(results().items()):
                print("status.dat: %-18s current_state=%s plugin_output=%s" % (name, state, output))

        # A host Nagios refuses (duplicate of the administrator's host) is
        # quarantined; the core keeps running with everything else.
        code, out, err = env.receive("taken.example.org", regtest.make_snapshot(
            "taken.example.org", [("ssh", [("type", "ssh")])], address="127.0.0.1"))
        print("receive taken:", code, out.strip())
        assert code == 2 and out.startswith("refused: quarantined: ") and "taken.example.org" in out, out
        assert env.host_file("taken.example.org") is None
        code, out, err = env.run("hosts")
        assert re.search(r"^taken\.example\.org +quarantined, nothing accepted yet$", out, re.M), out
        time.sleep(1.5)
        assert core.poll() is None, "the core exited after the quarantine"
        ok_now, verify_out = env.verify_live()
        assert ok_now, verify_out

        # A change to an existing host reloads again and removes a service.
        document = regtest.make_snapshot(HOST, [
            ("listener", [("type", "tcp"), ("port", str(port)), ("description", "Loopback listener")]),
        ], address="127.0.0.1", generation=2,
            removed=[(n, "deleted") for n in ("ssh", "web", "tls-verified", "tls-unverified", "echo")])
        code, out, err = env.receive(HOST, document)
        assert code == 0 and "ssh: removed (deleted)" in out, out
        regtest.wait_for("ssh to disappear from status.dat", lambda: not any(
            k == "servicestatus" and f.get("host_name") == HOST and f.get("service_description") == "ssh"
            for k, f in regtest.status_blocks(status)))
        assert core.poll() is None, "the core exited"
        sock.close()
        echo.close()
        web.shutdown()
        tls.shutdown()
    print("real core test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
