package postmortem

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kuberesponder/kuberesponder/kube/triage"
)

const seedMessage = "0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."

// seedReport runs the first-response rules over the seed incident's objects,
// as the cluster showed them when the session started.
func seedReport(t *testing.T, lang string) (markdown string, findings []byte, title string) {
	t.Helper()
	f := triage.FromObjects(seedStart, "default", seedObjects()...)
	f.Cluster.Version = "v1.37.2"
	r := triage.Build(f).In(lang)
	js, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) == 0 {
		t.Fatal("the rules found nothing in the seed incident")
	}
	return r.Markdown(lang), js, r.Findings[0].Problem
}

func seedObjects() []runtime.Object {
	yes := true
	node := func(name string) *corev1.Node {
		res := func(mem string) corev1.ResourceList {
			return corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"),
				corev1.ResourceMemory: resource.MustParse(mem), corev1.ResourcePods: resource.MustParse("110")}
		}
		return &corev1.Node{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}},
			Status: corev1.NodeStatus{Capacity: res("11973936Ki"), Allocatable: res("11871536Ki"),
				Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}},
		}
	}
	deploy := func(name, hash string, want, available int32) (*appsv1.Deployment, *appsv1.ReplicaSet) {
		d := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
			Spec: appsv1.DeploymentSpec{Replicas: &want,
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}},
			Status: appsv1.DeploymentStatus{Replicas: want, AvailableReplicas: available, ReadyReplicas: available, UpdatedReplicas: want},
		}
		rs := &appsv1.ReplicaSet{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name + "-" + hash,
				OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: name, Controller: &yes}}},
			Spec:   appsv1.ReplicaSetSpec{Replicas: &want},
			Status: appsv1.ReplicaSetStatus{Replicas: want, AvailableReplicas: available, ReadyReplicas: available},
		}
		return d, rs
	}
	pod := func(name, app, rs, nodeName, mem string) *corev1.Pod {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name, Labels: map[string]string{"app": app},
				OwnerReferences: []metav1.OwnerReference{{Kind: "ReplicaSet", Name: rs, Controller: &yes}}},
			Spec: corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{{Name: "nginx", Image: "nginx",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
					corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse(mem)}}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
				{Type: corev1.PodReady, Status: corev1.ConditionTrue}}},
		}
		if nodeName == "" {
			p.Status = corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{
				Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable", Message: seedMessage}}}
		}
		return p
	}
	d5, rs5 := deploy("nginx-with-5gi", "5c6d7f8b9", 1, 1)
	d10, rs10 := deploy("nginx-with-10gi", "6b7f9c8d4", 2, 1)
	last := seedStart.Add(-4 * time.Minute)
	return []runtime.Object{
		node("3shake-k8s-node-001"), node("3shake-k8s-node-002"),
		d5, rs5, d10, rs10,
		pod(healthyPod, "nginx-with-5gi", rs5.Name, "3shake-k8s-node-002", "5Gi"),
		pod("nginx-with-10gi-6b7f9c8d4-rtbd7", "nginx-with-10gi", rs10.Name, "3shake-k8s-node-001", "10Gi"),
		pod(pendingPod, "nginx-with-10gi", rs10.Name, "", "10Gi"),
		&corev1.Event{
			ObjectMeta:     metav1.ObjectMeta{Namespace: "default", Name: pendingPod + ".FailedScheduling"},
			InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "default", Name: pendingPod},
			Type:           corev1.EventTypeWarning, Reason: "FailedScheduling", Message: seedMessage, Count: 4,
			FirstTimestamp: metav1.NewTime(last.Add(-5 * time.Minute)), LastTimestamp: metav1.NewTime(last),
			Source: corev1.EventSource{Component: "default-scheduler"},
		},
	}
}
