package watch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/session/watch/sink"
	"github.com/kuberesponder/kuberesponder/session/watch/sink/sinktest"
)

// amAlert is the alert the Alertmanager tests raise about ns/ssd-only.
func amAlert(ctx context.Context, t *testing.T, amtool, amURL, ns string) {
	t.Helper()
	out, err := exec.CommandContext(ctx, amtool, "--alertmanager.url="+amURL, "alert", "add", "KubeDeploymentReplicasMismatch",
		"namespace="+ns, "deployment=ssd-only", "severity=warning", "--annotation=summary=replicas-mismatch").CombinedOutput()
	if err != nil {
		t.Fatalf("amtool alert add: %v\n%s", err, out)
	}
}

// amResolve ends the alert through Alertmanager's API at end.
func amResolve(t *testing.T, amURL, ns string, end time.Time) {
	t.Helper()
	alert := fmt.Sprintf(`[{"labels":{"alertname":"KubeDeploymentReplicasMismatch","namespace":%q,"deployment":"ssd-only","severity":"warning"},"endsAt":%q}]`,
		ns, end.UTC().Format(time.RFC3339))
	resp, err := http.Post(amURL+"/api/v2/alerts", "application/json", strings.NewReader(alert))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("resolve the alert: %d", resp.StatusCode)
	}
}

// amDeliveries are the hook's deliveries of Alertmanager groups about ns.
func amDeliveries(hook *sinktest.Webhook, ns string) []sink.Delivery {
	var out []sink.Delivery
	for _, d := range hook.Deliveries() {
		if d.Source == sink.SourceAlertmanager && d.Alert != nil && d.Alert.Labels["namespace"] == ns {
			out = append(out, d)
		}
	}
	return out
}

func tokenFile(t *testing.T, token string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(f, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestE2EAlertmanagerRestart restarts the watcher process while a real
// Alertmanager holds a group firing and re-sends it: the restarted watcher
// accepts the repeats without posting the group again, and the group's
// "resolved" closes the occurrence delivered before the restart, lasting
// from the alert's start to its end.
func TestE2EAlertmanagerRestart(t *testing.T) {
	c, ctx, bin := watchCluster(t, 10*time.Minute)
	ns := c.Namespace(t)
	if err := c.ApplyIn(ctx, ns, scenario(t, "node-selector")); err != nil {
		t.Fatal(err)
	}
	const token = "am-restart-token"
	hook := sinktest.NewWebhook(t, nil)
	addr := freeAddr(t) // Alertmanager knows one address: the restarted watcher takes it again
	args := []string{"-A", "--kubeconfig", c.ReadOnlyKubeconfig, "--offline", "--ignore-existing", "--settle=1h",
		"--listen-token-file", tokenFile(t, token), "--sink=webhook=" + hook.URL(), "--state-dir", t.TempDir()}
	w := startWatcherAt(t, bin, addr, args...)
	waitUntil(ctx, t, "/readyz", func() bool { code, _ := w.get("/readyz"); return code == 200 })
	amURL, amtool := alertmanager(ctx, t, "http://"+addr+"/alertmanager", token, "3s")
	amAlert(ctx, t, amtool, amURL, ns)
	waitUntil(ctx, t, "the alert's report", func() bool { return len(amDeliveries(hook, ns)) > 0 })
	fired := amDeliveries(hook, ns)[0]
	if fired.State != sink.StateFiring {
		t.Fatalf("first delivery: %s", fired.State)
	}

	w.stop(t)
	stopped := time.Now()
	time.Sleep(4 * time.Second) // a repeat falls due while the watcher is down
	w = startWatcherAt(t, bin, addr, args...)
	accepted := func() int {
		n, _ := strconv.Atoi(w.metric(`kuberesponder_alertmanager_requests_total{code="200"}`))
		return n
	}
	waitUntil(ctx, t, "two repeats accepted by the restarted watcher", func() bool { return accepted() >= 2 })
	time.Sleep(time.Second) // what the repeats would have posted reaches the hook
	if ds := amDeliveries(hook, ns); len(ds) != 1 || hook.Repeats() != 0 {
		t.Errorf("the restarted watcher posted the firing group again: %d deliveries, %d repeated", len(ds), hook.Repeats())
	}

	end := time.Now().Truncate(time.Second)
	amResolve(t, amURL, ns, end)
	waitUntil(ctx, t, "the group resolved", func() bool { return len(amDeliveries(hook, ns)) > 1 })
	requests := accepted()
	w.stop(t)
	ds := amDeliveries(hook, ns)
	if len(ds) != 2 || ds[1].State != sink.StateResolved {
		t.Fatalf("deliveries: %d, the second %s; want firing then resolved", len(ds), ds[len(ds)-1].State)
	}
	resolved := ds[1]
	if resolved.ID != fired.ID || resolved.Fingerprint != fired.Fingerprint || !resolved.StartedAt.Equal(fired.StartedAt) {
		t.Errorf("resolved %s (%s, from %s); fired %s (%s, from %s)", resolved.ID, resolved.Fingerprint, resolved.StartedAt,
			fired.ID, fired.Fingerprint, fired.StartedAt)
	}
	want := end.Sub(fired.StartedAt).Seconds()
	if math.Abs(resolved.DurationSeconds-want) > 1 || resolved.DurationSeconds < stopped.Sub(fired.StartedAt).Seconds() {
		t.Errorf("resolved after %.1fs, want %.1fs (from the alert's start to its end, across the restart)", resolved.DurationSeconds, want)
	}
	if hook.Repeats() != 0 {
		t.Errorf("%d repeats", hook.Repeats())
	}
	t.Logf("the restarted watcher accepted %d Alertmanager requests; resolved after %.1fs", requests, resolved.DurationSeconds)
}

// TestE2EAlertmanagerModel: with a model over real HTTP and SSE, a firing
// Alertmanager group's rules report is delivered first and the model's six
// sections follow as an update of the same group; a model that never
// answers delays nothing, sends nothing more, and is counted.
func TestE2EAlertmanagerModel(t *testing.T) {
	const answer = "1. Location: the model reads the alert's deployment and its node selector"
	eachModelCase(t, 10*time.Minute, answer, func(t *testing.T, m modelRun) {
		c, ctx, bin, tc, model, hook, sinkArgs, ns := m.c, m.ctx, m.bin, m.modelCase, m.model, m.hook, m.sinkArgs, m.ns
		if err := c.ApplyIn(ctx, ns, scenario(t, "node-selector")); err != nil {
			t.Fatal(err)
		}
		const token = "am-model-token"
		w := startWatcher(t, bin, append([]string{"-A", "--kubeconfig", c.ReadOnlyKubeconfig, "--base-url", model.URL(),
			"--model-timeout=" + tc.timeout, "--ignore-existing", "--settle=1h", "--listen-token-file", tokenFile(t, token),
			"--state-dir", t.TempDir()}, sinkArgs...)...)
		waitUntil(ctx, t, "/readyz", func() bool { code, _ := w.get("/readyz"); return code == 200 })
		amURL, amtool := alertmanager(ctx, t, "http://"+w.addr+"/alertmanager", token, "1h")
		amAlert(ctx, t, amtool, amURL, ns)
		added := time.Now()
		waitUntil(ctx, t, "the rules report", func() bool { return len(amDeliveries(hook, ns)) > 0 })
		first := time.Since(added)
		failed := func() string { return w.metric(`kuberesponder_model_answers_total{outcome="failed"}`) }
		if f := failed(); !tc.explains && f != "" && f != "0" {
			t.Errorf("the rules report came after the model's failure (%s counted)", f)
		}
		if tc.explains {
			waitUntil(ctx, t, "the model's update", func() bool { return len(amDeliveries(hook, ns)) > 1 })
		} else {
			waitUntil(ctx, t, "the model's failure counted", func() bool { return failed() == "1" })
		}
		ds := amDeliveries(hook, ns)
		for i, d := range ds {
			var rep triage.Report
			if err := json.Unmarshal(d.Report, &rep); err != nil {
				t.Fatal(err)
			}
			switch {
			case i == 0 && (d.State != sink.StateFiring || rep.Model != nil):
				t.Errorf("the first delivery is %s with model %+v; want the rules report alone", d.State, rep.Model)
			case i == 1 && (!tc.explains || d.State != sink.StateUpdated || d.ID != ds[0].ID || d.Alert == nil ||
				rep.Model == nil || !strings.Contains(rep.Model.Text, answer) || len(rep.Findings) == 0):
				t.Errorf("second delivery: %s %s alert %+v: %.300s", d.State, d.ID, d.Alert, d.Report)
			case i > 1:
				t.Errorf("more deliveries than the report and the model's update: %s", d.State)
			}
		}
		asked := m.checkAsked(t)
		w.stop(t)
		t.Logf("rules report %s after the alert was added; %d deliveries; %d model requests", first.Round(100*time.Millisecond), len(ds), asked)
		if t.Failed() {
			t.Logf("watcher logs:\n%s", w.logs())
		}
	})
}
