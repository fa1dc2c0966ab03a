package postmortem

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kuberesponder/kuberesponder/session"
)

// Format is the file format of an export.
type Format string

// The export formats.
const (
	Markdown Format = "markdown"
	JSON     Format = "json"
)

// String returns the format's name.
func (f Format) String() string { return string(f) }

// Ext returns the file extension of the format, with its dot.
func (f Format) Ext() string {
	if f == JSON {
		return ".json"
	}
	return ".md"
}

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "markdown", "md":
		return Markdown, nil
	case "json":
		return JSON, nil
	}
	return "", fmt.Errorf("unknown format %q: use markdown or json", s)
}

// Render writes p in the format f.
func Render(p *Postmortem, f Format) ([]byte, error) {
	if f == JSON {
		b, err := json.MarshalIndent(p, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("encode postmortem as JSON: %w", err)
		}
		return append(b, '\n'), nil
	}
	return renderMarkdown(p), nil
}

const stamp = "2006-01-02 15:04:05Z"

func ts(t time.Time) string { return t.UTC().Format(stamp) }

func renderMarkdown(p *Postmortem) []byte {
	l := labelsFor(p.Lang)
	var b bytes.Buffer
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }

	w("# %s: %s\n\n", l.text("postmortem.title"), mdText(p.Title))
	w("| | |\n|---|---|\n")
	row := func(k, v string) { w("| %s | %s |\n", k, cell(v)) }
	row(l.text("postmortem.status"), l.word(p.Status))
	row(l.text("postmortem.date"), ts(p.Date))
	row(l.text("postmortem.session"), p.SessionID)
	row(l.text("postmortem.responders"), orNone(l, strings.Join(p.Responders, ", ")))
	row(l.text("postmortem.cluster"), clusterLine(l, p.Cluster))
	row(l.text("postmortem.model"), p.Model)
	row(l.text("postmortem.journal"), journalLine(l, p.Journal))
	row(l.text("postmortem.redactions"), fmt.Sprint(p.Redactions))
	b.WriteString("\n")

	w("## %s\n\n%s\n\n%s\n\n", l.text("postmortem.summary"), drafted(l, p.Summary), p.Summary.Text)

	w("## %s\n\n", l.text("postmortem.impact"))
	if len(p.Impact.Objects) > 0 {
		w("%s:\n\n", l.text("postmortem.affected"))
		for _, o := range p.Impact.Objects {
			w("- %s", mdText(whatOf(o.Object, o.Problem)))
			switch {
			case o.Owner != "" && o.Available != nil && o.Desired != nil:
				w(" (%s: %s)", mdText(o.Owner), l.text("postmortem.replicas", *o.Available, *o.Desired))
			case o.Available != nil && o.Desired != nil:
				w(" (%s)", l.text("postmortem.replicas", *o.Available, *o.Desired))
			case o.Owner != "":
				w(" (%s)", mdText(o.Owner))
			}
			if o.Urgency != "" {
				w(" — %s %s", l.text("postmortem.urgency"), l.word(o.Urgency))
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	if lines := impactLines(p.Impact); len(lines) > 0 {
		w("%s:\n\n", l.text("postmortem.impactLines"))
		for _, t := range lines {
			w("- %s\n", mdText(t))
		}
		b.WriteString("\n")
	}
	w("%s: %s\n\n", l.text("postmortem.duration"), durationLine(l, p.Impact))

	w("## %s\n\n", l.text("postmortem.detection"))
	if len(p.Detection.Events) > 0 {
		w("%s:\n\n", l.text("postmortem.eventsCol"))
		for _, e := range p.Detection.Events {
			w("- %s — %s\n", ts(e.First), mdText(e.line()))
		}
		if p.Detection.OmittedEvents > 0 {
			w("- %s\n", l.text("postmortem.moreEvents", p.Detection.OmittedEvents))
		}
		b.WriteString("\n")
	}
	if p.Detection.Reported != nil {
		w("%s\n\n", l.text("postmortem.reported", ts(*p.Detection.Reported)))
	}

	w("## %s\n\n", l.text("postmortem.timeline"))
	for _, e := range p.Timeline {
		w("- %s — %s\n", ts(e.Time), mdText(e.Text))
	}
	b.WriteString("\n")

	w("## %s\n\n", l.text("postmortem.rootCause"))
	if p.RootCause.Statement != "" {
		w("%s:\n\n%s\n\n", l.text("postmortem.statement"), quote(p.RootCause.Statement))
	}
	w("### %s\n\n%s\n\n%s\n\n", l.text("postmortem.analysis"), drafted(l, p.RootCause.Analysis), p.RootCause.Analysis.Text)

	w("## %s\n\n", l.text("postmortem.resolution"))
	if p.Resolution.Resolved && p.Resolution.Time != nil {
		w("%s\n\n", l.text("postmortem.resolvedAt", ts(*p.Resolution.Time)))
	} else {
		w("%s\n\n", l.text("postmortem.notResolved"))
	}
	w("### %s\n\n", l.text("postmortem.fixes"))
	if len(p.Resolution.Fixes) == 0 {
		w("%s\n\n", l.text("postmortem.none"))
	}
	for _, f := range p.Resolution.Fixes {
		box := " "
		if f.Status == FixApplied {
			box = "x"
		}
		what := mdText(f.Text)
		if f.Command != "" {
			what = "`" + display(f.Command) + "`"
			if f.Text != "" {
				what += " — " + mdText(f.Text)
			}
		}
		w("- [%s] %s (%s%s%s)\n", box, what, l.fixStatus(f.Status), l.text("postmortem.sep"), l.fixSource(f.Source))
	}
	if len(p.Resolution.Fixes) > 0 {
		b.WriteString("\n")
	}

	w("## %s\n\n%s\n\n", l.text("postmortem.actions"), drafted(l, p.ActionItems))
	for _, it := range p.ActionItems.Items {
		w("- [ ] %s\n", mdText(it))
	}
	w("\n## %s\n\n%s\n\n", l.text("postmortem.lessons"), drafted(l, p.Lessons))
	for _, it := range p.Lessons.Items {
		w("- %s\n", mdText(it))
	}

	w("\n## %s\n\n", l.text("postmortem.appendix"))
	if len(p.Commands) == 0 {
		w("%s\n", l.text("postmortem.commandsNone"))
	}
	for i, c := range p.Commands {
		w("### %d. `%s`\n\n", i+1, display(c.Command))
		w("%s · %s", ts(c.Time), l.word(c.Status))
		if c.Summary != "" {
			w(" · %s", mdText(c.Summary))
		}
		if c.OmittedLines > 0 {
			w(" · %s", l.text("postmortem.omitted", c.OmittedLines))
		}
		if c.Error != "" && c.Summary != session.DefaultSummary(session.Status(c.Status), c.Error) {
			w(" · %s", mdText(c.Error))
		}
		if strings.TrimSpace(c.Output) == "" {
			w("\n\n%s\n\n", l.text("postmortem.noOutput"))
			continue
		}
		fence := fenceFor(c.Output)
		w("\n\n%stext\n%s\n%s\n\n", fence, c.Output, fence)
	}
	return append(bytes.TrimRight(b.Bytes(), "\n"), '\n')
}

// impactLines returns the findings' impact lines, each once.
func impactLines(im Impact) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range im.Text {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

func orNone(l labels, s string) string {
	if s == "" {
		return l.text("postmortem.none")
	}
	return s
}

func drafted(l labels, d Drafted) string {
	s := l.text("postmortem.draftedRules")
	if d.By == ByModel {
		s = l.text("postmortem.draftedModel")
	}
	if d.Note != "" {
		s += " _(" + mdText(d.Note) + ")_"
	}
	return s
}

func clusterLine(l labels, c Cluster) string {
	ns := c.Namespace
	if ns == "" {
		ns = l.text("postmortem.allNamespaces")
	}
	parts := []string{c.Context}
	if c.Name != "" && c.Name != c.Context {
		parts = append(parts, c.Name)
	}
	if c.Server != "" {
		parts = append(parts, c.Server)
	}
	s := strings.Join(parts, ", ") + " — " + ns
	if c.Snapshot != "" {
		s += " (" + l.text("postmortem.snapshot") + ": " + c.Snapshot + ")"
	}
	return s
}

func journalLine(l labels, j Journal) string {
	if j.Verified {
		return l.text("postmortem.verified", j.Events)
	}
	return l.text("postmortem.notVerified", strings.Join(j.Problems, "; "))
}

func durationLine(l labels, im Impact) string {
	switch {
	case im.Start != nil && im.End != nil:
		return fmt.Sprintf("%s (%s %s → %s %s)", im.Duration.Round(time.Second), l.text("postmortem.start"), ts(*im.Start), l.text("postmortem.end"), ts(*im.End))
	case im.Start != nil:
		return fmt.Sprintf("%s (%s %s)", l.text("postmortem.ongoing"), l.text("postmortem.start"), ts(*im.Start))
	}
	return l.text("postmortem.none")
}

// mdText keeps text on one line and stops it from opening Markdown blocks.
func mdText(s string) string {
	s = oneLine(s, 2000)
	if strings.HasPrefix(s, "#") || strings.HasPrefix(s, ">") {
		s = `\` + s
	}
	return s
}

// cell makes text safe inside a table cell.
func cell(s string) string { return strings.ReplaceAll(mdText(s), "|", `\|`) }

// quote renders text as a Markdown block quote.
func quote(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, ln := range lines {
		lines[i] = "> " + ln
	}
	return strings.Join(lines, "\n")
}

// fenceFor returns a code fence longer than any run of backticks in s.
func fenceFor(s string) string {
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			if run > longest {
				longest = run
			}
		} else {
			run = 0
		}
	}
	if longest < 3 {
		return "```"
	}
	return strings.Repeat("`", longest+1)
}
