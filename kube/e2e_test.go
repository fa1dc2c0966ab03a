package kube_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/kube/redact"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

// Canary values planted in the fixture; no output of the engine may hold
// any of them, in clear or in base64.
const (
	canarySecret = "s3cr3t-canary-secret-7f3a"
	canaryEnv    = "canary-env-password-9b2c"
	canaryCM     = "canary-cm-token-4d1e"
	canaryKey    = "AKIAC4NARY0123456789"
)

var canaries = []string{canarySecret, canaryEnv, canaryCM, canaryKey}

// fixtureYAML is applied with the built kubectl (client-side apply, so the
// last-applied annotation carries every value too).
const fixtureYAML = `apiVersion: v1
kind: Secret
metadata:
  name: db-creds
type: Opaque
stringData:
  password: ` + canarySecret + `
  username: app
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
data:
  api_token: ` + canaryCM + `
  cloud: ` + canaryKey + `
  mode: fast
---
apiVersion: v1
kind: Pod
metadata:
  name: canary
  labels: {app: canary}
spec:
  nodeSelector: {type: kwok}
  tolerations:
  - {key: kwok.x-k8s.io/node, operator: Exists, effect: NoSchedule}
  containers:
  - name: app
    image: busybox:1.36
    env:
    - name: DB_PASSWORD
      value: ` + canaryEnv + `
    - name: DB_USER
      value: app
    - name: FROM_SECRET
      valueFrom:
        secretKeyRef: {name: db-creds, key: password}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
    additionalPrinterColumns:
    - {name: Size, type: string, jsonPath: .spec.size}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
`

const widgetYAML = `apiVersion: example.com/v1
kind: Widget
metadata:
  name: gear
spec:
  size: large
`

// fixture is the cluster state every test here reads: the seed incident,
// the canary objects and a custom resource, in one namespace.
type fixture struct {
	c    *kubetest.Cluster
	ns   string
	exec *kube.Executor
}

var shared struct {
	once sync.Once
	f    *fixture
	err  error
}

func setup(t *testing.T) *fixture {
	t.Helper()
	c := kubetest.Start(t)
	shared.once.Do(func() { shared.f, shared.err = newFixture(c) })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.f
}

func newFixture(c *kubetest.Cluster) (*fixture, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := "engine-e2e"
	if _, err := kubectlAs(ctx, c, c.AdminKubeconfig, "create", "namespace", ns); err != nil {
		return nil, err
	}
	if err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := c.Admin.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, nil
	}); err != nil {
		return nil, fmt.Errorf("default service account of %s: %w", ns, err)
	}
	if _, err := c.SeedIncident(ctx, ns); err != nil {
		return nil, err
	}
	file := filepath.Join(c.Dir, "engine-fixture.yaml")
	if err := os.WriteFile(file, []byte(fixtureYAML), 0o600); err != nil {
		return nil, err
	}
	if _, err := kubectlAs(ctx, c, c.AdminKubeconfig, "apply", "-n", ns, "-f", file); err != nil {
		return nil, err
	}
	if _, err := kubectlAs(ctx, c, c.AdminKubeconfig, "wait", "--for=condition=Established", "crd/widgets.example.com"); err != nil {
		return nil, err
	}
	if err := c.ApplyIn(ctx, ns, widgetYAML); err != nil {
		return nil, err
	}
	if _, err := kubectlAs(ctx, c, c.AdminKubeconfig, "wait", "-n", ns, "--for=condition=Ready", "pod/canary"); err != nil {
		return nil, err
	}
	e, err := kube.NewExecutor(c.ReadOnlyConfig, kube.ExecOptions{Namespace: ns})
	if err != nil {
		return nil, err
	}
	return &fixture{c: c, ns: ns, exec: e}, nil
}

// kubectlAs runs the built kubectl with kubeconfig and returns standard
// output and standard error together, as a terminal shows them.
func kubectlAs(ctx context.Context, c *kubetest.Cluster, kubeconfig string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, c.KubectlPath, append([]string{"--kubeconfig=" + kubeconfig}, args...)...)
	cmd.Env = append(os.Environ(), "KUBECACHEDIR="+filepath.Join(c.Dir, "kube-cache"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("kubectl %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}

var (
	durationRe = regexp.MustCompile(`\b\d+(\.\d+)?(ms|s|m|h|d|y)(\d+(s|m|h))?\b`)
	rfc3339Re  = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
	httpDateRe = regexp.MustCompile(`[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}`)
	spacesRe   = regexp.MustCompile(`[ \t]+`)
)

// normalise makes two outputs of the same command comparable: ages and
// timestamps become placeholders, column padding one space.
func normalise(s string) string {
	s = rfc3339Re.ReplaceAllString(s, "<time>")
	s = httpDateRe.ReplaceAllString(s, "<time>")
	s = durationRe.ReplaceAllString(s, "<age>")
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSpace(spacesRe.ReplaceAllString(l, " "))
	}
	return strings.Join(lines, "\n")
}

// TestSameOutputAsKubectl runs each supported verb through the engine and
// through the built kubectl, both as the read-only user, and compares the
// outputs after redaction and normalising ages and timestamps. The cluster
// moves on (events repeat, statuses change), so a differing pair is run
// again a few times before it counts as a failure.
func TestSameOutputAsKubectl(t *testing.T) {
	f := setup(t)
	red := redact.New()
	ns := f.ns
	tests := []struct {
		line    string
		kubectl []string // when it differs from the line
		drop    string   // a line prefix kubectl prints and the engine does not
	}{
		{line: "get pods"},
		{line: "get pods -o wide"},
		{line: "get pods -o name"},
		{line: "get pods --show-labels"},
		{line: "get pods -l app=nginx-with-10gi"},
		{line: "get pods --field-selector status.phase=Pending"},
		{line: "get pods --sort-by=.metadata.name"},
		{line: "get deploy,rs"},
		{line: "get deploy nginx-with-5gi -o yaml"},
		{line: "get cm app-config -o json"},
		{line: "get nodes"},
		{line: "get nodes -o wide"},
		{line: "get po -A"},
		{line: "get events --field-selector type=Warning"},
		{line: "get widgets"},
		{line: "get wd gear -o yaml"},
		{line: "get crd widgets.example.com"},
		{line: "get all"},
		{line: "get secrets"},
		{line: "get secret db-creds -o yaml"},
		{line: "get pod/canary deploy/nginx-with-5gi"},
		{line: "get pods nothing-here --ignore-not-found"},
		{line: "get services -n kube-system"},
		{line: "describe pod canary"},
		{line: "describe deploy nginx-with-10gi"},
		{line: "describe node 3shake-k8s-node-001"},
		{line: "describe cm app-config"},
		{line: "describe secret db-creds"},
		{line: "describe widgets gear"},
		{line: "describe pods -l app=nginx-with-10gi"},
		{line: "events"},
		{line: "events --types=Warning"},
		{line: "events --for deploy/nginx-with-10gi"},
		{line: "events -A --types=Warning"},
		{line: "rollout status deploy/nginx-with-5gi", kubectl: []string{"rollout", "status", "deploy/nginx-with-5gi", "--watch=false"}},
		{line: "rollout status deploy/nginx-with-10gi", kubectl: []string{"rollout", "status", "deploy/nginx-with-10gi", "--watch=false"}},
		{line: "rollout history deploy/nginx-with-5gi"},
		{line: "rollout history deploy/nginx-with-5gi --revision=1"},
		{line: "api-resources"},
		{line: "api-resources --namespaced=false -o wide"},
		{line: "api-resources --api-group=apps -o name"},
		{line: "api-versions"},
		{line: "version", drop: "Kustomize Version:"},
		{line: "cluster-info"},
		{line: "explain pods"},
		{line: "explain deployment.spec.strategy --recursive"},
		{line: "explain widgets"},
		{line: "auth can-i list pods"},
		{line: "auth can-i create pods"},
		{line: "auth can-i --list"},
		{line: "auth whoami"},
		{line: "auth whoami -o yaml"},
	}
	ctx := context.Background()
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			line := tc.line
			if !strings.Contains(line, " -n ") {
				line += " -n " + ns
			}
			a, err := kube.Parse(line)
			if err != nil {
				t.Fatal(err)
			}
			kargs := tc.kubectl
			if kargs == nil {
				kargs = a.Args
			} else {
				kargs = append(kargs, "-n", ns)
			}
			var ours, theirs string
			for attempt := 1; attempt <= 4; attempt++ {
				res, err := f.exec.Run(ctx, a)
				if err != nil {
					t.Fatalf("engine: %v", err)
				}
				out, kerr := kubectlAs(ctx, f.c, f.c.ReadOnlyKubeconfig, kargs...)
				if kerr != nil && !strings.HasPrefix(tc.line, "auth can-i") {
					t.Fatalf("kubectl: %v", kerr)
				}
				if tc.drop != "" {
					out = regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(tc.drop)+`.*\n`).ReplaceAllString(out, "")
				}
				out, _ = red.Redact(redact.Terminal(out))
				ours, theirs = normalise(res.Output), normalise(out)
				if ours == theirs {
					return
				}
				time.Sleep(time.Duration(attempt) * 500 * time.Millisecond)
			}
			t.Errorf("%s: engine and kubectl differ\n--- engine\n%s\n--- kubectl\n%s", a.String(), ours, theirs)
		})
	}
}

// TestSameErrorsAsKubectl checks that failures read as kubectl words them.
func TestSameErrorsAsKubectl(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	for _, line := range []string{
		"get pod nothing-here",
		"get nosuchkind",
		"describe pod nothing-here",
		"logs canary",
		"logs nothing-here",
		"rollout history deploy/nothing-here",
		"explain nosuchkind",
	} {
		t.Run(line, func(t *testing.T) {
			a, err := kube.Parse(line + " -n " + f.ns)
			if err != nil {
				t.Fatal(err)
			}
			_, err = f.exec.Run(ctx, a)
			out, kerr := kubectlAs(ctx, f.c, f.c.ReadOnlyKubeconfig, a.Args...)
			if err == nil || kerr == nil {
				t.Fatalf("engine error %v, kubectl error %v (%s)", err, kerr, out)
			}
			if normalise(err.Error()) != normalise(out) {
				t.Errorf("engine: %s\nkubectl: %s", err, out)
			}
		})
	}
	a, _ := kube.Parse("top pod -n " + f.ns)
	if _, err := f.exec.Run(ctx, a); err == nil || err.Error() != "metrics API not available on this cluster" {
		t.Errorf("top pod: %v", err)
	}
	a, _ = kube.Parse("top node")
	if _, err := f.exec.Run(ctx, a); err == nil || err.Error() != "metrics API not available on this cluster" {
		t.Errorf("top node: %v", err)
	}
}

// proposals returns every line of the parse table and writes aimed at the
// fixture, each with -n of the fixture where it makes sense.
func proposals(ns string) []string {
	runsLines, redacted, never, refused := kube.Proposals()
	all := append(append(append(runsLines, redacted...), never...), refused...)
	for _, l := range []string{
		"delete pod canary", "delete deploy nginx-with-5gi", "delete secret db-creds", "delete ns " + ns,
		"scale deploy/nginx-with-10gi --replicas=0", "patch cm app-config -p '{\"data\":{\"mode\":\"slow\"}}'",
		"label pod canary x=y", "annotate pod canary x=y", "edit cm app-config", "apply -f /dev/null",
		"create cm new --from-literal=a=b", "set image deploy/nginx-with-5gi nginx=nginx:1.28",
		"rollout restart deploy/nginx-with-5gi", "rollout undo deploy/nginx-with-5gi", "rollout pause deploy/nginx-with-5gi",
		"cordon 3shake-k8s-node-001", "drain 3shake-k8s-node-001", "taint nodes 3shake-k8s-node-001 a=b:NoSchedule",
		"exec canary -- cat /etc/passwd", "attach canary", "port-forward pod/canary 8080:80", "cp canary:/etc/passwd /tmp/p",
		"debug canary --image=busybox", "logs -f canary", "get pods -w", "create token default",
		"expose deploy nginx-with-5gi --port=80", "autoscale deploy nginx-with-5gi --max=3", "run x --image=busybox",
		"replace -f /dev/null", "certificate approve csr-x", "auth reconcile -f /dev/null",
	} {
		all = append(all, l+" -n "+ns)
	}
	return all
}

// TestAuditOnlyReads sends every proposal through Parse and Run as the
// read-only user; the API server's audit log must then hold only get, list
// and watch requests (and the self-subject reviews auth can-i and whoami
// create), and the fixture must be untouched.
func TestAuditOnlyReads(t *testing.T) {
	f := setup(t)
	mark, err := f.c.AuditMark()
	if err != nil {
		t.Fatal(err)
	}
	lines := proposals(f.ns)
	if len(lines) < 100 {
		t.Fatalf("only %d proposals", len(lines))
	}
	ran, refused := 0, 0
	for _, line := range lines {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		a, _ := kube.Parse(line)
		_, err := f.exec.Run(ctx, a)
		cancel()
		switch {
		case errors.Is(err, kube.ErrNotExecuted):
			refused++
			if a.Risk == kube.ReadOnly || a.Risk == kube.Sensitive {
				t.Errorf("%q: %s action not executed: %v", line, a.Risk, err)
			}
		default:
			ran++
			if a.Risk != kube.ReadOnly && a.Risk != kube.Sensitive {
				t.Errorf("%q: %s action ran", line, a.Risk)
			}
		}
	}
	time.Sleep(time.Second) // the audit backend writes asynchronously
	events, err := f.c.AuditSince(mark)
	if err != nil {
		t.Fatal(err)
	}
	selfReviews := map[string]bool{"selfsubjectaccessreviews": true, "selfsubjectrulesreviews": true, "selfsubjectreviews": true}
	reads := 0
	for _, e := range events {
		switch {
		case e.User != kubetest.ReadOnlyUser:
			t.Errorf("audit: request by %s", e)
		case e.ReadOnly():
			reads++
		case e.Verb == "create" && selfReviews[e.Resource]:
		default:
			t.Errorf("audit: %s", e)
		}
	}
	t.Logf("%d proposals: %d ran, %d not executed; audit log: %d requests, %d reads", len(lines), ran, refused, len(events), reads)
	if reads == 0 {
		t.Error("the audit log holds no reads: is it recording the read-only user?")
	}
	ctx := context.Background()
	if _, err := f.c.Admin.CoreV1().Pods(f.ns).Get(ctx, "canary", metav1.GetOptions{}); err != nil {
		t.Errorf("the canary pod is gone: %v", err)
	}
	d, err := f.c.Admin.AppsV1().Deployments(f.ns).Get(ctx, "nginx-with-10gi", metav1.GetOptions{})
	if err != nil || *d.Spec.Replicas != 2 {
		t.Errorf("nginx-with-10gi changed: %v", err)
	}
}

// TestCanaries runs every read of the fixture and checks that no output,
// model view or error holds a canary, while kubectl shows the values.
func TestCanaries(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	ns := f.ns
	lines := []string{
		"get secret db-creds -o yaml", "get secret db-creds -o json", "get secrets -o yaml", "describe secret db-creds",
		"get cm app-config -o yaml", "get cm app-config -o json", "get cm -o yaml", "describe cm app-config",
		"get pod canary -o yaml", "get pod canary -o json", "get pods -o yaml", "describe pod canary", "describe pods",
		"get all -o yaml", "get pods -o wide", "logs canary", "events", "events -o yaml", "get events -o json",
		"get secret,cm,pod -o yaml -A",
	}
	var plain []string
	for _, c := range canaries {
		plain = append(plain, c, base64.StdEncoding.EncodeToString([]byte(c)))
	}
	for _, line := range lines {
		a, err := kube.Parse(line + " -n " + ns)
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.exec.Run(ctx, a)
		text := res.Output + "\n" + res.ModelView
		if err != nil {
			text += "\n" + err.Error()
		}
		for _, c := range plain {
			if strings.Contains(text, c) {
				t.Errorf("%s: output holds canary %q", a.String(), c)
			}
		}
	}
	// The canaries are really there for anyone without the redactor.
	for args, c := range map[string]string{
		"get secret db-creds -o yaml": base64.StdEncoding.EncodeToString([]byte(canarySecret)),
		"describe pod canary":         canaryEnv,
		"get cm app-config -o yaml":   canaryCM,
		"describe cm app-config":      canaryKey,
	} {
		out, err := kubectlAs(ctx, f.c, f.c.ReadOnlyKubeconfig, append(strings.Fields(args), "-n", ns)...)
		if err != nil || !strings.Contains(out, c) {
			t.Errorf("kubectl %s does not show the canary %q: %v", args, c, err)
		}
	}
}

// TestConnectRealServer checks Connect against the real API server.
func TestConnectRealServer(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	path := f.c.ReadOnlyKubeconfig
	fl := newFlags(path, "")
	c, err := kube.Connect(ctx, fl)
	if err != nil {
		t.Fatal(err)
	}
	if c.ServerVersion != "v1.37.2" || c.Server == "" || c.Context == "" {
		t.Errorf("conn = %+v", c)
	}
	if _, err := kube.Connect(ctx, newFlags(path, "nope")); err == nil || !strings.HasPrefix(err.Error(), `context "nope" is not in the kubeconfig; available contexts: `) {
		t.Errorf("unknown context: %v", err)
	}
	// A token the server does not know is rejected with 401.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bad := regexp.MustCompile(`(?m)^(\s+)client-(certificate|key)-data: .*$`).ReplaceAllString(string(data), "")
	bad = strings.Replace(bad, "user:\n", "user:\n    token: not-a-real-token\n", 1)
	badPath := filepath.Join(t.TempDir(), "bad.kubeconfig")
	if err := os.WriteFile(badPath, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.Connect(ctx, newFlags(badPath, "")); err == nil || !strings.Contains(err.Error(), "rejected the credentials") {
		t.Errorf("bad token: %v", err)
	}
}

func newFlags(kubeconfig, context string) *genericclioptions.ConfigFlags {
	f := genericclioptions.NewConfigFlags(false)
	f.KubeConfig = &kubeconfig
	if context != "" {
		f.Context = &context
	}
	return f
}
