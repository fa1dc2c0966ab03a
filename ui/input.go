package ui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// inputKeyMap is every editing key of a one-line text input. Typed runes
// and the space bar insert themselves; they are never bindings.
type inputKeyMap struct {
	Left, Right, Home, End                 key.Binding
	Backspace, Delete                      key.Binding
	DeleteToStart, DeleteToEnd, DeleteWord key.Binding
}

// newInputKeyMap returns the editing keys of the text input.
func newInputKeyMap() inputKeyMap {
	b := binding
	return inputKeyMap{
		Left:          b("←", "left", "left", "ctrl+b"),
		Right:         b("→", "right", "right", "ctrl+f"),
		Home:          b("home", "start of line", "home", "ctrl+a"),
		End:           b("end", "end of line", "end"),
		Backspace:     b("backspace", "delete left", "backspace", "ctrl+h"),
		Delete:        b("delete", "delete right", "delete", "ctrl+d"),
		DeleteToStart: b("ctrl+u", "delete to start", "ctrl+u"),
		DeleteToEnd:   b("ctrl+k", "delete to end", "ctrl+k"),
		DeleteWord:    b("ctrl+w", "delete word", "ctrl+w"),
	}
}

// ShortHelp lists the editing keys for a help bar.
func (k inputKeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Left, k.Right, k.Backspace, k.DeleteWord}
}

// FullHelp lists every editing key, grouped.
func (k inputKeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Left, k.Right, k.Home, k.End}, {k.Backspace, k.Delete, k.DeleteToStart, k.DeleteToEnd, k.DeleteWord}}
}

// lineInput is a one-line text input. It reads only key messages (typed
// runes and bracketed paste); it never touches the system clipboard.
type lineInput struct {
	keys                inputKeyMap
	prompt, placeholder string
	value               []rune
	pos                 int
	focused             bool
	Width               int // columns for prompt and text; 0 means unlimited

	promptStyle, textStyle, placeholderStyle, cursorStyle lipgloss.Style
}

// newLineInput returns an empty, unfocused input in the styles of st.
func newLineInput(st Styles, prompt, placeholder string) lineInput {
	return lineInput{
		keys:   newInputKeyMap(),
		prompt: prompt, placeholder: placeholder,
		promptStyle: st.Operator, textStyle: st.Text,
		placeholderStyle: st.Dim, cursorStyle: st.Match,
	}
}

// Value returns the text typed so far.
func (l *lineInput) Value() string { return string(l.value) }

// SetValue replaces the text and puts the cursor at its end.
func (l *lineInput) SetValue(s string) {
	l.value = []rune(singleLine(s))
	l.pos = len(l.value)
}

// Reset empties the input.
func (l *lineInput) Reset() { l.value, l.pos = nil, 0 }

// Focus shows the cursor.
func (l *lineInput) Focus() { l.focused = true }

// Blur hides the cursor.
func (l *lineInput) Blur() { l.focused = false }

// Update edits the text for one key. Typed text is inserted before any
// binding is looked at, so runes that spell a key's name stay text.
func (l *lineInput) Update(msg tea.KeyMsg) {
	k := l.keys
	switch {
	case msg.Type == tea.KeyRunes:
		l.insert([]rune(singleLine(string(msg.Runes))))
	case msg.Type == tea.KeySpace:
		l.insert([]rune{' '})
	case key.Matches(msg, k.Backspace):
		if l.pos > 0 {
			l.value = append(l.value[:l.pos-1], l.value[l.pos:]...)
			l.pos--
		}
	case key.Matches(msg, k.Delete):
		if l.pos < len(l.value) {
			l.value = append(l.value[:l.pos], l.value[l.pos+1:]...)
		}
	case key.Matches(msg, k.Left):
		l.pos = max(l.pos-1, 0)
	case key.Matches(msg, k.Right):
		l.pos = min(l.pos+1, len(l.value))
	case key.Matches(msg, k.Home):
		l.pos = 0
	case key.Matches(msg, k.End):
		l.pos = len(l.value)
	case key.Matches(msg, k.DeleteToStart):
		l.value, l.pos = l.value[l.pos:], 0
	case key.Matches(msg, k.DeleteToEnd):
		l.value = l.value[:l.pos]
	case key.Matches(msg, k.DeleteWord):
		l.deleteWord()
	}
}

// deleteWord deletes the word before the cursor and the blanks after it.
func (l *lineInput) deleteWord() {
	i := l.pos
	for i > 0 && l.value[i-1] == ' ' {
		i--
	}
	for i > 0 && l.value[i-1] != ' ' {
		i--
	}
	l.value, l.pos = append(l.value[:i], l.value[l.pos:]...), i
}

func (l *lineInput) insert(r []rune) {
	if len(r) == 0 {
		return
	}
	v := make([]rune, 0, len(l.value)+len(r))
	v = append(append(append(v, l.value[:l.pos]...), r...), l.value[l.pos:]...)
	l.value, l.pos = v, l.pos+len(r)
}

// View renders the prompt and the part of the text around the cursor.
func (l *lineInput) View() string {
	prompt := l.promptStyle.Render(l.prompt)
	if len(l.value) == 0 {
		cur := " "
		if l.focused {
			cur = l.cursorStyle.Render(" ")
		}
		return prompt + cur + l.placeholderStyle.Render(l.placeholder)
	}
	avail := 1 << 30
	if l.Width > 0 {
		avail = max(l.Width-ansi.StringWidth(l.prompt)-1, 1)
	}
	start, w := l.pos, 0
	for start > 0 && w+runeWidth(l.value[start-1]) <= avail {
		start--
		w += runeWidth(l.value[start])
	}
	end := l.pos
	for end < len(l.value) && w+runeWidth(l.value[end]) <= avail {
		w += runeWidth(l.value[end])
		end++
	}
	before := string(l.value[start:l.pos])
	cur, after := " ", ""
	if l.pos < len(l.value) {
		cur, after = string(l.value[l.pos]), string(l.value[min(l.pos+1, end):end])
	}
	if l.focused {
		cur = l.cursorStyle.Render(cur)
	} else {
		cur = l.textStyle.Render(cur)
	}
	return prompt + l.textStyle.Render(before) + cur + l.textStyle.Render(after)
}

// runeWidth is the number of columns r takes.
func runeWidth(r rune) int { return max(ansi.StringWidth(string(r)), 1) }

// singleLine turns pasted text into one line of printable text.
func singleLine(s string) string {
	return strings.Join(strings.Fields(clean(s)), " ")
}
