package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// keyMap is every key the screen answers to: the transcript's and the
// global keys here, and the key maps of the components (card, pager,
// transcript search, always-allowed list), which each get their own when
// they open. Every text input carries its own editing keys (inputKeyMap).
// The space bar is bound to nothing: a stray space must never act.
type keyMap struct {
	scrollKeyMap
	Search, Focus, Cancel, Export, Quit key.Binding
	Help, Submit, Open, Copy, Allowed   key.Binding
	Close                               key.Binding // the help screen
	// Request shows the last model request, as sent.
	Request key.Binding

	// Page is pgup and pgdn, which scroll from the input box too (where
	// ctrl+u and ctrl+d edit); Scroll and RequestShort only label the help
	// bar.
	Scroll, Page, RequestShort key.Binding

	Card  cardKeyMap
	Pager pagerKeyMap
	Find  searchKeyMap
	List  allowedKeyMap
}

// scrollKeyMap is the keys that move through a long text: the transcript
// and the pager each have them.
type scrollKeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
}

// newScrollKeyMap returns the scrolling keys.
func newScrollKeyMap() scrollKeyMap {
	b := binding
	return scrollKeyMap{
		Up:       b("k/↑", "up", "k", "up"),
		Down:     b("j/↓", "down", "j", "down"),
		PageUp:   b("pgup", "page up", "pgup", "ctrl+u"),
		PageDown: b("pgdn", "page down", "pgdown", "ctrl+d"),
		Top:      b("g", "top", "g", "home"),
		Bottom:   b("G", "bottom", "G", "end"),
	}
}

// scrollBindings lists the scrolling keys for a help screen.
func (k scrollKeyMap) scrollBindings() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}
}

// step is how many lines a scroll key other than top and bottom moves,
// a page being page() lines; ok is false for every other key.
func (k scrollKeyMap) step(msg tea.KeyMsg, page func() int) (n int, ok bool) {
	switch {
	case key.Matches(msg, k.Up):
		return -1, true
	case key.Matches(msg, k.Down):
		return 1, true
	case key.Matches(msg, k.PageUp):
		return -page(), true
	case key.Matches(msg, k.PageDown):
		return page(), true
	}
	return 0, false
}

// binding returns a key binding on keys with its help text.
func binding(help, desc string, keys ...string) key.Binding {
	return key.NewBinding(key.WithKeys(keys...), key.WithHelp(help, desc))
}

// newKeyMap returns the screen's keys.
func newKeyMap() keyMap {
	b := binding
	return keyMap{
		scrollKeyMap: newScrollKeyMap(),
		Search:       b("/", "search", "/"),
		Focus:        b("tab", "focus", "tab", "shift+tab"),
		Cancel:       b("esc", "cancel", "esc"),
		Export:       b("ctrl+e", "export", "ctrl+e"),
		Quit:         b("ctrl+c ×2", "quit", "ctrl+c"),
		Help:         b("?", "help", "?"),
		Submit:       b("enter", "send", "enter"),
		Open:         b("o", "open output", "o"),
		Copy:         b("c", "copy command", "c"),
		Allowed:      b("L", "always-allowed list", "L"),
		Request:      b("r", "last model request", "r"),
		Close:        b("esc/q", "close", "esc", "q"),
		Scroll:       b("j/k", "scroll", "j", "k"),
		Page:         b("pgup/pgdn", "scroll", "pgup", "pgdown"),
		RequestShort: b("r", "request", "r"),
		Card:         newCardKeyMap(),
		Pager:        newPagerKeyMap(),
		Find:         newSearchKeyMap(),
		List:         newAllowedKeyMap(),
	}
}

// ShortHelp is the help bar of the transcript.
func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Focus, k.Scroll, k.Search, k.Open, k.RequestShort, k.Help, k.Quit}
}

// FullHelp is the `?` screen: every key, grouped.
func (k keyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		append(k.scrollBindings(), k.Search),
		append(k.Card.decisions(), k.Open, k.Allowed, k.Request),
		{k.Focus, k.Submit, k.Cancel, k.Export, k.Help, k.Quit},
	}
}
