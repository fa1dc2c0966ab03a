//go:build tools

// Package tools pins the Alertmanager module that build.sh builds; the
// product's go.mod never sees it.
package tools

import _ "github.com/prometheus/alertmanager/cmd/alertmanager"
