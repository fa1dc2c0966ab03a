package redact

import (
	"regexp"
	"strings"
)

var (
	// assignRe finds NAME=VALUE in free text: env dumps, flags, connection strings.
	assignRe = regexp.MustCompile(`(?:^|[^A-Za-z0-9_.-])-{0,2}([A-Za-z_][A-Za-z0-9_.-]*)=("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&"'\])}]+)`)
	// proseRe finds "password: VALUE" inside a longer line of text.
	proseRe = regexp.MustCompile(`(?i)\b(password|passwd|secret|token|api[_-]?key)\s*[:=]\s*("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;"'<\[]\S{2,})`)
)

// namedValues replaces the values of keys and variables with secret-looking
// names, in YAML, JSON, describe and NAME=VALUE form, including the value
// of an env entry whose name looks secret ("name: DB_PASSWORD" then
// "value: ...").
func (ls *lines) namedValues() int {
	n := 0
	pending := -1 // key column of an env entry whose name looks secret
	for i := 0; i < len(ls.l); i++ {
		if ls.drop != nil && ls.drop[i] {
			continue
		}
		l := ls.l[i]
		ind, body := keyIndent(l)
		if pending >= 0 && strings.TrimSpace(l) != "" && (indent(l) < pending || ind != pending) {
			pending = -1
		}
		if key, val, at, ok := splitKeyValue(body); ok {
			at += len(l) - len(body)
			switch {
			case key == "value" && pending == ind:
				if redactable(val) {
					ls.l[i] = replaceValue(l, at, val)
					n++
				}
				pending = -1
			case key == "name":
				if SecretName(strings.Trim(val, `"'`)) {
					pending = ind
				}
			case SecretName(key) && val == "" && i+2 < len(ls.l) && ls.l[i+1] == "----" && ls.l[i+2] != Mark:
				n += ls.describedValue(i + 2)
			case SecretName(key) && redactable(val):
				ls.l[i] = replaceValue(l, at, val)
				n++
				if strings.HasPrefix(val, "|") || strings.HasPrefix(val, ">") {
					ls.removeDeeper(i, indent(l))
				}
			}
		}
		if strings.IndexByte(ls.l[i], '=') >= 0 {
			ls.l[i] = replaceNamed(ls.l[i], assignRe, &n)
		}
		if proseWord(ls.l[i]) {
			ls.l[i] = replaceNamed(ls.l[i], proseRe, &n)
		}
	}
	return n
}

// describedValue replaces a value kubectl describe printed under "KEY:" and
// "----", up to the blank line before the next key or section.
func (ls *lines) describedValue(from int) int {
	ls.l[from] = Mark
	for j := from + 1; j < len(ls.l); j++ {
		if ls.l[j] == "" && (j+2 >= len(ls.l) || ls.l[j+2] == "----" ||
			strings.HasPrefix(ls.l[j+1], "BinaryData") || strings.HasPrefix(ls.l[j+1], "Events:")) {
			break
		}
		ls.remove(j)
	}
	return 1
}

// removeDeeper drops the lines after i that are indented deeper than col.
func (ls *lines) removeDeeper(i, col int) {
	for j := i + 1; j < len(ls.l); j++ {
		if strings.TrimSpace(ls.l[j]) != "" && indent(ls.l[j]) <= col {
			return
		}
		ls.remove(j)
	}
}

// splitKeyValue splits `key: value`, `"key": "value",` or a describe line
// `Key:  value`. at is the offset of the value in body.
func splitKeyValue(body string) (key, val string, at int, ok bool) {
	if strings.HasPrefix(body, `"`) {
		q := strings.Index(body[1:], `":`)
		if q < 0 {
			return "", "", 0, false
		}
		key = body[1 : q+1]
		at = q + 3
	} else {
		c := strings.IndexByte(body, ':')
		if c <= 0 || c+1 < len(body) && body[c+1] != ' ' && body[c+1] != '\t' {
			return "", "", 0, false
		}
		key = strings.Trim(body[:c], `'"`)
		at = c + 1
	}
	if strings.ContainsAny(key, " \t") {
		return "", "", 0, false
	}
	rest := body[at:]
	trimmed := strings.TrimLeft(rest, " \t")
	at += len(rest) - len(trimmed)
	return key, strings.TrimRight(trimmed, " \t"), at, true
}

// redactable reports whether a value on a key's line is a value at all.
func redactable(val string) bool {
	v := strings.TrimSuffix(val, ",")
	switch strings.Trim(v, `"'`) {
	case "", "true", "false", "null", "~", "{}", "[]", "{", "[", "<none>", "<unset>":
		return false
	}
	return !strings.Contains(v, Mark) && !strings.HasPrefix(v, "<set to the key")
}

// replaceValue swaps the value at offset at of line l for Mark, keeping
// JSON quoting and a trailing comma.
func replaceValue(l string, at int, val string) string {
	comma := ""
	if strings.HasSuffix(val, ",") && strings.HasPrefix(val, `"`) {
		comma = ","
	}
	if strings.HasPrefix(val, `"`) {
		return l[:at] + `"` + Mark + `"` + comma
	}
	return l[:at] + Mark
}

// replaceNamed replaces submatch 2 of re where submatch 1 names a secret.
func replaceNamed(l string, re *regexp.Regexp, n *int) string {
	if !strings.ContainsAny(l, "=:") {
		return l
	}
	idx := re.FindAllStringSubmatchIndex(l, -1)
	if idx == nil {
		return l
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		name, vs, ve := l[m[2]:m[3]], m[4], m[5]
		v := strings.Trim(l[vs:ve], `"'`)
		if re == assignRe && !SecretName(name) || v == "" || strings.HasPrefix(l[vs:], Mark) || strings.HasPrefix(v, Mark) || strings.HasPrefix(v, "<") {
			continue
		}
		b.WriteString(l[last:vs])
		b.WriteString(Mark)
		last = ve
		*n++
	}
	if last == 0 {
		return l
	}
	b.WriteString(l[last:])
	return b.String()
}

// proseWord reports whether a line holds, in any case, a word proseRe
// looks for; it saves running the expression on most lines.
func proseWord(l string) bool {
	for i := 0; i+3 <= len(l); i++ {
		switch l[i] | 0x20 {
		case 'p', 's', 't', 'k':
			for _, w := range [...]string{"pass", "secret", "token", "key"} {
				if len(l)-i >= len(w) && strings.EqualFold(l[i:i+len(w)], w) {
					return true
				}
			}
		}
	}
	return false
}
