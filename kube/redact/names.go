package redact

import (
	"regexp"
	"strings"
)

var (
	// proseRe finds "password: VALUE" inside a longer line of text.
	proseRe = regexp.MustCompile(`(?i)\b(password|passwd|secret|token|api[_-]?key)\s*[:=]\s*("(?:[^"\\]|\\.)*"|'[^']*'|[^\s,;&"'<\[][^\s&]{2,})`)
)

// namedValues replaces the values of keys and variables with secret-looking
// names, in YAML, JSON, describe and NAME=VALUE form, including the value
// of an env entry whose name looks secret ("name: DB_PASSWORD" then
// "value: ...") and the lines a folded value continues on; then it runs
// the free-text detectors over each line (textLine).
func (ls *lines) namedValues() int {
	n := 0
	pending := -1 // key column of an env entry whose name looks secret
	var open carry
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
					ls.removeDeeper(i, ind)
				}
				pending = -1
			case key == "name":
				if ls.secretKey(strings.Trim(val, `"'`)) {
					pending = ind
				}
			case ls.secretKey(key) && val == "" && i+2 < len(ls.l) && ls.l[i+1] == "----" && ls.l[i+2] != Mark:
				n += ls.describedValue(i + 2)
			case ls.secretKey(key) && redactable(val) && !plainValue(key, strings.TrimSuffix(val, ",")):
				if w, rest, ok := strings.Cut(val, " "); ok && authScheme(w) && redactable(rest) {
					at, val = at+len(w)+1, rest // Authorization: Basic [REDACTED]
				}
				ls.l[i] = replaceValue(l, at, val)
				n++
				// A block scalar, or a long value the YAML printer folded
				// onto more indented lines, goes with its first line.
				ls.removeDeeper(i, ind)
			}
		}
		ls.l[i] = ls.textLine(ls.l[i], &n, &open)
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
	if key == "" || strings.ContainsAny(key, " \t{}[]\"") {
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
