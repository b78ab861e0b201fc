# SPDX-License-Identifier: GPL-2.0-or-later
"""Shared helpers for the registrar's integration tests.

NagiosEnv builds a private Nagios 4 configuration in a temporary directory:
a copy of Debian's /etc/nagios4/nagios.cfg whose conf.d, run-time and log
paths all point into the directory, plus a registrar.conf whose every path
does too. Nothing outside the directory is written; nothing listens on
anything but 127.0.0.1.

The functions below are the set-up and tear-down the suites share: their
command line, running the registrar, starting and stopping a Nagios core
or any other process, forcing checks, waiting, and keeping the directory
of a failed run.
"""

import argparse
import hashlib
import os
import pwd
import grp
import shutil
import signal
import socket
import subprocess
import tempfile
import time

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATES = os.path.join(SOURCE_DIR, "registrar", "nagios-templates.cfg")
NAGIOS = "/usr/sbin/nagios4"
DEBIAN_CFG = "/etc/nagios4/nagios.cfg"
DEBIAN_PLUGINS = "/usr/lib/nagios/plugins"

# Run-time paths of nagios.cfg moved into the private directory.
RUNTIME_KEYS = {
    "log_file": "var/nagios.log",
    "object_cache_file": "var/objects.cache",
    "precached_object_file": "var/objects.precache",
    "status_file": "var/status.dat",
    "command_file": "var/rw/nagios.cmd",
    "lock_file": "var/nagios.lock",
    "temp_file": "var/nagios.tmp",
    "temp_path": "var/tmp",
    "state_retention_file": "var/retention.dat",
    "check_result_path": "var/spool/checkresults",
    "debug_file": "var/nagios.debug",
    "log_archive_path": "var/archives",
    "query_socket": "var/rw/nagios.qh",
}
OVERRIDES = {
    "use_syslog": "0",
    "check_for_updates": "0",
    "status_update_interval": "1",
    "check_result_reaper_frequency": "1",
    "retain_state_information": "0",
    "max_service_check_spread": "1",
    "max_host_check_spread": "1",
}



def secret_path(secrets_dir, host, service, generation):
    """Where the registrar writes a service's secret (backends/plan.h,
    SecretFilePath): <secrets_dir>/<bucket>/<host>@<service>.<generation>.password."""
    bucket = hashlib.sha256(host.encode()).hexdigest()[:2]
    return "%s/%s/%s@%s.%d.password" % (secrets_dir, bucket, host, service, generation)

def parse_args(*paths):
    """The suite's command line: each of `paths` ("--registrar", "--agent",
    ...) is a required option naming a file."""
    parser = argparse.ArgumentParser()
    for option in paths:
        parser.add_argument(option, required=True)
    return parser.parse_args()


def run(registrar, config, *args, stdin=b"", timeout=120):
    """`registrar --config config args...`: (exit code, stdout, stderr)."""
    p = subprocess.run([registrar, "--config", config] + list(args), input=stdin,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on (for the moment)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_snapshot(host, services, generation=1, address=None, removed=(), count=None):
    """The wire document as bytes. `services` is a list of (name, [(key, value)]);
    names, keys and values may be str or bytes (hostile bytes pass unchanged)."""
    def b(x):
        return x if isinstance(x, bytes) else x.encode("utf-8")
    body = b""
    if removed:
        body += b"\n[automon:removed]\n" + b"".join(b(n) + b" = " + b(r) + b"\n" for n, r in removed)
    for name, keys in services:
        body += b"\n[" + b(name) + b"]\nsource = /etc/monitoring-info/corpus:1\n"
        for k, v in keys:
            body += b(k) + b" = " + b(v) + b"\n"
    header = b"# automon snapshot; see monitoring-info(5)\n[automon:snapshot]\nformat = 1\n"
    header += b"host = " + b(host) + b"\n"
    if address is not None:
        header += b"address = " + b(address) + b"\n"
    header += b"generation = %d\nservices = %d\n" % (generation, len(services) if count is None else count)
    header += b"sha256 = " + hashlib.sha256(body).hexdigest().encode() + b"\n"
    return header + body


class NagiosEnv:
    """As a context manager: on leaving the block, stops the processes it
    started (start_core(), stop_on_exit()) and removes the directory, or
    keeps it and says where if the block raised."""

    def __init__(self, registrar, reload_command="/bin/true", keep_localhost=False, quiet_period=0,
                 verify_command=NAGIOS + " -v {config}", reload_core=False, registrar_settings=""):
        """reload_core: the reload command sends SIGHUP to the core whose pid
        the test writes to self.core_pidfile (as Debian's unit reloads it);
        with no core yet there is nothing to reload. registrar_settings:
        extra lines for the [registrar] section of registrar.conf."""
        self.registrar = registrar
        self.processes = []
        self.dir = tempfile.mkdtemp(prefix="automon-registrar-")
        self.core_pidfile = os.path.join(self.dir, "core.pid")
        if reload_core:
            reload_command = ("/bin/sh -c 'test ! -s %s || kill -HUP \"$(cat %s)\"'"
                              % (self.core_pidfile, self.core_pidfile))
        os.chmod(self.dir, 0o755)  # nagios4 drops privileges to nagios
        d = self.dir
        for sub in ("conf.d", "var", "var/rw", "var/tmp", "var/spool/checkresults", "var/archives"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        uid = pwd.getpwnam("nagios").pw_uid
        gid = grp.getgrnam("nagios").gr_gid
        for root, dirs, _ in os.walk(os.path.join(d, "var")):
            os.chown(root, uid, gid)
            for x in dirs:
                os.chown(os.path.join(root, x), uid, gid)
        lines = []
        with open(DEBIAN_CFG) as f:
            for line in f:
                line = line.rstrip("\n")
                key, _, value = line.partition("=")
                if key == "cfg_dir" and value == "/etc/nagios4/conf.d":
                    line = "cfg_dir=" + os.path.join(d, "conf.d")
                elif key == "cfg_file" and value.endswith("/localhost.cfg") and not keep_localhost:
                    continue
                elif key in RUNTIME_KEYS:
                    line = key + "=" + os.path.join(d, RUNTIME_KEYS[key])
                elif key in OVERRIDES:
                    line = key + "=" + OVERRIDES[key]
                lines.append(line)
        self.nagios_cfg = os.path.join(d, "nagios.cfg")
        present = {l.partition("=")[0] for l in lines}
        for key, value in RUNTIME_KEYS.items():
            if key not in present:
                lines.append(key + "=" + os.path.join(d, value))
        with open(self.nagios_cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.templates = os.path.join(d, "templates.cfg")
        shutil.copy(TEMPLATES, self.templates)
        self.output_dir = os.path.join(d, "conf.d", "automon")
        self.state_dir = os.path.join(d, "state")
        self.config = os.path.join(d, "registrar.conf")
        with open(self.config, "w") as f:
            f.write("[registrar]\nstate_dir = %s\nquiet_period = %d\n%s[nagios]\noutput_dir = %s\n"
                    "nagios_cfg = %s\ntemplates_file = %s\nverify_command = %s\nreload_command = %s\n"
                    % (self.state_dir, quiet_period, registrar_settings, self.output_dir,
                       self.nagios_cfg, self.templates, verify_command, reload_command))

    def use_plugins(self, probes):
        """Makes $USER1$ a private plugin directory: Debian's plugins (as
        symlinks) plus the built probes, {name: path}, copied in (never one
        an installed automon-probes put into Debian's directory)."""
        plugins = os.path.join(self.dir, "plugins")
        os.makedirs(plugins)
        os.chmod(plugins, 0o755)
        for name, path in probes.items():
            shutil.copy(path, os.path.join(plugins, name))
            os.chmod(os.path.join(plugins, name), 0o755)
        for name in os.listdir(DEBIAN_PLUGINS):
            if name not in probes:
                os.symlink(os.path.join(DEBIAN_PLUGINS, name), os.path.join(plugins, name))
        resource = os.path.join(self.dir, "resource.cfg")
        with open(resource, "w") as f:
            f.write("$USER1$=%s\n" % plugins)
        self.set_nagios_option("resource_file", resource)
        return plugins

    def set_nagios_option(self, key, value):
        """Sets `key` in the private nagios.cfg, replacing any earlier value."""
        with open(self.nagios_cfg) as f:
            lines = [l for l in f.read().splitlines() if not l.startswith(key + "=")]
        lines.append("%s=%s" % (key, value))
        with open(self.nagios_cfg, "w") as f:
            f.write("\n".join(lines) + "\n")

    def run(self, *args, stdin=b"", timeout=120):
        return run(self.registrar, self.config, *args, stdin=stdin, timeout=timeout)

    def receive(self, host, document, timeout=120):
        return self.run("receive", "--host", host, stdin=document, timeout=timeout)

    def verify_live(self):
        """nagios4 -v on the private live configuration: (ok, output)."""
        p = subprocess.run([NAGIOS, "-v", self.nagios_cfg], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        return p.returncode == 0, p.stdout.decode("utf-8", "replace")

    def host_file(self, host):
        bucket = hashlib.sha256(host.encode()).hexdigest()[:2]
        path = os.path.join(self.output_dir, "hosts", bucket, host + ".cfg")
        if not os.path.exists(path):
            return None
        with open(path, "rb") as f:
            return f.read().decode("utf-8")

    def start_core(self):
        """nagios4 on the private configuration, its pid in core_pidfile
        (where reload_core's command looks). Stopped on leaving the block,
        or with stop()."""
        core = self.stop_on_exit(subprocess.Popen(
            [NAGIOS, self.nagios_cfg], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with open(self.core_pidfile, "w") as f:
            f.write(str(core.pid))
        return core

    def stop_on_exit(self, process):
        """Has stop() stop `process` on leaving the block; returns it."""
        self.processes.append(process)
        return process

    def force_checks(self, host, services):
        """Asks the running core to check each of `services` of `host` now."""
        now = int(time.time())
        with open(os.path.join(self.dir, RUNTIME_KEYS["command_file"]), "w") as f:
            for name in services:
                f.write("[%d] SCHEDULE_FORCED_SVC_CHECK;%s;%s;%d\n" % (now, host, name, now))

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def finish(self, ok):
        """finish() on the private directory: the exit code."""
        return finish(self.dir, ok)

    def __enter__(self):
        return self

    def __exit__(self, kind, value, traceback):
        for process in reversed(self.processes):
            stop(process)
        self.finish(kind is None)
        return False


def status_blocks(path):
    """The blocks of a Nagios status.dat as a list of (kind, {key: value})."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
    except FileNotFoundError:
        return []
    blocks = []
    kind, fields = None, {}
    for line in text.splitlines():
        line = line.strip()
        if line.endswith("{"):
            kind, fields = line[:-1].strip(), {}
        elif line == "}":
            blocks.append((kind, fields))
        elif "=" in line and kind:
            k, _, v = line.partition("=")
            fields[k] = v
    return blocks


def wait_for(what, predicate, timeout=60, interval=0.25):
    """Polls `predicate` every `interval` seconds until it returns something
    true, which is returned."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError("timed out waiting for " + what)


def stop(process, sig=signal.SIGTERM, timeout=20):
    """Sends `sig` to a process that still runs and waits for it; kills it
    if it is not gone after `timeout` seconds. None is nothing to stop."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def finish(path, ok):
    """After a run: removes the directory `path` if the run passed, keeps it
    for inspection and says where if not. Returns the exit code."""
    if ok:
        shutil.rmtree(path, ignore_errors=True)
    else:
        print("kept", path)
    return 0 if ok else 1
