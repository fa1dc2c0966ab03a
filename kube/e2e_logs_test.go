package kube_test

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/kube/redact"
)

// logsScenario is a crash-looping Deployment whose container (api) has
// current and previous logs on the fake nodes, and a pod whose init
// container (schema-init) fails.
const logsScenario = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, labels: {app: api}}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata:
      labels: {app: api, kuberesponder.test/container: crash-loop}
      annotations: {kuberesponder.test/exit-code: "1", kuberesponder.test/restarts: "4"}
    spec:
      nodeSelector: {type: kwok}
      containers:
      - {name: api, image: "shop/api:2.4.1", resources: {requests: {cpu: 10m, memory: 16Mi}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: migrate
  labels: {kuberesponder.test/container: init-failed}
spec:
  nodeSelector: {type: kwok}
  initContainers:
  - {name: schema-init, image: "shop/migrate:37", resources: {requests: {cpu: 10m, memory: 16Mi}}}
  containers:
  - {name: api, image: "shop/api:2.4.1", resources: {requests: {cpu: 10m, memory: 16Mi}}}
`

// TestSameLogsAsKubectl reads current, previous, init-container and
// workload logs served by the fake nodes through the engine and through the
// built kubectl, and checks that they print the same.
func TestSameLogsAsKubectl(t *testing.T) {
	c := kubetest.Start(t)
	ns := c.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.EnsureSeedNodes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyIn(ctx, ns, logsScenario); err != nil {
		t.Fatal(err)
	}
	pods, err := c.WaitForPods(ctx, ns, kubetest.ContainerLabel, func(pods []corev1.Pod) bool {
		for _, p := range pods {
			if len(p.Status.ContainerStatuses) == 0 {
				return false
			}
		}
		return len(pods) == 2
	})
	if err != nil {
		t.Fatal(err)
	}
	api := ""
	for _, p := range pods {
		if p.Labels["app"] == "api" {
			api = p.Name
		}
	}
	exec, err := kube.NewExecutor(c.ReadOnlyConfig, kube.ExecOptions{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	red := redact.New()
	for _, tc := range []struct {
		line string
		want string // a line the output must hold
	}{
		{"logs " + api, "connecting to database"},
		{"logs " + api + " --previous", "panic: cannot reach the database after 5 attempts"},
		{"logs " + api + " -c api -p --tail=2", "main.go:48"},
		{"logs deploy/api", "starting api"},
		{"logs deployment/api --previous", "connection refused"},
		{"logs migrate -c schema-init --previous", `relation "orders_v2" does not exist`},
		{"logs migrate -c schema-init --timestamps", "2026-12-05T09:30:02"},
	} {
		t.Run(tc.line, func(t *testing.T) {
			a, err := kube.Parse(tc.line + " -n " + ns)
			if err != nil {
				t.Fatal(err)
			}
			res, err := exec.Run(ctx, a)
			if err != nil {
				t.Fatalf("engine: %v", err)
			}
			out, err := kubectlAs(ctx, c, c.ReadOnlyKubeconfig, a.Args...)
			if err != nil {
				t.Fatal(err)
			}
			out, _ = red.Redact(redact.Terminal(out))
			ours, theirs := normalise(res.Output), normalise(out)
			if ours != theirs {
				t.Errorf("%s: engine and kubectl differ\n--- engine\n%s\n--- kubectl\n%s", a.String(), ours, theirs)
			}
			if !strings.Contains(res.Output, tc.want) {
				t.Errorf("%s lacks %q:\n%s", a.String(), tc.want, res.Output)
			}
		})
	}
}
