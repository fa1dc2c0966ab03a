package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/kuberesponder/kuberesponder/session"
)

// armDelay is how long a newly shown card ignores its keys, so that a key
// meant for something else cannot decide a proposal nobody has read.
const armDelay = 300 * time.Millisecond

// cardMode is what the approval card is asking.
type cardMode int

const (
	cardAsk  cardMode = iota // y / a / n / e
	cardDeny                 // typing an optional reason
	cardEdit                 // editing the command line
)

// String names the mode.
func (c cardMode) String() string {
	switch c {
	case cardAsk:
		return "ask"
	case cardDeny:
		return "deny"
	case cardEdit:
		return "edit"
	}
	return "unknown"
}

// card is the approval card of the pending proposal. What it offers and
// where it says the action reads is the session's (session.Card); the card
// only renders it.
type card struct {
	callID  string
	command string
	reason  string
	pending int
	shown   time.Time
	mode    cardMode
	input   lineInput
	info    session.Card
	// cut is set by the last render when the command did not fit on the
	// screen: a command nobody could read in full is not approved.
	cut bool
}

// showCard shows the approval card for step. The focus stays where it is:
// keys typed into the input box never decide anything.
func (m *Model) showCard(step session.Step) {
	m.card = &card{
		callID:  step.CallID,
		command: step.Command,
		reason:  step.Reason,
		pending: step.Pending,
		shown:   m.now(),
		info:    step.Card,
	}
	m.follow = true
}

// armed reports whether the card accepts decisions yet.
func (c *card) armed(now time.Time) bool { return now.Sub(c.shown) >= armDelay }

// cardKey handles a decision key on the card; ok is false for other keys.
func (m *Model) cardKey(msg tea.KeyMsg) (tea.Cmd, bool) {
	c := m.card
	k := m.keys
	if !key.Matches(msg, k.Approve, k.Always, k.Deny, k.Edit, k.Copy) {
		return nil, false
	}
	if !c.armed(m.now()) {
		return nil, true
	}
	switch {
	case key.Matches(msg, k.Copy):
		return m.copyText(c.command), true
	case key.Matches(msg, k.Approve, k.Always) && !c.info.Runnable:
		m.setFlash("This command changes the cluster; it never runs here. Press c to copy it and run it yourself.", true)
		return nil, true
	case key.Matches(msg, k.Approve, k.Always) && c.cut:
		m.setFlash("The whole command does not fit on the screen; make the window larger to read it before approving (e shows it in full).", true)
		return nil, true
	case key.Matches(msg, k.Always) && !c.info.MayAlwaysAllow:
		m.setFlash("Only read-only actions can be always allowed; press y to run this one once.", true)
		return nil, true
	case key.Matches(msg, k.Approve):
		return m.apply(m.s.Approve(c.callID, false)), true
	case key.Matches(msg, k.Always):
		return m.apply(m.s.Approve(c.callID, true)), true
	case key.Matches(msg, k.Deny):
		m.cardMode(cardDeny, "", "reason (optional) — enter denies, esc goes back")
	case key.Matches(msg, k.Edit):
		m.cardMode(cardEdit, c.command, "")
	}
	return nil, true
}

// cardMode switches the card to typing a deny reason or an edited line.
func (m *Model) cardMode(mode cardMode, value, placeholder string) {
	c := m.card
	c.mode = mode
	prompt := "deny: "
	if mode == cardEdit {
		prompt = "edit: "
	}
	c.input = m.newInput(prompt, placeholder)
	c.input.Width = max(m.width-8, 1)
	c.input.SetValue(value)
	c.input.Focus()
}

// cardInputKey handles keys while the card asks for a reason or an edit.
func (m *Model) cardInputKey(msg tea.KeyMsg) tea.Cmd {
	c := m.card
	switch msg.Type {
	case tea.KeyEsc:
		c.mode = cardAsk
		return nil
	case tea.KeyEnter:
		text := strings.TrimSpace(c.input.Value())
		if c.mode == cardDeny {
			return m.apply(m.s.Deny(c.callID, text))
		}
		if text == "" {
			m.setFlash("The edited command is empty; esc goes back.", true)
			return nil
		}
		step, err := m.s.Edit(c.callID, text)
		if err != nil {
			m.sync()
			m.setFlash(err.Error(), true) // stay in the editor so the line can be fixed
			return nil
		}
		return m.apply(step, nil)
	}
	c.input.Update(msg)
	return nil
}

// cardView renders the approval card at width w in at most maxLines lines.
// When the screen is short, the explanation goes first; the command and
// the keys stay.
func (m *Model) cardView(w, maxLines int) string {
	c := m.card
	st := m.st
	inner := max(w-4, 10)
	var head, lines, foot []string
	title := "Run this command?"
	if !c.info.Runnable {
		title = "Proposed fix — run it yourself"
	}
	if c.pending > 1 {
		title += fmt.Sprintf("  (1 of %d)", c.pending)
	}
	head = append(head, st.Title.Render(title))
	for _, l := range wrapCommand(clean(c.command), inner) {
		head = append(head, st.Command.Render(l))
	}
	badge := st.risk(c.info.Risk).Render("[" + strings.ToUpper(c.info.Risk) + "]")
	lines = append(lines, wrapStyled(badge+" ", clean(c.info.Classified), inner, st.Dim)...)
	if c.reason != "" {
		lines = append(lines, wrapStyled(st.Dim.Render("why: "), clean(c.reason), inner, st.Text)...)
	}
	where := "cluster-scoped"
	switch {
	case c.info.ClusterScoped:
	case c.info.AllNamespaces:
		where = "namespace all namespaces"
	default:
		where = "namespace " + c.info.Namespace
	}
	lines = append(lines, st.Dim.Render(truncate(clean(fmt.Sprintf("context %s · %s", m.s.Meta().Context, where)), inner)))
	if w := clean(c.info.Warning); w != "" {
		lines = append(lines, wrapStyled(st.Warning.Render("! "), w, inner, st.Warning)...)
	}
	switch c.mode {
	case cardDeny, cardEdit:
		c.input.Width = inner
		foot = append(foot, c.input.View())
	default:
		foot = m.cardHints(c, inner)
	}
	room := maxLines - 2 // the border
	c.cut = false
	if over := len(head) + len(lines) + len(foot) - room; over > 0 {
		cut := min(over, len(lines))
		lines = lines[:len(lines)-cut]
		if over -= cut; over > 0 && len(head) > 1 {
			head = head[1:] // the title
			over--
		}
		if keep := len(head) - over; over > 0 && keep >= 1 {
			// A long command on a tiny screen: its last lines give way.
			head = append(head[:keep-1:keep-1], ansi.Truncate(head[keep-1], max(inner-2, 1), "")+st.Dim.Render(" …"))
			c.cut = true
		}
	}
	box := st.Card
	if m.focus == focusTranscript {
		box = st.CardFocused
	}
	body := append(append(head, lines...), foot...)
	return box.Width(w - 2).Render(strings.Join(body, "\n"))
}

// cardHints are the key lines of the card, packed into width w without
// splitting a key from its description.
func (m *Model) cardHints(c *card, w int) []string {
	st := m.st
	if m.focus == focusInput {
		return wrapStyled("", "tab to decide — keys typed in the input box never decide", w, st.Dim)
	}
	armed := c.armed(m.now())
	h := func(k, d string) string {
		if !armed {
			return st.Dim.Render(k + " " + d)
		}
		return st.Key.Render(k) + " " + st.KeyDesc.Render(d)
	}
	var parts []string
	if c.info.Runnable {
		parts = append(parts, h("y", "run once"))
		if c.info.MayAlwaysAllow {
			parts = append(parts, h("a", "always allow this command"))
		}
	} else {
		parts = append(parts, h("c", "copy"))
	}
	parts = append(parts, h("n", "deny"), h("e", "edit"))
	if c.info.Runnable {
		parts = append(parts, h("c", "copy"))
	}
	var lines []string
	cur := ""
	for _, p := range parts {
		switch {
		case cur == "":
			cur = p
		case lipgloss.Width(cur)+2+lipgloss.Width(p) <= w:
			cur += "  " + p
		default:
			lines, cur = append(lines, cur), p
		}
	}
	return append(lines, cur)
}

// allowedList is the overlay listing what runs without asking.
type allowedList struct {
	items []string
	sel   int
}

// openAllowed shows the always-allowed list.
func (m *Model) openAllowed() {
	m.allowed = &allowedList{items: m.s.AlwaysAllowed()}
}

func (m *Model) allowedKey(msg tea.KeyMsg) tea.Cmd {
	l := m.allowed
	switch {
	case key.Matches(msg, m.keys.Close), key.Matches(msg, m.keys.Allowed):
		m.allowed = nil
	case key.Matches(msg, m.keys.Up):
		l.sel = max(l.sel-1, 0)
	case key.Matches(msg, m.keys.Down):
		l.sel = min(l.sel+1, max(len(l.items)-1, 0))
	case key.Matches(msg, m.keys.Revoke) && len(l.items) > 0:
		v := l.items[l.sel]
		if err := m.s.Revoke(v); err != nil {
			m.setFlash(err.Error(), true)
			return nil
		}
		m.sync()
		m.setFlash("Revoked: "+commandLine(v)+" asks again.", false)
		m.allowed = &allowedList{items: m.s.AlwaysAllowed(), sel: max(l.sel-1, 0)}
	}
	return nil
}

// allowedView renders the always-allowed overlay at width w in at most maxLines lines.
func (m *Model) allowedView(w, maxLines int) string {
	st := m.st
	l := m.allowed
	lines := []string{st.Title.Render("Always allowed in this session (exact read-only commands)")}
	if len(l.items) == 0 {
		lines = append(lines, st.Dim.Render("Nothing: every action asks first."))
	}
	room := max(maxLines-4, 1) // border, title, keys
	first := max(min(l.sel-room/2, len(l.items)-room), 0)
	for i := first; i < len(l.items) && i < first+room; i++ {
		mark := "  "
		if i == l.sel {
			mark = "> "
		}
		lines = append(lines, st.Text.Render(truncate(mark+commandLine(l.items[i]), w-4)))
	}
	lines = append(lines, st.Key.Render("x")+" "+st.KeyDesc.Render("revoke")+"  "+st.Key.Render("esc")+" "+st.KeyDesc.Render("close"))
	return st.CardFocused.Width(w - 2).Render(strings.Join(lines, "\n"))
}

// copyCommand copies the card's command, or the latest proposed fix.
func (m *Model) copyCommand() tea.Cmd {
	if m.card != nil {
		return m.copyText(m.card.command)
	}
	for i := len(m.events) - 1; i >= 0; i-- {
		if e := m.events[i]; e.Kind == session.KindFix {
			return m.copyText(commandLine(e.Command))
		}
	}
	m.setFlash("There is no proposed fix to copy.", true)
	return nil
}

// commandLine returns a journaled command with its leading "kubectl".
func commandLine(c string) string {
	c = clean(c)
	if strings.HasPrefix(c, "kubectl ") || c == "" {
		return c
	}
	return "kubectl " + c
}
