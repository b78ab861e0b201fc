"""Stand-in of cmk.utils.password_store.replace_passwords(): the documented
--pwstore=ARG@OFFSET@ID[,ARG@OFFSET@ID...] argument names, for each stored
password, the argument (1-based, counted without --pwstore) and the offset
where the masked placeholder in it is to be replaced. The store here is the
test's file $AUTOMON_STANDIN_PWSTORE ("id:password" lines); in a site it is
the site's own password store."""

import os
import sys


def _load():
    store = {}
    with open(os.environ["AUTOMON_STANDIN_PWSTORE"]) as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition(":")
            store[key] = value
    return store


def replace_passwords():
    if len(sys.argv) < 2 or not sys.argv[1].startswith("--pwstore="):
        return
    spec = sys.argv[1][len("--pwstore="):]
    del sys.argv[1]
    store = _load()
    for entry in spec.split(","):
        index, offset, pw_id = entry.split("@", 2)
        index, offset = int(index), int(offset)
        arg = sys.argv[index]
        password = store[pw_id]
        sys.argv[index] = arg[:offset] + password + arg[offset + len(password):]
