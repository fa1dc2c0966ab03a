package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/kuberesponder/kuberesponder/session"
)

// pager shows one full output, wrapped to the screen.
type pager struct {
	title   string
	raw     []string // cleaned lines of the output
	width   int
	lines   []string // raw wrapped at width
	offset  int
	search  lineInput
	finding bool
	query   string
	match   int  // line of the current match, -1 when none
	words   bool // wrap at blanks (prose) rather than at the edge (output)
}

func newPager(title, text string) *pager {
	return &pager{title: title, raw: strings.Split(strings.TrimRight(text, "\n"), "\n"), match: -1}
}

// wrapTo wraps the output for width w, once per width.
func (p *pager) wrapTo(w int) {
	if p.width == w {
		return
	}
	p.width = w
	p.lines = p.lines[:0]
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

// openOutput opens the full output of the last action on screen (or the latest).
func (m *Model) openOutput() tea.Cmd {
	w, h := m.width, m.transcriptHeight()
	if m.follow {
		m.top, m.topLine = m.bottomAnchor(w, h)
	}
	best := -1
	for i, seen := m.top, -m.topLine; i < len(m.tr.entries) && seen < h; i++ {
		if _, ok := m.outputEvent(&m.tr.entries[i]); ok {
			best = i
		}
		seen += len(m.itemLines(i, w))
	}
	for i := len(m.tr.entries) - 1; i >= 0 && best < 0; i-- {
		if _, ok := m.outputEvent(&m.tr.entries[i]); ok {
			best = i
		}
	}
	if best < 0 {
		m.setFlash("There is no command output to open yet.", true)
		return nil
	}
	ev, _ := m.outputEvent(&m.tr.entries[best])
	return loadOutput(commandLine(ev.Command), m.s.OutputPath(ev))
}

// openRequest shows the last model request, exactly as it was sent (or is
// being sent), in the pager. The session rebuilds it from the journal.
func (m *Model) openRequest() {
	req, ok := m.s.LastRequestView()
	if !ok {
		m.setFlash("Nothing has been sent to the model yet.", false)
		return
	}
	title := fmt.Sprintf("Last model request, as sent to %s (%d messages)", req.Model, req.Messages)
	if req.Model == "offline" {
		title = "Last model request (offline: nothing left this machine)"
	}
	m.pager = newPager(title, clean(req.Text))
	m.pager.words = true
}

// outputEvent returns the event of e that has a saved output.
func (m *Model) outputEvent(e *entry) (session.Event, bool) {
	switch {
	case e.kind == entAction && e.res >= 0 && m.events[e.res].Output != "":
		return m.events[e.res], true
	case e.kind == entNote && m.events[e.ev].Output != "":
		return m.events[e.ev], true
	}
	return session.Event{}, false
}

func (m *Model) pagerKey(msg tea.KeyMsg) tea.Cmd {
	p := m.pager
	h := m.height - 2
	if p.finding {
		switch msg.Type {
		case tea.KeyEsc:
			p.finding = false
		case tea.KeyEnter:
			p.finding = false
			p.query = strings.ToLower(strings.TrimSpace(p.search.Value()))
			p.next(p.offset, 1)
		default:
			p.search.Update(msg)
		}
		return nil
	}
	switch {
	case key.Matches(msg, m.keys.Close):
		m.pager = nil
	case key.Matches(msg, m.keys.Up):
		p.offset--
	case key.Matches(msg, m.keys.Down):
		p.offset++
	case key.Matches(msg, m.keys.PageUp):
		p.offset -= h - 1
	case key.Matches(msg, m.keys.PageDown):
		p.offset += h - 1
	case key.Matches(msg, m.keys.Top):
		p.offset = 0
	case key.Matches(msg, m.keys.Bottom):
		p.offset = len(p.lines)
	case key.Matches(msg, m.keys.Search):
		p.search = m.newInput("/", "search this output")
		p.search.Focus()
		p.finding = true
	case msg.String() == "n" && p.query != "":
		p.next(p.match+1, 1)
	case msg.String() == "N" && p.query != "":
		p.next(p.match-1, -1)
	}
	p.offset = min(max(p.offset, 0), max(len(p.lines)-h, 0))
	return nil
}

// next moves to the nearest match from line `from` in direction dir, wrapping around.
func (p *pager) next(from, dir int) {
	n := len(p.lines)
	for i := 0; i < n; i++ {
		l := ((from+dir*i)%n + n) % n
		if strings.Contains(strings.ToLower(p.lines[l]), p.query) {
			p.match, p.offset = l, max(l-2, 0)
			return
		}
	}
	p.match = -1
}

// pagerView shows the open output full screen.
func (m *Model) pagerView(w, h int) string {
	p := m.pager
	p.wrapTo(w)
	body := h - 2
	p.offset = min(max(p.offset, 0), max(len(p.lines)-body, 0))
	var b strings.Builder
	pos := fmt.Sprintf(" %d–%d of %d lines ", min(p.offset+1, len(p.lines)), min(p.offset+body, len(p.lines)), len(p.lines))
	title := truncate(" "+oneLine(p.title), max(w-len(pos), 1))
	pad := max(w-ansi.StringWidth(title)-ansi.StringWidth(pos), 0)
	b.WriteString(m.st.Header.Render(title + strings.Repeat(" ", pad) + pos))
	b.WriteByte('\n')
	for i := 0; i < body; i++ {
		if j := p.offset + i; j < len(p.lines) {
			l := p.lines[j]
			if j == p.match {
				l = m.st.Match.Render(l)
			}
			b.WriteString(l)
		}
		b.WriteByte('\n')
	}
	if p.finding {
		b.WriteString(truncate(p.search.View(), w))
	} else {
		k := m.keys
		b.WriteString(truncate(m.help.ShortHelpView([]key.Binding{k.PagerScroll, k.Search, k.Match, k.Close}), w))
	}
	return b.String()
}

// search is the transcript search opened with `/`.
type search struct {
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

func (m *Model) openSearch() {
	in := m.newInput("/", "search the transcript")
	in.Focus()
	m.search = &search{input: in, at: spot{-1, -1}, cur: -1}
}

func (m *Model) searchKey(msg tea.KeyMsg) tea.Cmd {
	s := m.search
	switch {
	case msg.Type == tea.KeyEsc:
		m.search = nil
		return nil
	case key.Matches(msg, m.keys.NextMatch):
		m.findNext(1)
		return nil
	case key.Matches(msg, m.keys.PrevMatch):
		m.findNext(-1)
		return nil
	}
	s.input.Update(msg)
	return nil
}

// findNext moves to the next (dir 1) or previous (-1) match of the query.
func (m *Model) findNext(dir int) {
	s := m.search
	q := strings.ToLower(strings.TrimSpace(s.input.Value()))
	if q == "" {
		return
	}
	w := m.width
	if q != s.query || s.width != w {
		m.layout(w)
		if m.follow {
			m.top, m.topLine = m.bottomAnchor(w, m.transcriptHeight())
		}
		s.query, s.width, s.hits, s.cur = q, w, s.hits[:0], -1
		for i := range m.tr.entries {
			e := &m.tr.entries[i]
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
		// the first step lands on the first match from the top of the screen
		s.cur = len(s.hits)
		for i, h := range s.hits {
			if !h.before(spot{m.top, m.topLine}) {
				s.cur = i
				break
			}
		}
		if dir > 0 {
			s.cur--
		}
	}
	if len(s.hits) == 0 {
		s.at = spot{-1, -1}
		return
	}
	s.cur = ((s.cur+dir)%len(s.hits) + len(s.hits)) % len(s.hits)
	s.at = s.hits[s.cur]
	m.scrollTo(s.at.item, s.at.line)
}

// searchView is the status line while searching.
func (m *Model) searchView() string {
	s := m.search
	info := ""
	switch {
	case s.query != "" && len(s.hits) == 0:
		info = "  no match"
	case len(s.hits) > 0:
		info = fmt.Sprintf("  %d/%d", s.cur+1, len(s.hits))
	}
	return truncate(s.input.View()+m.st.Dim.Render(info), m.width)
}
