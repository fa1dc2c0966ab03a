package redact

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestObject plants secret values where the object layer must find them and
// ordinary values beside them, then prints the redacted object as YAML and
// JSON: no secret may be left, every ordinary value must be.
func TestObject(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct {
		name string
		obj  string // JSON
		gone []string
		kept []string
	}{
		{
			name: "secret data keeps size and decodes",
			obj:  `{"apiVersion":"v1","kind":"Secret","metadata":{"name":"db"},"type":"Opaque","data":{"password":"` + b64("hunter2-canary") + `","user":"` + b64("admin") + `"},"stringData":{"x":"plain-canary"}}`,
			gone: []string{b64("hunter2-canary"), b64("admin"), "plain-canary"},
			kept: []string{"name: db", "type: Opaque", "[REDACTED] 12 bytes"},
		},
		{
			name: "secret list without item kinds",
			obj:  `{"apiVersion":"v1","kind":"SecretList","items":[{"metadata":{"name":"a"},"data":{"token":"` + b64("tok-canary") + `"}}]}`,
			gone: []string{b64("tok-canary")},
			kept: []string{"name: a"},
		},
		{
			name: "configmap json value with secret at depth",
			obj:  `{"kind":"ConfigMap","metadata":{"name":"app"},"data":{"config.json":"{\"log\":\"info\",\"replicas\":3,\"oauth\":{\"client_secret\":\"cs-canary\",\"client_id\":\"web-app\"}}"}}`,
			gone: []string{"cs-canary"},
			kept: []string{`\"log\":\"info\"`, `\"replicas\":3`, "web-app"},
		},
		{
			name: "configmap properties with escaped newline and continuation",
			obj:  `{"kind":"ConfigMap","metadata":{"name":"p"},"data":{"app.properties":"user=admin\npassword=pw-canary\nlog.level=info\ndb.secret=first-canary\\\n  second-canary\nport=8080\nsmtp.pass blank-canary"}}`,
			gone: []string{"pw-canary", "first-canary", "second-canary", "blank-canary"},
			kept: []string{"user=admin", "log.level=info", "port=8080"},
		},
		{
			name: "configmap yaml and env",
			obj:  `{"kind":"ConfigMap","metadata":{"name":"y"},"data":{"settings":"log: info\nreplicas: 3\ndatabase:\n  host: db.shop\n  password: yaml-canary\n","vars":"export PGPASSWORD=env-canary\nLOG_LEVEL=debug\nAPI_KEYS=\"keys-canary\"\n","db_password":"whole-canary"}}`,
			gone: []string{"yaml-canary", "env-canary", "keys-canary", "whole-canary"},
			kept: []string{"log: info", "replicas: 3", "host: db.shop", "LOG_LEVEL=debug", "export PGPASSWORD="},
		},
		{
			name: "pod env by name and by value, args, annotations",
			obj: `{"kind":"Pod","metadata":{"name":"web","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"data\":{\"k\":\"` + b64("la-canary") + `\"},\"metadata\":{\"name\":\"s\"}}\n","example.com/config":"{\"token\":\"ann-canary\",\"mode\":\"fast\"}"}},
			"spec":{"containers":[{"name":"app","image":"shop/web:1.2","args":["--password=arg-canary","--token","tok2-canary","--log-level=info"],
			"env":[{"name":"PGPASSWORD","value":"pg-canary"},{"name":"SMTP_PW","value":"pw2-canary"},{"name":"KEY","value":"key-canary"},
			{"name":"SLACK_WEBHOOK_URL","value":"https://hooks.slack.com/services/T000/B000/hook-canary"},
			{"name":"DATABASE_URL","value":"postgres://app:url-canary@db:5432/shop"},
			{"name":"PASSWORD_FILE","value":"/etc/secret/pw"},{"name":"SECRET_NAME","value":"db-creds"},
			{"name":"TOKEN_HEADER","value":"Xy9-hdr-canary-QQ"},
			{"name":"LOG_LEVEL","value":"info"},{"name":"TOKENIZER","value":"o200k"},{"name":"KEYSPACE","value":"orders"},
			{"name":"DB_PASS","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}}]}]}}`,
			gone: []string{"la-canary", b64("la-canary"), "ann-canary", "arg-canary", "tok2-canary", "pg-canary", "pw2-canary", "key-canary", "hook-canary", "url-canary", "hdr-canary"},
			kept: []string{"--log-level=info", "/etc/secret/pw", "db-creds", "value: info", "o200k", "orders", "key: password", "name: db", "fast", "shop/web:1.2"},
		},
		{
			name: "workload template and custom resource fields",
			obj:  `{"kind":"Deployment","metadata":{"name":"d","labels":{"secret":"Shop-Db1"}},"spec":{"replicas":3,"selector":{"matchExpressions":[{"key":"app","operator":"In","values":["web"]}]},"template":{"metadata":{"annotations":{"vault/token":"tpl-canary"}},"spec":{"containers":[{"name":"c","env":[{"name":"API_TOKEN","value":"dep-canary"}]}]}}}}`,
			gone: []string{"tpl-canary", "dep-canary"},
			kept: []string{"key: app", "replicas: 3", "- web", "secret: Shop-Db1"},
		},
		{
			name: "custom resource with secret fields",
			obj:  `{"kind":"Database","apiVersion":"example.com/v1","metadata":{"name":"pg"},"spec":{"auth":{"password":"cr-canary","username":"app","passwordSecretRef":"pg-auth"},"size":"10Gi"}}`,
			gone: []string{"cr-canary"},
			kept: []string{"username: app", "pg-auth", "size: 10Gi"},
		},
		{
			name: "table rows",
			obj:  `{"kind":"Table","apiVersion":"meta.k8s.io/v1","columnDefinitions":[],"rows":[{"cells":["web","Running"],"object":{"kind":"PartialObjectMetadata","metadata":{"name":"web","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"kind\":\"Secret\",\"apiVersion\":\"v1\",\"stringData\":{\"a\":\"row-canary\"}}"}}}}]}`,
			gone: []string{"row-canary"},
			kept: []string{"Running"},
		},
	}
	r := New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tree, ok := decodeJSON(tt.obj)
			if !ok {
				t.Fatalf("bad test object")
			}
			obj := tree.(map[string]any)
			n := r.Object(obj)
			js, err := json.Marshal(obj)
			if err != nil {
				t.Fatal(err)
			}
			ys, err := yaml.JSONToYAML(js)
			if err != nil {
				t.Fatal(err)
			}
			out := string(js) + "\n" + string(ys)
			for _, g := range tt.gone {
				if strings.Contains(out, g) {
					t.Errorf("%q left in:\n%s", g, ys)
				}
			}
			for _, k := range tt.kept {
				if !strings.Contains(out, k) {
					t.Errorf("%q lost from:\n%s", k, ys)
				}
			}
			if n == 0 {
				t.Errorf("no redaction counted")
			}
		})
	}
}

// TestObjectSecretStillDecodes checks that a redacted Secret's data is still
// base64 of the original size, as typed clients and describe need.
func TestObjectSecretStillDecodes(t *testing.T) {
	obj := map[string]any{"kind": "Secret", "data": map[string]any{"a": base64.StdEncoding.EncodeToString([]byte("0123456789abcdefghij"))}}
	New().Object(obj)
	got, err := base64.StdEncoding.DecodeString(obj["data"].(map[string]any)["a"].(string))
	if err != nil || len(got) != 20 || !strings.HasPrefix(string(got), Mark) {
		t.Fatalf("data = %q, %v", got, err)
	}
}

func TestName(t *testing.T) {
	tests := map[string]NameKind{
		"DB_PASSWORD": Secret, "PGPASSWORD": Secret, "API_KEYS": Secret, "SMTP_PW": Secret, "KEY": Secret,
		"SLACK_WEBHOOK_URL": Secret, "GITHUBTOKEN": Secret, "clientSecret": Secret, "signingKey": Secret,
		"AWS_SECRET_ACCESS_KEY": Secret, "private_key": Secret, "BASIC_AUTH": Secret, "CONNECTION_STRING": Secret,
		"SECRET_KEY_BASE": Secret, "MYSQL_ROOT_PASSWORD": Secret, "X_API_KEY": Secret,
		"secretName": Reference, "secretKeyRef": Reference, "PASSWORD_FILE": Reference, "TOKEN_TTL": Reference,
		"tokenExpirationSeconds": Reference, "AWS_ACCESS_KEY_ID": Reference, "PWD": Reference,
		"LOG_LEVEL": Plain, "TOKENIZER": Plain, "KEYSPACE": Plain, "PASSTHROUGH": Plain, "PUBLIC_KEY": Plain,
		"cacheKey": Plain, "ROUTING_KEY": Plain, "DATABASE_URL": Plain, "replicas": Plain, "monkey": Plain,
		"KEY_PREFIX": Plain, "bypass": Plain, "compass": Plain, "OAUTH_CLIENT_ID": Plain,
	}
	for name, want := range tests {
		if got := Name(name); got != want {
			t.Errorf("Name(%q) = %v, want %v", name, got, want)
		}
	}
	if SecretName("key") || FieldName("key") != Plain {
		t.Errorf("a lone key field is a map key, not a secret")
	}
}
