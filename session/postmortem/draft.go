package postmortem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/kuberesponder/kuberesponder/llm"
	"github.com/kuberesponder/kuberesponder/prompts"
)

// promptData is what the postmortem prompt template sees: facts from the
// journal, already rendered as lines.
type promptData struct {
	Title, Status, Context, Namespace, Statement string
	Findings, Impact, Timeline, Fixes, Commands  []string
}

// draft is the narrative the model returns.
type draft struct {
	Summary     string   `json:"summary"`
	RootCause   string   `json:"rootCause"`
	ActionItems []string `json:"actionItems"`
	Lessons     []string `json:"lessons"`
}

// prompt renders the postmortem prompt in the postmortem's language.
func prompt(p *Postmortem, tf triageFacts) (string, error) {
	d := promptData{
		Title: p.Title, Status: p.Status, Context: p.Cluster.Context,
		Namespace: p.Cluster.Namespace, Statement: oneLine(p.RootCause.Statement, 1000),
	}
	for _, f := range tf.findings {
		s := f.line(labelsFor("en"))
		if len(f.Evidence) > 0 {
			s += " — evidence: " + strings.Join(f.Evidence, "; ")
		}
		d.Findings = append(d.Findings, oneLine(s, 1000))
	}
	d.Impact = append(d.Impact, p.Impact.Text...)
	for _, e := range p.Timeline {
		d.Timeline = append(d.Timeline, ts(e.Time)+" "+string(e.Kind)+": "+oneLine(e.Text, 300))
	}
	for _, f := range p.Resolution.Fixes {
		what := f.Text
		if f.Command != "" {
			what = "kubectl " + f.Command
		}
		d.Fixes = append(d.Fixes, oneLine(what, 300)+" ("+f.Source+", "+f.Status.String()+")")
	}
	for _, c := range p.Commands {
		d.Commands = append(d.Commands, oneLine("kubectl "+c.Command+" → "+c.Status+": "+c.Summary, 300))
	}
	return prompts.Render("postmortem", p.Lang, d)
}

// draftByModel asks the model for the narrative sections. The prompt is
// redacted before it is sent; facts are never taken from the answer.
func draftByModel(ctx context.Context, c llm.Client, model string, r Redactor, p *Postmortem, tf triageFacts) error {
	text, err := prompt(p, tf)
	if err != nil {
		return err
	}
	text, _ = r.Redact(text)
	temp := float32(0.2)
	req := llm.Request{
		Model:       model,
		Messages:    []llm.Message{{Role: llm.User, Content: text}},
		Temperature: &temp,
		MaxTokens:   2000,
	}
	reply, err := c.Complete(ctx, req, nil)
	if err != nil {
		return fmt.Errorf("ask the model for the postmortem draft: %w", err)
	}
	d, err := parseDraft(reply.Message.Content)
	if err != nil {
		return err
	}
	p.Summary = Drafted{By: ByModel, Text: prose(d.Summary)}
	p.RootCause.Analysis = Drafted{By: ByModel, Text: prose(d.RootCause)}
	p.ActionItems = Drafted{By: ByModel, Items: items(d.ActionItems)}
	p.Lessons = Drafted{By: ByModel, Items: items(d.Lessons)}
	return nil
}

// parseDraft reads the model's JSON answer, tolerating a code fence or
// words around the object.
func parseDraft(s string) (draft, error) {
	var d draft
	i, j := strings.Index(s, "{"), strings.LastIndex(s, "}")
	if i < 0 || j < i {
		return d, errors.New("the model's postmortem draft holds no JSON object")
	}
	if err := json.Unmarshal([]byte(s[i:j+1]), &d); err != nil {
		return d, fmt.Errorf("read the model's postmortem draft: %w", err)
	}
	if strings.TrimSpace(d.Summary) == "" || strings.TrimSpace(d.RootCause) == "" {
		return d, errors.New("the model's postmortem draft lacks a summary or a root cause")
	}
	return d, nil
}

// prose keeps the model's paragraphs but stops its lines from opening
// headings, so drafted text cannot restructure the document.
func prose(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, ln := range lines {
		if t := strings.TrimLeft(ln, " "); strings.HasPrefix(t, "#") {
			lines[i] = strings.TrimLeft(t, "# ")
		}
	}
	return strings.Join(lines, "\n")
}

func items(in []string) []string {
	out := []string{}
	for _, s := range in {
		if s = oneLine(strings.TrimLeft(strings.TrimSpace(s), "-*• "), 600); s != "" {
			out = append(out, s)
		}
	}
	return out
}
