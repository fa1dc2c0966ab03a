package kube_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/kube/snapshot"
	"github.com/kuberesponder/kuberesponder/kube/triage"
)

// canarySeed is the generator's seed: KUBERESPONDER_CANARY_SEED, else 1.
func canarySeed(t *testing.T) uint64 {
	t.Helper()
	s := os.Getenv("KUBERESPONDER_CANARY_SEED")
	if s == "" {
		return 1
	}
	seed, err := strconv.ParseUint(s, 0, 64)
	if err != nil {
		t.Fatalf("KUBERESPONDER_CANARY_SEED=%q: %v", s, err)
	}
	return seed
}

// applyCanaries applies every generated object as admin into ns.
func applyCanaries(t *testing.T, c *kubetest.Cluster, ns string, set *kubetest.Canaries) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, obj := range set.Objects {
		js, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.ApplyIn(ctx, ns, string(js)); err != nil {
			t.Fatalf("apply %s: %v", kubetest.Ref(obj), err)
		}
	}
}

// resourceOf is the resource name the read verbs take for each generated kind.
var resourceOf = map[string]string{
	"Secret": "secret", "ConfigMap": "configmap", "Pod": "pod", "Deployment": "deployment",
	"StatefulSet": "statefulset", "CronJob": "cronjob", "Event": "event",
}

// getOutputs are the get flags tried on every object; jsonpath,
// custom-columns and go-template are refused by the parser today, and are
// checked in case that changes.
var getOutputs = []string{"", "-o wide", "-o yaml", "-o json", "-o name", "--show-labels",
	"-o jsonpath={.metadata}", "-o custom-columns=NAME:.metadata.name,DATA:.data", "-o go-template={{.}}"}

// TestGeneratedCanaries applies generated canary objects to the real
// control plane and checks, as the read-only user, every read verb in every
// output format for each object and each kind, the snapshot file and the
// first-response report: no canary in any encoding, and every ordinary
// value still shown by get -o yaml, get -o json and describe.
func TestGeneratedCanaries(t *testing.T) {
	c := kubetest.Start(t)
	ns := c.Namespace(t)
	set := kubetest.GenerateCanaries(canarySeed(t), kubetest.CanaryOptions{Namespace: ns, Now: time.Now()})
	applyCanaries(t, c, ns, set)
	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(kube.ReadOnlyConfig(c.ReadOnlyConfig))
	if err != nil {
		t.Fatal(err)
	}
	// The controllers' pods carry the templates' canaries too.
	_ = wait.PollUntilContextTimeout(ctx, 500*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		return err == nil && len(pods.Items) >= 4, nil
	})
	e, err := kube.NewExecutor(c.ReadOnlyConfig, kube.ExecOptions{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	check := &kubetest.CanaryCheck{Set: set}
	commands, refused := 0, 0
	run := func(r interface {
		Run(context.Context, kube.Action) (kube.Result, error)
	}, who, line, object string, keep bool) {
		t.Helper()
		commands++
		a, err := kube.Parse(line)
		if err != nil {
			refused++
			check.Leaks(t, who+" "+line+" (refused)", err.Error())
			return
		}
		res, err := r.Run(ctx, a)
		if errors.Is(err, kube.ErrNotExecuted) {
			refused++
		}
		check.Leaks(t, who+" "+line+": output", res.Output)
		check.Leaks(t, who+" "+line+": model view", res.ModelView)
		if err != nil {
			check.Leaks(t, who+" "+line+": error", err.Error())
		}
		if keep && err == nil {
			check.Kept(t, who+" "+line, res.Output, object)
		}
	}

	var pod, deploy string
	kinds := map[string]bool{}
	for _, obj := range set.Objects {
		ref := kubetest.Ref(obj)
		kind, name, _ := strings.Cut(ref, "/")
		kinds[kind] = true
		switch kind {
		case "Pod":
			pod = name
		case "Deployment":
			deploy = name
		}
		res := resourceOf[kind]
		for _, out := range getOutputs {
			keep := out == "-o yaml" || out == "-o json"
			run(e, "executor", strings.TrimSpace("get "+res+" "+name+" "+out), ref, keep)
		}
		run(e, "executor", "describe "+res+" "+name, ref, kind != "Event")
	}
	for kind := range kinds {
		res := resourceOf[kind]
		for _, line := range []string{"get " + res, "get " + res + " -o yaml", "get " + res + " -o json", "get " + res + " -o wide", "describe " + res} {
			run(e, "executor", line, "", false)
		}
	}
	for _, line := range []string{
		"get all", "get all -o yaml", "get secret,cm,pod,deploy,sts,cronjob -o json", "get rs -o yaml", "describe rs",
		"get pods -o yaml", "describe pods", "get jobs -o yaml", "get events", "get events -o yaml", "get events -o json",
		"events", "events -o yaml", "events -o json", "events --for pod/" + pod, "describe pod " + pod + " --show-events",
		"logs " + pod, "logs " + pod + " -c init", "logs " + pod + " --all-containers", "logs deploy/" + deploy,
		"rollout history deployment/" + deploy, "rollout history deployment/" + deploy + " --revision=1",
		"get secrets -A -o yaml", "get cm -A -o json", "get pods -A -o json",
	} {
		run(e, "executor", line, "", false)
	}
	for _, obj := range set.Objects {
		if obj["kind"] == "Event" {
			for _, line := range []string{"get events -o yaml", "events -o json"} {
				res, err := e.Run(ctx, mustParse(t, line))
				if err == nil {
					check.Kept(t, "executor "+line, res.Output, kubetest.Ref(obj))
				}
			}
		}
	}

	executorOutputs := check.Outputs

	// The snapshot file, and the read verbs answered from it.
	f, err := snapshot.Capture(ctx, cs, snapshot.Options{Namespace: ns})
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	var file bytes.Buffer
	if err := f.Write(&file); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&file)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	check.Leaks(t, "snapshot file", string(raw))
	check.Kept(t, "snapshot file", string(raw), "Pod/"+pod)
	snap, err := snapshot.Open(f)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := snap.Runner(kube.ExecOptions{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"get pods -o yaml", "get pods -o json", "describe pods", "get cm -o yaml", "describe cm",
		"get secrets -o yaml", "describe secrets", "get deploy -o yaml", "describe deploy", "get events -o yaml", "events"} {
		run(sr, "snapshot runner", line, "", false)
	}

	snapshotOutputs := check.Outputs - executorOutputs

	// The first response: facts, report (Markdown and JSON) and the prompt.
	facts, err := triage.Gather(ctx, cs, triage.Options{Namespace: ns})
	if err != nil {
		t.Fatalf("triage: %v", err)
	}
	report := triage.Build(facts)
	factsJSON, _ := json.Marshal(facts)
	reportJSON, err := report.JSON()
	if err != nil {
		t.Fatal(err)
	}
	prompt, err := triage.Prompt(report, "en")
	if err != nil {
		t.Fatal(err)
	}
	md := report.Markdown("en")
	for what, text := range map[string]string{
		"triage facts": string(factsJSON), "report JSON": string(reportJSON),
		"report Markdown": md, "report Markdown (ja)": report.Markdown("ja"), "first-response prompt": prompt,
	} {
		check.Leaks(t, what, text)
	}
	if !strings.Contains(md, pod) {
		t.Errorf("the report does not name the pod %s:\n%s", pod, md)
	}
	shown := len(set.Ordinary) - len(set.Missing(md+string(reportJSON), ""))

	check.Report(t)
	t.Logf("seed %d: %d objects, %d canary positions (%s), %d ordinary values; %d commands (%d refused), "+
		"%d outputs checked (executor %d, snapshot file and runner %d, first response %d); report shows %d ordinary values; "+
		"%d canary positions leaked",
		set.Seed, len(set.Objects), len(set.Canaries), set.Categories(), len(set.Ordinary), commands, refused,
		check.Outputs, executorOutputs, snapshotOutputs, check.Outputs-executorOutputs-snapshotOutputs, shown, len(check.Leaked()))
}

func mustParse(t *testing.T, line string) kube.Action {
	t.Helper()
	a, err := kube.Parse(line)
	if err != nil {
		t.Fatalf("parse %q: %v", line, err)
	}
	return a
}

// TestCanarySecretListOverCap reads a list of Secrets several times the
// output cap with get -o yaml and -o json: neither the cut output nor the
// model's view holds any value, and the output is really cut.
func TestCanarySecretListOverCap(t *testing.T) {
	const maxBytes = 256 << 10
	c := kubetest.Start(t)
	ns := c.Namespace(t)
	set := kubetest.GenerateSecretList(canarySeed(t), kubetest.CanaryOptions{Namespace: ns}, 200, 4, 1000)
	applyCanaries(t, c, ns, set)
	ctx := context.Background()
	e, err := kube.NewExecutor(c.ReadOnlyConfig, kube.ExecOptions{Namespace: ns, MaxBytes: maxBytes})
	if err != nil {
		t.Fatal(err)
	}
	check := &kubetest.CanaryCheck{Set: set}
	for _, out := range []string{"yaml", "json"} {
		line := "get secrets -o " + out
		raw, err := c.Kubectl(ctx, c.ReadOnlyKubeconfig, "get", "secrets", "-n", ns, "-o", out)
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) < 3*maxBytes {
			t.Fatalf("kubectl %s prints %d bytes, want at least 3x the cap of %d", line, len(raw), maxBytes)
		}
		if n := len(set.Leaks(raw)); n != len(set.Canaries) {
			t.Errorf("kubectl %s shows %d of %d canaries; the fixture is not what the test thinks", line, n, len(set.Canaries))
		}
		res, err := e.Run(ctx, mustParse(t, line))
		if err != nil {
			t.Errorf("%s: %v", line, err)
		}
		check.Leaks(t, line+": output", res.Output)
		check.Leaks(t, line+": model view", res.ModelView)
		if !strings.Contains(res.Output, "output cut") || len(res.Output) > maxBytes+1024 {
			t.Errorf("%s: %d bytes of output (kubectl prints %d); want it cut at %d and saying so", line, len(res.Output), len(raw), maxBytes)
		}
		if shown := len(set.Ordinary) - len(set.Missing(res.Output, "")); shown == 0 {
			t.Errorf("%s: the output shows none of the Secrets' labels", line)
		}
		t.Logf("%s: kubectl prints %d bytes (%.1fx the cap of %d); the executor's output is %d bytes, its model view %d",
			line, len(raw), float64(len(raw))/maxBytes, maxBytes, len(res.Output), len(res.ModelView))
	}
	check.Report(t)
	t.Logf("seed %d: %d Secrets, %d canary positions, %d outputs checked, %d positions leaked",
		set.Seed, len(set.Objects), len(set.Canaries), check.Outputs, len(check.Leaked()))
}
