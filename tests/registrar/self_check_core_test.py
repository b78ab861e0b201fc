#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The registrar's self-check against a running Nagios 4 core: `render`
adds the monitoring server's own host with the service "automon registrar",
the core runs it as the nagios user (who may read only the status file,
0640 group nagios), and its state in status.dat follows the registrar's:
OK, WARNING for a waiting enrollment, CRITICAL for a quarantined host,
UNKNOWN without a status file.

usage: self_check_core_test.py --registrar PATH
"""

import os
import shutil
import stat
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import regtest  # noqa: E402

SELF = "monitor.example.org"
SERVICE = "automon registrar"


def main():
    args = regtest.parse_args("--registrar")
    with regtest.NagiosEnv(args.registrar, reload_core=True,
                           registrar_settings="self_check_host = %s\n" % SELF) as env:
        status = os.path.join(env.dir, regtest.RUNTIME_KEYS["status_file"])
        command_file = os.path.join(env.dir, regtest.RUNTIME_KEYS["command_file"])
        # $USER1$/check_automon_registrar as the package's wrapper is, but
        # for this test's registrar and configuration.
        plugins = env.use_plugins({})
        registrar = os.path.join(plugins, "automon-registrar")
        shutil.copy(args.registrar, registrar)
        os.chmod(registrar, 0o755)
        wrapper = os.path.join(plugins, "check_automon_registrar")
        with open(wrapper, "w") as f:
            f.write("#!/bin/sh\nexec %s --config %s check \"$@\"\n" % (registrar, env.config))
        os.chmod(wrapper, 0o755)
        # An administrator's own host, which a registration may not replace.
        with open(os.path.join(env.dir, "conf.d", "admin.cfg"), "w") as f:
            f.write("define host {\n    use automon-host\n    host_name taken.example.org\n"
                    "    address 127.0.0.1\n}\n")

        code, out, err = env.receive("first.example.org", regtest.make_snapshot(
            "first.example.org", [("ssh", [("type", "ssh")])], address="127.0.0.1"))
        assert code == 0, (out, err)
        code, out, err = env.run("render")
        assert code == 0, (out, err)
        assert "automon registrar" in (env.host_file(SELF) or ""), env.host_file(SELF)
        mode = os.stat(os.path.join(env.state_dir, "status"))
        assert stat.S_IMODE(mode.st_mode) == 0o640, oct(mode.st_mode)
        assert mode.st_gid == regtest.grp.getgrnam("nagios").gr_gid, mode.st_gid

        core = env.start_core()

        def state_after(since):
            """(current_state, plugin_output, perfdata) of the service once
            Nagios has checked it after `since`."""
            def checked():
                for k, f in regtest.status_blocks(status):
                    if (k == "servicestatus" and f.get("host_name") == SELF and
                            f.get("service_description") == SERVICE and
                            int(f.get("last_check", "0")) > since):
                        return (f.get("current_state"), f.get("plugin_output", ""),
                                f.get("performance_data", ""))
                if os.path.exists(command_file):
                    env.force_checks(SELF, [SERVICE])
                return None
            return regtest.wait_for("a check of %r after %d" % (SERVICE, since), checked, timeout=90)

        def expect(state, prefix, what):
            since = int(time.time())
            time.sleep(1.1)  # last_check has a resolution of seconds
            found = state_after(since)
            print("status.dat (%s): current_state=%s plugin_output=%s | %s" % ((what,) + found))
            assert found[0] == state and found[1].startswith(prefix), (what, found)
            return found

        _, _, perfdata = expect("0", "AUTOMON REGISTRAR OK - 1 hosts, 1 services active", "healthy")
        for label in ("hosts=1", "services=1", "pending=0", "quarantined=0", "silent=0",
                      "last_activation_seconds="):
            assert label in perfdata, perfdata

        # An enrollment waits: WARNING once the registrar rewrote its status.
        pending = os.path.join(env.state_dir, "enrollment", "pending")
        os.makedirs(pending, exist_ok=True)
        with open(os.path.join(pending, "new.example.org"), "w") as f:
            f.write("[key]\nhost = new.example.org\n")
        code, out, err = env.run("render")
        assert code == 0, (out, err)
        expect("1", "AUTOMON REGISTRAR WARNING - 1 enrollments waiting", "enrollment waiting")

        # A host Nagios refuses is quarantined: CRITICAL.
        code, out, err = env.receive("taken.example.org", regtest.make_snapshot(
            "taken.example.org", [("ssh", [("type", "ssh")])], address="127.0.0.1"))
        assert code == 2 and "quarantined" in out, (out, err)
        expect("2", "AUTOMON REGISTRAR CRITICAL - 1 quarantined (e.g. taken.example.org)",
               "quarantined")

        # No status file: UNKNOWN, saying why.
        os.unlink(os.path.join(env.state_dir, "status"))
        expect("3", "AUTOMON REGISTRAR UNKNOWN - ", "no status file")
        assert core.poll() is None, "the core exited"
    print("self-check core test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
