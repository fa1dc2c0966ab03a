# kuberesponder: build, test and run against a real control plane.
GO ?= go
CLUSTER_DIR := $(CURDIR)/.cluster

.PHONY: build test test-unit vet lint controlplane alertmanager mcp-ts cluster cluster-down bench demo

VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo none)

build:
	$(GO) build -ldflags "-X main.version=$(VERSION) -X main.commit=$(COMMIT)" -o kuberesponder .

# Unit and end-to-end tests; the end-to-end tests start real control planes
# (the binary is built once into a cache, 7-15 minutes the first time). One package
# at a time: each starts its own control plane, and two at once on 2 cores starve them.
test: vet controlplane alertmanager mcp-ts
	$(GO) test -count=1 -p 1 -timeout 60m ./...

test-unit:
	$(GO) test -short ./...

vet:
	$(GO) vet ./...

lint: vet
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt -l:"; echo "$$out"; exit 1; fi

# Builds the control-plane binary unless it is cached (skipped with KUBERESPONDER_E2E=0).
controlplane:
	@if [ "$${KUBERESPONDER_E2E:-1}" != 0 ]; then e2e/cluster/build.sh >/dev/null; fi

# Builds Alertmanager and amtool for the watch e2e test unless cached.
alertmanager:
	@if [ "$${KUBERESPONDER_E2E:-1}" != 0 ]; then e2e/alertmanager/build.sh >/dev/null; fi

# The MCP TypeScript SDK's client for the end-to-end MCP test (skipped with KUBERESPONDER_E2E=0).
mcp-ts:
	@if [ "$${KUBERESPONDER_E2E:-1}" != 0 ] && [ ! -d e2e/mcp-ts/node_modules ]; then npm ci --prefix e2e/mcp-ts --no-audit --no-fund; fi

cluster:
	@e2e/cluster/cluster.sh up $(CLUSTER_DIR)

cluster-down:
	@e2e/cluster/cluster.sh down $(CLUSTER_DIR)

bench:
	$(GO) test -timeout 60m -run '^$$' -bench . -benchmem ./...

demo:
	$(GO) run . --demo
