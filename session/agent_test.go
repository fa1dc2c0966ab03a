package session

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/kuberesponder/kuberesponder/kube"
)

// agentArgs is the JSON of a kubectl call.
func agentArgs(command, reason string) string {
	b, _ := json.Marshal(kubectlArgs{Command: command, Reason: reason})
	return string(b)
}

// agentSession creates a session as the MCP server does: the start and
// the first response, no investigation phase and no model.
func agentSession(t *testing.T, opts Options) *Session {
	t.Helper()
	if opts.Now == nil {
		opts.Now = newClock().Now
	}
	s, err := New(t.TempDir()+"/a1", Meta{Context: "kind-e2e", Namespace: "shop", Model: "mcp", Lang: "en"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Report(FirstResponse{Markdown: seedReport, Title: "Pod Pending"}); err != nil {
		t.Fatal(err)
	}
	return s
}

// runAgent journals one agent call and, when it may run, runs it with r.
func runAgent(t *testing.T, s *Session, r Runner, c AgentCall) (Step, Event) {
	t.Helper()
	step, err := s.Agent(c)
	if err != nil {
		t.Fatalf("Agent(%s %s): %v", c.Tool, c.Args, err)
	}
	if step.Kind == StepRun && c.Tool == "kubectl" {
		res, rerr := r.Run(context.Background(), step.Action)
		if _, err := s.ActionDone(step.CallID, res, rerr); err != nil {
			t.Fatalf("ActionDone: %v", err)
		}
	}
	if step.Kind == StepRun && c.Tool != "kubectl" {
		if _, err := s.AgentAnswered(step.CallID, AgentOutput{Output: "report of " + c.Args, Summary: "2 findings"}); err != nil {
			t.Fatalf("AgentAnswered: %v", err)
		}
	}
	ans, ok := s.Answer(step.CallID)
	if !ok {
		t.Fatalf("%s %s: no answer", c.Tool, c.Args)
	}
	return step, ans
}

func TestAgentCalls(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tool   string
		args   string
		status Status
		risk   string
		view   string // prefix of the answer's ModelView
		fix    bool
	}{
		{"read", "kubectl", agentArgs("get pods -n shop", "see the pods"), Ran, "read-only", "$ kubectl get pods --namespace=shop (ran at ", false},
		{"secret read", "kubectl", agentArgs("get secret db -n shop -o yaml", "keys"), Ran, "sensitive", "$ kubectl get secret db --namespace=shop --output=yaml (ran at ", false},
		{"write", "kubectl", agentArgs("delete pod web-1 -n shop", "restart it"), NotExecuted, "mutating", "Not executed: this command changes the cluster", true},
		{"shell", "kubectl", agentArgs("get pods | grep web", "filter"), Refused, "refused", "Refused: ", false},
		{"identity flag", "kubectl", agentArgs("get pods --as=system:admin", "more rights"), Refused, "refused", "Refused: ", false},
		{"bad arguments", "kubectl", `{"command": 5}`, Refused, "refused", "Refused: the arguments must be a JSON object", false},
		{"not JSON", "kubectl", `{"command": "get pods"`, Refused, "refused", "Refused: the arguments must be a JSON object", false},
		{"own tool", "first_response", `{"namespace": "shop"}`, Ran, "read-only", `report of {"namespace": "shop"}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := agentSession(t, Options{})
			r := &fakeRunner{}
			_, ans := runAgent(t, s, r, AgentCall{Client: "claude-code 1.0", Tool: tc.tool, Args: tc.args})
			if ans.Status != tc.status {
				t.Errorf("status %s, want %s (%s)", ans.Status, tc.status, ans.ModelView)
			}
			if !strings.HasPrefix(ans.ModelView, tc.view) {
				t.Errorf("answer %q, want it to start with %q", ans.ModelView, tc.view)
			}
			props := kinds(s, KindProposal)
			if len(props) != 1 || props[0].Client != "claude-code 1.0" || props[0].Risk != tc.risk || props[0].Tool != tc.tool {
				t.Errorf("proposal %+v, want client claude-code 1.0, risk %s, tool %s", props, tc.risk, tc.tool)
			}
			if got := len(kinds(s, KindFix)) == 1; got != tc.fix {
				t.Errorf("fix recorded: %v, want %v", got, tc.fix)
			}
			if ran := len(r.ran) > 0; ran != (tc.status == Ran && tc.tool == "kubectl") {
				t.Errorf("the runner ran %v", r.ran)
			}
			if (tc.status == Ran) && ans.Output == "" {
				t.Error("a run's answer has no output file")
			}
		})
	}
}

// TestAgentAnswersAsTheSession: an agent's read is answered with the very
// text the model gets for the same command in a session.
func TestAgentAnswersAsTheSession(t *testing.T) {
	r := &fakeRunner{out: map[string]string{"kubectl describe pod web-1 --namespace=shop": "Name: web-1\nStatus: Pending\n"}}
	model, _ := startSession(t, Options{})
	step, err := model.ModelReplied(calls("", kc("c1", "describe pod web-1 -n shop", "why pending")))
	if err != nil {
		t.Fatal(err)
	}
	if step, err = model.Approve(step.CallID, false); err != nil {
		t.Fatal(err)
	}
	res, rerr := r.Run(context.Background(), step.Action)
	if _, err := model.ActionDone(step.CallID, res, rerr); err != nil {
		t.Fatal(err)
	}
	want, _ := model.Answer("c1")

	agent := agentSession(t, Options{})
	_, got := runAgent(t, agent, r, AgentCall{Client: "x", Tool: "kubectl", Args: agentArgs("describe pod web-1 -n shop", "why pending")})
	at := regexp.MustCompile(`\(ran at [0-9:]+\)`)
	if at.ReplaceAllString(got.ModelView, "") != at.ReplaceAllString(want.ModelView, "") || !strings.Contains(got.ModelView, "Status: Pending") {
		t.Errorf("agent answer:\n%s\nsession answer:\n%s", got.ModelView, want.ModelView)
	}
}

// TestAgentRepeatsAndNoStepLimit: an agent asking the same thing again gets
// it run again, and many calls meet no step limit and no model request.
func TestAgentRepeatsAndNoStepLimit(t *testing.T) {
	s := agentSession(t, Options{MaxSteps: 3})
	r := &fakeRunner{}
	for range 10 {
		_, ans := runAgent(t, s, r, AgentCall{Client: "agent", Tool: "kubectl", Args: agentArgs("get pods -n shop", "again")})
		if ans.Status != Ran {
			t.Fatalf("status %s: %s", ans.Status, ans.ModelView)
		}
	}
	if len(r.ran) != 10 {
		t.Errorf("ran %d times, want 10", len(r.ran))
	}
	for _, e := range kinds(s, KindNote) {
		t.Errorf("unexpected note: %s", e.Text)
	}
	if k := s.Next().Kind; k == StepModel {
		t.Error("the session asks a model after agent calls")
	}
}

// TestAgentJournalReplays: a journal of agent calls verifies, and reopens
// to the same answers with nothing pending.
func TestAgentJournalReplays(t *testing.T) {
	s := agentSession(t, Options{})
	r := &fakeRunner{fail: map[string]error{"kubectl get pod gone --namespace=shop": errors.New(`pods "gone" not found`)}}
	var ids []string
	for _, c := range []AgentCall{
		{Client: "", Tool: "kubectl", Args: agentArgs("get pods -n shop", "r")},
		{Client: "a", Tool: "kubectl", Args: agentArgs("get pod gone -n shop", "r")},
		{Client: "a", Tool: "kubectl", Args: agentArgs("scale deploy web --replicas=3 -n shop", "r")},
		{Client: "a", Tool: "list_findings", Args: `{}`},
	} {
		step, _ := runAgent(t, s, r, c)
		ids = append(ids, step.CallID)
	}
	if ans, _ := s.Answer(ids[1]); ans.Status != Failed || !strings.HasPrefix(ans.ModelView, "$ kubectl get pod gone --namespace=shop") {
		t.Errorf("failed run answered %s: %s", ans.Status, ans.ModelView)
	}
	if p := kinds(s, KindProposal)[0]; p.Client != unnamedAgent {
		t.Errorf("a nameless client is journaled as %q", p.Client)
	}
	dir := s.Dir()
	s.Close()
	rep, err := Verify(dir)
	if err != nil || !rep.OK() {
		t.Fatalf("verify: %v %v", err, rep.Problems)
	}
	o, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	for _, id := range ids {
		if _, ok := o.Answer(id); !ok {
			t.Errorf("call %s has no answer after reopening", id)
		}
	}
	if k := o.Next().Kind; k != StepIdle {
		t.Errorf("reopened session step %s, want idle", k)
	}
	if _, err := o.AgentAnswered(ids[0], AgentOutput{Output: "x"}); err == nil {
		t.Error("an answered call was answered again")
	}
}

// TestAgentActionIsParsed: the action handed back to run is the parsed
// line, never the raw text.
func TestAgentActionIsParsed(t *testing.T) {
	s := agentSession(t, Options{})
	step, err := s.Agent(AgentCall{Client: "a", Tool: "kubectl", Args: agentArgs("kubectl get  pods -n shop", "")})
	if err != nil || step.Kind != StepRun {
		t.Fatalf("step %v, %v", step.Kind, err)
	}
	if step.Action.Verb != "get" || step.Action.Risk != kube.ReadOnly || step.Action.String() != "kubectl get pods --namespace=shop" {
		t.Errorf("action %+v", step.Action)
	}
}
