package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// pagerKeyMap is the keys of the full-screen pager and of its search box.
type pagerKeyMap struct {
	scrollKeyMap
	Search, Next, Prev, Close key.Binding
	Find, Back                key.Binding // in the search box

	// These only label the help bar.
	Scroll, Match key.Binding
}

// newPagerKeyMap returns the pager's keys.
func newPagerKeyMap() pagerKeyMap {
	b := binding
	return pagerKeyMap{
		scrollKeyMap: newScrollKeyMap(),
		Search:       b("/", "search", "/"),
		Next:         b("n", "next match", "n"),
		Prev:         b("N", "previous match", "N"),
		Close:        b("esc/q", "close", "esc", "q"),
		Find:         b("enter", "find", "enter"),
		Back:         b("esc", "back", "esc"),
		Scroll:       b("j/k pgup/pgdn g/G", "scroll", "j"),
		Match:        b("n/N", "next/previous match", "n"),
	}
}

// ShortHelp is the pager's help bar.
func (k pagerKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Scroll, k.Search, k.Match, k.Close}
}

// FullHelp lists every key of the pager.
func (k pagerKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{k.scrollBindings(), {k.Search, k.Next, k.Prev, k.Close}}
}

// pager shows one full output, wrapped to the screen, with a search of its own.
type pager struct {
	keys    pagerKeyMap
	st      Styles
	title   string
	raw     []string // cleaned lines of the output
	width   int
	lines   []string // raw wrapped at width
	lower   []string // lines lower-cased, built on the first search at width
	offset  int
	search  lineInput
	finding bool
	query   string
	match   int  // line of the current match, -1 when none
	words   bool // wrap at blanks (prose) rather than at the edge (output)
}

// newPager returns a pager on text.
func newPager(title, text string, keys pagerKeyMap, st Styles) *pager {
	return &pager{keys: keys, st: st, title: title, raw: strings.Split(strings.TrimRight(text, "\n"), "\n"), match: -1}
}

// wrapTo wraps the output for width w, once per width.
func (p *pager) wrapTo(w int) {
	if p.width == w {
		return
	}
	p.width = w
	p.lines, p.lower = p.lines[:0], nil
	for _, l := range p.raw {
		if ansi.StringWidth(l) <= w {
			p.lines = append(p.lines, l)
			continue
		}
		if p.words {
			p.lines = append(p.lines, strings.Split(ansi.Wrap(l, w, ""), "\n")...)
			continue
		}
		p.lines = append(p.lines, strings.Split(ansi.Hardwrap(l, w, true), "\n")...)
	}
}

// Update handles a key on a screen h lines high; it returns
// pagerClosedMsg when the pager closes, else nil.
func (p *pager) Update(msg tea.KeyMsg, h int) tea.Msg {
	if p.finding {
		p.findKey(msg)
		return nil
	}
	body := h - 2
	k := p.keys
	n, scrolled := k.step(msg, func() int { return body - 1 })
	switch {
	case key.Matches(msg, k.Close):
		return pagerClosedMsg{}
	case scrolled:
		p.offset += n
	case key.Matches(msg, k.Top):
		p.offset = 0
	case key.Matches(msg, k.Bottom):
		p.offset = len(p.lines)
	case key.Matches(msg, k.Search):
		p.search = newLineInput(p.st, "/", "search this output")
		p.search.Focus()
		p.finding = true
	case key.Matches(msg, k.Next) && p.query != "":
		p.next(p.match+1, 1)
	case key.Matches(msg, k.Prev) && p.query != "":
		p.next(p.match-1, -1)
	}
	p.offset = min(max(p.offset, 0), max(len(p.lines)-body, 0))
	return nil
}

// findKey handles a key typed into the pager's search box.
func (p *pager) findKey(msg tea.KeyMsg) {
	switch {
	case key.Matches(msg, p.keys.Back):
		p.finding = false
	case key.Matches(msg, p.keys.Find):
		p.finding = false
		p.query = strings.ToLower(strings.TrimSpace(p.search.Value()))
		p.next(p.offset, 1)
	default:
		p.search.Update(msg)
	}
}

// next moves to the nearest match from line `from` in direction dir, wrapping around.
func (p *pager) next(from, dir int) {
	if p.lower == nil {
		p.lower = make([]string, len(p.lines))
		for i, l := range p.lines {
			p.lower[i] = strings.ToLower(l)
		}
	}
	n := len(p.lines)
	for i := 0; i < n; i++ {
		l := ((from+dir*i)%n + n) % n
		if strings.Contains(p.lower[l], p.query) {
			p.match, p.offset = l, max(l-2, 0)
			return
		}
	}
	p.match = -1
}

// View shows the output full screen, w by h, with hm drawing the help bar.
func (p *pager) View(w, h int, hm help.Model) string {
	p.wrapTo(w)
	body := h - 2
	p.offset = min(max(p.offset, 0), max(len(p.lines)-body, 0))
	var b strings.Builder
	pos := fmt.Sprintf(" %d–%d of %d lines ", min(p.offset+1, len(p.lines)), min(p.offset+body, len(p.lines)), len(p.lines))
	title := truncate(" "+oneLine(p.title), max(w-len(pos), 1))
	pad := max(w-ansi.StringWidth(title)-ansi.StringWidth(pos), 0)
	b.WriteString(p.st.Header.Render(title + strings.Repeat(" ", pad) + pos))
	b.WriteByte('\n')
	for i := 0; i < body; i++ {
		if j := p.offset + i; j < len(p.lines) {
			l := p.lines[j]
			if j == p.match {
				l = p.st.Match.Render(l)
			}
			b.WriteString(l)
		}
		b.WriteByte('\n')
	}
	if p.finding {
		b.WriteString(truncate(p.search.View(), w))
	} else {
		b.WriteString(truncate(hm.ShortHelpView(p.keys.ShortHelp()), w))
	}
	return b.String()
}
