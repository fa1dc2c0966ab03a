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

// cardKeyMap is the approval card's keys: the decisions while it asks, and
// enter and esc while it reads a deny reason or an edited line.
type cardKeyMap struct {
	Approve, Always, Deny, Edit, Copy key.Binding
	DenyNow, RunEdit, Back            key.Binding
}

// newCardKeyMap returns the card's keys.
func newCardKeyMap() cardKeyMap {
	b := binding
	return cardKeyMap{
		Approve: b("y", "run once", "y"),
		Always:  b("a", "always allow", "a"),
		Deny:    b("n", "deny", "n"),
		Edit:    b("e", "edit", "e"),
		Copy:    b("c", "copy command", "c"),
		DenyNow: b("enter", "deny", "enter"),
		RunEdit: b("enter", "check and run the edited command", "enter"),
		Back:    b("esc", "back to the card", "esc"),
	}
}

// decisions are the keys that answer the card.
func (k cardKeyMap) decisions() []key.Binding {
	return []key.Binding{k.Approve, k.Always, k.Deny, k.Edit, k.Copy}
}

// ShortHelp lists the decisions.
func (k cardKeyMap) ShortHelp() []key.Binding { return k.decisions() }

// FullHelp lists every key of the card.
func (k cardKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{k.decisions(), {k.DenyNow, k.RunEdit, k.Back}}
}

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
// renders it and turns keys into requests for the root model.
type card struct {
	keys    cardKeyMap
	st      Styles
	kctx    string // the pinned kubeconfig context
	callID  string
	command string
	reason  string
	pending int
	shown   time.Time
	mode    cardMode
	input   lineInput // its Width is set by View, the one place it is drawn
	info    session.Card
	// cut is set by the last render when the command did not fit on the
	// screen: a command nobody could read in full is not approved.
	cut bool
}

// newCard returns the card of step, an approval step, shown at now.
func newCard(step session.Step, now time.Time, kctx string, keys cardKeyMap, st Styles) *card {
	return &card{
		keys: keys, st: st, kctx: kctx,
		callID:  step.CallID,
		command: step.Command,
		reason:  step.Reason,
		pending: step.Pending,
		shown:   now,
		info:    step.Card,
	}
}

// armed reports whether the card accepts decisions yet.
func (c *card) armed(now time.Time) bool { return now.Sub(c.shown) >= armDelay }

// typing reports whether the card reads a deny reason or an edited line:
// then every key is the card's.
func (c *card) typing() bool { return c.mode != cardAsk }

// Update handles a key given to the card at now. It returns the request for
// the root model (nil when there is none) and whether the key was the card's.
func (c *card) Update(msg tea.KeyMsg, now time.Time) (tea.Msg, bool) {
	if c.typing() {
		return c.typingKey(msg), true
	}
	k := c.keys
	if !key.Matches(msg, k.decisions()...) {
		return nil, false
	}
	if !c.armed(now) {
		return nil, true
	}
	switch {
	case key.Matches(msg, k.Copy):
		return copyMsg{text: c.command}, true
	case key.Matches(msg, k.Approve, k.Always) && !c.info.Runnable:
		return flashMsg{text: "This command changes the cluster; it never runs here. Press c to copy it and run it yourself.", err: true}, true
	case key.Matches(msg, k.Approve, k.Always) && c.cut:
		return flashMsg{text: "The whole command does not fit on the screen; make the window larger to read it before approving (e shows it in full).", err: true}, true
	case key.Matches(msg, k.Always) && !c.info.MayAlwaysAllow:
		return flashMsg{text: "Only read-only actions can be always allowed; press y to run this one once.", err: true}, true
	case key.Matches(msg, k.Approve):
		return approveMsg{callID: c.callID}, true
	case key.Matches(msg, k.Always):
		return approveMsg{callID: c.callID, always: true}, true
	case key.Matches(msg, k.Deny):
		c.setMode(cardDeny, "", "reason (optional) — enter denies, esc goes back")
	case key.Matches(msg, k.Edit):
		c.setMode(cardEdit, c.command, "")
	}
	return nil, true
}

// setMode switches the card to typing a deny reason or an edited line.
func (c *card) setMode(mode cardMode, value, placeholder string) {
	c.mode = mode
	prompt := "deny: "
	if mode == cardEdit {
		prompt = "edit: "
	}
	c.input = newLineInput(c.st, prompt, placeholder)
	c.input.SetValue(value)
	c.input.Focus()
}

// typingKey handles keys while the card asks for a reason or an edit.
func (c *card) typingKey(msg tea.KeyMsg) tea.Msg {
	k := c.keys
	switch {
	case key.Matches(msg, k.Back):
		c.mode = cardAsk
		return nil
	case c.mode == cardDeny && key.Matches(msg, k.DenyNow):
		return denyMsg{callID: c.callID, reason: strings.TrimSpace(c.input.Value())}
	case c.mode == cardEdit && key.Matches(msg, k.RunEdit):
		text := strings.TrimSpace(c.input.Value())
		if text == "" {
			return flashMsg{text: "The edited command is empty; esc goes back.", err: true}
		}
		return editMsg{callID: c.callID, line: text}
	}
	c.input.Update(msg)
	return nil
}

// ShortHelp is the help bar while the card reads a line; nil while it asks,
// when the transcript's help bar stands.
func (c *card) ShortHelp() []key.Binding {
	switch c.mode {
	case cardDeny:
		return []key.Binding{c.keys.DenyNow, c.keys.Back}
	case cardEdit:
		return []key.Binding{c.keys.RunEdit, c.keys.Back}
	}
	return nil
}

// View renders the card at width w in at most maxLines lines; focused is
// whether the transcript (not the input box) has the focus. When the screen
// is short, the explanation goes first; the command and the keys stay.
func (c *card) View(w, maxLines int, focused bool, now time.Time) string {
	st := c.st
	inner := max(w-4, 10)
	head := c.headLines(inner)
	lines := c.infoLines(inner)
	var foot []string
	switch c.mode {
	case cardDeny, cardEdit:
		c.input.Width = inner
		foot = append(foot, c.input.View())
	default:
		foot = c.hints(inner, focused, now)
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
	if focused {
		box = st.CardFocused
	}
	body := append(append(head, lines...), foot...)
	return box.Width(w - 2).Render(strings.Join(body, "\n"))
}

// headLines are the title and the command, wrapped to width inner.
func (c *card) headLines(inner int) []string {
	st := c.st
	title := "Run this command?"
	if !c.info.Runnable {
		title = "Proposed fix — run it yourself"
	}
	if c.pending > 1 {
		title += fmt.Sprintf("  (1 of %d)", c.pending)
	}
	head := []string{st.Title.Render(title)}
	for _, l := range wrapCommand(clean(c.command), inner) {
		head = append(head, st.Command.Render(l))
	}
	return head
}

// infoLines explain the command: risk, reason, where it reads, a warning.
func (c *card) infoLines(inner int) []string {
	st := c.st
	badge := st.risk(c.info.Risk).Render("[" + strings.ToUpper(c.info.Risk) + "]")
	lines := wrapStyled(badge+" ", clean(c.info.Classified), inner, st.Dim)
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
	lines = append(lines, st.Dim.Render(truncate(clean(fmt.Sprintf("context %s · %s", c.kctx, where)), inner)))
	if w := clean(c.info.Warning); w != "" {
		lines = append(lines, wrapStyled(st.Warning.Render("! "), w, inner, st.Warning)...)
	}
	return lines
}

// hints are the key lines of the card, packed into width w without
// splitting a key from its description.
func (c *card) hints(w int, focused bool, now time.Time) []string {
	st := c.st
	if !focused {
		return wrapStyled("", "tab to decide — keys typed in the input box never decide", w, st.Dim)
	}
	armed := c.armed(now)
	// The key comes from the card's binding; the words fit the card.
	h := func(b key.Binding, d string) string {
		k := b.Help().Key
		if !armed {
			return st.Dim.Render(k + " " + d)
		}
		return st.Key.Render(k) + " " + st.KeyDesc.Render(d)
	}
	keys := c.keys
	var parts []string
	if c.info.Runnable {
		parts = append(parts, h(keys.Approve, "run once"))
		if c.info.MayAlwaysAllow {
			parts = append(parts, h(keys.Always, "always allow this command"))
		}
	} else {
		parts = append(parts, h(keys.Copy, "copy"))
	}
	parts = append(parts, h(keys.Deny, "deny"), h(keys.Edit, "edit"))
	if c.info.Runnable {
		parts = append(parts, h(keys.Copy, "copy"))
	}
	return packHints(parts, w)
}

// packHints packs key hints into lines of width w, two blanks apart.
func packHints(parts []string, w int) []string {
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
