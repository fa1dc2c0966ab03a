package triage_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/llm/llmtest"
)

func TestMain(m *testing.M) { kubetest.Main(m) }

func scenario(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "scenarios", name+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestE2ESeedReport reproduces the seed incident and checks the offline
// report, through the library and through the kuberesponder binary, and that
// only reads reached the API server.
func TestE2ESeedReport(t *testing.T) {
	c := kubetest.Start(t)
	ns := c.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := c.SeedIncident(ctx, ns); err != nil {
		t.Fatal(err)
	}
	mark, err := c.AuditMark()
	if err != nil {
		t.Fatal(err)
	}
	cs := c.ReadOnly(t)
	var r triage.Report
	waitFor(ctx, t, func() bool {
		f, err := triage.Gather(ctx, cs, triage.Options{Namespace: ns})
		if err != nil {
			t.Fatal(err)
		}
		r = triage.Build(f)
		return len(r.Findings) == 1 && r.Findings[0].Impact.Available == 1
	}, "one finding with 1 of 2 available")
	f := r.Findings[0]
	if f.Rule != "scheduling/insufficient-memory" || f.Object.Kind != "Pod" || !strings.HasPrefix(f.Object.Name, "nginx-with-10gi-") {
		t.Fatalf("finding = %s %s", f.Rule, f.Object)
	}
	if f.Urgency != triage.High || r.Urgency != "high" {
		t.Errorf("urgency = %s (%s), want high", f.Urgency, f.UrgencyRule)
	}
	md := r.Markdown("en")
	t.Logf("report:\n%s", md)
	for _, want := range []string{
		"Pod " + ns + "/" + f.Object.Name,
		"Warning FailedScheduling pod/" + f.Object.Name + ": 0/2 nodes are available: 2 Insufficient memory.",
		"memory allocatable 11.3Gi, requested 10Gi, free 1.3Gi < request 10Gi",
		"memory allocatable 11.3Gi, requested 5Gi, free 6.3Gi < request 10Gi",
		"Deployment " + ns + "/nginx-with-10gi: 1 of 2 available",
		"**Overall urgency: HIGH**",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q:\n%s", want, md)
		}
	}
	for _, n := range kubetest.SeedNodes {
		if !strings.Contains(md, "node "+n+": memory allocatable") {
			t.Errorf("report lacks the free memory of node %s", n)
		}
	}
	pods, err := c.Admin.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		if p.Name != f.Object.Name && strings.Contains(md[:strings.Index(md, "## Cluster facts")], p.Name) {
			t.Errorf("healthy pod %s appears in the findings", p.Name)
		}
	}
	ja := r.Markdown("ja")
	for _, want := range []string{"## 1. 障害箇所と根拠", "空き 1.3Gi < 要求 10Gi", "2 個中 1 個が利用可能", "高（high）"} {
		if !strings.Contains(ja, want) {
			t.Errorf("ja report lacks %q", want)
		}
	}

	// The command line: build kuberesponder and run it as the read-only user.
	bin := filepath.Join(t.TempDir(), "kuberesponder")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/kuberesponder/kuberesponder")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, format := range []string{"markdown", "json"} {
		cmd := exec.CommandContext(ctx, bin, "report", "--kubeconfig", c.ReadOnlyKubeconfig, "-n", ns, "--offline", "-o", format)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("kuberesponder report -o %s: %v", format, err)
		}
		if !strings.Contains(string(out), "free 1.3Gi") || !strings.Contains(string(out), f.Object.Name) {
			t.Errorf("kuberesponder report -o %s:\n%s", format, out)
		}
	}
	// Every namespace, as JSON: the seed finding is there with its namespace.
	out, err := exec.CommandContext(ctx, bin, "report", "--kubeconfig", c.ReadOnlyKubeconfig, "-A", "--offline", "-o", "json").Output()
	if err != nil {
		t.Fatalf("kuberesponder report -A: %v", err)
	}
	var all triage.Report
	if err := json.Unmarshal(out, &all); err != nil {
		t.Fatalf("kuberesponder report -A -o json: %v\n%s", err, out)
	}
	found := false
	for _, g := range all.Findings {
		found = found || (g.Object == f.Object && g.Rule == f.Rule)
	}
	if all.Namespace != "" || all.Version != triage.ReportVersion || !found {
		t.Errorf("report -A: namespace %q version %d, seed finding found %v", all.Namespace, all.Version, found)
	}

	// With a model: its six sections follow the rule findings, labelled.
	answer := "1. 障害箇所と根拠: Pod " + f.Object.Name + " (Pending)"
	model := llmtest.New(t, llmtest.Text(answer))
	cmd := exec.CommandContext(ctx, bin, "report", "--kubeconfig", c.ReadOnlyKubeconfig, "-n", ns,
		"--base-url", model.URL(), "--model", "test-model", "--lang", "ja")
	cmd.Env = append(os.Environ(), "OPENAI_API_KEY=test-key")
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("kuberesponder report with a model: %v", err)
	}
	rule, label := strings.Index(string(out), "## 1. 障害箇所と根拠"), strings.Index(string(out), "## モデルによる分析（test-model）")
	if rule < 0 || label < rule || !strings.Contains(string(out), answer) {
		t.Errorf("report with a model:\n%s", out)
	}
	if req, ok := model.Last(); !ok || len(req.Chat.Messages) == 0 ||
		!strings.Contains(req.Chat.Messages[len(req.Chat.Messages)-1].Content, "空き 1.3Gi < 要求 10Gi") {
		t.Errorf("the model was not given the grounded findings: %+v", req.Chat.Messages)
	}

	if c.OnlyReads(t, mark) == 0 {
		t.Error("the audit log recorded no request of the read-only user")
	}
}

// e2eCase is one cause reproduced on the control plane.
type e2eCase struct {
	name      string
	yaml      []string // scenario files applied in order, waiting for the first's finding before the next
	nodes     []string // nodes the scenario creates, deleted afterwards
	rule      string
	object    string // "Kind name-prefix"
	evidence  []string
	cause     string
	later     time.Duration // gather as if this much later (for grace periods)
	firstWait func(triage.Report) bool
	urgency   string        // the finding's urgency, when set
	kubelet   int           // record the kubelet's events once this many pods have their container states
	timeout   time.Duration // for the whole case; 2 minutes when zero
	cleanup   func(ns string)
}

func TestE2ECauses(t *testing.T) {
	c := kubetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Apply(ctx, kubetest.Scenario("nodes")); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitForNodesReady(ctx, kubetest.SeedNodes...); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []e2eCase{
		{name: "node selector mismatch", yaml: []string{"node-selector"}, rule: "scheduling/node-selector-mismatch",
			object: "Pod ssd-only-", evidence: []string{"pod nodeSelector disktype=ssd", "node label disktype: "}, cause: "matches no node's labels"},
		{name: "untolerated taint", yaml: []string{"taint"}, nodes: []string{"triage-tainted"}, rule: "scheduling/untolerated-taint",
			object: "Pod db-", evidence: []string{"node triage-tainted taints: dedicated=db:NoSchedule", "pod tolerations: <none>"}, cause: "taint"},
		{name: "unbound claim", yaml: []string{"pvc-unbound"}, rule: "scheduling/unbound-pvc",
			object: "Pod with-volume-", evidence: []string{"claim data: Pending", "unbound immediate PersistentVolumeClaims"}, cause: "not bound"},
		{name: "claim without a storage class", yaml: []string{"pvc-unbound"}, rule: "storage/pvc-pending",
			object: "PersistentVolumeClaim data", evidence: []string{"spec.storageClassName: <none>"}, cause: "no default one"},
		{name: "quota refuses pods", yaml: []string{"quota"}, rule: "workload/failed-create-quota",
			object: "ReplicaSet over-quota-", evidence: []string{"Warning FailedCreate replicaset/over-quota-", "exceeded quota: pods-limit"}, cause: "ResourceQuota"},
		{name: "limit range refuses pods", yaml: []string{"limitrange"}, rule: "workload/failed-create-limitrange",
			object: "ReplicaSet too-big-", evidence: []string{"maximum cpu usage per Container is 500m"}, cause: "LimitRange"},
		{name: "host port conflict", yaml: []string{"hostport"}, rule: "scheduling/host-port-conflict",
			object: "Pod hostport-", evidence: []string{"asks for host port TCP/31080", "already uses TCP/31080"}, cause: "host port"},
		{name: "insufficient cpu", yaml: []string{"insufficient-cpu"}, rule: "scheduling/insufficient-cpu",
			object: "Pod cpu-hog-", evidence: []string{"Insufficient cpu", "node 3shake-k8s-node-001: cpu allocatable 4"}, cause: "more than the largest node's allocatable 4"},
		{name: "service selects nothing", yaml: []string{"service"}, rule: "service/no-matching-pods",
			object: "Service orphan", evidence: []string{"selector app=nobody", "0 pods match the selector"}, cause: "matches no pod"},
		{name: "too many pods", yaml: []string{"too-many-pods"}, nodes: []string{"triage-small"}, rule: "scheduling/too-many-pods",
			object: "Pod crowd-", evidence: []string{"Too many pods", "node triage-small: 1 pods, allocatable pods 1"}, cause: "maximum number of pods"},
		{name: "rollout blocked by its surge pod", yaml: []string{"rolling", "rolling-v2"}, rule: "workload/rollout-blocked",
			object: "Deployment rolling", evidence: []string{"new ReplicaSet rolling-", "0 of 1 ready; old ReplicaSets still run 2 pods", "scheduling/insufficient-memory"},
			cause:     "cannot run",
			firstWait: func(r triage.Report) bool { return r.Summary.HealthyPods == 2 }},
		{name: "node not ready", yaml: []string{"notready-node"}, nodes: []string{"triage-notready"}, rule: "node/not-ready",
			object: "Node triage-notready", evidence: []string{"condition Ready="}, cause: "The node reports"},
		{name: "pending with no events", yaml: []string{"no-scheduler"}, rule: "pod/pending-no-events", later: time.Minute,
			object: "Pod unscheduled", evidence: []string{"spec.schedulerName: no-such-scheduler", "no warning event"}, cause: "no-such-scheduler"},
		{name: "job past its deadline", yaml: []string{"job-deadline"}, rule: "job/failed",
			object: "Job deadline", evidence: []string{"=True reason=DeadlineExceeded", "Warning DeadlineExceeded job/deadline"}, cause: "DeadlineExceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			runCase(t, c, tc)
		})
	}
}

func runCase(t *testing.T, c *kubetest.Cluster, tc e2eCase) {
	ns := c.Namespace(t)
	timeout := tc.timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if tc.cleanup != nil {
		t.Cleanup(func() { tc.cleanup(ns) })
	}
	for _, n := range tc.nodes {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			_ = c.Admin.CoreV1().Nodes().Delete(ctx, n, metav1.DeleteOptions{})
		})
	}
	cs := c.ReadOnly(t)
	opts := triage.Options{Namespace: ns}
	if tc.later > 0 {
		opts.Now = func() time.Time { return time.Now().Add(tc.later) }
	}
	gather := func() triage.Report {
		f, err := triage.Gather(ctx, cs, opts)
		if err != nil {
			t.Fatal(err)
		}
		return triage.Build(f)
	}
	for i, name := range tc.yaml {
		if err := c.ApplyIn(ctx, ns, strings.ReplaceAll(scenario(t, name), "${NS}", ns)); err != nil {
			t.Fatal(err)
		}
		if i == 0 && tc.firstWait != nil {
			waitFor(ctx, t, func() bool { return tc.firstWait(gather()) }, "the first step of "+tc.name)
		}
	}
	if tc.kubelet > 0 {
		if _, err := c.KubeletEvents(ctx, ns, kubetest.ContainerLabel, tc.kubelet); err != nil {
			t.Fatal(err)
		}
	}
	kind, prefix, _ := strings.Cut(tc.object, " ")
	var got *triage.Finding
	var last triage.Report
	waitFor(ctx, t, func() bool {
		last = gather()
		for i, f := range last.Findings {
			if f.Rule == tc.rule && f.Object.Kind == kind && strings.HasPrefix(f.Object.Name, prefix) {
				ev := strings.Join(f.Evidence, "\n")
				ok := strings.Contains(f.Cause, tc.cause)
				for _, want := range tc.evidence {
					ok = ok && strings.Contains(ev, want)
				}
				if ok {
					got = &last.Findings[i]
					return true
				}
			}
		}
		return false
	}, tc.rule+" on "+tc.object)
	if got == nil {
		t.Fatalf("no %s finding on %s with the expected cause and evidence; report:\n%s", tc.rule, tc.object, last.Markdown("en"))
	}
	if len(got.NextActions) == 0 || len(got.Fixes) == 0 {
		t.Errorf("finding has no next actions or fixes: %+v", got)
	}
	if tc.urgency != "" && got.Urgency.String() != tc.urgency {
		t.Errorf("urgency = %s (%s), want %s", got.Urgency, got.UrgencyRule, tc.urgency)
	}
}

// waitFor polls cond until it holds or ctx ends.
func waitFor(ctx context.Context, t *testing.T, cond func() bool, what string) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Errorf("timed out waiting for %s", what)
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}
