package kube

import (
	"context"
	"errors"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
)

// fuzzNamespace holds the objects FuzzReadFlags reads.
const fuzzNamespace = "fuzz-flags"

// fuzzFixture has fields that kubectl's sorter could not compare: maps,
// lists, booleans, an int-or-string field that is a string in one
// Deployment and a number in the other, and a custom resource whose fields
// change kind from one object to the next.
const fuzzFixture = `apiVersion: v1
kind: Namespace
metadata: {name: ` + fuzzNamespace + `}
---
apiVersion: v1
kind: Secret
metadata: {name: b-creds, labels: {app: b}}
stringData: {password: fuzz-b}
---
apiVersion: v1
kind: Secret
metadata: {name: a-creds, labels: {app: a}}
stringData: {token: fuzz-a}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {mode: fast}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%}}
  template:
    metadata: {labels: {app: web}}
    spec:
      nodeSelector: {fuzz: nowhere}
      containers: [{name: app, image: busybox:1.36}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, labels: {app: api}}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1}}
  template:
    metadata: {labels: {app: api}}
    spec:
      nodeSelector: {fuzz: nowhere}
      containers: [{name: app, image: busybox:1.36}]
---
apiVersion: v1
kind: Pod
metadata: {name: lone, labels: {app: lone}}
spec:
  enableServiceLinks: true
  nodeSelector: {fuzz: nowhere}
  containers: [{name: app, image: busybox:1.36}]
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.fuzz.example.com}
spec:
  group: fuzz.example.com
  names: {kind: Gadget, plural: gadgets, singular: gadget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
`

const fuzzGadgets = `apiVersion: fuzz.example.com/v1
kind: Gadget
metadata: {name: g1}
spec: {size: large, on: true, parts: [a, b], ratio: 1.5}
---
apiVersion: fuzz.example.com/v1
kind: Gadget
metadata: {name: g2}
spec: {size: 3, on: false, parts: none, ratio: 2}
`

// fuzzOperands are the operands tried with each verb, aimed at the fixture.
var fuzzOperands = map[string][]string{
	"get":             {"pods", "secrets", "deploy", "cm", "gadgets", "all", "pods,secrets", "deploy/web", "nodes", "events"},
	"describe":        {"pods", "deploy web", "secrets", "gadgets"},
	"logs":            {"lone", "deploy/web"},
	"rollout status":  {"deploy/web", "deploy api"},
	"rollout history": {"deploy/web"},
	"explain":         {"pods.spec", "deploy", "gadgets"},
	"auth can-i":      {"list pods", "get secrets"},
}

// fuzzVerbs are the read verbs in a fixed order.
var fuzzVerbs = func() []string {
	keys := make([]string, 0, len(readVerbs))
	for k := range readVerbs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}()

// fuzzLine builds a command line from the verb tables: a read verb, one of
// its operands and two of its flags with the given values, in the fixture's
// namespace unless a flag says otherwise. A flag whose value is empty is
// given bare (a boolean) or, for a flag with fixed values, takes one of them.
func fuzzLine(verb, operand, flag1 uint8, value1 string, flag2 uint8, value2 string) string {
	key := fuzzVerbs[int(verb)%len(fuzzVerbs)]
	def := readVerbs[key]
	words := []string{key}
	if ops := fuzzOperands[key]; len(ops) > 0 {
		words = append(words, ops[int(operand)%len(ops)])
	}
	namespaced := false
	for i, pick := range []struct {
		n uint8
		v string
	}{{flag1, value1}, {flag2, value2}} {
		f := def.flags[int(pick.n)%len(def.flags)]
		namespaced = namespaced || f.name == "namespace" || f.name == "all-namespaces"
		v := pick.v
		if v == "" && f.values != nil {
			v = f.values[(int(pick.n)+i)%len(f.values)]
		}
		if v == "" {
			words = append(words, "--"+f.name)
			continue
		}
		words = append(words, "--"+f.name+"="+quote(v))
	}
	if !namespaced {
		words = append(words, "-n", fuzzNamespace)
	}
	return strings.Join(words, " ")
}

// fuzzSeed returns the arguments of fuzzLine for a verb, an operand and a
// flag with its value (the second flag is the first again).
func fuzzSeed(tb testing.TB, key, operand, flag, value string) (uint8, uint8, uint8, string, uint8, string) {
	v := slices.Index(fuzzVerbs, key)
	o := max(slices.Index(fuzzOperands[key], operand), 0)
	f := slices.IndexFunc(readVerbs[key].flags, func(d flagDef) bool { return d.name == flag })
	if v < 0 || f < 0 {
		tb.Fatalf("no seed for %s --%s", key, flag)
	}
	return uint8(v), uint8(o), uint8(f), value, uint8(f), value
}

// Environment handed from the fuzzing process to its workers, which must
// not start a control plane of their own.
const fuzzKubeconfigEnv = "KUBERESPONDER_FUZZ_KUBECONFIG"

// FuzzReadFlags runs lines built from the verb tables with fuzzed flag values
// through Parse and Executor.Run against the real control plane, as the
// read-only user. The process must survive every line (a klog.Exitf or
// os.Exit in a worker is reported as a crash), no run may end in a
// recovered panic, and the API server's audit log must hold nothing but
// reads (and the self-reviews of auth can-i and whoami) when fuzzing ends.
func FuzzReadFlags(f *testing.F) {
	kubeconfig := os.Getenv(fuzzKubeconfigEnv)
	if fl := flag.Lookup("test.fuzzworker"); kubeconfig == "" || fl == nil || fl.Value.String() != "true" {
		kubeconfig = fuzzCluster(f)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		f.Fatal(err)
	}
	e, err := NewExecutor(cfg, ExecOptions{Namespace: fuzzNamespace, Timeout: 15 * time.Second})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct{ key, operand, flag, value string }{
		{"get", "secrets", "sort-by", "{.metadata}"},
		{"get", "secrets", "sort-by", ".data"},
		{"get", "pods,secrets", "sort-by", ".metadata"},
		{"get", "all", "sort-by", ".metadata.labels"},
		{"get", "deploy", "sort-by", ".spec.strategy.rollingUpdate.maxSurge"},
		{"get", "pods", "sort-by", ".spec.enableServiceLinks"},
		{"get", "pods", "sort-by", ".spec.containers"},
		{"get", "gadgets", "sort-by", ".spec.size"},
		{"get", "gadgets", "sort-by", ".spec.parts[0]"},
		{"get", "gadgets", "sort-by", ".spec.ratio"},
		{"get", "secrets", "sort-by", ".metadata.name"},
		{"get", "pods", "output", "yaml"},
		{"get", "pods", "chunk-size", "1"},
		{"logs", "lone", "tail", "-1"},
		{"logs", "lone", "since", "1s"},
		{"describe", "pods", "chunk-size", "1"},
		{"rollout history", "deploy/web", "revision", "99"},
		{"events", "", "for", "deploy/web"},
		{"api-resources", "", "verbs", "list"},
		{"explain", "pods.spec", "api-version", "v1"},
		{"auth can-i", "list pods", "subresource", "log"},
		{"top pod", "", "sort-by", "cpu"},
	} {
		v, o, f1, v1, f2, v2 := fuzzSeed(f, s.key, s.operand, s.flag, s.value)
		f.Add(v, o, f1, v1, f2, v2)
	}
	f.Fuzz(func(t *testing.T, verb, operand, flag1 uint8, value1 string, flag2 uint8, value2 string) {
		line := fuzzLine(verb, operand, flag1, value1, flag2, value2)
		a, perr := Parse(line)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := e.Run(ctx, a)
		switch {
		case perr != nil:
			if !errors.Is(err, ErrNotExecuted) {
				t.Fatalf("%q is refused (%v) but Run says %v", line, perr, err)
			}
		case errors.Is(err, ErrNotExecuted):
			t.Fatalf("%q (%s) was not executed: %v", line, a.Risk, err)
		case err != nil && strings.Contains(err.Error(), "failed unexpectedly"):
			t.Fatalf("%q panicked: %v", line, err)
		case err != nil && strings.Contains(err.Error(), "\n"):
			t.Fatalf("%q: error is not one sentence: %q", line, err)
		}
	})
}

// fuzzCluster starts the control plane (skipping under -short), applies
// the fixture, hands the read-only kubeconfig to the fuzz workers and
// checks the audit log when fuzzing ends.
func fuzzCluster(f *testing.F) string {
	c := kubetest.Start(f) // skips under -short: "end-to-end test: skipped under -short"
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Apply(ctx, fuzzFixture); err != nil {
		f.Fatal(err)
	}
	// The CRD serves its objects a moment after it is created.
	if err := wait.PollUntilContextCancel(ctx, 500*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		return c.ApplyIn(ctx, fuzzNamespace, fuzzGadgets) == nil, nil
	}); err != nil {
		f.Fatalf("apply the gadgets: %v", err)
	}
	mark, err := c.AuditMark()
	if err != nil {
		f.Fatal(err)
	}
	f.Setenv(fuzzKubeconfigEnv, c.ReadOnlyKubeconfig)
	f.Cleanup(func() {
		time.Sleep(time.Second) // the audit backend writes asynchronously
		events, err := c.AuditSince(mark)
		if err != nil {
			f.Fatal(err)
		}
		reads, reviews := 0, 0
		for _, ev := range events {
			switch {
			case ev.ReadOnly():
				reads++
			case ev.Verb == "create" && selfReviews[ev.Resource] == ev.APIGroup && ev.Subresource == "":
				reviews++
			default:
				f.Errorf("the read-only user sent more than a read: %s", ev)
			}
		}
		f.Logf("audit log: %d requests of the read-only user since the fixture: %d reads, %d self-reviews, %d others",
			len(events), reads, reviews, len(events)-reads-reviews)
	})
	return c.ReadOnlyKubeconfig
}
