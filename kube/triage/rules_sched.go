package triage

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/component-helpers/scheduling/corev1/nodeaffinity"
)

// maxNodeLines bounds the per-node evidence lines of one finding.
const maxNodeLines = 12

// schedulingRule builds the finding of a pod the scheduler could not place,
// from the scheduler's message (event or pod condition) and the node facts.
func (x *index) schedulingRule(p *corev1.Pod, ref ObjectRef, text string, ev []msg) *draft {
	items := x.taintsBehindSelector(p, parseScheduling(text))
	rule := "scheduling/unschedulable"
	if len(items) > 0 {
		rule = schedRule(items[0].reason)
	}
	d := &draft{rule: rule, base: High, baseWhy: m("urg.pod"), evidence: ev,
		problem: m("sched.problem", ref.Name), cause: m("sched.cause", text)}
	seen := map[string]bool{}
	for i, it := range items {
		r := schedRule(it.reason)
		if seen[r] {
			continue
		}
		seen[r] = true
		cause, evidence, fixes := x.schedDetail(p, r)
		if i == 0 && cause.key != "" {
			d.cause = cause
			d.impactNote = x.capacityNoteOf(r)
		}
		d.evidence = append(d.evidence, evidence...)
		d.fixes = append(d.fixes, fixes...)
	}
	if len(d.fixes) == 0 {
		d.fixes = []msg{m("sched.fix")}
	}
	if len(p.OwnerReferences) > 0 {
		d.fixes = append(d.fixes, m("sched.fixRollout"))
	}
	if names := x.describeNodes(); names != "" {
		d.actions = append(d.actions, "kubectl describe node "+names)
	}
	return d
}

// taintsBehindSelector moves a taint reason after the selector reason when
// every node whose taint the pod does not tolerate also fails the pod's node
// selector or required affinity: the scheduler reports a node's first failing
// filter, and the taint filter runs before the affinity filter, so such a node
// says "untolerated taint" although the pod was never meant for it.
func (x *index) taintsBehindSelector(p *corev1.Pod, items []schedItem) []schedItem {
	ti, si := -1, -1
	for i, it := range items {
		switch schedRule(it.reason) {
		case "scheduling/untolerated-taint":
			if ti < 0 {
				ti = i
			}
		case "scheduling/node-selector-mismatch":
			if si < 0 {
				si = i
			}
		}
	}
	if ti < 0 || si < 0 || si < ti {
		return items
	}
	affinity, tainted := nodeaffinity.GetRequiredNodeAffinity(p), 0
	for _, nf := range x.f.Nodes {
		if !x.untolerated(p, &nf.Node) {
			continue
		}
		tainted++
		if ok, err := affinity.Match(&nf.Node); err != nil || ok {
			return items
		}
	}
	if tainted == 0 {
		return items // the facts cannot tell: keep the scheduler's order
	}
	out := append([]schedItem{items[si]}, items[:si]...)
	return append(out, items[si+1:]...)
}

// untolerated reports whether the node has a scheduling taint the pod does
// not tolerate.
func (x *index) untolerated(p *corev1.Pod, n *corev1.Node) bool {
	for _, t := range n.Spec.Taints {
		if t.Effect != corev1.TaintEffectPreferNoSchedule && !tolerated(p, t) {
			return true
		}
	}
	return false
}

// schedDetail returns the cause, evidence and fixes of one scheduling rule.
func (x *index) schedDetail(p *corev1.Pod, rule string) (msg, []msg, []msg) {
	switch rule {
	case "scheduling/insufficient-memory":
		return x.insufficient(p, corev1.ResourceMemory)
	case "scheduling/insufficient-cpu":
		return x.insufficient(p, corev1.ResourceCPU)
	case "scheduling/node-selector-mismatch":
		return x.selectorMismatch(p)
	case "scheduling/untolerated-taint":
		return x.taints(p)
	case "scheduling/unbound-pvc":
		var ev []msg
		for _, v := range p.Spec.Volumes {
			if v.PersistentVolumeClaim == nil {
				continue
			}
			claim := v.PersistentVolumeClaim.ClaimName
			phase := "Bound"
			if c := x.pvcs[p.Namespace+"/"+claim]; c != nil {
				phase = string(c.Status.Phase)
			}
			ev = append(ev, m("ev.pvc", claim, phase))
		}
		return m("unboundPVC.cause"), ev, []msg{m("unboundPVC.fix")}
	case "scheduling/host-port-conflict":
		var ev []msg
		for _, c := range p.Spec.Containers {
			for _, port := range c.Ports {
				if port.HostPort == 0 {
					continue
				}
				want := fmt.Sprintf("%s/%d ", protocol(port.Protocol), port.HostPort)
				ev = append(ev, m("ev.hostPortWant", c.Name, strings.TrimSpace(want)))
				for _, nf := range x.f.Nodes {
					for _, used := range nf.HostPorts {
						if strings.HasPrefix(used, want) {
							ev = append(ev, m("ev.hostPortUsed", nf.Node.Name, used))
						}
					}
				}
			}
		}
		return m("hostPort.cause"), capLines(ev), []msg{m("hostPort.fix1"), m("hostPort.fix2")}
	case "scheduling/too-many-pods":
		var ev []msg
		for _, nf := range x.f.Nodes {
			max := nf.Node.Status.Allocatable[corev1.ResourcePods]
			ev = append(ev, m("ev.podsOnNode", nf.Node.Name, nf.PodCount, max.String()))
		}
		return m("tooMany.cause"), capLines(ev), []msg{m("tooMany.fix")}
	case "scheduling/node-unschedulable":
		var ev []msg
		for _, nf := range x.f.Nodes {
			if nf.Node.Spec.Unschedulable {
				ev = append(ev, m("ev.cordoned", nf.Node.Name))
			}
		}
		return m("cordoned.cause"), capLines(ev), []msg{m("cordoned.fix")}
	}
	return msg{}, nil, nil
}

// capacityNote says what else the shortage blocks: no pod asking for more
// than the largest free amount can start anywhere.
func (x *index) capacityNote(rule string) msg {
	name := corev1.ResourceMemory
	switch rule {
	case "scheduling/insufficient-memory":
	case "scheduling/insufficient-cpu":
		name = corev1.ResourceCPU
	default:
		return msg{}
	}
	var best resource.Quantity
	where := ""
	for _, nf := range x.f.Nodes {
		if !nodeReady(&nf.Node) || nf.Node.Spec.Unschedulable {
			continue // it takes no pod anyway
		}
		if free := nf.free(name); where == "" || free.Cmp(best) > 0 {
			best, where = free, nf.Node.Name
		}
	}
	if where == "" {
		return msg{}
	}
	return m("imp.capacity", string(name), human(name, best), where)
}

// insufficient shows each node's free allocatable next to the pod's request.
func (x *index) insufficient(p *corev1.Pod, name corev1.ResourceName) (msg, []msg, []msg) {
	req := podRequests(p)[name]
	reqH := human(name, req)
	ev := []msg{m("ev.request", string(name), reqH, containerRequests(p, name))}
	t := x.freeTable(name)
	for i, n := range t.nodes {
		if i == maxNodeLines {
			ev = append(ev, m("ev.moreNodes", len(t.nodes)-i))
			break
		}
		key := "ev.nodeFree"
		if n.free.Cmp(req) >= 0 {
			key = "ev.nodeFreeFits"
		}
		ev = append(ev, m(key, n.name, string(name), n.alloc, n.used, n.freeH, reqH))
	}
	cause := m("insufficient.cause", string(name), reqH)
	fixes := []msg{m("insufficient.fix1", string(name)), m("insufficient.fix2", string(name), reqH), m("insufficient.fix3")}
	if len(t.nodes) > 0 && req.Cmp(t.maxAlloc) > 0 {
		cause = m("insufficient.tooBig", string(name), reqH, human(name, t.maxAlloc))
	}
	return cause, ev, fixes
}

func containerRequests(p *corev1.Pod, name corev1.ResourceName) string {
	var parts []string
	for _, c := range p.Spec.Containers {
		if q, ok := c.Resources.Requests[name]; ok {
			parts = append(parts, c.Name+" "+q.String())
		}
	}
	return strings.Join(parts, ", ")
}

func (x *index) selectorMismatch(p *corev1.Pod) (msg, []msg, []msg) {
	var ev []msg
	keys := make([]string, 0, len(p.Spec.NodeSelector))
	for k := range p.Spec.NodeSelector {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ev = append(ev, m("ev.nodeSelector", k, p.Spec.NodeSelector[k]))
		ev = append(ev, m("ev.nodeLabels", k, x.nodeLabels(k)))
	}
	if a := p.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		for _, t := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			for _, e := range t.MatchExpressions {
				ev = append(ev, m("ev.affinity", fmt.Sprintf("%s %s %s", e.Key, e.Operator, strings.Join(e.Values, ","))))
			}
		}
	}
	return m("selector.cause"), ev, []msg{m("selector.fix1"), m("selector.fix2")}
}

func (x *index) taints(p *corev1.Pod) (msg, []msg, []msg) {
	var ev []msg
	for _, nf := range x.f.Nodes {
		var ts []string
		for _, t := range nf.Node.Spec.Taints {
			if t.Effect == corev1.TaintEffectPreferNoSchedule || tolerated(p, t) {
				continue
			}
			ts = append(ts, t.ToString())
		}
		if len(ts) > 0 {
			ev = append(ev, m("ev.taints", nf.Node.Name, strings.Join(ts, ", ")))
		}
	}
	ev = capLines(ev)
	var tol []string
	for _, t := range p.Spec.Tolerations {
		if t.Key == "node.kubernetes.io/not-ready" || t.Key == "node.kubernetes.io/unreachable" {
			continue // added to every pod by default
		}
		tol = append(tol, fmt.Sprintf("%s %s %s:%s", t.Key, t.Operator, t.Value, t.Effect))
	}
	if len(tol) == 0 {
		tol = []string{"<none>"}
	}
	ev = append(ev, m("ev.tolerations", strings.Join(tol, "; ")))
	return m("taint.cause"), ev, []msg{m("taint.fix1"), m("taint.fix2")}
}

func tolerated(p *corev1.Pod, t corev1.Taint) bool {
	for _, tol := range p.Spec.Tolerations {
		if tol.Effect != "" && tol.Effect != t.Effect {
			continue
		}
		if tol.Key == "" && tol.Operator == corev1.TolerationOpExists {
			return true
		}
		if tol.Key != t.Key {
			continue
		}
		if tol.Operator == corev1.TolerationOpExists || tol.Value == t.Value {
			return true
		}
	}
	return false
}

func capLines(ev []msg) []msg {
	if len(ev) > maxNodeLines {
		return append(ev[:maxNodeLines:maxNodeLines], m("ev.moreNodes", len(ev)-maxNodeLines))
	}
	return ev
}

func joinCapped(vals []string) string {
	if len(vals) > maxNodeLines {
		return strings.Join(vals[:maxNodeLines], ", ") + fmt.Sprintf(", … (+%d)", len(vals)-maxNodeLines)
	}
	return strings.Join(vals, ", ")
}
