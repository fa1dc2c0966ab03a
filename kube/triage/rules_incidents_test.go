package triage

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

const podA = "web-5d8f7c9b6a-a"

func limit(mem string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(mem)}
	}
}

func envFrom(kind, name, key string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		src := &corev1.EnvVarSource{}
		if kind == "ConfigMap" {
			src.ConfigMapKeyRef = &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}
		} else {
			src.SecretKeyRef = &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: key}
		}
		p.Spec.Containers[0].Env = append(p.Spec.Containers[0].Env, corev1.EnvVar{Name: "X_" + strings.ToUpper(key), ValueFrom: src})
	}
}

// restarted is a running, ready container that restarted n times.
func restarted(n int32, reason string, exit int32) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.StartTime = &metav1.Time{Time: clock.Add(-time.Hour)}
		p.Status.ContainerStatuses[0].RestartCount = n
		p.Status.ContainerStatuses[0].LastTerminationState = corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
			Reason: reason, ExitCode: exit, FinishedAt: metav1.NewTime(clock.Add(-30 * time.Minute))}}
	}
}

func notReadyPod(p *corev1.Pod) {
	p.Status.StartTime = &metav1.Time{Time: clock.Add(-10 * time.Minute)}
	p.Status.Conditions[0].Status = corev1.ConditionFalse
	p.Status.ContainerStatuses[0].Ready = false
}

func initCrashing(p *corev1.Pod) {
	p.Status.Phase = corev1.PodPending
	p.Spec.InitContainers = []corev1.Container{{Name: "schema-init", Image: "shop/migrate:1"}}
	p.Status.InitContainerStatuses = []corev1.ContainerStatus{{Name: "schema-init", RestartCount: 4,
		State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Error", ExitCode: 1}}}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "nginx",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "PodInitializing"}}}}
}

func service(ns, name, app string, ready, total int) []runtime.Object {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{Selector: map[string]string{"app": app}}}
	es := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-x",
		Labels: map[string]string{discoveryv1.LabelServiceName: name}}}
	for i := 0; i < total; i++ {
		es.Endpoints = append(es.Endpoints, discoveryv1.Endpoint{Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(i < ready)}})
	}
	return []runtime.Object{s, es}
}

func pullFailed(message string) runtime.Object {
	return warning("Pod", "shop", podA, "Failed", `Failed to pull image "nginx:no-such-tag": `+message, 4, clock)
}

// TestIncidentRules checks each container, probe and controller cause: its
// rule, object, urgency, evidence and cause, and that it is the only finding.
func TestIncidentRules(t *testing.T) {
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "settings"}, Data: map[string]string{"LOG_LEVEL": "info", "PORT": "8080"}}
	failedJob := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "report-29123",
		OwnerReferences: []metav1.OwnerReference{{Kind: "CronJob", Name: "report", Controller: ptr.To(true)}}},
		Status: batchv1.JobStatus{Failed: 3, Conditions: []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionTrue,
			Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"}}}}
	cron := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "report"}, Spec: batchv1.CronJobSpec{Schedule: "*/5 * * * *"}}
	hpa := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 3, ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "web"},
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{AverageUtilization: ptr.To[int32](70)}}}}},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 3, CurrentMetrics: []autoscalingv2.MetricStatus{{Resource: &autoscalingv2.ResourceMetricStatus{
			Name: corev1.ResourceCPU, Current: autoscalingv2.MetricValueStatus{AverageUtilization: ptr.To[int32](180)}}}}}}
	pdb := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec:   policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(2))},
		Status: policyv1.PodDisruptionBudgetStatus{ExpectedPods: 2, CurrentHealthy: 2, DesiredHealthy: 2}}
	tests := []struct {
		name     string
		objs     []runtime.Object
		logs     []LogTail
		rule     string
		object   string
		urgency  Urgency
		evidence []string
		cause    string
	}{
		{name: "OOMKilled against the memory limit, with the log tail", objs: withDeployment("shop", "web", 1, 0,
			ownedPod("a", corev1.PodRunning, "node-1", crashing("OOMKilled", 137), limit("256Mi"))),
			logs: []LogTail{{Namespace: "shop", Pod: podA, Container: "nginx", Previous: true, Lines: []string{"heap in use 251 MiB"}}},
			rule: "container/oom-killed", object: "Pod shop/" + podA, urgency: Critical,
			evidence: []string{"reason=OOMKilled exit code=137 restarts=7", "previous log: heap in use 251 MiB"}, cause: "limit (256Mi)"},
		{name: "crash loop killed by SIGTERM", objs: withDeployment("shop", "web", 2, 1,
			ownedPod("a", corev1.PodRunning, "node-1", crashing("Error", 143)), ownedPod("b", corev1.PodRunning, "node-2")),
			rule: "container/crash-loop", object: "Pod shop/" + podA, urgency: High, cause: "exit code 143 means SIGTERM"},
		{name: "image not found", objs: append(withDeployment("shop", "web", 1, 0, ownedPod("a", corev1.PodPending, "node-1",
			waiting("ImagePullBackOff", `Back-off pulling image "nginx:no-such-tag"`))),
			pullFailed("rpc error: code = NotFound desc = failed to resolve reference: docker.io/library/nginx:no-such-tag: not found")),
			rule: "image/pull-failed", object: "Pod shop/" + podA, urgency: Critical,
			evidence: []string{"Failed to pull image"}, cause: "does not exist in its registry"},
		{name: "image unauthorised", objs: append(withDeployment("shop", "web", 1, 0, ownedPod("a", corev1.PodPending, "node-1",
			waiting("ImagePullBackOff", ""))), pullFailed("failed to authorize: 401 Unauthorized")),
			rule: "image/pull-failed", object: "Pod shop/" + podA, urgency: Critical, cause: "without valid credentials"},
		{name: "registry unreachable", objs: append(withDeployment("shop", "web", 1, 0, ownedPod("a", corev1.PodPending, "node-1",
			waiting("ErrImagePull", ""))), pullFailed("dial tcp: lookup registry.example.com: no such host")),
			rule: "image/pull-failed", object: "Pod shop/" + podA, urgency: Critical, cause: "cannot be reached"},
		{name: "config error: a key missing from a ConfigMap that exists", objs: append(withDeployment("shop", "web", 1, 0,
			ownedPod("a", corev1.PodPending, "node-1", waiting("CreateContainerConfigError", "couldn't find key DB_URL in ConfigMap shop/settings"),
				envFrom("ConfigMap", "settings", "DB_URL"))), cm),
			rule: "container/config-error", object: "Pod shop/" + podA, urgency: Critical,
			evidence: []string{"ConfigMap shop/settings exists with keys: LOG_LEVEL, PORT"}, cause: "ConfigMap settings has no key DB_URL"},
		{name: "config error: a Secret that does not exist", objs: withDeployment("shop", "web", 1, 0,
			ownedPod("a", corev1.PodPending, "node-1", waiting("CreateContainerConfigError", `secret "db" not found`), envFrom("Secret", "db", "password"))),
			rule: "container/config-error", object: "Pod shop/" + podA, urgency: Critical, cause: `secret "db" not found`},
		{name: "init container fails", objs: withDeployment("shop", "web", 1, 0, ownedPod("a", corev1.PodPending, "node-1", initCrashing)),
			rule: "container/init-failed", object: "Pod shop/" + podA, urgency: Critical,
			evidence: []string{"container schema-init last terminated: reason=Error exit code=1"}, cause: "Init container schema-init exits with Error"},
		{name: "readiness fails: the Service loses its endpoints", objs: append(append(withDeployment("shop", "web", 1, 0,
			ownedPod("a", corev1.PodRunning, "node-1", notReadyPod)), service("shop", "web", "web", 0, 1)...),
			warning("Pod", "shop", podA, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503", 40, clock)),
			rule: "probe/readiness-failing", object: "Pod shop/" + podA, urgency: Critical,
			evidence: []string{"Service shop/web has no ready endpoint"}, cause: "statuscode: 503"},
		{name: "liveness fails: restarts", objs: append(withDeployment("shop", "web", 1, 1,
			ownedPod("a", corev1.PodRunning, "node-1", restarted(6, "Error", 137))),
			warning("Pod", "shop", podA, "Unhealthy", "Liveness probe failed: Get \"http://10.0.0.1:8080/healthz\": context deadline exceeded", 18, clock)),
			rule: "probe/liveness-failing", object: "Pod shop/" + podA, urgency: Medium,
			evidence: []string{"exit code=137 restarts=6"}, cause: "context deadline exceeded"},
		{name: "quota refusing creates is the FailedCreate's evidence", objs: []runtime.Object{
			&corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "pods-limit"},
				Status: corev1.ResourceQuotaStatus{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("1")},
					Used: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("1")}}},
			&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api-1"}, Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](3)}},
			warning("ReplicaSet", "shop", "api-1", "FailedCreate", `pods "api-1-x" is forbidden: exceeded quota: pods-limit, requested: pods=1, used: pods=1, limited: pods=1`, 5, clock)},
			rule: "workload/failed-create-quota", object: "ReplicaSet shop/api-1", urgency: Critical,
			evidence: []string{"quota pods-limit: pods used 1 of 1"}},
		{name: "webhook cannot be called", objs: []runtime.Object{
			&appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "api-1"}, Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](1)}},
			warning("ReplicaSet", "shop", "api-1", "FailedCreate", `Internal error occurred: failed calling webhook "deny.example.com": failed to call webhook: Post "https://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection refused`, 5, clock)},
			rule: "workload/failed-create-webhook", object: "ReplicaSet shop/api-1", urgency: Critical,
			evidence: []string{"admission webhook deny.example.com"}, cause: "deny.example.com"},
		{name: "cronjob's last run failed", objs: []runtime.Object{cron, failedJob},
			rule: "cronjob/last-run-failed", object: "CronJob shop/report", urgency: Medium,
			evidence: []string{`schedule "*/5 * * * *"`}, cause: "BackoffLimitExceeded"},
		{name: "cronjob misses its schedule", objs: []runtime.Object{cron,
			warning("CronJob", "shop", "report", "TooManyMissedTimes", "too many missed start times: 101. Set or decrease .spec.startingDeadlineSeconds or check clock skew", 1, clock)},
			rule: "cronjob/missed-schedule", object: "CronJob shop/report", urgency: Medium,
			evidence: []string{"last schedule <never>", "Warning TooManyMissedTimes cronjob/report"}, cause: "too many missed start times"},
		{name: "autoscaler at its maximum", objs: append(withDeployment("shop", "web", 3, 3), hpa),
			rule: "hpa/at-max", object: "HorizontalPodAutoscaler shop/web", urgency: Medium,
			evidence: []string{"metric cpu: current 180%, target 70%"}, cause: "maxReplicas"},
		{name: "disruption budget allows none", objs: []runtime.Object{pdb},
			rule: "pdb/no-disruptions", object: "PodDisruptionBudget shop/web", urgency: Low,
			evidence: []string{"disruptions allowed: 0"}, cause: "minAvailable 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := FromObjects(clock, "", tc.objs...)
			f.Logs = tc.logs
			fs := Analyze(f)
			if len(fs) != 1 {
				t.Fatalf("findings = %s, want exactly one (%s)", rules(fs), tc.rule)
			}
			got := fs[0]
			if got.Rule != tc.rule || got.Object.String() != tc.object {
				t.Fatalf("finding = %s %s, want %s %s", got.Rule, got.Object, tc.rule, tc.object)
			}
			checkFinding(t, &got, tc.urgency, tc.cause, tc.evidence)
			for _, fix := range got.Fixes {
				if strings.Contains(fix, "kubectl edit") || strings.Contains(fix, "kubectl patch") {
					t.Errorf("fix edits an object by hand: %s", fix)
				}
			}
		})
	}
}

// TestIncidentNoise checks that ordinary life is not a finding.
func TestIncidentNoise(t *testing.T) {
	starting := func(p *corev1.Pod) { p.Status.StartTime = &metav1.Time{Time: clock.Add(-10 * time.Second)} }
	completed := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "backup"},
		Status: batchv1.JobStatus{Succeeded: 1, Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}}}
	tests := []struct {
		name string
		objs []runtime.Object
	}{
		{"a pod that restarted once and recovered", withDeployment("shop", "web", 1, 1, ownedPod("a", corev1.PodRunning, "node-1", restarted(1, "Error", 1)))},
		{"a completed Job", []runtime.Object{completed}},
		{"a readiness probe failing once while ready", append(withDeployment("shop", "web", 1, 1, ownedPod("a", corev1.PodRunning, "node-1")),
			warning("Pod", "shop", podA, "Unhealthy", "Readiness probe failed: connection refused", 1, clock))},
		{"a readiness probe failing once during start-up", append(withDeployment("shop", "web", 1, 1, ownedPod("a", corev1.PodRunning, "node-1", notReadyPod, starting)),
			warning("Pod", "shop", podA, "Unhealthy", "Readiness probe failed: connection refused", 1, clock))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if fs := Analyze(FromObjects(clock, "", tc.objs...)); len(fs) != 0 {
				t.Errorf("findings = %s, want none", rules(fs))
			}
		})
	}
}
