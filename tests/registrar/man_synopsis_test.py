#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""automon-registrar(8)'s SYNOPSIS lists exactly the commands of the command
table (registrar/cli/commands.cc), as `automon-registrar --help` prints them.

    man_synopsis_test.py REGISTRAR MAN_PAGE
"""
import re
import subprocess
import sys


def man_synopses(page):
    text = open(page).read()
    section = text.split(".SH SYNOPSIS\n", 1)[1].split("\n.SH ", 1)[0]
    entries = []
    for block in section.split("\n.br\n"):
        words = []
        for line in block.splitlines():
            macro, _, rest = line.partition(" ")
            args = rest.split(" ")
            if macro in (".B", ".I"):
                words.append(" ".join(args))
            elif macro in (".RB", ".IR", ".BR", ".BI", ".RI", ".IB"):
                words.append("".join(args))
            else:
                raise SystemExit("unexpected line in SYNOPSIS: %r" % line)
        entry = " ".join(words).replace("\\-", "-")
        prefix = "automon-registrar [--config FILE] "
        if not entry.startswith(prefix):
            continue  # -h|--help|-V|--version
        entry = entry[len(prefix):]
        names, _, rest = entry.partition(" ")
        for name in names.split("|"):
            entries.append((name + " " + rest).strip())
    return entries


def help_synopses(registrar):
    out = subprocess.run([registrar, "--help"], check=True, capture_output=True, text=True).stdout
    commands = out.split("commands:\n", 1)[1]
    return [re.split(r" {2,}", line.strip())[0] for line in commands.splitlines()
            if re.match(r"^  [a-z]", line)]


def main():
    registrar, page = sys.argv[1], sys.argv[2]
    man, table = man_synopses(page), help_synopses(registrar)
    if len(table) < 11:
        print("FAIL: --help lists %d commands: %r" % (len(table), table))
        return 1
    if sorted(man) != sorted(table):
        print("FAIL: SYNOPSIS and the command table differ")
        print("  only in the man page:   %r" % sorted(set(man) - set(table)))
        print("  only in the table:      %r" % sorted(set(table) - set(man)))
        return 1
    print("ok: %d commands, SYNOPSIS matches the command table" % len(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
