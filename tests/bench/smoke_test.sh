#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# The benchmarks of bench/ at their smallest sizes: each must run to its
# end and print its figures (they are not timed here; bench/README.md).
# Root: bench/agent/run makes network and mount namespaces of its own.
# A benchmark that rots is found by CI, not by the next session that
# needs its figures.
# usage: smoke_test.sh SOURCE_DIR BUILD_DIR
set -eu
src=$1
build=$2
registrar=$build/registrar/automon-registrar
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run() {  # run ARGV...: the benchmark ends well, or the test fails with its output
  status=0
  "$@" >"$out" 2>&1 || status=$?
  if [ "$status" != 0 ]; then
    cat "$out" >&2
    echo "FAIL: exit status $status from $*" >&2
    exit 1
  fi
}

expect() {  # expect NAME PATTERN: the last run printed a line matching PATTERN
  if ! grep -Eq "$2" "$out"; then
    echo "FAIL: $1 printed no line matching '$2':" >&2
    cat "$out" >&2
    exit 1
  fi
  echo "ok: $1"
}

run "$src/bench/registrar/run" --registrar "$registrar" --sizes 10 --runs 1
expect "bench/registrar/run (nagios, checkmk, icinga2)" '^\| 10 \| [0-9.]+ s \|.*\| [0-9.]+ ms \| [0-9.]+ MiB \|$'
[ "$(grep -Ec '^\| 10 \|' "$out")" = 3 ] || { cat "$out" >&2; echo "FAIL: not one row per backend" >&2; exit 1; }

run "$src/bench/icinga2/run" --registrar "$registrar" --sizes 10 --runs 1
expect "bench/icinga2/run" '^\| 10 \| [0-9.]+ s \|.*\| [0-9.]+x \|$'

run "$src/bench/agent/run" --build "$build" --runs 1 --idle-seconds 1
expect "bench/agent/run" '^  registrar = address: +median [0-9.]+ s'
expect "bench/agent/run (idle)" '^  CPU time: +[0-9.]+ s \| [0-9.]+ s \| [0-9.]+ s$'

run "$src/bench/ssh/run" --build "$build" --agents 5
expect "bench/ssh/run" '^ssh: 5 agents pushed in [0-9.]+ s; .* reloads; registrar VmHWM'
expect "bench/ssh/run (reference)" "^reference: 5 concurrent 'automon-registrar receive'"
