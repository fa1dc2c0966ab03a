package watch_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/session/watch/sink"
)

// TestE2EWatchModel runs the watcher with a model over real HTTP and SSE:
// an answering model's six sections follow the rules report as an update of
// the same incident, grounded by the rule's finding; a model that never
// answers delays nothing, sends nothing more, and is counted.
func TestE2EWatchModel(t *testing.T) {
	const answer = "1. Location: the model reads the node selector disktype=ssd"
	eachModelCase(t, 8*time.Minute, answer, func(t *testing.T, m modelRun) {
		c, ctx, bin, tc, model, hook, sinkArgs, ns := m.c, m.ctx, m.bin, m.modelCase, m.model, m.hook, m.sinkArgs, m.ns
		w := startWatcher(t, bin, append([]string{"-n", ns, "--kubeconfig", c.ReadOnlyKubeconfig, "--base-url", model.URL(),
			"--model-timeout=" + tc.timeout, "--settle=2s", "--state-dir", t.TempDir()}, sinkArgs...)...)
		waitUntil(ctx, t, "/readyz", func() bool { code, _ := w.get("/readyz"); return code == 200 })
		if err := c.ApplyIn(ctx, ns, scenario(t, "node-selector")); err != nil {
			t.Fatal(err)
		}
		owner := "Deployment " + ns + "/ssd-only"
		applied := time.Now()
		waitUntil(ctx, t, "the rules report", func() bool { return byOwner(hook.Deliveries(), sink.StateFiring)[owner] > 0 })
		firing := time.Since(applied)
		// The model is still being waited for: the rules report came first.
		if failed := w.metric(`kuberesponder_model_answers_total{outcome="failed"}`); !tc.explains && failed != "" && failed != "0" {
			t.Errorf("the rules report came after the model's failure (%s counted)", failed)
		}
		if tc.explains {
			waitUntil(ctx, t, "the model's update", func() bool { return byOwner(hook.Deliveries(), sink.StateUpdated)[owner] > 0 })
		} else {
			waitUntil(ctx, t, "the model's failure counted", func() bool {
				return w.metric(`kuberesponder_model_answers_total{outcome="failed"}`) == "1"
			})
		}
		for _, d := range hook.Deliveries() {
			if d.Owner != owner {
				continue
			}
			var rep triage.Report
			if err := json.Unmarshal(d.Report, &rep); err != nil {
				t.Fatal(err)
			}
			switch d.State {
			case sink.StateFiring:
				if rep.Model != nil {
					t.Errorf("the rules report waited for the model: %+v", rep.Model)
				}
			case sink.StateUpdated:
				if !tc.explains {
					t.Errorf("an update was sent although the model never answered: %s", d.Report)
				}
				if rep.Model == nil || !strings.Contains(rep.Model.Text, answer) || len(rep.Findings) == 0 {
					t.Errorf("the update lacks the model's sections or the findings: %s", d.Report)
				}
			}
		}
		asked := m.checkAsked(t)
		t.Logf("rules report %s after the apply; %d model requests", firing.Round(100*time.Millisecond), asked)
		if t.Failed() {
			t.Logf("watcher logs:\n%s", w.logs())
		}
	})
}
