package ui

import (
	"strings"
	"testing"

	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/session"
)

// TestRequestKeyShowsLastRequest: r in the transcript opens the pager on
// the exact messages of the last model request, whatever state the screen
// is in; before any request it says so, and typed in the input box it is
// just a letter.
func TestRequestKeyShowsLastRequest(t *testing.T) {
	tests := []struct {
		name   string
		turns  []turn
		do     func(h *harness)
		pager  bool   // the pager opens
		flash  string // else the status line says
		input  string // else the input box holds
		visits []string
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
		{name: "after a model error", turns: []turn{{err: llm.ErrNoAPIKey}}, pager: true,
			do: func(h *harness) { h.key("enter"); h.key("tab"); h.key("r") }},
		{name: "escapes in model text and commands", pager: true,
			turns: []turn{
				{text: "Look \x1b]52;c;AAAA\ahere\x1b[31m.", calls: []llm.ToolCall{
					call("c1", "get pods \x1b[2J-n shop", "list\u202e pods"),
					call("c2", "get pods -n shop", "why\u009b2J")}},
				{text: "done"},
			},
			do: func(h *harness) {
				h.key("enter")
				h.key("tab")
				h.wait(armDelay)
				h.key("n")
				h.typeText("no\a")
				h.key("enter")
				h.key("r")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, &fakeClient{turns: tt.turns}, seedRunner())
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
			h.client.mu.Lock()
			sent := h.client.reqs[len(h.client.reqs)-1]
			h.client.mu.Unlock()
			want := strings.TrimRight(clean(session.FormatRequest(sent)), "\n")
			if got := strings.Join(p.raw, "\n"); got != want {
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
