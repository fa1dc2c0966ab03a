// Package redact removes secret values from text before it leaves the
// process: Secret data in YAML, JSON and describe output, the last-applied
// annotation, and the values of keys and variables whose names look secret
// wherever they stand in a line ({"password":"x"}, {\"token\":\"x\"},
// NAME=VALUE, "password: x", "password x", NAME<TAB>VALUE, a value folded
// onto the next lines, a properties or YAML file inside a JSON string with
// escaped newlines); Authorization credentials in any form; and secrets
// known by their format: PEM blocks (also begun and cut), JWTs, cloud, API
// and webhook tokens, signed-URL signatures and passwords in URLs.
// A secret with neither a telling name nor a known format stays.
// It also makes cluster-sourced text safe to print on a terminal.
package redact

import (
	"regexp"
	"strconv"
	"strings"
)

// Mark is the text that stands in for a removed value.
const Mark = "[REDACTED]"

// Redactor finds and replaces secret values. The zero value is not usable;
// build one with New. A Redactor is safe for concurrent use.
type Redactor struct {
	patterns []pattern
}

// pattern replaces every match of re that check (when set) accepts; group,
// when non-zero, is the only submatch replaced. The pattern is tried only when the text holds one of
// lits (compared in lower case when fold is set): regular expressions are
// slow on long outputs, and most outputs hold none of these literals.
type pattern struct {
	re    *regexp.Regexp
	group int
	lits  []string
	fold  bool
	check func(string) bool // when set, a match is replaced only if check holds
	// multiline patterns may match across lines (PEM blocks) and run over
	// the whole text; the others run only on the lines holding a literal.
	multiline bool
}

// New returns a Redactor with the built-in rules.
func New() *Redactor {
	return &Redactor{patterns: tokenPatterns()}
}

// Redact returns text with every secret value replaced by Mark, and how
// many values it replaced.
func (r *Redactor) Redact(text string) (string, int) {
	if text == "" {
		return text, 0
	}
	ls := &lines{l: strings.Split(text, "\n")}
	n := ls.secretBlocks()
	n += ls.lastApplied()
	n += ls.namedValues()
	text = ls.join()
	var lower string // text in ASCII lower case, for the patterns that fold
	lowerOK := false
	for _, p := range r.patterns {
		if p.fold && !lowerOK {
			lower, lowerOK = asciiLower(text), true
		}
		if !p.present(text, lower) {
			continue
		}
		var out string
		if p.multiline {
			out = p.replace(text, &n)
		} else {
			out = p.replaceLines(text, lower, &n)
		}
		if out != text {
			text, lowerOK = out, false
		}
	}
	return text, n
}

func (p pattern) present(text, lower string) bool {
	if p.fold {
		text = lower
	}
	for _, l := range p.lits {
		if strings.Contains(text, l) {
			return true
		}
	}
	return false
}

// replaceLines replaces the matches of p on the lines of text that hold
// one of its literals; the expression never sees the other lines, which
// on a long output are most of it. lower is text in ASCII lower case.
func (p pattern) replaceLines(text, lower string, n *int) string {
	src := text
	if p.fold {
		src = lower
	}
	next := make([]int, len(p.lits)) // next offset of each literal, -1 when none is left
	for i := range next {
		next[i] = -2 // not searched yet
	}
	var b strings.Builder
	last := 0 // text[:last] is in b or unchanged
	for pos := 0; pos < len(text); {
		at := -1
		for i, l := range p.lits {
			if next[i] == -2 || next[i] >= 0 && next[i] < pos {
				next[i] = -1
				if j := strings.Index(src[pos:], l); j >= 0 {
					next[i] = pos + j
				}
			}
			if next[i] >= 0 && (at < 0 || next[i] < at) {
				at = next[i]
			}
		}
		if at < 0 {
			break
		}
		start := strings.LastIndexByte(text[:at], '\n') + 1
		end := strings.IndexByte(text[at:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += at
		}
		line := text[start:end]
		if out := p.replace(line, n); out != line {
			b.WriteString(text[last:start])
			b.WriteString(out)
			last = end
		}
		pos = end + 1
	}
	if last == 0 {
		return text
	}
	b.WriteString(text[last:])
	return b.String()
}

// asciiLower returns s with ASCII letters in lower case and every other
// byte in place, so offsets in it are offsets in s.
func asciiLower(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			if last == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[last:i])
			b.WriteByte(c + 0x20)
			last = i + 1
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func (p pattern) replace(text string, n *int) string {
	if p.group == 0 {
		return p.re.ReplaceAllStringFunc(text, func(m string) string {
			if p.check != nil && !p.check(m) {
				return m
			}
			*n++
			return Mark
		})
	}
	idx := p.re.FindAllStringSubmatchIndex(text, -1)
	if idx == nil {
		return text
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		s, e := m[2*p.group], m[2*p.group+1]
		if s < 0 || text[s:e] == Mark || p.check != nil && !p.check(text[s:e]) {
			continue
		}
		b.WriteString(text[last:s])
		b.WriteString(Mark)
		last = e
		*n++
	}
	b.WriteString(text[last:])
	return b.String()
}

// Size describes a removed Secret value by its decoded size, the way
// kubectl describe does: "[REDACTED] 6 bytes".
func Size(n int) string { return Mark + " " + strconv.Itoa(n) + " bytes" }
