package triage

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kuberesponder/kuberesponder/kube/redact"
)

// Urgency is how soon a finding needs a human.
type Urgency int

// The urgencies, most urgent first.
const (
	Critical Urgency = iota
	High
	Medium
	Low
)

// String returns the lower-case name of the urgency.
func (u Urgency) String() string {
	switch u {
	case Critical:
		return "critical"
	case High:
		return "high"
	case Medium:
		return "medium"
	case Low:
		return "low"
	}
	return "unknown"
}

// MarshalText writes the urgency by name.
func (u Urgency) MarshalText() ([]byte, error) { return []byte(u.String()), nil }

// UnmarshalText reads an urgency by name.
func (u *Urgency) UnmarshalText(b []byte) error {
	for c := Critical; c <= Low; c++ {
		if c.String() == string(b) {
			*u = c
			return nil
		}
	}
	return fmt.Errorf("unknown urgency %q", b)
}

// Impact is who and what a finding touches.
type Impact struct {
	// Owners is the owner chain, nearest first (ReplicaSet, then Deployment).
	Owners []ObjectRef `json:"owners,omitempty"`
	// Services lists the Services whose selector matches the object.
	Services []ObjectRef `json:"services,omitempty"`
	// Available and Desired are the replicas of the top owner.
	Available int `json:"available"`
	Desired   int `json:"desired"`
	// Pods counts the pods affected.
	Pods int `json:"pods,omitempty"`
	// Nodes lists the nodes involved.
	Nodes   []string `json:"nodes,omitempty"`
	Summary string   `json:"summary"`
}

// Finding is one thing wrong, with what it rests on and what to do.
type Finding struct {
	// Rule is the stable id of the rule that found it, e.g. "scheduling/insufficient-memory".
	Rule   string    `json:"rule"`
	Object ObjectRef `json:"object"`
	// Related lists other objects with the same problem and cause (pods of the same owner).
	Related     []ObjectRef `json:"related,omitempty"`
	Problem     string      `json:"problem"`
	Cause       string      `json:"cause"`
	Evidence    []string    `json:"evidence"`
	Impact      Impact      `json:"impact"`
	Urgency     Urgency     `json:"urgency"`
	UrgencyRule string      `json:"urgencyRule"`
	// NextActions are read-only kubectl command lines that confirm the finding.
	NextActions []string `json:"nextActions"`
	// Fixes are for a human to apply; they are never run.
	Fixes []string `json:"fixes"`

	text *findingText
}

// findingText keeps the keyed source of a finding's sentences so that they can
// be rendered in another language.
type findingText struct {
	problem, cause, urgency, impact msg
	evidence, fixes                 []msg
}

// in returns a copy of the finding with its sentences in lang, secret values
// redacted.
func (f Finding) in(lang string, red *redact.Redactor) Finding {
	t := f.text
	if t == nil {
		return f
	}
	f.Problem, f.Cause, f.UrgencyRule = clean(red, t.problem.in(lang)), clean(red, t.cause.in(lang)), t.urgency.in(lang)
	f.Impact.Summary = t.impact.in(lang)
	f.Evidence = render(t.evidence, lang, red)
	f.Fixes = render(t.fixes, lang, red)
	f.Related = append([]ObjectRef(nil), f.Related...)
	f.NextActions = append([]string(nil), f.NextActions...)
	return f
}

func render(ms []msg, lang string, red *redact.Redactor) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = clean(red, m.in(lang))
	}
	return out
}

// clean removes secret values from text built from cluster objects.
func clean(red *redact.Redactor, s string) string {
	s, _ = red.Redact(s)
	return s
}

// draft is a finding while rules build it.
type draft struct {
	rule     string
	object   ObjectRef
	pod      *corev1.Pod // the pod it is about, if any
	problem  msg
	cause    msg
	evidence []msg
	fixes    []msg
	actions  []string
	base     Urgency // urgency when the impact says nothing more
	baseWhy  msg
	impact   Impact
	// impactNote adds a sentence to the impact summary.
	impactNote msg
	related    []ObjectRef
	// mergeKey groups drafts that are the same problem of sibling objects.
	mergeKey string
	// absorbed marks a draft another finding tells (a rollout's new pods).
	absorbed bool
	// servicesOut are the Services left with no ready endpoint by this problem.
	servicesOut []serviceOut
}

// Analyze finds what is wrong in the gathered facts. It is pure and returns
// the findings ordered by urgency, then object, then rule.
func Analyze(f *Facts) []Finding {
	x := newIndex(f)
	var ds []*draft
	ds = append(ds, x.podRules()...)
	ds = append(ds, x.workloadRules(ds)...)
	ds = append(ds, x.nodeRules()...)
	ds = append(ds, x.storageRules()...)
	ds = append(ds, x.serviceRules(ds)...)
	ds = append(ds, x.jobRules()...)
	ds = append(ds, x.quotaRules(ds)...)
	ds = append(ds, x.cronJobRules()...)
	ds = append(ds, x.hpaRules()...)
	ds = append(ds, x.pdbRules()...)
	ds = merge(ds)
	out := make([]Finding, 0, len(ds))
	red := redact.New()
	for _, d := range ds {
		out = append(out, x.finish(d, red))
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Urgency != b.Urgency {
			return a.Urgency < b.Urgency
		}
		if a.Object != b.Object {
			return less(a.Object, b.Object)
		}
		return a.Rule < b.Rule
	})
	return out
}

// merge folds drafts with the same merge key into the first of them.
func merge(ds []*draft) []*draft {
	sort.SliceStable(ds, func(i, j int) bool { return less(ds[i].object, ds[j].object) })
	byKey := map[string]*draft{}
	var out []*draft
	for _, d := range ds {
		if d.absorbed {
			continue
		}
		if d.mergeKey == "" {
			out = append(out, d)
			continue
		}
		if first := byKey[d.mergeKey]; first != nil {
			first.related = append(first.related, d.object)
			first.impact.Pods++
			for _, s := range d.servicesOut {
				first.servicesOut = addServiceOut(first.servicesOut, s)
			}
			continue
		}
		byKey[d.mergeKey] = d
		out = append(out, d)
	}
	for _, d := range out {
		if n := len(d.related); n > 0 {
			names := make([]string, 0, 5)
			for i, r := range d.related {
				if i == 5 {
					names = append(names, "…")
					break
				}
				names = append(names, r.Name)
			}
			d.evidence = append(d.evidence, m("ev.related", n, strings.Join(names, ", ")))
		}
	}
	return out
}

// finish computes the urgency from the impact and renders the sentences in English.
func (x *index) finish(d *draft, red *redact.Redactor) Finding {
	u, why := d.base, d.baseWhy
	im := d.impact
	if len(im.Owners) > 0 && im.Desired > 0 {
		top := im.Owners[len(im.Owners)-1]
		switch {
		case im.Available == 0:
			u, why = Critical, m("urg.down", top.String(), im.Desired)
		case im.Available < im.Desired && u >= High:
			u, why = High, m("urg.degraded", top.String(), im.Available, im.Desired)
		}
	}
	evidence, note := d.evidence, d.impactNote
	for i, s := range d.servicesOut {
		evidence = append(evidence, m("ev.servicesOut", s.ref.String(), s.matched))
		if i == 0 {
			u, why = Critical, m("urg.serviceOut", s.ref.String())
			if note.key == "" {
				note = m("svc.out", s.ref.String())
			}
		}
	}
	t := &findingText{problem: d.problem, cause: d.cause, urgency: why, evidence: evidence, fixes: d.fixes}
	t.impact = impactSummary(im, d.object, note)
	out := Finding{
		Rule: d.rule, Object: d.object, Related: d.related, Impact: im,
		Urgency: u, NextActions: d.actions, text: t,
	}
	return out.in("en", red)
}

func impactSummary(im Impact, obj ObjectRef, note msg) msg {
	var parts []msg
	if len(im.Owners) > 0 {
		top := im.Owners[len(im.Owners)-1]
		if im.Desired > 0 {
			parts = append(parts, m("imp.owner", top.String(), im.Available, im.Desired))
		} else {
			parts = append(parts, m("imp.ownerOnly", top.String()))
		}
	}
	if im.Pods > 1 {
		parts = append(parts, m("imp.pods", im.Pods))
	}
	if len(im.Services) > 0 {
		names := make([]string, len(im.Services))
		for i, s := range im.Services {
			names[i] = s.String()
		}
		parts = append(parts, m("imp.services", strings.Join(names, ", ")))
	}
	if len(im.Nodes) > 0 {
		parts = append(parts, m("imp.nodes", strings.Join(im.Nodes, ", ")))
	}
	if len(parts) == 0 {
		parts = append(parts, m("imp.only", obj.String()))
	}
	if note.key != "" {
		parts = append(parts, note)
	}
	return join(parts)
}

// podImpact fills the owner chain, availability and Services of a pod.
func (x *index) podImpact(p *corev1.Pod) Impact {
	im := Impact{Pods: 1}
	if p.Spec.NodeName != "" {
		im.Nodes = []string{p.Spec.NodeName}
	}
	im.Owners = x.owners(p.Namespace, p.OwnerReferences)
	im.Available, im.Desired = x.availability(im.Owners)
	im.Services = x.servicesSelecting(p.Namespace, p.Labels)
	return im
}

// owners follows controller references up the chain (Pod → ReplicaSet → Deployment).
func (x *index) owners(ns string, refs []metav1.OwnerReference) []ObjectRef {
	var chain []ObjectRef
	for depth := 0; depth < 4; depth++ {
		var ctrl *metav1.OwnerReference
		for i := range refs {
			if refs[i].Controller != nil && *refs[i].Controller {
				ctrl = &refs[i]
				break
			}
		}
		if ctrl == nil {
			break
		}
		ref := ObjectRef{Kind: ctrl.Kind, Namespace: ns, Name: ctrl.Name}
		chain = append(chain, ref)
		refs = x.ownerRefsOf(ref)
	}
	return chain
}

// availability returns the available and desired replicas of the top owner.
func (x *index) availability(chain []ObjectRef) (int, int) {
	if len(chain) == 0 {
		return 0, 0
	}
	top := chain[len(chain)-1]
	key := top.Namespace + "/" + top.Name
	switch top.Kind {
	case "Deployment":
		if d := x.deployments[key]; d != nil {
			return int(d.Status.AvailableReplicas), int(replicas(d.Spec.Replicas))
		}
	case "ReplicaSet":
		if rs := x.replicaSets[key]; rs != nil {
			return int(rs.Status.AvailableReplicas), int(replicas(rs.Spec.Replicas))
		}
	case "StatefulSet":
		if s := x.statefulSets[key]; s != nil {
			return int(s.Status.AvailableReplicas), int(replicas(s.Spec.Replicas))
		}
	case "DaemonSet":
		if s := x.daemonSets[key]; s != nil {
			return int(s.Status.NumberAvailable), int(s.Status.DesiredNumberScheduled)
		}
	}
	return 0, 0
}

func replicas(r *int32) int32 {
	if r == nil {
		return 1
	}
	return *r
}

// servicesSelecting lists the Services in ns whose selector matches lbls.
func (x *index) servicesSelecting(ns string, lbls map[string]string) []ObjectRef {
	var out []ObjectRef
	for _, s := range x.selectingServices(ns) {
		if s.sel.Matches(labels.Set(lbls)) {
			out = append(out, s.ref)
		}
	}
	return out
}

func podRef(p *corev1.Pod) ObjectRef {
	return ObjectRef{Kind: "Pod", Namespace: p.Namespace, Name: p.Name}
}

// podMergeKey groups the same problem of pods of one owner, or of bare pods of one namespace.
func podMergeKey(rule string, im Impact, p *corev1.Pod, cause msg) string {
	if len(im.Owners) > 0 {
		return rule + "|" + im.Owners[len(im.Owners)-1].String()
	}
	return rule + "|" + p.Namespace + "|" + cause.in("en")
}
