package watch

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kuberesponder/kuberesponder/session/watch/sink"
)

// The targets of issue 14; the benchmark fails when one is missed.
const (
	targetRSSBytes = 200 << 20
	targetIdleCPU  = 0.02 // of one core
	benchSettle    = 2 * time.Second
	targetLatency  = benchSettle + 2*time.Second
)

// firingCh signals each firing delivery.
type firingCh chan sink.Delivery

func (f firingCh) Enqueue(d sink.Delivery) {
	if d.State == sink.StateFiring {
		f <- d
	}
}

func largeCluster() []k8sruntime.Object {
	var objs []k8sruntime.Object
	res := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("64"), corev1.ResourceMemory: resource.MustParse("256Gi"), corev1.ResourcePods: resource.MustParse("250")}
	for i := range 50 {
		objs = append(objs, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%02d", i)},
			Status: corev1.NodeStatus{Capacity: res, Allocatable: res, Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}})
	}
	for i := range 5000 {
		ns := fmt.Sprintf("team-%02d", i%40)
		objs = append(objs, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("app-%04d", i), Labels: map[string]string{"app": fmt.Sprintf("app-%d", i%200)}},
			Spec: corev1.PodSpec{NodeName: fmt.Sprintf("node-%02d", i%50), Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
				ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}},
		})
	}
	old := time.Now().Add(-2 * time.Hour)
	for i := range 20000 {
		ns := fmt.Sprintf("team-%02d", i%40)
		objs = append(objs, &corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("ev-%05d", i)},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: fmt.Sprintf("app-%04d", i%5000)},
			Type:           corev1.EventTypeWarning, Reason: "BackOff", Message: fmt.Sprintf("Back-off pulling image %d", i%7),
			FirstTimestamp: metav1.NewTime(old), LastTimestamp: metav1.NewTime(old), Count: 1,
		})
	}
	return objs
}

func rss() int64 {
	b, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkWatchLargeCluster runs the watcher over informers of 50 nodes,
// 5,000 pods and 20,000 warning events (client-go's fake clientset: the
// process also holds the fake server's copy, so RSS is an upper bound), and
// measures RSS at steady state, CPU while idle, and the time from a new
// failing pod to its delivery.
func BenchmarkWatchLargeCluster(b *testing.B) {
	cs := fake.NewClientset(largeCluster()...)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	heap0 := ms.HeapAlloc // the fake API server's copy
	out := make(firingCh, 16)
	w, err := New(Config{Client: cs, Settle: benchSettle, ResolveAfter: time.Hour, IgnoreExisting: true,
		StateDir: b.TempDir(), Out: out, Metrics: NewMetrics(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = w.Run(ctx) }()
	for !w.Ready() {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // the first evaluation
	runtime.GC()
	steady := rss()
	runtime.ReadMemStats(&ms)
	watcherHeap := int64(ms.HeapAlloc) - int64(heap0)

	idle := 30 * time.Second // one full periodic evaluation (Every) inside it
	c0 := cpuTime()
	time.Sleep(idle)
	cpu := float64(cpuTime()-c0) / float64(idle)

	var worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("failing-%d", i)
		start := time.Now()
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "team-01", Name: name, CreationTimestamp: metav1.NewTime(start.Add(-time.Minute))},
			Spec: corev1.PodSpec{NodeName: "node-01", Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "app", RestartCount: 5,
				State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 5m0s restarting failed container"}},
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}}}}}
		if _, err := cs.CoreV1().Pods("team-01").Create(ctx, p, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		select {
		case d := <-out:
			if !strings.Contains(d.Owner, name) {
				b.Fatalf("delivered %s, want the pod %s", d.Owner, name)
			}
		case <-time.After(time.Minute):
			b.Fatal("no delivery within a minute")
		}
		worst = max(worst, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(float64(steady)/(1<<20), "RSS-MB")
	b.ReportMetric(float64(watcherHeap)/(1<<20), "watcher-heap-MB")
	b.ReportMetric(cpu*100, "idle-CPU-%")
	b.ReportMetric(worst.Seconds(), "worst-latency-s")
	b.Logf("RSS %d MB (watcher and the fake API server's copy; the watcher's own live heap %d MB), idle CPU %.2f%% of a core over %s, worst latency %s (settle %s)",
		steady>>20, watcherHeap>>20, cpu*100, idle, worst.Round(time.Millisecond), benchSettle)
	if steady > targetRSSBytes {
		b.Errorf("RSS at steady state %d MB, target %d MB", steady>>20, targetRSSBytes>>20)
	}
	if cpu > targetIdleCPU {
		b.Errorf("idle CPU %.2f%% of a core, target %.0f%%", cpu*100, targetIdleCPU*100)
	}
	if worst > targetLatency {
		b.Errorf("latency from a failing pod to its delivery %s, target %s", worst, targetLatency)
	}
}
