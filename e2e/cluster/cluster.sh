#!/usr/bin/env bash
# cluster.sh up|down DIR runs the control plane for manual use (make cluster,
# make cluster-down) with its state in DIR and the two seed nodes created.
# "up" is idempotent: a running cluster in DIR is kept, a stale one (from a
# killed run) is cleaned up and started afresh.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CMD=${1:?usage: cluster.sh up|down DIR}
DIR=${2:?usage: cluster.sh up|down DIR}

running() {
  [ -s "$DIR/pids/kube-apiserver.pid" ] && [ -x "$DIR/bin/kubectl" ] || return 1
  local f stat
  for f in "$DIR"/pids/*.pid; do
    read -r stat 2>/dev/null <"/proc/$(cat "$f")/stat" || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ] || return 1
  done
  KUBECACHEDIR=$DIR/kube-cache "$DIR/bin/kubectl" --kubeconfig="$DIR/admin.kubeconfig" \
    --request-timeout=5s get --raw /readyz >/dev/null 2>&1
}

case $CMD in
up)
  start=$(date +%s%N)
  if running; then
    echo "control plane already running in $DIR"
  else
    [ -d "$DIR/pids" ] && "$HERE/down.sh" "$DIR"
    rm -rf "$DIR"
    "$HERE/up.sh" "$DIR"
  fi
  KC=("$DIR/bin/kubectl" "--kubeconfig=$DIR/admin.kubeconfig")
  export KUBECACHEDIR=$DIR/kube-cache
  "${KC[@]}" apply -f "$ROOT/kube/kubetest/testdata/nodes.yaml" >/dev/null
  "${KC[@]}" wait --for=condition=Ready node --all --timeout=60s >/dev/null
  # New nodes are tainted not-ready until the node-lifecycle controller sees them Ready.
  P=$DIR/pki
  for _ in $(seq 300); do
    curl -sf --max-time 10 --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" \
      "$(sed -n 's/^ *server: //p' "$DIR/admin.kubeconfig")/api/v1/nodes" | grep -q '"taints"' || break
    sleep 0.2
  done
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  printf 'control plane up in %d.%03d s; state in %s\n' $((ms / 1000)) $((ms % 1000)) "$DIR"
  cat <<MSG
  admin:     $DIR/bin/kubectl --kubeconfig $DIR/admin.kubeconfig get nodes
  read-only: $DIR/readonly.kubeconfig (user kuberesponder, get/list/watch)
  audit log: $DIR/audit.log
  shell:     . $DIR/env
  stop:      make cluster-down
MSG
  ;;
down)
  [ -d "$DIR" ] && "$HERE/down.sh" "$DIR"
  echo "control plane in $DIR stopped"
  ;;
*)
  echo "usage: cluster.sh up|down DIR" >&2
  exit 2
  ;;
esac
