package ui

import (
	"strings"
	"testing"

	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/llm/llmtest"
	"github.com/kuberesponder/kuberesponder/session"
)

// TestRequestKeyShowsLastRequest: r in the transcript opens the pager on
// the exact messages of the last model request, whatever state the screen
// is in; before any request it says so, and typed in the input box it is
// just a letter.
func TestRequestKeyShowsLastRequest(t *testing.T) {
	tests := []struct {
		name  string
		turns []llmtest.Turn
		do    func(h *harness)
		pager bool   // the pager opens
		flash string // else the status line says
		input string // else the input box holds
	}{
		{name: "before any request", turns: seedTurns(),
			do:    func(h *harness) { h.key("tab"); h.key("r") },
			flash: "Nothing has been sent to the model yet."},
		{name: "typed in the input box", turns: seedTurns(),
			do:    func(h *harness) { h.key("r") },
			input: "r"},
		{name: "at the first card", turns: seedTurns(), pager: true,
			do: func(h *harness) { h.key("enter"); h.key("tab"); h.key("r") }},
		{name: "after an approved run", turns: seedTurns(), pager: true,
			do: func(h *harness) { h.key("enter"); h.key("tab"); h.wait(armDelay); h.key("y"); h.key("r") }},
		{name: "after a model error", turns: []llmtest.Turn{llmtest.Error(401, "")}, pager: true,
			do: func(h *harness) { h.key("enter"); h.key("tab"); h.key("r") }},
		{name: "escapes in model text and commands", pager: true,
			turns: []llmtest.Turn{
				reply("Look \x1b]52;c;AAAA\ahere\x1b[31m.",
					call("c1", "get pods \x1b[2J-n shop", "list\u202e pods"),
					call("c2", "get pods -n shop", "why\u009b2J")),
				reply("done"),
			},
			do: func(h *harness) {
				h.key("enter", "tab")
				h.wait(armDelay)
				h.key("n")
				h.submit("no\a")
				h.key("r")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.turns, seedRunner())
			tt.do(h)
			v := h.view()
			if i := strings.IndexFunc(v, func(r rune) bool {
				return r < 0x20 && r != '\n' || r >= 0x7f && r <= 0x9f || r >= 0x202a && r <= 0x202e
			}); i >= 0 {
				t.Errorf("a control character reached the screen: %q", v[max(i-20, 0):min(i+20, len(v))])
			}
			if !tt.pager {
				if h.m.pager != nil {
					t.Fatalf("the pager opened: %s", h.m.pager.title)
				}
				if tt.flash != "" {
					h.mustSee(tt.flash)
				}
				if tt.input != "" && h.m.input.Value() != tt.input {
					t.Errorf("input holds %q, want %q", h.m.input.Value(), tt.input)
				}
				return
			}
			p := h.m.pager
			if p == nil {
				t.Fatalf("no pager:\n%s", v)
			}
			sent, ok := h.srv.Last()
			if !ok {
				t.Fatal("the model server received no request")
			}
			want := strings.TrimRight(clean(session.FormatRequest(asSent(sent.Chat))), "\n")
			if got := strings.Join(p.raw, "\n"); !sameRequest(got, want) {
				t.Errorf("the pager does not show the request sent:\n%s\n--- want\n%s", got, want)
			}
			if !strings.HasPrefix(p.title, "Last model request") {
				t.Errorf("title %q", p.title)
			}
			h.mustSee("── 1 · system ──")
			h.key("esc")
			if h.m.pager != nil {
				t.Error("esc did not close the pager")
			}
		})
	}
}

// asSent is the request the model server received, read back into the
// client's types: what the pager must show is what went over the wire.
func asSent(c llmtest.ChatRequest) llm.Request {
	req := llm.Request{Model: c.Model}
	for _, m := range c.Messages {
		msg := llm.Message{Role: llm.Role(m.Role), Content: m.Content, ToolCallID: m.ToolCallID}
		for _, tc := range m.ToolCalls {
			msg.ToolCalls = append(msg.ToolCalls, llm.ToolCall{ID: tc.ID, Name: tc.Name, Arguments: tc.Arguments})
		}
		req.Messages = append(req.Messages, msg)
	}
	for _, t := range c.Tools {
		req.Tools = append(req.Tools, llm.ToolSpec{Name: t.Name, Description: t.Description, Parameters: t.Parameters})
	}
	return req
}

// sameRequest reports whether two renderings of a request are the same:
// the messages exactly; the tool definitions up to blanks, since the wire
// carries each tool's JSON schema compacted.
func sameRequest(got, want string) bool {
	const tools = "── tool definition"
	gm, gt, _ := strings.Cut(got, tools)
	wm, wt, _ := strings.Cut(want, tools)
	squeeze := func(s string) string { return strings.Join(strings.Fields(s), "") }
	return gm == wm && squeeze(gt) == squeeze(wt)
}
