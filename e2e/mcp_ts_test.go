package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/session"
)

// tsClientDir holds the node script and its pinned MCP TypeScript SDK,
// installed with `npm ci --prefix e2e/mcp-ts` (.ci/run does).
const tsClientDir = "mcp-ts"

// TestMCPTypeScriptClient runs the built binary as an MCP server under the
// MCP TypeScript SDK's client (mcp-ts/check.mjs): it lists the tools, asks
// for the first response on the seed incident, describes the Pending pod
// and tries a write, and checks the answers. Only -short (or
// KUBERESPONDER_E2E=0, which turns every end-to-end test off) skips it; a
// missing node or SDK fails it.
func TestMCPTypeScriptClient(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test with the MCP TypeScript SDK's client: skipped under -short")
	}
	kubetest.Need(t) // KUBERESPONDER_E2E=0 turns every end-to-end test off, and says so
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not on PATH: install Node.js 18 or newer (.ci/run installs it)")
	}
	if _, err := os.Stat(filepath.Join(tsClientDir, "node_modules", "@modelcontextprotocol", "sdk", "package.json")); err != nil {
		t.Fatal("the MCP TypeScript SDK is not installed: run npm ci --prefix e2e/mcp-ts (.ci/run does)")
	}
	c := kubetest.Start(t)
	ns := seed(t, c)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pods, err := c.Admin.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{FieldSelector: "status.phase=Pending"})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("no Pending pod in %s: %v", ns, err)
	}
	pod := pods.Items[0].Name
	state := t.TempDir()
	cmd := exec.CommandContext(ctx, node, "check.mjs", binary(t), c.ReadOnlyKubeconfig, ns, pod)
	cmd.Dir = tsClientDir
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+state, "KUBECACHEDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	var res struct {
		OK       bool            `json:"ok"`
		Failures []string        `json:"failures"`
		Seen     json.RawMessage `json:"seen"`
	}
	if jerr := json.Unmarshal([]byte(lines[len(lines)-1]), &res); jerr != nil || err != nil || !res.OK {
		t.Fatalf("node check.mjs: %v\n%s", err, out)
	}
	t.Logf("the TypeScript SDK's client saw: %s", res.Seen)

	dir, evs := journal(t, state)
	if rep, err := session.Verify(dir); err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
	var tools []string
	for _, e := range evs {
		if e.Kind == "result" {
			tools = append(tools, e.Status+" "+e.Command)
		}
	}
	want := []string{"ran first_response", "ran kubectl describe pod " + pod + " --namespace=" + ns, "not-executed kubectl delete pod " + pod + " -n " + ns}
	if strings.Join(tools, "\n") != strings.Join(want, "\n") {
		t.Errorf("journaled answers:\n%s\nwant:\n%s", strings.Join(tools, "\n"), strings.Join(want, "\n"))
	}
	raw, _ := os.ReadFile(filepath.Join(dir, session.JournalFile))
	if !strings.Contains(string(raw), `"client":"ts-sdk-e2e 1.0.0"`) {
		t.Error("the journal does not name the TypeScript client")
	}
}
