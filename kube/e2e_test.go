package kube_test

import (
	"bytes"
	"context"
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
	// lastAppliedRe finds the last-applied annotation's value, which the
	// engine redacts as the object it holds and the text layer whole.
	lastAppliedRe = regexp.MustCompile(`("?kubectl\.kubernetes\.io/last-applied-configuration"?:\s*).*`)
)

// normalise makes two outputs of the same command comparable: ages and
// timestamps become placeholders, column padding one space.
func normalise(s string) string {
	s = rfc3339Re.ReplaceAllString(s, "<time>")
	s = httpDateRe.ReplaceAllString(s, "<time>")
	s = durationRe.ReplaceAllString(s, "<age>")
	s = lastAppliedRe.ReplaceAllString(s, "${1}<last-applied>")
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

// TestOutputBounds checks the cap on the full output and the model's budget
// on a real, large answer.
func TestOutputBounds(t *testing.T) {
	f := setup(t)
	e, err := kube.NewExecutor(f.c.ReadOnlyConfig, kube.ExecOptions{Namespace: f.ns, MaxBytes: 5000, TokenBudget: 500})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := kube.Parse("get pods -A -o yaml")
	res, err := e.Run(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Output) > 5200 || !strings.Contains(res.Output, "[output cut at 5000 bytes; narrow with") {
		t.Errorf("output of %d bytes does not end with the cut notice", len(res.Output))
	}
	if res.OmittedLines == 0 || !strings.Contains(res.ModelView, "lines omitted; narrow with --tail, --since, -l or --field-selector") {
		t.Errorf("model view not cut: %d lines omitted", res.OmittedLines)
	}
	if !strings.Contains(res.Summary, "left out for the model") {
		t.Errorf("summary %q", res.Summary)
	}
}
