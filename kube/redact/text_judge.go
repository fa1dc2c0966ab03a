package redact

import "strings"

// The judgements of the text layer: whether what follows a secret-looking
// name is its value, and which values under such names are still no secret.

// kvValue reports whether v, found after a secret-looking word and a
// blank, is its value rather than the next word of a sentence. After a
// tab or "=" (strong) everything but trivial values is; after a space only
// what looks generated: letters with digits (hunter2), symbols, long
// numbers or long mixed-case strings, and not a Kubernetes name, path,
// address, version or duration.
func kvValue(v string, strong bool) bool {
	if v == "" || strings.HasPrefix(v, Mark) || varRef(v) {
		return false
	}
	switch strings.ToLower(v) {
	case "true", "false", "null", "nil", "none", "yes", "no", "on", "off", "n/a", "-", "--":
		return false
	}
	var lower, upper, digits, seps, other int
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c >= 'a' && c <= 'z':
			lower++
		case c >= 'A' && c <= 'Z':
			upper++
		case c >= '0' && c <= '9':
			digits++
		case c == '-' || c == '.' || c == '_' || c == '/':
			seps++
		default:
			other++
		}
	}
	if digits == len(v) {
		return len(v) >= 8 || strong && len(v) >= 4
	}
	if strong {
		return !durationLike(v)
	}
	switch {
	case len(v) < 5:
		return false
	case other > 0:
		return strings.Trim(v, "*x") != "" // not a mask
	case digits == 0:
		return len(v) >= 20 && lower > 0 && upper > 0 && seps == 0
	case seps > 0 && upper == 0, durationLike(v):
		return false
	}
	return true
}

// durationLike reports whether v is a number with a unit: 30s, 1h30m, 512Mi.
func durationLike(v string) bool {
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.') {
		i++
	}
	if i == 0 {
		return false
	}
	switch v[i:] {
	case "ms", "s", "m", "h", "d", "us", "ns", "Mi", "Gi", "Ki", "M", "G", "K", "%", "x":
		return true
	}
	return strings.ContainsAny(v[i:i+1], "hm") && strings.Trim(v, "0123456789.hms") == ""
}

// pathLike reports whether v is an absolute path under a usual root, which
// after a secret-looking flag names a file, not a secret:
// --authorization-kubeconfig=/etc/kubernetes/controller-manager.conf.
func pathLike(v string) bool {
	for _, root := range []string{"/etc/", "/var/", "/run/", "/home/", "/opt/", "/usr/", "/tmp/", "/srv/", "/mnt/", "/secrets/", "/config/", "/vault/"} {
		if strings.HasPrefix(v, root) {
			return strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-") == ""
		}
	}
	return false
}

// varRef reports whether v refers to a shell or template variable ($X,
// ${X}) rather than holding a value.
func varRef(v string) bool {
	if !strings.HasPrefix(v, "$") || len(v) < 2 {
		return false
	}
	name := strings.TrimSuffix(strings.TrimPrefix(v[1:], "{"), "}")
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		return false
	}
	return strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == ""
}

// authScheme reports whether v is the scheme word of an Authorization value.
func authScheme(v string) bool {
	for _, s := range authSchemes {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// plainValue reports whether v, under a secret-looking name, is still no
// secret: a count of tokens (max_tokens=512, tokens=100), or the object a
// "secret" key names in controller logs (secret="kube-system/bootstrap-token-x",
// secret=db-creds): a Kubernetes name with a separator, or namespace/name.
func plainValue(name, v string) bool {
	v = strings.Trim(v, `"'`)
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, "tokens") && len(v) <= 7 && strings.Trim(v, "0123456789") == "":
		return v != ""
	case lower == "secret" || lower == "secrets":
		for _, part := range strings.Split(v, ",") {
			if !objectRef(part) {
				return false
			}
		}
		return true
	}
	return false
}

// objectRef reports whether v names a Kubernetes object with at least one
// separator: db-creds, web.tls, kube-system/bootstrap-token-abcdef.
func objectRef(v string) bool {
	if v == "" || len(v) > 253 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz0123456789-./") != "" {
		return false
	}
	ns, name, _ := strings.Cut(v, "/")
	if name == "" {
		name = ns
	}
	return strings.ContainsAny(name, "-.") && strings.Trim(name, "0123456789-.") != "" &&
		strings.Count(v, "/") <= 1 && !strings.HasPrefix(v, "-") && !strings.HasSuffix(v, "-")
}

// assignment reports whether v is itself NAME=VALUE (the next field of the
// line), not base64 padding.
func assignment(v string) bool {
	i := strings.IndexByte(v, '=')
	return i > 0 && strings.TrimRight(v[i:], "=") != ""
}

// proseGoesOn reports whether the text after a value found by proseRe at
// end continues a sentence with a lower-case word, and the value is itself
// a lower-case word: "failed to fetch token: serviceaccounts "api" is
// forbidden" holds no token.
func proseGoesOn(view string, end int) bool {
	if end+1 >= len(view) || view[end] != ' ' {
		return false
	}
	if c := view[end+1]; !(c >= 'a' && c <= 'z' || c == '"') {
		return false
	}
	s := end - 1
	for s >= 0 && view[s] >= 'a' && view[s] <= 'z' {
		s--
	}
	return s >= 0 && end-s > 1 && (view[s] == ' ' || view[s] == ':')
}
