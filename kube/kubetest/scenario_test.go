package kubetest_test

import (
	"strings"
	"testing"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
)

func TestScenarios(t *testing.T) {
	names := kubetest.Scenarios()
	for _, want := range []string{"nginx-with-10gi", "nginx-with-5gi", "nodes"} {
		found := false
		for _, n := range names {
			found = found || n == want
		}
		if !found {
			t.Errorf("Scenarios() = %v, missing %s", names, want)
		}
	}
	tests := []struct{ name, want string }{
		{"nodes", "memory: 11973936Ki"},
		{"nodes", "memory: 11871536Ki"},
		{"nodes", "name: 3shake-k8s-node-002"},
		{"nginx-with-5gi", "memory: 5Gi"},
		{"nginx-with-10gi", "replicas: 2"},
		{"nginx-with-10gi", "memory: 10Gi"},
	}
	for _, tt := range tests {
		if got := kubetest.Scenario(tt.name); !strings.Contains(got, tt.want) {
			t.Errorf("Scenario(%q) lacks %q", tt.name, tt.want)
		}
	}
}

func TestScenarioUnknownPanics(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "nodes") {
			t.Errorf("recover() = %v, want a panic naming the known scenarios", r)
		}
	}()
	kubetest.Scenario("no-such-scenario")
}
