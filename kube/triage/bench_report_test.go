package triage

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// BenchmarkFindingsPrompt measures the rules and the prompt alone (Build and
// Prompt, no API server) on facts of the report benchmark's shape built in
// process: 50 nodes, 4,500 running pods, 500 pods the scheduler cannot place
// (a node selector nothing matches, 1Ti of memory, an unknown scheduler) and
// 2,300 warnings in 80 patterns beside the scheduler's own. It is the part of
// BenchmarkGatherFindingsPrompt that kuberesponder computes by itself.
//
//	go test ./kube/triage -run '^$' -bench BenchmarkFindingsPrompt -benchmem
func BenchmarkFindingsPrompt(b *testing.B) {
	f := FromObjects(clock, "", benchObjects()...)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU()
	for b.Loop() {
		if _, err := Prompt(Build(f), "en"); err != nil {
			b.Fatal(err)
		}
	}
	// CPU time tells the work apart from the wait on a machine shared
	// with other processes, where the wall time per op is mostly waiting.
	b.ReportMetric(float64((processCPU()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// processCPU is the CPU time this process has used, garbage collection
// included.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchObjects are the objects of the report benchmark's cluster (see
// bench_test.go's fill), with the FailedScheduling events and conditions the
// scheduler adds to the pods it cannot place.
func benchObjects() []runtime.Object {
	const nodes, healthy, problem, warnings, patterns = 50, 4500, 500, 2300, 80
	var objs []runtime.Object
	names := make([]string, nodes)
	for i := range nodes {
		names[i] = fmt.Sprintf("bench-node-%02d", i)
		objs = append(objs, node(names[i], true, func(n *corev1.Node) {
			n.Labels["type"] = "bench"
			rl := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("32"),
				corev1.ResourceMemory: resource.MustParse("128Gi"), corev1.ResourcePods: resource.MustParse("110")}
			n.Status.Capacity, n.Status.Allocatable = rl, rl.DeepCopy()
		}))
	}
	pods := make([]string, healthy+problem)
	for i := range pods {
		app := fmt.Sprintf("app-%02d", i%50)
		pods[i] = fmt.Sprintf("%s-%05d", app, i)
		if i < healthy {
			objs = append(objs, pod("bench", pods[i], "", names[i%nodes], corev1.PodRunning, "32Mi", benchApp(app)))
			continue
		}
		objs = append(objs, benchProblem(pods[i], app, i, nodes)...)
	}
	for i := range warnings {
		p := i % patterns
		t := WarningTemplates[p%len(WarningTemplates)]
		e := warning(t.Kind, "bench", pods[i%len(pods)], t.Reason, fmt.Sprintf(t.Message, pods[i%len(pods)], PatternWord(p)), int32(1+i%7), clock)
		e.Name = fmt.Sprintf("%s.%d", pods[i%len(pods)], i)
		objs = append(objs, e)
	}
	return objs
}

// benchApp labels a pod of the app and asks for 10m of CPU as fill does.
func benchApp(app string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Labels = map[string]string{"app": app}
		p.Spec.Containers[0].Name = "app"
		p.Spec.Containers[0].Resources.Requests[corev1.ResourceCPU] = resource.MustParse("10m")
	}
}

// benchProblem is problem pod i, Pending, with what the scheduler says of it.
func benchProblem(name, app string, i, nodes int) []runtime.Object {
	mem, msg := "32Mi", ""
	var mutate []func(*corev1.Pod)
	switch i % 3 {
	case 0:
		msg = fmt.Sprintf("0/%d nodes are available: %d node(s) didn't match Pod's node affinity/selector. preemption: 0/%d nodes are available: %d Preemption is not helpful for scheduling.", nodes, nodes, nodes, nodes)
		mutate = append(mutate, func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disktype": "ssd"} })
	case 1:
		mem = "1Ti"
		msg = fmt.Sprintf("0/%d nodes are available: %d Insufficient memory. preemption: 0/%d nodes are available: %d No preemption victims found for incoming pod.", nodes, nodes, nodes, nodes)
	default:
		mutate = append(mutate, func(p *corev1.Pod) { p.Spec.SchedulerName = "no-such-scheduler" })
	}
	mutate = append(mutate, benchApp(app))
	if msg != "" {
		mutate = append(mutate, unschedulable(msg))
	}
	p := pod("bench", name, "", "", corev1.PodPending, mem, mutate...)
	p.CreationTimestamp = metav1.NewTime(clock.Add(-10 * time.Minute))
	if msg == "" {
		return []runtime.Object{p}
	}
	return []runtime.Object{p, warning("Pod", "bench", name, "FailedScheduling", msg, 1, clock)}
}

// WarningTemplates are the warnings both benchmarks fill their clusters with
// (bench_test.go's fill reads them from package triage_test): the reason, the
// kind of the object and the message format of pod name and pattern word.
var WarningTemplates = []struct{ Reason, Kind, Message string }{
	{"BackOff", "Pod", "Back-off restarting failed container app in pod %s (%s)"},
	{"Unhealthy", "Pod", "Readiness probe failed: HTTP probe failed with statuscode: 503 (%[2]s)"},
	{"FailedMount", "Pod", `MountVolume.SetUp failed for volume "config" : configmap "%[2]s" not found`},
	{"FailedScheduling", "Pod", "0/50 nodes are available: 50 node(s) didn't match Pod's node affinity/selector (%[2]s)."},
	{"Failed", "Pod", `Failed to pull image "registry.example.com/%[2]s:v2": not found`},
	{"FailedCreate", "ReplicaSet", `Error creating: pods "%s" is forbidden: exceeded quota: %s`},
	{"ProbeWarning", "Pod", "Liveness probe warning: slow response from %[2]s"},
	{"FailedKillPod", "Pod", "error killing pod %s: %s timed out"},
}

// PatternWord names warning pattern i with letters only, so that masking
// numbers keeps the patterns apart.
func PatternWord(i int) string {
	return fmt.Sprintf("component-%c%c", 'a'+i/26, 'a'+i%26)
}
