// These tests run after e2e_test.go's seed report (files are taken in name
// order): their pods stay on the shared nodes and would change its requests.

package triage_test

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/kube/triage"
)

// incidentCases are the container, probe and controller causes, each
// reproduced on the control plane with kwok's container states
// (kubetest.ContainerLabel) and the kubelet's events.
func incidentCases(c *kubetest.Cluster) []e2eCase {
	deleteWebhook := func(ns string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = c.Admin.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, "pod-policy-"+ns, metav1.DeleteOptions{})
	}
	return []e2eCase{
		{name: "crash loop with an error", yaml: []string{"crash-error"}, kubelet: 2, rule: "container/crash-loop", object: "Pod api-",
			evidence: []string{"container api last terminated: reason=Error exit code=1 restarts=6", "Warning BackOff pod/api-",
				"previous log: ", "panic: cannot reach the database", "/api has no ready endpoint"},
			cause: "exits with Error (exit code 1)", urgency: "critical"},
		{name: "OOMKilled", yaml: []string{"oom"}, kubelet: 1, rule: "container/oom-killed", object: "Pod cache-",
			evidence: []string{"reason=OOMKilled exit code=137 restarts=7", "heap in use 251 MiB"},
			cause:    "more memory than its limit (256Mi)", urgency: "critical"},
		{name: "image not found", yaml: []string{"image-notfound"}, kubelet: 1, rule: "image/pull-failed", object: "Pod web-",
			evidence: []string{"waiting: ImagePullBackOff", `Failed to pull image "registry.example.com/shop/web:2.5.0"`},
			cause:    "does not exist in its registry", urgency: "critical"},
		{name: "image unauthorised", yaml: []string{"image-unauthorized"}, kubelet: 1, rule: "image/pull-failed", object: "Pod web-",
			evidence: []string{"authorization failed"}, cause: "without valid credentials", urgency: "critical"},
		{name: "registry unreachable", yaml: []string{"image-unreachable"}, kubelet: 1, rule: "image/pull-failed", object: "Pod web-",
			evidence: []string{"no such host"}, cause: "registry.example.com cannot be reached", urgency: "critical"},
		{name: "config error: missing key", yaml: []string{"config-missing-key"}, kubelet: 1, rule: "container/config-error", object: "Pod api-",
			evidence: []string{"CreateContainerConfigError", "/settings exists with keys: LOG_LEVEL, PORT"},
			cause:    "ConfigMap settings has no key DB_URL", urgency: "critical"},
		{name: "config error: missing Secret", yaml: []string{"config-missing-secret"}, kubelet: 1, rule: "container/config-error", object: "Pod api-",
			evidence: []string{"/db-credentials does not exist"}, cause: "Secret db-credentials does not exist", urgency: "critical"},
		{name: "init container fails", yaml: []string{"init-failed"}, kubelet: 1, rule: "container/init-failed", object: "Pod api-",
			evidence: []string{"container schema-init last terminated: reason=Error exit code=1 restarts=4", "relation \"orders_v2\" does not exist"},
			cause:    "Init container schema-init exits with Error (exit code 1)", urgency: "critical"},
		{name: "readiness fails: the Service has no endpoint", yaml: []string{"readiness"}, kubelet: 2, rule: "probe/readiness-failing", object: "Pod web-",
			evidence: []string{"Readiness probe failed: HTTP probe failed with statuscode: 503", "has no ready endpoint: 2 pods match"},
			cause:    "statuscode: 503", urgency: "critical"},
		{name: "liveness fails: restarts", yaml: []string{"liveness"}, kubelet: 1, rule: "probe/liveness-failing", object: "Pod worker-",
			evidence: []string{"Liveness probe failed", "exit code=137 restarts=6"}, cause: "context deadline exceeded", urgency: "medium"},
		{name: "a rollout whose new pods crash-loop", yaml: []string{"rollout-good", "rollout-bad"}, kubelet: 1, rule: "workload/rollout-blocked",
			object: "Deployment shop", evidence: []string{"revision 2 (ReplicaSet shop-", "image shop/api:2.5.0", "revision 1 (ReplicaSet shop-", "image shop/api:2.4.1): 2 of 2 ready"},
			cause: "The rollout to revision 2 is the cause", urgency: "medium",
			firstWait: func(r triage.Report) bool { return r.Summary.HealthyPods == 2 }},
		{name: "job reaches its backoff limit", yaml: []string{"job-backoff"}, rule: "job/failed", object: "Job import",
			evidence: []string{"=True reason=BackoffLimitExceeded", "reason=Error exit code=1"}, cause: "BackoffLimitExceeded", urgency: "medium"},
		{name: "cronjob's last run failed", yaml: []string{"cronjob-failed"}, rule: "cronjob/last-run-failed", object: "CronJob report",
			evidence: []string{`schedule "* * * * *"`, "=True reason=BackoffLimitExceeded"}, cause: "BackoffLimitExceeded", urgency: "medium",
			timeout: 3 * time.Minute},
		{name: "disruption budget allows none", yaml: []string{"pdb"}, rule: "pdb/no-disruptions", object: "PodDisruptionBudget ledger",
			evidence: []string{"2 pods expected, 2 healthy, 2 must stay healthy; disruptions allowed: 0"}, cause: "minAvailable 2", urgency: "low"},
		{name: "admission webhook down", yaml: []string{"webhook"}, rule: "workload/failed-create-webhook", object: "ReplicaSet guarded-",
			evidence: []string{"Warning FailedCreate replicaset/guarded-", "admission webhook pod-policy."}, cause: "failed calling webhook",
			urgency: "critical", cleanup: deleteWebhook},
	}
}

// TestE2EIncidentCauses reproduces each cause on the control plane, the
// stepped ones too, and checks the finding's object, rule, cause, evidence
// and urgency.
func TestE2EIncidentCauses(t *testing.T) {
	c := kubetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.EnsureSeedNodes(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range append(incidentCases(c), steppedCases()...) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runCase(t, c, tc)
		})
	}
}

// TestE2EMixedCluster plants every cause, each in its own namespace, beside
// 200 healthy pods of which some restarted once, and checks that each cause
// is found exactly once and no healthy pod is a finding.
func TestE2EMixedCluster(t *testing.T) {
	c := kubetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := c.EnsureSeedNodes(ctx); err != nil {
		t.Fatal(err)
	}
	cases := append(incidentCases(c), []e2eCase{
		{name: "quota", yaml: []string{"quota"}, rule: "workload/failed-create-quota", object: "ReplicaSet over-quota-"},
		{name: "selector matches nothing", yaml: []string{"service"}, rule: "service/no-matching-pods", object: "Service orphan"},
	}...)
	// The healthy pods get a node of their own (250 pods), removed afterwards
	// so that the other tests see the two seed nodes only.
	mixedNode := strings.NewReplacer("3shake-k8s-node-001", "triage-mixed", "type: kwok", "type: mixed", `pods: "110"`, `pods: "250"`).
		Replace(strings.SplitN(kubetest.Scenario("nodes"), "\n---\n", 2)[0])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = c.Admin.CoreV1().Nodes().Delete(ctx, "triage-mixed", metav1.DeleteOptions{})
	})
	if err := c.Apply(ctx, mixedNode); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForNodesReady(ctx, "triage-mixed"); err != nil {
		t.Fatal(err)
	}
	healthy := c.Namespace(t)
	want := map[string]e2eCase{} // namespace → case
	for _, tc := range cases {
		ns := c.Namespace(t)
		if tc.cleanup != nil {
			t.Cleanup(func() { tc.cleanup(ns) })
		}
		for _, name := range tc.yaml {
			if err := c.ApplyIn(ctx, ns, strings.ReplaceAll(scenario(t, name), "${NS}", ns)); err != nil {
				t.Fatal(err)
			}
		}
		want[ns] = tc
	}
	// 200 healthy pods: 40 Deployments of 5, every fourth restarted once.
	for i := 0; i < 40; i++ {
		y := strings.ReplaceAll(scenario(t, "healthy-restarts"), "steady", fmt.Sprintf("steady-%02d", i))
		y = strings.ReplaceAll(y, "type: kwok", "type: mixed")
		if i%4 != 0 {
			y = strings.ReplaceAll(y, "kuberesponder.test/container: restarted", "tier: web")
		}
		if err := c.ApplyIn(ctx, healthy, y); err != nil {
			t.Fatal(err)
		}
	}
	for ns, tc := range want {
		if tc.kubelet > 0 {
			if _, err := c.KubeletEvents(ctx, ns, kubetest.ContainerLabel, tc.kubelet); err != nil {
				t.Fatal(err)
			}
		}
	}
	cs := c.ReadOnly(t)
	var last triage.Report
	counts := map[string]int{}
	ok := func() bool {
		f, err := triage.Gather(ctx, cs, triage.Options{})
		if err != nil {
			t.Fatal(err)
		}
		last = triage.Build(f)
		counts = map[string]int{}
		for _, fd := range last.Findings {
			counts[fd.Object.Namespace]++
		}
		ready, settled := 0, 0
		for _, p := range f.PodIndex {
			if p.Namespace == healthy && p.Ready {
				ready++
			}
		}
		for _, d := range f.Deployments { // the controllers have seen their pods ready
			if d.Namespace == healthy && d.Status.AvailableReplicas == 5 {
				settled++
			}
		}
		for ns, tc := range want {
			if !hasFinding(last, ns, tc) || counts[ns] != 1 {
				return false
			}
		}
		return ready == 200 && settled == 40
	}
	waitFor(ctx, t, ok, "every planted cause found once and 200 healthy pods ready and available")
	found := 0
	var lines []string
	for ns, tc := range want {
		if hasFinding(last, ns, tc) {
			found++
		}
		lines = append(lines, fmt.Sprintf("%-45s %-34s findings=%d", tc.name, tc.rule, counts[ns]))
		if counts[ns] != 1 {
			t.Errorf("%s (%s): %d findings, want exactly 1", tc.name, ns, counts[ns])
		}
	}
	sort.Strings(lines)
	t.Logf("planted %d incidents, found %d; findings on the 200 healthy pods: %d\n%s", len(want), found, counts[healthy], strings.Join(lines, "\n"))
	if found != len(want) {
		t.Errorf("found %d of %d planted causes; report:\n%s", found, len(want), last.Markdown("en"))
	}
	if counts[healthy] != 0 {
		t.Errorf("%d findings on healthy pods; report:\n%s", counts[healthy], last.Markdown("en"))
	}
}

func hasFinding(r triage.Report, ns string, tc e2eCase) bool {
	kind, prefix, _ := strings.Cut(tc.object, " ")
	for _, f := range r.Findings {
		if f.Object.Namespace == ns && f.Rule == tc.rule && f.Object.Kind == kind && strings.HasPrefix(f.Object.Name, prefix) {
			return true
		}
	}
	return false
}
