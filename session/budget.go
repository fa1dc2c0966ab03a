package session

import (
	"fmt"
	"strings"

	"github.com/kuberesponder/kuberesponder/llm"
)

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
