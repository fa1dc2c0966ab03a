package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// searchKeyMap is the keys of the transcript search; every other key edits
// the query.
type searchKeyMap struct {
	Next, Prev, Close key.Binding
}

// newSearchKeyMap returns the search's keys.
func newSearchKeyMap() searchKeyMap {
	b := binding
	return searchKeyMap{
		Next:  b("enter/ctrl+n", "next match", "enter", "ctrl+n", "down"),
		Prev:  b("ctrl+p", "previous match", "ctrl+p", "up"),
		Close: b("esc", "cancel", "esc"),
	}
}

// ShortHelp is the help bar while searching.
func (k searchKeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Next, k.Prev, k.Close} }

// FullHelp lists every key of the search.
func (k searchKeyMap) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// search is the transcript search opened with `/`. It finds the query in
// the transcript's rendered lines; the root model scrolls to what it finds.
type search struct {
	keys  searchKeyMap
	st    Styles
	input lineInput
	query string
	width int
	hits  []spot // lines that match
	cur   int    // index into hits
	at    spot   // highlighted line; item -1 when none
}

// spot is one line of the transcript: an item and a line in it.
type spot struct{ item, line int }

// before reports whether a comes before b.
func (a spot) before(b spot) bool { return a.item < b.item || a.item == b.item && a.line < b.line }

// newSearch returns an empty search with its query box focused.
func newSearch(keys searchKeyMap, st Styles) *search {
	in := newLineInput(st, "/", "search the transcript")
	in.Focus()
	return &search{keys: keys, st: st, input: in, at: spot{-1, -1}, cur: -1}
}

// Update handles a key: it returns findMsg to step to a match,
// searchClosedMsg to close, or nil after editing the query.
func (s *search) Update(msg tea.KeyMsg) tea.Msg {
	switch {
	case key.Matches(msg, s.keys.Close):
		return searchClosedMsg{}
	case key.Matches(msg, s.keys.Next):
		return findMsg{dir: 1}
	case key.Matches(msg, s.keys.Prev):
		return findMsg{dir: -1}
	}
	s.input.Update(msg)
	return nil
}

// ShortHelp is the help bar while searching.
func (s *search) ShortHelp() []key.Binding { return s.keys.ShortHelp() }

// needle is the query as typed, lower-cased; "" finds nothing.
func (s *search) needle() string { return strings.ToLower(strings.TrimSpace(s.input.Value())) }

// stale reports whether the hits were found for another query or width.
func (s *search) stale(w int) bool { return s.needle() != s.query || s.width != w }

// index finds the query in entries, rendered at width w; the first step
// lands on the first match from top, the first line on screen.
func (s *search) index(entries []entry, w int, top spot, dir int) {
	q := s.needle()
	s.query, s.width, s.hits, s.cur = q, w, s.hits[:0], -1
	for i := range entries {
		e := &entries[i]
		if e.plain == nil {
			e.plain = make([]string, len(e.lines))
			for j, l := range e.lines {
				e.plain[j] = strings.ToLower(ansi.Strip(l))
			}
		}
		for j, l := range e.plain {
			if strings.Contains(l, q) {
				s.hits = append(s.hits, spot{i, j})
			}
		}
	}
	s.cur = len(s.hits)
	for i, h := range s.hits {
		if !h.before(top) {
			s.cur = i
			break
		}
	}
	if dir > 0 {
		s.cur--
	}
}

// step moves to the next (dir 1) or previous (-1) hit; ok is false when
// there is none.
func (s *search) step(dir int) (spot, bool) {
	if len(s.hits) == 0 {
		s.at = spot{-1, -1}
		return s.at, false
	}
	s.cur = ((s.cur+dir)%len(s.hits) + len(s.hits)) % len(s.hits)
	s.at = s.hits[s.cur]
	return s.at, true
}

// View is the status line while searching, w columns wide.
func (s *search) View(w int) string {
	info := ""
	switch {
	case s.query != "" && len(s.hits) == 0:
		info = "  no match"
	case len(s.hits) > 0:
		info = fmt.Sprintf("  %d/%d", s.cur+1, len(s.hits))
	}
	return truncate(s.input.View()+s.st.Dim.Render(info), w)
}
