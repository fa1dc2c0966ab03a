package triage_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
	"github.com/kuberesponder/kuberesponder/kube/triage"
	"github.com/kuberesponder/kuberesponder/llm"
)

// The benchmark cluster: the shape of the 50-node, ~5,000-pod, ~20,000-event
// cluster measured in the design notes.
const (
	benchNodes       = 50
	benchHealthyPods = 4500
	benchProblemPods = 500
	benchEvents      = 20000
	benchWarnings    = 2300 // of benchEvents; the rest are Normal
	benchPatterns    = 80   // distinct warning groups
)

// firstResponseTarget is the most one gather + findings + prompt may take on
// the benchmark cluster; the benchmark fails when its slowest run is slower.
const firstResponseTarget = time.Second

// BenchmarkGatherFindingsPrompt measures gather + findings + prompt on the real
// control plane filled with 5,000 pods and 20,000 events. It reports the
// prompt's tokens (o200k, as the model is billed), the raw `kubectl get events
// -A` text it replaces, the allocations of a run, and the peak heap of one more
// run outside the timed loop; it fails when the slowest timed run misses
// firstResponseTarget or the prompt its token budget. Run it with make bench
// (it is not part of make test):
//
//	go test ./kube/triage -run '^$' -bench BenchmarkGather -benchtime 5x -timeout 30m
func BenchmarkGatherFindingsPrompt(b *testing.B) {
	c := kubetest.Start(b)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	filled.Do(func() {
		if filled.err = fill(ctx, b, c); filled.err == nil {
			start := time.Now()
			filled.raw, filled.err = c.Kubectl(ctx, c.ReadOnlyKubeconfig, "get", "events", "-A")
			filled.rawTime = time.Since(start)
		}
	})
	if filled.err != nil {
		b.Fatal(filled.err)
	}
	raw := filled.raw
	rawTokens := llm.CountTokens(raw)
	for _, codec := range []struct{ name, contentType string }{
		{"json", ""},
		{"protobuf", "application/vnd.kubernetes.protobuf"},
	} {
		b.Run(codec.name, func(b *testing.B) {
			cfg := rest.CopyConfig(c.ReadOnlyConfig)
			cfg.QPS, cfg.Burst = 50, 100
			if codec.contentType != "" {
				cfg.ContentType = codec.contentType
				cfg.AcceptContentTypes = codec.contentType + ",application/json"
			}
			cs, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				b.Fatal(err)
			}
			var reportTime time.Duration // findings + prompt, without the gather
			run := func() (*triage.Facts, string) {
				f, err := triage.Gather(ctx, cs, triage.Options{})
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				prompt, err := triage.Prompt(triage.Build(f), "en")
				if err != nil {
					b.Fatal(err)
				}
				reportTime += time.Since(start)
				return f, prompt
			}
			var worst time.Duration
			clientCPU, serverCPU := cpuTime(), apiserverCPU(c)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				run()
				worst = max(worst, time.Since(start))
			}
			b.StopTimer()
			clientCPU, serverCPU = cpuTime()-clientCPU, apiserverCPU(c)-serverCPU
			b.ReportMetric(float64(reportTime.Microseconds())/1000/float64(b.N), "findings+prompt-ms/op")
			// The heap is sampled in one more run, outside the timed loop:
			// reading it stops the world.
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			peak := watchHeap()
			facts, prompt := run()
			peakHeap := peak()
			tokens := llm.CountTokens(prompt)
			b.ReportMetric(float64(tokens), "prompt-tokens")
			b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(rawTokens)/float64(tokens), "raw/prompt-tokens")
			b.ReportMetric(float64(worst.Milliseconds()), "slowest-ms")
			b.ReportMetric(float64(clientCPU.Milliseconds())/float64(b.N), "client-cpu-ms/op")
			b.ReportMetric(float64(serverCPU.Milliseconds())/float64(b.N), "apiserver-cpu-ms/op")
			b.ReportMetric(float64(filled.rawTime)/float64(b.Elapsed())*float64(b.N), "kubectl-events/op-time")
			b.Logf("pods indexed %d, warning groups %d, findings %d; prompt %d bytes / %d tokens; raw kubectl get events -A %d bytes / %d tokens (%.0fx) in %s; heap before %.0f MiB, peak %.0f MiB; slowest run %s",
				len(facts.PodIndex), len(facts.Events), len(triage.Analyze(facts)), len(prompt), tokens, len(raw), rawTokens,
				float64(rawTokens)/float64(tokens), filled.rawTime.Round(time.Millisecond), float64(base.HeapAlloc)/(1<<20), float64(peakHeap)/(1<<20), worst.Round(time.Millisecond))
			if tokens > triage.PromptBudget {
				b.Errorf("prompt has %d tokens, budget %d", tokens, triage.PromptBudget)
			}
			for i := 0; i < benchPatterns; i++ {
				if want := triage.PatternWord(i); !strings.Contains(prompt, want) {
					b.Errorf("prompt lost warning group %s", want)
				}
			}
			if worst > firstResponseTarget {
				b.Errorf("slowest gather + findings + prompt took %s, target %s", worst.Round(time.Millisecond), firstResponseTarget)
			}
		})
	}
}

// filled is the benchmark cluster, filled once per test binary: the
// benchmark function runs several times with growing b.N.
var filled struct {
	sync.Once
	raw     string        // `kubectl get events -A` of the filled cluster
	rawTime time.Duration // how long that kubectl took
	err     error
}

// cpuTime is the CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// apiserverCPU is the CPU time the control plane's API server has used, read
// from /proc (clock ticks of 10 ms); zero when it cannot be read.
func apiserverCPU(c *kubetest.Cluster) time.Duration {
	pid, err := os.ReadFile(filepath.Join(c.Dir, "pids", "kube-apiserver.pid"))
	if err != nil {
		return 0
	}
	stat, err := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/stat")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// watchHeap samples the live heap every 2 ms until the returned function is
// called and returns the largest sample. Each sample stops the world: never
// call it around a timed loop.
func watchHeap() func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	return func() uint64 { close(stop); <-done; return peak.Load() }
}

// fill creates the benchmark cluster as admin: nodes, pods bound to them
// directly (kwok marks them Running), problem pods and events, in a namespace
// that lives as long as the control plane. It returns what kubectl get events
// -A prints.
func fill(ctx context.Context, b *testing.B, c *kubetest.Cluster) error {
	cfg := rest.CopyConfig(c.AdminConfig)
	cfg.QPS, cfg.Burst = 2000, 2000
	admin, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	const ns = "bench"
	if _, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("create namespace %s: %w", ns, err)
	}
	err = kubetest.Until(ctx, "wait for the default ServiceAccount of namespace "+ns, func(ctx context.Context) (bool, string, error) {
		_, err := admin.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, "", err
	})
	if err != nil {
		return err
	}
	begin := time.Now()
	nodeNames := make([]string, benchNodes)
	parallel(b, benchNodes, func(i int) error {
		nodeNames[i] = fmt.Sprintf("bench-node-%02d", i)
		// The API server keeps the status a Node is created with.
		capacity := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("32"),
			corev1.ResourceMemory: resource.MustParse("128Gi"), corev1.ResourcePods: resource.MustParse("110")}
		n := &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: nodeNames[i],
				Annotations: map[string]string{"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
				Labels:      map[string]string{"kubernetes.io/hostname": nodeNames[i], "type": "bench"}},
			Status: corev1.NodeStatus{
				Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
				Capacity:  capacity, Allocatable: capacity,
				NodeInfo: corev1.NodeSystemInfo{OSImage: "Ubuntu 22.04.4 LTS", ContainerRuntimeVersion: "containerd://1.7.13", KubeletVersion: "v1.37.2"},
			},
		}
		_, err := admin.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
		return err
	})
	if err := c.WaitForNodesReady(ctx, nodeNames...); err != nil {
		return err
	}
	podNames := make([]string, benchHealthyPods+benchProblemPods)
	parallel(b, len(podNames), func(i int) error {
		app := fmt.Sprintf("app-%02d", i%50)
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%05d", app, i), Labels: map[string]string{"app": app}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")}}}}},
		}
		switch {
		case i < benchHealthyPods:
			p.Spec.NodeName = nodeNames[i%benchNodes]
		case i%3 == 0:
			p.Spec.NodeSelector = map[string]string{"disktype": "ssd"}
		case i%3 == 1:
			p.Spec.Containers[0].Resources.Requests[corev1.ResourceMemory] = resource.MustParse("1Ti")
		default:
			p.Spec.SchedulerName = "no-such-scheduler"
		}
		podNames[i] = p.Name
		_, err := admin.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{})
		return err
	})
	b.Logf("created %d nodes and %d pods in %s", benchNodes, len(podNames), time.Since(begin).Round(time.Second))
	begin = time.Now()
	now := metav1.NewTime(time.Now())
	parallel(b, benchEvents, func(i int) error {
		pod := podNames[i%len(podNames)]
		e := &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Name: fmt.Sprintf("%s.%d", pod, i)},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: pod},
			Type:           corev1.EventTypeNormal, Reason: "Pulled", Count: 1,
			Message:        `Container image "nginx:1.27" already present on machine`,
			FirstTimestamp: now, LastTimestamp: now, Source: corev1.EventSource{Component: "kubelet"},
		}
		if i < benchWarnings {
			p := i % benchPatterns
			t := triage.WarningTemplates[p%len(triage.WarningTemplates)]
			e.Type, e.Reason, e.InvolvedObject.Kind = corev1.EventTypeWarning, t.Reason, t.Kind
			e.Message = fmt.Sprintf(t.Message, pod, triage.PatternWord(p))
			e.Count = int32(1 + i%7)
		} else if i%4 == 1 {
			e.Reason, e.Message = "Scheduled", fmt.Sprintf("Successfully assigned %s/%s to %s", ns, pod, nodeNames[i%benchNodes])
		}
		_, err := admin.CoreV1().Events(ns).Create(ctx, e, metav1.CreateOptions{})
		return err
	})
	b.Logf("created %d events in %s", benchEvents, time.Since(begin).Round(time.Second))
	// Let kwok mark the pods Running before measuring.
	begin = time.Now()
	running := 0
	err = kubetest.Until(ctx, fmt.Sprintf("wait for %d pods of namespace %s to be Running", benchHealthyPods, ns), func(ctx context.Context) (bool, string, error) {
		pods, err := admin.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{FieldSelector: "status.phase=Running"})
		if err != nil {
			return false, "", fmt.Errorf("list Running pods: %w", err)
		}
		running = len(pods.Items)
		return running >= benchHealthyPods, fmt.Sprintf("%d of %d Running", running, benchHealthyPods), nil
	})
	if err != nil {
		return err
	}
	b.Logf("%d pods Running after %s", running, time.Since(begin).Round(time.Second))
	return nil
}

// parallel runs fn(0..n-1) on a few workers and fails b on the first error.
func parallel(b *testing.B, n int, fn func(int) error) {
	b.Helper()
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		first atomic.Value
	)
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || first.Load() != nil {
					return
				}
				if err := fn(i); err != nil {
					first.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := first.Load().(error); err != nil {
		b.Fatal(err)
	}
}
