package ui

import (
	"io"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/help"
	tea "github.com/charmbracelet/bubbletea"
)

// TestLineInput: each editing key does what its binding says, and typed
// text that spells a key's name stays text.
func TestLineInput(t *testing.T) {
	tests := []struct {
		name  string
		start string
		keys  []tea.KeyMsg
		want  string
		pos   int
	}{
		{"type", "", []tea.KeyMsg{keyMsg("get"), keyMsg("space"), keyMsg("pods")}, "get pods", 8},
		{"runes that name keys", "", []tea.KeyMsg{runes("home"), runes("left"), runes("ctrl+w")}, "homeleftctrl+w", 14},
		{"backspace", "pods", []tea.KeyMsg{keyMsg("backspace")}, "pod", 3},
		{"ctrl+h", "pods", []tea.KeyMsg{{Type: tea.KeyCtrlH}}, "pod", 3},
		{"left then insert", "pod", []tea.KeyMsg{{Type: tea.KeyLeft}, keyMsg("X")}, "poXd", 3},
		{"home then delete", "pods", []tea.KeyMsg{keyMsg("home"), {Type: tea.KeyDelete}}, "ods", 0},
		{"ctrl+a, ctrl+f, end", "pods", []tea.KeyMsg{{Type: tea.KeyCtrlA}, {Type: tea.KeyCtrlF}, keyMsg("end")}, "pods", 4},
		{"ctrl+w deletes a word and its blanks", "get pods  ", []tea.KeyMsg{{Type: tea.KeyCtrlW}}, "get ", 4},
		{"ctrl+u deletes to the start", "get pods", []tea.KeyMsg{{Type: tea.KeyLeft}, {Type: tea.KeyCtrlU}}, "s", 0},
		{"ctrl+k deletes to the end", "get pods", []tea.KeyMsg{keyMsg("home"), {Type: tea.KeyCtrlK}}, "", 0},
		{"paste is one line", "", []tea.KeyMsg{{Type: tea.KeyRunes, Runes: []rune("a\nb\x1b[2J"), Paste: true}}, "a b", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := newLineInput(PlainStyles(io.Discard), "› ", "")
			in.SetValue(tt.start)
			for _, k := range tt.keys {
				in.Update(k)
			}
			if in.Value() != tt.want || in.pos != tt.pos {
				t.Errorf("value %q at %d, want %q at %d", in.Value(), in.pos, tt.want, tt.pos)
			}
		})
	}
}

// runes is text typed in one key message.
func runes(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }

// TestKeyMapsHelp: every component's key map is a help.KeyMap whose
// bindings all have keys and help, and the ? screen lists the card's keys.
// The input's map is the one a text input edits with.
func TestKeyMapsHelp(t *testing.T) {
	k := newKeyMap()
	in := newLineInput(PlainStyles(io.Discard), "› ", "")
	maps := map[string]help.KeyMap{
		"screen": k, "card": k.Card, "pager": k.Pager, "search": k.Find, "allowed": k.List, "input": in.keys,
	}
	for name, km := range maps {
		for _, group := range km.FullHelp() {
			for _, b := range group {
				if len(b.Keys()) == 0 || b.Help().Key == "" || b.Help().Desc == "" || !b.Enabled() {
					t.Errorf("%s: binding %+v has no keys or no help", name, b.Help())
				}
			}
		}
		if len(km.ShortHelp()) == 0 {
			t.Errorf("%s: no short help", name)
		}
	}
	listed := map[string]bool{}
	for _, group := range k.FullHelp() {
		for _, b := range group {
			listed[b.Help().Key] = true
		}
	}
	for _, b := range k.Card.decisions() {
		if !listed[b.Help().Key] {
			t.Errorf("the ? screen does not list %q", b.Help().Key)
		}
	}
}

// TestPagerSearchFollowsWidth: n and N find the query in the lines as
// wrapped at the width on screen, after the width changed too.
func TestPagerSearchFollowsWidth(t *testing.T) {
	st := PlainStyles(io.Discard)
	text := strings.Repeat("aaaa bbbb cccc dddd eeee ffff gggg hhhh\n", 20) + "the NEEDLE is here\n"
	p := newPager("out", text, newKeyMap().Pager, st)
	hm := help.New()
	found := func(w int) {
		t.Helper()
		p.View(w, 12, hm)
		p.Update(keyMsg("N"), 12)
		if p.match < 0 || !strings.Contains(p.lines[p.match], "NEEDLE") {
			t.Fatalf("width %d: match %d, want the line with NEEDLE", w, p.match)
		}
	}
	p.View(80, 12, hm)
	p.Update(keyMsg("/"), 12)
	p.Update(runes("needle"), 12)
	p.Update(keyMsg("enter"), 12)
	found(80)
	found(20) // each source line is now two or more lines
	found(80)
}

// TestPagerScrollKeys: on a screen h lines high the pager shows h-2 lines;
// j and k move one line, pgdn and pgup one page less a line, g and G go to
// the ends, and nothing moves past them.
func TestPagerScrollKeys(t *testing.T) {
	p := newPager("out", strings.Repeat("line\n", 100), newKeyMap().Pager, PlainStyles(io.Discard))
	const h = 12 // 10 lines of output on screen, a page is 9
	p.View(80, h, help.New())
	for _, step := range []struct {
		key  string
		want int
	}{
		{"j", 1}, {"pgdown", 10}, {"ctrl+d", 19}, {"k", 18}, {"pgup", 9}, {"ctrl+u", 0},
		{"k", 0}, {"G", 90}, {"j", 90}, {"pgup", 81}, {"g", 0},
	} {
		p.Update(keyMsg(step.key), h)
		if p.offset != step.want {
			t.Fatalf("%s: offset %d, want %d", step.key, p.offset, step.want)
		}
	}
}
