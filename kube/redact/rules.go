package redact

import (
	"regexp"
	"strings"
)

// lines is the text being redacted, one element per line; drop marks lines
// that are removed when the text is put together again; names keeps the
// answers of secretKey for the call.
type lines struct {
	l     []string
	drop  []bool
	names map[string]bool
}

func (ls *lines) remove(i int) {
	if ls.drop == nil {
		ls.drop = make([]bool, len(ls.l))
	}
	ls.drop[i] = true
}

func (ls *lines) join() string {
	if ls.drop == nil {
		return strings.Join(ls.l, "\n")
	}
	kept := ls.l[:0:0]
	for i, l := range ls.l {
		if !ls.drop[i] {
			kept = append(kept, l)
		}
	}
	return strings.Join(kept, "\n")
}

// indent returns the number of leading spaces of a line.
func indent(s string) int {
	return len(s) - len(strings.TrimLeft(s, " "))
}

// keyIndent returns the column of a line's first key, stepping over a YAML
// list marker ("- "), and the text from there.
func keyIndent(s string) (int, string) {
	n := indent(s)
	body := s[n:]
	for strings.HasPrefix(body, "- ") {
		n += 2
		body = body[2:]
	}
	return n, body
}

var (
	yamlSecretKind = regexp.MustCompile(`^kind:\s*["']?Secret["']?\s*$`)
	jsonSecretKind = regexp.MustCompile(`^"kind":\s*"Secret",?\s*$`)
	jsonInline     = regexp.MustCompile(`"kind":\s*"Secret"`)
	jsonInlineData = regexp.MustCompile(`("(?:data|stringData)":\s*)\{(?:[^{}"]|"(?:[^"\\]|\\.)*")*\}`)
	lastAppliedKey = "kubectl.kubernetes.io/last-applied-configuration"
	lastAppliedRe  = regexp.MustCompile(`("kubectl\.kubernetes\.io/last-applied-configuration\\?":\s*)\\?"(?:[^"\\]|\\.)*"`)
)

// secretBlocks replaces the values under data and stringData of every
// Secret object written as indented YAML or JSON, or as one-line JSON.
func (ls *lines) secretBlocks() int {
	n := 0
	for i, l := range ls.l {
		if !strings.Contains(l, "Secret") {
			continue
		}
		ind, body := keyIndent(l)
		switch {
		case yamlSecretKind.MatchString(body):
			n += ls.secretObject(i, ind, false)
		case jsonSecretKind.MatchString(body):
			n += ls.secretObject(i, ind, true)
		case jsonInline.MatchString(l):
			ls.l[i] = jsonInlineData.ReplaceAllStringFunc(l, func(m string) string {
				n++
				k := m[:strings.IndexByte(m, ':')+1]
				return k + ` "` + Mark + `"`
			})
		}
	}
	return n
}

// secretObject redacts the data of the object whose "kind: Secret" line is
// at index at, with its keys at column ind.
func (ls *lines) secretObject(at, ind int, json bool) int {
	start := at
	for start > 0 {
		prev := ls.l[start-1]
		if strings.TrimSpace(prev) == "" {
			start--
			continue
		}
		if indent(prev) < ind {
			if k, _ := keyIndent(prev); !json && k == ind {
				start-- // "- apiVersion: v1", the first key of a list item
			}
			break
		}
		start--
	}
	end := at + 1
	for end < len(ls.l) {
		l := ls.l[end]
		if strings.TrimSpace(l) != "" && (indent(l) < ind || !json && l == "---") {
			break
		}
		end++
	}
	n := 0
	for i := start; i < end; i++ {
		k, body := keyIndent(ls.l[i])
		if k != ind {
			continue
		}
		var key string
		switch {
		case !json && (strings.HasPrefix(body, "data:") || strings.HasPrefix(body, "stringData:")):
			key, _, _ = strings.Cut(body, ":")
		case json && (strings.HasPrefix(body, `"data":`) || strings.HasPrefix(body, `"stringData":`)):
			key, _, _ = strings.Cut(body[1:], `"`)
		default:
			continue
		}
		n += ls.secretData(i, k, end, json, key == "data")
	}
	return n
}

// secretData replaces the entries of the data map opened on line at.
func (ls *lines) secretData(at, ind, end int, json, encoded bool) int {
	_, rest, _ := strings.Cut(ls.l[at], ":")
	rest = strings.TrimSpace(rest)
	if rest != "" && rest != "{" {
		if rest == "{}" || rest == "{}," || rest == "null" || rest == "null," || strings.Contains(rest, Mark) {
			return 0
		}
		comma := ""
		if json && strings.HasSuffix(rest, ",") {
			comma = ","
		}
		ls.l[at] = ls.l[at][:strings.IndexByte(ls.l[at], ':')+1] + ` "` + Mark + `"` + comma
		return 1
	}
	n, child := 0, -1
	for i := at + 1; i < end; i++ {
		l := ls.l[i]
		if strings.TrimSpace(l) == "" {
			continue
		}
		in := indent(l)
		if in <= ind {
			break
		}
		if child < 0 {
			child = in
		}
		if in > child {
			ls.remove(i) // continuation of a multi-line value
			continue
		}
		colon := keyEnd(l, json)
		if colon < 0 {
			continue
		}
		val := strings.TrimSpace(l[colon+1:])
		if strings.Contains(val, Mark) {
			continue
		}
		comma := ""
		if json {
			var hasComma bool
			if val, hasComma = strings.CutSuffix(val, ","); hasComma {
				comma = ","
			}
			val = strings.Trim(val, `"`)
		}
		size := len(val)
		if encoded {
			size = decodedLen(val)
		}
		ls.l[i] = l[:colon+1] + ` "` + Size(size) + `"` + comma
		n++
	}
	return n
}

// keyEnd returns the index of the colon ending the key of a "key: value"
// line, or -1.
func keyEnd(l string, json bool) int {
	if json {
		t := strings.TrimLeft(l, " ")
		if !strings.HasPrefix(t, `"`) {
			return -1
		}
		q := strings.Index(t[1:], `":`)
		if q < 0 {
			return -1
		}
		return len(l) - len(t) + q + 2
	}
	return strings.Index(l, ":")
}

// decodedLen is the length of base64 data once decoded.
func decodedLen(s string) int {
	s = strings.TrimSpace(s)
	pad := len(s) - len(strings.TrimRight(s, "="))
	return len(s)/4*3 - pad + map[int]int{0: 0, 2: 1, 3: 2}[len(s)%4]
}

// lastApplied removes the value of the last-applied-configuration
// annotation, which repeats every field of the object as it was applied.
func (ls *lines) lastApplied() int {
	n := 0
	for i := 0; i < len(ls.l); i++ {
		l := ls.l[i]
		col := strings.Index(l, lastAppliedKey)
		if col < 0 || strings.Contains(l[col:], Mark) {
			continue
		}
		if strings.Contains(l, lastAppliedKey+`":`) || strings.Contains(l, lastAppliedKey+`\":`) {
			ls.l[i] = lastAppliedRe.ReplaceAllStringFunc(l, func(m string) string {
				n++
				k := m[:strings.Index(m, ":")+1]
				if strings.HasSuffix(k, `\":`) {
					return k + `\"` + Mark + `\"`
				}
				return k + ` "` + Mark + `"`
			})
			continue
		}
		ls.l[i] = l[:col+len(lastAppliedKey)] + ": " + Mark
		n++
		for j := i + 1; j < len(ls.l); j++ {
			next := ls.l[j]
			if strings.TrimSpace(next) == "" || indent(next) <= col {
				break
			}
			ls.remove(j)
			i = j
		}
	}
	return n
}
