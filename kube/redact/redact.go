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

// pattern replaces every match of re; group, when non-zero, is the only
// submatch replaced. The pattern is tried only when the text holds one of
// lits (compared in lower case when fold is set): regular expressions are
// slow on long outputs, and most outputs hold none of these literals.
type pattern struct {
	re    *regexp.Regexp
	group int
	lits  []string
	fold  bool
}

// New returns a Redactor with the built-in rules.
func New() *Redactor {
	p := func(expr string, group int, lits ...string) pattern {
		return pattern{re: regexp.MustCompile(expr), group: group, lits: lits, fold: strings.HasPrefix(expr, "(?i)")}
	}
	return &Redactor{patterns: []pattern{
		// PEM blocks, also when their lines were joined (describe, JSON strings).
		p(`-----BEGIN [A-Z0-9 ]+-----(?:[^-]|\\n|-[^-])*?-----END [A-Z0-9 ]+-----`, 0, "-----BEGIN "),
		// Base64 of "-----BEGIN" (Secret data holding keys or certificates).
		p(`LS0tLS1CRUdJTi[A-Za-z0-9+/=]*`, 0, "LS0tLS1CRUdJTi"),
		// JWTs, and base64 of a JWT header.
		p(`eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*`, 0, "eyJ"),
		p(`ZXlK[A-Za-z0-9+/]{12,}={0,2}`, 0, "ZXlK"),
		// Authorization headers and bearer tokens.
		p(`(?i)\bbearer\s+([A-Za-z0-9._~+/=-]{8,})`, 1, "bearer"),
		p(`(?i)\bauthorization:\s*basic\s+([A-Za-z0-9+/=]{8,})`, 1, "basic"),
		// Cloud and API keys.
		p(`\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b`, 0,
			"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA", "ABIA", "ACCA"),
		p(`\bAIza[0-9A-Za-z_-]{35}\b`, 0, "AIza"),
		p(`\bya29\.[0-9A-Za-z_-]{20,}`, 0, "ya29."),
		p(`(?i)\b(?:AccountKey|SharedAccessKey|SharedAccessSignature|sig)=([^;&\s"']{8,})`, 1, "accountkey=", "sharedaccess", "sig="),
		p(`\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{30,}\b|\bgithub_pat_[A-Za-z0-9_]{30,}`, 0, "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
		p(`\bxox[abposr]-[A-Za-z0-9-]{10,}`, 0, "xox"),
		p(`\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}`, 0, "sk-"),
		p(`\b(?:sk|rk)_live_[A-Za-z0-9]{16,}`, 0, "_live_"),
		p(`\bglpat-[A-Za-z0-9_-]{20,}`, 0, "glpat-"),
		// Passwords in URLs: scheme://user:password@host.
		p(`\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@"']*:([^\s@/"']+)@`, 1, "://"),
	}}
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
		return p.re.ReplaceAllStringFunc(text, func(string) string { *n++; return Mark })
	}
	idx := p.re.FindAllStringSubmatchIndex(text, -1)
	if idx == nil {
		return text
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		s, e := m[2*p.group], m[2*p.group+1]
		if s < 0 || text[s:e] == Mark {
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
