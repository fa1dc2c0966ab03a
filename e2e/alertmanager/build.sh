#!/usr/bin/env bash
# build.sh builds a real Alertmanager and amtool (v0.35.0, from the Go module
# pinned in tools/) into a cache directory keyed on the content of this script
# and of the tools module, and prints that directory (bin/alertmanager,
# bin/amtool). Skipped when the keyed directory already holds both binaries.
#
# `go install .../cmd/alertmanager@v0.35.0` fails: the web UI (ui/app/dist) is
# built from Elm at release time and is not in the module. The module is
# copied out of the module cache, given a placeholder page, and built there;
# the API and the webhooks do not need the UI.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
KEY=$( (cat "$HERE/tools/go.mod" "$HERE/tools/go.sum" "$HERE/build.sh"; go env GOVERSION) | sha256sum | cut -c1-16)
ROOT=${KUBERESPONDER_AM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kuberesponder-alertmanager}
DIR=$ROOT/$KEY
built() { [ -x "$DIR/bin/alertmanager" ] && [ -x "$DIR/bin/amtool" ]; }
if built; then
  echo "$DIR"; exit 0
fi
mkdir -p "$ROOT"
exec 9>"$ROOT/build.lock"
flock 9
if built; then
  echo "$DIR"; exit 0
fi
echo "building Alertmanager into $DIR (about 2-4 minutes the first time)" >&2
start=$(date +%s)
cd "$HERE/tools"
GOWORK=off go mod download github.com/prometheus/alertmanager
SRC=$(GOWORK=off go list -m -f '{{.Dir}}' github.com/prometheus/alertmanager)
WORK=$(mktemp -d "$ROOT/src.XXXXXX")
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
cp -R "$SRC/." "$WORK/"
chmod -R u+w "$WORK"
mkdir -p "$WORK/ui/app/dist"
echo '<!doctype html><title>Alertmanager</title><p>UI not built.' > "$WORK/ui/app/dist/index.html"
mkdir -p "$DIR/bin"
cd "$WORK"
GOWORK=off GOFLAGS=-mod=mod go build -trimpath -ldflags "-s -w" -o "$DIR/bin/" ./cmd/alertmanager ./cmd/amtool >&2
built
echo "Alertmanager built in $(( $(date +%s) - start )) s" >&2
echo "$DIR"
