#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every source file the project wrote starts with its SPDX license line
(issue #19 item 5): `// SPDX-License-Identifier: GPL-2.0-or-later` in C++
and polkit rules, `# ...` in Python, shell, CMake, make and systemd units,
`.\\" ...` in man pages; after the `#!` line where there is one.

Which files are source: C++ (.cc, .h), Python (.py), shell (.sh), CMake
(CMakeLists.txt, .cmake), man pages (man/*.N), systemd units (.service),
polkit rules (.rules) and every file that starts with `#!` (shell and
Python scripts, debian/rules and the maintainer scripts). Data (test
fixtures, seeds, monitoring-info definitions, debconf templates, dh lists)
is not.

First the checker is run on a temporary tree with known faults and must
find each of them; then it checks the repository (the files `git ls-files`
lists, or every file under the root when there is no git).

usage: spdx_test.py [ROOT]
"""

import os
import re
import subprocess
import sys
import tempfile

LICENSE = "SPDX-License-Identifier: GPL-2.0-or-later"
MAN_PAGE = re.compile(r"(^|/)man/[^/]+\.[1-8]$")


def comment(path, first_line):
    """The comment leader the SPDX line takes in PATH, or None if PATH is
    not a source file."""
    name = os.path.basename(path)
    if name.endswith((".cc", ".h", ".rules")):
        return "//"
    if MAN_PAGE.search(path):
        return '.\\"'
    if (name.endswith((".py", ".sh", ".cmake", ".service")) or name == "CMakeLists.txt"
            or first_line.startswith("#!")):
        return "#"
    return None


def expected(path, lines):
    """(index, line) the SPDX line must be at in PATH, or None."""
    leader = comment(path, lines[0] if lines else "")
    if leader is None:
        return None
    index = 1 if lines and lines[0].startswith("#!") else 0
    return index, "%s %s" % (leader, LICENSE)


def problems(root, files):
    found = []
    for rel in files:
        path = os.path.join(root, rel)
        if not os.path.isfile(path) or os.path.islink(path):
            continue
        with open(path, "rb") as f:
            head = f.read(4096).decode("utf-8", errors="replace")
        lines = head.splitlines()
        want = expected(rel, lines)
        if want is None:
            continue
        index, line = want
        if len(lines) <= index or lines[index] != line:
            found.append("%s:%d: expected %r" % (rel, index + 1, line))
    return found


def tree_files(root):
    if os.path.isdir(os.path.join(root, ".git")) or os.path.isfile(os.path.join(root, ".git")):
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True,
                             stdout=subprocess.PIPE).stdout.decode()
        return [f for f in out.split("\0") if f]
    files = []
    for top, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith((".", "build"))]
        files += [os.path.relpath(os.path.join(top, n), root) for n in names]
    return files


def self_test():
    """The checker finds what it must, and accepts what it must."""
    good = {
        "a.cc": "// %s\n#include <x>\n" % LICENSE,
        "a.h": "// %s\n#pragma once\n" % LICENSE,
        "run": "#!/bin/sh\n# %s\nexit 0\n" % LICENSE,
        "p.py": "# %s\n\"\"\"doc\"\"\"\n" % LICENSE,
        "CMakeLists.txt": "# %s\nadd_library(x)\n" % LICENSE,
        "man/x.8": ".\\\" %s\n.TH X 8\n" % LICENSE,
        "u.service": "# %s\n[Unit]\n" % LICENSE,
        "p.rules": "// %s\npolkit.addRule();\n" % LICENSE,
        "data/fixture": "no license line in data\n",
        "notes.txt": "neither here\n",
    }
    bad = {
        "b.cc": "#include <x>\n",
        "b.h": "/* %s */\n" % LICENSE,
        "script": "#!/usr/bin/python3\nprint()\n# %s\n" % LICENSE,
        "c.sh": "echo\n",
        "q.py": "# SPDX-License-Identifier: GPL-3.0-or-later\n",
        "x.cmake": "",
        "man/y.1": "# %s\n.TH Y 1\n" % LICENSE,
        "v.service": "[Unit]\n",
        "q.rules": "polkit.addRule();\n",
        "debian/rules": "#!/usr/bin/make -f\n%:\n",
    }
    with tempfile.TemporaryDirectory(prefix="automon-spdx-") as root:
        for rel, text in list(good.items()) + list(bad.items()):
            os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w") as f:
                f.write(text)
        found = problems(root, tree_files(root))
    reported = {p.split(":", 1)[0] for p in found}
    ok = True
    for rel in sorted(bad):
        if rel not in reported:
            print("FAIL: the checker missed %s" % rel)
            ok = False
    for rel in sorted(set(good) & reported):
        print("FAIL: the checker rejected %s" % rel)
        ok = False
    return ok


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), "..", ".."))
    if not self_test():
        return 1
    print("ok: the checker finds each planted fault")
    found = problems(root, tree_files(root))
    for p in found:
        print(p)
    if found:
        print("FAIL: %d source file(s) lack the SPDX line" % len(found))
        return 1
    print("ok: every source file in %s has the SPDX line" % root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
