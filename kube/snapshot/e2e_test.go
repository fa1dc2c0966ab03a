package snapshot

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/kuberesponder/kuberesponder/kube"
	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/kube/triage"
)

var update = flag.Bool("update", false, "capture the seed incident again and rewrite demo/seed.snapshot.json.gz")

func TestMain(m *testing.M) { kubetest.Main(m) }

// e2eCanary is a secret value planted in a Secret, its last-applied
// annotation and a ConfigMap; it must never reach the snapshot file.
const e2eCanary = "kr-canary-9f3e1a7c2b"

const demoPath = "demo/seed.snapshot.json.gz"

const seedExtras = `
apiVersion: v1
kind: Secret
metadata:
  name: shop-db
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"apiVersion":"v1","kind":"Secret","stringData":{"password":"` + e2eCanary + `"}}'
type: Opaque
stringData: {username: shop, password: ` + e2eCanary + `}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: shop-config}
data:
  DATABASE_URL: postgres://shop:` + e2eCanary + `@db:5432/shop
  LOG_LEVEL: info
`

// seedCluster reproduces the seed incident in namespace default and waits
// until both Deployments report their final replica counts and the node
// controller has registered both nodes, so that a capture and the live
// cluster read the same state.
func seedCluster(t *testing.T) (*kubetest.Cluster, context.Context) {
	c := kubetest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	if _, err := c.SeedIncident(ctx, "default"); err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, seedExtras); err != nil {
		t.Fatal(err)
	}
	for {
		d5, err5 := c.Admin.AppsV1().Deployments("default").Get(ctx, "nginx-with-5gi", metav1.GetOptions{})
		d10, err10 := c.Admin.AppsV1().Deployments("default").Get(ctx, "nginx-with-10gi", metav1.GetOptions{})
		evs, err := c.Admin.CoreV1().Events("default").List(ctx, metav1.ListOptions{FieldSelector: "reason=RegisteredNode"})
		if err5 == nil && err10 == nil && err == nil && settled(d5, 1) && settled(d10, 1) && len(evs.Items) >= len(kubetest.SeedNodes) {
			return c, ctx
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the seed Deployments did not settle: %v %v", err5, err10)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func settled(d *appsv1.Deployment, available int32) bool {
	return d.Status.ObservedGeneration == d.Generation && d.Status.AvailableReplicas == available &&
		d.Status.Replicas == *d.Spec.Replicas && d.Status.UpdatedReplicas == *d.Spec.Replicas
}

// readOnlyClient is the read-only identity behind the engine's read-only
// transport, as kuberesponder snapshot builds it.
func readOnlyClient(t *testing.T, c *kubetest.Cluster) kubernetes.Interface {
	cs, err := kubernetes.NewForConfig(kube.ReadOnlyConfig(c.ReadOnlyConfig))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestSeedSnapshot takes a snapshot of the seed incident from the real
// control plane and checks it against the live cluster: only reads were
// sent, the canary never reached the file, the report is the live one and
// every supported read verb answers as kubectl does.
func TestSeedSnapshot(t *testing.T) {
	c, ctx := seedCluster(t)
	cs := readOnlyClient(t, c)
	mark, err := c.AuditMark()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	f, err := Capture(ctx, cs, Options{Context: "seed-incident", Cluster: "seed-incident", Server: c.ReadOnlyConfig.Host, DefaultNamespace: "default"})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("captured in %s; gaps: %v", time.Since(start).Round(time.Millisecond), f.Gaps)
	var file bytes.Buffer
	if err := f.Write(&file); err != nil {
		t.Fatal(err)
	}
	t.Logf("snapshot file: %d bytes", file.Len())

	t.Run("only reads", func(t *testing.T) {
		if c.OnlyReads(t, mark) == 0 {
			t.Fatal("the audit log recorded no request of the read-only user")
		}
	})
	t.Run("no canary", func(t *testing.T) {
		zr, err := gzip.NewReader(bytes.NewReader(file.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		for _, needle := range []string{e2eCanary, base64.StdEncoding.EncodeToString([]byte(e2eCanary))} {
			if bytes.Contains(raw, []byte(needle)) {
				t.Errorf("the snapshot file holds %q", needle)
			}
		}
	})
	snap, err := Read(bytes.NewReader(file.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("facts from the objects", func(t *testing.T) {
		var objs []runtime.Object
		for i := range f.Objects.Pods {
			objs = append(objs, &f.Objects.Pods[i])
		}
		got, want := podNames(f.Facts.PodIndex), podNames(triage.FromObjects(f.Captured, "", objs...).PodIndex)
		if got != want || got == "" {
			t.Errorf("the facts index pods %s; the snapshot's objects hold %s", got, want)
		}
	})
	t.Run("report equals live", func(t *testing.T) {
		live, err := triage.Gather(ctx, cs, triage.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, lang := range []string{"en", "ja"} {
			got := normalise(triage.Build(snap.Facts()).Markdown(lang))
			want := normalise(triage.Build(live).Markdown(lang))
			if got != want {
				t.Errorf("%s report from the snapshot differs from the live one:\n--- snapshot\n%s\n--- live\n%s", lang, got, want)
			}
		}
	})
	t.Run("verbs equal kubectl", func(t *testing.T) { compareVerbs(t, ctx, c, snap) })
	t.Run("namespace scope", func(t *testing.T) {
		f, err := Capture(ctx, cs, Options{Namespace: "default"})
		if err != nil {
			t.Fatal(err)
		}
		for _, cm := range f.Objects.ConfigMaps {
			if cm.Namespace != "default" {
				t.Errorf("configmap %s/%s is outside the namespace captured", cm.Namespace, cm.Name)
			}
		}
		if len(f.Objects.Nodes) != len(kubetest.SeedNodes) || f.Facts == nil || f.Facts.Namespace != "default" {
			t.Errorf("nodes %d, facts %+v", len(f.Objects.Nodes), f.Facts)
		}
	})
	t.Run("demo", func(t *testing.T) { checkDemo(t, file.Bytes(), snap) })
}

// podNames lists the pods of an index as namespace/name.
func podNames(index []triage.PodBrief) string {
	var names []string
	for _, p := range index {
		names = append(names, p.Namespace+"/"+p.Name)
	}
	return strings.Join(names, " ")
}

func compareVerbs(t *testing.T, ctx context.Context, c *kubetest.Cluster, snap *Snapshot) {
	pods, err := c.Admin.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pending := ""
	for _, p := range pods.Items {
		if p.Spec.NodeName == "" {
			pending = p.Name
		}
	}
	if pending == "" {
		t.Fatal("the seed incident has no Pending pod")
	}
	node := kubetest.SeedNodes[0]
	lines := []string{
		"get pods", "get pods -o wide", "get pods -A", "get pods --show-labels", "get pods -l app=nginx-with-10gi",
		"get pods --field-selector status.phase=Pending", "get pods -o name",
		"get nodes", "get nodes -o wide", "get deploy", "get deploy -o wide", "get rs -o wide", "get svc", "get ns",
		"get events -A", "get secrets", "get cm", "get deploy,rs", "get all",
		"get pod " + pending + " -o json", "get deploy nginx-with-10gi -o yaml",
		"describe pod " + pending, "describe node " + node, "describe deploy nginx-with-10gi", "describe rs", "describe svc kubernetes",
		"describe pvc", "logs " + pending, "events", "events -A --types=Warning", "events --for pod/" + pending,
		"api-resources", "api-versions",
	}
	r, err := snap.Runner(kube.ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range lines {
		t.Run(line, func(t *testing.T) {
			got, want := snapshotAndKubectl(ctx, t, r, c, line)
			if strings.HasPrefix(got, "No resources found") && want == "" {
				return // kubectl prints that line on stderr
			}
			if strings.HasSuffix(line, " -o json") || strings.HasSuffix(line, " -o yaml") {
				got, want = objectFields(t, got), objectFields(t, want)
			}
			if normalise(got) != normalise(want) {
				t.Errorf("differs from kubectl:\n--- snapshot\n%s\n--- kubectl\n%s", got, want)
			}
		})
	}
	t.Run("version", func(t *testing.T) {
		a, _ := kube.Parse("version")
		res, err := r.Run(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		want, err := c.Kubectl(ctx, c.ReadOnlyKubeconfig, "version")
		if err != nil {
			t.Fatal(err)
		}
		server := res.Output[strings.Index(res.Output, "Server Version:"):]
		if !strings.Contains(want, server) {
			t.Errorf("version %q is not in kubectl's %q", res.Output, want)
		}
	})
	t.Run("cannot answer", func(t *testing.T) {
		a, _ := kube.Parse("top pods")
		_, err := r.Run(ctx, a)
		if err == nil || !strings.Contains(err.Error(), "this snapshot cannot answer `kubectl top pod`") {
			t.Errorf("top pods: %v", err)
		}
	})
}

// objectFields re-renders an object's YAML or JSON without the fields that
// change on every write or that a snapshot drops.
func objectFields(t *testing.T, text string) string {
	var m map[string]any
	if err := yaml.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("decode %q: %v", text, err)
	}
	if md, ok := m["metadata"].(map[string]any); ok {
		delete(md, "managedFields")
		delete(md, "resourceVersion")
	}
	out, err := yaml.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

var (
	ages   = regexp.MustCompile(`\b\d+(s|m|h|d|y)(\d+(s|m|h|d))?\b|<invalid>`)
	stamps = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)|[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}`)
	counts = regexp.MustCompile(`\(x\d+ over|\| \d+ \|`)
	// repeats drops "(x2 over 22s)": an event may repeat between the
	// capture and the kubectl call it is compared with.
	repeats    = regexp.MustCompile(` ?\(x\d+ over [^)]*\)`)
	podSuffix  = regexp.MustCompile(`(nginx-with-\d+gi-[a-z0-9]+)-[a-z0-9]{5}\b`)
	blanks     = regexp.MustCompile(`[ \t]+`)
	eventNames = regexp.MustCompile(`\.[0-9a-f]{12,}\b`)
	seedNodes  = regexp.MustCompile(`3shake-k8s-node-00\d`)
)

// normalise removes what legitimately differs between two reads of the same
// state: ages, timestamps, event counts, random name suffixes, column widths.
func normalise(s string) string {
	s = stamps.ReplaceAllString(s, "TIME")
	s = repeats.ReplaceAllString(s, "")
	s = ages.ReplaceAllString(s, "AGE")
	s = counts.ReplaceAllString(s, "COUNT")
	s = podSuffix.ReplaceAllString(s, "$1-XXXXX")
	s = eventNames.ReplaceAllString(s, ".EVENT")
	s = blanks.ReplaceAllString(s, " ")
	return strings.TrimSpace(s)
}

// checkDemo rewrites the embedded demo with -update; otherwise it checks
// that the demo still has the shape of a fresh capture: same format, same
// objects (names up to random suffixes) and the same report.
func checkDemo(t *testing.T, fresh []byte, snap *Snapshot) {
	if *update {
		if err := os.WriteFile(demoPath, fresh, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", demoPath, len(fresh))
		return
	}
	demo, err := LoadEmbeddedDemo()
	if err != nil {
		t.Fatalf("%v; run go test ./kube/snapshot -run TestSeedSnapshot -update", err)
	}
	if got, want := shape(demo), shape(snap); got != want {
		t.Errorf("the embedded demo no longer matches a fresh capture; run go test ./kube/snapshot -run TestSeedSnapshot -update\n--- demo\n%s\n--- fresh\n%s", got, want)
	}
	// The scheduler may put the 5Gi pod on either node.
	got := sortedLines(seedNodes.ReplaceAllString(normalise(triage.Build(withoutStartup(demo.Facts())).Markdown("en")), "NODE"))
	want := sortedLines(seedNodes.ReplaceAllString(normalise(triage.Build(withoutStartup(snap.Facts())).Markdown("en")), "NODE"))
	if got != want {
		t.Errorf("the demo's report differs from a fresh capture's:\n--- demo\n%s\n--- fresh\n%s", got, want)
	}
}

// shape lists the objects of a snapshot by kind and normalised name.
func shape(s *Snapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "version %d\n", s.file.Version)
	for _, k := range builtin {
		if k.Resource == "events" {
			continue // their number depends on timing; the report compares the warnings
		}
		objs, _ := s.store.list(k, query{})
		var names []string
		for _, o := range objs {
			m := metaOf(o)
			names = append(names, normalise(m.GetNamespace()+"/"+m.GetName()))
		}
		fmt.Fprintf(&b, "%s: %s\n", k.gr(), strings.Join(names, " "))
	}
	for _, l := range s.file.Logs {
		fmt.Fprintf(&b, "log %s\n", normalise(l.Namespace+"/"+l.Pod+"/"+l.Container))
	}
	return b.String()
}

// columnObjects are objects of every captured kind the seed incident lacks.
const columnObjects = `
apiVersion: v1
kind: ResourceQuota
metadata: {name: compute}
spec: {hard: {pods: "10", requests.cpu: "4", limits.memory: 8Gi}}
---
apiVersion: v1
kind: LimitRange
metadata: {name: defaults}
spec: {limits: [{type: Container, defaultRequest: {cpu: 100m}, default: {memory: 256Mi}}]}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], storageClassName: missing-class, resources: {requests: {storage: 1Gi}}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: postgres, image: "postgres:16", resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {memory: 128Mi}}}]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      nodeSelector: {type: kwok}
      containers: [{name: agent, image: "busybox:1.36", resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: "busybox:1.36", resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {memory: 32Mi}}}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec: {selector: {app: db}, ports: [{name: pg, port: 5432}]}
`

// TestSnapshotColumns compares our Table columns for every captured kind
// with what kubectl prints from the real API server's tables.
func TestSnapshotColumns(t *testing.T) {
	c := kubetest.Start(t)
	ns := c.Namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.ApplyIn(ctx, ns, columnObjects); err != nil {
		t.Fatal(err)
	}
	for {
		q, errQ := c.Admin.CoreV1().ResourceQuotas(ns).Get(ctx, "compute", metav1.GetOptions{})
		sts, errS := c.Admin.AppsV1().StatefulSets(ns).Get(ctx, "db", metav1.GetOptions{})
		ds, errD := c.Admin.AppsV1().DaemonSets(ns).Get(ctx, "agent", metav1.GetOptions{})
		job, errJ := c.Admin.BatchV1().Jobs(ns).Get(ctx, "migrate", metav1.GetOptions{})
		if errQ == nil && errS == nil && errD == nil && errJ == nil && len(q.Status.Hard) == 3 &&
			len(q.Status.Used) == 3 && sts.Status.Replicas == 1 && ds.Status.ObservedGeneration == ds.Generation &&
			job.Status.Active+job.Status.Succeeded+job.Status.Failed == 1 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the objects did not settle: quota %v, sts %v, ds %v, job %v", q.Status, sts.Status, ds.Status, job.Status)
		case <-time.After(300 * time.Millisecond):
		}
	}
	time.Sleep(2 * time.Second) // let the kubelet stand-in and the quota controller settle
	f, err := Capture(ctx, readOnlyClient(t, c), Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := Open(f)
	if err != nil {
		t.Fatal(err)
	}
	r, err := snap.Runner(kube.ExecOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"get quota", "get limits", "get pvc", "get pvc -o wide", "get sts -o wide", "get ds -o wide", "get jobs -o wide",
		"get svc -o wide", "get endpointslices", "get pods -o wide", "get cm", "get ns", "describe quota compute", "describe sts db",
		"describe ds agent", "describe job migrate", "describe pvc data", "describe limits defaults", "describe ns " + ns,
	} {
		t.Run(line, func(t *testing.T) {
			got, want := snapshotAndKubectl(ctx, t, r, c, line+" -n "+ns)
			got, want = normalise(got), normalise(want)
			if strings.HasPrefix(line, "describe") {
				// describe prints some maps (LimitRange items) in random order
				got, want = sortedLines(got), sortedLines(want)
			}
			if got != want {
				t.Errorf("differs from kubectl:\n--- snapshot\n%s\n--- kubectl\n%s", got, want)
			}
		})
	}
}

// snapshotAndKubectl runs line on the snapshot and with kubectl on the live
// cluster; it returns the snapshot's output and kubectl's.
func snapshotAndKubectl(ctx context.Context, t *testing.T, r *Runner, c *kubetest.Cluster, line string) (got, want string) {
	t.Helper()
	a, err := kube.Parse(line)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	res, err := r.Run(ctx, a)
	if err != nil {
		t.Fatalf("snapshot: %v", err)
	}
	want, err = c.Kubectl(ctx, c.ReadOnlyKubeconfig, a.Args...)
	if err != nil {
		t.Fatalf("kubectl: %v", err)
	}
	return res.Output, want
}

func sortedLines(s string) string {
	lines := strings.Split(s, "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
