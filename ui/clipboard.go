package ui

import (
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/kuberesponder/kuberesponder/session"
)

// copiedMsg says text was put on the clipboard.
type copiedMsg struct{ text string }

// copyCommand copies the latest proposed fix. While a card is shown its
// Copy key is the card's, which copies the card's command (copyMsg).
func (m *Model) copyCommand() tea.Cmd {
	for i := len(m.events) - 1; i >= 0; i-- {
		if e := m.events[i]; e.Kind == session.KindFix {
			return m.copyText(commandLine(e.Command))
		}
	}
	m.setFlash("There is no proposed fix to copy.", true)
	return nil
}

// copyText puts text on the terminal's clipboard with OSC 52, in a
// command. The sequence is ours and base64-encodes the text, so nothing in
// it can act on the terminal.
func (m *Model) copyText(text string) tea.Cmd {
	out := m.st.Renderer().Output()
	return func() tea.Msg {
		out.Copy(text)
		return copiedMsg{text: text}
	}
}

// commandLine returns a journaled command with its leading "kubectl".
func commandLine(c string) string {
	c = clean(c)
	if strings.HasPrefix(c, "kubectl ") || c == "" {
		return c
	}
	return "kubectl " + c
}
