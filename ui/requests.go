package ui

import tea "github.com/charmbracelet/bubbletea"

// The requests components hand to the root model. A component's Update
// returns one as a value and the root handles it at once, in the same
// Update: a card is decided before the next key arrives, so a second key
// never meets a card that was already answered.
type (
	// flashMsg shows a line on the status line.
	flashMsg struct {
		text string
		err  bool
	}
	// approveMsg approves the card's call, once or always.
	approveMsg struct {
		callID string
		always bool
	}
	// denyMsg denies the card's call with an optional reason.
	denyMsg struct{ callID, reason string }
	// editMsg runs an edited line instead of the card's command.
	editMsg struct{ callID, line string }
	// copyMsg copies text to the clipboard.
	copyMsg struct{ text string }
	// revokeMsg revokes an always-allowed command; sel was its place in the list.
	revokeMsg struct {
		command string
		sel     int
	}
	// findMsg steps the transcript search to the next (1) or previous (-1) match.
	findMsg struct{ dir int }
	// pagerClosedMsg, allowedClosedMsg and searchClosedMsg close their component.
	pagerClosedMsg   struct{}
	allowedClosedMsg struct{}
	searchClosedMsg  struct{}
)

// request handles a component's request; other messages are ignored.
func (m *Model) request(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case flashMsg:
		m.setFlash(msg.text, msg.err)
	case approveMsg:
		return m.apply(m.s.Approve(msg.callID, msg.always))
	case denyMsg:
		return m.apply(m.s.Deny(msg.callID, msg.reason))
	case editMsg:
		step, err := m.s.Edit(msg.callID, msg.line)
		if err != nil {
			m.sync()
			m.setFlash(err.Error(), true) // stay in the editor so the line can be fixed
			return nil
		}
		return m.apply(step, nil)
	case copyMsg:
		return m.copyText(msg.text)
	case revokeMsg:
		m.revoke(msg)
	case findMsg:
		m.findNext(msg.dir)
	case pagerClosedMsg:
		m.pager = nil
	case allowedClosedMsg:
		m.allowed = nil
	case searchClosedMsg:
		m.search = nil
	}
	return nil
}

// revoke revokes an always-allowed command (journaled) and lists the rest.
func (m *Model) revoke(r revokeMsg) {
	if err := m.s.Revoke(r.command); err != nil {
		m.setFlash(err.Error(), true)
		return
	}
	m.sync()
	m.setFlash("Revoked: "+commandLine(r.command)+" asks again.", false)
	m.allowed = newAllowedList(m.s.AlwaysAllowed(), r.sel-1, m.keys.List, m.st)
}
