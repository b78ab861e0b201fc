#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Every subcommand of automon-registrar answers `COMMAND --help` (and -h)
# with its own usage, exit 0, without reading a configuration.
#
#   tests/registrar/help_test.sh PATH/TO/automon-registrar
set -euo pipefail
registrar=$1
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

commands=$("$registrar" --help | sed -n 's/^  \([a-z]\+\)\( .*\)\?$/\1/p')
[ "$(echo "$commands" | wc -l)" -ge 11 ] || fail "expected 11 commands, got: $commands"
for c in $commands; do
    for h in --help -h; do
        code=0
        out=$("$registrar" --config /nonexistent/registrar.conf "$c" x "$h" 2>&1) || code=$?
        [ "$code" = 0 ] || fail "$c $h: exit $code: $out"
        case "$out" in
        "usage: automon-registrar [--config FILE] $c"*) ;;
        *) fail "$c $h: $out" ;;
        esac
    done
done
code=0
"$registrar" frobnicate --help >/dev/null 2>&1 || code=$?
[ "$code" = 64 ] || fail "unknown command --help: exit $code"
[ "$failures" = 0 ] && echo "1 passed, 0 failed" && exit 0
echo "0 passed, 1 failed"
exit 1
