package watch_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/kube/snapshot"
	"github.com/kuberesponder/kuberesponder/llm/llmtest"
	"github.com/kuberesponder/kuberesponder/session/watch/sink"
	"github.com/kuberesponder/kuberesponder/session/watch/sink/sinktest"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

// saUser is the audit log's name of the shipped ServiceAccount.
const saUser = "system:serviceaccount:kuberesponder:kuberesponder"

// deployShipped applies the shipped manifests (and the example Secret) with
// kubectl's kustomize and returns a kubeconfig holding a token of the
// shipped ServiceAccount.
func deployShipped(ctx context.Context, t *testing.T, c *kubetest.Cluster) string {
	t.Helper()
	for _, args := range [][]string{
		{"apply", "-f", "../../deploy/namespace.yaml"},
		{"apply", "-f", "../../deploy/secret.example.yaml"},
		{"apply", "-k", "../../deploy"},
	} {
		if out, err := c.Kubectl(ctx, "", args...); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	}
	return tokenKubeconfig(ctx, t, c, "kuberesponder", "kuberesponder")
}

// tokenKubeconfig returns a kubeconfig holding a token of ServiceAccount
// namespace/name.
func tokenKubeconfig(ctx context.Context, t testing.TB, c *kubetest.Cluster, namespace, name string) string {
	t.Helper()
	token, err := c.Kubectl(ctx, "", "create", "token", name, "-n", namespace, "--duration=2h")
	if err != nil {
		t.Fatal(err)
	}
	ca := c.AdminConfig.CAData
	if len(ca) == 0 {
		if ca, err = os.ReadFile(c.AdminConfig.CAFile); err != nil {
			t.Fatal(err)
		}
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["e2e"] = &clientcmdapi.Cluster{Server: c.AdminConfig.Host, CertificateAuthorityData: ca}
	kc.AuthInfos["watcher"] = &clientcmdapi.AuthInfo{Token: strings.TrimSpace(token)}
	kc.Contexts["watcher"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: "watcher", Namespace: "default"}
	kc.CurrentContext = "watcher"
	path := filepath.Join(t.TempDir(), name+".kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// watchCluster starts a control plane with the seed nodes and builds the
// binary; ctx ends after d or with the test.
func watchCluster(t *testing.T, d time.Duration) (*kubetest.Cluster, context.Context, string) {
	t.Helper()
	c := kubetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	bin := buildBinary(ctx, t)
	if err := c.EnsureSeedNodes(ctx); err != nil {
		t.Fatal(err)
	}
	return c, ctx, bin
}

// modelCase is one way a model meets the watcher in an end-to-end test.
type modelCase struct {
	name     string
	turn     llmtest.Turn
	timeout  string // --model-timeout
	explains bool   // its six sections are delivered
}

// modelCases are a model that answers with answer, and one that never
// answers.
func modelCases(answer string) []modelCase {
	return []modelCase{
		{"answers", llmtest.Text(answer), "5s", true},
		{"never answers", llmtest.Turn{Fault: llmtest.Fault{Kind: llmtest.Stall}}, "20s", false},
	}
}

// modelRun is one model case of an end-to-end test, with its own model
// server, signed webhook and namespace.
type modelRun struct {
	modelCase
	c        *kubetest.Cluster
	ctx      context.Context
	bin      string
	model    *llmtest.Server
	hook     *sinktest.Webhook
	sinkArgs []string // the --sink flags of hook
	ns       string
}

// eachModelCase runs run once per model case (modelCases(answer)) on one
// control plane; ctx ends after d.
func eachModelCase(t *testing.T, d time.Duration, answer string, run func(t *testing.T, m modelRun)) {
	c, ctx, bin := watchCluster(t, d)
	t.Setenv("OPENAI_API_KEY", "e2e-model-key")
	for _, tc := range modelCases(answer) {
		t.Run(tc.name, func(t *testing.T) {
			m := modelRun{modelCase: tc, c: c, ctx: ctx, bin: bin}
			m.model = llmtest.NewFunc(t, func(llmtest.Request) llmtest.Turn { return tc.turn })
			m.hook, m.sinkArgs = signedWebhook(t)
			m.ns = c.Namespace(t)
			run(t, m)
		})
	}
}

// checkAsked fails unless the model was asked with the rule's finding, and
// returns how many requests it had.
func (m modelRun) checkAsked(t *testing.T) int {
	t.Helper()
	asked := m.model.Requests()
	if len(asked) == 0 || !strings.Contains(string(asked[0].Body), "scheduling/node-selector-mismatch") {
		t.Errorf("the model was not asked with the rule's finding (%d requests)", len(asked))
	}
	return len(asked)
}

// buildBinary builds kuberesponder into a temporary directory.
func buildBinary(ctx context.Context, t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kuberesponder")
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/kuberesponder/kuberesponder").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// watcher is a running kuberesponder watch process.
type watcher struct {
	cmd    *exec.Cmd
	addr   string
	mu     sync.Mutex
	stdout []string
	stderr bytes.Buffer
	done   chan error
}

func startWatcher(t testing.TB, bin string, args ...string) *watcher {
	t.Helper()
	return startWatcherAt(t, bin, freeAddr(t), args...)
}

// startWatcherAt starts the watcher listening on addr, as a restarted
// watcher does for the Alertmanager that knows its address.
func startWatcherAt(t testing.TB, bin, addr string, args ...string) *watcher {
	t.Helper()
	w := &watcher{addr: addr, done: make(chan error, 1)}
	w.cmd = exec.Command(bin, append([]string{"watch", "--listen", w.addr}, args...)...)
	w.cmd.Stderr = &lockedWriter{mu: &w.mu, w: &w.stderr}
	out, err := w.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := w.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			w.mu.Lock()
			w.stdout = append(w.stdout, sc.Text())
			w.mu.Unlock()
		}
		w.done <- w.cmd.Wait()
	}()
	t.Cleanup(func() { _ = w.cmd.Process.Kill() })
	return w
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (w *watcher) logs() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stderr.String()
}

// get fetches a path of the watcher's listener.
func (w *watcher) get(path string) (int, string) {
	resp, err := http.Get("http://" + w.addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// stop sends SIGTERM and waits for the exit status.
func (w *watcher) stop(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-w.done:
		if err != nil {
			t.Fatalf("the watcher exited with %v after SIGTERM; logs:\n%s", err, w.logs())
		}
	case <-time.After(time.Minute):
		t.Fatal("the watcher did not exit within a minute of SIGTERM")
	}
}

// waitUntil polls cond every half second until it holds or ctx ends.
func waitUntil(ctx context.Context, t testing.TB, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// printed reports whether a line the watcher printed on stdout holds s.
func (w *watcher) printed(s string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, l := range w.stdout {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// signedWebhook starts a receiver that verifies the HMAC of every delivery
// and returns the flags that make the watcher sign them for it.
func signedWebhook(t testing.TB) (*sinktest.Webhook, []string) {
	t.Helper()
	secret := []byte("e2e-webhook-key")
	file := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(file, secret, 0o600); err != nil {
		t.Fatal(err)
	}
	hook := sinktest.NewWebhook(t, secret)
	return hook, []string{"--sink=webhook=" + hook.URL() + "/hook", "--webhook-secret-file", file}
}

// metric reads one sample of the watcher's /metrics ("" when absent).
func (w *watcher) metric(name string) string {
	_, body := w.get("/metrics")
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, name+" ") {
			return strings.TrimPrefix(line, name+" ")
		}
	}
	return ""
}

func scenario(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// firing counts the deliveries of each state per owner.
func byOwner(ds []sink.Delivery, state string) map[string]int {
	m := map[string]int{}
	for _, d := range ds {
		if d.State == state {
			m[d.Owner]++
		}
	}
	return m
}

func TestE2EWatch(t *testing.T) {
	c := kubetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	bin := buildBinary(ctx, t)
	kubeconfig := deployShipped(ctx, t, c)
	if err := c.EnsureSeedNodes(ctx); err != nil {
		t.Fatal(err)
	}
	mark, err := c.AuditMark()
	if err != nil {
		t.Fatal(err)
	}

	secret := []byte("e2e-webhook-key")
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, secret, 0o600); err != nil {
		t.Fatal(err)
	}
	hook, slack := sinktest.NewWebhook(t, secret), sinktest.NewSlack(t)
	hookURL, slackURL := hook.URL()+"/hooks/url-secret-1", slack.URL()+"/services/T0/B0/url-secret-2"
	state, files := t.TempDir(), t.TempDir()
	args := []string{"-A", "--kubeconfig", kubeconfig, "--offline", "--settle=5s", "--resolve-after=20s",
		"--sink=stdout", "--sink=webhook=" + hookURL, "--sink=slack=" + slackURL, "--sink=file=" + files,
		"--webhook-secret-file", secretFile, "--state-dir", state}
	w := startWatcher(t, bin, args...)
	waitUntil(ctx, t, "/readyz", func() bool { code, _ := w.get("/readyz"); return code == 200 })
	if code, _ := w.get("/healthz"); code != 200 {
		t.Errorf("/healthz answered %d", code)
	}

	// The seed incident and six other causes, each in its own namespace.
	want := map[string]string{} // owner → rule prefix
	seedNS := c.Namespace(t)
	if _, err := c.SeedIncident(ctx, seedNS); err != nil {
		t.Fatal(err)
	}
	want["Deployment "+seedNS+"/nginx-with-10gi"] = "scheduling/insufficient-memory"
	for _, tc := range []struct{ file, owner, rule string }{
		{"node-selector", "Deployment %s/ssd-only", "scheduling/node-selector-mismatch"},
		{"taint", "Deployment %s/db", "scheduling/"},
		{"quota", "Deployment %s/over-quota", "workload/failed-create-quota"},
		{"hostport", "Deployment %s/hostport", "scheduling/host-port-conflict"},
		{"service", "Service %s/orphan", "service/no-matching-pods"},
		{"job-deadline", "Job %s/deadline", ""}, // its pod first, then the job/failed finding: one incident
	} {
		ns := c.Namespace(t)
		if err := c.ApplyIn(ctx, ns, scenario(t, tc.file)); err != nil {
			t.Fatal(err)
		}
		want[fmt.Sprintf(tc.owner, ns)] = tc.rule
	}
	t.Cleanup(func() {
		_ = c.Admin.CoreV1().Nodes().Delete(context.Background(), "triage-tainted", metav1.DeleteOptions{})
	})
	waitUntil(ctx, t, "a delivery of every cause", func() bool {
		got := byOwner(hook.Deliveries(), sink.StateFiring)
		for owner := range want {
			if got[owner] == 0 {
				return false
			}
		}
		return true
	})
	for _, d := range hook.Deliveries() {
		if r, ok := want[d.Owner]; ok && d.State == sink.StateFiring && !strings.HasPrefix(d.Rule, r) {
			t.Errorf("%s: rule %s, want %s…", d.Owner, d.Rule, r)
		}
	}

	// Restart: SIGTERM exits 0; the new process delivers nothing again.
	w.stop(t)
	afterFirst := len(hook.Deliveries())
	w = startWatcher(t, bin, args...)
	waitUntil(ctx, t, "the restarted watcher's first evaluation", func() bool {
		v := w.metric("kuberesponder_evaluations_total")
		return v != "" && v != "0"
	})

	// Resolving the seed's cause posts "resolved".
	seedOwner := "Deployment " + seedNS + "/nginx-with-10gi"
	if _, err := c.Kubectl(ctx, "", "scale", "-n", seedNS, "deployment/nginx-with-10gi", "--replicas=1"); err != nil {
		t.Fatal(err)
	}
	waitUntil(ctx, t, "the seed incident resolved", func() bool {
		return byOwner(hook.Deliveries(), sink.StateResolved)[seedOwner] > 0
	})
	w.stop(t) // drains

	all := hook.Deliveries()
	firing := byOwner(all, sink.StateFiring)
	for owner := range want {
		if firing[owner] != 1 {
			t.Errorf("%s delivered %d times as firing, want once", owner, firing[owner])
		}
	}
	if n := byOwner(all[afterFirst:], sink.StateSummary); len(n) > 0 {
		t.Errorf("the restarted watcher delivered a summary of what was delivered: %v", n)
	}
	for _, d := range all[afterFirst:] {
		if d.State != sink.StateResolved {
			t.Errorf("after the restart: %s %s", d.State, d.Owner)
		}
	}
	if hook.Repeats() != 0 || len(hook.Rejected()) != 0 || len(slack.Rejected()) != 0 {
		t.Errorf("repeats %d; webhook rejected %v; slack rejected %v", hook.Repeats(), hook.Rejected(), slack.Rejected())
	}
	// Slack got the same messages, each within Slack's limits.
	slackFiring := 0
	for _, m := range slack.Messages() {
		if txt, _ := m["text"].(string); strings.HasPrefix(txt, "[FIRING]") {
			slackFiring++
		}
	}
	if want := countState(all, sink.StateFiring); slackFiring != want || want < 7 {
		t.Errorf("slack received %d firing messages, the webhook %d", slackFiring, want)
	}
	// The resolved seed: a duration, and a snapshot that opens.
	for _, d := range all {
		if d.Owner != seedOwner {
			continue
		}
		if d.State == sink.StateResolved && d.DurationSeconds <= 0 {
			t.Errorf("resolved without a duration: %+v", d)
		}
		if d.State == sink.StateFiring {
			if d.Snapshot == "" || !strings.Contains(d.SnapshotHint, "kuberesponder --snapshot "+d.Snapshot) {
				t.Fatalf("no snapshot hint: %+v", d)
			}
			snap, err := snapshot.Load(d.Snapshot)
			if err != nil {
				t.Fatalf("the incident's snapshot does not open: %v", err)
			}
			if snap.Facts() == nil || len(snap.File().Objects.Pods) == 0 {
				t.Errorf("the snapshot holds no facts or pods")
			}
			md, err := os.ReadFile(filepath.Join(files, d.ID+".firing.md"))
			if err != nil || !strings.Contains(string(md), "Insufficient memory") {
				t.Errorf("file sink: %v\n%s", err, md)
			}
		}
	}
	// Logs and metrics never show the sinks' URLs or the key.
	for _, leak := range []string{"url-secret", string(secret)} {
		if strings.Contains(w.logs(), leak) {
			t.Errorf("the logs show %q", leak)
		}
	}
	if c.OnlyReads(t, mark) == 0 {
		t.Error("no audited request")
	}
	events, err := c.AuditSince(mark)
	if err != nil {
		t.Fatal(err)
	}
	verbs := map[string]int{}
	for _, e := range events {
		if e.User == saUser {
			verbs[e.Verb]++
		}
	}
	if verbs["watch"] == 0 || verbs["list"] == 0 {
		t.Errorf("the ServiceAccount's requests: %v; want lists and watches", verbs)
	}
	t.Logf("deliveries: %d; ServiceAccount requests by verb: %v", len(all), verbs)
}

func countState(ds []sink.Delivery, state string) int {
	n := 0
	for _, d := range ds {
		if d.State == state {
			n++
		}
	}
	return n
}
