# SPDX-License-Identifier: GPL-2.0-or-later
"""Fake of cmk.utils.password_store for the tests (a site's real module
cannot run outside the site), following Checkmk's contract (lookup() in
cmk/utils/password_store, as Checkmk 2.3 and 2.4 have it):

- lookup(pw_file: Path, pw_id: str) -> str: the password with id `pw_id`
  in the store file `pw_file`; ValueError when the id is not in it (a
  missing file is an empty store, as in Checkmk).
- The file is not readable without this module: Checkmk encrypts it with
  the site's key; here it is a header and base64-encoded JSON, so a
  launcher that parses the file itself finds nothing.

save(passwords, path) writes a store file, as the site does at activation.
When $AUTOMON_FAKE_LOOKUP_LOG is set, each lookup appends a JSON line
{"file": ..., "id": ...} to it, so a test sees what was asked for."""

import base64
import json
import os
from pathlib import Path

_HEADER = b"automon-fake-password-store-1\n"


def save(passwords, store_path):
    data = json.dumps(dict(passwords), sort_keys=True).encode()
    Path(store_path).write_bytes(_HEADER + base64.b64encode(data) + b"\n")


def _load(store_path):
    try:
        raw = store_path.read_bytes()
    except FileNotFoundError:
        return {}
    if not raw:
        return {}
    if not raw.startswith(_HEADER):
        raise RuntimeError("not a password store file")  # as a failed decryption
    return json.loads(base64.b64decode(raw[len(_HEADER):]))


def lookup(pw_file, pw_id):
    if not isinstance(pw_file, Path) or not isinstance(pw_id, str):
        raise TypeError("lookup(pw_file: Path, pw_id: str)")
    log = os.environ.get("AUTOMON_FAKE_LOOKUP_LOG")
    if log:
        with open(log, "a") as f:
            f.write(json.dumps({"file": str(pw_file), "id": pw_id}) + "\n")
    try:
        return _load(pw_file)[pw_id]
    except KeyError:
        raise ValueError(f"Password '{pw_id}' not found in {pw_file}") from None
