package redact

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Terminal makes text from the cluster safe to print: ANSI CSI and OSC
// sequences (colours, cursor moves, titles, hyperlinks, clipboard writes)
// and the other escape sequences are removed; other control characters,
// carriage returns that would overwrite a line and bidirectional marks are
// shown escaped (\x07, \r, \u202e), so a reader sees something was there;
// invalid UTF-8 becomes U+FFFD. Newlines and tabs stay.
func Terminal(s string) string {
	if stripped(s) {
		return s
	}
	return scan(s, escapeLone)
}

// Strip removes from text everything a terminal would act on rather than
// print: the sequences Terminal removes, and the lone control characters
// and bidirectional marks it escapes. CRLF becomes LF; invalid UTF-8
// becomes U+FFFD. Its result is valid wherever the input was: inside a
// JSON document, a Markdown file or a command line shown to the operator.
func Strip(s string) string {
	if stripped(s) {
		return s
	}
	return scan(s, nil)
}

// scan removes escape sequences (ESC and the 8-bit CSI, OSC, DCS, SOS, PM
// and APC with what follows them) and hands every other character a
// terminal would act on (C0 controls but newline and tab, a CR outside
// CRLF, DEL, C1 controls, bidirectional marks) to lone, which writes what
// stands for it; a nil lone drops them.
func scan(s string, lone func(*strings.Builder, rune)) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := rune(s[i]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRuneInString(s[i:])
		}
		switch {
		case r == 0x1b:
			i = skipEscape(s, i)
			continue
		case r == 0x9b: // C1 CSI
			i = skipCSI(s, i+size)
			continue
		case r == 0x9d || r == 0x90 || r == 0x98 || r == 0x9e || r == 0x9f: // C1 OSC, DCS, SOS, PM, APC
			i = skipString(s, i+size)
			continue
		case r == '\r' && i+1 < len(s) && s[i+1] == '\n':
			// CRLF is a line end: the LF follows
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' || r == '\t' || r >= 0x20 && r < 0x7f || r > 0x9f && !bidi(r):
			b.WriteString(s[i : i+size])
		case lone != nil:
			lone(&b, r)
		}
		i += size
	}
	return b.String()
}

// escapeLone writes a lone control character as an escape a reader sees.
func escapeLone(b *strings.Builder, r rune) {
	switch {
	case r == '\r':
		b.WriteString(`\r`)
	case r < 0x80:
		fmt.Fprintf(b, `\x%02x`, r)
	default:
		fmt.Fprintf(b, `\u%04x`, r)
	}
}

// skipEscape returns the index after the escape sequence starting at i.
func skipEscape(s string, i int) int {
	i++ // ESC
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', '_', '^', 'X': // OSC, DCS, APC, PM, SOS: strings
		return skipString(s, i+1)
	}
	// Two- or three-byte escapes: intermediates 0x20-0x2f, then a final byte.
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) {
		i++
	}
	return i
}

// skipCSI skips parameters and intermediates up to the final byte; an
// unfinished sequence ends at a newline.
func skipCSI(s string, i int) int {
	for i < len(s) {
		c := s[i]
		if c == '\n' {
			return i
		}
		i++
		if c >= 0x40 && c <= 0x7e {
			return i
		}
	}
	return i
}

// skipString skips a control string ended by BEL, ESC \ or C1 ST.
func skipString(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == '\n':
			return i
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case strings.HasPrefix(s[i:], "\u009c"):
			return i + len("\u009c")
		}
		i++
	}
	return i
}
