package watch_test

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"github.com/kuberesponder/kuberesponder/kube/kubetest"
)

// The watcher's targets on a cluster of benchNodes nodes, benchPods pods and
// benchEvents events; the benchmark fails when one is missed.
const (
	benchNodes     = 50
	benchPods      = 5000
	benchEvents    = 20000
	benchSpaces    = 40
	targetRSSBytes = 200 << 20
	targetIdleCPU  = 0.02 // of one core
	benchSettle    = 2 * time.Second
	targetLatency  = benchSettle + 2*time.Second
	benchIdle      = 30 * time.Second // one full periodic evaluation inside it
)

// BenchmarkWatchLargeCluster starts the kuberesponder watch binary against
// the real control plane holding 50 kwok nodes, 5,000 running pods and
// 20,000 events, and measures the watcher process alone: its RSS at steady
// state, its CPU while the cluster is idle (kwok still heartbeats every
// node), and the time from a pod's failing status reaching the API server to
// the watcher's delivery of it.
func BenchmarkWatchLargeCluster(b *testing.B) {
	c := kubetest.Start(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	bin := buildBinary(ctx, b)
	cfg := *c.AdminConfig
	cfg.QPS, cfg.Burst = 1000, 2000
	admin, err := kubernetes.NewForConfig(&cfg)
	if err != nil {
		b.Fatal(err)
	}
	prefix := fmt.Sprintf("bench-%d", time.Now().Unix()%100000)
	b.Cleanup(func() { removeLargeCluster(c.Admin, prefix) })
	start := time.Now()
	if err := populate(ctx, admin, prefix); err != nil {
		b.Fatal(err)
	}
	waitUntil(ctx, b, "every bench pod running", func() bool { return runningPods(ctx, admin, prefix) >= benchPods })
	b.Logf("%d nodes, %d pods running, %d events in %s", benchNodes, benchPods, benchEvents, time.Since(start).Round(time.Second))

	w := startWatcher(b, bin, "-A", "--kubeconfig", c.ReadOnlyKubeconfig, "--offline", "--ignore-existing",
		"--settle="+benchSettle.String(), "--resolve-after=1h", "--sink=stdout", "--state-dir", b.TempDir())
	waitUntil(ctx, b, "/readyz", func() bool { code, _ := w.get("/readyz"); return code == 200 })
	waitUntil(ctx, b, "the first evaluation", func() bool {
		v := w.metric("kuberesponder_evaluations_total")
		return v != "" && v != "0"
	})
	time.Sleep(5 * time.Second) // informers and the first evaluation settle
	steady := procRSS(w.cmd.Process.Pid)
	c0 := procCPU(w.cmd.Process.Pid)
	time.Sleep(benchIdle)
	cpu := float64(procCPU(w.cmd.Process.Pid)-c0) / float64(benchIdle)

	ns := prefix + "-00"
	var worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("failing-%d", i)
		failing, err := createFailing(ctx, admin, ns, name)
		if err != nil {
			b.Fatal(err)
		}
		waitUntil(ctx, b, "the delivery of "+name, func() bool { return w.printed("Pod " + ns + "/" + name) })
		worst = max(worst, time.Since(failing))
	}
	b.StopTimer()
	b.ReportMetric(float64(steady)/(1<<20), "RSS-MB")
	b.ReportMetric(cpu*100, "idle-CPU-%")
	b.ReportMetric(worst.Seconds(), "worst-latency-s")
	b.Logf("watcher RSS %d MB at steady state, idle CPU %.2f%% of a core over %s, worst latency %s (settle %s)",
		steady>>20, cpu*100, benchIdle, worst.Round(time.Millisecond), benchSettle)
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

// populate creates the nodes, namespaces, pods and events of the benchmark,
// sixteen requests at a time.
func populate(ctx context.Context, cs kubernetes.Interface, prefix string) error {
	res := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("64"), corev1.ResourceMemory: resource.MustParse("256Gi"), corev1.ResourcePods: resource.MustParse("250")}
	var jobs []func() error
	for i := range benchNodes {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-node-%02d", prefix, i),
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
			Labels:      map[string]string{"type": "kwok", "kuberesponder.test/bench": prefix}},
			Status: corev1.NodeStatus{Capacity: res, Allocatable: res}}
		jobs = append(jobs, func() error { _, err := cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{}); return err })
	}
	if err := parallel(jobs); err != nil {
		return fmt.Errorf("create nodes: %w", err)
	}
	jobs = nil
	for i := range benchSpaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%02d", prefix, i)}}
		jobs = append(jobs, func() error { _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); return err })
	}
	if err := parallel(jobs); err != nil {
		return fmt.Errorf("create namespaces: %w", err)
	}
	jobs = nil
	for i := range benchPods {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: fmt.Sprintf("%s-%02d", prefix, i%benchSpaces), Name: fmt.Sprintf("app-%04d", i),
			Labels: map[string]string{"app": fmt.Sprintf("app-%d", i%200)}},
			Spec: corev1.PodSpec{NodeName: fmt.Sprintf("%s-node-%02d", prefix, i%benchNodes), Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}}}}}}
		jobs = append(jobs, func() error {
			_, err := cs.CoreV1().Pods(p.Namespace).Create(ctx, p, metav1.CreateOptions{})
			return err
		})
	}
	old := metav1.NewTime(time.Now().Add(-2 * time.Hour))
	for i := range benchEvents {
		ns := fmt.Sprintf("%s-%02d", prefix, i%benchSpaces)
		e := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("ev-%05d", i)},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: fmt.Sprintf("app-%04d", i%benchPods)},
			Type:           corev1.EventTypeWarning, Reason: "BackOff", Message: fmt.Sprintf("Back-off pulling image %d", i%7),
			FirstTimestamp: old, LastTimestamp: old, Count: 1}
		jobs = append(jobs, func() error { _, err := cs.CoreV1().Events(ns).Create(ctx, e, metav1.CreateOptions{}); return err })
	}
	if err := parallel(jobs); err != nil {
		return fmt.Errorf("create pods and events: %w", err)
	}
	return nil
}

// parallel runs jobs sixteen at a time and returns the first error.
func parallel(jobs []func() error) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	ch := make(chan func() error)
	for range 16 {
		wg.Go(func() {
			for j := range ch {
				if err := j(); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
		})
	}
	for _, j := range jobs {
		ch <- j
	}
	close(ch)
	wg.Wait()
	return first
}

// runningPods counts the benchmark's running pods, a page at a time.
func runningPods(ctx context.Context, cs kubernetes.Interface, prefix string) int {
	n, cont := 0, ""
	for {
		l, err := cs.CoreV1().Pods("").List(ctx, metav1.ListOptions{Limit: 1000, Continue: cont,
			FieldSelector: fields.OneTermEqualSelector("status.phase", string(corev1.PodRunning)).String()})
		if err != nil {
			return n
		}
		for _, p := range l.Items {
			if strings.HasPrefix(p.Namespace, prefix+"-") {
				n++
			}
		}
		if cont = l.Continue; cont == "" {
			return n
		}
	}
}

// createFailing creates a pod kwok crash-loops and returns when its failing
// status reached the API server.
func createFailing(ctx context.Context, cs kubernetes.Interface, ns, name string) (time.Time, error) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"kuberesponder.test/container": "crash-loop"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}}}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
		return time.Time{}, fmt.Errorf("create pod %s/%s: %w", ns, name, err)
	}
	last := "not seen"
	for {
		got, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			last = string(got.Status.Phase)
			for _, s := range got.Status.ContainerStatuses {
				if s.State.Waiting != nil && s.RestartCount > 0 {
					return time.Now(), nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return time.Time{}, fmt.Errorf("pod %s/%s never crash-looped (last phase %s): %w", ns, name, last, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// removeLargeCluster deletes the benchmark's namespaces and nodes.
func removeLargeCluster(cs kubernetes.Interface, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i := range benchSpaces {
		_ = cs.CoreV1().Namespaces().Delete(ctx, fmt.Sprintf("%s-%02d", prefix, i), metav1.DeleteOptions{})
	}
	_ = cs.CoreV1().Nodes().DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "kuberesponder.test/bench=" + prefix})
}

// procRSS returns the resident set size of process pid.
func procRSS(pid int) int64 {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// procCPU returns the user and system CPU time process pid has used.
func procCPU(pid int) time.Duration {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+1:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}
