package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/kuberesponder/kuberesponder/session"
)

// quitWindow is how long a first ctrl+c waits for the second.
const quitWindow = 3 * time.Second

// Update handles one message. All IO happens in the commands it returns.
// A fault while handling it is shown as one line; the screen goes on.
func (m *Model) Update(msg tea.Msg) (_ tea.Model, cmd tea.Cmd) {
	defer func() {
		if r := recover(); r != nil {
			m.setFlash(fmt.Sprintf("Internal error (the journal is safe): %v", r), true)
			cmd = nil
		}
	}()
	return m, m.update(msg)
}

func (m *Model) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
		return nil
	case tea.KeyMsg:
		return m.key(msg)
	case tickMsg:
		m.frame++
		return m.tick()
	case reportMsg:
		return m.onReport(msg)
	case deltaMsg:
		if m.act != nil && m.act.id == msg.id {
			m.onDelta(msg)
		}
		return waitFor(msg.ch)
	case replyMsg:
		return m.onReply(msg)
	case resultMsg:
		return m.onResult(msg)
	case exportMsg:
		m.export = nil
		if msg.err != nil {
			text := m.s.Say(session.PhraseExportFailed, oneLine(msg.err.Error()))
			if err := m.s.Note(text); err != nil {
				m.setFlash(text, true)
			}
			m.sync()
		} else {
			m.setFlash("Postmortem written to "+msg.path, false)
		}
		return nil
	case outputMsg:
		if msg.err != nil {
			m.setFlash(msg.err.Error(), true)
			return nil
		}
		m.pager = newPager(msg.title, msg.text, m.keys.Pager, m.st)
		return nil
	case copiedMsg:
		m.setFlash("Copied to the clipboard (OSC 52): "+msg.text, false)
		return nil
	}
	return m.request(msg)
}

// resize adapts the layout to a new terminal size.
func (m *Model) resize(w, h int) {
	m.width, m.height = max(w, 1), max(h, 1)
	m.help.Width = m.width
	m.input.Width = max(m.width-4, 1)
}

// apply takes the session's next step: start a call, show a card or wait.
func (m *Model) apply(step session.Step, err error) tea.Cmd {
	m.sync()
	if err != nil {
		m.setFlash(err.Error(), true)
		if m.act == nil {
			step = m.s.Next()
		}
	}
	m.step = step
	m.card = nil
	switch step.Kind {
	case session.StepModel:
		return m.startModel(step)
	case session.StepRun:
		return m.startRun(step)
	case session.StepApprove:
		// The focus stays where it is: keys typed into the input box never
		// decide anything.
		m.card = newCard(step, m.now(), m.s.Meta().Context, m.keys.Card, m.st)
		m.follow = true
	}
	return nil
}

// finish ends the running activity if msgID is its id; it reports whether it was.
func (m *Model) finish(id int) bool {
	if m.act == nil || m.act.id != id {
		return false
	}
	m.act.cancel()
	m.act = nil
	return true
}

func (m *Model) onReport(msg reportMsg) tea.Cmd {
	canceled := m.act != nil && m.act.canceled
	if !m.finish(msg.id) {
		return nil
	}
	if msg.err != nil {
		text := m.s.Say(session.PhraseReportFailed, oneLine(msg.err.Error()))
		if canceled || errors.Is(msg.err, context.Canceled) {
			text = m.s.Say(session.PhraseReportCancelled)
		}
		if err := m.s.Note(text + " " + m.s.Say(session.PhraseGoOn)); err != nil {
			m.setFlash(text, true)
		}
		m.sync()
		return nil
	}
	if err := m.s.Report(msg.fr); err != nil {
		m.setFlash(err.Error(), true)
	}
	m.sync()
	for i, e := range m.tr.entries {
		if e.kind == entReport { // show the report from its beginning
			m.follow, m.top, m.topLine = false, i, 0
			m.scroll(0)
		}
	}
	return nil
}

func (m *Model) onDelta(msg deltaMsg) {
	a := m.act
	if msg.d.Retry != nil {
		r := *msg.d.Retry
		a.retry, a.retryAt = &r, m.now().Add(r.Wait)
	}
	if msg.d.Text != "" {
		a.retry = nil
		a.text.WriteString(msg.d.Text)
	}
}

func (m *Model) onReply(msg replyMsg) tea.Cmd {
	if !m.finish(msg.id) {
		return nil // superseded: the session already moved on
	}
	if msg.err != nil && errors.Is(msg.err, context.Canceled) {
		m.setFlash("Model call cancelled.", false)
	}
	return m.apply(m.s.ModelDone(msg.reply, msg.err))
}

func (m *Model) onResult(msg resultMsg) tea.Cmd {
	current := m.finish(msg.id)
	step, err := m.s.Executed(msg.ex)
	if !current {
		m.sync() // a late result is journaled as a note; the session has moved on
		return nil
	}
	return m.apply(step, err)
}

// key handles one key press: quit first, then the component that has the
// focus (help screen, pager, always-allowed list, search, a card reading a
// line), then the global keys, the input box or the transcript, where an
// asking card takes its decision keys first.
func (m *Model) key(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, m.keys.Quit) {
		return m.quit()
	}
	m.quitAt = time.Time{}
	switch {
	case m.showHelp:
		if key.Matches(msg, m.keys.Help, m.keys.Close) {
			m.showHelp = false
		}
		return nil
	case m.pager != nil:
		return m.update(m.pager.Update(msg, m.height))
	case m.allowed != nil:
		return m.update(m.allowed.Update(msg))
	case m.search != nil:
		return m.update(m.search.Update(msg))
	case m.card != nil && m.card.typing():
		req, _ := m.card.Update(msg, m.now())
		return m.update(req)
	}
	switch {
	case key.Matches(msg, m.keys.Cancel):
		return m.cancel()
	case key.Matches(msg, m.keys.Export):
		return m.startExport()
	case key.Matches(msg, m.keys.Focus):
		m.setFocus(1 - m.focus)
		return nil
	case key.Matches(msg, m.keys.Page): // from the input box too
		m.scrollKey(msg)
		return nil
	}
	if m.focus == focusInput {
		if key.Matches(msg, m.keys.Submit) {
			return m.submit()
		}
		m.input.Update(msg)
		return nil
	}
	if m.card != nil {
		if req, ok := m.card.Update(msg, m.now()); ok {
			return m.update(req)
		}
	}
	return m.transcriptKey(msg)
}

// transcriptKey handles a key in the transcript.
func (m *Model) transcriptKey(msg tea.KeyMsg) tea.Cmd {
	switch {
	case m.scrollKey(msg):
	case key.Matches(msg, m.keys.Help):
		m.showHelp = true
	case key.Matches(msg, m.keys.Search):
		m.search = newSearch(m.keys.Find, m.st)
	case key.Matches(msg, m.keys.Open):
		return m.openOutput()
	case key.Matches(msg, m.keys.Copy):
		return m.copyCommand()
	case key.Matches(msg, m.keys.Allowed):
		m.openAllowed()
	case key.Matches(msg, m.keys.Request):
		m.openRequest()
	case key.Matches(msg, m.keys.Submit):
		m.setFocus(focusInput)
	}
	return nil
}

// openAllowed shows the always-allowed list.
func (m *Model) openAllowed() {
	m.allowed = newAllowedList(m.s.AlwaysAllowed(), 0, m.keys.List, m.st)
}

// quit asks for a second ctrl+c before quitting.
func (m *Model) quit() tea.Cmd {
	if !m.quitAt.IsZero() && m.now().Sub(m.quitAt) < quitWindow {
		for _, a := range []*activity{m.act, m.export} {
			if a != nil {
				a.cancel()
			}
		}
		return tea.Quit
	}
	m.quitAt = m.now()
	m.setFlash("Press ctrl+c again to quit; the journal is saved.", false)
	return nil
}

// cancel stops the running model call or action.
func (m *Model) cancel() tea.Cmd {
	if m.act != nil {
		m.act.canceled = true
		m.act.cancel()
		m.setFlash("Cancelling "+m.act.label+"…", false)
		return nil
	}
	if m.export != nil {
		m.export.cancel()
		return nil
	}
	if m.focus == focusInput {
		m.setFocus(focusTranscript)
	}
	return nil
}

// setFocus moves the focus between the input box and the transcript.
func (m *Model) setFocus(f focusArea) {
	m.focus = f
	if f == focusInput {
		m.input.Focus()
	} else {
		m.input.Blur()
	}
}

// submit handles enter in the input box.
func (m *Model) submit() tea.Cmd {
	text := strings.TrimSpace(m.input.Value())
	m.input.Reset()
	m.follow = true
	switch {
	case text == ":allowed":
		m.openAllowed()
		return nil
	case text == ":retry":
		return m.apply(m.s.Retry())
	case strings.HasPrefix(text, ":resolve"):
		cause := strings.TrimSpace(strings.TrimPrefix(text, ":resolve"))
		if cause == "" {
			m.setFlash("Say what the root cause was: :resolve <root cause>", true)
			return nil
		}
		err := m.s.Resolve(cause)
		return m.apply(m.s.Next(), err)
	case text == "":
		if m.act != nil {
			return nil
		}
		if m.s.Phase() == session.PhaseTriage {
			return m.apply(m.s.Investigate())
		}
		if m.step.Kind == session.StepApprove {
			m.setFocus(focusTranscript)
		}
		return nil
	}
	if m.act != nil && m.act.kind == actReport {
		m.setFlash("Wait for the first response, or press esc to cancel it.", true)
		m.input.SetValue(text)
		return nil
	}
	return m.apply(m.s.Operator(text))
}
