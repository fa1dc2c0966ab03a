#!/usr/bin/env bash
# down.sh DIR stops the processes up.sh DIR started, by the PIDs it recorded
# (each checked to still be ours): SIGTERM to all but etcd at once, then to
# etcd (it waits for the apiserver's streams otherwise), SIGKILL to whatever
# is left after 10 s.
set -uo pipefail
DIR=${1:?usage: down.sh DIR}
DIR=$(cd "$DIR" 2>/dev/null && pwd) || exit 0

# running PID: the process exists and is not a zombie waiting to be reaped.
running() {
  local stat
  read -r stat 2>/dev/null <"/proc/$1/stat" || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# stop PID...: SIGTERM, then SIGKILL after 10 s.
stop() {
  local pid alive
  [ $# -gt 0 ] || return 0
  kill "$@" 2>/dev/null
  for _ in $(seq 100); do
    alive=0
    for pid in "$@"; do running "$pid" && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.1
  done
  for pid in "$@"; do running "$pid" && kill -9 "$pid" 2>/dev/null; done
  return 0
}

first=() last=()
for f in "$DIR"/pids/*.pid; do
  [ -f "$f" ] || continue
  pid=$(cat "$f")
  rm -f "$f"
  [ "$pid" = "$PPID" ] && continue   # the watchdog runs this script
  # A PID left from an earlier boot may belong to someone else now: every
  # process of ours names DIR on its command line.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DIR" || continue
  if [ "$(basename "$f")" = etcd.pid ]; then last+=("$pid"); else first+=("$pid"); fi
done
stop "${first[@]}"
stop "${last[@]}"
rmdir "$DIR/pids" 2>/dev/null
exit 0
