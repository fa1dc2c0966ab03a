package triage

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// pendingGrace is how long a pod may wait for the scheduler before a Pending
// pod with no events and no condition becomes a finding.
const pendingGrace = 30 * time.Second

// index gives the rules fast lookups into the facts.
type index struct {
	f            *Facts
	events       map[ObjectRef][]EventGroup // newest first
	deployments  map[string]*appsv1.Deployment
	replicaSets  map[string]*appsv1.ReplicaSet
	statefulSets map[string]*appsv1.StatefulSet
	daemonSets   map[string]*appsv1.DaemonSet
	pvcs         map[string]*corev1.PersistentVolumeClaim
	nodes        map[string]*NodeFacts
	nodesIdx     nodesIndex
}

func newIndex(f *Facts) *index {
	x := &index{
		f: f, events: make(map[ObjectRef][]EventGroup, len(f.Events)),
		deployments: byName(f.Deployments), replicaSets: byName(f.ReplicaSets),
		statefulSets: byName(f.StatefulSets), daemonSets: byName(f.DaemonSets),
		pvcs: byName(f.PVCs), nodes: make(map[string]*NodeFacts, len(f.Nodes)),
	}
	for _, g := range f.Events {
		x.events[g.Object] = append(x.events[g.Object], g)
	}
	for i := range f.Nodes {
		x.nodes[f.Nodes[i].Node.Name] = &f.Nodes[i]
	}
	return x
}

// byName indexes objects by "namespace/name".
func byName[T any, P interface {
	*T
	metav1.Object
}](items []T) map[string]P {
	m := make(map[string]P, len(items))
	for i := range items {
		p := P(&items[i])
		m[p.GetNamespace()+"/"+p.GetName()] = p
	}
	return m
}

func (x *index) ownerRefsOf(o ObjectRef) []metav1.OwnerReference {
	if o.Kind == "ReplicaSet" {
		if rs := x.replicaSets[o.Namespace+"/"+o.Name]; rs != nil {
			return rs.OwnerReferences
		}
	}
	return nil
}

// latest returns the newest warning group about obj with one of the reasons.
func (x *index) latest(obj ObjectRef, reasons ...string) *EventGroup {
	for _, g := range x.events[obj] {
		for _, r := range reasons {
			if g.Reason == r {
				return &g
			}
		}
	}
	return nil
}

func evLine(g *EventGroup) msg {
	return m("ev.event", g.Line(), g.Count, g.First.Format(time.RFC3339), g.Last.Format(time.RFC3339))
}

// podRules finds what is wrong with each problem pod.
func (x *index) podRules() []*draft {
	var out []*draft
	for i := range x.f.Pods {
		p := &x.f.Pods[i]
		d := x.podRule(p)
		if d == nil {
			continue
		}
		d.pod, d.object = p, podRef(p)
		d.impact = x.podImpact(p)
		d.actions = append([]string{
			fmt.Sprintf("kubectl describe pod %s -n %s", p.Name, p.Namespace),
			fmt.Sprintf("kubectl get events -n %s --field-selector involvedObject.name=%s", p.Namespace, p.Name),
		}, d.actions...)
		if len(d.impact.Owners) > 0 {
			top := d.impact.Owners[len(d.impact.Owners)-1]
			d.actions = append(d.actions, fmt.Sprintf("kubectl get %s %s -n %s -o wide", strings.ToLower(top.Kind), top.Name, p.Namespace))
		}
		d.mergeKey = podMergeKey(d.rule, d.impact, p, d.cause)
		out = append(out, d)
	}
	return out
}

func (x *index) podRule(p *corev1.Pod) *draft {
	ref := podRef(p)
	if owned(p, "Job") && p.Status.Phase == corev1.PodFailed {
		return nil // the Job's finding tells it
	}
	if p.Status.Phase == corev1.PodPending && p.Spec.NodeName == "" {
		return x.unscheduled(p, ref)
	}
	if d := x.containerRule(p, ref); d != nil {
		return d
	}
	switch {
	case p.Status.Phase == corev1.PodFailed:
		reason := p.Status.Reason
		if reason == "" {
			reason = "Failed"
		}
		return &draft{rule: "pod/failed", base: Medium, baseWhy: m("urg.podFailed"),
			problem:  m("pod.failed.problem", ref.Name, reason),
			cause:    m("pod.failed.cause", reason, p.Status.Message),
			evidence: []msg{m("ev.field", "status.reason", reason), m("ev.field", "status.message", p.Status.Message)},
			fixes:    []msg{m("pod.failed.fix")}}
	case p.Status.Phase == corev1.PodPending:
		d := &draft{rule: "pod/not-started", base: Medium, baseWhy: m("urg.pod"),
			problem: m("pod.notStarted.problem", ref.Name, p.Spec.NodeName),
			cause:   m("pod.notStarted.cause"), fixes: []msg{m("pod.notStarted.fix")}}
		if g := x.latest(ref, "FailedMount", "FailedAttachVolume", "FailedCreatePodSandBox"); g != nil {
			d.rule, d.cause = "pod/volume-or-sandbox", m("pod.mount.cause", g.Reason, g.Message)
			d.evidence = append(d.evidence, evLine(g))
		}
		if nf := x.nodes[p.Spec.NodeName]; nf != nil && !nodeReady(&nf.Node) {
			d.cause = m("pod.onNotReady.cause", p.Spec.NodeName)
		}
		return d
	case !podReady(p):
		return x.notReady(p, ref)
	}
	return nil
}

func owned(p *corev1.Pod, kind string) bool {
	for _, o := range p.OwnerReferences {
		if o.Kind == kind {
			return true
		}
	}
	return false
}

// unscheduled explains a pod the scheduler has not placed.
func (x *index) unscheduled(p *corev1.Pod, ref ObjectRef) *draft {
	var ev []msg
	text := ""
	if g := x.latest(ref, "FailedScheduling"); g != nil {
		text = g.Message
		ev = append(ev, evLine(g))
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
			if text == "" {
				text = c.Message
				ev = append(ev, m("ev.condition", "PodScheduled", string(c.Status), c.Reason, c.Message), m("ev.noEvent"))
			}
		}
	}
	if text == "" {
		if len(p.Spec.SchedulingGates) > 0 {
			return &draft{rule: "scheduling/gated", base: Low, baseWhy: m("urg.pod"),
				problem: m("sched.problem", ref.Name), cause: m("gated.cause", p.Spec.SchedulingGates[0].Name),
				evidence: []msg{m("ev.field", "spec.schedulingGates", p.Spec.SchedulingGates[0].Name)}, fixes: []msg{m("gated.fix")}}
		}
		age := x.f.Collected.Sub(p.CreationTimestamp.Time)
		if age < pendingGrace {
			return nil
		}
		sched := p.Spec.SchedulerName
		if sched == "" {
			sched = corev1.DefaultSchedulerName
		}
		return &draft{rule: "pod/pending-no-events", base: High, baseWhy: m("urg.pod"),
			problem:  m("noev.problem", ref.Name, age.Round(time.Second).String()),
			cause:    m("noev.cause", sched),
			evidence: []msg{m("ev.field", "status.phase", "Pending"), m("ev.field", "spec.nodeName", "<none>"), m("ev.field", "spec.schedulerName", sched), m("ev.noEvents")},
			fixes:    []msg{m("noev.fix1", sched), m("noev.fix2")},
			actions:  []string{"kubectl get pods -n kube-system", fmt.Sprintf("kubectl get pod %s -n %s -o yaml", p.Name, p.Namespace)}}
	}
	return x.schedulingRule(p, ref, text, ev)
}

// schedItem is one "N reason" part of a FailedScheduling message.
type schedItem struct {
	count  int
	reason string
}

// parseScheduling splits "0/2 nodes are available: 2 Insufficient memory, 1 node(s) had ... . preemption: ..."
func parseScheduling(text string) []schedItem {
	if i := strings.Index(text, " preemption:"); i >= 0 {
		text = text[:i]
	}
	if i := strings.Index(text, "nodes are available:"); i >= 0 {
		text = text[i+len("nodes are available:"):]
	}
	text = strings.TrimSuffix(strings.TrimSpace(text), ".")
	var out []schedItem
	for _, part := range strings.Split(text, ", ") {
		part = strings.TrimSpace(part)
		n, rest := 0, part
		if sp := strings.IndexByte(part, ' '); sp > 0 {
			if v, err := strconv.Atoi(part[:sp]); err == nil {
				n, rest = v, part[sp+1:]
			}
		}
		if rest != "" {
			out = append(out, schedItem{n, rest})
		}
	}
	// Nodes a pod is not meant for (its node selector, control-plane or
	// not-ready taints) explain nothing; what the intended nodes lack comes first.
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := reasonRank(out[i].reason), reasonRank(out[j].reason)
		if ri != rj {
			return ri < rj
		}
		return out[i].count > out[j].count
	})
	return out
}

// reasonRank orders scheduler reasons from the most to the least telling.
func reasonRank(reason string) int {
	switch schedRule(reason) {
	case "scheduling/node-selector-mismatch":
		return 3
	case "scheduling/node-unschedulable":
		return 2
	case "scheduling/untolerated-taint":
		for _, k := range []string{"node-role.kubernetes.io/", "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"} {
			if strings.Contains(reason, k) {
				return 3
			}
		}
		return 1
	}
	return 0
}

// schedRule maps one reason of the scheduler to a rule id.
func schedRule(reason string) string {
	if name := firstRule(reason, []textRule{
		{all: [2]string{"Insufficient memory"}, name: "scheduling/insufficient-memory"},
		{all: [2]string{"Insufficient cpu"}, name: "scheduling/insufficient-cpu"},
		{prefix: "Insufficient ", name: "scheduling/insufficient-resource"},
		{all: [2]string{"node affinity/selector"}, name: "scheduling/node-selector-mismatch"},
		{all: [2]string{"match node selector"}, name: "scheduling/node-selector-mismatch"},
		{all: [2]string{"taint"}, name: "scheduling/untolerated-taint"},
		{all: [2]string{"unbound", "PersistentVolumeClaim"}, name: "scheduling/unbound-pvc"},
		{all: [2]string{"free ports"}, name: "scheduling/host-port-conflict"},
		{all: [2]string{"Too many pods"}, name: "scheduling/too-many-pods"},
		{all: [2]string{"unschedulable"}, name: "scheduling/node-unschedulable"},
		{all: [2]string{"volume node affinity"}, name: "scheduling/volume-node-affinity"},
		{all: [2]string{"pod affinity"}, name: "scheduling/pod-affinity"},
		{all: [2]string{"anti-affinity"}, name: "scheduling/pod-affinity"},
		{all: [2]string{"topology spread"}, name: "scheduling/topology-spread"},
	}); name != "" {
		return name
	}
	return "scheduling/unschedulable"
}

func protocol(p corev1.Protocol) corev1.Protocol {
	if p == "" {
		return corev1.ProtocolTCP
	}
	return p
}

// podRequests returns the effective requests of a pod as the scheduler counts
// them: the larger of the sum of its containers and its largest init
// container, plus overhead.
func podRequests(p *corev1.Pod) corev1.ResourceList {
	out := corev1.ResourceList{}
	for _, c := range p.Spec.Containers {
		for n, q := range c.Resources.Requests {
			sum := out[n]
			sum.Add(q)
			out[n] = sum
		}
	}
	for _, c := range p.Spec.InitContainers {
		for n, q := range c.Resources.Requests {
			if cur, ok := out[n]; !ok || q.Cmp(cur) > 0 {
				out[n] = q.DeepCopy()
			}
		}
	}
	for n, q := range p.Spec.Overhead {
		sum := out[n]
		sum.Add(q)
		out[n] = sum
	}
	return out
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podHasProblem reports whether a pod is not Running or Succeeded, not ready,
// or restarting.
func podHasProblem(p *corev1.Pod) bool {
	switch p.Status.Phase {
	case corev1.PodSucceeded:
		return false
	case corev1.PodRunning:
	default:
		return true
	}
	if !podReady(p) {
		return true
	}
	for _, cs := range p.Status.ContainerStatuses {
		if cs.RestartCount > 0 || cs.State.Waiting != nil {
			return true
		}
	}
	return false
}
