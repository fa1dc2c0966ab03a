package kube

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// checkNamespace accepts a namespace name: 1 to 63 lower-case letters,
// digits and '-', not beginning or ending with '-'. Like every check here it
// is strict on purpose: a value we cannot vouch for is refused with a
// sentence the model can act on.
func checkNamespace(s string) error {
	if len(s) == 0 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' || !onlyBytes(s, false, "-") {
		return fmt.Errorf("%q is not a valid namespace name", s)
	}
	return nil
}

// checkName accepts an object name of letters, digits and -._:@.
func checkName(s string) error {
	if s == "" || s == "." || s == ".." || len(s) > 253 || !onlyBytes(s, true, "-._:@") {
		return fmt.Errorf("%q is not a valid object name", s)
	}
	return nil
}

// checkType accepts a resource type as typed: pods, deploy, foos.example.com.
func checkType(s string) error {
	if s == "" || s[0] == '.' || s[0] == '-' || len(s) > 253 || !onlyBytes(s, true, ".-") {
		return fmt.Errorf("%q is not a resource type; list types with api-resources", s)
	}
	return nil
}

// checkTypeName accepts TYPE/NAME.
func checkTypeName(s string) error {
	t, n, ok := strings.Cut(s, "/")
	if !ok {
		return fmt.Errorf("%q should be TYPE/NAME, e.g. pod/web-1", s)
	}
	if err := checkType(t); err != nil {
		return err
	}
	return checkName(n)
}

// checkGroup accepts an API group or group/version.
func checkGroup(s string) error {
	if s == "" || !onlyBytes(s, false, ".-/") {
		return fmt.Errorf("%q is not an API group", s)
	}
	return nil
}

// checkWordList accepts comma-separated words of letters and '-'.
func checkWordList(s string) error {
	for _, w := range strings.Split(s, ",") {
		if w == "" || strings.ContainsFunc(w, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '-')
		}) {
			return fmt.Errorf("%q is not a comma-separated list of words", s)
		}
	}
	return nil
}

// checkLabelKeys accepts comma-separated label keys.
func checkLabelKeys(s string) error {
	for _, w := range strings.Split(s, ",") {
		if w == "" || !onlyBytes(w, true, "-._/") {
			return fmt.Errorf("%q is not a comma-separated list of label keys", s)
		}
	}
	return nil
}

// checkEventTypes accepts Normal, Warning or both, comma-separated.
func checkEventTypes(s string) error {
	for _, w := range strings.Split(s, ",") {
		if !strings.EqualFold(w, "Normal") && !strings.EqualFold(w, "Warning") {
			return fmt.Errorf("--types takes Normal, Warning or Normal,Warning, got %q", s)
		}
	}
	return nil
}

// checkInt accepts a whole number of at least min.
func checkInt(s string, min int64) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < min {
		return fmt.Errorf("%q is not a whole number of at least %d", s, min)
	}
	return nil
}

// checkNonNegative, checkPositive and checkTail accept whole numbers from
// 0, from 1 and from -1 (kubectl's "all lines").
func checkNonNegative(s string) error { return checkInt(s, 0) }
func checkPositive(s string) error    { return checkInt(s, 1) }
func checkTail(s string) error        { return checkInt(s, -1) }

// checkSince accepts a positive duration such as 5m.
func checkSince(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("--since takes a duration such as 5m or 1h, got %q", s)
	}
	return nil
}

// checkSinceTime accepts an RFC 3339 time.
func checkSinceTime(s string) error {
	if _, err := time.Parse(time.RFC3339, s); err != nil {
		return fmt.Errorf("--since-time takes an RFC 3339 time such as 2026-01-02T15:04:05Z, got %q", s)
	}
	return nil
}

// onlyBytes reports whether every byte of s is a lower-case ASCII letter, a
// digit, an upper-case letter when upper is set, or one of extra (ASCII).
// A multi-byte rune never passes.
func onlyBytes(s string, upper bool, extra string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case upper && c >= 'A' && c <= 'Z':
		default:
			if strings.IndexByte(extra, c) < 0 {
				return false
			}
		}
	}
	return true
}
