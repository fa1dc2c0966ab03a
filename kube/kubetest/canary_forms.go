package kubetest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// The formats secrets take inside values. Each builds a syntactically valid
// value around a canary, so that a detector that checks the format still
// sees the real thing.

// jwt returns a signed-looking JWT whose payload holds canary.
func (g *gen) jwt(canary string) string {
	enc := base64.RawURLEncoding
	head, _ := json.Marshal(map[string]string{"alg": "HS256", "typ": "JWT"})
	body, _ := json.Marshal(map[string]any{"sub": "system:serviceaccount:app:runner", "iat": 1767225600, "secret": canary})
	sig := make([]byte, 32)
	for i := range sig {
		sig[i] = byte(g.r.UintN(256))
	}
	return enc.EncodeToString(head) + "." + enc.EncodeToString(body) + "." + enc.EncodeToString(sig)
}

// pem returns a PEM block of the given type whose body holds canary (hex is
// valid base64) whole on one of its lines of 64 characters.
func (g *gen) pem(typ, canary string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	random := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[g.r.IntN(len(alphabet))]
		}
		return string(b)
	}
	var out strings.Builder
	fmt.Fprintf(&out, "-----BEGIN %s-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC%s\n", typ, random(32))
	lines, at := 3+g.r.IntN(4), g.r.IntN(3)
	for i := range lines {
		if i == at {
			before := g.r.IntN(64 - len(canary) + 1)
			out.WriteString(random(before) + canary + random(64-len(canary)-before) + "\n")
			continue
		}
		out.WriteString(random(64) + "\n")
	}
	fmt.Fprintf(&out, "%s=\n-----END %s-----\n", random(g.r.IntN(60)+3), typ)
	return out.String()
}

// userinfoURL returns a connection URL with canary as the password.
func (g *gen) userinfoURL(canary string) string {
	scheme := g.pick("postgres", "mysql", "redis", "amqp", "mongodb")
	return fmt.Sprintf("%s://app:%s@db-%s.internal:5432/app", scheme, canary, g.hex(4))
}

// s3URL returns an S3 pre-signed URL with canary as its signature.
func (g *gen) s3URL(canary string) string {
	return "https://reports-" + g.hex(6) + ".s3.amazonaws.com/export.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
		"&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20260101%2Fus-east-1%2Fs3%2Faws4_request" +
		"&X-Amz-Date=20260101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=" + canary
}

// gcsURL returns a GCS signed URL with canary as its signature.
func (g *gen) gcsURL(canary string) string {
	return "https://storage.googleapis.com/backups-" + g.hex(6) + "/db.dump?X-Goog-Algorithm=GOOG4-RSA-SHA256" +
		"&X-Goog-Credential=sa%40proj.iam.gserviceaccount.com%2F20260101%2Fauto%2Fstorage%2Fgoog4_request" +
		"&X-Goog-Date=20260101T000000Z&X-Goog-Expires=900&X-Goog-SignedHeaders=host&X-Goog-Signature=" + canary
}

// slackURL returns a Slack incoming-webhook URL whose secret path is canary.
func (g *gen) slackURL(canary string) string {
	return "https://hooks.slack.com/services/T" + strings.ToUpper(g.hex(8)) + "/B" + strings.ToUpper(g.hex(8)) + "/" + canary
}

// basic returns the base64 of user:canary, as an Authorization: Basic header carries it.
func basic(canary string) string {
	return base64.StdEncoding.EncodeToString([]byte("admin:" + canary))
}

// longPhrase returns a value of more than 120 characters with blanks, which
// a YAML printer folds onto several lines; word is near its end.
func (g *gen) longPhrase(word string) string {
	words := []string{"correct", "horse", "battery", "staple", "orbit", "lantern", "meadow", "copper", "signal", "harbor"}
	var b strings.Builder
	for b.Len() < 110 {
		b.WriteString(words[g.r.IntN(len(words))] + " ")
	}
	b.WriteString(word + " " + words[g.r.IntN(len(words))])
	return b.String()
}

// jsonOf encodes a document built by the generator, indented or compact.
func jsonOf(v any, indent bool) string {
	var b []byte
	if indent {
		b, _ = json.MarshalIndent(v, "", "  ")
	} else {
		b, _ = json.Marshal(v)
	}
	return string(b)
}
