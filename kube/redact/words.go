package redact

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

// sensitiveWords make a key or variable name secret-looking wherever they
// stand in it as a word of their own.
var sensitiveWords = map[string]bool{
	"password": true, "passwords": true, "passwd": true, "pwd": true, "pass": true, "pw": true,
	"passphrase": true, "secret": true, "secrets": true, "token": true, "tokens": true,
	"credential": true, "credentials": true, "creds": true, "apikey": true, "apikeys": true,
	"privatekey": true, "accesskey": true, "secretkey": true, "dsn": true, "cookie": true,
	"cookies": true, "authorization": true, "sas": true, "jwt": true, "otp": true,
}

// sensitiveParts make a name secret-looking wherever they stand in its
// letters, also inside a longer word: PGPASSWORD, MYSQLPASSWD, clientsecret.
var sensitiveParts = []string{"password", "passwd", "passphrase", "secret", "credential", "apikey", "privatekey", "accesskey", "secretkey"}

// sensitiveEnds make a name secret-looking when its letters end with them:
// GITHUBTOKEN, MYSQL_ROOTPWD. tokenizer and keyspace do not end so.
var sensitiveEnds = []string{"token", "tokens", "pwd"}

// referenceWords, as the last word of a name, mark a key that names or
// describes a secret rather than holding one: secretName, secretKeyRef,
// TOKEN_PATH, tokenExpirationSeconds. The value of such a key is kept only
// when it looks like a reference (see ReferenceValue).
var referenceWords = map[string]bool{
	"name": true, "names": true, "ref": true, "refs": true, "file": true, "files": true,
	"path": true, "dir": true, "ttl": true, "seconds": true, "secs": true, "expiration": true,
	"enabled": true, "disabled": true, "mount": true, "type": true, "length": true, "size": true,
	"count": true, "url": true, "uri": true, "endpoint": true, "header": true, "field": true,
	"id": true, "version": true, "namespace": true, "provider": true, "policy": true,
	"selector": true, "algorithm": true, "format": true, "kind": true, "mode": true,
	"period": true, "interval": true, "timeout": true, "duration": true, "port": true,
	"host": true, "user": true, "store": true, "source": true, "template": true, "class": true,
	"issuer": true, "audience": true, "audiences": true, "expiry": true,
	"location": true, "lifetime": true, "age": true, "rotation": true, "required": true,
	"min": true, "max": true, "minimum": true, "maximum": true, "regex": true, "pattern": true,
}

// plainKeyQualifiers, before a last word "key" or "keys", name a key that
// is no secret: PUBLIC_KEY, cacheKey, partition_key, ROUTING_KEY.
var plainKeyQualifiers = map[string]bool{
	"public": true, "pub": true, "cache": true, "partition": true, "sort": true, "primary": true,
	"foreign": true, "routing": true, "shard": true, "label": true, "annotation": true,
	"hash": true, "lookup": true, "group": true, "dedup": true, "dedupe": true, "idempotency": true,
	"object": true, "map": true, "dict": true, "index": true, "row": true, "column": true,
	"feature": true, "flag": true, "metric": true, "config": true, "field": true, "node": true,
	"topology": true, "unique": true, "composite": true, "range": true, "kms": true,
}

// NameKind says what a key or variable name tells about its value.
type NameKind int

// The kinds of names.
const (
	// Plain names say nothing: the value alone decides.
	Plain NameKind = iota
	// Secret names hold a secret: DB_PASSWORD, apiToken, API_KEYS, KEY.
	Secret
	// Reference names speak of a secret without holding one: secretName,
	// PASSWORD_FILE, TOKEN_TTL. Their value is kept when it looks like a
	// reference (ReferenceValue) and redacted otherwise.
	Reference
)

// String names the kind.
func (k NameKind) String() string {
	switch k {
	case Secret:
		return "secret"
	case Reference:
		return "reference"
	}
	return "plain"
}

// Name says whether a key or variable name holds a secret, refers to one,
// or says nothing. Words are split on punctuation and camel case.
//
// Secret: a word among password, passwd, pwd, pass, pw, passphrase,
// secret(s), token(s), credential(s), creds, apikey, privatekey, accesskey,
// secretkey, dsn, cookie, authorization, sas, jwt, otp; letters holding
// password, passwd, passphrase, secret, credential or apikey anywhere, or
// ending in token(s) or pwd (PGPASSWORD, GITHUBTOKEN); a last word auth,
// signature or salt; a last word key or keys (KEY, API_KEYS, signingKey)
// unless the word before it is a plain qualifier (PUBLIC_KEY, cacheKey,
// ROUTING_KEY); a webhook URL (SLACK_WEBHOOK_URL); a connection string.
//
// Reference: a secret-looking name whose last word names a property of the
// secret rather than its value: secretName, secretKeyRef, PASSWORD_FILE,
// TOKEN_TTL, tokenExpirationSeconds, *_KEY_ID (the identifier alone is
// harmless; a value in a known key format is still redacted by the text
// detectors).
func Name(name string) NameKind {
	words := splitWords(name)
	if len(words) == 0 {
		return Plain
	}
	last := words[len(words)-1]
	n := len(words)
	switch {
	case n == 1 && (last == "pwd" || last == "oldpwd"):
		return Reference // the shell's working directory

	case n >= 2 && (last == "url" || last == "uri") && words[n-2] == "webhook",
		n >= 2 && last == "string" && words[n-2] == "connection",
		last == "webhook" || last == "webhooks":
		return Secret
	case referenceWords[last]:
		if n > 1 && secretWords(words[:n-1]) {
			return Reference
		}
		return Plain
	case secretWords(words):
		return Secret
	}
	return Plain
}

// SecretName reports whether a key of a document or a line of text looks
// like it holds a secret (FieldName returns Secret): DB_PASSWORD, apiToken,
// client-secret, AWS_SECRET_ACCESS_KEY, private_key, PGPASSWORD, API_KEYS.
// Names that refer to a secret (secretName, secretKeyRef) do not, nor does
// a lone "key". Variables of a process are judged by Name, where KEY holds
// a secret.
func SecretName(name string) bool { return FieldName(name) == Secret }

// secretWords reports whether words make a secret-looking name.
func secretWords(words []string) bool {
	last := words[len(words)-1]
	switch last {
	case "auth", "signature", "salt":
		return true
	case "key", "keys":
		if len(words) == 1 || !plainKeyQualifiers[words[len(words)-2]] {
			return true
		}
	}
	joined := strings.Join(words, "")
	for _, w := range words {
		if sensitiveWords[w] {
			return true
		}
	}
	for _, p := range sensitiveParts {
		if strings.Contains(joined, p) {
			return true
		}
	}
	for _, e := range sensitiveEnds {
		if strings.HasSuffix(joined, e) {
			return true
		}
	}
	return false
}

// FieldName reports whether a field of a structured document (JSON, YAML,
// a custom resource's spec) holds a secret. It is Name without the lone
// word "key", which in Kubernetes objects names a map key or a label
// (secretKeyRef.key, matchExpressions[].key), never a secret.
func FieldName(name string) NameKind {
	switch strings.ToLower(name) {
	case "key", "keys":
		return Plain
	}
	return Name(name)
}

// ReferenceValue reports whether value looks like a reference to a secret rather
// than the secret itself: empty, a number, a duration, a boolean, a path, a
// Kubernetes object name, a URL without user information or query, or a
// short lower-case identifier.
func ReferenceValue(value string) bool {
	v := strings.TrimSpace(value)
	switch strings.ToLower(v) {
	case "", "true", "false", "yes", "no", "on", "off", "null", "none", "<none>", "<unset>":
		return true
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil {
		return true
	}
	if _, err := time.ParseDuration(v); err == nil {
		return true
	}
	if strings.HasPrefix(v, "/") || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "~/") {
		return !strings.ContainsAny(v, " \t") && len(v) <= 256
	}
	if i := strings.Index(v, "://"); i > 0 {
		rest := v[i+3:]
		host, _, _ := strings.Cut(rest, "/")
		return !strings.Contains(host, "@") && !strings.ContainsAny(rest, "?#") && !strings.ContainsAny(v, " \t")
	}
	return objectName(v)
}

// objectName reports whether s could be the name of a Kubernetes object or
// a header name: lower-case letters, digits, '-', '.' and '_', at most 63
// characters, with at least one letter and not only hex digits.
func objectName(s string) bool {
	if len(s) == 0 || len(s) > 63 {
		return false
	}
	letters, hexOnly := 0, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			letters++
			if c > 'f' {
				hexOnly = false
			}
		case c >= '0' && c <= '9', c == '-', c == '.', c == '_':
			if c == '-' || c == '.' || c == '_' {
				hexOnly = false
			}
		default:
			return false
		}
	}
	return letters > 0 && !(hexOnly && len(s) >= 16)
}

// splitWords splits a name on punctuation and camel case, in lower case.
func splitWords(s string) []string {
	var words []string
	rs := []rune(s)
	start := -1
	for i, r := range rs {
		alnum := unicode.IsLetter(r) || unicode.IsDigit(r)
		if !alnum {
			if start >= 0 {
				words = append(words, strings.ToLower(string(rs[start:i])))
				start = -1
			}
			continue
		}
		if start >= 0 && unicode.IsUpper(r) {
			prev := rs[i-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || unicode.IsUpper(prev) && nextLower {
				words = append(words, strings.ToLower(string(rs[start:i])))
				start = i
			}
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		words = append(words, strings.ToLower(string(rs[start:])))
	}
	return words
}
