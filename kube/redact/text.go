package redact

import (
	"regexp"
	"sort"
	"strings"
)

// span is the byte range [start, end) of a value to replace in one line.
type span struct{ start, end int }

var (
	// authRe finds the credentials of an Authorization header written in any
	// form: a header line, logfmt, a Go header map, quoted or escaped JSON.
	authRe = regexp.MustCompile(`(?i)\b(?:proxy-)?authorization\\?"?[ \t]*[:=][ \t]*\[?\\?"?[ \t]*(?:(?:basic|bearer|token|digest|negotiate|ntlm|apikey|key|sso-key|aws4-hmac-sha256|goog4-hmac-sha256)[ \t]+)?([^\s"'\\,;\[\]][^\s"'\\,;\]]*)`)
)

// authSchemes are the words that open an Authorization value; the
// credentials follow them and they stay readable.
var authSchemes = []string{"basic", "bearer", "token", "digest", "negotiate", "ntlm", "apikey", "sso-key", "aws4-hmac-sha256", "goog4-hmac-sha256"}

// textSecretKeys are keys that hold secrets in formats the text layer knows
// even though the name detector calls them references: the key identifier
// of a GCP service-account key file, and the Authorization header.
var textSecretKeys = map[string]bool{"private_key_id": true, "authorization": true, "proxy-authorization": true}

// secretKey reports whether a key or variable name met in text holds a
// secret. Answers are kept for the rest of the call: logs repeat their keys.
func (ls *lines) secretKey(name string) bool {
	if s, ok := ls.names[name]; ok {
		return s
	}
	s := SecretName(name) || textSecretKeys[strings.ToLower(name)]
	if ls.names == nil {
		ls.names = make(map[string]bool)
	}
	if len(ls.names) < 4096 {
		ls.names[name] = s
	}
	return s
}

// textLine redacts the values one line of free text holds anywhere in it:
// quoted JSON keys (also escaped inside a JSON string), NAME=VALUE,
// "password: x" in prose, "password x" and tab-separated pairs,
// Authorization headers, and, after an escaped newline, "key: value" as if
// the escape were a line break. It adds the values replaced to n; c carries
// a JSON value left open at the end of the line before (see jsonSpans).
func (ls *lines) textLine(l string, n *int, c *carry) string {
	var sp []span
	if c.value || c.str || strings.Contains(l, `":`) {
		sp = ls.jsonSpans(l, sp, c)
	}
	view, breaks := escapeView(l)
	if strings.IndexByte(l, '=') >= 0 {
		sp = ls.assignSpans(l, view, sp)
	}
	if secretFragment(l) {
		sp = ls.proseSpans(l, view, sp)
		sp = ls.kvSpans(l, view, sp)
		if hasFold(l, "authorization") {
			sp = authSpans(l, view, sp)
		}
	}
	for _, b := range breaks {
		sp = ls.segmentSpan(l, b, sp)
	}
	return applySpans(l, sp, n)
}

// escapeView returns l with each escaped line break (\n, \r) written as
// real newlines and each escaped tab (\t) as tabs, so the detectors see the
// text a JSON string holds; offsets are the same as in l. A break escaped
// more than once (\\n, a JSON string inside a JSON string) is a break too:
// the text nested deepest is the one that holds "password=x". An escaped
// backslash followed by another letter stays. breaks are the offsets just
// after each escaped line break.
func escapeView(l string) (string, []int) {
	if strings.IndexByte(l, '\\') < 0 {
		return l, nil
	}
	var b []byte
	var breaks []int
	for i := 0; i+1 < len(l); i++ {
		if l[i] != '\\' {
			continue
		}
		j := i
		for j < len(l) && l[j] == '\\' {
			j++
		}
		if j == len(l) {
			break
		}
		c := l[j]
		if c != 'n' && c != 'r' && c != 't' {
			i = j - 1
			continue
		}
		if b == nil {
			b = []byte(l)
		}
		fill := byte('\n')
		if c == 't' {
			fill = '\t'
		} else {
			breaks = append(breaks, j+1)
		}
		for k := i; k <= j; k++ {
			b[k] = fill
		}
		i = j
	}
	if b == nil {
		return l, nil
	}
	return string(b), breaks
}

// segmentSpan redacts "key: value" at the start of the text following an
// escaped line break at offset from, the way namedValues does at the start
// of a line. The value ends at the next escaped line break or at the quote
// that closes the JSON string, escaped once or more.
func (ls *lines) segmentSpan(l string, from int, sp []span) []span {
	end := len(l)
	for i := from; i < len(l); i++ {
		if l[i] == '"' {
			end = i
			break
		}
		if l[i] != '\\' {
			continue
		}
		j := i
		for j < len(l) && l[j] == '\\' {
			j++
		}
		if j < len(l) && (l[j] == 'n' || l[j] == 'r' || l[j] == '"') {
			end = i
			break
		}
		i = j
	}
	seg := l[from:end]
	body := strings.TrimLeft(seg, " \t")
	key, val, at, ok := splitKeyValue(body)
	if !ok || !ls.secretKey(key) || !redactable(val) {
		return sp
	}
	s := from + len(seg) - len(body) + at
	return append(sp, span{s, s + len(val)})
}

// assignSpans adds the values of NAME=VALUE, --flag=VALUE and
// NAME="VALUE" whose name looks secret: env dumps, flags, logfmt,
// connection strings. view is l with escapes opened (escapeView). It scans
// by hand; an expression costs most of the redactor's time on logfmt logs.
func (ls *lines) assignSpans(l, view string, sp []span) []span {
	for i := 0; i < len(view); {
		eq := strings.IndexByte(view[i:], '=')
		if eq < 0 {
			break
		}
		eq += i
		i = eq + 1
		ns := eq
		for ns > 0 && nameByte(view[ns-1]) {
			ns--
		}
		for ns < eq && !(view[ns] >= 'a' && view[ns] <= 'z' || view[ns] >= 'A' && view[ns] <= 'Z' || view[ns] == '_') {
			ns++ // a name starts with a letter or '_': "--password" is "password"
		}
		if ns == eq || ns > 0 && nameByte(view[ns-1]) && view[ns-1] != '-' {
			continue
		}
		vs, ve := eq+1, assignEnd(view, eq+1)
		if ve == vs {
			continue
		}
		i = ve
		name := view[ns:eq]
		v := strings.Trim(l[vs:ve], `"'`)
		if !ls.secretKey(name) || pathLike(v) || authScheme(v) || plainValue(name, v) ||
			v == "" || strings.HasPrefix(l[vs:], Mark) || strings.HasPrefix(v, Mark) || strings.HasPrefix(v, "<") || varRef(v) {
			continue
		}
		sp = append(sp, span{vs, ve})
	}
	return sp
}

// assignEnd returns the end of the value of an assignment starting at v: a
// double-quoted string with escapes, a single-quoted one, or a run up to a
// blank or punctuation.
func assignEnd(view string, v int) int {
	if v >= len(view) {
		return v
	}
	switch view[v] {
	case '"':
		for i := v + 1; i < len(view); i++ {
			switch view[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		// An unclosed quote is a value up to the next blank, as before.
	case '\'':
		if j := strings.IndexByte(view[v+1:], '\''); j >= 0 {
			return v + j + 2
		}
	}
	e := v
	for e < len(view) && strings.IndexByte(" \t\n\r\f\v,;&\"'])}", view[e]) < 0 {
		e++
	}
	return e
}

// proseSpans adds the values of "password: x", "token=x" inside a longer
// line of prose, unless a lower-case word is followed by more of the
// sentence (proseGoesOn).
func (ls *lines) proseSpans(l, view string, sp []span) []span {
	for _, m := range proseRe.FindAllStringSubmatchIndex(view, -1) {
		name, vs, ve := view[m[2]:m[3]], m[4], m[5]
		v := strings.Trim(l[vs:ve], `"'`)
		if plainValue(name, v) || proseGoesOn(view, ve) || v == "" || strings.HasPrefix(l[vs:], Mark) ||
			strings.HasPrefix(v, Mark) || strings.HasPrefix(v, "<") || varRef(v) {
			continue
		}
		sp = append(sp, span{vs, ve})
	}
	return sp
}

// kvSpans adds the value after a secret-looking word separated from it by
// blanks or a spaced "=": "password hunter2", "DB_PASSWORD<TAB>x",
// "aws_secret_access_key = x". A tab or "=" is taken as a key/value
// separator, a space only when the value looks like a secret (kvValue).
// It scans by hand: an expression over every line that names a key or a
// token costs more than the rest of the redactor.
func (ls *lines) kvSpans(l, view string, sp []span) []span {
	for i := 0; i < len(view); {
		at := nextFragment(view, i)
		if at < 0 {
			break
		}
		ns, ne := at, at
		for ns > 0 && nameByte(view[ns-1]) {
			ns--
		}
		for ne < len(view) && nameByte(view[ne]) {
			ne++
		}
		i = ne
		if ns > 0 && strings.IndexByte("=:/@", view[ns-1]) >= 0 {
			continue // the word is a value or a path, not a name
		}
		vs, strong := kvSeparator(view, ne)
		if vs < 0 {
			continue
		}
		ve := vs
		for ve < len(view) && strings.IndexByte(" \t\n\r\"',;)]}", view[ve]) < 0 {
			ve++
		}
		raw := l[vs:ve]
		v := strings.TrimRight(raw, ".:")
		name := view[ns:ne]
		if strings.HasSuffix(raw, ":") || strings.HasSuffix(raw, "=") || assignment(v) ||
			!ls.secretKey(name) || plainValue(name, v) || !kvValue(v, strong) {
			continue
		}
		sp = append(sp, span{vs, vs + len(v)})
		i = ve
	}
	return sp
}

// kvSeparator returns where the value after a name ending at i begins,
// and whether the separator is a strong one (tabs, or "=" with blanks
// around it); -1 when no blank-separated value follows.
func kvSeparator(view string, i int) (int, bool) {
	j := i
	tabs, blanks := 0, 0
	for j < len(view) && (view[j] == ' ' || view[j] == '\t') {
		if view[j] == '\t' {
			tabs++
		}
		blanks++
		j++
	}
	strong := tabs > 0 && tabs == blanks
	if j < len(view) && view[j] == '=' {
		k := j + 1
		for k < len(view) && (view[k] == ' ' || view[k] == '\t') {
			k++
		}
		if blanks == 0 && k == j+1 {
			return -1, false // NAME=VALUE is assignRe's
		}
		j, strong, blanks = k, true, 1
	}
	if blanks == 0 || j >= len(view) || strings.IndexByte("\"',;()[]{}<>\n\r", view[j]) >= 0 {
		return -1, false
	}
	return j, strong
}

// nameByte reports whether c may stand in a key or variable name.
func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-'
}

// fragments are the parts of secret-looking names secretFragment looks for.
var fragments = []string{"pass", "secret", "token", "key", "cred", "auth", "pw", "sig"}

// nextFragment returns the offset of the next fragment in l from i, in any
// case, or -1.
func nextFragment(l string, i int) int {
	for ; i+2 <= len(l); i++ {
		c := l[i] | 0x20
		if c != 'p' && c != 's' && c != 't' && c != 'k' && c != 'c' && c != 'a' {
			continue
		}
		for _, w := range fragments {
			if c == w[0] && len(l)-i >= len(w) && strings.EqualFold(l[i:i+len(w)], w) {
				return i
			}
		}
	}
	return -1
}

// authSpans adds the credentials of Authorization headers.
func authSpans(l, view string, sp []span) []span {
	for _, m := range authRe.FindAllStringSubmatchIndex(view, -1) {
		v := l[m[2]:m[3]]
		if authScheme(v) || strings.HasPrefix(v, Mark) || strings.Trim(v, "*") == "" {
			continue
		}
		sp = append(sp, span{m[2], m[3]})
	}
	return sp
}

// applySpans replaces the spans of l with Mark, joining those that overlap
// and keeping the escaped quotes around a value; n counts the values.
func applySpans(l string, sp []span, n *int) string {
	if len(sp) == 0 {
		return l
	}
	for i, s := range sp {
		sp[i] = trimEscapes(l, s)
	}
	sort.Slice(sp, func(i, j int) bool { return sp[i].start < sp[j].start })
	var b strings.Builder
	last := 0
	for i := 0; i < len(sp); i++ {
		s := sp[i]
		for i+1 < len(sp) && sp[i+1].start <= s.end {
			s.end = max(s.end, sp[i+1].end)
			i++
		}
		if s.start < last || s.end <= s.start || l[s.start:s.end] == Mark {
			continue
		}
		b.WriteString(l[last:s.start])
		b.WriteString(Mark)
		last = s.end
		*n++
	}
	if last == 0 {
		return l
	}
	b.WriteString(l[last:])
	return b.String()
}

// trimEscapes keeps an escaped quote pair (\"…\") around a value, and the
// backslash of an escaped quote that ends one.
func trimEscapes(l string, s span) span {
	if s.end-s.start >= 4 && strings.HasPrefix(l[s.start:], `\"`) && strings.HasSuffix(l[:s.end], `\"`) {
		return span{s.start + 2, s.end - 2}
	}
	if s.end > s.start && s.end < len(l) && l[s.end-1] == '\\' && l[s.end] == '"' {
		s.end--
	}
	return s
}

// secretFragment reports whether a line holds, in any case, a fragment of
// a secret-looking word; it saves running expressions on most lines.
func secretFragment(l string) bool { return nextFragment(l, 0) >= 0 }

// hasFold reports whether l holds one of words (in lower case) in any case.
func hasFold(l string, words ...string) bool {
	var first [256]bool
	for _, w := range words {
		first[w[0]], first[w[0]&^0x20] = true, true
	}
	for i := 0; i+2 <= len(l); i++ {
		if !first[l[i]] {
			continue
		}
		c := l[i] | 0x20
		for _, w := range words {
			if c == w[0] && len(l)-i >= len(w) && strings.EqualFold(l[i:i+len(w)], w) {
				return true
			}
		}
	}
	return false
}
