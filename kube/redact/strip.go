package redact

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// bidi reports whether r changes the direction of the text around it.
func bidi(r rune) bool {
	return r == 0x061c || r == 0x200e || r == 0x200f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
}

// stripped reports whether Strip would return s unchanged.
func stripped(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x7f || c < 0x20 && c != '\n' && c != '\t' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r <= 0x9f || bidi(r) {
			return false
		}
		i += size
	}
	return true
}

// StripRedactor strips control sequences from text (Strip) and then
// redacts it: the order matters, as an escape sequence planted inside a
// token would otherwise hide the token from the redactor and vanish later.
// Use it for text that ends on a terminal or in a file, such as an export.
type StripRedactor struct {
	R *Redactor // New() when nil
}

// Redact strips text, then returns it redacted and how many values were
// replaced.
func (s StripRedactor) Redact(text string) (string, int) {
	r := s.R
	if r == nil {
		r = New()
	}
	return r.Redact(Strip(text))
}

// Visible shows every character Strip would remove as a \u escape
// (\u001b, \u009b, \u202e), so that text can be printed exactly and
// safely: a reader sees what was there, and nothing acts on the terminal.
// Newlines and tabs stay; invalid UTF-8 becomes U+FFFD. A JSON document
// stays valid and decodes to the same strings.
func Visible(s string) string {
	if stripped(s) && !strings.Contains(s, "\r") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r >= 0x7f && r <= 0x9f || bidi(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}
