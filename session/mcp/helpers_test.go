package mcp

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/session"
	"github.com/kuberesponder/kuberesponder/session/mcp/mcptest"
)

// fakeRunner answers every action with a fixed output and counts the runs.
type fakeRunner struct {
	mu   sync.Mutex
	ran  []string
	fail map[string]error
}

func (r *fakeRunner) Run(_ context.Context, a kube.Action) (kube.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	cmd := a.String()
	r.ran = append(r.ran, cmd)
	out := "output of " + cmd + "\n"
	return kube.Result{Command: cmd, Output: out, ModelView: out, Summary: "1 line"}, r.fail[cmd]
}

func (r *fakeRunner) runs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ran...)
}

// pendingReport reports one Pending pod of ns (or of "shop" for all).
func pendingReport(_ context.Context, ns string) (triage.Report, error) {
	now := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	podNS := ns
	if podNS == "" {
		podNS = "shop"
	}
	if podNS == "broken" {
		return triage.Report{}, fmt.Errorf("list pods in broken: forbidden")
	}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: podNS, Name: "web-1", CreationTimestamp: metav1.NewTime(now.Add(-time.Hour))},
		Spec:       corev1.PodSpec{SchedulerName: "custom", Containers: []corev1.Container{{Name: "web", Image: "web:1"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
	return triage.Build(triage.FromObjects(now, ns, pod)), nil
}

// fixture is a server over a fresh session with a fake runner and reporter.
type fixture struct {
	srv    *Server
	sess   *session.Session
	runner *fakeRunner
	dir    string
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "sessions", "mcp-1")
	s, err := session.New(dir, session.Meta{Context: "test", Namespace: "shop", Model: "mcp", Lang: "en"}, session.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	r := &fakeRunner{}
	srv, err := New(Config{Session: s, Runner: r, Reporter: ReporterFunc(pendingReport), Namespace: "shop", Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{srv: srv, sess: s, runner: r, dir: dir}
}

// connect connects an SDK client to the server in memory.
func (f *fixture) connect(t testing.TB) *sdk.ClientSession {
	t.Helper()
	ctx := context.Background()
	st, ct := sdk.NewInMemoryTransports()
	ss, err := f.srv.srv.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ss.Close() })
	c := sdk.NewClient(&sdk.Implementation{Name: "test-client", Version: "1.0"}, nil)
	cs, err := c.Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// callTool calls a tool and returns its text, whether it is an error and
// its structured content.
func callTool(t testing.TB, cs *sdk.ClientSession, tool string, args any) (string, bool, any) {
	t.Helper()
	return mcptest.Call(context.Background(), t, cs, tool, args)
}

// kubectlArgs are the kubectl tool's arguments.
func kubectlArgs(command string) map[string]any {
	return map[string]any{"command": command, "reason": "test"}
}

// asJSON re-encodes structured content to decode it into v.
func asJSON(t testing.TB, doc any, v any) {
	t.Helper()
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("structured content %s: %v", b, err)
	}
}
