package snapshot

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kuberesponder/kuberesponder/kube/redact"
)

func newCapturer() *capturer {
	return &capturer{red: redact.New(), f: &File{}}
}

func TestSecretsKeepNoValue(t *testing.T) {
	c := newCapturer()
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop",
			Annotations:   map[string]string{lastApplied: `{"stringData":{"password":"` + canary + `"}}`, "team": "payments"},
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{"password": []byte(canary), "user": []byte("shop")},
	}
	got := cleanAll(c, []Secret{secretSizes(s)})[0]
	data, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(data), canary) || strings.Contains(string(data), "shop\"") && strings.Contains(string(data), "user\":\"shop") {
		t.Fatalf("a value was kept: %s", data)
	}
	if got.Keys["password"] != len(canary) || got.Keys["user"] != 4 || got.Type != corev1.SecretTypeOpaque {
		t.Errorf("keys, sizes or type lost: %+v", got)
	}
	if _, ok := got.Metadata.Annotations[lastApplied]; ok || got.Metadata.Annotations["team"] != "payments" || got.Metadata.ManagedFields != nil {
		t.Errorf("metadata not cleaned: %+v", got.Metadata)
	}
}

func TestConfigMapsKeepSizes(t *testing.T) {
	c := newCapturer()
	cm := corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "cfg", Annotations: map[string]string{lastApplied: canary}},
		Data:       map[string]string{"DATABASE_URL": "postgres://shop:" + canary + "@db/shop"},
		BinaryData: map[string][]byte{"blob": {1, 2, 3}},
	}
	got := cleanAll(c, []corev1.ConfigMap{configMapSizes(cm)})[0]
	data, _ := json.Marshal(got)
	if strings.Contains(string(data), canary) {
		t.Fatalf("the canary was kept: %s", data)
	}
	if got.Data["DATABASE_URL"] != notCaptured(len(cm.Data["DATABASE_URL"])) && !strings.HasPrefix(got.Data["DATABASE_URL"], "<not captured") {
		t.Errorf("DATABASE_URL = %q", got.Data["DATABASE_URL"])
	}
	if got.Data["blob"] != "<not captured: 3 bytes>" || got.BinaryData != nil {
		t.Errorf("binary data: %+v", got)
	}
}

func TestObjectsAreRedacted(t *testing.T) {
	c := newCapturer()
	pods := []corev1.Pod{pod("web", "web", "n1", true, "1Gi")}
	pods[0].ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "kubectl"}}
	pods[0].Spec.Containers[0].Env = append(pods[0].Spec.Containers[0].Env, corev1.EnvVar{Name: "LOG_LEVEL", Value: "debug"})
	pods[0].Spec.Containers[0].Args = []string{"--id-token", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3gifQ.c2lnbmF0dXJl"}
	got := cleanAll(c, pods)
	data, _ := json.Marshal(got)
	if strings.Contains(string(data), canary) || strings.Contains(string(data), "eyJzdWIi") {
		t.Fatalf("a secret was kept: %s", data)
	}
	if got[0].ManagedFields != nil || got[0].Name != "web" || got[0].Spec.Containers[0].Env[1].Value != "debug" {
		t.Errorf("the pod was changed beyond redaction: %+v", got[0])
	}
	if c.f.Redactions < 2 {
		t.Errorf("redactions = %d, want at least 2", c.f.Redactions)
	}
}

func TestRedactLeavesKeepsJSONValid(t *testing.T) {
	n := 0
	tree := map[string]any{"a": []any{"Bearer abcdefghijklmnopqrstuvwx", 3.0}, "b": map[string]any{"c": "plain"}}
	out := redactLeaves(redact.New(), tree, &n).(map[string]any)
	if n != 1 || out["b"].(map[string]any)["c"] != "plain" || strings.Contains(out["a"].([]any)[0].(string), "abcdefgh") {
		t.Errorf("redactLeaves: n=%d %v", n, out)
	}
}

// BenchmarkCleanPods measures the redaction of captured pods, the bulk of a
// large snapshot.
func BenchmarkCleanPods(b *testing.B) {
	pods := make([]corev1.Pod, 1000)
	for i := range pods {
		pods[i] = pod(fmt.Sprintf("web-%d", i), "web", "n1", true, "1Gi")
	}
	b.ReportAllocs()
	for b.Loop() {
		c := newCapturer()
		cleanAll(c, slices.Clone(pods))
	}
}
