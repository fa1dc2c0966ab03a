#!/usr/bin/env bash
# gen-go-mod.sh regenerates go.mod for the control-plane tools module: it requires
# k8s.io/kubernetes, etcd and kwok, and pins every k8s.io staging module to the
# matching published version. Run it when bumping versions, then commit go.mod and go.sum.
set -euo pipefail
cd "$(dirname "$0")"
K8S=v1.37.2 STAGING=v0.37.2
cat > go.mod <<EOM
module github.com/kuberesponder/kuberesponder/e2e/cluster/tools

go 1.26.0

require (
	go.etcd.io/etcd/server/v3 v3.7.0
	k8s.io/kubernetes $K8S
	sigs.k8s.io/kwok v0.8.0
)
EOM
GM=$(go mod download -json "k8s.io/kubernetes@$K8S" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')
{ echo 'replace ('
  grep -E '=> \./staging/' "$GM" | awk '{print $1}' | grep -vE 'sample-(cli-plugin|controller)$' |
    while read -r m; do printf '\t%s => %s %s\n' "$m" "$m" "$STAGING"; done
  echo ')'; } >> go.mod
GOWORK=off go mod tidy
