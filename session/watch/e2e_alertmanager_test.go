package watch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/session/watch/sink"
	"github.com/kuberesponder/kuberesponder/session/watch/sink/sinktest"
)

// alertmanager builds (or finds in its cache) a real Alertmanager and amtool
// and starts Alertmanager routing every alert to url with a bearer token,
// repeating a firing group every repeat (an Alertmanager duration).
func alertmanager(ctx context.Context, t *testing.T, url, token, repeat string) (amURL, amtool string) {
	t.Helper()
	out, err := exec.CommandContext(ctx, "../../e2e/alertmanager/build.sh").Output()
	if err != nil {
		t.Fatalf("build Alertmanager: %v", err)
	}
	dir := strings.TrimSpace(string(out))
	work := t.TempDir()
	cfg := fmt.Sprintf(`route:
  receiver: kuberesponder
  group_by: [alertname, namespace]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: %s
receivers:
- name: kuberesponder
  webhook_configs:
  - url: %s
    send_resolved: true
    http_config:
      authorization: {type: Bearer, credentials: %s}
`, repeat, url, token)
	if err := os.WriteFile(filepath.Join(work, "am.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	cmd := exec.Command(filepath.Join(dir, "bin", "alertmanager"), "--config.file="+filepath.Join(work, "am.yml"),
		"--storage.path="+filepath.Join(work, "data"), "--web.listen-address="+addr, "--cluster.listen-address=")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("alertmanager logs:\n%s", logs.String())
		}
	})
	amURL = "http://" + addr
	waitUntil(ctx, t, "Alertmanager ready", func() bool {
		resp, err := http.Get(amURL + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return amURL, filepath.Join(dir, "bin", "amtool")
}

func TestE2EAlertmanager(t *testing.T) {
	c := kubetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	bin := buildBinary(ctx, t)
	ns := c.Namespace(t)
	if err := c.EnsureSeedNodes(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyIn(ctx, ns, scenario(t, "node-selector")); err != nil {
		t.Fatal(err)
	}
	token := "am-e2e-token"
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hook := sinktest.NewWebhook(t, nil)
	w := startWatcher(t, bin, "-A", "--kubeconfig", c.ReadOnlyKubeconfig, "--offline", "--ignore-existing", "--settle=1h",
		"--listen-token-file", tokenFile, "--sink=webhook="+hook.URL(), "--state-dir", t.TempDir(), "--max-body=65536")
	waitUntil(ctx, t, "/readyz", func() bool { code, _ := w.get("/readyz"); return code == 200 })
	amURL, amtool := alertmanager(ctx, t, "http://"+w.addr+"/alertmanager", token, "1h")

	// Bad payloads: 400 (and 401 without the token, 413 over the limit).
	for _, tc := range []struct {
		body, token string
		code        int
	}{
		{`{"version":"4"`, token, 400},
		{`{"version":"1","groupKey":"k","status":"firing","alerts":[{"status":"firing"}]}`, token, 400},
		{`not json`, token, 400},
		{`{}`, "", 401},
		{strings.Repeat("x", 70000), token, 413},
	} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+w.addr+"/alertmanager", strings.NewReader(tc.body))
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("POST %.20q: %d, want %d", tc.body, resp.StatusCode, tc.code)
		}
	}

	// A firing alert about the deployment, added with amtool.
	out, err := exec.CommandContext(ctx, amtool, "--alertmanager.url="+amURL, "alert", "add", "KubeDeploymentReplicasMismatch",
		"namespace="+ns, "deployment=ssd-only", "severity=warning", "--annotation=summary=replicas-mismatch").CombinedOutput()
	if err != nil {
		t.Fatalf("amtool alert add: %v\n%s", err, out)
	}
	owner := "Deployment " + ns + "/ssd-only"
	var fired sink.Delivery
	waitUntil(ctx, t, "the alert's report", func() bool {
		for _, d := range hook.Deliveries() {
			if d.Source == sink.SourceAlertmanager && d.State == sink.StateFiring && d.Alert != nil && d.Alert.Labels["namespace"] == ns {
				fired = d
				return true
			}
		}
		return false
	})
	if fired.Owner != owner || fired.Alert == nil || fired.Alert.Name != "KubeDeploymentReplicasMismatch" ||
		fired.Alert.Labels["deployment"] != "ssd-only" || fired.Rule != "scheduling/node-selector-mismatch" {
		t.Errorf("alert delivery: %+v", fired)
	}
	var rep struct {
		Findings []struct {
			Rule   string `json:"rule"`
			Object struct{ Namespace, Name string }
		} `json:"findings"`
	}
	if err := json.Unmarshal(fired.Report, &rep); err != nil || len(rep.Findings) == 0 {
		t.Fatalf("report: %v %s", err, fired.Report)
	}
	for _, f := range rep.Findings {
		if f.Object.Namespace != ns || !strings.HasPrefix(f.Object.Name, "ssd-only") {
			t.Errorf("a finding outside the alert's scope: %+v", f)
		}
	}
	if fired.Snapshot == "" {
		t.Error("no snapshot for the alert")
	}

	// Resolved through the API: an endsAt in the past closes it.
	amResolve(t, amURL, ns, time.Now().Add(-time.Minute))
	waitUntil(ctx, t, "the alert resolved", func() bool {
		for _, d := range hook.Deliveries() {
			if d.Source == sink.SourceAlertmanager && d.State == sink.StateResolved && d.Fingerprint == fired.Fingerprint {
				return true
			}
		}
		return false
	})
	if v := w.metric(`kuberesponder_alertmanager_requests_total{code="400"}`); v != "3" {
		t.Errorf("400s counted: %q, want 3", v)
	}
	w.stop(t)
	n := 0
	for _, d := range hook.Deliveries() {
		if d.Source == sink.SourceAlertmanager {
			n++
		}
	}
	if n != 2 {
		t.Errorf("%d Alertmanager deliveries, want firing and resolved", n)
	}
	if !strings.Contains(w.logs(), "malformed payload") {
		t.Error("no log line for the malformed payloads")
	}
}
