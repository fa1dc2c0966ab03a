package watch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/session/watch/sink"
)

// restrictedRole may read what the watcher reads except CronJobs,
// HorizontalPodAutoscalers, PodDisruptionBudgets and Secrets.
const restrictedRole = `apiVersion: v1
kind: ServiceAccount
metadata: {name: restricted, namespace: %[1]s}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: %[1]s-restricted}
rules:
- apiGroups: [""]
  resources: [nodes, pods, events, services, persistentvolumeclaims, resourcequotas, namespaces, configmaps]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
- apiGroups: [apps]
  resources: [deployments, statefulsets, daemonsets, replicasets]
  verbs: [get, list, watch]
- apiGroups: [batch]
  resources: [jobs]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
- apiGroups: [storage.k8s.io]
  resources: [storageclasses, csidrivers]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: %[1]s-restricted}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: %[1]s-restricted}
subjects:
- {kind: ServiceAccount, name: restricted, namespace: %[1]s}
`

// followUpWorkloads crash-loops a container whose previous log ends in a
// panic, and keeps another waiting for a Secret the watcher may not read.
const followUpWorkloads = `apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata:
      labels: {app: api, kuberesponder.test/container: crash-loop}
    spec:
      containers: [{name: api, image: registry.example/api:2.4.1}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker}
spec:
  replicas: 1
  selector: {matchLabels: {app: worker}}
  template:
    metadata:
      labels: {app: worker, kuberesponder.test/container: config-error}
      annotations: {kuberesponder.test/message: 'secret "worker-creds" not found'}
    spec:
      containers:
      - name: worker
        image: registry.example/worker:1.0
        env:
        - name: DB_PASSWORD
          valueFrom: {secretKeyRef: {name: worker-creds, key: password}}
`

// TestE2EWatchFollowUp runs the watcher as an identity that may not list
// CronJobs, HorizontalPodAutoscalers or PodDisruptionBudgets, nor read
// Secrets: it still becomes ready, its deliveries name those lists as gaps,
// a crash loop's delivery carries the previous log's last lines, and a pod
// waiting for a Secret names the refused read.
func TestE2EWatchFollowUp(t *testing.T) {
	c, ctx, bin := watchCluster(t, 8*time.Minute)
	ns := c.Namespace(t)
	if err := c.Apply(ctx, fmt.Sprintf(restrictedRole, ns)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = c.Kubectl(context.Background(), "", "delete", "clusterrole,clusterrolebinding", ns+"-restricted", "--ignore-not-found")
	})
	kubeconfig := tokenKubeconfig(ctx, t, c, ns, "restricted")
	hook, sinkArgs := signedWebhook(t)
	w := startWatcher(t, bin, append([]string{"-n", ns, "--kubeconfig", kubeconfig, "--offline", "--settle=3s",
		"--state-dir", t.TempDir()}, sinkArgs...)...)
	waitUntil(ctx, t, "/readyz although three lists are forbidden", func() bool { code, _ := w.get("/readyz"); return code == 200 })

	if err := c.ApplyIn(ctx, ns, followUpWorkloads); err != nil {
		t.Fatal(err)
	}
	owners := map[string]string{"Deployment " + ns + "/api": "", "Deployment " + ns + "/worker": ""}
	waitUntil(ctx, t, "a delivery of both workloads", func() bool {
		got := byOwner(hook.Deliveries(), sink.StateFiring)
		for o := range owners {
			if got[o] == 0 {
				return false
			}
		}
		return true
	})
	for _, d := range hook.Deliveries() {
		if _, ok := owners[d.Owner]; !ok || d.State != sink.StateFiring {
			continue
		}
		var rep triage.Report
		if err := json.Unmarshal(d.Report, &rep); err != nil {
			t.Fatalf("%s: report: %v", d.Owner, err)
		}
		for _, g := range []string{"list cronjobs: forbidden", "list horizontalpodautoscalers: forbidden", "list poddisruptionbudgets: forbidden"} {
			if !slices.Contains(rep.Gaps, g) {
				t.Errorf("%s: gaps %q lack %q", d.Owner, rep.Gaps, g)
			}
		}
		switch {
		case strings.HasSuffix(d.Owner, "/api") && !strings.Contains(string(d.Report), "cannot reach the database"):
			t.Errorf("%s (%s): the delivery lacks the previous log's panic:\n%s", d.Owner, d.Rule, d.Report)
		case strings.HasSuffix(d.Owner, "/worker") && !slices.Contains(rep.Gaps, "get secret "+ns+"/worker-creds: forbidden"):
			t.Errorf("%s (%s): gaps %q lack the refused Secret read", d.Owner, d.Rule, rep.Gaps)
		}
	}
	if t.Failed() {
		t.Logf("watcher logs:\n%s", w.logs())
	}
}
