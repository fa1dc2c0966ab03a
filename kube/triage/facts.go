// Package triage gathers the facts of a cluster, finds what is wrong with
// deterministic rules and writes the six-section first-response report.
package triage

import (
	"fmt"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	policyv1 "k8s.io/api/policy/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kuberesponder/kuberesponder/kube/redact"
)

// FactsVersion is the version of the Facts layout; it changes when a saved
// snapshot could no longer be read the same way.
const FactsVersion = 1

// Facts is everything Gather collected, self-contained and JSON-serialisable
// so that it can be saved as a snapshot and analysed again later.
type Facts struct {
	Version   int       `json:"version"`
	Collected time.Time `json:"collected"`
	// Namespace is the namespace gathered; empty means all namespaces.
	Namespace string      `json:"namespace,omitempty"`
	Cluster   ClusterInfo `json:"cluster"`
	Nodes     []NodeFacts `json:"nodes"`
	// Pods holds the pods with a problem: not Running or Succeeded, not
	// ready, or restarting.
	Pods []corev1.Pod `json:"pods"`
	// PodIndex lists every non-terminated pod in brief, for selectors and counts.
	PodIndex       []PodBrief                              `json:"podIndex"`
	Events         []EventGroup                            `json:"events"`
	Deployments    []appsv1.Deployment                     `json:"deployments"`
	StatefulSets   []appsv1.StatefulSet                    `json:"statefulSets"`
	DaemonSets     []appsv1.DaemonSet                      `json:"daemonSets"`
	ReplicaSets    []appsv1.ReplicaSet                     `json:"replicaSets"`
	Jobs           []batchv1.Job                           `json:"jobs"`
	PVCs           []corev1.PersistentVolumeClaim          `json:"pvcs"`
	Services       []ServiceFacts                          `json:"services"`
	Quotas         []corev1.ResourceQuota                  `json:"quotas"`
	StorageClasses []StorageClassBrief                     `json:"storageClasses"`
	CronJobs       []batchv1.CronJob                       `json:"cronJobs,omitempty"`
	HPAs           []autoscalingv2.HorizontalPodAutoscaler `json:"hpas,omitempty"`
	PDBs           []policyv1.PodDisruptionBudget          `json:"pdbs,omitempty"`
	// ConfigRefs are the ConfigMaps and Secrets that pods waiting in
	// CreateContainerConfigError refer to: names and key names only.
	ConfigRefs []ConfigObject `json:"configRefs,omitempty"`
	// Logs holds the previous log tails of crash-looping containers, redacted.
	Logs []LogTail `json:"logs,omitempty"`
	// Gaps names what could not be gathered (for example a list that was forbidden).
	Gaps []string `json:"gaps,omitempty"`
}

// ClusterInfo holds the cluster facts in the form of a Kubernetes bug report.
type ClusterInfo struct {
	Version         string   `json:"version"`
	Provider        string   `json:"provider"`
	OSImages        []string `json:"osImages,omitempty"`
	Runtimes        []string `json:"runtimes,omitempty"`
	KubeletVersions []string `json:"kubeletVersions,omitempty"`
	CNI             []string `json:"cni,omitempty"`
	CSI             []string `json:"csi,omitempty"`
	// Tools lists installed tools recognised from workload labels (e.g. Helm).
	Tools             []string `json:"tools,omitempty"`
	ControlPlaneNodes int      `json:"controlPlaneNodes"`
	WorkerNodes       int      `json:"workerNodes"`
}

// NodeFacts is a node with the sums of the requests of the pods bound to it.
type NodeFacts struct {
	Node corev1.Node `json:"node"`
	// Requested sums the effective requests of its non-terminated pods.
	Requested corev1.ResourceList `json:"requested"`
	// PodCount counts its non-terminated pods.
	PodCount int `json:"podCount"`
	// HostPorts lists the host ports in use as "PROTOCOL/PORT pod-namespace/pod-name".
	HostPorts []string `json:"hostPorts,omitempty"`
}

// PodBrief is the little the rules need to know about any pod.
type PodBrief struct {
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Labels    map[string]string `json:"labels,omitempty"`
	Phase     corev1.PodPhase   `json:"phase"`
	Ready     bool              `json:"ready"`
	Node      string            `json:"node,omitempty"`
}

// EventGroup is a set of events about one object with the same type, reason
// and message pattern.
type EventGroup struct {
	Object  ObjectRef `json:"object"`
	Type    string    `json:"type"`
	Reason  string    `json:"reason"`
	Message string    `json:"message"` // the latest message, verbatim
	Pattern string    `json:"pattern"` // the message with names and numbers masked
	Source  string    `json:"source,omitempty"`
	Count   int       `json:"count"`
	First   time.Time `json:"first"`
	Last    time.Time `json:"last"`
}

// Line renders the group the way `kubectl get events` shows one event.
func (g EventGroup) Line() string {
	return fmt.Sprintf("%s %s %s: %s", g.Type, g.Reason, g.Object.short(), g.Message)
}

// ServiceFacts is a Service with the count of its ready endpoints.
type ServiceFacts struct {
	Service        corev1.Service `json:"service"`
	ReadyEndpoints int            `json:"readyEndpoints"`
	Endpoints      int            `json:"endpoints"`
}

// StorageClassBrief names a StorageClass and whether it is the default.
type StorageClassBrief struct {
	Name        string `json:"name"`
	Provisioner string `json:"provisioner"`
	Default     bool   `json:"default"`
}

// ObjectRef names one Kubernetes object.
type ObjectRef struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String renders the reference as Kind namespace/name.
func (o ObjectRef) String() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// short renders the reference as kubectl does: kind/name in lower case.
func (o ObjectRef) short() string { return strings.ToLower(o.Kind) + "/" + o.Name }

func less(a, b ObjectRef) bool {
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	return a.Name < b.Name
}

// FromObjects builds Facts from objects already in hand (API objects from the
// core, apps, batch, autoscaling, policy, discovery and storage groups), the
// same way Gather does. ConfigMaps and Secrets give their key names only.
// Events are grouped; pods are indexed and their requests summed per node.
// The objects are left as they were: those the facts trim are copied first.
func FromObjects(collected time.Time, namespace string, objs ...runtime.Object) *Facts {
	a := newAccumulator(collected, namespace)
	for _, o := range objs {
		a.add(o)
	}
	return a.finish("")
}

// accumulator turns listed objects into Facts.
type accumulator struct {
	f *Facts
	// owned says the objects added are used by nothing else: they may be
	// trimmed and scrubbed in place instead of copied first.
	owned    bool
	nodes    map[string]*NodeFacts
	usage    map[string]*NodeFacts // requests of pods whose node was not (yet) seen
	events   map[string]*EventGroup
	slices   map[string][2]int // namespace/service → ready, total
	csi      []string
	systemDS []appsv1.DaemonSet
	red      *redact.Redactor
}

func newAccumulator(collected time.Time, namespace string) *accumulator {
	return &accumulator{
		f:      &Facts{Version: FactsVersion, Collected: collected.UTC(), Namespace: namespace},
		nodes:  map[string]*NodeFacts{},
		usage:  map[string]*NodeFacts{},
		events: map[string]*EventGroup{},
		slices: map[string][2]int{},
		red:    redact.New(),
	}
}

func (a *accumulator) node(n corev1.Node) {
	n.ManagedFields = nil
	nf := a.usage[n.Name]
	if nf == nil {
		nf = &NodeFacts{Requested: corev1.ResourceList{}}
	}
	delete(a.usage, n.Name)
	nf.Node = n
	a.nodes[n.Name] = nf
}

func (a *accumulator) nodeUsage(name string) *NodeFacts {
	if nf := a.nodes[name]; nf != nil {
		return nf
	}
	nf := a.usage[name]
	if nf == nil {
		nf = &NodeFacts{Requested: corev1.ResourceList{}}
		a.usage[name] = nf
	}
	return nf
}

func (a *accumulator) pod(p corev1.Pod) {
	terminated := p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
	if p.Spec.NodeName != "" && !terminated {
		nf := a.nodeUsage(p.Spec.NodeName)
		nf.PodCount++
		for name, q := range podRequests(&p) {
			sum := nf.Requested[name]
			sum.Add(q)
			nf.Requested[name] = sum
		}
		for _, c := range p.Spec.Containers {
			for _, port := range c.Ports {
				if port.HostPort > 0 {
					nf.HostPorts = append(nf.HostPorts, fmt.Sprintf("%s/%d %s/%s", protocol(port.Protocol), port.HostPort, p.Namespace, p.Name))
				}
			}
		}
	}
	if a.f.Namespace != "" && p.Namespace != a.f.Namespace {
		return // counted for its node only
	}
	if !terminated {
		a.f.PodIndex = append(a.f.PodIndex, PodBrief{
			Namespace: p.Namespace, Name: p.Name, Labels: p.Labels,
			Phase: p.Status.Phase, Ready: podReady(&p), Node: p.Spec.NodeName,
		})
	}
	if podHasProblem(&p) {
		scrub(&p.Spec)
		a.f.Pods = append(a.f.Pods, trim(a.red, p, &p.ObjectMeta))
	}
}

func (a *accumulator) event(e corev1.Event) {
	if e.Type != corev1.EventTypeWarning {
		return
	}
	obj := ObjectRef{Kind: e.InvolvedObject.Kind, Namespace: e.InvolvedObject.Namespace, Name: e.InvolvedObject.Name}
	pattern := messagePattern(e.Message, obj.Name)
	key := obj.Kind + "\x00" + obj.Namespace + "\x00" + obj.Name + "\x00" + e.Reason + "\x00" + pattern
	first, last := eventTimes(&e)
	count := int(e.Count)
	if e.Series != nil && int(e.Series.Count) > count {
		count = int(e.Series.Count)
	}
	if count < 1 {
		count = 1
	}
	g := a.events[key]
	if g == nil {
		g = &EventGroup{Object: obj, Type: e.Type, Reason: e.Reason, Pattern: pattern, First: first}
		a.events[key] = g
	}
	g.Count += count
	if first.Before(g.First) {
		g.First = first
	}
	if !last.Before(g.Last) {
		g.Last, g.Message = last, strings.TrimSpace(e.Message)
		g.Source = e.Source.Component
		if g.Source == "" {
			g.Source = e.ReportingController
		}
	}
}

func eventTimes(e *corev1.Event) (first, last time.Time) {
	first, last = e.FirstTimestamp.Time, e.LastTimestamp.Time
	if e.Series != nil && !e.Series.LastObservedTime.IsZero() {
		last = e.Series.LastObservedTime.Time
	}
	if last.IsZero() {
		last = e.EventTime.Time
	}
	if last.IsZero() {
		last = e.CreationTimestamp.Time
	}
	if first.IsZero() {
		first = last
	}
	return first.UTC(), last.UTC()
}

func (a *accumulator) deployment(d appsv1.Deployment) {
	scrubTemplate(a.red, &d.Spec.Template)
	a.f.Deployments = append(a.f.Deployments, trim(a.red, d, &d.ObjectMeta))
}

func (a *accumulator) statefulSet(s appsv1.StatefulSet) {
	scrubTemplate(a.red, &s.Spec.Template)
	a.f.StatefulSets = append(a.f.StatefulSets, trim(a.red, s, &s.ObjectMeta))
}

func (a *accumulator) daemonSet(d appsv1.DaemonSet) {
	scrubTemplate(a.red, &d.Spec.Template)
	if d.Namespace == "kube-system" {
		a.systemDS = append(a.systemDS, d)
	}
	if a.f.Namespace == "" || d.Namespace == a.f.Namespace {
		a.f.DaemonSets = append(a.f.DaemonSets, trim(a.red, d, &d.ObjectMeta))
	}
}

func (a *accumulator) replicaSet(rs appsv1.ReplicaSet) {
	active := rs.Status.Replicas > 0 || (rs.Spec.Replicas != nil && *rs.Spec.Replicas > 0)
	if active || hasReplicaFailure(rs.Status.Conditions) {
		scrubTemplate(a.red, &rs.Spec.Template)
		a.f.ReplicaSets = append(a.f.ReplicaSets, trim(a.red, rs, &rs.ObjectMeta))
	}
}

func hasReplicaFailure(cs []appsv1.ReplicaSetCondition) bool {
	for _, c := range cs {
		if c.Type == appsv1.ReplicaSetReplicaFailure && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

func (a *accumulator) job(j batchv1.Job) {
	if j.Status.Failed > 0 || j.Status.Active > 0 || jobFailed(&j) != nil {
		scrubTemplate(a.red, &j.Spec.Template)
		a.f.Jobs = append(a.f.Jobs, trim(a.red, j, &j.ObjectMeta))
	}
}

func (a *accumulator) pvc(p corev1.PersistentVolumeClaim) {
	if p.Status.Phase != corev1.ClaimBound {
		a.f.PVCs = append(a.f.PVCs, trim(a.red, p, &p.ObjectMeta))
	}
}

func (a *accumulator) service(s corev1.Service) {
	a.f.Services = append(a.f.Services, ServiceFacts{Service: trim(a.red, s, &s.ObjectMeta)})
}

func (a *accumulator) slice(s discoveryv1.EndpointSlice) {
	svc := s.Labels[discoveryv1.LabelServiceName]
	if svc == "" {
		return
	}
	key := s.Namespace + "/" + svc
	c := a.slices[key]
	for _, ep := range s.Endpoints {
		c[1]++
		if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
			c[0]++
		}
	}
	a.slices[key] = c
}

func (a *accumulator) quota(q corev1.ResourceQuota) {
	for name, hard := range q.Status.Hard {
		if used, ok := q.Status.Used[name]; ok && used.Cmp(hard) >= 0 {
			a.f.Quotas = append(a.f.Quotas, trim(a.red, q, &q.ObjectMeta))
			return
		}
	}
}

func (a *accumulator) storageClass(s storagev1.StorageClass) {
	a.f.StorageClasses = append(a.f.StorageClasses, StorageClassBrief{
		Name: s.Name, Provisioner: s.Provisioner,
		Default: s.Annotations["storageclass.kubernetes.io/is-default-class"] == "true",
	})
}

// finish sorts everything into a deterministic order and derives the cluster facts.
func (a *accumulator) finish(version string) *Facts {
	f := a.f
	for _, nf := range a.nodes {
		f.Nodes = append(f.Nodes, *nf)
	}
	sort.Slice(f.Nodes, func(i, j int) bool { return f.Nodes[i].Node.Name < f.Nodes[j].Node.Name })
	for i := range f.Nodes {
		sort.Strings(f.Nodes[i].HostPorts)
	}
	for _, g := range a.events {
		var n int
		if g.Message, n = a.red.Redact(g.Message); n > 0 {
			g.Pattern, _ = a.red.Redact(g.Pattern) // derived from a message that held a secret
		}
		f.Events = append(f.Events, *g)
	}
	sort.Slice(f.Events, func(i, j int) bool {
		x, y := f.Events[i], f.Events[j]
		if !x.Last.Equal(y.Last) {
			return x.Last.After(y.Last)
		}
		if x.Object != y.Object {
			return less(x.Object, y.Object)
		}
		return x.Reason+x.Pattern < y.Reason+y.Pattern
	})
	for i := range f.Services {
		s := &f.Services[i]
		c := a.slices[s.Service.Namespace+"/"+s.Service.Name]
		s.ReadyEndpoints, s.Endpoints = c[0], c[1]
	}
	sortByMeta(f.Pods, func(p corev1.Pod) metav1.ObjectMeta { return p.ObjectMeta })
	sort.Slice(f.PodIndex, func(i, j int) bool {
		x, y := f.PodIndex[i], f.PodIndex[j]
		return x.Namespace+"/"+x.Name < y.Namespace+"/"+y.Name
	})
	sortByMeta(f.Deployments, func(d appsv1.Deployment) metav1.ObjectMeta { return d.ObjectMeta })
	sortByMeta(f.StatefulSets, func(d appsv1.StatefulSet) metav1.ObjectMeta { return d.ObjectMeta })
	sortByMeta(f.DaemonSets, func(d appsv1.DaemonSet) metav1.ObjectMeta { return d.ObjectMeta })
	sortByMeta(f.ReplicaSets, func(d appsv1.ReplicaSet) metav1.ObjectMeta { return d.ObjectMeta })
	sortByMeta(f.Jobs, func(d batchv1.Job) metav1.ObjectMeta { return d.ObjectMeta })
	sortByMeta(f.PVCs, func(d corev1.PersistentVolumeClaim) metav1.ObjectMeta { return d.ObjectMeta })
	sortByMeta(f.Quotas, func(d corev1.ResourceQuota) metav1.ObjectMeta { return d.ObjectMeta })
	sortByMeta(f.CronJobs, func(d batchv1.CronJob) metav1.ObjectMeta { return d.ObjectMeta })
	sortByMeta(f.HPAs, func(d autoscalingv2.HorizontalPodAutoscaler) metav1.ObjectMeta { return d.ObjectMeta })
	sortByMeta(f.PDBs, func(d policyv1.PodDisruptionBudget) metav1.ObjectMeta { return d.ObjectMeta })
	sort.Slice(f.ConfigRefs, func(i, j int) bool {
		x, y := f.ConfigRefs[i], f.ConfigRefs[j]
		return x.Namespace+"/"+x.Kind+"/"+x.Name < y.Namespace+"/"+y.Kind+"/"+y.Name
	})
	sort.Slice(f.Services, func(i, j int) bool {
		x, y := f.Services[i].Service, f.Services[j].Service
		return x.Namespace+"/"+x.Name < y.Namespace+"/"+y.Name
	})
	sort.Slice(f.StorageClasses, func(i, j int) bool { return f.StorageClasses[i].Name < f.StorageClasses[j].Name })
	sort.Strings(a.csi)
	sort.Strings(f.Gaps)
	f.Cluster = clusterInfo(version, f.Nodes, a.systemDS, a.csi)
	f.Cluster.Tools = tools(f, a.systemDS)
	return f
}

func sortByMeta[T any](s []T, meta func(T) metav1.ObjectMeta) {
	sort.SliceStable(s, func(i, j int) bool {
		x, y := meta(s[i]), meta(s[j])
		if x.Namespace != y.Namespace {
			return x.Namespace < y.Namespace
		}
		return x.Name < y.Name
	})
}

// free returns allocatable minus requested for one resource of a node.
func (n NodeFacts) free(name corev1.ResourceName) resource.Quantity {
	q := n.Node.Status.Allocatable[name].DeepCopy()
	q.Sub(n.Requested[name])
	return q
}
