#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Builds the automon Guacamole extension for Checkmk as an MKP.

An MKP is a gzip-compressed tar holding
  info                    the package description, a Python literal (dict)
  info.json               the same as JSON
  cmk_addons_plugins.tar  the files, relative to local/lib/python3/cmk_addons/plugins

as `mkp package` writes it (Checkmk's devel_mkps documentation). The output is
reproducible: fixed modification times, owner root, sorted members.

usage: build_mkp.py --source DIR --probe FILE --version X.Y.Z --output FILE.mkp
                    [--strip STRIP]

With --strip, the probe's debug information is removed (strip --strip-debug)
before it goes into the package: nothing strips files inside an archive later.
"""

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

NAME = "automon_guacamole"
FAMILY = "guacamole"
# Files of the extension below --source, and their modes.
SOURCES = {
    "libexec/check_guacamole": 0o755,
    "rulesets/guacamole.py": 0o644,
    "server_side_calls/guacamole.py": 0o644,
    "checkman/check_guacamole": 0o644,
}
PROBE = "libexec/check_guacamole.bin"
MTIME = 0


def member(name, data, mode):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = MTIME
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info, io.BytesIO(data)


def tar_bytes(files):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name in sorted(files):
            data, mode = files[name]
            tar.addfile(*member(name, data, mode))
    return out.getvalue()


def package_info(version, paths):
    return {
        "name": NAME,
        "title": "automon: Apache Guacamole active sessions",
        "description": (
            "The active check check_guacamole (automon) with the rule "
            "'Apache Guacamole active sessions': counts the active sessions of an "
            "Apache Guacamole server through its REST API. The password comes from "
            "Checkmk's password store and never appears in a process list."
        ),
        "version": version,
        "version.packaged": "2.3.0",
        "version.min_required": "2.3.0",
        "version.usable_until": None,
        "author": "automon",
        "download_url": "",
        "files": {"cmk_addons_plugins": paths},
    }


def probe_bytes(probe, strip):
    if not strip:
        with open(probe, "rb") as f:
            return f.read()
    with tempfile.TemporaryDirectory() as tmp:
        stripped = os.path.join(tmp, "probe")
        subprocess.run([strip, "--strip-debug", "-o", stripped, probe], check=True)
        with open(stripped, "rb") as f:
            return f.read()


def build(source, probe, version, output, strip=None):
    files = {}
    for rel, mode in SOURCES.items():
        with open(os.path.join(source, rel), "rb") as f:
            files[FAMILY + "/" + rel] = (f.read(), mode)
    files[FAMILY + "/" + PROBE] = (probe_bytes(probe, strip), 0o755)
    paths = sorted(files)
    info = package_info(version, paths)
    top = {
        "info": (repr(info).encode() + b"\n", 0o644),
        "info.json": (json.dumps(info, sort_keys=True).encode() + b"\n", 0o644),
        "cmk_addons_plugins.tar": (tar_bytes(files), 0o644),
    }
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=MTIME, filename="") as gz:
        gz.write(tar_bytes(top))
    tmp = output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(raw.getvalue())
    os.replace(tmp, output)


def main(argv):
    parser = argparse.ArgumentParser(description="Build the automon Guacamole MKP.")
    parser.add_argument("--source", required=True, help="checkmk/guacamole")
    parser.add_argument("--probe", required=True, help="the built check_guacamole")
    parser.add_argument("--version", required=True)
    parser.add_argument("--output", required=True)
    parser.add_argument("--strip", help="strip(1) to remove the probe's debug information with")
    args = parser.parse_args(argv)
    build(args.source, args.probe, args.version, args.output, args.strip)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
