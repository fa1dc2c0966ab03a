package triage

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// clock is the fixed collection time of every unit test.
var clock = time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)

func node(name string, ready bool, mutate ...func(*corev1.Node)) *corev1.Node {
	status := corev1.ConditionTrue
	if !ready {
		status = corev1.ConditionFalse
	}
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(clock.Add(-24 * time.Hour)),
			Labels:      map[string]string{"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "type": "kwok"},
			Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"}},
		Status: corev1.NodeStatus{
			Capacity: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"),
				corev1.ResourceMemory: resource.MustParse("11973936Ki"), corev1.ResourcePods: resource.MustParse("110")},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"),
				corev1.ResourceMemory: resource.MustParse("11871536Ki"), corev1.ResourcePods: resource.MustParse("110")},
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status, Reason: "KubeletReady",
				Message: "kubelet is posting ready status", LastTransitionTime: metav1.NewTime(clock.Add(-time.Hour))}},
			NodeInfo: corev1.NodeSystemInfo{OSImage: "Ubuntu 22.04.4 LTS", ContainerRuntimeVersion: "containerd://1.7.13",
				KubeletVersion: "v1.37.2"},
		},
	}
	for _, f := range mutate {
		f(n)
	}
	return n
}

// deployment returns a Deployment, its ReplicaSet and the pod template labels.
func deployment(ns, name, hash string, want, available int32, mem string) (*appsv1.Deployment, *appsv1.ReplicaSet) {
	lbl := map[string]string{"app": name}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: "d-" + "uid",
			Annotations: map[string]string{"deployment.kubernetes.io/revision": "1"}},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To(want), Selector: &metav1.LabelSelector{MatchLabels: lbl}},
		Status: appsv1.DeploymentStatus{Replicas: want, AvailableReplicas: available, ReadyReplicas: available,
			UpdatedReplicas: want},
	}
	rs := &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name + "-" + hash,
			Annotations:     map[string]string{"deployment.kubernetes.io/revision": "1"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "Deployment", Name: name, Controller: ptr.To(true)}}},
		Spec:   appsv1.ReplicaSetSpec{Replicas: ptr.To(want)},
		Status: appsv1.ReplicaSetStatus{Replicas: want, AvailableReplicas: available, ReadyReplicas: available},
	}
	return d, rs
}

func pod(ns, name, owner, nodeName string, phase corev1.PodPhase, mem string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	app := name
	if owner != "" {
		app = owner[:len(owner)-11] // strip "-<10-char hash>"
	}
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": app},
			CreationTimestamp: metav1.NewTime(clock.Add(-10 * time.Minute))},
		Spec: corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1.27",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse(mem)}}}}},
		Status: corev1.PodStatus{Phase: phase},
	}
	if owner != "" {
		p.OwnerReferences = []metav1.OwnerReference{{Kind: "ReplicaSet", Name: owner, Controller: ptr.To(true)}}
	}
	if phase == corev1.PodRunning {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue},
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue}}
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "nginx", Ready: true, Image: "nginx:1.27",
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}
	}
	for _, f := range mutate {
		f(p)
	}
	return p
}

func unschedulable(message string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
			Reason: "Unschedulable", Message: message}}
	}
}

func warning(kind, ns, name, reason, message string, count int32, last time.Time) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: ns, Name: name + "." + reason},
		InvolvedObject: corev1.ObjectReference{Kind: kind, Namespace: ns, Name: name},
		Type:           corev1.EventTypeWarning, Reason: reason, Message: message, Count: count,
		FirstTimestamp: metav1.NewTime(last.Add(-5 * time.Minute)), LastTimestamp: metav1.NewTime(last),
		Source: corev1.EventSource{Component: "default-scheduler"},
	}
}

const seedMessage = "0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod."

// seedObjects is the incident of the seed: two 4-CPU workers, nginx-with-5gi
// running, nginx-with-10gi with one replica Running and one Pending.
func seedObjects() []runtime.Object {
	d5, rs5 := deployment("default", "nginx-with-5gi", "766bc97857", 1, 1, "5Gi")
	d10, rs10 := deployment("default", "nginx-with-10gi", "77579bdb99", 2, 1, "10Gi")
	return []runtime.Object{
		node("3shake-k8s-node-001", true), node("3shake-k8s-node-002", true),
		d5, rs5, d10, rs10,
		pod("default", "nginx-with-5gi-766bc97857-tjqtf", rs5.Name, "3shake-k8s-node-002", corev1.PodRunning, "5Gi"),
		pod("default", "nginx-with-10gi-77579bdb99-rtbd7", rs10.Name, "3shake-k8s-node-001", corev1.PodRunning, "10Gi"),
		pod("default", "nginx-with-10gi-77579bdb99-ckfj9", rs10.Name, "", corev1.PodPending, "10Gi", unschedulable(seedMessage)),
		warning("Pod", "default", "nginx-with-10gi-77579bdb99-ckfj9", "FailedScheduling", seedMessage, 3, clock.Add(-time.Minute)),
	}
}

func seedFacts() *Facts {
	f := FromObjects(clock, "default", seedObjects()...)
	f.Cluster.Version = "v1.37.2"
	return f
}
