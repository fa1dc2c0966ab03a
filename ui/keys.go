package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// keyMap is every key the screen answers to. The space bar is bound to
// nothing: a stray space must never act.
type keyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Search, NextMatch, PrevMatch            key.Binding
	Focus, Cancel, Export, Quit, Help       key.Binding
	Submit                                  key.Binding

	Approve, Always, Deny, Edit, Copy key.Binding
	Open, Allowed, Revoke, Close      key.Binding
	// Request shows the last model request, as sent.
	Request key.Binding

	// These only label the help bar.
	Scroll, Page, PagerScroll, Match, DenyNow, RunEdit, Back, RequestShort key.Binding
}

func newKeyMap() keyMap {
	b := func(help, desc string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
	}
	return keyMap{
		Up:           b("k/↑", "up", "k", "up"),
		Down:         b("j/↓", "down", "j", "down"),
		PageUp:       b("pgup", "page up", "pgup", "ctrl+u"),
		PageDown:     b("pgdn", "page down", "pgdown", "ctrl+d"),
		Top:          b("g", "top", "g", "home"),
		Bottom:       b("G", "bottom", "G", "end"),
		Search:       b("/", "search", "/"),
		NextMatch:    b("enter/ctrl+n", "next match", "enter", "ctrl+n", "down"),
		PrevMatch:    b("ctrl+p", "previous match", "ctrl+p", "up"),
		Focus:        b("tab", "focus", "tab", "shift+tab"),
		Cancel:       b("esc", "cancel", "esc"),
		Export:       b("ctrl+e", "export", "ctrl+e"),
		Quit:         b("ctrl+c ×2", "quit", "ctrl+c"),
		Help:         b("?", "help", "?"),
		Submit:       b("enter", "send", "enter"),
		Approve:      b("y", "run once", "y"),
		Always:       b("a", "always allow", "a"),
		Deny:         b("n", "deny", "n"),
		Edit:         b("e", "edit", "e"),
		Copy:         b("c", "copy command", "c"),
		Open:         b("o", "open output", "o"),
		Allowed:      b("L", "always-allowed list", "L"),
		Request:      b("r", "last model request", "r"),
		Revoke:       b("x", "revoke", "x", "delete", "backspace"),
		Close:        b("esc/q", "close", "esc", "q"),
		Scroll:       b("j/k", "scroll", "j", "k"),
		Page:         b("pgup/pgdn", "scroll", "pgup", "pgdown"),
		PagerScroll:  b("j/k pgup/pgdn g/G", "scroll", "j"),
		Match:        b("n/N", "next/previous match", "n"),
		DenyNow:      b("enter", "deny", "enter"),
		RunEdit:      b("enter", "check and run the edited command", "enter"),
		Back:         b("esc", "back to the card", "esc"),
		RequestShort: b("r", "request", "r"),
	}
}

// fullHelp is the `?` screen: every key, grouped.
func (k keyMap) fullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.Search},
		{k.Approve, k.Always, k.Deny, k.Edit, k.Copy, k.Open, k.Allowed, k.Request},
		{k.Focus, k.Submit, k.Cancel, k.Export, k.Help, k.Quit},
	}
}

// lineInput is a one-line text input. It reads only key messages (typed
// runes and bracketed paste); it never touches the system clipboard.
type lineInput struct {
	prompt, placeholder string
	value               []rune
	pos                 int
	focused             bool
	Width               int // columns for prompt and text; 0 means unlimited

	promptStyle, textStyle, placeholderStyle, cursorStyle lipgloss.Style
}

// Value returns the text typed so far.
func (l *lineInput) Value() string { return string(l.value) }

// SetValue replaces the text and puts the cursor at its end.
func (l *lineInput) SetValue(s string) {
	l.value = []rune(singleLine(s))
	l.pos = len(l.value)
}

// Reset empties the input.
func (l *lineInput) Reset() { l.value, l.pos = nil, 0 }

// Focus shows the cursor; Blur hides it.
func (l *lineInput) Focus() { l.focused = true }

// Blur hides the cursor.
func (l *lineInput) Blur() { l.focused = false }

// Update edits the text for one key.
func (l *lineInput) Update(msg tea.KeyMsg) {
	switch msg.Type {
	case tea.KeyRunes:
		l.insert([]rune(singleLine(string(msg.Runes))))
	case tea.KeySpace:
		l.insert([]rune{' '})
	case tea.KeyBackspace, tea.KeyCtrlH:
		if l.pos > 0 {
			l.value = append(l.value[:l.pos-1], l.value[l.pos:]...)
			l.pos--
		}
	case tea.KeyDelete, tea.KeyCtrlD:
		if l.pos < len(l.value) {
			l.value = append(l.value[:l.pos], l.value[l.pos+1:]...)
		}
	case tea.KeyLeft, tea.KeyCtrlB:
		l.pos = max(l.pos-1, 0)
	case tea.KeyRight, tea.KeyCtrlF:
		l.pos = min(l.pos+1, len(l.value))
	case tea.KeyHome, tea.KeyCtrlA:
		l.pos = 0
	case tea.KeyEnd:
		l.pos = len(l.value)
	case tea.KeyCtrlU:
		l.value, l.pos = l.value[l.pos:], 0
	case tea.KeyCtrlK:
		l.value = l.value[:l.pos]
	case tea.KeyCtrlW:
		i := l.pos
		for i > 0 && l.value[i-1] == ' ' {
			i--
		}
		for i > 0 && l.value[i-1] != ' ' {
			i--
		}
		l.value, l.pos = append(l.value[:i], l.value[l.pos:]...), i
	}
}

func (l *lineInput) insert(r []rune) {
	if len(r) == 0 {
		return
	}
	v := make([]rune, 0, len(l.value)+len(r))
	v = append(append(append(v, l.value[:l.pos]...), r...), l.value[l.pos:]...)
	l.value, l.pos = v, l.pos+len(r)
}

// View renders the prompt and the part of the text around the cursor.
func (l *lineInput) View() string {
	prompt := l.promptStyle.Render(l.prompt)
	if len(l.value) == 0 {
		cur := " "
		if l.focused {
			cur = l.cursorStyle.Render(" ")
		}
		return prompt + cur + l.placeholderStyle.Render(l.placeholder)
	}
	avail := 1 << 30
	if l.Width > 0 {
		avail = max(l.Width-ansi.StringWidth(l.prompt)-1, 1)
	}
	start, w := l.pos, 0
	for start > 0 && w+runeWidth(l.value[start-1]) <= avail {
		start--
		w += runeWidth(l.value[start])
	}
	end := l.pos
	for end < len(l.value) && w+runeWidth(l.value[end]) <= avail {
		w += runeWidth(l.value[end])
		end++
	}
	before := string(l.value[start:l.pos])
	cur, after := " ", ""
	if l.pos < len(l.value) {
		cur, after = string(l.value[l.pos]), string(l.value[min(l.pos+1, end):end])
	}
	if l.focused {
		cur = l.cursorStyle.Render(cur)
	} else {
		cur = l.textStyle.Render(cur)
	}
	return prompt + l.textStyle.Render(before) + cur + l.textStyle.Render(after)
}

// runeWidth is the number of columns r takes.
func runeWidth(r rune) int { return max(ansi.StringWidth(string(r)), 1) }

// singleLine turns pasted text into one line of printable text.
func singleLine(s string) string {
	return strings.Join(strings.Fields(clean(s)), " ")
}
