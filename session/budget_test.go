package session

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kuberesponder/kuberesponder/llm"
)

// runTurn plays one operator turn: a message, one approved command with a
// big output, and a closing answer.
func runTurn(t testing.TB, s *Session, i int, outLines int) {
	t.Helper()
	if _, err := s.Operator(fmt.Sprintf("question %d", i)); err != nil {
		t.Fatal(err)
	}
	step, err := s.ModelReplied(calls(fmt.Sprintf("step %d", i), kc(fmt.Sprintf("c%d", i), fmt.Sprintf("get pods -n ns%d", i), "look")))
	if err != nil {
		t.Fatal(err)
	}
	step, _ = s.Approve(step.CallID, false)
	out := strings.Repeat(fmt.Sprintf("pod-%d-xxxxxxxx   1/1   Running   0   5m\n", i), outLines)
	if _, err := s.ActionDone(step.CallID, fakeResult(out), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ModelReplied(say(fmt.Sprintf("answer %d", i))); err != nil {
		t.Fatal(err)
	}
}

func requestTokens(r llm.Request) int {
	n := 0
	for _, m := range r.Messages {
		n += tokens(m, llm.CountTokens)
	}
	for _, tl := range r.Tools {
		n += llm.CountTokens(tl.Description) + llm.CountTokens(string(tl.Parameters))
	}
	return n
}

func TestBudget(t *testing.T) {
	tests := []struct {
		name        string
		context     int
		turns       int
		lines       int
		wantShrunk  bool
		wantCompact bool
	}{
		{"fits", 32000, 3, 40, false, false},
		{"old results shrink", 6000, 4, 120, true, false},
		{"old turns compact", 3000, 25, 10, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := startSession(t, Options{ContextTokens: tt.context, MaxSteps: 3})
			s.ModelReplied(say("first look"))
			for i := 1; i <= tt.turns; i++ {
				runTurn(t, s, i, tt.lines)
			}
			if _, err := s.Operator("latest question"); err != nil {
				t.Fatal(err)
			}
			req := s.Next().Request
			if err := checkAnswered(req.Messages); err != nil {
				t.Fatal(err)
			}
			if n := requestTokens(req); n > tt.context {
				t.Errorf("request is %d tokens, budget %d", n, tt.context)
			}
			var all []string
			for _, m := range req.Messages {
				all = append(all, m.Content)
			}
			text := strings.Join(all, "\n---\n")
			if req.Messages[0].Role != llm.System || !strings.Contains(req.Messages[0].Content, "Insufficient memory") {
				t.Error("the system prompt lost the first-response report")
			}
			if last := req.Messages[len(req.Messages)-1]; last.Content != "latest question" {
				t.Errorf("latest turn changed: %+v", last)
			}
			if !strings.Contains(text, "We judged that recovery is urgent") && !tt.wantCompact {
				t.Error("the opening request is missing")
			}
			if got := strings.Contains(text, "full output was left out"); got != tt.wantShrunk {
				t.Errorf("shrunk results: %v, want %v", got, tt.wantShrunk)
			}
			if got := strings.Contains(text, "[Earlier turn, compacted]"); got != tt.wantCompact {
				t.Errorf("compacted turns: %v, want %v", got, tt.wantCompact)
			}
			if !tt.wantCompact && !strings.Contains(text, "pod-1-xxxxxxxx") && !tt.wantShrunk {
				t.Error("an old result is missing")
			}
			// The newest turn with a result keeps it whole when nothing is compacted.
			if !strings.Contains(text, fmt.Sprintf("answer %d", tt.turns)) {
				t.Error("the previous answer is missing")
			}
		})
	}
}

func TestFitKeepsLatestTurnWhole(t *testing.T) {
	count := func(s string) int { return len(s) }
	units := []unit{
		{msg: llm.Message{Role: llm.Assistant, Content: "first answer"}, turn: -1},
		{msg: llm.Message{Role: llm.User, Content: "q0" + strings.Repeat(".", 300)}, turn: 0, gist: "Operator: q0"},
		{msg: llm.Message{Role: llm.Assistant, ToolCalls: []llm.ToolCall{{ID: "a", Name: "kubectl", Arguments: "{}"}}}, turn: 0},
		{msg: llm.Message{Role: llm.Tool, ToolCallID: "a", Content: strings.Repeat("x", 500)}, turn: 0, short: "short a", gist: "ran a"},
		{msg: llm.Message{Role: llm.User, Content: "q1"}, turn: 1},
		{msg: llm.Message{Role: llm.Assistant, ToolCalls: []llm.ToolCall{{ID: "b", Name: "kubectl", Arguments: "{}"}}}, turn: 1},
		{msg: llm.Message{Role: llm.Tool, ToolCallID: "b", Content: strings.Repeat("y", 500)}, turn: 1, short: "short b"},
	}
	got := fit(units, 900, count)
	if len(got) != 7 || got[3].Content != "short a" || got[6].Content != strings.Repeat("y", 500) {
		t.Errorf("shrink: %+v", got)
	}
	got = fit(units, 600, count)
	if got[0].Content != "first answer" || !strings.HasPrefix(got[1].Content, "[Earlier turn, compacted]\nOperator: q0\nran a") || got[len(got)-1].Content != strings.Repeat("y", 500) {
		t.Errorf("compact: %+v", got)
	}
	if err := checkAnswered(got); err != nil {
		t.Error(err)
	}
}
