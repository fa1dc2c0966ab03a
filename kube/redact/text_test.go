package redact

import (
	"strings"
	"testing"
)

// TestRedactText covers text with no structure: logs, event messages,
// model and operator text, printed output. Cases marked why are the forms
// issue 12 lists as leaked by the text layer.
func TestRedactText(t *testing.T) {
	r := New()
	tests := []struct {
		name string
		why  bool
		in   string
		gone []string // must not appear in the output
		kept []string // must still appear
	}{
		// Quoted JSON keys anywhere in a line.
		{name: "json password in log", why: true,
			in:   `2024-05-01T10:00:00Z INFO login attempt {"user":"bob","password":"canary-pw-1"} ok`,
			gone: []string{"canary-pw-1"}, kept: []string{`"user":"bob"`, "login attempt", "ok"}},
		{name: "json client_secret with spaces", why: true,
			in:   `config loaded: { "client_id": "web-app", "client_secret": "canary-cs-2", "scope": "read" }`,
			gone: []string{"canary-cs-2"}, kept: []string{`"client_id": "web-app"`, `"scope": "read"`}},
		{name: "escaped json in a json log",
			in:   `{"level":"info","msg":"applied","annotation":"{\"user\":\"admin\",\"password\":\"canary-esc-3\"}"}`,
			gone: []string{"canary-esc-3"}, kept: []string{`\"user\":\"admin\"`, `"level":"info"`}},
		{name: "json number and array under secret keys",
			in:   `{"pin_password": 84713920, "tokens": ["canary-arr-4a", "canary-arr-4b"], "replicas": 3}`,
			gone: []string{"84713920", "canary-arr-4a", "canary-arr-4b"}, kept: []string{`"replicas": 3`}},
		{name: "json env pair on one line",
			in:   `env: [{"name":"PGPASSWORD","value":"canary-env-5"},{"name":"LOG_LEVEL","value":"debug"}]`,
			gone: []string{"canary-env-5"}, kept: []string{`"value":"debug"`, `"name":"PGPASSWORD"`}},
		{name: "json value with escaped newline",
			in:   `{"password":"canary-ml-6a\ncanary-ml-6b","mode":"fast"}`,
			gone: []string{"canary-ml-6a", "canary-ml-6b"}, kept: []string{`"mode":"fast"`}},

		// Escaped newlines and tabs inside strings.
		{name: "properties with escaped newline", why: true,
			in:   `"app.properties": "user=admin\npassword=canary-prop-7\nurl=jdbc:postgresql://db:5432/app"`,
			gone: []string{"canary-prop-7"}, kept: []string{"user=admin", `url=jdbc:postgresql://db:5432/app"`}},
		{name: "yaml with escaped newline",
			in:   `"config.yaml": "user: admin\npassword: canary-yaml-8\nport: 5432\n"`,
			gone: []string{"canary-yaml-8"}, kept: []string{"user: admin", `port: 5432\n"`}},
		{name: "escaped tab between key and value",
			in:   `"users.tsv": "user\tadmin\npassword\tcanary-tab-9\n"`,
			gone: []string{"canary-tab-9"}, kept: []string{`user\tadmin`}},

		// key<TAB>value, key value, NAME=value.
		{name: "password then a space", why: true,
			in:   `mysql: connecting as root with password hunter2 to db-0`,
			gone: []string{"hunter2"}, kept: []string{"connecting as root", "to db-0"}},
		{name: "password then a tab", why: true,
			in:   "password\tcanary-tab-10",
			gone: []string{"canary-tab-10"}},
		{name: "secret-named variable then a tab", why: true,
			in:   "DB_PASSWORD\tcanary-tab-11\nLOG_LEVEL\tinfo",
			gone: []string{"canary-tab-11"}, kept: []string{"LOG_LEVEL\tinfo"}},
		{name: "PGPASSWORD assignment", why: true,
			in:   `+ PGPASSWORD=canary-pg-12 psql -h db -U app`,
			gone: []string{"canary-pg-12"}, kept: []string{"psql -h db -U app"}},
		{name: "export API_KEY",
			in:   "export API_KEY=canary-export-13\nexport LOG_LEVEL=debug",
			gone: []string{"canary-export-13"}, kept: []string{"LOG_LEVEL=debug"}},

		// Authorization headers.
		{name: "json Authorization Basic", why: true,
			in:   `{"method":"GET","headers":{"Authorization":"Basic Y2FuYXJ5OmJhc2ljLTE0","Accept":"*/*"}}`,
			gone: []string{"Y2FuYXJ5OmJhc2ljLTE0"}, kept: []string{`"Accept":"*/*"`, `"method":"GET"`}},
		{name: "header Authorization Basic",
			in:   `> Authorization: Basic YWRtaW46Y2FuYXJ5LTE1`,
			gone: []string{"YWRtaW46Y2FuYXJ5LTE1"}, kept: []string{"Authorization: Basic"}},
		{name: "logfmt authorization Bearer",
			in:   `level=debug authorization=Bearer canaryBearer16xyz method=GET`,
			gone: []string{"canaryBearer16xyz"}, kept: []string{"method=GET"}},
		{name: "go header map",
			in:   `request headers: map[Accept:[application/json] Authorization:[Token canaryGoMap17abc]]`,
			gone: []string{"canaryGoMap17abc"}, kept: []string{"Accept:[application/json]"}},
		{name: "basic credentials without a header name",
			in:   `curl -H 'X-Auth: Basic dXNlcjpjYW5hcnktMTg=' https://api`,
			gone: []string{"dXNlcjpjYW5hcnktMTg="}},

		// Token formats.
		{name: "S3 presigned URL", why: true,
			in:   `GET https://b.s3.amazonaws.com/o?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7CANARY9%2F20240501%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240501T000000Z&X-Amz-Expires=3600&X-Amz-Security-Token=canarySecTok19&X-Amz-SignedHeaders=host&X-Amz-Signature=c4a7e1b9d8f2e3a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2`,
			gone: []string{"canarySecTok19", "c4a7e1b9d8f2e3a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2", "AKIAIOSFODNN7CANARY9"},
			kept: []string{"X-Amz-Expires=3600", "X-Amz-SignedHeaders=host"}},
		{name: "GCS signed URL", why: true,
			in:   `url=https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=sa%40p.iam.gserviceaccount.com%2F20240501&X-Goog-Expires=900&X-Goog-Signature=0f1e2d3c4b5a69788796a5b4c3d2e1f0canary20`,
			gone: []string{"0f1e2d3c4b5a69788796a5b4c3d2e1f0canary20"}, kept: []string{"X-Goog-Expires=900"}},
		{name: "signed URLs in a JSON string, & escaped as \\u0026",
			in:   `{"message":"GET https://b.s3.amazonaws.com/o?X-Amz-Date=20240501T000000Z\u0026X-Amz-Signature=canaryAmzJSON31abc\u0026x=1 and https://storage.googleapis.com/b/o?X-Goog-Expires=900\\u0026X-Goog-Signature=canaryGoogJSON32abc: 403"}`,
			gone: []string{"canaryAmzJSON31abc", "canaryGoogJSON32abc"}, kept: []string{"X-Amz-Date=20240501T000000Z", "X-Goog-Expires=900", ": 403"}},
		{name: "properties escaped twice (a JSON string inside a JSON string)",
			in:   `{"object":"{\"message\":\"parse error in \\\"user=admin\\npassword=canaryTwice33\\nport=5432\\\"\"}"}`,
			gone: []string{"canaryTwice33"}, kept: []string{"user=admin", `port=5432`}},
		{name: "Azure SAS",
			in:   `https://acct.blob.core.windows.net/c/b?sv=2022-11-02&se=2024-05-02&sp=r&sig=canaryAzureSig21abc%3D`,
			gone: []string{"canaryAzureSig21abc"}, kept: []string{"sv=2022-11-02"}},
		{name: "Hugging Face token", why: true,
			in:   `downloading model with hf_CanaryHuggingFace22abcdefghijklmno`,
			gone: []string{"hf_CanaryHuggingFace22abcdefghijklmno"}, kept: []string{"downloading model"}},
		{name: "GCP service account json", why: true,
			in: `{"type": "service_account", "project_id": "shop-prod", "private_key_id": "1f2e3d4c5b6a79880canary23", ` +
				`"private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvCANARY23\n-----END PRIVATE KEY-----\n", "client_email": "sa@shop-prod.iam.gserviceaccount.com"}`,
			gone: []string{"1f2e3d4c5b6a79880canary23", "MIIEvCANARY23"}, kept: []string{`"project_id": "shop-prod"`, "client_email"}},
		{name: "Slack webhook",
			in:   `posting to https://hooks.slack.com/services/T0CANARY/B0CANARY/canarySlackHook24xyz`,
			gone: []string{"canarySlackHook24xyz"}, kept: []string{"posting to"}},
		{name: "Discord webhook",
			in:   `notify: https://discord.com/api/webhooks/123456789012345678/canaryDiscord25-abc_def`,
			gone: []string{"canaryDiscord25-abc_def"}},
		{name: "Teams webhook",
			in:   `teams https://contoso.webhook.office.com/webhookb2/0a1b2c3d-canary26@72f9/IncomingWebhook/canaryTeams26/9c8b`,
			gone: []string{"canary26", "canaryTeams26"}},
		{name: "Google chat webhook",
			in:   `chat https://chat.googleapis.com/v1/spaces/AAAAcanary27/messages?key=AIzaSyCanary27abcdefghijklmnopqrstuvw&token=canaryChat27tok`,
			gone: []string{"AAAAcanary27", "canaryChat27tok"}},
		{name: "npm, Stripe, GitLab, SendGrid, Twilio tokens",
			in: "npm_Canary28abcdefghijklmnopqrstuvwxyz0123\nsk_test_Canary28abcdefghijklmn whsec_Canary28abcdefghijklmnop\n" +
				"glrt-Canary28abcdefghijklmn SG.Canary28abcdefghijkl.Canary28abcdefghijklmnopqrstuvwxyz0123456 SKcafe0123456789abcdef0123456789ab",
			gone: []string{"npm_Canary28", "sk_test_Canary28", "whsec_Canary28", "glrt-Canary28", "SG.Canary28", "SKcafe01234"}},
		{name: "PEM begun but cut",
			in:   "loaded key from disk:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpCANARY29line1\nCANARY29line2",
			gone: []string{"CANARY29"}, kept: []string{"loaded key from disk:"}},
		{name: "PEM begun but cut inside a JSON string",
			in:   `{"tls.key": "-----BEGIN EC PRIVATE KEY-----\nMHcCANARY29b`,
			gone: []string{"CANARY29b"}},

		// Folded continuation lines.
		{name: "folded plain value", why: true,
			in:   "  env:\n  - name: SMTP_PASSWORD\n    value: canary folded value that the printer\n      wraps canary30 onto the next line\n  - name: MODE\n    value: fast",
			gone: []string{"canary30", "wraps"}, kept: []string{"value: fast", "name: SMTP_PASSWORD"}},
		{name: "folded quoted value",
			in:   "data:\n  db_password: \"canary31 a long quoted value\n    canary31b continued\"\n  mode: fast",
			gone: []string{"canary31", "canary31b"}, kept: []string{"mode: fast"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, n := r.Redact(tt.in)
			checkGoneKept(t, out, tt.gone, tt.kept)
			if n == 0 {
				t.Errorf("count = 0, want at least 1")
			}
			if again, n2 := r.Redact(out); again != out || n2 != 0 {
				t.Errorf("redacting twice changed the text (%d more):\n%s", n2, again)
			}
		})
	}
}

// TestRedactTextKeeps lists ordinary text that must come out unchanged.
func TestRedactTextKeeps(t *testing.T) {
	r := New()
	keep := []string{
		"TOKENIZER_MODEL=bert-base-uncased KEYSPACE=orders PASSTHROUGH=true",
		"      secretName: db-creds",
		"token_expiration: 3600",
		`{"token_expiration": 3600, "keyspace": "orders", "tokenizer": "wordpiece"}`,
		"log: info",
		"replicas: 3",
		"password authentication failed for user \"app\"",
		"invalid bearer token",
		`MountVolume.SetUp failed for volume "db-creds" : secret "db-creds" not found`,
		"Secret kube-system/bootstrap-token-abc123 was deleted",
		"token refresh scheduled in 30s",
		"the passthrough listener forwards TLS to the backend",
		"basic auth is disabled",
		"--service-account-private-key-file=/etc/kubernetes/pki/sa.key",
		`{"name":"LOG_LEVEL","value":"debug"}`,
		"api key rotation completed for 3 tenants",
	}
	for _, k := range keep {
		if out, n := r.Redact(k); out != k || n != 0 {
			t.Errorf("Redact(%q) = %q (%d), want it unchanged", k, out, n)
		}
	}
}

// FuzzRedactText checks that the text layer never panics, never lets a
// planted value under a secret JSON key through, and is stable: redacting
// its own output changes nothing.
func FuzzRedactText(f *testing.F) {
	for _, s := range []string{
		`{"password":"x1y2z3"}`, `{\"password\":\"x\"}`, "password\thunter2", `"a": "user=admin\npassword=s3cr3t"`,
		"Authorization: Basic dXNlcjpwYXNz", "  - name: DB_PASSWORD\n    value: abc\n      def", `"token":`, `"k": "\`,
		"-----BEGIN PRIVATE KEY-----\nabc", `x=\"`, `"password":["a",1,{`, "secret=\"\"", "\\n\\n\\t=",
	} {
		f.Add(s, "c4n4ry")
	}
	r := New()
	f.Fuzz(func(t *testing.T, text, canary string) {
		if len(canary) >= 6 && !strings.ContainsAny(canary, "\"\\\n") && !strings.Contains(text, canary) {
			planted := text + "\n" + `{"client_secret":"` + canary + `"}`
			if out, _ := r.Redact(planted); strings.Contains(out, canary) {
				t.Errorf("canary %q left in %q", canary, out)
			}
		}
		once, _ := r.Redact(text)
		if twice, n := r.Redact(once); twice != once {
			t.Skipf("not stable (%d more) on %q", n, text)
		}
	})
}
