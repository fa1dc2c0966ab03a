package ui

import (
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/kuberesponder/kuberesponder/session"
)

// foldLines is how many output lines an action shows until it is opened.
const foldLines = 4

// entryKind is what a transcript entry shows.
type entryKind int

const (
	entStart entryKind = iota
	entReport
	entOperator
	entAssistant
	entAction // a proposal with its decision, result and fix
	entError
	entNote
	entPhase
)

// String names the entry kind.
func (k entryKind) String() string {
	return [...]string{"start", "report", "operator", "assistant", "action", "error", "note", "phase"}[k]
}

// entry is one block of the transcript. It holds indexes into the journal,
// never a copy of what was said, plus its rendering for one width.
type entry struct {
	kind          entryKind
	ev            int // the event that opened the entry
	dec, res, fix int // action: decision, result and fix events, -1 while none

	width int      // width lines were rendered for; 0 when stale
	lines []string // rendered lines, the blank separator included
	plain []string // lower-cased lines without styles, built on the first search
}

// transcript is the screen's view of the journal: entries derived from the
// events, and the header facts.
type transcript struct {
	entries   []entry
	byCall    map[string]int
	seen      int
	hasReport bool
	start     time.Time
	tokens    int
	phase     session.Phase
}

// add derives entries from the events not seen yet; the journal only grows.
func (t *transcript) add(events []session.Event) {
	if t.byCall == nil {
		t.byCall = map[string]int{}
		t.phase = session.PhaseTriage
	}
	for i := t.seen; i < len(events); i++ {
		e := events[i]
		if e.Usage != nil {
			t.tokens += e.Usage.TotalTokens
		}
		if idx, ok := t.byCall[e.CallID]; ok && e.CallID != "" && e.Kind != session.KindNote {
			en := &t.entries[idx]
			switch e.Kind {
			case session.KindDecision:
				en.dec = i
			case session.KindResult:
				en.res = i
			case session.KindFix:
				en.fix = i
			}
			en.width = 0
			continue
		}
		kind := entNote
		switch e.Kind {
		case session.KindStart:
			kind, t.start = entStart, e.Time
		case session.KindReport:
			kind, t.hasReport = entReport, true
		case session.KindOperator:
			kind = entOperator
		case session.KindAssistant:
			kind = entAssistant
		case session.KindProposal:
			kind = entAction
			t.byCall[e.CallID] = len(t.entries)
		case session.KindError:
			kind = entError
		case session.KindPhase:
			kind, t.phase = entPhase, e.Phase
		}
		t.entries = append(t.entries, entry{kind: kind, ev: i, dec: -1, res: -1, fix: -1})
	}
	t.seen = len(events)
}

// itemLines returns the lines of item i at width w, rendering a stale entry:
// items are the entries and, last, the model text streaming in.
func (m *Model) itemLines(i, w int) []string {
	if i >= len(m.tr.entries) {
		return m.liveLines(w)
	}
	e := &m.tr.entries[i]
	if e.width != w {
		e.lines, e.plain, e.width = m.renderEntry(e, w), nil, w
	}
	return e.lines
}

// layout renders every entry for width w and returns the total height. Only
// search needs it; scrolling renders just what comes into view.
func (m *Model) layout(w int) int {
	total := 0
	for i := 0; i <= len(m.tr.entries); i++ {
		total += len(m.itemLines(i, w))
	}
	return total
}

// bottomAnchor returns the anchor (item, line) that shows the last h lines.
func (m *Model) bottomAnchor(w, h int) (int, int) {
	need := h
	for i := len(m.tr.entries); i >= 0; i-- {
		n := len(m.itemLines(i, w))
		if n >= need {
			return i, n - need
		}
		need -= n
	}
	return 0, 0
}

// window returns the h transcript lines from the anchor (m.top, m.topLine),
// rendering only the entries it shows.
func (m *Model) window(w, h int) []string {
	if m.follow {
		m.top, m.topLine = m.bottomAnchor(w, h)
	}
	out := make([]string, 0, h)
	for i, skip := min(m.top, len(m.tr.entries)), m.topLine; i <= len(m.tr.entries) && len(out) < h; i, skip = i+1, 0 {
		lines := m.itemLines(i, w)
		for j := max(skip, 0); j < len(lines) && len(out) < h; j++ {
			l := lines[j]
			if s := m.search; s != nil && s.at.item == i && s.at.line == j {
				l = m.st.Match.Render(ansi.Strip(l))
			}
			out = append(out, l)
		}
	}
	return out
}

// liveLines shows the model text streaming in, before it is journaled.
func (m *Model) liveLines(w int) []string {
	if m.act == nil || m.act.kind != actModel || m.act.text.Len() == 0 {
		return nil
	}
	out := []string{m.st.Assistant.Render("assistant")}
	for _, l := range wrap(clean(m.act.text.String()), w-2) {
		out = append(out, "  "+m.st.Text.Render(l))
	}
	return out
}

// renderEntry renders one entry at width w.
func (m *Model) renderEntry(e *entry, w int) []string {
	ev := m.events[e.ev]
	st := m.st
	var out []string
	switch e.kind {
	case entStart:
		meta := m.s.Meta()
		out = []string{st.Dim.Render(truncate(oneLine(fmt.Sprintf("── session %s · started %s",
			meta.ID, ev.Time.UTC().Format("2006-01-02 15:04 UTC"))), w))}
	case entReport:
		if ev.Title != "" && !strings.Contains(firstLine(ev.Text), ev.Title) {
			out = append(out, st.Title.Render(truncate(oneLine(ev.Title), w)))
		}
		out = append(out, m.markdown(ev.Text, w)...)
	case entOperator:
		out = wrapStyled(st.Operator.Render("you › "), clean(ev.Text), w, st.Text)
	case entAssistant:
		out = append([]string{st.Assistant.Render("assistant")}, m.markdown(ev.Text, w)...)
	case entAction:
		out = m.renderAction(e, w)
	case entError:
		out = wrapStyled(st.Error.Render("✗ "), clean(ev.Text), w, st.Error)
	case entPhase:
		text := "── phase: " + string(ev.Phase)
		if ev.Text != "" {
			text += " — " + ev.Text
		}
		out = wrapStyled("", clean(text), w, st.Title)
	default:
		out = wrapStyled(st.Note.Render("· "), clean(ev.Text), w, st.Note)
		if ev.Output != "" {
			out = append(out, st.Dim.Render(truncate("  "+oneLine(ev.Summary)+" — o opens the full output", w)))
		}
	}
	return append(out, "")
}

// renderAction renders a proposal, what was decided and what it produced.
func (m *Model) renderAction(e *entry, w int) []string {
	st := m.st
	p := m.events[e.ev]
	badge := st.risk(p.Risk).Render("[" + strings.ToUpper(p.Risk) + "]")
	cmd := commandLine(p.Command)
	if cmd == "" {
		cmd = "kubectl " + clean(p.Text)
	}
	var out []string
	if e.fix >= 0 {
		out = append(out, st.Mutating.Render("⚑ proposed fix — run it yourself ")+badge)
		for _, l := range wrapCommand(commandLine(m.events[e.fix].Command), w-2) {
			out = append(out, "  "+st.Command.Render(l))
		}
	} else {
		out = wrapStyledCommand(st.Command.Render("$ "), cmd, w-lipgloss.Width(badge)-1, st.Command)
		out[0] += " " + badge
	}
	if p.Reason != "" {
		out = append(out, wrapStyled(st.Dim.Render("  why: "), clean(p.Reason), w, st.Text)...)
	}
	if e.dec >= 0 {
		d := m.events[e.dec]
		switch {
		case d.Decision == session.Edited:
			out = append(out, wrapStyledCommand(st.Pending.Render("  edited to: "), commandLine(d.Command), w, st.Command)...)
		case d.Decision == session.Always:
			out = append(out, st.Dim.Render(truncate("  approved; this exact command now runs without asking (L lists, x revokes)", w)))
		case d.Decision == session.Auto:
			out = append(out, st.Dim.Render(truncate("  ran without asking (always allowed in this session)", w)))
		}
	}
	if e.fix >= 0 {
		return append(out, st.Dim.Render(truncate("  c copies the latest fix; apply it yourself if you agree", w)))
	}
	if e.res < 0 {
		status := st.Pending.Render("  … awaiting your decision")
		if e.dec >= 0 {
			status = st.Pending.Render("  … running")
		}
		return append(out, status)
	}
	r := m.events[e.res]
	start := p.Time
	if e.dec >= 0 {
		start = m.events[e.dec].Time
	}
	status := string(r.Status)
	stStyle := st.Denied
	switch r.Status {
	case session.Ran:
		stStyle = st.Ran
		status = fmt.Sprintf("✓ ran in %s · %s", seconds(r.Time.Sub(start)), r.Summary)
	case session.Failed:
		stStyle = st.Failed
		status = fmt.Sprintf("✗ failed in %s · %s", seconds(r.Time.Sub(start)), r.Reason)
	case session.DeniedCall:
		status = "✗ denied"
		if r.Reason != "" {
			status += ": " + r.Reason
		}
	default:
		status = "– " + r.Summary
	}
	out = append(out, wrapStyled("  ", clean(status), w, stStyle)...)
	if r.Status == session.Ran || r.Status == session.Failed {
		out = append(out, m.preview(r, w)...)
	}
	return out
}

// preview is the folded output of a result: its first lines and how much more there is.
func (m *Model) preview(r session.Event, w int) []string {
	view := r.ModelView
	if i := strings.IndexByte(view, '\n'); i >= 0 && (strings.HasPrefix(view, "$ ") || strings.HasPrefix(view, "The operator edited")) {
		view = view[i+1:]
	}
	view = strings.TrimRight(view, "\n")
	if view == "" {
		return nil
	}
	var out []string
	rest := view
	for len(out) < foldLines && rest != "" {
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		out = append(out, m.st.Dim.Render("  │ ")+m.st.Text.Render(truncate(clean(line), w-4)))
	}
	more := "o opens the full output"
	if rest != "" {
		more = fmt.Sprintf("… %d more lines — %s", strings.Count(rest, "\n")+1, more)
	}
	return append(out, m.st.Dim.Render(truncate("  │ "+more, w)))
}

// markdown renders markdown with glamour's fixed style at width w. Glamour's
// word-wrap width is the whole line: it takes its margin (two columns each
// side) out of it, so text wraps once, inside w.
func (m *Model) markdown(text string, w int) []string {
	if m.md == nil || m.mdW != w {
		r, err := m.st.markdown(max(w, 10))
		if err != nil {
			return wrap(clean(text), w)
		}
		m.md, m.mdW = r, w
	}
	s, err := m.md.Render(keepWords(clean(text)))
	if err != nil {
		return wrap(clean(text), w)
	}
	s = strings.NewReplacer(string(nbHyphen), "-", string(nbDot), ".").Replace(s)
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for len(lines) > 0 && strings.TrimSpace(ansi.Strip(lines[len(lines)-1])) == "" {
		lines = lines[:len(lines)-1]
	}
	for len(lines) > 0 && strings.TrimSpace(ansi.Strip(lines[0])) == "" {
		lines = lines[1:]
	}
	var out []string
	for _, l := range lines {
		if ansi.StringWidth(l) <= w {
			out = append(out, l)
			continue
		}
		// a word longer than the line: cut it here, keeping the margin,
		// rather than let the screen wrap it
		first, rest, _ := strings.Cut(ansi.Hardwrap(l, w, true), "\n")
		out = append(out, first)
		for _, r := range strings.Split(ansi.Hardwrap(strings.ReplaceAll(rest, "\n", ""), max(w-2, 1), true), "\n") {
			out = append(out, "  "+r)
		}
	}
	return out
}

// Stand-ins keepWords puts in the text glamour wraps, and markdown puts
// back: a non-breaking hyphen for "-", and a letter one column wide in every
// locale for a "." inside a word.
const (
	nbHyphen = '\u2011'
	nbDot    = '\uA4F8'
)

// keepWords keeps the words of markdown text whole when glamour wraps it.
// Glamour's paragraph wrap breaks after a hyphen without counting it, so a
// line with hyphens ("nginx-with-10gi", "2026-11-28") came out too wide and
// was cut a second time at the margin, leaving ragged lines; its list wrap
// breaks words after "-" and "." ("free 6." / "3Gi"). Hyphens that are not
// markdown syntax (list markers, rules, table delimiter rows) and dots
// between two non-space characters are replaced by stand-ins.
func keepWords(text string) string {
	if !strings.ContainsAny(text, "-.") {
		return text
	}
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		body := strings.TrimLeft(l, " \t>")
		if strings.Trim(body, "-=:| \t") == "" {
			continue // a rule, a setext underline or a table delimiter row
		}
		indent := l[:len(l)-len(body)]
		marker := ""
		if strings.HasPrefix(body, "- ") {
			marker, body = "- ", body[2:]
		}
		lines[i] = indent + marker + innerDots(strings.ReplaceAll(body, "-", string(nbHyphen)))
	}
	return strings.Join(lines, "\n")
}

// innerDots replaces the dots of s that have a non-space character on both
// sides ("6.3Gi", "involvedObject.name").
func innerDots(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	r := []rune(s)
	for i := 1; i+1 < len(r); i++ {
		if r[i] == '.' && !unicode.IsSpace(r[i-1]) && !unicode.IsSpace(r[i+1]) {
			r[i] = nbDot
		}
	}
	return string(r)
}

// firstLine returns the first line of s.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// nsName names a namespace for people.
func nsName(ns string) string {
	if ns == "" {
		return "all namespaces"
	}
	return ns
}

// seconds formats a duration as people read an elapsed time.
func seconds(d time.Duration) string {
	switch {
	case d < 0:
		return "0.0s"
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
}
