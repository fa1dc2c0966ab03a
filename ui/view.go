package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/lipgloss"

	"github.com/kuberesponder/kuberesponder/session"
)

// The smallest terminal the screen lays out in.
const minWidth, minHeight = 30, 10 // a card needs five lines, the rest of the screen five

// spinnerFrames turn while something runs.
var spinnerFrames = spinner.MiniDot.Frames

// View renders the whole screen: header, transcript, status line, approval
// card, input box and help bar. Every line is cut to the terminal's width.
func (m *Model) View() (screen string) {
	defer func() {
		if r := recover(); r != nil {
			screen = truncate(fmt.Sprintf("Internal error drawing the screen (the journal is safe): %v", r), m.width)
		}
	}()
	return m.view()
}

func (m *Model) view() string {
	w, h := m.width, m.height
	if w < minWidth || h < minHeight {
		lines := make([]string, h)
		lines[0] = truncate(fmt.Sprintf("Enlarge the terminal to at least %dx%d.", minWidth, minHeight), w)
		return strings.Join(lines, "\n")
	}
	if m.pager != nil {
		return m.pager.View(w, h, m.help)
	}
	dock := m.dockView()
	th := m.transcriptHeightFor(dock)
	var b strings.Builder
	b.Grow(w * h * 2)
	line := func(s string) {
		b.WriteString(truncate(s, w))
		b.WriteByte('\n')
	}
	line(m.headerView(w))
	body := m.window(w, th)
	if m.showHelp {
		body = m.fullHelpLines(w, th)
	}
	for i := 0; i < th; i++ {
		if i < len(body) {
			line(body[i])
		} else {
			line("")
		}
	}
	line(m.statusView(w))
	if dock != "" {
		for _, l := range strings.Split(dock, "\n") {
			line(l)
		}
	}
	m.input.placeholder = "type to the assistant"
	if m.s.Phase() == session.PhaseTriage {
		m.input.placeholder = "type to the assistant, or enter to start investigating"
	}
	style := m.st.Input
	if m.focus == focusInput {
		style = m.st.InputFocused
	}
	for _, l := range strings.Split(style.Width(w).Render(m.input.View()), "\n") {
		line(l)
	}
	b.WriteString(truncate(m.help.ShortHelpView(m.shortHelp()), w))
	return b.String()
}

// transcriptHeight is the number of transcript lines on screen now.
func (m *Model) transcriptHeight() int {
	return m.transcriptHeightFor(m.dockView())
}

// maxDockWidth keeps the card readable on very wide terminals.
const maxDockWidth = 110

// dockView is the panel docked above the input box: the always-allowed
// list or the approval card, fitted to the lines the screen can spare.
func (m *Model) dockView() string {
	w, room := min(m.width, maxDockWidth), m.height-5
	switch {
	case m.allowed != nil:
		return m.allowed.View(w, room)
	case m.card != nil:
		return m.card.View(w, room, m.focus == focusTranscript, m.now())
	}
	return ""
}

// transcriptHeightFor is the transcript height left by a docked panel:
// header, status line, input box (2) and help bar take five lines.
func (m *Model) transcriptHeightFor(dock string) int {
	h := m.height - 5
	if dock != "" {
		h -= lipgloss.Height(dock)
	}
	return max(h, 0)
}

// headerView is the top line: where we are, what runs, how long, how much.
func (m *Model) headerView(w int) string {
	meta := m.s.Meta()
	model := meta.Model
	if model == "" {
		model = "offline"
	}
	elapsed := ""
	if !m.tr.start.IsZero() {
		elapsed = clock(m.now().Sub(m.tr.start))
	}
	parts := []string{
		meta.Context,
		"ns " + nsName(meta.Namespace),
		model,
		string(m.tr.phase),
		elapsed,
		tokens(m.tr.tokens) + " tok",
	}
	if meta.Snapshot != "" {
		parts = append([]string{"snapshot"}, parts...)
	}
	if meta.Cluster != "" && meta.Cluster != meta.Context {
		parts[0] += " (" + meta.Cluster + ")"
	}
	text := oneLine(" " + strings.Join(parts, " · "))
	if full := text + " · kuberesponder"; lipgloss.Width(full) < w {
		text = full
	}
	text = truncate(text, w)
	if pad := w - lipgloss.Width(text); pad > 0 {
		text += strings.Repeat(" ", pad)
	}
	return m.st.Header.Render(text)
}

// clock formats the incident's elapsed time.
func clock(d time.Duration) string {
	s := int(max(d, 0) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%dh%02dm%02ds", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%dm%02ds", s/60, s%60)
}

// tokens formats a token count compactly.
func tokens(n int) string {
	if n >= 10000 {
		return fmt.Sprintf("%.1fk", float64(n)/1000)
	}
	return fmt.Sprint(n)
}

// statusView is the line under the transcript: search, progress or a message.
func (m *Model) statusView(w int) string {
	st := m.st
	if m.search != nil {
		return m.search.View(w)
	}
	spin := spinnerFrames[m.frame%len(spinnerFrames)]
	if a := m.act; a != nil {
		s := fmt.Sprintf("%s %s %s", spin, a.label, seconds(m.now().Sub(a.started)))
		if a.retry != nil {
			wait := max(a.retryAt.Sub(m.now()), 0)
			s += fmt.Sprintf(" — retrying in %ds (%s, attempt %d)", int(wait.Seconds()+0.999), a.retry.Reason, a.retry.Attempt)
		}
		if a.canceled {
			s += " — cancelling"
		} else {
			s += " · esc cancels"
		}
		return st.Pending.Render(truncate(oneLine(s), w))
	}
	if m.flash != "" {
		if m.flashErr {
			return st.Error.Render(truncate(m.flash, w))
		}
		return st.Flash.Render(truncate(m.flash, w))
	}
	if a := m.export; a != nil {
		return st.Pending.Render(truncate(fmt.Sprintf("%s %s %s", spin, a.label, seconds(m.now().Sub(a.started))), w))
	}
	hint := ""
	switch {
	case m.s.Phase() == session.PhaseTriage && m.tr.hasReport:
		hint = "Read the report; enter starts the investigation, or type what you know."
	case m.card != nil && m.focus == focusInput:
		hint = "A command is waiting for your decision: tab moves to it."
	case m.step.Kind == session.StepDone:
		hint = "Resolved. ctrl+e exports the postmortem."
	case m.card == nil && m.s.Phase() == session.PhaseInvestigation:
		hint = "Type to the assistant; :resolve <root cause> closes the incident."
	}
	return st.Dim.Render(truncate(hint, w))
}

// requestHintWidth is the narrowest screen whose help bar names the
// request key beside search without cutting off quit; ? always lists it.
const requestHintWidth = 90

// shortHelp is the help bar for the current state: the focused
// component's, else the transcript's or the input box's.
func (m *Model) shortHelp() []key.Binding {
	k := m.keys
	switch {
	case m.showHelp:
		return []key.Binding{k.Help, k.Quit}
	case m.allowed != nil:
		return m.allowed.ShortHelp()
	case m.search != nil:
		return m.search.ShortHelp()
	case m.card != nil && m.card.typing():
		return m.card.ShortHelp()
	case m.focus == focusInput:
		return []key.Binding{k.Submit, k.Focus, k.Page, k.Export, k.Quit}
	case m.card != nil:
		return []key.Binding{k.Focus, k.Scroll, k.Open, k.RequestShort, k.Help, k.Quit}
	case m.width < requestHintWidth:
		return []key.Binding{k.Focus, k.Scroll, k.Search, k.Open, k.Help, k.Quit}
	}
	return k.ShortHelp()
}

// fullHelpLines is the `?` screen.
func (m *Model) fullHelpLines(w, h int) []string {
	hm := m.help
	hm.Width = w
	lines := []string{m.st.Title.Render("Keys"), ""}
	lines = append(lines, strings.Split(hm.FullHelpView(m.keys.FullHelp()), "\n")...)
	lines = append(lines, "",
		m.st.Title.Render("In the input box"),
		m.st.Text.Render("  text        tells the assistant; a pending command is answered as interjected"),
		m.st.Text.Render("  enter       starts the investigation after the report"),
		m.st.Text.Render("  :allowed    lists what runs without asking (x revokes)"),
		m.st.Text.Render("  :retry      asks the model again after an error"),
		m.st.Text.Render("  :resolve …  closes the incident with its root cause"),
		"",
		m.st.Dim.Render("Keys typed in the input box never decide a command."),
		m.st.Dim.Render("A new card ignores keys for 0.3 s."),
		m.st.Dim.Render("Commands that change the cluster never run here: c copies them."),
		"", m.st.Dim.Render("? or esc closes this help."))
	if len(lines) > h {
		lines = lines[:h]
	}
	return lines
}
