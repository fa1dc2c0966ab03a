package triage

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

func crashing(reason string, exit int32) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.Conditions[0].Status = corev1.ConditionFalse
		p.Status.ContainerStatuses[0] = corev1.ContainerStatus{Name: "nginx", RestartCount: 7,
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
				Message: "back-off 5m0s restarting failed container"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: reason,
				ExitCode: exit, FinishedAt: metav1.NewTime(clock.Add(-time.Minute))}}}
	}
}

func waiting(reason, message string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodPending
		p.Status.Conditions = nil
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "nginx", Image: "nginx:no-such-tag",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: message}}}}
	}
}

func withDeployment(ns, name string, want, available int32, pods ...*corev1.Pod) []runtime.Object {
	d, rs := deployment(ns, name, "5d8f7c9b6a", want, available, "1Gi")
	objs := []runtime.Object{node("node-1", true), node("node-2", true), d, rs}
	for _, p := range pods {
		objs = append(objs, p)
	}
	return objs
}

func ownedPod(name string, phase corev1.PodPhase, nodeName string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	return pod("shop", "web-5d8f7c9b6a-"+name, "web-5d8f7c9b6a", nodeName, phase, "1Gi", mutate...)
}

// taintAndSelector is the scheduler's message when one node has a taint the
// pod does not tolerate and two do not match its node selector.
const taintAndSelector = "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 node(s) didn't match Pod's node affinity/selector. preemption: ..."

func TestAnalyze(t *testing.T) {
	quota := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "pods"},
		Status: corev1.ResourceQuotaStatus{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("1")},
			Used: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("1")}}}
	tests := []struct {
		name     string
		objs     []runtime.Object
		rule     string
		object   string
		urgency  Urgency
		evidence []string // substrings of the joined evidence
		cause    string   // substring of the cause
	}{
		{name: "seed: insufficient memory", objs: seedObjects(), rule: "scheduling/insufficient-memory",
			object: "Pod default/nginx-with-10gi-77579bdb99-ckfj9", urgency: High,
			evidence: []string{"Warning FailedScheduling pod/nginx-with-10gi-77579bdb99-ckfj9: 0/2 nodes are available: 2 Insufficient memory.",
				"node 3shake-k8s-node-001: memory allocatable 11.3Gi, requested 10Gi, free 1.3Gi < request 10Gi",
				"node 3shake-k8s-node-002: memory allocatable 11.3Gi, requested 5Gi, free 6.3Gi < request 10Gi"},
			cause: "No node has 10Gi of memory free"},
		{name: "crash loop OOMKilled in a Running pod", objs: withDeployment("shop", "web", 1, 0,
			ownedPod("a", corev1.PodRunning, "node-1", crashing("OOMKilled", 137))),
			rule: "container/oom-killed", object: "Pod shop/web-5d8f7c9b6a-a", urgency: Critical,
			evidence: []string{"reason=OOMKilled exit code=137 restarts=7"}, cause: "OOMKilled"},
		{name: "crash loop with an error", objs: withDeployment("shop", "web", 2, 1,
			ownedPod("a", corev1.PodRunning, "node-1", crashing("Error", 1)), ownedPod("b", corev1.PodRunning, "node-2")),
			rule: "container/crash-loop", object: "Pod shop/web-5d8f7c9b6a-a", urgency: High,
			evidence: []string{"CrashLoopBackOff"}, cause: "exits with Error (exit code 1)"},
		{name: "image pull back-off", objs: withDeployment("shop", "web", 1, 0,
			ownedPod("a", corev1.PodPending, "node-1", waiting("ImagePullBackOff", `Back-off pulling image "nginx:no-such-tag"`))),
			rule: "image/pull-failed", object: "Pod shop/web-5d8f7c9b6a-a", urgency: Critical,
			evidence: []string{"waiting: ImagePullBackOff"}, cause: "nginx:no-such-tag"},
		{name: "config error", objs: withDeployment("shop", "web", 1, 0,
			ownedPod("a", corev1.PodPending, "node-1", waiting("CreateContainerConfigError", `configmap "app" not found`))),
			rule: "container/config-error", object: "Pod shop/web-5d8f7c9b6a-a", urgency: Critical,
			cause: `configmap "app" not found`},
		{name: "pending with no events", objs: []runtime.Object{node("node-1", true),
			pod("shop", "lonely", "", "", corev1.PodPending, "1Gi", func(p *corev1.Pod) { p.Spec.SchedulerName = "my-scheduler" })},
			rule: "pod/pending-no-events", object: "Pod shop/lonely", urgency: High,
			evidence: []string{"spec.schedulerName: my-scheduler", "no warning event"}, cause: "my-scheduler"},
		{name: "expired event: the condition still tells", objs: withDeployment("shop", "web", 1, 0,
			ownedPod("a", corev1.PodPending, "", unschedulable("0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."))),
			rule: "scheduling/insufficient-cpu", object: "Pod shop/web-5d8f7c9b6a-a", urgency: Critical,
			evidence: []string{"events expire", "node node-1: cpu allocatable 4, requested 0, free 4 ≥ request 1"}},
		{name: "taint beats selector mismatch", objs: withDeployment("shop", "web", 1, 0,
			ownedPod("a", corev1.PodPending, "", unschedulable(taintAndSelector))),
			rule: "scheduling/untolerated-taint", object: "Pod shop/web-5d8f7c9b6a-a", urgency: Critical,
			evidence: []string{"pod tolerations: <none>"}},
		{name: "a taint on a node the selector excludes explains nothing", objs: append(withDeployment("shop", "web", 1, 0,
			ownedPod("a", corev1.PodPending, "", unschedulable(taintAndSelector),
				func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disktype": "ssd"} })),
			node("tainted", true, func(n *corev1.Node) {
				n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule}}
			})),
			rule: "scheduling/node-selector-mismatch", object: "Pod shop/web-5d8f7c9b6a-a", urgency: Critical,
			evidence: []string{"pod nodeSelector disktype=ssd"}},
		{name: "a taint on a node the selector matches still comes first", objs: append(withDeployment("shop", "web", 1, 0,
			ownedPod("a", corev1.PodPending, "", unschedulable(taintAndSelector),
				func(p *corev1.Pod) { p.Spec.NodeSelector = map[string]string{"disktype": "ssd"} })),
			node("tainted", true, func(n *corev1.Node) {
				n.Labels["disktype"] = "ssd"
				n.Spec.Taints = []corev1.Taint{{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule}}
			})),
			rule: "scheduling/untolerated-taint", object: "Pod shop/web-5d8f7c9b6a-a", urgency: Critical,
			evidence: []string{"node tainted taints: dedicated=db:NoSchedule"}},
		{name: "host port conflict", objs: withDeployment("shop", "web", 1, 0,
			ownedPod("a", corev1.PodPending, "", unschedulable("0/2 nodes are available: 2 node(s) didn't have free ports for the requested pod ports."),
				func(p *corev1.Pod) {
					p.Spec.Containers[0].Ports = []corev1.ContainerPort{{HostPort: 8080, ContainerPort: 80}}
				}),
			pod("other", "holder", "", "node-1", corev1.PodRunning, "1Gi",
				func(p *corev1.Pod) {
					p.Spec.Containers[0].Ports = []corev1.ContainerPort{{HostPort: 8080, ContainerPort: 80}}
				})),
			rule: "scheduling/host-port-conflict", object: "Pod shop/web-5d8f7c9b6a-a",
			urgency: Critical, evidence: []string{"node node-1 already uses TCP/8080 other/holder"}},
		{name: "too many pods", objs: withDeployment("shop", "web", 1, 0,
			ownedPod("a", corev1.PodPending, "", unschedulable("0/2 nodes are available: 2 Too many pods."))),
			rule: "scheduling/too-many-pods", object: "Pod shop/web-5d8f7c9b6a-a", urgency: Critical,
			evidence: []string{"allocatable pods 110"}},
		{name: "unbound claim", objs: append(withDeployment("shop", "web", 1, 0,
			ownedPod("a", corev1.PodPending, "", unschedulable("0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: ..."),
				func(p *corev1.Pod) {
					p.Spec.Volumes = []corev1.Volume{{Name: "d", VolumeSource: corev1.VolumeSource{
						PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}}}
				})), &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "data"},
			Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}}),
			rule: "scheduling/unbound-pvc", object: "Pod shop/web-5d8f7c9b6a-a", urgency: Critical,
			evidence: []string{"claim data: Pending"}},
		{name: "claim pending without a storage class", objs: []runtime.Object{
			&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "data"},
				Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}}},
			rule: "storage/pvc-pending", object: "PersistentVolumeClaim shop/data", urgency: Medium,
			evidence: []string{"spec.storageClassName: <none>"}, cause: "no default one"},
		{name: "claim for a pre-created volume that does not exist", objs: []runtime.Object{
			&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "data"},
				Spec:   corev1.PersistentVolumeClaimSpec{StorageClassName: ptr.To("")},
				Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}}},
			rule: "storage/pvc-pending", object: "PersistentVolumeClaim shop/data", urgency: Medium,
			evidence: []string{"spec.storageClassName: <none>"}, cause: "no PersistentVolume matches"},
		{name: "node not ready", objs: []runtime.Object{node("node-1", false), node("node-2", true)},
			rule: "node/not-ready", object: "Node node-1", urgency: High, evidence: []string{"condition Ready=False"}},
		{name: "memory pressure", objs: []runtime.Object{node("node-1", true, func(n *corev1.Node) {
			n.Status.Conditions = append(n.Status.Conditions, corev1.NodeCondition{Type: corev1.NodeMemoryPressure,
				Status: corev1.ConditionTrue, Reason: "KubeletHasInsufficientMemory", Message: "kubelet has insufficient memory available"})
		})}, rule: "node/pressure", object: "Node node-1", urgency: Medium, cause: "MemoryPressure"},
		{name: "quota refuses pods", objs: append(withDeployment("shop", "web", 2, 1), quota,
			warning("ReplicaSet", "shop", "web-5d8f7c9b6a", "FailedCreate",
				`Error creating: pods "web-5d8f7c9b6a-x" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=1, limited: pods=1`, 12, clock)),
			rule: "workload/failed-create-quota", object: "ReplicaSet shop/web-5d8f7c9b6a", urgency: High,
			evidence: []string{"quota pods: pods used 1 of 1"}, cause: "exceeded quota"},
		{name: "limit range refuses pods", objs: append(withDeployment("shop", "web", 1, 0),
			warning("ReplicaSet", "shop", "web-5d8f7c9b6a", "FailedCreate",
				`Error creating: pods "web-5d8f7c9b6a-x" is forbidden: maximum cpu usage per Container is 500m, but limit is 1`, 3, clock)),
			rule: "workload/failed-create-limitrange", object: "ReplicaSet shop/web-5d8f7c9b6a", urgency: Critical},
		{name: "admission refuses pods", objs: append(withDeployment("shop", "web", 1, 0),
			warning("ReplicaSet", "shop", "web-5d8f7c9b6a", "FailedCreate",
				`Error creating: admission webhook "policy.example.com" denied the request: no privileged`, 3, clock)),
			rule: "workload/failed-create-webhook", object: "ReplicaSet shop/web-5d8f7c9b6a", urgency: Critical,
			evidence: []string{"admission webhook policy.example.com refuses"}, cause: "policy.example.com"},
		{name: "short of replicas with no pod cause", objs: withDeployment("shop", "web", 3, 2),
			rule: "workload/replicas-short", object: "Deployment shop/web", urgency: High,
			evidence: []string{"2 of 3 replicas available"}},
		{name: "service selects nothing", objs: []runtime.Object{
			&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api"},
				Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "api"}}},
			&discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api-x",
				Labels: map[string]string{discoveryv1.LabelServiceName: "api"}}}},
			rule: "service/no-matching-pods", object: "Service shop/api", urgency: High,
			evidence: []string{"0 pods match the selector"}, cause: "app=api"},
		{name: "job failed", objs: []runtime.Object{&batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "migrate"},
			Status: batchv1.JobStatus{Failed: 1, Conditions: []batchv1.JobCondition{{Type: batchv1.JobFailed,
				Status: corev1.ConditionTrue, Reason: "DeadlineExceeded", Message: "Job was active longer than specified deadline"}}}}},
			rule: "job/failed", object: "Job shop/migrate", urgency: Medium, cause: "DeadlineExceeded"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := Analyze(FromObjects(clock, "", tc.objs...))
			f := findRule(fs, tc.rule)
			if f == nil {
				t.Fatalf("no %s finding; got %s", tc.rule, rules(fs))
			}
			if f.Object.String() != tc.object {
				t.Errorf("object = %s, want %s", f.Object, tc.object)
			}
			checkFinding(t, f, tc.urgency, tc.cause, tc.evidence)
			for _, a := range f.NextActions {
				if !strings.HasPrefix(a, "kubectl get ") && !strings.HasPrefix(a, "kubectl describe ") &&
					!strings.HasPrefix(a, "kubectl logs ") && !strings.HasPrefix(a, "kubectl rollout status ") {
					t.Errorf("next action %q is not a read-only kubectl command", a)
				}
			}
		})
	}
}

// checkFinding checks a finding's urgency, that its cause holds cause and its
// evidence every one of evidence, and that it has next actions and fixes.
func checkFinding(t *testing.T, f *Finding, urgency Urgency, cause string, evidence []string) {
	t.Helper()
	if f.Urgency != urgency {
		t.Errorf("urgency = %s (%s), want %s", f.Urgency, f.UrgencyRule, urgency)
	}
	ev := strings.Join(f.Evidence, "\n")
	for _, want := range evidence {
		if !strings.Contains(ev, want) {
			t.Errorf("evidence lacks %q:\n%s", want, ev)
		}
	}
	if !strings.Contains(f.Cause, cause) {
		t.Errorf("cause %q lacks %q", f.Cause, cause)
	}
	if len(f.NextActions) == 0 || len(f.Fixes) == 0 {
		t.Errorf("no next actions or fixes: %+v", f)
	}
}

func findRule(fs []Finding, rule string) *Finding {
	for i := range fs {
		if fs[i].Rule == rule {
			return &fs[i]
		}
	}
	return nil
}

func rules(fs []Finding) string {
	var s []string
	for _, f := range fs {
		s = append(s, f.Rule+" "+f.Object.String())
	}
	return "[" + strings.Join(s, ", ") + "]"
}

func TestSeedHealthyPodsAreNotFindings(t *testing.T) {
	fs := Analyze(seedFacts())
	if len(fs) != 1 {
		t.Fatalf("findings = %s, want only the Pending pod", rules(fs))
	}
	f := fs[0]
	if f.Impact.Available != 1 || f.Impact.Desired != 2 || f.Impact.Owners[len(f.Impact.Owners)-1].String() != "Deployment default/nginx-with-10gi" {
		t.Errorf("impact = %+v, want Deployment default/nginx-with-10gi 1 of 2", f.Impact)
	}
	if !strings.Contains(f.UrgencyRule, "1 of 2") {
		t.Errorf("urgency rule %q does not say 1 of 2", f.UrgencyRule)
	}
}

func TestPendingYoungPodIsNotAFinding(t *testing.T) {
	p := pod("shop", "new", "", "", corev1.PodPending, "1Gi")
	p.CreationTimestamp = metav1.NewTime(clock.Add(-5 * time.Second))
	if fs := Analyze(FromObjects(clock, "", p)); len(fs) != 0 {
		t.Errorf("findings = %s, want none for a pod created 5s ago", rules(fs))
	}
}

func TestSiblingPodsMerge(t *testing.T) {
	pull := waiting("ErrImagePull", "not found")
	fs := Analyze(FromObjects(clock, "", withDeployment("shop", "web", 3, 0,
		ownedPod("a", corev1.PodPending, "node-1", pull), ownedPod("b", corev1.PodPending, "node-1", pull),
		ownedPod("c", corev1.PodPending, "node-2", pull))...))
	if len(fs) != 1 {
		t.Fatalf("findings = %s, want one merged finding", rules(fs))
	}
	if len(fs[0].Related) != 2 || fs[0].Impact.Pods != 3 || fs[0].Urgency != Critical {
		t.Errorf("merged finding = related %v pods %d urgency %s", fs[0].Related, fs[0].Impact.Pods, fs[0].Urgency)
	}
}

func TestRolloutBlockedBySurgePod(t *testing.T) {
	d, old := deployment("shop", "web", "5d8f7c9b6a", 2, 2, "5Gi")
	d.Annotations["deployment.kubernetes.io/revision"] = "2"
	newRS := old.DeepCopy()
	newRS.Name, newRS.Annotations["deployment.kubernetes.io/revision"] = "web-7f6e5d4c3b", "2"
	newRS.Spec.Replicas, newRS.Status = ptr.To[int32](1), appsv1.ReplicaSetStatus{Replicas: 1}
	surge := pod("shop", "web-7f6e5d4c3b-s", "web-7f6e5d4c3b", "", corev1.PodPending, "20Gi",
		unschedulable("0/2 nodes are available: 2 Insufficient memory."))
	fs := Analyze(FromObjects(clock, "", node("node-1", true), node("node-2", true), d, old, newRS, surge))
	f := findRule(fs, "workload/rollout-blocked")
	if f == nil {
		t.Fatalf("no rollout finding: %s", rules(fs))
	}
	if f.Object.String() != "Deployment shop/web" || f.Urgency != Medium ||
		!strings.Contains(strings.Join(f.Evidence, "\n"), "new ReplicaSet web-7f6e5d4c3b: 0 of 1 ready") {
		t.Errorf("rollout finding = %+v", f)
	}
	if !strings.Contains(strings.Join(f.Fixes, "\n"), "maxSurge 0") {
		t.Errorf("fixes do not suggest maxSurge 0: %v", f.Fixes)
	}
	// One incident, one finding: the surge pod's finding is the rollout's evidence.
	if p := findRule(fs, "scheduling/insufficient-memory"); p != nil || len(fs) != 1 ||
		!strings.Contains(f.Cause, "more than the largest node") || len(f.Related) != 1 {
		t.Errorf("findings = %s; rollout evidence %q related %v", rules(fs), f.Evidence, f.Related)
	}
}

func TestAnalyzeOrder(t *testing.T) {
	objs := append(seedObjects(), node("node-x", false),
		&corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "a", Name: "c"},
			Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}})
	fs := Analyze(FromObjects(clock, "", objs...))
	for i := 1; i < len(fs); i++ {
		if fs[i-1].Urgency > fs[i].Urgency {
			t.Errorf("finding %d (%s) is more urgent than finding %d (%s)", i, fs[i].Urgency, i-1, fs[i-1].Urgency)
		}
	}
	again := Analyze(FromObjects(clock, "", objs...))
	if rules(fs) != rules(again) {
		t.Errorf("order differs between runs:\n%s\n%s", rules(fs), rules(again))
	}
}

func TestMessagePattern(t *testing.T) {
	for _, tc := range []struct{ msg, name, want string }{
		{"Back-off restarting failed container app in pod web-7d9f8c6b5-x2k4q_shop(3f2a9c1d-1b2c-4d5e-8f90-123456789abc)", "web-7d9f8c6b5-x2k4q",
			"Back-off restarting failed container app in pod <name>_shop(<id>)"},
		{"0/2 nodes are available: 2 Insufficient memory.", "", "#/# nodes are available: # Insufficient memory."},
		{`Failed to pull image "nginx:1.27": rpc error`, "", `Failed to pull image "nginx:#.#": rpc error`},
		{"Created container sha 4f9e2a1c7b3d in 12.5s", "", "Created container sha <id> in #.#s"},
		{"Readiness probe failed: HTTP probe failed with statuscode: 503", "", "Readiness probe failed: HTTP probe failed with statuscode: #"},
	} {
		if got := messagePattern(tc.msg, tc.name); got != tc.want {
			t.Errorf("messagePattern(%q) = %q, want %q", tc.msg, got, tc.want)
		}
	}
}
