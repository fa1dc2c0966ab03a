package session

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/llm/llmtest"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

// seedSession reproduces the seed incident on the real control plane,
// gathers the first response as the read-only user and starts a session
// on it. It returns the session, the executor and the top finding.
func seedSession(t *testing.T, c *kubetest.Cluster) (*Session, *kube.Executor, triage.Finding) {
	t.Helper()
	ns := c.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := c.SeedIncident(ctx, ns); err != nil {
		t.Fatal(err)
	}
	cs := c.ReadOnly(t)
	facts, err := triage.Gather(ctx, cs, triage.Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	report := triage.Build(facts)
	if len(report.Findings) == 0 {
		t.Fatal("triage found nothing in the seed incident")
	}
	top := report.Findings[0]
	if top.Rule != "scheduling/insufficient-memory" || top.Object.Kind != "Pod" || !strings.HasPrefix(top.Object.Name, "nginx-with-10gi-") {
		t.Fatalf("top finding %s on %s, want insufficient memory on a nginx-with-10gi pod", top.Rule, top.Object)
	}
	s, exec := reportedSession(t, c, ns, report)
	return s, exec, top
}

// reportedSession opens an offline session in a temporary directory whose
// first response is report, and an executor on namespace ns as the
// read-only user.
func reportedSession(t *testing.T, c *kubetest.Cluster, ns string, report triage.Report) (*Session, *kube.Executor) {
	t.Helper()
	js, err := report.JSON()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(t.TempDir()+"/s", Meta{Context: "kubetest", Namespace: ns, Model: "offline", Lang: "en"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Report(FirstResponse{Markdown: report.Markdown("en"), Findings: js}); err != nil {
		t.Fatal(err)
	}
	exec, err := kube.NewExecutor(c.ReadOnlyConfig, kube.ExecOptions{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	return s, exec
}

// countingRunner counts the actions it runs.
type countingRunner struct {
	r   Runner
	ran []string
}

func (c *countingRunner) Run(ctx context.Context, a kube.Action) (kube.Result, error) {
	c.ran = append(c.ran, a.String())
	return c.r.Run(ctx, a)
}

// checkSeedConclusion asserts the session identified the Pending pod and
// confirmed the cause within two approved actions, reading only.
func checkSeedConclusion(t *testing.T, c *kubetest.Cluster, mark int64, s *Session, runner *countingRunner, top triage.Finding) {
	t.Helper()
	if len(runner.ran) == 0 || len(runner.ran) > 2 {
		t.Fatalf("ran %q, want 1 or 2 approved actions", runner.ran)
	}
	if !strings.Contains(runner.ran[0], top.Object.Name) {
		t.Errorf("the first action %q is not about the Pending pod %s", runner.ran[0], top.Object.Name)
	}
	results := kinds(s, KindResult)
	var seen strings.Builder
	for _, r := range results {
		if r.Status != Ran {
			t.Errorf("result %s: %s %s", r.Command, r.Status, r.Reason)
		}
		seen.WriteString(r.ModelView)
	}
	if !strings.Contains(seen.String(), "Insufficient memory") {
		t.Errorf("no result shows the scheduler's complaint:\n%s", seen.String())
	}
	as := kinds(s, KindAssistant)
	final := as[len(as)-1].Text
	for _, want := range []string{"10Gi", "nginx-with-10gi"} {
		if !strings.Contains(final, want) {
			t.Errorf("the conclusion lacks %q:\n%s", want, final)
		}
	}
	if rep, err := Verify(s.Dir()); err != nil || !rep.OK() {
		t.Errorf("verify: %v %v", err, rep.Problems)
	}
	n := c.OnlyReads(t, mark)
	t.Logf("%d audited requests, all reads; actions: %q", n, runner.ran)
	for _, a := range as {
		t.Logf("assistant:\n%s", a.Text)
	}
}

// TestSeedOffline takes the offline responder through the seed incident on
// the real control plane.
func TestSeedOffline(t *testing.T) {
	c := kubetest.Start(t)
	s, exec, top := seedSession(t, c)
	mark, err := c.AuditMark()
	if err != nil {
		t.Fatal(err)
	}
	findings := []triage.Finding{top}
	runner := &countingRunner{r: exec}
	if _, err := s.Investigate(); err != nil {
		t.Fatal(err)
	}
	err = Drive(context.Background(), s, NewOffline(findings, "en"), runner, func(Step) Answer { return Answer{Decision: Approved} })
	if err != nil {
		t.Fatal(err)
	}
	checkSeedConclusion(t, c, mark, s, runner, top)
	if !strings.HasPrefix(runner.ran[len(runner.ran)-1], "kubectl describe node") {
		t.Errorf("the second action is %q, want describe nodes", runner.ran[len(runner.ran)-1])
	}
	as := kinds(s, KindAssistant)
	if final := as[len(as)-1].Text; !regexp.MustCompile(`memory requests \d+\S*\s+\(\d+%\), limits `).MatchString(final) {
		t.Errorf("the conclusion quotes no node memory allocation:\n%s", final)
	}
}

// TestSeedScripted plays the seed conversation with the llmtest server over
// real HTTP: the model reads the grounded report from the system prompt,
// describes the Pending pod, then the nodes, and concludes.
func TestSeedScripted(t *testing.T) {
	c := kubetest.Start(t)
	s, exec, top := seedSession(t, c)
	mark, err := c.AuditMark()
	if err != nil {
		t.Fatal(err)
	}
	pending := regexp.MustCompile(`nginx-with-10gi-[a-z0-9]+-[a-z0-9]+`)
	srv := llmtest.NewFunc(t, func(r llmtest.Request) llmtest.Turn {
		msgs := r.Chat.Messages
		switch last := msgs[len(msgs)-1]; {
		case last.Role == "user":
			// Find the Pending pod the way a model would: in the report.
			pod := pending.FindString(msgs[0].Content)
			return llmtest.Calls(llmtest.Kubectl("call_pod", fmt.Sprintf("describe pod %s", pod), "its events say why it is Pending"))
		case last.ToolCallID == "call_pod":
			return llmtest.Calls(llmtest.Kubectl("call_nodes", "describe nodes", "how much memory each node has left"))
		default:
			return llmtest.Text("The pod requests 10Gi of memory and no node has that much free. " +
				"Lower the request of deployment nginx-with-10gi or add a node; do not edit its ReplicaSets by hand.")
		}
	})
	client, err := llm.NewOpenAI(llm.Config{BaseURL: srv.URL(), APIKey: "test", Model: "test-model"})
	if err != nil {
		t.Fatal(err)
	}
	runner := &countingRunner{r: exec}
	if _, err := s.Investigate(); err != nil {
		t.Fatal(err)
	}
	if err := Drive(context.Background(), s, client, runner, func(Step) Answer { return Answer{Decision: Approved} }); err != nil {
		t.Fatal(err)
	}
	checkSeedConclusion(t, c, mark, s, runner, top)
	srv.AssertToolCallsAnswered(t)
	reqs := srv.Requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	if !strings.Contains(reqs[0].Chat.Messages[0].Content, top.Object.Name) {
		t.Error("the system prompt does not carry the Pending pod from the first response")
	}
	var findings struct{ Findings []json.RawMessage }
	_ = json.Unmarshal(s.Events()[1].Findings, &findings)
	if len(findings.Findings) == 0 {
		t.Error("the report event holds no findings")
	}
}
