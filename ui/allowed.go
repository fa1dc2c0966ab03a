package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// allowedKeyMap is the keys of the always-allowed list.
type allowedKeyMap struct {
	Up, Down, Revoke, Close, Toggle key.Binding
}

// newAllowedKeyMap returns the list's keys.
func newAllowedKeyMap() allowedKeyMap {
	b := binding
	return allowedKeyMap{
		Up:     b("k/↑", "up", "k", "up"),
		Down:   b("j/↓", "down", "j", "down"),
		Revoke: b("x", "revoke", "x", "delete", "backspace"),
		Close:  b("esc/q", "close", "esc", "q"),
		Toggle: b("L", "close", "L"),
	}
}

// ShortHelp is the help bar while the list is open.
func (k allowedKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Revoke, k.Close}
}

// FullHelp lists every key of the list.
func (k allowedKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Revoke, k.Close, k.Toggle}}
}

// allowedList is the overlay listing what runs without asking.
type allowedList struct {
	keys  allowedKeyMap
	st    Styles
	items []string
	sel   int
}

// newAllowedList returns the list of items with item sel selected.
func newAllowedList(items []string, sel int, keys allowedKeyMap, st Styles) *allowedList {
	return &allowedList{keys: keys, st: st, items: items, sel: min(max(sel, 0), max(len(items)-1, 0))}
}

// Update moves the selection; it returns the request for the root model
// (closing the list, revoking the selected command) or nil.
func (l *allowedList) Update(msg tea.KeyMsg) tea.Msg {
	k := l.keys
	switch {
	case key.Matches(msg, k.Close, k.Toggle):
		return allowedClosedMsg{}
	case key.Matches(msg, k.Up):
		l.sel = max(l.sel-1, 0)
	case key.Matches(msg, k.Down):
		l.sel = min(l.sel+1, max(len(l.items)-1, 0))
	case key.Matches(msg, k.Revoke) && len(l.items) > 0:
		return revokeMsg{command: l.items[l.sel], sel: l.sel}
	}
	return nil
}

// ShortHelp is the help bar while the list is open.
func (l *allowedList) ShortHelp() []key.Binding { return l.keys.ShortHelp() }

// View renders the list at width w in at most maxLines lines.
func (l *allowedList) View(w, maxLines int) string {
	st := l.st
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
