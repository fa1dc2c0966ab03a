package session

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/kube/triage"
)

// TestOfflineContainerIncidents takes the offline responder through two
// container incidents on the real control plane and checks that it reaches
// the confirmed cause within two approved actions, reading only.
func TestOfflineContainerIncidents(t *testing.T) {
	c := kubetest.Start(t)
	for _, tc := range []struct {
		name, scenario, rule string
		evidence             int      // evidence lines once the kubelet's events and the log tail are in
		results              []string // what the results must show
		conclusion           []string // what the conclusion must say
	}{
		{name: "CrashLoopBackOff (OOMKilled)", scenario: "incident-oom", rule: "container/oom-killed", evidence: 4,
			results:    []string{"OOMKilled", "heap in use 251 MiB"},
			conclusion: []string{"Cause confirmed.", "256Mi", "OOMKilled", "heap in use 251 MiB", "Raise the memory limit of container cache", "Deployment cache"}},
		{name: "CreateContainerConfigError", scenario: "incident-config-key", rule: "container/config-error", evidence: 2,
			results:    []string{"CreateContainerConfigError", "LOG_LEVEL"},
			conclusion: []string{"Cause confirmed.", "ConfigMap settings has no key DB_URL", "Add what is missing in the namespace: ConfigMap settings has no key DB_URL", "Deployment api"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ns := c.Namespace(t)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if err := c.EnsureSeedNodes(ctx); err != nil {
				t.Fatal(err)
			}
			if err := c.ApplyIn(ctx, ns, kubetest.Scenario(tc.scenario)); err != nil {
				t.Fatal(err)
			}
			if _, err := c.KubeletEvents(ctx, ns, kubetest.ContainerLabel, 1); err != nil {
				t.Fatal(err)
			}
			cs := c.ReadOnly(t)
			var report triage.Report
			for {
				facts, err := triage.Gather(ctx, cs, triage.Options{Namespace: ns})
				if err != nil {
					t.Fatal(err)
				}
				report = triage.Build(facts)
				if len(report.Findings) > 0 && report.Findings[0].Rule == tc.rule && len(report.Findings[0].Evidence) >= tc.evidence {
					break
				}
				select {
				case <-ctx.Done():
					t.Fatalf("no %s finding; last report:\n%s", tc.rule, report.Markdown("en"))
				case <-time.After(500 * time.Millisecond):
				}
			}
			s, exec := reportedSession(t, c, ns, report)
			mark, err := c.AuditMark()
			if err != nil {
				t.Fatal(err)
			}
			runner := &countingRunner{r: exec}
			if _, err := s.Investigate(); err != nil {
				t.Fatal(err)
			}
			approve := func(Step) Answer { return Answer{Decision: Approved} }
			if err := Drive(ctx, s, NewOffline(report.Findings, "en"), runner, approve); err != nil {
				t.Fatal(err)
			}
			if len(runner.ran) == 0 || len(runner.ran) > 2 {
				t.Fatalf("ran %q, want 1 or 2 approved actions", runner.ran)
			}
			var seen strings.Builder
			for _, r := range kinds(s, KindResult) {
				if r.Status != Ran {
					t.Errorf("result %s: %s %s", r.Command, r.Status, r.Reason)
				}
				seen.WriteString(r.ModelView)
			}
			for _, want := range tc.results {
				if !strings.Contains(seen.String(), want) {
					t.Errorf("no result shows %q:\n%s", want, seen.String())
				}
			}
			as := kinds(s, KindAssistant)
			final := as[len(as)-1].Text
			for _, want := range tc.conclusion {
				if !strings.Contains(final, want) {
					t.Errorf("the conclusion lacks %q:\n%s", want, final)
				}
			}
			for _, bad := range []string{"kubectl edit", "kubectl patch", "kubectl scale replicaset", "kubectl delete pod"} {
				if strings.Contains(final, bad) {
					t.Errorf("the conclusion proposes a hand edit (%s):\n%s", bad, final)
				}
			}
			n := c.OnlyReads(t, mark)
			t.Logf("%d audited requests, all reads; actions: %q\nconclusion:\n%s", n, runner.ran, final)
		})
	}
}
