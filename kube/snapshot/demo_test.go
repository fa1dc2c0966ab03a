package snapshot

import (
	"context"
	"strings"
	"testing"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/triage"
)

// TestEmbeddedDemo checks that the demo built into the binary opens, tells
// the seed incident in its report and answers the verbs a walk-through uses.
func TestEmbeddedDemo(t *testing.T) {
	s, err := LoadEmbeddedDemo()
	if err != nil {
		t.Fatal(err)
	}
	if d := s.Describe(); !strings.HasPrefix(d, "snapshot of seed-incident taken ") || !strings.HasSuffix(d, " UTC") {
		t.Errorf("Describe() = %q", d)
	}
	if s.Facts() == nil {
		t.Fatal("the demo has no facts")
	}
	report := triage.Build(s.Facts()).Markdown("en")
	for _, w := range []string{"nginx-with-10gi", "FailedScheduling", "Insufficient memory"} {
		if !strings.Contains(report, w) {
			t.Errorf("the demo report lacks %q:\n%s", w, report)
		}
	}
	pending := ""
	for _, p := range s.File().Objects.Pods {
		if p.Spec.NodeName == "" {
			pending = p.Name
		}
	}
	if pending == "" {
		t.Fatal("the demo has no Pending pod")
	}
	r, err := s.Runner(kube.ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for line, want := range map[string]string{
		"get pods":                                 pending + "   0/1     Pending",
		"get pods -o wide":                         "3shake-k8s-node-00",
		"get all":                                  "deployment.apps/nginx-with-10gi   1/2",
		"describe pod " + pending:                  "0/2 nodes are available: 2 Insufficient memory.",
		"describe nodes":                           "Allocated resources:",
		"describe deployment nginx-with-10gi":      "1 available | 1 unavailable",
		"get events --field-selector type=Warning": "FailedScheduling",
		"events --types=Warning":                   "FailedScheduling",
		"logs " + pending:                          "",
		"get secret shop-db -o yaml":               "[REDACTED]",
		"get cm shop-config -o yaml":               "<not captured: ",
		"version":                                  "Server Version: v1.37.2",
		"api-resources":                            "deployments",
	} {
		a, err := kube.Parse(line)
		if err != nil {
			t.Fatalf("parse %q: %v", line, err)
		}
		res, err := r.Run(context.Background(), a)
		if err != nil {
			t.Errorf("%s: %v", line, err)
			continue
		}
		if !strings.Contains(res.Output, want) {
			t.Errorf("%s: output lacks %q:\n%s", line, want, res.Output)
		}
		if strings.Contains(res.Output, e2eCanary) {
			t.Errorf("%s: the canary reached the output", line)
		}
	}
}
