package kube

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
)

// checkSelector refuses a value of -l that is not a label selector. The
// common forms (key, !key, key=value, key==value, key!=value, joined by
// commas) are recognised without apimachinery's parser, which costs a few
// microseconds a call; anything else is judged by that parser.
func checkSelector(s string) error {
	if simpleLabelSelector(s) {
		return nil
	}
	if _, err := labels.Parse(s); err != nil {
		return fmt.Errorf("-l %q is not a label selector: %w", s, err)
	}
	return nil
}

// checkFieldSelector refuses a value of --field-selector that is not a field
// selector. Without backslashes the rule is short: every non-empty term
// holds =, == or !=, and no = follows the operator. Values with escapes are
// judged by apimachinery's parser.
func checkFieldSelector(s string) error {
	if !strings.Contains(s, `\`) && simpleFieldSelector(s) {
		return nil
	}
	if _, err := fields.ParseSelector(s); err != nil {
		return fmt.Errorf("--field-selector %q is not a field selector: %w", s, err)
	}
	return nil
}

// simpleFieldSelector applies fields.ParseSelector's rules to a selector
// that holds no backslash.
func simpleFieldSelector(s string) bool {
	for rest := s; ; {
		term, more, comma := strings.Cut(rest, ",")
		if term != "" {
			i := strings.IndexAny(term, "=!")
			for i >= 0 && term[i] == '!' && !strings.HasPrefix(term[i:], "!=") {
				j := strings.IndexAny(term[i+1:], "=!")
				if j < 0 {
					i = -1
					break
				}
				i += 1 + j
			}
			if i < 0 {
				return false
			}
			value := term[i+1:]
			if term[i] == '!' || strings.HasPrefix(term[i:], "==") {
				value = term[i+2:]
			}
			if strings.IndexByte(value, '=') >= 0 {
				return false
			}
		}
		if !comma {
			return true
		}
		rest = more
	}
}

// simpleLabelSelector reports whether s is certainly a valid label selector
// in one of the common forms; false means "ask labels.Parse".
func simpleLabelSelector(s string) bool {
	if s == "" {
		return false
	}
	for rest := s; ; {
		term, more, comma := strings.Cut(rest, ",")
		if !simpleLabelTerm(term) {
			return false
		}
		if !comma {
			return true
		}
		rest = more
	}
}

// simpleLabelTerm reports whether term is certainly a valid requirement:
// key, !key, key=value, key==value or key!=value.
func simpleLabelTerm(term string) bool {
	if strings.HasPrefix(term, "!") {
		return labelKey(term[1:])
	}
	i := strings.IndexAny(term, "=!")
	if i < 0 {
		return labelKey(term)
	}
	key, value := term[:i], term[i+1:]
	switch {
	case term[i] == '!':
		if !strings.HasPrefix(value, "=") {
			return false
		}
		value = value[1:]
	case strings.HasPrefix(value, "="):
		value = value[1:]
	}
	return labelKey(key) && (value == "" || labelName(value))
}

// labelKey reports whether s is a label key: an optional DNS subdomain and
// a slash, then a name.
func labelKey(s string) bool {
	prefix, name, ok := strings.Cut(s, "/")
	if !ok {
		return labelName(s)
	}
	return dnsSubdomain(prefix) && labelName(name)
}

// labelName reports whether s is 1 to 63 letters, digits, '-', '_' or '.',
// beginning and ending with a letter or digit.
func labelName(s string) bool {
	return len(s) >= 1 && len(s) <= 63 && onlyBytes(s, true, "-_.") && alnum(s[0]) && alnum(s[len(s)-1])
}

// dnsSubdomain reports whether s is a DNS-1123 subdomain: at most 253 bytes
// of dot-separated labels of lower-case letters, digits and '-', each
// beginning and ending with a letter or digit.
func dnsSubdomain(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for rest := s; ; {
		part, more, dot := strings.Cut(rest, ".")
		if part == "" || !onlyBytes(part, false, "-") || part[0] == '-' || part[len(part)-1] == '-' {
			return false
		}
		if !dot {
			return true
		}
		rest = more
	}
}

// alnum reports whether c is an ASCII letter or digit.
func alnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
