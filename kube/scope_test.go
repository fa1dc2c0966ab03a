package kube

import "testing"

func TestClusterScoped(t *testing.T) {
	tests := []struct {
		resource string
		want     bool
	}{
		{"nodes", true},
		{"node", true},
		{"no", true},
		{"Namespaces", true},
		{"pv", true},
		{"storageclasses.storage.k8s.io", true},
		{"clusterroles.rbac.authorization.k8s.io", true},
		{"crd", true},
		{"pods", false},
		{"po", false},
		{"deployments.apps", false},
		{"persistentvolumeclaims", false},
		{"pvc", false},
		{"secrets", false},
		{"events", false},
		{"widgets.example.com", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ClusterScoped(tt.resource); got != tt.want {
			t.Errorf("ClusterScoped(%q) = %v, want %v", tt.resource, got, tt.want)
		}
	}
}
