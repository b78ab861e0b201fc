#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# Every executable the packages install is linked as Debian's
# hardening=+all links it, whatever built it (cmake/automon.cmake): a
# position-independent executable, full RELRO (a GNU_RELRO segment and
# BIND_NOW), so CI and bench/ run what ships.
# usage: hardening_test.sh EXECUTABLE...
set -eu
failed=0
for exe in "$@"; do
  headers=$(readelf -hW "$exe")
  segments=$(readelf -lW "$exe")
  dynamic=$(readelf -dW "$exe")
  problems=""
  echo "$headers" | grep -Eq 'Type: +DYN ' || problems="$problems not-PIE"
  echo "$segments" | grep -q 'GNU_RELRO' || problems="$problems no-GNU_RELRO"
  echo "$dynamic" | grep -Eq '\(FLAGS\) +BIND_NOW|\(FLAGS_1\) +Flags:.* NOW' || problems="$problems no-BIND_NOW"
  if [ -n "$problems" ]; then
    echo "FAIL: $exe:$problems" >&2
    failed=1
  else
    echo "ok: $exe"
  fi
done
exit "$failed"
