#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# automon-agent-run kills a push child that hangs past its limit and treats
# it as a failed push (retried with backoff), and leaves no child behind.
# usage: run_child_limit_test.sh PATH-TO-automon-agent-run
set -eu
run=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/defs"
# A stand-in for automon-agent: answers the plan, hangs on push.
cat > "$dir/agent" <<SCRIPT
#!/bin/sh
for a in "\$@"; do
  case "\$a" in
    --plan) printf 'directory=$dir/defs\nidle=0\n'; exit 0;;
    push) echo "\$\$" >> "$dir/pids"; exec sleep 300;;
  esac
done
SCRIPT
chmod +x "$dir/agent"
timeout 8 "$run" --agent "$dir/agent" --child-limit 1000 --start-jitter 0 --retry-base 500 \
  --debounce 100 > "$dir/out" 2>&1 || true
cat "$dir/out"
fail() { echo "FAIL: $*"; exit 1; }
grep -q "still running after 1 s; killed" "$dir/out" || fail "the hung push was not killed"
grep -q "push failed; retry 2" "$dir/out" || fail "no retry after a killed push"
[ "$(wc -l < "$dir/pids")" -ge 2 ] || fail "the push was not tried again"
while read -r pid; do
  if kill -0 "$pid" 2>/dev/null; then fail "push child $pid still runs"; fi
done < "$dir/pids"
echo PASS
