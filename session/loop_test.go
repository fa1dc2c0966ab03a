package session

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/llm/llmtest"
)

// httpClient returns the OpenAI-compatible client pointed at srv, with
// short timeouts and the given number of retries (-1 for none).
func httpClient(t *testing.T, srv *llmtest.Server, retries int) llm.Client {
	t.Helper()
	c, err := llm.NewOpenAI(llm.Config{BaseURL: srv.URL(), APIKey: "sk-test-key-never-sent-anywhere-else", Model: "test-model",
		MaxRetries: retries, FirstByteTimeout: 2 * time.Second, IdleTimeout: 500 * time.Millisecond, Timeout: 10 * time.Second, MaxWait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLoopHTTP drives the session against the llmtest server over real
// HTTP and checks, on the recorded requests, that every tool call id is
// answered exactly once, in order.
func TestLoopHTTP(t *testing.T) {
	k := llmtest.Kubectl
	tests := []struct {
		name     string
		opts     Options
		turns    []llmtest.Turn
		answers  []Answer
		want     []Status
		wantRuns []string
		check    func(t *testing.T, reqs []llmtest.Request)
	}{{
		name:     "approve",
		turns:    []llmtest.Turn{llmtest.Calls(k("call_a", descPod, "events")), llmtest.Text("Memory is short.")},
		answers:  []Answer{{Decision: Approved}},
		want:     []Status{Ran},
		wantRuns: []string{"kubectl describe pod " + seedPod + " --namespace=shop"},
	}, {
		name:    "deny with a reason",
		turns:   []llmtest.Turn{llmtest.Calls(k("call_a", "get pods -A", "all")), llmtest.Text("ok")},
		answers: []Answer{{Decision: Denied, Text: "only namespace shop"}},
		want:    []Status{DeniedCall},
		check: func(t *testing.T, reqs []llmtest.Request) {
			m := reqs[1].Chat.Messages
			if c := m[len(m)-1]; c.Role != "tool" || !strings.Contains(c.Content, "only namespace shop") {
				t.Errorf("last message %+v", c)
			}
		},
	}, {
		name:     "edit",
		turns:    []llmtest.Turn{llmtest.Calls(k("call_a", "get pods -A", "all")), llmtest.Text("ok")},
		answers:  []Answer{{Decision: Edited, Text: "get pods -n shop -o wide"}},
		want:     []Status{Ran},
		wantRuns: []string{"kubectl get pods --namespace=shop --output=wide"},
	}, {
		name:    "interject",
		turns:   []llmtest.Turn{llmtest.Calls(k("call_a", "get pods -A", "all")), llmtest.Text("ok")},
		answers: []Answer{{Decision: Interjected, Text: "describe the Pending pod first"}},
		want:    []Status{Interrupted},
		check: func(t *testing.T, reqs []llmtest.Request) {
			m := reqs[1].Chat.Messages
			if n := len(m); m[n-2].Role != "tool" || m[n-1].Role != "user" || m[n-1].Content != "describe the Pending pod first" {
				t.Errorf("tail %+v", m[n-2:])
			}
		},
	}, {
		name: "parallel tool calls",
		turns: []llmtest.Turn{
			{ToolCalls: []llmtest.ToolCall{k("call_a", descPod, "events"), k("call_b", descNodes, "memory"), k("call_c", "get pods -n shop", "list")}, Interleave: true},
			llmtest.Text("Memory is short."),
		},
		answers:  []Answer{{Decision: Approved}, {Decision: Denied, Text: "later"}, {Decision: Approved}},
		want:     []Status{Ran, DeniedCall, Ran},
		wantRuns: []string{"kubectl describe pod " + seedPod + " --namespace=shop", "kubectl get pods --namespace=shop"},
		check: func(t *testing.T, reqs []llmtest.Request) {
			m := reqs[1].Chat.Messages
			var ids []string
			for _, x := range m {
				if x.Role == "tool" {
					ids = append(ids, x.ToolCallID)
				}
			}
			if !slices.Equal(ids, []string{"call_a", "call_b", "call_c"}) {
				t.Errorf("tool answers %v", ids)
			}
		},
	}, {
		name:  "refused proposal",
		turns: []llmtest.Turn{llmtest.Calls(k("call_a", "exec -it web-1 -- sh", "look inside")), llmtest.Text("ok")},
		want:  []Status{Refused},
	}, {
		name:  "write proposal",
		turns: []llmtest.Turn{llmtest.Calls(k("call_a", "set resources deployment/nginx-with-10gi --requests=memory=5Gi -n shop", "fix")), llmtest.Text("Apply it yourself.")},
		want:  []Status{NotExecuted},
	}, {
		name: "step limit",
		opts: Options{MaxSteps: 2},
		turns: []llmtest.Turn{
			llmtest.Calls(k("call_a", "get nodes", "a")),
			llmtest.Calls(k("call_b", "get pods -n shop", "b")),
		},
		answers: []Answer{{Decision: Approved}, {Decision: Approved}},
		want:    []Status{Ran, Ran},
	}, {
		name: "duplicate guard",
		turns: []llmtest.Turn{
			llmtest.Calls(k("call_a", "get nodes", "a")),
			llmtest.Calls(k("call_b", "get nodes", "again")),
			llmtest.Calls(k("call_c", "get nodes", "and again")),
			llmtest.Text("I have what I need."),
		},
		answers:  []Answer{{Decision: Approved}},
		want:     []Status{Ran, Duplicate, Duplicate},
		wantRuns: []string{"kubectl get nodes"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := llmtest.New(t, tt.turns...)
			s, _ := startSession(t, tt.opts)
			runner := &fakeRunner{}
			answers := tt.answers
			err := Drive(context.Background(), s, httpClient(t, srv, -1), runner, func(st Step) Answer {
				if len(answers) == 0 {
					t.Fatalf("unexpected approval of %s", st.Action.String())
				}
				a := answers[0]
				answers = answers[1:]
				return a
			})
			if err != nil {
				t.Fatal(err)
			}
			reqs := srv.Requests()
			if len(reqs) != len(tt.turns) {
				t.Errorf("%d requests for %d turns", len(reqs), len(tt.turns))
			}
			srv.AssertToolCallsAnswered(t)
			if got := statuses(s); !slices.Equal(got, tt.want) {
				t.Errorf("answers %v, want %v", got, tt.want)
			}
			if tt.wantRuns != nil && !slices.Equal(runner.ran, tt.wantRuns) {
				t.Errorf("ran %q, want %q", runner.ran, tt.wantRuns)
			}
			if k := s.Next().Kind; k != StepIdle {
				t.Errorf("final step %v", k)
			}
			if tt.check != nil {
				tt.check(t, reqs)
			}
			if rep, err := Verify(s.Dir()); err != nil || !rep.OK() {
				t.Errorf("verify: %v %v", err, rep.Problems)
			}
		})
	}
}

// TestFaultsHTTP injects each fault with retries off: the session stays
// alive, the operator is told by an error event, Retry works and the
// journal is complete.
func TestFaultsHTTP(t *testing.T) {
	k := llmtest.Kubectl
	faults := []struct {
		name  string
		fault llmtest.Fault
	}{
		{"429 with Retry-After", llmtest.Fault{Kind: llmtest.HTTPError, Status: 429, RetryAfter: "1"}},
		{"500", llmtest.Fault{Kind: llmtest.HTTPError, Status: 500}},
		{"connection reset mid-stream", llmtest.Fault{Kind: llmtest.Reset, After: 2}},
		{"truncated stream", llmtest.Fault{Kind: llmtest.Truncate, After: 2}},
		{"stall past the timeout", llmtest.Fault{Kind: llmtest.Stall, After: 1}},
		{"empty choices", llmtest.Fault{Kind: llmtest.EmptyChoices}},
		{"error inside the stream", llmtest.Fault{Kind: llmtest.StreamError, After: 1, Message: "overloaded"}},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			srv := llmtest.New(t,
				llmtest.Calls(k("call_a", descPod, "events")),
				llmtest.Text("never seen").WithFault(f.fault),
				llmtest.Text("Memory is short: lower the request."),
			)
			s, _ := startSession(t, Options{})
			client := httpClient(t, srv, -1)
			approve := func(Step) Answer { return Answer{Decision: Approved} }
			if err := Drive(context.Background(), s, client, &fakeRunner{}, approve); err != nil {
				t.Fatal(err)
			}
			errs := kinds(s, KindError)
			if len(errs) != 1 || errs[0].Text == "" {
				t.Fatalf("error events %+v, want one sentence for the operator", errs)
			}
			if strings.Contains(errs[0].Text, "sk-test-key") {
				t.Errorf("the API key leaked into the journal: %s", errs[0].Text)
			}
			if k := s.Next().Kind; k != StepIdle {
				t.Fatalf("after the fault: %v", k)
			}
			if _, err := s.Retry(); err != nil {
				t.Fatal(err)
			}
			if err := Drive(context.Background(), s, client, &fakeRunner{}, approve); err != nil {
				t.Fatal(err)
			}
			as := kinds(s, KindAssistant)
			if last := as[len(as)-1].Text; last != "Memory is short: lower the request." {
				t.Errorf("last answer %q", last)
			}
			srv.AssertToolCallsAnswered(t)
			reqs := srv.Requests()
			if len(reqs) != 3 {
				t.Fatalf("%d requests", len(reqs))
			}
			// The retried request is the failed one, unchanged.
			if string(reqs[1].Body) != string(reqs[2].Body) {
				t.Error("the retry sent a different request")
			}
			rep, err := Verify(s.Dir())
			if err != nil || !rep.OK() || rep.Events != len(s.Events()) {
				t.Errorf("verify: %+v %v", rep, err)
			}
		})
	}
}

// TestRetriedFaultHTTP lets the client retry a 429 itself: the session
// sees only the reply, the caller is told about the retry.
func TestRetriedFaultHTTP(t *testing.T) {
	srv := llmtest.New(t, llmtest.Error(429, "0"), llmtest.Text("Hello."))
	s, step := startSession(t, Options{})
	var retries []llm.Retry
	reply, err := httpClient(t, srv, 2).Complete(context.Background(), step.Request, func(d llm.Delta) {
		if d.Retry != nil {
			retries = append(retries, *d.Retry)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(retries) != 1 || retries[0].Reason == "" {
		t.Errorf("retries reported: %+v", retries)
	}
	if st, err := s.ModelReplied(reply); err != nil || st.Kind != StepIdle {
		t.Fatal(st.Kind, err)
	}
	if len(kinds(s, KindError)) != 0 {
		t.Error("a retried fault was journaled as an error")
	}
}

// TestCanary seeds secret values into action outputs and operator text and
// checks that none of them reaches a recorded request, the journal or an
// output file.
func TestCanary(t *testing.T) {
	canaries := []string{
		"hunter2-canary-pw",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlY2FuYXJ5",
		"MIIEcanaryPEMbody",
		"AKIACANARY0123456789",
	}
	output := `Name:         db
Environment:
  DB_PASSWORD:  hunter2-canary-pw
  TOKEN:        eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlY2FuYXJ5
-----BEGIN PRIVATE KEY-----
MIIEcanaryPEMbody
-----END PRIVATE KEY-----
aws: AKIACANARY0123456789
`
	k := llmtest.Kubectl
	srv := llmtest.New(t,
		llmtest.Calls(k("call_a", "describe pod db -n shop", "env")),
		llmtest.Text("Noted."),
		llmtest.Text("Thanks."),
	)
	s, _ := startSession(t, Options{})
	runner := &fakeRunner{out: map[string]string{"kubectl describe pod db --namespace=shop": output}}
	client := httpClient(t, srv, -1)
	approve := func(Step) Answer { return Answer{Decision: Approved} }
	if err := Drive(context.Background(), s, client, runner, approve); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Operator("the password is password=hunter2-canary-pw and the bearer token Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjYW5hcnkifQ.c2lnbmF0dXJlY2FuYXJ5"); err != nil {
		t.Fatal(err)
	}
	if err := Drive(context.Background(), s, client, runner, approve); err != nil {
		t.Fatal(err)
	}
	var sent []string
	for _, r := range srv.Requests() {
		sent = append(sent, string(r.Body))
	}
	files := map[string]string{"requests": strings.Join(sent, "\n")}
	filepath.WalkDir(s.Dir(), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(path)
			files[path] = string(b)
		}
		return nil
	})
	for name, text := range files {
		for _, c := range canaries {
			if strings.Contains(text, c) {
				t.Errorf("%s contains the secret %q", name, c)
			}
		}
	}
	if !strings.Contains(files["requests"], "DB_PASSWORD") || !strings.Contains(files["requests"], "[REDACTED]") || !strings.Contains(files["requests"], "the password is") {
		t.Error("the output and the operator's text did not reach the model redacted")
	}
	if len(srv.Requests()) != 3 {
		t.Errorf("%d requests", len(srv.Requests()))
	}
}
