package redact

import (
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	r := New()
	tests := []struct {
		name  string
		in    string
		gone  []string // must not appear in the output
		kept  []string // must still appear
		count int      // minimum number of redactions
	}{
		{
			name: "secret yaml",
			in: `apiVersion: v1
data:
  password: Y2FuYXJ5LXNlY3JldA==
  username: YWRtaW4=
kind: Secret
metadata:
  name: db
type: Opaque`,
			gone:  []string{"Y2FuYXJ5LXNlY3JldA==", "YWRtaW4="},
			kept:  []string{"password: \"[REDACTED] 13 bytes\"", "username: \"[REDACTED] 5 bytes\"", "name: db", "type: Opaque"},
			count: 2,
		},
		{
			name: "secret stringData multi-line",
			in: `kind: Secret
stringData:
  config.yaml: |
    user: admin
    pass: hunter22
  plain: canary-string
metadata:
  name: x`,
			gone: []string{"hunter22", "canary-string", "user: admin"},
			kept: []string{"config.yaml:", "plain:", "name: x"},
		},
		{
			name: "secret in list",
			in: `apiVersion: v1
items:
- apiVersion: v1
  data:
    token: c2VjcmV0dG9rZW4=
  kind: Secret
  metadata:
    name: a
- apiVersion: v1
  data:
    config: not-a-secret-value
  kind: ConfigMap
  metadata:
    name: b
kind: List`,
			gone: []string{"c2VjcmV0dG9rZW4="},
			kept: []string{"config: not-a-secret-value", "name: a", "name: b"},
		},
		{
			name: "secret json",
			in: `{
    "apiVersion": "v1",
    "data": {
        "ca.crt": "Zm9vYmFy",
        "key": "c2VjcmV0"
    },
    "kind": "Secret",
    "metadata": {
        "name": "db"
    }
}`,
			gone: []string{"Zm9vYmFy", "c2VjcmV0"},
			kept: []string{`"ca.crt": "[REDACTED] 6 bytes",`, `"key": "[REDACTED] 6 bytes"`, `"name": "db"`},
		},
		{
			name: "secret compact json",
			in:   `{"apiVersion":"v1","data":{"password":"Y2FuYXJ5"},"kind":"Secret","metadata":{"name":"db"}}`,
			gone: []string{"Y2FuYXJ5"},
			kept: []string{`"name":"db"`},
		},
		{
			name: "last applied yaml",
			in: `metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"v1","data":{"password":"Y2FuYXJ5"},"kind":"Secret"}
    other: kept
  name: db`,
			gone: []string{"Y2FuYXJ5"},
			kept: []string{"other: kept", "name: db"},
		},
		{
			name: "last applied json",
			in:   `        "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"v1\",\"stringData\":{\"p\":\"canary\"}}\n",`,
			gone: []string{"canary"},
		},
		{
			name: "last applied describe",
			in: `Annotations:  deployment.kubernetes.io/revision: 1
              kubectl.kubernetes.io/last-applied-configuration:
                {"apiVersion":"apps/v1","kind":"Deployment","spec":{"env":[{"name":"X","value":"canary"}]}}
              other: yes
Selector:     app=web`,
			gone: []string{"canary"},
			kept: []string{"other: yes", "Selector:     app=web", "revision: 1"},
		},
		{
			name: "env yaml",
			in: `    env:
    - name: DB_PASSWORD
      value: canary-env
    - name: LOG_LEVEL
      value: debug`,
			gone: []string{"canary-env"},
			kept: []string{"value: debug", "name: DB_PASSWORD"},
		},
		{
			name: "env json",
			in: `"env": [
    {
        "name": "API_TOKEN",
        "value": "canary-json"
    },
    {
        "name": "MODE",
        "value": "fast"
    }
]`,
			gone: []string{"canary-json"},
			kept: []string{`"value": "fast"`},
		},
		{
			name: "describe env",
			in: `    Environment:
      DB_PASSWORD:  canary-describe
      FROM_SECRET:  <set to the key 'password' in secret 'db'>  Optional: false
      MODE:         fast`,
			gone: []string{"canary-describe"},
			kept: []string{"<set to the key 'password' in secret 'db'>", "MODE:         fast"},
		},
		{
			name: "describe configmap",
			in: `Data
====
api_token:
----
canary-cm
second line

mode:
----
fast

BinaryData
====`,
			gone: []string{"canary-cm", "second line"},
			kept: []string{"mode:", "fast", "BinaryData"},
		},
		{
			name: "references stay",
			in: `      secretName: db-creds
      secretKeyRef:
        key: password
        name: db
      automountServiceAccountToken: false
      tokenExpirationSeconds: 3600`,
			kept: []string{"secretName: db-creds", "key: password", "name: db", "tokenExpirationSeconds: 3600"},
		},
		{
			name: "assignments",
			in:   `starting with DB_PASSWORD=hunter2 MODE=fast --api-key=abc123 password: s3cr3t!`,
			gone: []string{"hunter2", "abc123", "s3cr3t!"},
			kept: []string{"MODE=fast"},
		},
		{
			name: "tokens and keys",
			in: `Authorization: Bearer abcdefghijklmnop
jwt eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.eyJpc3MiOiJrdWJlcm5ldGVzIn0.c2lnbmF0dXJl
aws AKIAIOSFODNN7EXAMPLE gcp AIzaSyA1234567890abcdefghijklmnopqrstuv
url postgres://app:hunter3@db:5432/app
DefaultEndpointsProtocol=https;AccountName=x;AccountKey=c2VjcmV0a2V5c2VjcmV0a2V5;
gh ghp_abcdefghijklmnopqrstuvwxyz0123456789 openai sk-proj-abcdefghijklmnopqrstuvwx`,
			gone: []string{"abcdefghijklmnop", "eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9", "AKIAIOSFODNN7EXAMPLE", "AIzaSyA", "hunter3",
				"c2VjcmV0a2V5c2VjcmV0a2V5", "ghp_", "sk-proj"},
			kept: []string{"AccountName=x", "@db:5432/app"},
		},
		{
			name: "pem",
			in: `tls.key: |
  -----BEGIN PRIVATE KEY-----
  MIIEvQIBADANBgkqhkiG9w0BAQEFAASC
  -----END PRIVATE KEY-----
ca: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
b64: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t`,
			gone: []string{"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "MIIB", "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"},
		},
		{
			name: "plain output untouched",
			in: `NAME    READY   STATUS    RESTARTS   AGE
web-1   1/1     Running   0          5m`,
			kept: []string{"web-1   1/1     Running   0          5m"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, n := r.Redact(tt.in)
			checkGoneKept(t, out, tt.gone, tt.kept)
			if n < tt.count || len(tt.gone) > 0 && n == 0 {
				t.Errorf("count = %d, want at least %d", n, max(tt.count, 1))
			}
			if len(tt.gone) == 0 && n != 0 {
				t.Errorf("count = %d for text with no secrets:\n%s", n, out)
			}
			again, n2 := r.Redact(out)
			if again != out || n2 != 0 {
				t.Errorf("redacting twice changed the text (%d more):\n%s", n2, again)
			}
		})
	}
}

func TestSecretName(t *testing.T) {
	yes := []string{"DB_PASSWORD", "password", "apiToken", "client-secret", "AWS_SECRET_ACCESS_KEY", "private_key",
		"API_KEY", "apikey", "GITHUB_TOKEN", "db.pass", "BASIC_AUTH", "credentials", "SSH_PRIVATE_KEY", "dbPassword"}
	no := []string{"secretName", "secretKeyRef", "key", "name", "TOKEN_PATH", "tokenExpirationSeconds", "MODE",
		"LOG_LEVEL", "serviceAccountName", "keyring", "monkey", "PASSWORD_FILE", "AWS_ACCESS_KEY_ID", "token_url"}
	for _, s := range yes {
		if !SecretName(s) {
			t.Errorf("SecretName(%q) = false, want true", s)
		}
	}
	for _, s := range no {
		if SecretName(s) {
			t.Errorf("SecretName(%q) = true, want false", s)
		}
	}
}

func TestTerminal(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain\ttext\n", "plain\ttext\n"},
		{"\x1b[31mred\x1b[0m", "red"},
		{"\x1b]0;evil title\x07after", "after"},
		{"\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"},
		{"\x1b]52;c;ZXZpbA==\x07x", "x"},
		{"bell\x07", `bell\x07`},
		{"over\rwrite", `over\rwrite`},
		{"crlf\r\nline", "crlf\nline"},
		{"bidi\u202eevil", `bidi\u202eevil`},
		{"c1\u009b31mx", "c1x"},
		{"bad\xffutf8", "bad\ufffdutf8"},
		{"日本語", "日本語"},
		{"\x1b]0;unterminated\nnext", "\nnext"},
		{"\x1b[1;31", ""},
		{"del\x7f", `del\x7f`},
	}
	for _, tt := range tests {
		if got := Terminal(tt.in); got != tt.want {
			t.Errorf("Terminal(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzTerminal(f *testing.F) {
	f.Add("\x1b[31mred\x1b]0;t\x07\u202e")
	f.Fuzz(func(t *testing.T, s string) {
		out := Terminal(s)
		for i := 0; i < len(out); i++ {
			if c := out[i]; c == 0x1b || c < 0x20 && c != '\n' && c != '\t' || c == 0x7f {
				t.Fatalf("Terminal(%q) kept control byte %#x: %q", s, c, out)
			}
		}
	})
}

func BenchmarkRedact(b *testing.B) {
	r := New()
	var sb strings.Builder
	for i := 0; i < 200; i++ {
		sb.WriteString("web-7d9f8c-abcde   1/1     Running   0          5m    10.0.0.1   node-001   <none>   <none>\n")
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		r.Redact(text)
	}
}

// checkGoneKept fails t for every string of gone that out still holds and
// every string of kept it lost.
func checkGoneKept(t *testing.T, out string, gone, kept []string) {
	t.Helper()
	for _, g := range gone {
		if strings.Contains(out, g) {
			t.Errorf("output still holds %q:\n%s", g, out)
		}
	}
	for _, k := range kept {
		if !strings.Contains(out, k) {
			t.Errorf("output lost %q:\n%s", k, out)
		}
	}
}
