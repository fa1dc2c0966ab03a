package triage

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/prompts"
)

// PromptBudget is the most tokens the first-response prompt may take.
const PromptBudget = 6000

// PromptData is what the first-response template receives.
type PromptData struct {
	Scope     string
	Collected string
	Cluster   []string
	Urgency   string
	// Findings is the rule findings, rendered as text blocks.
	Findings string
	// Events is the compacted warning event table: one row per distinct group.
	Events      string
	EventGroups int
	Gaps        []string
}

// compaction is one level of shortening the prompt to fit its budget.
type compaction struct {
	detailed    int // findings shown with evidence, impact and fixes
	listed      int // further findings shown as one line each
	evidence    int // evidence lines per detailed finding
	messageLen  int // runes of an event message
	withExample bool
}

var compactions = []compaction{
	{detailed: 20, listed: 200, evidence: 10, messageLen: 300, withExample: true},
	{detailed: 10, listed: 100, evidence: 6, messageLen: 200, withExample: true},
	{detailed: 6, listed: 50, evidence: 4, messageLen: 140, withExample: true},
	{detailed: 4, listed: 25, evidence: 3, messageLen: 100, withExample: false},
	{detailed: 3, listed: 10, evidence: 2, messageLen: 60, withExample: false},
	{detailed: 2, listed: 5, evidence: 2, messageLen: 40, withExample: false},
}

// Prompt renders the first-response prompt for a model in lang: the cluster
// facts, the rule findings with their evidence and the compacted warning
// event table, asking for the six sections. It shortens the findings and the
// event messages until the prompt fits PromptBudget tokens (counted with
// llm.CountTokens, the o200k vocabulary the session counts with), and keeps one row
// for every distinct warning group.
func Prompt(r Report, lang string) (string, error) {
	lang = langOf(lang)
	r = r.In(lang)
	groups := eventTable(r.Events)
	var text string
	for _, c := range compactions {
		var err error
		text, err = prompts.Render("first-response", lang, promptData(r, lang, groups, c))
		if err != nil {
			return "", err
		}
		if llm.CountTokens(text) <= PromptBudget {
			break
		}
	}
	return text, nil
}

func promptData(r Report, lang string, groups []tableRow, c compaction) PromptData {
	scope := heading(lang, "all")
	if r.Namespace != "" {
		scope = heading(lang, "ns", r.Namespace)
	}
	d := PromptData{
		Scope: scope, Collected: r.Collected.UTC().Format(time.RFC3339),
		Cluster: clusterLines(lang, r.Cluster), Urgency: urgencyName(lang, r.Urgency),
		EventGroups: len(groups), Gaps: r.Gaps,
	}
	impact, urgency := heading(lang, "impactLabel"), heading(lang, "urgencyLabel")
	var b strings.Builder
	for i, f := range r.Findings {
		switch {
		case i < c.detailed:
			fmt.Fprintf(&b, "F%d [%s] %s — %s\n  %s %s\n", i+1, f.Urgency, f.Object, f.Rule, f.Problem, f.Cause)
			for j, e := range f.Evidence {
				if j == c.evidence {
					fmt.Fprintf(&b, "  - … (+%d)\n", len(f.Evidence)-j)
					break
				}
				fmt.Fprintf(&b, "  - %s\n", clip(e, c.messageLen+120))
			}
			fmt.Fprintf(&b, "  %s: %s\n  %s: %s\n", impact, f.Impact.Summary, urgency, f.UrgencyRule)
		case i < c.detailed+c.listed:
			fmt.Fprintf(&b, "F%d [%s] %s — %s: %s\n", i+1, f.Urgency, f.Object, f.Rule, clip(f.Problem, c.messageLen))
		default:
			rest := map[string]int{}
			for _, g := range r.Findings[i:] {
				rest[g.Rule]++
			}
			keys := make([]string, 0, len(rest))
			for k := range rest {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			parts := make([]string, len(keys))
			for k, key := range keys {
				parts[k] = fmt.Sprintf("%s ×%d", key, rest[key])
			}
			fmt.Fprintf(&b, "… %d more: %s\n", len(r.Findings)-i, strings.Join(parts, ", "))
		}
		if i >= c.detailed+c.listed {
			break
		}
	}
	if len(r.Findings) == 0 {
		b.WriteString(heading(lang, "none") + "\n")
	}
	d.Findings = b.String()
	var e strings.Builder
	e.WriteString("count | objects | last seen | kind | reason | message\n")
	for _, g := range groups {
		msg := g.pattern
		if c.withExample {
			msg = g.example.Object.short() + ": " + g.example.Message
		}
		fmt.Fprintf(&e, "%d | %d | %s | %s | %s | %s\n", g.count, g.objects, g.last.Format(time.RFC3339), g.example.Object.Kind, g.example.Reason, clip(msg, c.messageLen))
	}
	d.Events = e.String()
	return d
}

// tableRow is one distinct warning group across objects.
type tableRow struct {
	key     string
	pattern string
	count   int
	objects int
	last    time.Time
	example EventGroup
}

// eventTable groups warnings by kind, reason and message pattern across
// objects: the compacted event table a model reads instead of the raw list.
func eventTable(evs []EventGroup) []tableRow {
	rows := map[string]*tableRow{}
	for _, g := range evs {
		key := g.Type + "|" + g.Object.Kind + "|" + g.Reason + "|" + g.Pattern
		r := rows[key]
		if r == nil {
			r = &tableRow{key: key, pattern: g.Pattern, example: g}
			rows[key] = r
		}
		r.count += g.Count
		r.objects++
		if g.Last.After(r.last) {
			r.last, r.example = g.Last, g
		}
	}
	out := make([]tableRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].count != out[j].count {
			return out[i].count > out[j].count
		}
		return out[i].key < out[j].key
	})
	return out
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
