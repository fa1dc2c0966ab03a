#!/usr/bin/env bash
# down.sh DIR stops the processes up.sh DIR started, by the PIDs it recorded:
# SIGTERM to all at once, up to 10 s to exit, then SIGKILL.
set -uo pipefail
DIR=${1:?usage: down.sh DIR}
pids=()
for f in "$DIR"/pids/*.pid; do
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  rm -f "$f"
  [ "$pid" = "$$" ] && continue   # the watchdog runs this script as itself
  kill "$pid" 2>/dev/null && pids+=("$pid")
done
for _ in $(seq 100); do
  alive=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
  [ "$alive" = 0 ] && break
  sleep 0.1
done
for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null; done
rmdir "$DIR/pids" 2>/dev/null
exit 0
