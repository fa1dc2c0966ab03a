// Package e2e drives the real kuberesponder binary in a terminal against a
// real control plane, reading the screen as a person would.
package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error

	seedOnce sync.Once
	seedNS   string
	seedErr  error
)

// binary builds kuberesponder once per test binary.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		// One directory per checkout: test binaries of two working trees
		// must not run each other's build.
		wd, _ := os.Getwd()
		sum := sha256.Sum256([]byte(wd))
		dir := filepath.Join(os.TempDir(), "kuberesponder-e2e-bin-"+hex.EncodeToString(sum[:4]))
		if buildErr = os.MkdirAll(dir, 0o755); buildErr != nil {
			return
		}
		binPath = filepath.Join(dir, "kuberesponder")
		cmd := exec.Command("go", "build", "-o", binPath, "..")
		cmd.Stderr = os.Stderr
		buildErr = cmd.Run()
	})
	if buildErr != nil {
		t.Fatalf("build kuberesponder: %v", buildErr)
	}
	return binPath
}

// seed reproduces the seed incident once per test binary and returns its namespace.
func seed(t *testing.T, c *kubetest.Cluster) string {
	t.Helper()
	seedOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		seedNS = "incident"
		if seedErr = c.Apply(ctx, "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: incident\n"); seedErr != nil {
			return
		}
		_, seedErr = c.SeedIncident(ctx, seedNS)
	})
	if seedErr != nil {
		t.Fatalf("seed incident: %v", seedErr)
	}
	return seedNS
}

// event is the part of a journal line the tests read.
type event struct {
	Kind     string `json:"kind"`
	Command  string `json:"command"`
	Decision string `json:"decision"`
	Status   string `json:"status"`
	Reason   string `json:"reason"`
	Text     string `json:"text"`
}

func journal(t *testing.T, state string) (string, []event) {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(state, "kuberesponder", "sessions", "*", "journal.jsonl"))
	if len(dirs) != 1 {
		t.Fatalf("want one journal under %s, found %d", state, len(dirs))
	}
	f, err := os.Open(dirs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("journal line %d: %v", len(evs)+1, err)
		}
		evs = append(evs, e)
	}
	return filepath.Dir(dirs[0]), evs
}

// decide moves the focus to the transcript if the input box holds it, waits
// out the new card's key guard and presses key.
func decide(tm *term, key string) {
	if strings.Contains(tm.screen(), "tab to decide") {
		tm.keys("Tab")
	}
	time.Sleep(500 * time.Millisecond)
	tm.keys(key)
}

// investigate starts the investigation of the seed incident from its first
// response: it approves the proposed describe pod and answers the describe
// node that follows with node, "y" or "n".
func investigate(tm *term, node string) {
	tm.keys("Enter")
	tm.waitForCard(30*time.Second, "describe pod")
	decide(tm, "y")
	tm.waitForCard(30*time.Second, "describe node")
	decide(tm, node)
}

// TestSessionSeedIncident walks the seed incident offline in a real terminal:
// the report, two proposals (one approved, one denied with a reason), the
// conclusion, the postmortem export and quitting.
func TestSessionSeedIncident(t *testing.T) {
	c := kubetest.Start(t)
	ns := seed(t, c)
	bin := binary(t)
	mark, err := c.AuditMark()
	if err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	tm := startTerm(t, 120, 40, []string{"XDG_STATE_HOME=" + state, "KUBECACHEDIR=" + t.TempDir()},
		bin, "--kubeconfig", c.ReadOnlyKubeconfig, "-n", ns, "--offline")

	tm.waitFor(60*time.Second, "nginx-with-10gi", "enter starts the investigation")
	investigate(tm, "n")
	tm.waitFor(5*time.Second, "reason")
	tm.text("enough evidence already")
	tm.keys("Enter")
	tm.waitFor(30*time.Second, "Insufficient memory", "resolve the session")
	tm.waitIdle(30 * time.Second)

	tm.keys("C-e")
	tm.waitFor(30*time.Second, "Postmortem written to")
	dir, evs := journal(t, state)
	pm, err := os.ReadFile(filepath.Join(dir, "postmortem.md"))
	if err != nil {
		t.Fatalf("ctrl+e wrote no postmortem: %v\n%s", err, tm.screen())
	}
	for _, want := range []string{"nginx-with-10gi", "describe pod", "enough evidence already"} {
		if !strings.Contains(string(pm), want) {
			t.Errorf("the postmortem does not mention %q", want)
		}
	}
	tm.keys("C-c")
	tm.keys("C-c")
	tm.waitFor(10*time.Second, "[exited 0]")

	var ran, denied bool
	for _, e := range evs {
		if e.Kind == "result" && e.Status == "ran" && strings.Contains(e.Command, "describe pod") {
			ran = true
		}
		if e.Kind == "decision" && e.Decision == "denied" && e.Reason == "enough evidence already" {
			denied = true
		}
	}
	if !ran || !denied {
		t.Errorf("journal: describe pod ran=%v, denial with reason=%v; events: %+v", ran, denied, evs)
	}
	if n := c.OnlyReads(t, mark); n == 0 {
		t.Error("the audit log recorded no request of the read-only user")
	}
}

// TestSessionResumesAfterKill kills the process with SIGKILL while a proposal
// awaits approval; --resume last brings back every journaled event and asks
// again.
func TestSessionResumesAfterKill(t *testing.T) {
	c := kubetest.Start(t)
	ns := seed(t, c)
	bin := binary(t)
	state := t.TempDir()
	env := []string{"XDG_STATE_HOME=" + state, "KUBECACHEDIR=" + t.TempDir()}
	args := []string{"--kubeconfig", c.ReadOnlyKubeconfig, "-n", ns, "--offline"}
	tm := startTerm(t, 80, 24, env, append([]string{bin}, args...)...)
	tm.waitFor(60*time.Second, "enter starts the investigation")
	tm.keys("Enter")
	tm.waitFor(30*time.Second, "Run this command?")
	_, before := journal(t, state)

	out, err := exec.Command("pgrep", "-P", strconv.Itoa(tm.pid()), "kuberesponder").Output()
	if err != nil {
		t.Fatalf("find the process: %v", err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(out)))
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	tm.waitFor(10*time.Second, "[exited 137]")

	tm2 := startTerm(t, 80, 24, env, append([]string{bin, "--resume", "last"}, args...)...)
	s := tm2.waitFor(30*time.Second, "Run this command?")
	if !strings.Contains(s, "describe pod") {
		t.Fatalf("the resumed session does not ask about the pending proposal again:\n%s", s)
	}
	_, after := journal(t, state)
	if len(after) < len(before) {
		t.Fatalf("the journal lost events: %d before the kill, %d after", len(before), len(after))
	}
	for i := range before {
		if before[i] != after[i] {
			t.Errorf("event %d changed across the kill: %+v → %+v", i, before[i], after[i])
		}
	}
	decide(tm2, "y")
	tm2.waitForCard(30*time.Second, "describe node")
}

// TestDemoWalkthrough walks the embedded demo with no cluster and no key:
// the report, both proposed actions approved, the conclusion, :resolve and
// the exported postmortem.
func TestDemoWalkthrough(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and drives the real binary")
	}
	bin := binary(t)
	state := t.TempDir()
	tm := startTerm(t, 80, 24, []string{"XDG_STATE_HOME=" + state, "OPENAI_API_KEY=", "KUBECONFIG=/nonexistent"}, bin, "--demo")
	tm.waitFor(30*time.Second, "snapshot", "enter starts the investigation")
	investigate(tm, "y")
	tm.waitFor(30*time.Second, "When it is fixed, resolve the session")
	if !strings.Contains(tm.screen(), "enter send") { // the input box has not the focus
		tm.keys("Tab")
	}
	tm.text(":resolve requests exceed free node memory")
	tm.keys("Enter")
	tm.waitFor(10*time.Second, "resolved")
	tm.keys("C-e")
	tm.waitFor(30*time.Second, "Postmortem written to")
	dir, evs := journal(t, state)
	pm, err := os.ReadFile(filepath.Join(dir, "postmortem.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# Postmortem", "requests exceed free node memory", "kubectl describe node", "hash chain verified"} {
		if !strings.Contains(string(pm), want) {
			t.Errorf("the postmortem lacks %q", want)
		}
	}
	ran := 0
	for _, e := range evs {
		if e.Kind == "result" && e.Status == "ran" {
			ran++
		}
	}
	if ran != 2 {
		t.Errorf("%d actions ran on the demo, want 2", ran)
	}
	tm.keys("C-c")
	tm.keys("C-c")
	tm.waitFor(10*time.Second, "[exited 0]")
}
