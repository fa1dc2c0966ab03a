package session

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/llm/llmtest/scripted"
)

const (
	descPod   = "describe pod nginx-with-10gi-7d9f8b6c5-84s9k -n shop"
	descNodes = "describe nodes"
)

func TestLoop(t *testing.T) {
	tests := []struct {
		name     string
		opts     Options
		script   []llm.Reply
		answers  []Answer
		want     []Status
		wantRuns []string
		wantLast StepKind
		// answer is in the last message of the last request: the tool
		// answer the model read last.
		answer string
		check  func(t *testing.T, s *Session, reqs []llm.Request)
	}{{
		name: "approve",
		script: []llm.Reply{
			calls("The pod is Pending; let me look at it.", kc("c1", descPod, "see its events")),
			say("The cause is memory: lower the request or add a node."),
		},
		answers:  []Answer{{Decision: Approved}},
		want:     []Status{Ran},
		wantRuns: []string{"kubectl describe pod nginx-with-10gi-7d9f8b6c5-84s9k --namespace=shop"},
		answer:   "output of kubectl describe pod",
	}, {
		name:    "deny with a reason",
		script:  proposeThen("get pods -A", "list everything", "Understood."),
		answers: []Answer{{Decision: Denied, Text: "stay in namespace shop"}},
		want:    []Status{DeniedCall},
		answer:  "stay in namespace shop",
	}, {
		name:     "edit",
		script:   proposeThen("get pods -A", "list", "Thanks."),
		answers:  []Answer{{Decision: Edited, Text: "get pods -n shop"}},
		want:     []Status{Ran},
		wantRuns: []string{"kubectl get pods --namespace=shop"},
		answer:   "edited the command to: kubectl get pods --namespace=shop",
	}, {
		name:    "interject",
		script:  proposeThen("get pods -A", "list", "Looking at the Pending pod instead."),
		answers: []Answer{{Decision: Interjected, Text: "look at the Pending pod, not all pods"}},
		want:    []Status{Interrupted},
		check: func(t *testing.T, s *Session, reqs []llm.Request) {
			m := reqs[1].Messages
			n := len(m)
			if m[n-2].Role != llm.Tool || m[n-1].Role != llm.User || m[n-1].Content != "look at the Pending pod, not all pods" {
				t.Errorf("want the interjected answer then the operator text, got %+v", m[n-2:])
			}
		},
	}, {
		name: "parallel calls",
		script: []llm.Reply{
			calls("Two things at once.", kc("c1", descPod, "events"), kc("c2", descNodes, "free memory")),
			say("Node memory is exhausted."),
		},
		answers:  []Answer{{Decision: Approved}, {Decision: Denied, Text: "not yet"}},
		want:     []Status{Ran, DeniedCall},
		wantRuns: []string{"kubectl describe pod nginx-with-10gi-7d9f8b6c5-84s9k --namespace=shop"},
	}, {
		name:   "refused proposal",
		script: proposeThen("get pods | grep Pending", "filter", "I will use a field selector."),
		want:   []Status{Refused},
		check: func(t *testing.T, s *Session, reqs []llm.Request) {
			m := reqs[1].Messages
			if c := m[len(m)-1].Content; !strings.HasPrefix(c, "Refused: ") {
				t.Errorf("tool answer %q", c)
			}
		},
	}, {
		name:   "write proposal",
		script: proposeThen("scale deployment nginx-with-10gi --replicas=1 -n shop", "free memory", "Lower the request to 5Gi instead."),
		want:   []Status{NotExecuted},
		check: func(t *testing.T, s *Session, reqs []llm.Request) {
			fixes := kinds(s, KindFix)
			if len(fixes) != 1 || !strings.Contains(fixes[0].Command, "scale") {
				t.Errorf("fixes = %+v, want the scale command", fixes)
			}
		},
	}, {
		name: "unknown tool and bad arguments",
		script: []llm.Reply{
			calls("", llm.ToolCall{ID: "c1", Name: "bash", Arguments: `{"cmd":"ls"}`}, llm.ToolCall{ID: "c2", Name: "kubectl", Arguments: `{"command":`}),
			say("ok"),
		},
		want: []Status{Refused, Refused},
	}, {
		name: "step limit",
		opts: Options{MaxSteps: 2},
		script: []llm.Reply{
			calls("", kc("c1", "get pods -n shop", "a")),
			calls("", kc("c2", "get nodes", "b")),
		},
		answers:  []Answer{{Decision: Approved}, {Decision: Approved}},
		want:     []Status{Ran, Ran},
		wantRuns: []string{"kubectl get pods --namespace=shop", "kubectl get nodes"},
		check: func(t *testing.T, s *Session, reqs []llm.Request) {
			if len(reqs) != 2 {
				t.Errorf("%d requests, want 2", len(reqs))
			}
			notes := kinds(s, KindNote)
			if len(notes) != 1 || notes[0].Status != noteStepLimit {
				t.Errorf("notes = %+v, want one step-limit note", notes)
			}
		},
	}, {
		name: "duplicate guard",
		script: []llm.Reply{
			calls("", kc("c1", "get nodes", "a")),
			calls("", kc("c2", "kubectl get nodes", "again")),
			say("Done."),
		},
		answers:  []Answer{{Decision: Approved}},
		want:     []Status{Ran, Duplicate},
		wantRuns: []string{"kubectl get nodes"},
		answer:   "already ran at 12:03:",
	}, {
		name: "duplicate in one reply",
		script: []llm.Reply{
			calls("", kc("c1", "get nodes", "a"), kc("c2", "get nodes", "b")),
			say("Done."),
		},
		answers:  []Answer{{Decision: Approved}},
		want:     []Status{Duplicate, Ran},
		wantRuns: []string{"kubectl get nodes"},
	}, {
		name: "always allowed covers the exact command only",
		script: []llm.Reply{
			calls("", kc("c1", "get nodes", "a")),
			calls("", kc("c2", "get pods -n shop", "b")),
			calls("", kc("c3", "get secrets -n shop", "c")),
			say("Done."),
		},
		answers:  []Answer{{Decision: Always}, {Decision: Approved}, {Decision: Approved}},
		want:     []Status{Ran, Ran, Ran},
		wantRuns: []string{"kubectl get nodes", "kubectl get pods --namespace=shop", "kubectl get secrets --namespace=shop"},
		check: func(t *testing.T, s *Session, reqs []llm.Request) {
			var ds []Decision
			for _, e := range kinds(s, KindDecision) {
				ds = append(ds, e.Decision)
			}
			// "always" on get nodes does not cover other gets.
			if want := []Decision{Always, Approved, Approved}; !slices.Equal(ds, want) {
				t.Errorf("decisions = %v, want %v", ds, want)
			}
			if got := s.AlwaysAllowed(); !slices.Equal(got, []string{"kubectl get nodes"}) {
				t.Errorf("AlwaysAllowed = %q", got)
			}
		},
	}, {
		name: "reused call ids",
		script: []llm.Reply{
			calls("", kc("call_1", "get nodes", "a")),
			calls("", kc("call_1", "get pods -n shop", "b")),
			say("Done."),
		},
		answers: []Answer{{Decision: Approved}, {Decision: Approved}},
		want:    []Status{Ran, Ran},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := startSession(t, tt.opts)
			model := scripted.New(tt.script...)
			runner := &fakeRunner{}
			answers := tt.answers
			decide := func(st Step) Answer {
				if len(answers) == 0 {
					t.Fatalf("unexpected approval for %s", st.Action.String())
				}
				a := answers[0]
				answers = answers[1:]
				return a
			}
			if err := Drive(context.Background(), s, model, runner, decide); err != nil {
				t.Fatal(err)
			}
			if got := statuses(s); !slices.Equal(got, tt.want) {
				t.Errorf("answers = %v, want %v", got, tt.want)
			}
			if tt.wantRuns != nil && !slices.Equal(runner.ran, tt.wantRuns) {
				t.Errorf("ran %q, want %q", runner.ran, tt.wantRuns)
			}
			if len(answers) > 0 {
				t.Errorf("%d answers unused", len(answers))
			}
			if len(model.Requests()) != len(tt.script) {
				t.Errorf("%d requests for %d scripted replies", len(model.Requests()), len(tt.script))
			}
			for i, r := range model.Requests() {
				if err := checkAnswered(r.Messages); err != nil {
					t.Errorf("request %d: %v", i+1, err)
				}
			}
			if got := s.Next().Kind; got != tt.wantLast {
				t.Errorf("final step %v, want %v", got, tt.wantLast)
			}
			if reqs := model.Requests(); tt.answer != "" && len(reqs) > 0 {
				last := reqs[len(reqs)-1].Messages
				if m := last[len(last)-1]; m.Role != llm.Tool || !strings.Contains(m.Content, tt.answer) {
					t.Errorf("last message = %+v, want a tool answer with %q", m, tt.answer)
				}
			}
			if tt.check != nil {
				tt.check(t, s, model.Requests())
			}
			rep, err := Verify(s.Dir())
			if err != nil || !rep.OK() {
				t.Errorf("verify: %v %v", err, rep.Problems)
			}
		})
	}
}

func TestModelFailureAndRetry(t *testing.T) {
	s, _ := startSession(t, Options{})
	model := scripted.New(say("Recovered.")).FailAt(0, errors.New("429 Too Many Requests after 4 retries"))
	if err := Drive(context.Background(), s, model, &fakeRunner{}, nil); err != nil {
		t.Fatal(err)
	}
	errs := kinds(s, KindError)
	if len(errs) != 1 || !strings.Contains(errs[0].Text, "429") {
		t.Fatalf("error events = %+v", errs)
	}
	if k := s.Next().Kind; k != StepIdle {
		t.Fatalf("after a failure: %v, want idle", k)
	}
	step, err := s.Retry()
	if err != nil || step.Kind != StepModel {
		t.Fatalf("Retry = %v, %v", step.Kind, err)
	}
	if err := Drive(context.Background(), s, model, &fakeRunner{}, nil); err != nil {
		t.Fatal(err)
	}
	if a := kinds(s, KindAssistant); len(a) != 1 || a[0].Text != "Recovered." {
		t.Errorf("assistant events = %+v", a)
	}
	if _, err := s.Retry(); err == nil {
		t.Error("Retry with nothing failed should fail")
	}
}

func TestDecisionErrors(t *testing.T) {
	s, _ := startSession(t, Options{})
	step, err := s.ModelReplied(calls("", kc("c1", "get pods -n shop", "a")))
	if err != nil || step.Kind != StepApprove || step.CallID != "c1" {
		t.Fatalf("step = %+v, %v", step, err)
	}
	n := len(s.Events())
	for name, f := range map[string]func() error{
		"unknown call":  func() error { _, err := s.Approve("nope", false); return err },
		"edit refused":  func() error { _, err := s.Edit("c1", "get pods; rm -rf /"); return err },
		"edit mutating": func() error { _, err := s.Edit("c1", "delete pod x"); return err },
		"run unapproved": func() error {
			_, err := s.ActionDone("c1", fakeResult("x"), nil)
			return err
		},
		"empty message": func() error { _, err := s.Operator("  "); return err },
	} {
		if f() == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if len(s.Events()) != n {
		t.Errorf("rejected decisions journaled %d events", len(s.Events())-n)
	}
	if step, _ := s.Approve("c1", false); step.Kind != StepRun {
		t.Fatalf("after approval: %v", step.Kind)
	}
	if _, err := s.Approve("c1", false); err == nil {
		t.Error("second approval accepted")
	}
	// The operator types while the action runs: the call is answered as
	// interjected and the late output is kept as a note.
	if step, err := s.Operator("never mind"); err != nil || step.Kind != StepModel {
		t.Fatalf("Operator = %v, %v", step.Kind, err)
	}
	if _, err := s.ActionDone("c1", fakeResult("late output"), nil); err != nil {
		t.Fatal(err)
	}
	notes := kinds(s, KindNote)
	if len(notes) != 1 || notes[0].Status != noteLate || notes[0].Output == "" {
		t.Errorf("notes = %+v, want one late note with output", notes)
	}
	if err := checkAnswered(s.Next().Request.Messages); err != nil {
		t.Error(err)
	}
}

func TestResultWithoutModelView(t *testing.T) {
	s, _ := startSession(t, Options{})
	step, _ := s.ModelReplied(calls("", kc("c1", "get pods -n shop", "a")))
	step, _ = s.Approve(step.CallID, false)
	out := strings.Repeat("web-1   1/1   Running\n", 500)
	step, err := s.ActionDone(step.CallID, kube.Result{Output: out}, nil)
	if err != nil || step.Kind != StepModel {
		t.Fatal(step.Kind, err)
	}
	m := step.Request.Messages
	view := m[len(m)-1].Content
	if !strings.HasSuffix(view, "[300 more lines left out]\n") || strings.Count(view, "web-1") != 200 {
		t.Errorf("view has %d lines, ends %q", strings.Count(view, "\n"), view[len(view)-40:])
	}
	if r := kinds(s, KindResult)[0]; r.Summary != "500 lines" {
		t.Errorf("summary %q", r.Summary)
	}
}

func TestAlwaysAllowRevokeResume(t *testing.T) {
	s, _ := startSession(t, Options{})
	ask := func(id, line string) Step {
		t.Helper()
		step, err := s.ModelReplied(calls("", kc(id, line, "r")))
		if err != nil {
			t.Fatal(err)
		}
		return step
	}
	finish := func(step Step) {
		t.Helper()
		if step.Kind != StepRun {
			t.Fatalf("step = %v, want run", step.Kind)
		}
		if _, err := s.ActionDone(step.CallID, fakeResult("x\n"), nil); err != nil {
			t.Fatal(err)
		}
	}
	step := ask("c1", "describe node n1")
	step, err := s.Approve(step.CallID, true)
	if err != nil {
		t.Fatal(err)
	}
	finish(step)
	if _, err := s.Operator("again, please"); err != nil {
		t.Fatal(err)
	}
	// The same command in another form runs without asking; another node asks.
	finish(ask("c2", "kubectl  describe node n1"))
	if d := kinds(s, KindDecision); d[len(d)-1].Decision != Auto {
		t.Fatalf("last decision %v, want auto", d[len(d)-1].Decision)
	}
	if step := ask("c3", "describe node n2"); step.Kind != StepApprove {
		t.Fatalf("another node: step %v, want approve", step.Kind)
	}
	// A sensitive action is never always allowed.
	if _, err := s.Approve("c3", false); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ActionDone("c3", fakeResult("y\n"), nil); err != nil {
		t.Fatal(err)
	}
	sec := ask("c4", "get secret tls -n shop")
	if _, err := s.Approve(sec.CallID, true); err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("always on a secret: %v", err)
	}
	if _, err := s.Deny(sec.CallID, ""); err != nil {
		t.Fatal(err)
	}
	want := []string{"kubectl describe node n1"}
	if got := s.AlwaysAllowed(); !slices.Equal(got, want) {
		t.Fatalf("AlwaysAllowed = %q, want %q", got, want)
	}
	dir := s.Dir()
	s.Close()
	s2, err := Open(dir, Options{Now: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if got := s2.AlwaysAllowed(); !slices.Equal(got, want) {
		t.Fatalf("resumed AlwaysAllowed = %q, want %q", got, want)
	}
	if err := s2.Revoke("get nodes"); err == nil {
		t.Fatal("revoking a command that is not allowed succeeded")
	}
	if err := s2.Revoke("describe node n1"); err != nil {
		t.Fatal(err)
	}
	if got := s2.AlwaysAllowed(); len(got) != 0 {
		t.Fatalf("after revoke: %q", got)
	}
	if n := kinds(s2, KindNote); len(n) != 1 || n[0].Status != noteRevoked || n[0].Command != want[0] {
		t.Fatalf("revoke note %+v", n)
	}
	s2.Close()
	s3, err := Open(dir, Options{Now: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s3.Close()
	if got := s3.AlwaysAllowed(); len(got) != 0 {
		t.Fatalf("resumed after revoke: %q", got)
	}
	if _, err := s3.Operator("once more"); err != nil {
		t.Fatal(err)
	}
	step, err = s3.ModelReplied(calls("", kc("c5", "describe node n1", "r")))
	if err != nil || step.Kind != StepApprove {
		t.Fatalf("after revoke: step %v, %v; want approve", step.Kind, err)
	}
}

func TestOptionsAlwaysAllowed(t *testing.T) {
	s, _ := startSession(t, Options{AlwaysAllowed: []string{"kubectl get nodes", "get secrets -A", "delete pod x"}})
	if got := s.AlwaysAllowed(); !slices.Equal(got, []string{"kubectl get nodes"}) {
		t.Fatalf("AlwaysAllowed = %q", got)
	}
	step, err := s.ModelReplied(calls("", kc("c1", "get nodes", "r")))
	if err != nil || step.Kind != StepRun {
		t.Fatalf("step %v, %v; want run", step.Kind, err)
	}
}

func TestNotesFollowTheLanguage(t *testing.T) {
	s, err := New(t.TempDir()+"/ja", Meta{Lang: "ja"}, Options{Now: newClock().Now, MaxSteps: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Operator("見てください"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ModelFailed(context.Canceled); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ModelFailed(errors.New("HTTP 500")); err != nil {
		t.Fatal(err)
	}
	notes := kinds(s, KindNote)
	if len(notes) != 1 || notes[0].Text != "モデルの呼び出しを取り消しました。" {
		t.Errorf("notes %+v", notes)
	}
	if e := kinds(s, KindError); len(e) != 1 || !strings.HasPrefix(e[0].Text, "モデルの呼び出しに失敗しました: ") {
		t.Errorf("errors %+v", e)
	}
}
