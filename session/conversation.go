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

// msgOverhead approximates the tokens a message costs beyond its text.
const msgOverhead = 4

func tokens(m llm.Message, count func(string) int) int {
	n := msgOverhead + count(m.Content)
	for _, tc := range m.ToolCalls {
		n += msgOverhead + count(tc.Name) + count(tc.Arguments) + count(tc.ID)
	}
	return n
}

// fit returns the messages of units within budget tokens. Old tool results
// shrink to their one-line summaries first, oldest first; then the oldest
// turns are compacted to a few lines each; then compacted turns are dropped.
// The head (turn -1) and the latest turn are never changed, so a request may
// exceed the budget when they alone do.
func fit(units []unit, budget int, count func(string) int) []llm.Message {
	latest := -1
	for _, u := range units {
		latest = max(latest, u.turn)
	}
	cost := make([]int, len(units))
	total := 0
	for i, u := range units {
		cost[i] = tokens(u.msg, count)
		total += cost[i]
	}
	if total > budget {
		for i := range units {
			u := &units[i]
			if u.turn < 0 || u.turn == latest || u.short == "" {
				continue
			}
			u.msg.Content, u.short = u.short, ""
			c := tokens(u.msg, count)
			total += c - cost[i]
			cost[i] = c
			if total <= budget {
				break
			}
		}
	}
	if total <= budget {
		return messages(units)
	}
	// Compact whole turns, oldest first.
	var out []unit
	i := 0
	for ; i < len(units) && units[i].turn < 0; i++ {
		out = append(out, units[i])
	}
	var kept []int // indexes in out of compacted turns
	for t := 0; t < latest && total > budget; t++ {
		var lines []string
		for ; i < len(units) && units[i].turn == t; i++ {
			total -= cost[i]
			if units[i].gist != "" {
				lines = append(lines, units[i].gist)
			}
		}
		m := llm.Message{Role: llm.User, Content: "[Earlier turn, compacted]\n" + strings.Join(lines, "\n")}
		total += tokens(m, count)
		kept = append(kept, len(out))
		out = append(out, unit{msg: m, turn: t})
	}
	out = append(out, units[i:]...)
	// Drop compacted turns, oldest first, if that was not enough.
	dropped := 0
	for _, k := range kept {
		if total <= budget {
			break
		}
		total -= tokens(out[k].msg, count)
		out[k].msg.Content = ""
		dropped++
	}
	if dropped > 0 {
		note := llm.Message{Role: llm.User, Content: fmt.Sprintf("[%d earlier turns were left out to save context]", dropped)}
		var kept2 []unit
		inserted := false
		for _, u := range out {
			if u.msg.Role == llm.User && u.msg.Content == "" {
				if !inserted {
					kept2 = append(kept2, unit{msg: note, turn: u.turn})
					inserted = true
				}
				continue
			}
			kept2 = append(kept2, u)
		}
		out = kept2
	}
	return messages(out)
}

func messages(units []unit) []llm.Message {
	out := make([]llm.Message, len(units))
	for i, u := range units {
		out[i] = u.msg
	}
	return out
}
