package ui

import (
	"errors"
	"fmt"
	"io"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kuberesponder/kuberesponder/session"
)

// maxOutput is the most of one output file the pager loads.
const maxOutput = 32 << 20

// outputMsg carries an output read for the pager.
type outputMsg struct {
	title string
	text  string
	err   error
}

// openOutput opens the full output of the last action on screen (or the
// latest) in the pager; the file is read in a command.
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
	m.pager = newPager(title, clean(req.Text), m.keys.Pager, m.st)
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

// loadOutput reads the full output of a result for the pager, in a command.
func loadOutput(title, path string) tea.Cmd {
	return func() tea.Msg {
		if path == "" {
			return outputMsg{title: title, err: errors.New("this result has no saved output")}
		}
		f, err := session.OpenOutput(path)
		if err != nil {
			return outputMsg{title: title, err: fmt.Errorf("open the output: %w", err)}
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxOutput))
		if err != nil {
			return outputMsg{title: title, err: fmt.Errorf("read the output: %w", err)}
		}
		return outputMsg{title: title, text: clean(string(b))}
	}
}
