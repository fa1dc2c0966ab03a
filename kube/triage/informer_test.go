package triage

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// TestFromCacheMatchesFromObjects checks that informer caches give the same
// findings as objects in hand, and that both leave the objects as they were:
// the accumulator trims and scrubs copies only.
func TestFromCacheMatchesFromObjects(t *testing.T) {
	for _, tc := range []struct {
		name string
		objs func() []runtime.Object
	}{
		{"seed incident", seedObjects},
		{"crash loop with secret env", func() []runtime.Object {
			p := ownedPod("web-1", corev1.PodRunning, "node-a", crashing("Error", 1))
			p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "PASSWORD", Value: "hunter2-canary"}}
			p.Spec.Containers[0].Args = []string{"--token=canary"}
			p.Annotations = map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}"}
			return append(withDeployment("shop", "web", 1, 0, p), node("node-a", true))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cached := tc.objs()
			before, err := json.Marshal(cached)
			if err != nil {
				t.Fatal(err)
			}
			got := Build(FromCache(clock, "", "v1.37.2", cached...))
			after, _ := json.Marshal(cached)
			if string(before) != string(after) {
				t.Errorf("FromCache changed the cached objects")
			}
			want := Build(FromObjects(clock, "", cached...))
			if again, _ := json.Marshal(cached); string(before) != string(again) {
				t.Errorf("FromObjects changed the objects")
			}
			if rules(got.Findings) != rules(want.Findings) || len(got.Findings) == 0 {
				t.Errorf("findings from the cache %q, from objects %q", rules(got.Findings), rules(want.Findings))
			}
			if got.Cluster.Version != "v1.37.2" {
				t.Errorf("cluster version %q", got.Cluster.Version)
			}
		})
	}
}
