package session

import (
	"fmt"
	"strings"

	"github.com/kuberesponder/kuberesponder/llm"
)

// unit is one message of the derived conversation, with what the budget may
// replace it by.
type unit struct {
	msg  llm.Message
	turn int // -1 for the head (the first answer); 0, 1, ... per operator turn
	// short replaces a tool result's content when the budget is tight.
	short string
	// gist is this message's line in a compacted turn.
	gist string
}

// request builds the next model request from the journal.
func (s *Session) request() llm.Request {
	tool := s.toolSpec()
	sys := llm.Message{Role: llm.System, Content: s.systemPrompt()}
	units := s.conversation()
	fixed := s.count(sys.Content) + s.count(tool.Description) + s.count(string(tool.Parameters)) + 16
	msgs := fit(units, s.opts.ContextTokens-fixed-reserve(s.opts.ContextTokens), s.count)
	return llm.Request{
		Model:    s.st.meta.Model,
		Messages: append([]llm.Message{sys}, msgs...),
		Tools:    []llm.ToolSpec{tool},
	}
}

// reserve is the part of the context kept free for the reply.
func reserve(context int) int { return min(context/8, 4096) }

// conversation derives the messages after the system prompt from the
// journal. Every tool call sent has its answer right after the assistant
// message that made it, in call order; calls not answered yet are left out.
func (s *Session) conversation() []unit {
	owner := map[int][]*call{} // assistant event index → its calls
	last := -1
	for i, e := range s.events {
		switch e.Kind {
		case KindAssistant:
			last = i
		case KindProposal:
			if c := s.st.calls[e.CallID]; c != nil && last >= 0 {
				owner[last] = append(owner[last], c)
			}
		}
	}
	var out []unit
	turn := -1
	for i, e := range s.events {
		switch e.Kind {
		case KindPhase:
			if e.Phase == PhaseInvestigation && e.Text != "" {
				turn++
				out = append(out, unit{msg: llm.Message{Role: llm.User, Content: e.Text}, turn: turn,
					gist: "The operator asked to investigate."})
			} else if e.Phase == PhaseResolved {
				out = append(out, unit{msg: llm.Message{Role: llm.User, Content: "The operator marked the incident resolved. Root cause: " + e.Text},
					turn: max(turn, 0), gist: "Resolved: " + clip(e.Text, 200)})
			}
		case KindOperator:
			turn++
			out = append(out, unit{msg: llm.Message{Role: llm.User, Content: e.Text}, turn: turn,
				gist: "Operator: " + clip(e.Text, 300)})
		case KindAssistant:
			m := llm.Message{Role: llm.Assistant, Content: e.Text}
			var tools []unit
			for _, c := range owner[i] {
				if c.result == nil {
					continue
				}
				m.ToolCalls = append(m.ToolCalls, llm.ToolCall{ID: c.id, Name: c.prop.Tool, Arguments: c.prop.Args})
				tools = append(tools, resultUnit(c, turn))
			}
			if m.Content == "" && len(m.ToolCalls) == 0 {
				continue
			}
			gist := ""
			if e.Text != "" {
				gist = "Assistant: " + clip(e.Text, 300)
			}
			if e.Phase == PhaseTriage && turn < 0 {
				gist = ""
			}
			out = append(out, unit{msg: m, turn: turn, gist: gist})
			out = append(out, tools...)
		}
	}
	return out
}

// resultUnit is the tool message answering c.
func resultUnit(c *call, turn int) unit {
	r := c.result
	u := unit{msg: llm.Message{Role: llm.Tool, ToolCallID: c.id, Content: r.ModelView}, turn: turn}
	if u.msg.Content == "" {
		u.msg.Content = string(r.Status)
	}
	cmd := r.Command
	if cmd == "" {
		cmd = c.prop.Text
	}
	switch r.Status {
	case Ran, Failed:
		u.short = fmt.Sprintf("$ %s (%s at %s): %s. The full output was left out to save context.",
			cmd, r.Status, r.Time.Format("15:04:05"), r.Summary)
		u.gist = fmt.Sprintf("%s %s: %s", r.Status, cmd, r.Summary)
	default:
		u.gist = fmt.Sprintf("%s %s: %s", r.Status, cmd, r.Reason)
	}
	return u
}

// clip cuts s to n runes on one line.
func clip(s string, n int) string {
	s = oneLine(s)
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n])) + "…"
}
