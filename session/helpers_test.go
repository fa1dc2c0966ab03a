package session

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/llm/llmtest/scripted"
)

// clock is a fixed test clock that advances one second per reading.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 14, 12, 3, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

// say, calls and kc script the model's replies (see llm/llmtest/scripted).
func say(text string) llm.Reply { return scripted.Text(text) }

func calls(text string, tcs ...llm.ToolCall) llm.Reply { return scripted.Calls(text, tcs...) }

func kc(id, command, reason string) llm.ToolCall { return scripted.Kubectl(id, command, reason) }

// proposeThen is a script in which the model proposes one kubectl command
// line (call c1, for reason) and then closes with text.
func proposeThen(line, reason, text string) []llm.Reply {
	return []llm.Reply{calls("", kc("c1", line, reason)), say(text)}
}

// fakeRunner answers every action from a table of outputs by canonical command.
type fakeRunner struct {
	out  map[string]string
	fail map[string]error
	ran  []string
}

func (r *fakeRunner) Run(ctx context.Context, a kube.Action) (kube.Result, error) {
	cmd := a.String()
	r.ran = append(r.ran, cmd)
	out, ok := r.out[cmd]
	if !ok {
		out = "output of " + cmd + "\n"
	}
	res := kube.Result{Command: cmd, Output: out, ModelView: out, Summary: fmt.Sprintf("%d lines", strings.Count(out, "\n")), Started: time.Now()}
	return res, r.fail[cmd]
}

// checkAnswered reports the first tool call in msgs that is not answered
// exactly once, right after its assistant message, in order.
func checkAnswered(msgs []llm.Message) error {
	seen := map[string]bool{}
	for i := 0; i < len(msgs); i++ {
		m := msgs[i]
		if m.Role == llm.Tool {
			return fmt.Errorf("message %d: tool answer %q follows no call", i, m.ToolCallID)
		}
		if m.Role != llm.Assistant {
			continue
		}
		for j, tc := range m.ToolCalls {
			if seen[tc.ID] || tc.ID == "" {
				return fmt.Errorf("message %d: call id %q missing or reused", i, tc.ID)
			}
			seen[tc.ID] = true
			k := i + 1 + j
			if k >= len(msgs) || msgs[k].Role != llm.Tool || msgs[k].ToolCallID != tc.ID {
				return fmt.Errorf("message %d: call %q is not answered in order", i, tc.ID)
			}
		}
		i += len(m.ToolCalls)
	}
	return nil
}

const seedReport = `## 1. Location
Pod shop/nginx-with-10gi-7d9f8b6c5-84s9k is Pending.
## 3. Cause
0/2 nodes are available: 2 Insufficient memory.`

// startSession creates a session in a temporary directory with the first
// response recorded and the investigation started.
func startSession(t testing.TB, opts Options) (*Session, Step) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = newClock().Now
	}
	s, err := New(t.TempDir()+"/s1", Meta{Context: "kind-e2e", Namespace: "shop", Model: "test-model", Lang: "en"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Report(FirstResponse{Markdown: seedReport, Title: "Pod shop/nginx-with-10gi-7d9f8b6c5-84s9k Pending"}); err != nil {
		t.Fatal(err)
	}
	step, err := s.Investigate()
	if err != nil {
		t.Fatal(err)
	}
	return s, step
}

// statuses lists the Status of every result event.
func statuses(s *Session) []Status {
	var out []Status
	for _, e := range s.Events() {
		if e.Kind == KindResult {
			out = append(out, e.Status)
		}
	}
	return out
}

func kinds(s *Session, k Kind) []Event {
	var out []Event
	for _, e := range s.Events() {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

func fakeResult(out string) kube.Result {
	return kube.Result{Output: out, ModelView: out, Summary: "1 line"}
}
