package kubetest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// CanaryOptions shape a generated set of canary objects.
type CanaryOptions struct {
	// Namespace is set on every namespaced object; "" leaves it unset.
	Namespace string
	// Now stamps the events; zero means 2026-01-01T00:00:00Z.
	Now time.Time
}

// GenerateCanaries returns Kubernetes objects built from seed (math/rand/v2,
// so a fuzz target can drive it), with a unique canary planted in every
// position a secret-like key, name or format governs, and ordinary values
// beside them that must stay readable:
//
//   - Secrets: Opaque (data and stringData, several keys, a JSON value, a
//     last-applied configuration of an older version), TLS (PEM blocks) and
//     dockerconfigjson (password and auth).
//   - ConfigMaps: JSON and YAML with secret keys at several depths, in
//     arrays and in camelCase; .properties with ":" and blank separators,
//     a continued line and an escaped key; .env with export and quotes; INI
//     sections; plain secret-named keys; binaryData; a last-applied
//     configuration. Keys are named by extension or not at all.
//   - A Pod, a Deployment, a StatefulSet and a CronJob whose containers carry
//     env values governed by their name (PGPASSWORD, API_KEYS, SMTP_PW, KEY,
//     a long value the YAML printer folds...) and by their value (JWT, PEM,
//     AWS key, URL userinfo, signed URLs, webhooks, tokens), args and
//     command flags (--password=x, --token x, sh -c), and annotations (JSON,
//     YAML, a secret-named key, a last-applied configuration).
//   - Warning events on the Pod whose messages hold a secret in a form only
//     the text layer can find.
//
// Every position of the fixed set is planted on every seed; the seed
// chooses names, keys, nesting, order and which container carries what.
func GenerateCanaries(seed uint64, opts CanaryOptions) *Canaries {
	g := newGen(seed, opts)
	g.opaqueSecret()
	g.tlsSecret()
	g.dockerSecret()
	g.documentConfigMap()
	g.fileConfigMap()
	pod := g.workloads()
	g.events(pod)
	return g.out
}

// GenerateSecretList returns n Opaque Secrets of keys keys each, every value
// a unique canary padded to about valueBytes bytes, and an ordinary label on
// each: a list larger than an output cap.
func GenerateSecretList(seed uint64, opts CanaryOptions, n, keys, valueBytes int) *Canaries {
	g := newGen(seed, opts)
	g.cat = "secret"
	names := []string{"password", "token", "api-key", "tls.key", "client-secret", "credentials.json", "id_rsa", "dsn"}
	for i := range n {
		name := fmt.Sprintf("bulk-%04d-%s", i, g.hex(4))
		g.begin("Secret", name)
		data := map[string]any{}
		for k := range keys {
			key := names[k%len(names)]
			if k >= len(names) {
				key = fmt.Sprintf("%s-%d", key, k)
			}
			v := g.plant(fmt.Sprintf("data[%q]", key))
			data[key] = base64.StdEncoding.EncodeToString([]byte(g.pad(v, valueBytes)))
		}
		g.add(map[string]any{
			"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
			"metadata": g.meta(name, map[string]any{"team": g.ord("label team")}, nil),
			"data":     data,
		})
	}
	return g.out
}

// gen builds one set; obj and cat are the object and category being planted.
type gen struct {
	r    *rand.Rand
	opts CanaryOptions
	out  *Canaries
	seen map[string]bool
	obj  string
	cat  string
}

func newGen(seed uint64, opts CanaryOptions) *gen {
	if opts.Now.IsZero() {
		opts.Now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return &gen{
		r:    rand.New(rand.NewPCG(seed, seed^0x6b756265726573)),
		opts: opts,
		out:  &Canaries{Seed: seed, Namespace: opts.Namespace},
		seen: map[string]bool{},
	}
}

// hex returns n random lower-case hex digits.
func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.IntN(16)]
	}
	return string(b)
}

// unique returns prefix and n hex digits, never the same twice in a set.
func (g *gen) unique(prefix string, n int) string {
	for {
		v := prefix + g.hex(n)
		if !g.seen[v] {
			g.seen[v] = true
			return v
		}
	}
}

// plant returns a new canary, "cnry" and 16 hex digits, planted at pos.
func (g *gen) plant(pos string) string { return g.plantAs(pos, g.unique("cnry", 16)) }

// plantAs records v, a canary in a format of its own, planted at pos.
func (g *gen) plantAs(pos, v string) string {
	g.out.Canaries = append(g.out.Canaries, Canary{Value: v, Object: g.obj, Position: pos, Category: g.cat, Forms: forms(v)})
	return v
}

// ord returns a new ordinary marker, "ordy" and 8 hex digits, planted at pos.
func (g *gen) ord(pos string) string {
	v := g.unique("ordy", 8)
	g.out.Ordinary = append(g.out.Ordinary, Ordinary{Value: v, Object: g.obj, Position: pos})
	return v
}

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

// name returns base with a random suffix, a valid object name.
func (g *gen) name(base string) string { return base + "-" + g.hex(5) }

// begin starts planting in the object kind/name.
func (g *gen) begin(kind, name string) { g.obj = kind + "/" + name }

// add appends obj as encoding/json decodes it (numbers as float64).
func (g *gen) add(obj map[string]any) {
	var decoded map[string]any
	if err := json.Unmarshal([]byte(jsonOf(obj, false)), &decoded); err != nil {
		panic(fmt.Sprintf("kubetest: generated object %s does not encode: %v", g.obj, err))
	}
	g.out.Objects = append(g.out.Objects, decoded)
}

// meta returns metadata with the options' namespace.
func (g *gen) meta(name string, labels, annotations map[string]any) map[string]any {
	m := map[string]any{"name": name}
	if g.opts.Namespace != "" {
		m["namespace"] = g.opts.Namespace
	}
	if len(labels) > 0 {
		m["labels"] = labels
	}
	if len(annotations) > 0 {
		m["annotations"] = annotations
	}
	return m
}

// pad surrounds v with filler to about n bytes, v at a random offset.
func (g *gen) pad(v string, n int) string {
	fill := n - len(v)
	if fill <= 0 {
		return v
	}
	before := g.r.IntN(fill + 1)
	return strings.Repeat("x", before) + v + strings.Repeat("y", fill-before)
}

// lastApplied returns kubectl's last-applied-configuration of obj: compact
// JSON and a newline.
func lastApplied(obj map[string]any) string { return jsonOf(obj, false) + "\n" }

const lastAppliedKey = "kubectl.kubernetes.io/last-applied-configuration"

func (g *gen) opaqueSecret() {
	g.cat = "secret"
	name := g.name(g.pick("db-creds", "app-secrets", "api-credentials"))
	g.begin("Secret", name)
	data := map[string]any{}
	for _, key := range []string{g.pick("password", "db-password", "pass"), g.pick("username", "user"), g.pick("api-key", "token", "client_secret")} {
		data[key] = base64.StdEncoding.EncodeToString([]byte(g.plant(fmt.Sprintf("data[%q]", key))))
	}
	cfgKey := g.pick("config.json", "settings")
	doc := map[string]any{"endpoint": "https://api.example.com", "apiKey": g.plant(fmt.Sprintf("data[%q] .apiKey (JSON, base64)", cfgKey))}
	data[cfgKey] = base64.StdEncoding.EncodeToString([]byte(jsonOf(doc, true)))
	strKey := g.pick("refresh-token", "webhook", "session-key")
	stringData := map[string]any{strKey: g.plant(fmt.Sprintf("stringData[%q]", strKey))}
	older := map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata":   g.meta(name, nil, nil),
		"stringData": map[string]any{"password": g.plant("last-applied-configuration .stringData.password")},
		"data":       map[string]any{"token": base64.StdEncoding.EncodeToString([]byte(g.plant("last-applied-configuration .data.token (base64)")))},
	}
	g.add(map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata": g.meta(name,
			map[string]any{"app": g.ord("label app")},
			map[string]any{"owner": g.ord("annotation owner"), lastAppliedKey: lastApplied(older)}),
		"data":       data,
		"stringData": stringData,
	})
}

func (g *gen) tlsSecret() {
	g.cat = "secret"
	name := g.name("ingress-tls")
	g.begin("Secret", name)
	crt := g.pem("CERTIFICATE", g.plant(`data["tls.crt"] (PEM, base64)`))
	key := g.pem(g.pick("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"), g.plant(`data["tls.key"] (PEM, base64)`))
	g.add(map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
		"metadata": g.meta(name, map[string]any{"host": g.ord("label host")}, nil),
		"data": map[string]any{
			"tls.crt": base64.StdEncoding.EncodeToString([]byte(crt)),
			"tls.key": base64.StdEncoding.EncodeToString([]byte(key)),
		},
	})
}

func (g *gen) dockerSecret() {
	g.cat = "secret"
	name := g.name("registry-pull")
	g.begin("Secret", name)
	auth := base64.StdEncoding.EncodeToString([]byte("robot:" + g.plant(`data[".dockerconfigjson"] .auth (base64 of base64)`)))
	cfg := map[string]any{"auths": map[string]any{"registry.example.com": map[string]any{
		"username": "robot", "password": g.plant(`data[".dockerconfigjson"] .password (base64)`), "auth": auth,
	}}}
	g.add(map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockerconfigjson",
		"metadata": g.meta(name, map[string]any{"registry": g.ord("label registry")}, nil),
		"data":     map[string]any{".dockerconfigjson": base64.StdEncoding.EncodeToString([]byte(jsonOf(cfg, false)))},
	})
}

// nested builds a document with a secret leaf under a random path of one to
// three levels, siblings that stay readable, a secret in an array of
// objects and a camelCase secret key at the top. format names the data key
// and the format in the positions.
func (g *gen) nested(where string) map[string]any {
	doc := map[string]any{
		"log":      "info",
		"replicas": 3,
		"host":     g.ord(where + " .host"),
	}
	cur, path := doc, ""
	for range 1 + g.r.IntN(3) {
		k := g.pick("db", "primary", "auth", "backend", "spec", "upstream")
		if _, taken := cur[k]; taken {
			k += "2"
		}
		path += "." + k
		next := map[string]any{"port": 5432, "name": g.ord(where + " " + path + ".name")}
		cur[k] = next
		cur = next
	}
	leaf := g.pick("password", "passwd", "secret", "token", "private_key")
	cur[leaf] = g.plant(where + " " + path + "." + leaf)
	top := g.pick("client_secret", "clientSecret", "apiKey", "access_token")
	doc[top] = g.plant(where + " ." + top)
	item := g.pick("secret", "key", "credential")
	doc["keys"] = []any{map[string]any{"id": "k1", item: g.plant(where + " .keys[0]." + item)}}
	return doc
}

func (g *gen) documentConfigMap() {
	g.cat = "configmap"
	name := g.name(g.pick("app-config", "service-settings"))
	g.begin("ConfigMap", name)
	jsonKey := g.pick("app.json", "settings", "config.json", "appsettings")
	yamlKey := g.pick("config.yaml", "application.yml", "values", "app.conf")
	yamlDoc, _ := yaml.Marshal(g.nested(fmt.Sprintf("data[%q] (YAML)", yamlKey)))
	data := map[string]any{
		jsonKey:     jsonOf(g.nested(fmt.Sprintf("data[%q] (JSON)", jsonKey)), g.r.IntN(2) == 0),
		yamlKey:     string(yamlDoc),
		"log":       "info",
		"log_level": "info",
		"hostname":  g.ord(`data["hostname"]`),
		"replicas":  "3",
		"port":      "8080",
	}
	for _, key := range []string{g.pick("db_password", "DB_PASSWORD", "postgres-password"), g.pick("api-token", "API_KEY", "secretKey"), g.pick("SMTP_PASSWORD", "smtp.pass")} {
		data[key] = g.plant(fmt.Sprintf("data[%q] (plain)", key))
	}
	long := g.pick("passphrase", "vault_secret")
	data[long] = g.longPhrase(g.plant(fmt.Sprintf("data[%q] (plain, folded by YAML)", long)))
	data["motd"] = g.longPhrase(g.ord(`data["motd"] (folded by YAML)`))
	g.add(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": g.meta(name, map[string]any{"app": g.ord("label app")}, nil),
		"data":     data,
	})
}

func (g *gen) fileConfigMap() {
	g.cat = "configmap"
	name := g.name(g.pick("legacy-config", "java-app"))
	g.begin("ConfigMap", name)
	props := g.pick("application.properties", "jdbc", "db.props")
	env := g.pick(".env", "env", "runtime.env")
	ini := g.pick("settings.ini", "my.cnf", "config")
	p := func(what string) string { return g.plant(fmt.Sprintf("data[%q] %s", props, what)) }
	e := func(what string) string { return g.plant(fmt.Sprintf("data[%q] %s", env, what)) }
	i := func(what string) string { return g.plant(fmt.Sprintf("data[%q] %s", ini, what)) }
	data := map[string]any{
		props: "# generated\nlog.level=info\nserver.host=" + g.ord(fmt.Sprintf("data[%q] server.host", props)) + "\nserver.port=8080\n" +
			"spring.datasource.password=" + p("spring.datasource.password (properties =)") + "\n" +
			"api.token : " + p("api.token (properties :)") + "\n" +
			"smtp.pass " + p("smtp.pass (properties blank)") + "\n" +
			"jdbc.password=\\\n    " + p("jdbc.password (properties continued line)") + "\n" +
			"db\\ secret=" + p(`db\ secret (properties escaped key)`) + "\n",
		env: "# runtime\nexport DB_PASSWORD=" + e("export DB_PASSWORD (.env)") + "\n" +
			"API_TOKEN=\"" + e("API_TOKEN (.env double quotes)") + "\"\n" +
			"SECRET_KEY='" + e("SECRET_KEY (.env single quotes)") + "'\n" +
			"LOG_LEVEL=info\nAPP_HOST=" + g.ord(fmt.Sprintf("data[%q] APP_HOST", env)) + "\n",
		ini: "[server]\nhost = " + g.ord(fmt.Sprintf("data[%q] [server] host", ini)) + "\nport = 8080\nlog = info\n\n" +
			"[database]\nuser = app\npassword = " + i("[database] password (INI)") + "\n\n" +
			"[oauth]\nclient_secret=" + i("[oauth] client_secret (INI)") + "\n",
		"inline": "user=admin\npassword=" + g.plant(`data["inline"] password (properties, no newline at the end)`),
	}
	binKey := g.pick("credentials.properties", "bootstrap.bin")
	binary := map[string]any{binKey: base64.StdEncoding.EncodeToString(
		[]byte("password=" + g.plant(fmt.Sprintf("binaryData[%q] password (properties, base64)", binKey)) + "\n"))}
	older := map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap", "metadata": g.meta(name, nil, nil),
		"data": map[string]any{"db_password": g.plant(`last-applied-configuration .data["db_password"]`), "log": "info"},
	}
	g.add(map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": g.meta(name,
			map[string]any{"tier": g.ord("label tier")},
			map[string]any{lastAppliedKey: lastApplied(older)}),
		"data":       data,
		"binaryData": binary,
	})
}
