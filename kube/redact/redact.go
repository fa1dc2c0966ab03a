// Package redact removes secret values from text before it leaves the
// process: Secret data in YAML, JSON and describe output, the last-applied
// annotation, bearer tokens, PEM blocks, JWTs, cloud and API keys, passwords
// in URLs and the values of variables and keys whose names look secret.
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
	lower := strings.ToLower(text)
	for _, p := range r.patterns {
		if p.present(text, lower) {
			text = p.replace(text, &n)
			lower = strings.ToLower(text)
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
