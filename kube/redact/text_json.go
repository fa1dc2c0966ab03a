package redact

import "strings"

// jsonSpans adds the values held under secret-looking quoted keys anywhere
// in l: {"password":"x"}, "client_secret": "x", numbers and flat arrays,
// the same escaped inside a JSON string ({\"password\":\"x\"}), and the
// "value" that follows a "name" that looks secret on the same line
// ({"name":"PGPASSWORD","value":"x"}). The scheme word of an Authorization
// value stays ("Basic [REDACTED]").
//
// A value the YAML printer folded onto the next line is followed there:
// c says what the line before left open, and jsonSpans sets it for the next.
func (ls *lines) jsonSpans(l string, sp []span, c *carry) []span {
	pendingValue := false
	open := *c
	*c = carry{}
	if open.value || open.str {
		start := len(l) - len(strings.TrimLeft(l, " \t"))
		if start == len(l) {
			return sp
		}
		var end int
		if open.str {
			sp, end = stringRest(l, start, open.esc, sp, c)
		} else {
			sp, end = jsonValue(l, start, open.esc, sp, c)
		}
		return ls.jsonKeys(l, end, sp, c, pendingValue)
	}
	return ls.jsonKeys(l, 0, sp, c, pendingValue)
}

// carry is what a line leaves open for the next one: the value of a secret
// key not yet begun (value) or a secret string not yet closed (str), and
// whether it is escaped inside a JSON string (esc).
type carry struct{ value, str, esc bool }

// jsonKeys scans l from offset i for quoted keys (see jsonSpans).
func (ls *lines) jsonKeys(l string, i int, sp []span, co *carry, pendingValue bool) []span {
	for i < len(l) {
		c := strings.IndexByte(l[i:], ':')
		if c < 0 {
			break
		}
		c += i
		i = c + 1
		key, esc, ok := quotedKey(l, c)
		if !ok {
			continue
		}
		v := c + 1
		for v < len(l) && (l[v] == ' ' || l[v] == '\t') {
			v++
		}
		if v >= len(l) {
			if key != "name" && (key == "value" && pendingValue || ls.secretKey(key)) {
				*co = carry{value: true, esc: esc}
			}
			break
		}
		if key == "name" {
			if s, e, ok := jsonString(l, v, esc); ok {
				pendingValue = ls.secretKey(l[s:e])
			}
			continue
		}
		if !(key == "value" && pendingValue) && !ls.secretKey(key) {
			continue
		}
		if s, e, ok := jsonString(l, v, esc); ok && plainValue(key, l[s:e]) ||
			!ok && plainValue(key, l[v:bareEnd(l, v)]) {
			continue
		}
		pendingValue = false
		if strings.HasPrefix(l[v:], Mark) || strings.HasPrefix(l[v:], `"`+Mark) || strings.HasPrefix(l[v:], `\"`+Mark) {
			continue
		}
		var end int
		sp, end = jsonValue(l, v, esc, sp, co)
		i = max(i, end)
	}
	return sp
}

// stringRest adds the span of the rest of a string begun on a line before,
// from start to the quote that closes it.
func stringRest(l string, start int, esc bool, sp []span, co *carry) ([]span, int) {
	open := `"`
	if esc {
		open = `\"`
	}
	s, e, _ := jsonString(open+l[start:], 0, esc)
	s, e = s-len(open)+start, e-len(open)+start
	if e == len(l) {
		*co = carry{str: true, esc: esc}
	}
	return append(sp, span{s, e}), e
}

// quotedKey returns the key whose closing quote comes right before the
// colon at c ("key": and not "db-creds" : secret, which is prose),
// and whether it was escaped (\"key\":).
func quotedKey(l string, c int) (key string, esc, ok bool) {
	if c < 2 || l[c-1] != '"' {
		return "", false, false
	}
	end := c - 1
	esc = l[end-1] == '\\'
	if esc {
		end--
	}
	start := strings.LastIndexByte(l[:end], '"')
	if start < 0 || esc != (start > 0 && l[start-1] == '\\') {
		return "", false, false
	}
	key = l[start+1 : end]
	if key == "" || len(key) > 128 || strings.ContainsAny(key, "\\ {}") {
		return "", false, false
	}
	return key, esc, true
}

// jsonValue adds the span of the JSON value starting at v: the inside of a
// string, each element of a flat array, or a bare scalar other than true,
// false and null. It returns the offset after the value.
func jsonValue(l string, v int, esc bool, sp []span, co *carry) ([]span, int) {
	if s, e, ok := jsonString(l, v, esc); ok {
		if e == len(l) {
			*co = carry{str: true, esc: esc}
		}
		return append(sp, schemeKept(l, s, e)), e
	}
	if l[v] == '{' {
		return sp, v + 1 // nested keys are found on their own
	}
	if l[v] != '[' {
		e := bareEnd(l, v)
		switch l[v:e] {
		case "", "true", "false", "null":
			return sp, e
		}
		return append(sp, span{v, e}), e
	}
	i := v + 1
	for i < len(l) {
		for i < len(l) && (l[i] == ' ' || l[i] == ',') {
			i++
		}
		if i >= len(l) || l[i] == ']' || l[i] == '{' || l[i] == '[' {
			return sp, i
		}
		if s, e, ok := jsonString(l, i, esc); ok {
			sp = append(sp, span{s, e})
			i = e + 1
			if esc {
				i++
			}
			continue
		}
		e := bareEnd(l, i)
		if e == i {
			return sp, i
		}
		sp = append(sp, span{i, e})
		i = e
	}
	return sp, i
}

// jsonString returns the inside [s, e) of the string opening at v ("…", or
// \"…\" when esc), up to the quote that closes it, or to the end of the
// line when nothing does (a cut line).
func jsonString(l string, v int, esc bool) (s, e int, ok bool) {
	open := `"`
	if esc {
		open = `\"`
	}
	if !strings.HasPrefix(l[v:], open) {
		return 0, 0, false
	}
	s = v + len(open)
	for i := s; i < len(l); i++ {
		if l[i] != '"' {
			continue
		}
		bs := 0
		for j := i - 1; j >= s && l[j] == '\\'; j-- {
			bs++
		}
		// A closing quote is preceded by an even run of backslashes; one
		// escaped once more (inside a JSON string) by a run of 4k+1.
		if !esc && bs%2 == 0 {
			return s, i, true
		}
		if esc && bs%4 == 1 {
			return s, i - 1, true
		}
	}
	return s, len(l), true
}

// bareEnd returns the end of an unquoted JSON scalar starting at v.
func bareEnd(l string, v int) int {
	e := v
	for e < len(l) && !strings.ContainsRune(",}] \t\"\\", rune(l[e])) {
		e++
	}
	return e
}

// schemeKept returns the span [s, e) without a leading Authorization scheme
// word: "Basic abc" keeps "Basic ".
func schemeKept(l string, s, e int) span {
	word, _, found := strings.Cut(l[s:e], " ")
	if found && authScheme(word) {
		return span{s + len(word) + 1, e}
	}
	return span{s, e}
}
