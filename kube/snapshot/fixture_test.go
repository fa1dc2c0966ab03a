package snapshot

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/utils/ptr"

	"github.com/kuberesponder/kuberesponder/kube/triage"
)

// canary is a secret value that must never appear in a snapshot or an output.
const canary = "sk-canary0123456789abcdefghijklmnop"

var captured = time.Date(2026, 11, 28, 18, 40, 0, 0, time.UTC)

func objMeta(ns, name string, age time.Duration, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels, UID: types.UID("uid-x" + name),
		CreationTimestamp: metav1.NewTime(captured.Add(-age))}
}

func node(name string) corev1.Node {
	return corev1.Node{
		ObjectMeta: objMeta("", name, time.Hour, map[string]string{"kubernetes.io/hostname": name, "type": "kwok"}),
		Status: corev1.NodeStatus{
			Capacity:    corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("11973936Ki")},
			Allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("11871536Ki")},
			Conditions:  []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
			Addresses:   []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
			NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.37.2", OSImage: "Ubuntu 22.04.4 LTS", KernelVersion: "5.15.0-105-generic",
				Architecture: "amd64", ContainerRuntimeVersion: "containerd://1.7.13"},
		},
	}
}

func pod(name, app, nodeName string, running bool, mem string) corev1.Pod {
	p := corev1.Pod{
		ObjectMeta: objMeta("default", name, 5*time.Minute, map[string]string{"app": app}),
		Spec: corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{{
			Name: "nginx", Image: "nginx:1.27",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse(mem)}},
			Env:       []corev1.EnvVar{{Name: "DB_PASSWORD", Value: "hunter2-" + canary}},
		}}},
		Status: corev1.PodStatus{Phase: corev1.PodPending, Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: "Unschedulable"}}},
	}
	if running {
		p.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.244.0.2", PodIPs: []corev1.PodIP{{IP: "10.244.0.2"}},
			Conditions:        []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "nginx", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}
	}
	return p
}

func deployment(name string, replicas, ready int32, mem string) (appsv1.Deployment, appsv1.ReplicaSet) {
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "nginx", Image: "nginx:1.27",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(mem)}}}}}}
	d := appsv1.Deployment{ObjectMeta: objMeta("default", name, 5*time.Minute, map[string]string{"app": name}),
		Spec:   appsv1.DeploymentSpec{Replicas: ptr.To(replicas), Selector: sel, Template: tmpl},
		Status: appsv1.DeploymentStatus{Replicas: replicas, UpdatedReplicas: replicas, ReadyReplicas: ready, AvailableReplicas: ready, UnavailableReplicas: replicas - ready}}
	rs := appsv1.ReplicaSet{ObjectMeta: objMeta("default", name+"-77579bdb99", 5*time.Minute, map[string]string{"app": name}),
		Spec:   appsv1.ReplicaSetSpec{Replicas: ptr.To(replicas), Selector: sel, Template: tmpl},
		Status: appsv1.ReplicaSetStatus{Replicas: replicas, ReadyReplicas: ready, AvailableReplicas: ready}}
	rs.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "Deployment", Name: name, UID: d.UID, Controller: ptr.To(true)}}
	return d, rs
}

func event(name, kind, obj, typ, reason, msg string, ago time.Duration, count int32) corev1.Event {
	return corev1.Event{
		ObjectMeta:     objMeta("default", name, ago, nil),
		InvolvedObject: corev1.ObjectReference{APIVersion: "v1", Kind: kind, Namespace: "default", Name: obj, UID: types.UID("uid-x" + obj)},
		Type:           typ, Reason: reason, Message: msg, Count: count,
		FirstTimestamp: metav1.NewTime(captured.Add(-ago)), LastTimestamp: metav1.NewTime(captured.Add(-ago / 2)),
		Source: corev1.EventSource{Component: "default-scheduler"},
	}
}

// fixture is a hand-built snapshot of the seed incident.
func fixture() *File {
	d5, rs5 := deployment("nginx-with-5gi", 1, 1, "5Gi")
	d10, rs10 := deployment("nginx-with-10gi", 2, 1, "10Gi")
	f := &File{
		Version: FormatVersion, Captured: captured, Context: "seed", Server: "https://127.0.0.1:6443",
		ServerVersion: &version.Info{GitVersion: "v1.37.2", Major: "1", Minor: "37"},
		Groups: &metav1.APIGroupList{Groups: []metav1.APIGroup{
			{Name: "", Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: "v1", Version: "v1"}}},
			{Name: "apps", Versions: []metav1.GroupVersionForDiscovery{{GroupVersion: "apps/v1", Version: "v1"}}},
		}},
		Resources: []*metav1.APIResourceList{
			{GroupVersion: "v1", APIResources: []metav1.APIResource{
				{Name: "pods", SingularName: "pod", Namespaced: true, Kind: "Pod", Verbs: []string{"get", "list"}, ShortNames: []string{"po"}},
				{Name: "pods/log", Namespaced: true, Kind: "Pod", Verbs: []string{"get"}},
				{Name: "nodes", SingularName: "node", Kind: "Node", Verbs: []string{"get", "list"}, ShortNames: []string{"no"}},
				{Name: "events", SingularName: "event", Namespaced: true, Kind: "Event", Verbs: []string{"get", "list"}, ShortNames: []string{"ev"}},
				{Name: "secrets", SingularName: "secret", Namespaced: true, Kind: "Secret", Verbs: []string{"get", "list"}},
				{Name: "configmaps", SingularName: "configmap", Namespaced: true, Kind: "ConfigMap", Verbs: []string{"get", "list"}, ShortNames: []string{"cm"}},
				{Name: "podtemplates", SingularName: "podtemplate", Namespaced: true, Kind: "PodTemplate", Verbs: []string{"get", "list"}},
			}},
			{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{
				{Name: "deployments", SingularName: "deployment", Namespaced: true, Kind: "Deployment", Verbs: []string{"get", "list"}, ShortNames: []string{"deploy"}},
				{Name: "replicasets", SingularName: "replicaset", Namespaced: true, Kind: "ReplicaSet", Verbs: []string{"get", "list"}, ShortNames: []string{"rs"}},
			}},
		},
		Objects: Objects{
			Namespaces: []corev1.Namespace{{ObjectMeta: objMeta("", "default", time.Hour, nil), Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive}}},
			Nodes:      []corev1.Node{node("3shake-k8s-node-001"), node("3shake-k8s-node-002")},
			Pods: []corev1.Pod{
				pod("nginx-with-5gi-766bc97857-tjqtf", "nginx-with-5gi", "3shake-k8s-node-001", true, "5Gi"),
				pod("nginx-with-10gi-77579bdb99-rtbd7", "nginx-with-10gi", "3shake-k8s-node-002", true, "10Gi"),
				pod("nginx-with-10gi-77579bdb99-ckfj9", "nginx-with-10gi", "", false, "10Gi"),
			},
			Events: []corev1.Event{
				event("e1", "Pod", "nginx-with-10gi-77579bdb99-ckfj9", "Warning", "FailedScheduling",
					"0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.", 4*time.Minute, 3),
				event("e2", "Pod", "nginx-with-5gi-766bc97857-tjqtf", "Normal", "Scheduled", "Successfully assigned default/nginx-with-5gi-766bc97857-tjqtf to 3shake-k8s-node-001", 5*time.Minute, 1),
			},
			Deployments: []appsv1.Deployment{d10, d5},
			ReplicaSets: []appsv1.ReplicaSet{rs10, rs5},
			Secrets:     []Secret{{Metadata: objMeta("default", "db", time.Hour, nil), Type: corev1.SecretTypeOpaque, Keys: map[string]int{"password": 6}}},
			ConfigMaps:  []corev1.ConfigMap{{ObjectMeta: objMeta("default", "app-config", time.Hour, nil), Data: map[string]string{"app.yaml": notCaptured(120)}}},
		},
		Logs: []ContainerLog{
			{Namespace: "default", Pod: "nginx-with-10gi-77579bdb99-ckfj9", Container: "nginx"},
			{Namespace: "default", Pod: "nginx-with-10gi-77579bdb99-rtbd7", Container: "nginx", Lines: []string{
				"2026-11-28T18:35:00.000000000Z /docker-entrypoint.sh: Configuration complete; ready for start up",
				"2026-11-28T18:39:00.000000000Z 10.0.0.1 - GET / 200",
			}},
		},
	}
	return f
}

// withoutStartup returns f without the warnings a freshly started API
// server may record about itself (ClusterIPNotAllocated while it repairs the
// kubernetes Service), which depend on when the capture ran, not on the
// seed incident.
func withoutStartup(f *triage.Facts) *triage.Facts {
	out := *f
	out.Events = nil
	for _, g := range f.Events {
		if g.Reason != "ClusterIPNotAllocated" {
			out.Events = append(out.Events, g)
		}
	}
	return &out
}
