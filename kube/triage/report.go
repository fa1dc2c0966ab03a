package triage

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kuberesponder/kuberesponder/kube/redact"
	"github.com/kuberesponder/kuberesponder/prompts/catalog"
)

// ReportVersion is the version of the report's JSON schema (docs/report-json.md).
const ReportVersion = 1

// Report is the first-response triage report: the facts in brief, the
// findings, and optionally a model's answer next to them.
type Report struct {
	Version   int         `json:"version"`
	Lang      string      `json:"lang"`
	Collected time.Time   `json:"collected"`
	Namespace string      `json:"namespace,omitempty"`
	Cluster   ClusterInfo `json:"cluster"`
	Summary   Summary     `json:"summary"`
	// Urgency is the most urgent finding's urgency; "none" when nothing was found.
	Urgency  string    `json:"urgency"`
	Findings []Finding `json:"findings"`
	// Events are the warning event groups, newest first.
	Events []EventGroup `json:"events"`
	Gaps   []string     `json:"gaps,omitempty"`
	// Model is the model's answer, when one was asked.
	Model *ModelAnswer `json:"model,omitempty"`
}

// Summary counts what was gathered and found.
type Summary struct {
	Nodes         int            `json:"nodes"`
	NodesReady    int            `json:"nodesReady"`
	Pods          int            `json:"pods"`
	HealthyPods   int            `json:"healthyPods"`
	ProblemPods   int            `json:"problemPods"`
	WarningGroups int            `json:"warningGroups"`
	Warnings      int            `json:"warnings"`
	ByUrgency     map[string]int `json:"byUrgency"`
}

// ModelAnswer is the model-written six sections, kept apart from the rule findings.
type ModelAnswer struct {
	Model string `json:"model"`
	Text  string `json:"text,omitempty"`
	Error string `json:"error,omitempty"`
}

// Build analyses the facts and assembles the report in English.
func Build(f *Facts) Report {
	r := Report{
		Version: ReportVersion, Lang: "en", Collected: f.Collected, Namespace: f.Namespace,
		Cluster: f.Cluster, Findings: Analyze(f), Events: f.Events, Gaps: f.Gaps, Urgency: "none",
	}
	s := Summary{Nodes: len(f.Nodes), Pods: len(f.PodIndex), ProblemPods: len(f.Pods), WarningGroups: len(f.Events),
		ByUrgency: map[string]int{}}
	for _, nf := range f.Nodes {
		if nodeReady(&nf.Node) {
			s.NodesReady++
		}
	}
	for _, p := range f.PodIndex {
		if p.Ready && p.Phase == "Running" {
			s.HealthyPods++
		}
	}
	for _, g := range f.Events {
		s.Warnings += g.Count
	}
	for c := Critical; c <= Low; c++ {
		s.ByUrgency[c.String()] = 0
	}
	for _, fd := range r.Findings {
		s.ByUrgency[fd.Urgency.String()]++
	}
	if len(r.Findings) > 0 {
		r.Urgency = r.Findings[0].Urgency.String()
	}
	if r.Findings == nil {
		r.Findings = []Finding{}
	}
	if r.Events == nil {
		r.Events = []EventGroup{}
	}
	r.Summary = s
	return r
}

// In returns the report with its rule text in lang ("en" or "ja").
func (r Report) In(lang string) Report {
	lang = langOf(lang)
	red := redact.New()
	fs := make([]Finding, len(r.Findings))
	for i, f := range r.Findings {
		fs[i] = f.in(lang, red)
	}
	r.Findings, r.Lang = fs, lang
	return r
}

// JSON renders the report in its stable, documented schema.
func (r Report) JSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return nil, fmt.Errorf("encode report: %w", err)
	}
	return b.Bytes(), nil
}

// urgencyName renders an urgency (or "none") for lang.
func urgencyName(lang, u string) string { return catalog.Text(lang, "report.urgency."+u) }

// Markdown renders the six sections in lang ("en" or "ja") with no model; a
// model's answer, when present, follows under its own label. The text is safe
// to print on a terminal.
func (r Report) Markdown(lang string) string {
	return redact.Terminal(r.markdown(lang))
}

func (r Report) markdown(lang string) string {
	lang = langOf(lang)
	r = r.In(lang)
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	h := func(name string, a ...any) string { return heading(lang, name, a...) }
	scope := h("all")
	if r.Namespace != "" {
		scope = h("ns", r.Namespace)
	}
	p("# %s\n\n", h("title"))
	p("%s\n\n", h("scope", scope, r.Collected.UTC().Format(time.RFC3339), orUnknown(r.Cluster.Version),
		r.Summary.Nodes, r.Summary.NodesReady, r.Summary.Pods, r.Summary.ProblemPods, r.Summary.WarningGroups, r.Summary.Warnings))
	why := ""
	if len(r.Findings) > 0 {
		why = " — " + r.Findings[0].UrgencyRule
	}
	p("%s\n\n", h("overall", urgencyName(lang, r.Urgency), why))
	u := r.Summary.ByUrgency
	p("%s\n\n", h("counts", len(r.Findings), u["critical"], u["high"], u["medium"], u["low"]))

	p("## %s\n\n", h("s1"))
	if len(r.Findings) == 0 {
		p("%s\n\n", h("none"))
	}
	for i, f := range r.Findings {
		p("### F%d [%s] %s — `%s`\n\n", i+1, urgencyName(lang, f.Urgency.String()), f.Object, f.Rule)
		for _, e := range f.Evidence {
			p("- %s\n", e)
		}
		p("\n")
	}
	section := func(title string, line func(Finding) string) {
		p("## %s\n\n", title)
		if len(r.Findings) == 0 {
			p("%s\n", h("none"))
		}
		for i, f := range r.Findings {
			p("- **F%d** %s\n", i+1, line(f))
		}
		p("\n")
	}
	section(h("s2"), func(f Finding) string { return f.Problem })
	section(h("s3"), func(f Finding) string { return f.Cause })
	p("## %s\n\n", h("s4"))
	for i, f := range r.Findings {
		p("- **F%d** %s\n", i+1, f.Impact.Summary)
	}
	p("- %s\n\n", h("healthy", r.Summary.HealthyPods))
	p("## %s\n\n", h("s5"))
	p("%s\n\n", h("overall", urgencyName(lang, r.Urgency), why))
	for i, f := range r.Findings {
		p("- **F%d** %s — %s\n", i+1, urgencyName(lang, f.Urgency.String()), f.UrgencyRule)
	}
	if len(r.Findings) > 0 {
		p("\n")
	}
	p("## %s\n\n", h("s6"))
	if len(r.Findings) > 0 {
		p("%s\n\n", h("confirm"))
		seen := map[string]bool{}
		for _, f := range r.Findings {
			for _, a := range f.NextActions {
				if !seen[a] {
					seen[a] = true
					p("- `%s`\n", a)
				}
			}
		}
		p("\n%s\n\n", h("fixes"))
		for i, f := range r.Findings {
			for _, x := range f.Fixes {
				p("- **F%d** %s\n", i+1, x)
			}
		}
		p("\n")
	} else {
		p("%s\n\n", h("nothing"))
	}
	if len(r.Gaps) > 0 {
		p("%s\n\n", h("gaps"))
		for _, g := range r.Gaps {
			p("- %s\n", g)
		}
		p("\n")
	}
	if r.Model != nil {
		p("## %s\n\n", h("model", r.Model.Model))
		p("> %s\n\n", h("modelNote"))
		if r.Model.Error != "" {
			p("%s\n\n", h("modelErr", r.Model.Error))
		} else {
			p("%s\n\n", strings.TrimSpace(r.Model.Text))
		}
	}
	p("## %s\n\n", h("cluster"))
	for _, line := range clusterLines(lang, r.Cluster) {
		p("- %s\n", line)
	}
	p("\n## %s\n\n", h("events", len(r.Events)))
	if len(r.Events) == 0 {
		p("%s\n", h("noEvents"))
		return b.String()
	}
	p("| %s |\n|---|---|---|---|---|\n", h("eventCols"))
	for i, g := range r.Events {
		if i == maxEventRows {
			p("\n%s\n", h("moreEvents", len(r.Events)-i))
			break
		}
		p("| %d | %s | %s | %s | %s |\n", g.Count, g.Last.UTC().Format(time.RFC3339), g.Object.short(), g.Reason, cell(g.Message))
	}
	return b.String()
}

// maxEventRows bounds the event table of the markdown report.
const maxEventRows = 30

func cell(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func orList(v []string, none string) string {
	if len(v) == 0 {
		return none
	}
	return strings.Join(v, ", ")
}

// clusterLines renders the cluster facts in the form of a Kubernetes bug report.
func clusterLines(lang string, c ClusterInfo) []string {
	h := func(name string, a ...any) string { return heading(lang, name, a...) }
	return []string{
		h("cVersion") + ": " + orUnknown(c.Version),
		h("cProvider") + ": " + orUnknown(c.Provider),
		h("cOS") + ": " + orList(c.OSImages, h("unknown")),
		h("cRuntime") + ": " + orList(c.Runtimes, h("unknown")),
		h("cCNI") + ": " + orList(c.CNI, h("notFound")),
		h("cCSI") + ": " + orList(c.CSI, h("notFound")),
		h("cTools") + ": " + orList(c.Tools, h("notFound")),
		h("cTopology", c.ControlPlaneNodes, c.WorkerNodes),
	}
}

// heading renders the report's fixed text name ("report."+name in the
// message catalog) in lang.
func heading(lang, name string, args ...any) string {
	return catalog.Text(lang, "report."+name, args...)
}
