package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// scrollKey moves the transcript; it reports whether msg was a scroll key.
func (m *Model) scrollKey(msg tea.KeyMsg) bool {
	if n, ok := m.keys.step(msg, func() int { return max(m.transcriptHeight()-1, 1) }); ok {
		m.scroll(n)
		return true
	}
	switch {
	case key.Matches(msg, m.keys.Top):
		m.follow, m.top, m.topLine = false, 0, 0
		m.scroll(0)
	case key.Matches(msg, m.keys.Bottom):
		m.follow = true
	default:
		return false
	}
	return true
}

// scroll moves the anchor by n lines; reaching the bottom follows new
// output again.
func (m *Model) scroll(n int) {
	w, h := m.width, m.transcriptHeight()
	if m.follow {
		m.top, m.topLine = m.bottomAnchor(w, h)
	}
	m.follow = false
	m.topLine += n
	for m.topLine < 0 && m.top > 0 {
		m.top--
		m.topLine += len(m.itemLines(m.top, w))
	}
	m.topLine = max(m.topLine, 0)
	for m.top < len(m.tr.entries) && m.topLine >= len(m.itemLines(m.top, w)) {
		m.topLine -= len(m.itemLines(m.top, w))
		m.top++
	}
	if bt, bl := m.bottomAnchor(w, h); m.top > bt || m.top == bt && m.topLine >= bl {
		m.follow = true
	}
}

// scrollTo puts line `line` of item `item` near the top of the screen.
func (m *Model) scrollTo(item, line int) {
	m.follow = false
	m.top, m.topLine = item, line
	m.scroll(-2)
}

// findNext moves to the next (dir 1) or previous (-1) match of the
// search's query, finding the matches again when the query or the width
// changed.
func (m *Model) findNext(dir int) {
	s := m.search
	if s.needle() == "" {
		return
	}
	w := m.width
	if s.stale(w) {
		m.layout(w)
		if m.follow {
			m.top, m.topLine = m.bottomAnchor(w, m.transcriptHeight())
		}
		s.index(m.tr.entries, w, spot{m.top, m.topLine}, dir)
	}
	if at, ok := s.step(dir); ok {
		m.scrollTo(at.item, at.line)
	}
}
