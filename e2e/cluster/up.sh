#!/usr/bin/env bash
# up.sh DIR starts a test control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler and kwok) listening on 127.0.0.1 only,
# with all its state in DIR, and returns once the cluster is usable (the
# default ServiceAccount exists). Stop it with down.sh DIR.
#
# Environment:
#   CONTROLPLANE_DIR  directory printed by build.sh (bin/, etc/); built when unset
#   API_PORT, ETCD_PORT, ETCD_PEER_PORT, KUBELET_PORT
#                     loopback ports (defaults 6443, 2379, 2380, 10250)
#   KCM_CONTROLLERS   kube-controller-manager --controllers value (default: the list below)
#   WATCH_PID         when set, everything is stopped as soon as that process exits
#   WATCH_REMOVE=1    ... and DIR is removed then
#
# DIR afterwards: admin.kubeconfig, readonly.kubeconfig (user kuberesponder,
# get/list/watch on everything), audit.log (that user's requests and those of the
# ServiceAccounts of namespace kuberesponder only, Metadata level), bin/kubectl, env (export lines), pki/, logs/, pids/.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${1:?usage: up.sh DIR}
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
API_PORT=${API_PORT:-6443} ETCD_PORT=${ETCD_PORT:-2379}
ETCD_PEER_PORT=${ETCD_PEER_PORT:-2380} KUBELET_PORT=${KUBELET_PORT:-10250}
CONTROLPLANE_DIR=${CONTROLPLANE_DIR:-$("$HERE/build.sh")}
BIN=$CONTROLPLANE_DIR/bin
# Controllers the scenarios rely on. Fewer controllers start faster; each one
# listed here is something a realistic incident can involve.
KCM_CONTROLLERS=${KCM_CONTROLLERS:-deployment-controller,replicaset-controller,statefulset-controller,daemonset-controller,job-controller,cronjob-controller,namespace-controller,serviceaccount-controller,serviceaccount-token-controller,garbage-collector-controller,node-lifecycle-controller,root-ca-certificate-publisher-controller,endpoints-controller,endpointslice-controller,pod-garbage-collector-controller,taint-eviction-controller,resourcequota-controller,persistentvolume-binder-controller,persistentvolumeclaim-protection-controller,persistentvolume-protection-controller,disruption-controller,horizontal-pod-autoscaler-controller,ttl-after-finished-controller}

# A stale run in DIR is stopped and cleared first.
[ -d "$DIR/pids" ] && "$HERE/down.sh" "$DIR"
rm -rf "$DIR/pki" "$DIR/logs" "$DIR/pids" "$DIR/etcd" "$DIR/kube-cache" "$DIR/bin" \
  "$DIR/admin.kubeconfig" "$DIR/readonly.kubeconfig" "$DIR/audit.log" "$DIR/audit-policy.yaml" "$DIR/env" "$DIR/kwok-logs.yaml"
mkdir -p "$DIR/logs" "$DIR/pids" "$DIR/bin"
ln -s "$BIN/kubectl" "$DIR/bin/kubectl"

fail() {
  echo "up.sh: $*" >&2
  for f in "$DIR"/logs/*.log; do
    [ -s "$f" ] || continue
    echo "--- last lines of $f" >&2
    tail -n 15 "$f" >&2
  done
  "$HERE/down.sh" "$DIR" || true
  exit 1
}
trap 'fail "failed at line $LINENO"' ERR

P=$DIR/pki
"$HERE/certs.sh" "$P" "https://127.0.0.1:$API_PORT"
cp "$P/admin.kubeconfig" "$DIR/admin.kubeconfig"
cp "$P/readonly.kubeconfig" "$DIR/readonly.kubeconfig"

cat > "$DIR/audit-policy.yaml" <<'YAML'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
  users: ["kuberesponder"]
- level: Metadata
  userGroups: ["system:serviceaccounts:kuberesponder"]
- level: None
YAML

watched() { [ -z "${WATCH_PID:-}" ] || kill -0 "$WATCH_PID" 2>/dev/null || fail "process $WATCH_PID is gone"; }
start() {
  watched
  local name=$1
  shift
  "$@" >"$DIR/logs/$name.log" 2>&1 &
  echo $! >"$DIR/pids/$name.pid"
}

if [ -n "${WATCH_PID:-}" ]; then
  # Stops every process of this run once WATCH_PID is gone, however it ended.
  start watchdog bash -c 'trap "kill \$t; exit 0" TERM; tail --pid="$1" -f /dev/null & t=$!; wait $t
    "$2" "$3"; [ "$4" != 1 ] || rm -rf "$3"' watchdog "$WATCH_PID" "$HERE/down.sh" "$DIR" "${WATCH_REMOVE:-0}"
fi

start etcd "$BIN/etcd" --name=e2e --data-dir="$DIR/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="e2e=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync

start kube-apiserver "$BIN/kube-apiserver" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
  --endpoint-reconciler-type=none \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" \
  --client-ca-file="$P/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
  --service-cluster-ip-range=10.96.0.0/12 \
  --authorization-mode=RBAC \
  --kubelet-client-certificate="$P/apiserver-kubelet-client.crt" --kubelet-client-key="$P/apiserver-kubelet-client.key" \
  --kubelet-preferred-address-types=InternalIP \
  --audit-policy-file="$DIR/audit-policy.yaml" --audit-log-path="$DIR/audit.log" \
  --profiling=false

alive() {
  watched
  local stat
  read -r stat 2>/dev/null <"/proc/$(cat "$DIR/pids/$1.pid")/stat" || fail "$1 exited"
  stat=${stat##*) }
  [ "${stat%% *}" != Z ] || fail "$1 exited"
}
# curl, not kubectl, for the polling: each kubectl start costs this huge binary's init.
api() {
  curl -sf --max-time 10 --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" \
    "https://127.0.0.1:$API_PORT$1" "${@:2}"
}
apply() { api "$1?fieldManager=up.sh&force=true" -X PATCH -H 'Content-Type: application/apply-patch+yaml' --data-binary @- >/dev/null; }
for _ in $(seq 600); do
  api /readyz >/dev/null 2>&1 && break
  alive etcd
  alive kube-apiserver
  sleep 0.1
done
api /readyz >/dev/null || fail "kube-apiserver did not become ready"

apply /apis/rbac.authorization.k8s.io/v1/clusterroles/kuberesponder-readonly <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: kuberesponder-readonly}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: [get, list, watch]}
- {nonResourceURLs: ["*"], verbs: [get]}
YAML
apply /apis/rbac.authorization.k8s.io/v1/clusterrolebindings/kuberesponder-readonly <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: kuberesponder-readonly}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kuberesponder-readonly}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: kuberesponder}]
YAML

# --secure-port=0: no serving port; --leader-elect=false: no lease to wait for.
start kube-controller-manager "$BIN/kube-controller-manager" \
  --kubeconfig="$P/controller-manager.kubeconfig" --secure-port=0 --leader-elect=false \
  --use-service-account-credentials=false \
  --service-account-private-key-file="$P/sa.key" --root-ca-file="$P/ca.crt" \
  --cluster-signing-cert-file="$P/ca.crt" --cluster-signing-key-file="$P/ca.key" \
  --controllers="$KCM_CONTROLLERS"

start kube-scheduler "$BIN/kube-scheduler" \
  --kubeconfig="$P/scheduler.kubeconfig" --secure-port=0 --leader-elect=false

# Container logs served by the fake kubelet: containers named api, cache and
# schema-init in any namespace have the current and previous logs in logs/.
LOGS=$HERE/logs
cat > "$DIR/kwok-logs.yaml" <<YAML
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata: {name: kuberesponder-fixtures}
spec:
  selector: {}
  logs:
  - {containers: [api], logsFile: "$LOGS/api.log", previousLogsFile: "$LOGS/api.previous.log"}
  - {containers: [cache], logsFile: "$LOGS/cache.log", previousLogsFile: "$LOGS/cache.previous.log"}
  - {containers: [schema-init], logsFile: "$LOGS/schema-init.log", previousLogsFile: "$LOGS/schema-init.previous.log"}
YAML

# kwok manages the nodes annotated kwok.x-k8s.io/node=fake and serves their fake
# kubelet API (logs) on 127.0.0.1:KUBELET_PORT; --server-address keeps it off 0.0.0.0.
# Its stages are the repo's (stages/): kwok's own node and pod stages, and the
# container states of stages/incidents.yaml chosen by pod labels.
start kwok "$BIN/kwok" --kubeconfig="$P/kwok.kubeconfig" \
  --config="$HERE/stages/nodes.yaml" --config="$HERE/stages/pods.yaml" \
  --config="$HERE/stages/incidents.yaml" --config="$DIR/kwok-logs.yaml" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds=40 \
  --node-ip=127.0.0.1 --node-port="$KUBELET_PORT" --cidr=10.244.0.0/16 \
  --server-address="127.0.0.1:$KUBELET_PORT" \
  --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key"

# Usable = the default ServiceAccount exists (admission rejects pods until then).
for _ in $(seq 1200); do
  api /api/v1/namespaces/default/serviceaccounts/default >/dev/null 2>&1 && break
  for c in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do alive "$c"; done
  sleep 0.1
done
api /api/v1/namespaces/default/serviceaccounts/default >/dev/null || fail "the default ServiceAccount never appeared"

cat > "$DIR/env" <<ENV
# kubectl and kuberesponder use the read-only identity; kubectl --kubeconfig
# \$KUBERESPONDER_ADMIN_KUBECONFIG for anything that writes.
export KUBECONFIG='$DIR/readonly.kubeconfig'
export KUBERESPONDER_ADMIN_KUBECONFIG='$DIR/admin.kubeconfig'
export KUBERESPONDER_READONLY_KUBECONFIG='$DIR/readonly.kubeconfig'
export KUBERESPONDER_AUDIT_LOG='$DIR/audit.log'
export KUBECACHEDIR='$DIR/kube-cache'
export PATH='$DIR/bin':"\$PATH"
ENV
trap - ERR
