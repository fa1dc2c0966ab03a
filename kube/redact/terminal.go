package redact

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Terminal makes text from the cluster safe to print: ANSI CSI and OSC
// sequences (colours, cursor moves, titles, hyperlinks, clipboard writes)
// are removed, other control characters and bidirectional overrides are
// shown escaped (\x07, \u202e), carriage returns that would overwrite a line
// are escaped, and invalid UTF-8 becomes U+FFFD. Newlines and tabs stay.
func Terminal(s string) string {
	if safe(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b:
			i = skipEscape(s, i)
			continue
		case c == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				i++ // CRLF is a line end
				continue
			}
			b.WriteString(`\r`)
		case c == '\n' || c == '\t':
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, c)
		case c < utf8.RuneSelf:
			b.WriteByte(c)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b.WriteRune(utf8.RuneError)
			case r == 0x9b: // C1 CSI
				i = skipCSI(s, i+size)
				continue
			case r == 0x9d: // C1 OSC
				i = skipString(s, i+size)
				continue
			case r >= 0x80 && r <= 0x9f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				b.WriteString(s[i : i+size])
			}
			i += size
			continue
		}
		i++
	}
	return b.String()
}

// safe reports whether s needs no change: printable ASCII, newlines and
// tabs only.
func safe(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x7f || c < 0x20 && c != '\n' && c != '\t' {
			return false
		}
	}
	return true
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
