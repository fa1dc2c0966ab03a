package ui

import (
	"io"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/glamour"
	"github.com/charmbracelet/glamour/ansi"
	"github.com/charmbracelet/glamour/styles"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Styles holds every colour and text style of the screen. It is chosen once,
// before the program starts, for a dark or light background; nothing in the
// running program asks the terminal about its colours.
type Styles struct {
	r *lipgloss.Renderer
	// Markdown is the fixed glamour style of the report: "dark", "light", or
	// "plain" (no colours and no emphasis markers) for the ASCII profile.
	Markdown string

	Header, HeaderDim, Title                          lipgloss.Style
	Text, Dim, Operator, Assistant, Note              lipgloss.Style
	ReadOnly, Sensitive, Mutating, Refused, Unknown   lipgloss.Style
	Ran, Failed, Denied, Pending                      lipgloss.Style
	Card, CardFocused, Command, Warning, Error, Flash lipgloss.Style
	Key, KeyDesc, Input, InputFocused, Match          lipgloss.Style
}

// Renderer returns the lipgloss renderer the styles were built for.
func (s Styles) Renderer() *lipgloss.Renderer { return s.r }

// Profile returns the colour profile the styles render with.
func (s Styles) Profile() termenv.Profile {
	if s.r == nil {
		return termenv.Ascii
	}
	return s.r.ColorProfile()
}

// DetectStyles picks the styles for the terminal behind out: its colour
// profile, NO_COLOR (read through getenv) and whether its background is dark.
// Call it before the program starts; it may query the terminal.
func DetectStyles(out io.Writer, getenv func(string) string) Styles {
	r := lipgloss.NewRenderer(out)
	if getenv != nil && getenv("NO_COLOR") != "" {
		r.SetColorProfile(termenv.Ascii)
		return NewStyles(r, true)
	}
	return NewStyles(r, r.HasDarkBackground())
}

// PlainStyles returns styles that render no escape sequence at all (the
// ASCII colour profile), for tests and dumb terminals.
func PlainStyles(out io.Writer) Styles {
	r := lipgloss.NewRenderer(out)
	r.SetColorProfile(termenv.Ascii)
	return NewStyles(r, true)
}

// NewStyles builds the styles on renderer r for a dark or light background.
func NewStyles(r *lipgloss.Renderer, dark bool) Styles {
	c := func(darkHex, lightHex string) lipgloss.Color {
		if dark {
			return lipgloss.Color(darkHex)
		}
		return lipgloss.Color(lightHex)
	}
	var (
		fg     = c("#DDDDDD", "#222222")
		dim    = c("#8A8A8A", "#6B6B6B")
		accent = c("#7AA2F7", "#1F5FBF")
		green  = c("#9ECE6A", "#2E7D32")
		yellow = c("#E0AF68", "#9A6700")
		red    = c("#F7768E", "#C62828")
		purple = c("#BB9AF7", "#6A1B9A")
		barBG  = c("#24283B", "#E4E7EE")
	)
	n := r.NewStyle
	s := Styles{r: r, Markdown: styles.DarkStyle}
	if !dark {
		s.Markdown = styles.LightStyle
	}
	if r.ColorProfile() == termenv.Ascii {
		s.Markdown = plainMarkdown
	}
	s.Header = n().Foreground(fg).Background(barBG)
	s.HeaderDim = n().Foreground(dim).Background(barBG)
	s.Title = n().Foreground(accent).Bold(true)
	s.Text = n().Foreground(fg)
	s.Dim = n().Foreground(dim)
	s.Operator = n().Foreground(accent).Bold(true)
	s.Assistant = n().Foreground(purple).Bold(true)
	s.Note = n().Foreground(dim).Italic(true)
	s.ReadOnly = n().Foreground(green).Bold(true)
	s.Sensitive = n().Foreground(yellow).Bold(true)
	s.Mutating = n().Foreground(red).Bold(true)
	s.Refused = n().Foreground(purple).Bold(true)
	s.Unknown = n().Foreground(dim).Bold(true)
	s.Ran = n().Foreground(green)
	s.Failed = n().Foreground(red)
	s.Denied = n().Foreground(yellow)
	s.Pending = n().Foreground(accent)
	s.Card = n().Border(lipgloss.NormalBorder()).BorderForeground(dim).Padding(0, 1)
	s.CardFocused = n().Border(lipgloss.NormalBorder()).BorderForeground(accent).Padding(0, 1)
	s.Command = n().Foreground(fg).Bold(true)
	s.Warning = n().Foreground(yellow).Bold(true)
	s.Error = n().Foreground(red)
	s.Flash = n().Foreground(accent)
	s.Key = n().Foreground(accent).Bold(true)
	s.KeyDesc = n().Foreground(dim)
	s.Input = n().Border(lipgloss.NormalBorder(), true, false, false, false).BorderForeground(dim)
	s.InputFocused = n().Border(lipgloss.NormalBorder(), true, false, false, false).BorderForeground(accent)
	s.Match = n().Reverse(true)
	return s
}

// risk returns the badge style of a risk name as kube.Risk.String spells it.
func (s Styles) risk(name string) lipgloss.Style {
	switch name {
	case "read-only":
		return s.ReadOnly
	case "sensitive":
		return s.Sensitive
	case "mutating":
		return s.Mutating
	case "refused":
		return s.Refused
	}
	return s.Unknown
}

// plainMarkdown names the markdown style of the ASCII profile.
const plainMarkdown = "plain"

// plainStyle is glamour's ASCII style without the markers it prints for
// emphasis, strong text, strikethrough and inline code ("**bold**" would
// otherwise show literally): with no colours, the text reads as written.
// Headings keep their "#" prefixes so that the sections stay apart.
func plainStyle() ansi.StyleConfig {
	c := styles.ASCIIStyleConfig
	c.Emph = ansi.StylePrimitive{}
	c.Strong = ansi.StylePrimitive{}
	c.Strikethrough = ansi.StylePrimitive{}
	c.Code = ansi.StyleBlock{}
	return c
}

// markdown returns a glamour renderer with the fixed style wrapping at width.
func (s Styles) markdown(width int) (*glamour.TermRenderer, error) {
	style := glamour.WithStandardStyle(s.Markdown)
	if s.Markdown == plainMarkdown {
		style = glamour.WithStyles(plainStyle())
	}
	return glamour.NewTermRenderer(
		style,
		glamour.WithColorProfile(s.Profile()),
		glamour.WithWordWrap(width),
	)
}

// clean makes text from the cluster or the model safe for the terminal: it
// removes every escape sequence (CSI, OSC, DCS and the rest) and control
// character, drops bidirectional overrides and invalid UTF-8, and expands tabs.
// Text reaching the UI was sanitised before; this is the defensive second pass
// at render time, and it costs one scan when there is nothing to remove.
func clean(s string) string {
	if isClean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	col := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == 0x1b:
			i += escapeLen(s[i:])
			continue
		case r == '\n':
			b.WriteByte('\n')
			col = 0
		case r == '\t':
			n := 8 - col%8
			b.WriteString("        "[:n])
			col += n
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
			col++
		case unsafeRune(r):
			// dropped
		default:
			b.WriteRune(r)
			col++
		}
		i += size
	}
	return b.String()
}

// isClean reports whether s holds only printable text and newlines.
func isClean(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 && c != '\n') || c == 0x7f {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || unsafeRune(r) {
			return false
		}
		i += size
	}
	return true
}

// unsafeRune reports control characters (C0, DEL, C1) and the bidirectional
// controls that can make text display differently from what it is.
func unsafeRune(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// escapeLen returns the length of the escape sequence at the start of s
// (which starts with ESC), or of the rest of s when it is unterminated.
func escapeLen(s string) int {
	if len(s) < 2 {
		return len(s)
	}
	switch s[1] {
	case '[': // CSI: parameters, then one final byte in 0x40..0x7e
		for i := 2; i < len(s); i++ {
			if s[i] >= 0x40 && s[i] <= 0x7e {
				return i + 1
			}
		}
		return len(s)
	case ']', 'P', 'X', '^', '_': // OSC, DCS, SOS, PM, APC: until BEL or ST
		for i := 2; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return len(s)
	}
	return 2
}
