package kubetest

import (
	"fmt"
	"strings"
	"time"
)

// envPlant is one env entry: its name and how its value is made around a
// canary planted at pos.
type envPlant struct {
	name  string
	cat   string
	value func(g *gen, pos string) string
}

func plainValue(g *gen, pos string) string { return g.plant(pos) }

// envPlants are the env entries with a secret value: governed by the name
// (the value alone says nothing), then by the value (the name says nothing).
var envPlants = []envPlant{
	{"DB_PASSWORD", "env-name", plainValue},
	{"PGPASSWORD", "env-name", plainValue},
	{"API_KEYS", "env-name", plainValue},
	{"SMTP_PW", "env-name", plainValue},
	{"KEY", "env-name", plainValue},
	{"MYSQL_ROOT_PASSWORD", "env-name", plainValue},
	{"CLIENT_SECRET", "env-name", plainValue},
	{"REDIS_PASS", "env-name", plainValue},
	{"ENCRYPTION_KEY", "env-name", plainValue},
	{"AUTH_TOKEN", "env-name", plainValue},
	{"DB_PWD", "env-name", plainValue},
	{"SESSION_SECRETS", "env-name", plainValue},
	{"GITHUB_TOKEN", "env-name", func(g *gen, pos string) string { return g.plantAs(pos, "ghp_"+g.unique("cnry", 32)) }},
	{"SLACK_WEBHOOK_URL", "env-name", func(g *gen, pos string) string { return g.slackURL(g.plant(pos)) }},
	{"VAULT_PASSPHRASE", "env-name", func(g *gen, pos string) string { return g.longPhrase(g.plant(pos + ", folded by YAML")) }},
	{"DATABASE_URL", "env-value", func(g *gen, pos string) string { return g.userinfoURL(g.plant(pos + ", URL userinfo")) }},
	{"GIT_REMOTE", "env-value", func(g *gen, pos string) string {
		return "https://deploy:" + g.plant(pos+", URL userinfo") + "@git.example.com/team/app.git"
	}},
	{"AWS_ACCESS_KEY_ID", "env-value", func(g *gen, pos string) string {
		return g.plantAs(pos+", AWS key", "AKIA"+strings.ToUpper(g.unique("cnry", 12)))
	}},
	{"BOOTSTRAP_DOC", "env-value", func(g *gen, pos string) string { return g.jwt(g.plant(pos + ", JWT payload")) }},
	{"INIT_BLOB", "env-value", func(g *gen, pos string) string { return g.pem("PRIVATE KEY", g.plant(pos+", PEM")) }},
	{"UPLOAD_TARGET", "env-value", func(g *gen, pos string) string { return g.s3URL(g.plant(pos + ", X-Amz-Signature")) }},
	{"BACKUP_LINK", "env-value", func(g *gen, pos string) string { return g.gcsURL(g.plant(pos + ", X-Goog-Signature")) }},
	{"NOTIFY_ENDPOINT", "env-value", func(g *gen, pos string) string { return g.slackURL(g.plant(pos + ", webhook path")) }},
	{"MODEL_HUB", "env-value", func(g *gen, pos string) string { return g.plantAs(pos+", hf_ token", "hf_"+g.unique("cnry", 30)) }},
	{"CURL_HEADER", "env-value", func(g *gen, pos string) string { return "Authorization: Bearer " + g.plant(pos+", bearer") }},
	{"LLM_API", "env-value", func(g *gen, pos string) string { return g.plantAs(pos+", sk- key", "sk-proj-"+g.unique("cnry", 28)) }},
}

// argPlants are the command-line flags with a secret value.
var argPlants = []func(g *gen) []string{
	func(g *gen) []string { return []string{"--password=" + g.plant("args --password=")} },
	func(g *gen) []string { return []string{"--token", g.plant("args --token (separate)")} },
	func(g *gen) []string { return []string{"--client-secret=" + g.plant("args --client-secret=")} },
	func(g *gen) []string { return []string{"--api-key", g.plant("args --api-key (separate)")} },
	func(g *gen) []string {
		return []string{"--db-url=" + g.userinfoURL(g.plant("args --db-url=, URL userinfo"))}
	},
}

// lookalikes are env names that only look secret; their values must stay.
var lookalikes = []string{"CASSANDRA_KEYSPACE", "TOKENIZER_MODEL", "PASSTHROUGH_MODE", "MONKEY_PATCH"}

// slot is one container being filled, in the object kind/name.
type slot struct {
	kind, name string
	env        []envPlant
	args       []func(g *gen) []string
	lookalike  []string
	shell      bool
}

// workloads adds a Pod (one container and one init container), a
// Deployment, a StatefulSet and a CronJob, dealing every env and flag plant
// among their containers, and returns the Pod's name.
func (g *gen) workloads() string {
	pod := g.name(g.pick("web", "api", "worker"))
	slots := []*slot{
		{kind: "Pod", name: pod}, {kind: "Pod", name: pod},
		{kind: "Deployment", name: g.name("checkout")},
		{kind: "StatefulSet", name: g.name("ledger")},
		{kind: "CronJob", name: g.name("nightly-export")},
	}
	for i, j := range g.r.Perm(len(envPlants)) {
		s := slots[i%len(slots)]
		s.env = append(s.env, envPlants[j])
	}
	for i, j := range g.r.Perm(len(argPlants)) {
		s := slots[i%len(slots)]
		s.args = append(s.args, argPlants[j])
	}
	for i, j := range g.r.Perm(len(lookalikes)) {
		s := slots[i%len(slots)]
		s.lookalike = append(s.lookalike, lookalikes[j])
	}
	slots[g.r.IntN(len(slots))].shell = true

	g.begin("Pod", pod)
	app, init := g.container("app", slots[0]), g.container("init", slots[1])
	g.add(map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": g.meta(pod, map[string]any{"app": pod}, g.annotations(true, false, false)),
		"spec":     map[string]any{"containers": []any{app}, "initContainers": []any{init}},
	})
	for _, s := range slots[2:] {
		g.begin(s.kind, s.name)
		g.add(g.workload(s))
	}
	return pod
}

// workload builds a Deployment, StatefulSet or CronJob around s's container.
func (g *gen) workload(s *slot) map[string]any {
	labels := map[string]any{"app": s.name}
	ann := g.annotations(s.kind == "StatefulSet", s.kind == "StatefulSet" || s.kind == "CronJob", s.kind == "CronJob")
	template := func() map[string]any {
		spec := map[string]any{"containers": []any{g.container("main", s)}}
		if s.kind == "CronJob" {
			spec["restartPolicy"] = "OnFailure"
		}
		return map[string]any{"metadata": map[string]any{"labels": labels}, "spec": spec}
	}
	obj := map[string]any{"kind": s.kind, "metadata": g.meta(s.name, labels, ann)}
	switch s.kind {
	case "Deployment":
		g.cat = "annotation"
		older := map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment", "metadata": g.meta(s.name, nil, nil),
			"spec": map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{map[string]any{
				"name": "main", "image": "registry.example.com/app:1.0",
				"env": []any{map[string]any{"name": "DB_PASSWORD", "value": g.plant("last-applied-configuration env DB_PASSWORD")}},
			}}}}},
		}
		ann[lastAppliedKey] = lastApplied(older)
		obj["apiVersion"] = "apps/v1"
		obj["spec"] = map[string]any{"replicas": 2, "selector": map[string]any{"matchLabels": labels}, "template": template()}
	case "StatefulSet":
		obj["apiVersion"] = "apps/v1"
		obj["spec"] = map[string]any{"replicas": 1, "serviceName": s.name, "selector": map[string]any{"matchLabels": labels}, "template": template()}
	case "CronJob":
		obj["apiVersion"] = "batch/v1"
		obj["spec"] = map[string]any{"schedule": "*/30 * * * *", "suspend": true,
			"jobTemplate": map[string]any{"spec": map[string]any{"template": template()}}}
	}
	return obj
}

// annotations returns an ordinary annotation and, as asked, a JSON
// annotation with a secret key, a secret-named annotation and a YAML one.
func (g *gen) annotations(jsonDoc, named, yamlDoc bool) map[string]any {
	g.cat = "annotation"
	ann := map[string]any{"example.com/owner": g.ord("annotation example.com/owner")}
	if jsonDoc {
		ann["example.com/config"] = jsonOf(map[string]any{
			"endpoint":      "https://" + g.ord("annotation example.com/config .endpoint") + ".example.com",
			"client_secret": g.plant("annotation example.com/config .client_secret (JSON)"),
			"retries":       3,
		}, false)
	}
	if named {
		ann["example.com/api-token"] = g.plant("annotation example.com/api-token (secret-named)")
	}
	if yamlDoc {
		ann["example.com/settings"] = "region: " + g.ord("annotation example.com/settings region") +
			"\npassword: " + g.plant("annotation example.com/settings password (YAML)") + "\n"
	}
	return ann
}

// container builds a container of name from s's plants and ordinary values.
func (g *gen) container(name string, s *slot) map[string]any {
	where := name + " "
	env := []any{
		map[string]any{"name": "LOG_LEVEL", "value": "info"},
		map[string]any{"name": "SERVICE_HOST", "value": g.ord(where+"env SERVICE_HOST") + ".svc.cluster.local"},
		map[string]any{"name": "HTTP_PORT", "value": "8080"},
		map[string]any{"name": "DESCRIPTION", "value": g.longPhrase(g.ord(where + "env DESCRIPTION, folded by YAML"))},
		map[string]any{"name": "FROM_SECRET", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "db-creds", "key": "password"}}},
	}
	for _, l := range s.lookalike {
		env = append(env, map[string]any{"name": l, "value": g.ord(where + "env " + l + " (only looks secret)")})
	}
	for _, p := range s.env {
		g.cat = p.cat
		env = append(env, map[string]any{"name": p.name, "value": p.value(g, where+"env "+p.name)})
	}
	g.r.Shuffle(len(env), func(i, j int) { env[i], env[j] = env[j], env[i] })
	g.cat = "args"
	args := []any{"--log-level=info", "--port=8080", "--host=" + g.ord(where+"args --host=")}
	for _, a := range s.args {
		for _, w := range a(g) {
			args = append(args, w)
		}
	}
	c := map[string]any{
		"name": name, "image": "registry.example.com/" + name + ":1.4.2",
		"env": env, "args": args,
	}
	if s.shell {
		c["command"] = []any{"sh", "-c", "exec /app --secret-key=" + g.plant(where+"command sh -c --secret-key=") +
			" --region=" + g.ord(where+"command sh -c --region=")}
	}
	return c
}

// eventPlants are the messages of warning events, a secret in a form only
// the text layer can find; %s is the canary.
var eventPlants = []struct{ form, reason string }{
	{"dial %s: connection refused", "userinfo"},
	{`config rejected: {"password":"%s","port":5432}`, "JSON key"},
	{"upstream answered 401 to Authorization: Basic %s", "basic"},
	{"probe request with Authorization: Bearer %s failed", "bearer"},
	{"exec env PGPASSWORD=%s psql failed", "NAME=value"},
	{"login failed for user app: password %s rejected", "word then value"},
	{"loaded token\t%s from the environment", "tab-separated"},
	{"GET %s: 403", "X-Amz-Signature"},
	{"GET %s: 403", "X-Goog-Signature"},
	{"pull from model hub with %s denied", "hf_ token"},
	{`credentials invalid: {"type": "service_account", "private_key_id": "%s"}`, "private_key_id"},
	{`parse error in "user=admin\npassword=%s"`, "escaped newline"},
	{"token rejected: %s", "JWT"},
	{"POST %s returned 404", "webhook"},
}

// events adds one warning event on pod per event plant; each message starts
// with an ordinary backend name.
func (g *gen) events(pod string) {
	g.cat = "event"
	stamp := g.opts.Now.UTC().Format(time.RFC3339)
	for _, p := range eventPlants {
		name := fmt.Sprintf("%s.%s", pod, g.hex(16))
		g.begin("Event", name)
		pos := "message (" + p.reason + ")"
		var secret string
		switch p.reason {
		case "userinfo":
			secret = g.userinfoURL(g.plant(pos))
		case "basic":
			secret = basic(g.plant(pos + ", base64"))
		case "X-Amz-Signature":
			secret = g.s3URL(g.plant(pos))
		case "X-Goog-Signature":
			secret = g.gcsURL(g.plant(pos))
		case "hf_ token":
			secret = g.plantAs(pos, "hf_"+g.unique("cnry", 30))
		case "JWT":
			secret = g.jwt(g.plant(pos + ", payload"))
		case "webhook":
			secret = g.slackURL(g.plant(pos))
		default:
			secret = g.plant(pos)
		}
		msg := "backend " + g.ord("message backend") + ": " + fmt.Sprintf(p.form, secret)
		involved := map[string]any{"apiVersion": "v1", "kind": "Pod", "name": pod}
		if g.opts.Namespace != "" {
			involved["namespace"] = g.opts.Namespace
		}
		g.add(map[string]any{
			"apiVersion": "v1", "kind": "Event",
			"metadata":       g.meta(name, nil, nil),
			"involvedObject": involved,
			"reason":         g.pick("Unhealthy", "BackOff", "Failed", "FailedMount"),
			"message":        msg,
			"type":           "Warning",
			"count":          1 + g.r.IntN(5),
			"firstTimestamp": stamp,
			"lastTimestamp":  stamp,
			"source":         map[string]any{"component": "kubelet"},
		})
	}
}
