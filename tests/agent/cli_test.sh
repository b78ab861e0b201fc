#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Black-box tests of the automon-agent binary: exact output and exit codes
# for the shipped definitions and for a directory of broken files.
#
#   tests/agent/cli_test.sh PATH/TO/automon-agent
set -euo pipefail
agent=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$root"
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# expect CODE NAME -- COMMAND...: runs COMMAND, compares the exit code and,
# when tests/agent/expected/NAME.{out,err} exist, stdout and stderr.
# AUTOMON_UPDATE_GOLDEN=1 rewrites those files instead (after a deliberate
# change of the output, e.g. of a renderer; review the diff).
expect() {
    local code=$1 name=$2
    shift 3
    local actual=0
    "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || actual=$?
    [ "$actual" = "$code" ] || fail "$name: exit $actual, expected $code"
    for stream in out err; do
        if [ -f "$here/expected/$name.$stream" ] && [ "${AUTOMON_UPDATE_GOLDEN:-}" = 1 ]; then
            cp "$tmp/$name.$stream" "$here/expected/$name.$stream"
        elif [ -f "$here/expected/$name.$stream" ]; then
            diff -u "$here/expected/$name.$stream" "$tmp/$name.$stream" >&2 ||
                fail "$name: std$stream differs"
        fi
    done
}

# The shipped definitions are valid (one warning: guacamole's password).
expect 0 shipped -- "$agent" --config /dev/null check monitoring-info.d

# One precise diagnostic per fault, the valid sections still listed, dpkg
# leftovers, editor backups and hidden files ignored, exit 1. The backup
# (`backup~`) is made here, in a copy: a tracked *~ file would be deleted by
# dh_clean when the packages are built in the checkout.
[ -z "$(find "$here" -name '*~')" ] || fail "a *~ fixture under tests/agent: dh_clean deletes it"
mkdir -p "$tmp/tree/tests/agent"
cp -a tests/agent/broken "$tmp/tree/tests/agent/"
printf 'garbage that would fail\n' >"$tmp/tree/tests/agent/broken/backup~"
cd "$tmp/tree"
expect 1 broken -- "$agent" --config /dev/null check tests/agent/broken
cd "$root"

# show: secrets redacted, package conditions explained.
mkdir -p "$tmp/dpkg" "$tmp/defs"
printf 'Package: openssh-server\nStatus: install ok installed\n\nPackage: slapd\nStatus: deinstall ok config-files\n' >"$tmp/dpkg/status"
cp monitoring-info.d/openssh-server monitoring-info.d/slapd "$tmp/defs/"
printf '[box]\ntype = imap\nusername = probe\npassword = TopSecret42\n' >"$tmp/defs/box"
expect 0 show -- "$agent" --config /dev/null show "$tmp/defs" --dpkg-admindir "$tmp/dpkg"
grep -q TopSecret42 "$tmp/show.out" && fail "show printed a secret"
grep -q '^password = (secret)$' "$tmp/show.out" || fail "show did not redact the password"
grep -q "^# $tmp/defs/slapd:4: not registered: package slapd is not installed$" "$tmp/show.out" ||
    fail "show did not explain the inactive slapd"

# snapshot: the secret travels, removals are named, the header is right.
expect 0 snapshot -- "$agent" --config /dev/null snapshot "$tmp/defs" --name h.example.org \
    --generation 5 --dpkg-admindir "$tmp/dpkg"
grep -q '^password = TopSecret42$' "$tmp/snapshot.out" || fail "snapshot lost the secret"
grep -q '^slapd = package-removed$' "$tmp/snapshot.out" || fail "snapshot did not name the removal"
grep -q '^services = 2$' "$tmp/snapshot.out" || fail "snapshot service count"
# The hash covers every byte after the sha256 line: recompute it here,
# independently of the C++ code, as another producer would.
declared=$(sed -n 's/^sha256 = //p' "$tmp/snapshot.out")
actual=$(sed '1,/^sha256 = /d' "$tmp/snapshot.out" | sha256sum | cut -d' ' -f1)
[ "$declared" = "$actual" ] || fail "snapshot hash $declared, body hashes to $actual"

# A missing directory or dpkg database refuses; nothing on stdout.
expect 1 missing -- "$agent" --config /dev/null snapshot "$tmp/nope" --name h
[ -s "$tmp/missing.out" ] && fail "snapshot printed something for a missing directory"
expect 1 nodpkg -- "$agent" --config /dev/null snapshot "$tmp/defs" --name h --dpkg-admindir "$tmp/nope"
[ -s "$tmp/nodpkg.out" ] && fail "snapshot printed something without a package database"

# show --render: the registrar's host file for a fixed directory, byte for
# byte (SOURCE_DATE_EPOCH pins the header's time), the bind password named
# by its file only. A deliberate change of a renderer's output changes
# these files too: AUTOMON_UPDATE_GOLDEN=1 (above). tests/agent/render_test.py gives the same output to
# nagios4 -v and compares it with what automon-registrar receive writes.
for backend in nagios checkmk; do
    expect 0 render-$backend -- env SOURCE_DATE_EPOCH=1795000000 "$agent" --config /dev/null \
        show --render $backend tests/agent/render --name web01.example.org --address 192.0.2.10 \
        --generation 7 --dpkg-admindir tests/agent/render-dpkg
    grep -q GoldenS3cret "$tmp/render-$backend.out" "$tmp/render-$backend.err" &&
        fail "show --render $backend printed a password"
    grep -q "/var/lib/automon/secrets/1a/web01.example.org@directory.7.password" \
        "$tmp/render-$backend.out" || fail "show --render $backend lost the password file"
done
# Checkmk runs the .mk file as Python: it must at least parse.
python3 -c 'import ast, sys; ast.parse(open(sys.argv[1]).read())' "$tmp/render-checkmk.out" ||
    fail "show --render checkmk is not Python"
# Errors in definitions: exit 1, diagnostics on stderr, the valid services
# still rendered.
expect 1 render-broken -- "$agent" --config /dev/null show --render nagios tests/agent/broken \
    --name h.example.org --dpkg-admindir tests/agent/render-dpkg
grep -q '^tests/agent/broken/syntax:1:1: error: ' "$tmp/render-broken.err" ||
    fail "show --render did not report the broken definitions"
grep -q '^define host {$' "$tmp/render-broken.out" || fail "show --render rendered nothing"
grep -q '^    _AUTOMON_SERVICE' "$tmp/render-broken.out" ||
    fail "show --render left out the valid services"
# Anything but nagios or checkmk is a usage error, nothing on stdout.
expect 2 render-bad -- "$agent" --config /dev/null show --render icinga tests/agent/render
grep -qx "automon-agent: invalid value 'icinga' for '--render': expected nagios, checkmk, icinga2 or prometheus" \
    "$tmp/render-bad.err" || fail "show --render icinga: unclear message"
[ -s "$tmp/render-bad.out" ] && fail "show --render icinga printed something"

# Usage errors exit 2.
expect 2 usage -- "$agent" frobnicate
expect 2 usage2 -- "$agent" check a b

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)" >&2
    exit 1
fi
echo "all agent CLI tests passed"
